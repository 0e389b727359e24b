import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { learningTimeFromRows } from '../analysis/progress.js';
import { aggregateSweep, sweepAggregator, type AggregateMember } from './aggregate.js';

/**
 * The aggregation checked against the mean, std, min and max computed here directly from the metrics
 * files (plain JSON parsing and arithmetic), with uneven eval schedules, a member without any metrics, a
 * member that stopped early, and a trailing partial line.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-agg-'));
let instance: DuckDBInstance;
let conn: DuckDBConnection;
afterAll(() => {
  conn?.closeSync();
  instance?.closeSync();
  fs.rmSync(dir, { recursive: true, force: true });
});

type Row = Record<string, unknown>;
/** Eval rows every `every` sequences up to `until` (a loss that decays at a seed-dependent rate), a train row before each. */
function writeRun(id: string, every: number, until: number, rate: number): string {
  const rows: Row[] = [];
  for (let x = 0; x <= until; x += every) {
    if (x > 0) rows.push({ kind: 'train', seqs: x, step: x / 32, loss: 2 * Math.exp(-rate * x) + 0.05, grad_norm: 1 + rate * 1e4, steps: every / 32, wall_s: x / 1000 });
    for (const set of ['fsl_train', 'fsl_test_class']) rows.push({ kind: 'eval', seqs: x, step: x / 32, set, loss: 1.6 * Math.exp(-rate * x) + (set === 'fsl_train' ? 0 : 0.1), acc: 1 - Math.exp(-rate * x), wall_s: x / 1000 });
  }
  fs.mkdirSync(path.join(dir, id), { recursive: true });
  const file = path.join(dir, id, 'metrics.jsonl');
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

const members: AggregateMember[] = [];
beforeAll(async () => {
  // Group 0: three seeds on one schedule. Group 1: uneven schedules (every 1000, 1500, 2500), one stopped
  // at 6000, and a member that never wrote a row (failed before its first eval).
  members.push({ run: 'a1', group: 0, metricsFile: writeRun('a1', 1000, 20_000, 3e-4) });
  members.push({ run: 'a2', group: 0, metricsFile: writeRun('a2', 1000, 20_000, 2e-4) });
  members.push({ run: 'a3', group: 0, metricsFile: writeRun('a3', 1000, 20_000, 1e-4) });
  members.push({ run: 'b1', group: 1, metricsFile: writeRun('b1', 1000, 20_000, 5e-5) });
  members.push({ run: 'b2', group: 1, metricsFile: writeRun('b2', 1500, 19_500, 8e-5) });
  members.push({ run: 'b3', group: 1, metricsFile: writeRun('b3', 2500, 6000, 4e-4) });
  fs.appendFileSync(members[4]!.metricsFile, '{"kind":"eval","seqs":21000,"set":"fsl_tr');
  members.push({ run: 'b4', group: 1, metricsFile: path.join(dir, 'b4', 'metrics.jsonl') });
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
});

/** The reference: parse the files, bucket by the module's rule, average per run then across runs. */
function expected(kind: string, set: string | undefined, metric: string, xField: string, maxPoints: number) {
  const per = members.map((m) => {
    const rows = fs.existsSync(m.metricsFile)
      ? fs.readFileSync(m.metricsFile, 'utf8').split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l) as Row)
      : [];
    return { m, pts: rows.filter((r) => r.kind === kind && (set === undefined || r.set === set)).map((r) => ({ x: Number(r[xField]), v: Number(r[metric]) })) };
  });
  const withPts = per.filter((p) => p.pts.length);
  const xmax = Math.max(...withPts.map((p) => Math.max(...p.pts.map((q) => q.x))));
  const spacing = Math.max(...withPts.map((p) => { const xs = new Set(p.pts.map((q) => q.x)); return xs.size > 1 ? Math.max(...xs) / (xs.size - 1) : 0; }));
  const w = Math.max(xmax / maxPoints, spacing);
  const cells = new Map<string, { group: number; bucket: number; xs: number[]; vs: number[] }>();
  for (const { m, pts } of withPts) {
    const byBucket = new Map<number, { x: number; v: number }[]>();
    for (const p of pts) byBucket.set(Math.floor(p.x / w), [...(byBucket.get(Math.floor(p.x / w)) ?? []), p]);
    for (const [b, ps] of byBucket) {
      const key = `${m.group}:${b}`;
      const c = cells.get(key) ?? { group: m.group, bucket: b, xs: [], vs: [] };
      c.xs.push(ps.reduce((s, p) => s + p.x, 0) / ps.length);
      c.vs.push(ps.reduce((s, p) => s + p.v, 0) / ps.length);
      cells.set(key, c);
    }
  }
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  return {
    w,
    points: [...cells.values()]
      .sort((a, b) => a.group - b.group || a.bucket - b.bucket)
      .map((c) => {
        const mu = mean(c.vs);
        const std = c.vs.length > 1 ? Math.sqrt(c.vs.reduce((s, v) => s + (v - mu) ** 2, 0) / (c.vs.length - 1)) : 0;
        return { group: c.group, x: mean(c.xs), mean: mu, std, min: Math.min(...c.vs), max: Math.max(...c.vs), n: c.vs.length };
      }),
  };
}

