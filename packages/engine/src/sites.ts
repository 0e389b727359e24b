/**
 * Stable dotted names for every activation of spec 2.6 (TransformerLens-style, as a typed union).
 * Per-head sites come before the output projection: `head_out` is the heads' concatenated outputs
 * [B, Tq, H·D]; `attn_out` is after W_O. The input to block l is `embed` (l = 0) or
 * `blocks.{l-1}.resid_post`.
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
export type BlockSite = (typeof BLOCK_SITES)[number];
export type SiteName = 'embed' | 'ln_final' | 'logits' | `blocks.${number}.${BlockSite}`;

export function allSites(nLayers: number): SiteName[] {
  const out: SiteName[] = ['embed'];
  for (let l = 0; l < nLayers; l++) for (const s of BLOCK_SITES) out.push(`blocks.${l}.${s}`);
  out.push('ln_final', 'logits');
  return out;
}

export function isSiteName(name: string, nLayers: number): name is SiteName {
  return (allSites(nLayers) as string[]).includes(name);
}
