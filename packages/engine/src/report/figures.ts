/**
 * The report's figures: the paper's figures regenerated from the evidence with the shared Vega-Lite spec
 * builders of `figures/` (the dashboard draws the same specs). A figure whose runs are absent is left
 * out; the claims that need it say which command produces it.
 */
import type { TopLevelSpec } from '../figures/common.js';
import { headCurvesSpec } from '../figures/heads.js';
import { learningTimeSpec, type LearningTimePoint } from '../figures/learningTime.js';
import { lossCurvesSpec, runComparisonSpec, type RunSeries } from '../figures/lossCurves.js';
import { headMatrixSpec } from '../figures/matrix.js';
import { strengthScatterSpec } from '../figures/scatter.js';
import { toyLossSpec, toyProgressSpec } from '../figures/toy.js';
import { FIG15_STRENGTHS, FIG5B_CONDITIONS } from '../sweep/paperRuns.js';
import { CLAMP_ROLE, evidenceView, type HeadsChoice } from './claims.js';
import { learnTime } from './curves.js';
import type { Evidence } from './evidence.js';
import { headLabel } from '../interventions/heads.js';

export interface ReportFigure {
  id: string;
  title: string;
  runs: string[];
  spec: TopLevelSpec;
}

const FIG5B_LABELS: Record<(typeof FIG5B_CONDITIONS)[number], string> = {
  none: 'None',
  pt: '1 (PT clamp)',
  layer1: 'Layer 1',
  match: 'match',
  copy: 'copy',
  'layer1-copy': 'Layer 1 + copy',
};

