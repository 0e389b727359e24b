import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunConfig } from './config.js';
import { syntheticFeatures } from './data/index.js';
import { RunDir } from './store/runDir.js';
import { readSafetensors } from './store/safetensors.js';
import { InterruptedError, train } from './train.js';

const features = syntheticFeatures({ seed: 0 });
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'opto-train-'));
const small = (over: object = {}) =>
  parseRunConfig({ backend: 'wasm', schedule: { seqs: 3200, evalEvery: 100, ckptEvery: 1600, evalSize: 100 }, ...over });

describe('training loop (spec 3)', () => {
  it('evaluates at the first step reaching each multiple of the cadence, plus a final eval at seqs', async () => {
    const out = path.join(tmp(), 'run');
    const summary = await train(small(), { out, features });
    const run = RunDir.open(out);
    const evalXs = [...new Set(run.readMetrics().filter((r) => r.kind === 'eval').map((r) => r.seqs))];
    // Independent expectation: sequences advance by 32; points 0, 100, 200, ... < 3200 map to the first
    // multiple of 32 at or after them; then the final eval at 3200.
    const expected: number[] = [];
    for (let p = 0; p < 3200; p += 100) {
      const x = Math.ceil(p / 32) * 32;
      if (!expected.includes(x)) expected.push(x);
    }
    expected.push(3200);
    expect(evalXs).toEqual(expected);
    expect(run.listCheckpoints()).toEqual([0, 1600, 3200]);
    const rec = run.readRecord();
    expect(rec.status).toBe('finished');
    expect(rec.seeds).toEqual({ init: 5, train: 0, eval: 1 });
    expect(rec.params).toBe(66629);
    expect(Object.keys(summary.final).sort()).toEqual(['fsl_test_class', 'fsl_train', 'fsl_train_valex', 'fsl_val_rl']);
    expect(summary.initial.fsl_train.loss).toBeGreaterThan(1.6);
    expect(summary.initial.fsl_train.loss).toBeLessThan(2.1);
    const ck = readSafetensors(run.checkpointFile(3200));
    expect(ck.tensors['blocks.1.attn.qkv.weight'].shape).toEqual([192, 64]);
  });

  it('an interrupted run resumes to a bitwise-identical result (parameters and every metric row)', async () => {
    const dir = tmp();
    const full = path.join(dir, 'full');
    await train(small(), { out: full, features });

    const part = path.join(dir, 'part');
    const ac = new AbortController();
    // Interrupt between checkpoints (at seqs 2016) so the train-loss window and RNG must be restored.
    const onEvent = (e: { type: string; seqs?: number }) => {
      if (e.type === 'eval' && e.seqs === 2016) ac.abort();
    };
    await expect(train(small(), { out: part, features, signal: ac.signal, onEvent })).rejects.toBeInstanceOf(InterruptedError);
    expect(RunDir.open(part).readRecord().status).toBe('interrupted');
    await train(small(), { out: part, features, resume: true });

    const a = readSafetensors(RunDir.open(full).checkpointFile(3200)).tensors;
    const b = readSafetensors(RunDir.open(part).checkpointFile(3200)).tensors;
    for (const name of Object.keys(a)) expect(Buffer.from(b[name].data.buffer).equals(Buffer.from(a[name].data.buffer)), name).toBe(true);
    // Identical rows but for the wall time each run took; wall time only grows, across the resume too.
    const noWall = (d: string) => RunDir.open(d).readMetrics().map(({ wall_s, ...r }) => r);
    expect(noWall(part)).toEqual(noWall(full));
    const walls = RunDir.open(part).readMetrics().map((r) => r.wall_s as number);
    expect(walls.every((w, i) => typeof w === 'number' && (i === 0 || w >= walls[i - 1]!))).toBe(true);
  });

  it('refuses bad input before writing anything', async () => {
    const dir = tmp();
    await expect(train(small({ task: { classSplit: [1500, 100, 100] } }), { out: path.join(dir, 'r'), features })).rejects.toThrow(/class/i);
    expect(fs.existsSync(path.join(dir, 'r'))).toBe(false);
    expect(() => small({ schedule: { seqs: -5 } })).toThrow(/schedule\.seqs/);
  });
});
