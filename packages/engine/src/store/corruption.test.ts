/**
 * The corruption suite (issue 17): each file kind of a run directory (record, metrics, every checkpoint,
 * the resume states, a stored analysis, the report) truncated or with a flipped bit, and every reader of
 * it either detects that (one line naming the file) or falls back safely (an older state, a
 * recomputation, a skipped partial row); a resumed run still ends bitwise identical to an uninterrupted one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ablationVsStrength } from '../analysis/ablation.js';
import { openAnalysisRun } from '../analysis/progress.js';
import { cachedAnalysis } from '../analysis/store.js';
import { mergeConfig, parseRunConfig } from '../config.js';
import { evaluateLoaded, loadRun } from '../evaluate.js';
import { presetConfig } from '../presets.js';
import { readReport, reportFile } from '../report/read.js';
import { writeReport } from '../report/write.js';
import { train, type TrainEvent } from '../train.js';
import { withJsonChecksum } from './jsonChecksum.js';
import { listRuns } from './query.js';
import { sweepAggregator } from './aggregate.js';
import { RunDir, runChecksums } from './runDir.js';
import { readSafetensors } from './safetensors.js';

const made: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-corrupt-'));
  made.push(d);
  return d;
};
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const config = (seqs: number) => parseRunConfig(mergeConfig(presetConfig('smoke'), { backend: 'wasm', schedule: { seqs, evalEvery: 320, ckptEvery: 320, evalSize: 50 } }));
let root = '';
/** A finished run of 640 sequences (checkpoints 0, 320, 640) and a reference run of 1280. */
const FIN = () => path.join(root, 'fin');
const REF = () => path.join(root, 'ref');

beforeAll(async () => {
  root = tmp();
  await train(config(640), { out: FIN() });
  await train(config(1280), { out: REF() });
}, 120_000);

const copy = (name = 'r') => {
  const d = path.join(tmp(), name);
  fs.cpSync(FIN(), d, { recursive: true });
  return d;
};
const flipBit = (file: string, byte: number, bit = 0) => {
  const b = fs.readFileSync(file);
  b[byte] ^= 1 << bit;
  fs.writeFileSync(file, b);
};
/** The finished run turned back into an interrupted one that should train on to 1280 sequences. */
const interrupted = (dir: string) => {
  const f = path.join(dir, 'run.json');
  const { sha256: _s, summary: _sum, ...r } = JSON.parse(fs.readFileSync(f, 'utf8'));
  r.status = 'interrupted';
  r.config.schedule.seqs = 1280;
  fs.writeFileSync(f, JSON.stringify(withJsonChecksum(r), null, 2));
};
const resume = async (dir: string) => {
  const warnings: string[] = [];
  await train({} as never, { out: dir, resume: true, onEvent: (e: TrainEvent) => void (e.type === 'warning' && warnings.push(e.message)) });
  return warnings;
};
/** One line, naming `file`. */
const oneLineNaming = (fn: () => unknown, file: string, why: RegExp) => {
  let err: Error | undefined;
  try {
    fn();
  } catch (e) {
    err = e as Error;
  }
  expect(err, `no error for ${file}`).toBeInstanceOf(Error);
  expect(err!.message.split('\n')).toHaveLength(1);
  expect(err!.message).toContain(file);
  expect(err!.message).toMatch(why);
};
/** A seeded stream of byte positions (the same flips on every run). */
function* positions(n: number, size: number, seed = 12345) {
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    yield { byte: s % size, bit: (s >>> 8) % 8 };
  }
}

