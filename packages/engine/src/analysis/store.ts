/**
 * Stored analysis results: `<run>/analysis/<what>.json` holds `{what, run, checkpoint, denseSet, result}`,
 * written atomically by `opto analyze` and by the report, which reuses a result computed on the same
 * checkpoint and dense set instead of recomputing it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeDirs, writeJsonAtomic } from '../store/atomic.js';
import { jsonErrorLine } from '../store/jsonFile.js';
import { verifyJsonChecksum, withJsonChecksum } from '../store/jsonChecksum.js';
import type { AnalysisRun } from './progress.js';
import { ANALYSIS_NAMES, type AnalysisName } from './registry.js';

export interface StoredAnalysis<T> {
  what: string;
  run: string;
  checkpoint: number;
  denseSet: string;
  result: T;
}

/** Where analysis `what` of the run in `runDir` is stored. */
export function storedAnalysisFile(runDir: string, what: string): string {
  return path.join(runDir, 'analysis', `${what}.json`);
}

export function analysisFile(a: AnalysisRun, what: string): string {
  return storedAnalysisFile(a.run.dir, what);
}

/** A stored analysis, checksum verified; null when the file does not exist. Throws one line naming the file when it is not valid JSON or corrupt. */
export function readStoredAnalysis<T>(file: string): StoredAnalysis<T> | null {
  if (!fs.existsSync(file)) return null;
  let doc: StoredAnalysis<T>;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${jsonErrorLine(e)})`);
  }
  return verifyJsonChecksum(doc, file);
}

/** The registry's analyses stored for the run in `runDir`, in registry order (the report's own cached results are not listed). */
export function storedAnalyses(runDir: string): AnalysisName[] {
  return ANALYSIS_NAMES.filter((n) => fs.existsSync(storedAnalysisFile(runDir, n)));
}

/** Store `result` of analysis `what` on `checkpoint` (atomically); returns what was written and where. */
export function storeAnalysis<T>(a: AnalysisRun, what: string, checkpoint: number, result: T): { file: string; stored: StoredAnalysis<T> } {
  const file = analysisFile(a, what);
  const stored: StoredAnalysis<T> = withJsonChecksum({ what, run: a.run.id, checkpoint, denseSet: a.ev.set.description, result });
  makeDirs(path.dirname(file));
  writeJsonAtomic(file, stored);
  return { file, stored };
}

/** The stored result of `what` if it was computed on the run's last checkpoint and this dense set; else compute and store it. */
export function cachedAnalysis<T>(a: AnalysisRun, what: string, compute: () => T, log?: (msg: string) => void): T {
  const checkpoint = a.checkpoints[a.checkpoints.length - 1];
  try {
    const s = readStoredAnalysis<T>(analysisFile(a, what));
    if (s && s.what === what && s.checkpoint === checkpoint && s.denseSet === a.ev.set.description) return s.result;
  } catch (e) {
    // Unreadable or corrupt: computed again (and stored over it).
    log?.(`warning: ${(e as Error).message.split('\n')[0]}; computing it again`);
  }
  log?.(`${a.run.id}: computing ${what}`);
  return storeAnalysis(a, what, checkpoint, compute()).stored.result;
}
