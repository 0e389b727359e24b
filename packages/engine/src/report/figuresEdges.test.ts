/**
 * Which of the paper's figures the report draws from which evidence, read from the specs' data (no
 * rendering, so each case takes milliseconds): a figure per present role set, its title, the runs it reads,
 * the series labels in the paper's words, the data's heads where its clamp runs exist, and the points.
 * figures/*.test.ts render the spec builders themselves.
 */
import { describe, expect, it } from 'vitest';
import type { Evidence } from './evidence.js';
import { reportFigures, type ReportFigure } from './figures.js';
import { passingMain, tinyRun } from './testing.js';
import { DEFAULT_PRESET_HEADS } from '../presets.js';
import { FIG15_STRENGTHS } from '../sweep/paperRuns.js';

type Obj = Record<string, any>;
const empty = (): Evidence => ({ runsDir: '/r', heads: { paper: DEFAULT_PRESET_HEADS }, runs: {}, dataRuns: {}, seeds: [], toy: [] });
const run = (id: string, learned = 200_000) => tinyRun(id, [[0, 1.9], [learned - 1000, 0.7], [learned, 0.2], [900_000, 0.01]]);

/** The rows of a spec's first data that is not a reference line's (its points; later layers repeat or filter them). */
function rows(spec: unknown): Obj[] {
  const found: Obj[][] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) return x.forEach(walk);
    if (!x || typeof x !== 'object') return;
    const o = x as Obj;
    if (o.data?.values && !o.data.values.some((v: Obj) => 'ref_y' in v)) found.push(o.data.values);
    for (const [key, v] of Object.entries(o)) if (key !== 'data') walk(v);
  };
  walk(spec);
  return found[0] ?? [];
}
/** The reference lines' labels. */
function refs(spec: unknown): string[] {
  const s = JSON.stringify(spec);
  return [...new Set([...s.matchAll(/"ref_label":"([^"]*)"/g)].map((m) => m[1]))];
}
const fig = (figs: ReportFigure[], id: string) => figs.find((f) => f.id === id)!;
const title = (f: ReportFigure) => (f.spec as Obj).title.text;
const series = (f: ReportFigure) => [...new Set(rows(f.spec).map((r) => r.series))];

describe('reportFigures', () => {
  it('nothing measured: no figures', () => {
    expect(reportFigures(empty())).toEqual([]);
  });

  it('the main run alone: Fig. 3a and the comparisons it takes part in, in report order', () => {
    const e = empty();
    e.runs.main = run('m');
    const figs = reportFigures(e);
    expect(figs.map((f) => [f.id, f.runs])).toEqual([
      ['fig3a', ['m']],
      ['fig4b', ['m']],
      ['fig7', ['m']],
      ['fig17', ['m']],
    ]);
    const f3a = fig(figs, 'fig3a');
    expect([f3a.title, title(f3a)]).toEqual(['Fig. 3a: loss of the main run (50 classes, 5 labels)', 'Fig. 3a: loss of the main run (50 classes, 5 labels)']);
    expect(refs(f3a.spec)).toEqual(['ln 2', 'ln 5']);
    expect(rows(f3a.spec)).toHaveLength(4);
    expect(series(fig(figs, 'fig4b'))).toEqual(['All']);
    expect(series(fig(figs, 'fig7'))).toEqual(['standard, seed 5']);
    expect(series(fig(figs, 'fig17'))).toEqual(['All']);
    // comparisons draw the learning threshold, and Fig. 7 stops at 6×10⁵
    expect(refs(fig(figs, 'fig4b').spec)).toEqual(['ln 2', '0.4·ln 2']);
    expect(fig(figs, 'fig7').title).toBe('App. Fig. 7: grafting a frozen trained Layer 1 vs standard training');
    expect(rows(fig(figs, 'fig7').spec).map((r) => r.seqs)).toEqual([0, 199_000, 200_000]);
    expect(rows(fig(figs, 'fig4b').spec).map((r) => r.seqs)).toEqual([0, 199_000, 200_000, 900_000]);
  });

  it('Fig. 4b and 17: labels of the single-head and head-pair runs, in the paper order', () => {
    const e = empty();
    e.runs.main = run('m');
    for (const h of [7, 0, 3]) e.runs[`only:${h}`] = run(`o${h}`);
    for (const h of [5, 0]) e.runs[`fig17:${h}`] = run(`p${h}`);
    const figs = reportFigures(e);
    const f4b = fig(figs, 'fig4b');
    expect([f4b.title, f4b.runs]).toEqual(['Fig. 4b: training with only one layer-2 head active', ['m', 'o0', 'o3', 'o7']]);
    expect((f4b.spec as Obj).layer[0].encoding.color.sort).toEqual(['All', 'only L2H0', 'only L2H3', 'only L2H7']);
    const f17 = fig(figs, 'fig17');
    expect([f17.title, f17.runs]).toEqual(['App. Fig. 17: L2H3 plus one other layer-2 head', ['m', 'p0', 'p5']]);
    expect((f17.spec as Obj).layer[0].encoding.color.sort).toEqual(['All', 'L2H3 + L2H0', 'L2H3 + L2H5']);
  });

  it("the final model's analyses: Figs. 3b, 4a, 13, 12, 11, 14 and 16 from their numbers", () => {
    const e = empty();
    e.main = passingMain();
    const m = e.main;
    const figs = reportFigures(e);
    expect(figs.map((f) => f.id)).toEqual(['fig3b', 'fig4a', 'fig13', 'fig12', 'fig11', 'fig14', 'fig16']);
    expect(figs.every((f) => f.runs.length === 1 && f.runs[0] === 'main-run' && title(f) === f.title)).toBe(true);
    expect(figs.map((f) => f.title)).toEqual([
      'Fig. 3b: induction strength of each layer-2 head over training',
      'Fig. 4a: accuracy under ablation against induction strength (final main model)',
      'App. Fig. 13: loss under ablation against induction strength (final main model)',
      'App. Fig. 12: Δloss when a layer stops reaching the output, over training',
      'App. Fig. 11: Layer-1 → Layer-2 wiring (Δ accuracy, one Layer-1 head ablated, only L2 head i active)',
      'App. Fig. 14: loss with the k strongest heads active',
      'App. Fig. 16: accuracy per label with a perfected match, only head h active',
    ]);
    // Fig. 3b: every head at every checkpoint
    const s3b = rows(fig(figs, 'fig3b').spec);
    expect(s3b).toHaveLength(m.strengthCurve.length * 8);
    expect(s3b.filter((r) => r.seqs === 500_000).map((r) => [r.head, r.value])).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((h) => [`L2H${h}`, m.strengthCurve[50].strength[h]]));
    expect((fig(figs, 'fig3b').spec as Obj).layer[1].encoding.y.title).toBe('induction strength');
    // Fig. 4a: accuracy only-this-head and ablate-this-head against strength, the unablated model dashed
    const s4a = rows(fig(figs, 'fig4a').spec);
    expect(s4a.filter((r) => r.kind === 'only this head').map((r) => [r.head, r.strength, r.value])).toEqual(m.ablation.strength.map((s, h) => [`L2H${h}`, s, m.ablation.onlyOne[h].acc]));
    expect(s4a.filter((r) => r.kind === 'ablate this head').map((r) => r.value)).toEqual(m.ablation.ablateOne.map((x) => x.acc));
    expect((fig(figs, 'fig4a').spec as Obj).title.subtitle).toBe('dashed: all heads (0.99999)');
    expect(JSON.stringify(fig(figs, 'fig4a').spec)).toContain('"title":"accuracy"');
    // App. Fig. 13: the same with losses
    const s13 = rows(fig(figs, 'fig13').spec);
    expect(s13.filter((r) => r.kind === 'only this head').map((r) => r.value)).toEqual(m.ablation.onlyOne.map((x) => x.loss));
    expect(s13.filter((r) => r.kind === 'ablate this head').map((r) => r.value)).toEqual(m.ablation.ablateOne.map((x) => x.loss));
    expect((fig(figs, 'fig13').spec as Obj).title.subtitle).toBe('dashed: all heads (0.002)');
    // App. Fig. 12: the two Δloss curves against the logged train loss
    const s12 = rows(fig(figs, 'fig12').spec).filter((r) => r.seqs === 300_000);
    expect(s12.map((r) => [r.head, r.value])).toEqual([
      ['no L1 direct path', m.layerOutput[30].dNoL1DirectVsLogged],
      ['Layer 2 ablated', m.layerOutput[30].dNoL2VsLogged],
    ]);
    expect(JSON.stringify(fig(figs, 'fig12').spec)).toContain('"title":"Δ loss vs logged train loss"');
    expect(JSON.stringify(fig(figs, 'fig12').spec)).toContain('"title":"manipulation"');
    // App. Fig. 11: both matrices, rows L2 heads and columns L1 heads, diverging colours
    const s11 = rows(fig(figs, 'fig11').spec);
    expect(s11).toHaveLength(128);
    expect(s11.find((r) => r.panel === 'value-preserving (M^pv)' && r.row === 'L2H3' && r.col === 'L1H2')!.value).toBe(m.wiring.Mpv[3][2]);
    expect(s11.find((r) => r.panel === 'pattern-preserving (M^pp)' && r.row === 'L2H0' && r.col === 'L1H6')!.value).toBe(m.wiring.Mpp[0][6]);
    expect(JSON.stringify(fig(figs, 'fig11').spec)).toContain('"scheme":"redblue"');
    expect(JSON.stringify(fig(figs, 'fig11').spec)).toContain('"title":"Δ accuracy"');
    // App. Fig. 14: k heads active, named by the head added
    const s14 = rows(fig(figs, 'fig14').spec);
    expect(s14.slice(0, 2).map((r) => [r.head, r.strength, r.value, r.kind])).toEqual([
      ['from the strongest: +L2H3', 1, 0.117, 'from the strongest'],
      ['from the strongest: +L2H1', 2, 0.044, 'from the strongest'],
    ]);
    expect(s14.filter((r) => r.kind === 'without the strongest').map((r) => r.head)).toEqual(['+L2H1', '+L2H2', '+L2H7', '+L2H5', '+L2H0', '+L2H4'].map((x) => `without the strongest: ${x}`));
    expect(JSON.stringify(fig(figs, 'fig14').spec)).toContain('"title":"# heads active (k)"');
    expect((fig(figs, 'fig14').spec as Obj).layer.some((l: Obj) => l.mark?.type === 'text')).toBe(false);
    // App. Fig. 16: accuracy per target label
    const s16 = rows(fig(figs, 'fig16').spec);
    expect(s16).toHaveLength(40);
    expect(s16.find((r) => r.row === 'L2H2' && r.col === 'label 2')!.value).toBe(m.redundancyPerfect.rows[2].perLabelAcc[2]);
    expect(JSON.stringify(fig(figs, 'fig16').spec)).toContain('"title":"target label"');
    expect(JSON.stringify(fig(figs, 'fig16').spec)).toContain('"title":"accuracy"');
  });

  it("Fig. 5b: the clamp conditions in the paper's words, on the data's heads where their runs exist", () => {
    const e = empty();
    for (const c of ['none', 'pt', 'layer1', 'match', 'copy', 'layer1-copy']) e.runs[`fig5b:${c}`] = run(`p-${c}`);
    e.runs['fig5b:copy'].rows.push({ kind: 'eval', seqs: 500_000, step: 0, set: 'fsl_train', loss: 0.001, acc: 1 });
    let f = fig(reportFigures(e), 'fig5b');
    expect(f.title).toBe('Fig. 5b: clamping subcircuits of the only active head (L2H3)');
    expect(f.runs).toEqual(['p-none', 'p-pt', 'p-layer1', 'p-match', 'p-copy', 'p-layer1-copy']);
    expect((f.spec as Obj).layer[0].encoding.color.sort).toEqual(['None', '1 (PT clamp)', 'Layer 1', 'match', 'copy', 'Layer 1 + copy']);
    // the x axis stops at 4×10⁵
    expect(rows(f.spec).some((r) => r.seqs > 400_000)).toBe(false);
    e.heads.data = { ih: '1:4', pt: '0:7', ptGroup: ['0:0', '0:6', '0:7'] };
    f = fig(reportFigures(e), 'fig5b');
    expect(f.title).toBe('Fig. 5b: clamping subcircuits of the only active head (L2H3)');
    e.dataRuns['fig5b:pt'] = run('d-pt');
    f = fig(reportFigures(e), 'fig5b');
    expect([f.title, f.runs]).toEqual(['Fig. 5b: clamping subcircuits of the only active head (L2H4)', ['d-pt']]);
  });

  it('Fig. 6: learning time per condition against classes and labels, the 50-class / 5-label clamp runs from Fig. 5b', () => {
    const e = empty();
    e.runs['fig6:normal:50:5'] = run('n50', 250_000);
    e.runs['fig6:normal:100:5'] = run('n100', 350_000);
    e.runs['fig6:normal:50:10'] = run('n10', 800_000);
    e.runs['fig5b:match'] = run('m50', 30_000);
    e.runs['fig6:match:200:5'] = tinyRun('m200', [[0, 0.8], [300_000, 0.5]]);
    const figs = reportFigures(e);
    const classes = fig(figs, 'fig6-classes');
    const labels = fig(figs, 'fig6-labels');
    expect(classes.title).toBe('Fig. 6: learning time against # classes (L = 5) and # labels (50 classes): classes');
    expect(labels.title).toBe('Fig. 6: learning time against # classes (L = 5) and # labels (50 classes): labels');
    expect((classes.spec as Obj).title.text).toBe('Fig. 6: learning time vs # classes (5 labels)');
    expect((labels.spec as Obj).title.text).toBe('Fig. 6: learning time vs # labels (50 classes)');
    expect(classes.runs).toEqual(['n50', 'm50', 'n100', 'm200', 'n10']);
    expect(labels.runs).toEqual(classes.runs);
    expect(rows(classes.spec).map((r) => [r.x, r.seqs, r.learned, r.group, r.run])).toEqual([
      [50, 250_000, 'learned', 'normal training', 'n50'],
      [50, 30_000, 'learned', 'C only (match)', 'm50'],
      [100, 350_000, 'learned', 'normal training', 'n100'],
      [200, 300_000, 'not learned (last eval)', 'C only (match)', 'm200'],
    ]);
    expect(rows(labels.spec).map((r) => [r.x, r.seqs, r.group, r.run])).toEqual([
      [5, 250_000, 'normal training', 'n50'],
      [5, 30_000, 'C only (match)', 'm50'],
      [10, 800_000, 'normal training', 'n10'],
    ]);
    const s = JSON.stringify(classes.spec);
    expect(s).toContain('"title":"# classes"');
    expect(s).toContain('"title":"condition"');
    expect(s).toContain('"type":"log"');
    expect(JSON.stringify(labels.spec)).toContain('"title":"# labels"');
    // the other conditions' names
    const f = empty();
    f.runs['fig5b:layer1-copy'] = run('b');
    f.runs['fig6:layer1:50:10'] = run('bc');
    expect(rows(fig(reportFigures(f), 'fig6-labels').spec).map((r) => r.group)).toEqual(['B only (Layer 1 + copy)', 'B, C (Layer 1)']);
    // no Fig. 6 run at all: no Fig. 6
    expect(reportFigures(empty()).some((x) => x.id.startsWith('fig6'))).toBe(false);
  });

  it('App. Fig. 7: grafts and standard training of every seed', () => {
    const e = empty();
    for (const r of ['graft:5', 'graft:6', 'graft:7', 'main', 'seed:6:main', 'seed:7:main']) e.runs[r] = run(r.replace(/:/g, '-'));
    const f = fig(reportFigures(e), 'fig7');
    expect((f.spec as Obj).layer[0].encoding.color.sort).toEqual(['graft from seed 5', 'graft from seed 6', 'graft from seed 7', 'standard, seed 5', 'standard, seed 6', 'standard, seed 7']);
    expect(f.runs).toEqual(['graft-5', 'graft-6', 'graft-7', 'main', 'seed-6-main', 'seed-7-main']);
  });

  it("App. Fig. 8: the previous-token clamps named by their heads, the data's where its runs exist", () => {
    const e = empty();
    for (const r of ['fig5b:none', 'fig5b:pt', 'fig8:h6', 'fig8:ptgroup', 'fig8:all']) e.runs[r] = run(r);
    e.runs['fig8:all'].rows.push({ kind: 'eval', seqs: 800_001, step: 0, set: 'fsl_train', loss: 0.001, acc: 1 });
    let f = fig(reportFigures(e), 'fig8');
    expect(f.title).toBe('App. Fig. 8: previous-token clamps on Layer-1 heads (only L2H3)');
    expect((f.spec as Obj).layer[0].encoding.color.sort).toEqual(['no clamp', 'L1H2', 'L1H6', 'PT group: L1H1, L1H2, L1H5', 'all 8 L1 heads']);
    expect(rows(f.spec).some((r) => r.seqs > 800_000)).toBe(false);
    e.heads.data = { ih: '1:4', pt: '0:7', ptGroup: ['0:0', '0:6'] };
    e.dataRuns['fig8:ptgroup'] = run('d');
    f = fig(reportFigures(e), 'fig8');
    expect(f.title).toBe('App. Fig. 8: previous-token clamps on Layer-1 heads (only L2H4)');
    expect((f.spec as Obj).layer[0].encoding.color.sort).toEqual(['PT group: L1H0, L1H6']);
  });

  it("App. Fig. 10: the eval-time clamps, the data's heads' points preferred", () => {
    const e = empty();
    e.fig10 = { run: 'p', heads: DEFAULT_PRESET_HEADS, points: [{ seqs: 0, composite: 1.5, copy: 1.4 }, { seqs: 6000, composite: 0.9, copy: 0.8 }] };
    let f = fig(reportFigures(e), 'fig10');
    expect([f.title, f.runs]).toEqual(['App. Fig. 10 right: eval-time clamps on the unclamped run (only L2H3)', ['p']]);
    expect(rows(f.spec).map((r) => [r.seqs, r.head, r.value])).toEqual([
      [0, 'PT-clamped loss', 1.5],
      [0, 'match-clamped loss', 1.4],
      [6000, 'PT-clamped loss', 0.9],
      [6000, 'match-clamped loss', 0.8],
    ]);
    expect(JSON.stringify(f.spec)).toContain('"title":"loss (dense set)"');
    expect(JSON.stringify(f.spec)).toContain('"title":"measure"');
    e.fig10Data = { run: 'd', heads: { ih: '1:6', pt: '0:1', ptGroup: [] }, points: [] };
    f = fig(reportFigures(e), 'fig10');
    expect([f.title, f.runs]).toEqual(['App. Fig. 10 right: eval-time clamps on the unclamped run (only L2H6)', ['d']]);
  });

  it('App. Fig. 15: train and held-out loss per clamp strength, labelled 2s − 1', () => {
    const e = empty();
    const i0 = FIG15_STRENGTHS.indexOf(1);
    const iHalf = FIG15_STRENGTHS.indexOf(0.5);
    e.runs[`fig15:${iHalf}`] = tinyRun('h', [[0, 1.2], [1000, 0.7]], { fsl_val_rl: [[0, 1.3], [1000, 0.9]] });
    e.runs[`fig15:${i0}`] = tinyRun('one', [[0, 1.2], [1000, 0.1]], { fsl_val_rl: [[0, 1.3], [1000, 0.2]] });
    const figs = reportFigures(e);
    const train = fig(figs, 'fig15-fsl_train');
    const rl = fig(figs, 'fig15-fsl_val_rl');
    expect(train.title).toBe('App. Fig. 15: match-clamp strength sweep on L2H3, train loss');
    expect(rl.title).toBe('App. Fig. 15: match-clamp strength sweep on L2H3, test (relabel) loss');
    const labelOf = (i: number) => `2s−1 = ${(2 * FIG15_STRENGTHS[i] - 1).toFixed(2)}`;
    expect(labelOf(i0)).toBe('2s−1 = 1.00');
    expect(labelOf(iHalf)).toBe('2s−1 = 0.00');
    const order = [i0, iHalf].sort((a, b) => a - b);
    expect((train.spec as Obj).layer[0].encoding.color.sort).toEqual(order.map(labelOf));
    expect(rows(train.spec).filter((r) => r.seqs === 1000).map((r) => [r.series, r.value])).toEqual(order.map((i) => [labelOf(i), i === i0 ? 0.1 : 0.7]));
    expect(rows(rl.spec).filter((r) => r.seqs === 1000).map((r) => [r.series, r.value])).toEqual(order.map((i) => [labelOf(i), i === i0 ? 0.2 : 0.9]));
    // no learning-threshold line here
    expect(refs(train.spec)).toEqual(['ln 2']);
  });

  it('App. Fig. 18: only-head accuracy per seed, and learning time where the single-head runs finished', () => {
    const e = empty();
    e.seeds = [
      { seed: 5, run: 'r5', strength: [0.1, 0.9], onlyOne: [{ acc: 0.3, loss: 1 }, { acc: 0.95, loss: 0.1 }] },
      { seed: 6, run: 'r6', strength: [0.8, 0.2], onlyOne: [{ acc: 0.9, loss: 1 }, { acc: 0.4, loss: 1 }] },
    ];
    let figs = reportFigures(e);
    expect(figs.map((f) => f.id)).toEqual(['fig18-accuracy']);
    const acc = fig(figs, 'fig18-accuracy');
    expect([acc.title, acc.runs]).toEqual(['App. Fig. 18: only-head accuracy against induction strength, across init seeds', ['r5', 'r6']]);
    expect(rows(acc.spec).map((r) => [r.head, r.strength, r.value, r.kind])).toEqual([
      ['seed 5', 0.1, 0.3, 'only this head active'],
      ['seed 5', 0.9, 0.95, 'only this head active'],
      ['seed 6', 0.8, 0.9, 'only this head active'],
      ['seed 6', 0.2, 0.4, 'only this head active'],
    ]);
    const s = JSON.stringify(acc.spec);
    expect(s).toContain('"title":"init seed"');
    expect(s).toContain('"title":"measure"');
    expect(s).toContain('"title":"accuracy, only this head active"');
    expect((acc.spec as Obj).layer.some((l: Obj) => l.mark?.type === 'text')).toBe(false);
    e.runs['only:1'] = run('o1', 300_000);
    e.runs['seed:6:only:0'] = run('s6o0', 150_000);
    e.runs['seed:6:only:1'] = { ...run('s6o1'), status: 'running' };
    figs = reportFigures(e);
    const time = fig(figs, 'fig18-time');
    expect([time.title, time.runs]).toEqual(['App. Fig. 18: learning time with only that head active, against its induction strength', ['r5', 'r6']]);
    expect(rows(time.spec).map((r) => [r.head, r.strength, r.value, r.kind])).toEqual([
      ['seed 5', 0.9, 300_000, 'trained with only this head'],
      ['seed 6', 0.8, 150_000, 'trained with only this head'],
    ]);
    expect(JSON.stringify(time.spec)).toContain('"title":"learning time (sequences)"');
  });

  it('the toy model: Fig. 5a and App. Fig. 9 from seed 1, App. Fig. 9 without clamp c', () => {
    const e = empty();
    const toy = (seed: number, condition: 'none' | 'c' | 'bc', v: number) => ({ seed, condition, loss: [v, v / 2], pm1: [v, v], pm2: [v, v] });
    e.toy = [toy(1, 'none', 1), toy(1, 'c', 2), toy(1, 'bc', 3), toy(2, 'none', 4)];
    const figs = reportFigures(e);
    expect(figs.map((f) => [f.id, f.title, f.runs])).toEqual([
      ['fig5a', 'Fig. 5a: toy model of the phase change (seed 1)', []],
      ['fig9', 'App. Fig. 9: toy model progress measures PM1 and PM2 (seed 1)', []],
    ]);
    const losses5a = rows(fig(figs, 'fig5a').spec).map((r) => JSON.stringify(r));
    expect(losses5a.some((r) => r.includes('4'))).toBe(false);
    expect(rows(fig(figs, 'fig5a').spec).length).toBeGreaterThan(0);
    const s9 = JSON.stringify(fig(figs, 'fig9').spec);
    expect(s9).toContain('no clamp');
    expect(s9).toContain('clamp b, c');
    expect(s9).not.toContain('"clamp c"');
    expect(JSON.stringify(fig(figs, 'fig5a').spec)).toContain('clamp c');
  });
});