describe('run.json', () => {
  it('a flipped bit in every byte (each bit position in turn) is detected, or leaves the record equal', () => {
    const dir = copy();
    const file = path.join(dir, 'run.json');
    const good = fs.readFileSync(file);
    const original = RunDir.open(dir).readRecord();
    let detected = 0;
    for (let byte = 0; byte < good.length; byte++)
      for (const bit of [byte % 8]) {
        const b = Buffer.from(good);
        b[byte] ^= 1 << bit;
        fs.writeFileSync(file, b);
        let rec;
        try {
          rec = RunDir.open(dir).readRecord();
        } catch (e) {
          expect((e as Error).message.split('\n')).toHaveLength(1);
          expect((e as Error).message).toContain(file);
          detected++;
          continue;
        }
        // Undetected only when nothing changed in meaning (e.g. 1e-5 → 1E-5).
        expect(rec, `flip of bit ${bit} of byte ${byte} went unnoticed`).toEqual(original);
      }
    expect(detected).toBeGreaterThan(good.length * 0.99);
  }, 60_000);

  it('truncated: detected by the record readers; the listing names it and skips it', () => {
    const dir = copy();
    const file = path.join(dir, 'run.json');
    const size = fs.statSync(file).size;
    for (const n of [0, 1, Math.floor(size / 2), size - 2]) {
      fs.writeFileSync(file, fs.readFileSync(path.join(FIN(), 'run.json')).subarray(0, n));
      oneLineNaming(() => RunDir.open(dir).readRecord(), file, /not valid JSON|not a run record/);
      const [listed] = listRuns(path.dirname(dir));
      expect(listed.record).toBeNull();
      expect(listed.error).toContain(file);
    }
  });
});

describe('checkpoints', () => {
  const ckpts = ['seqs-0000000000', 'seqs-0000000320', 'seqs-0000000640'];
  for (const name of ckpts)
    it(`${name}: 48 flipped bits and 4 truncations are each detected on read, by eval, by analyses and as a graft donor`, async () => {
      const dir = copy();
      const file = path.join(dir, 'checkpoints', `${name}.safetensors`);
      const good = fs.readFileSync(file);
      const seqs = Number(name.slice(5));
      const damaged: Buffer[] = [...positions(48, good.length)].map(({ byte, bit }) => {
        const b = Buffer.from(good);
        b[byte] ^= 1 << bit;
        return b;
      });
      for (const n of [0, 7, 200, good.length - 1]) damaged.push(good.subarray(0, n));
      for (const b of damaged) {
        fs.writeFileSync(file, b);
        oneLineNaming(() => readSafetensors(file), file, /checksum|header|too short|exceeds|offsets|dtype|malformed/);
      }
      fs.writeFileSync(file, damaged[0]);
      await expect(loadRun(dir, { checkpoint: seqs })).rejects.toThrow(file);
      // Analyses open the newest checkpoint at once; older ones as a curve reaches them.
      if (name === ckpts.at(-1)) await expect(openAnalysisRun(dir, { size: 64 })).rejects.toThrow(file);
      else await expect(openAnalysisRun(dir, { size: 64 }).then((a) => a.load(seqs))).rejects.toThrow(file);
      const clean = await loadRun(FIN());
      expect(() => evaluateLoaded(clean, { graft: { checkpoint: file, tillLayer: 0 } })).toThrow(file);
    });

  it('a corrupt newest checkpoint of an interrupted run: resume warns, writes it again, and ends identical to an uninterrupted run', async () => {
    const dir = copy();
    interrupted(dir);
    const file = path.join(dir, 'checkpoints', 'seqs-0000000640.safetensors');
    flipBit(file, fs.statSync(file).size - 3, 5);
    const warnings = await resume(dir);
    expect(warnings.join('\n')).toMatch(/seqs-0000000640\.safetensors: checksum mismatch .*it will be written again/);
    expect(() => readSafetensors(file)).not.toThrow();
    expect(runChecksums(dir)).toEqual(runChecksums(REF()));
  });

  it('a corrupt middle checkpoint: resume falls back to a state before it, and ends identical', async () => {
    const dir = copy();
    interrupted(dir);
    fs.truncateSync(path.join(dir, 'checkpoints', 'seqs-0000000320.safetensors'), 100);
    const warnings = await resume(dir);
    expect(warnings.some((w) => /seqs-0000000320\.safetensors: header length .* exceeds/.test(w))).toBe(true);
    expect(warnings.some((w) => /past the corrupt checkpoint at 320/.test(w))).toBe(true);
    expect(runChecksums(dir)).toEqual(runChecksums(REF()));
  });
});

