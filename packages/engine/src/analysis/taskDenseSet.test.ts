/**
 * The dense-set analyses on the tasks beyond the paper's (issue 23 item 3): k shots, bursty contexts and
 * repeated tokens. Each is checked against a direct computation written here: the float64 reference
 * backend's all-position forward of the same sequences, with the strength and the previous-token scores
 * computed from its attention patterns and the batch's tokens (the candidates found from the token ids, not
 * from data/tasks/positions.ts), and the ablations computed by zeroing the ablated heads' value rows in the
 * weights (v_h = 0 is what an ablation is) instead of through the intervention passes.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backends/reference.js';
import { createWasmBackend } from '../backends/wasm.js';
import { buildTask, defaultTaskConfig, syntheticFeatures } from '../data/index.js';
import type { TaskSelection } from '../data/tasks/schema.js';
import { tokenLabel, type SequenceBatch } from '../data/types.js';
import { buildModel } from '../model.js';
import type { ModelConfig, ParamStore } from '../params.js';
import { SMALL } from '../testing/clampConformance.js';
import { cloneParams, randomParams } from '../testing/clampRig.js';
import { ablationVsStrength } from './ablation.js';
import { DenseEvaluator, denseSet, type DenseSet } from './denseSet.js';
import { wiringMatrices } from './wiring.js';

const features = syntheticFeatures({ seed: 0, nClasses: 20, dim: SMALL.featureDim });
const task = buildTask({ ...defaultTaskConfig(), numLabels: 8, classSplit: [8, 4, 8] }, features);

const K3: TaskSelection = { numLabels: 8, kind: 'fewShot', shots: 3 };
// pBursty 0.5 with Zipfian classes: some contexts lack the query's label, whose strength is undefined.
const BURSTY: TaskSelection = { numLabels: 8, kind: 'bursty', bursty: { contextPairs: 4, burstiness: 2, pBursty: 0.5, zipfExponent: 1, trainClasses: 8, commonClasses: 2, holdoutClasses: 4, exemplars: 1 } };
const REPEAT: TaskSelection = { numLabels: 8, kind: 'repeatTokens', repeat: { prefixLength: 6, repeatLength: 2 } };
const TASKS: [string, TaskSelection, ModelConfig][] = [
  ['fewShot with 3 shots', K3, SMALL],
  ['bursty (4 pairs, labels repeat, some contexts without the target)', BURSTY, SMALL],
  ['repeated tokens (6 + 2)', REPEAT, SMALL],
  ['fewShot with 3 shots, 3 layers', K3, { ...SMALL, nLayers: 3 }],
];
const N = 300;

/** The positions whose token the query may copy, found from the tokens: label tokens before the query (few-shot), or the distinct prefix (repeated tokens). */
function candidatesOf(sel: TaskSelection, T: number): number[] {
  if (sel.kind === 'repeatTokens') return Array.from({ length: sel.repeat!.prefixLength! }, (_, j) => j);
  return Array.from({ length: T - 1 }, (_, j) => j).filter((j) => j % 2 === 1);
}

/** Float64 reference forward of every sequence of `set` at every position: patterns of every layer and the query's loss / argmax. */
function referenceForward(p: ParamStore, set: DenseSet) {
  const ref = cloneParams(p, createReferenceBackend());
  const cfg = ref.config;
  const T = set.batch.layout!.seqLen;
  const sites = Array.from({ length: cfg.nLayers }, (_, l) => `blocks.${l}.attn.pattern`);
  const m = buildModel(ref, { batch: set.batch.size, seqLen: T, nItems: set.distribution.items.length, training: false, allPositions: true, keep: sites });
  m.setFeatures(set.distribution.itemFeatures);
  m.setBatch(set.batch);
  m.program.forward();
  const L = cfg.numLabels;
  const logits = new Float64Array(set.batch.size * L);
  ref.be.read(m.queryLogits.buf, logits);
  return { patterns: sites.map((s) => Float64Array.from(m.program.read(s))), ...lossAcc(logits, set.batch, L), T };
}

