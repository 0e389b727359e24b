import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunDir } from './runDir.js';
import { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors } from './safetensors.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'opto-store-'));

describe('safetensors', () => {
  it('matches the format byte for byte: u64 LE header length, JSON header, 8-byte aligned F32 data', () => {
    const bytes = encodeSafetensors({ a: { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }, b: { shape: [1], data: Float32Array.from([-0.5]) } }, { k: 'v' });
    const hlen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + hlen) % 8).toBe(0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + hlen)).toString());
    expect(header.a).toEqual({ dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] });
    expect(header.b).toEqual({ dtype: 'F32', shape: [1], data_offsets: [16, 20] });
    expect(header.__metadata__.k).toBe('v');
    const body = new Float32Array(bytes.slice(8 + hlen).buffer);
    expect([...body]).toEqual([1, 2, 3, 4, -0.5]);
    const back = decodeSafetensors(bytes);
    expect([...back.tensors.a.data]).toEqual([1, 2, 3, 4]);
  });
  it('detects a corrupted or truncated file by checksum', () => {
    const dir = tmp();
    const f = path.join(dir, 'x.safetensors');
    writeSafetensors(f, { w: { shape: [3], data: Float32Array.from([1, 2, 3]) } });
    const bytes = fs.readFileSync(f);
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(f, bytes);
    expect(() => readSafetensors(f)).toThrow(/checksum/);
    fs.writeFileSync(f, bytes.subarray(0, 20));
    expect(() => readSafetensors(f)).toThrow(/header length|checksum|JSON/);
  });
});

describe('run directory', () => {
  it('refuses an --out that holds a finished run, an unfinished run, or other files, changing nothing', () => {
    const dir = tmp();
    const run = path.join(dir, 'r');
    RunDir.create(run).writeRecord({ schema: 'optoscope.run/1', status: 'finished' } as never);
    const before = fs.readFileSync(path.join(run, 'run.json'), 'utf8');
    expect(() => RunDir.create(run)).toThrow(/already holds a finished run/);
    expect(fs.readFileSync(path.join(run, 'run.json'), 'utf8')).toBe(before);
    fs.writeFileSync(path.join(run, 'run.json'), JSON.stringify({ status: 'running' }));
    expect(() => RunDir.create(run)).toThrow(/unfinished run.*--resume/);
    const other = path.join(dir, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'notes.txt'), 'keep me');
    expect(() => RunDir.create(other)).toThrow(/not empty/);
    expect(fs.readFileSync(path.join(other, 'notes.txt'), 'utf8')).toBe('keep me');
  });
  it('ignores a trailing partial metrics line and truncates exactly for resume', () => {
    const run = RunDir.create(path.join(tmp(), 'r'));
    run.appendMetrics([
      { kind: 'eval', seqs: 0, step: 0, set: 'fsl_train', loss: 2 },
      { kind: 'eval', seqs: 5024, step: 157, set: 'fsl_train', loss: 1 },
    ]);
    fs.appendFileSync(run.metricsFile, '{"kind":"eval","seqs":10016,"st');
    expect(run.readMetrics().map((r) => r.seqs)).toEqual([0, 5024]);
    run.truncateMetrics(4000);
    expect(run.readMetrics().map((r) => r.seqs)).toEqual([0]);
  });
  it('falls back to the previous resume state when the latest is corrupt', () => {
    const run = RunDir.create(path.join(tmp(), 'r'));
    run.saveState({ p: { shape: [1], data: Float32Array.from([1]) } }, { n: '1' });
    run.saveState({ p: { shape: [1], data: Float32Array.from([2]) } }, { n: '2' });
    expect(run.loadState()!.metadata.n).toBe('2');
    const b = fs.readFileSync(run.stateFile);
    b[b.length - 1] ^= 1;
    fs.writeFileSync(run.stateFile, b);
    const warnings: string[] = [];
    expect(run.loadState((w) => warnings.push(w))!.metadata.n).toBe('1');
    expect(warnings[0]).toMatch(/checksum/);
  });
});
