/**
 * The training-curve figures (loss per eval set, the train window, run comparisons, sweep groups with bands,
 * learning time per group) as a reader sees them: the Vega scenegraph of the compiled spec (`readFigure`),
 * each line through its points, bands between their bounds, axis and legend titles, reference lines and
 * scale types; and the rows behind them worked by hand.
 */
import { describe, expect, it } from 'vitest';
import type { MetricRow } from '../store/runDir.js';
import { curveAxes, groupCurveRows, groupCurvesSpec, groupLearningTimeRows, groupLearningTimeSpec, onLogAxes, type GroupSeries } from './groupCurves.js';
import { lossCurvesSpec, runComparisonSpec, trainWindowSpec } from './lossCurves.js';
import { readFigure } from './testing.js';

const TABLEAU10_FIRST = '#4c78a8';
const CATEGORY20_FIRST = '#1f77b4';
type Item = Record<string, any>;
/** Data marks of one type, each with its items. */
const marksOf = (f: { marks: { role: string; marktype: string; items: Item[] }[] }, type: string) => f.marks.filter((m) => m.role === 'mark' && m.marktype === type);
const r6 = (x: number) => Number(x.toFixed(6));

const SERIES: GroupSeries[] = [
  { label: 'B', points: [{ x: 20_000, mean: 1, std: 0.1, min: 0.8, max: 1.3, n: 3 }, { x: 10_000, mean: 2, std: 0.2, min: 1.5, max: 2.5, n: 2 }] },
  { label: 'A', points: [{ x: 10_000, mean: 0.5, std: 0.05, min: 0.4, max: 0.6, n: 1 }, { x: 20_000, mean: 0.25, std: 0.05, min: 0.2, max: 0.3, n: 1 }] },
];

describe('group curves: rows', () => {
  it('sorted by x; band ±1 std or min to max; smoothing the line and band with the debiased EMA', () => {
    expect(groupCurveRows(SERIES.slice(0, 1))).toEqual([
      { group: 'B', x: 10_000, mean: 2, std: 0.2, min: 1.5, max: 2.5, n: 2, lo: 1.8, hi: 2.2, smoothed: 2 },
      { group: 'B', x: 20_000, mean: 1, std: 0.1, min: 0.8, max: 1.3, n: 3, lo: 0.9, hi: 1.1, smoothed: 1 },
    ]);
    expect(groupCurveRows(SERIES.slice(0, 1), { band: 'minmax' }).map((r) => [r.lo, r.hi])).toEqual([[1.5, 2.5], [0.8, 1.3]]);
    // w = 0.5: last = 0.5·last + 0.5·y, divided by 1 − 0.5ⁿ: [2, 1] → [2, 1/0.75]
    const sm = groupCurveRows(SERIES.slice(0, 1), { smoothing: 0.5 });
    expect(sm.map((r) => [r6(r.smoothed), r6(r.lo), r6(r.hi)])).toEqual([
      [2, 1.8, 2.2],
      [r6(1 / 0.75), r6(0.9 / 0.75), r6(1.1 / 0.75)],
    ]);
    expect(sm.map((r) => r.mean)).toEqual([2, 1]);
  });
  it('curveAxes and onLogAxes', () => {
    expect(curveAxes({}, 'loss')).toEqual({
      x: { type: 'quantitative', axis: { title: '# sequences seen', labelExpr: "datum.value === 0 ? '0' : format(datum.value, '~s')", labelFlush: true, tickCount: 6 }, scale: { zero: true } },
      y: { type: 'quantitative', title: 'loss', scale: { zero: true } },
    });
    expect(curveAxes({ x: 'wall_s', logY: true }, 'acc', false)).toEqual({
      x: { type: 'quantitative', axis: { title: 'wall time (s)', tickCount: 6 }, scale: { zero: undefined } },
      y: { type: 'quantitative', title: 'acc', scale: { type: 'log' } },
    });
    expect(curveAxes({ logX: true }, 'l', false)).toEqual({ x: expect.objectContaining({ scale: { type: 'log' } }), y: { type: 'quantitative', title: 'l', scale: { zero: false } } });
    const table = [[0, 1], [1, 0], [1, 1], [-1, 1]] as const;
    expect(table.map(([x, y]) => onLogAxes({}, x, y))).toEqual([true, true, true, true]);
    expect(table.map(([x, y]) => onLogAxes({ logX: true }, x, y))).toEqual([false, true, true, false]);
    expect(table.map(([x, y]) => onLogAxes({ logY: true }, x, y))).toEqual([true, false, true, true]);
    expect(table.map(([x, y]) => onLogAxes({ logX: true, logY: true }, x, y))).toEqual([false, false, true, false]);
  });
});

