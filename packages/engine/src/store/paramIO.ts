/** Parameters as named tensors (checkpoints, graft donors), with name and shape checks on load. */
import type { ParamStore } from '../params.js';
import type { NamedTensor } from './safetensors.js';

export function paramTensors(params: ParamStore): Record<string, NamedTensor> {
  const all = params.readBlock('values');
  const out: Record<string, NamedTensor> = {};
  for (const e of params.list()) out[e.spec.name] = { shape: e.spec.shape, data: all.subarray(e.offset, e.offset + e.size) };
  return out;
}

/** Parameters plus Adam moments: the resume state. */
export function stateTensors(params: ParamStore): Record<string, NamedTensor> {
  return {
    ...paramTensors(params),
    'optimizer.m': { shape: [params.total], data: params.readBlock('m') },
    'optimizer.v': { shape: [params.total], data: params.readBlock('v') },
  };
}

/** Load named parameter tensors into the store, checking every name and shape. */
export function loadParamTensors(params: ParamStore, tensors: Record<string, NamedTensor>, where: string): void {
  const flat = new Float32Array(params.total);
  for (const e of params.list()) {
    const t = tensors[e.spec.name];
    if (!t) throw new Error(`${where}: missing tensor '${e.spec.name}'`);
    if (t.shape.join('x') !== e.spec.shape.join('x'))
      throw new Error(`${where}: tensor '${e.spec.name}' has shape [${t.shape}], expected [${e.spec.shape}]`);
    flat.set(t.data, e.offset);
  }
  params.writeBlock('values', flat);
}

/**
 * A parameter checkpoint's safetensors metadata: the model config rides along (`model`, JSON), so a
 * loader in another framework needs nothing but the file (README "Checkpoint tensors").
 */
export function checkpointMetadata(params: ParamStore, fields: { seqs: number; step: number; run: string }): Record<string, string> {
  return { seqs: String(fields.seqs), step: String(fields.step), run: fields.run, format: 'optoscope-params/1', model: JSON.stringify(params.config) };
}
