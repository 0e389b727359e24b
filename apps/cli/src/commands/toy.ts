/** `opto toy`: the toy model of phase changes (spec 6, paper Fig. 5a): iterations to 1% of the initial loss per clamp condition. */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  TOY_CONDITIONS,
  TOY_CONDITION_LABELS,
  itersToFraction,
  makeDirs,
  renderSvg,
  runToy,
  toyLossSpec,
  writeFileAtomic,
  type ToyCondition,
  type ToySeries,
} from '@optoscope/engine';
import { nonNegativeInt, positiveInt } from '../args.js';

function seedList(value: string): number[] {
  const seeds = value.split(',').map((s) => s.trim());
  if (seeds.length === 0 || seeds.some((s) => !/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))))
    throw new InvalidArgumentError(`expected comma-separated non-negative integers, got '${value}'`);
  return seeds.map(Number);
}

/**
 * A figure file may be written at `out`: .svg or .json only (the bytes match the name), not over an
 * existing file unless `force`, and never inside a run directory, whose files are the run's record.
 */
function checkFigureOut(out: string, force: boolean): void {
  const ext = path.extname(out).toLowerCase();
  if (ext !== '.svg' && ext !== '.json') throw new Error(`--out ${out}: the figure is written as .svg (or its Vega-Lite spec as .json), not '${ext || '(no extension)'}'`);
  const abs = path.resolve(out);
  if (fs.existsSync(abs)) {
    if (fs.statSync(abs).isDirectory()) throw new Error(`--out ${out} is a directory`);
    if (!force) throw new Error(`--out ${out} already exists; pass --force to replace it (nothing was changed)`);
  }
  for (let d = path.dirname(abs); ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'run.json'))) throw new Error(`--out ${out} is inside the run directory ${d}; write figures elsewhere (nothing was changed)`);
    if (path.dirname(d) === d) break;
  }
}

interface ToyRow {
  seed: number;
  condition: ToyCondition;
  /** First iteration with loss ≤ 1% of the initial loss; null if not reached within `iters`. */
  iters_to_1pct: number | null;
  initial_loss: number;
  final_loss: number;
}

export function registerToy(program: Command): void {
  program
    .command('toy')
    .description('toy model of phase changes (spec 6, Fig. 5a): a rank-1 tensor learned with no clamp, c clamped, b and c clamped')
    .option('--seed <n>', 'seed', nonNegativeInt, 1)
    .option('--seeds <list>', 'several seeds, e.g. 1,2,3 (overrides --seed)', seedList)
    .option('--iters <n>', 'gradient-descent iterations', positiveInt, 1000)
    .option('--json', 'print the result as one JSON line')
    .option('--out <file>', 'write the loss-vs-iteration figure (.svg; .json writes the Vega-Lite spec)')
    .option('--force', 'replace an existing --out file')
    .action(async (o: { seed: number; seeds?: number[]; iters: number; json?: boolean; out?: string; force?: boolean }) => {
      // Checked before the model runs: a bad --out costs nothing and changes nothing.
      if (o.out) checkFigureOut(o.out, o.force ?? false);
      const seeds = o.seeds ?? [o.seed];
      const rows: ToyRow[] = [];
      const series: ToySeries[] = [];
      for (const seed of seeds)
        for (const condition of TOY_CONDITIONS) {
          const r = runToy({ seed, condition, iters: o.iters });
          series.push({ condition, seed, ...r });
          rows.push({ seed, condition, iters_to_1pct: itersToFraction(r.loss, 0.01), initial_loss: r.loss[0]!, final_loss: r.loss[r.loss.length - 1]! });
        }
      if (o.json) process.stdout.write(JSON.stringify({ iters: o.iters, rows }) + '\n');
      else {
        const fmt = (t: number | null): string => (t === null ? `>${o.iters}` : String(t));
        process.stdout.write(`iterations to 1% of the initial loss (dim 20, lr 1, ${o.iters} iterations)\n`);
        process.stdout.write(['seed', ...TOY_CONDITIONS.map((c) => TOY_CONDITION_LABELS[c])].map((s) => s.padStart(12)).join('') + '\n');
        for (const seed of seeds)
          process.stdout.write(
            [String(seed), ...TOY_CONDITIONS.map((c) => fmt(rows.find((r) => r.seed === seed && r.condition === c)!.iters_to_1pct))]
              .map((s) => s.padStart(12))
              .join('') + '\n',
          );
      }
      if (o.out) {
        const spec = toyLossSpec(series, { title: 'Toy model: loss under clamping (Fig. 5a)' });
        const text = o.out.endsWith('.json') ? JSON.stringify(spec, null, 2) + '\n' : await renderSvg(spec);
        makeDirs(path.dirname(path.resolve(o.out)), `--out ${o.out}`);
        writeFileAtomic(o.out, text);
        if (!o.json) process.stdout.write(`wrote ${o.out}\n`);
      }
    });
}
