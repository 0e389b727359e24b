/**
 * `opto eval <run>`: evaluate a saved checkpoint on the run's four fixed eval sets, under the run's own
 * intervention spec or another one (`--clamp spec.json` and/or the shorthand flags); `--sequences` evaluates
 * sequences a user supplies instead (in the run's task format, as `opto data export` writes), `--record`
 * also writes every site's activations. Works on every task and model variant the engine trains.
 */
import type { Command } from 'commander';
import { DEFAULT_MODEL, evaluateRun, METRIC_NAMES, RunDir } from '@optoscope/engine';
import { nonNegativeInt } from '../args.js';
import { addClampOptions, clampSpec, type ClampFlags } from '../clampFlags.js';

interface EvalFlags extends ClampFlags {
  checkpoint?: number;
  sequences?: string;
  record?: string;
  json?: boolean;
}

export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description("evaluate a run's checkpoint on its eval sets, optionally under a different intervention spec")
    .argument('<run>', 'run directory')
    .option('--checkpoint <seqs>', 'checkpoint to load, in sequences (default the last)', nonNegativeInt)
    .option(
      '--sequences <file.npy>',
      'evaluate these sequences instead of the eval sets, int32/int64, one row per sequence in the run\'s task format (as opto data export writes): ' +
        "the paper's task [n, 6] x1 l1 x2 l2 xq target; k shots and bursty (k context pairs) [n, 2k+2] x1 l1 ... xk lk xq target " +
        '(x* rows of the feature table flattened to [classes*exemplars, dim], l* and target labels); repeated tokens (n prefix + m repeated) ' +
        '[n, n+m+1] p1 ... pn r1 ... rm target (token ids < task.numLabels); only the last token is scored, against target',
    )
    .option('--record <file.safetensors>', "also write every site's activations (all positions, every layer) over the evaluated sequences, keys <set>/<site>: [n, T, width], attention [n, H, T, T]")
    .option('--json', 'print the result as one JSON object on the last line');
  addClampOptions(cmd).action(async (dir: string, f: EvalFlags) => {
    // The run's own model shape: a clamp flag such as --only-head names heads of it.
    const model = { ...DEFAULT_MODEL, ...RunDir.open(dir).readRecord().config.model };
    const r = await evaluateRun(dir, { checkpoint: f.checkpoint, interventions: clampSpec(f, undefined, model), sequences: f.sequences, record: f.record });
    if (f.json) {
      process.stdout.write(JSON.stringify(r) + '\n');
      return;
    }
    const cols = METRIC_NAMES.filter((m) => !m.startsWith('out_context'));
    const w = Math.max(...Object.keys(r.metrics).map((k) => k.length));
    const lines = [`${r.run} @ ${r.checkpoint.toLocaleString('en-US')} sequences, interventions ${JSON.stringify(r.interventions)}`];
    if (r.sequences) lines.push(`sequences from ${r.sequences}`);
    if (r.recorded) lines.push(`site activations written to ${r.recorded}`);
    lines.push('');
    lines.push(`${'eval set'.padEnd(w)}  ${cols.map((c) => c.padStart(17)).join('')}`);
    for (const [set, m] of Object.entries(r.metrics)) lines.push(`${set.padEnd(w)}  ${cols.map((c) => m[c].toFixed(4).padStart(17)).join('')}`);
    process.stdout.write(lines.join('\n') + '\n');
  });
}
