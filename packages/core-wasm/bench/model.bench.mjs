// Time per call of the attention-related kernels at exactly the model's training-step shapes:
// B = 32 sequences of T = 5 tokens, H = 8 heads of D = 8 (width 64); layer 1 all 5 query rows, layer 2 the query
// row only (Tq = 1, qPos0 = 4). Inputs look like a real step: causal −1e20 entries in the scores, softmax rows in P.
// Not a test: node packages/core-wasm/bench/model.bench.mjs [filter] [--cold] [--wasm other/core.wasm] (after
// building). --wasm times another build of the module (e.g. an older commit's) with the same harness.
import { readFileSync } from 'node:fs';
import { instantiateCore } from '../dist/index.js';

const args = process.argv.slice(2);
const wasmAt = args.indexOf('--wasm');
const wasmPath = wasmAt >= 0 ? args[wasmAt + 1] : null;
const core = instantiateCore(wasmPath ? new WebAssembly.Module(readFileSync(wasmPath)) : undefined);
const { arena } = core;
const cold = args.includes('--cold');
const filter = args.find((a, i) => !a.startsWith('--') && !(wasmAt >= 0 && i === wasmAt + 1)) ?? '';
const Bn = 32, T = 5, H = 8, D = 8, d = H * D, rows = Bn * T;
const buf = (n, lo = -1, hi = 1) => {
  const p = arena.allocF32(n);
  const v = arena.f32(p, n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * Math.random();
  return p;
};
const act = () => buf(rows * d);
const [Q, K, V, dQ, dK, dV, Z, dZ, X, Y, dX, dY] = Array.from({ length: 12 }, act);
const nS = Bn * H * T * T;
const [S, P, dS, dP] = [buf(nS), buf(nS), buf(nS), buf(nS)];
const [S2, P2, dS2, dP2] = [buf(nS), buf(nS), buf(nS), buf(nS)];
const [g, b, dg, db, mean, rstd] = [buf(d, 0.5, 1.5), buf(d), buf(d), buf(d), buf(rows), buf(rows, 0.5, 2)];
const half = D / 2;
const cosT = buf(T * half), sinT = buf(T * half);
{
  const c = arena.f32(cosT, T * half), s = arena.f32(sinT, T * half);
  for (let p = 0; p < T; p++) for (let i = 0; i < half; i++) {
    const th = p / Math.pow(10000, (2 * i) / D);
    c[p * half + i] = Math.cos(th); s[p * half + i] = Math.sin(th);
  }
}
const idx = arena.allocI32(rows);
arena.i32(idx, rows).set(Array.from({ length: rows }, (_, i) => (i * 7) % 40));
const tab = buf(64 * d);
// realistic scores / probabilities
core.attn_scores_fwd(S, Q, K, Bn, H, T, T, D, 0, 1 / Math.sqrt(D));
core.softmax_fwd(P, S, Bn * H * T, T);
core.attn_scores_fwd(S2, Q, K, Bn, H, 1, T, D, 4, 1 / Math.sqrt(D));
core.softmax_fwd(P2, S2, Bn * H, T);

// --cold: before every call, stream 4 MiB through the cache (as the rest of a training step does) and time
// the call alone; the median of 400 calls is reported.
const EVICT_N = 1 << 20;
const evictBuf = arena.allocF32(EVICT_N);
function time(name, fn) {
  if (!name.includes(filter)) return 0;
  if (cold) {
    const ts = [];
    for (let r = 0; r < 450; r++) {
      core.fill(evictBuf, r, EVICT_N);
      const t0 = process.hrtime.bigint();
      fn();
      ts.push(Number(process.hrtime.bigint() - t0));
    }
    ts.splice(0, 50);
    ts.sort((a, b) => a - b);
    const med = ts[ts.length >> 1] / 1000;
    console.log(name.padEnd(56), `${med.toFixed(2)} us`.padStart(10));
    return med;
  }
  const until = performance.now() + 100;
  while (performance.now() < until) fn();
  let best = Infinity;
  for (let r = 0; r < 25; r++) {
    const reps = 200;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / reps);
  }
  console.log(name.padEnd(56), `${(best / 1000).toFixed(2)} us`.padStart(10));
  return best / 1000;
}

