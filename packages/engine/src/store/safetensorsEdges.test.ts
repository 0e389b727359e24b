// The safetensors files byte by byte, built here by hand from the format's definition (u64 little-endian header
// length, a JSON header padded with spaces to 8 bytes, raw little-endian F32 data; Optoscope's SHA-256 of the data
// in `__metadata__.sha256`), and every way a damaged file is refused, each with its own line.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, readSafetensors } from './safetensors.js';
import { encodeSafetensorsWeb } from './safetensorsCodec.js';
import { messageOf } from '../testing/thrown.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** little-endian F32 bytes of `xs`, written one value at a time */
function f32(xs: number[]): Uint8Array {
  const out = new Uint8Array(4 * xs.length);
  const v = new DataView(out.buffer);
  xs.forEach((x, i) => v.setFloat32(4 * i, x, true));
  return out;
}

/** A file from a header object (or raw header text) and a data section, padded as the format asks unless `raw`. */
function fileOf(header: unknown, body: Uint8Array, raw = false): Uint8Array {
  let json = typeof header === 'string' ? header : JSON.stringify(header);
  if (!raw) while (json.length % 8 !== 0) json += ' ';
  const head = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + head.length + body.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, head.length, true);
  v.setUint32(4, 0, true);
  out.set(head, 8);
  out.set(body, 8 + head.length);
  return out;
}

describe('writing', () => {
  it('lays tensors out in insertion order with their offsets, the checksum last in the metadata, padded to 8 bytes', async () => {
    const tensors = { w: { shape: [2], data: Float32Array.from([1.5, -2]) }, b: { shape: [1, 1], data: Float32Array.from([3]) }, s: { shape: [], data: Float32Array.from([0.25]) } };
    const body = f32([1.5, -2, 3, 0.25]);
    const want = fileOf(
      {
        w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [1, 1], data_offsets: [8, 12] },
        s: { dtype: 'F32', shape: [], data_offsets: [12, 16] },
        __metadata__: { run: 'r1', sha256: sha(body) },
      },
      body,
    );
    expect(Buffer.from(encodeSafetensors(tensors, { run: 'r1' })).equals(Buffer.from(want))).toBe(true);
    expect(Buffer.from(await encodeSafetensorsWeb(tensors, { run: 'r1' })).equals(Buffer.from(want))).toBe(true);
  });
  it('pads every header length to a multiple of 8 with the fewest spaces (none when it already is one)', async () => {
    const tensors = { p: { shape: [1], data: Float32Array.from([7]) } };
    const padding = new Set<number>();
    for (let i = 0; i < 8; i++) {
      const bytes = encodeSafetensors(tensors, { note: 'x'.repeat(i) });
      const hlen = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
      expect(hlen % 8).toBe(0);
      const text = Buffer.from(bytes.subarray(8, 8 + hlen)).toString('utf8');
      const pad = text.length - text.trimEnd().length;
      expect(pad).toBeLessThan(8);
      padding.add(pad);
      expect(Buffer.from(await encodeSafetensorsWeb(tensors, { note: 'x'.repeat(i) })).equals(Buffer.from(bytes))).toBe(true);
      expect(decodeSafetensors(bytes).metadata.note).toBe('x'.repeat(i));
    }
    expect([...padding].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
  it('refuses a tensor whose values do not fill its shape', () => {
    expect(messageOf(() => encodeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } }))).toBe("safetensors: tensor 'w' has 3 values for shape [2,2]");
  });
});

