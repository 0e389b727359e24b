/**
 * Test fixture for the analysis suites (test helper, not shipped logic): a small task (6 training classes,
 * 5 labels, 8 train pairs: a 960-sequence finite set) over narrow synthetic features, the paper's model
 * shape on the wasm backend, random parameters, and setters for hand-built weights.
 */
import { createWasmBackend } from '../../backends/wasm.js';
import { buildTask, defaultTaskConfig, syntheticFeatures } from '../../data/index.js';
import type { FeatureSource, Task } from '../../data/types.js';
import { DEFAULT_MODEL, ParamStore, type ModelConfig } from '../../params.js';
import { Rng } from '../../rng.js';
import { DenseEvaluator, denseSet, type DenseSetOptions } from '../denseSet.js';

export const features: FeatureSource = syntheticFeatures({ seed: 0, nClasses: 20, dim: 16 });
export const task: Task = buildTask({ ...defaultTaskConfig(), classSplit: [6, 4, 10] }, features);
export const CFG: ModelConfig = { ...DEFAULT_MODEL, featureDim: 16 };

export function randomParams(seed: number, scale = 0.5, cfg: ModelConfig = CFG): ParamStore {
  const p = new ParamStore(createWasmBackend(), cfg);
  const rng = new Rng(seed);
  const host = new Float64Array(p.total);
  for (const e of p.list()) {
    const gain = /ln1?\.weight$|ln_final\.weight$/.test(e.spec.name);
    for (let i = 0; i < e.size; i++) host[e.offset + i] = gain ? 1 + 0.2 * rng.normal() : scale * rng.normal();
  }
  p.writeBlock('values', host);
  return p;
}

/** Host copy of all parameters with a setter by name and flat index, written back by `commit`. */
export function editor(p: ParamStore) {
  const host = Float64Array.from(p.readBlock('values'));
  return {
    set(name: string, index: number, value: number) {
      const e = p.get(name);
      if (index >= e.size) throw new Error(`${name}[${index}] out of range`);
      host[e.offset + index] = value;
    },
    fill(name: string, value: number) {
      const e = p.get(name);
      host.fill(value, e.offset, e.offset + e.size);
    },
    get(name: string, index: number) {
      return host[p.get(name).offset + index];
    },
    commit() {
      p.writeBlock('values', host);
    },
  };
}

export function evaluatorFor(p: ParamStore, opts: DenseSetOptions & { chunk?: number } = { size: 'all' }): DenseEvaluator {
  return new DenseEvaluator(p, denseSet(task, features, opts), { chunk: opts.chunk });
}
