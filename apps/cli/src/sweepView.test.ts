/**
 * The sweep's live display away from a terminal (logs, CI, cluster jobs): the lines it writes for each run's
 * start, resume and end, the counts and the aggregate rate and ETA it keeps, and the duration format. The
 * expected lines and numbers are worked out by hand from the events fed in.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatDuration, interruptOnSignals, SweepView } from './sweepView.js';

let lines: string[];
let raw: string[];
beforeEach(() => {
  lines = [];
  raw = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    raw.push(String(chunk));
    lines.push(String(chunk).replace(/\n$/, ''));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const view = (progress = true) => new SweepView({ name: 'fig5b', runs: 3, seqs: 3_000, tty: false, progress });

describe('SweepView without a terminal', () => {
  it('one line per start, resume and end; failures always, the rest only with progress', () => {
    const v = view();
    v.start('a', 1_000, null);
    v.start('b', 1_000, 400);
    v.end('a', 'finished');
    v.end('b', 'interrupted', 'saved at 700');
    v.start('c', 1_000, null);
    v.end('c', 'failed', 'c: NaN loss at 512');
    v.end('d', 'live');
    expect(lines).toEqual([
      'start  a (1,000 seqs)',
      'resume b from 400 (1,000 seqs)',
      'done   a',
      'interrupted b: saved at 700',
      'start  c (1,000 seqs)',
      'FAILED c: NaN loss at 512',
      'live d',
    ]);
    expect(raw.every((w) => w.endsWith('\n'))).toBe(true); // whole lines, never run together
    lines = [];
    const quiet = view(false);
    quiet.start('a', 10, null);
    quiet.end('a', 'finished');
    quiet.start('b', 10, null);
    quiet.end('b', 'failed');
    expect(lines).toEqual(['FAILED b']);
  });

  it('counts runs by outcome and the sequences trained by this process (a resume counts from where it resumed)', () => {
    const v = view();
    v.start('a', 1_000, null);
    v.progress('a', 600);
    v.progress('a', 500); // an older report never moves a run back
    v.end('a', 'finished');
    v.start('b', 1_000, 400);
    v.progress('b', 900);
    v.end('b', 'interrupted');
    v.end('c', 'skipped');
    v.start('d', 1_000, null);
    v.end('d', 'failed');
    v.end('e', 'live'); // another process has it: counted nowhere
    v.end('f', 'interrupted');
    v.progress('unknown', 5); // an event for a run not started here is ignored
    const c = v.counts();
    expect(c).toMatchObject({ done: 2, running: 0, failed: 1, interrupted: 2, trained: 600 + 500 });
    expect(c.wallS).toBeGreaterThanOrEqual(0);
    expect(c.wallS).toBeLessThan(60);
  });

  it('rate: the active runs summed; ETA: what is left of the sweep at that rate, none while nothing reports a rate', () => {
    const v = view();
    v.start('a', 1_000, null);
    v.start('b', 1_000, 200);
    expect(v.rate()).toEqual({ seqsPerSec: 0, etaS: null });
    v.progress('a', 400, 100);
    v.progress('b', 300, 50);
    v.progress('b', 300); // a report without a rate keeps the last one
    // left = 3000 - 0 trained - (400 + (300 - 200)) in flight = 2500, at 150 seq/s
    expect(v.rate()).toEqual({ seqsPerSec: 150, etaS: 2500 / 150 });
    v.end('a', 'finished');
    // 400 trained; in flight 100; left 2500 at b's 50 seq/s
    expect(v.rate()).toEqual({ seqsPerSec: 50, etaS: 50 });
    v.progress('b', 5_000, 50);
    expect(v.rate().etaS).toBe(0); // never below zero
  });
});

/** The bars a terminal shows (cli-progress keeps them on the MultiBar). */
interface Bar {
  value: number;
  getTotal(): number;
  payload: Record<string, string>;
}
const bars = (v: SweepView) => (v as unknown as { multi: { bars: Bar[]; loggingBuffer: string[] } }).multi;

