/**
 * `opto runs ls|show|query`: the runs under a runs directory, one run in detail, and SQL over all of
 * them (DuckDB views `runs`, `metrics`, `checkpoints`; README "Run store").
 */
import type { Command } from 'commander';
import { RunDir, type RunRecord } from '@optoscope/engine';
import { oneOf } from '../args.js';
import { formatSummary } from '../format.js';

interface Common {
  runs: string;
  json?: boolean;
}

export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('list, inspect and query runs (README: "Run store")');

  runs
    .command('ls')
    .description('one line per run: status, progress, task, learning time')
    .option('--runs <dir>', 'runs directory', 'runs')
    .option('--sweep <name>', 'only the runs of this sweep')
    .option('--status <status>', 'only runs with this status (running, finished, failed, interrupted)', oneOf('running', 'finished', 'failed', 'interrupted'))
    .option('--json', 'one JSON array of run records')
    .action(async (o: Common & { sweep?: string; status?: string }) => {
      const { listRuns } = await import('@optoscope/engine/query');
      const found = listRuns(o.runs);
      // A run whose record cannot be read is named and skipped; the others are still listed.
      for (const r of found) if (!r.record) process.stderr.write(`warning: skipping ${r.id}: ${r.error}\n`);
      const all = found.filter((r): r is typeof r & { record: RunRecord } => r.record !== null && (!o.sweep || r.record.config.name === o.sweep) && (!o.status || r.record.status === o.status));
      if (o.json) return void process.stdout.write(JSON.stringify(all.map((r) => r.record)) + '\n');
      const rows = all.map((r) => lsRow(r.id, r.record));
      process.stdout.write(table(['run', 'status', 'progress', 'classes', 'labels', 'seed', 'learning time', 'final loss'], rows));
      process.stdout.write(`${all.length} run(s) in ${o.runs}\n`);
    });

  runs
    .command('show')
    .description('one run: record, checkpoints, latest metrics and summary')
    .argument('<run>', 'run ID, unique ID prefix, or run directory')
    .option('--runs <dir>', 'runs directory', 'runs')
    .option('--json', 'print run.json')
    .action(async (ref: string, o: Common) => {
      const { findRun } = await import('@optoscope/engine/query');
      const run = findRun(o.runs, ref);
      const rec = run.readRecord();
      if (o.json) return void process.stdout.write(JSON.stringify(rec) + '\n');
      process.stdout.write(showRun(run, rec) + '\n');
    });

  runs
    .command('query')
    .description('SQL over every run (DuckDB): views runs, metrics, checkpoints')
    .argument('<sql>', 'one SQL statement, e.g. "select labels, avg(learning_time) from runs group by labels"')
    .option('--runs <dir>', 'runs directory', 'runs')
    .option('--json', 'one JSON array of row objects')
    .option('--csv', 'CSV with a header line')
    .action(async (sql: string, o: Common & { csv?: boolean }) => {
      const { queryRuns } = await import('@optoscope/engine/query');
      const r = await queryRuns(o.runs, sql);
      if (o.json) return void process.stdout.write(JSON.stringify(r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])))) + '\n');
      if (o.csv) return void process.stdout.write([r.columns, ...r.rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n');
      process.stdout.write(table(r.columns, r.rows.map((row) => row.map(cell))));
      process.stdout.write(`${r.rows.length} row(s)\n`);
    });
}

function lsRow(id: string, r: RunRecord): string[] {
  const total = r.config.schedule.seqs;
  const pct = `${Math.floor((100 * r.progress.seqs) / total)}% of ${compact(total)}`;
  const lt = r.summary ? (r.summary.learned ? compact(r.summary.learning_time) : 'not learned') : '';
  const loss = r.summary?.final.fsl_train?.loss;
  return [id, r.status, pct, String(r.config.task.classSplit[0]), String(r.config.task.numLabels), String(r.seeds.init), lt, loss === undefined ? '' : loss.toFixed(4)];
}

function showRun(run: RunDir, r: RunRecord): string {
  const ckpts = run.listCheckpoints();
  const evals = run.readMetrics().filter((m) => m.kind === 'eval');
  const lastX = evals.length ? evals[evals.length - 1].seqs : null;
  const lines = [
    `run ${r.id} (${run.dir})`,
    `status      ${r.status}${r.error ? `: ${r.error}` : ''}`,
    `progress    ${r.progress.seqs.toLocaleString('en-US')} of ${r.config.schedule.seqs.toLocaleString('en-US')} sequences (step ${r.progress.step.toLocaleString('en-US')})`,
    `sweep       ${r.config.name ?? '-'}    preset ${r.config.preset ?? '-'}`,
    `task        ${r.config.task.classSplit[0]} classes, ${r.config.task.numLabels} labels; seeds init ${r.seeds.init}, train ${r.seeds.train}, eval ${r.seeds.eval}`,
    `backend     ${r.backend.used} (${r.backend.reason})`,
    `code        ${r.code.version}${r.code.git ? ` @ ${r.code.git}` : ''}; ${r.params.toLocaleString('en-US')} parameters; ${r.data.description}`,
    `created     ${r.created_at}   updated ${r.updated_at}`,
    `checkpoints ${ckpts.length}${ckpts.length ? ` (${compact(ckpts[0])} .. ${compact(ckpts[ckpts.length - 1])})` : ''}`,
  ];
  if (r.config.interventions) lines.push(`interventions ${JSON.stringify(r.config.interventions)}`);
  if (r.summary) lines.push(formatSummary(r.summary));
  else if (lastX !== null) {
    lines.push('', `latest eval at ${lastX.toLocaleString('en-US')} sequences:`);
    for (const m of evals.filter((e) => e.seqs === lastX)) lines.push(`  ${String(m.set).padEnd(16)} loss ${Number(m.loss).toFixed(4)}  acc ${Number(m.acc).toFixed(3)}`);
  }
  return lines.join('\n');
}

function compact(n: number): string {
  if (n >= 1e6 && n % 1e5 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 100 === 0) return `${n / 1e3}k`;
  return String(n);
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Number(v.toPrecision(6)).toString();
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function csvCell(v: unknown): string {
  const s = cell(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Left-aligned text columns, right-aligned numeric ones. */
function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = head.map((_, i) => rows.length > 0 && rows.every((r) => r[i] === '' || !Number.isNaN(Number(r[i]))));
  const fmt = (r: string[]) => r.map((c, i) => (numeric[i] ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd();
  return [fmt(head), ...rows.map(fmt)].join('\n') + '\n';
}
