/**
 * The model's forward (model.ts) against a plain float64 forward written here from spec 2.2, sequence by
 * sequence and token by token, without the graph, the ops or the fast paths: pre-LN blocks, RoPE pairs
 * (2i, 2i+1) rotated by t·base^(−2i/D), causal softmax over q·k/√D, W_O, the optional GELU MLP and learned
 * positions, final LayerNorm and the unembedding. The fast paths (distinct rows, query-only last block) and
 * the general token layout must give the same logits, loss and sites. Also: the pass machinery (hooks,
 * reference passes, donor parameters), the inputs a batch writes, and each refusal with its message.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from './backends/reference.js';
import { allocBatch, allocLayoutBatch, labelToken, type SequenceBatch } from './data/types.js';
import type { Value } from './graph.js';
import { buildModel, QUERY_POS, SEQ_LEN, type BuildOptions, type PassContext } from './model.js';
import { DEFAULT_MODEL, ParamStore, type ModelConfig } from './params.js';
import { Rng } from './rng.js';
import { allSites } from './sites.js';

const be = createReferenceBackend();

const SMALL: ModelConfig = { ...DEFAULT_MODEL, dModel: 8, nHeads: 2, nLayers: 2, featureDim: 4, numLabels: 3, lnEps: 0.05 };
const VARIANTS: [string, ModelConfig][] = [
  ['paper layout (RoPE, head size 4)', SMALL],
  ['3 layers, MLP, learned positions', { ...SMALL, nLayers: 3, positions: 'learned', ctx: 7, mlpHidden: 6 }],
  ['1 layer, no positions, head size 3, MLP', { ...SMALL, nLayers: 1, positions: 'none', headDim: 3, mlpHidden: 5 }],
  ['1 layer RoPE, head size 6, base 50', { ...SMALL, nLayers: 1, headDim: 6, ropeBase: 50 }],
];

function params(cfg: ModelConfig, seed: number): ParamStore {
  const p = new ParamStore(be, cfg);
  p.init(seed);
  const rng = new Rng(seed + 100);
  // every tensor away from its init (zero biases, unit gains, tiny label rows)
  for (const e of p.list()) be.write(e.value, Array.from(be.read(e.value), (x) => x + 0.5 * rng.normal()));
  return p;
}

const features = (n: number, dim: number, rng: Rng) => Float32Array.from({ length: n * dim }, () => rng.normal());

/** Tokens per sequence as rows of [items; labels], and the targets. */
interface Seqs {
  T: number;
  tokens: number[][];
  target: number[];
}

function paperBatch(B: number, nItems: number, L: number, rng: Rng): { sb: SequenceBatch; seqs: Seqs } {
  const sb = allocBatch(B);
  const seqs: Seqs = { T: 5, tokens: [], target: [] };
  for (let b = 0; b < B; b++) {
    const [i0, i1, l0, l1, slot] = [rng.int(nItems), rng.int(nItems), rng.int(L), rng.int(L), rng.int(2)];
    sb.item.set([i0, i1, slot ? i1 : i0], 3 * b);
    sb.contextLabel.set([l0, l1], 2 * b);
    sb.querySlot[b] = slot;
    sb.target[b] = slot ? l1 : l0;
    seqs.tokens.push([i0, nItems + l0, i1, nItems + l1, slot ? i1 : i0]);
    seqs.target.push(sb.target[b]);
  }
  return { sb, seqs };
}

function layoutBatch(B: number, T: number, nItems: number, L: number, rng: Rng): { sb: SequenceBatch; seqs: Seqs } {
  const sb = allocLayoutBatch(B, T);
  const seqs: Seqs = { T, tokens: [], target: [] };
  for (let b = 0; b < B; b++) {
    const row: number[] = [];
    for (let t = 0; t < T; t++) {
      const isLabel = t % 2 === 1;
      const v = isLabel ? rng.int(L) : rng.int(nItems);
      sb.layout.tokens[b * T + t] = isLabel ? labelToken(v) : v;
      row.push(isLabel ? nItems + v : v);
    }
    sb.target[b] = rng.int(L);
    seqs.tokens.push(row);
    seqs.target.push(sb.target[b]);
  }
  return { sb, seqs };
}

