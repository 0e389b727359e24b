// Attention output Z = P·V and its backward, over [Bn, H, Tq, Tk] probabilities and [Bn, T, H*D] values (head h =
// columns h*D .. h*D+D). Short sequences with D % 4 == 0 take direct inlined loops (D = 8 its own functions);
// otherwise each (b, h) pair is a strided GEMM on the shared micro-kernels.
import { gemm_nt, gemm_rc, gemm_cc, row_nn, row_nt } from "./gemm";
import { SMALL_T, dot_row, dot_row8, dot_rows8x2, comb_row, comb_tile4, comb_heads4 } from "./attnRows";

// @ts-ignore: decorator
@inline function av_fwd_small(Z: usize, P: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32, D4: usize): void {
  const hd4 = <usize>H * D4, tk4 = <usize>Tk << 2;
  let p = P;
  for (let b = 0; b < Bn; b++) {
    const zb = Z + <usize>b * <usize>Tq * hd4, vb = V + <usize>b * <usize>Tk * hd4;
    for (let ho: usize = 0; ho < hd4; ho += D4) {
      let i = 0;
      if (D4 == 32) {
        for (; i + 4 <= Tq; i += 4) {
          comb_tile4(zb + <usize>i * hd4 + ho, hd4, p, tk4, 4, vb + ho, hd4, Tk, 1.0, 0);
          p += tk4 << 2;
        }
      }
      for (; i < Tq; i++) {
        comb_row(zb + <usize>i * hd4 + ho, p, 4, vb + ho, hd4, Tk, D4, 1.0, 0);
        p += tk4;
      }
    }
  }
}


// Each variant is its own wasm function (Binaryen does not inline functions with loops): V8 allocates registers
// per function, and one function holding every variant spills the hot loops' values.
function av_fwd_d8(Z: usize, P: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32): void {
  if (Tq < 4 && (H & 3) == 0) {
    // few query rows (the model's layer 2 has one): 4 heads of one query row per tile
    const hd4 = <usize>H * 32, tk4 = <usize>Tk << 2, hs = <usize>Tq * tk4;
    for (let b = 0; b < Bn; b++) {
      const vb = V + <usize>b * <usize>Tk * hd4, pb = P + <usize>b * <usize>H * hs;
      let z = Z + <usize>b * <usize>Tq * hd4;
      for (let i = 0; i < Tq; i++) {
        const pi = pb + <usize>i * tk4;
        for (let ho: usize = 0; ho < hd4; ho += 128) comb_heads4(z + ho, pi + (ho >> 5) * hs, hs, vb + ho, hd4, Tk);
        z += hd4;
      }
    }
    return;
  }
  av_fwd_small(Z, P, V, Bn, H, Tq, Tk, 32);
}
function av_fwd_d4(Z: usize, P: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32, D: i32): void {
  av_fwd_small(Z, P, V, Bn, H, Tq, Tk, <usize>D << 2);
}
/** attn_av_bwd for D = 8. */
function av_bwd_d8(dP: usize, dV: usize, dZ: usize, P: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32): void {
  if (Tq >= 3) {
    // separate passes (and functions) for dP and dV: together they keep too many values live and V8 spills
    av_bwd_dp_d8(dP, dZ, V, Bn, H, Tq, Tk);
    av_bwd_dv_d8(dV, dZ, P, Bn, H, Tq, Tk);
  } else {
    av_bwd_rows_d8(dP, dV, dZ, P, V, Bn, H, Tq, Tk);
  }
}

