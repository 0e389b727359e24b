"""Optoscope run directories and checkpoints as numpy (README "Run directory", "Checkpoint tensors").

    run = load_run("runs/smoke-...")   # config, metrics, checkpoints
    ckpt = run.checkpoint()            # the last one; or load_checkpoint(path)
    ckpt["blocks.0.attn.qkv.weight"]   # float32 [3*d, d]
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional

import numpy as np

from ._files import read_json
from .safetensors import read_safetensors

MODEL_DEFAULTS = {"dModel": 64, "nHeads": 8, "nLayers": 2, "featureDim": 512, "numLabels": 5, "ropeBase": 10000.0, "lnEps": 1e-5}


def _variant(config: Mapping):
    """(d, attention width nHeads*headDim, MLP hidden width or 0, learned-position rows or 0) of a model config,
    with the engine's ModelConfig keys (headDim, mlpHidden, positions, ctx: absent for the paper's model)."""
    d, H = int(config["dModel"]), int(config["nHeads"])
    head_dim = int(config.get("headDim") or d // H)
    ctx = int(config["ctx"]) if config.get("positions") == "learned" else 0
    return d, H * head_dim, int(config.get("mlpHidden") or 0), ctx


def param_shapes(config: Mapping) -> Dict[str, tuple]:
    """Checkpoint tensor names and shapes in the engine's parameter layout order (packages/engine/src/params.ts)."""
    d, f, L = int(config["dModel"]), int(config["featureDim"]), int(config["numLabels"])
    _, a, hidden, ctx = _variant(config)
    shapes = {"embed.exemplar.weight": (d, f), "embed.exemplar.bias": (d,), "embed.label.weight": (L, d)}
    if ctx:
        shapes["embed.pos.weight"] = (ctx, d)
    for l in range(int(config["nLayers"])):
        shapes.update({f"blocks.{l}.ln1.weight": (d,), f"blocks.{l}.ln1.bias": (d,), f"blocks.{l}.attn.qkv.weight": (3 * a, d), f"blocks.{l}.attn.out.weight": (d, a)})
        if hidden:
            shapes.update({
                f"blocks.{l}.ln2.weight": (d,), f"blocks.{l}.ln2.bias": (d,),
                f"blocks.{l}.mlp.fc1.weight": (hidden, d), f"blocks.{l}.mlp.fc1.bias": (hidden,),
                f"blocks.{l}.mlp.fc2.weight": (d, hidden), f"blocks.{l}.mlp.fc2.bias": (d,),
            })
    shapes.update({"ln_final.weight": (d,), "ln_final.bias": (d,), "unembed.weight": (L, d), "unembed.bias": (L,)})
    return shapes


def param_names(config: Mapping) -> List[str]:
    """Checkpoint tensor names in the engine's parameter layout order (packages/engine/src/params.ts)."""
    return list(param_shapes(config))


@dataclass
class Checkpoint(Mapping):
    """A parameter checkpoint: name -> float32 array, plus the model config and where it was taken.

    Behaves as a read-only dict of the parameter tensors."""

    path: str
    tensors: Dict[str, np.ndarray]
    config: Dict[str, float]
    metadata: Dict[str, str] = field(default_factory=dict)

    @property
    def seqs(self) -> Optional[int]:
        return int(self.metadata["seqs"]) if "seqs" in self.metadata else None

    @property
    def step(self) -> Optional[int]:
        return int(self.metadata["step"]) if "step" in self.metadata else None

    def __getitem__(self, name: str) -> np.ndarray:
        return self.tensors[name]

    def __iter__(self):
        return iter(self.tensors)

    def __len__(self) -> int:
        return len(self.tensors)


@dataclass
class State(Checkpoint):
    """A resume state: the parameters plus Adam's moments per parameter and its step count ``t``."""

    m: Dict[str, np.ndarray] = field(default_factory=dict)
    v: Dict[str, np.ndarray] = field(default_factory=dict)
    t: int = 0


def _model_config(path: str, metadata: Mapping[str, str], config: Optional[Mapping]) -> Dict[str, float]:
    if config is not None:
        return {**MODEL_DEFAULTS, **config}
    if "model" in metadata:
        return {**MODEL_DEFAULTS, **json.loads(metadata["model"])}
    # Checkpoints written before the model config rode along: take it from the run they sit in.
    run_json = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(path))), "run.json")
    if not os.path.isfile(run_json):
        run_json = os.path.join(os.path.dirname(os.path.abspath(path)), "run.json")
    if os.path.isfile(run_json):
        return Run(os.path.dirname(run_json)).model_config
    raise ValueError(f"{path}: no model config in its metadata and no run.json beside it; pass config=")


def _check_params(path: str, tensors: Mapping[str, np.ndarray], config: Mapping) -> None:
    for name, shape in param_shapes(config).items():
        if name not in tensors:
            raise ValueError(f"{path}: missing tensor '{name}'")
        if tuple(tensors[name].shape) != shape:
            raise ValueError(f"{path}: tensor '{name}' has shape {list(tensors[name].shape)}, expected {list(shape)}")


