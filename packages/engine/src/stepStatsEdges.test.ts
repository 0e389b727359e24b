/**
 * The deferred per-step statistics on a real batched WebGPU backend (two replicas): each replica's losses
 * and gradients written per step, recorded into the ring, and drained; the expectations are the written
 * losses rounded to float32 and the gradient norms computed here in float64.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BatchedRunsBackend, WebGpuDevice } from './backends/webgpu.js';
import { DeferredStepStats } from './stepStats.js';

let device: WebGpuDevice;
beforeAll(async () => {
  // The device from the built package: its GPU worker is a built script, and Stryker's sandbox copies src/
  // without dist/ (the src module finds no worker script there). Imported at run time, so vitest's related-file
  // search still sees this file import only the src module under test.
  const dist = path.dirname(createRequire(import.meta.url).resolve('@optoscope/engine'));
  const { openWebGpuDevice } = (await import(pathToFileURL(path.join(dist, 'backends', 'webgpu.js')).href)) as typeof import('./backends/webgpu.js');
  device = await openWebGpuDevice();
});
afterAll(async () => {
  await device?.close();
});

const R = 2;
const N = 3;
/** Step s's loss and gradient of replica r (distinct everywhere, so a misplaced slot shows). */
const lossOf = (r: number, s: number) => 1.1 + 0.37 * s + 10 * r;
const gradOf = (r: number, s: number) => [0.5 + s, -1.25 * (r + 1), 0.1 * (s + 1) * (r + 2)];

function setup(k: number) {
  const be = device.createBatchedBackend(R) as BatchedRunsBackend;
  const loss = be.allocF(1);
  const grads = be.allocF(N);
  const stats = new DeferredStepStats(be, loss, grads, N, k);
  const step = (s: number) => {
    for (let r = 0; r < R; r++) {
      be.hostRun = r;
      be.write(loss, [lossOf(r, s)]);
      be.write(grads, gradOf(r, s));
    }
    be.hostRun = null;
    stats.record();
  };
  return { be, stats, step };
}
const norm = (g: number[]) => Math.sqrt(g.reduce((a, v) => a + v * v, 0));

describe('DeferredStepStats', () => {
  it('k steps recorded, then drained in step order per replica: float32 losses and gradient norms', () => {
    const { stats, step } = setup(3);
    expect(stats.k).toBe(3);
    expect(stats.pending).toBe(0);
    expect(stats.full).toBe(false);
    step(0);
    step(1);
    expect(stats.pending).toBe(2);
    expect(stats.full).toBe(false);
    step(2);
    expect(stats.full).toBe(true);
    expect(() => stats.record()).toThrow('DeferredStepStats: the ring is full; drain() first');
    const out = stats.drain();
    for (let r = 0; r < R; r++) {
      expect(out.loss[r]).toEqual([0, 1, 2].map((s) => Math.fround(lossOf(r, s))));
      expect(out.gradNorm[r]).toHaveLength(3);
      for (let s = 0; s < 3; s++) expect(out.gradNorm[r][s]).toBeCloseTo(norm(gradOf(r, s)), 5);
    }
    expect(stats.pending).toBe(0);
    expect(stats.full).toBe(false);
    // the ring starts again at its first slot
    step(3);
    const next = stats.drain();
    for (let r = 0; r < R; r++) {
      expect(next.loss[r]).toEqual([Math.fround(lossOf(r, 3))]);
      expect(next.gradNorm[r][0]).toBeCloseTo(norm(gradOf(r, 3)), 5);
    }
  });

  it('a partial ring drains only the steps recorded; an empty one reads nothing and gives an empty list per replica', () => {
    const { stats, step } = setup(4);
    expect(stats.drain()).toEqual({ loss: [[], []], gradNorm: [[], []] });
    step(7);
    const out = stats.drain();
    for (let r = 0; r < R; r++) {
      expect(out.loss[r]).toEqual([Math.fround(lossOf(r, 7))]);
      expect(out.gradNorm[r]).toHaveLength(1);
      expect(out.gradNorm[r][0]).toBeCloseTo(norm(gradOf(r, 7)), 5);
    }
  });

  it('k must be a positive integer', () => {
    const be = device.createBatchedBackend(1) as BatchedRunsBackend;
    const loss = be.allocF(1);
    const grads = be.allocF(N);
    for (const k of [0, -1, 1.5, Number.NaN]) expect(() => new DeferredStepStats(be, loss, grads, N, k)).toThrow(`DeferredStepStats: k must be a positive integer, got ${k}`);
    expect(new DeferredStepStats(be, loss, grads, N, 1).k).toBe(1);
  });
});
