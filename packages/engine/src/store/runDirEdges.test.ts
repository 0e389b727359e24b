// The run directory's contract, file by file and check by check (README "Run directory"): exact file names,
// every refusal of `--out` and of a damaged run.json with its own message, metrics lines at their edges, temp
// files, checkpoint names, the resume-state fallback and the listener's write order. Expectations come from the
// documented layout and from hashes computed here directly, never from the code under test.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUN_SCHEMA, RunDir, runChecksums, type RunRecord } from './runDir.js';
import { writeSafetensors } from './safetensors.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'opto-rundir-'));

/** A run record with every field the readers need, as a plain object (no checksum). */
function record(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema: RUN_SCHEMA,
    id: 'r',
    status: 'finished',
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    config: { schedule: { seqs: 64 }, task: { classSplit: [1, 1] } },
    seeds: { train: 1 },
    backend: { requested: 'auto', used: 'wasm', reason: '' },
    code: { version: '0', git: null },
    data: { description: '' },
    params: 0,
    progress: { seqs: 64, step: 2 },
    ...over,
  };
}

/** A run directory whose run.json holds exactly `doc` (written by hand, no checksum). */
function runWith(doc: unknown): RunDir {
  const dir = path.join(tmp(), 'r');
  const rd = RunDir.create(dir);
  fs.writeFileSync(rd.recordFile, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return rd;
}

function listening(rd: RunDir): string[] {
  const heard: string[] = [];
  rd.listener = { written: (rel) => heard.push(rel) };
  return heard;
}

const tensor = (x: number) => ({ p: { shape: [2], data: Float32Array.from([x, x + 1]) } });

describe('run directory layout', () => {
  it('names its files as README "Run directory" documents, and its id is the directory name however the path is spelled', () => {
    const dir = path.join(tmp(), 'my-run');
    const rd = RunDir.create(dir + '/');
    expect(rd.id).toBe('my-run');
    expect(rd.recordFile).toBe(path.join(dir, 'run.json'));
    expect(rd.metricsFile).toBe(path.join(dir, 'metrics.jsonl'));
    expect(rd.checkpointDir).toBe(path.join(dir, 'checkpoints'));
    expect(rd.stateFile).toBe(path.join(dir, 'state.safetensors'));
    expect(rd.prevStateFile).toBe(path.join(dir, 'state.prev.safetensors'));
    expect(fs.statSync(path.join(dir, 'checkpoints')).isDirectory()).toBe(true);
    expect(rd.checkpointFile(5024)).toBe(path.join(dir, 'checkpoints', 'seqs-0000005024.safetensors'));
    expect(rd.checkpointFile(0)).toBe(path.join(dir, 'checkpoints', 'seqs-0000000000.safetensors'));
  });
});

describe('--out checks', () => {
  it('takes an absent path (parents made) or an empty directory', () => {
    const base = tmp();
    expect(() => RunDir.assertCreatable(path.join(base, 'a', 'b', 'c'))).not.toThrow();
    expect(fs.existsSync(path.join(base, 'a'))).toBe(false);
    RunDir.create(path.join(base, 'a', 'b', 'c'));
    expect(fs.existsSync(path.join(base, 'a', 'b', 'c', 'checkpoints'))).toBe(true);
    fs.mkdirSync(path.join(base, 'empty'));
    expect(() => RunDir.assertCreatable(path.join(base, 'empty'))).not.toThrow();
  });
  it('refuses each occupied --out with its own message, naming the status it found', () => {
    const base = tmp();
    const cases: [unknown, string][] = [
      [{ status: 'finished' }, `--out ${base}/d already holds a finished run; choose another --out (nothing was changed)`],
      [{ status: 'interrupted' }, `--out ${base}/d already holds an unfinished run (status interrupted); continue it with --resume ${base}/d (nothing was changed)`],
      [{ status: 'failed' }, `--out ${base}/d already holds an unfinished run (status failed); continue it with --resume ${base}/d (nothing was changed)`],
      [{}, `--out ${base}/d already holds an unfinished run (status unknown); continue it with --resume ${base}/d (nothing was changed)`],
      ['{"status": "fin', `--out ${base}/d already holds an unfinished run (status unreadable); continue it with --resume ${base}/d (nothing was changed)`],
    ];
    for (const [doc, message] of cases) {
      const d = path.join(base, 'd');
      fs.rmSync(d, { recursive: true, force: true });
      fs.mkdirSync(d);
      const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
      fs.writeFileSync(path.join(d, 'run.json'), text);
      expect(() => RunDir.create(d)).toThrow(message);
      expect(fs.readdirSync(d)).toEqual(['run.json']);
      expect(fs.readFileSync(path.join(d, 'run.json'), 'utf8')).toBe(text);
    }
  });
  it('refuses a file in place of the directory, a directory with other files, and an unwritable parent', () => {
    const base = tmp();
    fs.writeFileSync(path.join(base, 'f'), 'x');
    expect(() => RunDir.create(path.join(base, 'f'))).toThrow(`--out ${base}/f exists and is not a directory`);
    fs.mkdirSync(path.join(base, 'full'));
    fs.writeFileSync(path.join(base, 'full', 'notes'), 'x');
    expect(() => RunDir.create(path.join(base, 'full'))).toThrow(`--out ${base}/full exists and is not empty (nothing was changed)`);
    expect(fs.readdirSync(path.join(base, 'full'))).toEqual(['notes']);
    // a file where a parent directory should be: the message names the --out it was making
    expect(() => RunDir.create(path.join(base, 'f', 'sub'))).toThrow(`--out ${base}/f/sub: ${base}/f is not a directory (ENOTDIR)`);
    // /proc/sys refuses writes even to root: the nearest existing parent is the one named
    expect(() => RunDir.assertCreatable('/proc/sys/opto-none/run')).toThrow('--out /proc/sys/opto-none/run is not writable (/proc/sys denies write access)');
  });
  it('opens only a directory with a run.json', () => {
    const base = tmp();
    expect(() => RunDir.open(base)).toThrow(`${base} is not a run directory (no run.json)`);
    fs.writeFileSync(path.join(base, 'run.json'), '{}');
    expect(RunDir.open(base).dir).toBe(base);
  });
});

describe('run.json', () => {
  it('reads a complete record back without its checksum, stamping updated_at at write time', () => {
    const rd = RunDir.create(path.join(tmp(), 'r'));
    const heard = listening(rd);
    const before = Date.now();
    rd.writeRecord(record() as unknown as RunRecord);
    const after = Date.now();
    expect(heard).toEqual(['run.json']);
    const onDisk = JSON.parse(fs.readFileSync(rd.recordFile, 'utf8'));
    const { sha256, ...rest } = onDisk;
    expect(sha256).toBe(createHash('sha256').update(JSON.stringify(rest)).digest('hex'));
    const stamped = Date.parse(rest.updated_at);
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(after);
    expect(rd.readRecord()).toEqual({ ...record(), updated_at: rest.updated_at });
  });
  it('refuses a record that is not JSON, not an object, of another schema, or edited after its checksum', () => {
    const file = (rd: RunDir) => rd.recordFile;
    let rd = runWith('{"schema": ');
    expect(() => rd.readRecord()).toThrow(new RegExp(`^${file(rd)}: not valid JSON \\(.+\\)$`));
    for (const doc of [[1], null, 7]) {
      rd = runWith(doc);
      expect(() => rd.readRecord()).toThrow(`${file(rd)}: not a run record (a JSON object)`);
    }
    rd = runWith(record({ schema: 'optoscope.run/0' }));
    expect(() => rd.readRecord()).toThrow(`${file(rd)}: unknown schema "optoscope.run/0", expected 'optoscope.run/1'`);
    rd = runWith(record({ schema: undefined }));
    expect(() => rd.readRecord()).toThrow(`${file(rd)}: unknown schema undefined, expected 'optoscope.run/1'`);
    rd = RunDir.create(path.join(tmp(), 'r'));
    rd.writeRecord(record() as unknown as RunRecord);
    fs.writeFileSync(rd.recordFile, fs.readFileSync(rd.recordFile, 'utf8').replace(/"params": ?0/, '"params": 1'));
    expect(() => rd.readRecord()).toThrow(`${rd.recordFile}: checksum mismatch`);
  });
  it('names the first field every reader relies on that the record lacks', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ status: 'done' }, 'status "done" is not one of running, finished, failed, interrupted'],
      [{ status: undefined }, 'status undefined is not one of running, finished, failed, interrupted'],
      [{ config: undefined }, 'no config'],
      [{ config: [] }, 'no config'],
      [{ config: null }, 'no config'],
      [{ config: { task: { classSplit: [1] } } }, 'config.schedule.seqs is missing'],
      [{ config: { schedule: [], task: { classSplit: [1] } } }, 'config.schedule.seqs is missing'],
      [{ config: { schedule: { seqs: '64' }, task: { classSplit: [1] } } }, 'config.schedule.seqs is missing'],
      [{ config: { schedule: { seqs: 64 } } }, 'config.task.classSplit is missing'],
      [{ config: { schedule: { seqs: 64 }, task: { classSplit: 2 } } }, 'config.task.classSplit is missing'],
      [{ seeds: undefined }, 'no seeds'],
      [{ seeds: 5 }, 'no seeds'],
      [{ progress: undefined }, 'progress.seqs is missing'],
      [{ progress: { step: 2 } }, 'progress.seqs is missing'],
      [{ backend: undefined }, 'no backend'],
      [{ backend: 'wasm' }, 'no backend'],
    ];
    for (const [over, problem] of cases) {
      const rd = runWith(record(over));
      expect(() => rd.readRecord(), problem).toThrow(`${rd.recordFile}: ${problem}`);
    }
    for (const status of ['running', 'finished', 'failed', 'interrupted']) expect(runWith(record({ status })).readRecord().status).toBe(status);
  });
});