// ---- the independent float64 forward ----

type Vec = number[];
const matVec = (W: Float64Array, row0: number, rows: number, cols: number, x: Vec): Vec =>
  Array.from({ length: rows }, (_, r) => x.reduce((s, xv, c) => s + W[(row0 + r) * cols + c] * xv, 0));
const addv = (a: Vec, b: Vec): Vec => a.map((x, i) => x + b[i]);
function layerNorm(x: Vec, g: Float64Array, b: Float64Array, eps: number): Vec {
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
  return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * g[i] + b[i]);
}
const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

interface RefOut {
  /** [B][T][L] logits at every position. */
  logits: number[][][];
  loss: number;
  sites: Map<string, number[][][]>; // name -> [B][T][...]
}

function referenceForward(p: ParamStore, cfg: ModelConfig, feats: Float32Array, nItems: number, seqs: Seqs): RefOut {
  const W = (name: string) => be.read(p.get(name).value) as Float64Array;
  const d = cfg.dModel;
  const H = cfg.nHeads;
  const D = cfg.headDim ?? d / H;
  const a = H * D;
  const F = cfg.featureDim;
  const pos = cfg.positions ?? 'rope';
  const sites = new Map<string, number[][][]>();
  const rec = (name: string, b: number, t: number, v: Vec) => {
    if (!sites.has(name)) sites.set(name, []);
    const s = sites.get(name)!;
    (s[b] ??= [])[t] = v;
  };
  const logitsAll: number[][][] = [];
  let lossSum = 0;
  for (let b = 0; b < seqs.tokens.length; b++) {
    const T = seqs.T;
    let h: Vec[] = seqs.tokens[b].map((tok, t) => {
      let e: Vec;
      if (tok < nItems) {
        const x = Array.from(feats.slice(tok * F, tok * F + F));
        e = addv(matVec(W('embed.exemplar.weight'), 0, d, F, x), Array.from(W('embed.exemplar.bias')));
      } else e = Array.from(W('embed.label.weight').slice((tok - nItems) * d, (tok - nItems + 1) * d));
      if (pos === 'learned') e = addv(e, Array.from(W('embed.pos.weight').slice(t * d, t * d + d)));
      rec('embed', b, t, e);
      return e;
    });
    for (let l = 0; l < cfg.nLayers; l++) {
      const pre = `blocks.${l}`;
      const z = h.map((x) => layerNorm(x, W(`${pre}.ln1.weight`), W(`${pre}.ln1.bias`), cfg.lnEps));
      const qkv = W(`${pre}.attn.qkv.weight`);
      const q = z.map((x) => matVec(qkv, 0, a, d, x));
      const k = z.map((x) => matVec(qkv, a, a, d, x));
      const v = z.map((x) => matVec(qkv, 2 * a, a, d, x));
      const rot = (x: Vec, t: number): Vec => {
        if (pos !== 'rope') return x;
        const y = [...x];
        for (let hh = 0; hh < H; hh++)
          for (let i = 0; i < D / 2; i++) {
            const ang = t * Math.pow(cfg.ropeBase, (-2 * i) / D);
            const o = hh * D + 2 * i;
            y[o] = Math.cos(ang) * x[o] - Math.sin(ang) * x[o + 1];
            y[o + 1] = Math.sin(ang) * x[o] + Math.cos(ang) * x[o + 1];
          }
        return y;
      };
      const qr = q.map(rot);
      const kr = k.map(rot);
      const heads: Vec[] = [];
      for (let t = 0; t < T; t++) {
        const out = new Array<number>(a).fill(0);
        for (let hh = 0; hh < H; hh++) {
          const pattern: number[] = [];
          const sc: number[] = [];
          for (let s = 0; s <= t; s++) {
            let dot = 0;
            for (let c = 0; c < D; c++) dot += qr[t][hh * D + c] * kr[s][hh * D + c];
            sc.push(dot / Math.sqrt(D));
          }
          const m = Math.max(...sc);
          const ex = sc.map((x) => Math.exp(x - m));
          const sum = ex.reduce((x, y) => x + y, 0);
          const A = ex.map((x) => x / sum);
          for (let s = 0; s < T; s++) pattern.push(s <= t ? A[s] : 0);
          for (let s = 0; s <= t; s++) for (let c = 0; c < D; c++) out[hh * D + c] += A[s] * v[s][hh * D + c];
          rec(`${pre}.attn.pattern`, b, hh * T + t, pattern); // [B, H, T, T]
        }
        heads.push(out);
      }
      const attnOut = heads.map((x) => matVec(W(`${pre}.attn.out.weight`), 0, d, a, x));
      h = h.map((x, t) => addv(x, attnOut[t]));
      for (let t = 0; t < T; t++) {
        rec(`${pre}.ln1`, b, t, z[t]);
        rec(`${pre}.attn.q`, b, t, q[t]);
        rec(`${pre}.attn.k`, b, t, k[t]);
        rec(`${pre}.attn.v`, b, t, v[t]);
        rec(`${pre}.attn.q_rot`, b, t, qr[t]);
        rec(`${pre}.attn.k_rot`, b, t, kr[t]);
        rec(`${pre}.attn.head_out`, b, t, heads[t]);
        rec(`${pre}.attn.attn_out`, b, t, attnOut[t]);
      }
      if ((cfg.mlpHidden ?? 0) > 0) {
        const hid = cfg.mlpHidden!;
        h = h.map((x, t) => {
          rec(`${pre}.resid_mid`, b, t, x);
          const z2 = layerNorm(x, W(`${pre}.ln2.weight`), W(`${pre}.ln2.bias`), cfg.lnEps);
          const u = addv(matVec(W(`${pre}.mlp.fc1.weight`), 0, hid, d, z2), Array.from(W(`${pre}.mlp.fc1.bias`)));
          const o = addv(matVec(W(`${pre}.mlp.fc2.weight`), 0, d, hid, u.map(gelu)), Array.from(W(`${pre}.mlp.fc2.bias`)));
          rec(`${pre}.ln2`, b, t, z2);
          rec(`${pre}.mlp.pre`, b, t, u);
          rec(`${pre}.mlp.post`, b, t, o);
          return addv(x, o);
        });
      }
      h.forEach((x, t) => rec(`${pre}.resid_post`, b, t, x));
    }
    const logits = h.map((x, t) => {
      const f = layerNorm(x, W('ln_final.weight'), W('ln_final.bias'), cfg.lnEps);
      rec('ln_final', b, t, f);
      const lg = addv(matVec(W('unembed.weight'), 0, cfg.numLabels, d, f), Array.from(W('unembed.bias')));
      rec('logits', b, t, lg);
      return lg;
    });
    logitsAll.push(logits);
    const qlog = logits[T - 1];
    const m = Math.max(...qlog);
    const lse = m + Math.log(qlog.reduce((s, x) => s + Math.exp(x - m), 0));
    lossSum += lse - qlog[seqs.target[b]];
  }
  return { logits: logitsAll, loss: lossSum / seqs.tokens.length, sites };
}

