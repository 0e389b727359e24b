/**
 * `opto sweep --backend webgpu`: 4 seeds x 2 clamp conditions trained batched on the device (4 replicas per
 * device step) against 8 separate `train()` runs on webgpu, file by file; kill -9 mid-sweep and
 * `--resume` ends with the checksums of the uninterrupted sweep; and `auto` with the software-adapter rule
 * forced off picks the wasm pool by measurement. Runs on the software adapter (llvmpipe) without a GPU.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRunConfig, RunDir, runChecksums, train } from '@optoscope/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optoSync, removeTemps, sleep, start, tmp, until } from './testing/procs.js';

afterAll(removeTemps);

/** The parity bound of the webgpu tests (webgpu.test.ts, batchedRuns.test.ts): absolute, on every metric. */
const PARITY_TOL = 1e-4;
const SPEC = {
  name: 'bsw',
  base: { backend: 'webgpu', schedule: { seqs: 384, evalEvery: 128, ckptEvery: 128, evalSize: 32 }, optim: { batchSize: 8, lr: 1e-3 } },
  grid: { interventions: [{}, { ablate: ['0:3', '1:0'] }] },
  zip: { 'seeds.init': [5, 6, 7, 8], 'seeds.train': [105, 106, 107, 108] },
};

const d = tmp('opto-batched-');
const ids = () => fs.readdirSync(path.join(d, 'runs')).sort();
let sweep: ReturnType<typeof optoSync>;
beforeAll(() => {
  fs.writeFileSync(path.join(d, 's.json'), JSON.stringify(SPEC));
  sweep = optoSync(['sweep', 's.json', '--runs', 'runs', '--replicas', '4', '--json'], d, process.env, 600_000);
}, 600_000);

describe('opto sweep --backend webgpu: 4 seeds x 2 clamps, batched on the device (software adapter)', () => {
  it('groups the 8 members into 2 programs of 4 replicas and finishes all 8', () => {
    expect(sweep.code, sweep.stderr).toBe(0);
    expect(sweep.stdout).toMatch(/^8 finished, 0 already finished, 0 failed, 0 interrupted/);
    expect(sweep.stderr.match(/4 member\(s\) of one program: requested: webgpu, 4 replicas per device step/g)).toHaveLength(2);
    expect(ids()).toHaveLength(8);
  });

  it('every run directory matches a separate webgpu run of its config: every metric within 1e-4, same rows, same files', { timeout: 900_000 }, async () => {
    let worst = 0;
    for (const id of ids()) {
      const dir = path.join(d, 'runs', id);
      const rec = RunDir.open(dir).readRecord();
      expect(rec.status).toBe('finished');
      expect(rec.backend.used).toBe('webgpu');
      const alone = path.join(d, 'alone', id);
      await train(parseRunConfig(rec.config), { out: alone });
      const a = RunDir.open(dir).readMetrics();
      const b = RunDir.open(alone).readMetrics();
      expect(a.map((r) => [r.kind, r.seqs, r.step, r.set])).toEqual(b.map((r) => [r.kind, r.seqs, r.step, r.set]));
      a.forEach((row, i) => {
        for (const [k, v] of Object.entries(row)) {
          if (typeof v !== 'number' || k === 'wall_s') continue;
          const diff = Math.abs(v - (b[i][k] as number));
          worst = Math.max(worst, diff);
          expect(diff, `${id} row ${i} ${k}: batched ${v} vs alone ${b[i][k]}`).toBeLessThanOrEqual(PARITY_TOL);
        }
      });
      // The same checkpoints and resume state as a single run writes.
      expect(fs.readdirSync(path.join(dir, 'checkpoints')).sort()).toEqual(fs.readdirSync(path.join(alone, 'checkpoints')).sort());
      expect(fs.existsSync(path.join(dir, 'state.safetensors'))).toBe(true);
    }
    // Different seeds and clamps give different runs: a kernel that mixed replicas could not pass.
    const finals = ids().map((id) => RunDir.open(path.join(d, 'runs', id)).readRecord().summary!.final.fsl_train.loss);
    expect(new Set(finals).size).toBe(8);
    console.log(`batched sweep vs 8 separate webgpu runs: max |Δ| over every metric ${worst.toExponential(2)}`);
  });

  it('kill -9 mid-sweep, then --resume: every run ends with the checksums of the uninterrupted sweep', { timeout: 900_000 }, async () => {
    const victim = path.join(d, 'victim');
    const p = start(['sweep', 's.json', '--runs', 'victim', '--replicas', '4', '--no-progress'], d);
    // Members whose run has passed its checkpoint at 128 sequences (the first after 0).
    const past = () => (fs.existsSync(victim) ? fs.readdirSync(victim).filter((id) => fs.existsSync(path.join(victim, id, 'checkpoints', 'seqs-0000000128.safetensors'))) : []);
    await until(() => past().length >= 4, 600_000, 'the first batch past its first checkpoint after 0');
    await sleep(Math.floor(Math.random() * 1500));
    p.child.kill('SIGKILL');
    expect(await p.exited).toBeNull();
    const records = fs.readdirSync(victim).map((id) => RunDir.open(path.join(victim, id)).readRecord());
    expect(records.some((r) => r.status === 'running')).toBe(true); // killed, not stopped
    const again = optoSync(['sweep', 's.json', '--runs', 'victim', '--replicas', '4', '--resume'], d, process.env, 600_000);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^\d finished, \d already finished, 0 failed, 0 interrupted/);
    for (const id of ids()) expect(runChecksums(path.join(victim, id)), id).toEqual(runChecksums(path.join(d, 'runs', id)));
  });
});

describe('opto sweep --backend auto on the software adapter', () => {
  it('with the rule that skips software adapters forced off, batching is timed and the wasm pool wins by measurement', () => {
    const e = tmp('opto-batched-auto-');
    const spec = { ...SPEC, name: 'bau', base: { ...SPEC.base, backend: 'auto', schedule: { seqs: 64, evalEvery: 64, ckptEvery: 64, evalSize: 32 } } };
    fs.writeFileSync(path.join(e, 's.json'), JSON.stringify(spec));
    const env = { ...process.env, OPTO_AUTO_TIME_SOFTWARE: '1', OPTO_CACHE_DIR: path.join(e, 'cache') };
    const r = optoSync(['sweep', 's.json', '--runs', 'runs', '--replicas', '4', '--workers', '1'], e, env, 600_000);
    expect(r.code, r.stderr).toBe(0);
    // Both programs (no clamp, ablation): timed, not skipped by rule, and the device slower than the pool.
    const verdicts = r.stderr.match(/auto: the wasm pool, faster than batching on the software adapter .*\(measured: \d run\(s\) per device step [\d.]+ ms, the same \d run\(s\) on 1 wasm thread\(s\) [\d.]+ ms\)/g) ?? [];
    expect(verdicts, r.stderr).toHaveLength(2);
    for (const v of verdicts) {
      const [, gpu, cpu] = /step ([\d.]+) ms, the same \d run\(s\) on 1 wasm thread\(s\) ([\d.]+) ms/.exec(v)!.map(Number);
      expect(gpu).toBeGreaterThan(cpu);
    }
    // The pool trained every member, on wasm (each run's own auto choice).
    for (const id of fs.readdirSync(path.join(e, 'runs'))) expect(RunDir.open(path.join(e, 'runs', id)).readRecord().backend.used).toBe('wasm');
  });
});
