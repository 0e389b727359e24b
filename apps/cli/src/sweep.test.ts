import * as fs from 'node:fs';
import * as path from 'node:path';
import { runChecksums } from '@optoscope/engine';
import { afterAll, describe, expect, it } from 'vitest';
import { writeH5, writeNpy } from './testing/features.js';
import { freePort, optoSync, removeTemps, sleep, snapshot, start, tmp, until } from './testing/procs.js';

afterAll(removeTemps);

const SMALL = { backend: 'wasm', schedule: { seqs: 3200, evalEvery: 640, ckptEvery: 640, evalSize: 100 } };

describe('opto sweep: bad input is refused before any work starts (one line, non-zero exit, nothing written)', () => {
  const spec = (d: string, body: unknown) => (fs.writeFileSync(path.join(d, 's.json'), typeof body === 'string' ? body : JSON.stringify(body)), 's.json');
  const cases: [string, (d: string) => string[], RegExp][] = [
    ['malformed JSON', (d) => ['sweep', spec(d, '{"name": "a", '), '--runs', 'runs'], /^opto: s\.json: malformed JSON/],
    ['a grid value that is not a list', (d) => ['sweep', spec(d, { name: 'a', grid: { 'task.numLabels': 5 } }), '--runs', 'runs'], /^opto: s\.json: grid\.task\.numLabels: /],
    ['an invalid member', (d) => ['sweep', spec(d, { name: 'a', base: SMALL, grid: { 'task.numLabels': [5, 1] } }), '--runs', 'runs'], /^opto: s\.json: member 1 \(task\.numLabels=1\): task\.numLabels/],
    ['a missing spec', () => ['sweep', 'nope.json'], /^opto: sweep spec not found: nope\.json/],
    ['a runs directory under a file', (d) => (fs.writeFileSync(path.join(d, 'f'), ''), ['sweep', 'smoke', '--runs', 'f/runs']), /^opto: runs directory f\/runs is not writable: ENOTDIR/],
    ['a runs directory that is a file', (d) => (fs.writeFileSync(path.join(d, 'f'), ''), ['sweep', 'smoke', '--runs', 'f']), /^opto: runs directory f is not writable: exists and is not a directory/],
    ['--index out of range', () => ['sweep', 'smoke', '--index', '4', '--runs', 'runs'], /^opto: --index 4: the sweep has 4 members \(0\.\.3\)/],
    ['--index env without the variables', () => ['sweep', 'smoke', '--index', 'env', '--runs', 'runs'], /^opto: --index env: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set/],
    ['--data: a missing feature file', () => ['sweep', 'smoke', '--data', 'nope.npy', '--runs', 'runs'], /^opto: --data nope\.npy: feature file nope\.npy: not found$/],
    ['--data: a directory, not a file', (d) => (fs.mkdirSync(path.join(d, 'f.npy')), ['sweep', 'fig3', '--data', 'f.npy', '--runs', 'runs']), /^opto: --data f\.npy: feature file f\.npy: not a regular file$/],
    ['--data: a bad HDF5 dataset path', (d) => (writeH5(path.join(d, 'f.h5'), { 'resnet18/224/feat': [2, 2, 2] }), ['sweep', 'fig5b', '--data', 'f.h5', '--dataset-path', 'x/feat', '--runs', 'runs']),
      /^opto: --data f\.h5 --dataset-path x\/feat: feature file f\.h5: no dataset 'x\/feat'/],
    ['--data: too few classes for the preset', (d) => (writeNpy(path.join(d, 'f.npy'), [100, 5, 8], () => 1), ['sweep', 'smoke', '--data', 'f.npy', '--list']),
      /^opto: --data f\.npy: run smoke\.f-[0-9a-f]{10}: buildTask: classSplit \[50, 1473, 100\] needs 1623 classes, the features have 100/],
    ['--dataset-path without --data', () => ['sweep', 'smoke', '--dataset-path', 'a/b', '--runs', 'runs'], /^opto: --dataset-path a\/b: give the feature file with --data <file>$/],
    ['--data with a spec file', (d) => (writeNpy(path.join(d, 'f.npy'), [1623, 5, 8], () => 1), ['sweep', spec(d, { name: 'a', base: SMALL }), '--data', 'f.npy', '--runs', 'runs']),
      /^opto: --data applies to the sweep presets, not to a spec file \(s\.json\)/],
    ['--queue that is not redis://', () => ['sweep', 'smoke', '--queue', 'http://127.0.0.1:1'], /^opto: --queue http:\/\/127\.0\.0\.1:1: expected redis:\/\/host:port/],
  ];
  const env = { ...process.env, SLURM_ARRAY_TASK_ID: '', JOB_COMPLETION_INDEX: '' };
  delete env.SLURM_ARRAY_TASK_ID;
  delete env.JOB_COMPLETION_INDEX;
  for (const [name, args, pattern] of cases)
    it(name, () => {
      const d = tmp();
      const a = args(d);
      const before = snapshot(d);
      const r = optoSync(a, d, env);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(pattern);
      expect(snapshot(d)).toEqual(before);
    });

  it('an unreachable Redis, for the sweep and for a worker, within the connect timeout', async () => {
    const port = await freePort(); // nothing listens there
    for (const args of [['sweep', 'smoke', '--queue', `redis://127.0.0.1:${port}`], ['worker', '--queue', `redis://127.0.0.1:${port}`, '--runs', 'runs']]) {
      const d = tmp();
      const t0 = Date.now();
      const r = optoSync(args, d);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim()).toMatch(new RegExp(`^opto: cannot reach Redis at redis://127\\.0\\.0\\.1:${port} \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\); is redis-server running`));
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(snapshot(d)).toEqual([]);
    }
  });
});

