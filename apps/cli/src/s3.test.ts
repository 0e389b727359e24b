/**
 * Runs on S3-compatible object storage, for real: an s3rver (an S3-protocol server from npm, in a process
 * of its own) on a free 127.0.0.1 port, a redis-server for the queue, two `opto worker` processes with separate local caches
 * and one bucket, one of them killed with SIGKILL mid-run, and the dashboard pointed at the bucket.
 * What lands in the bucket is read back with the AWS SDK directly (not through our cache) and compared
 * byte for byte with a sweep of the same spec on a local runs directory.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type DashboardServer } from '../dist/commands/dashboard.js';
import { optoSync, removeTemps, sleep, start, startRedis, tmp, until, workerEvents as events, type Proc } from './testing/procs.js';

const procs: Proc[] = [];
let client: S3Client;
let env: NodeJS.ProcessEnv;
let redisUrl = '';
let dashboard: DashboardServer | undefined;
const BUCKET = 'team';

beforeAll(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const server = start([fileURLToPath(new URL('./testing/s3rver.mjs', import.meta.url)), tmp('opto-s3rver-'), BUCKET], tmp('opto-s3rver-cwd-'), 'node');
  procs.push(server);
  await until(() => /"port"/.test(server.stdout()), 30_000, `s3rver to listen: ${server.stderr()}`);
  const { port } = JSON.parse(server.stdout()) as { port: number };
  env = { ...process.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
  Object.assign(process.env, { AWS_ENDPOINT_URL: env.AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' });
  client = new S3Client({ endpoint: env.AWS_ENDPOINT_URL, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  redisUrl = await startRedis(procs);
});

afterAll(async () => {
  await dashboard?.stop();
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  client?.destroy();
  removeTemps();
});

/** Every object under `prefix/`, keys relative to it, read with the SDK directly. */
async function bucketFiles(prefix: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/`, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      const body = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: o.Key! }));
      out.set(o.Key!.slice(prefix.length + 1), Buffer.from(await body.Body!.transformToByteArray()));
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

async function api<T>(p: string): Promise<T> {
  const r = await fetch(`${dashboard!.url}${p}`);
  return (await r.json()) as T;
}
type Rows = { rows: { id: string; status: string; stale: { host: string; resume: string } | null }[] };

describe('runs in an S3 bucket', () => {
  it('two workers with separate caches train a 6-run sweep into one bucket; one is killed; the dashboard sees all 6, stale on the way, and every file equals a local sweep', async () => {
    const d = tmp('opto-s3-');
    const spec = {
      name: 's3',
      base: { backend: 'wasm', schedule: { seqs: 25_600, evalEvery: 640, ckptEvery: 1280, evalSize: 100 } },
      grid: { 'task.numLabels': [5, 10] },
      seeds: [5, 6, 7],
    };
    fs.writeFileSync(path.join(d, 's.json'), JSON.stringify(spec));
    const ids = optoSync(['sweep', 's.json', '--list'], d).stdout.trim().split('\n').slice(0, -1).map((l) => l.trim().split(/\s+/)[1]);
    expect(ids).toHaveLength(6);
    const url = `s3://${BUCKET}/sweeps/s3`;

    // The dashboard over the (still empty) bucket, before anything trains.
    dashboard = await startDashboard({ runsDir: url, cache: path.join(d, 'cache-dash'), port: 0, build: 'auto', distDir: '.next-s3-e2e', log: () => undefined });
    expect((await api<Rows>('/api/runs')).rows).toEqual([]);

    expect(optoSync(['sweep', 's.json', '--queue', redisUrl], d, env).stdout).toMatch(/^enqueued 6 of 6 runs/);
    // A 20 s job lock: the dead worker's run stays unclaimed long enough to be seen stale. With 10 s and an
    // 8 s look, a CI run under load saw neither (the bucket's upload and the dashboard's refresh of it lag).
    const worker = (cache: string) => start(['worker', '--queue', redisUrl, '--runs', url, '--cache', cache, '--concurrency', '1', '--heartbeat', '20000', '--until-empty'], d, process.execPath, env);
    const a = worker('cache-a');
    const b = worker('cache-b');
    procs.push(a, b);

    // A live run's new rows reach the dashboard within 5 s of being written in a worker's cache.
    await until(() => events(b.stderr(), 'start').length > 0, 60_000, `worker B to start: ${b.stderr()}`);
    const watched = events(b.stderr(), 'start')[0];
    const local = path.join(d, 'cache-b', 'work', watched, 'metrics.jsonl');
    await until(() => fs.existsSync(local) && fs.readFileSync(local, 'utf8').split('\n').length > 12, 60_000, `rows of ${watched} in ${local}: ${b.stderr()}`);
    const written = fs.readFileSync(local, 'utf8').trim().split('\n').length;
    const t0 = Date.now();
    let seen = 0;
    let last: unknown = null;
    while (Date.now() - t0 < 5000) {
      const page = await api<{ total?: number }>(`/api/runs/${watched}/metrics?after=0`);
      last = page;
      seen = page.total ?? 0;
      if (seen >= written) break;
      await sleep(100);
    }
    expect(seen, `rows visible ${Date.now() - t0} ms after ${written} were written: ${JSON.stringify(last).slice(0, 300)}`).toBeGreaterThanOrEqual(written);

    // Kill A while one of its runs is in the bucket as running with a saved state past 0: that is what B can
    // take over (from [1-9]) and what the dashboard can call stale. Uploads lag behind training under load,
    // and a run's record goes up after its files, so the bucket may only ever show a run of A's finished or
    // not at all; then the next run A starts is the candidate. (CI lost both races: a victim chosen by its
    // local checkpoints was not in the bucket yet, and one waited for in the bucket had finished.)
    const bucketRecord = async (id: string) => {
      try {
        const r = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `sweeps/s3/${id}/run.json` }));
        return JSON.parse(Buffer.from(await r.Body!.transformToByteArray()).toString()) as { status: string; progress: { seqs: number } };
      } catch {
        return null; // absent, or caught mid-rewrite: looked at again
      }
    };
    let victim = '';
    for (const t2 = Date.now(); !victim; await sleep(50)) {
      if (Date.now() - t2 > 120_000) throw new Error(`no run of worker A was seen running in the bucket past 0 within 120 s: ${a.stderr()}`);
      for (const id of events(a.stderr(), 'start').reverse()) {
        const rec = await bucketRecord(id);
        if (rec?.status === 'running' && rec.progress.seqs > 0) {
          victim = id;
          break;
        }
      }
    }
    a.child.kill('SIGKILL');
    await a.exited;

    // Stale in the dashboard and in opto runs ls (this host, its process gone), before B takes it over.
    let row: Rows['rows'][number] | undefined;
    for (const t1 = Date.now(); Date.now() - t1 < 18_000 && !row?.stale; await sleep(250)) row = (await api<Rows>('/api/runs')).rows.find((r) => r.id === victim);
    expect(row?.stale, JSON.stringify(row)).toMatchObject({ host: os.hostname(), resume: `opto train --runs ${url} --resume ${victim}` });
    const ls = optoSync(['runs', 'ls', '--runs', url, '--cache', 'cache-ls'], d, env);
    expect(ls.stdout).toMatch(new RegExp(`^${victim}\\s+(stale|running)\\s`, 'm'));

    // B finishes everything, taking over A's run from the bucket.
    expect(await b.exited, b.stderr()).toBe(0);
    expect(events(b.stderr(), 'resume')).toContain(victim);
    expect(b.stderr()).toMatch(new RegExp(`resume ${victim} from [1-9]`));

    // The dashboard lists all 6 finished (within a refresh).
    let rows: Rows['rows'] = [];
    for (const t1 = Date.now(); Date.now() - t1 < 10_000; await sleep(250)) {
      rows = (await api<Rows>('/api/runs')).rows;
      if (rows.length === 6 && rows.every((r) => r.status === 'finished')) break;
    }
    expect(rows.map((r) => [r.id, r.status]).sort()).toEqual(ids.map((id) => [id, 'finished']).sort());

    // The same spec on a local runs directory: every checkpoint is byte-identical, and so is every metrics
    // row apart from its wall-clock reading (wall_s).
    const noWall = (b: Buffer | undefined) => b?.toString('utf8').trim().split('\n').map((l) => JSON.stringify({ ...JSON.parse(l), wall_s: undefined }));
    const ref = optoSync(['sweep', 's.json', '--runs', 'ref', '--workers', '2', '--no-progress'], d);
    expect(ref.code, ref.stderr).toBe(0);
    for (const id of ids) {
      const remote = await bucketFiles(`sweeps/s3/${id}`);
      const dir = path.join(d, 'ref', id);
      const want = ['metrics.jsonl', ...fs.readdirSync(path.join(dir, 'checkpoints')).map((f) => `checkpoints/${f}`)];
      expect(want.length).toBeGreaterThan(20);
      for (const f of want.filter((f) => f !== 'metrics.jsonl')) expect(remote.get(f)?.equals(fs.readFileSync(path.join(dir, f))), `${id}/${f}`).toBe(true);
      expect(noWall(remote.get('metrics.jsonl')), `${id}/metrics.jsonl`).toEqual(noWall(fs.readFileSync(path.join(dir, 'metrics.jsonl'))));
      expect([...remote.keys()].filter((k) => k.startsWith('checkpoints/')).sort()).toEqual(want.filter((k) => k.startsWith('checkpoints/')).sort());
      expect(JSON.parse(remote.get('run.json')!.toString()).status).toBe('finished');
    }

    // SQL over the bucket's runs, and the report written next to them.
    const rowsRef = ids.reduce((n, id) => n + fs.readFileSync(path.join(d, 'ref', id, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 0);
    const q = optoSync(['runs', 'query', "select count(*) as n, count(distinct run_id) as runs from metrics", '--runs', url, '--cache', 'cache-q', '--json'], d, env);
    expect(JSON.parse(q.stdout), q.stderr).toEqual([{ n: rowsRef, runs: 6 }]);
    const rep = optoSync(['report', '--runs', url, '--cache', 'cache-rep', '--no-analyses', '--json'], d, env);
    expect(rep.code, rep.stderr).toBe(0);
    const inBucket = JSON.parse((await bucketFiles('sweeps/s3/report')).get('report.json')!.toString());
    expect(inBucket.runsDir).toBe(url);
    expect(inBucket.claims.flatMap((c: { commands: string[] }) => c.commands).join('\n')).toContain(`--runs ${url}`);
  }, 600_000);

  it('opto train uploads as it writes and run.json last: a reader polling the bucket never sees a record ahead of its files', async () => {
    const d = tmp('opto-s3-train-');
    const url = `s3://${BUCKET}/single`;
    // Long enough (20 checkpoints, several seconds of training) that the reader below sees the record
    // move several times even on a fast machine; the count of polls itself is timing, not a property. (64,000
    // sequences became too short once the step got faster: one CI-like run saw a single running record.)
    const SEQS = 192_000;
    const EVERY = SEQS / 20;
    const p = start(['train', '--preset', 'smoke', '--seqs', String(SEQS), '--eval-every', String(EVERY), '--ckpt-every', String(EVERY), '--runs', url, '--out', 'r1', '--cache', 'c', '--no-progress'], d, process.execPath, env);
    procs.push(p);
    // null: absent; undefined: caught mid-rewrite. s3rver writes objects and their metadata in place (S3
    // itself never serves half an object), so a body that does not match its ETag (MD5) is read again, as our
    // reader does, and so is any other failed GET: a read that lands on half-written metadata answers 500
    // (a CI run at load ~25 did), which says nothing about whether the object exists.
    const get = async (key: string) => {
      try {
        const r = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `single/r1/${key}` }));
        const body = Buffer.from(await r.Body!.transformToByteArray());
        return createHash('md5').update(body).digest('hex') === r.ETag!.replace(/"/g, '') ? body.toString() : undefined;
      } catch (e) {
        return (e as { name?: string }).name === 'NoSuchKey' ? null : undefined;
      }
    };
    const progressSeen = new Set<number>();
    let sawRunning = false;
    for (;;) {
      const exited = p.child.exitCode !== null;
      // The record first, then what it names: files only ever grow, so anything it names must be there now.
      const text = await get('run.json');
      const metrics = text ? await get('metrics.jsonl') : null;
      if (text && metrics !== undefined) {
        const rec = JSON.parse(text);
        sawRunning ||= rec.status === 'running';
        const keys = new Set(
          ((await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'single/r1/checkpoints/' }))).Contents ?? []).map((o) => Number(/seqs-(\d+)/.exec(o.Key!)![1])),
        );
        const rows = (metrics ?? '').split('\n').filter(Boolean).map((l) => JSON.parse(l));
        // progress.seqs is the saved state's (0 before the first checkpoint is saved).
        if (rec.progress.seqs > 0) for (let x = 0; x <= rec.progress.seqs; x += EVERY) expect(keys.has(x), `checkpoint ${x} named by progress ${rec.progress.seqs}`).toBe(true);
        if (rec.progress.seqs > 0) expect(rows.some((r) => r.seqs === rec.progress.seqs && r.kind === 'eval')).toBe(true);
        if (rec.status === 'finished') expect(rows.filter((r) => r.kind === 'eval' && r.seqs === SEQS)).toHaveLength(4);
        if (rec.status === 'running') progressSeen.add(rec.progress.seqs);
      }
      if (exited) break;
      await sleep(30);
    }
    expect(await p.exited, p.stderr()).toBe(0);
    expect(sawRunning).toBe(true);
    // The invariant was checked at several points of the run, not only at its end.
    expect(progressSeen.size, [...progressSeen].join(',')).toBeGreaterThanOrEqual(3);
    // The local copy it trained in is what the bucket holds.
    const remote = await bucketFiles('single/r1');
    for (const f of ['run.json', 'metrics.jsonl', 'state.safetensors', `checkpoints/seqs-${String(SEQS).padStart(10, '0')}.safetensors`])
      expect(remote.get(f)?.equals(fs.readFileSync(path.join(d, 'c', 'work', 'r1', f))), f).toBe(true);

    // The name is taken now; a missing bucket and a non-s3 URL are one line each, and nothing is written.
    const again = optoSync(['train', '--preset', 'smoke', '--runs', url, '--out', 'r1', '--cache', 'c2'], d, env);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe(`opto: --out r1: ${url} already holds a run 'r1'; continue it with --resume r1, or choose another --out (nothing was changed)`);
    const nob = optoSync(['runs', 'ls', '--runs', 's3://no-such-bucket/x', '--cache', 'c3'], d, env);
    expect(nob.code).toBe(1);
    expect(nob.stderr.trim().split('\n')).toHaveLength(1);
    expect(nob.stderr).toMatch(/^opto: cannot list s3:\/\/no-such-bucket\/x\/: NoSuchBucket: .*bucket 'no-such-bucket' does not exist at http:\/\/127\.0\.0\.1:\d+/);
    const bad = optoSync(['runs', 'ls', '--runs', 's3://Bad_Bucket/x'], d, env);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toMatch(/^opto: --runs s3:\/\/Bad_Bucket\/x: 'Bad_Bucket' is not a valid bucket name/);
  }, 300_000);
});
