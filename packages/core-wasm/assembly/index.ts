// @optoscope/core-wasm kernels. Conventions (see README): row-major f32 tensors (int32 indices, uint8 masks),
// every pointer a byte offset into this module's memory, every shape explicit. Forward kernels overwrite their
// output (matmul with acc=1 adds); backward kernels accumulate (+=) into every gradient. Nothing here allocates.
export { matmul_nt, matmul_nn, matmul_tn } from "./gemm";
export {
  add_bias, sum_rows, add, axpy, fill, copy, where_fwd, where_bwd, gather_rows, scatter_add_rows, sum_sq,
} from "./elementwise";
export { layernorm_fwd, layernorm_bwd } from "./layernorm";
export { rope_fwd, rope_bwd } from "./rope";
export { softmax_fwd, softmax_bwd, cross_entropy_fwd, cross_entropy_bwd } from "./softmax";
export { attn_scores_fwd, attn_scores_bwd } from "./attnScores";
export { attn_av_fwd, attn_av_bwd } from "./attnValues";
export { adam_step } from "./adam";
export { gelu_fwd, gelu_bwd } from "./gelu";

/** First byte after the static data (including the GEMM packing scratch): the loader's arena starts here. */
export function heap_base(): usize {
  return __heap_base;
}
