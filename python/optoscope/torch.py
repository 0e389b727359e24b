"""The Optoscope model as a plain PyTorch module (spec 2; packages/engine/src/model.ts).

    model = Model.from_checkpoint("runs/x/checkpoints/seqs-0000020000.safetensors")
    logits = model(data.feature_rows, data.eval_sets["fsl_train"])        # [n, L] query logits
    logits, sites = model.run_with_sites(features, sequences)             # every activation by site name

The module's ``state_dict()`` keys are exactly the checkpoint's tensor names (README "Checkpoint tensors"),
and ``run_with_sites`` returns the engine's site names (packages/engine/src/sites.ts) with the shapes
``opto eval --record`` writes: [B, T, width] per token, [B, H, T, T] for attn.scores/attn.pattern.
``add_site_hook(site, fn)`` replaces an activation (``fn(value) -> value``), for interventions in torch.

Every task of the engine runs: the sequences' columns (``Sequences.columns``, from the export's manifest)
say which token reads the exemplar embedding (x*: a feature-table row) and which the label embedding (l*
labels, p*/r* repeated-token ids); the query is the last token. A bare array is read as the few-shot
layout x1 l1 ... xk lk xq [target].
"""

from __future__ import annotations

import math
import os
from typing import Callable, Dict, Mapping, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .run import MODEL_DEFAULTS, Checkpoint, State, load_checkpoint

SEQ_LEN = 5  # the paper's task; other tasks take their length from the sequences
QUERY_POS = -1  # the last token is the query on every task
MASKED = -1e20  # the engine's value for masked scores (so recorded scores compare exactly)
TRUNC_STD = 0.8796256610342398  # std of N(0,1) truncated to [-2, 2]


def lecun_normal_(w: torch.Tensor) -> torch.Tensor:
    """Truncated normal on [-2 sigma, 2 sigma] rescaled to std sigma = 1/sqrt(fan_in) (spec 2.4; fan_in = dim 1)."""
    std = 1.0 / math.sqrt(w.shape[1]) / TRUNC_STD
    return nn.init.trunc_normal_(w, mean=0.0, std=std, a=-2 * std, b=2 * std)


class _Embed(nn.Module):
    def __init__(self, feature_dim: int, d: int, num_labels: int, ctx: int = 0):
        super().__init__()
        self.exemplar = nn.Linear(feature_dim, d)  # embed.exemplar.weight [d, featureDim], .bias [d]
        self.label = nn.Embedding(num_labels, d)  # embed.label.weight [L, d]: a row per label
        if ctx:
            self.pos = nn.Embedding(ctx, d)  # embed.pos.weight [ctx, d]: learned absolute positions


class _Attention(nn.Module):
    def __init__(self, d: int, a: int):
        super().__init__()
        self.qkv = nn.Linear(d, 3 * a, bias=False)  # rows [0,a) W_q, [a,2a) W_k, [2a,3a) W_v (a = nHeads * headDim)
        self.out = nn.Linear(a, d, bias=False)


