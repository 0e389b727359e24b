/**
 * Uploads a run that trains in a local directory, file by file as the trainer writes them (RunDir tells
 * it), in write order. A file's content is read when it is sent (synchronously, so no later write slips
 * in between), so every object the bucket holds is a whole file. `run.json` written again moves to the
 * back of the line, so it reaches the bucket only after every file written before it; so does the resume
 * state (`state.safetensors`, `state.prev.safetensors`): a worker that takes the run over continues from
 * the bucket's state, so a state sent ahead of the checkpoint written before it, and the writer killed in
 * between, would leave that checkpoint missing for good. Any other file written again keeps its place (it
 * only grows or is replaced whole, so what is sent is newer and still reaches the bucket before every
 * record written after its first write; moving it back would let a record already queued overtake the
 * rows it names).
 * A reader therefore never sees a record that names progress, a checkpoint or a summary the bucket does
 * not hold yet, and the bucket never holds a resume state ahead of the checkpoints before it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunWriteListener } from '../runDir.js';
import type { Bucket } from './bucket.js';

/** Files that go to the back of the line when written again: the record and the resume states. */
const MOVES_BACK = /^(run\.json|state(\.prev)?\.safetensors)$/;
/** Failed uploads are retried after this long (the SDK has already retried each request). */
const RETRY_MS = 1000;
/** flush() gives up after this many failed rounds in a row. */
const MAX_ROUNDS = 5;

export class RunMirror implements RunWriteListener {
  private readonly queue: string[] = [];
  private draining: Promise<void> | null = null;
  private failures = 0;
  private lastError: Error | null = null;

  /** `localDir` is mirrored to `<bucket prefix>/<remoteRel>/`. */
  constructor(
    private readonly bucket: Bucket,
    private readonly localDir: string,
    private readonly remoteRel: string,
  ) {}

  get busy(): boolean {
    return this.draining !== null;
  }

  written(rel: string): void {
    const i = this.queue.indexOf(rel);
    if (i >= 0 && !MOVES_BACK.test(rel)) return; // queued already: sent from there with what it holds then
    if (i >= 0) this.queue.splice(i, 1);
    this.queue.push(rel);
    this.draining ??= this.drain().finally(() => (this.draining = null));
  }

  /** Resolves once everything written so far is in the bucket; throws (one line) if it cannot get there. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.draining) {
      this.draining ??= this.drain().finally(() => (this.draining = null));
      await this.draining;
      if (this.queue.length > 0 && this.failures >= MAX_ROUNDS)
        throw new Error(`${this.lastError!.message} (the run is complete in ${this.localDir}; ${this.queue.length} file(s) not uploaded)`);
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const rel = this.queue[0];
      let body: Uint8Array | null;
      try {
        body = fs.readFileSync(path.join(this.localDir, rel));
      } catch {
        body = null; // replaced or removed since (state.prev after a rename): the newer write is queued too
      }
      this.queue.shift();
      if (body === null) continue;
      try {
        await this.bucket.put(`${this.remoteRel}/${rel}`, body);
        this.failures = 0;
      } catch (e) {
        this.lastError = e as Error;
        this.failures++;
        // Back at the front (unless written again meanwhile): order is what keeps readers consistent.
        if (!this.queue.includes(rel)) this.queue.unshift(rel);
        if (this.failures >= MAX_ROUNDS) return;
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }
}
