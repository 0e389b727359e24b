/** The CLI plumbing of issue 23's tasks: --task/--shots, `opto check`, and analyses refusing other tasks. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { optoSync, tmp } from './testing/procs.js';

const oneLine = (r: { code: number | null; stderr: string }, re: RegExp) => {
  expect(r.code).not.toBe(0);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(re);
};

describe('tasks beyond the paper on the command line', () => {
  it('trains a repeated-token run, checks it, and refuses the checks and analyses of other tasks', () => {
    const d = tmp();
    const cfg = { task: { kind: 'repeatTokens', numLabels: 12, repeat: { prefixLength: 6, repeatLength: 2 } }, schedule: { seqs: 640, evalEvery: 320, ckptEvery: 320, evalSize: 40 }, backend: 'wasm' };
    fs.writeFileSync(path.join(d, 'c.json'), JSON.stringify(cfg));
    const t = optoSync(['train', 'c.json', '--out', 'rep', '--no-progress', '--json'], d);
    expect(t.code, t.stderr).toBe(0);
    const summary = JSON.parse(t.stdout.trim().split('\n').at(-1)!) as { final: Record<string, unknown> };
    expect(Object.keys(summary.final).sort()).toEqual(['repeat', 'repeat_shuffled']);
    const record = JSON.parse(fs.readFileSync(path.join(d, 'rep', 'run.json'), 'utf8')) as { config: { task: Record<string, unknown> } };
    expect(record.config.task).toMatchObject({ kind: 'repeatTokens', repeat: { prefixLength: 6, repeatLength: 2 } });

    // 640 sequences learn nothing: the claims are judged and fail, with their numbers, exit status 1.
    const c = optoSync(['check', 'induction', 'rep', '--json'], d);
    expect(c.code, c.stderr).toBe(1);
    const verdicts = JSON.parse(c.stdout) as { claim: string; ok: boolean; measured: string }[];
    expect(verdicts).toHaveLength(4);
    expect(verdicts[1]!.ok).toBe(false);

    oneLine(optoSync(['check', 'bursty', 'rep', 'rep'], d), /rep trains task\.kind 'repeatTokens', this check needs a 'bursty' run/);
    // The dense-set analyses run on the task's own dense set (64 sequences of its training distribution).
    const st = optoSync(['analyze', 'rep', '--what', 'strength', '--size', '64', '--json'], d);
    expect(st.code, st.stderr).toBe(0);
    const strength = JSON.parse(fs.readFileSync(path.join(d, 'rep', 'analysis', 'strength.json'), 'utf8')) as { denseSet: string; result: { seqs: number; strength: number[] }[] };
    expect(strength.denseSet).toBe('64 sequences of the repeatTokens (6 + 2 tokens) training distribution (seed 0)');
    expect(strength.result.map((p) => [p.seqs, p.strength.length, p.strength.every((x) => Math.abs(x) <= 1)])).toEqual([[0, 8, true], [320, 8, true], [640, 8, true]]);
    const ab = optoSync(['analyze', 'rep', '--what', 'ablation', '--size', '64'], d);
    expect(ab.code, ab.stderr).toBe(0);
    expect(fs.existsSync(path.join(d, 'rep', 'analysis', 'ablation.json'))).toBe(true);
    oneLine(optoSync(['analyze', 'rep', '--what', 'wiring', '--size', 'all'], d), /dense set size 'all': only the paper's 5-token task has an enumerable finite training set; repeatTokens \(6 \+ 2 tokens\) \(task\.kind 'repeatTokens'\) draws its dense set/);
    expect(fs.existsSync(path.join(d, 'rep', 'analysis', 'wiring.json'))).toBe(false);
    // opto eval evaluates the run's own eval sets; data export writes them in the task's format, and eval
    // --sequences reads them back (dataExportTasks.test.ts checks the numbers against the reference backend).
    const e = optoSync(['eval', 'rep', '--json'], d);
    expect(e.code, e.stderr).toBe(0);
    const own = (JSON.parse(e.stdout.trim().split('\n').at(-1)!) as { metrics: Record<string, { loss: number }> }).metrics;
    expect(Object.keys(own).sort()).toEqual(['repeat', 'repeat_shuffled']);
    const x = optoSync(['data', 'export', '--run', 'rep', '--out', 'x', '--json'], d);
    expect(x.code, x.stderr).toBe(0);
    const m = JSON.parse(x.stdout.trim()) as { sequences: { columns: string[]; token_columns: number[]; scored_position: number }; eval_sets: { name: string; file: string }[] };
    expect(m.sequences.columns).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'r1', 'r2', 'target']);
    expect(m.sequences.token_columns).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(m.sequences.scored_position).toBe(7);
    const back = optoSync(['eval', 'rep', '--sequences', path.join('x', 'eval', 'repeat.npy'), '--record', 'sites.safetensors', '--json'], d);
    expect(back.code, back.stderr).toBe(0);
    const got = JSON.parse(back.stdout.trim().split('\n').at(-1)!) as { metrics: { sequences: { loss: number } }; recorded: string };
    expect(Math.abs(got.metrics.sequences.loss - own.repeat!.loss)).toBeLessThan(1e-6);
    expect(fs.statSync(path.join(d, got.recorded)).size).toBeGreaterThan(0);
  });

  it('clamps on a repeated-token run and in any layer of a 3-layer model; the strength between any two layers', () => {
    const d = tmp();
    const rep = { task: { kind: 'repeatTokens', numLabels: 12, repeat: { prefixLength: 6, repeatLength: 2 } }, schedule: { seqs: 320, evalEvery: 320, ckptEvery: 320, evalSize: 40 }, backend: 'wasm' };
    fs.writeFileSync(path.join(d, 'rep.json'), JSON.stringify(rep));
    const t = optoSync(['train', 'rep.json', '--prev-token', '0:1', '--match', '1:3@0.9', '--out', 'rc', '--no-progress'], d);
    expect(t.code, t.stderr).toBe(0);
    const record = JSON.parse(fs.readFileSync(path.join(d, 'rc', 'run.json'), 'utf8')) as { config: { interventions: unknown } };
    expect(record.config.interventions).toMatchObject({ prevToken: { heads: ['0:1'] }, match: { heads: ['1:3'], strength: 0.9 } });
    oneLine(optoSync(['eval', 'rc', '--feature-match', '1:3'], d), /clamp\.featureMatch: needs exemplar features to compare with the query; repeatTokens \(6 \+ 2 tokens\) has none/);
    oneLine(optoSync(['train', 'rep.json', '--prev-token', '1:1', '--match', '1:3', '--out', 'bad', '--no-progress'], d), /config\.interventions\.match\.heads\[0\]: head "1:3" is in layer 1, not after the previous-token clamp's layer 1/);
    expect(fs.existsSync(path.join(d, 'bad'))).toBe(false);

    const deep = { model: { nLayers: 3 }, schedule: { seqs: 320, evalEvery: 320, ckptEvery: 320, evalSize: 40 }, backend: 'wasm' };
    fs.writeFileSync(path.join(d, 'deep.json'), JSON.stringify(deep));
    const t3 = optoSync(['train', 'deep.json', '--prev-token', '1:2', '--match', '2:3', '--out', 'deep', '--no-progress'], d);
    expect(t3.code, t3.stderr).toBe(0);
    const a = optoSync(['analyze', 'deep', '--what', 'strength', '--layers', '1:2', '--size', '100', '--json'], d);
    expect(a.code, a.stderr).toBe(0);
    // Stored beside the paper's strength.json, one point per checkpoint (0 and 320), 8 heads of each layer.
    const stored = JSON.parse(fs.readFileSync(path.join(d, 'deep', 'analysis', 'strength-L2-L3.json'), 'utf8')) as { result: { seqs: number; strength: number[]; prevToken: number[] }[] };
    expect(stored.result.map((p) => [p.seqs, p.strength.length, p.prevToken.length])).toEqual([[0, 8, 8], [320, 8, 8]]);
    expect(fs.existsSync(path.join(d, 'deep', 'analysis', 'strength.json'))).toBe(false);
    oneLine(optoSync(['analyze', 'deep', '--what', 'strength', '--layers', '2:1', '--size', '100'], d), /--layers\.induction: layer 1 must come after the previous-token layer 2/);
    oneLine(optoSync(['analyze', 'deep', '--what', 'ablation', '--layers', '0:2', '--size', '100'], d), /--layers applies to --what strength and wiring only/);
    oneLine(optoSync(['analyze', 'deep', '--what', 'induction-score', '--size', '100'], d), /analysis 'induction-score' is defined on task\.kind 'repeatTokens'; deep trains task\.kind 'fewShot'/);
  });

  it('refuses a bad --task or --shots with one line naming it', () => {
    oneLine(optoSync(['train', '--task', 'zipf', '--out', 'o'], tmp()), /--task.*expected one of fewShot, bursty, repeatTokens, got 'zipf'/);
    oneLine(optoSync(['train', '--shots', '7', '--out', 'o'], tmp()), /task\.shots: 7 pairs need 7 distinct labels, task\.numLabels is 5/);
  });
});
