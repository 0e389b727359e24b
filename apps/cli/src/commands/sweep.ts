/**
 * `opto sweep <spec.json | preset>`: expand a sweep and run it on this machine's cores (worker threads),
 * enqueue it for `opto worker`s (`--queue redis://host:port`), or run one member of it
 * (`--index $SLURM_ARRAY_TASK_ID`, for array jobs). Every check happens before any work starts.
 */
import type { Command } from 'commander';
import {
  ConfigError,
  SWEEP_PRESETS,
  checkTasksFit,
  dataFlags,
  describeVary,
  expandSweep,
  isFileData,
  loadDataFlag,
  loadSweepSpec,
  runLocalSweep,
  type MemberResult,
  type SweepMember,
  type SweepOutcome,
  type SweepPlan,
} from '@optoscope/engine';
import { oneOf, positiveInt } from '../args.js';
import { addDataOptions, dataBlock, dataFileBlock, type DataFlags } from '../dataFlags.js';
import { headsFromFlag } from '../headsFrom.js';
import { RUNS_HELP, addCacheOption, type CacheFlags } from '../runsFlags.js';
import { SweepView, formatDuration, interruptOnSignals } from '../sweepView.js';
import { PAPER_SEEDS_DESCRIPTION, PAPER_SEEDS_PRESET, sweepPaperSeeds } from './sweepSeeds.js';

interface SweepFlags extends DataFlags, CacheFlags {
  workers?: number;
  backend?: 'auto' | 'wasm' | 'reference' | 'webgpu';
  replicas?: number;
  preset?: string;
  headsFrom?: string;
  runs: string;
  resume?: boolean;
  queue?: string;
  queueName?: string;
  attempts: number;
  wait?: boolean;
  index?: string;
  list?: boolean;
  json?: boolean;
  progress: boolean;
}

export function registerSweep(program: Command): void {
  const cmd = program
    .command('sweep')
    .description(`run a sweep (a spec file or a preset: ${[...Object.keys(SWEEP_PRESETS), PAPER_SEEDS_PRESET].join(', ')}) locally, on a queue, or one member of it`)
    .argument('[spec]', 'sweep spec JSON file (README: "Sweeps") or a sweep preset name')
    .option('--preset <name>', 'a sweep preset (same as giving its name as <spec>); `opto sweep --list-presets` shows them')
    .option('--list-presets', 'print the sweep presets with the figures they feed and exit')
    .option('--heads-from <run>', "with a paper preset that clamps heads: clamp the finished run's strongest induction head and previous-token heads (pitfall 10) instead of seed 5's")
    .option('--workers <n>', 'worker threads (default: one per core)', positiveInt)
    .option('--backend <name>', "every member's backend (part of its config and run ID): webgpu trains members that differ only in seeds together, batched on the device; auto does so where that is measured faster than the wasm pool on all cores", oneOf('auto', 'wasm', 'reference', 'webgpu'))
    .option('--replicas <n>', 'with --backend webgpu|auto: runs per device step (default: measured)', positiveInt)
    .option('--runs <dir>', `${RUNS_HELP}; one run per member, named by its run ID`, 'runs')
    .option('--resume', 'continue unfinished members and skip finished ones')
    .option('--queue <url>', 'enqueue the members on BullMQ at redis://host:port instead of running them')
    .option('--queue-name <name>', 'BullMQ queue name', 'optoscope')
    .option('--attempts <n>', 'with --queue: tries per run before it is marked failed', positiveInt, 3)
    .option('--wait', 'with --queue: follow the sweep until every member has finished or failed')
    .option('--index <i>', "run only member i (0-based; 'env' reads SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX); resumes or skips as needed")
    .option('--list', 'print the members (index, run ID, varied values) and exit')
    .option('--json', 'print the results as one JSON object on the last line')
    .option('--no-progress', 'no progress display (failures are still printed)');
  addCacheOption(cmd);
  addDataOptions(cmd, ": every member of a preset trains on it (run IDs <set>.<file stem>-<hash>)")
    .action(async (specOrPreset: string | undefined, flags: SweepFlags & { listPresets?: boolean }) => {
      if (flags.listPresets) return listPresets();
      if (specOrPreset !== undefined && flags.preset !== undefined) throw new ConfigError(`give either <spec> or --preset, not both ('${specOrPreset}' and '${flags.preset}')`);
      const specArg = specOrPreset ?? flags.preset;
      if (specArg === undefined) throw new ConfigError(`missing <spec>: a sweep spec JSON file or a preset (${Object.keys(SWEEP_PRESETS).join(', ')})`);
      if (flags.preset !== undefined && !SWEEP_PRESETS[flags.preset] && flags.preset !== PAPER_SEEDS_PRESET) throw new ConfigError(`--preset: unknown sweep preset '${flags.preset}'; available: ${Object.keys(SWEEP_PRESETS).join(', ')}`);
      // The feature file is read before anything else: a bad one is one line, and nothing is written.
      const data = dataFileBlock(flags);
      const features = isFileData(data) ? await loadDataFlag(data) : undefined;
      if (specArg === PAPER_SEEDS_PRESET) return sweepPaperSeeds(flags, data, features, { runLocal, finish });
      const heads = flags.headsFrom !== undefined ? await headsFromFlag(flags.headsFrom) : undefined;
      const loaded = loadSweepSpec(specArg, heads, data);
      const input = flags.backend ? withBackend(loaded.input, flags.backend) : loaded.input;
      const { spec, members } = expandSweep(input, loaded.where);
      if (features) checkTasksFit(members, features, data!);
      if (flags.list) return list(members);
      if (flags.queue) return flags.wait ? enqueueAndWait(spec.name, members, flags) : void (await enqueue(members, flags));
      const selected = flags.index !== undefined ? [members[memberIndex(flags.index, members.length)]] : members;
      const outcome = await runLocal(spec.name, selected, { ...flags, resume: flags.resume || flags.index !== undefined });
      finish(outcome, specArg, flags);
    });
}

