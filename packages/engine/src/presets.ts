/**
 * Named run presets: the paper's runs (spec section 7) as configs. Presets that clamp a particular head
 * take the heads as parameters: seed 5's induction head L2H3 ("1:3") and previous-token head L1H2
 * ("0:2") by default, or the heads picked from a finished unclamped run of another seed
 * (`opto train --preset fig5b-match --heads-from <run>`, pitfall 10).
 */
import { ConfigError, type RunConfigInput } from './config.js';
import { onlyHead } from './interventions/clamps/ablate.js';
import { ablateAllBut, type InterventionSpecInput } from './interventions/spec.js';
import { headLabel } from './interventions/heads.js';
import { TASK_PRESETS } from './taskPresets.js';

export { onlyHead };

export interface PresetHeads {
  /** The induction head to keep/clamp (last layer), "layer:head". */
  ih: string;
  /** The previous-token head to clamp (first layer), "layer:head". */
  pt: string;
  /** The previous-token heads as a group (first layer), for App. Fig. 8's "true PT heads" clamp. */
  ptGroup: string[];
}

export const DEFAULT_PRESET_HEADS: PresetHeads = { ih: '1:3', pt: '0:2', ptGroup: ['0:1', '0:2', '0:5'] };
const N_HEADS = 8;

export interface Preset {
  description: string;
  /** The run's label in the paper's figure legend (e.g. Fig. 5b's "1, 2, 3qk, 4"), for overlays. */
  legend?: string;
  /** Does the preset clamp or keep particular heads (so --heads-from applies)? */
  usesHeads: boolean;
  build(heads: PresetHeads): RunConfigInput;
}

/** Fig. 5b (spec 4.11): 6×10⁵ sequences, eval every 1000; what each condition clamps. */
const FIG5B: Record<string, { short: string; legend: string; spec: (h: PresetHeads) => InterventionSpecInput }> = {
  none: { short: 'None', legend: 'None: only the induction head trains (A, B, C learn)', spec: (h) => ({ ablate: onlyHead(h.ih) }) },
  pt: { short: '1 (PT clamp)', legend: '"1": previous-token attention clamped (step 2, B, C learn)', spec: (h) => ({ ablate: onlyHead(h.ih), prevToken: { heads: [h.pt] } }) },
  layer1: { short: '1, 2 (perfect Layer 1)', legend: '"1, 2": perfect Layer 1 (B, C learn)', spec: (h) => ({ ablate: onlyHead(h.ih), perfectLayer1: true }) },
  match: { short: '1, 2, 3qk, 4 (match)', legend: '"1, 2, 3qk, 4": match clamp (C learns)', spec: (h) => ({ ablate: onlyHead(h.ih), match: { heads: [h.ih] } }) },
  copy: { short: '3v, 5 (perfect copy)', legend: '"3v, 5": perfect copy (A, B learn)', spec: (h) => ({ perfectCopy: { head: h.ih } }) },
  'layer1-copy': { short: '1, 2, 3v, 5 (Layer 1 + copy)', legend: '"1, 2, 3v, 5": perfect Layer 1 + copy (B learns)', spec: (h) => ({ perfectLayer1: true, perfectCopy: { head: h.ih } }) },
};

/** App. Fig. 8's previous-token clamp variants. */
const FIG8: Record<string, { short: string; legend: string; heads: (h: PresetHeads) => string[] }> = {
  h6: { short: 'PT clamp on L1H6', legend: 'L1H6 (a partial previous-token head for seed 5)', heads: () => ['0:6'] },
  ptgroup: { short: 'PT clamp on the PT group', legend: 'the previous-token group (seed 5: {L1H1, L1H2, L1H5})', heads: (h) => h.ptGroup },
  all: { short: 'PT clamp on all layer-1 heads', legend: 'all eight layer-1 heads', heads: () => Array.from({ length: N_HEADS }, (_, j) => `0:${j}`) },
};