describe('group curves: the figure', () => {
  it('a band and a line per group at their values, legend in the given order, tooltips, titles', async () => {
    const f = await readFigure(groupCurvesSpec(SERIES, { refs: [{ y: 0.5, label: 'half' }] }));
    const x = f.scale('x');
    const y = f.scale('y');
    const bands = marksOf(f, 'area');
    expect(bands.map((b) => b.items.map((p) => [x.invert(p.x), r6(y.invert(p.y)), r6(y.invert(p.y2))]))).toEqual([
      [[10_000, 1.8, 2.2], [20_000, 0.9, 1.1]],
      [[10_000, 0.45, 0.55], [20_000, 0.2, 0.3]],
    ]);
    expect(bands.every((b) => b.items[0].opacity === 0.18)).toBe(true);
    const lines = marksOf(f, 'line');
    expect(lines.map((l) => l.items.map((p) => [x.invert(p.x), r6(y.invert(p.y))]))).toEqual([
      [[10_000, 2], [20_000, 1]],
      [[10_000, 0.5], [20_000, 0.25]],
    ]);
    expect(lines.every((l) => l.items[0].strokeWidth === 2.25)).toBe(true);
    expect(lines[0].items[0].tooltip).toEqual({ condition: 'B', x: '10,000', mean: '2.0000', std: '0.2000', 'seeds here': 2 });
    expect(lines[0].items[0].stroke).toBe(TABLEAU10_FIRST);
    expect(bands[0].items[0].fill).toBe(TABLEAU10_FIRST);
    expect(f.texts('legend-title')).toEqual(['condition']);
    expect(f.texts('legend-label')).toEqual(['B', 'A']);
    expect(f.texts('axis-title')).toEqual(['# sequences seen', 'loss']);
    expect(f.texts('title-text')).toEqual(['loss by condition']);
    expect(f.texts('title-subtitle')).toEqual(['mean over seeds, band ±1 std']);
    expect(f.items('rule').map((r) => r6(y.invert(r.y)))).toEqual([0.5]);
    expect(f.items('text').map((t) => t.text)).toEqual(['half']);
    expect([x.type, y.type, y.domain()[0], x.domain()[0]]).toEqual(['linear', 'linear', 0, 0]);
    f.done();
  });
  it('smoothing adds the raw mean faint; min-max band; log axes drop what they cannot show; wall time; options', async () => {
    const f = await readFigure(groupCurvesSpec(SERIES, { smoothing: 0.5, band: 'minmax', yTitle: 'acc', legendTitle: 'clamp', width: 300, height: 200 }));
    const y = f.scale('y');
    const lines = marksOf(f, 'line');
    expect(lines).toHaveLength(4);
    const faint = lines.filter((l) => l.items[0].opacity === 0.3);
    expect(faint.map((l) => l.items.map((p) => r6(y.invert(p.y))))).toEqual([[2, 1], [0.5, 0.25]]);
    expect(faint.every((l) => l.items[0].strokeWidth === 1.25)).toBe(true);
    const main = lines.filter((l) => l.items[0].strokeWidth === 2.25);
    expect(main.map((l) => l.items.map((p) => r6(y.invert(p.y))))).toEqual([[2, r6(1 / 0.75)], [0.5, r6(0.25 / 0.75)]]);
    expect(marksOf(f, 'area')[0].items.map((p) => [r6(y.invert(p.y)), r6(y.invert(p.y2))])).toEqual([[1.5, 2.5], [r6((0.5 * 0.75 + 0.5 * 0.8) / 0.75), r6((0.5 * 1.25 + 0.5 * 1.3) / 0.75)]]);
    expect(f.texts('title-text')).toEqual(['acc by clamp']);
    expect(f.texts('title-subtitle')).toEqual(['mean over seeds, band min to max; smoothed (EMA 0.5), raw mean faint']);
    expect(f.texts('legend-title')).toEqual(['clamp']);
    expect(f.texts('axis-title')).toEqual(['# sequences seen', 'acc']);
    expect(main[0].items[0].tooltip.clamp).toBe('B');
    expect([f.view.width(), f.view.height()]).toEqual([300, 200]);
    f.done();
    const logs: GroupSeries[] = [{ label: 'L', points: [{ x: 0, mean: 1, std: 0, min: 1, max: 1, n: 1 }, { x: 10, mean: 0.5, std: 1, min: 0, max: 1, n: 1 }, { x: 100, mean: 0.1, std: 0.01, min: 0.09, max: 0.11, n: 1 }] }];
    const g = await readFigure(groupCurvesSpec(logs, { logX: true, logY: true, x: 'wall_s', title: 'T', subtitle: 'S', refs: [{ y: 0, label: 'zero' }, { y: 0.2, label: 'r' }] }));
    const gy = g.scale('y');
    expect([g.scale('x').type, gy.type]).toEqual(['log', 'log']);
    // x = 0 is left out; a band whose low end is not positive starts at the line
    expect(marksOf(g, 'area')[0].items.map((p) => [p.datum.x, r6(gy.invert(p.y)), r6(gy.invert(p.y2))])).toEqual([[10, 0.5, 1.5], [100, 0.09, 0.11]]);
    expect(g.items('text').map((t) => t.text)).toEqual(['r']);
    expect(g.texts('axis-title')).toEqual(['wall time (s)', 'loss']);
    expect([g.texts('title-text'), g.texts('title-subtitle')]).toEqual([['T'], ['S']]);
    g.done();
    const many = Array.from({ length: 11 }, (_, i) => ({ label: `g${i}`, points: [{ x: 1, mean: 1, std: 0, min: 1, max: 1, n: 1 }, { x: 2, mean: 1, std: 0, min: 1, max: 1, n: 1 }] }));
    const h = await readFigure(groupCurvesSpec(many));
    expect(marksOf(h, 'line')[0].items[0].stroke).toBe(CATEGORY20_FIRST);
    h.done();
    const ten = await readFigure(groupCurvesSpec(many.slice(0, 10)));
    expect(marksOf(ten, 'line')[0].items[0].stroke).toBe(TABLEAU10_FIRST);
    ten.done();
  });
});

