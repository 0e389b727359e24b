/**
 * Every named activation (sites.ts) of one forward over a fixed set of sequences, at every position, as
 * named tensors: `opto eval --record` writes them for peers (python/optoscope compares its PyTorch module
 * against them). Any task (T tokens per sequence: 5 for the paper's, the set's layout otherwise) and any
 * depth or MLP variant of the model. Shapes put the sequence and position first:
 *   [B, T, width] for per-token sites (embed, ln1, q/k/v, q_rot/k_rot, head_out, attn_out, resid_post,
 *   ln_final, logits), [B, H, T, T] for attn.scores and attn.pattern (masked scores hold -1e20).
 */
import type { EvalSet } from '../data/types.js';
import { buildModel, SEQ_LEN, type PassPlan } from '../model.js';
import { mlpHiddenOf, type ParamStore } from '../params.js';
import { allSites } from '../sites.js';
import type { NamedTensor } from '../store/safetensors.js';

export function recordSites(params: ParamStore, set: EvalSet, passes?: PassPlan[]): Record<string, NamedTensor> {
  const sites = allSites(params.config.nLayers, { mlp: mlpHiddenOf(params.config) > 0 });
  const B = set.batch.size;
  const T = set.batch.layout?.seqLen ?? SEQ_LEN;
  const m = buildModel(params, { batch: B, seqLen: T, nItems: set.distribution.items.length, training: false, allPositions: true, passes, keep: sites });
  m.setFeatures(set.distribution.itemFeatures);
  m.setBatch(set.batch);
  m.program.forward();
  const out: Record<string, NamedTensor> = {};
  for (const site of sites) {
    const data = Float32Array.from(m.program.read(site));
    const v = m.program.sites.get(site)!;
    const shape = v.shape.length === 4 ? [...v.shape] : [B, T, data.length / (B * T)];
    out[site] = { shape, data };
  }
  return out;
}
