import { describe, expect, it } from 'vitest';
import { compile } from 'vega-lite';
import { runToy } from '../toy/toyModel.js';
import type { MetricRow } from '../store/runDir.js';
import {
  LN2,
  attentionHeatmapSpec,
  compileSpec,
  headCurvesSpec,
  groupCurveRows,
  groupCurvesSpec,
  groupLearningTimeSpec,
  lossCurvesSpec,
  parallelCoordsSpec,
  renderSvg,
  toCsv,
  trainWindowSpec,
  runComparisonSpec,
  strengthScatterSpec,
  toyLossSpec,
  toyProgressSpec,
  type TopLevelSpec,
} from './index.js';
import { syntheticHeads, syntheticPatterns, syntheticRun, syntheticScatter } from './testing.js';

/** Count of marks of one kind in a rendered SVG (Vega labels each item with aria-roledescription). */
function count(svg: string, role: string): number {
  return svg.split(`aria-roledescription="${role}"`).length - 1;
}
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'"));
}
function title(svg: string): string | undefined {
  // the figure title (facet headers are titles too, but not role-title-text)
  return svg.match(/class="mark-text role-title-text"[^>]*aria-label="Title text '([^']*)'/)?.[1];
}
async function render(spec: TopLevelSpec): Promise<string> {
  expect(() => compile(spec)).not.toThrow();
  const svg = await renderSvg(spec);
  expect(svg.startsWith('<svg')).toBe(true);
  return svg;
}
function axisTitles(svg: string): string[] {
  return [...svg.matchAll(/<g class="mark-text role-axis-title"[^>]*>(?:<[^t][^>]*>)*<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

const tiny: MetricRow[] = [
  { kind: 'eval', seqs: 0, step: 0, set: 'fsl_train', loss: 1.9, acc: 0.3 },
  { kind: 'eval', seqs: 0, step: 0, set: 'fsl_val_rl', loss: 2.1, acc: 0.2 },
  { kind: 'eval', seqs: 0, step: 0, set: 'fsl_train_valex', loss: 2.0, acc: 0.2 },
  { kind: 'train', seqs: 320, step: 10, loss: 1.5, grad_norm: 2 },
  { kind: 'eval', seqs: 5000, step: 156, set: 'fsl_train', loss: 0.7, acc: 0.5 },
  { kind: 'eval', seqs: 5000, step: 156, set: 'fsl_val_rl', loss: 0.9, acc: 0.45 },
  { kind: 'eval', seqs: 5000, step: 156, set: 'fsl_train_valex', loss: 0.8, acc: 0.5 },
];

describe('figure specs', () => {
  it('loss curves (Fig. 3a): one line per eval set, dashed ln 2 and ln L, titled axes and legend', async () => {
    const svg = await render(lossCurvesSpec(syntheticRun(), { numLabels: 5 }));
    expect(count(svg, 'line mark')).toBe(3);
    expect(count(svg, 'rule mark')).toBe(2);
    expect(svg).toMatch(/stroke-dasharray="6(,| )4"/);
    const t = texts(svg);
    for (const s of ['train', 'test (exemplars)', 'test (relabel)', 'ln 2', 'ln 5', 'eval set']) expect(t).toContain(s);
    expect(axisTitles(svg)).toEqual(expect.arrayContaining(['# sequences seen', 'mean loss']));
    expect(title(svg)).toBe('Loss during training');
    expect(t).toContain('1M');
  });

  it('loss curves only draw the sets present, skip train rows and honour xMax', async () => {
    const spec = lossCurvesSpec(tiny, { title: 'tiny', xMax: 4000 }) as unknown as { layer: { data: { values: unknown[] } }[] };
    expect(spec.layer[0]!.data.values).toHaveLength(2);
    const svg = await render(lossCurvesSpec(tiny, { title: 'tiny' }));
    expect(count(svg, 'line mark')).toBe(2);
    expect(count(svg, 'rule mark')).toBe(1);
    expect(texts(svg)).not.toContain('test (exemplars)');
    const acc = await render(lossCurvesSpec(tiny, { metric: 'acc', sets: ['fsl_train', 'fsl_train_valex'] }));
    expect(count(acc, 'rule mark')).toBe(0); // no ln 2 on accuracy
    expect(texts(acc)).toContain('train (held-out exemplars)');
  });

  it('run comparison (Figs. 4b/5b/6): fsl_train loss of several runs, legend in the given order', async () => {
    const runs = [
      { label: 'All', rows: syntheticRun(0) },
      { label: 'only L2H3', rows: syntheticRun(1) },
      { label: 'only L2H0', rows: syntheticRun(2) },
    ];
    const svg = await render(runComparisonSpec(runs, { title: 'Single-head runs', learningThreshold: true }));
    expect(count(svg, 'line mark')).toBe(3);
    expect(count(svg, 'rule mark')).toBe(2); // ln 2 and 0.4·ln 2
    expect(title(svg)).toBe('Single-head runs');
    const legend = [...svg.matchAll(/role-legend-label[^>]*>(?:<[^t][^>]*>)*<text[^>]*>([^<]*)</g)].map((m) => m[1]);
    expect(legend).toEqual(['All', 'only L2H3', 'only L2H0']);
    // only fsl_train values are plotted
    const spec = runComparisonSpec(runs) as unknown as { layer: { data: { values: { value: number }[] } }[] };
    expect(spec.layer[0]!.data.values).toHaveLength(3 * 101);
    const many = await render(runComparisonSpec(Array.from({ length: 12 }, (_, i) => ({ label: `run ${i}`, rows: syntheticRun(i % 3) }))));
    expect(count(many, 'line mark')).toBe(12);
  });

  it('head curves (Fig. 3b): one line per head plus the highlighted one', async () => {
    const svg = await render(headCurvesSpec(syntheticHeads(), { highlight: ['L2H3'] }));
    expect(count(svg, 'line mark')).toBe(9);
    expect(texts(svg)).toEqual(expect.arrayContaining(['L2H0', 'L2H7', 'Layer-2 head']));
    expect(axisTitles(svg)).toEqual(expect.arrayContaining(['# sequences seen', 'induction strength']));
    expect(title(svg)).toBe('Induction strength per head');
    expect(count(await render(headCurvesSpec(syntheticHeads())), 'line mark')).toBe(8);
  });

  it('attention heatmap: heads × 5×5 cells with values and a colour legend', async () => {
    const svg = await render(attentionHeatmapSpec(syntheticPatterns(8), { title: 'Attention at the last checkpoint' }));
    expect(count(svg, 'rect mark')).toBe(8 * 25);
    expect(count(svg, 'text mark')).toBe(8 * 25);
    const t = texts(svg);
    for (const s of ['L1H0', 'L2H3', 'x₁', 'q', 'attention', '1.00', '0.80']) expect(t).toContain(s);
    expect(t).toContain('Attention at the last checkpoint');
    const plain = await render(attentionHeatmapSpec(syntheticPatterns(2), { showValues: false, tokenLabels: ['a', 'b', 'c', 'd', 'e'] }));
    expect(count(plain, 'text mark')).toBe(0);
    expect(texts(plain)).toContain('e');
  });

  it('strength scatter (Fig. 4a): one point per head and manipulation, head labels, dashed baseline', async () => {
    const svg = await render(strengthScatterSpec(syntheticScatter(), { baseline: { y: 0.99999 } }));
    expect(count(svg, 'point')).toBe(16);
    expect(count(svg, 'text mark')).toBe(8);
    expect(count(svg, 'rule mark')).toBe(1);
    const t = texts(svg);
    for (const s of ['only this head active', 'ablate only this head', 'manipulation', 'head', 'L2H3']) expect(t).toContain(s);
    expect(axisTitles(svg)).toEqual(expect.arrayContaining(['induction strength', 'accuracy']));
    expect(svg).toContain('dashed: unablated model (0.99999)');
  });

  it('toy model (Fig. 5a): loss vs iteration per condition renders, several seeds share a colour', async () => {
    const one = (['none', 'c', 'bc'] as const).map((condition) => ({ condition, seed: 1, ...runToy({ seed: 1, condition }) }));
    const svg = await render(toyLossSpec(one));
    expect(count(svg, 'line mark')).toBe(3);
    const t = texts(svg);
    for (const s of ['no clamp', 'clamp c', 'clamp b, c', 'condition', 'iteration', 'loss']) expect(t).toContain(s);
    expect(title(svg)).toBe('Toy model: loss under clamping');
    const seeds = [1, 2].flatMap((seed) => (['none', 'bc'] as const).map((condition) => ({ condition, seed, ...runToy({ seed, condition, iters: 300 }) })));
    const multi = await render(toyLossSpec(seeds, { logY: true }));
    expect(count(multi, 'line mark')).toBe(4);
    expect(texts(multi)).not.toContain('clamp c');
    expect(multi).toContain('seeds 1, 2');
  });

  it('toy progress measures (App. Fig. 9): loss, PM1, PM2 panels', async () => {
    const series = (['none', 'bc'] as const).map((condition) => ({ condition, seed: 1, ...runToy({ seed: 1, condition, iters: 400 }) }));
    const svg = await render(toyProgressSpec(series));
    expect(count(svg, 'line mark')).toBe(6);
    const t = texts(svg);
    for (const s of ['loss', 'PM1 = 1 − cos²(a, a*)', 'PM2 = L(±a, b*, c*)']) expect(t).toContain(s);
  });

  it('every spec compiles to Vega and carries a title', () => {
    const specs = [
      lossCurvesSpec(tiny),
      runComparisonSpec([{ label: 'a', rows: tiny }]),
      headCurvesSpec([{ seqs: 0, head: 'L2H0', value: 0 }]),
      attentionHeatmapSpec([{ head: 'L1H0', pattern: [[1]] }]),
      strengthScatterSpec([{ head: 'L2H0', strength: 0.1, value: 0.4 }]),
      toyLossSpec([{ condition: 'none', loss: [1, 0.5] }]),
    ];
    for (const s of specs) {
      expect((s as { title?: unknown }).title).toBeTruthy();
      expect(compileSpec(s).marks?.length).toBeGreaterThan(0);
    }
    expect(LN2).toBeCloseTo(0.693147, 6);
  });
});

describe('sweep figures: bands, axes, smoothing', () => {
  const pts = (k: number) => Array.from({ length: 20 }, (_, i) => ({ x: i * 1000, mean: 1 / (1 + k * i) + (i % 2 ? 0.05 : -0.05), std: 0.02 * k, min: 0.5 / (1 + i), max: 1.5 / (1 + i), n: 3 }));
  const series = [1, 2, 3, 4].map((k) => ({ label: `cond ${k}`, points: pts(k) }));

  it('one band and one line per group; smoothing adds the raw mean faint and changes the line; log axes drop x = 0', async () => {
    const plain = await render(groupCurvesSpec(series, { yTitle: 'loss' }));
    expect(count(plain, 'area mark')).toBe(4);
    expect(count(plain, 'line mark')).toBe(4);
    expect(texts(plain)).toEqual(expect.arrayContaining(['cond 1', 'cond 4']));
    const smooth = await render(groupCurvesSpec(series, { yTitle: 'loss', smoothing: 0.8 }));
    expect(count(smooth, 'line mark')).toBe(8);
    const rows = groupCurveRows(series, { smoothing: 0.8 });
    // The smoothed value is TensorBoard's EMA of the means: second point = (0.2·m0·0.8 + 0.2·m1) / (1 − 0.8²).
    const m = series[0]!.points.map((p) => p.mean);
    expect(rows[1]!.smoothed).toBeCloseTo((0.8 * 0.2 * m[0]! + 0.2 * m[1]!) / (1 - 0.64), 12);
    expect(rows[0]!.lo).toBeCloseTo(m[0]! - 0.02, 12);
    expect(groupCurveRows(series, { band: 'minmax' })[3]!.hi).toBe(1.5 / 4);
    const log = groupCurvesSpec(series, { logX: true, logY: true }) as unknown as { layer: { data: { values: { x: number }[] } }[] };
    expect(log.layer[0]!.data.values.every((v) => v.x > 0)).toBe(true);
    expect(JSON.stringify(log)).toContain('"type":"log"');
    await render(log as unknown as TopLevelSpec);
  });

  it('a run page curve: smoothing over the raw line, x by wall time, the train window and gradient norm', async () => {
    const rows = syntheticRun().map((r) => ({ ...r, wall_s: r.seqs / 1e4 }));
    const train = rows.filter((r) => r.set === 'fsl_train').map((r) => ({ kind: 'train' as const, seqs: r.seqs, step: r.step, loss: Number(r.loss) + 0.1, grad_norm: 2 + Math.sin(r.seqs), wall_s: r.wall_s }));
    const all = [...rows, ...train];
    expect(count(await render(lossCurvesSpec(all, { smoothing: 0.9 })), 'line mark')).toBe(6);
    const wall = lossCurvesSpec(all, { x: 'wall_s' }) as unknown as { layer: { data: { values: { x: number }[] } }[] };
    expect(new Set(wall.layer[0]!.data.values.map((v) => v.x))).toEqual(new Set(rows.map((r) => r.seqs / 1e4)));
    const g = await render(trainWindowSpec(all, 'grad_norm', { logY: true }));
    expect(count(g, 'line mark')).toBe(1);
    expect(texts(g)).toContain('mean gradient norm');
    expect(count(await render(trainWindowSpec(all, 'loss')), 'rule mark')).toBe(1);
  });

  it('learning time per group: mean ± std bars, one point per seed, hollow where not learned; parallel coordinates; CSV', async () => {
    const lt = await render(
      groupLearningTimeSpec([
        { label: 'A', seeds: [{ run: 'a1', seqs: 100, learned: true }, { run: 'a2', seqs: 300, learned: true }] },
        { label: 'B', seeds: [{ run: 'b1', seqs: 500, learned: false }] },
      ]),
    );
    expect(count(lt, 'rule mark')).toBe(2);
    expect(count(lt, 'point')).toBe(3);
    const hp = await render(parallelCoordsSpec([{ id: 'r1', group: 'A', values: { labels: 5, clamp: 'none', lt: 100 } }, { id: 'r2', group: 'B', values: { labels: 10, clamp: 'match', lt: 300 } }], ['labels', 'clamp', 'lt']));
    expect(count(hp, 'line mark')).toBe(2);
    expect(texts(hp)).toEqual(expect.arrayContaining(['labels', 'clamp', 'lt', '5', '10', 'match']));
    expect(toCsv([{ a: 1, b: 'x,"y"' }, { a: null, c: 2 }])).toBe('a,b,c\n1,"x,""y""",\n,,2\n');
  });
});
