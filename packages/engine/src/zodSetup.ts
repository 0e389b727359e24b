/**
 * zod, configured before any schema exists. zod decides at schema construction whether to compile fast
 * parsers with `Function(...)`, probing for eval first; in the dashboard's pages and workers the
 * Content-Security-Policy forbids eval, so the probe is reported as a violation. Configs are parsed a few
 * times per run, where the interpreted parser costs nothing measurable. Every module that builds schemas
 * imports this first.
 */
import { z } from 'zod';

z.config({ jitless: true });