function maxRel(got: ArrayLike<number>, want: number[]): number {
  expect(got.length).toBe(want.length);
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  return m;
}

function run(p: ParamStore, opts: BuildOptions, feats: Float32Array, sb: SequenceBatch) {
  const m = buildModel(p, opts);
  m.setFeatures(feats);
  m.setBatch(sb);
  m.program.forward();
  return m;
}

describe('model forward against an independent float64 forward (spec 2.2)', () => {
  for (const [name, cfg] of VARIANTS)
    it(`${name}: query logits, loss, probabilities and per-row loss, query-only and all positions`, () => {
      const rng = new Rng(11);
      const p = params(cfg, 3);
      const nItems = 4;
      const feats = features(nItems, cfg.featureDim, rng);
      const { sb, seqs } = cfg.positions === 'learned' ? layoutBatch(3, 7, nItems, cfg.numLabels, rng) : paperBatch(3, nItems, cfg.numLabels, rng);
      const want = referenceForward(p, cfg, feats, nItems, seqs);
      const wantQ = want.logits.flatMap((l) => l[seqs.T - 1]);
      for (const allPositions of [false, true]) {
        const m = run(p, { batch: 3, nItems, training: false, allPositions, seqLen: seqs.T }, feats, sb);
        expect(maxRel(be.read(m.queryLogits.buf), wantQ), `allPositions ${allPositions}`).toBeLessThan(1e-12);
        expect(Math.abs(be.read(m.loss.buf)[0] - want.loss)).toBeLessThan(1e-12);
        // per-row loss and softmax probabilities of the query logits
        const rows = Array.from(be.read(m.rowLoss));
        const probs = Array.from(be.read(m.probs));
        for (let b = 0; b < 3; b++) {
          const ql = want.logits[b][seqs.T - 1];
          const mx = Math.max(...ql);
          const z = ql.reduce((s, x) => s + Math.exp(x - mx), 0);
          for (let c = 0; c < cfg.numLabels; c++) expect(probs[b * cfg.numLabels + c]).toBeCloseTo(Math.exp(ql[c] - mx) / z, 12);
          expect(rows[b]).toBeCloseTo(Math.log(z) + mx - ql[seqs.target[b]], 12);
        }
      }
    });

  for (const [name, cfg] of VARIANTS)
    it(`${name}: every recorded site of the all-positions forward equals the reference's`, () => {
      const rng = new Rng(12);
      const p = params(cfg, 4);
      const nItems = 5;
      const feats = features(nItems, cfg.featureDim, rng);
      const { sb, seqs } = layoutBatch(2, 7, nItems, cfg.numLabels, rng);
      const want = referenceForward(p, cfg, feats, nItems, seqs);
      const m = run(p, { batch: 2, nItems, training: false, allPositions: true, keep: 'all', seqLen: 7 }, feats, sb);
      const names = [...want.sites.keys()];
      expect(names.length).toBeGreaterThan(10);
      for (const site of names) {
        const flat = want.sites.get(site)!.flatMap((bt) => bt.flat());
        expect(maxRel(m.program.read(site), flat), site).toBeLessThan(1e-12);
      }
      // the query-only program keeps the same sites readable, the last block's at the query rows only
      const last = `blocks.${cfg.nLayers - 1}.attn.attn_out`;
      const q = run(p, { batch: 2, nItems, training: false, keep: [last, 'logits'], seqLen: 7 }, feats, sb);
      const wantLast = want.sites.get(last)!.flatMap((bt) => bt[6]);
      expect(maxRel(q.program.read(last), wantLast)).toBeLessThan(1e-12);
      expect(maxRel(q.program.read('logits'), want.sites.get('logits')!.flatMap((bt) => bt[6]))).toBeLessThan(1e-12);
    });

  it('the training program’s loss gradient reaches every parameter tensor (none left at zero)', () => {
    for (const [, cfg] of VARIANTS) {
      const rng = new Rng(13);
      const p = params(cfg, 5);
      const { sb } = layoutBatch(2, 7, 4, cfg.numLabels, rng);
      const m = run(p, { batch: 2, nItems: 4, training: true, seqLen: 7 }, features(4, cfg.featureDim, rng), sb);
      p.zeroGrads();
      m.program.backward();
      for (const e of p.list()) expect(Array.from(be.read(e.grad)).some((x) => x !== 0), e.spec.name).toBe(true);
    }
  });
});

