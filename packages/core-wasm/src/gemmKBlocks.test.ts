// The GEMM's k blocking (KC = 256 in assembly/gemm.ts): K is cut into blocks of KC, the first block writes (or
// accumulates into) C and every later block must add to it, each with alpha applied, the last block holding the
// remainder. The matmul exports always pass alpha = 1; only the attention kernels pass alpha = scale with a K that
// is a sequence length, so a k-block bug that touches alpha shows only on sequences longer than KC. This file
// checks both against float64: the matmuls on K just below, at and above one, two and three blocks, for every
// row/column path (M < 4, M % 4 == 1, N tails), and the attention kernels on sequences of more than KC positions.
import { describe, expect, it } from 'vitest';
import { instantiateCore } from './index.js';
import { expectClose, guarded, randF32, rng, scopedArena } from './testing/helpers.js';
import { refMatmul, type Variant } from './testing/reference.js';

const core = instantiateCore();
const KC = 256;

// f32 accumulation over K terms: error ~ sqrt(K)·2^-24 relative to Σ|a·b|; dropping or doubling a single term
// of K = 3·KC is ~1/768 of it
const rtolFor = (K: number) => 4e-6 * Math.sqrt(K / 64);

const Ks = [KC - 1, KC, KC + 1, KC + 7, 2 * KC - 1, 2 * KC, 2 * KC + 1, 3 * KC + 5];
// M: row kernel only (1, 3), full tiles (4, 8), a leftover row (5, 9, 13), partial tiles (6); N: tails and full
const Ms = [1, 3, 4, 5, 6, 9, 13];
const Ns = [1, 7, 8, 9, 17];

describe.each(['nt', 'nn', 'tn'] as const)('matmul_%s across k blocks', (v: Variant) => {
  it('matches float64 for K around 1, 2 and 3 blocks (overwrite and accumulate)', () => {
    const r = rng(v.charCodeAt(0) * 7 + v.charCodeAt(1));
    for (const K of Ks) for (const M of Ms) for (const N of Ns) for (const acc of [false, true]) scopedArena(core.arena, () => {
      const a = randF32(r, M * K), b = randF32(r, K * N), c0 = acc ? randF32(r, M * N) : null;
      const A = guarded(core, 'f32', M * K, a), B = guarded(core, 'f32', K * N, b);
      const C = guarded(core, 'f32', M * N, c0 ?? undefined);
      core[`matmul_${v}`](C.ptr, A.ptr, B.ptr, M, N, K, acc ? 1 : 0);
      const { ref, mag } = refMatmul(v, a, b, c0, M, N, K);
      expectClose(C.get(), ref, { rtol: rtolFor(K), scale: mag, label: `matmul_${v} M=${M} N=${N} K=${K} acc=${acc}` });
      C.checkGuards('C');
    });
  });
});

/** dS (or P) with the causally hidden entries (j > qPos0 + i) set to `hidden`. */
function causal(x: Float32Array, Tq: number, Tk: number, qPos0: number, hidden: number): Float32Array {
  const y = x.slice();
  for (let i = 0; i < Tq; i++) for (let j = Math.max(0, qPos0 + i + 1); j < Tk; j++) y[i * Tk + j] = hidden;
  return y;
}

function scaled(x: { ref: Float64Array; mag: Float64Array }, s: number) {
  return { ref: x.ref.map((v) => v * s), mag: x.mag.map((v) => v * Math.abs(s)) };
}

// one batch row and one head, so Q [Tq,D], K/V [Tk,D], S/P [Tq,Tk] are plain matrices and the references are
// float64 matmuls; the sequences run past one and two k blocks in both the key and the query direction
const attnCases = [
  { Tq: 520, Tk: 520, D: 8, qPos0: 0 },
  { Tq: 300, Tk: 560, D: 12, qPos0: 260 },
  { Tq: 270, Tk: 270, D: 16, qPos0: 0 },
  { Tq: 9, Tk: 600, D: 8, qPos0: 591 },
];

