import { describe, expect, it } from 'vitest';
import { compositionScores, groupAblations, table1Groups, wiringMatrices } from './wiring.js';
import { copyHeadModel } from './testing/copyHead.js';
import { CFG, editor, evaluatorFor, randomParams } from './testing/fixture.js';

const H = CFG.nHeads;
const d = CFG.dModel;
const D = d / H;
const LIVE_L1 = 2;

describe('wiring between any two layers (issue 23): layer 1 → layer 2 of a 3-layer model', () => {
  // Layer 1's heads are dead (W_O columns 0) except LIVE_L1; layer 0's are all alive.
  const p = randomParams(32, 0.6, { ...CFG, nLayers: 3 });
  const ed = editor(p);
  for (let j = 0; j < H; j++) if (j !== LIVE_L1) for (let r = 0; r < d; r++) for (let b = 0; b < D; b++) ed.set('blocks.1.attn.out.weight', r * d + j * D + b, 0);
  ed.commit();
  const ev = evaluatorFor(p, { size: 100, seed: 0 });

  it('ablating a dead head of the writer layer changes nothing; ablating the live one does', () => {
    const w = wiringMatrices(ev, { from: 1, to: 2 });
    for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) if (j !== LIVE_L1) expect([w.Mpv[i][j], w.Mpp[i][j]]).toEqual([0, 0]);
    expect(w.Mpv.some((row) => row[LIVE_L1] !== 0) || w.Mpp.some((row) => row[LIVE_L1] !== 0)).toBe(true);
    // Composition with the dead heads' zero W_O is exactly 0.
    const c = compositionScores(p, { from: 1, to: 2 });
    expect(c.k[0].filter((_, j) => j !== LIVE_L1)).toEqual(new Array(H - 1).fill(0));
    expect(c.k[0][LIVE_L1]).toBeGreaterThan(0);
  });

  it('refuses layers the model lacks or in the wrong order, naming the field', () => {
    expect(() => wiringMatrices(ev, { from: 2, to: 1 })).toThrow('wiring.to: layer 1 must come after the writer layer wiring.from 2');
    expect(() => compositionScores(p, { from: 0, to: 3 })).toThrow('wiring.to: layer 3 out of range (the model has layers 0..2)');
  });
});

describe('wiring matrices (spec 5.6)', () => {
  // Random model whose first-layer heads are all dead (W_O columns 0) except LIVE_L1.
  const p = randomParams(31, 0.6);
  const ed = editor(p);
  for (let j = 0; j < H; j++) if (j !== LIVE_L1) for (let r = 0; r < d; r++) for (let b = 0; b < D; b++) ed.set('blocks.0.attn.out.weight', r * d + j * D + b, 0);
  ed.commit();
  const ev = evaluatorFor(p, { size: 300, seed: 0 });
  const w = wiringMatrices(ev);

  it('ablating a dead first-layer head changes nothing: its column of M^pv and M^pp is exactly 0', () => {
    for (let i = 0; i < H; i++)
      for (let j = 0; j < H; j++) {
        if (j === LIVE_L1) continue;
        expect(w.Mpv[i][j]).toBe(0);
        expect(w.Mpp[i][j]).toBe(0);
      }
  });

  it('only the live head active reproduces the baseline; only a dead one equals silencing the whole layer', () => {
    for (let i = 0; i < H; i++) {
      expect(w.Npv[i][LIVE_L1]).toBeCloseTo(w.baseline[i], 12);
      expect(w.Npp[i][LIVE_L1]).toBeCloseTo(w.baseline[i], 12);
      for (let j = 0; j < H; j++) {
        if (j === LIVE_L1) continue;
        expect(w.Npv[i][j]).toBeCloseTo(w.baseline[i] + w.Mpv[i][LIVE_L1], 12);
        expect(w.Npp[i][j]).toBeCloseTo(w.baseline[i] + w.Mpp[i][LIVE_L1], 12);
      }
    }
  });

  it('baseline[i] is "only last-layer head i" accuracy', () => {
    for (const i of [0, 6]) expect(w.baseline[i]).toBe(ev.evaluate({ ablate: [...Array(H).keys()].filter((h) => h !== i).map((h) => `1:${h}`) }).acc);
  });
});

describe('group ablations (App. Table 1)', () => {
  it('with a silent first layer, no group ablation changes the accuracy', () => {
    const ev = evaluatorFor(copyHeadModel(3), { size: 200, seed: 0 });
    const full = ev.evaluate({}).acc;
    const rows = groupAblations(ev, table1Groups([1, 2, 5], H));
    expect(rows.map((r) => r.heads)).toEqual([[1, 2, 5], [0, 3, 4, 6, 7]]);
    for (const r of rows) {
      expect(r.patternPreserving).toBe(full);
      expect(r.valuePreserving).toBe(full);
    }
  });
});

describe('composition scores (spec 5.6)', () => {
  const u = Array.from({ length: d }, (_, r) => (r < 32 ? Math.sin(r + 1) : 0)); // supported on dims 0..31
  const w8 = Array.from({ length: D }, (_, b) => Math.cos(b + 2));
  const z8 = Array.from({ length: D }, (_, a) => 1 + a);

  const model = () => {
    const p = randomParams(41);
    const ed = editor(p);
    // First-layer head 1: W_O^(1) = u w^T (rank 1).
    for (let r = 0; r < d; r++) for (let b = 0; b < D; b++) ed.set('blocks.0.attn.out.weight', r * d + 1 * D + b, 3 * u[r] * w8[b]);
    // Last-layer head 4: W_k rows = z_a u^T (reads exactly the direction head 1 writes); W_q rows on dims 32..63 only.
    for (let a = 0; a < D; a++)
      for (let r = 0; r < d; r++) {
        ed.set('blocks.1.attn.qkv.weight', (d + 4 * D + a) * d + r, z8[a] * u[r]);
        ed.set('blocks.1.attn.qkv.weight', (4 * D + a) * d + r, r >= 32 ? Math.sin(a * 7 + r) : 0);
      }
    // First-layer head 6: W_O^(6) columns = e_0..e_7 (orthonormal); last-layer head 0's W_v = its transpose.
    for (let r = 0; r < d; r++)
      for (let b = 0; b < D; b++) {
        ed.set('blocks.0.attn.out.weight', r * d + 6 * D + b, r === b ? 1 : 0);
        ed.set('blocks.1.attn.qkv.weight', (2 * d + 0 * D + b) * d + r, r === b ? 1 : 0);
      }
    ed.commit();
    return p;
  };

  it('is 1 for aligned rank-1 slices, 0 for orthogonal ones, √8/8 for identical orthonormal slices', () => {
    const c = compositionScores(model());
    expect(c.k[4][1]).toBeCloseTo(1, 6);
    expect(c.q[4][1]).toBe(0);
    expect(c.v[0][6]).toBeCloseTo(Math.sqrt(8) / 8, 6);
    for (const X of ['q', 'k', 'v'] as const)
      for (let i = 0; i < H; i++)
        for (let j = 0; j < H; j++) {
          expect(c[X][i][j]).toBeGreaterThanOrEqual(0);
          expect(c[X][i][j]).toBeLessThanOrEqual(1 + 1e-9);
        }
  });
});