export const PRESETS: Record<string, Preset> = {
  main: {
    description:
      'Fig. 3 main run (omniglot50_rl5): 50 classes, 5 labels, 1e6 sequences, eval every 5000; checkpoints every 1e4 (100, what spec 5 samples) instead of 1e3',
    legend: 'no clamp',
    usesHeads: false,
    build: () => ({ preset: 'main' }),
  },
  smoke: {
    description: 'A 20k-sequence run for checking an installation (seconds)',
    usesHeads: false,
    build: () => ({ preset: 'smoke', schedule: { seqs: 20_000, evalEvery: 2000, ckptEvery: 10_000, evalSize: 200 } }),
  },
  ...Object.fromEntries(
    Array.from({ length: N_HEADS }, (_, h) => [
      `only-${headLabel(1, h)}`,
      {
        description: `Fig. 4b: only layer-2 head ${h} ("1:${h}") active, the other seven ablated throughout; 1e6 sequences, eval every 5000`,
        legend: `only ${headLabel(1, h)}`,
        usesHeads: false,
        build: (): RunConfigInput => ({ preset: `only-${headLabel(1, h)}`, interventions: { ablate: onlyHead(`1:${h}`) } }),
      } satisfies Preset,
    ]),
  ),
  ...Object.fromEntries(
    Object.entries(FIG5B).map(([name, c]) => [
      `fig5b-${name}`,
      {
        description: `Fig. 5b ${c.legend}; 6e5 sequences, eval every 1000`,
        legend: c.short,
        usesHeads: true,
        build: (h: PresetHeads): RunConfigInput => ({
          preset: `fig5b-${name}`,
          schedule: { seqs: 600_000, evalEvery: 1000, ckptEvery: 6000 },
          interventions: c.spec(h),
        }),
      } satisfies Preset,
    ]),
  ),
  // Appendix (spec 7).
  ...Object.fromEntries(
    Object.entries(FIG8).map(([name, v]) => [
      `fig8-${name}`,
      {
        description: `App. Fig. 8: previous-token attention clamped on ${v.legend}, only the induction head active; 8e5 sequences, eval every 5000`,
        legend: v.short,
        usesHeads: true,
        build: (h: PresetHeads): RunConfigInput => ({
          preset: `fig8-${name}`,
          schedule: { seqs: 800_000, evalEvery: 5000, ckptEvery: 100_000 },
          interventions: { ablate: onlyHead(h.ih), prevToken: { heads: v.heads(h) } },
        }),
      } satisfies Preset,
    ]),
  ),
  fig15: {
    description: 'App. Fig. 15: match clamp on the induction head at strength s (default 1; set interventions.match.strength), no head ablation; 6e5 sequences, eval every 5000',
    usesHeads: true,
    build: (h) => ({ preset: 'fig15', schedule: { seqs: 600_000, evalEvery: 5000, ckptEvery: 100_000 }, interventions: { match: { heads: [h.ih], strength: 1 } } }),
  },
  ...Object.fromEntries(
    Array.from({ length: N_HEADS }, (_, h) => h)
      .filter((h) => h !== 3)
      .map((h) => [
        `fig17-${headLabel(1, h)}`,
        {
          description: `App. Fig. 17: layer-2 heads 3 and ${h} active, the other six ablated throughout; 1e6 sequences, eval every 5000`,
          legend: `L2H3 + ${headLabel(1, h)}`,
          usesHeads: false,
          build: (): RunConfigInput => ({ preset: `fig17-${headLabel(1, h)}`, schedule: { ckptEvery: 100_000 }, interventions: { ablate: ablateAllBut(1, N_HEADS, [3, h]) } }),
        } satisfies Preset,
      ]),
  ),
  'fig7-graft': {
    description: 'App. Fig. 7 graft run: give the donor with --graft <checkpoint> (its Layer 1 is frozen in); 8e5 sequences, eval every 1000',
    legend: 'Layer 1 grafted',
    usesHeads: false,
    build: () => ({ preset: 'fig7-graft', schedule: { seqs: 800_000, evalEvery: 1000, ckptEvery: 100_000 } }),
  },
};

export function presetConfig(name: string, heads: PresetHeads = DEFAULT_PRESET_HEADS): RunConfigInput {
  const p = PRESETS[name];
  // The task presets of issue 23 train other tasks, so they stay out of PRESETS (the paper's catalogue,
  // which sweeps, the dashboard and benches vary over the paper's task).
  const t = TASK_PRESETS[name];
  if (!p && t) return { preset: name, ...structuredClone(t.config) };
  if (!p) throw new ConfigError(`unknown preset '${name}'; available: ${[...Object.keys(PRESETS), ...Object.keys(TASK_PRESETS)].join(', ')}`);
  return p.build(heads);
}
