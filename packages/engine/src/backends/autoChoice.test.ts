/**
 * `--backend auto` decides by measurement (issue: "WebGPU where it pays"). Without a GPU the only adapter
 * is Mesa's llvmpipe, which the rule skips untimed; with the rule forced off, auto must still pick the
 * wasm core, now because it timed the run's own step on both and wasm was faster, and say so with both
 * figures. The verdict is cached per machine, adapter and program, so the next run does not time again.
 * Needs the webgpu tests' adapter (Mesa EGL/GLES); without it these fail with the reason.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseRunConfig } from '../config.js';
import { syntheticFeatures } from '../data/synthetic.js';
import { buildTask } from '../data/task.js';
import { RunDir } from '../store/runDir.js';
import { train } from '../train.js';
import { setupTraining } from '../trainSetup.js';
import type { Backend } from '../backend.js';
import { fileVerdictCache } from '../store/backendVerdicts.js';
import { selectBackendAsync } from './index.js';

vi.setConfig({ testTimeout: 600_000 });
const temps: string[] = [];
const tmp = () => {
  temps.push(fs.mkdtempSync(path.join(os.tmpdir(), 'opto-auto-')));
  return temps.at(-1)!;
};
afterAll(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const features = syntheticFeatures({ seed: 0 });
const cfg = parseRunConfig({ preset: 'smoke', backend: 'auto' });
const task = buildTask(cfg.task, features);
const calls: string[] = [];
const measure = (be: Backend) => {
  calls.push(be.name);
  return setupTraining(cfg, task, features, be).trainStep.run;
};

describe('--backend auto by measurement', () => {
  it('by rule, a software adapter is skipped without timing: wasm, and nothing is measured', async () => {
    calls.length = 0;
    const sel = await selectBackendAsync('auto', undefined, { measure, timeSoftwareAdapters: false, verdicts: fileVerdictCache(path.join(tmp(), 'v.json')) });
    expect(sel.backend.name).toBe('wasm');
    expect(sel.reason).toMatch(/^auto: (no hardware WebGPU adapter is possible|the only WebGPU adapter is a software one)/);
    expect(sel.timing).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('with the rule off, llvmpipe is timed on the run\'s own step and loses to the wasm core; the verdict is cached', async () => {
    const cacheFile = path.join(tmp(), 'verdicts.json');
    calls.length = 0;
    const sel = await selectBackendAsync('auto', undefined, { measure, programKey: 'smoke', timeSoftwareAdapters: true, verdicts: fileVerdictCache(cacheFile) });
    expect(calls).toEqual(['wasm', 'webgpu']);
    expect(sel.backend.name).toBe('wasm');
    const t = sel.timing!;
    console.log(`[auto] llvmpipe: wasm ${t.wasmMsPerStep.toFixed(2)} ms/step, webgpu ${t.webgpuMsPerStep.toFixed(2)} ms/step`);
    expect(t.picked).toBe('wasm');
    expect(t.cached).toBe(false);
    expect(t.webgpuMsPerStep).toBeGreaterThan(t.wasmMsPerStep);
    expect(sel.reason).toMatch(/^auto: the wasm SIMD core, faster here than WebGPU on the software adapter .*measured on this run's program: wasm [\d.]+ ms\/step, webgpu [\d.]+ ms\/step/);
    const cache = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    expect(Object.keys(cache)).toHaveLength(1);
    expect(Object.keys(cache)[0]).toContain(os.hostname());
    expect(Object.values(cache)[0]).toMatchObject({ picked: 'wasm', wasmMsPerStep: t.wasmMsPerStep, webgpuMsPerStep: t.webgpuMsPerStep });

    // The same machine, adapter and program: the cached verdict, no timing.
    calls.length = 0;
    const again = await selectBackendAsync('auto', undefined, { measure, programKey: 'smoke', timeSoftwareAdapters: true, verdicts: fileVerdictCache(cacheFile) });
    expect(calls).toEqual([]);
    expect(again.backend.name).toBe('wasm');
    expect(again.timing).toMatchObject({ picked: 'wasm', cached: true, wasmMsPerStep: t.wasmMsPerStep });
    expect(again.reason).toContain('cached verdict for this machine, adapter and program');

    // Another program shape is timed afresh; a corrupt cache is measured again and rewritten whole.
    calls.length = 0;
    await selectBackendAsync('auto', undefined, { measure, programKey: 'other', timeSoftwareAdapters: true, verdicts: fileVerdictCache(cacheFile) });
    expect(calls).toEqual(['wasm', 'webgpu']);
    expect(Object.keys(JSON.parse(fs.readFileSync(cacheFile, 'utf8')))).toHaveLength(2);
    fs.writeFileSync(cacheFile, '{"truncated');
    calls.length = 0;
    await selectBackendAsync('auto', undefined, { measure, programKey: 'smoke', timeSoftwareAdapters: true, verdicts: fileVerdictCache(cacheFile) });
    expect(calls).toEqual(['wasm', 'webgpu']);
    expect(Object.keys(JSON.parse(fs.readFileSync(cacheFile, 'utf8')))).toHaveLength(1);
  });

  it('train() records both timings and the reason in run.json, and trains exactly as on wasm', async () => {
    const dir = tmp();
    const saved = { t: process.env.OPTO_AUTO_TIME_SOFTWARE, c: process.env.OPTO_CACHE_DIR };
    process.env.OPTO_AUTO_TIME_SOFTWARE = '1';
    process.env.OPTO_CACHE_DIR = path.join(dir, 'cache');
    try {
      const small = { schedule: { seqs: 640, evalEvery: 320, ckptEvery: null, evalSize: 50 } };
      await train(parseRunConfig({ ...small, backend: 'auto' }), { out: path.join(dir, 'auto'), features });
      await train(parseRunConfig({ ...small, backend: 'wasm' }), { out: path.join(dir, 'wasm'), features });
      const rec = RunDir.open(path.join(dir, 'auto')).readRecord();
      expect(rec.backend.used).toBe('wasm');
      expect(rec.backend.timing).toMatchObject({ picked: 'wasm', cached: false });
      expect(rec.backend.timing!.webgpuMsPerStep).toBeGreaterThan(rec.backend.timing!.wasmMsPerStep);
      expect(rec.backend.reason).toMatch(/faster here than WebGPU/);
      expect(fs.existsSync(path.join(dir, 'cache', 'backend-verdicts.json'))).toBe(true);
      // Timing on a scratch program leaves the run's own training untouched.
      // Every field but the wall-clock reading.
      const rows = (id: string) => RunDir.open(path.join(dir, id)).readMetrics().filter((r) => r.kind === 'eval').map(({ wall_s: _w, ...r }) => r);
      expect(rows('auto')).toEqual(rows('wasm'));
    } finally {
      for (const [k, v] of [['OPTO_AUTO_TIME_SOFTWARE', saved.t], ['OPTO_CACHE_DIR', saved.c]] as const) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
});
