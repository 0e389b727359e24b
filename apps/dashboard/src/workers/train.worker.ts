/**
 * /train's train worker (a dedicated Web Worker): the engine's training loop off the page's main thread.
 * The body is the engine's; this file only gives the bundler an entry point.
 */
import { serveTrainWorker, type PortLike } from '@optoscope/engine/browser';

serveTrainWorker(self as unknown as PortLike);