function lossAcc(logits: Float64Array, batch: SequenceBatch, L: number): { loss: number; acc: number } {
  let loss = 0;
  let acc = 0;
  for (let b = 0; b < batch.size; b++) {
    const row = logits.subarray(b * L, (b + 1) * L);
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
    loss += lse - row[batch.target[b]];
    let arg = 0;
    for (let l = 1; l < L; l++) if (row[l] > row[arg]) arg = l;
    acc += arg === batch.target[b] ? 1 : 0;
  }
  return { loss: loss / batch.size, acc: acc / batch.size };
}

/** The reference model with the value rows of heads `heads` ("l:h") zeroed: those heads ablated, in the weights. */
function withoutValues(p: ParamStore, heads: string[]): ParamStore {
  const q = cloneParams(p, createWasmBackend());
  const host = Float64Array.from(q.readBlock('values'));
  const { dModel: d, nHeads: H } = q.config;
  const D = q.config.headDim ?? d / H;
  for (const s of heads) {
    const [l, h] = s.split(':').map(Number);
    const e = q.get(`blocks.${l}.attn.qkv.weight`);
    host.fill(0, e.offset + (2 * H * D + h * D) * d, e.offset + (2 * H * D + (h + 1) * D) * d);
  }
  q.writeBlock('values', host);
  return q;
}

describe('dense-set analyses on k shots, bursty contexts and repeated tokens, against a direct float64 computation', () => {
  for (const [name, sel, cfg] of TASKS)
    it(name, () => {
      const p = randomParams(createWasmBackend(), cfg, 11);
      const set = denseSet(task, features, { size: N, seed: 2 }, sel);
      expect(set.batch.size).toBe(N);
      expect(set.description).toContain(`${N} sequences`);
      // Chunks of 128: the last one is padded, as in a real analysis.
      const ev = new DenseEvaluator(p, set, { chunk: 128 });
      const last = cfg.nLayers - 1;
      const r = ev.evaluate({}, { heads: true });
      const ref = referenceForward(p, set);
      const { T } = ref;
      const H = cfg.nHeads;
      expect(r.loss).toBeCloseTo(ref.loss, 5);

      // Strength: Σ attention on the candidates holding the target − (nc/nw)·Σ on the others, at the query row.
      const cands = candidatesOf(sel, T);
      const strength = new Array<number>(H).fill(0);
      const pt = new Array<number>(H).fill(0);
      const ptAt = new Array<number>(H).fill(0);
      let scored = 0;
      const A2 = ref.patterns[last];
      const A1 = ref.patterns[0];
      const ptPositions = cands.filter((t) => t >= 1);
      for (let b = 0; b < N; b++) {
        const tok = (j: number) => set.batch.layout!.tokens[b * T + j];
        const right = cands.filter((j) => tokenLabel(tok(j)) === set.batch.target[b]);
        const wrong = cands.filter((j) => !right.includes(j));
        if (right.length && wrong.length) scored++;
        for (let h = 0; h < H; h++) {
          const at = (A: Float64Array, t: number, j: number) => A[((b * H + h) * T + t) * T + j];
          if (right.length && wrong.length) {
            const meanRight = right.reduce((a, j) => a + at(A2, T - 1, j), 0) / right.length;
            const meanWrong = wrong.reduce((a, j) => a + at(A2, T - 1, j), 0) / wrong.length;
            strength[h] += right.length * (meanRight - meanWrong);
          }
          for (let t = 1; t < T; t++) {
            const a = at(A1, t, t - 1);
            pt[h] += (a - (1 - a) / t) / (T - 1) / N;
            if (ptPositions.includes(t)) ptAt[h] += (a - (1 - a) / t) / ptPositions.length / N;
          }
        }
      }
      expect(r.strengthCount).toBe(scored);
      if (sel.kind === 'bursty') expect(scored).toBeLessThan(N);
      else expect(scored).toBe(N);
      for (let h = 0; h < H; h++) {
        expect(r.strength![h]).toBeCloseTo(strength[h] / scored, 5);
        expect(r.prevToken![h]).toBeCloseTo(pt[h], 5);
        expect(r.prevTokenAtLabels![h]).toBeCloseTo(ptAt[h], 5);
      }

      // Ablations: "ablate only h" and "only h active" equal the model whose other value rows are zero.
      const ab = ablationVsStrength(ev);
      expect(ab.strength).toEqual(r.strength);
      for (let h = 0; h < H; h++) {
        const others = Array.from({ length: H }, (_, j) => `${last}:${j}`).filter((s) => s !== `${last}:${h}`);
        const one = referenceForward(withoutValues(p, [`${last}:${h}`]), set);
        const only = referenceForward(withoutValues(p, others), set);
        expect(ab.ablateOne[h].loss).toBeCloseTo(one.loss, 5);
        expect(ab.onlyOne[h].loss).toBeCloseTo(only.loss, 5);
        expect(ab.ablateOne[h].acc).toBeCloseTo(one.acc, 1);
      }
    });

  it('wiring on repeated tokens: the baseline is "only reader head i" computed in the weights; a dead writer head changes nothing', () => {
    const p = randomParams(createWasmBackend(), SMALL, 5);
    // Writer head 0:1 writes nothing: its out columns are zero.
    const host = Float64Array.from(p.readBlock('values'));
    const e = p.get('blocks.0.attn.out.weight');
    const { dModel: d, nHeads: H } = SMALL;
    const D = d / H;
    for (let r = 0; r < d; r++) host.fill(0, e.offset + r * d + D, e.offset + r * d + 2 * D);
    p.writeBlock('values', host);
    const set = denseSet(task, features, { size: 200, seed: 1 }, REPEAT);
    const w = wiringMatrices(new DenseEvaluator(p, set));
    for (let i = 0; i < H; i++) {
      const only = referenceForward(withoutValues(p, Array.from({ length: H }, (_, j) => `1:${j}`).filter((s) => s !== `1:${i}`)), set);
      expect(w.baseline[i]).toBeCloseTo(only.acc, 1);
      expect(w.Mpv[i][1]).toBe(0);
      expect(w.Mpp[i][1]).toBe(0);
    }
  });
});