describe('resume states', () => {
  it('a flipped bit in the newest state: resume falls back to the previous one and ends identical', async () => {
    const dir = copy();
    interrupted(dir);
    const f = path.join(dir, 'state.safetensors');
    flipBit(f, fs.statSync(f).size - 11, 1);
    const warnings = await resume(dir);
    expect(warnings.join('\n')).toMatch(/state\.safetensors: checksum mismatch.*falling back to the previous state/);
    expect(runChecksums(dir)).toEqual(runChecksums(REF()));
  });

  it('both states truncated: resume says it restarts from 0, and ends identical', async () => {
    const dir = copy();
    interrupted(dir);
    for (const f of ['state.safetensors', 'state.prev.safetensors']) fs.truncateSync(path.join(dir, f), 30);
    const warnings = await resume(dir);
    expect(warnings.join('\n')).toMatch(/no usable resume state .*restarting from 0 sequences/);
    expect(runChecksums(dir)).toEqual(runChecksums(REF()));
  });

  it('no state files at all: resume says so (it used to restart silently)', async () => {
    const dir = copy();
    interrupted(dir);
    for (const f of ['state.safetensors', 'state.prev.safetensors']) fs.rmSync(path.join(dir, f));
    const warnings = await resume(dir);
    expect(warnings).toEqual([expect.stringMatching(/no usable resume state \(state\.safetensors, state\.prev\.safetensors\); restarting from 0 sequences/)]);
    expect(runChecksums(dir)).toEqual(runChecksums(REF()));
  });
});

describe('metrics.jsonl', () => {
  it('truncated mid-row: the partial last row is ignored (a crash mid-append looks the same)', () => {
    const dir = copy();
    const f = path.join(dir, 'metrics.jsonl');
    const text = fs.readFileSync(f, 'utf8');
    const rows = text.trim().split('\n');
    fs.writeFileSync(f, text.slice(0, text.length - 30));
    expect(RunDir.open(dir).readMetrics()).toEqual(rows.slice(0, -1).map((l) => JSON.parse(l)));
  });

  it('a flipped bit that breaks a row is named with its line by every reader', () => {
    const dir = copy();
    const f = path.join(dir, 'metrics.jsonl');
    const lines = fs.readFileSync(f, 'utf8').split('\n');
    lines[4] = lines[4].replace('{', '{\u0001');
    fs.writeFileSync(f, lines.join('\n'));
    oneLineNaming(() => RunDir.open(dir).readMetrics(), `${f}:5`, /malformed metrics row/);
  });
});

