/**
 * `opto runs ls|show|query|export|tag|note`: the runs under a runs directory, one run in detail, SQL over
 * all of them (DuckDB views `runs`, `metrics`, `checkpoints`, `tags`, `notes`; README "Run store"), the
 * metric rows of selected runs as one CSV, Parquet or JSON-lines file, and the user's tags and note on a
 * run (its tags.json sidecar).
 */
import type { Command } from 'commander';
import {
  RunDir,
  describeStaleness,
  formatTags,
  noteRun,
  parseTagFilter,
  readHeartbeat,
  readRunTags,
  resumeCommand,
  runStaleness,
  tagRun,
  type RunRecord,
  type RunTags,
  type Staleness,
} from '@optoscope/engine';
import { oneOf } from '../args.js';
import { formatSummary } from '../format.js';
import { RUNS_HELP, addCacheOption, readRuns, type CacheFlags } from '../runsFlags.js';

interface Common extends CacheFlags {
  runs: string;
  json?: boolean;
}

export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('list, inspect and query runs (README: "Run store")');

  addCacheOption(runs
    .command('ls'))
    .description('one line per run: status, progress, task, learning time')
    .option('--runs <dir>', RUNS_HELP, 'runs')
    .option('--sweep <name>', 'only the runs of this sweep')
    .option('--status <status>', 'only runs with this status (running, stale, finished, failed, interrupted); running includes stale runs', oneOf('running', 'stale', 'finished', 'failed', 'interrupted'))
    .option('--tag <key=value>', 'only runs with this tag (repeatable: all must match)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--json', 'one JSON array of run records (with their tags and note)')
    .action(async (o: Common & { sweep?: string; status?: string; tag: string[] }) => {
      const { listRuns } = await import('@optoscope/engine/query');
      const want = o.tag.map(parseTagFilter);
      const { dir, store } = await readRuns(o.runs, o, 'records');
      store.close();
      const found = listRuns(dir, o.runs);
      // A run whose record cannot be read is named and skipped; the others are still listed.
      for (const r of found) if (!r.record) process.stderr.write(`warning: skipping ${r.id}: ${r.error}\n`);
      const status = (r: { record: RunRecord | null; stale: Staleness | null }) => (r.stale ? 'stale' : r.record?.status);
      const all = found
        .filter((r): r is typeof r & { record: RunRecord } => r.record !== null && (!o.sweep || r.record.config.name === o.sweep) && (!o.status || status(r) === o.status || r.record.status === o.status))
        .map((r) => ({ ...r, labels: tagsOf(r.dir) }))
        .filter((r) => want.every(([k, v]) => !('error' in r.labels) && r.labels.tags[k] === v));
      if (o.json)
        return void process.stdout.write(JSON.stringify(all.map((r) => ({ ...r.record, stale: r.stale, ...('error' in r.labels ? { tagsError: r.labels.error } : r.labels) }))) + '\n');
      const rows = all.map((r) => [...lsRow(r.id, r.record, r.stale), ...tagCells(r.labels)]);
      process.stdout.write(table(['run', 'status', 'progress', 'classes', 'labels', 'seed', 'learning time', 'final loss', 'tags', 'note'], rows));
      for (const r of all) if (r.stale) process.stdout.write(`${r.id}: ${describeStaleness(r.stale)}; resume with: ${r.stale.resume}\n`);
      process.stdout.write(`${all.length} run(s) in ${o.runs}\n`);
    });

  addCacheOption(runs
    .command('show'))
    .description('one run: record, checkpoints, latest metrics and summary')
    .argument('<run>', 'run ID, unique ID prefix, or run directory')
    .option('--runs <dir>', RUNS_HELP, 'runs')
    .option('--json', 'print run.json')
    .action(async (ref: string, o: Common) => {
      const { findRun } = await import('@optoscope/engine/query');
      const { dir, store } = await readRuns(o.runs, o);
      store.close();
      const run = findRun(dir, ref);
      const rec = run.readRecord();
      const stale = runStaleness(rec, readHeartbeat(run.dir), resumeCommand(o.runs, run.id));
      if (o.json) return void process.stdout.write(JSON.stringify(rec) + '\n');
      process.stdout.write(showRun(run, rec, stale) + '\n');
    });

  runs
    .command('tag')
    .description('set tags on a run (key=value; key= removes one), kept in <run>/tags.json')
    .argument('<run>', 'run ID, unique ID prefix, or run directory')
    .argument('<tags...>', 'key=value pairs, e.g. owner=ana arch=2L')
    .option('--runs <dir>', 'runs directory', 'runs')
    .action(async (ref: string, tags: string[], o: Common) => {
      const { findRun } = await import('@optoscope/engine/query');
      const run = findRun(o.runs, ref);
      const t = tagRun(run.dir, tags);
      process.stdout.write(`${run.id}: ${formatTags(t.tags) || '(no tags)'}\n`);
    });

  runs
    .command('note')
    .description('set the note on a run ("" removes it), kept in <run>/tags.json')
    .argument('<run>', 'run ID, unique ID prefix, or run directory')
    .argument('<text>', 'the note, one argument (quote it)')
    .option('--runs <dir>', 'runs directory', 'runs')
    .action(async (ref: string, text: string, o: Common) => {
      const { findRun } = await import('@optoscope/engine/query');
      const run = findRun(o.runs, ref);
      const t = noteRun(run.dir, text);
      process.stdout.write(`${run.id}: ${t.note === null ? 'note removed' : `note: ${t.note}`}\n`);
    });

  addCacheOption(runs
    .command('query'))
    .description('SQL over every run (DuckDB): views runs, metrics, checkpoints')
    .argument('<sql>', 'one SQL statement, e.g. "select labels, avg(learning_time) from runs group by labels"')
    .option('--runs <dir>', RUNS_HELP, 'runs')
    .option('--json', 'one JSON array of row objects')
    .option('--csv', 'CSV with a header line')
    .action(async (sql: string, o: Common & { csv?: boolean }) => {
      const { queryRuns } = await import('@optoscope/engine/query');
      const { dir, store } = await readRuns(o.runs, o);
      store.close();
      const r = await queryRuns(dir, sql);
      if (o.json) return void process.stdout.write(JSON.stringify(r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])))) + '\n');
      if (o.csv) return void process.stdout.write([r.columns, ...r.rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n');
      process.stdout.write(table(r.columns, r.rows.map((row) => row.map(cell))));
      process.stdout.write(`${r.rows.length} row(s)\n`);
    });

  runs
    .command('export')
    .description('the metric rows of selected runs as one file for pandas, R or DuckDB (DuckDB COPY)')
    .argument('[runs...]', 'run IDs (default: every run; or --sweep)')
    .option('--runs <dir>', 'runs directory', 'runs')
    .option('--sweep <name>', 'every run of this sweep')
    .option('--format <format>', 'csv, parquet or jsonl', 'csv')
    .option('--out <file>', 'output file (default: metrics.<format>)')
    .action(async (ids: string[], o: Common & { sweep?: string; format: string; out?: string }) => {
      const { listRuns } = await import('@optoscope/engine/query');
      const { exportMetrics, EXPORT_FORMATS } = await import('@optoscope/engine/export');
      if (!(EXPORT_FORMATS as readonly string[]).includes(o.format)) throw new Error(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got '${o.format}'`);
      let selected = ids;
      if (o.sweep) {
        selected = listRuns(o.runs).filter((r) => r.record?.config.name === o.sweep).map((r) => r.id);
        if (!selected.length) throw new Error(`--sweep: no runs of sweep '${o.sweep}' in ${o.runs}`);
      }
      const out = o.out ?? `metrics.${o.format}`;
      const r = await exportMetrics(o.runs, selected, o.format as (typeof EXPORT_FORMATS)[number], out);
      process.stdout.write(`${r.rows} metric row(s) of ${r.runs.length} run(s) written to ${out}\n`);
    });
}

/** A run's tags and note, or why its tags.json cannot be read (the run is still listed). */
function tagsOf(dir: string): RunTags | { error: string } {
  try {
    return readRunTags(dir);
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function tagCells(t: RunTags | { error: string }): string[] {
  if ('error' in t) return [`unreadable tags.json`, ''];
  const note = t.note ?? '';
  const line = note.split('\n')[0];
  return [formatTags(t.tags), line.length > 40 || line !== note ? `${line.slice(0, 39)}…` : line];
}

function lsRow(id: string, r: RunRecord, stale: Staleness | null): string[] {
  const total = r.config.schedule.seqs;
  const pct = `${Math.floor((100 * r.progress.seqs) / total)}% of ${compact(total)}`;
  const lt = r.summary ? (r.summary.learned ? compact(r.summary.learning_time) : 'not learned') : '';
  const loss = r.summary?.final.fsl_train?.loss;
  return [id, stale ? 'stale' : r.status, pct, String(r.config.task.classSplit[0]), String(r.config.task.numLabels), String(r.seeds.init), lt, loss === undefined ? '' : loss.toFixed(4)];
}

function showRun(run: RunDir, r: RunRecord, stale: Staleness | null): string {
  const labels = tagsOf(run.dir);
  const ckpts = run.listCheckpoints();
  const evals = run.readMetrics().filter((m) => m.kind === 'eval');
  const lastX = evals.length ? evals[evals.length - 1].seqs : null;
  const lines = [
    `run ${r.id} (${run.dir})`,
    `status      ${stale ? `${r.status}, ${describeStaleness(stale)}; resume with: ${stale.resume}` : r.status}${r.error ? `: ${r.error}` : ''}`,
    `progress    ${r.progress.seqs.toLocaleString('en-US')} of ${r.config.schedule.seqs.toLocaleString('en-US')} sequences (step ${r.progress.step.toLocaleString('en-US')})`,
    `sweep       ${r.config.name ?? '-'}    preset ${r.config.preset ?? '-'}`,
    `task        ${r.config.task.classSplit[0]} classes, ${r.config.task.numLabels} labels; seeds init ${r.seeds.init}, train ${r.seeds.train}, eval ${r.seeds.eval}`,
    `backend     ${r.backend.used} (${r.backend.reason})`,
    `code        ${r.code.version}${r.code.git ? ` @ ${r.code.git}` : ''}; ${r.params.toLocaleString('en-US')} parameters; ${r.data.description}`,
    ...(r.host ? [`host        ${r.host} (user ${r.user ?? 'unknown'})`] : []),
    `created     ${r.created_at}   updated ${r.updated_at}`,
    `checkpoints ${ckpts.length}${ckpts.length ? ` (${compact(ckpts[0])} .. ${compact(ckpts[ckpts.length - 1])})` : ''}`,
  ];
  if ('error' in labels) lines.push(`tags        unreadable: ${labels.error}`);
  else {
    if (Object.keys(labels.tags).length) lines.push(`tags        ${formatTags(labels.tags)}`);
    if (labels.note !== null) lines.push(`note        ${labels.note}`);
  }
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