describe('heartbeat and metrics', () => {
  it('writes a heartbeat naming this host, process and sequence count', () => {
    const rd = RunDir.create(path.join(tmp(), 'r'));
    rd.writeHeartbeat(1); // no listener: nothing to tell
    const heard = listening(rd);
    const before = Date.now();
    rd.writeHeartbeat(4096);
    const beat = JSON.parse(fs.readFileSync(path.join(rd.dir, 'heartbeat.json'), 'utf8'));
    expect(heard).toEqual(['heartbeat.json']);
    expect(beat).toMatchObject({ host: os.hostname(), pid: process.pid, seqs: 4096 });
    expect(typeof beat.user).toBe('string');
    expect(beat.user.length).toBeGreaterThan(0);
    expect(Date.parse(beat.at)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(beat.at)).toBeLessThanOrEqual(Date.now());
  });
  it('appends one JSON line per row, reads every complete line, and skips blank ones', () => {
    const rd = RunDir.create(path.join(tmp(), 'r'));
    expect(rd.readMetrics()).toEqual([]);
    const heard = listening(rd);
    const a = { kind: 'eval' as const, seqs: 0, step: 0, set: 'fsl_train', loss: 2 };
    const b = { kind: 'train' as const, seqs: 32, step: 1, loss: 1.5 };
    rd.appendMetrics([a, b]);
    expect(heard).toEqual(['metrics.jsonl']);
    expect(fs.readFileSync(rd.metricsFile, 'utf8')).toBe(`${JSON.stringify(a)}\n${JSON.stringify(b)}\n`);
    fs.appendFileSync(rd.metricsFile, '\n   \n');
    expect(rd.readMetrics()).toEqual([a, b]);
    // a last line without its newline is a writer cut off mid-append, even when it happens to parse
    fs.appendFileSync(rd.metricsFile, JSON.stringify({ kind: 'train', seqs: 64, step: 2 }));
    expect(rd.readMetrics()).toEqual([a, b]);
  });
  it('names the line of a malformed row', () => {
    const rd = RunDir.create(path.join(tmp(), 'r'));
    fs.writeFileSync(rd.metricsFile, '{"kind":"eval","seqs":0,"step":0}\n{"kind":\n{"kind":"eval","seqs":1,"step":1}\n');
    expect(() => rd.readMetrics()).toThrow(`${rd.metricsFile}:2: malformed metrics row`);
  });
  it('truncates to the rows at or below a sequence count, rewriting the file whole', () => {
    const rd = RunDir.create(path.join(tmp(), 'r'));
    const rows = [0, 32, 64, 96].map((seqs) => ({ kind: 'train' as const, seqs, step: seqs / 32, loss: seqs }));
    rd.appendMetrics(rows);
    const heard = listening(rd);
    rd.truncateMetrics(64);
    expect(heard).toEqual(['metrics.jsonl']);
    expect(fs.readFileSync(rd.metricsFile, 'utf8')).toBe(rows.slice(0, 3).map((r) => JSON.stringify(r) + '\n').join(''));
    rd.truncateMetrics(-1);
    expect(fs.readFileSync(rd.metricsFile, 'utf8')).toBe('');
  });
});

