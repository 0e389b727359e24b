/**
 * Differentiable ops, each one forward and its own backward side by side (micrograd style), composed from
 * the backend's primitive kernels. Every backward is checked against finite differences (ops.test.ts).
 * Shapes are written as comments in the model; here M = rows, N = output width, K = input width.
 */
import type { Buf } from './backend.js';
import type { Graph, Value } from './graph.js';

const anyGrad = (...vs: (Value | null)[]) => vs.some((v) => v?.requiresGrad);

/** y[M,N] = x[M,K] · W[N,K]ᵀ (+ b[N]). */
export function linear(g: Graph, x: Value, W: Value, b: Value | null): Value {
  const [N, K] = W.shape;
  const M = x.size / K;
  if (!Number.isInteger(M) || x.shape[x.shape.length - 1] !== K) throw new Error(`linear: x ${x.shape} vs W ${W.shape}`);
  const y = g.value([M, N], anyGrad(x, W, b));
  const be = g.be;
  g.push(
    y,
    [x, W, b],
    () => {
      be.matmulNT(y.buf, x.buf, W.buf, M, N, K, false);
      if (b) be.addBias(y.buf, b.buf, M, N);
    },
    () => {
      if (!y.grad) return;
      if (x.grad) be.matmulNN(x.grad, y.grad, W.buf, M, K, N, true);
      if (W.grad) be.matmulTN(W.grad, y.grad, x.buf, N, K, M, true);
      if (b?.grad) be.sumRows(b.grad, y.grad, M, N);
    },
  );
  return y;
}

/** Row-wise LayerNorm with learnable gain and bias (spec 2.1: eps 1e-5). */
export function layerNorm(g: Graph, x: Value, gain: Value, bias: Value, eps: number): Value {
  const N = gain.size;
  const M = x.size / N;
  const y = g.value(x.shape, anyGrad(x, gain, bias));
  const be = g.be;
  const mean = be.allocF(M);
  const rstd = be.allocF(M);
  g.push(
    y,
    [x, gain, bias],
    () => be.layerNormFwd(y.buf, mean, rstd, x.buf, gain.buf, bias.buf, M, N, eps),
    () => {
      if (y.grad) be.layerNormBwd(x.grad, gain.grad, bias.grad, y.grad, x.buf, mean, rstd, gain.buf, M, N);
    },
  );
  return y;
}

/** Constant RoPE tables for `positions` positions and head size D (spec 2.3, interleaved pairs). */
export function ropeTables(g: Graph, positions: number, D: number, base: number): { cos: Buf; sin: Buf } {
  const half = D / 2;
  const c = new Float64Array(positions * half);
  const s = new Float64Array(positions * half);
  for (let p = 0; p < positions; p++)
    for (let i = 0; i < half; i++) {
      const theta = Math.pow(base, (-2 * i) / D);
      c[p * half + i] = Math.cos(p * theta);
      s[p * half + i] = Math.sin(p * theta);
    }
  const cos = g.be.allocF(c.length);
  const sin = g.be.allocF(s.length);
  g.be.write(cos, c);
  g.be.write(sin, s);
  return { cos, sin };
}

/** Rotate each head's pairs; row r is at position pos0 + (T > 0 ? r % T : 0). */
export function rope(g: Graph, x: Value, T: number, pos0: number, tables: { cos: Buf; sin: Buf }, headDim: number): Value {
  const width = x.shape[x.shape.length - 1];
  const M = x.size / width;
  const y = g.value(x.shape, anyGrad(x));
  const be = g.be;
  g.push(
    y,
    [x],
    () => be.ropeFwd(y.buf, x.buf, M, width, T, pos0, tables.cos, tables.sin, headDim),
    () => {
      if (y.grad && x.grad) be.ropeBwd(x.grad, y.grad, M, width, T, pos0, tables.cos, tables.sin, headDim);
    },
  );
  return y;
}

