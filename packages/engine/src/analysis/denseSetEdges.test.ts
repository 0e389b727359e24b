/**
 * Edges of analysis/denseSet.ts worked out by hand: the largest-remainder apportionment over strata of
 * unequal size (ties to the earlier stratum), the row copy of both batch layouts, the set's descriptions
 * and size checks at their bounds, and the evaluator's argmax on exact ties (a zero unembedding gives
 * uniform probabilities: loss ln L, every prediction label 0).
 */
import { describe, expect, it } from 'vitest';
import { createWasmBackend } from '../backends/wasm.js';
import type { Backend } from '../backend.js';
import { allocBatch, tokenLabel, type EvalSet } from '../data/types.js';
import { buildModel } from '../model.js';
import { ParamStore } from '../params.js';
import { headScores } from './heads.js';
import { DEFAULT_DENSE_CHUNK, DEFAULT_DENSE_SEED, DEFAULT_DENSE_SIZE, DenseEvaluator, denseSet, selectRows, stratifiedIndices } from './denseSet.js';
import { CFG, editor, features, randomParams, task } from './testing/fixture.js';

const K3 = { numLabels: 5, kind: 'fewShot' as const, shots: 3 };

/** A paper-layout batch whose sequence b lies in stratum `strata[b]` = (l1, l2, slot). */
function stratified(strata: [number, number, number][]) {
  const b = allocBatch(strata.length);
  strata.forEach(([l1, l2, s], i) => {
    b.contextLabel.set([l1, l2], 2 * i);
    b.querySlot[i] = s;
  });
  return b;
}

