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

    ``logits``: [n, L] query logits (any array-like); ``sequences``: a ``Sequences`` or an [n, 6] array."""
    arr = getattr(sequences, "array", sequences)
    z = np.asarray(logits, dtype=np.float64)
    arr = np.asarray(arr)
    t, l1, l2 = arr[:, 5], arr[:, 1], arr[:, 3]
    n, L = z.shape
    in_c = np.zeros((n, L), dtype=bool)
    in_c[np.arange(n), l1] = True
    in_c[np.arange(n), l2] = True
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
