/**
 * The per-head, matrix, toy-model and hyperparameter figures and the shared look, as a reader sees them:
 * the Vega scenegraph of the compiled spec (`readFigure`): a cell per matrix entry in its colour with its
 * printed value, a line per head or run, panel headers, legends, axis titles, the configured fonts and colours.
 */
import { describe, expect, it } from 'vitest';
import { attentionHeatmapSpec, headCurvesSpec } from './heads.js';
import { headMatrixSpec } from './matrix.js';
import { parallelCoordsSpec, parallelRows } from './parallelCoords.js';
import { toyLossSpec, toyProgressSpec } from './toy.js';
import { burstyFigures, inductionFigures } from './taskFigures.js';
import { EVAL_SET_LABELS, evalPoints, evalSetLabel, figTitle, refLineLayers, seqsAxis, topLevel } from './common.js';
import { compileSpec, renderSvg } from './render.js';
import { readFigure } from './testing.js';
import type { MetricRow } from '../store/runDir.js';

type Item = Record<string, any>;
const marksOf = (f: { marks: { role: string; marktype: string; items: Item[] }[] }, type: string) => f.marks.filter((m) => m.role === 'mark' && m.marktype === type);
const TABLEAU10_FIRST = '#4c78a8';
const CATEGORY20_FIRST = '#1f77b4';

describe('head matrices (App. Fig. 11)', () => {
  it('diverging: a cell per entry, symmetric domain, white text on the dark ends, tooltips, panels, legend', async () => {
    const f = await readFigure(headMatrixSpec([{ label: 'A', matrix: [[1, -2], [0.5, Number.NaN]] }, { label: 'B', matrix: [[0, 1], [2, 3]] }], { diverging: true }));
    const cells = f.items('rect');
    expect(cells).toHaveLength(7);
    expect(cells[1].tooltip).toEqual({ panel: 'A', 'Layer-2 head': 'L2H0', 'Layer-1 head': 'L1H1', value: '−2.0000' });
    expect(f.scale('color').domain()).toEqual([-3, 0, 3]);
    const texts = f.items('text');
    expect(texts.map((t) => [t.text, t.fill])).toEqual([
      ['1.00', '#222'],
      ['−2.00', 'white'],
      ['0.50', '#222'],
      ['0.00', '#222'],
      ['1.00', '#222'],
      ['2.00', 'white'],
      ['3.00', 'white'],
    ]);
    // 34 px cells, 2 columns: the default font size is max(8, round(34 / 3.6)) = 9
    expect(texts[0].fontSize).toBe(9);
    expect(f.marks.filter((m) => m.name === 'cell').flatMap((m) => m.items.map((i) => [i.width, i.height]))).toEqual([[68, 68], [68, 68]]);
    expect(f.texts('title-text')).toEqual(['A', 'B', 'Head matrices']);
    expect(f.texts('axis-title')).toEqual(['Layer-2 head', 'Layer-1 head', 'Layer-1 head']);
    expect(f.texts('axis-label')).toEqual(['L2H0', 'L2H1', 'L1H0', 'L1H1', 'L1H0', 'L1H1']);
    expect(f.texts('legend-title')).toEqual(['value']);
    expect(f.texts('legend-label')).toEqual(['−2.00', '0.00', '2.00']);
    expect(cells[1].stroke).toBe('white');
    // no axis lines or ticks around the cells; column names at −45°; bold panel headers; a gradient ≥ 100 px
    expect(f.marks.filter((m) => m.role === 'axis-domain' || m.role === 'axis-tick')).toEqual([]);
    expect(f.marks.filter((m) => m.role === 'axis-label').map((m) => m.items[0].angle)).toEqual([0, 315, 315]); // −45°
    const header = f.marks.find((m) => m.role === 'title-text' && m.items[0]?.text === 'A')!.items[0];
    expect([header.fontSize, header.fontWeight]).toEqual([13, 'bold']);
    expect(f.marks.find((m) => m.role === 'legend-gradient')!.items[0].height).toBe(100);
    f.done();
  });
  it('sequential: the data extent, white text on the low end; names, titles, format, cell size, no values, fixed domain', async () => {
    const f = await readFigure(
      headMatrixSpec([{ label: 'N', matrix: [[0, 10], [4.49, 4.5]] }], { rowName: (i) => `r${i}`, colName: (j) => `c${j}`, rowTitle: 'rows', colTitle: 'cols', colorTitle: 'score', format: '.1f', cell: 50, title: 'T', subtitle: 'S' }),
    );
    expect(f.scale('color').domain()).toEqual([0, 10]);
    expect(f.items('text').map((t) => [t.text, t.fill])).toEqual([
      ['0.0', 'white'],
      ['10.0', '#222'],
      ['4.5', 'white'],
      ['4.5', '#222'],
    ]);
    expect(f.items('text')[0].fontSize).toBe(14);
    expect(f.items('rect')[0].tooltip).toEqual({ panel: 'N', rows: 'r0', cols: 'c0', value: '0.0000' });
    expect(f.texts('axis-title')).toEqual(['rows', 'cols']);
    expect(f.texts('axis-label')).toEqual(['r0', 'r1', 'c0', 'c1']);
    expect(f.texts('legend-title')).toEqual(['score']);
    expect([f.texts('title-text').at(-1), f.texts('title-subtitle')]).toEqual(['T', ['S']]);
    expect(f.marks.filter((m) => m.name === 'cell').flatMap((m) => m.items.map((i) => i.width))).toEqual([100]);
    f.done();
    const flat = await readFigure(headMatrixSpec([{ label: 'C', matrix: [[2, 2]] }], { showValues: false }));
    expect(flat.scale('color').domain()).toEqual([2, 3]);
    expect(flat.items('text')).toEqual([]);
    flat.done();
    const none = await readFigure(headMatrixSpec([{ label: 'E', matrix: [[Number.NaN]] }]));
    expect(none.scale('color').domain()).toEqual([0, 1]);
    none.done();
    const fixed = await readFigure(headMatrixSpec([{ label: 'F', matrix: [[0.2, 0.4]] }], { domain: [-1, 1], diverging: true }));
    expect(fixed.scale('color').domain()).toEqual([-1, 0, 1]);
    fixed.done();
    const five = await readFigure(headMatrixSpec(['a', 'b', 'c', 'd', 'e'].map((label) => ({ label, matrix: [[1]] }))));
    const cells = five.marks.filter((m) => m.name === 'cell').flatMap((m) => m.items);
    // four panels a row, the fifth below
    expect(new Set(cells.map((c) => c.y)).size).toBe(2);
    five.done();
  });
});

