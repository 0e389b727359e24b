/**
 * The mirror's upload order, made deterministic: a bucket whose every put waits until the test lets it
 * finish (the network, slowed down at will), so uploads lag behind the trainer's writes exactly as they do
 * under load. What readers rely on: when the bucket's run.json names progress, every metrics row up to it
 * is already in the bucket. The s3 CLI test checks the same against a real S3-protocol server, at random.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Bucket } from './bucket.js';
import { RunMirror } from './mirror.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-mirror-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Puts that complete one at a time when `release()` is called; the bucket's state after each. */
function slowBucket() {
  const objects = new Map<string, string>();
  const waiting: (() => void)[] = [];
  const log: string[] = [];
  const bucket = {
    put: (rel: string, body: Uint8Array) =>
      new Promise<void>((resolve) =>
        waiting.push(() => {
          objects.set(rel, Buffer.from(body).toString());
          log.push(rel);
          resolve();
        }),
      ),
  } as unknown as Bucket;
  const release = async () => {
    while (waiting.length === 0) await new Promise((r) => setImmediate(r));
    waiting.shift()!();
    await new Promise((r) => setImmediate(r));
  };
  return { bucket, objects, log, release, pending: () => waiting.length };
}

const write = (m: RunMirror, rel: string, text: string) => {
  fs.writeFileSync(path.join(dir, rel), text);
  m.written(rel);
};

/** Let the uploads finish one at a time, checking the bucket after each, then wait for the mirror. */
async function drainChecking(b: ReturnType<typeof slowBucket>, m: RunMirror, check: () => void): Promise<void> {
  while (b.pending() > 0 || m.busy) {
    await b.release();
    check();
  }
  await m.flush();
}

describe('RunMirror upload order', () => {
  it('a record already queued never overtakes the metrics rows it names, however late the uploads run', async () => {
    const b = slowBucket();
    const m = new RunMirror(b.bucket, dir, 'r');
    write(m, 'metrics.jsonl', 'row0\n'); // upload 1 starts (holds row0)
    write(m, 'metrics.jsonl', 'row0\nrow1\n'); // row1, then a record that names it
    write(m, 'run.json', 'progress 1');
    write(m, 'metrics.jsonl', 'row0\nrow1\nrow2\n'); // the next row arrives before the record is sent
    // Check the bucket after every completed upload: a record naming progress n needs row n there.
    await drainChecking(b, m, () => {
      const rec = b.objects.get('r/run.json');
      if (rec) expect(b.objects.get('r/metrics.jsonl') ?? '', `after ${b.log.join(', ')}`).toContain(`row${rec.split(' ')[1]}`);
    });
    expect(b.objects.get('r/run.json')).toBe('progress 1');
    expect(b.objects.get('r/metrics.jsonl')).toBe('row0\nrow1\nrow2\n');
    // The record went up after the metrics that name its rows.
    expect(b.log.indexOf('r/run.json')).toBeGreaterThan(b.log.indexOf('r/metrics.jsonl'));
  });

  it('a record written again goes after everything written before it', async () => {
    const b = slowBucket();
    const m = new RunMirror(b.bucket, dir, 'r');
    write(m, 'run.json', 'progress 0'); // upload 1 starts
    write(m, 'run.json', 'progress 0 again');
    write(m, 'ckpt-1', 'weights');
    write(m, 'run.json', 'progress 1 (names ckpt-1)');
    await drainChecking(b, m, () => {
      if (b.objects.get('r/run.json')?.includes('ckpt-1')) expect(b.objects.has('r/ckpt-1')).toBe(true);
    });
    expect(b.log).toEqual(['r/run.json', 'r/ckpt-1', 'r/run.json']);
  });

  it('the resume state written again goes after the checkpoint written before it (a takeover continues from the bucket’s state)', async () => {
    const b = slowBucket();
    const m = new RunMirror(b.bucket, dir, 'r');
    write(m, 'run.json', 'progress 0'); // upload 1 starts
    write(m, 'ckpt-1', 'weights 1');
    write(m, 'state.safetensors', 'state 1');
    write(m, 'run.json', 'progress 1');
    write(m, 'ckpt-2', 'weights 2');
    write(m, 'state.safetensors', 'state 2'); // queued since 'state 1', not sent yet
    write(m, 'run.json', 'progress 2');
    await drainChecking(b, m, () => {
      const state = b.objects.get('r/state.safetensors');
      if (state) expect(b.objects.has(`r/ckpt-${state.split(' ')[1]}`), `after ${b.log.join(', ')}`).toBe(true);
    });
    expect(b.log).toEqual(['r/run.json', 'r/ckpt-1', 'r/ckpt-2', 'r/state.safetensors', 'r/run.json']);
    expect(b.objects.get('r/state.safetensors')).toBe('state 2');
  });
});
