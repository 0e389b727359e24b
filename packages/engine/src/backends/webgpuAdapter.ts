/**
 * WebGPU adapter discovery, shared by `--backend auto` (a cheap probe on the calling thread) and by the
 * webgpu backend's worker thread (which keeps the adapter and builds a device on it).
 *
 * In a browser the adapter comes from `navigator.gpu`. In Node it comes from the optional `webgpu`
 * package (Dawn). Dawn is asked for an adapter in several ways, because the one that works depends on
 * the machine: a real GPU answers the default (Vulkan) request at the core feature level; a machine
 * without one has Mesa's llvmpipe only through the OpenGL ES backend at the compatibility feature level
 * (EGL surfaceless, no display). A hardware adapter is preferred over a software one whichever way it came.
 */

/** How to get an adapter on a machine without a GPU; quoted by every "no adapter" error. */
export const HOW_TO_GET_A_WEBGPU_ADAPTER = [
  'To get a (software) WebGPU adapter on Debian/Ubuntu without a GPU:',
  '  1. install the npm package `webgpu` (Dawn for Node; an optional dependency of @optoscope/engine: `npm install -w @optoscope/engine webgpu@0.6.2`, its install script must be allowed);',
  '  2. install Mesa EGL/GLES: `sudo apt-get install -y libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri`;',
  '  3. run with EGL_PLATFORM=surfaceless (set automatically by Optoscope when unset) so EGL needs no display.',
  'Dawn then finds llvmpipe through its OpenGL ES backend at the compatibility feature level.',
  'With a real GPU, install its Vulkan driver and loader (`libvulkan1` plus mesa-vulkan-drivers or the vendor driver).',
].join('\n');

export interface WebGpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

/** The subset of GPUAdapter used here (kept structural so no DOM typings are needed). */
export interface GpuAdapterLike {
  readonly info?: Partial<WebGpuAdapterInfo> & { isFallbackAdapter?: boolean };
  readonly features: ReadonlySet<string>;
  readonly limits: Record<string, number>;
  requestDevice(descriptor?: unknown): Promise<unknown>;
}
interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<GpuAdapterLike | null>;
}

export interface WebGpuAdapterProbe {
  /** The chosen adapter, or null when none could be had (`reason` says why). */
  adapter: GpuAdapterLike | null;
  /** The GPU object the adapter came from (navigator.gpu or Dawn's), for `navigator.gpu` shims. */
  gpu: GpuLike | null;
  /** Dawn's WebGPU globals (GPUBufferUsage, ...) to install on globalThis in Node; null in a browser. */
  globals: Record<string, unknown> | null;
  info: WebGpuAdapterInfo | null;
  /** A CPU rasteriser (llvmpipe, lavapipe, SwiftShader, WARP, ...): correct but never worth timing. */
  isSoftware: boolean;
  /** How it was obtained, e.g. "webgpu (Dawn) backend=opengles, featureLevel=compatibility". */
  via: string;
  /** One sentence: what was found (or not) and why. */
  reason: string;
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|swift shader|microsoft basic render|warp|software/i;

export function describeAdapter(info: WebGpuAdapterInfo | null): string {
  if (!info) return 'unknown adapter';
  const parts = [info.description, info.device, info.vendor, info.architecture].filter((s) => s && s.trim() !== '');
  return parts.length ? [...new Set(parts)].join(' / ') : 'unnamed adapter';
}

function infoOf(adapter: GpuAdapterLike): { info: WebGpuAdapterInfo; isSoftware: boolean } {
  const i = adapter.info ?? {};
  const info = { vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '', description: i.description ?? '' };
  const isSoftware = i.isFallbackAdapter === true || SOFTWARE.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
  return { info, isSoftware };
}

/** Dawn request variants, tried in order; the first hardware adapter wins, else the first software one. */
const DAWN_TRIES: { flags: string[]; featureLevel: 'core' | 'compatibility' }[] = [
  { flags: [], featureLevel: 'core' },
  { flags: ['backend=opengles'], featureLevel: 'compatibility' },
];

/**
 * Find the best WebGPU adapter. Never throws: every failure (package absent, no driver, no adapter)
 * becomes `adapter: null` with the reason, so `--backend auto` can fall back and say why.
 */
export async function acquireWebGpuAdapter(): Promise<WebGpuAdapterProbe> {
  const none = (reason: string): WebGpuAdapterProbe => ({ adapter: null, gpu: null, globals: null, info: null, isSoftware: false, via: 'none', reason });
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (!isNode) {
    if (!nav?.gpu) return none('this browser has no navigator.gpu (WebGPU disabled or unsupported)');
    try {
      const adapter = await nav.gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) return none('navigator.gpu.requestAdapter() returned null (no usable GPU, or WebGPU blocked)');
      const { info, isSoftware } = infoOf(adapter);
      return { adapter, gpu: nav.gpu, globals: null, info, isSoftware, via: 'navigator.gpu', reason: `${isSoftware ? 'software' : 'hardware'} adapter ${describeAdapter(info)} via navigator.gpu` };
    } catch (e) {
      return none(`navigator.gpu.requestAdapter() failed: ${(e as Error).message}`);
    }
  }

  // Mesa's EGL needs a platform; with no display server only "surfaceless" works. Set before Dawn loads
  // libEGL (process.env writes reach the C environment, which Mesa reads at EGL initialisation).
  process.env.EGL_PLATFORM ??= 'surfaceless';
  let dawn: { create: (flags: string[]) => GpuLike; globals: Record<string, unknown> };
  try {
    // `webgpu` is an optional, Node-only dependency: neither tsc nor a page's bundler (which would pull Dawn's
    // native binding into the page) may resolve this import at build time; the browser never gets here.
    const spec = 'webgpu';
    dawn = (await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ spec)) as typeof dawn;
  } catch (e) {
    return none(`the optional npm package 'webgpu' (Dawn for Node) is not loadable: ${(e as Error).message}`);
  }
  let software: WebGpuAdapterProbe | null = null;
  const failures: string[] = [];
  for (const t of DAWN_TRIES) {
    const via = `webgpu (Dawn)${t.flags.length ? ' ' + t.flags.join(' ') : ''}, featureLevel=${t.featureLevel}`;
    try {
      const gpu = dawn.create(t.flags);
      const adapter = await gpu.requestAdapter({ featureLevel: t.featureLevel, powerPreference: 'high-performance' });
      if (!adapter) {
        failures.push(`${via}: no adapter`);
        continue;
      }
      const { info, isSoftware } = infoOf(adapter);
      const probe: WebGpuAdapterProbe = {
        adapter, gpu, globals: dawn.globals, info, isSoftware, via,
        reason: `${isSoftware ? 'software' : 'hardware'} adapter ${describeAdapter(info)} via ${via}`,
      };
      if (!isSoftware) return probe;
      software ??= probe;
    } catch (e) {
      failures.push(`${via}: ${(e as Error).message}`);
    }
  }
  const egl = process.env.EGL_PLATFORM === 'surfaceless' ? '' : `; EGL_PLATFORM=${process.env.EGL_PLATFORM}, where a machine without a display needs surfaceless`;
  return software ?? none(`Dawn found no WebGPU adapter (${failures.join('; ')}${egl})`);
}