describe('learning time per group', () => {
  const GROUPS = [
    { label: 'slow', seeds: [{ run: 'a', seqs: 100, learned: true }, { run: 'b', seqs: 200, learned: true }, { run: 'c', seqs: 300, learned: false }] },
    { label: 'none', seeds: [] },
    { label: 'one', seeds: [{ run: 'd', seqs: 50, learned: true }] },
  ];
  it('rows: mean, sample std (0 for one seed), seeds learned; groups without seeds left out', () => {
    expect(groupLearningTimeRows(GROUPS)).toEqual([
      { group: 'slow', mean: 200, std: 100, n: 3, learned: 2 },
      { group: 'one', mean: 50, std: 0, n: 1, learned: 1 },
    ]);
  });
  it('a bar from mean − std to mean + std, a tick at the mean, a point per seed, hollow where not learned', async () => {
    const f = await readFigure(groupLearningTimeSpec(GROUPS));
    const y = f.scale('y');
    expect(f.items('rule').map((r) => [r.datum.group, Math.round(y.invert(r.y)), Math.round(y.invert(r.y2))])).toEqual([
      ['slow', 100, 300],
      ['one', 50, 50],
    ]);
    expect(f.items('rule').every((r) => r.strokeWidth === 2)).toBe(true);
    const ticks = f.items('rect');
    expect(ticks.map((t) => [t.datum.group, t.tooltip])).toEqual([
      ['slow', { group: 'slow', mean: '200', std: '100', seeds: 3 }],
      ['one', { group: 'one', mean: '50', std: '0', seeds: 1 }],
    ]);
    const pts = f.items('symbol');
    expect(pts.map((p) => [p.tooltip.run, Math.round(y.invert(p.y)), p.fill === 'white'])).toEqual([
      ['a', 100, false],
      ['b', 200, false],
      ['d', 50, false],
      ['c', 300, true],
    ]);
    expect(pts[3].tooltip).toEqual({ run: 'c', seqs: '300', learned: 'not learned (last eval)' });
    // seeds of a group side by side
    expect(new Set(pts.slice(0, 2).map((p) => p.x)).size).toBe(2);
    expect(f.texts('axis-title')).toEqual(['condition', 'learning time (# sequences)']);
    // a group without seeds has no mark and no place on the axis
    expect(f.texts('axis-label').slice(0, 2)).toEqual(['slow', 'one']);
    expect(f.texts('title-text')).toEqual(['Learning time per condition']);
    expect(f.texts('title-subtitle')).toEqual(['mean ± std over seeds (bar), each seed a point; hollow: not learned by its last eval']);
    expect(f.texts('legend-title')).toEqual([]);
    expect([y.type, y.domain()[0], f.view.width()]).toEqual(['linear', 0, 420]);
    f.done();
    const g = await readFigure(groupLearningTimeSpec([{ label: 'w', seeds: [{ run: 'a', seqs: 10, learned: true }, { run: 'b', seqs: 1000, learned: true }] }], { logY: true, legendTitle: 'clamp', width: 200 }));
    const gy = g.scale('y');
    // on a log axis the bar stops at a tenth of the mean (505 − 700 < 0)
    expect(g.items('rule').map((r) => [r6(gy.invert(r.y)), r6(gy.invert(r.y2))])).toEqual([[50.5, r6(505 + Math.sqrt((495 ** 2 * 2) / 1))]]);
    expect([gy.type, g.view.width()]).toEqual(['log', 200]);
    expect(g.texts('axis-title')[0]).toBe('clamp');
    g.done();
  });
});

