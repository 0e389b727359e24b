"""optoscope's safetensors reader against files built here byte by byte (struct + hashlib), not by the engine."""

import hashlib
import json
import os
import struct
import tempfile
import unittest

import numpy as np

import optoscope
from optoscope.run import param_shapes


def write(path, tensors, metadata=None, checksum=True):
    header, body, off = {}, b"", 0
    for name, a in tensors.items():
        raw = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
        body += raw
        off += len(raw)
    meta = dict(metadata or {})
    if checksum:
        meta["sha256"] = hashlib.sha256(body).hexdigest()
    header["__metadata__"] = meta
    head = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + body)


class Safetensors(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "t.safetensors")
        rng = np.random.default_rng(0)
        self.tensors = {"a": rng.standard_normal((3, 4)).astype(np.float32), "b": rng.standard_normal(5).astype(np.float32)}

    def tearDown(self):
        self.dir.cleanup()

    def test_reads_tensors_and_metadata(self):
        write(self.path, self.tensors, {"seqs": "7"})
        got, meta, order = optoscope.read_safetensors(self.path)
        self.assertEqual(order, ["a", "b"])
        self.assertEqual(meta["seqs"], "7")
        for k, v in self.tensors.items():
            np.testing.assert_array_equal(got[k], v)

    def test_corrupt_data_fails_the_checksum(self):
        write(self.path, self.tensors)
        with open(self.path, "r+b") as f:
            f.seek(-3, os.SEEK_END)
            f.write(b"\x00\x01\x02")
        with self.assertRaisesRegex(optoscope.SafetensorsError, "checksum mismatch"):
            optoscope.read_safetensors(self.path)

    def test_truncated_file_is_rejected(self):
        write(self.path, self.tensors, checksum=False)
        with open(self.path, "r+b") as f:
            f.truncate(os.path.getsize(self.path) - 4)
        with self.assertRaisesRegex(optoscope.SafetensorsError, "'b' offsets"):
            optoscope.read_safetensors(self.path)

    def test_checkpoint_with_a_missing_tensor_names_it(self):
        cfg = {"dModel": 8, "nHeads": 2, "nLayers": 1, "featureDim": 4, "numLabels": 3, "ropeBase": 10000, "lnEps": 1e-5}
        shapes = param_shapes(cfg)
        tensors = {n: np.zeros(s, np.float32) for n, s in shapes.items() if n != "unembed.bias"}
        write(self.path, tensors, {"model": json.dumps(cfg)})
        with self.assertRaisesRegex(ValueError, "missing tensor 'unembed.bias'"):
            optoscope.load_checkpoint(self.path)


if __name__ == "__main__":
    unittest.main()
