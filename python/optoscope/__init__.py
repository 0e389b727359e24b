"""Optoscope runs in Python: checkpoints and metrics as numpy/pandas (``load_run``, ``load_checkpoint``),
the exported data (``load_data``), the engine's eval metrics (``eval_metrics``), and the model as a plain
PyTorch module (``optoscope.torch.Model``, needs torch). README "Python" shows the use."""

from .data import COLUMNS, DataExport, Sequences, few_shot_columns, load_data, repeat_columns
from .metrics import eval_metrics
from .run import Checkpoint, Run, State, load_checkpoint, load_run, load_state, param_names, param_shapes
from .safetensors import SafetensorsError, read_safetensors

__all__ = [
    "COLUMNS",
    "Checkpoint",
    "DataExport",
    "Run",
    "SafetensorsError",
    "Sequences",
    "State",
    "eval_metrics",
    "few_shot_columns",
    "load_checkpoint",
    "load_data",
    "load_run",
    "load_state",
    "param_names",
    "param_shapes",
    "read_safetensors",
    "repeat_columns",
]
__version__ = "0.1.0"
