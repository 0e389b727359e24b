/**
 * `opto eval <run>`: evaluate a saved checkpoint on the run's four fixed eval sets, under the run's own
 * intervention spec or another one (`--clamp spec.json` and/or the shorthand flags).
 */
import type { Command } from 'commander';
import { evaluateLoaded, loadRun, METRIC_NAMES } from '@optoscope/engine';
import { nonNegativeInt } from '../args.js';
import { addClampOptions, clampSpec, type ClampFlags } from '../clampFlags.js';

interface EvalFlags extends ClampFlags {
  checkpoint?: number;
  json?: boolean;
}

export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description("evaluate a run's checkpoint on its eval sets, optionally under a different intervention spec")
    .argument('<run>', 'run directory')
    .option('--checkpoint <seqs>', 'checkpoint to load, in sequences (default the last)', nonNegativeInt)
    .option('--json', 'print the result as one JSON object on the last line');
  addClampOptions(cmd).action(async (dir: string, f: EvalFlags) => {
    const run = await loadRun(dir, { checkpoint: f.checkpoint });
    const r = evaluateLoaded(run, clampSpec(f, undefined, run.params.config));
    if (f.json) {
      process.stdout.write(JSON.stringify(r) + '\n');
      return;
    }
    const cols = METRIC_NAMES.filter((m) => !m.startsWith('out_context'));
    const w = Math.max(...Object.keys(r.metrics).map((k) => k.length));
    const lines = [`${r.run} @ ${r.checkpoint.toLocaleString('en-US')} sequences, interventions ${JSON.stringify(r.interventions)}`, ''];
    lines.push(`${'eval set'.padEnd(w)}  ${cols.map((c) => c.padStart(17)).join('')}`);
    for (const [set, m] of Object.entries(r.metrics)) lines.push(`${set.padEnd(w)}  ${cols.map((c) => m[c].toFixed(4).padStart(17)).join('')}`);
    process.stdout.write(lines.join('\n') + '\n');
  });
}