describe('head curves (Fig. 3b) and attention heatmaps', () => {
  const pts = ['L2H10', 'L2H2', 'L2H1'].flatMap((head, h) => [0, 1000, 2000].map((seqs) => ({ seqs, head, value: (h + 1) * seqs / 1000 })));
  // A highlight once put the legend in string order (L2H1, L2H10, L2H2): its layer's colour had no sort.
  it('a line per head in natural order at its values, a zero rule, the highlighted heads drawn thick', async () => {
    const f = await readFigure(headCurvesSpec([...pts].reverse(), { highlight: ['L2H2'] }));
    const y = f.scale('y');
    const lines = marksOf(f, 'line');
    expect(lines.map((l) => [l.items[0].datum.head, l.items.map((p) => Math.round(y.invert(p.y) * 1e6) / 1e6), l.items[0].strokeWidth ?? 2.25])).toEqual([
      ['L2H1', [0, 3, 6], 2.25],
      ['L2H2', [0, 2, 4], 2.25],
      ['L2H10', [0, 1, 2], 2.25],
      ['L2H2', [0, 2, 4], 4.5],
    ]);
    expect(f.items('rule').length).toBeGreaterThan(0);
    expect(f.items('rule').every((r) => y.invert(r.y) === 0 && r.stroke === '#999' && r.strokeWidth === 1)).toBe(true);
    expect(f.texts('legend-label')).toEqual(['L2H1', 'L2H2', 'L2H10']);
    expect(f.texts('legend-title')).toEqual(['Layer-2 head']);
    expect(f.texts('axis-title')).toEqual(['# sequences seen', 'induction strength']);
    expect(f.texts('title-text')).toEqual(['Induction strength per head']);
    expect(lines[0].items[0].stroke).toBe(TABLEAU10_FIRST);
    f.done();
    const many = Array.from({ length: 11 }, (_, h) => ({ seqs: 0, head: `h${h}`, value: h }));
    const g = await readFigure(headCurvesSpec(many, { yTitle: 'PM', legendTitle: 'which', title: 'T', subtitle: 'S', width: 200, height: 90 }));
    expect(marksOf(g, 'line')).toHaveLength(11);
    expect(marksOf(g, 'line')[0].items[0].stroke).toBe(CATEGORY20_FIRST);
    expect([g.texts('axis-title')[1], g.texts('legend-title'), g.texts('title-text'), g.texts('title-subtitle')]).toEqual(['PM', ['which'], ['T'], ['S']]);
    expect([g.view.width(), g.view.height()]).toEqual([200, 90]);
    g.done();
    const ten = await readFigure(headCurvesSpec(many.slice(0, 10)));
    expect(marksOf(ten, 'line')[0].items[0].stroke).toBe(TABLEAU10_FIRST);
    ten.done();
  });
  it('heatmaps: a cell per query and key, weights printed (white above 0.55), token names, heads in natural order', async () => {
    const f = await readFigure(attentionHeatmapSpec([{ head: 'L1H10', pattern: [[1, 0], [0.55, 0.45]] }, { head: 'L1H2', pattern: [[1, 0], [0.56, 0.44]] }]));
    expect(f.texts('title-text')).toEqual(['L1H2', 'L1H10', 'Attention patterns']);
    expect(f.texts('title-subtitle')).toEqual(['rows: query position; columns: key position (x item, y label, q query)']);
    expect(f.items('text').map((t) => [t.text, t.fill])).toEqual([
      ['1.00', 'white'],
      ['0.00', '#222'],
      ['0.56', 'white'],
      ['0.44', '#222'],
      ['1.00', 'white'],
      ['0.00', '#222'],
      ['0.55', '#222'],
      ['0.45', '#222'],
    ]);
    expect(f.items('text')[0].fontSize).toBe(9);
    expect(f.items('rect')).toHaveLength(8);
    expect(f.items('rect').every((r) => r.stroke === 'white')).toBe(true);
    expect(f.scale('color').domain()).toEqual([0, 1]);
    expect(f.texts('axis-label').slice(0, 4)).toEqual(['x₁', 'y₁', 'x₁', 'y₁']);
    expect(f.texts('legend-title')).toEqual(['attention']);
    expect(f.texts('legend-label')).toEqual(['0.0', '0.5', '1.0']);
    expect(f.texts('axis-title')).toEqual([]);
    expect(f.marks.filter((m) => m.name === 'cell').flatMap((m) => m.items.map((i) => [i.width, i.height]))).toEqual([[60, 60], [60, 60]]);
    // key names along the top, level; no axis lines or ticks; a horizontal legend of at least 120 px
    expect(f.marks.filter((m) => m.role === 'axis-domain' || m.role === 'axis-tick')).toEqual([]);
    const keys = f.marks.filter((m) => m.role === 'axis-label')[0].items;
    expect(keys.every((k) => k.angle === 0 && k.y < 0)).toBe(true);
    const gradient = f.marks.find((m) => m.role === 'legend-gradient')!.items[0];
    expect(gradient.width).toBe(120);
    expect(gradient.width).toBeGreaterThan(gradient.height);
    f.done();
    const g = await readFigure(attentionHeatmapSpec([{ head: 'a', pattern: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] }], { tokenLabels: ['p', 'q'], showValues: false, cell: 10, columns: 1, title: 'T', subtitle: 'S' }));
    expect(g.texts('axis-label').slice(0, 3)).toEqual(['p', 'q', '2']);
    expect(g.items('text')).toEqual([]);
    expect([g.texts('title-text').at(-1), g.texts('title-subtitle')]).toEqual(['T', ['S']]);
    expect(g.marks.filter((m) => m.name === 'cell').flatMap((m) => m.items.map((i) => [i.width, i.height]))).toEqual([[30, 30]]);
    g.done();
    // four heads a row by default
    const five = await readFigure(attentionHeatmapSpec(['a', 'b', 'c', 'd', 'e'].map((head) => ({ head, pattern: [[1]] }))));
    expect(new Set(five.marks.filter((m) => m.name === 'cell').flatMap((m) => m.items.map((i) => i.y))).size).toBe(2);
    five.done();
  });
});

