/**
 * The wiring analysis (wiring.ts) on a 3-head model small enough to evaluate every cell fast: each entry of
 * the matrices and of Table 1 equals the dense evaluator's accuracy under the spec the docstring defines,
 * written out here head by head (so a swapped index, layer or preservation shows); composition scores
 * against the matrix product computed here from the two tensors; the layer checks' messages at their bounds.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, type ModelConfig } from '../params.js';
import { DenseEvaluator, denseSet } from './denseSet.js';
import { features, randomParams, task } from './testing/fixture.js';
import { compositionScores, groupAblations, table1Groups, wiringLayers, wiringMatrices } from './wiring.js';

const cfg = (nLayers: number): ModelConfig => ({ ...DEFAULT_MODEL, dModel: 6, nHeads: 3, nLayers, featureDim: 16 });
const PV = { patterns: false, values: true };
const PP = { patterns: true, values: false };

function evaluatorOf(nLayers: number, seed: number) {
  return new DenseEvaluator(randomParams(seed, 0.8, cfg(nLayers)), denseSet(task, features, { size: 60 }));
}

describe('wiringLayers', () => {
  it('defaults to the first and the last layer; each bound named', () => {
    expect(wiringLayers(2, {})).toEqual({ from: 0, to: 1 });
    expect(wiringLayers(4, { from: 1 })).toEqual({ from: 1, to: 3 });
    expect(wiringLayers(4, { to: 2 })).toEqual({ from: 0, to: 2 });
    expect(wiringLayers(4, { from: 2, to: 3 })).toEqual({ from: 2, to: 3 });
    expect(() => wiringLayers(3, { from: -1 })).toThrow('wiring.from: layer -1 out of range (the model has layers 0..2)');
    expect(() => wiringLayers(3, { from: 0.5 })).toThrow('wiring.from: layer 0.5 out of range (the model has layers 0..2)');
    expect(() => wiringLayers(3, { to: 3 })).toThrow('wiring.to: layer 3 out of range (the model has layers 0..2)');
    expect(() => wiringLayers(3, { from: 3, to: 2 })).toThrow('wiring.from: layer 3 out of range (the model has layers 0..2)');
    expect(() => wiringLayers(3, { from: 1, to: 1 })).toThrow('wiring.to: layer 1 must come after the writer layer wiring.from 1');
    expect(() => wiringLayers(3, { from: 2, to: 1 })).toThrow('wiring.to: layer 1 must come after the writer layer wiring.from 2');
  });
});

describe('wiringMatrices', () => {
  for (const [nLayers, from, to, seed] of [
    [2, 0, 1, 4],
    [3, 1, 2, 9],
  ] as const)
    it(`${nLayers} layers, ${from} → ${to}: every cell is the accuracy of its spec`, () => {
      const ev = evaluatorOf(nLayers, seed);
      const logs: string[] = [];
      const w = wiringMatrices(ev, { log: (m) => logs.push(m), ...(nLayers === 3 ? { from, to } : {}) });
      const acc = (ablate: string[], preserve?: object) => ev.evaluate(preserve ? { ablate, preserve } : { ablate }).acc;
      const othersOf = (i: number) => [0, 1, 2].filter((x) => x !== i).map((x) => `${to}:${x}`);
      for (let i = 0; i < 3; i++) {
        const others = othersOf(i);
        const base = acc(others);
        expect(w.baseline[i], `baseline ${i}`).toBe(base);
        for (let j = 0; j < 3; j++) {
          const rest = [0, 1, 2].filter((x) => x !== j).map((x) => `${from}:${x}`);
          expect(w.Mpv[i][j], `Mpv ${i} ${j}`).toBeCloseTo(acc([`${from}:${j}`, ...others], PV) - base, 12);
          expect(w.Mpp[i][j], `Mpp ${i} ${j}`).toBeCloseTo(acc([`${from}:${j}`, ...others], PP) - base, 12);
          expect(w.Npv[i][j], `Npv ${i} ${j}`).toBe(acc([...rest, ...others], PV));
          expect(w.Npp[i][j], `Npp ${i} ${j}`).toBe(acc([...rest, ...others], PP));
        }
      }
      expect(logs).toEqual([0, 1, 2].map((i) => `wiring: last-layer head ${i} done`));
      // not vacuous: the cells differ across heads and kinds
      expect(new Set(w.baseline).size).toBeGreaterThan(1);
      expect(w.Mpv.flat().some((x, k) => x !== w.Mpp.flat()[k])).toBe(true);
      expect(w.Npv.flat().some((x, k) => x !== w.Npp.flat()[k])).toBe(true);
    });

  it('with base, every evaluation runs on the base spec', () => {
    const ev = evaluatorOf(2, 6);
    const base = { prevToken: { heads: ['0:1'], strength: 1 } };
    const w = wiringMatrices(ev, { base });
    expect(w.baseline[0]).toBe(ev.evaluate({ ablate: ['1:1', '1:2'] }, { base }).acc);
    expect(w.Npp[2][1]).toBe(ev.evaluate({ ablate: ['0:0', '0:2', '1:0', '1:1'], preserve: PP }, { base }).acc);
    expect(w).not.toEqual(wiringMatrices(ev));
  });
});

describe('groupAblations and table1Groups', () => {
  it('each group ablated in its layer, pattern- and value-preserving, all later heads active', () => {
    const ev = evaluatorOf(3, 5);
    const rows = groupAblations(ev, [[0, 2], [1]]);
    expect(rows).toEqual([
      { heads: [0, 2], patternPreserving: ev.evaluate({ ablate: ['0:0', '0:2'], preserve: PP }).acc, valuePreserving: ev.evaluate({ ablate: ['0:0', '0:2'], preserve: PV }).acc },
      { heads: [1], patternPreserving: ev.evaluate({ ablate: ['0:1'], preserve: PP }).acc, valuePreserving: ev.evaluate({ ablate: ['0:1'], preserve: PV }).acc },
    ]);
    const l1 = groupAblations(ev, [[1]], { layer: 1 });
    expect(l1[0].valuePreserving).toBe(ev.evaluate({ ablate: ['1:1'], preserve: PV }).acc);
    expect(l1[0].patternPreserving).toBe(ev.evaluate({ ablate: ['1:1'], preserve: PP }).acc);
    const base = { ablate: ['2:0'] };
    expect(groupAblations(ev, [[1]], { base })[0].valuePreserving).toBe(ev.evaluate({ ablate: ['0:1'], preserve: PV }, { base }).acc);
    expect(() => groupAblations(ev, [[0]], { layer: 3 })).toThrow('groupAblations.layer: layer 3 out of range (the model has layers 0..2)');
    expect(() => groupAblations(ev, [[0]], { layer: -1 })).toThrow('groupAblations.layer: layer -1 out of range (the model has layers 0..2)');
    expect(() => groupAblations(ev, [[0]], { layer: 2 })).not.toThrow();
  });

  it('table1Groups: the group and its complement', () => {
    expect(table1Groups([1, 2, 5], 8)).toEqual([
      [1, 2, 5],
      [0, 3, 4, 6, 7],
    ]);
    expect(table1Groups([], 2)).toEqual([[], [0, 1]]);
  });
});

describe('compositionScores', () => {
  /** ‖W_X^(i) W_O^(j)‖_F / (‖W_X^(i)‖_F ‖W_O^(j)‖_F) from the two tensors as matrices. */
  function byHand(p: ReturnType<typeof randomParams>, from: number, to: number) {
    const d = p.config.dModel;
    const H = p.config.nHeads;
    const D = d / H;
    const read = (name: string) => Array.from(p.be.read(p.get(name).value));
    const Wo = read(`blocks.${from}.attn.out.weight`);
    const Wqkv = read(`blocks.${to}.attn.qkv.weight`);
    const out: Record<string, number[][]> = {};
    ['q', 'k', 'v'].forEach((X, xi) => {
      out[X] = [];
      for (let i = 0; i < H; i++) {
        // WX: D x d (rows of W_X for head i), WO: d x D (columns of W_O for head j)
        const WX = Array.from({ length: D }, (_, a) => Wqkv.slice((xi * d + i * D + a) * d, (xi * d + i * D + a + 1) * d));
        out[X].push(
          Array.from({ length: H }, (_, j) => {
            const WO = Array.from({ length: d }, (_, r) => Wo.slice(r * d + j * D, r * d + (j + 1) * D));
            const prod = WX.map((row) => Array.from({ length: D }, (_, b) => row.reduce((s, x, r) => s + x * WO[r][b], 0)));
            const fro = (m: number[][]) => Math.sqrt(m.flat().reduce((s, x) => s + x * x, 0));
            return fro(prod) / (fro(WX) * fro(WO));
          }),
        );
      }
    });
    return out;
  }

  for (const [nLayers, from, to] of [
    [2, undefined, undefined],
    [3, 0, 2],
    [3, 1, 2],
  ] as const)
    it(`${nLayers} layers, ${from ?? 'first'} → ${to ?? 'last'}: every score against the product computed here`, () => {
      const p = randomParams(7, 0.8, cfg(nLayers));
      const got = compositionScores(p, { from, to });
      const want = byHand(p, from ?? 0, to ?? nLayers - 1);
      for (const X of ['q', 'k', 'v'] as const)
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(got[X][i][j], `${X} ${i} ${j}`).toBeCloseTo(want[X][i][j], 12);
      expect(got.q[0][0]).not.toBeCloseTo(got.k[0][0], 6);
    });

  it('a zero map scores 0, not NaN', () => {
    const p = randomParams(7, 0.8, cfg(2));
    const e = p.get('blocks.0.attn.out.weight');
    const host = Float64Array.from(p.readBlock('values'));
    host.fill(0, e.offset, e.offset + e.size);
    p.writeBlock('values', host);
    const got = compositionScores(p);
    expect(got.v.flat()).toEqual(new Array(9).fill(0));
    expect(() => compositionScores(p, { from: 1, to: 1 })).toThrow('wiring.to: layer 1 must come after the writer layer wiring.from 1');
  });
});
