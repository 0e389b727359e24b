/**
 * NPY reading and writing (data/npy.ts) on files built byte by byte here from numpy's documented format
 * (magic, version, little-endian header length, a Python-dict header, C-order data): each version, each
 * dtype, every refusal with its exact line, and the int64 limits exactly at and past 2^53 − 1.
 */
import { describe, expect, it } from 'vitest';
import { encodeNpy, parseNpyArray } from './npy.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** An NPY file of version `major`, header text as given (padded to 64), then `data`. */
function npy(major: number, header: string, data: Uint8Array, minor = 0): Uint8Array {
  const pre = major === 1 ? 10 : 12;
  const padded = header + ' '.repeat(63 - ((pre + header.length) % 64)) + '\n';
  const head = major === 3 ? new TextEncoder().encode(padded) : Uint8Array.from(padded, (c) => c.charCodeAt(0));
  const out = new Uint8Array(pre + head.length + data.length);
  out.set([...MAGIC, major, minor]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, head.length, true);
  else view.setUint32(8, head.length, true);
  out.set(head, pre);
  out.set(data, pre + head.length);
  return out;
}
const dict = (descr: string, shape: string, fortran = 'False') => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
const f64 = (xs: number[]) => new Uint8Array(Float64Array.from(xs).buffer);
const f32 = (xs: number[]) => new Uint8Array(Float32Array.from(xs).buffer);
const i32 = (xs: number[]) => new Uint8Array(Int32Array.from(xs).buffer);
const i64 = (xs: bigint[]) => new Uint8Array(BigInt64Array.from(xs).buffer);
const F = ['<f4', '<f8'] as const;

describe('parseNpyArray: reading', () => {
  it('every dtype, in C order, with its shape', () => {
    expect(parseNpyArray('a', npy(1, dict('<f8', '(2, 1)'), f64([1.5, -2.25])), F)).toEqual({ shape: [2, 1], dtype: '<f8', values: Float64Array.from([1.5, -2.25]) });
    expect(parseNpyArray('a', npy(1, dict('<f4', '(3,)'), f32([0.5, 1, 2])), F)).toEqual({ shape: [3], dtype: '<f4', values: Float32Array.from([0.5, 1, 2]) });
    expect(parseNpyArray('a', npy(1, dict('<i4', '(2,)'), i32([-7, 2 ** 31 - 1])), ['<i4'])).toEqual({ shape: [2], dtype: '<i4', values: Int32Array.from([-7, 2 ** 31 - 1]) });
    expect(parseNpyArray('a', npy(1, dict('<i8', '(2,)'), i64([-5n, 9n])), ['<i8']).values).toEqual([-5, 9]);
    // a scalar: shape () holds one value
    expect(parseNpyArray('a', npy(1, dict('<f8', '()'), f64([4])), F)).toEqual({ shape: [], dtype: '<f8', values: Float64Array.from([4]) });
  });

  it('versions 2 and 3 (4-byte header length; version 3 in UTF-8), and double-quoted keys', () => {
    expect(Array.from(parseNpyArray('a', npy(2, dict('<f4', '(2,)'), f32([1, 2])), F).values)).toEqual([1, 2]);
    const utf8 = `{"descr": "<f4", "fortran_order": False, "shape": (1,), "note": "é"}`;
    expect(Array.from(parseNpyArray('a', npy(3, utf8, f32([3])), F).values)).toEqual([3]);
  });

  it('data at an offset that is not aligned within its buffer', () => {
    const file = npy(1, dict('<f8', '(2,)'), f64([1, 2]));
    const buf = new Uint8Array(file.length + 3);
    buf.set(file, 3);
    expect(Array.from(parseNpyArray('a', buf.subarray(3), F).values)).toEqual([1, 2]);
  });

  it('int64 values up to ±(2^53 − 1) read exactly; one past is refused with its index', () => {
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    expect(parseNpyArray('a', npy(1, dict('<i8', '(2,)'), i64([max, -max])), ['<i8']).values).toEqual([Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]);
    expect(() => parseNpyArray('a', npy(1, dict('<i8', '(2,)'), i64([0n, max + 1n])), ['<i8'])).toThrow('a: element 1 (9007199254740992) is too large');
    expect(() => parseNpyArray('a', npy(1, dict('<i8', '(1,)'), i64([-max - 1n])), ['<i8'])).toThrow('a: element 0 (-9007199254740992) is too large');
  });
});

