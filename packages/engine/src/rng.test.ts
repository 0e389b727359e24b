/**
 * The seeded generator behind every random stream (init, train, eval sets, pairs) against an independent
 * reference: splitmix32 seeding and xoshiro128** written again here in BigInt arithmetic (no 32-bit integer
 * tricks shared with rng.ts), and hand-stepped values of the published algorithm. A wrong shift, constant or
 * state update changes every run's data and initialisation while both backends still agree.
 */
import { describe, expect, it } from 'vitest';
import { Rng, TRUNC_NORMAL_STD } from './rng.js';

const M32 = 0xffffffffn;
const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (32n - k))) & M32;
const mul = (a: bigint, b: bigint): bigint => (a * b) & M32;

/** xoshiro128** over BigInt words, seeded like rng.ts: splitmix32 (Weyl step, murmur3 finaliser). */
class RefRng {
  s: bigint[];
  constructor(seed: bigint | bigint[]) {
    if (Array.isArray(seed)) {
      this.s = seed.map((v) => v & M32);
      return;
    }
    let x = seed & M32;
    this.s = [0, 1, 2, 3].map(() => {
      x = (x + 0x9e3779b9n) & M32;
      let z = x;
      z = mul(z ^ (z >> 16n), 0x85ebca6bn);
      z = mul(z ^ (z >> 13n), 0xc2b2ae35n);
      return z ^ (z >> 16n);
    });
  }
  u32(): number {
    const [s0, s1, s2, s3] = this.s;
    const out = mul(rotl(mul(s1, 5n), 7n), 9n);
    const t = (s1 << 9n) & M32;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    const n1 = s1 ^ n2;
    const n0 = s0 ^ n3;
    this.s = [n0, n1, n2 ^ t, rotl(n3, 11n)];
    return Number(out);
  }
  uniform(): number {
    return this.u32() / 2 ** 32;
  }
  /** Uniform on [0, n): draws at or above the largest multiple of n below 2^32 are redrawn. */
  int(n: number): number {
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const r = this.u32();
      if (r < limit) return r % n;
    }
  }
  /** Box-Muller pairs: cos first, then the sin of the same pair. */
  normals(count: number): number[] {
    const out: number[] = [];
    while (out.length < count) {
      const u = this.uniform();
      const v = this.uniform();
      const r = Math.sqrt(-2 * Math.log(u));
      out.push(r * Math.cos(2 * Math.PI * v), r * Math.sin(2 * Math.PI * v));
    }
    return out.slice(0, count);
  }
}

const draws = (f: () => number, n: number): number[] => Array.from({ length: n }, f);

