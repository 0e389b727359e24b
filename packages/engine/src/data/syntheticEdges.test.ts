/**
 * The synthetic feature generator (synthetic.ts) against its generative model written out again from
 * features.ts's docstring, on tables small enough to check every entry: A, m, λ, then per class u_c and
 * per exemplar x = max(0, m + classScale·A(u_c + ε)), all from one Rng(seed) in that order. Plus the
 * description string and every option check's message.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { SYNTHETIC_DEFAULTS, syntheticFeatures } from './synthetic.js';

interface Opts {
  seed: number;
  nClasses: number;
  nExemplars: number;
  dim: number;
  latentDim: number;
  spectrumDecay: number;
  meanScale: number;
  classScale: number;
  exemplarNoise: number;
}

/** The docstring's model, entry by entry (float64, then rounded to float32 as the table stores it). */
function reference(o: Opts): number[] {
  const { dim: d, latentDim: r } = o;
  const rng = new Rng(o.seed);
  const A: number[][] = Array.from({ length: d }, () => Array.from({ length: r }, () => rng.normal()));
  const m = Array.from({ length: d }, () => o.meanScale * Math.abs(rng.normal()));
  const raw = Array.from({ length: r }, (_, k) => (k + 1) ** -o.spectrumDecay);
  const norm = Math.sqrt(raw.reduce((s, x) => s + x * x, 0));
  const lambda = raw.map((x) => x / norm);
  const out: number[] = [];
  for (let c = 0; c < o.nClasses; c++) {
    const u = lambda.map((l) => l * rng.normal());
    for (let e = 0; e < o.nExemplars; e++) {
      const z = u.map((uk, k) => uk + o.exemplarNoise * lambda[k] * rng.normal());
      for (let j = 0; j < d; j++) {
        const pre = m[j] + o.classScale * A[j].reduce((s, a, k) => s + a * z[k], 0);
        out.push(Math.fround(Math.max(0, pre)));
      }
    }
  }
  return out;
}

describe('syntheticFeatures against its generative model', () => {
  const cases: Opts[] = [
    { seed: 3, nClasses: 3, nExemplars: 2, dim: 5, latentDim: 3, spectrumDecay: 0.5, meanScale: 0.7, classScale: 0.7, exemplarNoise: 0.5 },
    { seed: 8, nClasses: 2, nExemplars: 3, dim: 4, latentDim: 2, spectrumDecay: 2, meanScale: 0.1, classScale: 1.9, exemplarNoise: 0 },
    { seed: 1, nClasses: 4, nExemplars: 1, dim: 3, latentDim: 4, spectrumDecay: 0, meanScale: 0, classScale: 0.3, exemplarNoise: 3 },
  ];
  for (const o of cases)
    it(`seed ${o.seed}, ${o.nClasses}x${o.nExemplars}x${o.dim}, latent ${o.latentDim}, decay ${o.spectrumDecay}: every entry`, () => {
      const f = syntheticFeatures(o);
      expect([f.nClasses, f.nExemplars, f.dim]).toEqual([o.nClasses, o.nExemplars, o.dim]);
      const want = reference(o);
      expect(f.data.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(f.data[i], `entry ${i}`).toBeCloseTo(want[i], 6);
      expect(want.some((x) => x === 0) || o.meanScale === 0.1).toBe(true); // the ReLU is exercised
      expect(want.some((x) => x > 0)).toBe(true);
      expect(f.description).toBe(
        `synthetic(seed=${o.seed},classes=${o.nClasses},exemplars=${o.nExemplars},dim=${o.dim},latent=${o.latentDim},` +
          `spectrumDecay=${o.spectrumDecay},meanScale=${o.meanScale},classScale=${o.classScale},exemplarNoise=${o.exemplarNoise})`,
      );
    });

  it('defaults fill what is absent or undefined', () => {
    const small = { nClasses: 2, nExemplars: 2, dim: 3 };
    const f = syntheticFeatures({ ...small, latentDim: undefined });
    const want = reference({ ...SYNTHETIC_DEFAULTS, ...small });
    for (let i = 0; i < want.length; i++) expect(f.data[i]).toBeCloseTo(want[i], 6);
    expect(f.description).toBe('synthetic(seed=0,classes=2,exemplars=2,dim=3,latent=32,spectrumDecay=0.5,meanScale=0.7,classScale=0.7,exemplarNoise=0.5)');
    expect(SYNTHETIC_DEFAULTS).toEqual({ seed: 0, nClasses: 1623, nExemplars: 5, dim: 512, latentDim: 32, spectrumDecay: 0.5, meanScale: 0.7, classScale: 0.7, exemplarNoise: 0.5 });
  });

  it('each bad option is refused with its name and value', () => {
    const msg = (o: object) => {
      try {
        syntheticFeatures({ nClasses: 1, nExemplars: 1, dim: 1, latentDim: 1, ...o });
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    for (const k of ['nClasses', 'nExemplars', 'dim', 'latentDim']) {
      expect(msg({ [k]: 0 })).toBe(`syntheticFeatures: ${k} must be a positive integer, got 0`);
      expect(msg({ [k]: 1.5 })).toBe(`syntheticFeatures: ${k} must be a positive integer, got 1.5`);
      expect(msg({ [k]: 1 })).toBe('accepted');
    }
    for (const k of ['spectrumDecay', 'meanScale', 'classScale', 'exemplarNoise']) {
      expect(msg({ [k]: -0.5 })).toBe(`syntheticFeatures: ${k} must be a finite number >= 0, got -0.5`);
      expect(msg({ [k]: Infinity })).toBe(`syntheticFeatures: ${k} must be a finite number >= 0, got Infinity`);
      expect(msg({ [k]: NaN })).toBe(`syntheticFeatures: ${k} must be a finite number >= 0, got NaN`);
      expect(msg({ [k]: 0 })).toBe('accepted');
    }
    expect(msg({ classes: 3 })).toBe("syntheticFeatures: unknown option 'classes'");
  });
});
