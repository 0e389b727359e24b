/**
 * The arena's boundaries, each on both sides: sizes and alignments it refuses (with the message naming the
 * value), the 4 GiB wasm32 limit to the byte, growth by exactly the pages needed, zero-filling exactly the bytes
 * handed out (and only those), and the marks reset accepts. The limit case runs on a memory stand-in whose buffer
 * is small: a real memory cannot be grown to 4 GiB on a test machine, and the arena only reads the buffer's
 * length and calls grow() on it.
 */
import { describe, expect, it } from 'vitest';
import { Arena } from './index.js';

const PAGE = 65536;
const MAX_BYTES = 2 ** 32;

/** A real wasm memory whose grow() calls are counted. */
function countedMemory(initialPages: number) {
  const memory = new WebAssembly.Memory({ initial: initialPages, maximum: 64 });
  const grows: number[] = [];
  const counted = {
    get buffer() {
      return memory.buffer;
    },
    grow(pages: number) {
      grows.push(pages);
      return memory.grow(pages);
    },
  } as unknown as WebAssembly.Memory;
  return { memory: counted, grows };
}

describe('Arena.alloc refuses bad sizes and alignments, naming the value', () => {
  it('sizes: 0 is a valid empty allocation; negative and fractional sizes are refused', () => {
    const { memory } = countedMemory(1);
    const arena = new Arena(memory, 0);
    expect(arena.alloc(0)).toBe(0);
    expect(arena.bytesUsed).toBe(0);
    expect(() => arena.alloc(-1)).toThrow(new RangeError('Arena.alloc: bad size -1'));
    expect(() => arena.alloc(1.5)).toThrow(new RangeError('Arena.alloc: bad size 1.5'));
    expect(arena.bytesUsed).toBe(0);
  });

  it('alignments: powers of two from 1 are accepted; 0, negatives, fractions and non-powers are refused', () => {
    const { memory } = countedMemory(1);
    const arena = new Arena(memory, 0);
    arena.alloc(3, 1);
    expect(arena.alloc(1, 1)).toBe(3); // alignment 1: right after the previous bytes
    expect(arena.alloc(1, 2)).toBe(4);
    expect(arena.alloc(1, 128)).toBe(128);
    for (const bad of [0, -64, 3, 96, 1.5]) {
      expect(() => arena.alloc(8, bad)).toThrow(new RangeError(`Arena.alloc: alignment ${bad} is not a power of two`));
    }
    expect(arena.bytesUsed).toBe(129);
  });
});

describe('Arena.alloc at the 4 GiB wasm32 limit', () => {
  it('an allocation ending exactly at 2^32 is allowed; one byte more is refused with the end named', () => {
    const grows: number[] = [];
    const stand = { buffer: new ArrayBuffer(PAGE), grow: (p: number) => (grows.push(p), 1) } as unknown as WebAssembly.Memory;
    const base = MAX_BYTES - 128;
    const arena = new Arena(stand, base);
    expect(() => arena.alloc(129)).toThrow(new RangeError(`Arena.alloc: ${MAX_BYTES + 1} bytes exceed the 4 GiB wasm32 limit`));
    expect(grows).toEqual([]); // refused before growing
    expect(arena.alloc(128)).toBe(base);
    expect(grows).toEqual([Math.ceil((MAX_BYTES - PAGE) / PAGE)]); // from the 1-page buffer up to 2^32 exactly
  });
});

describe('Arena.alloc grows by exactly the pages needed', () => {
  it('no growth while the end fits the buffer (to the byte); then ceil(missing / 64 KiB) pages', () => {
    const { memory, grows } = countedMemory(1);
    const arena = new Arena(memory, 0);
    arena.alloc(PAGE); // ends exactly at the buffer's end
    expect(grows).toEqual([]);
    expect(memory.buffer.byteLength).toBe(PAGE);
    arena.alloc(1, 1); // one byte past it: one page
    expect(grows).toEqual([1]);
    expect(memory.buffer.byteLength).toBe(2 * PAGE);
    arena.alloc(2 * PAGE + 2, 1); // ends at 3 pages + 3 bytes, 1 page + 3 bytes past the buffer: two more pages
    expect(grows).toEqual([1, 2]);
    expect(memory.buffer.byteLength).toBe(4 * PAGE);
  });
});

describe('Arena zero-fills exactly what it hands out', () => {
  it('reused bytes are zeroed; bytes past the allocation keep their contents', () => {
    const { memory } = countedMemory(1);
    const arena = new Arena(memory, 0);
    const p = arena.alloc(128);
    arena.u8(p, 128).fill(0xff);
    arena.reset();
    const q = arena.alloc(64);
    expect(q).toBe(p);
    expect([...arena.u8(q, 64)].every((b) => b === 0)).toBe(true);
    // the second half of the old allocation was not handed out again, so it was not touched
    expect([...arena.u8(q + 64, 64)].every((b) => b === 0xff)).toBe(true);
  });

  it('the high-water mark only rises: after a smaller reuse, a larger one still zeroes the old dirty bytes', () => {
    const { memory } = countedMemory(1);
    const arena = new Arena(memory, 0);
    arena.u8(arena.alloc(256), 256).fill(0xab);
    arena.reset();
    arena.alloc(64);
    arena.reset();
    const r = arena.alloc(256);
    expect([...arena.u8(r, 256)].filter((b) => b !== 0).length).toBe(0);
  });
});

describe('Arena.reset accepts marks from base to top only', () => {
  it('base, the top itself and marks between are accepted; below base, past top and fractions are refused', () => {
    const { memory } = countedMemory(1);
    const arena = new Arena(memory, 100); // base rounds up to 128
    expect(arena.base).toBe(128);
    arena.alloc(64);
    const top = arena.mark();
    expect(top).toBe(192);
    arena.reset(top);
    expect(arena.mark()).toBe(192);
    arena.reset(150);
    expect(arena.mark()).toBe(150);
    for (const bad of [127, 151, 140.5]) expect(() => arena.reset(bad)).toThrow(new RangeError(`Arena.reset: bad mark ${bad}`));
    expect(arena.mark()).toBe(150);
    arena.reset();
    expect(arena.bytesUsed).toBe(0);
  });
});
