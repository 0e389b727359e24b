/**
 * Olsson et al. 2022's measures on the repeated-token task (data/tasks/repeatTokens.ts), for every layer
 * and head of the model (issue 23 items 2 and 3):
 *
 * - prefix-matching score of head (l, h): mean over positions t whose token occurred before (last at p,
 *   with p + 1 < t) of A_{l,h}[t, p + 1], the attention to the token that followed the earlier occurrence.
 *   Found from the tokens themselves, so it is defined on any sequence (on `repeat` these are the repeated
 *   positions). An induction head scores near 1; chance is about 1/t.
 * - previous-token score of head (l, h): mean over t ≥ 1 of A_{l,h}[t, t − 1].
 * - answer attention of head (l', h) through previous-token head (l, g), l < l': over the same positions t,
 *   the attention that reaches the answer token p + 1 either directly, A_{l',h}[t, p + 1], or through one
 *   hop of the previous-token head, Σ_{k ≠ p+1} A_{l',h}[t, k]·A_{l,g}[k, p + 1] (a virtual attention head
 *   of Elhage et al. 2021: the later head reads at k what the previous-token head copied there from p + 1).
 *   It is the induction head's copying judged on what its value carries, whichever position holds the
 *   answer's token: 2-layer models trained with the loss at the last position only learn the circuit
 *   shifted by one (the query attends to p + 2, whose key holds the token two back and whose value the
 *   answer, README "Beyond the paper"), where the prefix-matching score is ≈ 0 and this is ≈ 1. A head that
 *   does not find the answer by content scores about 1/t (the offset of the repeat is random).
 * - induction score of the model: loss on `repeat_shuffled` minus loss on `repeat`, the loss the model
 *   saves by using "what followed the current token last time" rather than only which tokens the context
 *   holds (both sets have the target in context). About 0 before the induction heads form, up to
 *   ≈ ln(n − m) after.
 */
import { selectBackendAsync } from '../backends/index.js';
import type { RunConfig } from '../config.js';
import { loadFeatures } from '../data/load.js';
import { buildTask } from '../data/task.js';
import { taskData } from '../data/tasks/index.js';
import type { EvalSet } from '../data/types.js';
import { buildModel } from '../model.js';
import { ParamStore } from '../params.js';
import { loadParamTensors } from '../store/paramIO.js';
import type { RunDir } from '../store/runDir.js';
import { readSafetensors } from '../store/safetensors.js';
import { evaluator, modelConfigFor } from '../trainSetup.js';

export interface RepeatHeadScores {
  /** [layer][head] prefix-matching score. */
  prefixMatching: number[][];
  /** [layer][head] previous-token score. */
  prevToken: number[][];
  /**
   * [layer][head] answer attention through `hop` (0 in `hop`'s layer and before it); absent when the model
   * has one layer.
   */
  answer?: number[][];
  /** The previous-token head the answer attention composes with: the best one outside the last layer. */
  hop?: { layer: number; head: number };
}

/**
 * Per-head means over the positions t of every sequence whose token occurred before, last at p with
 * p + 1 < t (the repeated positions of `repeat`): `score(b, t, p, h)` averaged over them (0 where none).
 */
function meanOverRepeats(tokens: ArrayLike<number>, B: number, H: number, T: number, score: (b: number, t: number, p: number, h: number) => number): number[] {
  const out = new Array<number>(H).fill(0);
  let n = 0;
  const last = new Map<number, number>();
  for (let b = 0; b < B; b++) {
    last.clear();
    for (let t = 0; t < T; t++) {
      const tok = tokens[b * T + t];
      const p = last.get(tok);
      last.set(tok, t);
      if (p === undefined || p + 1 >= t) continue;
      n++;
      for (let h = 0; h < H; h++) out[h] += score(b, t, p, h);
    }
  }
  return out.map((x) => (n ? x / n : 0));
}

/**
 * Answer attention of every head of one later layer (A [B, H, T, T]) through head `g` of an earlier layer's
 * pattern P [B, H, T, T], over the positions t whose token occurred before at p (p + 1 < t).
 */
export function answerAttentionFromPatterns(A: ArrayLike<number>, P: ArrayLike<number>, g: number, tokens: ArrayLike<number>, B: number, H: number, T: number): number[] {
  return meanOverRepeats(tokens, B, H, T, (b, t, p, h) => {
    const row = ((b * H + h) * T + t) * T;
    const ans = p + 1;
    let s = A[row + ans];
    for (let k = ans + 1; k <= t; k++) s += A[row + k] * P[((b * H + g) * T + k) * T + ans];
    return s;
  });
}