describe('temp files and checkpoints', () => {
  it('removes only the dot-named .tmp files a killed writer leaves, in the run and its checkpoints', () => {
    const rd = RunDir.create(path.join(tmp(), 'r'));
    const names = ['.run.json.123.tmp', '.a.tmp', 'keep.tmp', '.tmp', '..tmp', '.a.tmpx', 'x.a.tmp'];
    for (const n of names) {
      fs.writeFileSync(path.join(rd.dir, n), 'x');
      fs.writeFileSync(path.join(rd.checkpointDir, n), 'x');
    }
    rd.removeTempFiles();
    const kept = ['..tmp', '.a.tmpx', '.tmp', 'checkpoints', 'keep.tmp', 'x.a.tmp'];
    expect(fs.readdirSync(rd.dir).sort()).toEqual(kept);
    expect(fs.readdirSync(rd.checkpointDir).sort()).toEqual(kept.filter((n) => n !== 'checkpoints'));
    fs.rmSync(rd.checkpointDir, { recursive: true });
    expect(() => rd.removeTempFiles()).not.toThrow();
  });
  it('lists checkpoints by sequence count in numeric order, ignoring other names', () => {
    const rd = RunDir.create(path.join(tmp(), 'r'));
    for (const n of ['seqs-10.safetensors', 'seqs-9.safetensors', 'seqs-0000000100.safetensors', 'seqs-.safetensors', 'xseqs-1.safetensors', 'seqs-1.safetensors.tmp', 'seqs-2.safetensorsx', 'seqs-3a.safetensors'])
      fs.writeFileSync(path.join(rd.checkpointDir, n), '');
    expect(rd.listCheckpoints()).toEqual([9, 10, 100]);
    fs.rmSync(rd.checkpointDir, { recursive: true });
    expect(rd.listCheckpoints()).toEqual([]);
    expect(rd.corruptCheckpoints()).toEqual([]);
  });
  it('saves checkpoints under their padded names, telling the listener, and names the damaged ones', () => {
    const rd = RunDir.create(path.join(tmp(), 'r'));
    const heard = listening(rd);
    rd.saveCheckpoint(32, tensor(1), { seqs: '32' });
    rd.saveCheckpoint(64, tensor(2), { seqs: '64' });
    expect(heard).toEqual(['checkpoints/seqs-0000000032.safetensors', 'checkpoints/seqs-0000000064.safetensors']);
    expect(rd.corruptCheckpoints()).toEqual([]);
    const file = rd.checkpointFile(32);
    const b = fs.readFileSync(file);
    b[b.length - 1] ^= 1;
    fs.writeFileSync(file, b);
    const bad = rd.corruptCheckpoints();
    expect(bad.map(({ seqs, file: f }) => ({ seqs, f }))).toEqual([{ seqs: 32, f: file }]);
    expect(bad[0].error).toMatch(/checksum/);
  });
});

