/**
 * Finite-difference gradient checking for the float64 reference backend (test helper, not shipped logic).
 * L = Σ w ⊙ out for a fixed random w; analytic gradients come from one seeded backward pass and are
 * compared with central differences of L on the same program.
 */
import type { Backend, Buf } from '../backend.js';
import { Graph, type Value } from '../graph.js';
import { Rng } from '../rng.js';

export interface FdInput {
  value: Value;
  buf: Buf;
  grad: Buf;
  size: number;
}

export interface FdResult {
  /** max |analytic − numeric| / max(1e-6, |analytic| + |numeric|) over checked coordinates. */
  maxRelErr: number;
  /** max |analytic − numeric|. */
  maxAbsErr: number;
  checked: number;
}

/** Build `fn` over random inputs of the given shapes and check every input's gradient. */
export function checkGradients(
  be: Backend,
  shapes: number[][],
  fn: (g: Graph, inputs: Value[]) => Value,
  opts: { seed?: number; h?: number; maxCoords?: number; init?: (i: number, rng: Rng) => number } = {},
): FdResult {
  const rng = new Rng(opts.seed ?? 1);
  const h = opts.h ?? 1e-6;
  const g = new Graph(be, { training: true });
  const inputs: FdInput[] = shapes.map((shape, i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const buf = be.allocF(size);
    be.write(buf, Array.from({ length: size }, () => (opts.init ? opts.init(i, rng) : rng.normal())));
    const grad = be.allocF(size);
    return { value: g.wrap(buf, shape, grad), buf, grad, size };
  });
  const out = fn(g, inputs.map((x) => x.value));
  const program = g.compile(null, [out]);
  const w = Array.from({ length: out.size }, () => rng.normal());
  const objective = weightedOutput(be, program, out, w);
  objective();
  program.backward({ from: { value: out, seed: w } });
  let maxRelErr = 0;
  let maxAbsErr = 0;
  let checked = 0;
  for (const inp of inputs) {
    const analytic = be.read(inp.grad);
    const host = be.read(inp.buf) as Float64Array;
    const coords = pickCoords(inp.size, opts.maxCoords ?? 64, rng);
    for (const c of coords) {
      const x0 = host[c];
      be.write(inp.buf, [x0 + h], c);
      const lp = objective();
      be.write(inp.buf, [x0 - h], c);
      const lm = objective();
      be.write(inp.buf, [x0], c);
      const numeric = (lp - lm) / (2 * h);
      const abs = Math.abs(analytic[c] - numeric);
      maxAbsErr = Math.max(maxAbsErr, abs);
      maxRelErr = Math.max(maxRelErr, abs / Math.max(1e-6, Math.abs(analytic[c]) + Math.abs(numeric)));
      checked++;
    }
  }
  return { maxRelErr, maxAbsErr, checked };
}

/** L = Σ w ⊙ out after a fresh forward: the scalar whose gradient `backward({ from: { value: out, seed: w } })` gives. */
export function weightedOutput(be: Backend, program: { forward(): void }, out: Value, w: readonly number[]): () => number {
  return () => {
    program.forward();
    const o = be.read(out.buf);
    let s = 0;
    for (let i = 0; i < o.length; i++) s += w[i] * o[i];
    return s;
  };
}

function pickCoords(n: number, max: number, rng: Rng): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const s = new Set<number>();
  while (s.size < max) s.add(rng.int(n));
  return [...s];
}

/**
 * Finite differences of a model's loss in `perTensor` random coordinates of every parameter, against the
 * gradients its last backward left in `params`: the worst relative error.
 */
export function worstParamFdError(be: Backend, params: { list(): { value: Buf; grad: Buf; size: number }[] }, loss: () => number, rng: Rng, perTensor: number, h = 1e-6): number {
  let worst = 0;
  for (const e of params.list()) {
    const grad = be.read(e.grad);
    const val = be.read(e.value);
    for (let k = 0; k < perTensor; k++) {
      const i = rng.int(e.size);
      be.write(e.value, [val[i] + h], i);
      const lp = loss();
      be.write(e.value, [val[i] - h], i);
      const lm = loss();
      be.write(e.value, [val[i]], i);
      const num = (lp - lm) / (2 * h);
      worst = Math.max(worst, Math.abs(num - grad[i]) / Math.max(1e-7, Math.abs(num) + Math.abs(grad[i])));
    }
  }
  return worst;
}

/**
 * A model program's loss gradient against finite differences: forward, zeroed gradients and one backward,
 * then `worstParamFdError` over `perTensor` coordinates of every parameter, re-running the forward.
 */
export function modelFdError(
  be: Backend,
  params: { list(): { value: Buf; grad: Buf; size: number }[]; zeroGrads(): void },
  model: { program: { forward(): void; backward(): void }; loss: { buf: Buf } },
  rng: Rng,
  perTensor: number,
): number {
  model.program.forward();
  params.zeroGrads();
  model.program.backward();
  const loss = () => {
    model.program.forward();
    return be.read(model.loss.buf)[0];
  };
  return worstParamFdError(be, params, loss, rng, perTensor);
}