export function reportFigures(e: Evidence): ReportFigure[] {
  const out: ReportFigure[] = [];
  /** A figure shows one choice of clamped heads: this data's where it has any of the figure's runs. */
  const choiceFor = (roles: string[]): HeadsChoice => (e.heads.data && roles.some((r) => CLAMP_ROLE.test(r) && e.dataRuns[r]) ? 'data' : 'paper');
  const headsFor = (roles: string[]) => (choiceFor(roles) === 'data' ? e.heads.data! : e.heads.paper);
  const run = (role: string, roles: string[] = [role]) => evidenceView(e, choiceFor(roles)).runs[role];
  /** A comparison of the roles that exist (at least one), labelled by `label`. */
  const compare = (id: string, title: string, roles: string[], label: (role: string) => string, opts: Parameters<typeof runComparisonSpec>[1] = {}) => {
    const present = roles.filter((x) => run(x, roles));
    if (!present.length) return;
    const series: RunSeries[] = present.map((x) => ({ label: label(x), rows: run(x, roles).rows }));
    out.push({ id, title, runs: present.map((x) => run(x, roles).id), spec: runComparisonSpec(series, { title, learningThreshold: true, ...opts }) });
  };

  if (run('main')) {
    const title = 'Fig. 3a: loss of the main run (50 classes, 5 labels)';
    out.push({ id: 'fig3a', title, runs: [run('main').id], spec: lossCurvesSpec(run('main').rows, { title, numLabels: 5 }) });
  }
  if (e.main) {
    const m = e.main;
    const t3b = 'Fig. 3b: induction strength of each layer-2 head over training';
    const pts = m.strengthCurve.flatMap((p) => p.strength.map((value, h) => ({ seqs: p.seqs, head: `${headLabel(1, h)}`, value })));
    out.push({ id: 'fig3b', title: t3b, runs: [m.run], spec: headCurvesSpec(pts, { title: t3b, yTitle: 'induction strength' }) });
    const t4a = 'Fig. 4a: accuracy under ablation against induction strength (final main model)';
    const scatter = m.ablation.strength.flatMap((strength, h) => [
      { head: `${headLabel(1, h)}`, strength, value: m.ablation.onlyOne[h].acc, kind: 'only this head' },
      { head: `${headLabel(1, h)}`, strength, value: m.ablation.ablateOne[h].acc, kind: 'ablate this head' },
    ]);
    out.push({ id: 'fig4a', title: t4a, runs: [m.run], spec: strengthScatterSpec(scatter, { title: t4a, yTitle: 'accuracy', baseline: { y: m.ablation.full.acc, label: 'all heads' } }) });
    const t13 = 'App. Fig. 13: loss under ablation against induction strength (final main model)';
    const scatterLoss = m.ablation.strength.flatMap((strength, h) => [
      { head: `${headLabel(1, h)}`, strength, value: m.ablation.onlyOne[h].loss, kind: 'only this head' },
      { head: `${headLabel(1, h)}`, strength, value: m.ablation.ablateOne[h].loss, kind: 'ablate this head' },
    ]);
    out.push({ id: 'fig13', title: t13, runs: [m.run], spec: strengthScatterSpec(scatterLoss, { title: t13, yTitle: 'loss', baseline: { y: m.ablation.full.loss, label: 'all heads' } }) });
    const t12 = 'App. Fig. 12: Δloss when a layer stops reaching the output, over training';
    const pts12 = m.layerOutput.flatMap((p) => [
      { seqs: p.seqs, head: 'no L1 direct path', value: p.dNoL1DirectVsLogged },
      { seqs: p.seqs, head: 'Layer 2 ablated', value: p.dNoL2VsLogged },
    ]);
    out.push({ id: 'fig12', title: t12, runs: [m.run], spec: headCurvesSpec(pts12, { title: t12, yTitle: 'Δ loss vs logged train loss', legendTitle: 'manipulation' }) });
    const t11 = 'App. Fig. 11: Layer-1 → Layer-2 wiring (Δ accuracy, one Layer-1 head ablated, only L2 head i active)';
    out.push({
      id: 'fig11',
      title: t11,
      runs: [m.run],
      spec: headMatrixSpec(
        [
          { label: 'value-preserving (M^pv)', matrix: m.wiring.Mpv },
          { label: 'pattern-preserving (M^pp)', matrix: m.wiring.Mpp },
        ],
        { title: t11, diverging: true, colorTitle: 'Δ accuracy' },
      ),
    });
    const t14 = 'App. Fig. 14: loss with the k strongest heads active';
    const add = [
      { label: 'from the strongest', c: m.additivity.fromStrongest },
      { label: 'without the strongest', c: m.additivity.withoutStrongest },
    ];
    const addPts = add.flatMap(({ label, c }) => c.steps.map((s, i) => ({ head: `${label}: +${headLabel(1, c.order[i])}`, strength: i + 1, value: s.loss, kind: label })));
    out.push({ id: 'fig14', title: t14, runs: [m.run], spec: strengthScatterSpec(addPts, { title: t14, xTitle: '# heads active (k)', yTitle: 'loss', labels: false }) });
    const t16 = 'App. Fig. 16: accuracy per label with a perfected match, only head h active';
    out.push({
      id: 'fig16',
      title: t16,
      runs: [m.run],
      spec: headMatrixSpec([{ label: 'accuracy per target label', matrix: m.redundancyPerfect.rows.map((x) => x.perLabelAcc) }], {
        title: t16,
        colName: (j) => `label ${j}`,
        colTitle: 'target label',
        colorTitle: 'accuracy',
      }),
    });
  }
  compare('fig4b', 'Fig. 4b: training with only one layer-2 head active', ['main', ...[0, 1, 2, 3, 4, 5, 6, 7].map((h) => `only:${h}`)], (x) => (x === 'main' ? 'All' : `only ${headLabel(1, Number(x.split(':')[1]))}`));
  if (e.toy.length) {
    const t5a = 'Fig. 5a: toy model of the phase change (seed 1)';
    out.push({ id: 'fig5a', title: t5a, runs: [], spec: toyLossSpec(e.toy.filter((t) => t.seed === 1), { title: t5a }) });
    const t9 = 'App. Fig. 9: toy model progress measures PM1 and PM2 (seed 1)';
    out.push({ id: 'fig9', title: t9, runs: [], spec: toyProgressSpec(e.toy.filter((t) => t.seed === 1 && t.condition !== 'c'), { title: t9 }) });
  }
  const l2 = (h: string) => h.replace(/^1:/, 'L2H');
  const fig5bRoles = FIG5B_CONDITIONS.map((c) => `fig5b:${c}`);
  compare('fig5b', `Fig. 5b: clamping subcircuits of the only active head (${l2(headsFor(fig5bRoles).ih)})`, fig5bRoles, (x) => FIG5B_LABELS[x.split(':')[1] as keyof typeof FIG5B_LABELS], { xMax: 400_000 });
  const fig6: LearningTimePoint[] = [];
  const cond: Record<string, string> = { normal: 'normal training', match: 'C only (match)', 'layer1-copy': 'B only (Layer 1 + copy)', layer1: 'B, C (Layer 1)' };
  const runsOf6: string[] = [];
  const cells = [[50, 5], [100, 5], [200, 5], [50, 10], [50, 15]] as const;
  const roleOf6 = (x: string, c: number, l: number) => (x !== 'normal' && c === 50 && l === 5 ? `fig5b:${x}` : `fig6:${x}:${c}:${l}`);
  const roles6 = cells.flatMap(([c, l]) => Object.keys(cond).map((x) => roleOf6(x, c, l)));
  for (const [c, l] of cells)
    for (const x of Object.keys(cond)) {
      const r = run(roleOf6(x, c, l), roles6);
      if (!r) continue;
      const t = learnTime(r);
      runsOf6.push(r.id);
      if (l === 5) fig6.push({ x: c, seqs: t.seqs, learned: t.learned, group: `${cond[x]}, vary classes`, run: r.id });
      if (c === 50) fig6.push({ x: l, seqs: t.seqs, learned: t.learned, group: `${cond[x]}, vary labels`, run: r.id });
    }
  if (fig6.length) {
    const t6 = 'Fig. 6: learning time against # classes (L = 5) and # labels (50 classes)';
    const pts = (k: string) => fig6.filter((p) => p.group.endsWith(k)).map((p) => ({ ...p, group: p.group.replace(/, vary .*/, '') }));
    out.push({ id: 'fig6-classes', title: `${t6}: classes`, runs: [...new Set(runsOf6)], spec: learningTimeSpec(pts('vary classes'), { title: 'Fig. 6: learning time vs # classes (5 labels)', xTitle: '# classes', legendTitle: 'condition', logY: true }) });
    out.push({ id: 'fig6-labels', title: `${t6}: labels`, runs: [...new Set(runsOf6)], spec: learningTimeSpec(pts('vary labels'), { title: 'Fig. 6: learning time vs # labels (50 classes)', xTitle: '# labels', legendTitle: 'condition', logY: true }) });
  }
  compare('fig7', 'App. Fig. 7: grafting a frozen trained Layer 1 vs standard training', ['graft:5', 'graft:6', 'graft:7', 'main', 'seed:6:main', 'seed:7:main'], (x) =>
    x === 'main' ? 'standard, seed 5' : x.startsWith('graft') ? `graft from seed ${x.split(':')[1]}` : `standard, seed ${x.split(':')[1]}`,
    { xMax: 600_000 },
  );
  const l1 = (hs: string[]) => hs.map((h) => h.replace(/^0:/, 'L1H')).join(', ');
  const fig8Roles = ['fig5b:none', 'fig5b:pt', 'fig8:h6', 'fig8:ptgroup', 'fig8:all'];
  const h8 = headsFor(fig8Roles);
  compare('fig8', `App. Fig. 8: previous-token clamps on Layer-1 heads (only ${l2(h8.ih)})`, fig8Roles, (x) =>
    ({ 'fig5b:none': 'no clamp', 'fig5b:pt': l1([h8.pt]), 'fig8:h6': 'L1H6', 'fig8:ptgroup': `PT group: ${l1(h8.ptGroup)}`, 'fig8:all': 'all 8 L1 heads' })[x]!,
    { xMax: 800_000 },
  );
  const fig10 = e.fig10Data ?? e.fig10;
  if (fig10) {
    const t10 = `App. Fig. 10 right: eval-time clamps on the unclamped run (only ${l2(fig10.heads.ih)})`;
    const pts = fig10.points.flatMap((p) => [
      { seqs: p.seqs, head: 'PT-clamped loss', value: p.composite },
      { seqs: p.seqs, head: 'match-clamped loss', value: p.copy },
    ]);
    out.push({ id: 'fig10', title: t10, runs: [fig10.run], spec: headCurvesSpec(pts, { title: t10, yTitle: 'loss (dense set)', legendTitle: 'measure' }) });
  }
  for (const [set, label] of [
    ['fsl_train', 'train'],
    ['fsl_val_rl', 'test (relabel)'],
  ] as const)
    compare(`fig15-${set}`, `App. Fig. 15: match-clamp strength sweep on ${l2(headsFor(FIG15_STRENGTHS.map((_, i) => `fig15:${i}`)).ih)}, ${label} loss`, FIG15_STRENGTHS.map((_, i) => `fig15:${i}`), (x) => `2s−1 = ${(2 * FIG15_STRENGTHS[Number(x.split(':')[1])] - 1).toFixed(2)}`, { set, learningThreshold: false });
  if (e.seeds.length) {
    const t18 = 'App. Fig. 18: only-head accuracy against induction strength, across init seeds';
    // One colour per seed, 8 heads each (Fig. 18 pools the heads of every seed).
    const bySeed = { labels: false, colorTitle: 'init seed', shapeTitle: 'measure' };
    const acc = e.seeds.flatMap((x) => x.strength.map((strength, h) => ({ head: `seed ${x.seed}`, strength, value: x.onlyOne[h].acc, kind: 'only this head active' })));
    out.push({ id: 'fig18-accuracy', title: t18, runs: e.seeds.map((x) => x.run), spec: strengthScatterSpec(acc, { title: t18, yTitle: 'accuracy, only this head active', ...bySeed }) });
    // Learning time of the run trained with only that head active (Fig. 4b's runs, per seed).
    const times = e.seeds.flatMap((x) =>
      x.strength.flatMap((strength, h) => {
        const single = run(x.seed === 5 ? `only:${h}` : `seed:${x.seed}:only:${h}`);
        return single?.status === 'finished' ? [{ head: `seed ${x.seed}`, strength, value: learnTime(single).seqs, kind: 'trained with only this head' }] : [];
      }),
    );
    if (times.length) {
      const t = 'App. Fig. 18: learning time with only that head active, against its induction strength';
      out.push({ id: 'fig18-time', title: t, runs: e.seeds.map((x) => x.run), spec: strengthScatterSpec(times, { title: t, yTitle: 'learning time (sequences)', ...bySeed }) });
    }
  }
  compare('fig17', 'App. Fig. 17: L2H3 plus one other layer-2 head', ['main', ...[0, 1, 2, 4, 5, 6, 7].map((h) => `fig17:${h}`)], (x) => (x === 'main' ? 'All' : `L2H3 + ${headLabel(1, Number(x.split(':')[1]))}`));
  return out;
}
