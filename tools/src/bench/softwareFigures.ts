/**
 * The mark every WebGPU bench prints over figures taken on a software adapter (llvmpipe, SwiftShader):
 * one sentence, so that no table of CPU-emulated timings can be read as GPU speed.
 */
export const SOFTWARE_FIGURES = 'SOFTWARE ADAPTER: these figures time a CPU emulating a GPU; they check the pipeline and are not GPU speed';