describe('reading', () => {
  it('reads tensors at their offsets, and an empty data section', () => {
    const body = f32([9, 1, 2, 3]);
    const header = { a: { dtype: 'F32', shape: [3], data_offsets: [4, 16] }, z: { dtype: 'F32', shape: [], data_offsets: [0, 4] }, __metadata__: { sha256: sha(body), k: 'v' } };
    const got = decodeSafetensors(fileOf(header, body));
    expect(Array.from(got.tensors.a.data)).toEqual([1, 2, 3]);
    expect(got.tensors.a.shape).toEqual([3]);
    expect(Array.from(got.tensors.z.data)).toEqual([9]);
    expect(got.metadata).toEqual({ sha256: sha(body), k: 'v' });
    expect(Object.keys(got.tensors)).toEqual(['a', 'z']);
    // a header that ends exactly at the end of the file: no tensors, an empty data section
    const empty = decodeSafetensors(fileOf({ __metadata__: { sha256: sha(new Uint8Array(0)) } }, new Uint8Array(0)));
    expect(empty.tensors).toEqual({});
  });
  it('refuses a file too short, a header length out of range, a header that is not a JSON object', () => {
    expect(messageOf(() => decodeSafetensors(new Uint8Array(7)))).toBe('safetensors: file too short (7 bytes)');
    // exactly the 8 length bytes: long enough to read a (zero) header length
    expect(messageOf(() => decodeSafetensors(new Uint8Array(8)))).toBe('safetensors: header length 0 exceeds file size 8');
    const zero = new Uint8Array(16);
    expect(messageOf(() => decodeSafetensors(zero, 'x.st'))).toBe('x.st: header length 0 exceeds file size 16');
    const long = fileOf('{}      ', new Uint8Array(0));
    new DataView(long.buffer).setUint32(0, 9, true);
    expect(messageOf(() => decodeSafetensors(long))).toBe('safetensors: header length 9 exceeds file size 16');
    expect(messageOf(() => decodeSafetensors(fileOf('{"a":', new Uint8Array(0))))).toBe('safetensors: header is not valid JSON');
    for (const h of ['[]', 'null', '7']) expect(messageOf(() => decodeSafetensors(fileOf(h, new Uint8Array(0))))).toBe('safetensors: header is not a JSON object');
  });
  it('refuses data without its checksum, or with one that does not match', () => {
    const body = f32([1]);
    const t = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
    expect(messageOf(() => decodeSafetensors(fileOf({ t }, body)))).toBe('safetensors: no sha256 checksum in its header (damaged, or not written by Optoscope)');
    expect(messageOf(() => decodeSafetensors(fileOf({ t, __metadata__: { sha256: 5 } }, body)))).toBe('safetensors: no sha256 checksum in its header (damaged, or not written by Optoscope)');
    expect(messageOf(() => decodeSafetensors(fileOf({ t, __metadata__: { sha256: sha(f32([2])) } }, body)))).toBe('safetensors: checksum mismatch (corrupt or truncated checkpoint)');
  });
  it('refuses each malformed tensor entry by name', () => {
    const body = f32([1, 2]);
    const bad = (t: unknown) => messageOf(() => decodeSafetensors(fileOf({ t, __metadata__: { sha256: sha(body) } }, body)));
    expect(bad({ dtype: 'F16', shape: [2], data_offsets: [0, 4] })).toBe("safetensors: tensor 't' has dtype F16; only F32 is supported");
    for (const t of [
      { dtype: 'F32', shape: 2, data_offsets: [0, 8] },
      { dtype: 'F32', shape: [-1], data_offsets: [0, 8] },
      { dtype: 'F32', shape: [1.5], data_offsets: [0, 8] },
      { dtype: 'F32', shape: [2], data_offsets: '0,8' },
      { dtype: 'F32', shape: [2], data_offsets: [0, 8, 8] },
      { dtype: 'F32', shape: [2], data_offsets: [0] },
    ])
      expect(bad(t), JSON.stringify(t)).toBe("safetensors: tensor 't' has a malformed shape or data_offsets");
    expect(bad({ dtype: 'F32', shape: [0], data_offsets: [0, 0] })).toBe('');
    expect(bad({ dtype: 'F32', shape: [2], data_offsets: [0, 4] })).toBe("safetensors: tensor 't' offsets [0, 4] do not fit shape [2]");
    expect(bad({ dtype: 'F32', shape: [1], data_offsets: [-4, 0] })).toBe("safetensors: tensor 't' offsets [-4, 0] do not fit shape [1]");
    expect(bad({ dtype: 'F32', shape: [1], data_offsets: [0.5, 4.5] })).toBe("safetensors: tensor 't' offsets [0.5, 4.5] do not fit shape [1]");
    expect(bad({ dtype: 'F32', shape: [2], data_offsets: [4, 12] })).toBe("safetensors: tensor 't' offsets [4, 12] do not fit shape [2]");
    expect(bad({ dtype: 'F32', shape: [1], data_offsets: [4, 8] })).toBe('');
  });
  it('names the file it read, and a missing checkpoint', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-st-'));
    const file = path.join(dir, 'c.safetensors');
    expect(messageOf(() => readSafetensors(file))).toBe(`checkpoint not found: ${file}`);
    fs.writeFileSync(file, new Uint8Array(3));
    expect(messageOf(() => readSafetensors(file))).toBe(`${file}: file too short (3 bytes)`);
  });
});
