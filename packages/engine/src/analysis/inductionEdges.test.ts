/**
 * Olsson's head measures (induction.ts) on tiny inputs: the repeat positions' boundaries (a repeat right
 * after its earlier occurrence does not count, sequences do not share occurrences), and the per-model
 * scorers on a small random 2- and 3-layer model of the float64 reference backend, whose every number is
 * recomputed here from the patterns a separately built model reads (prefix matching, previous-token, the
 * hop chosen, the answer attention through it) and from the evaluator's losses.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWasmBackend } from '../backends/wasm.js';
import { parseRunConfig } from '../config.js';
import { loadFeatures } from '../data/load.js';
import { loadParamTensors } from '../store/paramIO.js';
import { RunDir } from '../store/runDir.js';
import { readSafetensors } from '../store/safetensors.js';
import { modelConfigFor } from '../trainSetup.js';
import { tinyRun } from './testing/tinyRun.js';
import { createReferenceBackend } from '../backends/reference.js';
import { repeatEvalSets } from '../data/tasks/repeatTokens.js';
import { RepeatSchema } from '../data/tasks/schema.js';
import type { EvalSet } from '../data/types.js';
import { buildModel } from '../model.js';
import { ParamStore, type ModelConfig } from '../params.js';
import { evaluator } from '../trainSetup.js';
import { answerAttentionFromPatterns, finalRepeatHeadScores, inductionScorer, repeatHeadScorer, scoresFromPattern } from './induction.js';

/** A [B, H, T, T] pattern with entries f(b, h, t, j). */
const pat = (B: number, H: number, T: number, f: (b: number, h: number, t: number, j: number) => number) => {
  const A = new Float64Array(B * H * T * T);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) for (let j = 0; j < T; j++) A[((b * H + h) * T + t) * T + j] = f(b, h, t, j);
  return A;
};

describe('repeat positions', () => {
  it('a token repeated at t with its last earlier occurrence at p counts when p + 1 < t, the last occurrence wins', () => {
    // tokens 7 7 3 7 : t=1 (p=0, p+1 = t) does not count; t=3 counts with p = 1 (the last 7 before it), answer 2
    const tokens = [7, 7, 3, 7];
    const A = pat(1, 1, 4, (_b, _h, t, j) => (t === 3 ? [0.1, 0.2, 0.3, 0.4][j] : t === 1 ? [0.5, 0.5, 0, 0][j] : 0));
    expect(scoresFromPattern(A, tokens, 1, 1, 4).prefixMatching).toEqual([0.3]);
    // no repeats at all: 0, not NaN
    expect(scoresFromPattern(A, [1, 2, 3, 4], 1, 1, 4).prefixMatching).toEqual([0]);
    expect(answerAttentionFromPatterns(A, A, 0, [1, 2, 3, 4], 1, 1, 4)).toEqual([0]);
  });

  it('occurrences are per sequence; the mean is over every counted position of every sequence', () => {
    // seq 0: 1 2 1 (t=2 counts, p=0, answer 1); seq 1: 1 5 6 (nothing, though 1 was in seq 0)
    const tokens = [1, 2, 1, 1, 5, 6];
    const A = pat(2, 2, 3, (b, h, t, j) => (b === 0 && t === 2 ? (h === 0 ? [0.2, 0.5, 0.3][j] : [0, 0.9, 0.1][j]) : b === 1 && t === 2 ? 1 / 3 : 0));
    expect(scoresFromPattern(A, tokens, 2, 2, 3).prefixMatching).toEqual([0.5, 0.9]);
    // two counted positions, one per sequence: the mean of the two
    const tokens2 = [1, 2, 1, 4, 5, 4];
    const got = scoresFromPattern(A, tokens2, 2, 2, 3).prefixMatching;
    expect(got[0]).toBeCloseTo((0.5 + 1 / 3) / 2, 15);
    expect(got[1]).toBeCloseTo((0.9 + 1 / 3) / 2, 15);
  });

  it('previous-token score: the mean of A[t, t − 1] over t ≥ 1 and every sequence', () => {
    const A = pat(2, 1, 3, (b, _h, t, j) => (j === t - 1 ? (b + 1) * 0.1 * t : 0));
    // b0: 0.1, 0.2; b1: 0.2, 0.4 → 0.9 / 4
    expect(scoresFromPattern(A, [0, 1, 2, 3, 4, 5], 2, 1, 3).prevToken[0]).toBeCloseTo(0.225, 15);
  });

  it('answer attention: the direct part plus each later key k ≤ t through the hop head, none before the answer', () => {
    // tokens 4 8 9 4 (t = 3 counts, p = 0, answer 1)
    const tokens = [4, 8, 9, 4];
    const A = pat(1, 2, 4, (_b, h, t, j) => (t === 3 ? (h === 0 ? [0.4, 0.1, 0.2, 0.3][j] : [0.25, 0.25, 0.25, 0.25][j]) : 0));
    // hop head g = 1 of P: from key k it reaches the answer 1 with P[k, 1]; P[0, 1] must not count
    const P = pat(1, 2, 4, (_b, h, k, j) => (h === 1 && j === 1 ? [0.9, 0.5, 0.6, 0.7][k] : h === 0 ? 0.123 : 0));
    const got = answerAttentionFromPatterns(A, P, 1, tokens, 1, 2, 4);
    expect(got[0]).toBeCloseTo(0.1 + 0.2 * 0.6 + 0.3 * 0.7, 15);
    expect(got[1]).toBeCloseTo(0.25 + 0.25 * 0.6 + 0.25 * 0.7, 15);
  });
});

