/**
 * A static autodiff tape. The model is traced once into a `Program` (a list of forward/backward closures
 * over preallocated buffers) and then replayed every step: no allocation, no graph building and no
 * per-element JS in the hot loop. Each op (ops.ts) records its forward and its own backward side by side.
 *
 * Sites: the model passes every named activation through `graph.site(name, value)`. That is the single
 * place where activations are registered for recording and where interventions (clamps) substitute
 * values, so interventions are plain data applied by the forward, never hidden global state.
 */
import type { Backend, Buf } from './backend.js';

export interface Value {
  readonly buf: Buf;
  /** Gradient storage; null when nothing upstream needs it. Allocated when the program is compiled. */
  grad: Buf | null;
  readonly shape: readonly number[];
  readonly size: number;
  readonly requiresGrad: boolean;
  /** The dotted site name, when this value is a named activation. */
  site?: string;
}

/** Called at every named site; returns the value the rest of the forward should use. */
export type SiteHook = (name: string, value: Value, graph: Graph) => Value;

interface TapeEntry {
  fwd: () => void;
  bwd: () => void;
}

export class Graph {
  private readonly tape: TapeEntry[] = [];
  private readonly needGrad: Value[] = [];
  readonly sites = new Map<string, Value>();

  constructor(
    readonly be: Backend,
    readonly opts: { training: boolean; hook?: SiteHook },
  ) {}

  /** A fresh float activation. */
  value(shape: readonly number[], requiresGrad: boolean): Value {
    const size = shape.reduce((a, b) => a * b, 1);
    const v: Value = { buf: this.be.allocF(size), grad: null, shape, size, requiresGrad: requiresGrad && this.opts.training };
    if (v.requiresGrad) this.needGrad.push(v);
    return v;
  }

  /** A value over existing storage (parameters, inputs); `grad` is supplied by the owner. */
  wrap(buf: Buf, shape: readonly number[], grad: Buf | null): Value {
    const size = shape.reduce((a, b) => a * b, 1);
    const requiresGrad = grad !== null && this.opts.training;
    return { buf, grad: requiresGrad ? grad : null, shape, size, requiresGrad };
  }

  /** Record an op: `fwd` computes its output, `bwd` accumulates into its inputs' gradients. */
  push(fwd: () => void, bwd: () => void): void {
    this.tape.push({ fwd, bwd });
  }

  /** Name an activation (and let the intervention hook replace it). */
  site(name: string, v: Value): Value {
    if (this.sites.has(name)) throw new Error(`site '${name}' defined twice in one forward`);
    v.site ??= name;
    this.sites.set(name, v);
    const out = this.opts.hook ? this.opts.hook(name, v, this) : v;
    if (out !== v) this.sites.set(name, out);
    return out;
  }

  /**
   * Register a value for recording only: interventions never see it (the forward does not read it).
   * Used where the fast path computes an activation on deduplicated rows (see model.ts, block 0).
   */
  recordSite(name: string, v: Value): void {
    if (this.sites.has(name)) throw new Error(`site '${name}' defined twice in one forward`);
    v.site ??= name;
    this.sites.set(name, v);
    this.recordOnly.add(name);
  }

  /** Sites that can be read but not intervened on in this program. */
  readonly recordOnly = new Set<string>();

  compile(loss: Value | null): Program {
    let gradBlock: Buf | null = null;
    let gradSize = 0;
    if (this.opts.training) {
      // One contiguous block for every activation gradient: zeroing it is a single fill per step.
      gradSize = this.needGrad.reduce((a, v) => a + v.size, 0);
      gradBlock = this.be.allocF(Math.max(gradSize, 1));
      let off = 0;
      for (const v of this.needGrad) {
        v.grad = this.be.slice(gradBlock, off, v.size);
        off += v.size;
      }
    }
    return new Program(this.be, [...this.tape], loss, gradBlock, gradSize, this.sites);
  }
}

export class Program {
  private readonly fwds: (() => void)[];
  private readonly bwds: (() => void)[];

  constructor(
    private readonly be: Backend,
    tape: TapeEntry[],
    readonly loss: Value | null,
    private readonly gradBlock: Buf | null,
    private readonly gradSize: number,
    readonly sites: ReadonlyMap<string, Value>,
  ) {
    this.fwds = tape.map((t) => t.fwd);
    this.bwds = tape.map((t) => t.bwd).reverse();
  }

  forward(): void {
    const f = this.fwds;
    for (let i = 0; i < f.length; i++) f[i]();
  }

  /**
   * Backpropagate from the loss (seed 1) or, for tests, from arbitrary seeds already written into some
   * values' gradients with `seedGrads`. Parameter gradients accumulate: the optimizer zeroes them.
   */
  backward(opts: { seeded?: boolean } = {}): void {
    if (!this.gradBlock) throw new Error('backward() on a program compiled without training');
    if (!opts.seeded) {
      if (!this.loss?.grad) throw new Error('backward(): the program has no differentiable loss');
      this.be.fill(this.gradBlock, 0, this.gradSize);
      this.be.fill(this.loss.grad, 1, 1);
    }
    const b = this.bwds;
    for (let i = 0; i < b.length; i++) b[i]();
  }

  /** Zero activation gradients and write `seed` into `v.grad` (finite-difference tests). */
  seedGrads(v: Value, seed: ArrayLike<number>): void {
    if (!this.gradBlock || !v.grad) throw new Error('seedGrads: value has no gradient');
    this.be.fill(this.gradBlock, 0, this.gradSize);
    this.be.write(v.grad, seed);
  }

  /** Copy a named activation out (after `forward`). */
  read(site: string): Float64Array | Float32Array {
    const v = this.sites.get(site);
    if (!v) throw new Error(`unknown site '${site}'; recorded sites: ${[...this.sites.keys()].join(', ')}`);
    return this.be.read(v.buf) as Float64Array | Float32Array;
  }
}