describe('opto sweep --data', () => {
  it('trains a preset on a feature file under run IDs of its own, next to the synthetic runs; --resume continues them', () => {
    const d = tmp();
    writeNpy(path.join(d, 'feats.npy'), [1623, 5, 8], (i) => ((i * 7919) % 101) / 101);
    const ids = (...args: string[]) => optoSync(['sweep', 'smoke', ...args, '--list'], d).stdout.trim().split('\n').slice(0, -1).map((l) => l.trim().split(/\s+/)[1]);
    const onFile = ids('--data', 'feats.npy');
    const synthetic = ids();
    expect(onFile).toHaveLength(4);
    for (const id of onFile) expect(id).toMatch(/^smoke\.feats-[0-9a-f]{10}$/);
    expect(onFile.filter((id) => synthetic.includes(id))).toEqual([]);
    expect(optoSync(['sweep', 'smoke', '--index', '1', '--runs', 'runs', '--no-progress'], d).code).toBe(0);
    const one = optoSync(['sweep', 'smoke', '--data', 'feats.npy', '--index', '1', '--runs', 'runs', '--no-progress'], d);
    expect(one.code, one.stderr).toBe(0);
    const record = JSON.parse(fs.readFileSync(path.join(d, 'runs', onFile[1], 'run.json'), 'utf8'));
    expect(record.config.data.source).toBe('feats.npy');
    expect(record.data.description).toBe(path.join(fs.realpathSync(d), 'feats.npy'));
    expect(fs.readdirSync(path.join(d, 'runs')).sort()).toEqual([synthetic[1], onFile[1]].sort());
    // The file's sweep sees only its own runs: one of four exists, so a plain rerun is refused ...
    expect(optoSync(['sweep', 'smoke', '--data', 'feats.npy', '--runs', 'runs'], d).stderr).toMatch(/already holds 1 of this sweep's 4 runs \(1 finished, 0 unfinished\); continue with --resume/);
    // ... and --resume trains the other three.
    const rest = optoSync(['sweep', 'smoke', '--data', 'feats.npy', '--runs', 'runs', '--resume', '--no-progress'], d);
    expect(rest.stdout).toMatch(/^3 finished, 1 already finished, 0 failed, 0 interrupted; 9,600 sequences trained/);
    expect(fs.readdirSync(path.join(d, 'runs')).sort()).toEqual([synthetic[1], ...onFile].sort());
  });
});

describe('opto sweep --index (array jobs) and opto runs', () => {
  it('runs one member per index, from the flag or the array-job environment; a finished member is skipped', () => {
    const d = tmp();
    const list = optoSync(['sweep', 'smoke', '--list'], d);
    const ids = list.stdout.trim().split('\n').slice(0, -1).map((l) => l.trim().split(/\s+/)[1]);
    expect(ids).toHaveLength(4);
    expect(optoSync(['sweep', 'smoke', '--index', '1', '--runs', 'runs', '--no-progress'], d).code).toBe(0);
    expect(fs.readdirSync(path.join(d, 'runs'))).toEqual([ids[1]]);
    expect(optoSync(['sweep', 'smoke', '--index', 'env', '--runs', 'runs', '--no-progress'], d, { ...process.env, SLURM_ARRAY_TASK_ID: '2' }).code).toBe(0);
    const k8s = { ...process.env, JOB_COMPLETION_INDEX: '3' };
    delete k8s.SLURM_ARRAY_TASK_ID;
    expect(optoSync(['sweep', 'smoke', '--index', 'env', '--runs', 'runs', '--no-progress'], d, k8s).code).toBe(0);
    expect(fs.readdirSync(path.join(d, 'runs')).sort()).toEqual([ids[1], ids[2], ids[3]].sort());
    const again = optoSync(['sweep', 'smoke', '--index', '1', '--runs', 'runs', '--no-progress'], d);
    expect(again.stdout).toMatch(/^0 finished, 1 already finished, 0 failed/);
    // Without --resume a sweep whose runs exist is refused; with it, only member 0 is trained.
    expect(optoSync(['sweep', 'smoke', '--runs', 'runs'], d).stderr).toMatch(/already holds 3 of this sweep's 4 runs \(3 finished, 0 unfinished\); continue with --resume/);
    expect(optoSync(['sweep', 'smoke', '--runs', 'runs', '--resume', '--no-progress'], d).stdout).toMatch(/^1 finished, 3 already finished, 0 failed, 0 interrupted; 3,200 sequences trained/);

    const ls = optoSync(['runs', 'ls', '--runs', 'runs'], d);
    expect(ls.stdout.trim().split('\n')).toHaveLength(6);
    expect(ls.stdout).toMatch(new RegExp(`${ids[3]}\\s+finished\\s+100% of 3.2k\\s+50\\s+10\\s+6`));
    const q = optoSync(['runs', 'query', 'select labels, count(*) as n, max(seqs) as seqs from runs group by labels order by labels', '--runs', 'runs', '--csv'], d);
    expect(q.stdout).toBe('labels,n,seqs\n5,2,3200\n10,2,3200\n');
    const show = optoSync(['runs', 'show', ids[0].slice(0, 10), '--runs', 'runs'], d);
    expect(show.stdout).toMatch(new RegExp(`^run ${ids[0]} `));
    expect(show.stdout).toMatch(/status\s+finished/);
  });
});

describe('Ctrl-C', () => {
  it('stops a local sweep cleanly: every running run saves its state and is marked interrupted, exit 130; --resume finishes them', async () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, 's.json'), JSON.stringify({ name: 'c', base: { ...SMALL, schedule: { ...SMALL.schedule, seqs: 64_000 } }, grid: { 'task.numLabels': [5, 10, 15] } }));
    const p = start(['sweep', 's.json', '--workers', '2', '--runs', 'runs'], d);
    const saved = () => (fs.existsSync(path.join(d, 'runs')) ? fs.readdirSync(path.join(d, 'runs')).filter((id) => fs.existsSync(path.join(d, 'runs', id, 'state.safetensors'))) : []);
    await until(() => saved().length === 2, 60_000, 'two runs with a saved state');
    p.child.kill('SIGINT');
    expect(await p.exited, p.stderr()).toBe(130);
    expect(p.stderr()).toMatch(/stopping: running members save their state/);
    expect(p.stdout()).toMatch(/^0 finished, 0 already finished, 0 failed, 3 interrupted/);
    const ids = fs.readdirSync(path.join(d, 'runs'));
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(JSON.parse(fs.readFileSync(path.join(d, 'runs', id, 'run.json'), 'utf8')).status).toBe('interrupted');
    expect(snapshot(d).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const again = optoSync(['sweep', 's.json', '--runs', 'runs', '--resume'], d);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^3 finished, 0 already finished, 0 failed, 0 interrupted/);
    expect(again.stderr).toMatch(/1 to start, 2 to resume, 0 already finished/);
  });
});