describe('parseNpyArray: refusals, one line naming the file', () => {
  const good = npy(1, dict('<f4', '(1,)'), f32([1]));

  it('bad magic (each byte), and a file shorter than the fixed preamble', () => {
    for (let i = 0; i < 6; i++) {
      const b = good.slice();
      b[i] ^= 0xff;
      expect(() => parseNpyArray('m.npy', b, F)).toThrow('m.npy: not an NPY file (bad magic)');
    }
    expect(() => parseNpyArray('m.npy', good.slice(0, 9), F)).toThrow('m.npy: not an NPY file (bad magic)');
    expect(() => parseNpyArray('m.npy', good.slice(0, 10), F)).toThrow('m.npy: truncated NPY header');
  });

  it('versions other than 1, 2, 3; truncated headers of each version', () => {
    const v4 = good.slice();
    v4[6] = 4;
    v4[7] = 1;
    expect(() => parseNpyArray('v.npy', v4, F)).toThrow('v.npy: unsupported NPY format version 4.1');
    const v0 = good.slice();
    v0[6] = 0;
    expect(() => parseNpyArray('v.npy', v0, F)).toThrow('v.npy: unsupported NPY format version 0.0');
    expect(() => parseNpyArray('v.npy', Uint8Array.from([...MAGIC, 2, 0, 0, 0, 0]), F)).toThrow('v.npy: truncated NPY header');
    const v2 = npy(2, dict('<f4', '(1,)'), f32([1]));
    expect(() => parseNpyArray('v.npy', v2.slice(0, 40), F)).toThrow('v.npy: truncated NPY header');
    // a header that ends exactly at the end of the file (no data) is not truncated: the data check says so
    const headOnly = npy(1, dict('<f4', '(0,)'), new Uint8Array(0));
    expect(parseNpyArray('v.npy', headOnly, F).values.length).toBe(0);
  });

  it('a header without descr, fortran_order or shape is quoted', () => {
    for (const h of [`{'fortran_order': False, 'shape': (1,), }`, `{'descr': '<f4', 'shape': (1,), }`, `{'descr': '<f4', 'fortran_order': False, }`]) {
      const msg = (() => {
        try {
          parseNpyArray('h.npy', npy(1, h, f32([1])), F);
        } catch (e) {
          return (e as Error).message;
        }
      })();
      expect(msg).toBe(`h.npy: malformed NPY header ${JSON.stringify(h)}`);
    }
  });

  it('Fortran order, big-endian and other dtypes, with what was expected', () => {
    expect(() => parseNpyArray('o.npy', npy(1, dict('<f4', '(1,)', 'True'), f32([1])), F)).toThrow('o.npy: fortran_order arrays are not supported (save a C-order array)');
    expect(() => parseNpyArray('o.npy', npy(1, dict('>f4', '(1,)'), f32([1])), F)).toThrow("o.npy: dtype '>f4' is big-endian; expected '<f4' or '<f8'");
    expect(() => parseNpyArray('o.npy', npy(1, dict('<i2', '(2,)'), f32([1])), F)).toThrow("o.npy: dtype '<i2' is not float; expected '<f4' or '<f8'");
    expect(() => parseNpyArray('o.npy', npy(1, dict('<f2', '(2,)'), f32([1])), ['<i4'])).toThrow("o.npy: dtype '<f2' is not an integer type; expected '<i4'");
    expect(() => parseNpyArray('o.npy', npy(1, dict('|u1', '(4,)'), f32([1])), ['<f4', '<i4'])).toThrow("o.npy: dtype '|u1' is not supported; expected '<f4' or '<i4'");
  });

  it('a bad shape entry, and data of the wrong length', () => {
    expect(() => parseNpyArray('s.npy', npy(1, dict('<f4', '(2, x)'), f32([1, 2])), F)).toThrow("s.npy: bad shape entry 'x' in NPY header");
    expect(() => parseNpyArray('s.npy', npy(1, dict('<f4', '(-1,)'), f32([1])), F)).toThrow("s.npy: bad shape entry '-1' in NPY header");
    expect(() => parseNpyArray('s.npy', npy(1, dict('<f4', '(2, 2)'), f32([1, 2, 3])), F)).toThrow("s.npy: data has 12 bytes, shape (2, 2) of '<f4' needs 16");
    expect(() => parseNpyArray('s.npy', npy(1, dict('<f8', '(1,)'), f64([1, 2])), F)).toThrow("s.npy: data has 16 bytes, shape (1) of '<f8' needs 8");
  });
});

