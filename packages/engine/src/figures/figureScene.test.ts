/**
 * What a reader sees of each figure, read from the Vega scenegraph of the compiled spec (vega-lite compiles,
 * a headless Vega view runs it; `readFigure`): one mark per data row at its value, axis and legend titles,
 * legend order and colours, scale types and domains, tooltips, the dashed reference lines. A mutated field
 * name gives no or misplaced marks; a mutated title or encoding shows up here as the reader would see it.
 */
import { describe, expect, it } from 'vitest';
import { strengthScatterSpec, type StrengthPoint } from './scatter.js';
import { learningTimeSpec, type LearningTimePoint } from './learningTime.js';
import { readFigure } from './testing.js';

const TABLEAU10_FIRST = '#4c78a8';
const CATEGORY20_FIRST = '#1f77b4';

describe('strength scatter (Fig. 4a)', () => {
  const PTS: StrengthPoint[] = [
    { head: 'L2H10', strength: 0.3, value: 0.5, kind: 'only' },
    { head: 'L2H2', strength: 0.6, value: 0.7, kind: 'only' },
    { head: 'L2H1', strength: 0.9, value: 0.95, kind: 'only' },
    { head: 'L2H10', strength: 0.3, value: 0.99, kind: 'ablate' },
    { head: 'L2H2', strength: 0.6, value: 0.98, kind: 'ablate' },
    { head: 'L2H1', strength: 0.9, value: 0.9, kind: 'ablate' },
  ];
  it('one point per head and manipulation at its strength and value; head labels; dashed baseline; legends', async () => {
    const f = await readFigure(strengthScatterSpec(PTS, { baseline: { y: 0.8, label: 'all heads' } }));
    const x = f.scale('x');
    const y = f.scale('y');
    const pts = f.items('symbol');
    expect(pts).toHaveLength(6);
    expect(pts.map((p) => [x.invert(p.x), y.invert(p.y)]).map(([a, b]) => [Number(a.toFixed(6)), Number(b.toFixed(6))])).toEqual(PTS.map((p) => [p.strength, p.value]));
    expect(pts.map((p) => p.tooltip)).toEqual(PTS.map((p) => ({ head: p.head, kind: p.kind, strength: p.strength.toFixed(3), value: p.value.toFixed(4) })));
    expect(pts.map((p) => p.shape ?? 'circle')).toEqual(['circle', 'circle', 'circle', 'triangle-up', 'triangle-up', 'triangle-up']);
    expect(pts.every((p) => p.size === 110 && p.opacity === 0.9 && p.stroke === 'white' && p.strokeWidth === 0.5 && typeof p.fill === 'string' && p.fill !== 'white')).toBe(true);
    // same head, same colour; heads in natural order take the scheme's colours in turn
    expect(pts[0].fill).toBe(pts[3].fill);
    expect(pts[2].fill).toBe(TABLEAU10_FIRST);
    // a text label per head, only for the first manipulation, up and right of its point
    const labels = f.items('text');
    expect(labels.map((t) => t.text)).toEqual(['L2H10', 'L2H2', 'L2H1']);
    expect(labels.every((t) => t.dx === 8 && t.dy === -6 && t.fontSize === 11 && t.fill === '#333' && t.align === 'left')).toBe(true);
    expect(labels.map((t) => [t.x, t.y])).toEqual(pts.slice(0, 3).map((p) => [p.x, p.y]));
    // the baseline: one dashed rule at y = 0.8
    const rule = f.items('rule');
    expect(rule).toHaveLength(1);
    expect([rule[0].y, rule[0].strokeDash, rule[0].stroke, rule[0].strokeWidth]).toEqual([y(0.8), [6, 4], '#555', 1.5]);
    expect(f.texts('axis-title')).toEqual(['induction strength', 'accuracy']);
    expect(f.texts('legend-title')).toEqual(['head', 'manipulation']);
    expect(f.texts('legend-label')).toEqual(['L2H1', 'L2H2', 'L2H10', 'only', 'ablate']);
    expect(f.texts('title-text')).toEqual(['Head accuracy vs induction strength']);
    expect(f.texts('title-subtitle')).toEqual(['dashed: all heads (0.8)']);
    // y: the data's own range (no zero, not rounded); x: not from zero
    // 14 px of padding on a 300 px axis: the data span 0.49 maps to 272 px
    const pad = (0.49 * 14) / 272;
    expect(y.domain()[0]).toBeCloseTo(0.5 - pad, 9);
    expect(y.domain()[1]).toBeCloseTo(0.99 + pad, 9);
    expect(x.domain()[0]).toBeGreaterThan(0);
    f.done();
  });
  it('options: titles, no labels, default kind, baseline words, size; more than 10 heads take category20', async () => {
    const pts = Array.from({ length: 10 }, (_, i) => ({ head: `h${i}`, strength: i / 10, value: 0.123456789 + i }));
    const ten = await readFigure(strengthScatterSpec(pts, { xTitle: 'k', yTitle: 'loss', colorTitle: 'seed', shapeTitle: 'what', labels: false, baseline: { y: 0.123456789 }, width: 200, height: 100 }));
    expect(ten.items('text')).toEqual([]);
    expect(ten.texts('axis-title')).toEqual(['k', 'loss']);
    expect(ten.texts('legend-title')).toEqual(['seed', 'what']);
    expect(ten.texts('legend-label').at(-1)).toBe('only this head active');
    expect(ten.texts('title-subtitle')).toEqual(['dashed: unablated model (0.12346)']);
    expect(ten.items('symbol')[0].fill).toBe(TABLEAU10_FIRST);
    expect([ten.view.width(), ten.view.height()]).toEqual([200, 100]);
    ten.done();
    const eleven = await readFigure(strengthScatterSpec([...pts, { head: 'h10', strength: 1, value: 2 }], { baseline: { y: 3 } }));
    expect(eleven.items('symbol')[0].fill).toBe(CATEGORY20_FIRST);
    expect(eleven.texts('title-subtitle')).toEqual(['dashed: unablated model (3)']);
    expect(eleven.texts('axis-title')).toEqual(['induction strength', 'accuracy']);
    expect([eleven.view.width(), eleven.view.height()]).toEqual([480, 300]);
    eleven.done();
    const bare = await readFigure(strengthScatterSpec(pts.slice(0, 2)));
    expect(bare.texts('title-subtitle')).toEqual([]);
    expect(bare.items('rule')).toEqual([]);
    bare.done();
  });
});

