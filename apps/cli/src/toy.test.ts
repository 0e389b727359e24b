import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { optoSync, tmp } from './testing/procs.js';

describe('opto toy', () => {
  it('prints iterations to 1% per condition and writes the Fig. 5a SVG', () => {
    const d = tmp();
    const r = optoSync(['toy', '--seeds', '1,3', '--out', 'figs/toy.svg'], d);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[1]).toMatch(/seed\s+no clamp\s+clamp c\s+clamp b, c/);
    const row1 = lines[2]!.trim().split(/\s+/).map(Number);
    expect(row1[0]).toBe(1);
    expect(row1[3]!).toBeLessThan(row1[1]!); // b,c clamped beats no clamp
    const svg = fs.readFileSync(path.join(d, 'figs/toy.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.split('aria-roledescription="line mark"').length - 1).toBe(6);
  });

  it('--json prints one line with a row per seed and condition', () => {
    const r = optoSync(['toy', '--seed', '4', '--iters', '300', '--json'], tmp());
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { iters: number; rows: { seed: number; condition: string; iters_to_1pct: number | null }[] };
    expect(out.iters).toBe(300);
    expect(out.rows.map((x) => x.condition)).toEqual(['none', 'c', 'bc']);
    expect(out.rows.every((x) => x.seed === 4)).toBe(true);
  });

  it('refuses a bad seed list with one line', () => {
    const r = optoSync(['toy', '--seeds', '1,x'], tmp());
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--seeds/);
  });
});