describe('encodeNpy', () => {
  it('1-D shapes get the tuple comma; the float32 descr; the data after a header padded to 64', () => {
    const b = encodeNpy([3], Float32Array.from([1, 2, 3]));
    const hlen = b[8] | (b[9] << 8);
    const header = new TextDecoder().decode(b.subarray(10, 10 + hlen));
    const dictText = `{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }`;
    expect(header).toBe(dictText + ' '.repeat(hlen - dictText.length - 1) + '\n');
    expect((10 + hlen) % 64).toBe(0);
    expect(Array.from(new Float32Array(b.slice(10 + hlen).buffer))).toEqual([1, 2, 3]);
    expect(parseNpyArray('x', b, F)).toEqual({ shape: [3], dtype: '<f4', values: Float32Array.from([1, 2, 3]) });
  });

  it('a header that would end exactly on 64 bytes still ends in a newline', () => {
    for (let n = 1; n < 200; n += 7) {
      const b = encodeNpy([n], new Float32Array(n));
      const hlen = b[8] | (b[9] << 8);
      expect((10 + hlen) % 64).toBe(0);
      expect(b[10 + hlen - 1]).toBe(0x0a);
    }
  });

  it('a view into a larger buffer writes only its own values; a length mismatch is refused', () => {
    const big = Int32Array.from([9, 1, 2, 9]);
    const b = encodeNpy([2], big.subarray(1, 3));
    expect(parseNpyArray('x', b, ['<i4']).values).toEqual(Int32Array.from([1, 2]));
    expect(() => encodeNpy([2, 2], new Float32Array(3))).toThrow('encodeNpy: 3 values for shape (2, 2)');
  });
});

describe('parseNpyArray: header spelling', () => {
  it('spaces around the colons are optional; multi-digit shapes; a shape entry must be all digits', () => {
    expect(parseNpyArray('a', npy(1, `{'descr':'<f4','fortran_order':False,'shape':(2,),}`, f32([1, 2])), F).shape).toEqual([2]);
    expect(parseNpyArray('a', npy(1, `{'descr' : '<f4', 'fortran_order' : False, 'shape' : (2,), }`, f32([1, 2])), F).shape).toEqual([2]);
    expect(parseNpyArray('a', npy(1, dict('<f4', '(10,)'), f32(new Array(10).fill(1))), F).shape).toEqual([10]);
    expect(() => parseNpyArray('s.npy', npy(1, dict('<f4', '(2x,)'), f32([1, 2])), F)).toThrow("s.npy: bad shape entry '2x' in NPY header");
  });

  it('only a leading > is big-endian', () => {
    expect(() => parseNpyArray('o.npy', npy(1, dict('f>4', '(1,)'), f32([1])), F)).toThrow("o.npy: dtype 'f>4' is not float; expected '<f4' or '<f8'");
  });

  it('a version 2 file of exactly 12 bytes has an empty header; headers are quoted as latin-1 (v1, v2) or UTF-8 (v3)', () => {
    expect(() => parseNpyArray('e.npy', Uint8Array.from([...MAGIC, 2, 0, 0, 0, 0, 0]), F)).toThrow('e.npy: malformed NPY header ""');
    // byte 0xE9 is é in latin-1; in UTF-8, é is the two bytes C3 A9
    expect(() => parseNpyArray('l.npy', npy(1, `{'note': 'é'}`, new Uint8Array(0)), F)).toThrow(`l.npy: malformed NPY header "{'note': 'é'}"`);
    expect(() => parseNpyArray('u.npy', npy(3, `{'note': 'é'}`, new Uint8Array(0)), F)).toThrow(`u.npy: malformed NPY header "{'note': 'é'}"`);
  });
});