describe('the scorers on a small model', () => {
  const be = createReferenceBackend();
  const cfg = (nLayers: number): ModelConfig => ({ dModel: 8, nHeads: 2, nLayers, featureDim: 3, numLabels: 9, ropeBase: 10000, lnEps: 1e-5 });
  const sets = () => repeatEvalSets(RepeatSchema.parse({ prefixLength: 5, repeatLength: 2 }), 9, 3, 4, 6);

  /** Every layer's pattern of `set` from a model built here. */
  function patterns(params: ParamStore, set: EvalSet): Float64Array[] {
    const L = params.config.nLayers;
    const keep = Array.from({ length: L }, (_, l) => `blocks.${l}.attn.pattern`);
    const m = buildModel(params, { batch: set.batch.size, seqLen: 7, nItems: 1, training: false, allPositions: true, keep });
    m.setFeatures(set.distribution.itemFeatures);
    m.setBatch(set.batch);
    m.program.forward();
    return keep.map((s) => Float64Array.from(m.program.read(s)));
  }

  /** Prefix matching and previous-token scores written again: explicit loops over sequences and positions. */
  function byHand(A: Float64Array, tokens: Int32Array, B: number, H: number, T: number) {
    const pm = new Array(H).fill(0);
    const pt = new Array(H).fill(0);
    let n = 0;
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) {
        let p = -1;
        for (let s = t - 1; s >= 0; s--)
          if (tokens[b * T + s] === tokens[b * T + t]) {
            p = s;
            break;
          }
        if (p >= 0 && p + 1 < t) {
          n++;
          for (let h = 0; h < H; h++) pm[h] += A[((b * H + h) * T + t) * T + p + 1];
        }
        if (t >= 1) for (let h = 0; h < H; h++) pt[h] += A[((b * H + h) * T + t) * T + t - 1];
      }
    return { pm: pm.map((x) => x / n), pt: pt.map((x) => x / (B * (T - 1))) };
  }

  for (const L of [2, 3])
    it(`${L} layers: every layer's scores, the best previous-token head outside the last layer as hop, answers after it`, () => {
      const params = new ParamStore(be, cfg(L));
      params.init(L === 2 ? 5 : 13);
      const set = sets()[0];
      const got = repeatHeadScorer(params, set)();
      const As = patterns(params, set);
      const toks = set.batch.layout!.tokens;
      const hand = As.map((A) => byHand(A, toks, 6, 2, 7));
      for (let l = 0; l < L; l++)
        for (let h = 0; h < 2; h++) {
          expect(got.prefixMatching[l][h]).toBeCloseTo(hand[l].pm[h], 12);
          expect(got.prevToken[l][h]).toBeCloseTo(hand[l].pt[h], 12);
        }
      for (let l = 0; l < L; l++) expect([got.prefixMatching[l].length, got.prevToken[l].length]).toEqual([2, 2]);
      let best = { layer: 0, head: 0 };
      for (let l = 0; l < L - 1; l++) for (let h = 0; h < 2; h++) if (hand[l].pt[h] > hand[best.layer].pt[best.head]) best = { layer: l, head: h };
      expect(got.hop).toEqual(best);
      expect(got.answer).toHaveLength(L);
      for (let l = 0; l < L; l++)
        expect(got.answer![l]).toEqual(l <= best.layer ? [0, 0] : answerAttentionFromPatterns(As[l], As[best.layer], best.head, toks, 6, 2, 7));
      expect(got.answer![L - 1].some((x) => x > 0)).toBe(true);
    });

  it('one layer: no hop and no answer attention', () => {
    const params = new ParamStore(be, cfg(1));
    params.init(2);
    const got = repeatHeadScorer(params, sets()[0])();
    expect(got.prefixMatching).toHaveLength(1);
    expect(got.hop).toBeUndefined();
    expect(got.answer).toBeUndefined();
  });

  it('a set without the general layout is refused, naming it', () => {
    const params = new ParamStore(be, cfg(2));
    const s = sets()[0];
    const paper = { ...s, name: 'fsl_train', batch: { ...s.batch, layout: undefined } };
    expect(() => repeatHeadScorer(params, paper)).toThrow('eval set fsl_train is not in the general token layout (a task of data/tasks/)');
  });

  it('induction score: loss on repeat_shuffled minus loss on repeat, each the evaluator of its own set', () => {
    const params = new ParamStore(be, cfg(2));
    params.init(9);
    const [rep, shuf] = sets();
    const got = inductionScorer(params, [shuf, rep])();
    const want = { repeat: evaluator(params, rep).run().loss, shuffled: evaluator(params, shuf).run().loss };
    expect(got.repeat).toBe(want.repeat);
    expect(got.shuffled).toBe(want.shuffled);
    expect(got.score).toBe(want.shuffled - want.repeat);
    expect(want.repeat).not.toBe(want.shuffled);
    expect(() => inductionScorer(params, [rep])).toThrow("the induction score needs the eval set 'repeat_shuffled' of task.kind 'repeatTokens'");
    expect(() => inductionScorer(params, [shuf])).toThrow("the induction score needs the eval set 'repeat' of task.kind 'repeatTokens'");
  });
});

