/**
 * Each threshold claim with evidence just inside and just outside its cut-off, so moving a cut-off by
 * less than the margin to the nearest realistic evidence fails a test (the other claim tests sit far
 * from the thresholds). The cut-offs are the checklist's words (paper spec 11), written here again.
 */
import { describe, expect, it } from 'vitest';
import { judgeClaims } from './claims.js';
import type { Evidence } from './evidence.js';
import { passingEvidence } from './testing.js';

const verdict = (e: Evidence, id: number) => judgeClaims(e).find((c) => c.id === id)!.status;
const EPS = 1e-4;

describe('threshold claims at their cut-offs', () => {
  it('3: final accuracy ≥ 0.99 on the dense set', () => {
    const at = (acc: number) => {
      const e = passingEvidence();
      e.main!.fullSet.full.acc = acc;
      return verdict(e, 3);
    };
    expect([at(0.99), at(0.99 + EPS), at(0.99 - EPS)]).toEqual(['pass', 'pass', 'fail']);
  });

  it("4: removing Layer 1's direct path changes accuracy by < 0.5%", () => {
    const at = (delta: number) => {
      const e = passingEvidence();
      e.main!.fullSet.noL1Direct.acc = e.main!.fullSet.full.acc + delta;
      return verdict(e, 4);
    };
    expect([at(0.005 - EPS), at(-(0.005 - EPS)), at(0.005 + EPS), at(-(0.005 + EPS))]).toEqual(['pass', 'pass', 'fail', 'fail']);
  });

  it('6: ablating any single Layer-2 head leaves accuracy ≥ 0.97', () => {
    const at = (acc: number, head = 5) => {
      const e = passingEvidence();
      e.main!.fullSet.ablateOne[head].acc = acc;
      return verdict(e, 6);
    };
    expect([at(0.97), at(0.97 + EPS), at(0.97 - EPS), at(0.96, 0), at(0.955, 7)]).toEqual(['pass', 'pass', 'fail', 'fail', 'fail']);
  });
});
