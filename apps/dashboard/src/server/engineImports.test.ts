/**
 * The Node engine entries ('@optoscope/engine', '/report', '/query', '/export', '/testing') must reach app
 * code only as types or through ./engine's run-time import: Turbopack treats the symlinked workspace
 * package as app source, bundles it, and the build then fails on what the engine loads lazily (a value
 * import of `headLabel` once broke `next build` while every unit test passed). This check reads the
 * sources, so it fails in a second instead of in the e2e suites' build.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(__dirname, '..');
/** Entries that are safe in a bundle: they reach no Node built-in (browser.test.ts walks their graph). */
const BUNDLE_SAFE = new Set(['@optoscope/engine/browser', '@optoscope/engine/browser-gpu']);

function appSources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'e2e' || e.name === 'testing' ? [] : appSources(p);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Value imports (not `import type`, not `type X` specifiers) of a Node engine entry in `file`'s text. */
export function nodeEngineValueImports(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: string[] = [];
  for (const st of sf.statements) {
    if (!(ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) || !st.moduleSpecifier || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const spec = st.moduleSpecifier.text;
    if (!spec.startsWith('@optoscope/engine') || BUNDLE_SAFE.has(spec)) continue;
    if (ts.isImportDeclaration(st)) {
      const c = st.importClause;
      if (!c) found.push(`${spec} (side effects)`);
      else if (!c.isTypeOnly) {
        const names: string[] = [];
        if (c.name) names.push(c.name.text);
        const b = c.namedBindings;
        if (b && ts.isNamespaceImport(b)) names.push(`* as ${b.name.text}`);
        if (b && ts.isNamedImports(b)) for (const el of b.elements) if (!el.isTypeOnly) names.push(el.name.text);
        if (names.length) found.push(`${spec}: ${names.join(', ')}`);
      }
    } else if (!st.isTypeOnly) found.push(`${spec} (re-export)`);
  }
  return found;
}

describe("the dashboard's app code never bundles the Node engine", () => {
  it('the checker sees a value import and lets a type-only one through', () => {
    expect(nodeEngineValueImports('a.ts', "import { headLabel, type LiveClamp } from '@optoscope/engine';")).toEqual(['@optoscope/engine: headLabel']);
    expect(nodeEngineValueImports('a.ts', "import * as E from '@optoscope/engine/report';")).toEqual(['@optoscope/engine/report: * as E']);
    expect(nodeEngineValueImports('a.ts', "export { train } from '@optoscope/engine';")).toEqual(['@optoscope/engine (re-export)']);
    expect(nodeEngineValueImports('a.ts', "import type { LiveClamp } from '@optoscope/engine';\nimport { type RunRecord } from '@optoscope/engine';")).toEqual([]);
    expect(nodeEngineValueImports('a.tsx', "import { PRESETS } from '@optoscope/engine/browser';")).toEqual([]);
  });

  it('no page, route, component or server module imports a value from a Node engine entry', () => {
    const files = appSources(SRC);
    expect(files.length).toBeGreaterThan(20);
    const bad = files.flatMap((f) => nodeEngineValueImports(f, fs.readFileSync(f, 'utf8')).map((i) => `${path.relative(SRC, f)}: ${i}`));
    expect(bad).toEqual([]);
  });
});
