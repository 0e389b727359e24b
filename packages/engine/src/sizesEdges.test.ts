/**
 * The size bounds of sizes.ts worked by hand for the paper's model (d 64, 8 heads of 8, 2 layers, 5 labels,
 * 512-d features, 5 tokens per sequence), and each bound hit one element inside and one outside, with
 * the message naming the field. sizes.test.ts checks the estimates against real wasm memory (slowly).
 */
import { describe, expect, it } from 'vitest';
import { parseRunConfig, type RunConfigInput } from './config.js';
import { ConfigError } from './configError.js';
import { SIZE_LIMITS, checkRunSizes, estimateRunSizes } from './sizes.js';

const GiB = 2 ** 30;
const cfg = (input: RunConfigInput) => parseRunConfig(input);

// Parameters: exemplar embedding 64·f + 64, label embedding 5·64, per layer LN 2·64 + qkv 192·64 + out
// 64·64 = 16512, final LN 128, unembedding 5·64 + 5.
const paperParams = (f: number, L = 5) => 64 * f + 64 + L * 64 + 2 * 16512 + 128 + L * 64 + L;
// Floats per sequence, forward only (T = 5, d = a = 64, h = 8): input 5·512 + embeddings 5·64·4 +
// per layer (5·64·6 + 5·64·6 + 8·25·4 + 5·64·3 = 5600) × 2 + logits 5·4 = 15060 floats, 60240 bytes.
const EVAL_BYTES_PER_SEQ = 60_240;
const TRAIN_BYTES_PER_SEQ = 2 * EVAL_BYTES_PER_SEQ;

describe('estimateRunSizes', () => {
  it("the paper's run, by hand", () => {
    const e = estimateRunSizes(cfg({ schedule: { evalSize: 1000 } }), 512);
    expect(paperParams(512)).toBe(66_629);
    expect(e).toEqual({ params: 66_629, modelBytes: 16 * 66_629, stepBytes: 32 * TRAIN_BYTES_PER_SEQ, evalSets: 4, evalBytes: 4 * 1000 * EVAL_BYTES_PER_SEQ });
  });

  it('the number of eval sets of each task', () => {
    const sets = (task: RunConfigInput['task']) => estimateRunSizes(cfg({ task }), 64).evalSets;
    expect(sets({})).toBe(4);
    expect(sets({ shots: 2 })).toBe(4);
    expect(sets({ shots: 4 })).toBe(3);
    expect(sets({ kind: 'bursty', numLabels: 32 })).toBe(3); // bursty_train, iwl_common, icl_holdout
    expect(sets({ kind: 'repeatTokens', numLabels: 32 })).toBe(2); // repeat, repeat_shuffled
  });

  it('an MLP and a wider head count in the per-sequence activations', () => {
    // T = 5, d 64, 8 heads of 16 (a = 128), MLP hidden 256: per layer 5·64·6 + 5·128·6 + 800 + 5·(768 + 192) = 11360
    const e = estimateRunSizes(cfg({ model: { headDim: 16, mlp: { hidden: 256 } }, optim: { batchSize: 1 } }), 512);
    expect(e.stepBytes).toBe(2 * 4 * (5 * 512 + 5 * 64 * 4 + 2 * 11_360 + 5 * 4));
  });

  it('the limits: 1 GiB each, 2^20 label pairs', () => {
    expect(SIZE_LIMITS).toEqual({ labelPairs: 2 ** 20, modelBytes: GiB, stepBytes: GiB, evalBytes: GiB });
  });
});

describe('checkRunSizes: each bound one inside, one outside', () => {
  it('batch size: 8912 sequences fit in 1 GiB of activations, 8913 do not', () => {
    expect(Math.floor(GiB / TRAIN_BYTES_PER_SEQ)).toBe(8912);
    expect(() => checkRunSizes(cfg({ optim: { batchSize: 8912 } }), 512)).not.toThrow();
    expect(() => checkRunSizes(cfg({ optim: { batchSize: 8913 } }), 512)).toThrow(
      new ConfigError("config: optim.batchSize 8913: one step's activations would need 1.00 GiB, more than 1.00 GiB (at most 8912 sequences per batch for this model)"),
    );
  });

  it('eval size: 4456 sequences per eval set fit, 4457 do not; the message names the number of sets', () => {
    expect(Math.floor(GiB / (4 * EVAL_BYTES_PER_SEQ))).toBe(4456);
    expect(() => checkRunSizes(cfg({ schedule: { evalSize: 4456 } }), 512)).not.toThrow();
    expect(() => checkRunSizes(cfg({ schedule: { evalSize: 4457 } }), 512, 'sweep member 3')).toThrow(
      new ConfigError('sweep member 3: schedule.evalSize 4457: the 4 eval sets would need 1.00 GiB, more than 1.00 GiB (at most 4456 sequences per eval set for this model)'),
    );
  });

  it('model: 16 bytes per parameter; 1048046-d features fit, 1048047-d do not', () => {
    expect(16 * paperParams(1_048_046)).toBeLessThanOrEqual(GiB);
    expect(16 * paperParams(1_048_047)).toBeGreaterThan(GiB);
    const small = cfg({ optim: { batchSize: 1 }, schedule: { evalSize: 1 } });
    expect(() => checkRunSizes(small, 1_048_046)).not.toThrow();
    expect(() => checkRunSizes(small, 1_048_047)).toThrow(
      new ConfigError(
        'config: model too large: 6.71e+7 parameters (task.numLabels 5, model.dModel 64, model.nLayers 2, feature dim 1048047) need 1.00 GiB with gradients and Adam moments, more than the 1.00 GiB a run may use of the 4 GiB wasm32 memory',
      ),
    );
  });

  it('exactly at a bound is allowed', () => {
    // 64 labels: parameters 64·f + 129·64 + 33216 (see paperParams); 1047928-d features give exactly 2^26, 16 bytes each = 1 GiB
    expect(paperParams(1_047_928, 64)).toBe(2 ** 26);
    expect(() => checkRunSizes(cfg({ task: { numLabels: 64 }, optim: { batchSize: 1 }, schedule: { evalSize: 1 } }), 1_047_928)).not.toThrow();
    // 207168-d features, 64 labels: 5·207168 + 12736 = 2^20 floats per sequence: an eval sequence is 4 MiB, a training one 8 MiB
    expect(() => checkRunSizes(cfg({ task: { numLabels: 64 }, optim: { batchSize: 128 }, schedule: { evalSize: 64 } }), 207_168)).not.toThrow();
    expect(estimateRunSizes(cfg({ task: { numLabels: 64 }, optim: { batchSize: 128 }, schedule: { evalSize: 64 } }), 207_168)).toMatchObject({ stepBytes: GiB, evalBytes: GiB });
  });

  it('a bound far past shows its size in GiB to three digits', () => {
    expect(() => checkRunSizes(cfg({ optim: { batchSize: 30_000 } }), 512)).toThrow(/would need 3\.37 GiB, more than 1\.00 GiB/);
  });

  it('too many labels: named before anything is estimated', () => {
    const c = cfg({});
    c.task.numLabels = 1449; // 1449·1448/2 = 1049076 pairs > 2^20 (at most 1448 labels)
    expect(() => checkRunSizes(c, 512, 'here')).toThrow(/^here: task\.numLabels 1449: 1449 labels make 1\.05e\+6 label pairs/);
    c.task.numLabels = 1448;
    expect(() => checkRunSizes(c, 16)).not.toThrow();
  });
});
