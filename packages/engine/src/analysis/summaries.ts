/**
 * Terminal summaries of the analyses (`opto analyze --what X` without --json): a few lines a researcher reads
 * at a glance, the stored JSON holding everything. One function per analysis, named in registry.ts.
 */
import type { AblationVsStrength, AdditivityCurve, RedundancyTable } from './ablation.js';
import type { LayerToOutputPoint, ProgressPoint } from './progress.js';
import type { CompositionScores, WiringMatrices } from './wiring.js';
import type { HeadLayers } from './heads.js';
import { isEmptySpec, type InterventionSpec } from '../interventions/spec.js';

const fmt = (xs: readonly number[], digits = 3) => xs.map((x) => x.toFixed(digits)).join(' ');
const seqsCol = (seqs: number) => String(seqs).padStart(9);

/** About ten points of a curve, always with its last. */
export function thin<T>(pts: readonly T[]): T[] {
  const every = Math.max(1, Math.floor(pts.length / 10));
  return pts.filter((_, i) => i % every === 0 || i === pts.length - 1);
}

/** A matrix with row and column labels, signed to 3 decimals. */
function matrix(title: string, m: readonly (readonly number[])[], row: string, col: string): string[] {
  const cell = (x: number) => (x >= 0 ? ' ' : '') + x.toFixed(3);
  const header = `${''.padStart(5)} ${m[0]?.map((_, j) => `${col}${j}`.padStart(6)).join(' ') ?? ''}`;
  return [title, header, ...m.map((r, i) => `${`${row}${i}`.padEnd(5)} ${r.map((x) => cell(x).padStart(6)).join(' ')}`)];
}

export function summarizeStrength(r: unknown): string {
  return thin(r as { seqs: number; strength: number[] }[])
    .map((p) => `${seqsCol(p.seqs)}  ${fmt(p.strength)}`)
    .join('\n');
}

export function summarizeAblation(r: unknown): string {
  const x = r as AblationVsStrength;
  return [
    `unablated: loss ${x.full.loss.toFixed(4)}, acc ${x.full.acc.toFixed(4)}`,
    'head  strength  acc(ablate only h)  acc(only h active)',
    ...x.strength.map((s, h) => `${String(h).padStart(4)}  ${s.toFixed(3).padStart(8)}  ${x.ablateOne[h].acc.toFixed(4).padStart(18)}  ${x.onlyOne[h].acc.toFixed(4).padStart(18)}`),
  ].join('\n');
}

export function summarizeRedundancy(r: unknown): string {
  const { computed, perfectMatch } = r as { computed: RedundancyTable; perfectMatch: RedundancyTable };
  const table = (name: string, t: RedundancyTable) => [
    `${name}: reference head ${t.reference} (${t.referenceMistakes} mistakes)`,
    'head  acc(only h)  mistakes  fixes of the reference',
    ...t.rows.map((row) => `${String(row.head).padStart(4)}  ${row.acc.toFixed(4).padStart(11)}  ${String(row.mistakes).padStart(8)}  ${Number.isNaN(row.fixedFraction) ? '-' : row.fixedFraction.toFixed(3)}`),
  ];
  return [...table('computed match (Table 2)', computed), '', ...table('perfect match (Table 3)', perfectMatch)].join('\n');
}

export function summarizeAdditivity(r: unknown): string {
  const { fromStrongest, withoutStrongest } = r as { fromStrongest: AdditivityCurve; withoutStrongest: AdditivityCurve };
  const curve = (name: string, c: AdditivityCurve) => [
    `${name} (order ${c.order.join(' ')}; all heads: loss ${c.full.loss.toFixed(4)}, acc ${c.full.acc.toFixed(4)})`,
    ...c.steps.map((s) => `  heads ${s.heads.join(',').padEnd(16)} loss ${s.loss.toFixed(4)}  acc ${s.acc.toFixed(4)}`),
  ];
  return [...curve('from the strongest', fromStrongest), ...curve('without the strongest', withoutStrongest)].join('\n');
}

export function summarizeWiring(r: unknown): string {
  const x = r as { matrices: WiringMatrices; composition: CompositionScores; clamp: string; spec: InterventionSpec; layers?: HeadLayers };
  const model = x.clamp === 'none' ? 'the checkpoint unclamped' : isEmptySpec(x.spec) ? 'the run as trained (no clamps)' : "the run's own clamps";
  const [w, rd] = x.layers ? [`layer ${x.layers.prevToken + 1}`, `layer ${x.layers.induction + 1}`] : ['the first layer', 'the last layer'];
  const m = x.matrices;
  return [
    `wiring of ${w} (writers, columns) into ${rd} (readers, rows), model: ${model}`,
    `acc(only reader h): ${fmt(m.baseline)}`,
    ...matrix('M^pv: Δacc, ablating writer j with values preserved', m.Mpv, 'r', 'w'),
    ...matrix('M^pp: Δacc, ablating writer j with patterns preserved', m.Mpp, 'r', 'w'),
    ...matrix('K-composition (weights)', x.composition.k, 'r', 'w'),
  ].join('\n');
}

export function summarizeLayerOutput(r: unknown): string {
  return [
    `${'seqs'.padStart(9)}  clean loss  Δ no layer-1 direct  Δ no layer 2`,
    ...thin(r as LayerToOutputPoint[]).map((p) => `${seqsCol(p.seqs)}  ${p.clean.toFixed(4).padStart(10)}  ${p.dNoL1Direct.toFixed(4).padStart(19)}  ${p.dNoL2.toFixed(4).padStart(12)}`),
  ].join('\n');
}

export function summarizeProgress(r: unknown): string {
  return thin(r as ProgressPoint[])
    .map((p) => `${seqsCol(p.seqs)}  ${Object.entries(p.values).map(([name, v]) => `${name} loss ${v.loss.toFixed(4)} acc ${v.acc.toFixed(4)}`).join('  ')}`)
    .join('\n');
}

export function summarizeInductionScore(r: unknown): string {
  return (r as { seqs: number; repeat: number; shuffled: number; score: number }[])
    .map((p) => `${seqsCol(p.seqs)}  repeat ${p.repeat.toFixed(3)}  shuffled ${p.shuffled.toFixed(3)}  score ${p.score.toFixed(3)}`)
    .join('\n');
}

export function summarizePrefixMatching(r: unknown): string {
  return (r as { seqs: number; prefixMatching: number[][]; prevToken: number[][] }[])
    .map((p) => `${seqsCol(p.seqs)}  ${p.prefixMatching.map((row, l) => `L${l + 1} pm ${fmt(row)} | pt ${fmt(p.prevToken[l])}`).join('  ')}`)
    .join('\n');
}
