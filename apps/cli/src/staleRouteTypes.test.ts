/**
 * A build directory's route types that name a source file which no longer exists (a route moved or removed
 * since that directory was built) fail every later `next build`'s type check; `opto dashboard` removes
 * them before building and leaves current ones alone. Checked on a directory laid out as Next lays it out.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dropStaleRouteTypes } from './commands/dashboard.js';

let app: string;
afterEach(() => fs.rmSync(app, { recursive: true, force: true }));

const validator = (routes: string[], depth = 2) =>
  routes.map((r) => `// Validate ${r}\n{\n  const handler = {} as typeof import("${'../'.repeat(depth)}src/app/${r}.js")\n}\n`).join('\n');

function write(file: string, text: string) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

describe('stale route types before a dashboard build', () => {
  it('removes only the types that name a missing route file, in any build directory, dev types included', () => {
    app = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-app-'));
    write(path.join(app, 'src/app/page.tsx'), '');
    write(path.join(app, 'src/app/api/sweep/route.ts'), '');
    write(path.join(app, '.next/types/validator.ts'), validator(['page', 'api/sweep/route']));
    write(path.join(app, '.next-e2e/types/validator.ts'), validator(['page', 'api/runs/route']));
    write(path.join(app, '.next-e2e/types/routes.d.ts'), '');
    write(path.join(app, '.next-check/dev/types/validator.ts'), validator(['api/gone/route'], 3));
    write(path.join(app, '.next-access/types/validator.ts'), validator(['api/sweep/route']));

    expect(dropStaleRouteTypes(app).sort()).toEqual([path.join('.next-check', 'dev', 'types'), path.join('.next-e2e', 'types')]);
    expect(fs.existsSync(path.join(app, '.next-e2e/types'))).toBe(false);
    expect(fs.existsSync(path.join(app, '.next-check/dev/types'))).toBe(false);
    expect(fs.existsSync(path.join(app, '.next/types/validator.ts'))).toBe(true);
    expect(fs.existsSync(path.join(app, '.next-access/types/validator.ts'))).toBe(true);
    // Nothing else of a build directory is touched.
    expect(fs.existsSync(path.join(app, '.next-e2e'))).toBe(true);
    expect(dropStaleRouteTypes(app)).toEqual([]);
  });
});