/** dP[b,h,i,j] += dZ[b,i,h,:]·V[b,j,h,:] for D = 8, two query rows at a time. */
function av_bwd_dp_d8(dP: usize, dZ: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32): void {
  const hd4 = <usize>H * 32, tk4 = <usize>Tk << 2;
  let dpr = dP;
  for (let b = 0; b < Bn; b++) {
    const bq = <usize>b * <usize>Tq * hd4, bk = <usize>b * <usize>Tk * hd4;
    for (let ho: usize = 0; ho < hd4; ho += 32) {
      const v = V + bk + ho;
      let dz = dZ + bq + ho, i = 0;
      for (; i + 2 <= Tq; i += 2) {
        dot_rows8x2(dpr, dpr + tk4, dz, dz + hd4, v, hd4, Tk, Tk, Tk, false, 1.0, 1);
        dz += hd4 << 1; dpr += tk4 << 1;
      }
      if (i < Tq) {
        dot_row8(dpr, dz, v, hd4, Tk, Tk, false, 1.0, 1);
        dpr += tk4;
      }
    }
  }
}

/** dV[b,j,h,:] += Σ_i P[b,h,i,j]·dZ[b,i,h,:] for D = 8: 4 keys at a time as a register tile over the query rows. */
function av_bwd_dv_d8(dV: usize, dZ: usize, P: usize, Bn: i32, H: i32, Tq: i32, Tk: i32): void {
  const hd4 = <usize>H * 32, tk4 = <usize>Tk << 2;
  let pr = P;
  for (let b = 0; b < Bn; b++) {
    const bq = <usize>b * <usize>Tq * hd4, bk = <usize>b * <usize>Tk * hd4;
    for (let ho: usize = 0; ho < hd4; ho += 32) {
      const dv = dV + bk + ho, dz = dZ + bq + ho;
      let j = 0;
      for (; j + 4 <= Tk; j += 4) comb_tile4(dv + <usize>j * hd4, hd4, pr + (<usize>j << 2), 4, tk4, dz, hd4, Tq, 1.0, 1);
      for (; j < Tk; j++) comb_row(dv + <usize>j * hd4, pr + (<usize>j << 2), tk4, dz, hd4, Tq, 32, 1.0, 1);
      pr += <usize>Tq * tk4;
    }
  }
}

/**
 * attn_av_bwd for D = 8 and one or two query rows: each row's dot products dP[i,:], then dV[j] += P[i,j]·dZ[i]
 * for every key with dZ[i] in registers.
 */
function av_bwd_rows_d8(dP: usize, dV: usize, dZ: usize, P: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32): void {
  const hd4 = <usize>H * 32, tk4 = <usize>Tk << 2;
  let pr = P, dpr = dP;
  for (let b = 0; b < Bn; b++) {
    const bq = <usize>b * <usize>Tq * hd4, bk = <usize>b * <usize>Tk * hd4;
    for (let ho: usize = 0; ho < hd4; ho += 32) {
      const v = V + bk + ho, dv = dV + bk + ho;
      let dz = dZ + bq + ho;
      for (let i = 0; i < Tq; i++) {
        dot_row8(dpr, dz, v, hd4, Tk, Tk, false, 1.0, 1);
        const z0 = v128.load(dz), z1 = v128.load(dz, 16);
        let pw = pr, pdv = dv;
        for (let j = 0; j < Tk; j++) {
          const w = v128.load32_splat(pw);
          v128.store(pdv, f32x4.add(v128.load(pdv), f32x4.mul(w, z0)));
          v128.store(pdv, f32x4.add(v128.load(pdv, 16), f32x4.mul(w, z1)), 16);
          pw += 4; pdv += hd4;
        }
        dz += hd4; pr += tk4; dpr += tk4;
      }
    }
  }
}
/** attn_av_bwd for D % 4 == 0 with few queries or keys: dot-product rows for dP, row combinations for dV. */
function av_bwd_d4(dP: usize, dV: usize, dZ: usize, P: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32, D: i32): void {
  const D4 = <usize>D << 2, hd4 = <usize>H * D4, tk4 = <usize>Tk << 2;
  let po: usize = 0;
  for (let b = 0; b < Bn; b++) {
    const bq = <usize>b * <usize>Tq * hd4, bk = <usize>b * <usize>Tk * hd4;
    for (let ho: usize = 0; ho < hd4; ho += D4) {
      const dz = dZ + bq + ho, v = V + bk + ho, dv = dV + bk + ho;
      for (let i = 0; i < Tq; i++) dot_row(dP + po + <usize>i * tk4, dz + <usize>i * hd4, v, hd4, Tk, Tk, D4, 1.0, 1);
      for (let j = 0; j < Tk; j++) comb_row(dv + <usize>j * hd4, P + po + (<usize>j << 2), tk4, dz, hd4, Tq, D4, 1.0, 1);
      po += <usize>Tq * tk4;
    }
  }
}


