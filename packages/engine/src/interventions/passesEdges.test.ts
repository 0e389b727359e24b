/**
 * How a spec becomes passes (interventions/passes.ts, compileInterventions.ts): the plain pass of an empty
 * spec, one final pass for hook-only clamps, the clean reference pass before it for preservation, the base
 * spec's refusal of clamps with passes of their own, and the `${runs}` paths and donor loading with their
 * lines. The numbers the passes compute are checked by golden.test.ts and gradients.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backends/reference.js';
import { compileInterventions, donorLoader, resolveRunsPath } from '../compileInterventions.js';
import { DEFAULT_MODEL, ParamStore } from '../params.js';
import { CLEAN_PASS } from './clamps/preserve.js';
import { compilePasses } from './passes.js';
import { InterventionError, parseInterventionSpec } from './spec.js';

const params = new ParamStore(createReferenceBackend(), DEFAULT_MODEL);
const parse = (s: unknown) => parseInterventionSpec(s, DEFAULT_MODEL);

describe('compilePasses', () => {
  it('an empty spec is one plain pass; an empty base changes nothing', () => {
    expect(compilePasses(parse({}), params)).toEqual([{ name: '' }]);
    expect(compilePasses(parse({}), params, { base: parse({}) })).toEqual([{ name: '' }]);
  });

  it('hook-only clamps: one final pass on the model’s own parameters, with a hook', () => {
    const plans = compilePasses(parse({ ablate: ['1:0'], match: { heads: ['1:3'] } }), params);
    expect(plans.map((p) => p.name)).toEqual(['']);
    expect(plans[0].params).toBeUndefined();
    expect(typeof plans[0].hook).toBe('function');
  });

  it('preservation traces the clean pass first', () => {
    expect(compilePasses(parse({ preserve: { patterns: true, values: true }, ablate: ['0:1'] }), params).map((p) => p.name)).toEqual([CLEAN_PASS, '']);
  });

  it('a base spec: hook-only clamps combine; a base clamp with passes of its own is refused', () => {
    const plans = compilePasses(parse({ preserve: { patterns: true } }), params, { base: parse({ ablate: ['1:2'] }) });
    expect(plans.map((p) => p.name)).toEqual([CLEAN_PASS, '']);
    // the clean pass runs the base model: it carries the base's hook
    expect(typeof plans[0].hook).toBe('function');
    expect(() => compilePasses(parse({ ablate: ['1:1'] }), params, { base: parse({ preserve: { patterns: true } }) })).toThrow(
      "the run's clamp 'preserve' traces reference passes of its own (clean): an analysis on top of the run's clamp spec (the wiring matrix) is undefined for it; analyse the checkpoint unclamped instead",
    );
  });
});

describe('${runs} paths and graft donors', () => {
  it('only a path starting with ${runs}/ is resolved, against the runs directory', () => {
    expect(resolveRunsPath('a/b.safetensors', undefined)).toBe('a/b.safetensors');
    expect(resolveRunsPath('${runs}/r1/checkpoints/x.safetensors', '/data/runs')).toBe('/data/runs/r1/checkpoints/x.safetensors');
    expect(resolveRunsPath('${runs}x', '/data/runs')).toBe('${runs}x');
    expect(() => resolveRunsPath('${runs}/r1/x', undefined)).toThrow(new InterventionError("graft.checkpoint '${runs}/r1/x' refers to ${runs}, but this run has no runs directory"));
  });

  it('a missing donor checkpoint is named, after ${runs} is resolved', () => {
    const { loadDonor } = donorLoader('/nonexistent-runs');
    expect(() => loadDonor!('${runs}/d/x.safetensors', params)).toThrow('graft.checkpoint: /nonexistent-runs/d/x.safetensors does not exist (train the donor run to its end first)');
    expect(() => compileInterventions(parse({ graft: { checkpoint: '/nonexistent/x.safetensors' } }), params)).toThrow(
      'graft.checkpoint: /nonexistent/x.safetensors does not exist (train the donor run to its end first)',
    );
    expect(() => compileInterventions(parse({ graft: { checkpoint: '${runs}/d/x.safetensors' } }), params, { runsDir: '/elsewhere' })).toThrow('graft.checkpoint: /elsewhere/d/x.safetensors does not exist');
  });
});