function expectClose(got: { group: number; x: number; mean: number; std: number; min: number; max: number; n: number }[], want: typeof got) {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    const e = want[i]!;
    expect([g.group, g.n]).toEqual([e.group, e.n]);
    for (const k of ['x', 'mean', 'std', 'min', 'max'] as const) expect(g[k], `${k} of point ${i}`).toBeCloseTo(e[k], 9);
  });
}

describe('aggregateSweep', () => {
  it('eval loss per group over uneven schedules and a missing member: mean, std, min, max as computed from the files', async () => {
    const got = await aggregateSweep(conn, members, { kind: 'eval', set: 'fsl_train', metric: 'loss' });
    const want = expected('eval', 'fsl_train', 'loss', 'seqs', 200);
    expect(got.bucketWidth).toBeCloseTo(want.w, 9);
    // The coarsest schedule (b3: every 2500, evals at 0, 2500, 5000) sets the width.
    expect(want.w).toBe(2500);
    expectClose(got.points, want.points);
    // The member that stopped at 5000 leaves the later buckets with two members; the failed one never counts.
    expect(got.points.filter((p) => p.group === 1).map((p) => p.n)).toEqual(want.points.filter((p) => p.group === 1).map((p) => p.n));
    expect(Math.max(...got.points.filter((p) => p.group === 1).map((p) => p.n))).toBe(3);
    expect(got.points.some((p) => p.group === 1 && p.n === 2)).toBe(true);
  });

  it('downsamples a long series to at most maxPoints buckets, still equal to the direct computation', async () => {
    const got = await aggregateSweep(conn, members.slice(0, 3), { kind: 'eval', set: 'fsl_test_class', metric: 'acc', maxPoints: 7 });
    const saved = members.splice(3);
    try {
      const want = expected('eval', 'fsl_test_class', 'acc', 'seqs', 7);
      expect(got.points.length).toBeLessThanOrEqual(8); // floor(x_max / w) = maxPoints is the last bucket
      expectClose(got.points, want.points);
    } finally {
      members.push(...saved);
    }
  });

  it('train-window rows (gradient norm) and x by wall time', async () => {
    const got = await aggregateSweep(conn, members, { kind: 'train', metric: 'grad_norm', x: 'wall_s' });
    expectClose(got.points, expected('train', undefined, 'grad_norm', 'wall_s', 200).points);
  });

  it('per run: learning time as the engine computes it from the rows, final losses; nothing for a run without rows', async () => {
    const got = await aggregateSweep(conn, members, { kind: 'eval', set: 'fsl_train', metric: 'loss' });
    expect(got.runs.map((r) => r.run)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3']);
    for (const r of got.runs) {
      const rows = fs.readFileSync(path.join(dir, r.run, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l));
      const lt = learningTimeFromRows(rows);
      expect([r.learningTime, r.learned], r.run).toEqual([lt.seqs, lt.learned]);
      const last = rows.filter((x: Row) => x.kind === 'eval' && x.set === 'fsl_test_class').at(-1);
      expect(r.finalLoss.fsl_test_class).toBe(last.loss);
      expect(r.finalTrainLoss).toBe(rows.filter((x: Row) => x.kind === 'train').at(-1).loss);
    }
    expect(got.runs.some((r) => r.learned) && got.runs.some((r) => !r.learned)).toBe(true);
  });

  it('names a metric that is not a column', async () => {
    await expect(aggregateSweep(conn, members, { kind: 'eval', metric: 'loss; drop' })).rejects.toThrow(/metric 'loss; drop' is not a metrics column/);
  });
});

describe('sweepAggregator: metrics rows kept resident between calls', () => {
  it('equals the direct computation, and follows a run that is still writing: appended rows, a partial line completed, a new member, a file removed', async () => {
    const agg = sweepAggregator();
    const live = path.join(dir, 'live', 'metrics.jsonl');
    const saved = members.splice(0);
    try {
      await agg.warm();
      members.push(...saved.slice(0, 3));
      members.push({ run: 'live', group: 1, metricsFile: live });
      const check = async () => {
        const got = await agg.aggregate(members, { kind: 'eval', set: 'fsl_train', metric: 'loss' });
        const want = expected('eval', 'fsl_train', 'loss', 'seqs', 200);
        expect(got.bucketWidth).toBeCloseTo(want.w, 9);
        expectClose(got.points, want.points);
        // A second call over unchanged files answers the same from the resident rows (up to summation order).
        const again = await agg.aggregate(members, { kind: 'eval', set: 'fsl_train', metric: 'loss' });
        expectClose(again.points, want.points);
        expect(again.runs).toEqual(got.runs);
        return got;
      };
      // Not started yet: group 1 has no member with rows.
      expect((await check()).points.some((p) => p.group === 1)).toBe(false);
      // The run starts writing: its first rows (and a trailing partial line) appear.
      const all = fs.readFileSync(writeRun('live', 1000, 8000, 2e-4), 'utf8').split('\n').filter(Boolean);
      fs.writeFileSync(live, all.slice(0, 9).join('\n') + '\n' + all[9]!.slice(0, 20));
      const early = await check();
      const lastX = Math.max(...early.points.filter((p) => p.group === 1).map((p) => p.x));
      // More rows appended, the partial line completed: the same size could never hide them (size and mtime change).
      fs.appendFileSync(live, all[9]!.slice(20) + '\n' + all.slice(10).join('\n') + '\n');
      const later = await check();
      expect(Math.max(...later.points.filter((p) => p.group === 1).map((p) => p.x))).toBeGreaterThan(lastX);
      expect(later.runs.find((r) => r.run === 'live')!.lastSeqs).toBe(8000);
      // Rewritten in place with other values at the same length (a run restarted from scratch): read again.
      fs.writeFileSync(live, fs.readFileSync(live, 'utf8').replace(/"loss":1\.6,/g, '"loss":1.5,'));
      fs.utimesSync(live, new Date(), new Date(Date.now() + 5000));
      await check();
      // The file goes away: the member has no rows any more.
      fs.rmSync(live);
      expect((await check()).points.some((p) => p.group === 1)).toBe(false);
    } finally {
      members.splice(0, members.length, ...saved);
      await agg.close();
    }
  });
});

describe('sweepAggregator: finished runs read cold from their columnar copies (metrics.parquet)', () => {
  /** The members' files copied into a directory of their own (these tests append to them and damage their copies). */
  const own = (sub: string): AggregateMember[] =>
    members.map((m) => {
      const file = path.join(dir, sub, m.run, 'metrics.jsonl');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      if (fs.existsSync(m.metricsFile)) fs.copyFileSync(m.metricsFile, file);
      // b3 stands for a run still training: no copy is ever written for it.
      return { ...m, metricsFile: file, finished: m.run !== 'b3' };
    });
  /** A freshly started server: a new aggregator over `ms`, the answer checked against the direct computation from the JSON lines. */
  async function coldCheck(ms: AggregateMember[], agg = sweepAggregator(), keep = false) {
    try {
      const saved = members.splice(0, members.length, ...ms);
      try {
        const got = await agg.aggregate(ms, { kind: 'eval', set: 'fsl_train', metric: 'loss' });
        const want = expected('eval', 'fsl_train', 'loss', 'seqs', 200);
        expect(got.bucketWidth).toBeCloseTo(want.w, 9);
        expectClose(got.points, want.points);
        for (const r of got.runs) {
          const rows = fs.readFileSync(ms.find((m) => m.run === r.run)!.metricsFile, 'utf8').split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l));
          const lt = learningTimeFromRows(rows);
          expect([r.learningTime, r.learned, r.lastSeqs], r.run).toEqual([lt.seqs, lt.learned, Math.max(...rows.filter((x: Row) => x.kind === 'eval').map((x: Row) => x.seqs as number))]);
          expect(r.finalTrainLoss).toBe(rows.filter((x: Row) => x.kind === 'train').at(-1).loss);
        }
        await agg.idle();
        return { got, from: Object.fromEntries(ms.filter((m) => agg.readFrom.has(m.metricsFile)).map((m) => [m.run, agg.readFrom.get(m.metricsFile)])) };
      } finally {
        members.splice(0, members.length, ...saved);
      }
    } finally {
      if (!keep) await agg.close();
    }
  }
  const copyOf = (m: AggregateMember) => path.join(path.dirname(m.metricsFile), 'metrics.parquet');

  it('the first read parses the JSON lines and writes the finished runs’ copies; a fresh server then reads the copies, equal to the direct computation', async () => {
    const ms = own('pq-fresh');
    expect((await coldCheck(ms)).from).toEqual({ a1: 'json', a2: 'json', a3: 'json', b1: 'json', b2: 'json', b3: 'json' });
    expect(ms.filter((m) => fs.existsSync(copyOf(m))).map((m) => m.run)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2']);
    // The copy holds the file's complete rows (b2's trailing partial line is none of them), read here by DuckDB and compared with JSON.parse.
    const b2 = ms[4]!;
    const inCopy = (await conn.runAndReadAll(`SELECT seqs, "set", loss FROM read_parquet('${copyOf(b2)}') WHERE kind = 'eval'`)).getRowObjectsJS();
    const inFile = fs.readFileSync(b2.metricsFile, 'utf8').split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l)).filter((r: Row) => r.kind === 'eval');
    expect(inCopy.map((r) => [Number(r.seqs), r.set, r.loss])).toEqual(inFile.map((r: Row) => [r.seqs, r.set, r.loss]));
    expect((await coldCheck(ms)).from).toEqual({ a1: 'parquet', a2: 'parquet', a3: 'parquet', b1: 'parquet', b2: 'parquet', b3: 'json' });
  });

  it('a copy older than its JSON lines (the run resumed and appended rows) is not used, and is written again', async () => {
    const ms = own('pq-stale');
    await coldCheck(ms);
    const a1 = ms[0]!;
    fs.appendFileSync(a1.metricsFile, ['fsl_train', 'fsl_test_class'].map((set) => JSON.stringify({ kind: 'eval', seqs: 21_000, step: 656, set, loss: 0.01, acc: 1 })).join('\n') + '\n');
    const after = await coldCheck(ms);
    expect(after.from.a1).toBe('json');
    expect(after.got.runs.find((r) => r.run === 'a1')!.lastSeqs).toBe(21_000);
    expect((await coldCheck(ms)).from.a1).toBe('parquet');
  });

  it('a copied run (same bytes, another mtime) still uses its copy, by content', async () => {
    const ms = own('pq-copied');
    await coldCheck(ms);
    const later = new Date(Date.now() + 60_000);
    for (const m of ms) if (fs.existsSync(m.metricsFile)) fs.utimesSync(m.metricsFile, later, later);
    expect((await coldCheck(ms)).from).toMatchObject({ a1: 'parquet', b2: 'parquet' });
  });

  it('a damaged copy (truncated, overwritten in the middle, not Parquet at all) or sidecar falls back to the JSON lines and is written again', async () => {
    const ms = own('pq-damaged');
    await coldCheck(ms);
    const [a1, a2, a3] = ms;
    const bytes = fs.readFileSync(copyOf(a1!));
    fs.writeFileSync(copyOf(a1!), bytes.subarray(0, bytes.length >> 1));
    const mid = fs.readFileSync(copyOf(a2!));
    mid.fill(0x5a, 64, mid.length - 600);
    fs.writeFileSync(copyOf(a2!), mid);
    fs.writeFileSync(copyOf(a3!), 'not parquet\n');
    // The sidecar that names b1's source says another size.
    const side = `${copyOf(ms[3]!)}.json`;
    fs.writeFileSync(side, fs.readFileSync(side, 'utf8').replace(/"size": \d+/, '"size": 7'));
    const after = await coldCheck(ms);
    expect(after.from).toEqual({ a1: 'json', a2: 'json', a3: 'json', b1: 'json', b2: 'parquet', b3: 'json' });
    expect((await coldCheck(ms)).from).toMatchObject({ a1: 'parquet', a2: 'parquet', a3: 'parquet', b1: 'parquet' });
  });

  it('preloaded at start (copies into the resident table, per-run statistics with them): answers equal the direct computation; a copy gone stale since is not used', async () => {
    const ms = own('pq-preload');
    await coldCheck(ms);
    // a1 resumed after its copy was written: two more evals appended, so its copy no longer matches.
    fs.appendFileSync(ms[0]!.metricsFile, ['fsl_train', 'fsl_test_class'].map((set) => JSON.stringify({ kind: 'eval', seqs: 21_000, step: 656, set, loss: 0.01, acc: 1 })).join('\n') + '\n');
    const agg = sweepAggregator();
    try {
      // In steps of two, each after a quiet() that counts its calls.
      let steps = 0;
      await agg.preload(ms.filter((m) => m.finished && fs.existsSync(m.metricsFile)).map((m) => m.metricsFile), { chunk: 2, quiet: async () => void steps++ });
      expect(steps).toBe(3);
      expect(Object.fromEntries(ms.filter((m) => agg.readFrom.has(m.metricsFile)).map((m) => [m.run, agg.readFrom.get(m.metricsFile)]))).toEqual({ a1: 'json', a2: 'parquet', a3: 'parquet', b1: 'parquet', b2: 'parquet' });
      // The statistics kept from the preload are a1's appended rows', and everyone's as learningTimeFromRows says (coldCheck).
      const { got } = await coldCheck(ms, agg, true);
      expect(got.runs.find((r) => r.run === 'a1')!.lastSeqs).toBe(21_000);
      expect(got.runs.find((r) => r.run === 'a1')!.finalLoss.fsl_train).toBe(0.01);
      // Another metric and grouping of the preloaded runs: still equal to the files.
      const saved = members.splice(0, members.length, ...ms.map((m) => ({ ...m, group: m.run === 'a1' ? 1 : m.group })));
      try {
        const acc = await agg.aggregate(members, { kind: 'eval', set: 'fsl_test_class', metric: 'acc' });
        expectClose(acc.points, expected('eval', 'fsl_test_class', 'acc', 'seqs', 200).points);
        // A preloaded file that changes afterwards: its rows and statistics are read again.
        fs.appendFileSync(members[1]!.metricsFile, JSON.stringify({ kind: 'train', seqs: 30_000, step: 900, loss: 0.125, grad_norm: 1, steps: 1, wall_s: 30 }) + '\n');
        const after = await agg.aggregate(members, { kind: 'train', metric: 'loss' });
        expectClose(after.points, expected('train', undefined, 'loss', 'seqs', 200).points);
        expect(after.runs.find((r) => r.run === 'a2')!.finalTrainLoss).toBe(0.125);
      } finally {
        members.splice(0, members.length, ...saved);
      }
    } finally {
      await agg.close();
    }
  });

  it('a copy damaged or removed after a server answered from it: its answers still equal the JSON lines (the rows were loaded after the first answer)', async () => {
    const ms = own('pq-live');
    await coldCheck(ms);
    const agg = sweepAggregator();
    try {
      expect((await coldCheck(ms, agg, true)).from).toMatchObject({ a1: 'parquet', a2: 'parquet' });
      fs.writeFileSync(copyOf(ms[0]!), 'junk');
      fs.rmSync(copyOf(ms[1]!));
      expect((await coldCheck(ms, agg, true)).from).toMatchObject({ a1: 'parquet', a2: 'parquet', a3: 'parquet' });
      // A fresh server reads those two from their JSON lines.
      expect((await coldCheck(ms)).from).toMatchObject({ a1: 'json', a2: 'json', a3: 'parquet' });
    } finally {
      await agg.close();
    }
  });
});
