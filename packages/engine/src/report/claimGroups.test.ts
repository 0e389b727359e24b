/**
 * The checklist's sections: report.md groups its claims under these titles, so each must be a real,
 * distinct heading, and every section must hold at least one claim.
 */
import { describe, expect, it } from 'vitest';
import { GROUPS } from './claim.js';
import { CLAIMS } from './claims.js';

describe('claim groups', () => {
  it('six distinct non-empty titles, each holding a claim, and no claim outside them', () => {
    const titles = Object.values(GROUPS);
    expect(titles).toHaveLength(6);
    for (const t of titles) expect(t.trim().length, t).toBeGreaterThan(3);
    expect(new Set(titles).size).toBe(titles.length);
    const used = new Set(CLAIMS.map((c) => c.group));
    expect([...used].sort()).toEqual([...titles].sort());
  });
});
