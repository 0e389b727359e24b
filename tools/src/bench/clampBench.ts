/**
 * `opto bench --clamp`: the cost of training under each Fig. 5b clamp against the unclamped step, in one
 * run. Budget (issue): a clamped step costs at most (forward passes) × the unclamped step + 10%.
 */
import { DEFAULT_PRESET_HEADS, PRESETS } from '@optoscope/engine';
import { benchEngine } from './engineStep.js';

export interface ClampBenchRow {
  name: string;
  passes: number;
  ms: number;
  ratio: number;
  budget: number;
  withinBudget: boolean;
}

export function runClampBench(o: { steps: number; warmup: number; log?: (s: string) => void }): { baseline_ms: number; rows: ClampBenchRow[] } {
  const base = benchEngine({ backend: 'wasm', steps: o.steps, warmup: o.warmup }).msPerStep;
  const rows: ClampBenchRow[] = [];
  for (const name of Object.keys(PRESETS).filter((n) => n.startsWith('fig5b-'))) {
    o.log?.(`${name}...`);
    const spec = PRESETS[name].build(DEFAULT_PRESET_HEADS).interventions;
    const r = benchEngine({ backend: 'wasm', steps: o.steps, warmup: o.warmup, interventions: spec });
    const budget = r.passes * base * 1.1;
    rows.push({ name, passes: r.passes, ms: r.msPerStep, ratio: r.msPerStep / base, budget, withinBudget: r.msPerStep <= budget });
  }
  return { baseline_ms: base, rows };
}

export function formatClampBench(r: { baseline_ms: number; rows: ClampBenchRow[] }): string {
  const lines = [`unclamped step: ${r.baseline_ms.toFixed(3)} ms (wasm, batch 32)`, '', 'preset               passes   ms/step   × unclamped   budget (passes × 1.1)'];
  for (const x of r.rows)
    lines.push(
      `${x.name.padEnd(20)} ${String(x.passes).padStart(6)}   ${x.ms.toFixed(3).padStart(7)}   ${x.ratio.toFixed(2).padStart(11)}   ${x.budget.toFixed(3).padStart(7)} ms ${x.withinBudget ? 'ok' : 'OVER'}`,
    );
  return lines.join('\n');
}