describe('resume state', () => {
  it('keeps the previous state when saving a new one, telling the listener in order', () => {
    const rd = RunDir.create(path.join(tmp(), 'r'));
    const heard = listening(rd);
    expect(rd.loadState()).toBeNull();
    rd.saveState(tensor(1), { n: '1' });
    expect(heard).toEqual(['state.safetensors']);
    expect(fs.existsSync(rd.prevStateFile)).toBe(false);
    // no previous state yet: nothing to fall back to, and nothing to warn about
    const warnings: string[] = [];
    expect(rd.loadState((w) => warnings.push(w), () => 'no')).toBeNull();
    expect(warnings).toEqual([`${rd.stateFile}: no; falling back to the previous state`]);
    rd.saveState(tensor(2), { n: '2' });
    expect(heard).toEqual(['state.safetensors', 'state.prev.safetensors', 'state.safetensors']);
    expect(Array.from(rd.loadState()!.tensors.p.data)).toEqual([2, 3]);
  });
  it('falls back to the previous state when the latest is refused, saying why, and to none when both are', () => {
    const rd = RunDir.create(path.join(tmp(), 'r'));
    rd.saveState(tensor(1), { n: '1' });
    rd.saveState(tensor(2), { n: '2' });
    const warnings: string[] = [];
    const s = rd.loadState(
      (w) => warnings.push(w),
      (f) => (f.metadata.n === '2' ? 'another config' : null),
    );
    expect(s!.metadata.n).toBe('1');
    expect(warnings).toEqual([`${rd.stateFile}: another config; falling back to the previous state`]);
    warnings.length = 0;
    expect(rd.loadState((w) => warnings.push(w), () => 'no')).toBeNull();
    expect(warnings).toEqual([`${rd.stateFile}: no; falling back to the previous state`, `${rd.prevStateFile}: no; falling back to the previous state`]);
    // the default warning goes nowhere
    expect(rd.loadState(undefined, () => 'no')).toBeNull();
    // only the previous state left (the latest removed mid-rename)
    fs.rmSync(rd.stateFile);
    expect(rd.loadState()!.metadata.n).toBe('1');
  });
});

