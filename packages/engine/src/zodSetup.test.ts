/**
 * zod must be jitless before any schema exists: the dashboard's Content-Security-Policy forbids eval, and
 * zod's probe for it is reported as a violation (zodSetup.ts).
 */
import { expect, it } from 'vitest';
import { z } from 'zod';
import './zodSetup.js';

it('loading zodSetup turns off zod’s compiled (eval) parsers', () => {
  expect(z.config().jitless).toBe(true);
});
