/**
 * The safetensors layout without Node: tensors → header + data section, and assembly of the file once the
 * data section's SHA-256 is known. safetensors.ts hashes with node:crypto (synchronously); a page hashes
 * with WebCrypto (`encodeSafetensorsWeb`, asynchronous). Both produce the same bytes.
 */
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsLayout {
  header: Record<string, unknown>;
  body: Uint8Array;
}

export function safetensorsLayout(tensors: Record<string, NamedTensor>): SafetensorsLayout {
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
  return { header, body };
}

/** The file bytes, given the hex SHA-256 of `layout.body`. */
export function assembleSafetensors(layout: SafetensorsLayout, metadata: Record<string, string>, sha256: string): Uint8Array {
  const header = { ...layout.header, __metadata__: { ...metadata, sha256 } };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // pad so tensors start 8-byte aligned
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + layout.body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  out.set(layout.body, 8 + head.length);
  return out;
}

/** encodeSafetensors for a page: the checksum from WebCrypto (also present in Node 20 as globalThis.crypto). */
export async function encodeSafetensorsWeb(tensors: Record<string, NamedTensor>, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const layout = safetensorsLayout(tensors);
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', layout.body));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  return assembleSafetensors(layout, metadata, hex);
}
