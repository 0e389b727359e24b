/**
 * The live display of a sweep: on a terminal, one line for the sweep (runs done/running/failed,
 * aggregate sequences/s, ETA) and one bar per active run; elsewhere (logs, CI, cluster jobs), one line
 * per run start and end. Fed by the local pool's events or by polling a queue.
 */
import { MultiBar, type SingleBar } from 'cli-progress';

export interface SweepViewOptions {
  name: string;
  /** Members this invocation will run (excluding those already finished). */
  runs: number;
  /** Sequences still to train across those members. */
  seqs: number;
  tty: boolean;
  /** false: print nothing but failures. */
  progress: boolean;
}

interface Active {
  total: number;
  base: number;
  seqs: number;
  rate: number;
  bar?: SingleBar;
}

export class SweepView {
  private readonly active = new Map<string, Active>();
  private done = 0;
  private failed = 0;
  private interrupted = 0;
  private trained = 0;
  private readonly started = Date.now();
  private readonly multi: MultiBar | null;
  private readonly head: SingleBar | null;

  constructor(private readonly o: SweepViewOptions) {
    const live = o.tty && o.progress;
    this.multi = live
      ? new MultiBar({ stream: process.stderr, hideCursor: true, clearOnComplete: false, format: ' {id} {bar} {percentage}% | {value}/{total} seqs | {speed} seq/s', barsize: 24 })
      : null;
    this.head = this.multi?.create(Math.max(o.runs, 1), 0, {}, { format: ' sweep {name}: {line}' }) ?? null;
    this.refresh();
  }

  start(id: string, total: number, resumedFrom: number | null): void {
    const base = resumedFrom ?? 0;
    const a: Active = { total, base, seqs: base, rate: 0 };
    a.bar = this.multi?.create(total, base, { id: id.padEnd(24), speed: '-' });
    this.active.set(id, a);
    if (!this.multi && this.o.progress) log(`${resumedFrom !== null ? `resume ${id} from ${resumedFrom.toLocaleString('en-US')}` : `start  ${id}`} (${total.toLocaleString('en-US')} seqs)`);
    this.refresh();
  }

  progress(id: string, seqs: number, rate?: number): void {
    const a = this.active.get(id);
    if (!a) return;
    a.seqs = Math.max(a.seqs, seqs);
    if (rate !== undefined) a.rate = rate;
    a.bar?.update(Math.min(a.seqs, a.total), { speed: a.rate ? Math.round(a.rate).toLocaleString('en-US') : '-' });
    this.refresh();
  }

  /** live: another process is training the run (fresh heartbeat), so this one left it alone. */
  end(id: string, outcome: 'finished' | 'skipped' | 'interrupted' | 'failed' | 'live', detail?: string): void {
    const a = this.active.get(id);
    if (a) {
      this.trained += a.seqs - a.base;
      if (a.bar) this.multi?.remove(a.bar);
      this.active.delete(id);
    }
    if (outcome === 'finished' || outcome === 'skipped') this.done++;
    else if (outcome === 'failed') this.failed++;
    else if (outcome === 'interrupted') this.interrupted++;
    if (outcome === 'failed') this.say(`FAILED ${detail ?? id}`);
    else if (this.o.progress) this.say(`${outcome === 'finished' ? 'done  ' : outcome} ${id}${detail ? `: ${detail}` : ''}`);
    this.refresh();
  }

  /** A message that must not be painted over by the bars. */
  say(line: string): void {
    if (this.multi) this.multi.log(line + '\n');
    else log(line);
  }

  stop(): void {
    this.multi?.stop();
  }

  /** Aggregate sequences/s of the active runs, and the seconds left at that rate. */
  rate(): { seqsPerSec: number; etaS: number | null } {
    const seqsPerSec = [...this.active.values()].reduce((s, a) => s + a.rate, 0);
    const inFlight = [...this.active.values()].reduce((s, a) => s + a.seqs - a.base, 0);
    const left = Math.max(0, this.o.seqs - this.trained - inFlight);
    return { seqsPerSec, etaS: seqsPerSec > 0 ? left / seqsPerSec : null };
  }

  counts() {
    return { done: this.done, running: this.active.size, failed: this.failed, interrupted: this.interrupted, trained: this.trained, wallS: (Date.now() - this.started) / 1000 };
  }

  private refresh(): void {
    if (!this.head) return;
    const { seqsPerSec, etaS } = this.rate();
    const line =
      `${this.done}/${this.o.runs} done, ${this.active.size} running, ${this.failed} failed` +
      ` | ${Math.round(seqsPerSec).toLocaleString('en-US')} seq/s | ETA ${etaS === null ? '-' : formatDuration(etaS)}`;
    this.head.update(this.done, { name: this.o.name, line });
  }
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '-';
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m ${String(t % 60).padStart(2, '0')}s`;
  return `${Math.floor(t / 3600)}h ${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
}

function log(s: string): void {
  process.stderr.write(s + '\n');
}

/**
 * Ctrl-C (or SIGTERM) aborts `ac` once, so running members save their state; a second one quits at once
 * (every file is still whole: writes are atomic). Returns the function that removes the handlers.
 */
export function interruptOnSignals(ac: AbortController, onFirst: (signal: string) => void): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (ac.signal.aborted) process.exit(130);
    onFirst(signal);
    ac.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
