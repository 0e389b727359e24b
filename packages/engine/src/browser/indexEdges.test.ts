/**
 * The browser entry's own functions (browser/index.ts): compiling the wasm core from a URL, served here by
 * a real HTTP server as the dashboard serves /train/core.wasm, and a backend per run on that module.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { coreWasmBytes } from '@optoscope/core-wasm';
import { expect, it } from 'vitest';
import { compileWasmCore, wasmBackend } from './index.js';

it('compiles the core from a URL; each backend on it has its own memory; a missing core names the URL and status', async () => {
  const bytes = coreWasmBytes();
  const server = http.createServer((req, res) => {
    if (req.url === '/train/core.wasm') res.writeHead(200, { 'content-type': 'application/wasm' }).end(bytes);
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const mod = await compileWasmCore(`${base}/train/core.wasm`);
    expect(mod).toBeInstanceOf(WebAssembly.Module);
    const a = wasmBackend(mod);
    const b = wasmBackend(mod);
    expect(a.name).toBe('wasm');
    const x = a.allocF(3);
    a.write(x, [1, 2, 3]);
    a.axpy(x, x, 1, 3);
    expect(Array.from(a.read(x))).toEqual([2, 4, 6]);
    expect(Array.from(b.read(b.allocF(3)))).toEqual([0, 0, 0]);
    await expect(compileWasmCore(`${base}/nope.wasm`)).rejects.toThrow(`could not load the wasm core from ${base}/nope.wasm: HTTP 404`);
  } finally {
    await new Promise((r) => server.close(r));
  }
});
