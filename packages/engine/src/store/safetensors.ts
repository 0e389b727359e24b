/**
 * Checkpoints in the safetensors format (8-byte little-endian header length, a JSON header, raw
 * little-endian tensors), so PyTorch/JAX users can open them with `safetensors.safe_open` directly.
 * A SHA-256 of the data section is kept in `__metadata__.sha256`; `readSafetensors` verifies it, so a
 * truncated or corrupted checkpoint is detected instead of silently loaded.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { writeFileAtomic } from './atomic.js';

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export function encodeSafetensors(tensors: Record<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const names = Object.keys(tensors);
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`safetensors: tensor '${name}' has ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  const body = new Uint8Array(offset);
  let o = 0;
  for (const name of names) {
    const d = tensors[name].data;
    body.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), o); // x86/ARM are little-endian
    o += d.byteLength;
  }
  header.__metadata__ = { ...metadata, sha256: createHash('sha256').update(body).digest('hex') };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // pad so tensors start 8-byte aligned
  const head = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + head.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  out.set(body, 8 + head.length);
  return out;
}

export function writeSafetensors(file: string, tensors: Record<string, NamedTensor>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}

export interface SafetensorsFile {
  tensors: Record<string, NamedTensor>;
  metadata: Record<string, string>;
}

export function decodeSafetensors(bytes: Uint8Array, where = 'safetensors'): SafetensorsFile {
  if (bytes.length < 8) throw new Error(`${where}: file too short (${bytes.length} bytes)`);
  const hlen = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  if (hlen <= 0 || 8 + hlen > bytes.length) throw new Error(`${where}: header length ${hlen} exceeds file size ${bytes.length}`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + hlen)).toString('utf8'));
  } catch {
    throw new Error(`${where}: header is not valid JSON`);
  }
  const body = bytes.subarray(8 + hlen);
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  if (metadata.sha256) {
    const sum = createHash('sha256').update(body).digest('hex');
    if (sum !== metadata.sha256) throw new Error(`${where}: checksum mismatch (corrupt or truncated checkpoint)`);
  }
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const t = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (t.dtype !== 'F32') throw new Error(`${where}: tensor '${name}' has dtype ${t.dtype}; only F32 is supported`);
    const [b, e] = t.data_offsets;
    const n = t.shape.reduce((a, c) => a * c, 1);
    if (e > body.length || e - b !== 4 * n) throw new Error(`${where}: tensor '${name}' offsets [${b}, ${e}] do not fit shape [${t.shape}]`);
    const copy = new Float32Array(n);
    new Uint8Array(copy.buffer).set(body.subarray(b, e));
    tensors[name] = { shape: t.shape, data: copy };
  }
  return { tensors, metadata };
}

export function readSafetensors(file: string): SafetensorsFile {
  if (!fs.existsSync(file)) throw new Error(`checkpoint not found: ${file}`);
  return decodeSafetensors(fs.readFileSync(file), file);
}
