/**
 * The backend conformance suite: any backend runs it (`runConformance(name, make)`) and must match the
 * float64 reference on every op's forward and gradients, on the whole model's forward and every
 * parameter gradient, and on 100 Adam steps of training loss; then the same three checks over a grid of
 * model variants (MODEL_GRID: layers, MLP, positions, widths, head size).
 */
import { describe, expect, it } from 'vitest';
import type { Backend, Buf } from '../backend.js';
import { createReferenceBackend } from '../backends/reference.js';
import { allocBatch, type SequenceBatch } from '../data/types.js';
import { Graph, type Value } from '../graph.js';
import { buildModel } from '../model.js';
import * as op from '../ops.js';
import { Adam } from '../optim.js';
import { DEFAULT_MODEL, ParamStore, type ModelConfig } from '../params.js';
import { Rng } from '../rng.js';

type Build = (g: Graph, inputs: Value[], consts: Consts) => Value;
interface Consts {
  idx: (values: number[]) => Buf;
  mask: (values: number[]) => Buf;
}

interface OpCase {
  name: string;
  shapes: number[][];
  build: Build;
}

const attn = (Tq: number, qPos0: number) => ({ Bn: 3, H: 8, Tq, Tk: 5, D: 8, qPos0 });
export const OP_CASES: OpCase[] = [
  { name: 'linear [160x64]·[192x64]ᵀ + b', shapes: [[160, 64], [192, 64], [192]], build: (g, [x, W, b]) => op.linear(g, x, W, b) },
  { name: 'linear odd sizes', shapes: [[7, 13], [5, 13], [5]], build: (g, [x, W, b]) => op.linear(g, x, W, b) },
  { name: 'layerNorm', shapes: [[37, 64], [64], [64]], build: (g, [x, a, b]) => op.layerNorm(g, x, a, b, 1e-5) },
  { name: 'rope per-row positions', shapes: [[15, 64]], build: (g, [x]) => op.rope(g, x, 5, 0, op.ropeTables(g, 5, 8, 1e4), 8) },
  { name: 'rope fixed query position', shapes: [[4, 64]], build: (g, [x]) => op.rope(g, x, 0, 4, op.ropeTables(g, 5, 8, 1e4), 8) },
  ...[
    [5, 0],
    [1, 4],
  ].map(([Tq, q0]) => ({
    name: `attention Tq=${Tq}`,
    shapes: [[3 * Tq, 64], [15, 64], [15, 64]],
    build: ((g, [q, k, v]) => op.attnApply(g, op.softmax(g, op.attnScores(g, q, k, attn(Tq, q0))), v, attn(Tq, q0))) as Build,
  })),
  { name: 'gelu (tanh approximation), large and small arguments', shapes: [[13, 7]], build: (g, [x]) => op.gelu(g, op.linear(g, x, x, null)) },
  { name: 'gather/scatter rows', shapes: [[6, 64]], build: (g, [x], c) => op.gatherRows(g, x, c.idx([5, 0, 5, 2, 1, 5, 3]), 7) },
  { name: 'concat + add', shapes: [[3, 8], [2, 8], [5, 8]], build: (g, [a, b, c]) => op.add(g, op.concatRows(g, a, b), c) },
  { name: 'where', shapes: [[4, 4], [4, 4]], build: (g, [a, b], c) => op.where(g, c.mask([1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0]), a, b) },
  { name: 'cross-entropy mean', shapes: [[9, 5]], build: (g, [z], c) => op.crossEntropyMean(g, z, c.idx([0, 1, 2, 3, 4, 4, 3, 2, 1])).loss },
];

interface OpRun {
  out: number[];
  grads: number[][];
}

export function runOp(be: Backend, c: OpCase, seed: number): OpRun {
  const rng = new Rng(seed);
  const g = new Graph(be, { training: true });
  const consts: Consts = {
    idx: (v) => {
      const b = be.allocI32(v.length);
      be.write(b, v);
      return b;
    },
    mask: (v) => {
      const b = be.allocU8(v.length);
      be.write(b, v);
      return b;
    },
  };
  const ins = c.shapes.map((s) => {
    const n = s.reduce((a, b) => a * b, 1);
    const buf = be.allocF(n);
    be.write(buf, Array.from({ length: n }, () => rng.normal()));
    return g.wrap(buf, s, be.allocF(n));
  });
  const out = c.build(g, ins, consts);
  const prog = g.compile(null, [out]);
  prog.forward();
  prog.backward({ from: { value: out, seed: Array.from({ length: out.size }, () => rng.normal()) } });
  return { out: [...be.read(out.buf)], grads: ins.map((v) => [...be.read(v.grad!)]) };
}

