/**
 * Feature sources, spec section 1.1: the [nClasses, nExemplars, dim] float32 table every sequence draws
 * its exemplar vectors from. Two ways to get one:
 *
 * 1. `syntheticFeatures()`: the built-in default, because the paper's feature file
 *    (`omniglot_resnet18_randomized_order_s0.h5`, 1623 x 5 x 512) is not in the mirror (spec 1.1 option b,
 *    sharpened so that in-context learning transfers to unseen classes, see below).
 * 2. `loadFeatureFile(path)`: real features from `.h5`/`.hdf5` (via h5wasm, dataset `resnet18/224/feat`
 *    by default) or `.npy` (parsed here: `<f4` or `<f8`, C order).
 *
 * ## Synthetic generative model
 * With r = `latentDim`, d = `dim`, all draws from one `Rng(seed)` in this order:
 * - mixing matrix   A ∈ R^{d×r},  A_jk ~ N(0, 1)
 * - shared mean     m ∈ R^d,      m_j = meanScale · |N(0, 1)|              (non-negative, like a ReLU net's mean)
 * - spectrum        λ_k ∝ (k+1)^(−spectrumDecay), k = 0..r−1, scaled so Σ_k λ_k² = 1
 * - then per class c = 0..nClasses−1:
 *     class latent  u_c = λ ⊙ g_c,           g_c ~ N(0, I_r)
 *     and per exemplar e = 0..nExemplars−1:
 *     exemplar      ε_ce = exemplarNoise · λ ⊙ h_ce,   h_ce ~ N(0, I_r)
 *     feature       x[c, e, j] = max(0, m_j + classScale · (A (u_c + ε_ce))_j)
 *
 * Why this shape: real ResNet features of Omniglot characters vary along a few dominant directions shared
 * by all classes, so a readout trained on 50 classes already "knows" the directions that separate unseen
 * classes. Isotropic class vectors in 512-d lack this: 50 training classes span a subspace in which
 * an unseen class has only ~10% of its variance, and ICL does not transfer to held-out classes. The latent
 * spectrum (variance ∝ 1/(k+1) by default) gives a few strong and many weak directions; the ReLU makes the
 * vectors non-negative with many exact zeros. Because Σλ² = 1, each pre-activation coordinate has class
 * standard deviation `classScale` and exemplar standard deviation `classScale · exemplarNoise`, so two
 * drawings of one character are similar but not identical (correlation ≈ 1/(1+exemplarNoise²) before
 * the ReLU). With the defaults the features have mean ≈ 0.7 and ≈ 27% exact zeros, close to pooled
 * ResNet-18 activations.
 *
 * Classes are generated one after another from the stream, so for a fixed exemplar count the first k
 * classes of a larger table equal a table built with nClasses = k.
 */