const sc = 1 / Math.sqrt(D);
let total = 0;
const L1 = `Bn=${Bn} H=${H} Tq=${T} Tk=${T} D=${D}`, L2 = `Bn=${Bn} H=${H} Tq=1 Tk=${T} D=${D} q0=4`;
total += time(`attn_scores_fwd ${L1}`, () => core.attn_scores_fwd(S, Q, K, Bn, H, T, T, D, 0, sc));
total += time(`softmax_fwd rows=${Bn * H * T} n=${T}`, () => core.softmax_fwd(dS, S, Bn * H * T, T));
total += time(`attn_av_fwd ${L1}`, () => core.attn_av_fwd(Z, P, V, Bn, H, T, T, D));
total += time(`attn_av_bwd ${L1}`, () => core.attn_av_bwd(dP, dV, dZ, P, V, Bn, H, T, T, D));
total += time(`softmax_bwd rows=${Bn * H * T} n=${T}`, () => core.softmax_bwd(dS, dP, P, Bn * H * T, T));
total += time(`attn_scores_bwd ${L1}`, () => core.attn_scores_bwd(dQ, dK, dS, Q, K, Bn, H, T, T, D, 0, sc));
total += time(`attn_scores_fwd ${L2}`, () => core.attn_scores_fwd(S2, Q, K, Bn, H, 1, T, D, 4, sc));
total += time(`softmax_fwd rows=${Bn * H} n=${T}`, () => core.softmax_fwd(dS2, S2, Bn * H, T));
total += time(`attn_av_fwd ${L2}`, () => core.attn_av_fwd(Z, P2, V, Bn, H, 1, T, D));
total += time(`attn_av_bwd ${L2}`, () => core.attn_av_bwd(dP2, dV, dZ, P2, V, Bn, H, 1, T, D));
total += time(`softmax_bwd rows=${Bn * H} n=${T}`, () => core.softmax_bwd(dS2, dP2, P2, Bn * H, T));
total += time(`attn_scores_bwd ${L2}`, () => core.attn_scores_bwd(dQ, dK, dS2, Q, K, Bn, H, 1, T, D, 4, sc));
total += time(`rope_fwd ${rows}x${d} T=${T} headDim=${D}`, () => core.rope_fwd(Y, X, rows, d, T, 0, cosT, sinT, D));
total += time(`rope_bwd ${rows}x${d} T=${T} headDim=${D}`, () => core.rope_bwd(dX, dY, rows, d, T, 0, cosT, sinT, D));
total += time(`rope_fwd ${Bn}x${d} T=0 pos0=4 headDim=${D}`, () => core.rope_fwd(Y, X, Bn, d, 0, 4, cosT, sinT, D));
total += time(`rope_bwd ${Bn}x${d} T=0 pos0=4 headDim=${D}`, () => core.rope_bwd(dX, dY, Bn, d, 0, 4, cosT, sinT, D));
total += time(`layernorm_fwd ${rows}x${d}`, () => core.layernorm_fwd(Y, mean, rstd, X, g, b, rows, d, 1e-5));
total += time(`layernorm_bwd ${rows}x${d}`, () => core.layernorm_bwd(dX, dg, db, dY, X, mean, rstd, g, rows, d));
total += time(`gather_rows ${rows}x${d}`, () => core.gather_rows(Y, tab, idx, rows, d));
total += time(`scatter_add_rows ${rows}x${d}`, () => core.scatter_add_rows(tab, dY, idx, rows, d));
console.log('total'.padEnd(56), `${total.toFixed(2)} us`.padStart(10));