/** Z[b,i,h*D+d] = Σ_j P[b,h,i,j]·V[b,j,h*D+d] (Z is [Bn,Tq,H*D], V is [Bn,Tk,H*D], P is [Bn,H,Tq,Tk]). */
export function attn_av_fwd(Z: usize, P: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32, D: i32): void {
  const hd4 = <usize>(H * D) << 2, tk4 = <usize>Tk << 2;
  if ((D & 3) == 0 && D > 0 && Tq < SMALL_T) {
    if (D == 8) av_fwd_d8(Z, P, V, Bn, H, Tq, Tk);
    else av_fwd_d4(Z, P, V, Bn, H, Tq, Tk, D);
    return;
  }
  for (let b = 0; b < Bn; b++) {
    for (let h = 0; h < H; h++) {
      const p = P + <usize>(b * H + h) * <usize>Tq * tk4;
      const ho = <usize>(h * D) << 2;
      const z = Z + <usize>b * <usize>Tq * hd4 + ho, v = V + <usize>b * <usize>Tk * hd4 + ho;
      if (Tq < SMALL_T) {
        for (let i = 0; i < Tq; i++) row_nn(z + <usize>i * hd4, p + <usize>i * tk4, 4, v, hd4, D, Tk, 1.0, 0);
      } else {
        gemm_rc(z, hd4, p, tk4, v, hd4, Tq, D, Tk, 1.0, 0);
      }
    }
  }
}

/** dP[b,h,i,j] += Σ_d dZ[b,i,h*D+d]·V[b,j,h*D+d];  dV[b,j,h*D+d] += Σ_i P[b,h,i,j]·dZ[b,i,h*D+d]. */
export function attn_av_bwd(dP: usize, dV: usize, dZ: usize, P: usize, V: usize, Bn: i32, H: i32, Tq: i32, Tk: i32, D: i32): void {
  const hd4 = <usize>(H * D) << 2, tk4 = <usize>Tk << 2;
  if ((D & 3) == 0 && D > 0 && (Tq < SMALL_T || Tk < SMALL_T)) {
    if (D == 8) av_bwd_d8(dP, dV, dZ, P, V, Bn, H, Tq, Tk);
    else av_bwd_d4(dP, dV, dZ, P, V, Bn, H, Tq, Tk, D);
    return;
  }
  for (let b = 0; b < Bn; b++) {
    for (let h = 0; h < H; h++) {
      const po = <usize>(b * H + h) * <usize>Tq * tk4;
      const ho = <usize>(h * D) << 2;
      const dz = dZ + <usize>b * <usize>Tq * hd4 + ho;
      const v = V + <usize>b * <usize>Tk * hd4 + ho, dv = dV + <usize>b * <usize>Tk * hd4 + ho;
      if (Tq < SMALL_T || Tk < SMALL_T) {
        for (let i = 0; i < Tq; i++) row_nt(dP + po + <usize>i * tk4, dz + <usize>i * hd4, v, hd4, Tk, D, 1.0, 1);
        for (let j = 0; j < Tk; j++) row_nn(dv + <usize>j * hd4, P + po + (<usize>j << 2), tk4, dz, hd4, D, Tq, 1.0, 1);
      } else {
        gemm_nt(dP + po, tk4, dz, hd4, v, hd4, Tq, Tk, D, 1.0, 1, -1);
        gemm_cc(dv, hd4, P + po, tk4, dz, hd4, Tk, D, Tq, 1.0, 1);
      }
    }
  }
}
