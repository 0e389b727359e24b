#!/usr/bin/env node
/**
 * After tsc (`node scripts/expandImportGlobs.mjs src dist`): replaces each `import.meta.glob([...], { eager: true })` in dist with an object of static
 * namespace imports of the files it matches (the clamp registry, `interventions/clamps/index.ts`), so
 * the built engine is plain ES modules that Node and bundlers (the dashboard's worker) read as they are.
 * Vitest runs the source, where Vite evaluates the same call; `clamps/registry.test.ts` checks that
 * both find the same clamps in the same order.
 *
 * Patterns are the ones Vite takes, limited to one directory: `./<name with *>.ts`, and `!` to exclude.
 * The imports go at the end of the file (ES imports are hoisted, so nothing changes but the source map
 * keeps its lines); files are listed in name order, so evaluation order does not depend on the disk.
 * The `.d.ts` beside it gets side-effect imports of the same files, so a consumer's TypeScript loads
 * their declarations (each clamp merges its entry into `ClampTypes`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const src = path.resolve(process.argv[2] ?? 'src');
const dist = path.resolve(process.argv[3] ?? 'dist');
const CALL = /import\.meta\.glob\(\s*(\[[^\]]*\]|'[^']*'|"[^"]*")\s*,\s*\{\s*eager:\s*true\s*,?\s*\}\s*\)/g;

const fail = (msg) => {
  console.error(`expandImportGlobs: ${msg}`);
  process.exit(1);
};

function patternsOf(literal, file) {
  let parsed;
  try {
    parsed = JSON.parse(literal.replace(/'/g, '"'));
  } catch {
    fail(`${file}: import.meta.glob takes literal patterns, got ${literal}`);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.map((p) => {
    const neg = p.startsWith('!');
    const body = neg ? p.slice(1) : p;
    if (!/^\.\/[^/]+\.ts$/.test(body)) fail(`${file}: pattern '${p}' is not of the form ./<name>.ts (one directory, .ts files)`);
    const re = new RegExp('^' + body.slice(2).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*') + '$');
    return { neg, re };
  });
}

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

let expanded = 0;
for (const file of walk(dist).filter((f) => f.endsWith('.js'))) {
  const text = fs.readFileSync(file, 'utf8');
  if (!text.includes('import.meta.glob')) continue;
  const dir = path.dirname(file);
  // Matched against the source directory, as Vite does (a stale file left in dist is not a module).
  const srcDir = path.join(src, path.relative(dist, dir));
  const sources = fs.readdirSync(srcDir).filter((n) => n.endsWith('.ts') && !n.endsWith('.d.ts')).sort();
  const imports = [];
  const out = text.replace(CALL, (_m, literal) => {
    const pats = patternsOf(literal, path.relative(dist, file));
    const hits = sources.filter((n) => pats.some((p) => !p.neg && p.re.test(n)) && !pats.some((p) => p.neg && p.re.test(n)));
    const entries = hits.map((n) => {
      const id = `__glob_${imports.length}`;
      imports.push({ id, spec: `./${n.slice(0, -3)}.js` });
      return `'./${n}': ${id}`;
    });
    return `{ ${entries.join(', ')} }`;
  });
  if (out.includes('import.meta.glob')) fail(`${path.relative(dist, file)}: an import.meta.glob call this script cannot expand (only the eager form with literal patterns)`);
  const tail = ['', '// Expanded from import.meta.glob by scripts/expandImportGlobs.mjs.', ...imports.map((i) => `import * as ${i.id} from '${i.spec}';`), ''].join('\n');
  // Keep the source map comment last.
  const mapAt = out.lastIndexOf('\n//# sourceMappingURL=');
  fs.writeFileSync(file, mapAt >= 0 ? out.slice(0, mapAt) + tail + out.slice(mapAt + 1) + '\n' : out + tail);
  const dts = file.slice(0, -3) + '.d.ts';
  if (fs.existsSync(dts)) fs.appendFileSync(dts, [...new Set(imports.map((i) => i.spec))].map((s) => `import '${s}';`).join('\n') + '\n');
  expanded++;
}
if (expanded === 0) fail(`no import.meta.glob found under ${dist}: the clamp registry would be empty`);
