/**
 * A hand-built model (test helper) whose last-layer head `live` is a perfect copier once its query row is
 * given the match pattern: layer 0 writes nothing, exemplars embed to 0, label l embeds to e_l, the live
 * head's W_v reads residual dims 0..4 and W_O writes them back, the unembedding reads dim l for label l.
 * Every other last-layer head has W_O = 0 (dead). W_q = W_k = 0 in the last layer: uniform attention.
 */
import type { ParamStore } from '../../params.js';
import { CFG, editor, randomParams } from './fixture.js';

export function copyHeadModel(live: number, seed = 11): ParamStore {
  const p = randomParams(seed);
  const ed = editor(p);
  const d = CFG.dModel;
  const D = d / CFG.nHeads;
  const L = CFG.numLabels;
  ed.fill('blocks.0.attn.out.weight', 0);
  ed.fill('embed.exemplar.weight', 0);
  ed.fill('embed.exemplar.bias', 0);
  ed.fill('embed.label.weight', 0);
  for (let l = 0; l < L; l++) ed.set('embed.label.weight', l * d + l, 1);
  ed.fill('blocks.1.ln1.weight', 1);
  ed.fill('blocks.1.ln1.bias', 0);
  for (let r = 0; r < 2 * d; r++) for (let c = 0; c < d; c++) ed.set('blocks.1.attn.qkv.weight', r * d + c, 0);
  for (let a = 0; a < D; a++) for (let c = 0; c < d; c++) ed.set('blocks.1.attn.qkv.weight', (2 * d + live * D + a) * d + c, a < L && c === a ? 1 : 0);
  ed.fill('blocks.1.attn.out.weight', 0);
  for (let a = 0; a < L; a++) ed.set('blocks.1.attn.out.weight', a * d + live * D + a, 1);
  ed.fill('ln_final.weight', 1);
  ed.fill('ln_final.bias', 0);
  ed.fill('unembed.weight', 0);
  ed.fill('unembed.bias', 0);
  for (let l = 0; l < L; l++) ed.set('unembed.weight', l * d + l, 10);
  ed.commit();
  return p;
}
