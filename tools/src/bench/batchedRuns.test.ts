/**
 * Batched runs on webgpu (R runs as a leading batch dimension of every kernel) against R separate runs on
 * the float64 reference: every run's loss at every step. Runs on llvmpipe without a GPU (see
 * packages/engine/src/backends/webgpu.test.ts); fails, with how to get an adapter, when there is none.
 */
import { createReferenceBackend, openWebGpuDevice, type WebGpuDevice } from '@optoscope/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchedRuns } from './batchedRuns.js';

const R = 3;
const STEPS = 20;
const B = 8;
const seeds = Array.from({ length: R }, (_, r) => ({ init: 5 + r, train: 100 + r }));

let device: WebGpuDevice | null = null;
let openError: Error | null = null;
beforeAll(async () => {
  try {
    device = await openWebGpuDevice();
  } catch (e) {
    openError = e as Error;
  }
});
afterAll(async () => device?.close());

describe(`webgpu batched runs: ${R} seeds in one device step match ${R} separate reference runs`, () => {
  for (const [name, interventions] of [
    ['no clamp', undefined],
    ['ablation', { ablate: ['0:3', '1:0'] }],
    ['perfect Layer 1 + copy (two passes)', { perfectLayer1: true, perfectCopy: { head: '1:3' } }],
  ] as const)
    it(`${name}: every run's loss at each of ${STEPS} steps within 1e-4 (absolute)`, { timeout: 300_000 }, () => {
      if (!device) throw new Error(`no WebGPU device: ${openError?.message}`);
      const batched = batchedRuns({ be: device.createBatchedBackend(R), seeds, batch: B, interventions });
      const got = Array.from({ length: STEPS }, () => batched.step());
      const want = seeds.map((s) => {
        const one = batchedRuns({ be: createReferenceBackend(), seeds: [s], batch: B, interventions });
        return Array.from({ length: STEPS }, () => one.step()[0]);
      });
      // Different seeds give different runs: a kernel that mixed or broadcast replicas could not pass.
      expect(Math.abs(want[0][0] - want[1][0])).toBeGreaterThan(1e-3);
      expect(Math.abs(want[0][STEPS - 1] - want[0][0])).toBeGreaterThan(1e-3); // and they train
      let worst = 0;
      for (let r = 0; r < R; r++)
        for (let s = 0; s < STEPS; s++) {
          const d = Math.abs(got[s][r] - want[r][s]);
          worst = Math.max(worst, d);
          expect(d, `run ${r}, step ${s}: batched ${got[s][r]} vs reference ${want[r][s]}`).toBeLessThanOrEqual(1e-4);
        }
      console.log(`batched runs, ${name}: max |Δloss| ${worst.toExponential(2)} over ${R} runs × ${STEPS} steps`);
    });
});
