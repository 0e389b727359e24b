/**
 * The toy model of phase changes (spec section 6; paper Fig. 5a, App. Fig. 9).
 *
 * Three vectors a, b, c ∈ R^n learn a rank-1 tensor T = a*⊗b*⊗c* by full-batch gradient descent on
 *   L(a,b,c) = ½·n⁻³·Σ_ijk (T_ijk − a_i b_j c_k)²
 *            = ½·n⁻³·[‖a*‖²‖b*‖²‖c*‖² − 2(a·a*)(b·b*)(c·c*) + ‖a‖²‖b‖²‖c‖²]   (closed form, used here).
 * The three factors interact multiplicatively like the three subcircuits of an induction head: unclamped,
 * the loss plateaus and then drops abruptly; clamping b and c to their targets makes learning smooth.
 */
import { Rng } from '../rng.js';

export type ToyCondition = 'none' | 'c' | 'bc';
export const TOY_CONDITIONS: readonly ToyCondition[] = ['none', 'c', 'bc'];

export interface ToyOptions {
  seed: number;
  /** Vector dimension (spec: 20). */
  dim?: number;
  /** Gradient-descent step size (spec: 1). */
  lr?: number;
  /** Number of updates (spec: 1000). */
  iters?: number;
  condition: ToyCondition;
}

/** Per-iteration series, each of length iters + 1: index t is the state after t updates (0 = init). */
export interface ToyResult {
  loss: number[];
  /** PM1 = 1 − cos²(a, a*). */
  pm1: number[];
  /** PM2 = min over sign of L(±a, b*, c*): the loss if b and c were perfect. */
  pm2: number[];
}

/** The three targets and three learned vectors. */
export interface ToyState {
  a: Float64Array;
  b: Float64Array;
  c: Float64Array;
  aT: Float64Array;
  bT: Float64Array;
  cT: Float64Array;
}

function dot(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

/** Closed-form loss ½·n⁻³·‖a*⊗b*⊗c* − a⊗b⊗c‖²_F. */
export function toyLoss(s: ToyState): number {
  const n = s.a.length;
  const tt = dot(s.aT, s.aT) * dot(s.bT, s.bT) * dot(s.cT, s.cT);
  const cross = dot(s.a, s.aT) * dot(s.b, s.bT) * dot(s.c, s.cT);
  const mm = dot(s.a, s.a) * dot(s.b, s.b) * dot(s.c, s.c);
  // Clamp at 0: the closed form can round to a tiny negative number once the fit is exact.
  return Math.max(0, (0.5 * (tt - 2 * cross + mm)) / (n * n * n));
}

/** Analytic gradient of `toyLoss` with respect to a, b and c. */
export function toyGrad(s: ToyState): { a: Float64Array; b: Float64Array; c: Float64Array } {
  const n = s.a.length;
  const k = 1 / (n * n * n);
  const aa = dot(s.a, s.a), bb = dot(s.b, s.b), cc = dot(s.c, s.c);
  const pa = dot(s.a, s.aT), pb = dot(s.b, s.bT), pc = dot(s.c, s.cT);
  const part = (x: Float64Array, xT: Float64Array, otherNorms: number, otherProj: number): Float64Array => {
    const g = new Float64Array(n);
    for (let i = 0; i < n; i++) g[i] = k * (otherNorms * x[i]! - otherProj * xT[i]!);
    return g;
  };
  return { a: part(s.a, s.aT, bb * cc, pb * pc), b: part(s.b, s.bT, aa * cc, pa * pc), c: part(s.c, s.cT, aa * bb, pa * pb) };
}

/** PM1 = 1 − cos²(a, a*). */
export function toyPm1(s: ToyState): number {
  const aa = dot(s.a, s.a), tt = dot(s.aT, s.aT);
  if (aa === 0 || tt === 0) return 1;
  const p = dot(s.a, s.aT);
  return Math.max(0, 1 - (p * p) / (aa * tt));
}

/** PM2 = min over sign of L(±a, b*, c*). */
export function toyPm2(s: ToyState): number {
  const withPerfectBC = (sign: number): number => {
    const a = s.a.map((v) => sign * v);
    return toyLoss({ ...s, a, b: s.bT, c: s.cT });
  };
  return Math.min(withPerfectBC(1), withPerfectBC(-1));
}

function normalVec(rng: Rng, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal();
  return v;
}

/** Draw targets then initial vectors (all N(0, I), independent) from one seeded stream. */
export function toyInit(seed: number, dim = 20): ToyState {
  const rng = new Rng(seed);
  const aT = normalVec(rng, dim), bT = normalVec(rng, dim), cT = normalVec(rng, dim);
  const a = normalVec(rng, dim), b = normalVec(rng, dim), c = normalVec(rng, dim);
  return { a, b, c, aT, bT, cT };
}

function clamp(s: ToyState, condition: ToyCondition): void {
  if (condition === 'c' || condition === 'bc') s.c = s.cT.slice();
  if (condition === 'bc') s.b = s.bT.slice();
}

/** Full-batch gradient descent on the toy model; clamped vectors are reset to their targets after init and every update. */
export function runToy(opts: ToyOptions): ToyResult {
  const { seed, dim = 20, lr = 1, iters = 1000, condition } = opts;
  if (!TOY_CONDITIONS.includes(condition)) throw new Error(`toy: unknown condition '${condition}'`);
  if (!(Number.isInteger(dim) && dim > 0)) throw new Error(`toy: dim must be a positive integer, got ${dim}`);
  if (!(Number.isInteger(iters) && iters >= 0)) throw new Error(`toy: iters must be a non-negative integer, got ${iters}`);
  const s = toyInit(seed, dim);
  clamp(s, condition);
  const out: ToyResult = { loss: [], pm1: [], pm2: [] };
  const record = (): void => {
    out.loss.push(toyLoss(s));
    out.pm1.push(toyPm1(s));
    out.pm2.push(toyPm2(s));
  };
  record();
  for (let t = 0; t < iters; t++) {
    const g = toyGrad(s);
    for (let i = 0; i < dim; i++) {
      s.a[i]! -= lr * g.a[i]!;
      s.b[i]! -= lr * g.b[i]!;
      s.c[i]! -= lr * g.c[i]!;
    }
    clamp(s, condition);
    record();
  }
  return out;
}

/** First iteration whose loss is ≤ `fraction` of the initial loss, or null if it never gets there. */
export function itersToFraction(loss: readonly number[], fraction = 0.01): number | null {
  if (loss.length === 0) return null;
  const target = fraction * loss[0]!;
  const t = loss.findIndex((l) => l <= target);
  return t < 0 ? null : t;
}