describe('stratifiedIndices', () => {
  // strata (with 3 labels) in key order: (0,1,0) → key 2: rows 0,3,5,7,9; (0,1,1) → key 3: rows 1,4,8; (2,1,0) → key 14: rows 2,6
  const keyOf: Record<number, [number, number, number]> = { 0: [0, 1, 0], 1: [0, 1, 1], 2: [2, 1, 0] };
  const rowsStratum = [0, 1, 2, 0, 1, 0, 2, 0, 1, 0];
  const batch = stratified(rowsStratum.map((s) => keyOf[s]));
  const count = (idx: Int32Array) => [0, 1, 2].map((s) => [...idx].filter((i) => rowsStratum[i] === s).length);

  it('apportions by largest remainder: 4 of (5, 3, 2) is (2, 1, 1)', () => {
    // exact 2, 1.2, 0.8: floors 2, 1, 0; the one left goes to the largest remainder 0.8
    expect(count(stratifiedIndices(batch, 3, 4, 0))).toEqual([2, 1, 1]);
  });

  it('a tie of remainders goes to the earlier stratum: 5 of (5, 3, 2) is (3, 1, 1)', () => {
    // exact 2.5, 1.5, 1: floors 2, 1, 1; remainders 0.5, 0.5, 0: the first stratum gets the one left
    for (const seed of [0, 1, 2]) expect(count(stratifiedIndices(batch, 3, 5, seed))).toEqual([3, 1, 1]);
  });

  it('9 of 10 leaves one out, 1 of 10 takes the largest stratum; indices distinct, ascending, seeded', () => {
    expect(count(stratifiedIndices(batch, 3, 9, 0))).toEqual([4, 3, 2]); // 4.5, 2.7, 1.8 → 4, 2, 1 + two left, to remainders 0.8 and 0.7
    expect(count(stratifiedIndices(batch, 3, 1, 0))).toEqual([1, 0, 0]); // 0.5, 0.3, 0.2
    for (const seed of [0, 1, 7]) {
      const idx = [...stratifiedIndices(batch, 3, 6, seed)];
      expect(new Set(idx).size).toBe(6);
      expect(idx).toEqual([...idx].sort((a, b) => a - b));
      expect(idx.every((i) => i >= 0 && i < 10)).toBe(true);
    }
    const draws = new Set([0, 1, 2, 3, 4, 5, 6, 7].map((seed) => stratifiedIndices(batch, 3, 4, seed).join(',')));
    expect(draws.size).toBeGreaterThan(1);
  });

  it('strata are taken in ascending key (l1·L + l2)·2 + slot, not in order of appearance or as strings', () => {
    // two strata of one row each, one sequence to draw: the tie goes to the smaller key.
    // (1,2,0) has key 10 and (1,0,0) key 6: the second row's stratum comes first (as strings "10" < "6")
    expect([...stratifiedIndices(stratified([[1, 2, 0], [1, 0, 0]]), 3, 1, 0)]).toEqual([1]);
    // (1,0,0) key 6 and (0,2,0) key 4: the label pair orders by l1 first, then l2
    expect([...stratifiedIndices(stratified([[1, 0, 0], [0, 2, 0]]), 3, 1, 0)]).toEqual([1]);
    // the query slot is the last digit: (0,1,1) key 3 before (1,0,0) key 6
    expect([...stratifiedIndices(stratified([[1, 0, 0], [0, 1, 1]]), 3, 1, 0)]).toEqual([1]);
  });

  it('every row of a stratum can be drawn (the shuffle reaches the last one)', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 40; seed++) for (const i of stratifiedIndices(batch, 3, 3, seed)) seen.add(i);
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('selectRows', () => {
  it('copies every field of the paper layout', () => {
    const src = allocBatch(3);
    for (let i = 0; i < 3; i++) {
      src.item.set([10 * i, 10 * i + 1, 10 * i + 2], 3 * i);
      src.cls.set([20 * i, 20 * i + 1, 20 * i + 2], 3 * i);
      src.contextLabel.set([i, i + 1], 2 * i);
      src.target[i] = 5 + i;
      src.querySlot[i] = i % 2;
    }
    const out = selectRows(src, [2, 0, 2]);
    expect(out.size).toBe(3);
    expect([...out.item]).toEqual([20, 21, 22, 0, 1, 2, 20, 21, 22]);
    expect([...out.cls]).toEqual([40, 41, 42, 0, 1, 2, 40, 41, 42]);
    expect([...out.contextLabel]).toEqual([2, 3, 0, 1, 2, 3]);
    expect([...out.target]).toEqual([7, 5, 7]);
    expect([...out.querySlot]).toEqual([0, 0, 0]);
    expect([...selectRows(src, [1]).querySlot]).toEqual([1]);
  });

  it('the evaluator copies rows of the token layout: tokens, classes and target', () => {
    // a 3-token layout set: the evaluator's chunks must see each sequence's own tokens
    const set = denseSet(task, features, { size: 12, seed: 2 }, { numLabels: 5, kind: 'fewShot', shots: 3 });
    const chunked = new DenseEvaluator(randomParams(3), set, { chunk: 5 }).evaluate({});
    const whole = new DenseEvaluator(randomParams(3), set, { chunk: 12 }).evaluate({});
    for (let i = 0; i < 12; i++) expect(chunked.rowLoss[i]).toBeCloseTo(whole.rowLoss[i], 5);
    expect([...chunked.pred]).toEqual([...whole.pred]);
    // and a different row order gives different per-row losses (the copy is per row, not a block)
    expect(new Set([...whole.rowLoss].map((x) => x.toFixed(6))).size).toBeGreaterThan(1);
  });
});

describe('the evaluator on a sampled (token layout) set', () => {
  it('its per-row losses are the model’s on the set’s own batch, in chunks of any size', () => {
    const p = randomParams(9);
    const set = denseSet(task, features, { size: 12, seed: 2 }, K3);
    const m = buildModel(p, { batch: 12, seqLen: 7, nItems: set.distribution.items.length, training: false });
    m.setFeatures(set.distribution.itemFeatures);
    m.setBatch(set.batch);
    m.program.forward();
    const direct = Array.from(p.be.read(m.rowLoss));
    for (const chunk of [5, 12]) {
      const r = new DenseEvaluator(p, set, { chunk }).evaluate({});
      for (let i = 0; i < 12; i++) expect(r.rowLoss[i], `chunk ${chunk}, row ${i}`).toBeCloseTo(direct[i], 5);
    }
  });

  it('induction strength on a set where no context holds the target is refused, naming the set', () => {
    const set = denseSet(task, features, { size: 20, seed: 0 }, K3);
    const T = set.batch.layout!.seqLen;
    for (let b = 0; b < 20; b++) {
      const present = [1, 3, 5].map((j) => tokenLabel(set.batch.layout!.tokens[b * T + j]));
      set.batch.target[b] = [0, 1, 2, 3].find((l) => !present.includes(l))!;
    }
    const ev = new DenseEvaluator(randomParams(1), set);
    expect(() => ev.evaluate({}, { heads: true })).toThrow(
      "induction strength has no meaning on this dense set (20 sequences of the fewShot with 3 shots training distribution (seed 0)): no sequence has the target's label at one candidate position of fewShot with 3 shots and another label at another",
    );
    expect(ev.evaluate({}).n).toBe(20);
  });

  it("size 'all' and sizes below 1 are refused on a sampled set, naming the task", () => {
    expect(() => denseSet(task, features, { size: 'all' }, K3)).toThrow(
      "dense set size 'all': only the paper's 5-token task has an enumerable finite training set; fewShot with 3 shots (task.kind 'fewShot') draws its dense set, so give a number of sequences",
    );
    expect(() => denseSet(task, features, { size: 0 }, K3)).toThrow("dense set size must be a positive integer or 'all', got 0");
    expect(denseSet(task, features, {}, K3).batch.size).toBe(4000);
  });
});

describe('denseSet', () => {
  it('defaults: 4000 sequences, seed 0, chunks of 1000', () => {
    expect([DEFAULT_DENSE_SIZE, DEFAULT_DENSE_SEED, DEFAULT_DENSE_CHUNK]).toEqual([4000, 0, 1000]);
    // the fixture's finite set has 960 sequences: the default size keeps all of them
    const s = denseSet(task, features);
    expect(s.batch.size).toBe(960);
    expect(s.description).toBe('finite training set, all 960 sequences');
    expect(s.fullSize).toBe(960);
    expect(s.seed).toBeNull();
    expect(s.positions.seqLen).toBe(5);
  });

  it('size at the set’s size keeps it whole; one less subsamples with the seed in the description', () => {
    expect(denseSet(task, features, { size: 960 }).indices).toBeNull();
    const s = denseSet(task, features, { size: 959 });
    expect(s.indices!.length).toBe(959);
    expect(s.seed).toBe(0);
    expect(s.description).toBe('finite training set, stratified subsample 959/960 (seed 0; strata: label pair × query slot)');
    expect(denseSet(task, features, { size: 1, seed: 4 }).batch.size).toBe(1);
  });

  it('sizes below 1 or not integers are refused with the value', () => {
    expect(() => denseSet(task, features, { size: 0 })).toThrow("dense set size must be a positive integer or 'all', got 0");
    expect(() => denseSet(task, features, { size: 2.5 })).toThrow("dense set size must be a positive integer or 'all', got 2.5");
    const sel = { numLabels: 5, kind: 'fewShot' as const, shots: 3 };
    expect(() => denseSet(task, features, { size: 1.5 }, sel)).toThrow("dense set size must be a positive integer or 'all', got 1.5");
    const s = denseSet(task, features, { size: 1 }, sel);
    expect(s.description).toBe('1 sequences of the fewShot with 3 shots training distribution (seed 0)');
    expect([s.fullSize, s.indices, s.seed]).toEqual([null, null, 0]);
    // the paper's task named as a selection keeps the finite set
    expect(denseSet(task, features, { size: 'all' }, { numLabels: 5, kind: 'fewShot', shots: 2 }).fullSize).toBe(960);
    expect(denseSet(task, features, { size: 'all' }, { numLabels: 5 }).fullSize).toBe(960);
  });
});

describe('DenseEvaluator', () => {
  it('the chunk is at most the set’s size', () => {
    const set = denseSet(task, features, { size: 30 });
    expect(new DenseEvaluator(randomParams(1), set).chunk).toBe(30);
    expect(new DenseEvaluator(randomParams(1), set, { chunk: 7 }).chunk).toBe(7);
    expect(new DenseEvaluator(randomParams(1), set).size).toBe(30);
  });

  it('a zero unembedding: loss ln 5 on every row, every prediction the lowest label on the exact tie', () => {
    const p = randomParams(4);
    const ed = editor(p);
    ed.fill('unembed.weight', 0);
    ed.fill('unembed.bias', 0);
    ed.commit();
    const set = denseSet(task, features, { size: 64, seed: 1 });
    const r = new DenseEvaluator(p, set, { chunk: 20 }).evaluate({});
    expect(r.n).toBe(64);
    for (const x of r.rowLoss) expect(x).toBeCloseTo(Math.log(5), 6);
    expect(r.loss).toBeCloseTo(Math.log(5), 6);
    expect([...r.pred].every((x) => x === 0)).toBe(true);
    const zeros = [...set.batch.target].filter((t) => t === 0).length;
    expect([...r.correct]).toEqual([...set.batch.target].map((t) => (t === 0 ? 1 : 0)));
    expect(r.acc).toBe(zeros / 64);
    expect(zeros).toBeGreaterThan(0);
    expect(r.strength).toBeUndefined();
  });

  it('a bias towards the last label predicts it everywhere (the argmax scans every label)', () => {
    const p = randomParams(5);
    const ed = editor(p);
    ed.fill('unembed.weight', 0);
    ed.fill('unembed.bias', 0);
    ed.set('unembed.bias', 4, 1);
    ed.commit();
    const r = new DenseEvaluator(p, denseSet(task, features, { size: 32, seed: 1 })).evaluate({});
    expect([...r.pred].every((x) => x === 4)).toBe(true);
    // loss: −log(e / (e + 4)) on rows whose target is 4, −log(1 / (e + 4)) elsewhere
    const e = Math.E;
    const set = denseSet(task, features, { size: 32, seed: 1 });
    set.batch.target.forEach((t, i) => expect(r.rowLoss[i]).toBeCloseTo(t === 4 ? Math.log((e + 4) / e) : Math.log(e + 4), 5));
  });

  it('strengths over chunks (a padded last one) equal headScores over the whole set', () => {
    const p = randomParams(5);
    const ev = new DenseEvaluator(p, denseSet(task, features, { size: 150, seed: 1 }), { chunk: 40 });
    const r = ev.evaluate({}, { heads: true });
    const ref = headScores(p, { name: 'fsl_train', distribution: ev.set.distribution, batch: ev.set.batch } as EvalSet);
    for (let h = 0; h < CFG.nHeads; h++) {
      expect(r.strength![h]).toBeCloseTo(ref.induction[h], 5);
      expect(r.prevToken![h]).toBeCloseTo(ref.prevToken[h], 5);
    }
    expect(r.strengthCount).toBe(150);
  });

  it('a spec on a base is the merged spec', () => {
    const ev = new DenseEvaluator(randomParams(6), denseSet(task, features, { size: 40, seed: 1 }));
    const merged = ev.evaluate({ ablate: ['1:2'] });
    const onBase = ev.evaluate({}, { base: { ablate: ['1:2'] } });
    expect(onBase.loss).toBe(merged.loss);
    expect(onBase.loss).not.toBe(ev.evaluate({}).loss);
  });

  it('the compile options reach the clamps: ${runs} in a graft checkpoint is the runs directory given', () => {
    const spec = { graft: { checkpoint: '${runs}/donor/x.safetensors', tillLayer: 0 } };
    const set = denseSet(task, features, { size: 8 });
    expect(() => new DenseEvaluator(randomParams(1), set, { compile: { runsDir: '/nonexistent-runs' } }).evaluate(spec)).toThrow(
      'graft.checkpoint: /nonexistent-runs/donor/x.safetensors does not exist',
    );
    expect(() => new DenseEvaluator(randomParams(1), set).evaluate(spec)).toThrow("refers to ${runs}, but this run has no runs directory");
  });

  it('a prepared spec is built once and reused; other specs and other head options get their own program', () => {
    const inner = createWasmBackend();
    let allocs = 0;
    const be: Backend = { ...inner, allocF: (n) => (allocs++, inner.allocF(n)) };
    const p = new ParamStore(be, CFG);
    p.writeBlock('values', randomParams(7).readBlock('values'));
    const ev = new DenseEvaluator(p, denseSet(task, features, { size: 30, seed: 1 }));
    const a = { ablate: ['1:0'] };
    const b = { ablate: ['1:1'] };
    ev.prepare(a);
    const afterPrepare = allocs;
    expect(afterPrepare).toBeGreaterThan(0);
    ev.prepare(a);
    expect(allocs).toBe(afterPrepare); // the same spec again: nothing built
    const ra = ev.evaluate(a);
    expect(allocs).toBe(afterPrepare); // run on the prepared program
    const rb = ev.evaluate(b);
    expect(allocs).toBeGreaterThan(afterPrepare); // a transient program for another spec
    expect(rb.loss).not.toBe(ra.loss);
    // each result is its own spec's, as a fresh evaluator computes it
    const fresh = new DenseEvaluator(randomParams(7), denseSet(task, features, { size: 30, seed: 1 }));
    expect(ra.loss).toBeCloseTo(fresh.evaluate(a).loss, 6);
    expect(rb.loss).toBeCloseTo(fresh.evaluate(b).loss, 6);
    // the same spec with head scores is another program
    const before = allocs;
    expect(ev.evaluate(a, { heads: true }).strength).toBeDefined();
    expect(allocs).toBeGreaterThan(before);
  });

  it('parse names the analysis spec at fault; a spec on top of a bad base names the run’s clamp spec', () => {
    const ev = new DenseEvaluator(randomParams(1), denseSet(task, features, { size: 8 }));
    expect(() => ev.evaluate({ ablate: ['9:0'] })).toThrow(/^analysis spec\.ablate\[0\]: head "9:0"/);
    expect(() => ev.evaluate({}, { base: { ablate: ['9:0'] } })).toThrow(/^the run's clamp spec\.ablate\[0\]: head "9:0"/);
    expect(ev.parse(undefined)).toEqual(ev.parse({}));
  });
});
