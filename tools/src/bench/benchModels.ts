/**
 * The model a step bench times (`opto bench --model <variant>`): a named variant or a JSON `model` section
 * of a run config, validated by the engine's config schema and resolved to a ModelConfig for the bench's
 * task (512-wide synthetic features, 5 labels, the paper's 5-token sequences).
 */
import { ConfigError, modelConfigFor, parseRunConfig, type ModelConfig } from '@optoscope/engine';

/** Named variants: the paper's model and the speed target (4 layers, GELU MLPs ×4, d_model 128). */
export const BENCH_MODELS: Record<string, Record<string, unknown>> = {
  paper: {},
  'mlp4-d128': { nLayers: 4, dModel: 128, nHeads: 8, mlp: { ratio: 4 } },
};

export interface BenchModel {
  /** The variant's name, or the JSON as given. */
  name: string;
  config: ModelConfig;
  /** The ModelConfig keys that differ from the paper's model (what the PyTorch peer is told). */
  variant: Record<string, unknown>;
}

export function benchModel(spec: string): BenchModel {
  const s = spec.trim();
  let section: unknown;
  if (s.startsWith('{')) {
    try {
      section = JSON.parse(s);
    } catch (e) {
      throw new ConfigError(`--model: not JSON: ${(e as Error).message}`);
    }
  } else if (Object.hasOwn(BENCH_MODELS, s)) section = BENCH_MODELS[s];
  else throw new ConfigError(`--model: unknown variant '${spec}' (${Object.keys(BENCH_MODELS).join(', ')}, or a JSON model section such as '{"nLayers":3,"mlp":{"ratio":4}}')`);
  const config = modelConfigFor(parseRunConfig({ model: section }, '--model'), { dim: 512 } as Parameters<typeof modelConfigFor>[1]);
  const keys = ['dModel', 'nHeads', 'nLayers', 'headDim', 'positions', 'ctx', 'mlpHidden', 'ropeBase', 'lnEps'] as const;
  const paper = modelConfigFor(parseRunConfig({}), { dim: 512 } as Parameters<typeof modelConfigFor>[1]);
  const variant = Object.fromEntries(keys.filter((k) => config[k] !== undefined && config[k] !== paper[k]).map((k) => [k, config[k]]));
  return { name: s, config, variant };
}
