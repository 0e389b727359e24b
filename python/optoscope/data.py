"""The output of ``opto data export`` (README "Python"): the feature table and the fixed eval sets.

Sequences are int32 arrays with one row per sequence: the tokens in order, then the target, in the run's
task format (the manifest's ``sequences.columns``):

- the paper's task: [n, 6] x1 l1 x2 l2 xq target;
- k shots and bursty contexts (k pairs): [n, 2k + 2] x1 l1 ... xk lk xq target;
- repeated tokens (n prefix + m repeated): [n, n + m + 1] p1 ... pn r1 ... rm target.

x* are rows of ``features.reshape(-1, dim)``, l* labels, p*/r* token ids (read through the label
embedding); the model predicts ``target`` at the last token.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import numpy as np

from ._files import read_json

DATA_FORMAT = "optoscope-data/1"
COLUMNS = ("x1", "l1", "x2", "l2", "xq", "target")


def few_shot_columns(k: int) -> Tuple[str, ...]:
    """x1 l1 ... xk lk xq target (k = 2 is the paper's ``COLUMNS``)."""
    return tuple(c for i in range(1, k + 1) for c in (f"x{i}", f"l{i}")) + ("xq", "target")


def repeat_columns(prefix: int, repeat: int) -> Tuple[str, ...]:
    """p1 ... pn r1 ... rm target of the repeated-token task."""
    return tuple(f"p{i}" for i in range(1, prefix + 1)) + tuple(f"r{i}" for i in range(1, repeat + 1)) + ("target",)


@dataclass(frozen=True)
class Sequences:
    """Sequences [..., W] with named views of their columns (``columns``, default the paper's 6). A column's
    name says what it holds: x* a feature-table row, l* a context label, p*/r* a token id, then target."""

    name: str
    array: np.ndarray
    columns: Tuple[str, ...] = COLUMNS

    def __post_init__(self):
        object.__setattr__(self, "columns", tuple(self.columns))
        if self.columns[-1:] != ("target",) or any(c[:1] not in "xlpr" for c in self.columns[:-1]):
            raise ValueError(f"{self.name}: columns {' '.join(self.columns)}: expected token columns x*, l*, p* or r*, then target")
        if self.array.ndim < 2 or self.array.shape[-1] != len(self.columns):
            raise ValueError(f"{self.name}: shape {self.array.shape}, expected (..., {len(self.columns)}) with columns {' '.join(self.columns)}")

    def _cols(self, kinds: str) -> list:
        return [i for i, c in enumerate(self.columns[:-1]) if c[0] in kinds]

    @property
    def seq_len(self) -> int:
        """Tokens per sequence (the last one is the query, the only position scored)."""
        return len(self.columns) - 1

    @property
    def x_columns(self) -> list:
        """Column indices (= token positions) of feature-table rows."""
        return self._cols("x")

    @property
    def x(self) -> np.ndarray:
        """Feature-table rows of x1 ... xq: [..., k + 1] (empty for repeated tokens)."""
        return self.array[..., self.x_columns]

    @property
    def labels(self) -> np.ndarray:
        """Context labels l1 ... lk: [..., k] (repeated tokens: the token ids before the query)."""
        return self.array[..., self._cols("l") or self._cols("pr")[:-1]]

    @property
    def tokens(self) -> np.ndarray:
        """The model's input, every column but the target: [..., seq_len]."""
        return self.array[..., :-1]

    @property
    def targets(self) -> np.ndarray:
        return self.array[..., -1]

    def __len__(self) -> int:
        return self.array.shape[0]


class DataExport:
    """``manifest`` (dict), ``features`` float32 [nClasses, nExemplars, dim], ``feature_rows`` [rows, dim],
    ``eval_sets`` (name -> Sequences), ``train`` (Sequences [steps, batch, W], or None), ``columns``."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        mf = os.path.join(self.path, "manifest.json")
        self.manifest = read_json(mf, f"{self.path}: no manifest.json (write one with `opto data export --out {self.path}`)")
        if self.manifest.get("format") != DATA_FORMAT:
            raise ValueError(f"{mf}: format {self.manifest.get('format')!r}, expected {DATA_FORMAT!r}")
        self.features = self._load(self.manifest["features"]["file"])
        cols = tuple(self.manifest["sequences"]["columns"])
        self.eval_sets: Dict[str, Sequences] = {s["name"]: Sequences(s["name"], self._load(s["file"]), cols) for s in self.manifest["eval_sets"]}
        t = self.manifest.get("train")
        self.train: Optional[Sequences] = Sequences("train", self._load(t["file"]), cols) if t else None

    def _load(self, rel: str) -> np.ndarray:
        return np.load(os.path.join(self.path, rel), allow_pickle=False)

    @property
    def feature_rows(self) -> np.ndarray:
        return self.features.reshape(-1, self.features.shape[-1])

    @property
    def config(self) -> dict:
        """The run config the data was exported for."""
        return self.manifest["config"]

    @property
    def model_config(self) -> dict:
        return self.manifest["model"]

    @property
    def columns(self) -> Tuple[str, ...]:
        """The sequence columns of the run's task (``Sequences.columns``)."""
        return tuple(self.manifest["sequences"]["columns"])

    def __repr__(self) -> str:
        return f"DataExport({self.path!r}, features={self.features.shape}, eval_sets={list(self.eval_sets)})"


def load_data(path: str | os.PathLike) -> DataExport:
    """Open an ``opto data export`` directory."""
    return DataExport(path)
