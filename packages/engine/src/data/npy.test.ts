import { describe, expect, it } from 'vitest';
import { encodeNpy, parseNpyArray } from './npy.js';

/** An NPY v1 file written field by field (the layout numpy documents), independent of encodeNpy. */
function handNpy(descr: string, shape: number[], data: Uint8Array): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')},), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 255, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

describe('NPY', () => {
  it('encodeNpy writes the documented layout: magic, v1, 64-byte aligned header, C-order data', () => {
    const data = Int32Array.from([1, -2, 3, 4, 5, 6]);
    const bytes = encodeNpy([2, 3], data);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const hlen = bytes[8] | (bytes[9] << 8);
    expect((10 + hlen) % 64).toBe(0);
    expect(new TextDecoder().decode(bytes.subarray(10, 10 + hlen))).toMatch(/^\{'descr': '<i4', 'fortran_order': False, 'shape': \(2, 3\), \}\s*\n$/);
    expect(Array.from(new Int32Array(bytes.slice(10 + hlen).buffer))).toEqual([1, -2, 3, 4, 5, 6]);
  });

  it('reads int64 (numpy’s default integer) as numbers and refuses values a double cannot hold', () => {
    const ok = new BigInt64Array([0n, 8114n, -1n]);
    const a = parseNpyArray('x', handNpy('<i8', [3], new Uint8Array(ok.buffer)), ['<i4', '<i8']);
    expect(a.values).toEqual([0, 8114, -1]);
    const big = new BigInt64Array([2n ** 60n]);
    expect(() => parseNpyArray('x.npy', handNpy('<i8', [1], new Uint8Array(big.buffer)), ['<i8'])).toThrow(/x\.npy: element 0 \(1152921504606846976\) is too large/);
  });

  it('names the dtypes it expected', () => {
    const f = encodeNpy([2], Float32Array.from([1, 2]));
    expect(() => parseNpyArray('s.npy', f, ['<i4', '<i8'])).toThrow("s.npy: dtype '<f4' is not an integer type; expected '<i4' or '<i8'");
  });
});