describe('runChecksums', () => {
  it('hashes the last checkpoint tensor by tensor in name order and each metric row without wall_s', () => {
    const rd = RunDir.create(path.join(tmp(), 'r'));
    rd.writeRecord(record({ status: 'interrupted' }) as unknown as RunRecord);
    const rows = [
      { kind: 'train' as const, seqs: 32, step: 1, loss: 1.25, wall_s: 3.5 },
      { kind: 'eval' as const, seqs: 32, step: 1, set: 'fsl_train', loss: 1.5 },
    ];
    rd.appendMetrics(rows);
    const none = runChecksums(rd.dir);
    expect(none.status).toBe('interrupted');
    expect(none.checkpoint).toBeNull();
    expect(none.params).toBeNull();
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    expect(none.metrics).toEqual(['{"kind":"train","seqs":32,"step":1,"loss":1.25}', JSON.stringify(rows[1])].map(sha));

    const b = Float32Array.from([1, 2, 3]);
    const a = Float32Array.from([4]);
    rd.saveCheckpoint(32, { p: { shape: [1], data: Float32Array.from([9]) } }, {});
    rd.saveCheckpoint(48, { p: { shape: [1], data: Float32Array.from([8]) } }, {});
    writeSafetensors(rd.checkpointFile(64), { b: { shape: [3], data: b }, a: { shape: [1], data: a } }, { run: 'named-in-metadata' });
    const h = createHash('sha256');
    h.update('a').update(new Uint8Array(a.buffer));
    h.update('b').update(new Uint8Array(b.buffer));
    const got = runChecksums(rd.dir);
    expect(got.checkpoint).toBe(64);
    expect(got.params).toBe(h.digest('hex'));
    // the metadata (which names the run) is not hashed
    writeSafetensors(rd.checkpointFile(64), { a: { shape: [1], data: a }, b: { shape: [3], data: b } }, { run: 'another' });
    expect(runChecksums(rd.dir).params).toBe(got.params);
  });
});
