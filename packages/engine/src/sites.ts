/**
 * Stable dotted names for every activation of spec 2.6 (TransformerLens-style, as a typed union).
 * Per-head sites come before the output projection: `head_out` is the heads' concatenated outputs
 * [B, Tq, H·D]; `attn_out` is after W_O. The input to block l is `embed` (l = 0) or
 * `blocks.{l-1}.resid_post`.
 *
 * Model variants (params.ts): without RoPE (`positions` 'learned' or 'none') `attn.q_rot`/`attn.k_rot`
 * are the unrotated q and k (the sites stay, so clamps and analyses read the same names). With an MLP
 * (`mlpHidden` > 0) each block adds `resid_mid` (residual after attention), `ln2`, `mlp.pre` (the
 * first linear layer's output, before GELU) and `mlp.post` (the MLP's output added to the residual);
 * `resid_post` is then the block's output after the MLP.
 *
 * Footgun, stated plainly: in the fast training path the last block is computed only at the query
 * position (the loss reads nothing else), so its query-indexed sites (`q`, `q_rot`, `scores`, `pattern`,
 * `head_out`, `attn_out`, `resid_post`) and `ln_final`/`logits` hold one row per sequence. Build with
 * `allPositions: true` to record every row.
 */
export const BLOCK_SITES = [
  'ln1',
  'attn.q',
  'attn.k',
  'attn.v',
  'attn.q_rot',
  'attn.k_rot',
  'attn.scores',
  'attn.pattern',
  'attn.head_out',
  'attn.attn_out',
  'resid_post',
] as const;
/** The sites an MLP block adds, in forward order, after `attn.attn_out` (and before `resid_post`). */
export const MLP_SITES = ['resid_mid', 'ln2', 'mlp.pre', 'mlp.post'] as const;
export type BlockSite = (typeof BLOCK_SITES)[number] | (typeof MLP_SITES)[number];
export type SiteName = 'embed' | 'ln_final' | 'logits' | `blocks.${number}.${BlockSite}`;

/** Every site of a model with `nLayers` blocks, in forward order; `mlp` adds each block's MLP sites. */
export function allSites(nLayers: number, opts: { mlp?: boolean } = {}): SiteName[] {
  const out: SiteName[] = ['embed'];
  const block: readonly BlockSite[] = opts.mlp ? [...BLOCK_SITES.slice(0, -1), ...MLP_SITES, 'resid_post'] : BLOCK_SITES;
  for (let l = 0; l < nLayers; l++) for (const s of block) out.push(`blocks.${l}.${s}`);
  out.push('ln_final', 'logits');
  return out;
}

export function isSiteName(name: string, nLayers: number, opts: { mlp?: boolean } = {}): name is SiteName {
  return (allSites(nLayers, opts) as string[]).includes(name);
}