describe('dense sets of the tasks beyond the paper: bad input', () => {
  it("size 'all' is the paper's finite set only: one line naming the task", () => {
    expect(() => denseSet(task, features, { size: 'all' }, K3)).toThrow(/^dense set size 'all': only the paper's 5-token task has an enumerable finite training set; fewShot with 3 shots \(task\.kind 'fewShot'\) draws its dense set, so give a number of sequences$/);
    expect(() => denseSet(task, features, { size: 0 }, REPEAT)).toThrow(/dense set size must be a positive integer or 'all', got 0/);
  });

  it('a strength on a set where no context holds the target is refused, not NaN', () => {
    const set = denseSet(task, features, { size: 50, seed: 0 }, K3);
    // Every target moved to a label absent from the context: no candidate holds it.
    const T = set.batch.layout!.seqLen;
    for (let b = 0; b < 50; b++) {
      const present = [1, 3, 5].map((j) => tokenLabel(set.batch.layout!.tokens[b * T + j]));
      set.batch.target[b] = [0, 1, 2, 3].find((l) => !present.includes(l))!;
    }
    const ev = new DenseEvaluator(randomParams(createWasmBackend(), SMALL, 1), set);
    expect(() => ev.evaluate({}, { heads: true })).toThrow(/^induction strength has no meaning on this dense set \(50 sequences of the fewShot with 3 shots training distribution \(seed 0\)\): no sequence has the target's label at one candidate position/);
    // Loss and accuracy still have a meaning there.
    expect(ev.evaluate({}).n).toBe(50);
  });

  it('the same seed draws the same set, another seed another', () => {
    const a = denseSet(task, features, { size: 40, seed: 3 }, BURSTY).batch.layout!.tokens;
    expect([...denseSet(task, features, { size: 40, seed: 3 }, BURSTY).batch.layout!.tokens]).toEqual([...a]);
    expect([...denseSet(task, features, { size: 40, seed: 4 }, BURSTY).batch.layout!.tokens]).not.toEqual([...a]);
  });
});
