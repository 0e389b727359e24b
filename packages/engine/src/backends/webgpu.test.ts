import { beforeAll, describe, expect, it } from 'vitest';
import { runClampConformance } from '../testing/clampConformance.js';
import { runConformance } from '../testing/conformance.js';
import { openWebGpuDevice, type WebGpuDevice } from './webgpu.js';

let device: WebGpuDevice | null = null;
let openError: Error | null = null;
beforeAll(async () => {
  try {
    device = await openWebGpuDevice();
  } catch (e) {
    openError = e as Error;
  }
});
const make = () => {
  if (!device) throw new Error(`no WebGPU device for the webgpu backend tests: ${openError?.message}`);
  return device.createBackend();
};

describe('webgpu device', () => {
  it('an adapter can be had (without a GPU: Dawn on Mesa llvmpipe via GLES, EGL surfaceless)', () => {
    expect(openError?.message ?? null).toBe(null);
    expect(device!.reason).toMatch(/adapter/);
  });
});

runConformance('webgpu', make);
runClampConformance('webgpu', make);
