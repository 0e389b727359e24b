#!/usr/bin/env python3
"""Peer benchmark: one training step of the paper's model (spec sections 2 and 3.1) in PyTorch eager, CPU.

2-layer attention-only pre-LN transformer classifier: d_model 64, 8 heads of dim 8, interleaved-pair RoPE
on q and k, causal softmax, final LayerNorm, unembedding to L = 5 labels; cross-entropy on the query token
(position 4), batch 32, Adam(lr 1e-5, betas (0.9, 0.999), eps 1e-8). Single thread (torch.set_num_threads(1)).

Data: synthetic stand-in for the Omniglot features (timing only): 50 classes with one exemplar each,
features |N(0,1)|; every step a fresh batch (query class, a distinct distractor, random order, a random
distinct label pair). The batch is sampled with torch ops OUTSIDE the timed region; the timed region is
zero_grad + forward + backward + optimizer.step + loss.item() (the .item() forces completion, which eager
CPU has anyway).

Prints exactly one JSON line on stdout:
  {"name": "pytorch-eager", "ms_per_step": <median ms>, "ms_per_step_mean": ..., "torch": "<version>",
   "threads": 1, "loss_first": ..., "loss_last": ..., "steps": N, "warmup": N}

Usage: torch_step.py --steps 200 --warmup 20
"""

import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

D_MODEL = 64
N_HEADS = 8
HEAD_DIM = D_MODEL // N_HEADS
SEQ_LEN = 5
FEATURE_DIM = 512
TRUNC_STD = 0.8796256610342398  # std of N(0,1) truncated to [-2, 2]


def lecun_normal_(w: torch.Tensor) -> torch.Tensor:
    """Truncated normal on [-2 sigma, 2 sigma] rescaled to std sigma = 1/sqrt(fan_in) (nn.Linear: fan_in = dim 1)."""
    std = 1.0 / math.sqrt(w.shape[1]) / TRUNC_STD
    return nn.init.trunc_normal_(w, mean=0.0, std=std, a=-2 * std, b=2 * std)


class RoPE(nn.Module):
    """Interleaved-pair rotary embedding: (v_2i, v_2i+1) rotated by t * 10000^(-2i/d)."""

    def __init__(self, head_dim: int, seq_len: int, base: float = 10000.0):
        super().__init__()
        theta = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)  # [d/2]
        angles = torch.arange(seq_len, dtype=torch.float32)[:, None] * theta[None, :]  # [T, d/2]
        self.register_buffer("cos", angles.cos(), persistent=False)
        self.register_buffer("sin", angles.sin(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [B, H, T, d]
        x0, x1 = x[..., 0::2], x[..., 1::2]
        cos, sin = self.cos, self.sin
        out = torch.stack((x0 * cos - x1 * sin, x1 * cos + x0 * sin), dim=-1)
        return out.flatten(-2)


class AttentionBlock(nn.Module):
    """Pre-LN attention-only block: h + W_O(concat_h softmax(causal(q k^T / sqrt(d))) v)."""

    def __init__(self, rope: RoPE):
        super().__init__()
        self.ln = nn.LayerNorm(D_MODEL, eps=1e-5)
        self.qkv = nn.Linear(D_MODEL, 3 * D_MODEL, bias=False)
        self.out = nn.Linear(D_MODEL, D_MODEL, bias=False)
        self.rope = rope
        lecun_normal_(self.qkv.weight)
        lecun_normal_(self.out.weight)
        mask = torch.triu(torch.ones(SEQ_LEN, SEQ_LEN, dtype=torch.bool), diagonal=1)
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        B, T, _ = h.shape
        z = F.layer_norm(h, (D_MODEL,), self.ln.weight, self.ln.bias, self.ln.eps)
        q, k, v = self.qkv(z).split(D_MODEL, dim=-1)
        q = self.rope(q.view(B, T, N_HEADS, HEAD_DIM).transpose(1, 2))
        k = self.rope(k.view(B, T, N_HEADS, HEAD_DIM).transpose(1, 2))
        v = v.view(B, T, N_HEADS, HEAD_DIM).transpose(1, 2)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(HEAD_DIM)
        scores = scores.masked_fill(self.mask[:T, :T], -1e20)
        attn = scores.softmax(dim=-1)
        o = (attn @ v).transpose(1, 2).reshape(B, T, D_MODEL)
        return h + self.out(o)


class SequenceClassifier(nn.Module):
    def __init__(self, num_labels: int = 5, depth: int = 2):
        super().__init__()
        self.embed = nn.Linear(FEATURE_DIM, D_MODEL)  # W_e, b_e
        self.label_embed = nn.Embedding(num_labels, D_MODEL)  # W_l (no bias)
        rope = RoPE(HEAD_DIM, SEQ_LEN)
        self.blocks = nn.ModuleList(AttentionBlock(rope) for _ in range(depth))
        self.ln_f = nn.LayerNorm(D_MODEL, eps=1e-5)
        self.unembed = nn.Linear(D_MODEL, num_labels)  # W_U, b_U
        lecun_normal_(self.embed.weight)
        nn.init.zeros_(self.embed.bias)
        nn.init.trunc_normal_(self.label_embed.weight, mean=0.0, std=0.02, a=-0.04, b=0.04)
        lecun_normal_(self.unembed.weight)
        nn.init.zeros_(self.unembed.bias)

    def forward(self, x: torch.Tensor, labels: torch.Tensor, all_positions: bool = False) -> torch.Tensor:
        """x: [B, 3, 512] exemplars (2 context + query); labels: [B, 2] context labels."""
        e = self.embed(x)  # [B, 3, 64]
        u = self.label_embed(labels)  # [B, 2, 64]
        h = torch.stack((e[:, 0], u[:, 0], e[:, 1], u[:, 1], e[:, 2]), dim=1)  # [B, 5, 64]
        for block in self.blocks:
            h = block(h)
        if not all_positions:
            h = h[:, -1]  # LN_f and unembedding are row-wise; the loss only needs the query row
        return self.unembed(self.ln_f(h))


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
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    task = SyntheticTask(seed=0)
    model = SequenceClassifier(num_labels=5)
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
    for i in range(args.steps):
        batch = task.sample(args.batch)
        t0 = time.perf_counter()
        loss = step(*batch)
        times.append((time.perf_counter() - t0) * 1e3)
        if i == 0 and args.warmup == 0:
            loss_first = loss
        loss_last = loss

    out = {
        "name": "pytorch-eager",
        "ms_per_step": statistics.median(times) if times else None,
        "ms_per_step_mean": statistics.fmean(times) if times else None,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "loss_first": loss_first,
        "loss_last": loss_last,
        "steps": args.steps,
        "warmup": args.warmup,
        "params": sum(p.numel() for p in model.parameters()),
    }
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
