/**
 * The parts of `--backend auto` that need no adapter: timing a step (warm-up, at least 3 and at most 25
 * timed steps, the median, allocations released), the pick, the cache key, the wording, and the GPU
 * device-node check against a listing of /dev made here.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../backend.js';
import { describeTiming, measureBackends, timeSteps, verdictKey } from './autoChoice.js';
import { hardwareGpuPossible } from './gpuDeviceNodes.js';
import { createReferenceBackend } from './reference.js';
import { createWasmBackend } from './wasm.js';
import { describeAdapter } from './webgpuAdapter.js';

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe('timeSteps', () => {
  it('one warm-up step, then at least 3 timed steps even with no budget; the median is the middle one', () => {
    const be = createReferenceBackend();
    const lengths = [0, 2, 200, 50]; // warm-up, then three timed steps: sorted 2, 50, 200 → median 50
    let calls = 0;
    const ms = timeSteps(be, () => () => busy(lengths[calls++]), 0);
    expect(calls).toBe(4);
    expect(ms).toBeGreaterThanOrEqual(50);
    expect(ms).toBeLessThan(200);
  });

  it('the middle of an even count is the upper of the two', () => {
    const be = createReferenceBackend();
    // budget 200 ms: after 1 + 1 + 20 ms a 4th step (400 ms) starts, and then the budget is spent
    const lengths = [0, 1, 1, 20, 400, 400];
    let calls = 0;
    const ms = timeSteps(be, () => () => busy(lengths[Math.min(calls++, 5)]), 200);
    expect(calls).toBe(5);
    // sorted 1, 1, 20, 400: index 2
    expect(ms).toBeGreaterThanOrEqual(20);
    expect(ms).toBeLessThan(400);
  });

  it('at most 25 timed steps however large the budget, each step of the same program', () => {
    const be = createReferenceBackend();
    let built = 0;
    let calls = 0;
    timeSteps(be, () => (built++, () => void calls++), 60_000);
    expect(built).toBe(1);
    expect(calls).toBe(26);
  });

  it('steps until the budget has passed, and no longer', () => {
    const be = createReferenceBackend();
    const starts: number[] = [];
    let end = 0;
    timeSteps(be, () => () => (starts.push(performance.now()), busy(5), (end = performance.now())), 60);
    const timed = starts.length - 1;
    expect(timed).toBeGreaterThanOrEqual(3);
    // the loop stops only once 60 ms have passed since the first timed step
    expect(end - starts[1]).toBeGreaterThanOrEqual(60);
    // every step takes at least 5 ms, so the budget is spent after at most 12 of them (13 with the check's edge)
    expect(timed).toBeLessThanOrEqual(13);
  });

  it('frees what the step allocated, also when it throws', () => {
    const be = createWasmBackend(); // the reference backend never frees (its mark is always 0)
    const before = be.mark();
    timeSteps(be, (b) => {
      b.allocF(1000);
      return () => undefined;
    }, 0);
    expect(be.mark()).toBe(before);
    expect(() =>
      timeSteps(be, (b) => {
        b.allocF(1000);
        return () => {
          throw new Error('kernel failed');
        };
      }, 0),
    ).toThrow('kernel failed');
    expect(be.mark()).toBe(before);
  });
});

describe('measureBackends', () => {
  const slowOn = (name: string, ms: number) => (be: Backend) => () => busy(be.name === name ? ms : 0);
  const named = (name: string): Backend => ({ ...createReferenceBackend(), name }) as Backend;

  it('picks the faster backend, each timed on half the budget', () => {
    const t0 = Date.now();
    const a = measureBackends(named('wasm'), named('webgpu'), slowOn('wasm', 8), 100);
    expect(a.picked).toBe('webgpu');
    expect(a.wasmMsPerStep).toBeGreaterThanOrEqual(8);
    expect(a.webgpuMsPerStep).toBeLessThan(8);
    expect(a.cached).toBe(false);
    expect(Date.parse(a.measuredAt)).toBeGreaterThanOrEqual(t0 - 1000);
    expect(a.measuredAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const b = measureBackends(named('wasm'), named('webgpu'), slowOn('webgpu', 8), 100);
    expect(b.picked).toBe('wasm');
    expect(b.webgpuMsPerStep).toBeGreaterThanOrEqual(8);
  });

  it('half of the budget each: 10 ms steps in a 100 ms budget are timed at most 6 times per backend', () => {
    const counts: Record<string, number> = { wasm: 0, webgpu: 0 };
    measureBackends(named('wasm'), named('webgpu'), (be) => () => (counts[be.name]++, busy(10)), 100);
    for (const n of Object.values(counts)) {
      expect(n).toBeGreaterThanOrEqual(4); // warm-up + ≥ 3
      expect(n).toBeLessThanOrEqual(7); // warm-up + 50 ms / 10 ms (+1 at the edge)
    }
    // the default budget is one second: 60 ms steps, at most 500 / 60 + 1 = 9 timed per backend
    const d: Record<string, number> = { wasm: 0, webgpu: 0 };
    measureBackends(named('wasm'), named('webgpu'), (be) => () => (d[be.name]++, busy(60)));
    for (const n of Object.values(d)) {
      expect(n).toBeGreaterThanOrEqual(4);
      expect(n).toBeLessThanOrEqual(11);
    }
  });
});

describe('verdicts and wording', () => {
  it('the cache key: host, first CPU model, adapter, program', () => {
    expect(verdictKey('llvmpipe', 'd64 b8')).toBe(`${os.hostname()} | ${os.cpus()[0]?.model ?? 'cpu'} | llvmpipe | d64 b8`);
  });

  it('describeTiming says whether the figures were measured now or cached, to two decimals', () => {
    const t = { wasmMsPerStep: 0.914, webgpuMsPerStep: 12.5, picked: 'wasm' as const, measuredAt: '2026-01-01T00:00:00.000Z' };
    expect(describeTiming({ ...t, cached: false })).toBe("measured on this run's program: wasm 0.91 ms/step, webgpu 12.50 ms/step");
    expect(describeTiming({ ...t, cached: true })).toBe('cached verdict for this machine, adapter and program: wasm 0.91 ms/step, webgpu 12.50 ms/step');
  });

  it('describeAdapter: the distinct non-blank names, description first', () => {
    expect(describeAdapter(null)).toBe('unknown adapter');
    expect(describeAdapter({ vendor: '', architecture: ' ', device: '', description: '' })).toBe('unnamed adapter');
    expect(describeAdapter({ vendor: 'mesa', architecture: 'llvm', device: 'llvmpipe', description: 'llvmpipe' })).toBe('llvmpipe / mesa / llvm');
    expect(describeAdapter({ vendor: 'nvidia', architecture: 'hopper', device: 'H100', description: 'NVIDIA H100' })).toBe('NVIDIA H100 / H100 / nvidia / hopper');
  });
});

describe('hardwareGpuPossible', () => {
  it('render nodes, /dev/nvidiaN and /dev/dxg count; card nodes, nvidiactl and nvidia-uvm do not', async () => {
    const dev = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-dev-'));
    try {
      const touch = (rel: string) => fs.writeFileSync(path.join(dev, rel), '');
      expect(await hardwareGpuPossible(dev)).toEqual({ possible: false, why: 'no GPU device node (/dev/dri/renderD*, /dev/nvidia*, /dev/dxg) on this Linux machine' });
      for (const f of ['nvidiactl', 'nvidia-uvm', 'nvidia', 'nvidia0x', 'xnvidia1', 'dxg2', 'renderD128']) touch(f);
      fs.mkdirSync(path.join(dev, 'dri'));
      touch('dri/card0');
      touch('dri/by-path');
      expect((await hardwareGpuPossible(dev)).possible).toBe(false);
      touch('dri/renderD128');
      expect(await hardwareGpuPossible(dev)).toEqual({ possible: true, why: `GPU device nodes ${dev}/dri/renderD128` });
      touch('nvidia0');
      touch('nvidia12');
      touch('dxg');
      const r = await hardwareGpuPossible(dev);
      expect(r.possible).toBe(true);
      const listed = r.why.replace('GPU device nodes ', '').split(', ');
      expect(listed[0]).toBe(`${dev}/dri/renderD128`);
      expect(listed.slice(1).sort()).toEqual([`${dev}/dxg`, `${dev}/nvidia0`, `${dev}/nvidia12`]);
      fs.rmSync(path.join(dev, 'dri'), { recursive: true });
      fs.rmSync(path.join(dev, 'dxg'));
      fs.rmSync(path.join(dev, 'nvidia12'));
      expect(await hardwareGpuPossible(dev)).toEqual({ possible: true, why: `GPU device nodes ${dev}/nvidia0` });
    } finally {
      fs.rmSync(dev, { recursive: true, force: true });
    }
  });

  it('agrees with a listing of /dev made here: render nodes, /dev/nvidiaN, /dev/dxg', async () => {
    const ls = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d) : []);
    const nodes = [
      ...ls('/dev/dri').filter((f) => /^renderD\d+$/.test(f)).map((f) => `/dev/dri/${f}`),
      ...ls('/dev').filter((f) => /^nvidia\d+$/.test(f) || f === 'dxg').map((f) => `/dev/${f}`),
    ];
    const r = await hardwareGpuPossible();
    if (process.platform !== 'linux') return expect(r).toEqual({ possible: true, why: 'not Linux: device nodes not checked' });
    // /dev/nvidiactl and /dev/nvidia-uvm exist beside /dev/nvidia0 and are not GPUs; /dev/dri/card0 is not a render node
    expect(r).toEqual(
      nodes.length
        ? { possible: true, why: `GPU device nodes ${nodes.join(', ')}` }
        : { possible: false, why: 'no GPU device node (/dev/dri/renderD*, /dev/nvidia*, /dev/dxg) on this Linux machine' },
    );
  });
});
