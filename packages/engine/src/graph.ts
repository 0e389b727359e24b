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
  /**
   * Set by the backward when this value's gradient is known on the host without reading it: the loss
   * seeded with 1 that no op consumes. An op may use it instead of a read (a device round trip on webgpu).
   */
  knownGrad?: number | null;
}

/** Called at every named site; returns the value the rest of the forward should use. */
export type SiteHook = (name: string, value: Value) => Value;

interface TapeEntry {
  out: Value;
  inputs: readonly (Value | null)[];
  fwd: () => void;
  bwd: () => void;
}

export class Graph {
  private readonly tape: TapeEntry[] = [];
  private readonly needGrad: Value[] = [];
  readonly sites = new Map<string, Value>();

  /** Site-name prefix and hook of the pass being traced (multi-pass interventions, spec 4.1). */
  private pass: { prefix: string; hook?: SiteHook } = { prefix: '' };

  constructor(
    readonly be: Backend,
    readonly opts: { training: boolean },
  ) {}

  /** Trace `fn` as a pass whose sites are named `prefix + site` and pass through `hook`. */
  inPass<T>(prefix: string, hook: SiteHook | undefined, fn: () => T): T {
    const saved = this.pass;
    this.pass = { prefix, hook };
    try {
      return fn();
    } finally {
      this.pass = saved;
    }
  }

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

  /** Record an op producing `out` from `inputs`: `fwd` computes it, `bwd` accumulates into inputs' grads. */
  push(out: Value, inputs: readonly (Value | null)[], fwd: () => void, bwd: () => void): void {
    this.tape.push({ out, inputs, fwd, bwd });
  }

  /** The same storage under another shape (no copy); its gradient is its base's gradient. */
  view(base: Value, shape: readonly number[]): Value {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== base.size) throw new Error(`view: [${shape}] does not hold the ${base.size} elements of [${base.shape}]`);
    const v: Value = { buf: base.buf, grad: null, shape, size, requiresGrad: base.requiresGrad };
    this.views.set(v, base);
    this.push(v, [base], noop, noop);
    return v;
  }
  private readonly views = new Map<Value, Value>();

  /**
   * Name an activation and let the pass's intervention hook replace it. The site then records the value
   * the rest of the forward actually uses; the computed one stays readable as `<site>.computed`.
   */
  site(name: string, v: Value): Value {
    const full = this.pass.prefix + name;
    if (this.sites.has(full)) throw new Error(`site '${full}' defined twice in one forward`);
    v.site ??= full;
    this.sites.set(full, v);
    const out = this.pass.hook ? this.pass.hook(name, v) : v;
    if (out !== v) {
      this.sites.set(`${full}.computed`, v);
      this.sites.set(full, out);
    }
    return out;
  }

  /**
   * Register a value for recording only: interventions never see it (the forward does not read it).
   * Used where the fast path computes an activation on deduplicated rows (see model.ts, block 0).
   */
  recordSite(name: string, v: Value): void {
    const full = this.pass.prefix + name;
    if (this.sites.has(full)) throw new Error(`site '${full}' defined twice in one forward`);
    v.site ??= full;
    this.sites.set(full, v);
    this.recordOnly.add(full);
  }

  /** Sites that can be read but not intervened on in this program. */
  readonly recordOnly = new Set<string>();

  /**
   * Freeze the tape into a program. Only ops that the loss or a kept value depends on survive (dead-code
   * elimination): passes whose output an intervention discards, record-only copies nobody asked for and
   * unused parts of reference passes cost nothing. `keep: 'all'` keeps every named site computable.
   */
  compile(loss: Value | null, keep: readonly Value[] | 'all' = []): Program {
    const roots = keep === 'all' ? [...this.sites.values()] : [...keep];
    if (loss) roots.push(loss);
    const producer = new Map<Value, TapeEntry>();
    for (const e of this.tape) producer.set(e.out, e);
    const live = new Set<TapeEntry>();
    const stack = [...roots];
    while (stack.length) {
      const e = producer.get(stack.pop()!);
      if (!e || live.has(e)) continue;
      live.add(e);
      for (const x of e.inputs) if (x) stack.push(x);
    }
    const tape = this.tape.filter((e) => live.has(e));
    const liveValues = new Set(tape.map((e) => e.out));

    let gradBlock: Buf | null = null;
    let gradSize = 0;
    if (this.opts.training) {
      // One contiguous block for every live activation gradient: zeroing it is a single fill per step.
      const need = this.needGrad.filter((v) => liveValues.has(v) && !this.views.has(v));
      gradSize = need.reduce((a, v) => a + v.size, 0);
      gradBlock = this.be.allocF(Math.max(gradSize, 1));
      let off = 0;
      for (const v of need) {
        v.grad = this.be.slice(gradBlock, off, v.size);
        off += v.size;
      }
      for (const [v, base] of this.views) v.grad = v.requiresGrad ? this.baseOf(base).grad : null;
    }
    const sites = new Map([...this.sites].filter(([, v]) => liveValues.has(v) || !producer.has(v)));
    return new Program(this.be, tape, loss, gradBlock, gradSize, sites);
  }

  private baseOf(v: Value): Value {
    let b = v;
    while (this.views.has(b)) b = this.views.get(b)!;
    return b;
  }
}

const noop = (): void => undefined;

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
    this.lossIsTerminal = loss !== null && !tape.some((t) => t.inputs.includes(loss));
  }

  /** Nothing consumes the loss, so after a seed of 1 its gradient is exactly 1. */
  private readonly lossIsTerminal: boolean;

  forward(): void {
    const f = this.fwds;
    for (let i = 0; i < f.length; i++) f[i]();
  }

  /**
   * Backpropagate from the loss (seed 1), or from `from`: the vector-Jacobian product of the value
   * `from.value` with the cotangent `from.seed` (what an op's finite-difference check differentiates).
   * Parameter gradients accumulate: the optimizer zeroes them.
   */
  backward(opts: { from?: { value: Value; seed: ArrayLike<number> } } = {}): void {
    if (!this.gradBlock) throw new Error('backward() on a program compiled without training');
    this.be.fill(this.gradBlock, 0, this.gradSize);
    if (this.loss) this.loss.knownGrad = !opts.from && this.lossIsTerminal ? 1 : null;
    if (opts.from) {
      if (!opts.from.value.grad) throw new Error('backward(): the seeded value has no gradient');
      this.be.write(opts.from.value.grad, opts.from.seed);
    } else {
      if (!this.loss?.grad) throw new Error('backward(): the program has no differentiable loss');
      this.be.fill(this.loss.grad, 1, 1);
    }
    const b = this.bwds;
    for (let i = 0; i < b.length; i++) b[i]();
  }

  /** Copy a named activation out (after `forward`). */
  read(site: string): Float64Array | Float32Array {
    const v = this.sites.get(site);
    if (!v) throw new Error(`unknown site '${site}'; recorded sites: ${[...this.sites.keys()].join(', ')}`);
    return this.be.read(v.buf) as Float64Array | Float32Array;
  }
}