/** The spec with `backend` set in its base and in every variant that sets one (the flag wins). */
function withBackend(input: unknown, backend: string): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input; // expandSweep names the fault
  const s = input as { base?: Record<string, unknown>; variants?: unknown };
  const variants = Array.isArray(s.variants)
    ? s.variants.map((v) => (typeof v === 'object' && v !== null && 'backend' in v ? { ...v, backend } : v))
    : s.variants;
  return { ...s, base: { ...(s.base ?? {}), backend }, ...(variants !== undefined && { variants }) };
}

function listPresets(): void {
  const w = Math.max(...Object.keys(SWEEP_PRESETS).map((k) => k.length));
  for (const [name, p] of Object.entries(SWEEP_PRESETS)) process.stdout.write(`${name.padEnd(w)}  ${p.description}\n`);
  process.stdout.write(`${PAPER_SEEDS_PRESET.padEnd(w)}  ${PAPER_SEEDS_DESCRIPTION}\n`);
}

function list(members: SweepMember[]): void {
  const w = String(members.length - 1).length;
  const lines = members.map((m) => `${String(m.index).padStart(w)}  ${m.id}  ${describeVary(m.vary)}\n`);
  process.stdout.write(`${lines.join('')}${members.length} members\n`);
}

/** `--index 3`, or `--index env` from the array-job environment. */
export function memberIndex(arg: string, count: number): number {
  let raw = arg;
  if (arg === 'env') {
    raw = process.env.SLURM_ARRAY_TASK_ID ?? process.env.JOB_COMPLETION_INDEX ?? '';
    if (raw === '') throw new ConfigError('--index env: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set');
  }
  const i = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(i)) throw new ConfigError(`--index: expected a member index or 'env', got '${raw}'`);
  if (i >= count) throw new ConfigError(`--index ${i}: the sweep has ${count} members (0..${count - 1})`);
  return i;
}

async function runLocal(name: string, members: SweepMember[], flags: SweepFlags & { resume: boolean }): Promise<SweepOutcome> {
  // The view starts with the plan, which comes after every check (runs directory, existing runs, feature
  // files) and before any thread starts.
  let view = null as SweepView | null;
  const byId = new Map(members.map((m) => [m.id, m]));
  const ac = new AbortController();
  const release = interruptOnSignals(ac, () => view?.say('stopping: running members save their state (Ctrl-C again to quit at once)'));
  const onPlan = (plan: SweepPlan, workers: number) => {
    const todo = [...plan.start, ...plan.resume];
    const seqs = todo.reduce((s, m) => s + m.config.schedule.seqs, 0);
    view = new SweepView({ name, runs: todo.length, seqs, tty: process.stderr.isTTY === true, progress: flags.progress });
    if (flags.progress)
      view.say(
        `sweep ${name}: ${plan.start.length} to start, ${plan.resume.length} to resume, ${plan.skip.length} already finished${plan.live.length ? `, ${plan.live.length} training elsewhere (left alone)` : ''}; ${workers} worker thread(s)`,
      );
    return view;
  };
  try {
    return await runLocalSweep(members, {
      runsDir: flags.runs,
      cache: flags.cache,
      workers: flags.workers,
      replicas: flags.replicas,
      resume: flags.resume,
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'plan') view = onPlan(e.plan, e.workers);
        else if (e.type === 'start') view?.start(e.id, e.total, e.resumedFrom);
        else if (e.type === 'progress') view?.progress(e.id, e.seqs, e.seqsPerSec);
        else if (e.type === 'warning') view?.say(`warning: ${e.id}: ${e.message}`);
        else if (e.type === 'batching') view?.say(`${e.members.length} member(s) of one program: ${e.reason}`);
        else view?.end(e.member.id, e.result.outcome, detail(e.result, byId.get(e.member.id)));
      },
    });
  } finally {
    release();
    view?.stop();
  }
}

