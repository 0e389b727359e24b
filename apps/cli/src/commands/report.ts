/**
 * `opto report --runs <dir>`: the paper's reproduction checklist judged on the runs in <dir>, with every
 * figure as SVG: `<dir>/report/report.md`, `report.json` (what the dashboard's report page reads) and
 * `figures/*.svg`. Missing runs are listed with the sweep commands that train them.
 */
import * as path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { writeReport } from '@optoscope/engine/report';
import { sizeOrAll } from '../args.js';
import { addDataOptions, dataFileBlock, type DataFlags } from '../dataFlags.js';
import { RUNS_HELP, addCacheOption, readRuns, type CacheFlags } from '../runsFlags.js';

export function registerReport(program: Command): void {
  const cmd = program
    .command('report')
    .description("judge the paper's reproduction checklist on a runs directory and render its figures (<runs>/report/report.md)")
    .option('--runs <dir>', `${RUNS_HELP}: the one the paper sweeps wrote; with s3:// the report is written to <prefix>/report/ too`, 'runs')
    .option('--size <n|all>', 'dense-set subsample for the model analyses (default 4000; all = 78,400)', sizeOrAll)
    .option('--no-analyses', 'skip the model analyses (claims 3-8, 10-12, 18 are then reported missing)')
    .option('--json', 'print report.json to stdout instead of the claim table')
    .option('--role <role=run>', 'judge this run (a run directory, or a run ID under --runs) as the catalog role, e.g. fig5b:none=runs/my-none; repeatable', collectRole, {} as Record<string, string>);
  addCacheOption(cmd);
  addDataOptions(cmd, ': judge the runs trained on it (as `opto sweep --data` named them)')
    .action(async (o: DataFlags & CacheFlags & { runs: string; size?: number | 'all'; analyses: boolean; json?: boolean; role: Record<string, string> }) => {
      const log = (s: string) => process.stderr.write(s + '\n');
      const t0 = Date.now();
      const data = dataFileBlock(o);
      const { dir: runsDir, store } = await readRuns(o.runs, o);
      let written: Awaited<ReturnType<typeof writeReport>>;
      try {
        written = await writeReport(runsDir, { size: o.size, analyses: o.analyses, log, data, assign: o.role, location: store.spec.location === runsDir ? undefined : store.spec.location });
        // Into the bucket as well, where the dashboard's report page looks (a no-op for a runs directory).
        await store.publish(runsDir, 'report');
      } finally {
        store.close();
      }
      const { report, dir } = written;
      if (o.json) return void process.stdout.write(JSON.stringify(report) + '\n');
      process.stdout.write(`data: ${report.data?.description}\n`);
      const mark = { pass: 'pass', fail: 'FAIL', missing: 'missing' } as const;
      for (const c of report.claims) process.stdout.write(`${String(c.id).padStart(2)}  ${mark[c.status].padEnd(7)}  ${c.measured}\n`);
      const cmds = [...new Set(report.claims.flatMap((c) => c.commands))];
      if (cmds.length) process.stdout.write(`\nto produce what is missing:\n${cmds.map((c) => `  ${c}`).join('\n')}\n`);
      const s = report.summary;
      process.stdout.write(`\n${s.pass} pass, ${s.fail} fail, ${s.missing} missing; ${report.figures.length} figures; wrote ${path.join(dir, 'report.md')} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    });
}

/** `--role fig5b:none=runs/x`, repeated: one role each. */
function collectRole(arg: string, acc: Record<string, string>): Record<string, string> {
  const m = /^([^=]+)=(.+)$/.exec(arg);
  if (!m) throw new InvalidArgumentError(`expected <role>=<run>, e.g. fig5b:none=runs/my-none, got '${arg}'`);
  if (m[1] in acc) throw new InvalidArgumentError(`role ${m[1]} given twice`);
  return { ...acc, [m[1]]: m[2] };
}