const ROWS: MetricRow[] = [
  ...[0, 10_000, 20_000, 30_000].flatMap((seqs, i) => [
    { kind: 'eval' as const, seqs, step: i, set: 'fsl_train', loss: 2 - i * 0.5, acc: 0.1 * i, wall_s: i === 3 ? undefined : 10 * i },
    { kind: 'eval' as const, seqs, step: i, set: 'fsl_val_rl', loss: 3 - i * 0.5, acc: 0.2 },
    { kind: 'eval' as const, seqs, step: i, set: 'other', loss: 1, acc: 0.2 },
    { kind: 'train' as const, seqs, step: i, loss: 9, grad_norm: 1 + i, wall_s: i === 3 ? undefined : 10 * i },
  ]),
  { kind: 'eval', seqs: 40_000, step: 4, set: 'fsl_train', loss: Number.NaN, acc: 1 },
];

describe('loss curves (Fig. 3a) and the train window', () => {
  it('one line per eval set present, in legend order; dashed ln 2 and ln L; titles', async () => {
    const f = await readFigure(lossCurvesSpec(ROWS, { numLabels: 5 }));
    const x = f.scale('x');
    const y = f.scale('y');
    const lines = marksOf(f, 'line');
    expect(lines.map((l) => l.items.map((p) => [x.invert(p.x), r6(y.invert(p.y))]))).toEqual([
      [[0, 2], [10_000, 1.5], [20_000, 1], [30_000, 0.5]],
      [[0, 3], [10_000, 2.5], [20_000, 2], [30_000, 1.5]],
    ]);
    expect(f.texts('legend-label')).toEqual(['train', 'test (relabel)']);
    expect(f.texts('legend-title')).toEqual(['eval set']);
    expect(f.items('text').map((t) => t.text)).toEqual(['ln 2', 'ln 5']);
    expect(f.items('rule').map((r) => r6(y.invert(r.y)))).toEqual([r6(Math.LN2), r6(Math.log(5))]);
    expect(f.items('rule').every((r) => r.strokeDash.join() === '6,4')).toBe(true);
    expect(f.texts('axis-title')).toEqual(['# sequences seen', 'mean loss']);
    expect(f.texts('title-text')).toEqual(['Loss during training']);
    expect(f.texts('title-subtitle')).toEqual([]);
    expect(lines[0].items[0].strokeWidth).toBe(2.25);
    expect([y.domain()[0], x.domain()[0]]).toEqual([0, 0]);
    f.done();
  });
  it('another metric, sets, xMax on linear and log x, wall time, smoothing', async () => {
    const acc = await readFigure(lossCurvesSpec(ROWS, { metric: 'acc', sets: ['fsl_val_rl', 'fsl_train'], numLabels: 2, xMax: 20_000, subtitle: 'S' }));
    expect(acc.texts('legend-label')).toEqual(['test (relabel)', 'train']);
    expect(marksOf(acc, 'line').map((l) => l.items.length)).toEqual([3, 3]);
    expect(acc.items('text')).toEqual([]);
    expect(acc.texts('axis-title')).toEqual(['# sequences seen', 'acc']);
    expect([acc.texts('title-text'), acc.texts('title-subtitle')]).toEqual([['acc during training'], ['S']]);
    expect(acc.scale('x').domain()).toEqual([0, 20_000]);
    acc.done();
    const log = await readFigure(lossCurvesSpec(ROWS, { logX: true, logY: true, xMax: 20_000, ln2: false, yTitle: 'L', title: 'T' }));
    expect([log.scale('x').type, log.scale('x').domain(), log.scale('y').type]).toEqual(['log', [1, 20_000], 'log']);
    expect(marksOf(log, 'line').map((l) => l.items.length)).toEqual([2, 2]);
    expect(log.items('rule')).toEqual([]);
    expect([log.texts('axis-title'), log.texts('title-text')]).toEqual([['# sequences seen', 'L'], ['T']]);
    log.done();
    const wall = await readFigure(lossCurvesSpec(ROWS, { x: 'wall_s', xMax: 15_000, sets: ['fsl_train'] }));
    // xMax still cuts by sequences, but does not set the wall-time axis
    expect(marksOf(wall, 'line').map((l) => l.items.map((p) => Math.round(wall.scale('x').invert(p.x))))).toEqual([[0, 10]]);
    expect(wall.scale('x').domain()[1]).toBeLessThan(15_000);
    expect(wall.texts('axis-title')[0]).toBe('wall time (s)');
    wall.done();
    const sm = await readFigure(lossCurvesSpec(ROWS, { smoothing: 0.5, sets: ['fsl_train'], width: 200, height: 100 }));
    const y = sm.scale('y');
    const [raw, smooth] = marksOf(sm, 'line');
    expect([raw.items[0].opacity, raw.items[0].strokeWidth, smooth.items[0].strokeWidth]).toEqual([0.28, 1.25, 2.25]);
    expect(raw.items.map((p) => r6(y.invert(p.y)))).toEqual([2, 1.5, 1, 0.5]);
    // [2, 1.5, 1, 0.5] smoothed with w = 0.5: lastₙ / (1 − 0.5ⁿ)
    let last = 0;
    const want = [2, 1.5, 1, 0.5].map((v, i) => ((last = 0.5 * last + 0.5 * v), r6(last / (1 - 0.5 ** (i + 1)))));
    expect(smooth.items.map((p) => r6(y.invert(p.y)))).toEqual(want);
    expect(sm.texts('legend-label')).toEqual(['train']);
    expect([sm.view.width(), sm.view.height()]).toEqual([200, 100]);
    sm.done();
  });
  it('the train window: loss with ln 2, or the gradient norm, in their own colour', async () => {
    const loss = await readFigure(trainWindowSpec(ROWS, 'loss'));
    expect(marksOf(loss, 'line').map((l) => l.items.map((p) => r6(loss.scale('y').invert(p.y))))).toEqual([[9, 9, 9, 9]]);
    expect(marksOf(loss, 'line')[0].items[0].stroke).toBe('#4c78a8');
    expect(loss.items('text').map((t) => t.text)).toEqual(['ln 2']);
    expect(loss.texts('axis-title')).toEqual(['# sequences seen', 'mean train loss']);
    expect(loss.texts('title-text')).toEqual(['Training loss (train window)']);
    expect(loss.texts('title-subtitle')).toEqual(['mean over the steps since the previous eval point']);
    expect(loss.texts('legend-title')).toEqual([]);
    loss.done();
    const g = await readFigure(trainWindowSpec(ROWS, 'grad_norm', { x: 'wall_s', title: 'T', subtitle: 'S', width: 250 }));
    expect(marksOf(g, 'line').map((l) => l.items.map((p) => r6(g.scale('y').invert(p.y))))).toEqual([[1, 2, 3]]);
    expect(marksOf(g, 'line')[0].items[0].stroke).toBe('#e45756');
    expect(g.items('text')).toEqual([]);
    expect(g.texts('axis-title')).toEqual(['wall time (s)', 'mean gradient norm']);
    expect([g.texts('title-text'), g.texts('title-subtitle'), g.view.width()]).toEqual([['T'], ['S'], 250]);
    g.done();
    const dflt = await readFigure(trainWindowSpec(ROWS, 'grad_norm'));
    expect([dflt.texts('title-text'), dflt.texts('title-subtitle')]).toEqual([['Gradient norm'], ['mean over the steps since the previous eval point']]);
    dflt.done();
  });
});