import { open, readFile, stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import type { FeatureSource } from './types.js';
import { parseNpyArray } from './npy.js';

// The synthetic generator lives in synthetic.ts (no Node imports, so a page can train on it); re-exported here.
export { SYNTHETIC_DEFAULTS, syntheticFeatures, type SyntheticFeatureOptions } from './synthetic.js';

/** Default HDF5 dataset path of the paper's feature file (`--data_path_in_file`). */
export const DEFAULT_H5_DATASET = 'resnet18/224/feat';

/**
 * Load a [nClasses, nExemplars, dim] float feature table from `.h5`/`.hdf5` or `.npy`. Float64 input is
 * converted to float32. Every failure is an Error with a one-line message naming the file and the problem.
 * Whether the table has enough classes/exemplars for a task is checked by `buildTask`.
 */
export async function loadFeatureFile(path: string, opts: { datasetPath?: string } = {}): Promise<FeatureSource> {
  const abs = resolve(path);
  let isFile: boolean;
  try {
    isFile = (await stat(abs)).isFile();
  } catch {
    throw new Error(`feature file ${path}: not found`);
  }
  if (!isFile) throw new Error(`feature file ${path}: not a regular file`);
  const ext = extname(abs).toLowerCase();
  if (ext === '.npy') {
    const { shape, values } = parseNpy(path, await readFile(abs));
    return toFeatureSource(path, shape, values, abs);
  }
  if (ext === '.h5' || ext === '.hdf5') {
    const datasetPath = opts.datasetPath ?? DEFAULT_H5_DATASET;
    const { shape, values } = await readH5Dataset(path, abs, datasetPath);
    return toFeatureSource(path, shape, values, `${abs}#${normaliseH5Path(datasetPath).join('/')}`);
  }
  throw new Error(`feature file ${path}: unknown extension '${ext || '(none)'}' (expected .h5, .hdf5 or .npy)`);
}

/**
 * Parse a feature NPY file: only little-endian float32/float64 in C order is accepted because that is
 * what feature extraction produces; anything else is rejected rather than silently reinterpreted.
 */
export function parseNpy(name: string, bytes: Uint8Array): { shape: number[]; values: Float32Array | Float64Array } {
  const { shape, values } = parseNpyArray(`feature file ${name}`, bytes, ['<f4', '<f8']);
  return { shape, values: values as Float32Array | Float64Array };
}

function normaliseH5Path(p: string): string[] {
  return p.split('/').filter((s) => s.length > 0);
}

type H5Module = typeof import('h5wasm/node');
let h5Promise: Promise<H5Module> | null = null;

/** h5wasm is imported lazily: its wasm start-up is only paid by runs that actually read HDF5. */
function h5wasm(): Promise<H5Module> {
  h5Promise ??= import('h5wasm/node').then(async (mod) => {
    await mod.ready;
    // libhdf5 prints its whole error stack (dozens of HDF5-DIAG lines) to stderr by default; make it
    // throw instead, so a damaged file gets one line that names the deepest cause.
    mod.Module.activate_throwing_error_handler();
    return mod;
  });
  return h5Promise;
}

async function readH5Dataset(
  name: string,
  abs: string,
  datasetPath: string,
): Promise<{ shape: number[]; values: Float32Array | Float64Array }> {
  // h5wasm opens a non-HDF5 file without throwing and fails later with an unrelated message (after
  // libhdf5 prints a diagnostic), so check the format signature first.
  if (!(await hasHdf5Signature(abs))) throw new Error(`feature file ${name}: not an HDF5 file (no HDF5 signature)`);
  const h5 = await h5wasm();
  let file: InstanceType<H5Module['File']>;
  try {
    file = new h5.File(abs, 'r');
    file.keys();
  } catch (e) {
    throw new Error(`feature file ${name}: not a readable HDF5 file (${oneLine(e)})`);
  }
  try {
    const segments = normaliseH5Path(datasetPath);
    if (segments.length === 0) throw new Error(`feature file ${name}: empty dataset path`);
    const topKeys = file.keys();
    // Walk one level at a time so a missing key is reported by name (h5wasm's `get` on a missing
    // intermediate group fails inside libhdf5 with a multi-line diagnostic).
    let group: InstanceType<H5Module['Group']> = file;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i];
      const here = segments.slice(0, i + 1).join('/');
      if (!group.keys().includes(seg)) {
        throw new Error(
          `feature file ${name}: no dataset '${segments.join('/')}' (missing '${here}'); top-level keys: ${topKeys.join(', ') || '(none)'}`,
        );
      }
      const entity = group.get(seg);
      if (i < segments.length - 1) {
        if (!(entity instanceof h5.Group)) {
          throw new Error(`feature file ${name}: '${here}' is not a group, so '${segments.join('/')}' cannot exist`);
        }
        group = entity;
        continue;
      }
      if (!(entity instanceof h5.Dataset)) {
        throw new Error(`feature file ${name}: '${here}' is not a dataset; top-level keys: ${topKeys.join(', ')}`);
      }
      const meta = entity.metadata;
      const shape = entity.shape ?? [];
      // HDF5 class 1 is H5T_FLOAT; only 32/64-bit floats map onto typed arrays we accept.
      if (meta.type !== 1 || (meta.size !== 4 && meta.size !== 8)) {
        throw new Error(`feature file ${name}: dataset '${here}' has dtype '${String(entity.dtype)}', expected float32 or float64`);
      }
      if (shape.length !== 3) {
        throw new Error(`feature file ${name}: dataset '${here}' has rank ${shape.length} (shape [${shape.join(', ')}]), expected rank 3 [classes, exemplars, dim]`);
      }
      const values = entity.value;
      if (!(values instanceof Float32Array || values instanceof Float64Array)) {
        throw new Error(`feature file ${name}: dataset '${here}' did not read as a float array`);
      }
      return { shape, values };
    }
    throw new Error('unreachable');
  } catch (e) {
    if (e instanceof Error && e.message.startsWith(`feature file ${name}:`)) throw e;
    throw new Error(`feature file ${name}: reading '${datasetPath}' failed (${oneLine(e)})`);
  } finally {
    file.close();
  }
}

/** HDF5's superblock signature sits at byte 0 or, after a user block, at 512, 1024, 2048, ... */
async function hasHdf5Signature(abs: string): Promise<boolean> {
  const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  const fh = await open(abs, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = new Uint8Array(8);
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      const { bytesRead } = await fh.read(buf, 0, 8, at);
      if (bytesRead === 8 && sig.every((b, i) => buf[i] === b)) return true;
    }
    return false;
  } finally {
    await fh.close();
  }
}

/** One line for an error; for libhdf5's error stack, the innermost frame's message (e.g. "truncated file: eof = ..."). */
function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const frames = [...msg.matchAll(/#\d+: .* in \w+\(\): (.+)$/gm)].map((m) => m[1].trim());
  return frames.at(-1) ?? msg.split('\n')[0];
}

/** Shared validation of a loaded table: rank 3, non-empty, every value finite after conversion to float32. */
function toFeatureSource(name: string, shape: number[], values: Float32Array | Float64Array, description: string): FeatureSource {
  if (shape.length !== 3) {
    throw new Error(`feature file ${name}: rank ${shape.length} (shape [${shape.join(', ')}]), expected rank 3 [classes, exemplars, dim]`);
  }
  const [nClasses, nExemplars, dim] = shape;
  if (nClasses < 1 || nExemplars < 1 || dim < 1) throw new Error(`feature file ${name}: empty shape [${shape.join(', ')}]`);
  if (values.length !== nClasses * nExemplars * dim) {
    throw new Error(`feature file ${name}: ${values.length} values do not fill shape [${shape.join(', ')}]`);
  }
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  let bad = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      if (first < 0) first = i;
      bad++;
    }
  }
  if (bad > 0) {
    const c = Math.floor(first / (nExemplars * dim));
    const e = Math.floor(first / dim) % nExemplars;
    const j = first % dim;
    const conv = values instanceof Float64Array ? ' (after conversion to float32)' : '';
    throw new Error(`feature file ${name}: ${bad} non-finite value${bad === 1 ? '' : 's'}${conv}, first at [${c}, ${e}, ${j}] = ${data[first]}`);
  }
  return { nClasses, nExemplars, dim, data, description };
}
