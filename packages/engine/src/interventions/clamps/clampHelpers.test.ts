/**
 * The helpers every clamp shares (clamps/clamp.ts), each against values worked out by hand: constants and
 * masks, the [B, H, Tq, T] index arithmetic, the task positions a hook uses, the two-step circuit's layer
 * rule with its message, head lists and uses, the per-head hook, overwrite (no gradient reaches the
 * overwritten entries) and scaled (value and gradient k times the input's), on the float64 reference backend.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../backends/reference.js';
import { fewShotPositions, repeatPositions } from '../../data/tasks/positions.js';
import { Graph, type Value } from '../../graph.js';
import type { PassContext } from '../../model.js';
import { DEFAULT_MODEL, ParamStore } from '../../params.js';
import {
  attnDims,
  attnIndex,
  checkAfterPrevToken,
  constant,
  defineClamp,
  headsHook,
  headsIn,
  InterventionError,
  listUses,
  mask,
  overwrite,
  parseHeads,
  positionsFor,
  scaled,
  STAGE,
  type ValidateContext,
} from './clamp.js';

const be = createReferenceBackend();

/** The part of a pass context these helpers read: the graph. */
const ctxOf = (g: Graph) => ({ g }) as unknown as PassContext;

function leaf(g: Graph, shape: number[], values: number[]): Value {
  const buf = be.allocF(values.length);
  be.write(buf, values);
  return g.wrap(buf, shape, be.allocF(values.length));
}

describe('constants and masks', () => {
  it('constant(): a no-gradient value of the shape, zero by default or filled', () => {
    const g = new Graph(be, { training: true });
    const z = constant(ctxOf(g), [2, 3]);
    expect(z.value.shape).toEqual([2, 3]);
    expect(z.value.size).toBe(6);
    expect(z.value.grad).toBeNull();
    expect(z.value.requiresGrad).toBe(false);
    expect(z.value.buf).toBe(z.buf);
    expect(Array.from(be.read(z.buf))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(be.read(constant(ctxOf(g), [4], -2.5).buf))).toEqual([-2.5, -2.5, -2.5, -2.5]);
  });

  it('mask(): 1 exactly where the predicate holds', () => {
    const g = new Graph(be, { training: false });
    const m = mask(ctxOf(g), 7, (i) => i % 3 === 0);
    expect(Array.from(be.read(m))).toEqual([1, 0, 0, 1, 0, 0, 1]);
  });
});

describe('attention geometry', () => {
  it('attnDims: B, H, Tq, T and the first query position T − Tq', () => {
    const g = new Graph(be, { training: false });
    expect(attnDims(g.value([3, 2, 5, 5], false))).toEqual({ B: 3, H: 2, Tq: 5, T: 5, qPos0: 0 });
    expect(attnDims(g.value([3, 2, 1, 5], false))).toEqual({ B: 3, H: 2, Tq: 1, T: 5, qPos0: 4 });
  });

  it('attnIndex: every entry of a [2, 3, 4, 4] and a query-only [2, 3, 1, 4] tensor', () => {
    const g = new Graph(be, { training: false });
    const full = attnIndex(g.value([2, 3, 4, 4], false));
    let i = 0;
    for (let b = 0; b < 2; b++)
      for (let h = 0; h < 3; h++)
        for (let t = 0; t < 4; t++)
          for (let j = 0; j < 4; j++) expect(full(i++)).toEqual({ head: h, t, j });
    const q = attnIndex(g.value([2, 3, 1, 4], false));
    i = 0;
    for (let b = 0; b < 2; b++)
      for (let h = 0; h < 3; h++)
        for (let j = 0; j < 4; j++) expect(q(i++)).toEqual({ head: h, t: 3, j });
  });
});

