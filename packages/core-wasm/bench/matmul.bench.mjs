// GFLOP/s of the three matmul variants at the model's real shapes (and the other listed sizes).
// Not a test: run after `npm run build -w @optoscope/core-wasm` with
//   node packages/core-wasm/bench/matmul.bench.mjs [--quick]
// Each number is the best of several timed rounds (the machine may be shared; best-of filters interference).
import { instantiateCore } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const core = instantiateCore();
const { arena } = core;

/** [M, N, K] of C[M,N] = A·B with inner dimension K. */
const shapes = [
  // the model's shapes
  [160, 192, 64], [160, 64, 64], [160, 64, 192], [50, 64, 512], [32, 64, 64],
  // backward counterparts and other listed sizes
  [64, 192, 160], [64, 512, 50], [50, 512, 64], [160, 64, 512], [32, 5, 64], [5000, 64, 64], [64, 64, 5000],
  [1000, 128, 64], [200, 512, 32], [1, 192, 64], [5, 64, 64],
];

function fillRandom(ptr, n) {
  const v = arena.f32(ptr, n);
  for (let i = 0; i < n; i++) v[i] = Math.random() - 0.5;
}

// Warm-up: wasm functions start in the baseline compiler and tier up after enough calls.
{
  const mark = arena.mark();
  const A = arena.allocF32(160 * 192), B = arena.allocF32(192 * 192), C = arena.allocF32(160 * 192);
  const until = performance.now() + (quick ? 100 : 400);
  while (performance.now() < until) {
    for (const v of ['nt', 'nn', 'tn']) for (const [M, N, K] of [[160, 192, 64], [3, 64, 64], [9, 13, 300]]) core[`matmul_${v}`](C, A, B, M, N, K, 0);
  }
  arena.reset(mark);
}

const rounds = quick ? 3 : 15;
const results = [];
for (const [M, N, K] of shapes) {
  const mark = arena.mark();
  const A = arena.allocF32(M * K), B = arena.allocF32(K * N), C = arena.allocF32(M * N);
  fillRandom(A, M * K);
  fillRandom(B, K * N);
  const flop = 2 * M * N * K;
  const reps = Math.max(5, Math.ceil((quick ? 5e6 : 2e7) / flop));
  const row = { shape: `[${M}x${K}]x[${K}x${N}]` };
  for (const v of ['nt', 'nn', 'tn']) {
    const fn = core[`matmul_${v}`];
    for (let r = 0; r < reps; r++) fn(C, A, B, M, N, K, 0); // warm-up (tier-up to the optimizing compiler)
    let best = Infinity;
    for (let round = 0; round < rounds; round++) {
      const t0 = process.hrtime.bigint();
      for (let r = 0; r < reps; r++) fn(C, A, B, M, N, K, 0);
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / reps);
    }
    row[v] = { gflops: flop / best, us: best / 1000 };
  }
  results.push(row);
  arena.reset(mark);
}

const pad = (s, n) => String(s).padEnd(n);
console.log(pad('shape (M x K)·(K x N)', 24) + ['nt', 'nn', 'tn'].map((v) => pad(`${v} GFLOP/s (us)`, 22)).join(''));
for (const r of results) {
  console.log(pad(r.shape, 24) + ['nt', 'nn', 'tn'].map((v) => pad(`${r[v].gflops.toFixed(1)} (${r[v].us.toFixed(1)})`, 22)).join(''));
}