describe('run comparison (Figs. 4b, 5b, 6)', () => {
  it('one line per run, legend in the given order, the learning threshold, xMax', async () => {
    const runs = [
      { label: 'z-last', rows: ROWS },
      { label: 'a-first', rows: ROWS.map((r) => ({ ...r, loss: typeof r.loss === 'number' ? r.loss / 2 : r.loss })) },
    ];
    const f = await readFigure(runComparisonSpec(runs, { learningThreshold: true, xMax: 20_000, numLabels: 5 }));
    const y = f.scale('y');
    expect(marksOf(f, 'line').map((l) => l.items.map((p) => r6(y.invert(p.y))))).toEqual([[2, 1.5, 1], [1, 0.75, 0.5]]);
    expect(f.texts('legend-label')).toEqual(['z-last', 'a-first']);
    expect(f.texts('legend-title')).toEqual(['run']);
    expect(f.items('text').map((t) => t.text)).toEqual(['ln 2', 'ln 5', '0.4·ln 2']);
    expect(f.items('rule').map((r) => r6(y.invert(r.y)))).toEqual([r6(Math.LN2), r6(Math.log(5)), r6(0.4 * Math.LN2)]);
    expect(f.texts('axis-title')).toEqual(['# sequences seen', 'train loss']);
    expect(f.texts('title-text')).toEqual(['train loss by run']);
    expect(f.scale('x').domain()).toEqual([0, 20_000]);
    expect(y.domain()[0]).toBe(0);
    expect(marksOf(f, 'line')[0].items[0].strokeWidth).toBe(2);
    expect(marksOf(f, 'line')[0].items[0].stroke).toBe(TABLEAU10_FIRST);
    f.done();
    const g = await readFigure(runComparisonSpec(runs, { set: 'fsl_val_rl', metric: 'acc', legendTitle: 'clamp', subtitle: 'S' }));
    expect(marksOf(g, 'line').map((l) => l.items.length)).toEqual([4, 4]);
    expect(g.texts('axis-title')).toEqual(['# sequences seen', 'test (relabel) acc']);
    expect([g.texts('title-text'), g.texts('title-subtitle'), g.texts('legend-title')]).toEqual([['test (relabel) acc by clamp'], ['S'], ['clamp']]);
    expect(g.items('rule')).toEqual([]);
    g.done();
    const many = Array.from({ length: 11 }, (_, i) => ({ label: `r${i}`, rows: ROWS }));
    const h = await readFigure(runComparisonSpec(many, { yTitle: 'Y', title: 'T', ln2: false, width: 100, height: 80 }));
    expect(marksOf(h, 'line')[0].items[0].stroke).toBe(CATEGORY20_FIRST);
    expect([h.texts('axis-title')[1], h.texts('title-text'), h.view.width(), h.view.height()]).toEqual(['Y', ['T'], 100, 80]);
    h.done();
    const ten = await readFigure(runComparisonSpec(many.slice(0, 10)));
    expect(marksOf(ten, 'line')[0].items[0].stroke).toBe(TABLEAU10_FIRST);
    ten.done();
  });
});
