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
  // `opto dashboard` builds into .next; its tests into .next-e2e, so a dashboard being used keeps its build.
  distDir: process.env.OPTO_DASHBOARD_DIST_DIR || '.next',
  poweredByHeader: false,
  // Cross-origin isolation, so pages get SharedArrayBuffer: /train's webgpu backend blocks its train worker
  // on a shared reply slot (Atomics.wait) until the GPU worker answers. Everything the app loads is
  // same-origin, so require-corp costs nothing; set on every path because workers and chunks need it too.
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
          { key: 'Cross-Origin-Embedder-Policy', value: 'require-corp' },
        ],
      },
    ];
  },
  reactStrictMode: true,
};

export default nextConfig;
