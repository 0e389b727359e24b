/**
 * Named sweeps (`opto sweep paper-main`). `paper-main` is the paper's main set (spec section 7, "Main
 * paper"; the 32 runs of `ih_paper_runs.sh`, spec 9), built from the run presets of `presets.ts`:
 *
 *   Fig. 3         the main run (also "All" in Fig. 4b)                                  1 × 10⁶
 *   Fig. 4b        only layer-2 head h active, h = 0..7                                  8 × 10⁶
 *   Fig. 5b        the six clamp conditions of spec 4.11                                 6 × 6×10⁵
 *   Fig. 6 col. 1  normal training, only L2H3: 50/100/200 classes (L = 5), L = 10/15     5 × 2×10⁶
 *   Fig. 6 col. 2-4  perfect Layer 1 + copy / match / perfect Layer 1, for the four
 *                  non-default (classes, labels) cells (50/5 reuses Fig. 5b)             12 × 3×10⁵
 *
 * Clamped heads are seed 5's (L2H3, L1H2), as in the paper.
 */
import type { RunConfigInput } from '../config.js';
import type { SweepSpecInput } from './spec.js';

/** Training classes N → classSplit [N, 1623 − 100 − N, 100] (the test classes are always the last 100). */
export function classSplitFor(classes: number): [number, number, number] {
  return [classes, 1623 - 100 - classes, 100];
}

const task = (classes: number, labels: number) => ({ classSplit: classSplitFor(classes), numLabels: labels });
const HEADS = [0, 1, 2, 3, 4, 5, 6, 7];
const FIG5B = ['none', 'pt', 'layer1', 'match', 'copy', 'layer1-copy'];
/** Fig. 6's (classes, labels) cells other than the default 50/5. */
const FIG6_CELLS: [number, number][] = [
  [100, 5],
  [200, 5],
  [50, 10],
  [50, 15],
];

const paperMain: RunConfigInput[] = [
  { preset: 'main' },
  ...HEADS.map((h) => ({ preset: `only-L2H${h}` })),
  ...FIG5B.map((c) => ({ preset: `fig5b-${c}` })),
  // The long runs need resume points, not the 100 checkpoints the progress measures sample.
  ...[[50, 5] as [number, number], ...FIG6_CELLS].map(([c, l]) => ({ preset: 'only-L2H3', task: task(c, l), schedule: { seqs: 2_000_000, ckptEvery: 50_000 } })),
  ...FIG6_CELLS.flatMap(([c, l]) => ['layer1-copy', 'match', 'layer1'].map((x) => ({ preset: `fig5b-${x}`, task: task(c, l), schedule: { seqs: 300_000 } }))),
];

export const SWEEP_PRESETS: Record<string, { description: string; spec: SweepSpecInput }> = {
  'paper-main': {
    description: "the paper's main set (spec 7): Figs. 3, 4b, 5b and 6, 32 runs, 26.2e6 sequences",
    spec: { name: 'paper-main', description: "spec section 7, main paper (ih_paper_runs.sh)", variants: paperMain },
  },
  'fig18-seeds': {
    description: 'Fig. 18 (and App. Fig. 7): the main run and the 8 single-head runs for init seeds 6-9, 36 runs',
    spec: { name: 'fig18-seeds', variants: [{ preset: 'main' }, ...HEADS.map((h) => ({ preset: `only-L2H${h}` }))], seeds: [6, 7, 8, 9] },
  },
  smoke: {
    description: '4 tiny runs (3,200 sequences each: # labels 5/10 × init seeds 5/6), for checking an installation',
    spec: {
      name: 'smoke',
      base: { preset: 'smoke', schedule: { seqs: 3200, evalEvery: 640, ckptEvery: 640, evalSize: 100 } },
      grid: { 'task.numLabels': [5, 10] },
      seeds: [5, 6],
    },
  },
};