class _MLP(nn.Module):
    def __init__(self, d: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(d, hidden)
        self.fc2 = nn.Linear(hidden, d)


class _Block(nn.Module):
    def __init__(self, d: int, a: int, hidden: int, eps: float):
        super().__init__()
        self.ln1 = nn.LayerNorm(d, eps=eps)
        self.attn = _Attention(d, a)
        if hidden:
            self.ln2 = nn.LayerNorm(d, eps=eps)
            self.mlp = _MLP(d, hidden)


SiteHook = Callable[[torch.Tensor], torch.Tensor]


class Model(nn.Module):
    """2-layer (``nLayers``) attention-only pre-LN transformer with interleaved-pair RoPE over a task's
    sequence (the paper's [x1, l1, x2, l2, xq], k shots, bursty contexts, repeated tokens); logits at the
    query, the last position. ``config`` uses the engine's ModelConfig
    keys (dModel, nHeads, nLayers, featureDim, numLabels, ropeBase, lnEps; for variants headDim, positions
    'rope' | 'learned' | 'none' with ctx, and mlpHidden: a pre-LN GELU(tanh) MLP after each attention block)."""

    def __init__(self, config: Optional[Mapping] = None):
        super().__init__()
        cfg = {**MODEL_DEFAULTS, **(config or {})}
        self.config = cfg
        d, H = int(cfg["dModel"]), int(cfg["nHeads"])
        self.positions = cfg.get("positions") or "rope"
        rope = self.positions == "rope"
        D = int(cfg.get("headDim") or 0) or (d // H if d % H == 0 else 0)
        if not D or (rope and D % 2):
            raise ValueError(f"dModel {d} / nHeads {H} must be an even integer head size")
        self.d, self.H, self.D, self.a = d, H, D, H * D
        eps = float(cfg["lnEps"])
        hidden = int(cfg.get("mlpHidden") or 0)
        self.embed = _Embed(int(cfg["featureDim"]), d, int(cfg["numLabels"]), int(cfg["ctx"]) if self.positions == "learned" else 0)
        self.blocks = nn.ModuleList(_Block(d, self.a, hidden, eps) for _ in range(int(cfg["nLayers"])))
        self.ln_final = nn.LayerNorm(d, eps=eps)
        self.unembed = nn.Linear(d, int(cfg["numLabels"]))
        self._rope_tables: Dict[int, Tuple[torch.Tensor, torch.Tensor]] = {}
        self._hooks: Dict[str, SiteHook] = {}
        self._record: Optional[Dict[str, torch.Tensor]] = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Spec 2.4 initialisation (torch's RNG, so not the engine's draws): lecun_normal weights, the label
        embedding 0.02 x truncated normal, LayerNorm gains 1, biases 0."""
        with torch.no_grad():
            lecun_normal_(self.embed.exemplar.weight)
            nn.init.zeros_(self.embed.exemplar.bias)
            nn.init.trunc_normal_(self.embed.label.weight, mean=0.0, std=0.02, a=-0.04, b=0.04)
            if hasattr(self.embed, "pos"):
                nn.init.trunc_normal_(self.embed.pos.weight, mean=0.0, std=0.02, a=-0.04, b=0.04)
            for b in self.blocks:
                nn.init.ones_(b.ln1.weight)
                nn.init.zeros_(b.ln1.bias)
                lecun_normal_(b.attn.qkv.weight)
                lecun_normal_(b.attn.out.weight)
                if hasattr(b, "mlp"):
                    nn.init.ones_(b.ln2.weight)
                    nn.init.zeros_(b.ln2.bias)
                    for fc in (b.mlp.fc1, b.mlp.fc2):
                        lecun_normal_(fc.weight)
                        nn.init.zeros_(fc.bias)
            nn.init.ones_(self.ln_final.weight)
            nn.init.zeros_(self.ln_final.bias)
            lecun_normal_(self.unembed.weight)
            nn.init.zeros_(self.unembed.bias)

    @classmethod
    def from_checkpoint(cls, checkpoint: Union[str, os.PathLike, Checkpoint], dtype: torch.dtype = torch.float32) -> "Model":
        """A model holding a checkpoint's parameters (a path, or a loaded ``Checkpoint``/``State``)."""
        ck = checkpoint if isinstance(checkpoint, Checkpoint) else load_checkpoint(checkpoint)
        model = cls(ck.config)
        model.load_arrays(ck.tensors)
        return model.to(dtype)

    def load_arrays(self, tensors: Mapping[str, np.ndarray]) -> None:
        """Copy named arrays (checkpoint names) into the parameters; every name must be present."""
        own = self.state_dict()
        missing = [n for n in own if n not in tensors]
        if missing:
            raise KeyError(f"missing tensors: {', '.join(missing)}")
        self.load_state_dict({n: torch.as_tensor(np.asarray(tensors[n])).to(own[n].dtype) for n in own})

    # --- sites -----------------------------------------------------------------------------------------
    def add_site_hook(self, site: str, fn: SiteHook) -> None:
        """Replace the activation at ``site`` by ``fn(activation)`` on every forward (shapes as recorded)."""
        self._hooks[site] = fn

    def clear_site_hooks(self) -> None:
        self._hooks.clear()

    def _site(self, name: str, value: torch.Tensor) -> torch.Tensor:
        hook = self._hooks.get(name)
        if hook is not None:
            value = hook(value)
        if self._record is not None:
            self._record[name] = value
        return value

    # --- forward ---------------------------------------------------------------------------------------
    def _rope_table(self, T: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """cos, sin [T, D/2], computed in float64 and rounded once to float32, as the engine does (ops.ropeTables)."""
        if T not in self._rope_tables:
            theta = float(self.config["ropeBase"]) ** (-2.0 * torch.arange(self.D // 2, dtype=torch.float64) / self.D)
            angles = torch.arange(T, dtype=torch.float64)[:, None] * theta[None, :]
            self._rope_tables[T] = (angles.cos().float(), angles.sin().float())
        return self._rope_tables[T]

    def _rope(self, x: torch.Tensor) -> torch.Tensor:
        """Interleaved pairs: per head, (x_2i, x_2i+1) at position p rotated by p * base^(-2i/D). x: [B, T, d]."""
        B, T, _ = x.shape
        xh = x.view(B, T, self.H, self.D // 2, 2)
        x0, x1 = xh[..., 0], xh[..., 1]
        cos, sin = self._rope_table(T)
        cos = cos[:, None, :].to(device=x.device, dtype=x.dtype)
        sin = sin[:, None, :].to(device=x.device, dtype=x.dtype)
        return torch.stack((x0 * cos - x1 * sin, x1 * cos + x0 * sin), dim=-1).view(B, T, self.a)

    def embed_tokens(self, features, sequences) -> torch.Tensor:
        """[B, T, d] token embeddings of sequences: a ``Sequences`` (its column names say which token is a
        feature row and which a label or token id), or a bare int array in the few-shot layout
        x1 l1 ... xk lk xq, with or without the target column (the paper's [B, 6] or [B, 5])."""
        feats = self._as_features(features)
        seq = torch.as_tensor(np.asarray(getattr(sequences, "array", sequences)), dtype=torch.long)
        columns = getattr(sequences, "columns", None)
        if columns is not None:
            is_x = [c[0] == "x" for c in columns[:-1]]
        else:
            T = seq.shape[1] - 1 if seq.shape[1] % 2 == 0 else seq.shape[1]
            is_x = [t % 2 == 0 for t in range(T)]
        xcols = [t for t, x in enumerate(is_x) if x]
        lcols = [t for t, x in enumerate(is_x) if not x]
        e = self.embed.exemplar(feats[seq[:, xcols]]) if xcols else None  # [B, nx, d]
        u = self.embed.label(seq[:, lcols])  # [B, nl, d]
        at = {t: (e, i) for i, t in enumerate(xcols)}
        at.update({t: (u, i) for i, t in enumerate(lcols)})
        return torch.stack([at[t][0][:, at[t][1]] for t in range(len(is_x))], dim=1)

    def embed_exemplars(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """[B, 5, d] from exemplar features x [B, 3, featureDim] (x1, x2, xq) and context labels [B, 2]."""
        e = self.embed.exemplar(x)
        u = self.embed.label(labels)
        return torch.stack((e[:, 0], u[:, 0], e[:, 1], u[:, 1], e[:, 2]), dim=1)

    def _as_features(self, features) -> torch.Tensor:
        f = torch.as_tensor(np.asarray(features)) if not isinstance(features, torch.Tensor) else features
        f = f.reshape(-1, f.shape[-1])
        return f.to(self.unembed.weight.dtype)

    def forward_tokens(self, h: torch.Tensor, all_positions: bool = False) -> torch.Tensor:
        """Logits from token embeddings h [B, T, d]: [B, L] at the query, or [B, T, L] with all_positions.
        Learned positions are added here, so the ``embed`` site holds token + position as in the engine."""
        if self.positions == "learned":
            h = h + self.embed.pos.weight[: h.shape[1]]
        h = self._site("embed", h)
        B, T, d = h.shape
        H, D, a = self.H, self.D, self.a
        rope = self._rope if self.positions == "rope" else (lambda x: x)
        for l, block in enumerate(self.blocks):
            p = f"blocks.{l}"
            z = self._site(f"{p}.ln1", block.ln1(h))
            Wq, Wk, Wv = block.attn.qkv.weight.split(a, dim=0)
            q = self._site(f"{p}.attn.q", F.linear(z, Wq))
            k = self._site(f"{p}.attn.k", F.linear(z, Wk))
            v = self._site(f"{p}.attn.v", F.linear(z, Wv))
            qr = self._site(f"{p}.attn.q_rot", rope(q))  # without RoPE the engine's q_rot/k_rot are q and k
            kr = self._site(f"{p}.attn.k_rot", rope(k))
            qh = qr.view(B, T, H, D).transpose(1, 2)
            kh = kr.view(B, T, H, D).transpose(1, 2)
            scores = (qh @ kh.transpose(-2, -1)) * (1.0 / math.sqrt(D))
            mask = torch.triu(torch.ones(T, T, dtype=torch.bool, device=h.device), diagonal=1)
            scores = self._site(f"{p}.attn.scores", scores.masked_fill(mask, MASKED))  # [B, H, T, T]
            pattern = self._site(f"{p}.attn.pattern", scores.softmax(dim=-1))
            heads = pattern @ v.view(B, T, H, D).transpose(1, 2)  # [B, H, T, D]
            heads = self._site(f"{p}.attn.head_out", heads.transpose(1, 2).reshape(B, T, a))
            out = self._site(f"{p}.attn.attn_out", block.attn.out(heads))
            if hasattr(block, "mlp"):
                mid = self._site(f"{p}.resid_mid", h + out)
                z = self._site(f"{p}.ln2", block.ln2(mid))
                u = self._site(f"{p}.mlp.pre", block.mlp.fc1(z))
                post = self._site(f"{p}.mlp.post", block.mlp.fc2(F.gelu(u, approximate="tanh")))
                h = self._site(f"{p}.resid_post", mid + post)
            else:
                h = self._site(f"{p}.resid_post", h + out)
        f = self._site("ln_final", self.ln_final(h))
        logits = self._site("logits", self.unembed(f))  # [B, T, L]
        return logits if all_positions else logits[:, QUERY_POS]

    def forward(self, features, sequences, all_positions: bool = False) -> torch.Tensor:
        """Query logits [B, L] of sequences (a ``Sequences`` of any task, or [B, 2k + 2] ints x1 l1 ... xq target)
        over the feature table ``features`` ([rows, featureDim] or [nClasses, nExemplars, featureDim])."""
        return self.forward_tokens(self.embed_tokens(features, sequences), all_positions)

    def run_with_sites(self, features, sequences) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """(query logits [B, L], {site: activation}) for every site of the engine, at every position."""
        self._record = {}
        try:
            logits = self.forward(features, sequences)
            return logits, self._record
        finally:
            self._record = None

    def loss(self, features, sequences) -> torch.Tensor:
        """Mean query cross-entropy against the target column (the training loss, spec 3.1)."""
        seq = torch.as_tensor(np.asarray(getattr(sequences, "array", sequences)), dtype=torch.long)
        return F.cross_entropy(self.forward(features, sequences), seq[:, -1])


def adam(model: Model, optim: Optional[Mapping] = None, state: Optional[State] = None) -> torch.optim.Adam:
    """torch Adam with a run's optimizer settings (``run.config["optim"]``: lr, beta1, beta2, eps; the
    engine's Adam is torch's with bias correction, eps outside the square root, no weight decay), optionally
    resumed from a ``State`` (moments and step count), so ``step()`` continues the engine's run."""
    o = {"lr": 1e-5, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, **(optim or {})}
    opt = torch.optim.Adam(model.parameters(), lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"])
    if state is not None:
        names = dict(model.named_parameters())
        for name, p in names.items():
            opt.state[p] = {
                "step": torch.tensor(float(state.t)),
                "exp_avg": torch.as_tensor(np.array(state.m[name])).to(p.dtype),
                "exp_avg_sq": torch.as_tensor(np.array(state.v[name])).to(p.dtype),
            }
    return opt
