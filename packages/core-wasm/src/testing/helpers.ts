// Test helpers (not part of the build): deterministic random data, guarded buffers in the arena, tolerant compare.
import { expect } from 'vitest';
import type { Arena, Core, Ptr } from '../index.js';

/** mulberry32: deterministic uniform [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values uniform in [lo, hi), rounded to f32. */
export function randF32(r: () => number, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

const GUARD = 16; // elements of guard on each side
const SENTINEL = -777.25;

/** A tensor in wasm memory surrounded by guard elements that must never change. */
export class Guarded {
  readonly ptr: Ptr;
  constructor(
    private readonly core: Core,
    private readonly base: Ptr,
    readonly n: number,
    readonly kind: 'f32' | 'i32' | 'u8',
  ) {
    this.ptr = base + GUARD * this.elemBytes;
  }
  private get elemBytes(): number {
    return this.kind === 'u8' ? 1 : 4;
  }
  /** Fresh view of the payload (re-fetched on every call: growth detaches old views). */
  view(): Float32Array {
    if (this.kind !== 'f32') throw new Error('not f32');
    return this.core.arena.f32(this.ptr, this.n);
  }
  /** A copy of the payload as float32. */
  get(): Float32Array {
    return this.view().slice();
  }
  set(data: ArrayLike<number>): this {
    if (this.kind === 'f32') this.core.arena.f32(this.ptr, this.n).set(data);
    else if (this.kind === 'i32') this.core.arena.i32(this.ptr, this.n).set(data);
    else this.core.arena.u8(this.ptr, this.n).set(data);
    return this;
  }
  /** Asserts the guard elements on both sides are untouched. */
  checkGuards(label = 'guards'): void {
    const bytes = this.core.arena.u8(this.base, (this.n + 2 * GUARD) * this.elemBytes);
    const g = GUARD * this.elemBytes;
    const end = g + this.n * this.elemBytes;
    const ref = new Uint8Array(new Float32Array(GUARD).fill(SENTINEL).buffer);
    const before = bytes.slice(0, g), after = bytes.slice(end, end + g);
    const want = this.kind === 'u8' ? new Uint8Array(g).fill(0xa5) : ref;
    expect(Array.from(before), `${label}: before`).toEqual(Array.from(want));
    expect(Array.from(after), `${label}: after`).toEqual(Array.from(want));
  }
}

/** Allocates a guarded tensor of n elements, filled with data (or NaN for f32 when no data is given). */
export function guarded(core: Core, kind: 'f32' | 'i32' | 'u8', n: number, data?: ArrayLike<number>): Guarded {
  const eb = kind === 'u8' ? 1 : 4;
  const base = core.arena.alloc((n + 2 * GUARD) * eb, 64);
  if (kind === 'u8') core.arena.u8(base, n + 2 * GUARD).fill(0xa5);
  else core.arena.f32(base, n + 2 * GUARD).fill(SENTINEL);
  const t = new Guarded(core, base, n, kind);
  if (data) t.set(data);
  else if (kind === 'f32') t.view().fill(NaN);
  else t.set(new Array(n).fill(0));
  return t;
}

/**
 * Asserts |got − ref| ≤ rtol·scale + atol element-wise, where scale is |ref| or, when given, a per-element magnitude
 * (e.g. Σ|a·b| for a dot product, the right yardstick for f32 accumulation error).
 */
export function expectClose(
  got: ArrayLike<number>, ref: ArrayLike<number>, opts: { rtol?: number; atol?: number; scale?: ArrayLike<number>; label?: string } = {},
): void {
  const rtol = opts.rtol ?? 1e-5, atol = opts.atol ?? 1e-30;
  expect(got.length, `${opts.label ?? ''} length`).toBe(ref.length);
  let worst = -1, worstRatio = 0;
  for (let i = 0; i < ref.length; i++) {
    const s = opts.scale ? opts.scale[i]! : Math.abs(ref[i]!);
    const err = Math.abs(got[i]! - ref[i]!);
    const ratio = err / (rtol * s + atol);
    if (!(ratio <= 1)) {
      if (!(ratio <= worstRatio)) { worst = i; worstRatio = Number.isNaN(ratio) ? Infinity : ratio; }
    }
  }
  if (worst >= 0) {
    expect.fail(`${opts.label ?? 'mismatch'} at [${worst}]: got ${got[worst]}, want ${ref[worst]} (err/tol = ${worstRatio.toExponential(2)})`);
  }
}

/** Runs fn with everything it allocates in the arena freed afterwards. */
export function scopedArena(arena: Arena, fn: () => void): void {
  const mark = arena.mark();
  try {
    fn();
  } finally {
    arena.reset(mark);
  }
}