describe('model passes and hooks', () => {
  const hookedSites = (cfg: ModelConfig, opts: Partial<BuildOptions> = {}) => {
    const p = params(cfg, 1);
    const seen: string[] = [];
    buildModel(p, { batch: 2, nItems: 3, training: true, ...opts, passes: [{ name: '', hook: (s, v) => (seen.push(s), v) }] });
    return seen;
  };
  const attnSites = ['attn.q', 'attn.k', 'attn.v', 'attn.q_rot', 'attn.k_rot', 'attn.scores', 'attn.pattern', 'attn.head_out', 'attn.attn_out'];

  it('the final pass’s hook sees every site in forward order, block 0’s ln1 only off the distinct-row path', () => {
    expect(hookedSites(SMALL)).toEqual([
      'embed',
      ...attnSites.map((s) => `blocks.0.${s}`),
      'blocks.0.resid_post',
      'blocks.1.ln1',
      ...attnSites.map((s) => `blocks.1.${s}`),
      'blocks.1.resid_post',
      'ln_final',
      'logits',
    ]);
    const mlp = { ...SMALL, nLayers: 1, positions: 'learned' as const, ctx: 5, mlpHidden: 4 };
    // off the distinct-row path (learned positions) every site is hooked, in the order sites.test.ts writes out
    expect(hookedSites(mlp)).toEqual(allSites(1, { mlp: true }));
  });

  it('a hook that replaces the embedding switches block 0 off the distinct-row path, and the replacement is used', () => {
    const rng = new Rng(21);
    const p = params(SMALL, 6);
    const feats = features(3, SMALL.featureDim, rng);
    const { sb, seqs } = paperBatch(2, 3, SMALL.numLabels, rng);
    const seen: string[] = [];
    // the embedding of every token replaced by that of the sequence's first token
    const m = buildModel(p, {
      batch: 2,
      nItems: 3,
      training: false,
      passes: [
        {
          name: '',
          hook: (s, v, ctx) => {
            seen.push(s);
            if (s !== 'embed') return v;
            const idx = ctx.g.be.allocI32(2 * 5);
            ctx.g.be.write(idx, [0, 0, 0, 0, 0, 5, 5, 5, 5, 5]);
            return opGather(ctx, v, idx, 10);
          },
        },
      ],
    });
    m.setFeatures(feats);
    m.setBatch(sb);
    m.program.forward();
    expect(seen).toContain('blocks.0.ln1');
    const same: Seqs = { T: 5, tokens: seqs.tokens.map((r) => r.map(() => r[0])), target: seqs.target };
    const want = referenceForward(p, SMALL, feats, 3, same);
    expect(maxRel(be.read(m.queryLogits.buf), want.logits.flatMap((l) => l[4]))).toBeLessThan(1e-12);
  });

  it('reference passes: sites prefixed by the pass name, readable unprefixed by later passes; current() reads this pass', () => {
    const rng = new Rng(22);
    const p = params(SMALL, 7);
    const feats = features(3, SMALL.featureDim, rng);
    const a = paperBatch(2, 3, SMALL.numLabels, rng);
    const got: { passNames: string[]; currentIsOwn: boolean; ctx?: PassContext } = { passNames: [], currentIsOwn: false };
    const m = buildModel(p, {
      batch: 2,
      nItems: 3,
      training: false,
      keep: ['clean/logits', 'clean/embed'],
      passes: [
        { name: 'clean' },
        {
          name: '',
          hook: (s, v, ctx) => {
            got.ctx = ctx;
            if (s === 'blocks.0.attn.q') got.currentIsOwn = ctx.current('embed') === ctx.g.sites.get('embed') && ctx.current('embed') !== ctx.g.sites.get('clean/embed');
            if (s !== 'blocks.1.attn.pattern') return v;
            got.passNames = [...ctx.passes.keys()];
            // the final pass's last-layer pattern: the clean pass's (all positions there? no: its query row)
            const clean = ctx.passes.get('clean')!.sites.get('blocks.1.attn.pattern')!;
            expect(clean.shape).toEqual(v.shape);
            expect(clean.site).toBe('clean/blocks.1.attn.pattern');
            return clean;
          },
        },
      ],
    });
    expect(got.passNames).toEqual(['clean']);
    expect(got.currentIsOwn).toBe(true);
    expect(got.ctx!.allPositions).toBe(false);
    expect(got.ctx!.config).toBe(SMALL);
    expect(() => got.ctx!.current('nowhere')).toThrow("site 'nowhere' not traced yet in pass ''");
    m.setFeatures(feats);
    m.setBatch(a.sb);
    m.program.forward();
    // the clean pass is the plain model: same logits as the reference forward
    const want = referenceForward(p, SMALL, feats, 3, a.seqs);
    expect(maxRel(m.program.read('clean/logits'), want.logits.flatMap((l) => l[4]))).toBeLessThan(1e-12);
    expect(maxRel(m.program.read('clean/embed'), want.sites.get('embed')!.flatMap((bt) => bt.flat()))).toBeLessThan(1e-12);
  });

  it('a pass’s sites are its own: a site only an earlier pass has (a replaced one’s .computed) is not among them', () => {
    const p = params(SMALL, 8);
    let laterSites: string[] = [];
    buildModel(p, {
      batch: 1,
      nItems: 2,
      training: false,
      passes: [
        { name: 'a', hook: (s, v, ctx) => (s === 'embed' ? opModule.add(ctx.g, v, v) : v) },
        { name: 'b' },
        { name: '', hook: (s, v, ctx) => (s === 'embed' && (laterSites = [...ctx.passes.get('b')!.sites.keys()]), v) },
      ],
    });
    expect(laterSites).toContain('embed');
    expect(laterSites).not.toContain('embed.computed');
    expect(laterSites.every((n) => !n.includes('/'))).toBe(true);
  });

  it('block 0’s record-only ln1 on the distinct-row path carries no gradient, even when kept in a training program', () => {
    const p = params(SMALL, 8);
    const m = buildModel(p, { batch: 2, nItems: 3, training: true, keep: 'all' });
    expect(m.program.sites.get('blocks.0.ln1')!.requiresGrad).toBe(false);
    expect(m.program.sites.get('blocks.0.ln1')!.grad).toBeNull();
    expect(m.program.sites.get('blocks.1.ln1')!.requiresGrad).toBe(true);
  });

  it('a reference pass’s current() names its own pass when a site is missing', () => {
    const p = params(SMALL, 8);
    expect(() =>
      buildModel(p, { batch: 1, nItems: 2, training: false, passes: [{ name: 'ref', hook: (s, v, ctx) => (s === 'embed' ? ctx.current('logits') : v) }, { name: '' }] }),
    ).toThrow("site 'logits' not traced yet in pass 'ref'");
  });

  it('a pass on donor parameters computes the donor’s forward; a frozen donor gets no gradient', () => {
    const rng = new Rng(23);
    const own = params(SMALL, 9);
    const donor = new ParamStore(be, SMALL, true);
    be.write(donor.values, be.read(params(SMALL, 10).values));
    const feats = features(3, SMALL.featureDim, rng);
    const { sb, seqs } = paperBatch(2, 3, SMALL.numLabels, rng);
    const m = run(own, { batch: 2, nItems: 3, training: true, passes: [{ name: '', params: donor }] }, feats, sb);
    const want = referenceForward(donor, SMALL, feats, 3, seqs);
    expect(maxRel(be.read(m.queryLogits.buf), want.logits.flatMap((l) => l[4]))).toBeLessThan(1e-12);
    // every parameter the final pass reads is the frozen donor's: nothing the loss depends on needs a gradient
    expect(() => m.program.backward()).toThrow('backward(): the program has no differentiable loss');
    const trainable = run(own, { batch: 2, nItems: 3, training: true, passes: [{ name: '', params: params(SMALL, 10) }] }, feats, sb);
    trainable.program.backward();
    expect(Array.from(be.read(own.grads)).every((x) => x === 0)).toBe(true); // the other store took them
  });
});

