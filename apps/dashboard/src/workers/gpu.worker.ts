/**
 * /train's GPU worker (a dedicated Web Worker): owns the WebGPU device and runs the train worker's kernel
 * batches with tfjs-backend-webgpu. The body is the engine's; this file only gives the bundler an entry point.
 */
import { serveGpuWorker } from '@optoscope/engine/browser-gpu';

serveGpuWorker(self as unknown as Parameters<typeof serveGpuWorker>[0]);