function detail(r: MemberResult, m: SweepMember | undefined): string | undefined {
  if (r.outcome === 'failed') return r.error;
  if (r.outcome !== 'finished' || !r.summary) return m ? describeVary(m.vary) : undefined;
  const lt = r.summary.learned ? `learning time ${r.summary.learning_time.toLocaleString('en-US')}` : 'not learned';
  return `${lt}, ${r.summary.wall_s.toFixed(1)} s`;
}

function finish(outcome: SweepOutcome, specArg: string, flags: SweepFlags): void {
  const by = (o: MemberResult['outcome']) => outcome.results.filter((r) => r.outcome === o);
  const trained = outcome.results.reduce((s, r) => s + r.trained, 0);
  process.stdout.write(
    `${by('finished').length} finished, ${by('skipped').length} already finished, ${by('failed').length} failed, ${by('interrupted').length} interrupted; ${trained.toLocaleString('en-US')} sequences trained\n`,
  );
  if (by('live').length)
    process.stdout.write(`${by('live').length} run(s) still training elsewhere (fresh heartbeat), left alone: ${by('live').map((r) => r.id).join(', ')}\n`);
  if (flags.json) process.stdout.write(JSON.stringify({ results: outcome.results.map(({ summary, ...r }) => ({ ...r, learning_time: summary?.learning_time })) }) + '\n');
  const device = `${flags.backend ? ` --backend ${flags.backend}` : ''}${flags.replicas ? ` --replicas ${flags.replicas}` : ''}`;
  const again = `opto sweep ${specArg} --runs ${flags.runs}${flags.cache ? ` --cache ${flags.cache}` : ''}${device} --resume${dataFlags(dataBlock(flags))}${flags.headsFrom !== undefined ? ` --heads-from ${flags.headsFrom}` : ''}`;
  if (outcome.interrupted) throw Object.assign(new Error(`interrupted; continue with: ${again}`), { exitCode: 130 });
  if (by('failed').length) throw new Error(`${by('failed').length} run(s) failed; first: ${by('failed')[0].error}`);
}

async function enqueue(members: SweepMember[], flags: SweepFlags): Promise<void> {
  const { enqueueSweep } = await import('@optoscope/engine/queue');
  const r = await enqueueSweep(flags.queue!, members, { queueName: flags.queueName, attempts: flags.attempts });
  process.stdout.write(
    `enqueued ${r.added} of ${members.length} runs on ${flags.queue} (queue ${flags.queueName}); ${r.present} already queued or done, ${r.retried} failed ones retried\n` +
      `start workers with: opto worker --queue ${flags.queue} --runs <shared runs dir or s3://bucket/prefix>\n`,
  );
}

async function enqueueAndWait(name: string, members: SweepMember[], flags: SweepFlags): Promise<void> {
  await enqueue(members, flags);
  const { connectRedis, sweepQueueStatus } = await import('@optoscope/engine/queue');
  const conn = await connectRedis(flags.queue!);
  const view = new SweepView({ name, runs: members.length, seqs: 0, tty: process.stderr.isTTY === true, progress: flags.progress });
  const ac = new AbortController();
  const release = interruptOnSignals(ac, () => undefined);
  const seen = new Map<string, { seqs: number; t: number }>();
  const ended = new Set<string>();
  const endOnce = (id: string, outcome: 'finished' | 'failed', why?: string) => {
    if (ended.has(id)) return;
    ended.add(id);
    view.end(id, outcome, why);
  };
  try {
    for (;;) {
      const st = await sweepQueueStatus(conn, members, flags.queueName);
      const now = Date.now();
      for (const a of st.active) {
        const prev = seen.get(a.id);
        if (!prev) view.start(a.id, a.total, null);
        const rate = prev && now > prev.t ? ((a.seqs - prev.seqs) * 1000) / (now - prev.t) : undefined;
        view.progress(a.id, a.seqs, rate !== undefined && rate >= 0 ? rate : undefined);
        seen.set(a.id, { seqs: a.seqs, t: now });
      }
      for (const f of st.failed) endOnce(f.id, 'failed', `${f.id}: ${f.reason}`);
      for (const id of st.completed) endOnce(id, 'finished');
      if (st.counts.waiting + st.counts.active + st.counts.other === 0) {
        view.stop();
        process.stdout.write(`${st.counts.completed} completed, ${st.counts.failed} failed on the queue after ${formatDuration(view.counts().wallS)}\n`);
        if (st.counts.failed) throw new Error(`${st.counts.failed} run(s) failed; first: ${st.failed[0].id}: ${st.failed[0].reason}`);
        return;
      }
      if (ac.signal.aborted) throw Object.assign(new Error('stopped following the sweep; its jobs stay on the queue'), { exitCode: 130 });
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    release();
    view.stop();
    await conn.quit().catch(() => conn.disconnect());
  }
}
