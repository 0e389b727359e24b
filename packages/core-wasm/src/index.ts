/**
 * Node entry of @optoscope/core-wasm: everything in `core.ts` (which a browser can load on its own), plus
 * reading build/core.wasm from disk, which needs node:fs and so stays out of `core.ts`.
 */
import { readFileSync } from 'node:fs';
import { instantiateCore as instantiateFrom, type Core } from './core.js';

export * from './core.js';

const WA = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => WebAssembly.Module } }).WebAssembly;

/** The bytes of build/core.wasm (what the dashboard serves to pages that train in the browser). */
export function coreWasmBytes(): Uint8Array {
  return readFileSync(new URL('../build/core.wasm', import.meta.url));
}

let cachedModule: WebAssembly.Module | undefined;

/** Compiles build/core.wasm (once; later calls return the same module, which can be posted to workers). */
export function compileCoreModule(): WebAssembly.Module {
  if (!cachedModule) cachedModule = new WA.Module(coreWasmBytes());
  return cachedModule;
}

/** Instantiates the kernels (synchronously) with a fresh memory and arena. */
export function instantiateCore(module: WebAssembly.Module = compileCoreModule()): Core {
  return instantiateFrom(module);
}
