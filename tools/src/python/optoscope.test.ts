/**
 * The Python package python/optoscope, tested against PyTorch (Debian python3-torch) inside the repository's
 * vitest run: python/tests/run_json.py runs the unittest suite once (it trains a short run with the built
 * CLI, exports its data and records its sites, see python/tests/fixture.py) and every Python test becomes
 * one case here, so CI's "N passed, N failed" counts them and a failure names the Python test.
 */
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { findTorchPython } from '../peers/torch.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const RUNNER = path.join(REPO, 'python', 'tests', 'run_json.py');

interface PyResult {
  status: 'passed' | 'failed';
  message: string;
}

const found = await findTorchPython(undefined, ['numpy', 'pandas']);
const python = 'python' in found ? found.python : null;
let listed: string[] = [];
let listError = '';
if (python) {
  try {
    listed = JSON.parse(execFileSync(python, [RUNNER, '--list'], { encoding: 'utf8', timeout: 120_000 })) as string[];
  } catch (e) {
    const out = (e as { stdout?: string }).stdout ?? '';
    listError = `python/tests do not import: ${out.trim() || (e as Error).message}`;
  }
}

describe('python/optoscope against PyTorch', () => {
  if (!python || listError) {
    it('finds a Python with torch, numpy and pandas that imports the suite', () => {
      throw new Error(python ? listError : `no Python with torch, numpy and pandas (${'reasons' in found ? found.reasons.join('; ') : ''}); apt-get install python3-torch python3-numpy python3-pandas`);
    });
    return;
  }

  let results: Record<string, PyResult> = {};
  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optoscope-py-'));
    const out = path.join(dir, 'results.json');
    try {
      await new Promise<void>((resolve, reject) => {
        execFile(python, [RUNNER, '--out', out], { env: { ...process.env, OPTOSCOPE_TEST_FIXTURE: path.join(dir, 'fixture'), OPTOSCOPE_NODE: process.execPath }, timeout: 900_000, maxBuffer: 64 << 20 }, (err, _stdout, stderr) =>
          fs.existsSync(out) ? resolve() : reject(new Error(`run_json.py wrote no results: ${err?.message ?? ''} ${String(stderr).slice(-2000)}`)),
        );
      });
      results = JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, PyResult>;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000);

  it('lists the Python tests', () => {
    expect(listed.length).toBeGreaterThanOrEqual(12);
  });
  for (const id of listed) {
    it(`python: ${id}`, () => {
      const r = results[id];
      if (!r) throw new Error(`${id} did not run`);
      if (r.status !== 'passed') throw new Error(r.message);
    });
  }
});
