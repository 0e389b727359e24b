import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { loadFeatureFile, syntheticFeatures } from './features.js';
import { makeDistribution } from './sampler.js';
import { buildTask } from './task.js';
import type { FeatureSource } from './types.js';

// ---- synthetic features ----------------------------------------------------------------------------

const syn = syntheticFeatures();

function row(f: FeatureSource, c: number, e: number): Float32Array {
  return f.data.subarray((c * f.nExemplars + e) * f.dim, (c * f.nExemplars + e + 1) * f.dim);
}

/**
 * Fraction of the held-out classes' (centred) class-mean energy that lies in the span of the training
 * classes' centred means. High when classes vary along a few shared directions; about
 * nTrain/dim for isotropic class vectors.
 */
function heldOutVarianceInTrainSpan(f: FeatureSource, trainClasses: number[], heldOut: number[]): number {
  const D = f.dim;
  const mean = (c: number): Float64Array => {
    const m = new Float64Array(D);
    for (let e = 0; e < f.nExemplars; e++) {
      const r = row(f, c, e);
      for (let j = 0; j < D; j++) m[j] += r[j] / f.nExemplars;
    }
    return m;
  };
  const trainMeans = trainClasses.map(mean);
  const centre = new Float64Array(D);
  for (const m of trainMeans) for (let j = 0; j < D; j++) centre[j] += m[j] / trainMeans.length;
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let j = 0; j < D; j++) s += a[j] * b[j];
    return s;
  };
  const basis: Float64Array[] = []; // Gram-Schmidt, twice for stability
  for (const m of trainMeans) {
    const v = m.map((x, j) => x - centre[j]);
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        const d = dot(v, b);
        for (let j = 0; j < D; j++) v[j] -= d * b[j];
      }
    }
    const n = Math.sqrt(dot(v, v));
    if (n > 1e-9) basis.push(v.map((x) => x / n));
  }
  let inSpan = 0;
  let total = 0;
  for (const c of heldOut) {
    const r = mean(c).map((x, j) => x - centre[j]);
    total += dot(r, r);
    for (const b of basis) inSpan += dot(r, b) ** 2;
  }
  return inSpan / total;
}

/** Spec 1.1's isotropic substitute (class vectors N(0, s²I) around a shared mean, then ReLU): the control. */
function isotropicFeatures(seed: number): FeatureSource {
  const rng = new Rng(seed);
  const [C, E, D] = [1623, 5, 512];
  const m = Float64Array.from({ length: D }, () => 0.7 * Math.abs(rng.normal()));
  const data = new Float32Array(C * E * D);
  const u = new Float64Array(D);
  for (let c = 0; c < C; c++) {
    for (let j = 0; j < D; j++) u[j] = 0.7 * rng.normal();
    for (let e = 0; e < E; e++) for (let j = 0; j < D; j++) data[(c * E + e) * D + j] = Math.max(0, m[j] + u[j] + 0.35 * rng.normal());
  }
  return { nClasses: C, nExemplars: E, dim: D, data, description: 'isotropic' };
}

