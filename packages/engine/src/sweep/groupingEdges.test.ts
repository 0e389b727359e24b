/**
 * The edges of sweep grouping (grouping.ts) that decide which runs a figure draws as one line and what its
 * legend says: which field names are seeds or bookkeeping (anchored patterns: a field that merely contains
 * such a name is a condition), the legend's words, value order, when the paper's labels apply, and the
 * seed count in a legend. Expectations are written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { type FieldValue, type GroupableRun, differingFields, fieldWords, groupLegend, groupRuns, groupableFields, isSeedField } from './grouping.js';

const run = (id: string, fields: Record<string, FieldValue>, extra: Partial<GroupableRun> = {}): GroupableRun => ({ id, fields, status: 'finished', ...extra });

describe('seed and bookkeeping fields', () => {
  it('isSeedField: a seed/seeds/seed_* path segment, or a name ending in Seed', () => {
    for (const f of ['seed', 'seeds', 'seeds.init', 'data.seed', 'SEEDS.eval', 'seed_eval', 'data.seed_pairs.x', 'initSeed']) expect(isSeedField(f), f).toBe(true);
    for (const f of ['seedling', 'model.seedless', 'seed_', 'seed_.x', 'trainSeedCount', 'reseed']) expect(isSeedField(f), f).toBe(false);
  });

  it('differingFields leaves out bookkeeping and derived-away config paths only when the whole name matches', () => {
    const excluded = ['id', 'status', 'name', 'seqs', 'progress', 'backend.used', 'interventions', 'interventions.heads', 'task.numLabels', 'task.classSplit', 'schedule.evalEvery', 'schedule.ckptEvery', 'schedule.evalSize'];
    const kept = ['run.status', 'names', 'statusCode', 'my.interventions', 'interventionsOff', 'x.task.numLabels', 'task.numLabelsExtra', 'old.schedule.evalEvery', 'schedule.evalEveryX', 'task.seqLen'];
    const runs = [0, 1].map((i) => run(`r${i}`, Object.fromEntries([...excluded, ...kept, 'seeds.init'].map((f) => [f, i]))));
    expect(differingFields(runs)).toEqual([...kept].sort());
  });

  it('groupableFields: every field any run has, sorted', () => {
    expect(groupableFields([run('a', { b: 1, a: 2 }), run('b', { c: 3, a: 1 })])).toEqual(['a', 'b', 'c']);
  });
});

describe('legend words', () => {
  it('short names for the usual config paths, the last path segment otherwise, – for a missing value', () => {
    const cases: [string, FieldValue, string][] = [
      ['task.numLabels', 5, 'labels=5'],
      ['task.classSplit', '1:3', 'classes=1:3'],
      ['optim.lr', 0.001, 'lr=0.001'],
      ['optim.batchSize', 64, 'batch=64'],
      ['schedule.seqs', 200000, 'seqs=200000'],
      ['model.dModel', 64, 'd=64'],
      ['model.nHeads', 8, 'heads=8'],
      ['model.nLayers', 2, 'layers=2'],
      ['model.mlp.width', 3, 'width=3'],
      ['optim.lr', null, 'lr=–'],
      ['tag', true, 'tag=true'],
    ];
    for (const [field, v, words] of cases) expect(fieldWords(field, v)).toBe(words);
  });

  it('clamp: its summary, and "no clamp" for none or a missing value', () => {
    expect(fieldWords('clamp', 'none')).toBe('no clamp');
    expect(fieldWords('clamp', null)).toBe('no clamp');
    expect(fieldWords('clamp', 'match 1:3')).toBe('match 1:3');
  });

  it('the seed count only when some members are not finished', () => {
    expect(groupLegend({ label: 'x', members: ['a', 'b'], finished: 2 })).toBe('x');
    expect(groupLegend({ label: 'x', members: ['a', 'b'], finished: 1 })).toBe('x (1 of 2 seeds)');
  });
});

describe('group order and labels', () => {
  const labels = (runs: GroupableRun[], by: string[] | 'auto' = 'auto') => groupRuns(runs, by).groups.map((g) => g.label);

  it('numbers in numeric order (0.125 < 0.25 < 0.5, which text order, even numeric, gets wrong)', () => {
    expect(labels([0.5, 0.125, 0.25].map((lr) => run(`r${lr}`, { 'optim.lr': lr })))).toEqual(['lr=0.125', 'lr=0.25', 'lr=0.5']);
  });

  it('text with digits in numeric order (run9 before run10); numbers among text as their text', () => {
    expect(labels(['run10', 'run9', 'run1'].map((t) => run(t, { tag: t })))).toEqual(['tag=run1', 'tag=run9', 'tag=run10']);
    expect(labels(['x', 2, 'a'].map((t, i) => run(`r${i}`, { tag: t })))).toEqual(['tag=2', 'tag=a', 'tag=x']);
    // a text value after a number compares as text too ('1x' before '2'), not as a failed subtraction
    expect(labels([2, '1x'].map((t, i) => run(`r${i}`, { tag: t })))).toEqual(['tag=1x', 'tag=2']);
  });

  it('members in id order; a lone run is named by its id, several runs of one condition by their preset or "all runs"', () => {
    const g = groupRuns([run('c', { seed: 1 }), run('a', { seed: 2 }), run('b', { seed: 3 })], 'auto');
    expect(g.groups.map((x) => x.members)).toEqual([['a', 'b', 'c']]);
    expect(g.groups.map((x) => x.label)).toEqual(['all runs']);
    expect(labels([run('r1a2', { seed: 1 })])).toEqual(['r1a2']);
    expect(labels([run('r1', { seed: 1, preset: 'smoke' }), run('r2', { seed: 2, preset: 'smoke' })])).toEqual(['smoke']);
  });

  it('paper labels only when every member of every group has its group’s own label', () => {
    const paper = (lab: (string | null)[][], order: number[] = lab.map((_, i) => i)) =>
      groupRuns(
        lab.flatMap((members, c) => members.map((l, s) => run(`c${c}s${s}`, { labels: c + 1, seed: s }, { paperLabel: l, paperOrder: order[c] }))),
        'auto',
      );
    const ok = paper([['A', 'A'], ['B', 'B']]);
    expect(ok.labelledBy).toBe('paper');
    expect(ok.groups.map((g) => g.label)).toEqual(['A', 'B']);
    // a member without a label, or with another group's
    expect(paper([['A', null], ['B', 'B']]).labelledBy).toBe('fields');
    expect(paper([['A', 'B'], ['B', 'B']]).labelledBy).toBe('fields');
    // one group without any label
    expect(paper([['A', 'A'], [null, null]]).labelledBy).toBe('fields');
    // two groups under one label
    expect(paper([['A', 'A'], ['A', 'A']]).labelledBy).toBe('fields');
    // the paper's order wins over value order, but only when its labels are used
    expect(paper([['A', 'A'], ['B', 'B']], [1, 0]).groups.map((g) => g.label)).toEqual(['B', 'A']);
    expect(paper([['A', 'A'], [null, null]], [1, 0]).groups.map((g) => g.label)).toEqual(['labels=1', 'labels=2']);
    expect(groupRuns([], 'auto')).toEqual({ by: [], auto: true, labelledBy: 'fields', groups: [] });
  });
});
