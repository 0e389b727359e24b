import { describe, expect, it } from 'vitest';
import { instantiateCore } from './index.js';
import { expectClose, guarded, randF32, rng } from './testing/helpers.js';
import { refMatmul } from './testing/reference.js';

const core = instantiateCore();

function runCase(v: Variant, M: number, N: number, K: number, acc: boolean, seed: number) {
  const r = rng(seed);
  const mark = core.arena.mark();
  try {
    const a = randF32(r, M * K), b = randF32(r, K * N);
    const c0 = acc ? randF32(r, M * N) : null;
    const A = guarded(core, 'f32', M * K, a), B = guarded(core, 'f32', K * N, b);
    const C = guarded(core, 'f32', M * N, c0 ?? undefined); // NaN-filled when overwriting: every element must be written
    core[`matmul_${v}`](C.ptr, A.ptr, B.ptr, M, N, K, acc ? 1 : 0);
    const { ref, mag } = refMatmul(v, a, b, c0, M, N, K);
    // f32 accumulation over K terms: error grows ~ sqrt(K)·eps relative to Σ|a·b|
    const rtol = 1e-5 * Math.max(1, Math.sqrt(K / 512));
    expectClose(C.get(), ref, { rtol, scale: mag, label: `matmul_${v} M=${M} N=${N} K=${K} acc=${acc}` });
    C.checkGuards('C'); A.checkGuards('A'); B.checkGuards('B');
    expect(Array.from(A.get())).toEqual(Array.from(a)); // inputs untouched
    expect(Array.from(B.get())).toEqual(Array.from(b));
  } finally {
    core.arena.reset(mark);
  }
}

// awkward sizes: 1s, odd, not multiples of 4/8, crossing the blocking sizes (KC = 256, MC = 128, NC = 256)
const awkward: [number, number, number][] = [
  [1, 1, 1], [1, 5, 5], [2, 3, 4], [3, 7, 9], [4, 8, 4], [5, 13, 17], [7, 9, 1], [6, 1, 11], [9, 1, 260],
  [13, 33, 65], [17, 23, 31], [8, 16, 8], [10, 12, 258], [130, 9, 3], [133, 21, 37], [33, 300, 11], [2, 17, 300],
  [5, 257, 513], [129, 263, 257], [1, 64, 64], [5, 192, 64], [9, 64, 5],
];
// the model's real shapes and the listed M/N/K sets
const real: [number, number, number][] = [
  [160, 64, 64], [160, 192, 64], [160, 64, 192], [50, 64, 512], [32, 64, 64], [32, 5, 64], [200, 128, 32],
  [100, 512, 50], [1000, 64, 160], [5000, 5, 64], [64, 64, 5000],
];

describe.each(['nt', 'nn', 'tn'] as const)('matmul_%s', (v) => {
  it('matches float64 on awkward sizes (overwrite and accumulate)', () => {
    let seed = 1;
    for (const [M, N, K] of awkward) {
      runCase(v, M, N, K, false, seed++);
      runCase(v, M, N, K, true, seed++);
    }
  });
  it('matches float64 on the real shapes', () => {
    let seed = 100;
    for (const [M, N, K] of real) {
      runCase(v, M, N, K, false, seed++);
      runCase(v, M, N, K, true, seed++);
    }
  });
});
