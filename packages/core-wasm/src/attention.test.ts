import { describe, expect, it } from 'vitest';
import { instantiateCore } from './index.js';
import { expectClose, guarded, randF32, rng, scopedArena } from './testing/helpers.js';

const core = instantiateCore();
const { arena } = core;

interface Case { Bn: number; H: number; Tq: number; Tk: number; D: number; qPos0: number }
const cases: Case[] = [
  { Bn: 1, H: 1, Tq: 1, Tk: 1, D: 1, qPos0: 0 },
  { Bn: 2, H: 3, Tq: 5, Tk: 5, D: 16, qPos0: 0 }, // the model's shape (5-token sequences)
  { Bn: 32, H: 2, Tq: 5, Tk: 5, D: 32, qPos0: 0 },
  { Bn: 2, H: 2, Tq: 3, Tk: 7, D: 5, qPos0: 4 }, // queries at the end of a longer key range
  { Bn: 1, H: 3, Tq: 1, Tk: 9, D: 7, qPos0: 8 }, // one query (incremental decoding)
  { Bn: 2, H: 1, Tq: 9, Tk: 9, D: 1, qPos0: 0 },
  { Bn: 1, H: 2, Tq: 6, Tk: 4, D: 9, qPos0: 0 }, // more queries than keys
  { Bn: 2, H: 2, Tq: 13, Tk: 13, D: 24, qPos0: 0 },
  { Bn: 1, H: 2, Tq: 11, Tk: 19, D: 12, qPos0: 3 }, // partially visible
  { Bn: 1, H: 1, Tq: 37, Tk: 37, D: 16, qPos0: 0 },
  { Bn: 1, H: 1, Tq: 5, Tk: 300, D: 8, qPos0: 290 },
  { Bn: 1, H: 2, Tq: 10, Tk: 3, D: 6, qPos0: 0 }, // many queries, few keys
  { Bn: 2, H: 1, Tq: 3, Tk: 12, D: 33, qPos0: 9 },
  { Bn: 1, H: 1, Tq: 20, Tk: 30, D: 64, qPos0: 10 },
  // D % 4 == 0 with few query rows (or few keys, for the backward kernels) takes the direct small-sequence path,
  // D = 8 its specialised variant; the cases above with D % 4 != 0 or 8+ query rows cover the general path
  { Bn: 32, H: 8, Tq: 5, Tk: 5, D: 8, qPos0: 0 }, // the model, layer 1
  { Bn: 32, H: 8, Tq: 1, Tk: 5, D: 8, qPos0: 4 }, // the model, layer 2 (query row only)
  { Bn: 2, H: 3, Tq: 7, Tk: 9, D: 8, qPos0: 2 }, // two row groups, a tail column
  { Bn: 1, H: 2, Tq: 3, Tk: 3, D: 8, qPos0: 0 }, // no full group of 4 keys
  { Bn: 2, H: 2, Tq: 4, Tk: 12, D: 8, qPos0: 8 },
  { Bn: 1, H: 2, Tq: 2, Tk: 6, D: 8, qPos0: 1 },
  { Bn: 1, H: 1, Tq: 9, Tk: 6, D: 8, qPos0: 0 }, // 8+ queries, few keys
  { Bn: 1, H: 2, Tq: 6, Tk: 7, D: 8, qPos0: -2 }, // leading rows fully masked
  { Bn: 1, H: 2, Tq: 6, Tk: 7, D: 5, qPos0: -2 },
  { Bn: 2, H: 2, Tq: 5, Tk: 5, D: 4, qPos0: 0 },
  { Bn: 1, H: 3, Tq: 6, Tk: 7, D: 12, qPos0: 1 },
  { Bn: 2, H: 2, Tq: 1, Tk: 13, D: 20, qPos0: 12 },
  { Bn: 2, H: 4, Tq: 3, Tk: 6, D: 8, qPos0: 3 }, // few queries, heads in groups of 4
  { Bn: 1, H: 8, Tq: 2, Tk: 9, D: 8, qPos0: 7 },
];

