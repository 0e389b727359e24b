/**
 * The two suites every clamp of the registry runs on its own example specs (test helper): finite
 * differences of the loss through the clamp on the float64 reference (every parameter tensor, query-only
 * and all positions), and the wasm core against the reference (loss, logits, patterns, every gradient).
 * A clamp's test file adds its golden test beside them; `clamps/registry.test.ts` checks all three exist.
 */
import { describe, expect, it } from 'vitest';
import { createWasmBackend } from '../../backends/wasm.js';
import { expectBackendAgrees } from '../../testing/clampConformance.js';
import type { InterventionSpecInput } from '../spec.js';
import { fdCheck, makeRig } from './rig.js';

export function clampSuites(key: string, fdCases: [string, InterventionSpecInput][], wasmCases: [string, InterventionSpecInput][] = fdCases): void {
  describe(`${key}: finite differences (reference, float64)`, () => {
    for (const [name, spec] of fdCases)
      it(`${name}: loss gradient of every parameter tensor, query-only and all positions`, () => {
        for (const allPositions of [false, true]) {
          const rig = makeRig({ spec, allPositions, paramSeed: 11, dataSeed: 12, B: 3 });
          const rep = fdCheck(rig, 8);
          expect(rep.worst, `${allPositions ? 'all positions' : 'query only'}: ${rep.where}`).toBeLessThan(1e-4);
          expect(rep.nonzero).toBeGreaterThanOrEqual(8); // not vacuous
        }
      });
  });
  describe(`${key}: wasm = reference`, () => {
    for (const [name, spec] of wasmCases)
      it(`${name}: loss, query logits, patterns and every parameter gradient`, () => {
        expectBackendAgrees(() => createWasmBackend(), spec);
      });
  });
}
