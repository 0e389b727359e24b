#!/usr/bin/env node
// The `opto` command as npm links it at install time (`npx opto`, or `opto` after `npm link -w apps/cli`).
// A committed launcher rather than the build output itself, because npm links a package's bin when it
// installs, before anything is built: this file exists then, and it says how to build when dist is missing.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('opto: the CLI is not built yet: run `npm run build` in the repository root first\n');
  process.exit(1);
}
await import(main.href);
