/**
 * `--backend auto`'s verdicts kept between runs in one JSON file per user (backends/autoChoice.ts
 * decides; this only remembers), so a run of a shape already timed on this machine and adapter skips
 * the second of timing. An unreadable file is measured again and rewritten whole.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BackendTiming } from '../backend.js';
import type { VerdictCache } from '../backends/autoChoice.js';
import { writeJsonAtomic } from './atomic.js';

/** Where verdicts are kept: OPTO_CACHE_DIR, else XDG_CACHE_HOME/optoscope, else ~/.cache/optoscope. */
export function defaultVerdictFile(): string {
  const dir = process.env.OPTO_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'optoscope');
  return path.join(dir, 'backend-verdicts.json');
}

function readAll(file: string): Record<string, BackendTiming> {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, BackendTiming>) : {};
  } catch {
    return {}; // absent or unreadable: measure again (and rewrite it whole)
  }
}

export function fileVerdictCache(file = defaultVerdictFile()): VerdictCache {
  return {
    get(key) {
      const v = readAll(file)[key];
      return v && (v.picked === 'wasm' || v.picked === 'webgpu') && Number.isFinite(v.wasmMsPerStep) && Number.isFinite(v.webgpuMsPerStep) ? { ...v, cached: true } : null;
    },
    put(key, timing) {
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        writeJsonAtomic(file, { ...readAll(file), [key]: { ...timing, cached: false } });
      } catch {
        // A read-only home directory only costs the next run another second of timing.
      }
    },
  };
}