describe('Rng against an independent xoshiro128** reference', () => {
  it('hand-stepped xoshiro128** from state [1, 2, 3, 4]: 11520 (rotl(2·5, 7)·9), then 0 (s1 becomes 2 ^ 2)', () => {
    const r = Rng.fromState({ s: [1, 2, 3, 4], spare: null });
    const ref = new RefRng([1n, 2n, 3n, 4n]);
    const got = draws(() => r.nextU32(), 64);
    expect(got.slice(0, 2)).toEqual([11520, 0]);
    expect(got).toEqual(draws(() => ref.u32(), 64));
  });

  it('seeds through splitmix32: seeds 0, 1, 2, 7, 2^31, -1 and 2^32 + 5 give the reference stream', () => {
    for (const seed of [0, 1, 2, 7, 2 ** 31, -1, 2 ** 32 + 5]) {
      const ref = new RefRng(BigInt(seed));
      const r = new Rng(seed);
      expect(r.getState().s.map((v) => v >>> 0), `seed ${seed}`).toEqual(ref.s.map(Number));
      expect(draws(() => r.nextU32(), 200), `seed ${seed}`).toEqual(draws(() => ref.u32(), 200));
    }
    // only the low 32 bits of a seed count, so -1 and 2^32 - 1 are one stream, and 2^32 + 5 is seed 5
    expect(new Rng(-1).nextU32()).toBe(new Rng(2 ** 32 - 1).nextU32());
    expect(new Rng(2 ** 32 + 5).nextU32()).toBe(new Rng(5).nextU32());
  });

  it('refuses a seed that is not an integer, naming it', () => {
    for (const seed of [0.5, NaN, Infinity]) expect(() => new Rng(seed)).toThrow(`rng seed must be an integer, got ${seed}`);
  });

  it('uniform is the next word over 2^32, in [0, 1)', () => {
    const r = new Rng(11);
    const ref = new RefRng(11n);
    const u = draws(() => r.uniform(), 1000);
    expect(u).toEqual(draws(() => ref.uniform(), 1000));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
  });

  it('int(n) redraws the short tail: n = 3·2^30 (a quarter of words rejected), 2^32, 6, 1', () => {
    for (const n of [3 * 2 ** 30, 2 ** 32, 6, 1]) {
      const r = new Rng(5);
      const ref = new RefRng(5n);
      const got = draws(() => r.int(n), 400);
      expect(got, `n ${n}`).toEqual(draws(() => ref.int(n), 400));
      expect(Math.max(...got)).toBeLessThan(n);
    }
    // with 3·2^30, a word at or above 3·2^30 is redrawn, never folded onto [0, 2^30)
    const r = new Rng(5);
    const raw = new RefRng(5n);
    const words = draws(() => raw.u32(), 400);
    const kept = words.filter((w) => w < 3 * 2 ** 30);
    expect(kept.length).toBeLessThan(words.length);
    expect(draws(() => r.int(3 * 2 ** 30), kept.length)).toEqual(kept);
  });

  it('int redraws a word exactly at the limit (a state crafted so that the next word is 3·2^30)', () => {
    // invert the output function rotl(s1·5, 7)·9 for s1 (5 and 9 are odd, so invertible mod 2^32)
    const inv = (a: bigint): bigint => {
      let x = 1n;
      for (let i = 0; i < 5; i++) x = (x * (2n - a * x)) & M32; // Newton: doubles the correct low bits
      return x;
    };
    const limit = 3n * 2n ** 30n;
    const s1 = mul(rotl(mul(limit, inv(9n)), 25n), inv(5n));
    const state = { s: [1, Number(s1), 3, 4] as [number, number, number, number], spare: null };
    expect(Rng.fromState(state).nextU32()).toBe(Number(limit));
    const ref = new RefRng([1n, s1, 3n, 4n]);
    const r = Rng.fromState(state);
    const got = r.int(3 * 2 ** 30);
    expect(got).toBe(ref.int(3 * 2 ** 30));
    expect(got).not.toBe(0);
  });

  it('int refuses a range outside (0, 2^32] or not an integer, naming it', () => {
    const r = new Rng(1);
    for (const n of [0, -3, 2.5, 2 ** 32 + 1, NaN]) expect(() => r.int(n)).toThrow(`rng.int: bad range ${n}`);
  });

  it('normal is Box-Muller on the reference uniforms, using both values of a pair', () => {
    const r = new Rng(3);
    const got = draws(() => r.normal(), 501);
    expect(got).toEqual(new RefRng(3n).normals(501));
  });

  it('truncatedNormal keeps the reference normals in [-2, 2], in order, with std TRUNC_NORMAL_STD', () => {
    const r = new Rng(9);
    const got = draws(() => r.truncatedNormal(), 4000);
    const expected = new RefRng(9n).normals(5000).filter((z) => Math.abs(z) <= 2).slice(0, 4000);
    expect(got).toEqual(expected);
  });

  it('TRUNC_NORMAL_STD is the std of N(0, 1) truncated to [-2, 2] (Simpson integration of the density)', () => {
    const n = 20_000;
    const h = 4 / n;
    let mass = 0;
    let second = 0;
    for (let i = 0; i <= n; i++) {
      const z = -2 + i * h;
      const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
      const phi = Math.exp(-z * z / 2);
      mass += w * phi;
      second += w * z * z * phi;
    }
    expect(TRUNC_NORMAL_STD).toBeCloseTo(Math.sqrt(second / mass), 12);
  });

  it('shuffle is Fisher-Yates from the back, each swap drawn with int(i + 1)', () => {
    const r = new Rng(21);
    const ref = new RefRng(21n);
    for (const len of [0, 1, 2, 10, 33]) {
      const a = Array.from({ length: len }, (_, i) => i);
      const b = Int32Array.from(a);
      const expected = [...a];
      for (let i = len - 1; i > 0; i--) {
        const j = ref.int(i + 1);
        [expected[i], expected[j]] = [expected[j], expected[i]];
      }
      r.shuffle(a);
      expect(a, `length ${len}`).toEqual(expected);
      // an Int32Array is shuffled in place the same way, from a generator at the same point
      const r2 = Rng.fromState(r.getState());
      const ref2 = new RefRng(ref.s);
      r2.shuffle(b);
      const e2 = Array.from({ length: len }, (_, i) => i);
      for (let i = len - 1; i > 0; i--) {
        const j = ref2.int(i + 1);
        [e2[i], e2[j]] = [e2[j], e2[i]];
      }
      expect(Array.from(b)).toEqual(e2);
    }
  });

  it('getState / fromState continue the identical stream, the pending Box-Muller spare included', () => {
    const r = new Rng(4);
    r.nextU32();
    r.normal(); // leaves the pair's sin pending
    const st = r.getState();
    expect(st.spare).not.toBeNull();
    const copy = Rng.fromState(JSON.parse(JSON.stringify(st)));
    expect(draws(() => copy.normal(), 9)).toEqual(draws(() => r.normal(), 9));
    expect(draws(() => copy.nextU32(), 50)).toEqual(draws(() => r.nextU32(), 50));
    // with no pair pending the spare is stored as null, and setState clears a pending one
    const fresh = new Rng(4);
    expect(fresh.getState().spare).toBeNull();
    const pending = new Rng(8);
    pending.normal();
    pending.setState(fresh.getState());
    const ref = new RefRng(4n);
    expect(draws(() => pending.normal(), 4)).toEqual(ref.normals(4));
  });
});
