"""A short Optoscope run made by the real CLI (apps/cli/dist/main.js, built by `npm run build`), its
exported data and its recorded site activations: what the parity tests compare PyTorch against.

Made once per process in a temp directory, unless OPTOSCOPE_TEST_FIXTURE names a directory that already
holds one (run/, data/, sites.safetensors)."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(REPO, "apps", "cli", "dist", "main.js")

# 10 steps of 32 with a checkpoint after every step (so consecutive checkpoints are one Adam step apart)
# and eval points at 0, 160 and 320 sequences (each also a checkpoint).
CONFIG = {"schedule": {"seqs": 320, "evalEvery": 160, "ckptEvery": 32, "evalSize": 200}, "backend": "wasm"}
STEPS = 10


def _opto(*args: str, cwd: str) -> str:
    node = os.environ.get("OPTOSCOPE_NODE", "node")
    r = subprocess.run([node, CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"opto {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()[-2000:]}")
    return r.stdout


# A model variant beyond the paper's (3 layers, GELU MLPs, learned positions, 4 heads of 12): the same run.
VARIANT = {"nLayers": 3, "mlp": {"ratio": 2}, "positions": "learned", "nHeads": 4, "headDim": 12}


@lru_cache(maxsize=None)
def fixture(variant: bool = False) -> dict:
    """Paths: run, data, sites (a safetensors of every site over the data's fsl_train set at the final checkpoint).
    ``variant``: the same for a run of the VARIANT model (in its own subdirectory)."""
    root = os.environ.get("OPTOSCOPE_TEST_FIXTURE")
    if not root:
        if not os.path.isfile(CLI):
            raise RuntimeError(f"{CLI} not found: build the CLI first (npm run build)")
        root = tempfile.mkdtemp(prefix="optoscope-py-")
        atexit.register(shutil.rmtree, root, True)
    if variant:
        root = os.path.join(root, "variant")
    os.makedirs(root, exist_ok=True)
    paths = {"run": os.path.join(root, "run"), "data": os.path.join(root, "data"), "sites": os.path.join(root, "sites.safetensors")}
    if not os.path.isfile(paths["sites"]):
        with open(os.path.join(root, "config.json"), "w", encoding="utf-8") as f:
            json.dump({**CONFIG, "model": VARIANT} if variant else CONFIG, f)
        _opto("train", "config.json", "--out", "run", "--no-progress", "--json", cwd=root)
        _opto("data", "export", "--run", "run", "--out", "data", "--train-batches", str(STEPS), cwd=root)
        _opto("eval", "run", "--sequences", os.path.join("data", "eval", "fsl_train.npy"), "--record", "sites.safetensors", cwd=root)
    return paths


# Runs of the tasks beyond the paper's (issue 23), small models: k shots in a 3-layer MLP model, bursty
# contexts with learned positions, repeated tokens with RoPE.
TASKS = {
    "kshot": {"task": {"kind": "fewShot", "shots": 3, "numLabels": 5}, "model": {"dModel": 32, "nHeads": 4, "nLayers": 3, "mlp": {"ratio": 2}}},
    "bursty": {
        "task": {"kind": "bursty", "numLabels": 5, "bursty": {"contextPairs": 4, "burstiness": 2, "trainClasses": 40, "commonClasses": 4, "holdoutClasses": 10}},
        "model": {"dModel": 32, "nHeads": 4, "positions": "learned"},
    },
    "repeat": {"task": {"kind": "repeatTokens", "numLabels": 12, "repeat": {"prefixLength": 6, "repeatLength": 2}}, "model": {"dModel": 32, "nHeads": 4}},
}
TASK_SCHEDULE = {"seqs": 256, "evalEvery": 128, "ckptEvery": 128, "evalSize": 100}


@lru_cache(maxsize=None)
def task_fixture(name: str) -> dict:
    """Paths run, data, sites for a run of ``TASKS[name]``: exported with two training batches, and every
    site recorded over its first eval set at the final checkpoint."""
    root = os.environ.get("OPTOSCOPE_TEST_FIXTURE")
    if not root:
        root = tempfile.mkdtemp(prefix="optoscope-py-")
        atexit.register(shutil.rmtree, root, True)
    root = os.path.join(root, f"task-{name}")
    os.makedirs(root, exist_ok=True)
    paths = {"run": os.path.join(root, "run"), "data": os.path.join(root, "data"), "sites": os.path.join(root, "sites.safetensors")}
    if not os.path.isfile(paths["sites"]):
        with open(os.path.join(root, "config.json"), "w", encoding="utf-8") as f:
            json.dump({**TASKS[name], "schedule": TASK_SCHEDULE, "backend": "wasm"}, f)
        _opto("train", "config.json", "--out", "run", "--no-progress", "--json", cwd=root)
        _opto("data", "export", "--run", "run", "--out", "data", "--train-batches", "2", cwd=root)
        with open(os.path.join(paths["data"], "manifest.json"), encoding="utf-8") as f:
            first = json.load(f)["eval_sets"][0]["file"]
        _opto("eval", "run", "--sequences", os.path.join("data", first), "--record", "sites.safetensors", cwd=root)
    return paths
