/**
 * Stored analyses as the dashboard reads them: the registry's names only (the report's own caches and
 * stray files are not analyses), a file read back with its checksum verified, and one line naming the
 * file when it is not JSON or was altered.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withJsonChecksum } from '../store/jsonChecksum.js';
import { analysisCommand, ANALYSIS_NAMES } from './registry.js';
import { readStoredAnalysis, storedAnalyses, storedAnalysisFile } from './store.js';

const run = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-stored-'));
afterAll(() => fs.rmSync(run, { recursive: true, force: true }));
const put = (name: string, text: string) => {
  fs.mkdirSync(path.join(run, 'analysis'), { recursive: true });
  fs.writeFileSync(path.join(run, 'analysis', name), text);
};

describe('stored analyses', () => {
  it("lists the registry's analyses a run has stored, in registry order, and nothing else", () => {
    expect(storedAnalyses(run)).toEqual([]);
    for (const f of ['wiring.json', 'ablation.json', 'prev-token.json', 'table1-0.1.json', 'notes.txt']) put(f, '{}');
    expect(storedAnalyses(run)).toEqual(ANALYSIS_NAMES.filter((n) => n === 'ablation' || n === 'wiring'));
    expect(storedAnalysisFile(run, 'wiring')).toBe(path.join(run, 'analysis', 'wiring.json'));
    expect(analysisCommand('runs/x', 'wiring')).toBe('opto analyze runs/x --what wiring');
  });

  it('reads a stored result back with its checksum verified; null when absent; one line naming the file when broken', () => {
    const doc = withJsonChecksum({ what: 'ablation', run: 'x', checkpoint: 3200, denseSet: 'd', result: { full: { loss: 0.5 } } });
    put('ablation.json', JSON.stringify(doc));
    const file = storedAnalysisFile(run, 'ablation');
    expect(readStoredAnalysis<{ full: { loss: number } }>(file)?.result.full.loss).toBe(0.5);
    expect(readStoredAnalysis(storedAnalysisFile(run, 'strength'))).toBeNull();
    put('ablation.json', JSON.stringify(doc).replace('0.5', '0.25'));
    expect(() => readStoredAnalysis(file)).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    put('ablation.json', '{"what": ');
    expect(() => readStoredAnalysis(file)).toThrow(/ablation\.json: not valid JSON/);
  });
});