describe('the toy model (Fig. 5a, App. Fig. 9)', () => {
  it('a line per run in its condition colour, seeds sharing it; the legend holds the conditions present; seed ranges', async () => {
    const series = [
      { condition: 'bc' as const, seed: 5, loss: [1, 0.5, 0] },
      { condition: 'none' as const, seed: 1, loss: [1, 0.9, 0.1] },
      { condition: 'none' as const, seed: 2, loss: [1, 0.8, 0.2] },
      { condition: 'none' as const, seed: 3, loss: [1, 0.7, 0.3] },
    ];
    const f = await readFigure(toyLossSpec(series));
    const lines = marksOf(f, 'line');
    expect(lines.map((l) => [l.items[0].datum.run, l.items[0].stroke, l.items.length, l.items[0].strokeWidth, l.items[0].opacity])).toEqual([
      ['bc/5', '#1f77b4', 3, 1.75, 0.8],
      ['none/1', '#d62728', 3, 1.75, 0.8],
      ['none/2', '#d62728', 3, 1.75, 0.8],
      ['none/3', '#d62728', 3, 1.75, 0.8],
    ]);
    expect(f.texts('legend-label')).toEqual(['no clamp', 'clamp b, c']);
    expect(f.texts('legend-title')).toEqual(['condition']);
    expect(f.texts('axis-title')).toEqual(['iteration', 'loss']);
    expect(f.texts('title-text')).toEqual(['Toy model: loss under clamping']);
    expect(f.texts('title-subtitle')).toEqual(['rank-1 tensor, dim 20, lr 1; seeds 1–3, 5']);
    expect(f.scale('y').type).toBe('linear');
    f.done();
    const one = await readFigure(toyLossSpec([{ condition: 'c', seed: 2, loss: [2, 1, 0] }, { condition: 'c', seed: 4, loss: [2, 1, 0] }, { condition: 'none', loss: [1, 0] }], { logY: true, title: 'T', width: 100 }));
    const l = marksOf(one, 'line');
    // log y leaves the zero losses out; a series without a seed counts as seed 0
    expect(l.map((x) => [x.items[0].datum.run, x.items.length, x.items[0].stroke])).toEqual([['c/2', 2, '#ff7f0e'], ['c/4', 2, '#ff7f0e'], ['none/0', 1, '#d62728']]);
    expect(one.scale('y').type).toBe('log');
    expect(one.texts('legend-label')).toEqual(['no clamp', 'clamp c']);
    expect([one.texts('title-text'), one.texts('title-subtitle'), one.view.width()]).toEqual([['T'], ['rank-1 tensor, dim 20, lr 1; seeds 2, 4'], 100]);
    one.done();
    const single = await readFigure(toyLossSpec([{ condition: 'none', seed: 7, loss: [1, 0.5] }, { condition: 'bc', seed: 7, loss: [1, 0.2] }], { subtitle: 'S' }));
    expect(marksOf(single, 'line').map((x) => [x.items[0].strokeWidth, x.items[0].opacity])).toEqual([[2.5, 1], [2.5, 1]]);
    expect(single.texts('title-subtitle')).toEqual(['S']);
    single.done();
    const noSeed = await readFigure(toyLossSpec([{ condition: 'none', loss: [1, 0.5] }]));
    expect(noSeed.texts('title-subtitle')).toEqual([]);
    noSeed.done();
  });
  it('progress measures: three panels, a line per run and measure', async () => {
    const f = await readFigure(toyProgressSpec([{ condition: 'none', seed: 1, loss: [1, 0.5], pm1: [1, 0], pm2: [2, 1, 0.5] }, { condition: 'bc', seed: 2, loss: [1, 0.1] }]));
    expect(f.texts('title-text')).toEqual(['loss', 'PM1 = 1 − cos²(a, a*)', 'PM2 = L(±a, b*, c*)', 'Toy model: hidden progress during the plateau']);
    expect(f.texts('title-subtitle')).toEqual(['rank-1 tensor, dim 20, lr 1; seeds 1, 2']);
    expect(marksOf(f, 'line').map((l) => [l.items[0].datum.measure, l.items[0].datum.run, l.items.length, l.items[0].stroke])).toEqual([
      ['loss', 'none/1', 2, '#d62728'],
      ['loss', 'bc/2', 2, '#1f77b4'],
      ['PM1 = 1 − cos²(a, a*)', 'none/1', 2, '#d62728'],
      ['PM2 = L(±a, b*, c*)', 'none/1', 3, '#d62728'],
    ]);
    expect(marksOf(f, 'line')[0].items[0].strokeWidth).toBe(2);
    expect(f.texts('axis-title')).toEqual(['iteration', 'iteration', 'iteration']);
    expect(f.marks.filter((m) => m.name === 'cell').flatMap((m) => m.items.map((i) => [i.width, i.height]))).toEqual([[260, 220], [260, 220], [260, 220]]);
    expect(f.texts('legend-label')).toEqual(['no clamp', 'clamp b, c']);
    f.done();
    const g = await readFigure(toyProgressSpec([{ condition: 'c', loss: [1, 0.5] }], { width: 100, height: 50, title: 'T', subtitle: 'S' }));
    expect(g.marks.filter((m) => m.name === 'cell').flatMap((m) => m.items.map((i) => [i.width, i.height]))[0]).toEqual([100, 50]);
    expect([g.texts('title-text').at(-1), g.texts('title-subtitle')]).toEqual(['T', ['S']]);
    g.done();
  });
});

