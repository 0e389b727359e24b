/**
 * Walks the static and literal dynamic imports of built ES modules. A Node-only test helper for
 * browser.test.ts: index.ts never imports it, so it is not part of the browser graph it checks.
 * Relative imports and workspace packages (@optoscope/*) are followed; any other bare specifier is
 * recorded as a third-party package and not followed.
 */
import * as fs from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import * as path from 'node:path';

export interface ImportGraph {
  /** Every module file reached. */
  files: string[];
  /** `importer → specifier` for each import of a Node built-in. */
  builtins: string[];
  /** Third-party package names reached (not followed). */
  packages: Map<string, string[]>;
}

const SPEC = [
  /(?:^|[\s;}])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]/g,
  /(?:^|[\s;])import\s*['"]([^'"]+)['"]/g,
  /import\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, m.split('/')[0]]));

export function specifiers(source: string): string[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...new Set(SPEC.flatMap((re) => [...text.matchAll(re)].map((m) => m[1])))];
}

const packageName = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

export function importGraph(entry: string): ImportGraph {
  const seen = new Set<string>();
  const builtins: string[] = [];
  const packages = new Map<string, string[]>();
  const queue = [path.resolve(entry)];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of specifiers(fs.readFileSync(file, 'utf8'))) {
      const where = `${path.relative(process.cwd(), file)} → ${spec}`;
      if (spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(packageName(spec))) builtins.push(where);
      else if (spec.startsWith('.')) queue.push(path.resolve(path.dirname(file), spec));
      else if (spec.startsWith('@optoscope/')) queue.push(createRequire(file).resolve(spec));
      else packages.set(packageName(spec), [...(packages.get(packageName(spec)) ?? []), where]);
    }
  }
  return { files: [...seen], builtins, packages };
}
