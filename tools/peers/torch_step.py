#!/usr/bin/env python3
"""Peer benchmark: one training step of the paper's model (spec sections 2 and 3.1) in PyTorch eager, CPU.

2-layer attention-only pre-LN transformer classifier: d_model 64, 8 heads of dim 8, interleaved-pair RoPE
on q and k, causal softmax, final LayerNorm, unembedding to L = 5 labels; cross-entropy on the query token
(position 4), batch 32, Adam(lr 1e-5, betas (0.9, 0.999), eps 1e-8). Single thread: torch.set_num_threads(1) and
one OpenBLAS/OpenMP thread (see below).

Data: synthetic stand-in for the Omniglot features (timing only): 50 classes with one exemplar each,
features |N(0,1)|; every step a fresh batch (query class, a distinct distractor, random order, a random
distinct label pair). The batch is sampled with torch ops OUTSIDE the timed region; the timed region is
zero_grad + forward + backward + optimizer.step + loss.item() (the .item() forces completion, which eager
CPU has anyway).

Prints exactly one JSON line on stdout:
  {"name": "pytorch-eager", "ms_per_step": <median ms>, "ms_per_step_mean": ..., "cpu_ms_per_step": <median process CPU ms>, "torch": "<version>",
   "threads": 1, "loss_first": ..., "loss_last": ..., "steps": N, "warmup": N}

Model variants (`opto bench --model`): --model '<json>' takes the engine's ModelConfig keys (nLayers, dModel,
nHeads, headDim, positions, ctx, mlpHidden; python/optoscope/torch.py builds the same module), e.g.
  torch_step.py --model '{"nLayers": 4, "dModel": 128, "mlpHidden": 512}'

Usage: torch_step.py --steps 200 --warmup 20 [--model '<json>']
"""

import argparse
import json
import os
import statistics
import sys
import time
from typing import Optional

# One thread for real: torch.set_num_threads(1) bounds only PyTorch's own OpenMP pool. Debian's torch does its
# matrix products in OpenBLAS (openblas-pthread), which starts a pool of its own, one thread per core, read
# from these variables when the library loads, so they must be set before `import torch`. Without them the
# peer used two cores (process CPU time about twice its wall time) while the engine uses one.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

# The model is the repository's own PyTorch module (python/optoscope/torch.py), the one tested against the
# engine's checkpoints, eval losses, Adam steps and site activations.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from optoscope.torch import Model  # noqa: E402

FEATURE_DIM = 512


class SequenceClassifier(Model):
    """The paper's model on exemplar features: x [B, 3, 512] (2 context + query), labels [B, 2] context labels."""

    def __init__(self, num_labels: int = 5, depth: int = 2, variant: Optional[dict] = None):
        super().__init__({"numLabels": num_labels, "nLayers": depth, **(variant or {}), "featureDim": FEATURE_DIM})

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return self.forward_tokens(self.embed_exemplars(x, labels))


class SyntheticTask:
    def __init__(self, num_classes: int = 50, num_labels: int = 5, seed: int = 0):
        self.gen = torch.Generator().manual_seed(seed)
        self.num_classes = num_classes
        self.num_labels = num_labels
        self.features = torch.randn(num_classes, FEATURE_DIM, generator=self.gen).abs()

    def sample(self, batch: int):
        g = self.gen
        q = torch.randint(self.num_classes, (batch,), generator=g)
        d = torch.randint(self.num_classes - 1, (batch,), generator=g)
        d = d + (d >= q).long()
        la = torch.randint(self.num_labels, (batch,), generator=g)
        lb = torch.randint(self.num_labels - 1, (batch,), generator=g)
        lb = lb + (lb >= la).long()
        query_first = torch.rand(batch, generator=g) < 0.5
        ctx = torch.where(query_first[:, None], torch.stack((q, d), 1), torch.stack((d, q), 1))
        labels = torch.where(query_first[:, None], torch.stack((la, lb), 1), torch.stack((lb, la), 1))
        x = self.features[torch.cat((ctx, q[:, None]), dim=1)]  # [B, 3, 512]
        return x, labels, la


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--model", type=json.loads, default=None, help="ModelConfig keys of a variant, as JSON")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    task = SyntheticTask(seed=0)
    model = SequenceClassifier(num_labels=5, variant=args.model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-5, betas=(0.9, 0.999), eps=1e-8)

    def step(x, labels, targets) -> float:
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x, labels), targets)
        loss.backward()
        opt.step()
        return loss.item()

    loss_first = float("nan")
    loss_last = float("nan")
    for i in range(args.warmup):
        loss = step(*task.sample(args.batch))
        if i == 0:
            loss_first = loss
    times = []
    cpu = []
    for i in range(args.steps):
        batch = task.sample(args.batch)
        c0 = time.process_time()
        t0 = time.perf_counter()
        loss = step(*batch)
        times.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
        if i == 0 and args.warmup == 0:
            loss_first = loss
        loss_last = loss

    out = {
        "name": "pytorch-eager",
        "ms_per_step": statistics.median(times) if times else None,
        "ms_per_step_mean": statistics.fmean(times) if times else None,
        "cpu_ms_per_step": statistics.median(cpu) if cpu else None,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        # every OS thread of the process after the timed steps (Linux), OpenBLAS's pool included
        "os_threads": len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else None,
        "loss_first": loss_first,
        "loss_last": loss_last,
        "steps": args.steps,
        "warmup": args.warmup,
        "params": sum(p.numel() for p in model.parameters()),
        "model": model.config,
    }
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