describe('exact resume after kill -9', () => {
  it('a run killed at random points after its first checkpoint, then resumed, ends with the checksums of an uninterrupted run', async () => {
    const d = tmp();
    const cfg = { backend: 'wasm', schedule: { seqs: 48_000, evalEvery: 640, ckptEvery: 1280, evalSize: 100 } };
    fs.writeFileSync(path.join(d, 'c.json'), JSON.stringify(cfg));
    const ref = start(['train', 'c.json', '--out', 'ref', '--no-progress'], d);
    const killedAt: number[] = [];
    let args = ['train', 'c.json', '--out', 'victim', '--no-progress'];
    for (let round = 0; round < 2; round++) {
      const p = start(args, d);
      const ckpts = () => (fs.existsSync(path.join(d, 'victim/checkpoints')) ? fs.readdirSync(path.join(d, 'victim/checkpoints')).filter((f) => !f.startsWith('.')) : []);
      const have = ckpts().length;
      // "After its first checkpoint": a checkpoint beyond those that existed when this process started.
      await until(() => ckpts().length > Math.max(have, 1), 60_000, `a new checkpoint (round ${round})`);
      const delay = Math.floor(Math.random() * 400);
      await sleep(delay);
      p.child.kill('SIGKILL');
      expect(await p.exited).toBeNull();
      const rec = JSON.parse(fs.readFileSync(path.join(d, 'victim/run.json'), 'utf8'));
      killedAt.push(rec.progress.seqs);
      expect(rec.status, `killed ${delay} ms after a checkpoint in round ${round}`).toBe('running');
      args = ['train', '--resume', 'victim', '--no-progress'];
    }
    const last = start(args, d);
    expect(await last.exited, last.stderr()).toBe(0);
    expect(await ref.exited, ref.stderr()).toBe(0);
    const a = runChecksums(path.join(d, 'victim'));
    const b = runChecksums(path.join(d, 'ref'));
    expect(a.status).toBe('finished');
    expect(a.checkpoint).toBe(48_000);
    expect(a.metrics.length).toBe(b.metrics.length);
    expect(a, `killed at ${killedAt.join(', ')} sequences`).toEqual(b);
    expect(fs.readdirSync(path.join(d, 'victim/checkpoints')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