describe('attention kernels on sequences longer than a k block', () => {
  it('attn_scores_bwd: dQ = scale·dS·K and dK = scale·dSᵀ·Q over the visible entries', () => {
    const r = rng(31);
    for (const { Tq, Tk, D, qPos0 } of attnCases) scopedArena(core.arena, () => {
      const q = randF32(r, Tq * D), k = randF32(r, Tk * D), ds = randF32(r, Tq * Tk);
      const dq0 = randF32(r, Tq * D), dk0 = randF32(r, Tk * D);
      const Q = guarded(core, 'f32', Tq * D, q), K = guarded(core, 'f32', Tk * D, k);
      const dS = guarded(core, 'f32', Tq * Tk, causal(ds, Tq, Tk, qPos0, NaN));
      const dQ = guarded(core, 'f32', Tq * D, dq0), dK = guarded(core, 'f32', Tk * D, dk0);
      const scale = 0.37;
      core.attn_scores_bwd(dQ.ptr, dK.ptr, dS.ptr, Q.ptr, K.ptr, 1, 1, Tq, Tk, D, qPos0, scale);
      const visible = causal(ds, Tq, Tk, qPos0, 0);
      const rq = scaled(refMatmul('nn', visible, k, null, Tq, D, Tk), scale);
      const rk = scaled(refMatmul('tn', visible, q, null, Tk, D, Tq), scale);
      const label = `Tq=${Tq} Tk=${Tk} D=${D} qPos0=${qPos0}`;
      expectClose(dQ.get(), rq.ref.map((x, i) => x + dq0[i]!), { rtol: rtolFor(Tk), scale: rq.mag.map((x, i) => x + Math.abs(dq0[i]!)), label: `dQ ${label}` });
      expectClose(dK.get(), rk.ref.map((x, i) => x + dk0[i]!), { rtol: rtolFor(Tq), scale: rk.mag.map((x, i) => x + Math.abs(dk0[i]!)), label: `dK ${label}` });
      dQ.checkGuards(); dK.checkGuards();
    });
  });

  it('attn_av_fwd and attn_av_bwd: Z = P·V, dP += dZ·Vᵀ, dV += Pᵀ·dZ', () => {
    const r = rng(32);
    for (const { Tq, Tk, D } of attnCases) scopedArena(core.arena, () => {
      const p = randF32(r, Tq * Tk, 0, 1), v = randF32(r, Tk * D), dz = randF32(r, Tq * D);
      const dp0 = randF32(r, Tq * Tk), dv0 = randF32(r, Tk * D);
      const P = guarded(core, 'f32', Tq * Tk, p), V = guarded(core, 'f32', Tk * D, v), Z = guarded(core, 'f32', Tq * D);
      const dZ = guarded(core, 'f32', Tq * D, dz), dP = guarded(core, 'f32', Tq * Tk, dp0), dV = guarded(core, 'f32', Tk * D, dv0);
      core.attn_av_fwd(Z.ptr, P.ptr, V.ptr, 1, 1, Tq, Tk, D);
      core.attn_av_bwd(dP.ptr, dV.ptr, dZ.ptr, P.ptr, V.ptr, 1, 1, Tq, Tk, D);
      const label = `Tq=${Tq} Tk=${Tk} D=${D}`;
      const rz = refMatmul('nn', p, v, null, Tq, D, Tk);
      const rp = refMatmul('nt', dz, v, dp0, Tq, Tk, D);
      const rv = refMatmul('tn', p, dz, dv0, Tk, D, Tq);
      expectClose(Z.get(), rz.ref, { rtol: rtolFor(Tk), scale: rz.mag, label: `Z ${label}` });
      expectClose(dP.get(), rp.ref, { rtol: rtolFor(D), scale: rp.mag, label: `dP ${label}` });
      expectClose(dV.get(), rv.ref, { rtol: rtolFor(Tq), scale: rv.mag, label: `dV ${label}` });
      for (const t of [Z, dP, dV]) t.checkGuards();
    });
  });

  it('attn_scores_fwd: S = scale·Q·Kᵀ on the visible entries, −1e20 elsewhere', () => {
    const r = rng(33);
    for (const { Tq, Tk, D, qPos0 } of attnCases) scopedArena(core.arena, () => {
      const q = randF32(r, Tq * D), k = randF32(r, Tk * D);
      const Q = guarded(core, 'f32', Tq * D, q), K = guarded(core, 'f32', Tk * D, k), S = guarded(core, 'f32', Tq * Tk);
      const scale = 1 / Math.sqrt(D);
      core.attn_scores_fwd(S.ptr, Q.ptr, K.ptr, 1, 1, Tq, Tk, D, qPos0, scale);
      const rs = scaled(refMatmul('nt', q, k, null, Tq, Tk, D), scale);
      const hidden = Math.fround(-1e20);
      const got = S.get();
      const label = `Tq=${Tq} Tk=${Tk} D=${D} qPos0=${qPos0}`;
      expectClose(causal(got, Tq, Tk, qPos0, 0), causal(Float32Array.from(rs.ref), Tq, Tk, qPos0, 0), { rtol: rtolFor(D), scale: rs.mag, atol: 1e-30, label: `S ${label}` });
      let wrongHidden = 0;
      for (let i = 0; i < Tq; i++) for (let j = Math.max(0, qPos0 + i + 1); j < Tk; j++) if (got[i * Tk + j] !== hidden) wrongHidden++;
      expect(wrongHidden, `hidden entries not -1e20, ${label}`).toBe(0);
      S.checkGuards();
    });
  });
});
