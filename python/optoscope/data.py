"""The output of ``opto data export`` (README "Python"): the feature table and the fixed eval sets.

Sequences are int32 [n, 6] arrays with columns x1, l1, x2, l2, xq, target: the model reads the tokens
[x1, l1, x2, l2, xq] (x* are rows of ``features.reshape(-1, dim)``, l* labels) and predicts ``target``
at the query position.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, Optional

import numpy as np

from ._files import read_json

DATA_FORMAT = "optoscope-data/1"
COLUMNS = ("x1", "l1", "x2", "l2", "xq", "target")


@dataclass(frozen=True)
class Sequences:
    """[n, 6] sequences with named views of their columns."""

    name: str
    array: np.ndarray

    def __post_init__(self):
        if self.array.ndim < 2 or self.array.shape[-1] != len(COLUMNS):
            raise ValueError(f"{self.name}: shape {self.array.shape}, expected (..., 6) with columns {' '.join(COLUMNS)}")

    @property
    def x(self) -> np.ndarray:
        """Feature-table rows of x1, x2, xq: [..., 3]."""
        return self.array[..., [0, 2, 4]]

    @property
    def labels(self) -> np.ndarray:
        """Context labels l1, l2: [..., 2]."""
        return self.array[..., [1, 3]]

    @property
    def targets(self) -> np.ndarray:
        return self.array[..., 5]

    def __len__(self) -> int:
        return self.array.shape[0]


class DataExport:
    """``manifest`` (dict), ``features`` float32 [nClasses, nExemplars, dim], ``feature_rows`` [rows, dim],
    ``eval_sets`` (name -> Sequences), ``train`` (Sequences [steps, batch, 6], or None)."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        mf = os.path.join(self.path, "manifest.json")
        self.manifest = read_json(mf, f"{self.path}: no manifest.json (write one with `opto data export --out {self.path}`)")
        if self.manifest.get("format") != DATA_FORMAT:
            raise ValueError(f"{mf}: format {self.manifest.get('format')!r}, expected {DATA_FORMAT!r}")
        self.features = self._load(self.manifest["features"]["file"])
        self.eval_sets: Dict[str, Sequences] = {s["name"]: Sequences(s["name"], self._load(s["file"])) for s in self.manifest["eval_sets"]}
        t = self.manifest.get("train")
        self.train: Optional[Sequences] = Sequences("train", self._load(t["file"])) if t else None

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

    def __repr__(self) -> str:
        return f"DataExport({self.path!r}, features={self.features.shape}, eval_sets={list(self.eval_sets)})"


def load_data(path: str | os.PathLike) -> DataExport:
    """Open an ``opto data export`` directory."""
    return DataExport(path)
