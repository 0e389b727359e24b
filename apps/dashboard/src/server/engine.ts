/**
 * The engine, loaded by Node at run time rather than bundled by Next. The workspace package resolves to
 * packages/engine (a symlink), which Turbopack treats as app source and would bundle, together with what
 * the engine loads lazily (worker_threads pools, DuckDB's native binding, h5wasm, the wasm core files).
 * An import the bundler ignores keeps all of that a plain Node import, resolved from node_modules.
 */
import type * as Engine from '@optoscope/engine';

export type EngineModule = typeof Engine;
let loaded: Promise<EngineModule> | undefined;

export function engine(): Promise<EngineModule> {
  const name = '@optoscope/engine';
  return (loaded ??= import(/* webpackIgnore: true */ /* turbopackIgnore: true */ name) as Promise<EngineModule>);
}
