/**
 * `@optoscope/engine/testing`: fixtures for the apps' tests, kept out of the library's entry points (a
 * run directory with a record and one eval row, for the CLI's report tests; a free port for tests that start servers).
 */
export { fakeRun, lossAt, writeCurveRun, type CurveShape } from '../report/testing.js';
export { freePort } from './ports.js';
