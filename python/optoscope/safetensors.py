"""Reading safetensors files with numpy alone: an 8-byte little-endian header length, a JSON header, then
the raw little-endian tensors. Optoscope keeps a SHA-256 of the data section in ``__metadata__.sha256``;
it is verified here, so a truncated or corrupted checkpoint raises instead of loading wrong numbers."""

from __future__ import annotations

import hashlib
import json
import os
import struct
from typing import Dict, Tuple

import numpy as np

_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I32": np.int32, "I64": np.int64}


class SafetensorsError(ValueError):
    """A file that is not a valid (or not an intact) safetensors file."""


def read_safetensors(path: str | os.PathLike, verify: bool = True) -> Tuple[Dict[str, np.ndarray], Dict[str, str], list]:
    """Tensors (name -> array, in file order), the ``__metadata__`` strings, and the names in data order.

    ``verify`` checks ``__metadata__.sha256`` against the data section when the file carries one."""
    where = os.fspath(path)
    if not os.path.isfile(where):
        raise FileNotFoundError(f"{where}: no such file")
    with open(where, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise SafetensorsError(f"{where}: file too short ({len(raw)} bytes)")
    (hlen,) = struct.unpack("<Q", raw[:8])
    if hlen <= 0 or 8 + hlen > len(raw):
        raise SafetensorsError(f"{where}: header length {hlen} exceeds file size {len(raw)}")
    try:
        header = json.loads(raw[8 : 8 + hlen].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"{where}: header is not valid JSON ({e})") from None
    body = memoryview(raw)[8 + hlen :]
    metadata = header.pop("__metadata__", None) or {}
    if verify and "sha256" in metadata:
        digest = hashlib.sha256(body).hexdigest()
        if digest != metadata["sha256"]:
            raise SafetensorsError(f"{where}: checksum mismatch (corrupt or truncated file)")
    tensors: Dict[str, np.ndarray] = {}
    for name, info in header.items():
        dtype = _DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise SafetensorsError(f"{where}: tensor '{name}' has unsupported dtype {info.get('dtype')}")
        begin, end = info["data_offsets"]
        shape = tuple(int(s) for s in info["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        if end > len(body) or end - begin != count * np.dtype(dtype).itemsize:
            raise SafetensorsError(f"{where}: tensor '{name}' offsets [{begin}, {end}] do not fit shape {list(shape)}")
        tensors[name] = np.frombuffer(body[begin:end], dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype).reshape(shape)
    order = sorted(header, key=lambda n: header[n]["data_offsets"][0])
    return tensors, dict(metadata), order
