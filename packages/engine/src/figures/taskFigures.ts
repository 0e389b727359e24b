/**
 * The figures of issue 23's task presets (`opto check ... --figures <dir>`), from the runs' metric rows,
 * built with the paper figures' own builders.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { MetricRow } from '../store/runDir.js';
import { lossCurvesSpec, runComparisonSpec } from './lossCurves.js';

export interface NamedFigure {
  file: string;
  spec: TopLevelSpec;
}

/** Olsson et al.: the repeated-token losses (plateau, drop) against the shuffled control's. */
export function inductionFigures(rows: readonly MetricRow[], n: number, m: number): NamedFigure[] {
  return [
    {
      file: 'induction-phase-change.svg',
      spec: lossCurvesSpec(rows, {
        sets: ['repeat', 'repeat_shuffled'],
        ln2: false,
        numLabels: n - m,
        title: 'Repeated random tokens: loss during training',
        subtitle: `the induction-head phase change; dashed: ln ${n - m}, a guess among the context's tokens`,
      }),
    },
  ];
}

/** Chan et al. / Reddy: in-context accuracy on held-out classes and in-weights accuracy, bursty against not. */
export function burstyFigures(bursty: readonly MetricRow[], nonBursty: readonly MetricRow[]): NamedFigure[] {
  const runs = [
    { label: 'bursty (pBursty 0.9)', rows: bursty },
    { label: 'non-bursty', rows: nonBursty },
  ];
  return [
    {
      file: 'bursty-icl-holdout.svg',
      spec: runComparisonSpec(runs, { set: 'icl_holdout', metric: 'in_context_acc', ln2: false, yTitle: 'in-context accuracy, held-out classes', title: 'In-context learning on held-out classes', subtitle: 'chance 0.5', legendTitle: 'training data' }),
    },
    {
      file: 'bursty-iwl-common.svg',
      spec: runComparisonSpec(runs, { set: 'iwl_common', metric: 'acc', ln2: false, yTitle: 'accuracy, query absent from context', title: 'In-weights learning of the common classes', legendTitle: 'training data' }),
    },
  ];
}
