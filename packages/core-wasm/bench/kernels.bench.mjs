// Time per call of the non-matmul kernels at model-like sizes (32 sequences x 5 tokens, d = 64).
// Not a test: node packages/core-wasm/bench/kernels.bench.mjs (after building). The model's exact training-step
// shapes (H = 8 heads of D = 8, layer 2 on the query row only, realistic inputs) are in model.bench.mjs.
import { instantiateCore } from '../dist/index.js';

const core = instantiateCore();
const { arena } = core;
const big = 1 << 20;
const buf = () => {
  const p = arena.allocF32(big);
  const v = arena.f32(p, big);
  for (let i = 0; i < big; i++) v[i] = Math.random() - 0.5;
  return p;
};
const [A, B, C, D, E, F, G] = [buf(), buf(), buf(), buf(), buf(), buf(), buf()];
const idx = arena.allocI32(4096);
arena.i32(idx, 4096).set(Array.from({ length: 4096 }, (_, i) => i % 5));
const mask = arena.allocU8(big);
arena.u8(mask, big).set(Array.from({ length: big }, (_, i) => i & 1));
const cosT = arena.allocF32(64 * 64), sinT = arena.allocF32(64 * 64);
arena.f32(cosT, 4096).fill(0.8);
arena.f32(sinT, 4096).fill(0.6);

function time(name, fn, note = '') {
  const until = performance.now() + 100;
  while (performance.now() < until) fn();
  let best = Infinity;
  for (let r = 0; r < 15; r++) {
    const reps = 200;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / reps);
  }
  console.log(name.padEnd(52), `${(best / 1000).toFixed(2)} us`.padStart(10), note);
}

const Bn = 32, T = 5, d = 64, rows = Bn * T;
for (const H of [1, 4, 8]) {
  const Dh = d / H;
  time(`attn_scores_fwd Bn=${Bn} H=${H} T=${T} D=${Dh}`, () => core.attn_scores_fwd(C, A, B, Bn, H, T, T, Dh, 0, 0.25));
  time(`attn_scores_bwd Bn=${Bn} H=${H} T=${T} D=${Dh}`, () => core.attn_scores_bwd(D, E, C, A, B, Bn, H, T, T, Dh, 0, 0.25));
  time(`softmax_fwd rows=${Bn * H * T} n=${T}`, () => core.softmax_fwd(F, C, Bn * H * T, T));
  time(`softmax_bwd rows=${Bn * H * T} n=${T}`, () => core.softmax_bwd(G, C, F, Bn * H * T, T));
  time(`attn_av_fwd Bn=${Bn} H=${H} T=${T} D=${Dh}`, () => core.attn_av_fwd(C, F, B, Bn, H, T, T, Dh));
  time(`attn_av_bwd Bn=${Bn} H=${H} T=${T} D=${Dh}`, () => core.attn_av_bwd(D, E, C, F, B, Bn, H, T, T, Dh));
  time(`rope_fwd ${rows}x${d} headDim=${Dh}`, () => core.rope_fwd(C, A, rows, d, T, 0, cosT, sinT, Dh));
  time(`rope_bwd ${rows}x${d} headDim=${Dh}`, () => core.rope_bwd(C, A, rows, d, T, 0, cosT, sinT, Dh));
}
time(`layernorm_fwd ${rows}x${d}`, () => core.layernorm_fwd(C, D, E, A, B, F, rows, d, 1e-5));
time(`layernorm_bwd ${rows}x${d}`, () => core.layernorm_bwd(G, F, E, C, A, D, E, B, rows, d));
time(`add_bias ${rows}x192`, () => core.add_bias(C, A, rows, 192));
time(`sum_rows ${rows}x192`, () => core.sum_rows(D, A, rows, 192));
time(`gather_rows ${rows}x${d}`, () => core.gather_rows(C, A, idx, rows, d));
time(`scatter_add_rows ${rows}x${d}`, () => core.scatter_add_rows(C, A, idx, rows, d));
time(`cross_entropy_fwd ${Bn}x5`, () => core.cross_entropy_fwd(C, D, A, idx, Bn, 5));
time(`cross_entropy_bwd ${Bn}x5`, () => core.cross_entropy_bwd(D, E, idx, Bn, 5, 0.03));
time(`add n=${rows * d}`, () => core.add(C, A, B, rows * d));
time(`axpy n=${rows * d}`, () => core.axpy(C, A, 0.5, rows * d));
time(`where_fwd n=${rows * d}`, () => core.where_fwd(C, mask, A, B, rows * d));
time(`adam_step n=100000`, () => core.adam_step(C, A, D, E, 100000, 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.001));
time(`sum_sq n=100000`, () => core.sum_sq(A, 100000));
time(`fill n=100000`, () => core.fill(C, 0, 100000));