/**
 * The two per-head scores from attention patterns A [B, H, T, T] of one layer and the sequences' tokens
 * [B, T] (any integer ids; the general layout's label tokens are negative, which does not matter here).
 */
export function scoresFromPattern(A: ArrayLike<number>, tokens: ArrayLike<number>, B: number, H: number, T: number): { prefixMatching: number[]; prevToken: number[] } {
  const prefixMatching = meanOverRepeats(tokens, B, H, T, (b, t, p, h) => A[((b * H + h) * T + t) * T + p + 1]);
  const pt = new Array<number>(H).fill(0);
  for (let b = 0; b < B; b++) for (let t = 1; t < T; t++) for (let h = 0; h < H; h++) pt[h] += A[((b * H + h) * T + t) * T + t - 1];
  return { prefixMatching, prevToken: pt.map((x) => x / (B * (T - 1))) };
}

/** A program that reads every layer's attention pattern on one eval set in the general layout. */
export function repeatHeadScorer(params: ParamStore, set: EvalSet): () => RepeatHeadScores {
  const layout = set.batch.layout;
  if (!layout) throw new Error(`eval set ${set.name} is not in the general token layout (a task of data/tasks/)`);
  const cfg = params.config;
  const sites = Array.from({ length: cfg.nLayers }, (_, l) => `blocks.${l}.attn.pattern`);
  const m = buildModel(params, { batch: set.batch.size, seqLen: layout.seqLen, nItems: set.distribution.items.length, training: false, allPositions: true, keep: sites });
  m.setFeatures(set.distribution.itemFeatures);
  m.setBatch(set.batch);
  return () => {
    m.program.forward();
    const out: RepeatHeadScores = { prefixMatching: [], prevToken: [] };
    const patterns = sites.map((site) => Float64Array.from(m.program.read(site)));
    const [B, H, T] = [set.batch.size, cfg.nHeads, layout.seqLen];
    for (const A of patterns) {
      const s = scoresFromPattern(A, layout.tokens, B, H, T);
      out.prefixMatching.push(s.prefixMatching);
      out.prevToken.push(s.prevToken);
    }
    if (cfg.nLayers > 1) {
      let hop = { layer: 0, head: 0 };
      for (let l = 0; l < cfg.nLayers - 1; l++) for (let h = 0; h < H; h++) if (out.prevToken[l][h] > out.prevToken[hop.layer][hop.head]) hop = { layer: l, head: h };
      out.hop = hop;
      out.answer = patterns.map((A, l) => (l <= hop.layer ? new Array<number>(H).fill(0) : answerAttentionFromPatterns(A, patterns[hop.layer], hop.head, layout.tokens, B, H, T)));
    }
    return out;
  };
}

/** The induction score's two losses, evaluated on the run's own `repeat` and `repeat_shuffled` sets. */
export function inductionScorer(params: ParamStore, sets: readonly EvalSet[]): () => { repeat: number; shuffled: number; score: number } {
  const get = (name: string) => {
    const s = sets.find((x) => x.name === name);
    if (!s) throw new Error(`the induction score needs the eval set '${name}' of task.kind 'repeatTokens'`);
    return evaluator(params, s);
  };
  const rep = get('repeat');
  const shuf = get('repeat_shuffled');
  return () => {
    const repeat = rep.run().loss;
    const shuffled = shuf.run().loss;
    return { repeat, shuffled, score: shuffled - repeat };
  };
}

/** The head scores of a run's last checkpoint on its own `repeat` eval set, or null without checkpoints. */
export async function finalRepeatHeadScores(run: RunDir, config: RunConfig): Promise<RepeatHeadScores | null> {
  const cks = run.listCheckpoints();
  if (!cks.length) return null;
  const features = await loadFeatures(config);
  const task = buildTask(config.task, features);
  const params = new ParamStore((await selectBackendAsync('wasm')).backend, modelConfigFor(config, features));
  const file = run.checkpointFile(cks[cks.length - 1]);
  loadParamTensors(params, readSafetensors(file).tensors, file);
  const set = taskData(config.task, task, features, config.seeds.eval, config.schedule.evalSize).evalSets.find((s) => s.name === 'repeat');
  if (!set) throw new Error(`${run.dir}: no 'repeat' eval set (task.kind must be 'repeatTokens')`);
  return repeatHeadScorer(params, set)();
}
