/**
 * The wasm SIMD core for pages that train in the browser (/train fetches it from here). Served from the
 * installed @optoscope/core-wasm build, so the page always runs the kernels the engine was built with and
 * no copy of the binary lives in the app's sources.
 */
import { coreWasmBytes } from '@optoscope/core-wasm';

export function GET(): Response {
  const bytes = coreWasmBytes();
  const body = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return new Response(body, { headers: { 'content-type': 'application/wasm', 'cache-control': 'no-cache' } });
}