describe('finalRepeatHeadScores', () => {
  it("the last checkpoint's scores on the run's own repeat set; null without checkpoints; a few-shot run is refused", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-induction-edges-'));
    try {
      const task = { classSplit: [6, 2, 4], exemplarSplit: [1, 1, 0], numLabels: 8, labelPairSplit: [5, 1, 0], kind: 'repeatTokens', repeat: { prefixLength: 4, repeatLength: 1 } };
      const dir = await tinyRun(path.join(tmp, 'rep'), { task });
      const run = RunDir.open(dir);
      const config = parseRunConfig(run.readRecord().config);
      const got = await finalRepeatHeadScores(run, config);
      // by hand: the last checkpoint into a fresh store, the repeat set drawn again from the config
      const features = await loadFeatures(config);
      const params = new ParamStore(createWasmBackend(), modelConfigFor(config, features));
      const cks = run.listCheckpoints();
      expect(cks.length).toBeGreaterThan(1);
      const file = run.checkpointFile(cks.at(-1)!);
      loadParamTensors(params, readSafetensors(file).tensors, file);
      const set = repeatEvalSets(RepeatSchema.parse(task.repeat), 8, features.dim, config.seeds.eval, config.schedule.evalSize)[0];
      expect(got).toEqual(repeatHeadScorer(params, set)());
      const first = run.checkpointFile(cks[0]);
      loadParamTensors(params, readSafetensors(first).tensors, first);
      expect(got).not.toEqual(repeatHeadScorer(params, set)());

      const few = RunDir.open(await tinyRun(path.join(tmp, 'few')));
      await expect(finalRepeatHeadScores(few, parseRunConfig(few.readRecord().config))).rejects.toThrow(`${few.dir}: no 'repeat' eval set (task.kind must be 'repeatTokens')`);
      for (const s of few.listCheckpoints()) fs.rmSync(few.checkpointFile(s));
      expect(await finalRepeatHeadScores(few, parseRunConfig(few.readRecord().config))).toBeNull();
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 30_000);
});
