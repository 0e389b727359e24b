/**
 * `opto check induction <run>` and `opto check bursty <bursty run> <non-bursty run>`: the claims the task
 * presets of issue 23 reproduce (engine analysis/taskChecks.ts), judged on the runs' metrics, one line
 * per claim with the numbers; exit status 1 when a claim fails.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import {
  burstyFigures,
  checkBurstyIcl,
  inductionFigures,
  renderSvg,
  writeFileAtomic,
  type NamedFigure,
  checkInductionPhaseChange,
  finalRepeatHeadScores,
  parseRunConfig,
  repeatOf,
  RunDir,
  taskKind,
  type TaskVerdict,
} from '@optoscope/engine';

interface CheckFlags {
  json?: boolean;
  figures?: string;
}

/** Render the figures as SVG files into `dir` (created), each written atomically. */
async function writeFigures(dir: string | undefined, figs: NamedFigure[]): Promise<void> {
  if (dir === undefined) return;
  fs.mkdirSync(dir, { recursive: true });
  for (const f of figs) {
    writeFileAtomic(path.join(dir, f.file), await renderSvg(f.spec));
    process.stderr.write(`wrote ${path.join(dir, f.file)}\n`);
  }
}

function openRun(dir: string, kind: string) {
  const run = RunDir.open(dir);
  const config = parseRunConfig(run.readRecord().config, `${run.recordFile} config`);
  if (taskKind(config.task) !== kind) throw new Error(`${dir} trains task.kind '${taskKind(config.task)}', this check needs a '${kind}' run`);
  return { run, config };
}

function report(verdicts: TaskVerdict[], f: CheckFlags): void {
  if (f.json) process.stdout.write(JSON.stringify(verdicts) + '\n');
  else for (const v of verdicts) process.stdout.write(`${v.ok ? 'PASS' : 'FAIL'}  ${v.claim}\n      ${v.measured}\n`);
  if (verdicts.some((v) => !v.ok)) process.exitCode = 1;
}

export function registerCheck(program: Command): void {
  const check = program.command('check').description("judge the claims of issue 23's task presets on their runs (README: Beyond the paper)");
  check
    .command('induction')
    .description("Olsson et al.: the induction-head phase change of an 'olsson-induction' run")
    .argument('<run>', 'run directory of a repeatTokens run')
    .option('--json', 'the verdicts as one JSON line')
    .option('--figures <dir>', 'also write the figure (SVG) into this directory')
    .action(async (dir: string, f: CheckFlags) => {
      const { run, config } = openRun(dir, 'repeatTokens');
      const { prefixLength: n, repeatLength: m } = repeatOf(config.task);
      // The mechanism claim reads the final checkpoint's heads on the run's own repeat eval set.
      const heads = (await finalRepeatHeadScores(run, config)) ?? undefined;
      const rows = run.readMetrics();
      await writeFigures(f.figures, inductionFigures(rows, n, m));
      report(checkInductionPhaseChange(rows, n, m, heads), f);
    });
  check
    .command('bursty')
    .description('Chan et al. / Reddy: ICL on held-out classes with bursty training data and not without')
    .argument('<bursty-run>', "run directory of a 'bursty-icl' run")
    .argument('<non-bursty-run>', "run directory of a 'nonbursty-icl' run")
    .option('--json', 'the verdicts as one JSON line')
    .option('--figures <dir>', 'also write the figures (SVG) into this directory')
    .action(async (a: string, b: string, f: CheckFlags) => {
      const x = openRun(a, 'bursty').run.readMetrics();
      const y = openRun(b, 'bursty').run.readMetrics();
      await writeFigures(f.figures, burstyFigures(x, y));
      report(checkBurstyIcl(x, y), f);
    });
}
