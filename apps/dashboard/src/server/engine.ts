/**
 * The engine, loaded by Node at run time rather than bundled by Next. The workspace package resolves to
 * packages/engine (a symlink), which Turbopack treats as app source and would bundle, together with what
 * the engine loads lazily (worker_threads pools, DuckDB's native binding, h5wasm, the wasm core files).
 * An import the bundler ignores keeps all of that a plain Node import, resolved from node_modules.
 */
import type * as Engine from '@optoscope/engine';
import type * as EngineReport from '@optoscope/engine/report';
import type * as EngineQuery from '@optoscope/engine/query';

export type EngineModule = typeof Engine;
export type ReportModule = typeof EngineReport;
export type EngineQueryModule = typeof EngineQuery;
let loadedQuery: Promise<EngineQueryModule> | undefined;
let loaded: Promise<EngineModule> | undefined;
let loadedReport: Promise<ReportModule> | undefined;

export function engine(): Promise<EngineModule> {
  const name = '@optoscope/engine';
  return (loaded ??= import(/* webpackIgnore: true */ /* turbopackIgnore: true */ name) as Promise<EngineModule>);
}

/** The report entry point (`readReport`): separate, as it loads every analysis; only the report page needs it. */
export function engineReport(): Promise<ReportModule> {
  const name = '@optoscope/engine/report';
  return (loadedReport ??= import(/* webpackIgnore: true */ /* turbopackIgnore: true */ name) as Promise<ReportModule>);
}

/** The run store entry (DuckDB): the compare view's aggregation. */
export function engineQuery(): Promise<EngineQueryModule> {
  const name = '@optoscope/engine/query';
  return (loadedQuery ??= import(/* webpackIgnore: true */ /* turbopackIgnore: true */ name) as Promise<EngineQueryModule>);
}
