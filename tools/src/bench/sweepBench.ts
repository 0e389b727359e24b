/**
 * `opto bench --sweep`: sweep throughput (sequences trained per second of wall time, everything included:
 * thread start, features, evals, checkpoints) of the local pool with 1 worker thread against N, on the
 * same small runs, in one process run. The goal on the 2-core dev machine is ≥ 1.8x for 2 workers.
 * The measurements alternate (1, N, 1, N, ...) and each worker count keeps its best round: on a shared
 * machine other tenants only ever slow a round down, so the best round is the closest to the hardware.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expandSweep, runLocalSweep } from '@optoscope/engine';

export interface SweepBenchOptions {
  /** Runs per measurement (default 4: two after another on each of 2 threads). */
  runs?: number;
  /** Sequences per run (default 96,000: 3,000 steps, ~3 s). */
  seqs?: number;
  /** Alternating rounds per worker count (default 2). */
  rounds?: number;
  /** Worker threads of the measurement compared with 1 (default 2). */
  workers?: number;
  log?: (line: string) => void;
}

export interface SweepBenchPoint {
  workers: number;
  /** The best round. */
  seqs_per_s: number;
  wall_s: number;
  /** Every round's sequences/s, in order. */
  rounds: number[];
}

export interface SweepBenchResult {
  runs: number;
  seqs_per_run: number;
  cores: number;
  points: SweepBenchPoint[];
  /** Best throughput with N workers over best throughput with 1. */
  ratio: number;
}

export async function runSweepBench(o: SweepBenchOptions = {}): Promise<SweepBenchResult> {
  const log = o.log ?? (() => undefined);
  const runs = o.runs ?? 4;
  const seqs = o.seqs ?? 96_000;
  const workers = o.workers ?? 2;
  const rounds = o.rounds ?? 2;
  // Distinct seeds make distinct runs; one eval at each end and only the final checkpoint, like a long run's
  // steady state.
  const { members } = expandSweep({
    name: 'bench',
    base: { backend: 'wasm', schedule: { seqs, evalEvery: seqs, ckptEvery: null, evalSize: 200 } },
    seeds: Array.from({ length: runs }, (_, i) => 10 + i),
  });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-sweep-bench-'));
  const points: SweepBenchPoint[] = [1, workers].map((n) => ({ workers: n, seqs_per_s: 0, wall_s: 0, rounds: [] }));
  try {
    for (let round = 0; round < rounds; round++)
      for (const p of points) {
        log(`round ${round + 1}/${rounds}: ${runs} runs of ${seqs.toLocaleString('en-US')} sequences on ${p.workers} worker thread(s)...`);
        const t0 = performance.now();
        const out = await runLocalSweep(members, { runsDir: path.join(tmp, `r${round}w${p.workers}`), workers: p.workers });
        const wall = (performance.now() - t0) / 1000;
        const failed = out.results.find((r) => r.outcome !== 'finished');
        if (failed) throw new Error(`bench run ${failed.id} ${failed.outcome}: ${failed.error ?? ''}`);
        const rate = (runs * seqs) / wall;
        p.rounds.push(rate);
        if (rate > p.seqs_per_s) Object.assign(p, { seqs_per_s: rate, wall_s: wall });
      }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { runs, seqs_per_run: seqs, cores: os.availableParallelism(), points, ratio: points[1].seqs_per_s / points[0].seqs_per_s };
}

export function formatSweepBench(r: SweepBenchResult): string {
  const lines = [`sweep throughput: ${r.runs} runs x ${r.seqs_per_run.toLocaleString('en-US')} sequences (wasm core, worker threads sharing one compiled module)`];
  for (const p of r.points)
    lines.push(
      `${String(p.workers).padStart(2)} worker${p.workers > 1 ? 's' : ' '}  ${Math.round(p.seqs_per_s).toLocaleString('en-US').padStart(9)} seq/s   ${p.wall_s.toFixed(1).padStart(6)} s wall` +
        `   (rounds: ${p.rounds.map((x) => Math.round(x).toLocaleString('en-US')).join(', ')})`,
    );
  lines.push(`${r.points[1].workers} workers / 1 worker: ${r.ratio.toFixed(2)}x on ${r.cores} core(s)`);
  return lines.join('\n');
}
