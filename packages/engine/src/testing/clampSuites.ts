/**
 * The two suites every clamp of the registry runs on its own example specs (test helper): finite
 * differences of the loss through the clamp on the float64 reference (every parameter tensor, query-only
 * and all positions), and the wasm core against the reference (loss, logits, patterns, every gradient).
 * A clamp's test file adds its golden test beside them; `clamps/registry.test.ts` checks all three exist.
 */
import { describe, expect, it } from 'vitest';
import { createWasmBackend } from '../backends/wasm.js';
import { expectBackendAgrees } from './clampConformance.js';
import type { InterventionSpecInput } from '../interventions/spec.js';
import { fdCheck, makeRig, twin, type Rig, type RigOptions } from './clampRig.js';

/**
 * Golden check of a clamped attention tensor: runs `spec` and an unclamped twin (every position, no
 * training) and expects every row [b, h, t] of `site` to be `want(b, h, t, unclampedRow, rig)` (12 digits).
 */
export function expectRows(spec: InterventionSpecInput, site: string, want: (b: number, h: number, t: number, clean: number[], rig: Rig) => number[], o: RigOptions = {}): void {
  const opts = { allPositions: true, keep: [site], training: false };
  const rig = makeRig({ ...o, ...opts, spec });
  rig.forward();
  const clean = twin(rig, opts);
  clean.forward();
  const [A0, A] = [clean.read(site), rig.read(site)];
  const [B, H, T] = [rig.batch.size, rig.cfg.nHeads, rig.batch.layout?.seqLen ?? 5];
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++) {
        const at = ((b * H + h) * T + t) * T;
        const w = want(b, h, t, Array.from(A0.subarray(at, at + T)), rig);
        for (let j = 0; j < T; j++) expect(A[at + j], `b${b} h${h} t${t} j${j}`).toBeCloseTo(w[j], 12);
      }
}

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
