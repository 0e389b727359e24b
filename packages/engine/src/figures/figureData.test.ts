// The data the small figures draw, worked by hand: positions on the parallel-coordinate axes and their end
// labels, the learning-time points in x order with their learned/not-learned marks and group order, and the
// strength scatter's points, legends, labels and baseline subtitle. (figures.test.ts and matrix.test.ts render
// the specs and count marks; these read the specs' data.)
import { describe, expect, it } from 'vitest';
import { learningTimeSpec } from './learningTime.js';
import { headMatrixSpec } from './matrix.js';
import { parallelCoordsSpec, parallelRows } from './parallelCoords.js';
import { strengthScatterSpec } from './scatter.js';

type Layered = { title: { text: string; subtitle?: string }; data?: { values: Record<string, unknown>[] }; layer: Record<string, any>[] };
const asLayered = (spec: unknown) => spec as Layered;

describe('parallel coordinates', () => {
  it('numbers span their own range from 0 to 1; a constant sits at the middle with one end label', () => {
    const { rows, ends } = parallelRows(
      [
        { id: 'a', group: 'A', values: { lr: 1e-4, seqs: 2000, same: 3 } },
        { id: 'b', group: 'B', values: { lr: 3e-4, seqs: 500_000, same: 3 } },
        { id: 'c', group: 'A', values: { lr: 2e-4, seqs: 1_000_000, same: 3 } },
      ],
      ['lr', 'seqs', 'same'],
    );
    const pos = (dim: string) => rows.filter((r) => r.dim === dim).map((r) => [r.run, r.group, r.pos, r.raw]);
    expect(pos('lr')).toEqual([
      ['a', 'A', 0, '0.0001'],
      ['b', 'B', 1, '0.0003'],
      ['c', 'A', expect.closeTo(0.5, 12), '0.0002'],
    ]);
    expect(pos('seqs').map((r) => r[2])).toEqual([0, expect.closeTo(498_000 / 998_000, 12), 1]);
    expect(pos('same').map((r) => r[2])).toEqual([0.5, 0.5, 0.5]);
    expect(ends).toEqual([
      { dim: 'lr', pos: 0, text: '0.0001' },
      { dim: 'lr', pos: 1, text: '0.0003' },
      { dim: 'seqs', pos: 0, text: '2K' },
      { dim: 'seqs', pos: 1, text: '1M' },
      { dim: 'same', pos: 0, text: '3' },
    ]);
  });
  it('numbers below 1000 keep three significant digits; from 1000 on, compact; negatives by magnitude', () => {
    const { ends } = parallelRows(
      [
        { id: 'a', group: 'A', values: { x: 0.123456, y: -1500 } },
        { id: 'b', group: 'A', values: { x: 999.4, y: 999 } },
      ],
      ['x', 'y'],
    );
    expect(ends.map((e) => e.text)).toEqual(['0.123', '999', '-1.5K', '999']);
  });
  it('categories in natural order, evenly spaced; one category at the middle; long names cut; absent values skipped', () => {
    const { rows, ends } = parallelRows(
      [
        { id: 'a', group: 'A', values: { clamp: 'L10', kind: 'x', note: null } },
        { id: 'b', group: 'A', values: { clamp: 'L2', kind: 'x' } },
        { id: 'c', group: 'A', values: { clamp: 'a-very-long-condition-name', kind: 'x', note: null } },
        { id: 'd', group: 'A', values: { clamp: true, kind: 'x' } },
      ],
      ['clamp', 'kind', 'note', 'missing'],
    );
    // natural, case-blind order (a… before L2 before L10 before true); booleans make the axis categorical
    expect(rows.filter((r) => r.dim === 'clamp').map((r) => [r.run, r.pos])).toEqual([
      ['a', expect.closeTo(2 / 3, 12)],
      ['b', expect.closeTo(1 / 3, 12)],
      ['c', 0],
      ['d', 1],
    ]);
    expect(rows.filter((r) => r.dim === 'kind').map((r) => r.pos)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(rows.some((r) => r.dim === 'note' || r.dim === 'missing')).toBe(false);
    expect(ends.filter((e) => e.dim === 'clamp').map((e) => e.text)).toEqual(['a-very-long-condi…', 'L2', 'L10', 'true']);
    expect(ends.filter((e) => e.dim === 'kind')).toEqual([{ dim: 'kind', pos: 0.5, text: 'x' }]);
    const spec = asLayered(parallelCoordsSpec([{ id: 'a', group: 'A', values: { clamp: 'x', note: null } }], ['clamp', 'note']));
    expect(spec.layer[0].data.values).toEqual([{ dim: 'clamp' }]);
    expect(spec.title).toEqual({ text: 'Hyperparameters against outcomes', subtitle: 'one line per run; each axis spans its own range' });
  });
});

describe('learning time', () => {
  it('points in x order, marked learned or not, groups in natural order, defaults in the titles', () => {
    const spec = asLayered(
      learningTimeSpec([
        { x: 15, seqs: 9000, learned: false, group: 'L = 10', run: 'r3' },
        { x: 5, seqs: 2000, learned: true, group: 'L = 5' },
        { x: 10, seqs: 4000, learned: true, group: 'L = 10', run: 'r2' },
      ]),
    );
    expect(spec.data!.values).toEqual([
      { x: 5, seqs: 2000, learned: 'learned', group: 'L = 5', run: '' },
      { x: 10, seqs: 4000, learned: 'learned', group: 'L = 10', run: 'r2' },
      { x: 15, seqs: 9000, learned: 'not learned (last eval)', group: 'L = 10', run: 'r3' },
    ]);
    const line = spec.layer[0].encoding;
    expect(line.color.sort).toEqual(['L = 5', 'L = 10']);
    expect(line.color.scale.scheme).toBe('tableau10');
    expect(line.x.axis.values).toEqual([5, 10, 15]);
    expect(line.x.title).toBe('# labels');
    expect(line.color.title).toBe('group');
    expect(line.y.scale).toEqual({ zero: true });
    expect(spec.layer.slice(1).map((l) => [l.transform[0].filter, l.mark.filled, l.mark.fill])).toEqual([
      ["datum.learned === 'learned'", true, undefined],
      ["datum.learned !== 'learned'", false, 'white'],
    ]);
    expect(spec.title).toEqual({ text: 'Learning time', subtitle: 'first eval with train loss < 0.4·ln 2; hollow: not learned by the last eval' });
  });
  it('takes its titles, a log y and many groups', () => {
    const pts = Array.from({ length: 11 }, (_, i) => ({ x: 50 * (i + 1), seqs: 100 * (i + 1), learned: true, group: `g${i}` }));
    const spec = asLayered(learningTimeSpec(pts, { title: 'T', subtitle: 'S', xTitle: '# classes', legendTitle: 'clamp', logY: true }));
    const enc = spec.layer[0].encoding;
    expect([enc.x.title, enc.color.title, enc.y.scale, enc.color.scale.scheme]).toEqual(['# classes', 'clamp', { type: 'log' }, 'category20']);
    expect(enc.color.sort.slice(0, 3)).toEqual(['g0', 'g1', 'g2']);
    expect(enc.color.sort.at(-1)).toBe('g10');
    expect(spec.layer[1].encoding.tooltip[2]).toEqual({ field: 'x', title: '# classes' });
    expect(spec.title).toEqual({ text: 'T', subtitle: 'S' });
  });
});

describe('strength scatter', () => {
  const points = [
    { head: 'L2H10', strength: 0.9, value: 0.99, kind: 'only this head' },
    { head: 'L2H2', strength: 0.1, value: 0.5, kind: 'only this head' },
    { head: 'L2H2', strength: 0.1, value: 0.97, kind: 'ablate this head' },
  ];
  it('colours heads in natural order, shapes the manipulations in given order, labels the first kind only', () => {
    const spec = asLayered(strengthScatterSpec(points));
    expect(spec.layer).toHaveLength(2);
    const enc = spec.layer[0].encoding;
    expect(spec.layer[0].data.values).toEqual(points);
    expect(enc.color.sort).toEqual(['L2H2', 'L2H10']);
    expect(enc.shape.sort).toEqual(['only this head', 'ablate this head']);
    expect([enc.x.title, enc.y.title, enc.color.title, enc.shape.title]).toEqual(['induction strength', 'accuracy', 'head', 'manipulation']);
    expect(spec.layer[1].data.values.map((v: { head: string }) => v.head)).toEqual(['L2H10', 'L2H2']);
    expect(spec.title).toEqual({ text: 'Head accuracy vs induction strength' });
    const noKind = asLayered(strengthScatterSpec([{ head: 'L2H0', strength: 1, value: 1 }]));
    expect(noKind.layer[0].data.values[0].kind).toBe('only this head active');
  });
  it('a baseline draws a dashed rule without its label and names it in the subtitle; labels can be left out', () => {
    const spec = asLayered(strengthScatterSpec(points, { baseline: { y: 0.987654321, label: 'all heads' }, labels: false, yTitle: 'loss', xTitle: 's', colorTitle: 'c', shapeTitle: 'm' }));
    expect(spec.layer.map((l) => l.mark.type)).toEqual(['rule', 'point']);
    expect(spec.layer[0].data.values).toEqual([{ ref_y: 0.987654321, ref_label: '' }]);
    expect(spec.title.subtitle).toBe('dashed: all heads (0.98765)');
    const enc = spec.layer[1].encoding;
    expect([enc.x.title, enc.y.title, enc.color.title, enc.shape.title]).toEqual(['s', 'loss', 'c', 'm']);
    expect(asLayered(strengthScatterSpec(points, { baseline: { y: 1 } })).title.subtitle).toBe('dashed: unablated model (1)');
    expect(asLayered(strengthScatterSpec(points, { baseline: { y: 0.5 }, subtitle: 'mine' })).title.subtitle).toBe('mine');
  });
});

describe('head matrices', () => {
  type MatrixSpec = { data: { values: Record<string, unknown>[] }; columns: number; title: { text: string }; spec: { width: number; height: number; encoding: Record<string, any>; layer: Record<string, any>[] } };
  const asMatrix = (spec: unknown) => spec as MatrixSpec;
  it('one cell per finite value, named by head; the panel grid sized by the largest matrix', () => {
    const spec = asMatrix(
      headMatrixSpec([
        { label: 'A', matrix: [[1, NaN], [0.5, -2]] },
        { label: 'B', matrix: [[0, 0, 3]] },
      ]),
    );
    expect(spec.data.values).toEqual([
      { panel: 'A', row: 'L2H0', col: 'L1H0', value: 1 },
      { panel: 'A', row: 'L2H1', col: 'L1H0', value: 0.5 },
      { panel: 'A', row: 'L2H1', col: 'L1H1', value: -2 },
      { panel: 'B', row: 'L2H0', col: 'L1H0', value: 0 },
      { panel: 'B', row: 'L2H0', col: 'L1H1', value: 0 },
      { panel: 'B', row: 'L2H0', col: 'L1H2', value: 3 },
    ]);
    expect([spec.spec.width, spec.spec.height]).toEqual([3 * 34, 2 * 34]);
    expect(spec.spec.encoding.x.sort).toEqual(['L1H0', 'L1H1', 'L1H2']);
    expect(spec.spec.encoding.y.sort).toEqual(['L2H0', 'L2H1']);
    expect(spec.columns).toBe(2);
    expect(spec.title.text).toBe('Head matrices');
    // sequential: the data's extent; white text below 45% of it
    const color = spec.spec.layer[0].encoding.color;
    expect(color.scale).toEqual({ scheme: 'viridis', domain: [-2, 3] });
    expect(color.legend.gradientLength).toBe(100);
    expect(spec.spec.layer[1].encoding.color.condition.test).toBe(`datum.value < ${-2 + 0.45 * 5}`);
    expect(spec.spec.layer[1].mark.fontSize).toBe(9);
  });
  it('diverging: symmetric around 0 by the largest magnitude, white text far from the middle; a fixed domain wins', () => {
    const m = [[0.1, -0.4], [0.2, 0.3]];
    const spec = asMatrix(headMatrixSpec([{ label: 'M', matrix: m }], { diverging: true, cell: 60, rowName: (i) => `r${i}`, colName: (j) => `c${j}` }));
    const color = spec.spec.layer[0].encoding.color;
    expect(color.scale).toEqual({ scheme: 'redblue', domain: [-0.4, 0.4], domainMid: 0 });
    expect(color.legend.gradientLength).toBe(120);
    expect(spec.spec.layer[1].encoding.color.condition.test).toBe(`abs(datum.value - 0) > ${0.3 * 0.8}`);
    expect(spec.spec.layer[1].mark.fontSize).toBe(17);
    expect(spec.data.values.map((v) => [v.row, v.col])).toEqual([['r0', 'c0'], ['r0', 'c1'], ['r1', 'c0'], ['r1', 'c1']]);
    const fixed = asMatrix(headMatrixSpec([{ label: 'M', matrix: m }], { domain: [0, 2] }));
    expect(fixed.spec.layer[0].encoding.color.scale.domain).toEqual([0, 2]);
    // all cells equal: a domain of width 1; all NaN: 0 to 1
    expect(asMatrix(headMatrixSpec([{ label: 'C', matrix: [[5, 5]] }])).spec.layer[0].encoding.color.scale.domain).toEqual([5, 6]);
    expect(asMatrix(headMatrixSpec([{ label: 'N', matrix: [[NaN]] }])).spec.layer[0].encoding.color.scale.domain).toEqual([0, 1]);
    expect(asMatrix(headMatrixSpec([{ label: 'Z', matrix: [[0, 0]] }], { diverging: true })).spec.layer[0].encoding.color.scale.domain).toEqual([-1e-9, 1e-9]);
    // at most four panels a row
    const five = asMatrix(headMatrixSpec(Array.from({ length: 5 }, (_, k) => ({ label: `p${k}`, matrix: [[k]] }))));
    expect(five.columns).toBe(4);
  });
});