def load_checkpoint(path: str | os.PathLike, config: Optional[Mapping] = None) -> Checkpoint:
    """A parameter checkpoint (``checkpoints/seqs-*.safetensors``), checksum-verified, names and shapes checked."""
    path = os.fspath(path)
    tensors, metadata, _ = read_safetensors(path)
    cfg = _model_config(path, metadata, config)
    params = {n: tensors[n] for n in tensors if not n.startswith("optimizer.")}
    _check_params(path, params, cfg)
    return Checkpoint(path=path, tensors=params, config=cfg, metadata=metadata)


def load_state(path: str | os.PathLike, config: Optional[Mapping] = None) -> State:
    """A resume state (``state.safetensors`` / ``state.prev.safetensors``): parameters, Adam moments, step.

    The flat ``optimizer.m`` / ``optimizer.v`` blocks follow the parameter layout order (``param_names``)."""
    path = os.fspath(path)
    tensors, metadata, _ = read_safetensors(path)
    cfg = _model_config(path, metadata, config)
    params = {n: tensors[n] for n in param_names(cfg)}
    _check_params(path, tensors, cfg)
    meta = json.loads(metadata["optoscope"])
    m_flat, v_flat = tensors["optimizer.m"], tensors["optimizer.v"]
    total = sum(a.size for a in params.values())
    if m_flat.size != total or v_flat.size != total:
        raise ValueError(f"{path}: optimizer moments hold {m_flat.size} values, the parameters {total}")
    m, v, off = {}, {}, 0
    for name, a in params.items():
        m[name] = m_flat[off : off + a.size].reshape(a.shape)
        v[name] = v_flat[off : off + a.size].reshape(a.shape)
        off += a.size
    return State(path=path, tensors=params, config=cfg, metadata={**metadata, "seqs": str(meta["seqs"]), "step": str(meta["step"])}, m=m, v=v, t=int(meta["adamT"]))


class Run:
    """An Optoscope run directory: ``config`` (the run config), ``record`` (all of run.json), ``metrics``
    (metrics.jsonl rows as dicts; ``metrics_frame()`` as a pandas DataFrame), ``checkpoints`` (seqs -> path)."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        self.record = read_json(os.path.join(self.path, "run.json"), f"{self.path} is not a run directory (no run.json)")
        self.config = self.record["config"]

    @property
    def model_config(self) -> Dict[str, float]:
        """The model config the run trains (featureDim from its data, numLabels from its task)."""
        for seqs, p in reversed(list(self.checkpoints.items())):
            _, metadata, _ = read_safetensors(p, verify=False)
            if "model" in metadata:
                return {**MODEL_DEFAULTS, **json.loads(metadata["model"])}
        # Runs from before checkpoints carried it: the run config's model block, its task's label count, and
        # the feature width from the exemplar embedding's shape.
        cks = self.checkpoints
        if not cks:
            raise ValueError(f"{self.path}: no checkpoints, so no feature width to build the model config from")
        tensors, _, _ = read_safetensors(next(iter(cks.values())), verify=False)
        return {
            **MODEL_DEFAULTS,
            **self.config.get("model", {}),
            "numLabels": self.config["task"]["numLabels"],
            "featureDim": int(tensors["embed.exemplar.weight"].shape[1]),
        }

    @property
    def metrics(self) -> List[dict]:
        path = os.path.join(self.path, "metrics.jsonl")
        if not os.path.isfile(path):
            return []
        with open(path, encoding="utf-8") as f:
            text = f.read()
        lines = text.split("\n")
        if not text.endswith("\n"):
            lines.pop()  # a trailing partial line: a writer died mid-append
        return [json.loads(line) for line in lines if line.strip()]

    def metrics_frame(self):
        """The metric rows as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self.metrics)

    def eval_losses(self, seqs: int) -> Dict[str, float]:
        """Logged eval loss per eval set at ``seqs``."""
        return {r["set"]: r["loss"] for r in self.metrics if r["kind"] == "eval" and r["seqs"] == seqs}

    @property
    def checkpoints(self) -> Dict[int, str]:
        d = os.path.join(self.path, "checkpoints")
        found = {}
        for name in os.listdir(d) if os.path.isdir(d) else []:
            m = re.fullmatch(r"seqs-(\d+)\.safetensors", name)
            if m:
                found[int(m.group(1))] = os.path.join(d, name)
        return dict(sorted(found.items()))

    def checkpoint(self, seqs: Optional[int] = None) -> Checkpoint:
        """The checkpoint at ``seqs`` sequences (default the last)."""
        cks = self.checkpoints
        if not cks:
            raise ValueError(f"{self.path}: no checkpoints saved yet")
        if seqs is None:
            seqs = max(cks)
        if seqs not in cks:
            raise KeyError(f"{self.path}: no checkpoint at {seqs} sequences (available: {list(cks)[:5]}...)")
        return load_checkpoint(cks[seqs])

    def state(self, previous: bool = False) -> State:
        """The latest resume state, or the one before it (``previous=True``, state.prev.safetensors)."""
        return load_state(os.path.join(self.path, "state.prev.safetensors" if previous else "state.safetensors"))

    def __repr__(self) -> str:
        return f"Run({self.path!r}, status={self.record.get('status')!r}, checkpoints={len(self.checkpoints)})"


def load_run(path: str | os.PathLike) -> Run:
    """Open a run directory (see ``Run``)."""
    return Run(path)
