import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from './backends/reference.js';
import { allocBatch, type SequenceBatch } from './data/types.js';
import { buildModel } from './model.js';
import { DEFAULT_MODEL, ParamStore } from './params.js';
import { Rng } from './rng.js';
import { modelFdError } from './testing/fd.js';

const be = createReferenceBackend();

function randomBatch(B: number, nItems: number, L: number, rng: Rng): SequenceBatch {
  const sb = allocBatch(B);
  for (let b = 0; b < B; b++) {
    const c1 = rng.int(nItems);
    let c2 = rng.int(nItems - 1);
    if (c2 >= c1) c2++;
    const slot = rng.int(2);
    const l1 = rng.int(L);
    let l2 = rng.int(L - 1);
    if (l2 >= l1) l2++;
    sb.item.set([c1, c2, slot ? c2 : c1], b * 3);
    sb.contextLabel.set([l1, l2], b * 2);
    sb.querySlot[b] = slot;
    sb.target[b] = slot ? l2 : l1;
  }
  return sb;
}

function randomFeatures(n: number, dim: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n * dim }, () => Math.abs(rng.normal()));
}

describe('model (spec 2)', () => {
  it('has 66,629 parameters for 5 labels (spec 2.5), and 129 more per extra label', () => {
    // Closed form, not from the code: W_e,b_e + W_l (64×L, spec 2.2) + 2 blocks + LN_f + W_U,b_U.
    // Spec 2.5's 66,954 / 67,279 for L = 10 / 15 grow only the unembedding; with the 64×L label
    // embedding of spec 2.2 the counts are 67,274 / 67,919.
    for (const L of [5, 10, 15]) {
      const expected = 64 * 512 + 64 + 64 * L + 2 * (128 + 192 * 64 + 64 * 64) + 128 + L * 64 + L;
      expect(new ParamStore(be, { ...DEFAULT_MODEL, numLabels: L }).total).toBe(expected);
    }
    expect(new ParamStore(be, DEFAULT_MODEL).total).toBe(66629);
  });

  it('initialises as spec 2.4: lecun std 1/√fan_in, label rows ≈ 0.0176, LN 1/0', () => {
    const p = new ParamStore(be, DEFAULT_MODEL);
    p.init(5);
    const std = (name: string) => {
      const x = be.read(p.get(name).value);
      const m = x.reduce((a, b) => a + b, 0) / x.length;
      return Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / x.length);
    };
    expect(std('embed.exemplar.weight')).toBeCloseTo(1 / Math.sqrt(512), 3);
    expect(std('blocks.0.attn.qkv.weight')).toBeCloseTo(1 / 8, 2);
    expect(Math.abs(std('embed.label.weight') - 0.0176)).toBeLessThan(0.004);
    expect([...be.read(p.get('blocks.1.ln1.weight').value)].every((v) => v === 1)).toBe(true);
    const w = be.read(p.get('blocks.0.attn.out.weight').value);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual((2 / 0.8796256610342398) / 8 + 1e-12);
  });

  it('query-only fast path equals the all-positions forward at the query', () => {
    const rng = new Rng(3);
    const p = new ParamStore(be, DEFAULT_MODEL);
    p.init(7);
    const feats = randomFeatures(6, 512, rng);
    const sb = randomBatch(4, 6, 5, rng);
    const fast = buildModel(p, { batch: 4, nItems: 6, training: false });
    const full = buildModel(p, { batch: 4, nItems: 6, training: false, allPositions: true, keep: 'all' });
    for (const m of [fast, full]) {
      m.setFeatures(feats);
      m.setBatch(sb);
      m.program.forward();
    }
    const a = be.read(fast.queryLogits.buf);
    const b = be.read(full.queryLogits.buf);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 12);
    expect(be.read(fast.loss.buf)[0]).toBeCloseTo(be.read(full.loss.buf)[0], 12);
  });

  it('is causal: a later token never changes an earlier position', () => {
    const rng = new Rng(4);
    const p = new ParamStore(be, DEFAULT_MODEL);
    p.init(8);
    const feats = randomFeatures(6, 512, rng);
    const m = buildModel(p, { batch: 1, nItems: 6, training: false, allPositions: true, keep: ['logits'] });
    m.setFeatures(feats);
    const sb = randomBatch(1, 6, 5, rng);
    m.setBatch(sb);
    m.program.forward();
    const before = m.program.read('logits');
    sb.item[2] = (sb.item[2] + 1) % 6; // change only the query exemplar (position 4)
    m.setBatch(sb);
    m.program.forward();
    const after = m.program.read('logits');
    for (let i = 0; i < 4 * 5; i++) expect(after[i]).toBe(before[i]);
    expect(after.slice(20).some((v, i) => v !== before[20 + i])).toBe(true);
  });

  it('loss gradient of every parameter matches finite differences', () => {
    const rng = new Rng(5);
    const p = new ParamStore(be, DEFAULT_MODEL);
    p.init(9);
    // Larger label embeddings so their gradients are not vanishingly small relative to FD noise.
    const lab = p.get('embed.label.weight');
    be.write(lab.value, Array.from({ length: lab.size }, () => rng.normal()));
    const m = buildModel(p, { batch: 3, nItems: 4, training: true });
    m.setFeatures(randomFeatures(4, 512, rng));
    m.setBatch(randomBatch(3, 4, 5, rng));
    expect(modelFdError(be, p, m, rng, 6)).toBeLessThan(1e-4);
  });
});