describe('learning time (Fig. 6)', () => {
  const PTS: LearningTimePoint[] = [
    { x: 15, seqs: 900_000, learned: false, group: 'B', run: 'r3' },
    { x: 5, seqs: 250_000, learned: true, group: 'B', run: 'r1' },
    { x: 10, seqs: 400_000, learned: true, group: 'A10', run: 'r2' },
    { x: 5, seqs: 200_000, learned: true, group: 'A10' },
    { x: 5, seqs: 300_000, learned: true, group: 'A2', run: 'r5' },
  ];
  it('a line per group through its points in x order, filled where learned, hollow where not; axes and legend', async () => {
    const f = await readFigure(learningTimeSpec(PTS));
    const x = f.scale('x');
    const y = f.scale('y');
    const lines = f.marks.filter((m) => m.role === 'mark' && m.marktype === 'line');
    // groups in order of their first point in x order (B, A10, A2 at x = 5, as given)
    expect(lines.map((l) => l.items.map((p) => [x.invert(p.x), Math.round(y.invert(p.y))]))).toEqual([
      [[5, 250_000], [15, 900_000]],
      [[5, 200_000], [10, 400_000]],
      [[5, 300_000]],
    ]);
    const pts = f.items('symbol');
    expect(pts.map((p) => [p.tooltip.run, p.fill === 'white'])).toEqual([
      ['r1', false],
      ['', false],
      ['r5', false],
      ['r2', false],
      ['r3', true],
    ]);
    expect(pts.every((p) => p.size === 90 && p.strokeWidth === 2)).toBe(true);
    expect(pts.at(-1)!.tooltip).toEqual({ run: 'r3', group: 'B', '# labels': 15, seqs: '900,000', learned: 'not learned (last eval)' });
    expect(f.texts('axis-title')).toEqual(['# labels', 'learning time (# sequences)']);
    expect(f.marks.filter((m) => m.role === 'axis-label').map((m) => m.items.map((i) => i.text))[0]).toEqual(['5', '10', '15']);
    expect(f.texts('axis-label')).toContain('400k');
    expect(f.texts('axis-label')).toContain('0');
    expect(f.texts('legend-title')).toEqual(['group']);
    expect(f.texts('legend-label')).toEqual(['A2', 'A10', 'B']);
    expect(f.texts('title-text')).toEqual(['Learning time']);
    expect(f.texts('title-subtitle')).toEqual(['first eval with train loss < 0.4·ln 2; hollow: not learned by the last eval']);
    expect(y.type).toBe('linear');
    expect(y.domain()[0]).toBe(0);
    expect(x.domain()[0]).toBeGreaterThan(0);
    // the legend's first group (A2) takes the scheme's first colour
    expect(lines[2].items[0].stroke).toBe(TABLEAU10_FIRST);
    f.done();
  });
  it('options: log y, titles, size; more than 10 groups take category20', async () => {
    const many = Array.from({ length: 11 }, (_, i) => ({ x: 5, seqs: 1000 * (i + 1), learned: true, group: `g${i}` }));
    const f = await readFigure(learningTimeSpec(many, { logY: true, xTitle: '# classes', legendTitle: 'condition', title: 'T', subtitle: 'S', width: 300, height: 200 }));
    expect(f.scale('y').type).toBe('log');
    expect(f.texts('axis-title')).toEqual(['# classes', 'learning time (# sequences)']);
    expect(f.texts('legend-title')).toEqual(['condition']);
    expect([f.texts('title-text'), f.texts('title-subtitle')]).toEqual([['T'], ['S']]);
    expect(f.items('symbol')[0].tooltip['# classes']).toBe(5);
    expect(f.items('symbol')[0].fill).toBe(CATEGORY20_FIRST);
    expect([f.view.width(), f.view.height()]).toEqual([300, 200]);
    f.done();
    const ten = await readFigure(learningTimeSpec(many.slice(0, 10)));
    expect(ten.items('symbol')[0].fill).toBe(TABLEAU10_FIRST);
    ten.done();
  });
});
