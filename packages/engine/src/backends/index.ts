/**
 * Backend selection. `auto` prefers WebGPU when an adapter exists and otherwise the wasm SIMD core; the
 * choice and the reason are recorded in run.json.
 */
import { instantiateCore } from '@optoscope/core-wasm';
import type { Backend } from '../backend.js';
import { createReferenceBackend } from './reference.js';
import { createWasmBackend } from './wasm.js';

export type BackendChoice = 'auto' | 'wasm' | 'reference';

export interface SelectedBackend {
  backend: Backend;
  requested: BackendChoice;
  reason: string;
}

/** `coreModule`: an already-compiled core-wasm module to instantiate (shared by worker threads). */
export function selectBackend(requested: BackendChoice, coreModule?: WebAssembly.Module): SelectedBackend {
  const wasm = () => createWasmBackend(coreModule ? instantiateCore(coreModule) : undefined);
  switch (requested) {
    case 'reference':
      return { backend: createReferenceBackend(), requested, reason: 'requested: float64 reference (slow; the test oracle)' };
    case 'wasm':
      return { backend: wasm(), requested, reason: 'requested: wasm SIMD core' };
    case 'auto':
      // The WebGPU backend arrives with its own issue; until then auto always means the wasm core.
      return { backend: wasm(), requested, reason: 'auto: no WebGPU backend in this build, using the wasm SIMD core' };
    default:
      throw new Error(`unknown backend '${requested as string}' (expected auto, wasm or reference)`);
  }
}

export { createReferenceBackend, createWasmBackend };
