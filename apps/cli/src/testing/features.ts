/** Test helpers: small feature files (`--data`) in the formats the engine reads. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeNpy } from '@optoscope/engine';
import { MAIN } from './procs.js';

/** A float32 C-order .npy file of `shape`, element i = `values(i)`. */
export function writeNpy(file: string, shape: number[], values: (i: number) => number): string {
  const n = shape.reduce((a, b) => a * b, 1);
  fs.writeFileSync(file, encodeNpy(shape, Float32Array.from({ length: n }, (_, i) => values(i))));
  return file;
}

/** An HDF5 file with float32 datasets (path in the file → shape, all zeros), written by h5wasm in a child process. */
export function writeH5(file: string, datasets: Record<string, number[]>): string {
  const script = `
    const h5 = await import('h5wasm/node'); await h5.ready;
    const f = new h5.File(${JSON.stringify(file)}, 'w');
    for (const [p, shape] of Object.entries(${JSON.stringify(datasets)})) {
      const parts = p.split('/');
      let g = f;
      for (const seg of parts.slice(0, -1)) g = g.keys().includes(seg) ? g.get(seg) : g.create_group(seg);
      g.create_dataset({ name: parts.at(-1), data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape, dtype: '<f' });
    }
    f.close();`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: path.dirname(MAIN), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return file;
}