describe('positionsFor', () => {
  it('the environment’s positions when their length matches, else the few-shot layout of the pass’s length', () => {
    const params = new ParamStore(be, DEFAULT_MODEL);
    expect(positionsFor({ params }, 5)).toEqual(fewShotPositions(5));
    expect(positionsFor({ params }, 9)).toEqual(fewShotPositions(9));
    const rep = repeatPositions(4, 3);
    expect(positionsFor({ params, positions: rep }, 7)).toBe(rep);
    const err = (() => {
      try {
        positionsFor({ params, positions: rep }, 5);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InterventionError);
    expect((err as Error).message).toBe('clamps compiled for repeatTokens (4 + 3 tokens) (7 tokens) run on 5-token sequences');
  });
});

describe('checkAfterPrevToken (the two-step circuit)', () => {
  const v = (spec: Record<string, unknown>): ValidateContext & { calls: string[] } => {
    const calls: string[] = [];
    return {
      spec,
      model: { nLayers: 4, nHeads: 8 },
      calls,
      fail(field, msg) {
        calls.push(`${field}: ${msg}`);
        throw new InterventionError(`${field}: ${msg}`);
      },
    };
  };

  it('passes with no previous-token clamp, and with every reader after the latest writer', () => {
    expect(() => checkAfterPrevToken('match', ['0:1'], v({}))).not.toThrow();
    expect(() => checkAfterPrevToken('match', ['0:1'], v({ prevToken: { heads: [] } }))).not.toThrow();
    expect(() => checkAfterPrevToken('match', ['2:0', '3:1'], v({ prevToken: { heads: ['0:1', '1:2'] } }))).not.toThrow();
  });

  it('names the first reader at or before the latest writer of either previous-token clamp', () => {
    const ctx = v({ prevToken: { heads: ['0:1'] }, prevTokenLabels: { heads: ['0:3', '2:5', '1:0'] } });
    expect(() => checkAfterPrevToken('match', ['3:0', '2:4'], ctx)).toThrow(
      `match.heads[1]: head "2:4" is in layer 2, not after the previous-token clamp's layer 2 (prevTokenLabels.heads[1] "2:5"); the match reads what the previous-token head wrote, so it must sit in a later layer`,
    );
    // a writer in a later layer than the reader, from prevToken
    const ctx2 = v({ prevToken: { heads: ['1:1'] } });
    expect(() => checkAfterPrevToken('featureMatch', ['0:0'], ctx2)).toThrow(`featureMatch.heads[0]: head "0:0" is in layer 0, not after the previous-token clamp's layer 1 (prevToken.heads[0] "1:1")`);
    // prevTokenLabels alone (no prevToken field at all)
    expect(() => checkAfterPrevToken('match', ['1:0'], v({ prevTokenLabels: { heads: ['1:4'] } }))).toThrow(
      `match.heads[0]: head "1:0" is in layer 1, not after the previous-token clamp's layer 1 (prevTokenLabels.heads[0] "1:4")`,
    );
    // the first of two equally late writers is the one named
    const ctx3 = v({ prevToken: { heads: ['1:1', '1:2'] } });
    expect(() => checkAfterPrevToken('match', ['1:0'], ctx3)).toThrow(`(prevToken.heads[0] "1:1")`);
    expect(ctx3.calls.length).toBe(1);
  });
});

describe('head lists', () => {
  it('parseHeads, headsIn and listUses', () => {
    const hs = parseHeads(['1:3', '0:2', '1:0']);
    expect(hs).toEqual([
      { layer: 1, head: 3 },
      { layer: 0, head: 2 },
      { layer: 1, head: 0 },
    ]);
    expect([...headsIn(hs, 1)].sort()).toEqual([0, 3]);
    expect([...headsIn(hs, 0)]).toEqual([2]);
    expect(headsIn(hs, 2).size).toBe(0);
    expect(listUses('ablate', ['1:3', '0:2'], 'values', true)).toEqual([
      { at: 'ablate[0]', owner: 'ablate', ref: '1:3', writes: 'values' },
      { at: 'ablate[1]', owner: 'ablate', ref: '0:2', writes: 'values' },
    ]);
    expect(listUses('match', ['1:1'])).toEqual([{ at: 'match.heads[0]', owner: 'match', ref: '1:1', writes: undefined }]);
  });

  it('headsHook applies only at its site, only in layers that hold a listed head, with those heads', () => {
    const g = new Graph(be, { training: false });
    const calls: [number, number[]][] = [];
    const replaced = g.value([1], false);
    const { hook } = headsHook(['1:2', '1:0', '3:1'], 'attn.pattern', (hs, _v, _ctx, at) => (calls.push([at.layer, [...hs].sort()]), replaced));
    const v = g.value([1], false);
    const ctx = ctxOf(g);
    expect(hook!({ site: 'blocks.1.attn.scores', layer: 1, rest: 'attn.scores' }, v, ctx)).toBe(v);
    expect(hook!({ site: 'blocks.0.attn.pattern', layer: 0, rest: 'attn.pattern' }, v, ctx)).toBe(v);
    expect(hook!({ site: 'blocks.1.attn.pattern', layer: 1, rest: 'attn.pattern' }, v, ctx)).toBe(replaced);
    expect(hook!({ site: 'blocks.3.attn.pattern', layer: 3, rest: 'attn.pattern' }, v, ctx)).toBe(replaced);
    expect(calls).toEqual([
      [1, [0, 2]],
      [3, [1]],
    ]);
  });
});

describe('overwrite and scaled', () => {
  it('overwrite: the fill where set, the input elsewhere; gradient only where not set', () => {
    const g = new Graph(be, { training: true });
    const x = leaf(g, [2, 3], [1, 2, 3, 4, 5, 6]);
    const y = overwrite(ctxOf(g), x, (i) => i === 1 || i === 4, 9);
    const y0 = overwrite(ctxOf(g), x, (i) => i === 0);
    const p = g.compile(null, [y, y0]);
    p.forward();
    expect(y.shape).toEqual([2, 3]);
    expect(Array.from(be.read(y.buf))).toEqual([1, 9, 3, 4, 9, 6]);
    expect(Array.from(be.read(y0.buf))).toEqual([0, 2, 3, 4, 5, 6]);
    p.backward({ from: { value: y, seed: [1, 1, 1, 1, 1, 1] } });
    expect(Array.from(be.read(x.grad!))).toEqual([1, 0, 1, 1, 0, 1]);
  });

  it('scaled: k times the input over the last axis, with gradient k times the seed', () => {
    const g = new Graph(be, { training: true });
    const x = leaf(g, [2, 1, 3], [1, -2, 3, 0.5, 4, -6]);
    const y = scaled(ctxOf(g), x, 2.5);
    const p = g.compile(null, [y]);
    p.forward();
    expect(y.shape).toEqual([2, 1, 3]);
    expect(Array.from(be.read(y.buf))).toEqual([2.5, -5, 7.5, 1.25, 10, -15]);
    p.backward({ from: { value: y, seed: [1, 2, 3, 4, 5, 6] } });
    expect(Array.from(be.read(x.grad!))).toEqual([2.5, 5, 7.5, 10, 12.5, 15]);
  });
});

describe('stages and defineClamp', () => {
  it('the stage order: preserve, replace, embedding, scores, pattern, ablate, readout, 100 apart', () => {
    expect(STAGE).toEqual({ preserve: 100, replace: 200, embedding: 300, scores: 400, pattern: 500, ablate: 600, readout: 700 });
  });

  it('defineClamp returns its record unchanged', () => {
    const c = { key: 'x' } as unknown as Parameters<typeof defineClamp>[0];
    expect(defineClamp(c)).toBe(c);
  });
});
