/**
 * Backend selection (backends/index.ts) on this machine: no GPU device node, Mesa's llvmpipe through Dawn's
 * OpenGL ES backend as the only adapter (the webgpu tests' adapter; without it these fail with the reason).
 * Each branch of `auto` is reached with a real verdict cache (a Map) and real step timings: a step made
 * slow on one backend decides the pick, a step that throws on webgpu falls back to wasm.
 */
import { compileCoreModule } from '@optoscope/core-wasm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Backend, BackendTiming } from '../backend.js';
import type { VerdictCache } from './autoChoice.js';
import { BACKEND_CHOICES, selectBackend, selectBackendAsync } from './index.js';
import { acquireWebGpuAdapter } from './webgpuAdapter.js';
import { linkBuiltDist } from '../testing/builtDist.js';

vi.setConfig({ testTimeout: 120_000 });
beforeAll(linkBuiltDist);

const mapCache = (): VerdictCache & { m: Map<string, BackendTiming> } => {
  const m = new Map<string, BackendTiming>();
  return { m, get: (k) => m.get(k) ?? null, put: (k, t) => void m.set(k, t) };
};
const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};
const timing = (picked: 'wasm' | 'webgpu'): BackendTiming => ({ wasmMsPerStep: 1.25, webgpuMsPerStep: 3.5, picked, cached: true, measuredAt: '2026-01-01T00:00:00.000Z' });

describe('selectBackend (synchronous)', () => {
  it('reference, wasm, auto as wasm; webgpu and unknown names refused', () => {
    expect(BACKEND_CHOICES).toEqual(['auto', 'wasm', 'reference', 'webgpu']);
    const r = selectBackend('reference');
    expect([r.backend.name, r.backend.precision, r.requested, r.reason]).toEqual(['reference', 'float64', 'reference', 'requested: float64 reference (slow; the test oracle)']);
    const w = selectBackend('wasm');
    expect([w.backend.name, w.requested, w.reason]).toEqual(['wasm', 'wasm', 'requested: wasm SIMD core']);
    const a = selectBackend('auto');
    expect([a.backend.name, a.requested, a.reason]).toEqual(['wasm', 'auto', 'auto (synchronous selection, WebGPU not probed): using the wasm SIMD core']);
    expect(() => selectBackend('webgpu')).toThrow("backend 'webgpu' starts asynchronously: select it with selectBackendAsync");
    expect(() => selectBackend('cuda' as never)).toThrow("unknown backend 'cuda' (expected auto, wasm, reference, webgpu)");
  });

  it('an already-compiled core module is instantiated afresh: two backends do not share memory', () => {
    const mod = compileCoreModule();
    const a = selectBackend('wasm', mod).backend;
    const b = selectBackend('wasm', mod).backend;
    const x = a.allocF(4);
    a.write(x, Float32Array.from([1, 2, 3, 4]));
    const y = b.allocF(4);
    expect(Array.from(b.read(y))).toEqual([0, 0, 0, 0]);
    expect(Array.from(a.read(x))).toEqual([1, 2, 3, 4]);
  });
});