describe('activation recording (spec 2.6)', () => {
  it('every site is recordable with its documented shape, and records agree with the fast path', async () => {
    const { allSites } = await import('./sites.js');
    const rng = new Rng(6);
    const p = new ParamStore(be, DEFAULT_MODEL);
    p.init(5);
    const feats = randomFeatures(5, 512, rng);
    const sb = randomBatch(2, 5, 5, rng);
    const full = buildModel(p, { batch: 2, nItems: 5, training: false, allPositions: true, keep: 'all' });
    full.setFeatures(feats);
    full.setBatch(sb);
    full.program.forward();
    const B = 2, T = 5, d = 64, H = 8;
    const expected: Record<string, number> = { embed: B * T * d, ln_final: B * T * d, logits: B * T * 5 };
    for (const l of [0, 1]) {
      for (const s of ['ln1', 'attn.q', 'attn.k', 'attn.v', 'attn.q_rot', 'attn.k_rot', 'attn.head_out', 'attn.attn_out', 'resid_post'])
        expected[`blocks.${l}.${s}`] = B * T * d;
      expected[`blocks.${l}.attn.scores`] = B * H * T * T;
      expected[`blocks.${l}.attn.pattern`] = B * H * T * T;
    }
    for (const site of allSites(2)) expect(full.program.read(site).length, site).toBe(expected[site]);
    // Causal attention rows sum to 1 and put no weight on the future.
    const A = full.program.read('blocks.0.attn.pattern');
    for (let r = 0; r < B * H * T; r++) {
      const t = r % T;
      let sum = 0;
      for (let s = 0; s < T; s++) {
        sum += A[r * T + s];
        if (s > t) expect(A[r * T + s]).toBe(0);
      }
      expect(sum).toBeCloseTo(1, 12);
    }
    // Block 0's deduplicated LayerNorm record equals LayerNorm of the recorded embedding rows.
    const emb = full.program.read('embed');
    const ln = full.program.read('blocks.0.ln1');
    for (let row = 0; row < B * T; row++) {
      const x = emb.slice(row * d, row * d + d);
      const mean = x.reduce((a, c) => a + c, 0) / d;
      const varr = x.reduce((a, c) => a + (c - mean) ** 2, 0) / d;
      for (let j = 0; j < d; j++) expect(ln[row * d + j]).toBeCloseTo((x[j] - mean) / Math.sqrt(varr + 1e-5), 10);
    }
  });
});