/** A row gather through the model's own op module (the hook test's replacement embedding). */
function opGather(ctx: PassContext, v: Value, idx: ReturnType<PassContext['g']['be']['allocI32']>, n: number): Value {
  return opModule.gatherRows(ctx.g, v, idx, n);
}
import * as opModule from './ops.js';

describe('model inputs a batch writes', () => {
  function capture(cfg: ModelConfig, opts: Partial<BuildOptions>) {
    const p = params(cfg, 2);
    let ctx: PassContext | undefined;
    const batches: SequenceBatch[] = [];
    const m = buildModel(p, {
      batch: 2,
      nItems: 3,
      training: false,
      ...opts,
      passes: [{ name: '', hook: (s, v, c) => (s === 'embed' && ((ctx = c), c.onBatch((sb) => batches.push(sb))), v) }],
    });
    return { m, ctx: ctx!, batches };
  }

  it('paper layout: [x1, l1, x2, l2, xq] as rows of [items; labels], targets, query rows; batch hooks see each batch', () => {
    const { m, ctx, batches } = capture(SMALL, {});
    expect(SEQ_LEN).toBe(5);
    expect(QUERY_POS).toBe(4);
    expect(ctx.inputs.T).toBe(5);
    expect(ctx.inputs.positions).toBeNull();
    expect(ctx.inputs.rope).not.toBeNull();
    expect(Array.from(be.read(ctx.inputs.queryRows))).toEqual([4, 9]);
    const sb = allocBatch(2);
    sb.item.set([2, 0, 0, 1, 2, 2]);
    sb.contextLabel.set([1, 2, 0, 1]);
    sb.target.set([1, 1]);
    m.setBatch(sb);
    expect(Array.from(be.read(ctx.inputs.tokens))).toEqual([2, 4, 0, 5, 0, 1, 3, 2, 4, 2]);
    expect(Array.from(be.read(ctx.inputs.targets))).toEqual([1, 1]);
    expect(batches).toEqual([sb]);
  });

  it('general layout: item tokens as they are, label token −1−l as row nItems + l; learned positions t per token', () => {
    const cfg = { ...SMALL, positions: 'learned' as const, ctx: 4 };
    const { m, ctx } = capture(cfg, { seqLen: 4 });
    expect(ctx.inputs.rope).toBeNull();
    expect(Array.from(be.read(ctx.inputs.positions!))).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    expect(Array.from(be.read(ctx.inputs.queryRows))).toEqual([3, 7]);
    const sb = allocLayoutBatch(2, 4);
    sb.layout.tokens.set([0, labelToken(0), 2, labelToken(2), 1, labelToken(1), 0, 2]);
    sb.target.set([2, 0]);
    m.setBatch(sb);
    expect(Array.from(be.read(ctx.inputs.tokens))).toEqual([0, 3, 2, 5, 1, 4, 0, 2]);
    expect(Array.from(be.read(ctx.inputs.targets))).toEqual([2, 0]);
  });

  it('features(): a host copy of the last item table written (zeros of the table’s size before any)', () => {
    const { m, ctx } = capture(SMALL, {});
    expect(Array.from(ctx.features())).toEqual(new Array(3 * SMALL.featureDim).fill(0));
    const data = Float32Array.from({ length: 3 * SMALL.featureDim }, (_, i) => i / 4);
    m.setFeatures(data);
    expect(Array.from(be.read(ctx.inputs.features))).toEqual(Array.from(data));
    const copy = ctx.features();
    data[0] = 99;
    expect(Array.from(copy)).toEqual(Array.from({ length: 12 }, (_, i) => i / 4));
    expect(ctx.features()[0]).toBe(0);
  });
});

