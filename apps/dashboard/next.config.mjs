import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The engine (and what it loads: DuckDB's native binding, h5wasm, worker_threads, the wasm core) stays a
 * plain Node import on the server: Next must not bundle it. Client code gets the figure builders only,
 * through the `@engine-figures` alias (tsconfig paths) onto the engine's built figures module, which
 * imports nothing but vega / vega-lite.
 */
/** @type {import('next').NextConfig} */
const nextConfig = {
  serverExternalPackages: ['@optoscope/engine', '@optoscope/core-wasm', '@duckdb/node-api', 'h5wasm', 'bullmq', 'ioredis'],
  // The monorepo root holds the lockfile and packages/engine/dist, which the client alias reaches.
  turbopack: { root: path.resolve(here, '../..') },
  outputFileTracingRoot: path.resolve(here, '../..'),
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
