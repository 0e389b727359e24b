/**
 * The clamp registry holds every manipulation to one standard: it enumerates `CLAMPS` and fails when a
 * clamp lacks a CLI flag named after it, a dashboard form field, a row in README's clamp table, a golden
 * test, a finite-difference test or a wasm-against-reference test, or when the spec schema and the
 * registry disagree. It also holds the registry's discovery to account: every clamp file is found (by
 * Vite's import.meta.glob here, by the build's expansion in dist), in the same order.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InterventionSpecSchema } from '../spec.js';
import { CLAMPS } from './index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const read = (...p: string[]) => fs.readFileSync(path.join(here, ...p), 'utf8');
const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
/** `key` used as a spec field in a test file (`{ key: ...`, `, key }`, ...). */
const usesKey = (text: string, key: string) => new RegExp(`[{,]\\s*${key}\\b`).test(text);
const ownTest = (key: string) => (fs.existsSync(path.join(here, `${key}.test.ts`)) ? read(`${key}.test.ts`) : '');

// The suites that cover the clamps older than the registry (each newer clamp brings its own file).
const golden = read('..', 'golden.test.ts');
const fd = read('..', 'gradients.test.ts');
const conformance = read('..', '..', 'testing', 'clampConformance.ts');
const readme = read('..', '..', '..', '..', '..', 'README.md');

describe('clamp registry', () => {
  it('keys are unique, and the spec schema has exactly the registry fields (plus version)', () => {
    const keys = CLAMPS.map((c) => c.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(Object.keys(InterventionSpecSchema.shape).sort()).toEqual(['version', ...keys].sort());
  });

  it('every file of clamps/ but the tests and the shared modules is a registered clamp named after it', () => {
    const files = fs.readdirSync(here).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts') && !['index.ts', 'clamp.ts'].includes(n));
    expect(CLAMPS.map((c) => `${c.key}.ts`).sort()).toEqual(files.sort());
  });

  it('orders are unique and follow the stages: preservations, replacements, embedding, scores, patterns, ablations, readout', () => {
    const orders = CLAMPS.map((c) => c.order);
    expect(orders).toEqual([...orders].sort((a, b) => a - b));
    expect(new Set(orders).size).toBe(orders.length);
    const stageOf = (k: string) => Math.floor(CLAMPS.find((c) => c.key === k)!.order / 100);
    expect(['preserve', 'graft', 'ablateEmbedding', 'headTemperature', 'match', 'ablate', 'perfectCopy'].map(stageOf)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("the built engine (dist, the glob expanded at build time) has the same clamps in the same order", async () => {
    const built = (await import('@optoscope/engine')) as { CLAMPS: readonly { key: string; order: number }[] };
    expect(built.CLAMPS.map((c) => [c.key, c.order])).toEqual(CLAMPS.map((c) => [c.key, c.order]));
    const js = fs.readFileSync(path.join(here, '..', '..', '..', 'dist', 'interventions', 'clamps', 'index.js'), 'utf8');
    expect(js).not.toMatch(/import\.meta\.glob\(/);
  });

  it('CLI flags are unique across clamps (aliases included)', () => {
    const names = CLAMPS.flatMap((c) => c.flags.flatMap((f) => [f.flag.split(' ')[0], ...(f.aliases ?? [])]));
    expect(new Set(names).size).toBe(names.length);
  });

  for (const c of CLAMPS)
    describe(c.key, () => {
      it('has a section, a summary, a label and the sites it writes', () => {
        expect(c.section).toMatch(/^(\d+\.\d+|opto\.py$|optoscope$)/); // a section of the spec, the authors' framework, or Optoscope's own
        expect(c.summary.length).toBeGreaterThan(10);
        expect(c.label.length).toBeGreaterThan(0);
        expect(c.sites.length).toBeGreaterThan(0);
      });
      it(`has a CLI flag named after it (--${kebab(c.key)}) with help`, () => {
        expect(c.flags[0]?.flag.split(' ')[0]).toBe(`--${kebab(c.key)}`);
        for (const f of c.flags) expect(f.help.length, f.flag).toBeGreaterThan(10);
      });
      it('has a dashboard form field', () => {
        expect(['headsPerLayer', 'heads', 'head', 'switch', 'switches', 'file']).toContain(c.form.kind);
        expect(c.form.label.length).toBeGreaterThan(0);
        expect(c.form.title.length).toBeGreaterThan(0);
      });
      it("has a row in README's clamp table", () => {
        expect(readme).toMatch(new RegExp(`^\\| \`${c.key}\` \\| ${c.section.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
      });
      it('has golden, finite-difference and wasm-against-reference tests', () => {
        const own = ownTest(c.key);
        expect(usesKey(golden, c.key) || /describe\([`'"][^`'"]*golden/.test(own), 'golden test').toBe(true);
        expect(usesKey(fd, c.key) || (/clampSuites\(/.test(own) && usesKey(own, c.key)), 'finite-difference test').toBe(true);
        expect(usesKey(conformance, c.key) || (/clampSuites\(/.test(own) && usesKey(own, c.key)), 'wasm-against-reference test').toBe(true);
      });
    });
});