describe('metrics.parquet (the columnar copy a cold reader uses)', () => {
  /**
   * A freshly started reader's answer for one run, checked against its metrics.jsonl parsed here: with one
   * run and one eval schedule each fsl_train eval is its own point, so the curve is the rows themselves.
   */
  const coldRead = async (dir: string) => {
    const file = path.join(dir, 'metrics.jsonl');
    const agg = sweepAggregator();
    try {
      const got = await agg.aggregate([{ run: 'r', group: 0, metricsFile: file, finished: true }], { kind: 'eval', set: 'fsl_train', metric: 'loss' });
      const rows = RunDir.open(dir).readMetrics().filter((r) => r.kind === 'eval' && r.set === 'fsl_train');
      expect(got.points.map((p) => [p.x, p.mean, p.n])).toEqual(rows.map((r) => [r.seqs, r.loss, 1]));
      await agg.idle();
      return agg.readFrom.get(file);
    } finally {
      await agg.close();
    }
  };

  it('the trainer writes it when the run finishes; a cold read uses it and equals the rows of metrics.jsonl', async () => {
    expect(fs.existsSync(path.join(FIN(), 'metrics.parquet'))).toBe(true);
    expect(await coldRead(copy())).toBe('parquet');
  });

  it('truncated, or a flipped bit at 40 places: every cold read still equals the JSON lines, and the copy is written again', async () => {
    const dir = copy();
    const f = path.join(dir, 'metrics.parquet');
    const good = fs.readFileSync(f);
    let fellBack = 0;
    for (const n of [0, 4, good.length >> 1, good.length - 1]) {
      fs.writeFileSync(f, good.subarray(0, n));
      expect(await coldRead(dir)).toBe('json');
      expect(await coldRead(dir)).toBe('parquet'); // rewritten by the reader that fell back
    }
    // Every row of the file, as JSON.parse reads it, against the rows of a copy (all columns; absent = null).
    const cols = ['kind', 'seqs', 'step', 'set', 'loss', 'acc', 'grad_norm', 'steps', 'wall_s'];
    const want = RunDir.open(dir).readMetrics().map((r) => cols.map((c) => r[c] ?? null));
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    try {
      for (const { byte, bit } of positions(40, good.length)) {
        const b = Buffer.from(good);
        b[byte] ^= 1 << bit;
        fs.writeFileSync(f, b);
        if ((await coldRead(dir)) === 'json') {
          fellBack++;
          continue;
        }
        // Used: then the flip changed no value (a flipped value that still decodes fails the copy's row digest).
        const rows = (await c.runAndReadAll(`SELECT ${cols.map((k) => `"${k}"`).join(', ')} FROM read_parquet('${f}')`)).getRows();
        expect(rows.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v))), `flip of bit ${bit} of byte ${byte}`).toEqual(want);
      }
    } finally {
      c.closeSync();
      instance.closeSync();
    }
    expect(fellBack).toBeGreaterThan(20);
  }, 240_000); // 48 cold reads, each a DuckDB start: ~15 s idle, past 60 s at load ~25 (a CI run)

  it('left over from before a resume (rows appended since): not used, and rewritten when the resumed run finishes', async () => {
    const dir = copy();
    interrupted(dir);
    const f = path.join(dir, 'metrics.parquet');
    const before = fs.readFileSync(f);
    await resume(dir);
    expect(fs.readFileSync(f).equals(before)).toBe(false);
    expect(await coldRead(dir)).toBe('parquet');
    expect(runChecksums(dir)).toEqual(runChecksums(REF()));
  });
});

describe('stored analyses', () => {
  it('a flipped digit or a truncation: the analysis is computed again (with a warning) and stored afresh', async () => {
    const dir = copy();
    const a = await openAnalysisRun(dir, { size: 64 });
    const fresh = cachedAnalysis(a, 'ablation', () => ablationVsStrength(a.ev));
    const file = path.join(dir, 'analysis', 'ablation.json');
    const good = fs.readFileSync(file, 'utf8');
    for (const bad of [good.replace(/"loss": (\d)/, (_m, d) => `"loss": ${(Number(d) + 1) % 10}`), good.slice(0, good.length / 2)]) {
      fs.writeFileSync(file, bad);
      const logs: string[] = [];
      let computed = false;
      const got = cachedAnalysis(a, 'ablation', () => ((computed = true), ablationVsStrength(a.ev)), (m) => logs.push(m));
      expect(computed).toBe(true);
      expect(got).toEqual(fresh);
      expect(logs[0]).toMatch(/warning: .*ablation\.json: (checksum mismatch|not valid JSON|.*JSON)/);
      expect(fs.readFileSync(file, 'utf8')).toBe(good);
    }
  });
});

describe('report.json', () => {
  it('a flipped bit or a truncation is detected by its reader (the dashboard report page)', async () => {
    const runs = path.dirname(copy());
    await writeReport(runs, { analyses: false, size: 64 });
    const file = reportFile(runs);
    const good = fs.readFileSync(file);
    expect(readReport(runs)).not.toBeNull();
    let checked = 0;
    for (const { byte, bit } of positions(64, good.length, 777)) {
      const b = Buffer.from(good);
      b[byte] ^= 1 << bit;
      fs.writeFileSync(file, b);
      oneLineNaming(() => readReport(runs), file, /checksum|not valid JSON|damaged/);
      checked++;
    }
    fs.writeFileSync(file, good.subarray(0, good.length - 10));
    oneLineNaming(() => readReport(runs), file, /not valid JSON/);
    expect(checked).toBe(64);
  });
});
