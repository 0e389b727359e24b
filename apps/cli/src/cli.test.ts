import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeH5, writeNpy } from './testing/features.js';

// Drives the built CLI exactly as a user would (nx builds it before the tests run).
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'opto-cli-'));

function opto(args: string[], cwd = tmp()) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, cwd };
}

function snapshot(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).sort();
}

describe('opto train: bad input gets one line naming the culprit, a non-zero exit, and nothing written', () => {
  const cases: [string, (dir: string) => string[], RegExp][] = [
    ['--seqs -5', () => ['train', '--seqs', '-5', '--out', 'r'], /--seqs.*-5/],
    ['unknown preset', () => ['train', '--preset', 'nope', '--out', 'r'], /unknown preset 'nope'/],
    ['malformed JSON config', (d) => (fs.writeFileSync(path.join(d, 'c.json'), '{"schedule": {'), ['train', 'c.json', '--out', 'r']), /c\.json: malformed JSON/],
    ['config with a wrong field', (d) => (fs.writeFileSync(path.join(d, 'c.json'), '{"schedule": {"seqs": "many"}}'), ['train', 'c.json', '--out', 'r']), /schedule\.seqs/],
    ['missing feature file', () => ['train', '--data', 'nope.h5', '--out', 'r'], /nope\.h5.*not found/],
    ['NaN in a feature file', (d) => (writeNpy(path.join(d, 'f.npy'), [300, 5, 8], (i) => (i === 17 ? NaN : 1)), ['train', '--data', 'f.npy', '--out', 'r']), /f\.npy.*(NaN|non-finite)/],
    ['wrong-shaped feature file', (d) => (writeNpy(path.join(d, 'f.npy'), [300, 40], () => 1), ['train', '--data', 'f.npy', '--out', 'r']), /f\.npy.*(rank|shape|3)/],
    ['too few classes in the feature file', (d) => (writeNpy(path.join(d, 'f.npy'), [120, 5, 8], () => 1), ['train', '--data', 'f.npy', '--out', 'r']), /class/],
    ['missing HDF5 dataset key', (d) => {
      // A real HDF5 file without the requested dataset: the error must name the key.
      return ['train', '--data', writeH5(path.join(d, 'feat.h5'), { other: [2, 2, 2] }), '--dataset-path', 'resnet18/224/missing', '--out', 'r'];
    }, /resnet18\/224\/missing/],
    ['clamp: head out of range', () => ['train', '--ih-clamp', '1:9', '--out', 'r'], /interventions\.match\.heads\[0\].*head 9 out of range/],
    ['clamp: strength outside [0, 1]', () => ['train', '--ih-clamp', '1:3@1.5', '--out', 'r'], /strength '1\.5' must be a number in \[0, 1\]/],
    ['clamp: unknown field in a spec file', (d) => (fs.writeFileSync(path.join(d, 's.json'), '{"ablate": ["1:0"], "clampSite": "blocks.1.attn.q"}'), ['train', '--clamp', 's.json', '--out', 'r']), /interventions.*clampSite/],
    ['clamp: contradictory manipulations', () => ['train', '--perfect-l1', '--ih-clamp', '1:3', '--out', 'r'], /contradicts perfectLayer1/],
    ['clamp: graft checkpoint with the wrong shapes', (d) => {
      // A checkpoint of a 10-label model grafted into a 5-label one.
      const ck = path.join(d, 'donor.safetensors');
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
        const E = await import('@optoscope/engine');
        const p = new E.ParamStore(E.createReferenceBackend(), { ...E.DEFAULT_MODEL, numLabels: 10 });
        p.init(1);
        E.writeSafetensors(${JSON.stringify(ck)}, E.paramTensors(p));`], { cwd: path.dirname(MAIN), encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      return ['train', '--graft', ck, '--out', 'r'];
    }, /graft checkpoint .*donor\.safetensors.*'embed\.label\.weight' has shape \[10,64\], expected \[5,64\]/],
    // A sweep's graft names its donor by run ID under the runs directory (here the --out's parent).
    ['clamp: graft donor run not trained yet', () => ['train', '--graft', '${runs}/donor-run/checkpoints/seqs-0001000000.safetensors', '--out', 'r'],
      /graft\.checkpoint: \/\S*\/donor-run\/checkpoints\/seqs-0001000000\.safetensors does not exist \(train the donor run/],
  ];
  for (const [name, args, pattern] of cases)
    it(name, () => {
      const dir = tmp();
      const a = args(dir);
      const before = snapshot(dir);
      const r = opto(a, dir);
      expect(r.code, r.stderr).not.toBe(0);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
      expect(snapshot(dir)).toEqual(before);
    });

  it('an --out that holds a finished run is left byte-identical', () => {
    const dir = tmp();
    const ok = opto(['train', '--preset', 'smoke', '--seqs', '640', '--eval-every', '320', '--out', 'r', '--json', '--no-progress'], dir);
    expect(ok.code, ok.stderr).toBe(0);
    const before = fs.readFileSync(path.join(dir, 'r', 'run.json'), 'utf8');
    const again = opto(['train', '--preset', 'smoke', '--out', 'r'], dir);
    expect(again.code).not.toBe(0);
    expect(again.stderr.trim()).toMatch(/--out r already holds a finished run/);
    expect(fs.readFileSync(path.join(dir, 'r', 'run.json'), 'utf8')).toBe(before);
  });
});

describe('opto train --json', () => {
  it('prints the summary as one JSON object on the last line', () => {
    const r = opto(['train', '--preset', 'smoke', '--seqs', '1280', '--eval-every', '640', '--out', 'r', '--json', '--no-progress']);
    expect(r.code, r.stderr).toBe(0);
    const last = r.stdout.trim().split('\n').pop()!;
    const s = JSON.parse(last);
    expect(Object.keys(s)).toEqual(expect.arrayContaining(['run_dir', 'seqs', 'ms_per_step', 'initial', 'final', 'learning_time']));
    expect(s.seqs).toBe(1280);
    expect(s.final.fsl_train).toEqual({ loss: expect.any(Number), acc: expect.any(Number) });
    expect(fs.existsSync(path.join(r.cwd, 'r', 'metrics.jsonl'))).toBe(true);
  });
});

describe('opto analyze', () => {
  it('stores the analysis in <run>/analysis/<what>.json and rejects an unknown analysis', () => {
    const dir = tmp();
    const t = opto(['train', '--preset', 'smoke', '--seqs', '640', '--eval-every', '320', '--out', 'r', '--json', '--no-progress'], dir);
    expect(t.code, t.stderr).toBe(0);
    const r = opto(['analyze', 'r', '--what', 'ablation', '--size', '320', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const stored = JSON.parse(fs.readFileSync(path.join(dir, 'r', 'analysis', 'ablation.json'), 'utf8'));
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual(stored);
    expect(stored.result.strength).toHaveLength(8);
    expect(stored.result.onlyOne).toHaveLength(8);
    expect(stored.denseSet).toMatch(/subsample 320\/78400/);
    const bad = opto(['analyze', 'r', '--what', 'vibes'], dir);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/vibes/);
  });
});
