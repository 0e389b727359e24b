/**
 * Whether a Linux machine has a GPU device node: `--backend auto` asks this before loading Dawn. Node
 * only (it reads /dev), so it lives apart from webgpuAdapter.ts, which a browser bundle also loads.
 */
import * as fs from 'node:fs';

/**
 * Whether this machine could have a hardware adapter at all, decided without loading Dawn. On Linux a GPU
 * shows up as a device node (/dev/dri/renderD*, /dev/nvidia*, WSL's /dev/dxg); with none, `auto` skips
 * the probe: it would only find a software rasteriser, and Dawn prints several warning lines to stderr
 * while looking (it cannot be silenced from JavaScript). Elsewhere (macOS, Windows, browsers) assume yes.
 * `dev`: where the device nodes live (a test points it at a directory of its own).
 */
export async function hardwareGpuPossible(dev = '/dev'): Promise<{ possible: boolean; why: string }> {
  if (typeof process === 'undefined' || process.platform !== 'linux') return { possible: true, why: 'not Linux: device nodes not checked' };
  const list = (dir: string) => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  };
  const nodes = [
    ...list(`${dev}/dri`).filter((f) => f.startsWith('renderD')).map((f) => `${dev}/dri/${f}`),
    ...list(dev).filter((f) => /^nvidia\d+$/.test(f) || f === 'dxg').map((f) => `${dev}/${f}`),
  ];
  return nodes.length
    ? { possible: true, why: `GPU device nodes ${nodes.join(', ')}` }
    : { possible: false, why: 'no GPU device node (/dev/dri/renderD*, /dev/nvidia*, /dev/dxg) on this Linux machine' };
}