/** Bitwise equality of two float arrays (vitest's deep toEqual takes ~20 s on 4M elements). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

const range = (a: number, n: number) => Array.from({ length: n }, (_, i) => a + i);

describe('syntheticFeatures', () => {
  it('has the paper shape 1623 x 5 x 512 and records its parameters', () => {
    expect([syn.nClasses, syn.nExemplars, syn.dim]).toEqual([1623, 5, 512]);
    expect(syn.data).toBeInstanceOf(Float32Array);
    expect(syn.data.length).toBe(1623 * 5 * 512);
    expect(syn.description).toMatch(/^synthetic\(seed=0,.*latent=32/);
  });

  it('is deterministic from the seed and differs across seeds', () => {
    expect(sameBits(syntheticFeatures({ seed: 0 }).data, syn.data)).toBe(true);
    const other = syntheticFeatures({ seed: 1 });
    expect(other.description).toMatch(/seed=1/);
    let same = 0;
    for (let i = 0; i < syn.data.length; i++) if (syn.data[i] === other.data[i]) same++;
    expect(same / syn.data.length).toBeLessThan(0.2); // only shared exact zeros may coincide
  });

  it('a smaller table is a prefix of the larger one (classes are drawn one after another)', () => {
    const small = syntheticFeatures({ nClasses: 10 });
    expect(sameBits(small.data, syn.data.subarray(0, small.data.length))).toBe(true);
    const odd = syntheticFeatures({ nClasses: 7, nExemplars: 3, dim: 16 });
    expect([odd.nClasses, odd.nExemplars, odd.dim, odd.data.length]).toEqual([7, 3, 16, 7 * 3 * 16]);
  });

  it('is non-negative with ResNet-like magnitudes: mean 0.5-1, many exact zeros', () => {
    let sum = 0;
    let zeros = 0;
    let bad = 0;
    for (const v of syn.data) {
      if (!(v >= 0) || !Number.isFinite(v)) bad++;
      if (v === 0) zeros++;
      sum += v;
    }
    expect(bad).toBe(0);
    const mean = sum / syn.data.length;
    expect(mean).toBeGreaterThan(0.5);
    expect(mean).toBeLessThan(1);
    expect(zeros / syn.data.length).toBeGreaterThan(0.1);
    expect(zeros / syn.data.length).toBeLessThan(0.5);
  });

  it('exemplars of a class are similar but not identical: nearest neighbour recovers held-out classes', () => {
    // Each drawing 1..4 of the 100 test classes against the drawing-0 gallery of the same 100 classes.
    const dist2 = (a: Float32Array, b: Float32Array) => {
      let s = 0;
      for (let j = 0; j < a.length; j++) s += (a[j] - b[j]) ** 2;
      return s;
    };
    let correct = 0;
    let total = 0;
    for (let c = 1523; c < 1623; c++) {
      expect(row(syn, c, 1)).not.toEqual(row(syn, c, 0));
      for (let e = 1; e < 5; e++) {
        let best = -1;
        let bestD = Infinity;
        for (let c2 = 1523; c2 < 1623; c2++) {
          const d = dist2(row(syn, c, e), row(syn, c2, 0));
          if (d < bestD) [best, bestD] = [c2, d];
        }
        if (best === c) correct++;
        total++;
      }
    }
    expect(correct / total).toBeGreaterThan(0.85); // 0.955 at seed 0
  });

  it('is low-rank across classes: held-out class means lie mostly in the span of 50 training classes', () => {
    const synFrac = heldOutVarianceInTrainSpan(syn, range(0, 50), range(1523, 100));
    const isoFrac = heldOutVarianceInTrainSpan(isotropicFeatures(0), range(0, 50), range(1523, 100));
    expect(synFrac).toBeGreaterThan(0.7); // 0.87 at seed 0
    expect(isoFrac).toBeLessThan(0.3); // 0.10: the check fails for isotropic class vectors
  });

  it('rejects bad options', () => {
    expect(() => syntheticFeatures({ nClasses: 0 })).toThrow(/nClasses must be a positive integer/);
    expect(() => syntheticFeatures({ dim: 2.5 })).toThrow(/dim/);
    expect(() => syntheticFeatures({ exemplarNoise: -1 })).toThrow(/exemplarNoise/);
    expect(() => syntheticFeatures({ latent: 8 } as never)).toThrow(/unknown option 'latent'/);
  });
});

// ---- file loaders -----------------------------------------------------------------------------------

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'engine-features-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * Minimal NPY writer written from the format description (not shared with the parser): magic, version,
 * little-endian header length, a Python dict literal padded with spaces to a multiple of 64 and ended by
 * '\n', then the raw data.
 */
function npyBytes(
  values: ArrayLike<number>,
  shape: number[],
  opts: { descr?: string; fortran?: boolean; version?: 1 | 2 | 3 } = {},
): Uint8Array {
  const descr = opts.descr ?? '<f4';
  const version = opts.version ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const pre = version === 1 ? 10 : 12;
  header += ' '.repeat(64 - ((pre + header.length + 1) % 64)) + '\n';
  const size = descr.endsWith('8') ? 8 : descr.endsWith('2') ? 2 : 4;
  const out = new Uint8Array(pre + header.length + values.length * size);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, header.length, true);
  else dv.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  const little = descr[0] !== '>';
  for (let i = 0; i < values.length; i++) {
    const at = pre + header.length + i * size;
    if (descr.includes('f8')) dv.setFloat64(at, values[i], little);
    else if (descr.includes('i4')) dv.setInt32(at, values[i], little);
    else if (descr.includes('f2')) dv.setUint16(at, 0, little);
    else dv.setFloat32(at, values[i], little);
  }
  return out;
}

const SHAPE = [4, 3, 5];
const VALUES = Array.from({ length: 60 }, (_, i) => (i * 0.37) % 2.3);

async function writeNpy(name: string, bytes: Uint8Array): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, bytes);
  return p;
}

