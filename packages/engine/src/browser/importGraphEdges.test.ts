/**
 * The import walker browser.test.ts relies on (browser/importGraph.ts), on a small module tree written here:
 * which files it reaches, which imports it calls Node built-ins, which third-party packages it records
 * (and under which name), that it follows workspace packages, ignores comments and survives cycles.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importGraph, specifiers } from './importGraph.js';

function tree(files: Record<string, string>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'opto-graph-')));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe('specifiers', () => {
  it('import/export from, bare imports, literal dynamic imports; not comments, not computed imports', () => {
    const src = [
      "import a from './a.js';",
      "export * as ns from './ns.js';",
      "export {x}from'./tight.js';",
      "}export { y } from './after-brace.js';",
      "x;import './after-semicolon.js';",
      "const m = await import( './dyn.js' );",
      "const n = await import(spec);",
      "// import { gone } from './line-comment.js';",
      "  // import './indented-comment.js';",
      "/* import './block.js';",
      "   export { y } from './block2.js'; */",
      "const s = 'a string mentioning from nothing';",
      "import { a as b } from './a.js';",
      "reimport './not-an-import.js';",
      "import x from 'https://esm.sh/zod';",
      "import'./nospace.js';",
      "const y = await import ('./spaced.js');",
    ].join('\n');
    expect(specifiers(src)).toEqual(['./a.js', './ns.js', './tight.js', './after-brace.js', 'https://esm.sh/zod', './after-semicolon.js', './nospace.js', './dyn.js', './spaced.js']);
  });

  it('an import at the very start of the text, and one after a tab', () => {
    expect(specifiers("import 'first';\n\timport 'tabbed';")).toEqual(['first', 'tabbed']);
    expect(specifiers("import {a} from 'x'")).toEqual(['x']);
  });
});

describe('importGraph', () => {
  it('walks relative imports through a cycle, records built-ins and packages by package name', () => {
    const dir = tree({
      'entry.js': "import './lib/a.js';\nimport fs from 'fs';\nimport * as p from 'node:path';\nexport { z } from 'zod/v4';",
      'lib/a.js': "import '../entry.js';\nimport { b } from './b.js';\nimport 'fs/promises';\nimport '@scope/pkg/deep/file.js';",
      'lib/b.js': "const c = await import('./c.js');\nimport '@scope/pkg';\nimport 'zod';",
      'lib/c.js': "// import './missing.js';\nexport const c = 1;",
      'lib/unreached.js': "import 'never';",
    });
    try {
      const g = importGraph(path.join(dir, 'entry.js'));
      expect([...g.files].sort()).toEqual(['entry.js', 'lib/a.js', 'lib/b.js', 'lib/c.js'].map((f) => path.join(dir, f)).sort());
      const rel = (f: string) => path.relative(process.cwd(), path.join(dir, f));
      expect([...g.builtins].sort()).toEqual([`${rel('entry.js')} → fs`, `${rel('entry.js')} → node:path`, `${rel('lib/a.js')} → fs/promises`].sort());
      expect(new Map([...g.packages].map(([k, v]) => [k, [...v].sort()]))).toEqual(
        new Map([
          ['zod', [`${rel('entry.js')} → zod/v4`, `${rel('lib/b.js')} → zod`].sort()],
          ['@scope/pkg', [`${rel('lib/a.js')} → @scope/pkg/deep/file.js`, `${rel('lib/b.js')} → @scope/pkg`].sort()],
        ]),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('follows workspace packages (@optoscope/*) to their built files', () => {
    const dir = tree({ 'entry.mjs': "import { instantiateCore } from '@optoscope/core-wasm';" });
    try {
      // resolved from the entry's own location, so the tree sits where node_modules can be found
      const local = fileURLToPath(new URL(`../../.graph-${process.pid}.mjs`, import.meta.url));
      fs.copyFileSync(path.join(dir, 'entry.mjs'), local);
      try {
        const g = importGraph(local);
        expect(g.files[0]).toBe(local);
        expect(g.files.some((f) => /core-wasm[\\/]dist[\\/]index\.js$/.test(f))).toBe(true);
        expect(g.packages.has('@optoscope/core-wasm')).toBe(false);
        expect(g.builtins.some((b) => b.endsWith('→ node:fs') || b.endsWith('→ fs'))).toBe(true);
      } finally {
        fs.rmSync(local, { force: true });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
