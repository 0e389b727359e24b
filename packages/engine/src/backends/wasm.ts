/**
 * The wasm backend with the Node loader: instantiates build/core.wasm from disk unless a core is given.
 * The backend itself lives in `wasmCore.ts`, which a browser can import.
 */
import { instantiateCore, type Core } from '@optoscope/core-wasm';
import type { Backend } from '../backend.js';
import { createWasmBackendOn } from './wasmCore.js';

export function createWasmBackend(core: Core = instantiateCore()): Backend {
  return createWasmBackendOn(core);
}
