/**
 * The synthetic feature generator of spec 1.1 (its model is described in features.ts's docstring). Kept
 * apart from the file loaders, which need node:fs, so the browser entry can import it.
 */
import { Rng } from '../rng.js';
import type { FeatureSource } from './types.js';

/** Knobs of the synthetic generative model (see the module docstring). */
export interface SyntheticFeatureOptions {
  /** Seed of the one Rng stream everything is drawn from. */
  seed?: number;
  nClasses?: number;
  nExemplars?: number;
  dim?: number;
  /** r, the dimension of the class latent space. */
  latentDim?: number;
  /** Latent standard deviations fall as (k+1)^(-spectrumDecay). */
  spectrumDecay?: number;
  /** Shared mean m_j = meanScale · |N(0,1)|. */
  meanScale?: number;
  /** Per-coordinate standard deviation of the class signal before the ReLU. */
  classScale?: number;
  /** Exemplar noise standard deviation relative to the class signal, same spectrum. */
  exemplarNoise?: number;
}

/** Defaults: the paper's table shape, and scales picked so magnitudes resemble pooled ResNet-18 features. */
export const SYNTHETIC_DEFAULTS: Required<SyntheticFeatureOptions> = {
  seed: 0,
  nClasses: 1623,
  nExemplars: 5,
  dim: 512,
  latentDim: 32,
  spectrumDecay: 0.5,
  meanScale: 0.7,
  classScale: 0.7,
  exemplarNoise: 0.5,
};

/** Deterministic synthetic stand-in for the Omniglot ResNet-18 feature file (module docstring). */
export function syntheticFeatures(opts: SyntheticFeatureOptions = {}): FeatureSource {
  const o: Required<SyntheticFeatureOptions> = { ...SYNTHETIC_DEFAULTS };
  for (const [k, v] of Object.entries(opts)) {
    if (!(k in SYNTHETIC_DEFAULTS)) throw new Error(`syntheticFeatures: unknown option '${k}'`);
    if (v !== undefined) (o as Record<string, number>)[k] = v;
  }
  const { seed, nClasses, nExemplars, dim, latentDim: r, spectrumDecay, meanScale, classScale, exemplarNoise } = o;
  for (const [k, v] of [['nClasses', nClasses], ['nExemplars', nExemplars], ['dim', dim], ['latentDim', r]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`syntheticFeatures: ${k} must be a positive integer, got ${v}`);
  }
  for (const [k, v] of [['spectrumDecay', spectrumDecay], ['meanScale', meanScale], ['classScale', classScale], ['exemplarNoise', exemplarNoise]] as const) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`syntheticFeatures: ${k} must be a finite number >= 0, got ${v}`);
  }

  const rng = new Rng(seed);
  const A = new Float64Array(dim * r);
  for (let i = 0; i < A.length; i++) A[i] = rng.normal();
  const m = new Float64Array(dim);
  for (let j = 0; j < dim; j++) m[j] = meanScale * Math.abs(rng.normal());
  const lambda = new Float64Array(r);
  let norm = 0;
  for (let k = 0; k < r; k++) {
    lambda[k] = Math.pow(k + 1, -spectrumDecay);
    norm += lambda[k] * lambda[k];
  }
  for (let k = 0; k < r; k++) lambda[k] /= Math.sqrt(norm);

  const data = new Float32Array(nClasses * nExemplars * dim);
  const u = new Float64Array(r);
  const v = new Float64Array(r);
  for (let c = 0; c < nClasses; c++) {
    for (let k = 0; k < r; k++) u[k] = lambda[k] * rng.normal();
    for (let e = 0; e < nExemplars; e++) {
      for (let k = 0; k < r; k++) v[k] = classScale * (u[k] + exemplarNoise * lambda[k] * rng.normal());
      const base = (c * nExemplars + e) * dim;
      for (let j = 0; j < dim; j++) {
        let h = m[j];
        const row = j * r;
        for (let k = 0; k < r; k++) h += A[row + k] * v[k];
        data[base + j] = h > 0 ? h : 0;
      }
    }
  }
  const description =
    `synthetic(seed=${seed},classes=${nClasses},exemplars=${nExemplars},dim=${dim},latent=${r},` +
    `spectrumDecay=${spectrumDecay},meanScale=${meanScale},classScale=${classScale},exemplarNoise=${exemplarNoise})`;
  return { nClasses, nExemplars, dim, data, description };
}
