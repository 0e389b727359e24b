/**
 * Feature-file loading at its edges (features.ts), on tiny files written here: the smallest table (one
 * class, one exemplar, one value), each empty axis, the first of several non-finite values at index 0, a
 * file without an extension, and HDF5 paths through a dataset where a group should be, an empty dataset
 * path and a signature after a 512-byte user block.
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFeatureFile } from './features.js';
import { encodeNpy } from './npy.js';

const dir = mkdtempSync(join(tmpdir(), 'opto-features-edges-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const npy = (name: string, shape: number[], data: number[]) => {
  const p = join(dir, name);
  writeFileSync(p, encodeNpy(shape, Float32Array.from(data)));
  return p;
};

describe('npy tables', () => {
  it('one class, one exemplar, one value is a table', async () => {
    const f = await loadFeatureFile(npy('one.npy', [1, 1, 1], [2.5]));
    expect([f.nClasses, f.nExemplars, f.dim, Array.from(f.data)]).toEqual([1, 1, 1, [2.5]]);
  });

  it('each empty axis is refused, naming the shape', async () => {
    for (const shape of [
      [0, 2, 3],
      [2, 0, 3],
      [2, 3, 0],
    ]) {
      const p = npy(`empty-${shape.join('')}.npy`, shape, []);
      await expect(loadFeatureFile(p)).rejects.toThrow(`feature file ${p}: empty shape [${shape.join(', ')}]`);
    }
  });

  it('several non-finite values: the count, and the first at index 0', async () => {
    const p = npy('nan0.npy', [1, 2, 2], [NaN, 1, Infinity, 2]);
    await expect(loadFeatureFile(p)).rejects.toThrow(`feature file ${p}: 2 non-finite values, first at [0, 0, 0] = NaN`);
  });

  it('a file without an extension', async () => {
    const p = join(dir, 'features');
    writeFileSync(p, 'x');
    await expect(loadFeatureFile(p)).rejects.toThrow(`feature file ${p}: unknown extension '(none)' (expected .h5, .hdf5 or .npy)`);
  });
});

describe('HDF5 paths', () => {
  async function h5file(name: string, datasets: Record<string, number[]>): Promise<string> {
    const h5 = await import('h5wasm/node');
    await h5.ready;
    const p = join(dir, name);
    const f = new h5.File(p, 'w');
    for (const [key, data] of Object.entries(datasets)) {
      const segs = key.split('/');
      let g = f as InstanceType<typeof h5.Group>;
      for (const s of segs.slice(0, -1)) g = (g.keys().includes(s) ? g.get(s) : g.create_group(s)) as InstanceType<typeof h5.Group>;
      g.create_dataset({ name: segs.at(-1)!, data: Float32Array.from(data), shape: [1, 1, data.length], dtype: '<f' });
    }
    f.close();
    return p;
  }

  it('a dataset where a group should be, and an empty path', async () => {
    const p = await h5file('flat.h5', { a: [1, 2] });
    await expect(loadFeatureFile(p, { datasetPath: 'a/b' })).rejects.toThrow(`feature file ${p}: 'a' is not a group, so 'a/b' cannot exist`);
    await expect(loadFeatureFile(p, { datasetPath: '//' })).rejects.toThrow(`feature file ${p}: empty dataset path`);
    const f = await loadFeatureFile(p, { datasetPath: '/a/' });
    expect(Array.from(f.data)).toEqual([1, 2]);
    expect(f.description).toBe(`${p}#a`);
  });

  it('three levels deep; a signature after a 512-byte user block is found', async () => {
    const p = await h5file('deep.h5', { 'x/y/z': [3, 4, 5] });
    expect(Array.from((await loadFeatureFile(p, { datasetPath: 'x/y/z' })).data)).toEqual([3, 4, 5]);
    // the same bytes behind 512 bytes of padding: the signature is looked for at 512 too
    const shifted = join(dir, 'shifted.h5');
    writeFileSync(shifted, Buffer.concat([Buffer.alloc(512), readFileSync(p)]));
    expect(Array.from((await loadFeatureFile(shifted, { datasetPath: 'x/y/z' })).data)).toEqual([3, 4, 5]);
    // a file shorter than a signature has none
    const tiny = join(dir, 'tiny.h5');
    writeFileSync(tiny, Buffer.from([0x89, 0x48, 0x44]));
    await expect(loadFeatureFile(tiny)).rejects.toThrow(`feature file ${tiny}: not an HDF5 file (no HDF5 signature)`);
    // the signature's bytes in the wrong order are not a signature
    const wrong = join(dir, 'wrong.h5');
    writeFileSync(wrong, Buffer.from([0x48, 0x89, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]));
    await expect(loadFeatureFile(wrong)).rejects.toThrow(`feature file ${wrong}: not an HDF5 file (no HDF5 signature)`);
  });
});
