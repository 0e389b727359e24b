/**
 * The bad-input suite (issue 17): every command and every kind of input, each case asserting a non-zero
 * exit, exactly one line on stderr that names the culprit, no stack or internal dump, and a tree that is
 * byte-for-byte unchanged. Most cases run the built CLI as a user would (a few at a time, so CI's two
 * cores stay busy); the file-content cases (configs, clamp specs, sweep specs, feature files in every
 * broken shape) also run in-process through the engine functions the CLI calls, which is where their
 * one line comes from. Fixtures are small and generated here.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as net from 'node:net';
import { encodeNpy, loadFeatureFile, loadSweepSpec, expandSweep, parseInterventionSpec, parseRunConfig, readJsonObject, mergeConfig, presetConfig } from '@optoscope/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLine, expectOneLineError, optoAsync, tree } from './testing/badInput.js';
import { writeH5, writeNpy } from './testing/features.js';
import { freePort, MAIN, optoSync, removeTemps, tmp } from './testing/procs.js';

let fx = '';
/** A finished smoke run (checkpoints at 0, 320, 640), copied into a case's directory as `r`. */
const FIN = () => path.join(fx, 'fin');
const withRun = (d: string, name = 'r'): string => (fs.cpSync(FIN(), path.join(d, name), { recursive: true }), name);
const put = (d: string, name: string, body: string | Uint8Array): string => {
  fs.mkdirSync(path.dirname(path.join(d, name)), { recursive: true });
  fs.writeFileSync(path.join(d, name), body);
  return name;
};
const json = (d: string, name: string, v: unknown) => put(d, name, JSON.stringify(v));
const editRecord = (d: string, f: (r: Record<string, unknown>) => void, name = 'r') => {
  const file = path.join(d, name, 'run.json');
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  delete r.sha256;
  f(r);
  fs.writeFileSync(file, JSON.stringify(r));
};
const npy = (d: string, name: string, shape: number[], v: (i: number) => number = () => 0.5) => (writeNpy(path.join(d, name), shape, v), name);
/** An NPY file with a hand-written header (every broken shape the parser must refuse). */
const rawNpy = (d: string, name: string, header: string, data: Uint8Array, major = 1) => {
  const h = Buffer.from(header, 'latin1');
  const pre = Buffer.alloc(major === 1 ? 10 : 12);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = major;
  if (major === 1) pre.writeUInt16LE(h.length, 8);
  else pre.writeUInt32LE(h.length, 8);
  return put(d, name, Buffer.concat([pre, h, data]));
};
const SMOKE = ['--preset', 'smoke', '--seqs', '64', '--no-progress'];
/** Finished runs of the tasks beyond the paper's (fixture `k3`, `bursty`, `rep`), copied in as `r`. */
const TASK_RUNS: Record<string, object> = {
  k3: { task: { kind: 'fewShot', shots: 3, numLabels: 5 } },
  bursty: { task: { kind: 'bursty', numLabels: 5, bursty: { contextPairs: 4, burstiness: 2, trainClasses: 40, commonClasses: 4, holdoutClasses: 10 } } },
  rep: { task: { kind: 'repeatTokens', numLabels: 12, repeat: { prefixLength: 6, repeatLength: 2 } } },
};
const withTaskRun = (d: string, kind: keyof typeof TASK_RUNS): string => (fs.cpSync(path.join(fx, kind), path.join(d, 'r'), { recursive: true }), 'r');
/** An int32 .npy `s.npy` of `shape` holding `v`. */
const ints = (d: string, shape: number[], v: number[]) => put(d, 's.npy', encodeNpy(shape, Int32Array.from(v)));

type CliCase = [kind: string, name: string, setup: (d: string) => string[], culprit: RegExp];