describe('SweepView on a terminal', () => {
  // cli-progress starts a bar (its total, its first value) only on a terminal; stderr is a pipe under vitest, so
  // it is marked as one here, and what it paints goes to the captured writes
  let wasTTY: boolean | undefined;
  beforeEach(() => {
    wasTTY = process.stderr.isTTY;
    process.stderr.isTTY = true;
  });
  afterEach(() => {
    process.stderr.isTTY = wasTTY as boolean;
  });

  it('a head bar with the sweep line, one bar per active run with its value and speed, messages kept off the bars', () => {
    const v = new SweepView({ name: 'fig5b', runs: 3, seqs: 3_000, tty: true, progress: true });
    const m = bars(v);
    expect(m.bars.map((b) => [b.getTotal(), b.value])).toEqual([[3, 0]]);
    expect(m.bars[0].payload).toEqual({ name: 'fig5b', line: '0/3 done, 0 running, 0 failed | 0 seq/s | ETA -' });
    v.start('a', 1_000, 200);
    expect(m.bars.map((b) => [b.getTotal(), b.value, b.payload.id, b.payload.speed])).toEqual([
      [3, 0, undefined, undefined],
      [1_000, 200, 'a'.padEnd(24), '-'],
    ]);
    v.progress('a', 1_500, 1234.4);
    expect([m.bars[1].value, m.bars[1].payload.speed]).toEqual([1_000, '1,234']); // capped at its total
    // 3000 - (1500 - 200) in flight = 1700 left at 1234.4 seq/s: 1.38 s
    expect(m.bars[0].payload.line).toBe('0/3 done, 1 running, 0 failed | 1,234 seq/s | ETA 1s');
    v.end('a', 'finished');
    expect(m.bars).toHaveLength(1);
    expect([m.bars[0].value, m.bars[0].payload.line]).toEqual([1, '1/3 done, 0 running, 0 failed | 0 seq/s | ETA -']);
    v.end('b', 'failed', 'b: NaN');
    expect(m.loggingBuffer).toEqual(['done   a\n', 'FAILED b: NaN\n']);
    expect(lines.filter((l) => l.startsWith('start') || l.startsWith('done'))).toEqual([]); // no per-run lines under the bars
    v.stop();
  });

  it('a sweep of no runs still gets a head bar of one', () => {
    const v = new SweepView({ name: 'empty', runs: 0, seqs: 0, tty: true, progress: true });
    expect(bars(v).bars[0].getTotal()).toBe(1);
    v.stop();
  });

  it('without progress, no bars even on a terminal: failures are still written as lines', () => {
    const v = new SweepView({ name: 'q', runs: 1, seqs: 10, tty: true, progress: false });
    expect(bars(v)).toBeNull();
    v.end('a', 'failed');
    expect(lines).toEqual(['FAILED a']);
  });
});

describe('formatDuration', () => {
  it('seconds, then minutes:seconds, then hours:minutes, rounded; not finite is a dash', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59.4)).toBe('59s');
    expect(formatDuration(59.5)).toBe('1m 00s');
    expect(formatDuration(61)).toBe('1m 01s');
    expect(formatDuration(3599)).toBe('59m 59s');
    expect(formatDuration(3600)).toBe('1h 00m');
    expect(formatDuration(3600 * 26 + 60 * 7 + 59)).toBe('26h 07m');
    expect(formatDuration(Infinity)).toBe('-');
    expect(formatDuration(NaN)).toBe('-');
  });
});

describe('interruptOnSignals', () => {
  it('the first SIGINT or SIGTERM aborts once and is reported; removing the handlers leaves the process as it was', () => {
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const ac = new AbortController();
    const seen: string[] = [];
    const remove = interruptOnSignals(ac, (s) => seen.push(s));
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual([before[0] + 1, before[1] + 1]);
    process.emit('SIGTERM', 'SIGTERM');
    expect(seen).toEqual(['SIGTERM']);
    expect(ac.signal.aborted).toBe(true);
    // a second signal quits at once, with 130
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    process.emit('SIGINT', 'SIGINT');
    expect(exit).toHaveBeenCalledWith(130);
    remove();
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
  });
});
