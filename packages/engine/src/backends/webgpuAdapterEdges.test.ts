/**
 * The adapter probe in Node (webgpuAdapter.ts) on this machine: no Vulkan loader, so Dawn's default request
 * fails and Mesa's llvmpipe answers through OpenGL ES at the compatibility level, with EGL set to
 * surfaceless by the probe itself (the webgpu tests' adapter; without it this fails with the reason).
 */
import { expect, it } from 'vitest';
import { acquireWebGpuAdapter, HOW_TO_GET_A_WEBGPU_ADAPTER } from './webgpuAdapter.js';

it('finds llvmpipe through OpenGL ES, marks it software, and hands out Dawn’s GPU object and globals', async () => {
  delete process.env.EGL_PLATFORM;
  const p = await acquireWebGpuAdapter();
  expect(process.env.EGL_PLATFORM).toBe('surfaceless');
  expect(p.adapter, p.reason).not.toBeNull();
  expect(p.via).toBe('webgpu (Dawn) backend=opengles, featureLevel=compatibility');
  expect(p.isSoftware).toBe(true);
  const { vendor, architecture, device, description } = p.info!;
  expect(`${vendor} ${architecture} ${device} ${description}`).toMatch(/llvmpipe/i);
  const names = [...new Set([description, device, vendor, architecture].filter((s) => s.trim() !== ''))].join(' / ');
  expect(p.reason).toBe(`software adapter ${names} via webgpu (Dawn) backend=opengles, featureLevel=compatibility`);
  expect(typeof p.gpu!.requestAdapter).toBe('function');
  expect(p.globals).toHaveProperty('GPUBufferUsage');
  expect(p.adapter!.features.size).toBeGreaterThanOrEqual(0);
  expect(p.adapter!.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
});

it('the instructions name the package, the Mesa packages and the EGL setting', () => {
  expect(HOW_TO_GET_A_WEBGPU_ADAPTER.split('\n')).toHaveLength(6);
  expect(HOW_TO_GET_A_WEBGPU_ADAPTER).toContain('webgpu@0.6.2');
  expect(HOW_TO_GET_A_WEBGPU_ADAPTER).toContain('sudo apt-get install -y libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri');
  expect(HOW_TO_GET_A_WEBGPU_ADAPTER).toContain('EGL_PLATFORM=surfaceless');
});
