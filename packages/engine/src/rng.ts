/**
 * Seeded pseudo-random numbers for every stochastic choice in the engine (init, train stream, eval sets).
 *
 * xoshiro128** (Blackman & Vigna) seeded through splitmix32: 128 bits of state, fast in plain JS with
 * 32-bit integer ops, and its whole state is four numbers, so a checkpoint can store it and a resumed run
 * continues the exact same stream (spec 3.2: seeds are labels; bit-reproduction of JAX is impossible).
 */
export type RngState = [number, number, number, number];

/** ImageNet-style lecun_normal constant: std of N(0,1) truncated to [-2, 2]. */
export const TRUNC_NORMAL_STD = 0.8796256610342398;

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** A spare normal from Box-Muller; part of the state so that resume is exact. */
  private spare = NaN;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new Error(`rng seed must be an integer, got ${seed}`);
    let x = seed >>> 0;
    const next = (): number => {
      // splitmix32: decorrelates nearby seeds (0, 1, 2 ...) before they enter xoshiro.
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n), unbiased (rejection on the short tail). */
  int(n: number): number {
    if (!(n > 0 && n <= 4294967296 && Number.isInteger(n))) throw new Error(`rng.int: bad range ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    let r = this.nextU32();
    while (r >= limit) r = this.nextU32();
    return r % n;
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Standard normal truncated to [-2, 2] by rejection (std ≈ 0.8796, see TRUNC_NORMAL_STD). */
  truncatedNormal(): number {
    for (;;) {
      const z = this.normal();
      if (z >= -2 && z <= 2) return z;
    }
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(a: T[] | Int32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** Full state, JSON-serialisable; `Rng.fromState(r.getState())` continues the identical stream. */
  getState(): { s: RngState; spare: number | null } {
    return { s: [this.s0, this.s1, this.s2, this.s3], spare: Number.isNaN(this.spare) ? null : this.spare };
  }

  setState(state: { s: RngState; spare: number | null }): void {
    [this.s0, this.s1, this.s2, this.s3] = state.s.map((v) => v | 0) as RngState;
    this.spare = state.spare === null ? NaN : state.spare;
  }

  static fromState(state: { s: RngState; spare: number | null }): Rng {
    const r = new Rng(0);
    r.setState(state);
    return r;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