describe('parallel coordinates', () => {
  it('a line per run through its axes, an axis rule per field, end labels, tooltips, groups in order of appearance', async () => {
    const runs = [
      { id: 'a', group: 'late', values: { lr: 1, n: 'x', skip: null } },
      { id: 'b', group: 'early', values: { lr: 3, n: 'y', skip: null } },
    ];
    const f = await readFigure(parallelCoordsSpec(runs, ['lr', 'skip', 'n']));
    const y = f.scale('y');
    const lines = marksOf(f, 'line');
    expect(lines.map((l) => l.items.map((p) => [p.tooltip.field, Math.round(y.invert(p.y) * 1e6) / 1e6]))).toEqual([
      [['lr', 0], ['n', 0]],
      [['lr', 1], ['n', 1]],
    ]);
    expect(lines[0].items[0].tooltip).toEqual({ run: 'a', group: 'late', field: 'lr', value: '1' });
    expect(lines[0].items[0].stroke).toBe(TABLEAU10_FIRST);
    expect([lines[0].items[0].strokeWidth, lines[0].items[0].opacity]).toEqual([1.5, 0.75]);
    expect(y.domain()).toEqual([0, 1]);
    expect(f.items('rule').map((r) => r.stroke)).toEqual(['#999', '#999']);
    expect(f.items('text').map((t) => [t.text, t.dx, t.fontSize, t.fill, t.align])).toEqual([
      ['1', 4, 10, '#333', 'left'],
      ['3', 4, 10, '#333', 'left'],
      ['x', 4, 10, '#333', 'left'],
      ['y', 4, 10, '#333', 'left'],
    ]);
    expect(f.texts('axis-label')).toEqual(['lr', 'n']);
    expect(f.texts('legend-label')).toEqual(['late', 'early']);
    expect(f.texts('legend-title')).toEqual(['condition']);
    expect(f.texts('axis-title')).toEqual([]);
    expect([f.view.width(), f.view.height()]).toEqual([360, 280]);
    // field names along the top, level, without axis line or ticks; no y axis
    expect(f.marks.filter((m) => m.role === 'axis-domain' || m.role === 'axis-tick')).toEqual([]);
    const names = f.marks.find((m) => m.role === 'axis-label')!.items;
    expect(names.every((n) => n.angle === 0 && n.y < 0)).toBe(true);
    f.done();
    const dims = ['a', 'b', 'c', 'd'];
    const many = Array.from({ length: 11 }, (_, i) => ({ id: `r${i}`, group: `g${i}`, values: { a: i, b: i, c: i, d: i } }));
    const g = await readFigure(parallelCoordsSpec(many, dims, { legendTitle: 'L', title: 'T', subtitle: 'S' }));
    expect(marksOf(g, 'line')[0].items[0].stroke).toBe(CATEGORY20_FIRST);
    expect([g.view.width(), g.view.height()]).toEqual([440, 280]);
    expect([g.texts('legend-title'), g.texts('title-text'), g.texts('title-subtitle')]).toEqual([['L'], ['T'], ['S']]);
    g.done();
    const ten = await readFigure(parallelCoordsSpec(many.slice(0, 10), dims, { width: 300, height: 100 }));
    expect(marksOf(ten, 'line')[0].items[0].stroke).toBe(TABLEAU10_FIRST);
    expect([ten.view.width(), ten.view.height()]).toEqual([300, 100]);
    ten.done();
  });
});

