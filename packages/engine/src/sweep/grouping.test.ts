import { describe, expect, it } from 'vitest';
import { PRESETS } from '../presets.js';
import { differingFields, groupLegend, groupRuns, type GroupableRun } from './grouping.js';

const run = (id: string, fields: Record<string, string | number | null>, status = 'finished', paperLabel: string | null = null): GroupableRun => ({ id, fields, status, paperLabel });

describe('groupRuns', () => {
  const conds = ['fig5b-none', 'fig5b-pt', 'fig5b-layer1', 'fig5b-match'];
  // 4 clamp conditions x 3 seeds, as a sweep writes them: presets and clamps differ, seeds differ, names are shared.
  const sweep = conds.flatMap((preset, c) =>
    [5, 6, 7].map((seed, s) =>
      ({ ...run(`${preset}-${seed}`, { preset, clamp: `clamp ${3 - c}`, 'seeds.init': seed, seed, name: 'fig5b', labels: 5, 'task.numLabels': 5 }, c === 3 && s === 2 ? 'failed' : 'finished', PRESETS[preset]!.legend ?? null), paperOrder: c }),
    ),
  );

  it('auto: by every field the runs differ in except seeds and bookkeeping; paper labels name the groups', () => {
    expect(differingFields(sweep)).toEqual(['clamp', 'preset']);
    const g = groupRuns(sweep, 'auto');
    expect(g.by).toEqual(['clamp', 'preset']);
    expect(g.labelledBy).toBe('paper');
    expect(g.groups.map((x) => x.members.length)).toEqual([3, 3, 3, 3]);
    // In the paper's order, not the order of the clamp summaries.
    expect(g.groups.map((x) => x.label)).toEqual(conds.map((p) => PRESETS[p]!.legend!));
    const match = g.groups.find((x) => x.members.includes('fig5b-match-5'))!;
    expect(groupLegend(match)).toBe(`${PRESETS['fig5b-match']!.legend} (2 of 3 seeds)`);
  });

  it('without paper labels: the differences in words, numbers in numeric order; never a run id when a field names the line', () => {
    const runs = [10, 5, 15].flatMap((L) => ['none', 'match 1:3'].map((clamp) => run(`r${L}-${clamp}`, { labels: L, clamp, seed: L })));
    const g = groupRuns(runs, 'auto');
    expect(g.labelledBy).toBe('fields');
    expect(g.by).toEqual(['clamp', 'labels']);
    expect(g.groups.map((x) => x.label)).toEqual(['match 1:3, labels=5', 'match 1:3, labels=10', 'match 1:3, labels=15', 'no clamp, labels=5', 'no clamp, labels=10', 'no clamp, labels=15']);
    // Explicit fields, in the given order; any field (a tag, say) works the same.
    const h = groupRuns(runs.map((r, i) => ({ ...r, fields: { ...r.fields, 'tags.batch': i % 2 ? 'b' : 'a' } })), ['labels']);
    expect(h.groups.map((x) => x.label)).toEqual(['labels=5', 'labels=10', 'labels=15']);
    expect(groupRuns(runs.map((r) => ({ ...r, fields: { ...r.fields, tag: r.id.includes('match') ? 'x' : 'y' } })), ['tag']).groups.map((x) => x.label)).toEqual(['tag=x', 'tag=y']);
  });

  it('one condition: the shared preset, not a hash', () => {
    const g = groupRuns([run('a1b2', { preset: 'smoke', seed: 1 }), run('c3d4', { preset: 'smoke', seed: 2 })], 'auto');
    expect(g.groups.map((x) => x.label)).toEqual(['smoke']);
  });
});
