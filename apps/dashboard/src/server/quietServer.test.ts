/**
 * The start-time load of finished runs (sweep.ts: preloadFinishedRuns) takes each step only when the event
 * loop, where requests are handled, is not busy: quietServer() must not resolve while it is kept busy, and
 * must resolve soon once it is idle.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { quietServer } from './sweep';

/** Keep the event loop busy for `ms` (turns of 20 ms of work, as a server answering one request after another). */
function busyFor(ms: number): Promise<number> {
  const end = performance.now() + ms;
  return new Promise((resolve) => {
    const turn = () => {
      const stop = Math.min(end, performance.now() + 20);
      while (performance.now() < stop);
      if (performance.now() < end) setImmediate(turn);
      else resolve(performance.now());
    };
    turn();
  });
}

describe('quietServer', () => {
  it('waits while the event loop is busy, and resolves once it is idle', async () => {
    const busyEnd = busyFor(800);
    let quietAt = 0;
    const quiet = quietServer().then(() => (quietAt = performance.now()));
    const ended = await busyEnd;
    await quiet;
    expect(quietAt).toBeGreaterThanOrEqual(ended);
    // Idle: resolves well before its 5 s cap.
    const t0 = performance.now();
    await quietServer();
    expect(performance.now() - t0).toBeLessThan(4000);
  });
});