export interface AttnDims {
  Bn: number;
  H: number;
  Tq: number;
  Tk: number;
  D: number;
  /** Absolute position of the first query row (keys start at 0); causal mask is j ≤ qPos0 + i. */
  qPos0: number;
}

/** Pre-softmax scores S[Bn,H,Tq,Tk] = q·k/√D with the causal mask (spec 2.2 `attn_pre_softmax`). */
export function attnScores(g: Graph, q: Value, k: Value, d: AttnDims): Value {
  const { Bn, H, Tq, Tk, D, qPos0 } = d;
  const scale = 1 / Math.sqrt(D);
  const S = g.value([Bn, H, Tq, Tk], anyGrad(q, k));
  const be = g.be;
  g.push(
    S,
    [q, k],
    () => be.attnScoresFwd(S.buf, q.buf, k.buf, Bn, H, Tq, Tk, D, qPos0, scale),
    () => {
      if (S.grad && (q.grad || k.grad)) be.attnScoresBwd(q.grad, k.grad, S.grad, q.buf, k.buf, Bn, H, Tq, Tk, D, qPos0, scale);
    },
  );
  return S;
}

/** Softmax over the last axis. */
export function softmax(g: Graph, S: Value): Value {
  const n = S.shape[S.shape.length - 1];
  const rows = S.size / n;
  const P = g.value(S.shape, anyGrad(S));
  const be = g.be;
  g.push(
    P,
    [S],
    () => be.softmaxFwd(P.buf, S.buf, rows, n),
    () => {
      if (P.grad && S.grad) be.softmaxBwd(S.grad, P.grad, P.buf, rows, n);
    },
  );
  return P;
}

/** Per-head outputs Z[Bn,Tq,H·D] = P · v, heads concatenated in head order. */
export function attnApply(g: Graph, P: Value, v: Value, d: AttnDims): Value {
  const { Bn, H, Tq, Tk, D } = d;
  const Z = g.value([Bn, Tq, H * D], anyGrad(P, v));
  const be = g.be;
  g.push(
    Z,
    [P, v],
    () => be.attnAvFwd(Z.buf, P.buf, v.buf, Bn, H, Tq, Tk, D),
    () => {
      if (Z.grad && (P.grad || v.grad)) be.attnAvBwd(P.grad, v.grad, Z.grad, P.buf, v.buf, Bn, H, Tq, Tk, D);
    },
  );
  return Z;
}

/** Elementwise GELU, tanh approximation (the MLP's nonlinearity; PyTorch's nn.GELU(approximate='tanh')). */
export function gelu(g: Graph, x: Value): Value {
  const y = g.value(x.shape, anyGrad(x));
  const be = g.be;
  g.push(
    y,
    [x],
    () => be.geluFwd(y.buf, x.buf, y.size),
    () => {
      if (y.grad && x.grad) be.geluBwd(x.grad, y.grad, x.buf, y.size);
    },
  );
  return y;
}

/**
 * y[m,:] = x[idx[m],:] for a constant (per-program) index buffer of M rows. `detached` makes a
 * forward-only copy (for record-only sites) that no gradient flows through.
 */
export function gatherRows(g: Graph, x: Value, idx: Buf, M: number, opts: { detached?: boolean } = {}): Value {
  const N = x.shape[x.shape.length - 1];
  const y = g.value([M, N], !opts.detached && anyGrad(x));
  const be = g.be;
  g.push(
    y,
    [x],
    () => be.gatherRows(y.buf, x.buf, idx, M, N),
    () => {
      if (y.grad && x.grad) be.scatterAddRows(x.grad, y.grad, idx, M, N);
    },
  );
  return y;
}

