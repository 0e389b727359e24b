/**
 * Checkpoints in the safetensors format (8-byte little-endian header length, a JSON header, raw
 * little-endian tensors), so PyTorch/JAX users can open them with `safetensors.safe_open` directly.
 * A SHA-256 of the data section is kept in `__metadata__.sha256`; `readSafetensors` verifies it, so a
 * truncated or corrupted checkpoint is detected instead of silently loaded.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import { assembleSafetensors, safetensorsLayout, type NamedTensor } from './safetensorsCodec.js';

export type { NamedTensor } from './safetensorsCodec.js';

export function encodeSafetensors(tensors: Record<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const layout = safetensorsLayout(tensors);
  return assembleSafetensors(layout, metadata, createHash('sha256').update(layout.body).digest('hex'));
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
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error(`${where}: header is not a JSON object`);
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  // Every checkpoint Optoscope writes carries the checksum; one without it has a damaged header (or was
  // written by another tool), and loading it unchecked is exactly what must not happen.
  if (typeof metadata.sha256 !== 'string') throw new Error(`${where}: no sha256 checksum in its header (damaged, or not written by Optoscope)`);
  const sum = createHash('sha256').update(body).digest('hex');
  if (sum !== metadata.sha256) throw new Error(`${where}: checksum mismatch (corrupt or truncated checkpoint)`);
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const t = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (t.dtype !== 'F32') throw new Error(`${where}: tensor '${name}' has dtype ${t.dtype}; only F32 is supported`);
    if (!Array.isArray(t.shape) || !t.shape.every((x) => Number.isSafeInteger(x) && x >= 0) || !Array.isArray(t.data_offsets) || t.data_offsets.length !== 2)
      throw new Error(`${where}: tensor '${name}' has a malformed shape or data_offsets`);
    const [b, e] = t.data_offsets;
    const n = t.shape.reduce((a, c) => a * c, 1);
    if (!Number.isSafeInteger(b) || b < 0 || e > body.length || e - b !== 4 * n) throw new Error(`${where}: tensor '${name}' offsets [${b}, ${e}] do not fit shape [${t.shape}]`);
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