describe('loadFeatureFile: .npy', () => {
  it('reads <f4 exactly, with the path as description', async () => {
    const p = await writeNpy('f4.npy', npyBytes(VALUES, SHAPE));
    const f = await loadFeatureFile(p);
    expect([f.nClasses, f.nExemplars, f.dim]).toEqual(SHAPE);
    expect(f.data).toEqual(Float32Array.from(VALUES));
    expect(f.description).toBe(p);
  });

  it('reads <f8 and converts to float32', async () => {
    const p = await writeNpy('f8.npy', npyBytes(VALUES, SHAPE, { descr: '<f8' }));
    const f = await loadFeatureFile(p);
    expect(f.data).toBeInstanceOf(Float32Array);
    expect(Array.from(f.data)).toEqual(VALUES.map(Math.fround));
  });

  it('reads format versions 2 and 3', async () => {
    for (const version of [2, 3] as const) {
      const f = await loadFeatureFile(await writeNpy(`v${version}.npy`, npyBytes(VALUES, SHAPE, { version })));
      expect(f.data).toEqual(Float32Array.from(VALUES));
    }
  });

  const rejects: [string, () => Uint8Array, RegExp][] = [
    ['fortran order', () => npyBytes(VALUES, SHAPE, { fortran: true }), /fortran_order/],
    ['a NaN (count and first index)', () => npyBytes(VALUES.map((v, i) => (i === 17 || i === 40 ? NaN : v)), SHAPE), /2 non-finite values, first at \[1, 0, 2\]/],
    ['an f8 value beyond float32 range', () => npyBytes(VALUES.map((v, i) => (i === 5 ? 1e300 : v)), SHAPE, { descr: '<f8' }), /1 non-finite value \(after conversion to float32\), first at \[0, 1, 0\]/],
    ['rank 2', () => npyBytes(VALUES, [12, 5]), /rank 2 \(shape \[12, 5\]\), expected rank 3/],
    ['rank 4', () => npyBytes(VALUES, [2, 2, 3, 5]), /rank 4/],
    ['an int dtype', () => npyBytes(VALUES, SHAPE, { descr: '<i4' }), /dtype '<i4' is not float/],
    ['float16', () => npyBytes(VALUES, SHAPE, { descr: '<f2' }), /dtype '<f2' is not float; expected '<f4' or '<f8'/],
    ['big-endian', () => npyBytes(VALUES, SHAPE, { descr: '>f4' }), /big-endian/],
    ['truncated data', () => npyBytes(VALUES, SHAPE).subarray(0, 200), /data has \d+ bytes, shape \(4, 3, 5\) of '<f4' needs 240/],
    ['bad magic', () => new TextEncoder().encode('not an npy file at all'), /not an NPY file/],
  ];
  for (const [what, bytes, re] of rejects) {
    it(`rejects ${what}, naming the file`, async () => {
      const p = await writeNpy(`bad-${what.replace(/\W+/g, '_')}.npy`, bytes());
      const err = await loadFeatureFile(p).then(() => null, (e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err!.message).toMatch(re);
      expect(err!.message).toContain(p);
      expect(err!.message).not.toContain('\n');
    });
  }
});

describe('loadFeatureFile: general errors', () => {
  it('a missing file', async () => {
    const p = join(dir, 'nope.h5');
    await expect(loadFeatureFile(p)).rejects.toThrow(`feature file ${p}: not found`);
  });

  it('an unknown extension', async () => {
    const p = join(dir, 'feat.txt');
    await writeFile(p, 'x');
    await expect(loadFeatureFile(p)).rejects.toThrow(/feat\.txt: unknown extension '\.txt' \(expected \.h5, \.hdf5 or \.npy\)/);
  });

  it('a .h5 file that is not HDF5', async () => {
    const p = join(dir, 'garbage.h5');
    await writeFile(p, 'this is not an HDF5 file'.repeat(100));
    await expect(loadFeatureFile(p)).rejects.toThrow(/garbage\.h5: not an HDF5 file \(no HDF5 signature\)/);
  });

  it('a directory', async () => {
    const p = join(dir, 'adir.npy');
    await mkdir(p);
    await expect(loadFeatureFile(p)).rejects.toThrow(/adir\.npy: not a regular file/);
  });
});

describe('loadFeatureFile: HDF5 via h5wasm', () => {
  type H5 = typeof import('h5wasm/node');
  let h5: H5;
  beforeAll(async () => {
    h5 = await import('h5wasm/node');
    await h5.ready;
  });

  /** Write one file with the given datasets (path -> values, shape, dtype). */
  function writeH5(name: string, datasets: Record<string, { data: ArrayLike<number>; shape: number[]; dtype: string }>): string {
    const p = join(dir, name);
    const f = new h5.File(p, 'w');
    try {
      for (const [path, d] of Object.entries(datasets)) {
        const parts = path.split('/');
        let g: InstanceType<H5['Group']> = f;
        for (const seg of parts.slice(0, -1)) {
          g = (g.keys().includes(seg) ? g.get(seg) : g.create_group(seg)) as InstanceType<H5['Group']>;
        }
        const data = d.dtype === '<d' ? Float64Array.from(d.data) : d.dtype === '<i' ? Int32Array.from(d.data) : Float32Array.from(d.data);
        g.create_dataset({ name: parts[parts.length - 1], data, shape: d.shape, dtype: d.dtype });
      }
    } finally {
      f.close();
    }
    return p;
  }

  it('reads resnet18/224/feat by default (float32), exactly', async () => {
    const p = writeH5('feat.h5', { 'resnet18/224/feat': { data: VALUES, shape: SHAPE, dtype: '<f' }, other: { data: [1], shape: [1], dtype: '<f' } });
    const f = await loadFeatureFile(p);
    expect([f.nClasses, f.nExemplars, f.dim]).toEqual(SHAPE);
    expect(f.data).toEqual(Float32Array.from(VALUES));
    expect(f.description).toBe(`${p}#resnet18/224/feat`);
  });

  it('reads another dataset path and float64 (.hdf5)', async () => {
    const p = writeH5('feat64.hdf5', { 'a/b': { data: VALUES, shape: SHAPE, dtype: '<d' } });
    const f = await loadFeatureFile(p, { datasetPath: '/a/b' });
    expect(Array.from(f.data)).toEqual(VALUES.map(Math.fround));
  });

  it('feeds buildTask and the sampler: item features are the file rows', async () => {
    const p = writeH5('small.h5', { 'resnet18/224/feat': { data: VALUES, shape: SHAPE, dtype: '<f' } });
    const f = await loadFeatureFile(p);
    const task = buildTask({ classSplit: [2, 1, 1], exemplarSplit: [1, 2, 0], numLabels: 2, labelPairSplit: [1, 0, 0], pairSeed: 0 }, f);
    const d = makeDistribution('t', f, [0, task.testClasses[0]], [2], task.pairs.train, 2);
    // class 3, exemplar 2 -> flat row 3*3+2 = 11 -> values 55..59
    expect(Array.from(d.itemFeatures.subarray(5, 10))).toEqual(VALUES.slice(55, 60).map(Math.fround));
    expect(() => buildTask({ ...task.config, classSplit: [3, 1, 1] }, f)).toThrow(/needs 5 classes, the features have 4/);
  });

  const rejects: [string, () => string, RegExp][] = [
    ['a missing dataset (lists top-level keys)', () => writeH5('nokey.h5', { 'x/feat': { data: VALUES, shape: SHAPE, dtype: '<f' }, y: { data: [1], shape: [1], dtype: '<f' } }), /no dataset 'resnet18\/224\/feat' \(missing 'resnet18'\); top-level keys: x, y/],
    ['a missing leaf', () => writeH5('noleaf.h5', { 'resnet18/224/other': { data: VALUES, shape: SHAPE, dtype: '<f' } }), /missing 'resnet18\/224\/feat'\); top-level keys: resnet18/],
    ['rank 2', () => writeH5('rank2.h5', { 'resnet18/224/feat': { data: VALUES, shape: [12, 5], dtype: '<f' } }), /dataset 'resnet18\/224\/feat' has rank 2 \(shape \[12, 5\]\), expected rank 3/],
    ['an int dataset', () => writeH5('int.h5', { 'resnet18/224/feat': { data: VALUES.map(Math.round), shape: SHAPE, dtype: '<i' } }), /has dtype '<i', expected float32 or float64/],
    ['a NaN', () => writeH5('nan.h5', { 'resnet18/224/feat': { data: VALUES.map((v, i) => (i === 59 ? NaN : v)), shape: SHAPE, dtype: '<f' } }), /1 non-finite value, first at \[3, 2, 4\] = NaN/],
    ['a group where the dataset should be', () => writeH5('group.h5', { 'resnet18/224/feat/x': { data: [1], shape: [1], dtype: '<f' } }), /'resnet18\/224\/feat' is not a dataset/],
  ];
  for (const [what, make, re] of rejects) {
    it(`rejects ${what}, naming the file`, async () => {
      const p = make();
      const err = await loadFeatureFile(p).then(() => null, (e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err!.message).toMatch(re);
      expect(err!.message).toContain(p);
      expect(err!.message).not.toContain('\n');
    });
  }
});