describe('model refusals', () => {
  const p = (cfg: ModelConfig) => params(cfg, 1);
  const base = { batch: 2, nItems: 3, training: false };

  it('sequence length: an integer of at least 2; the learned table must hold it', () => {
    expect(() => buildModel(p(SMALL), { ...base, seqLen: 1 })).toThrow('seqLen must be an integer >= 2, got 1');
    expect(() => buildModel(p(SMALL), { ...base, seqLen: 4.5 })).toThrow('seqLen must be an integer >= 2, got 4.5');
    expect(buildModel(p(SMALL), { ...base, seqLen: 2 }).batch).toBe(2);
    const learned = { ...SMALL, positions: 'learned' as const, ctx: 6 };
    expect(() => buildModel(p(learned), { ...base, seqLen: 7 })).toThrow('7-token sequences exceed the 6 learned positions (model ctx)');
    expect(buildModel(p(learned), { ...base, seqLen: 6 }).nItems).toBe(3);
  });

  it('head size: an even integer with RoPE, a positive integer otherwise', () => {
    // ParamStore accepts these shapes; buildModel is the one to refuse them
    expect(() => buildModel(p({ ...SMALL, dModel: 6, nHeads: 4 }), base)).toThrow('dModel 6 / nHeads 4 must be an even integer head size');
    expect(() => buildModel(p({ ...SMALL, dModel: 6, nHeads: 2 }), base)).toThrow('dModel 6 / nHeads 2 must be an even integer head size');
    expect(() => buildModel(p({ ...SMALL, headDim: 3 }), base)).toThrow('headDim 3 must be an even integer');
    expect(() => buildModel(p({ ...SMALL, positions: 'none', headDim: 2.5 }), base)).toThrow('headDim 2.5 must be a positive integer');
    expect(buildModel(p({ ...SMALL, positions: 'none', headDim: 3 }), base).batch).toBe(2);
    expect(buildModel(p({ ...SMALL, positions: 'none', dModel: 6, nHeads: 2 }), base).batch).toBe(2);
    expect(buildModel(p({ ...SMALL, headDim: 2 }), base).batch).toBe(2);
    // the smallest head: 1 without RoPE; 0 is refused
    expect(buildModel(p({ ...SMALL, positions: 'none', headDim: 1 }), base).batch).toBe(2);
    expect(() => buildModel(p({ ...SMALL, positions: 'none', headDim: 0 }), base)).toThrow('headDim 0 must be a positive integer');
  });

  it('passes: the last one must be the final pass; keep must name traced sites', () => {
    expect(() => buildModel(p(SMALL), { ...base, passes: [{ name: '' }, { name: 'ref' }] })).toThrow('the last pass must be the final pass (name "")');
    expect(() => buildModel(p(SMALL), { ...base, keep: ['logits', 'blocks.9.ln1'] })).toThrow("keep: unknown site 'blocks.9.ln1'");
  });

  it('batches and item tables of the wrong size', () => {
    const m = buildModel(p(SMALL), base);
    expect(() => m.setFeatures(new Float32Array(3 * 4 + 1))).toThrow('item table has 13 floats, expected 3×4');
    expect(() => m.setBatch(allocBatch(3))).toThrow('batch of 3 sequences for a program built for 2');
    expect(() => m.setBatch(allocLayoutBatch(2, 6))).toThrow('batch of 6-token sequences for a program built for 5');
    const m7 = buildModel(p(SMALL), { ...base, seqLen: 7 });
    expect(() => m7.setBatch(allocBatch(2))).toThrow('a 7-token program needs batches in the general token layout');
  });
});