/** max |a − b| / (max |b| + tiny): error relative to the tensor's scale. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / (den + 1e-30);
}

export function conformanceBatch(B: number, nItems: number, L: number, rng: Rng): SequenceBatch {
  const sb = allocBatch(B);
  for (let b = 0; b < B; b++) {
    const c1 = rng.int(nItems);
    const c2 = (c1 + 1 + rng.int(nItems - 1)) % nItems;
    const slot = rng.int(2);
    const l1 = rng.int(L);
    const l2 = (l1 + 1 + rng.int(L - 1)) % L;
    sb.item.set([c1, c2, slot ? c2 : c1], b * 3);
    sb.contextLabel.set([l1, l2], b * 2);
    sb.querySlot[b] = slot;
    sb.target[b] = slot ? l2 : l1;
  }
  return sb;
}

/**
 * Model variants beyond the paper's (params.ts), small enough (32-wide features, batch 8) that 100 Adam steps
 * of each stay cheap on every backend, software WebGPU included. Together they cover 1 and 3 layers, MLP on
 * and off, each kind of positions, a non-default width and heads, and a head size other than dModel / nHeads.
 */
const GRID_BASE: ModelConfig = { ...DEFAULT_MODEL, featureDim: 32 };
export const MODEL_GRID: { name: string; config: ModelConfig }[] = [
  { name: '1 layer, RoPE', config: { ...GRID_BASE, nLayers: 1 } },
  { name: '3 layers, MLP ×2, RoPE', config: { ...GRID_BASE, nLayers: 3, mlpHidden: 128 } },
  { name: '2 layers, MLP, learned positions', config: { ...GRID_BASE, mlpHidden: 96, positions: 'learned', ctx: 7 } },
  { name: '3 layers, no positions', config: { ...GRID_BASE, nLayers: 3, positions: 'none' } },
  { name: 'dModel 48, 4 heads of 10, MLP, RoPE', config: { ...GRID_BASE, dModel: 48, nHeads: 4, headDim: 10, mlpHidden: 80 } },
  { name: 'dModel 32, 2 heads of 16, learned positions', config: { ...GRID_BASE, dModel: 32, nHeads: 2, positions: 'learned', ctx: 5 } },
];

/**
 * Two variants that between them (with the paper's model of the main checks) cover every axis of MODEL_GRID:
 * for backends whose every kernel call costs milliseconds (software WebGPU), where six variants' 100 steps
 * would add ten minutes to CI.
 */
export const MODEL_GRID_COMBINED: { name: string; config: ModelConfig }[] = [
  { name: '3 layers, MLP, learned positions, dModel 48, 4 heads of 10', config: { ...GRID_BASE, nLayers: 3, dModel: 48, nHeads: 4, headDim: 10, mlpHidden: 80, positions: 'learned', ctx: 5 } },
  { name: '1 layer, no positions, dModel 32, 2 heads of 16', config: { ...GRID_BASE, nLayers: 1, dModel: 32, nHeads: 2, positions: 'none' } },
];

/** The site of a config's last block that depends on the most of it: the MLP's pre-activation, else the pattern. */
const deepSite = (c: ModelConfig) => `blocks.${c.nLayers - 1}.${c.mlpHidden ? 'mlp.pre' : 'attn.pattern'}`;

/**
 * One variant on one backend: forward at every position (logits and `deepSite`), loss and every parameter
 * gradient; then the loss of 100 Adam steps of the query-only training program on fresh batches.
 */
