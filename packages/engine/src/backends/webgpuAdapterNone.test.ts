/**
 * The adapter probe when no adapter can be had (webgpuAdapter.ts): EGL_PLATFORM=x11 with no display, so
 * Mesa's EGL cannot start and Dawn finds nothing. A file of its own: EGL reads the setting once per process.
 * The probe never throws; it says what each request got and what the EGL setting should be.
 */
import { expect, it } from 'vitest';
import { hardwareGpuPossible } from './gpuDeviceNodes.js';
import { acquireWebGpuAdapter } from './webgpuAdapter.js';

it('no adapter: null, with every request’s failure and the EGL hint', async () => {
  process.env.EGL_PLATFORM = 'x11';
  delete process.env.DISPLAY;
  delete process.env.WAYLAND_DISPLAY;
  const p = await acquireWebGpuAdapter();
  // a machine with a real GPU may still answer through Vulkan
  if ((await hardwareGpuPossible()).possible && p.adapter) return;
  expect(p).toMatchObject({ adapter: null, gpu: null, globals: null, info: null, isSoftware: false, via: 'none' });
  expect(p.reason).toMatch(/^Dawn found no WebGPU adapter \(webgpu \(Dawn\), featureLevel=core: .+; webgpu \(Dawn\) backend=opengles, featureLevel=compatibility: .+; EGL_PLATFORM=x11, where a machine without a display needs surfaceless\)$/);
});
