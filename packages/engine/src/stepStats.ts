/**
 * Per-step training statistics (the batch loss and the gradient's squared norm) kept on the device and
 * read back every k steps, in one read, instead of two reads per step. On webgpu every read is a round
 * trip to the GPU worker that waits for the device to drain, so a per-step read serialises the host and
 * the GPU; with a ring of k slots the host queues k steps' kernels without waiting.
 *
 * The values that come back are the very float32 numbers a per-step read returns, in step order, so a
 * window mean summed on the host from them is identical to the per-step loop's (sweep/batched.ts).
 */
import type { Buf } from './backend.js';
import type { BatchedRunsBackend } from './backends/webgpuProxy.js';

export interface StepValues {
  /** Per run, per step since the last drain: the batch loss and the gradient norm. */
  loss: number[][];
  gradNorm: number[][];
}

export class DeferredStepStats {
  private readonly ring: Buf;
  private filled = 0;

  /**
   * @param k steps held before a drain is due (`full`).
   * @param loss the training program's scalar loss; @param grads the gradient block of `n` elements.
   */
  constructor(
    private readonly be: BatchedRunsBackend,
    private readonly loss: Buf,
    private readonly grads: Buf,
    private readonly n: number,
    readonly k: number,
  ) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`DeferredStepStats: k must be a positive integer, got ${k}`);
    // [loss × k | squared grad norm × k] per run: one contiguous read per drain.
    this.ring = be.allocF(2 * k);
  }

  /** Queue this step's loss and squared gradient norm into the next slot (no read). */
  record(): void {
    if (this.filled >= this.k) throw new Error('DeferredStepStats: the ring is full; drain() first');
    this.be.copy(this.be.slice(this.ring, this.filled, 1), this.loss, 1);
    this.be.sumSqInto(this.be.slice(this.ring, this.k + this.filled, 1), this.grads, this.n);
    this.filled++;
  }

  get full(): boolean {
    return this.filled >= this.k;
  }

  get pending(): number {
    return this.filled;
  }

  /** Read every pending step's values back (one read for all runs) and empty the ring. */
  drain(): StepValues {
    const R = this.be.runs;
    const out: StepValues = { loss: Array.from({ length: R }, () => []), gradNorm: Array.from({ length: R }, () => []) };
    if (this.filled === 0) return out;
    const all = this.be.readRuns(this.ring);
    const w = 2 * this.k;
    for (let r = 0; r < R; r++)
      for (let i = 0; i < this.filled; i++) {
        out.loss[r].push(all[r * w + i]);
        out.gradNorm[r].push(Math.sqrt(all[r * w + this.k + i]));
      }
    this.filled = 0;
    return out;
  }
}
