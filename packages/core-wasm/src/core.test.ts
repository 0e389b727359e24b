import { describe, expect, it } from 'vitest';
import { Arena, compileCoreModule, instantiateCore, KERNEL_NAMES } from './index.js';
import { randF32, rng } from './testing/helpers.js';

describe('loader', () => {
  it('compiles once and instantiates independent cores', () => {
    const m = compileCoreModule();
    expect(compileCoreModule()).toBe(m);
    const a = instantiateCore(m), b = instantiateCore();
    expect(a.memory).not.toBe(b.memory);
    for (const name of KERNEL_NAMES) expect(typeof a[name], name).toBe('function');
    const pa = a.arena.allocF32(4), pb = b.arena.allocF32(4);
    expect(pa).toBe(pb); // same layout, different memories
    a.fill(pa, 1.5, 4);
    expect(Array.from(a.arena.f32(pa, 4))).toEqual([1.5, 1.5, 1.5, 1.5]);
    expect(Array.from(b.arena.f32(pb, 4))).toEqual([0, 0, 0, 0]);
  });

  it('exports exactly the documented kernels plus memory and heap_base', () => {
    // the repo's libs (ES2022, @types/node 20) do not type the WebAssembly namespace object
    type Desc = { name: string; kind: string };
    const WA = (globalThis as unknown as { WebAssembly: { Module: { exports(m: object): Desc[]; imports(m: object): Desc[] } } }).WebAssembly;
    const names = WA.Module.exports(compileCoreModule()).map((e) => e.name).sort();
    expect(names).toEqual([...KERNEL_NAMES, 'heap_base', 'memory'].sort());
    expect(WA.Module.imports(compileCoreModule())).toEqual([]);
  });
});

describe('Arena', () => {
  it('starts after the static data, aligns, grows, zero-fills, marks and resets', () => {
    const core = instantiateCore();
    const { arena, memory } = core;
    expect(arena.base % 64).toBe(0);
    expect(arena.bytesUsed).toBe(0);
    const p1 = arena.alloc(10, 16);
    expect(p1).toBe(arena.base);
    const p2 = arena.alloc(4, 128);
    expect(p2 % 128).toBe(0);
    expect(p2).toBeGreaterThanOrEqual(p1 + 10);
    const p3 = arena.allocU8(3);
    expect(p3 % 64).toBe(0);
    expect(arena.bytesUsed).toBe(p3 + 3 - arena.base);
    expect(() => arena.alloc(8, 3)).toThrow(RangeError);
    expect(() => arena.alloc(-1)).toThrow(RangeError);

    // growth: old views detach, pointers and contents survive, new views see them
    const a = arena.allocF32(16);
    const view = arena.f32(a, 16);
    view.set(randF32(rng(1), 16));
    const saved = view.slice();
    const before = memory.buffer.byteLength;
    const big = arena.allocF32(4 << 20); // 16 MiB > initial memory
    expect(memory.buffer.byteLength).toBeGreaterThan(before);
    expect(view.length).toBe(0); // detached
    expect(Array.from(arena.f32(a, 16))).toEqual(Array.from(saved));
    expect(big + (4 << 22)).toBeLessThanOrEqual(memory.buffer.byteLength);

    // mark / reset, and reused memory comes back zeroed
    const mark = arena.mark();
    const t = arena.allocI32(8);
    arena.i32(t, 8).fill(-1);
    arena.reset(mark);
    expect(arena.mark()).toBe(mark);
    const t2 = arena.allocI32(8);
    expect(t2).toBe(t);
    expect(Array.from(arena.i32(t2, 8))).toEqual(new Array(8).fill(0));
    expect(() => arena.reset(arena.base - 64)).toThrow(RangeError);
    arena.reset();
    expect(arena.bytesUsed).toBe(0);
    expect(arena).toBeInstanceOf(Arena);
  });
});

describe('kernels never allocate', () => {
  it('running every kernel (matmuls past every blocking size included) leaves memory ungrown', () => {
    const core = instantiateCore();
    const { arena } = core;
    const r = rng(3);
    const n = 600 * 600;
    const f = () => {
      const p = arena.allocF32(n);
      arena.f32(p, n).set(randF32(r, n, 0, 1));
      return p;
    };
    const A = f(), B = f(), C = f(), D = f(), E = f(), F = f(), G = f();
    const idx = arena.allocI32(600), mask = arena.allocU8(n);
    arena.i32(idx, 600).set(Array.from({ length: 600 }, (_, i) => (i * 7) % 600));
    arena.u8(mask, n).set(Array.from({ length: n }, (_, i) => i % 3 & 1));
    const buffer = core.memory.buffer;
    const bytes = buffer.byteLength;

    for (const [M, N, K] of [[1, 1, 1], [5, 7, 9], [133, 263, 300], [300, 600, 513], [600, 300, 600], [3, 600, 600]]) {
      core.matmul_nt(C, A, B, M!, N!, K!, 0);
      core.matmul_nn(C, A, B, M!, N!, K!, 1);
      core.matmul_tn(C, A, B, M!, N!, K!, 0);
    }
    core.add_bias(C, A, 300, 600);
    core.sum_rows(D, C, 300, 600);
    core.layernorm_fwd(C, D, E, A, B, F, 300, 600, 1e-5);
    core.layernorm_bwd(G, F, E, C, A, D, E, B, 300, 600);
    core.rope_fwd(C, A, 300, 64, 5, 0, B, D, 16);
    core.rope_bwd(C, A, 300, 64, 5, 0, B, D, 16);
    core.attn_scores_fwd(C, A, B, 4, 4, 37, 37, 16, 0, 0.25);
    core.attn_scores_bwd(D, E, C, A, B, 4, 4, 37, 37, 16, 0, 0.25);
    core.softmax_fwd(C, C, 500, 600);
    core.softmax_bwd(D, C, E, 500, 600);
    core.attn_av_fwd(C, A, B, 4, 4, 37, 37, 16);
    core.attn_av_bwd(D, E, C, A, B, 4, 4, 37, 37, 16);
    core.gather_rows(C, A, idx, 600, 500);
    core.scatter_add_rows(C, A, idx, 600, 500);
    core.add(C, A, B, n);
    core.axpy(C, A, 0.5, n);
    core.fill(C, 2, n);
    core.copy(C, A, n);
    core.where_fwd(C, mask, A, B, n);
    core.where_bwd(C, D, A, mask, n);
    core.where_bwd(0, D, A, mask, n);
    core.cross_entropy_fwd(C, D, A, idx, 600, 500);
    core.cross_entropy_bwd(D, E, idx, 600, 500, 0.1);
    core.adam_step(C, A, D, E, n, 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.001);
    expect(core.sum_sq(A, n)).toBeGreaterThan(0);

    expect(core.memory.buffer).toBe(buffer);
    expect(core.memory.buffer.byteLength).toBe(bytes);
  });
});
