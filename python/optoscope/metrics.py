"""The engine's eval metrics (packages/engine/src/metrics.ts, spec 3.3) in numpy, from query logits."""

from __future__ import annotations

from typing import Dict

import numpy as np


def _restricted(z: np.ndarray, t: np.ndarray, allowed: np.ndarray):
    zz = np.where(allowed, z, -np.inf)
    mx = zz.max(axis=1, keepdims=True)
    lse = (mx + np.log(np.exp(zz - mx).sum(axis=1, keepdims=True)))[:, 0]
    ok = allowed[np.arange(len(t)), t]
    zt = z[np.arange(len(t)), t]
    return lse, lse - zt, np.where(ok, np.exp(zt - lse), 0.0), ok & (zz.argmax(axis=1) == t)


def eval_metrics(logits, sequences) -> Dict[str, float]:
    """Means over the sequences of loss, acc, prob, in/out-of-context acc and prob, use_context_prob.

    ``logits``: [n, L] query logits (any array-like); ``sequences``: a ``Sequences`` of any task, or a bare
    [n, 2k + 2] array in the few-shot layout x1 l1 ... xk lk xq target (the paper's [n, 6]). The context
    labels C are the label tokens before the query (repeated tokens: every token before it), as the engine's."""
    z = np.asarray(logits, dtype=np.float64)
    if hasattr(sequences, "labels") and hasattr(sequences, "targets"):
        ctx, t = np.asarray(sequences.labels), np.asarray(sequences.targets)
    else:
        arr = np.asarray(getattr(sequences, "array", sequences))
        ctx, t = arr[:, 1:-1:2], arr[:, -1]
    n, L = z.shape
    in_c = np.zeros((n, L), dtype=bool)
    for j in range(ctx.shape[1]):
        in_c[np.arange(n), ctx[:, j]] = True
    lse, nll, prob, correct = _restricted(z, t, np.ones_like(in_c))
    _, _, in_prob, in_correct = _restricted(z, t, in_c)
    out_c = ~in_c
    out_prob = np.zeros(n)
    out_correct = np.zeros(n, dtype=bool)
    has_out = out_c.any(axis=1)
    if has_out.any():
        _, _, op, oc = _restricted(z[has_out], t[has_out], out_c[has_out])
        out_prob[has_out], out_correct[has_out] = op, oc
    use = (np.exp(z - lse[:, None]) * in_c).sum(axis=1)
    return {
        "loss": float(nll.mean()),
        "acc": float(correct.mean()),
        "prob": float(prob.mean()),
        "in_context_acc": float(in_correct.mean()),
        "in_context_prob": float(in_prob.mean()),
        "out_context_acc": float(out_correct.mean()),
        "out_context_prob": float(out_prob.mean()),
        "use_context_prob": float(use.mean()),
    }