/** Stack a[Ra,N] over b[Rb,N]. */
export function concatRows(g: Graph, a: Value, b: Value): Value {
  const N = a.shape[a.shape.length - 1];
  if (b.shape[b.shape.length - 1] !== N) throw new Error(`concatRows: widths ${a.shape} vs ${b.shape}`);
  const y = g.value([(a.size + b.size) / N, N], anyGrad(a, b));
  const be = g.be;
  const ya = be.slice(y.buf, 0, a.size);
  const yb = be.slice(y.buf, a.size, b.size);
  let ga: Buf | null = null;
  let gb: Buf | null = null;
  g.push(
    y,
    [a, b],
    () => {
      be.copy(ya, a.buf, a.size);
      be.copy(yb, b.buf, b.size);
    },
    () => {
      if (!y.grad) return;
      ga ??= be.slice(y.grad, 0, a.size);
      gb ??= be.slice(y.grad, a.size, b.size);
      if (a.grad) be.axpy(a.grad, ga, 1, a.size);
      if (b.grad) be.axpy(b.grad, gb, 1, b.size);
    },
  );
  return y;
}

/** Elementwise a + b (the residual stream). */
export function add(g: Graph, a: Value, b: Value): Value {
  if (a.size !== b.size) throw new Error(`add: sizes ${a.shape} vs ${b.shape}`);
  const y = g.value(a.shape, anyGrad(a, b));
  const be = g.be;
  g.push(
    y,
    [a, b],
    () => be.add(y.buf, a.buf, b.buf, y.size),
    () => {
      if (!y.grad) return;
      if (a.grad) be.axpy(a.grad, y.grad, 1, y.size);
      if (b.grad) be.axpy(b.grad, y.grad, 1, y.size);
    },
  );
  return y;
}

/**
 * The override rule of spec 2.6: y = where(mask, clamp, computed). No gradient reaches `computed` where
 * the mask is set; gradients flow into `clamp` there (it may itself be a function of the parameters).
 */
export function where(g: Graph, mask: Buf, clamp: Value, computed: Value): Value {
  if (clamp.size !== computed.size) throw new Error(`where: sizes ${clamp.shape} vs ${computed.shape}`);
  const y = g.value(computed.shape, anyGrad(clamp, computed));
  const be = g.be;
  g.push(
    y,
    [clamp, computed],
    () => be.whereFwd(y.buf, mask, clamp.buf, computed.buf, y.size),
    () => {
      if (y.grad && (clamp.grad || computed.grad)) be.whereBwd(clamp.grad, computed.grad, y.grad, mask, y.size);
    },
  );
  return y;
}

export interface CrossEntropy {
  /** Scalar mean loss [1]. */
  loss: Value;
  /** Per-row loss [B]. */
  rowLoss: Buf;
  /** Softmax probabilities [B, C]. */
  probs: Buf;
}

/** Mean over rows of −log softmax(logits)[target] (spec 3.1). */
export function crossEntropyMean(g: Graph, logits: Value, targets: Buf): CrossEntropy {
  const [Bn, C] = logits.shape;
  const be = g.be;
  const rowLoss = be.allocF(Bn);
  const probs = be.allocF(Bn * C);
  const loss = g.value([1], anyGrad(logits));
  const dLoss = new Float64Array(1);
  const ones = be.allocF(Bn);
  be.fill(ones, 1 / Bn, Bn);
  g.push(
    loss,
    [logits],
    () => {
      be.crossEntropyFwd(rowLoss, probs, logits.buf, targets, Bn, C);
      // mean = Σ loss_b · (1/B), via a 1×Bn · Bn×1 matmul so it stays on the backend.
      be.matmulNT(loss.buf, ones, rowLoss, 1, 1, Bn, false);
    },
    () => {
      if (!loss.grad || !logits.grad) return;
      if (loss.knownGrad != null) dLoss[0] = loss.knownGrad;
      else be.read(loss.grad, dLoss, 0, 1);
      be.crossEntropyBwd(logits.grad, probs, targets, Bn, C, dLoss[0] / Bn);
    },
  );
  return { loss, rowLoss, probs };
}