function runVariant(be: Backend, config: ModelConfig, B: number, nItems: number) {
  const rng = new Rng(41);
  const feats = Float32Array.from({ length: nItems * config.featureDim }, () => Math.abs(rng.normal()));
  const params = new ParamStore(be, config);
  params.init(5);
  const site = deepSite(config);
  const m = buildModel(params, { batch: B, nItems, training: true, allPositions: true, keep: ['logits', site] });
  m.setFeatures(feats);
  m.setBatch(conformanceBatch(B, nItems, config.numLabels, rng));
  m.program.forward();
  params.zeroGrads();
  m.program.backward();
  const fwd = {
    logits: [...be.read(m.program.sites.get('logits')!.buf)],
    deep: [...be.read(m.program.sites.get(site)!.buf)],
    loss: be.read(m.loss.buf)[0],
    grads: Object.fromEntries(params.list().map((e) => [e.spec.name, [...be.read(e.grad)]])),
  };
  params.init(5);
  const adam = new Adam(params, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const t = buildModel(params, { batch: B, nItems, training: true });
  t.setFeatures(feats);
  const losses: number[] = [];
  for (let s = 0; s < 100; s++) {
    t.setBatch(conformanceBatch(B, nItems, config.numLabels, rng));
    t.program.forward();
    params.zeroGrads();
    t.program.backward();
    adam.step();
    losses.push(be.read(t.loss.buf)[0]);
  }
  return { ...fwd, losses };
}

export function runConformance(name: string, make: () => Backend, tol = { op: 2e-5, grad: 1e-4, adam: 1e-4 }, grid = MODEL_GRID): void {
  const ref = createReferenceBackend();
  describe(`backend conformance: ${name} vs reference`, () => {
    for (const c of OP_CASES)
      it(`op ${c.name}: forward and every input gradient`, () => {
        const be = make();
        const a = runOp(be, c, 11);
        const r = runOp(ref, c, 11);
        expect(relErr(a.out, r.out)).toBeLessThan(tol.op);
        a.grads.forEach((gr, i) => expect(relErr(gr, r.grads[i])).toBeLessThan(tol.op));
      });

    it('model: forward (all positions), loss and every parameter gradient', () => {
      const nItems = 50;
      const rng = new Rng(21);
      const feats = Float32Array.from({ length: nItems * 512 }, () => Math.abs(rng.normal()));
      const sb = conformanceBatch(32, nItems, 5, rng);
      const results = [make(), ref].map((be) => {
        const params = new ParamStore(be, DEFAULT_MODEL);
        params.init(5);
        const m = buildModel(params, { batch: 32, nItems, training: true, allPositions: true, keep: ['logits', 'blocks.1.attn.pattern'] });
        m.setFeatures(feats);
        m.setBatch(sb);
        m.program.forward();
        params.zeroGrads();
        m.program.backward();
        return {
          logits: [...be.read(m.program.sites.get('logits')!.buf)],
          pattern: [...be.read(m.program.sites.get('blocks.1.attn.pattern')!.buf)],
          loss: be.read(m.loss.buf)[0],
          grads: Object.fromEntries(params.list().map((e) => [e.spec.name, [...be.read(e.grad)]])),
        };
      });
      const [a, r] = results;
      expect(relErr(a.logits, r.logits)).toBeLessThan(tol.op);
      expect(relErr(a.pattern, r.pattern)).toBeLessThan(tol.op);
      expect(Math.abs(a.loss - r.loss) / r.loss).toBeLessThan(tol.op);
      for (const [pname, gr] of Object.entries(r.grads)) expect(relErr(a.grads[pname], gr), pname).toBeLessThan(tol.grad);
    });

    it('training: 100 Adam steps of loss on fresh batches match the reference', () => {
      const nItems = 50;
      const losses = [make(), ref].map((be) => {
        const rng = new Rng(33);
        const feats = Float32Array.from({ length: nItems * 512 }, () => Math.abs(rng.normal()));
        const params = new ParamStore(be, DEFAULT_MODEL);
        params.init(5);
        // lr 1e-3 (100× the paper's) so 100 steps move the loss measurably and errors could compound.
        const adam = new Adam(params, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
        const m = buildModel(params, { batch: 32, nItems, training: true });
        m.setFeatures(feats);
        const out: number[] = [];
        for (let s = 0; s < 100; s++) {
          m.setBatch(conformanceBatch(32, nItems, 5, rng));
          m.program.forward();
          params.zeroGrads();
          m.program.backward();
          adam.step();
          out.push(be.read(m.loss.buf)[0]);
        }
        return out;
      });
      const [a, r] = losses;
      expect(r[99]).toBeLessThan(r[0] - 0.05); // the run actually trains
      for (let s = 0; s < 100; s++) expect(Math.abs(a[s] - r[s]) / r[s], `step ${s}`).toBeLessThan(tol.adam);
    });

    for (const v of grid)
      it(`variant ${v.name}: forward, every parameter gradient and 100 Adam steps match the reference`, () => {
        const a = runVariant(make(), v.config, 8, 20);
        const r = runVariant(ref, v.config, 8, 20);
        expect(relErr(a.logits, r.logits)).toBeLessThan(tol.op);
        expect(relErr(a.deep, r.deep), deepSite(v.config)).toBeLessThan(tol.op);
        expect(Math.abs(a.loss - r.loss) / r.loss).toBeLessThan(tol.op);
        expect(Object.keys(a.grads)).toEqual(Object.keys(r.grads));
        for (const [pname, gr] of Object.entries(r.grads)) expect(relErr(a.grads[pname], gr), pname).toBeLessThan(tol.grad);
        expect(r.losses[99]).toBeLessThan(r.losses[0] - 0.05); // the run actually trains
        for (let s = 0; s < 100; s++) expect(Math.abs(a.losses[s] - r.losses[s]) / r.losses[s], `step ${s}`).toBeLessThan(tol.adam);
      });
  });
}