/** Run through the real CLI: exit, one line, no dump, nothing changed. */
const CLI: CliCase[] = [
  // --- flags (train)
  ['flag', 'train --seqs -5', () => ['train', '--seqs', '-5', '--out', 'o'], /--seqs.*'-5'/],
  ['flag', 'train --seqs 0', () => ['train', '--seqs', '0', '--out', 'o'], /--seqs.*'0'/],
  ['flag', 'train --seqs 1.5', () => ['train', '--seqs', '1.5', '--out', 'o'], /--seqs.*'1\.5'/],
  ['flag', 'train --seqs abc', () => ['train', '--seqs', 'abc', '--out', 'o'], /--seqs.*'abc'/],
  ['flag', 'train --seqs 1e30 (not a safe integer)', () => ['train', '--seqs', '1e30', '--out', 'o'], /--seqs.*'1e30'/],
  ['flag', 'train --labels 1e9 (bound by the label-pair split)', () => ['train', ...SMOKE, '--labels', '1e9', '--out', 'o'], /task\.numLabels: 1000000000 labels make 5\.00e\+17 label pairs, .*\(at most 1448 labels\)/],
  ['flag', 'train --labels 1', () => ['train', ...SMOKE, '--labels', '1', '--out', 'o'], /task\.numLabels/],
  ['flag', 'train --classes 1600', () => ['train', ...SMOKE, '--classes', '1600', '--out', 'o'], /--classes: 1600 training classes: use 1 to 1523/],
  ['flag', 'train --seed-init -1', () => ['train', '--seed-init', '-1', '--out', 'o'], /--seed-init.*'-1'/],
  ['flag', 'train equal seeds', () => ['train', ...SMOKE, '--seed-init', '0', '--out', 'o'], /seeds: init, train and eval seeds must differ/],
  ['flag', 'train --eval-every 0', () => ['train', '--eval-every', '0', '--out', 'o'], /--eval-every.*'0'/],
  ['flag', 'train --ckpt-every x', () => ['train', '--ckpt-every', 'x', '--out', 'o'], /--ckpt-every.*'x'/],
  ['flag', 'train --backend bogus', () => ['train', '--backend', 'bogus', '--out', 'o'], /--backend.*bogus/],
  ['flag', 'train --preset nope', () => ['train', '--preset', 'nope', '--out', 'o'], /unknown preset 'nope'/],
  ['flag', 'train unknown option', () => ['train', '--sequences', '5'], /unknown option '--sequences'/],
  ['flag', 'unknown command', () => ['trian'], /unknown command 'trian'/],
  ['flag', 'train --heads-from a missing run', () => ['train', '--preset', 'fig5b-match', '--heads-from', 'nope', '--out', 'o'], /nope is not a run directory/],
  ['flag', 'train --heads-from with a preset that clamps no head', (d) => ['train', '--preset', 'smoke', '--heads-from', withRun(d), '--out', 'o'], /--heads-from: preset 'smoke' clamps no particular head/],
  ['flag', 'train --dataset-path on synthetic data', () => ['train', ...SMOKE, '--dataset-path', 'a/b', '--out', 'o'], /--dataset-path a\/b: the run's data is synthetic; give the feature file with --data <file>/],
  // --- JSON configs
  ['config', 'config file is []', (d) => ['train', put(d, 'c.json', '[]'), '--preset', 'smoke', '--out', 'o'], /c\.json: a config file must be a JSON object, got an array/],
  ['config', 'config file is "hello"', (d) => ['train', put(d, 'c.json', '"hello"'), '--preset', 'smoke', '--out', 'o'], /c\.json: .*got a string/],
  ['config', 'config file is null', (d) => ['train', put(d, 'c.json', 'null'), '--preset', 'smoke', '--out', 'o'], /c\.json: .*got null/],
  ['config', 'config file is 42', (d) => ['train', put(d, 'c.json', '42'), '--out', 'o'], /c\.json: .*got a number/],
  ['config', 'config file is empty', (d) => ['train', put(d, 'c.json', ''), '--out', 'o'], /c\.json: malformed JSON/],
  ['config', 'config file truncated', (d) => ['train', put(d, 'c.json', '{"schedule": {"seqs": 6'), '--out', 'o'], /c\.json: malformed JSON/],
  ['config', 'config file in UTF-16', (d) => ['train', put(d, 'c.json', Buffer.from('\ufeff{"name": "x"}', 'utf16le')), '--out', 'o'], /c\.json: malformed JSON/],
  ['config', 'config file with a BOM and an unknown key', (d) => ['train', put(d, 'c.json', '\ufeff{"nmae": "x"}'), '--out', 'o'], /unrecognized key.*nmae|nmae/],
  ['config', 'config file missing', () => ['train', 'nope.json', '--out', 'o'], /config file not found: nope\.json/],
  ['config', 'config file is a directory', (d) => (fs.mkdirSync(path.join(d, 'c.json')), ['train', 'c.json', '--out', 'o']), /c\.json is a directory/],
  ['config', 'config: schedule.seqs a string', (d) => ['train', json(d, 'c.json', { schedule: { seqs: 'many' } }), '--out', 'o'], /schedule\.seqs/],
  ['config', 'config: model.nLayers 7', (d) => ['train', json(d, 'c.json', { model: { nLayers: 7 } }), ...SMOKE, '--out', 'o'], /model\.nLayers: .*6 \(got 7\)/],
  ['config', 'config: model.positions unknown', (d) => ['train', json(d, 'c.json', { model: { positions: 'alibi' } }), ...SMOKE, '--out', 'o'], /model\.positions: /],
  ['config', 'config: model.nHeads not dividing dModel', (d) => ['train', json(d, 'c.json', { model: { nHeads: 7 } }), ...SMOKE, '--out', 'o'], /model\.nHeads: dModel 64 \/ nHeads 7/],
  ['config', 'config: model.dModel 1e6 (bound by memory)', (d) => ['train', json(d, 'c.json', { model: { dModel: 1_000_000, nHeads: 2 } }), ...SMOKE, '--out', 'o'], /model too large: .*parameters.*GiB/],
  ['config', 'config: schedule.evalSize 1e7 (bound by memory)', (d) => ['train', json(d, 'c.json', { schedule: { evalSize: 10_000_000 } }), ...SMOKE, '--out', 'o'], /schedule\.evalSize 10000000: .*at most \d+ sequences/],
  ['config', 'config: optim.batchSize 1e6 (bound by memory)', (d) => ['train', json(d, 'c.json', { optim: { batchSize: 1_000_000 } }), ...SMOKE, '--out', 'o'], /optim\.batchSize 1000000: .*at most \d+ sequences per batch/],
  ['config', 'config: classSplit larger than the data', (d) => ['train', json(d, 'c.json', { task: { classSplit: [50, 1573, 100] } }), ...SMOKE, '--out', 'o'], /classSplit \[50, 1573, 100\] needs 1723 classes/],
  ['config', 'config: backend bogus', (d) => ['train', json(d, 'c.json', { backend: 'tpu' }), '--out', 'o'], /backend/],
  ['config', 'config: interventions is a list', (d) => ['train', json(d, 'c.json', { interventions: ['1:3'] }), '--out', 'o'], /interventions/],
  // --- clamp flags and spec files
  ['clamp', '--only-head 1:8 (no such head)', () => ['train', ...SMOKE, '--only-head', '1:8', '--out', 'o'], /--only-head 1:8: head "1:8": head 8 out of range \(layers have heads 0\.\.7\)/],
  ['clamp', '--only-head 2:0 (no such layer)', () => ['train', ...SMOKE, '--only-head', '2:0', '--out', 'o'], /--only-head 2:0: .*layer 2 out of range/],
  ['clamp', '--ablate 1:0 --only-head 1:0', () => ['train', ...SMOKE, '--ablate', '1:0', '--only-head', '1:0', '--out', 'o'], /--only-head 1:0: head "1:0" is kept active, but the ablation list also removes it/],
  ['clamp', '--only-head with two heads', () => ['train', ...SMOKE, '--only-head', '1:0,1:1', '--out', 'o'], /expected one head, got '1:0,1:1'/],
  ['clamp', '--ablate 01:3 (the engine head rule)', () => ['train', ...SMOKE, '--ablate', '01:3', '--out', 'o'], /'01:3' is not a head/],
  ['clamp', '--ablate 1:-1', () => ['train', ...SMOKE, '--ablate', '1:-1', '--out', 'o'], /'1:-1' is not a head/],
  ['clamp', '--ablate L2H3', () => ['train', ...SMOKE, '--ablate', 'L2H3', '--out', 'o'], /'L2H3' is not a head/],
  ['clamp', '--ablate 1:9', () => ['train', ...SMOKE, '--ablate', '1:9', '--out', 'o'], /interventions\.ablate\[0\]: head "1:9": head 9 out of range/],
  ['clamp', '--pt-clamp 0:2@abc', () => ['train', ...SMOKE, '--pt-clamp', '0:2@abc', '--out', 'o'], /strength 'abc'/],
  ['clamp', '--ih-clamp 1:3@-0.1', () => ['train', ...SMOKE, '--ih-clamp', '1:3@-0.1', '--out', 'o'], /strength '-0\.1'/],
  ['clamp', '--ih-clamp and --pt-clamp on one head', () => ['train', ...SMOKE, '--ih-clamp', '1:3', '--pt-clamp', '1:3', '--out', 'o'], /contradicts prevToken: both set the attention pattern of head "1:3"/],
  ['clamp', '--perfect-copy 0:1 with --perfect-l1', () => ['train', ...SMOKE, '--perfect-copy', '0:1', '--perfect-l1', '--out', 'o'], /perfectCopy\.head: head "0:1" is in layer 0/],
  ['clamp', '--graft-till without --graft', () => ['train', ...SMOKE, '--graft-till', '0', '--out', 'o'], /--graft-till needs --graft/],
  ['clamp', '--graft-till -1', () => ['train', ...SMOKE, '--graft', 'x.safetensors', '--graft-till', '-1', '--out', 'o'], /--graft-till.*'-1'/],
  ['clamp', '--graft of a missing checkpoint', () => ['train', ...SMOKE, '--graft', 'nope.safetensors', '--out', 'o'], /nope\.safetensors/],
  ['clamp', '--graft of a corrupt checkpoint', (d) => {
    withRun(d);
    const f = path.join(d, 'r', 'checkpoints', 'seqs-0000000640.safetensors');
    const b = fs.readFileSync(f);
    b[b.length - 9] ^= 1;
    fs.writeFileSync(f, b);
    return ['train', ...SMOKE, '--graft', 'r/checkpoints/seqs-0000000640.safetensors', '--out', 'o'];
  }, /seqs-0000000640\.safetensors: checksum mismatch/],
  ['clamp', '--clamp file is []', (d) => ['train', ...SMOKE, '--clamp', put(d, 's.json', '[]'), '--out', 'o'], /s\.json: a clamp spec must be a JSON object, got an array/],
  ['clamp', '--clamp file is null', (d) => ['train', ...SMOKE, '--clamp', put(d, 's.json', 'null'), '--out', 'o'], /s\.json: .*got null/],
  ['clamp', '--clamp file malformed', (d) => ['train', ...SMOKE, '--clamp', put(d, 's.json', '{"ablate": ['), '--out', 'o'], /s\.json: malformed JSON/],
  ['clamp', '--clamp file missing', () => ['train', ...SMOKE, '--clamp', 'nope.json', '--out', 'o'], /clamp spec not found: nope\.json/],
  ['clamp', '--clamp with an unknown field', (d) => ['train', ...SMOKE, '--clamp', json(d, 's.json', { ablate: [], clampSite: 'x' }), '--out', 'o'], /clampSite/],
  ['clamp', '--clamp with version 2', (d) => ['train', ...SMOKE, '--clamp', json(d, 's.json', { version: 2 }), '--out', 'o'], /interventions\.version/],
  ['clamp', '--clamp with a duplicate head', (d) => ['train', ...SMOKE, '--clamp', json(d, 's.json', { ablate: ['1:2', '1:2'] }), '--out', 'o'], /head "1:2" listed twice/],
  ['clamp', 'eval --only-head 1:8 against the run\'s model', (d) => ['eval', withRun(d), '--only-head', '1:8'], /--only-head 1:8: .*head 8 out of range/],
  ['clamp', 'eval --ablate 3:0', (d) => ['eval', withRun(d), '--ablate', '3:0'], /clamp\.ablate\[0\]: head "3:0": layer 3 out of range/],
  ['clamp', 'analyze --what progress without a spec', (d) => ['analyze', withRun(d), '--what', 'progress', '--size', '64'], /--what progress needs a spec/],
  // --- paths
  ['path', 'train --out /proc/x (a pseudo file system)', () => ['train', ...SMOKE, '--out', '/proc/opto-x'], /--out \/proc\/opto-x: cannot create \/proc\/opto-x/],
  ['path', 'train --out an existing file', (d) => ['train', ...SMOKE, '--out', put(d, 'f', 'x')], /--out f exists and is not a directory/],
  ['path', 'train --out a non-empty directory', (d) => (put(d, 'o/x', 'x'), ['train', ...SMOKE, '--out', 'o']), /--out o exists and is not empty/],
  ['path', 'train --out under a file', (d) => (put(d, 'f', 'x'), ['train', ...SMOKE, '--out', 'f/o']), /--out f\/o.*not a directory/],
  ['path', 'train --out a finished run', (d) => ['train', ...SMOKE, '--out', withRun(d)], /--out r already holds a finished run/],
  ['path', 'train --resume a missing directory', () => ['train', '--resume', 'nope'], /nope is not a run directory/],
  ['path', 'train --resume a finished run', (d) => ['train', '--resume', withRun(d)], /r is already finished; nothing to resume/],
  ['path', 'sweep --runs /proc/x', () => ['sweep', 'smoke', '--runs', '/proc/opto-x'], /runs directory \/proc\/opto-x is not writable/],
  ['path', 'toy --out <run>/run.json', (d) => ['toy', '--iters', '5', '--out', `${withRun(d)}/run.json`], /--out r\/run\.json already exists; pass --force/],
  ['path', 'toy --out <run>/run.json --force', (d) => ['toy', '--iters', '5', '--out', `${withRun(d)}/run.json`, '--force'], /--out r\/run\.json is inside the run directory/],
  ['path', 'toy --out a new file inside a run directory', (d) => ['toy', '--iters', '5', '--out', `${withRun(d)}/checkpoints/fig.svg`], /is inside the run directory/],
  ['path', 'toy --out an existing figure', (d) => ['toy', '--iters', '5', '--out', put(d, 'fig.svg', '<svg/>')], /--out fig\.svg already exists; pass --force/],
  ['path', 'toy --out x.png', () => ['toy', '--iters', '5', '--out', 'x.png'], /--out x\.png: the figure is written as \.svg .*not '\.png'/],
  ['path', 'toy --out with no extension', () => ['toy', '--iters', '5', '--out', 'fig'], /--out fig: .*no extension/],
  ['path', 'toy --out a directory', (d) => (fs.mkdirSync(path.join(d, 'x.svg')), ['toy', '--iters', '5', '--out', 'x.svg']), /--out x\.svg is a directory/],
  ['path', 'toy --out /proc/x/fig.svg', () => ['toy', '--iters', '5', '--out', '/proc/opto-x/fig.svg'], /--out \/proc\/opto-x\/fig\.svg: cannot create/],
  ['flag', 'toy --iters 0', () => ['toy', '--iters', '0'], /--iters.*'0'/],
  ['flag', 'toy --seeds a,b', () => ['toy', '--seeds', 'a,b'], /--seeds.*'a,b'/],
  // --- run directories in every broken state
  ['rundir', 'eval: not a run directory', (d) => (fs.mkdirSync(path.join(d, 'x')), ['eval', 'x']), /x is not a run directory \(no run\.json\)/],
  ['rundir', 'eval: run.json truncated', (d) => (withRun(d), fs.truncateSync(path.join(d, 'r', 'run.json'), 50), ['eval', 'r']), /r\/run\.json: not valid JSON/],
  ['rundir', 'eval: run.json with a flipped digit', (d) => {
    withRun(d);
    const f = path.join(d, 'r', 'run.json');
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('"seqs": 640', '"seqs": 641'));
    return ['eval', 'r'];
  }, /r\/run\.json: checksum mismatch/],
  ['rundir', 'eval: run.json without config', (d) => (withRun(d), editRecord(d, (r) => delete r.config), ['eval', 'r']), /r\/run\.json: no config/],
  ['rundir', 'eval: run.json of another schema', (d) => (withRun(d), editRecord(d, (r) => (r.schema = 'other/2')), ['eval', 'r']), /unknown schema "other\/2"/],
  ['rundir', 'eval: run.json with a bad status', (d) => (withRun(d), editRecord(d, (r) => (r.status = 'weird')), ['eval', 'r']), /status "weird" is not one of/],
  ['rundir', 'eval: run.json is []', (d) => (withRun(d), put(d, 'r/run.json', '[]'), ['eval', 'r']), /r\/run\.json: not a run record/],
  ['rundir', 'eval: no checkpoints', (d) => (withRun(d), fs.rmSync(path.join(d, 'r', 'checkpoints'), { recursive: true }), ['eval', 'r']), /r: no checkpoints saved yet/],
  ['rundir', 'eval: newest checkpoint truncated', (d) => (withRun(d), fs.truncateSync(path.join(d, 'r/checkpoints/seqs-0000000640.safetensors'), 1000), ['eval', 'r']), /seqs-0000000640\.safetensors: .*(exceeds|checksum)/],
  ['rundir', 'eval: newest checkpoint with a flipped bit', (d) => {
    withRun(d);
    const f = path.join(d, 'r/checkpoints/seqs-0000000640.safetensors');
    const b = fs.readFileSync(f);
    b[b.length - 1] ^= 0x80;
    fs.writeFileSync(f, b);
    return ['eval', 'r'];
  }, /seqs-0000000640\.safetensors: checksum mismatch/],
  ['rundir', 'eval: checkpoint header without its checksum', (d) => {
    withRun(d);
    const f = path.join(d, 'r/checkpoints/seqs-0000000640.safetensors');
    const b = fs.readFileSync(f);
    fs.writeFileSync(f, Buffer.from(b.toString('latin1').replace('"sha256"', '"sha257"'), 'latin1'));
    return ['eval', 'r'];
  }, /seqs-0000000640\.safetensors: no sha256 checksum/],
  ['rundir', 'eval: checkpoint that is text', (d) => (withRun(d), put(d, 'r/checkpoints/seqs-0000000640.safetensors', 'hello'), ['eval', 'r']), /seqs-0000000640\.safetensors: file too short/],
  ['rundir', 'eval: --checkpoint that does not exist', (d) => ['eval', withRun(d), '--checkpoint', '999'], /no checkpoint at 999 sequences/],
  ['rundir', 'eval: metrics.jsonl with a broken row', (d) => {
    withRun(d);
    const f = path.join(d, 'r', 'metrics.jsonl');
    const lines = fs.readFileSync(f, 'utf8').split('\n');
    lines[2] = lines[2].slice(0, 20);
    fs.writeFileSync(f, lines.join('\n'));
    return ['runs', 'show', 'r', '--runs', '.'];
  }, /metrics\.jsonl:3: malformed metrics row/],
  ['rundir', 'analyze: newest checkpoint corrupt', (d) => {
    withRun(d);
    const f = path.join(d, 'r/checkpoints/seqs-0000000640.safetensors');
    const b = fs.readFileSync(f);
    b[b.length - 5] ^= 2;
    fs.writeFileSync(f, b);
    return ['analyze', 'r', '--what', 'ablation', '--size', '64'];
  }, /seqs-0000000640\.safetensors: checksum mismatch/],
  ['rundir', 'analyze: --checkpoint that does not exist', (d) => ['analyze', withRun(d), '--what', 'ablation', '--checkpoint', '5'], /no checkpoint at 5 sequences/],
  ['flag', 'analyze --what vibes', (d) => ['analyze', withRun(d), '--what', 'vibes'], /--what.*vibes/],
  ['flag', 'analyze --size 0', (d) => ['analyze', withRun(d), '--what', 'ablation', '--size', '0'], /--size.*'0'/],
  ['flag', 'analyze --checkpoints 0', (d) => ['analyze', withRun(d), '--what', 'strength', '--checkpoints', '0'], /--checkpoints.*'0'/],
  ['flag', 'analyze without --what', (d) => ['analyze', withRun(d)], /required option '--what/],
  ['flag', 'eval without a run', () => ['eval'], /missing required argument 'run'/],
  ['flag', 'eval --checkpoint -3', (d) => ['eval', withRun(d), '--checkpoint', '-3'], /--checkpoint.*'-3'/],
  // --- eval --sequences / --record on the tasks beyond the paper's (issue 23): the file checked against the run's task format
  ['sequences', "eval --sequences: the paper's 6 columns on a 3-shot run", (d) => ['eval', withTaskRun(d, 'k3'), '--sequences', ints(d, [2, 6], [0, 0, 5, 1, 10, 0, 0, 0, 5, 1, 10, 0])], /--sequences s\.npy: shape \(2, 6\), expected \(n, 8\) with columns x1 l1 x2 l2 x3 l3 xq target for fewShot with 3 shots/],
  ['sequences', 'eval --sequences: float32 rows on a 3-shot run', (d) => ['eval', withTaskRun(d, 'k3'), '--sequences', npy(d, 's.npy', [2, 8])], /--sequences s\.npy: dtype '<f4' is not an integer type; expected '<i4' or '<i8'/],
  ['sequences', 'eval --sequences: label l3 out of range on a 3-shot run', (d) => ['eval', withTaskRun(d, 'k3'), '--sequences', ints(d, [2, 8], [0, 0, 5, 1, 10, 2, 0, 0, 0, 0, 5, 1, 10, 5, 0, 0])], /--sequences s\.npy: row 1, column l3: 5 is outside the 5 labels/],
  ['sequences', 'eval --sequences: a negative query row on a 3-shot run', (d) => ['eval', withTaskRun(d, 'k3'), '--sequences', ints(d, [1, 8], [0, 0, 5, 1, 10, 2, -1, 0])], /--sequences s\.npy: row 0, column xq: -1 is outside the feature table's 8115 rows \(1623 classes x 5 exemplars\)/],
  ['sequences', 'eval --sequences: target out of range on a 3-shot run, with --record', (d) => ['eval', withTaskRun(d, 'k3'), '--sequences', ints(d, [1, 8], [0, 0, 5, 1, 10, 2, 0, 9]), '--record', 'sites.safetensors'], /--sequences s\.npy: row 0, column target: 9 is outside the 5 labels/],
  ['sequences', 'eval --record into a missing directory on a 3-shot run', (d) => ['eval', withTaskRun(d, 'k3'), '--record', 'no/s.safetensors'], /--record no\/s\.safetensors: directory .* does not exist/],
  ['sequences', 'eval --sequences: training batches [steps, batch, 10] on a bursty run', (d) => ['eval', withTaskRun(d, 'bursty'), '--sequences', ints(d, [2, 1, 10], Array(20).fill(0))], /--sequences s\.npy: shape \(2, 1, 10\), expected \(n, 10\) with columns x1 l1 x2 l2 … l4 xq target for bursty \(4 pairs\)/],
  ['sequences', 'eval --sequences: no rows on a bursty run', (d) => ['eval', withTaskRun(d, 'bursty'), '--sequences', ints(d, [0, 10], [])], /--sequences s\.npy: no sequences \(shape \(0, 10\)\)/],
  ['sequences', 'eval --sequences: a feature row past the table on a bursty run', (d) => ['eval', withTaskRun(d, 'bursty'), '--sequences', ints(d, [1, 10], [0, 0, 1, 0, 2, 1, 3, 1, 8115, 0])], /--sequences s\.npy: row 0, column xq: 8115 is outside the feature table's 8115 rows/],
  ['sequences', 'eval --sequences: a token outside the vocabulary on a repeated-token run', (d) => ['eval', withTaskRun(d, 'rep'), '--sequences', ints(d, [1, 9], [0, 1, 2, 3, 4, 5, 1, 12, 3])], /--sequences s\.npy: row 0, column r2: 12 is outside the vocabulary of 12 tokens \(task\.numLabels\)/],
  ['sequences', 'eval --sequences: another prefix length on a repeated-token run', (d) => ['eval', withTaskRun(d, 'rep'), '--sequences', ints(d, [1, 8], [0, 1, 2, 3, 4, 1, 2, 3])], /--sequences s\.npy: shape \(1, 8\), expected \(n, 9\) with columns p1 p2 p3 p4 … r1 r2 target for repeatTokens \(6 \+ 2 tokens\)/],
  ['sequences', 'eval --sequences: big-endian ints on a repeated-token run', (d) => ['eval', withTaskRun(d, 'rep'), '--sequences', rawNpy(d, 's.npy', HDR('>i4', '(1, 9)'), new Uint8Array(36))], /--sequences s\.npy: dtype '>i4' is big-endian; expected '<i4' or '<i8'/],
  ['sequences', 'eval --sequences: an int64 past 2^53 on a repeated-token run', (d) => {
    const v = new BigInt64Array(9);
    v[4] = 2n ** 60n;
    return ['eval', withTaskRun(d, 'rep'), '--sequences', rawNpy(d, 's.npy', HDR('<i8', '(1, 9)'), new Uint8Array(v.buffer))];
  }, /--sequences s\.npy: element 4 \(1152921504606846976\) is too large/],
  ['sequences', 'data export --run with a config file too', (d) => ['data', 'export', json(d, 'c.json', TASK_RUNS.rep), '--run', withTaskRun(d, 'rep'), '--out', 'e'], /--run r exports the run's own data; drop the config file c\.json/],
  ['sequences', 'data export of a bursty config the features cannot hold', (d) => ['data', 'export', json(d, 'c.json', { task: { kind: 'bursty', numLabels: 5, bursty: { trainClasses: 1600, holdoutClasses: 100 } } }), '--out', 'e'], /task\.bursty\.trainClasses 1600 \+ holdoutClasses 100 need 1700 classes, the features have 1623/],
  ['sequences', 'eval --sequences: a directory on a repeated-token run', (d) => (fs.mkdirSync(path.join(d, 'seqs')), ['eval', withTaskRun(d, 'rep'), '--sequences', 'seqs']), /--sequences seqs: is a directory, expected an \.npy file of int \[n, 9\]/],
  // --- runs
  ['flag', 'runs ls --status bogus', () => ['runs', 'ls', '--runs', '.', '--status', 'bogus'], /--status.*expected one of running, stale, finished, failed, interrupted, got 'bogus'/],
  ['path', 'runs ls --runs missing', () => ['runs', 'ls', '--runs', 'nope'], /runs directory nope does not exist/],
  ['path', 'runs ls --runs a file', (d) => ['runs', 'ls', '--runs', put(d, 'f', '')], /runs directory f is not a directory/],
  ['rundir', 'runs show: no such run', (d) => (withRun(d), ['runs', 'show', 'zzz', '--runs', '.']), /no run 'zzz' in \./],
  ['rundir', 'runs show: ambiguous prefix', (d) => (withRun(d, 'ra'), withRun(d, 'rb'), ['runs', 'show', 'r', '--runs', '.']), /'r' matches 2 runs/],
  ['query', 'runs query COPY ... TO a file', (d) => (withRun(d), ['runs', 'query', '--runs', '.', "COPY (SELECT * FROM runs) TO 'out.csv'"]), /only read-only statements .* COPY statement/],
  ['query', 'runs query ATTACH', (d) => (withRun(d), ['runs', 'query', '--runs', '.', "ATTACH 'x.duckdb' AS x"]), /only read-only statements .* ATTACH statement/],
  ['query', 'runs query CREATE TABLE', (d) => (withRun(d), ['runs', 'query', '--runs', '.', 'CREATE TABLE t AS SELECT 1']), /only read-only statements .* CREATE statement/],
  ['query', 'runs query INSTALL', () => ['runs', 'query', '--runs', '.', 'INSTALL httpfs'], /only read-only statements/],
  ['query', 'runs query SET', () => ['runs', 'query', '--runs', '.', "SET threads = 1"], /only read-only statements .* SET statement/],
  ['query', 'runs query two statements', () => ['runs', 'query', '--runs', '.', 'SELECT 1; SELECT 2'], /give exactly one SQL statement \(got 2\)/],
  ['query', 'runs query a syntax error', () => ['runs', 'query', '--runs', '.', 'SELEC 1'], /query failed: .*syntax error/i],
  ['query', 'runs query an unknown column', (d) => (withRun(d), ['runs', 'query', '--runs', '.', 'SELECT nope FROM runs']), /query failed: .*nope/],
  ['query', 'runs query an empty statement', () => ['runs', 'query', '--runs', '.', '   '], /give exactly one SQL statement \(got 0\)/],
  // --- sweeps
  ['sweep', 'sweep spec is []', (d) => ['sweep', put(d, 's.json', '[]'), '--runs', 'runs'], /s\.json: a sweep spec must be a JSON object, got an array/],
  ['sweep', 'sweep spec is null', (d) => ['sweep', put(d, 's.json', 'null'), '--runs', 'runs'], /s\.json: .*got null/],
  ['sweep', 'sweep spec without a name', (d) => ['sweep', json(d, 's.json', { base: {} }), '--runs', 'runs'], /s\.json: name/],
  ['sweep', 'sweep spec with a name that is a path', (d) => ['sweep', json(d, 's.json', { name: '../x' }), '--runs', 'runs'], /s\.json: name/],
  ['sweep', 'sweep grid over an empty list', (d) => ['sweep', json(d, 's.json', { name: 'a', grid: { 'task.numLabels': [] } }), '--runs', 'runs'], /grid\.task\.numLabels: expected a non-empty list/],
  ['sweep', 'sweep grid over a bad path', (d) => ['sweep', json(d, 's.json', { name: 'a', grid: { 'task..x': [1] } }), '--runs', 'runs'], /expected a dotted config path/],
  ['sweep', 'sweep zip of unequal lists', (d) => ['sweep', json(d, 's.json', { name: 'a', zip: { 'task.numLabels': [5, 10], 'seeds.init': [5] } }), '--runs', 'runs'], /zipped lists must have equal lengths/],
  ['sweep', 'sweep member with 1e9 labels', (d) => ['sweep', json(d, 's.json', { name: 'a', base: { preset: 'smoke' }, grid: { 'task.numLabels': [5, 1e9] } }), '--runs', 'runs', '--no-progress'], /member 1 \(task\.numLabels=1000000000\): task\.numLabels: .*at most 1448 labels/],
  ['sweep', 'sweep seeds as a string', (d) => ['sweep', json(d, 's.json', { name: 'a', seeds: '5' }), '--runs', 'runs'], /seeds/],
  ['sweep', 'sweep --workers 0', () => ['sweep', 'smoke', '--workers', '0'], /--workers.*'0'/],
  ['sweep', 'sweep an unknown preset', () => ['sweep', 'nope'], /sweep spec not found: nope/],
  ['sweep', 'sweep --attempts x', () => ['sweep', 'smoke', '--attempts', 'x'], /--attempts.*'x'/],
  // --- feature files (--data) through the CLI
  ['data', '--data a missing file', () => ['train', ...SMOKE, '--data', 'nope.npy', '--out', 'o'], /feature file nope\.npy: not found/],
  ['data', '--data a truncated HDF5 file (no HDF5-DIAG dump)', (d) => {
    writeH5(path.join(d, 'full.h5'), { 'resnet18/224/feat': [10, 5, 8] });
    const b = fs.readFileSync(path.join(d, 'full.h5'));
    fs.writeFileSync(path.join(d, 'trunc.h5'), b.subarray(0, b.length >> 1));
    return ['train', ...SMOKE, '--data', 'trunc.h5', '--out', 'o'];
  }, /feature file trunc\.h5: not a readable HDF5 file \(truncated file/],
  ['data', '--data a text file named .h5', (d) => ['train', ...SMOKE, '--data', put(d, 'f.h5', 'hello'), '--out', 'o'], /f\.h5: not an HDF5 file/],
  ['data', '--data an .npy with a bad magic', (d) => ['train', ...SMOKE, '--data', put(d, 'f.npy', 'NUMPY....'), '--out', 'o'], /f\.npy: not an NPY file/],
  ['data', '--data a .csv', (d) => ['train', ...SMOKE, '--data', put(d, 'f.csv', '1,2'), '--out', 'o'], /f\.csv: unknown extension '\.csv'/],
  ['data', '--data an int64 dataset in HDF5', (d) => {
    const script = `const h5 = await import('h5wasm/node'); await h5.ready; const f = new h5.File(${JSON.stringify(path.join(d, 'i.h5'))}, 'w'); f.create_dataset({ name: 'feat', data: new Int32Array(8), shape: [2, 2, 2], dtype: '<i' }); f.close();`;
    const c = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: path.dirname(MAIN), encoding: 'utf8' });
    if (c.status !== 0) throw new Error(c.stderr);
    return ['train', ...SMOKE, '--data', 'i.h5', '--dataset-path', 'feat', '--out', 'o'];
  }, /i\.h5: dataset 'feat' has dtype .* expected float32 or float64/],
  // --- ports, hosts, Redis URLs
  ['port', 'dashboard --port 99999', (d) => ['dashboard', '--runs', d, '--port', '99999'], /--port.*expected a port 0\.\.65535, got '99999'/],
  ['port', 'dashboard --port -1', (d) => ['dashboard', '--runs', d, '--port', '-1'], /--port.*'-1'/],
  ['port', 'dashboard --port http', (d) => ['dashboard', '--runs', d, '--port', 'http'], /--port.*'http'/],
  ['host', 'dashboard --host 999.1.1.1', (d) => ['dashboard', '--runs', d, '--host', '999.1.1.1'], /--host 999\.1\.1\.1: cannot listen there/],
  ['host', 'dashboard --host with a space', (d) => ['dashboard', '--runs', d, '--host', 'a b'], /--host a b: not an IP address or host name/],
  ['host', 'dashboard --host 192.0.2.1 (not this machine)', (d) => ['dashboard', '--runs', d, '--host', '192.0.2.1', '--port', '0'], /--host 192\.0\.2\.1: cannot listen there \(EADDRNOTAVAIL\)/],
  ['path', 'dashboard --runs missing', () => ['dashboard', '--runs', 'nope'], /--runs nope is not a directory/],
  ['path', 'dashboard without --runs', () => ['dashboard'], /required option '--runs/],
  ['redis', 'worker --queue not a URL', () => ['worker', '--queue', 'localhost', '--runs', 'runs'], /--queue localhost: expected redis:\/\/host:port/],
  ['redis', 'worker --queue http://', () => ['worker', '--queue', 'http://127.0.0.1:6379', '--runs', 'runs'], /got protocol http:/],
  ['redis', 'worker --queue redis:// without a host', () => ['worker', '--queue', 'redis://', '--runs', 'runs'], /--queue redis:\/\/: (no host|expected)/],
  ['redis', 'worker --queue redis://host:99999', () => ['worker', '--queue', 'redis://127.0.0.1:99999', '--runs', 'runs'], /--queue redis:\/\/127\.0\.0\.1:99999/],
  ['redis', 'sweep --queue ftp://', () => ['sweep', 'smoke', '--queue', 'ftp://x'], /--queue ftp:\/\/x: .*protocol ftp:/],
  ['redis', 'worker --concurrency 0', () => ['worker', '--queue', 'redis://127.0.0.1:1', '--runs', 'runs', '--concurrency', '0'], /--concurrency.*'0'/],
  ['redis', 'worker without --queue', () => ['worker', '--runs', 'runs'], /required option '--queue/],
  // --- report and bench
  ['path', 'report --runs missing', () => ['report', '--runs', 'nope', '--no-analyses'], /nope/],
  ['flag', 'report --size abc', () => ['report', '--size', 'abc'], /--size.*'abc'/],
  ['flag', 'report --dataset-path without --data', () => ['report', '--dataset-path', 'a/b'], /--dataset-path a\/b: give the feature file with --data/],
  ['flag', 'bench --steps 0', () => ['bench', '--steps', '0'], /--steps.*'0'/],
  ['flag', 'bench --workers x', () => ['bench', '--sweep', '--workers', 'x'], /--workers.*'x'/],
  ['flag', 'bench --batched-runs 0', () => ['bench', '--batched-runs', '0'], /--batched-runs.*'0'/],
  ['flag', 'bench --model unknown', () => ['bench', '--model', 'mlp9'], /--model: unknown variant 'mlp9' \(paper, mlp4-d128, or a JSON model section/],
  ['flag', 'bench --model with 7 layers', () => ['bench', '--model', '{"nLayers":7}'], /--model: model\.nLayers: .*6 \(got 7\)/],
  ['path', 'bench --baseline-core not a core-wasm build', () => ['bench', '--baseline-core', 'nope'], /--baseline-core: .*nope[/\\]dist[/\\]index\.js not found/],
];

type EngineCase = [kind: string, name: string, setup: (d: string) => () => unknown, culprit: RegExp];

/** The file-content cases, in-process through the functions the CLI calls for them. */
const trainConfig = (file: string) => () => parseRunConfig(mergeConfig(presetConfig('smoke'), readJsonObject(file, 'config file')), file);
const clamp = (spec: unknown) => () => parseInterventionSpec(spec, { nLayers: 2, nHeads: 8 }, 'clamp');
const sweep = (d: string, body: string) => {
  const file = at(d, 's.json', body);
  return () => expandSweep(loadSweepSpec(file).input, 's.json');
};
const features = (file: string, datasetPath?: string) => () => loadFeatureFile(file, { datasetPath });
/** `put`, giving the absolute path (in-process cases do not change the working directory). */
const at = (d: string, name: string, body: string | Uint8Array) => path.join(d, put(d, name, body));
const f32 = (n: number) => new Uint8Array(new Float32Array(n).fill(0.5).buffer);
const HDR = (descr: string, shape: string, fortran = 'False') => {
  const h = `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
  return h + ' '.repeat(63 - ((10 + h.length) % 64)) + '\n';
};

const ENGINE: EngineCase[] = [
  // JSON configs in every shape
  ...(
    [
      ['[]', /got an array/],
      ['"hello"', /got a string/],
      ['null', /got null/],
      ['true', /got a boolean/],
      ['3.5', /got a number/],
      ['', /malformed JSON/],
      ['{', /malformed JSON/],
      ["{'seqs': 5}", /malformed JSON/],
      ['{"a":1}{"b":2}', /malformed JSON/],
      ['{"schedule": null}', /schedule/],
      ['{"schedule": {"seqs": -1}}', /schedule\.seqs/],
      ['{"schedule": {"seqs": 1e400}}', /schedule\.seqs/],
      ['{"task": {"numLabels": 1.5}}', /task\.numLabels/],
      ['{"task": {"classSplit": [50, 1473]}}', /task\.classSplit/],
      ['{"seeds": {"init": "5"}}', /seeds\.init/],
      ['{"model": {"nLayers": 0}}', /model\.nLayers/],
      ['{"optim": {"lr": -1}}', /optim\.lr/],
      ['{"optim": {"beta1": 2}}', /optim\.beta1/],
      ['{"data": {"source": ""}}', /data\.source/],
      ['{"backend": 5}', /backend/],
      ['{"interventions": {"ablate": "1:3"}}', /interventions\.ablate/],
      ['{"extra": 1}', /extra/],
    ] as [string, RegExp][]
  ).map(([body, re]): EngineCase => ['config', `config ${JSON.stringify(body)}`, (d) => trainConfig(path.join(d, put(d, 'c.json', body))), re]),
  ['config', 'config in latin-1 with a stray byte', (d) => trainConfig(at(d, 'c.json', Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d]))), /c\.json: .*(unrecognized|\uFFFD)/],
  ['config', 'config that is binary', (d) => trainConfig(at(d, 'c.json', Buffer.from([0, 1, 2, 255]))), /c\.json: malformed JSON/],
  // clamp specs in every shape
  ...(
    [
      [[], /clamp: .*expected object, received array/i],
      ['x', /clamp: .*expected object, received string/i],
      [{ ablate: ['01:3'] }, /clamp\.ablate\.0: a head is "layer:head"/],
      [{ ablate: ['1:3 '] }, /clamp\.ablate\.0/],
      [{ ablate: [13] }, /clamp\.ablate\.0/],
      [{ ablate: ['9:0'] }, /layer 9 out of range/],
      [{ prevToken: { heads: [] } }, /clamp\.prevToken\.heads/],
      [{ prevToken: { heads: ['0:2'], strength: 1.5 } }, /strength must be in \[0, 1\]/],
      [{ prevToken: { heads: ['0:2'], strength: '1' } }, /clamp\.prevToken\.strength/],
      [{ match: { heads: ['1:3'], extra: 1 } }, /clamp\.match/],
      [{ match: { heads: ['1:3', '1:3'] } }, /listed twice/],
      [{ perfectCopy: { head: '1:8' } }, /head 8 out of range/],
      [{ perfectLayer1: 'yes' }, /clamp\.perfectLayer1/],
      [{ perfectLayer1: true, ablate: ['0:1'] }, /layer 0, whose output perfectLayer1 replaces/],
      [{ perfectLayer1: true, graft: { checkpoint: 'x.safetensors' } }, /contradicts graft/],
      [{ preserve: { patterns: true }, match: { heads: ['1:3'] } }, /preserve\.patterns: contradicts match/],
      [{ graft: { checkpoint: '' } }, /clamp\.graft\.checkpoint/],
      [{ graft: { checkpoint: 'x', tillLayer: 5 } }, /graft\.tillLayer: 5 out of range/],
      [{ graft: { checkpoint: 'x', tillLayer: 0 }, ablate: ['0:1'] }, /head "0:1" is in layer 0, whose output the graft replaces/],
      [{ version: 0 }, /clamp\.version/],
    ] as [unknown, RegExp][]
  ).map(([spec, re]): EngineCase => ['clamp', `clamp spec ${JSON.stringify(spec)}`, () => clamp(spec), re]),
  // sweep specs
  ['sweep', 'sweep spec "hello"', (d) => sweep(d, '"hello"'), /s\.json: a sweep spec must be a JSON object, got a string/],
  ['sweep', 'sweep spec truncated', (d) => sweep(d, '{"name": "a", "grid": {'), /s\.json: malformed JSON/],
  ['sweep', 'sweep spec with an unknown key', (d) => sweep(d, '{"name": "a", "grdi": {}}'), /grdi/],
  ['sweep', 'sweep variants empty', (d) => sweep(d, '{"name": "a", "variants": []}'), /variants: expected a non-empty list/],
  ['sweep', 'sweep seeds with a negative', (d) => sweep(d, '{"name": "a", "seeds": [5, -1]}'), /seeds/],
  ['sweep', 'sweep with too many members', (d) => sweep(d, JSON.stringify({ name: 'a', grid: { 'seeds.init': Array.from({ length: 200 }, (_, i) => i + 10), 'seeds.train': Array.from({ length: 60 }, (_, i) => i + 300) } })), /10,?000|members/],
  ['sweep', 'sweep member with an invalid config', (d) => sweep(d, JSON.stringify({ name: 'a', grid: { 'schedule.seqs': [64, -1] } })), /member 1 .*schedule\.seqs/],
  // feature files in every broken shape and encoding
  ['data', 'npy: empty file', (d) => features(at(d, 'f.npy', '')), /f\.npy: not an NPY file/],
  ['data', 'npy: magic only', (d) => features(at(d, 'f.npy', '\x93NUMPY')), /f\.npy: not an NPY file/],
  ['data', 'npy: version 9', (d) => features(path.join(d, rawNpy(d, 'f.npy', HDR('<f4', '(2, 2, 2)'), f32(8), 9))), /unsupported NPY format version 9/],
  ['data', 'npy: header longer than the file', (d) => features(at(d, 'f.npy', Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), Buffer.from([0xff, 0x7f]), Buffer.from('{}')]))), /truncated NPY header/],
  ['data', 'npy: header without a shape', (d) => features(path.join(d, rawNpy(d, 'f.npy', "{'descr': '<f4', 'fortran_order': False}\n", f32(8)))), /malformed NPY header/],
  ['data', 'npy: fortran order', (d) => features(path.join(d, rawNpy(d, 'f.npy', HDR('<f4', '(2, 2, 2)', 'True'), f32(8)))), /fortran_order/],
  ['data', 'npy: big-endian float32', (d) => features(path.join(d, rawNpy(d, 'f.npy', HDR('>f4', '(2, 2, 2)'), f32(8)))), /big-endian/],
  ['data', 'npy: int32', (d) => features(path.join(d, rawNpy(d, 'f.npy', HDR('<i4', '(2, 2, 2)'), f32(8)))), /dtype '<i4' is not float/],
  ['data', 'npy: float16', (d) => features(path.join(d, rawNpy(d, 'f.npy', HDR('<f2', '(2, 2, 2)'), f32(4)))), /dtype '<f2' is not float/],
  ['data', 'npy: data truncated', (d) => features(path.join(d, rawNpy(d, 'f.npy', HDR('<f4', '(2, 2, 2)'), f32(7)))), /data has 28 bytes, shape \(2, 2, 2\) of '<f4' needs 32/],
  ['data', 'npy: shape claims 1e12 elements', (d) => features(path.join(d, rawNpy(d, 'f.npy', HDR('<f4', '(1000000, 1000000, 1)'), f32(8)))), /needs 4000000000000/],
  ['data', 'npy: negative shape entry', (d) => features(path.join(d, rawNpy(d, 'f.npy', HDR('<f4', '(2, -2, 2)'), f32(8)))), /bad shape entry '-2'/],
  ['data', 'npy: rank 2', (d) => features(path.join(d, npy(d, 'f.npy', [300, 40]))), /rank 2/],
  ['data', 'npy: rank 4', (d) => features(path.join(d, npy(d, 'f.npy', [2, 2, 2, 2]))), /rank 4/],
  ['data', 'npy: zero classes', (d) => features(path.join(d, npy(d, 'f.npy', [0, 5, 8]))), /f\.npy/],
  ['data', 'npy: a NaN', (d) => features(path.join(d, npy(d, 'f.npy', [4, 2, 3], (i) => (i === 5 ? NaN : 1)))), /f\.npy.*(NaN|non-finite)/],
  ['data', 'npy: an Infinity', (d) => features(path.join(d, npy(d, 'f.npy', [4, 2, 3], (i) => (i === 7 ? Infinity : 1)))), /f\.npy.*(non-finite|Inf)/],
  ['data', 'npy: float64 beyond float32', (d) => features(path.join(d, rawNpy(d, 'f.npy', HDR('<f8', '(1, 1, 2)'), new Uint8Array(new Float64Array([1, 1e300]).buffer)))), /f\.npy.*(non-finite|float32)/],
  ['data', 'npy: a directory', (d) => (fs.mkdirSync(path.join(d, 'f.npy')), features(path.join(d, 'f.npy'))), /f\.npy: not a regular file/],
  ['data', 'h5: dataset missing', (d) => features(writeH5(path.join(d, 'f.h5'), { other: [2, 2, 2] })), /no dataset 'resnet18\/224\/feat' \(missing 'resnet18'\)/],
  ['data', 'h5: rank 2 dataset', (d) => features(writeH5(path.join(d, 'f.h5'), { 'a/feat': [4, 4] }), 'a/feat'), /dataset 'a\/feat' has rank 2/],
  ['data', 'h5: a group where the dataset should be', (d) => features(writeH5(path.join(d, 'f.h5'), { 'a/feat/x': [2, 2, 2] }), 'a/feat'), /'a\/feat' is not a dataset/],
  ['data', 'h5: a dataset where a group should be', (d) => features(writeH5(path.join(d, 'f.h5'), { a: [2, 2, 2] }), 'a/feat'), /'a' is not a group/],
  ['data', 'h5: empty dataset path', (d) => features(writeH5(path.join(d, 'f.h5'), { a: [2, 2, 2] }), '/'), /empty dataset path/],
  ['data', 'h5: a flipped bit in the superblock', (d) => {
    const f = writeH5(path.join(d, 'f.h5'), { 'resnet18/224/feat': [4, 2, 3] });
    const b = fs.readFileSync(f);
    b[44] ^= 0xff;
    fs.writeFileSync(f, b);
    return features(f);
  }, /f\.h5: /],
];

beforeAll(() => {
  fx = tmp('opto-bad-fx-');
  const r = optoSync(['train', '--preset', 'smoke', '--seqs', '640', '--eval-every', '320', '--ckpt-every', '320', '--out', 'fin', '--json', '--no-progress'], fx);
  if (r.code !== 0) throw new Error(r.stderr);
  for (const [name, cfg] of Object.entries(TASK_RUNS)) {
    const small = { ...cfg, model: { dModel: 32, nHeads: 4 }, schedule: { seqs: 64, evalEvery: 64, ckptEvery: 64, evalSize: 20 }, backend: 'wasm' };
    fs.writeFileSync(path.join(fx, `${name}.json`), JSON.stringify(small));
    const t = optoSync(['train', `${name}.json`, '--out', name, '--json', '--no-progress'], fx);
    if (t.code !== 0) throw new Error(t.stderr);
  }
}, 90_000);
afterAll(removeTemps);

describe('bad input through the CLI: one line naming the culprit, a non-zero exit, the tree unchanged', () => {
  // Concurrent (vitest's maxConcurrency, 5 at a time): the cases are independent processes in their own
  // directories, and CI's two cores stay busy while each one starts Node.
  for (const c of CLI)
    it.concurrent(`${c[0]}: ${c[1]}`, async () => {
      const d = tmp('opto-bad-');
      const args = c[2](d);
      const before = tree(d);
      const r = await optoAsync(args, d);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.code).not.toBeNull(); // exited by itself, not killed at the time limit
      expectOneLine(r.stderr, c[3]);
      expect(r.stderr).toMatch(/^opto: /);
      expect(tree(d)).toEqual(before);
    }, 120_000);

  it('the case names are unique', () => expect(new Set(CLI.map((c) => c[1])).size).toBe(CLI.length));
});

describe('bad file contents in-process (the engine calls behind opto train/eval/sweep): one line naming the culprit', () => {
  for (const [kind, name, setup, culprit] of ENGINE)
    it(`${kind}: ${name}`, async () => {
      const d = tmp('opto-bad-');
      const fn = setup(d);
      const before = tree(d);
      let err: unknown;
      try {
        await fn();
      } catch (e) {
        err = e;
      }
      expectOneLineError(err, culprit);
      expect(tree(d)).toEqual(before);
    });
});

describe('a taken port: the dashboard says so instead of reporting the other server as its own', () => {
  it('one line naming the port, before any build', async () => {
    const port = await freePort();
    const other = net.createServer().listen(port, '127.0.0.1');
    await new Promise((r) => other.once('listening', r));
    try {
      const d = tmp('opto-bad-');
      const r = await optoAsync(['dashboard', '--runs', d, '--port', String(port)], d);
      expect(r.code).not.toBe(0);
      expect(r.stdout).not.toMatch(/Optoscope dashboard: http/);
      expectOneLine(r.stderr, new RegExp(`--port ${port}: already in use on 127\\.0\\.0\\.1`));
    } finally {
      other.close();
    }
  });
});

describe('opto runs ls over a runs directory with a broken run', () => {
  it('names the file, skips that run with a warning, and lists the rest', () => {
    const d = tmp('opto-bad-');
    withRun(d, 'good');
    withRun(d, 'bad');
    editRecord(d, (r) => delete r.config, 'bad');
    const before = tree(d);
    const r = optoSync(['runs', 'ls', '--runs', '.'], d);
    expect(r.code, r.stderr).toBe(0);
    expectOneLine(r.stderr, /^warning: skipping bad: bad\/run\.json: no config$/);
    expect(r.stdout).toMatch(/^good\s+finished/m);
    expect(r.stdout).not.toMatch(/^bad/m);
    expect(r.stdout).toMatch(/1 run\(s\) in \./);
    expect(tree(d)).toEqual(before);
  });
});