describe('selectBackendAsync', () => {
  it('non-auto choices are the synchronous ones', async () => {
    expect((await selectBackendAsync('reference')).reason).toBe('requested: float64 reference (slow; the test oracle)');
    expect((await selectBackendAsync('wasm')).backend.name).toBe('wasm');
    await expect(selectBackendAsync('nope' as never)).rejects.toThrow("unknown backend 'nope'");
  });

  it('the probe finds llvmpipe, a software adapter, through OpenGL ES at the compatibility level', async () => {
    const p = await acquireWebGpuAdapter();
    expect(p.adapter, p.reason).not.toBeNull();
    expect(p.isSoftware).toBe(true);
    expect(p.via).toBe('webgpu (Dawn) backend=opengles, featureLevel=compatibility');
    expect(p.reason).toMatch(/^software adapter .*llvmpipe.* via webgpu \(Dawn\) backend=opengles, featureLevel=compatibility$/);
    expect(process.env.EGL_PLATFORM).toBe('surfaceless');
    expect(p.globals).toHaveProperty('GPUBufferUsage');
  });

  it('auto with the software rule: wasm, saying why, nothing opened or timed', async () => {
    const saved = process.env.OPTO_AUTO_TIME_SOFTWARE;
    delete process.env.OPTO_AUTO_TIME_SOFTWARE;
    try {
      let timed = 0;
      const sel = await selectBackendAsync('auto', undefined, { measure: () => () => void timed++ });
      expect(sel.backend.name).toBe('wasm');
      expect(sel.requested).toBe('auto');
      // no device node here, so the rule stops before Dawn is even loaded
      expect(sel.reason).toBe('auto: no hardware WebGPU adapter is possible: no GPU device node (/dev/dri/renderD*, /dev/nvidia*, /dev/dxg) on this Linux machine; using the wasm SIMD core');
      expect(sel.release).toBeUndefined();
      expect(timed).toBe(0);
      // OPTO_AUTO_TIME_SOFTWARE=1 turns the rule off, as timeSoftwareAdapters does
      process.env.OPTO_AUTO_TIME_SOFTWARE = '1';
      const cache = mapCache();
      const off = await selectBackendAsync('auto', undefined, { verdicts: cache, programKey: 'k' });
      expect(off.backend.name).toBe('webgpu');
      await off.release!();
    } finally {
      if (saved === undefined) delete process.env.OPTO_AUTO_TIME_SOFTWARE;
      else process.env.OPTO_AUTO_TIME_SOFTWARE = saved;
    }
  });

  it('auto, rule off, no program to time: webgpu on the adapter found', async () => {
    const sel = await selectBackendAsync('auto', undefined, { timeSoftwareAdapters: true });
    try {
      expect(sel.backend.name).toBe('webgpu');
      expect(sel.timing).toBeUndefined();
      expect(sel.reason).toMatch(/^auto: WebGPU on the software adapter .*llvmpipe.* \(a hardware adapter; no program to time\)$/);
    } finally {
      await sel.release!();
    }
  });

  it('auto, rule off: a cached wasm verdict needs no device; a cached webgpu verdict opens one', async () => {
    const cache = mapCache();
    let timed = 0;
    const measure = () => () => void timed++;
    // the key the verdict is kept under: find it by timing once
    const first = await selectBackendAsync('auto', undefined, { timeSoftwareAdapters: true, verdicts: cache, programKey: 'p1', measure, budgetMs: 20 });
    await first.release?.();
    expect(cache.m.size).toBe(1);
    const [key] = cache.m.keys();
    expect(key).toMatch(/ \| .*llvmpipe.* \| p1$/);
    expect(cache.m.get(key)).toEqual(first.timing);

    timed = 0;
    cache.m.set(key, timing('wasm'));
    const w = await selectBackendAsync('auto', undefined, { timeSoftwareAdapters: true, verdicts: cache, programKey: 'p1', measure });
    expect(timed).toBe(0);
    expect(w.backend.name).toBe('wasm');
    expect(w.timing).toEqual(timing('wasm'));
    expect(w.reason).toBe('auto: cached verdict for this machine, adapter and program: wasm 1.25 ms/step, webgpu 3.50 ms/step; using the wasm SIMD core');
    expect(w.release).toBeUndefined();

    cache.m.set(key, timing('webgpu'));
    const g = await selectBackendAsync('auto', undefined, { timeSoftwareAdapters: true, verdicts: cache, programKey: 'p1', measure });
    try {
      expect(timed).toBe(0);
      expect(g.backend.name).toBe('webgpu');
      expect(g.timing).toEqual(timing('webgpu'));
      expect(g.reason).toMatch(/^auto: WebGPU on the software adapter .* \(cached verdict for this machine, adapter and program: wasm 1\.25 ms\/step, webgpu 3\.50 ms\/step\)$/);
    } finally {
      await g.release!();
    }
    // another program is not covered by that verdict
    const other = await selectBackendAsync('auto', undefined, { timeSoftwareAdapters: true, verdicts: cache, programKey: 'p2' });
    await other.release!();
    expect(other.timing).toBeUndefined();
  });

  it('auto, rule off, timed: the faster backend wins and the verdict is stored; a failing webgpu step falls back', async () => {
    const slow = (name: string) => (be: Backend) => () => busy(be.name === name ? 15 : 0);
    const cache = mapCache();
    const g = await selectBackendAsync('auto', undefined, { timeSoftwareAdapters: true, verdicts: cache, programKey: 'a', measure: slow('wasm'), budgetMs: 200 });
    try {
      expect(g.backend.name).toBe('webgpu');
      expect(g.timing!.picked).toBe('webgpu');
      expect(g.timing!.wasmMsPerStep).toBeGreaterThanOrEqual(15);
      expect(g.reason).toMatch(/^auto: WebGPU on the software adapter .*, faster here \(measured on this run's program: wasm [\d.]+ ms\/step, webgpu [\d.]+ ms\/step\)$/);
      expect([...cache.m.values()]).toEqual([g.timing]);
    } finally {
      await g.release!();
    }
    const w = await selectBackendAsync('auto', undefined, { timeSoftwareAdapters: true, verdicts: cache, programKey: 'b', measure: slow('webgpu'), budgetMs: 200 });
    expect(w.backend.name).toBe('wasm');
    expect(w.requested).toBe('auto');
    expect(w.timing!.picked).toBe('wasm');
    expect(w.reason).toMatch(/^auto: the wasm SIMD core, faster here than WebGPU on the software adapter .* \(measured on this run's program: wasm [\d.]+ ms\/step, webgpu [\d.]+ ms\/step\)$/);
    expect(cache.m.size).toBe(2);
    const failing = (be: Backend) => () => {
      if (be.name === 'webgpu') throw new Error('shader compile failed');
    };
    const f = await selectBackendAsync('auto', undefined, { timeSoftwareAdapters: true, verdicts: cache, programKey: 'c', measure: failing });
    expect(f.backend.name).toBe('wasm');
    expect(f.reason).toBe('auto: timing the webgpu backend failed (shader compile failed); using the wasm SIMD core');
    expect(cache.m.size).toBe(2);
  });

  it('webgpu requested: the device, with a warning that the adapter is a software one', async () => {
    const sel = await selectBackendAsync('webgpu');
    try {
      expect(sel.backend.name).toBe('webgpu');
      expect(sel.requested).toBe('webgpu');
      expect(sel.reason).toMatch(/^requested: webgpu on the software adapter .*llvmpipe/);
      expect(sel.warning).toMatch(/^webgpu is running on a software adapter \(.*llvmpipe.*\): results are correct but far slower than the wasm core; use it for correctness checks only$/);
    } finally {
      await sel.release!();
    }
  });
});
