/**
 * The model on the general token layout of issue 23's tasks (data/tasks/): any sequence length, tokens
 * given directly. Checked against the paper's own path, finite differences on the float64 reference,
 * and the wasm core against the reference.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from './backends/reference.js';
import { createWasmBackend } from './backends/wasm.js';
import type { Backend } from './backend.js';
import { allocBatch, allocLayoutBatch, labelToken, type SequenceBatch } from './data/types.js';
import { buildModel } from './model.js';
import { DEFAULT_MODEL, ParamStore } from './params.js';
import { Rng } from './rng.js';
import { worstParamFdError } from './testing/fd.js';

const ref = createReferenceBackend();
const L = 6;
const cfg = { ...DEFAULT_MODEL, numLabels: L };

/** Random T-token sequences: items at even positions, labels at odd ones, an item last. */
function layoutBatch(B: number, T: number, nItems: number, rng: Rng): SequenceBatch {
  const sb = allocLayoutBatch(B, T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) sb.layout.tokens[b * T + t] = t % 2 === 0 || t === T - 1 ? rng.int(nItems) : labelToken(rng.int(L));
    sb.target[b] = rng.int(L);
  }
  return sb;
}

const feats = (n: number, rng: Rng) => Float32Array.from({ length: n * 512 }, () => Math.abs(rng.normal()));

function forward(be: Backend, seed: number, opts: { batch: number; seqLen?: number; nItems: number; allPositions?: boolean }, f: Float32Array, sb: SequenceBatch) {
  const p = new ParamStore(be, cfg);
  p.init(seed);
  const m = buildModel(p, { ...opts, training: true });
  m.setFeatures(f);
  m.setBatch(sb);
  m.program.forward();
  p.zeroGrads();
  m.program.backward();
  return { p, m, logits: be.read(m.queryLogits.buf), loss: be.read(m.loss.buf)[0] };
}

describe('model on the general token layout', () => {
  it("reads the paper's 5-token layout written as tokens exactly as the paper's own fields", () => {
    const rng = new Rng(1);
    const f = feats(5, rng);
    const paper = allocBatch(3);
    const general = allocLayoutBatch(3, 5);
    for (let b = 0; b < 3; b++) {
      const [i0, i1, l0, l1, slot] = [rng.int(5), rng.int(5), rng.int(L), rng.int(L), rng.int(2)];
      paper.item.set([i0, i1, slot ? i1 : i0], 3 * b);
      paper.contextLabel.set([l0, l1], 2 * b);
      paper.target[b] = general.target[b] = slot ? l1 : l0;
      general.layout.tokens.set([i0, labelToken(l0), i1, labelToken(l1), slot ? i1 : i0], 5 * b);
    }
    const a = forward(ref, 3, { batch: 3, nItems: 5 }, f, paper);
    const g = forward(ref, 3, { batch: 3, seqLen: 5, nItems: 5 }, f, general);
    expect(Array.from(g.logits)).toEqual(Array.from(a.logits));
    expect(g.loss).toBe(a.loss);
  });

  it('computes the last position only as the all-positions forward does, at T = 9', () => {
    const rng = new Rng(2);
    const f = feats(4, rng);
    const sb = layoutBatch(3, 9, 4, rng);
    const fast = forward(ref, 4, { batch: 3, seqLen: 9, nItems: 4 }, f, sb);
    const full = forward(ref, 4, { batch: 3, seqLen: 9, nItems: 4, allPositions: true }, f, sb);
    for (let i = 0; i < fast.logits.length; i++) expect(fast.logits[i]).toBeCloseTo(full.logits[i], 12);
  });

  it('loss gradients at T = 11 match finite differences on the float64 reference', () => {
    const rng = new Rng(5);
    const f = feats(4, rng);
    const sb = layoutBatch(2, 11, 4, rng);
    const { p, m } = forward(ref, 9, { batch: 2, seqLen: 11, nItems: 4 }, f, sb);
    const loss = () => {
      m.program.forward();
      return ref.read(m.loss.buf)[0];
    };
    const worst = worstParamFdError(ref, p, loss, rng, 4);
    expect(worst).toBeLessThan(1e-4);
  });

  it('the wasm core agrees with the float64 reference at T = 17 (logits, loss, every gradient)', () => {
    const rng = new Rng(6);
    const f = feats(7, rng);
    const sb = layoutBatch(4, 17, 7, rng);
    const wasm = createWasmBackend();
    const a = forward(ref, 11, { batch: 4, seqLen: 17, nItems: 7 }, f, sb);
    const b = forward(wasm, 11, { batch: 4, seqLen: 17, nItems: 7 }, f, sb);
    for (let i = 0; i < a.logits.length; i++) expect(Math.abs(a.logits[i] - b.logits[i])).toBeLessThan(1e-4);
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5);
    for (const e of a.p.list()) {
      const ga = ref.read(e.grad);
      const gb = wasm.read(b.p.get(e.spec.name).grad);
      let num = 0;
      let den = 0;
      for (let i = 0; i < ga.length; i++) {
        num += (ga[i] - gb[i]) ** 2;
        den += ga[i] ** 2;
      }
      expect(Math.sqrt(num / Math.max(den, 1e-30)), e.spec.name).toBeLessThan(1e-3);
    }
  });

  it('refuses a batch whose sequence length differs from the program', () => {
    const p = new ParamStore(ref, cfg);
    const m = buildModel(p, { batch: 2, seqLen: 9, nItems: 3, training: false });
    expect(() => m.setBatch(allocLayoutBatch(2, 7))).toThrow('batch of 7-token sequences for a program built for 9');
    expect(() => m.setBatch(allocBatch(2))).toThrow('a 9-token program needs batches in the general token layout');
  });
});