function idxQ(c: Case, b: number, i: number, h: number, d: number, T: number) {
  return (b * T + i) * c.H * c.D + h * c.D + d;
}
function idxS(c: Case, b: number, h: number, i: number, j: number) {
  return ((b * c.H + h) * c.Tq + i) * c.Tk + j;
}

const scoped = (fn: () => void) => scopedArena(arena, fn);

describe('attention', () => {
  it('attn_scores_fwd: scaled QKᵀ with causal −1e20 mask', () => {
    const r = rng(21);
    for (const c of cases) scoped(() => {
      const { Bn, H, Tq, Tk, D, qPos0 } = c;
      const nq = Bn * Tq * H * D, nk = Bn * Tk * H * D, ns = Bn * H * Tq * Tk;
      const q = randF32(r, nq), k = randF32(r, nk);
      const Q = guarded(core, 'f32', nq, q), K = guarded(core, 'f32', nk, k), S = guarded(core, 'f32', ns);
      const scale = 1 / Math.sqrt(D);
      core.attn_scores_fwd(S.ptr, Q.ptr, K.ptr, Bn, H, Tq, Tk, D, qPos0, scale);
      const ref = new Float64Array(ns), mag = new Float64Array(ns);
      for (let b = 0; b < Bn; b++) for (let h = 0; h < H; h++) for (let i = 0; i < Tq; i++) for (let j = 0; j < Tk; j++) {
        const o = idxS(c, b, h, i, j);
        if (j > qPos0 + i) { ref[o] = Math.fround(-1e20); mag[o] = 0; continue; }
        let s = 0, a = 0;
        for (let d = 0; d < D; d++) {
          const t = q[idxQ(c, b, i, h, d, Tq)]! * k[idxQ(c, b, j, h, d, Tk)]!;
          s += t; a += Math.abs(t);
        }
        ref[o] = scale * s; mag[o] = scale * a;
      }
      const got = S.get();
      expectClose(got, ref, { scale: mag, atol: 1e-30, label: `scores ${JSON.stringify(c)}` });
      for (let i = 0; i < ns; i++) if (mag[i] === 0 && ref[i] !== 0) expect(got[i]).toBe(Math.fround(-1e20));
      S.checkGuards(); Q.checkGuards(); K.checkGuards();
    });
  });

  it('attn_scores_bwd: accumulates dQ, dK and never reads masked dS', () => {
    const r = rng(22);
    for (const c of cases) scoped(() => {
      const { Bn, H, Tq, Tk, D, qPos0 } = c;
      const nq = Bn * Tq * H * D, nk = Bn * Tk * H * D, ns = Bn * H * Tq * Tk;
      const q = randF32(r, nq), k = randF32(r, nk), ds = randF32(r, ns);
      for (let b = 0; b < Bn; b++) for (let h = 0; h < H; h++) for (let i = 0; i < Tq; i++) for (let j = 0; j < Tk; j++) {
        if (j > qPos0 + i) ds[idxS(c, b, h, i, j)] = NaN; // poison: must never be read
      }
      const dq0 = randF32(r, nq), dk0 = randF32(r, nk);
      const Q = guarded(core, 'f32', nq, q), K = guarded(core, 'f32', nk, k), dS = guarded(core, 'f32', ns, ds);
      const dQ = guarded(core, 'f32', nq, dq0), dK = guarded(core, 'f32', nk, dk0);
      const scale = 0.37;
      core.attn_scores_bwd(dQ.ptr, dK.ptr, dS.ptr, Q.ptr, K.ptr, Bn, H, Tq, Tk, D, qPos0, scale);
      const rq = Float64Array.from(dq0), mq = Float64Array.from(dq0, Math.abs);
      const rk = Float64Array.from(dk0), mk = Float64Array.from(dk0, Math.abs);
      for (let b = 0; b < Bn; b++) for (let h = 0; h < H; h++) for (let i = 0; i < Tq; i++) for (let j = 0; j < Tk; j++) {
        if (j > qPos0 + i) continue;
        const g = scale * ds[idxS(c, b, h, i, j)]!;
        for (let d = 0; d < D; d++) {
          const iq = idxQ(c, b, i, h, d, Tq), ik = idxQ(c, b, j, h, d, Tk);
          rq[iq] += g * k[ik]!; mq[iq] += Math.abs(g * k[ik]!);
          rk[ik] += g * q[iq]!; mk[ik] += Math.abs(g * q[iq]!);
        }
      }
      expectClose(dQ.get(), rq, { scale: mq, label: `dQ ${JSON.stringify(c)}` });
      expectClose(dK.get(), rk, { scale: mk, label: `dK ${JSON.stringify(c)}` });
      dQ.checkGuards(); dK.checkGuards(); dS.checkGuards();
    });
  });

  it('attn_av_fwd and attn_av_bwd', () => {
    const r = rng(23);
    for (const c of cases) scoped(() => {
      const { Bn, H, Tq, Tk, D } = c;
      const nz = Bn * Tq * H * D, nv = Bn * Tk * H * D, np = Bn * H * Tq * Tk;
      const p = randF32(r, np, 0, 1), v = randF32(r, nv);
      const P = guarded(core, 'f32', np, p), V = guarded(core, 'f32', nv, v), Z = guarded(core, 'f32', nz);
      core.attn_av_fwd(Z.ptr, P.ptr, V.ptr, Bn, H, Tq, Tk, D);
      const rz = new Float64Array(nz), mz = new Float64Array(nz);
      for (let b = 0; b < Bn; b++) for (let h = 0; h < H; h++) for (let i = 0; i < Tq; i++) for (let j = 0; j < Tk; j++) {
        const pp = p[idxS(c, b, h, i, j)]!;
        for (let d = 0; d < D; d++) {
          const t = pp * v[idxQ(c, b, j, h, d, Tk)]!;
          rz[idxQ(c, b, i, h, d, Tq)] += t; mz[idxQ(c, b, i, h, d, Tq)] += Math.abs(t);
        }
      }
      expectClose(Z.get(), rz, { scale: mz, label: `av fwd ${JSON.stringify(c)}` });
      Z.checkGuards();

      const dz = randF32(r, nz), dp0 = randF32(r, np), dv0 = randF32(r, nv);
      const dZ = guarded(core, 'f32', nz, dz), dP = guarded(core, 'f32', np, dp0), dV = guarded(core, 'f32', nv, dv0);
      core.attn_av_bwd(dP.ptr, dV.ptr, dZ.ptr, P.ptr, V.ptr, Bn, H, Tq, Tk, D);
      const rp = Float64Array.from(dp0), mp = Float64Array.from(dp0, Math.abs);
      const rv = Float64Array.from(dv0), mv = Float64Array.from(dv0, Math.abs);
      for (let b = 0; b < Bn; b++) for (let h = 0; h < H; h++) for (let i = 0; i < Tq; i++) for (let j = 0; j < Tk; j++) {
        const o = idxS(c, b, h, i, j);
        for (let d = 0; d < D; d++) {
          const iz = idxQ(c, b, i, h, d, Tq), iv = idxQ(c, b, j, h, d, Tk);
          rp[o] += dz[iz]! * v[iv]!; mp[o] += Math.abs(dz[iz]! * v[iv]!);
          rv[iv] += p[o]! * dz[iz]!; mv[iv] += Math.abs(p[o]! * dz[iz]!);
        }
      }
      expectClose(dP.get(), rp, { scale: mp, label: `av dP ${JSON.stringify(c)}` });
      expectClose(dV.get(), rv, { scale: mv, label: `av dV ${JSON.stringify(c)}` });
      dP.checkGuards(); dV.checkGuards(); dZ.checkGuards();
    });
  });
});