describe('parallel coordinates: the axes', () => {
  it('compact labels from 1000 on; names of 18 characters kept whole; mixed values read as categories; empty fields left out', () => {
    const { rows, ends } = parallelRows(
      [
        { id: 'a', group: 'g', values: { n: 999, m: 1, name: 'eighteen-chars-abc', none: null } },
        { id: 'b', group: 'g', values: { n: 1000, m: 'a', name: 'nineteen-chars-abcd' } },
      ],
      ['n', 'm', 'name', 'none'],
    );
    expect(ends.filter((e) => e.dim === 'n').map((e) => e.text)).toEqual(['999', '1K']);
    expect(rows.filter((r) => r.dim === 'm').map((r) => [r.raw, r.pos])).toEqual([['1', 0], ['a', 1]]);
    expect(ends.filter((e) => e.dim === 'name').map((e) => e.text)).toEqual(['eighteen-chars-abc', 'nineteen-chars-ab…']);
    expect(ends.some((e) => e.dim === 'none')).toBe(false);
    expect(rows).toHaveLength(6);
  });
});

describe('the shared look (common.ts) and rendering', () => {
  it("every figure: white background, the paper's fonts and sizes, grey frame and grid", async () => {
    const f = await readFigure(topLevel({ title: figTitle('T', 'S'), data: { values: [{ a: 0, b: 0 }, { a: 200_000, b: 1 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative', axis: { title: 'X' } }, y: { field: 'b', type: 'quantitative' }, color: { field: 'b', type: 'nominal' } } }));
    expect(f.view.background()).toBe('white');
    expect(f.view.padding()).toEqual({ left: 12, right: 12, top: 12, bottom: 12 });
    const title = f.marks.find((m) => m.role === 'title-text')!.items[0];
    expect([title.text, title.fontSize, title.fontWeight, title.font]).toEqual(['T', 16, 'bold', 'DejaVu Sans, Helvetica, Arial, sans-serif']);
    const sub = f.marks.find((m) => m.role === 'title-subtitle')!.items[0];
    expect([sub.text, sub.fontSize, sub.fill]).toEqual(['S', 12, '#555']);
    const axisTitle = f.marks.find((m) => m.role === 'axis-title')!.items[0];
    expect([axisTitle.fontSize, axisTitle.fontWeight]).toEqual([13, 'normal']);
    expect(f.marks.find((m) => m.role === 'axis-label')!.items[0].fontSize).toBe(12);
    expect(f.marks.find((m) => m.role === 'axis-grid')!.items[0].stroke).toBe('#e6e6e6');
    expect(f.marks.find((m) => m.role === 'axis-tick')!.items[0].stroke).toBe('#888');
    expect(f.marks.find((m) => m.role === 'axis-domain')!.items[0].stroke).toBe('#888');
    const frame = f.marks.find((m) => m.role === 'frame')!.items[0];
    expect([frame.stroke, frame.strokeWidth, frame.width, frame.height]).toEqual(['#888', 1, 480, 300]);
    const legendTitle = f.marks.find((m) => m.role === 'legend-title')!.items[0];
    expect([legendTitle.fontSize, legendTitle.fontWeight]).toEqual([13, 'normal']);
    const legendLabel = f.marks.find((m) => m.role === 'legend-label')!.items[0];
    expect([legendLabel.fontSize, legendLabel.limit]).toEqual([12, 260]);
    const sym = f.marks.find((m) => m.role === 'legend-symbol')!.items[0];
    expect([sym.size, sym.strokeWidth]).toEqual([160, 3]);
    expect(f.items('symbol')[0].stroke ?? f.items('symbol')[0].fill).toBe(TABLEAU10_FIRST);
    f.done();
    expect(topLevel({}, null)).not.toHaveProperty('width');
    expect(topLevel({}, { width: 10 })).toMatchObject({ width: 10, height: 300, $schema: 'https://vega.github.io/schema/vega-lite/v6.json' });
    expect(figTitle('a')).toEqual({ text: 'a' });
  });
  it('the sequences axis labels in SI units; headers; reference lines with and without labels', async () => {
    const f = await readFigure(lossRows([0, 500_000, 1_000_000]));
    const labels = f.marks.filter((m) => m.role === 'axis-label')[0].items.map((i) => i.text);
    expect(labels[0]).toBe('0');
    expect(labels).toContain('200k');
    expect(labels).toContain('1M');
    expect(f.texts('axis-title')[0]).toBe('# sequences seen');
    f.done();
    expect(refLineLayers([])).toEqual([]);
    expect(refLineLayers([{ y: 1, label: 'one' }], false)).toHaveLength(1);
    expect(refLineLayers([{ y: 1, label: 'one' }])).toHaveLength(2);
    const h = await readFigure(attentionHeatmapSpec([{ head: 'L1H0', pattern: [[1]] }]));
    const header = h.marks.find((m) => m.role === 'title-text' && m.items[0]?.text === 'L1H0')!.items[0];
    expect([header.fontSize, header.fontWeight]).toEqual([13, 'bold']);
    h.done();
  });
  it('evalPoints: eval rows of the sets asked for with a finite metric, by sequences', () => {
    const rows: MetricRow[] = [
      { kind: 'eval', seqs: 20, step: 0, set: 'fsl_train', loss: 1 },
      { kind: 'eval', seqs: 10, step: 0, set: 'fsl_val_rl', loss: 2 },
      { kind: 'eval', seqs: 5, step: 0, set: 'fsl_train', loss: Number.NaN },
      { kind: 'train', seqs: 1, step: 0, loss: 3 },
      { kind: 'eval', seqs: 1, step: 0, loss: 3 } as MetricRow,
      { kind: 'eval', seqs: 0, step: 0, set: 'fsl_train', acc: 0.5 },
    ];
    expect(evalPoints(rows, 'loss')).toEqual([{ seqs: 10, set: 'fsl_val_rl', value: 2 }, { seqs: 20, set: 'fsl_train', value: 1 }]);
    expect(evalPoints(rows, 'loss', ['fsl_train'])).toEqual([{ seqs: 20, set: 'fsl_train', value: 1 }]);
    expect(EVAL_SET_LABELS).toEqual({ fsl_train: 'train', fsl_test_class: 'test (exemplars)', fsl_val_rl: 'test (relabel)', fsl_train_valex: 'train (held-out exemplars)' });
    expect([evalSetLabel('fsl_train_valex'), evalSetLabel('mine')]).toEqual(['train (held-out exemplars)', 'mine']);
  });
  it('render: Vega from the spec, SVG from the view', async () => {
    const spec = topLevel({ data: { values: [{ a: 1 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } } });
    expect(compileSpec(spec)).toMatchObject({ $schema: 'https://vega.github.io/schema/vega/v6.json', width: 480, height: 300 });
    const svg = await renderSvg(spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.split('aria-roledescription="point"').length - 1).toBe(1);
    expect(() => compileSpec({ mark: 'nope' } as never)).toThrow();
  });
});

describe("the task presets' figures", () => {
  const rows: MetricRow[] = [0, 1000, 2000].flatMap((seqs, i) => [
    { kind: 'eval' as const, seqs, step: i, set: 'repeat', loss: 3 - i, in_context_acc: 0.5 + 0.2 * i, acc: 0.1 * i },
    { kind: 'eval' as const, seqs, step: i, set: 'repeat_shuffled', loss: 3, in_context_acc: 0.5, acc: 0 },
    { kind: 'eval' as const, seqs, step: i, set: 'icl_holdout', loss: 1, in_context_acc: 0.5 + 0.1 * i, acc: 0 },
    { kind: 'eval' as const, seqs, step: i, set: 'iwl_common', loss: 1, in_context_acc: 0, acc: 0.3 * i },
  ]);
  it('induction: the repeated against the shuffled loss with ln (n − m)', async () => {
    const [fig] = inductionFigures(rows, 10, 3);
    expect(fig.file).toBe('induction-phase-change.svg');
    const f = await readFigure(fig.spec);
    expect(f.texts('title-text')).toEqual(['Repeated random tokens: loss during training']);
    expect(f.texts('title-subtitle')).toEqual(["the induction-head phase change; dashed: ln 7, a guess among the context's tokens"]);
    expect(f.texts('legend-label')).toEqual(['repeat', 'repeat_shuffled']);
    expect(f.items('text').map((t) => t.text)).toEqual(['ln 7']);
    expect(marksOf(f, 'line').map((l) => l.items.length)).toEqual([3, 3]);
    f.done();
  });
  it('bursty: in-context accuracy on held-out classes and in-weights accuracy, bursty against not', async () => {
    const figs = burstyFigures(rows, rows.map((r) => ({ ...r, in_context_acc: 0.5, acc: 0 })));
    expect(figs.map((x) => x.file)).toEqual(['bursty-icl-holdout.svg', 'bursty-iwl-common.svg']);
    const icl = await readFigure(figs[0].spec);
    const y = icl.scale('y');
    expect(marksOf(icl, 'line').map((l) => l.items.map((p) => Math.round(y.invert(p.y) * 1e6) / 1e6))).toEqual([[0.5, 0.6, 0.7], [0.5, 0.5, 0.5]]);
    expect([icl.texts('title-text'), icl.texts('title-subtitle'), icl.texts('legend-title'), icl.texts('legend-label')]).toEqual([['In-context learning on held-out classes'], ['chance 0.5'], ['training data'], ['bursty (pBursty 0.9)', 'non-bursty']]);
    expect(icl.texts('axis-title')[1]).toBe('in-context accuracy, held-out classes');
    expect(icl.items('rule')).toEqual([]);
    icl.done();
    const iwl = await readFigure(figs[1].spec);
    const y2 = iwl.scale('y');
    expect(marksOf(iwl, 'line').map((l) => l.items.map((p) => Math.round(y2.invert(p.y) * 1e6) / 1e6))).toEqual([[0, 0.3, 0.6], [0, 0, 0]]);
    expect([iwl.texts('title-text'), iwl.texts('legend-title'), iwl.texts('axis-title')[1]]).toEqual([['In-weights learning of the common classes'], ['training data'], 'accuracy, query absent from context']);
    expect(iwl.items('rule')).toEqual([]);
    iwl.done();
  });
});

/** A line over `seqs` on the sequences axis. */
function lossRows(seqs: number[]) {
  return topLevel({ data: { values: seqs.map((s, i) => ({ s, v: i })) }, mark: 'line', encoding: { x: { field: 's', type: 'quantitative', axis: seqsAxis() }, y: { field: 'v', type: 'quantitative' } } });
}
