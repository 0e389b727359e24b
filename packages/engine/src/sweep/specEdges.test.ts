// Sweep spec edges that spec.test.ts leaves open: canonical JSON written out by hand, every refusal with its
// exact words, the member cap at exactly MAX_MEMBERS, prefix-related paths, seed lists as an object, and
// several zip groups. Expected strings and counts are worked out from the spec's rules (sweep/spec.ts header).
import { describe, expect, it } from 'vitest';
import { MAX_MEMBERS, canonicalJson, describeVary, expandSweep, parseSweepSpec } from './spec.js';
import { messageOf } from '../testing/thrown.js';

const tiny = { schedule: { seqs: 3200, evalEvery: 640, ckptEvery: 640, evalSize: 100 } };

describe('canonical JSON and vary labels', () => {
  it('sorts keys at every level and drops undefined fields, keeping array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ a: undefined, b: null, c: 1 })).toBe('{"b":null,"c":1}');
    expect(canonicalJson([2, 1])).toBe('[2,1]');
    expect(canonicalJson('s')).toBe('"s"');
  });
  it('labels a whole-config variant by its JSON and a path by path=value, separated by spaces', () => {
    expect(describeVary([['', { a: 1 }], ['task.numLabels', 10], ['seeds.init', 6]])).toBe('{"a":1} task.numLabels=10 seeds.init=6');
    expect(describeVary([])).toBe('');
  });
});

describe('expansion', () => {
  it('a variant is merged into the whole config and listed under the empty path', () => {
    const { members } = expandSweep({ name: 'v', base: tiny, variants: [{ task: { numLabels: 7 } }, { task: { numLabels: 9 } }] });
    expect(members.map((m) => m.vary)).toEqual([[['', { task: { numLabels: 7 } }]], [['', { task: { numLabels: 9 } }]]]);
    expect(members.map((m) => m.config.task.numLabels)).toEqual([7, 9]);
  });
  it('seed lists as an object form a product in init, train, eval order; absent lists add no axis', () => {
    const { members } = expandSweep({ name: 's', base: tiny, seeds: { init: [1, 2], eval: [7], train: undefined } });
    expect(members.map((m) => m.vary)).toEqual([
      [['seeds.init', 1], ['seeds.eval', 7]],
      [['seeds.init', 2], ['seeds.eval', 7]],
    ]);
    expect(members.map((m) => [m.config.seeds.init, m.config.seeds.eval])).toEqual([
      [1, 7],
      [2, 7],
    ]);
  });
  it('several zip groups are one axis each', () => {
    const { members } = expandSweep({ name: 'z', base: tiny, zip: [{ 'seeds.init': [5, 6], 'seeds.train': [3, 4] }, { 'task.numLabels': [5, 6, 7] }] });
    expect(members).toHaveLength(6);
    expect(members[5].vary).toEqual([['seeds.init', 6], ['seeds.train', 4], ['task.numLabels', 7]]);
  });
  it('paths that only share a prefix of characters are not the same path; parent and child are, in either order', () => {
    // seeds.init and seeds.initial: the second is not a config field, so the member is refused for that, not for a clash
    const clash = messageOf(() => expandSweep({ name: 'p', base: tiny, grid: { 'seeds.init': [1], 'seeds.initial': [2] } }));
    expect(clash).toMatch(/^sweep spec: member 0 /);
    expect(clash).not.toMatch(/varied twice/);
    const reversed = messageOf(() => expandSweep({ name: 'p', base: tiny, grid: { 'seeds.initial': [2], 'seeds.init': [1] } }));
    expect(reversed).toMatch(/^sweep spec: member 0 /);
    expect(reversed).not.toMatch(/varied twice/);
    expect(messageOf(() => expandSweep({ name: 'p', base: tiny, grid: { 'task.numLabels': [5], task: [{}] } }))).toBe('sweep spec: task is varied twice (also task.numLabels)');
    expect(messageOf(() => expandSweep({ name: 'p', base: tiny, grid: { task: [{}], 'task.numLabels': [5] } }))).toBe('sweep spec: task.numLabels is varied twice (also task)');
  });
});

describe('refusals, word for word', () => {
  it('names the first issue, counts the others, and says "sweep spec" by default', () => {
    expect(messageOf(() => parseSweepSpec({ name: 'a/b' }))).toBe('sweep spec: name: expected letters, digits, ".", "_" or "-", starting with a letter or digit');
    expect(messageOf(() => parseSweepSpec({ name: 'a b' }))).toMatch(/^sweep spec: name: expected letters/);
    expect(messageOf(() => parseSweepSpec({ name: 'ok', grid: { 'task.numLabels': [] }, seeds: [] }))).toBe('sweep spec: grid.task.numLabels: expected a non-empty list of values (+1 more)');
    expect(messageOf(() => parseSweepSpec({ name: 'ok', grid: { 'task.numLabels': [] }, seeds: [], variants: [] }))).toBe('sweep spec: variants: expected a non-empty list of config overrides (+2 more)');
    expect(messageOf(() => parseSweepSpec({ name: 'ok', seeds: [] }))).toBe('sweep spec: seeds: expected a non-empty list of non-negative integers');
    expect(messageOf(() => parseSweepSpec({ name: 'ok', variants: [] }))).toBe('sweep spec: variants: expected a non-empty list of config overrides');
    expect(messageOf(() => expandSweep({ name: 'ok', variants: [] }))).toBe('sweep spec: variants: expected a non-empty list of config overrides');
  });
  it('a zip group with no paths, and an empty list of groups', () => {
    expect(messageOf(() => parseSweepSpec({ name: 'z', zip: {} }))).toMatch(/^sweep spec: zip: /);
    expect(messageOf(() => parseSweepSpec({ name: 'z', zip: [{}] }))).toBe('sweep spec: zip.0: a zip group needs at least one path');
    expect(messageOf(() => parseSweepSpec({ name: 'z', zip: [] }))).toMatch(/^sweep spec: zip: /);
    expect(messageOf(() => parseSweepSpec({ name: 'z', zip: [{ 'task.numLabels': [5, 6], 'seeds.init': [1] }] }))).toBe('sweep spec: zip.0: zipped lists must have equal lengths, got task.numLabels: 2, seeds.init: 1');
  });
  it('duplicate members name the values they share', () => {
    expect(messageOf(() => expandSweep({ name: 'd', base: tiny, grid: { 'task.numLabels': [5, 6, 5] } }))).toBe(
      'sweep spec: members 0 and 2 have the same config (task.numLabels=5); remove the duplicate value',
    );
  });
  it('an unknown or non-string preset lists the presets there are', () => {
    const unknown = messageOf(() => expandSweep({ name: 'p', base: { preset: 'nope' } }));
    expect(unknown).toMatch(/^sweep spec: member 0: preset: unknown preset "nope"; available: [A-Za-z0-9-]+, [A-Za-z0-9-]+(, [A-Za-z0-9-]+)*$/);
    expect(unknown).toContain('fig5b-none');
    expect(messageOf(() => expandSweep({ name: 'p', base: { preset: 5 } }))).toMatch(/^sweep spec: member 0: preset: unknown preset 5; available: /);
  });
  it('a path through a base field that is not an object', () => {
    for (const task of [5, null, [1], 'x'])
      expect(messageOf(() => expandSweep({ name: 'b', base: { ...tiny, task }, grid: { 'task.numLabels': [5] } }))).toBe(
        'sweep spec: cannot set task.numLabels: task is not an object in the base config',
      );
  });
});

// last: it expands 10,000 members (a second), so the quick checks above fail a mutant first
describe('the member cap', () => {
  it(`takes exactly ${MAX_MEMBERS} members and refuses one more`, () => {
    const init = Array.from({ length: 100 }, (_, i) => i + 10);
    const lr = (n: number) => Array.from({ length: n }, (_, i) => (i + 1) * 1e-6);
    expect(messageOf(() => expandSweep({ name: 'cap', base: tiny, grid: { 'seeds.init': init, 'optim.lr': lr(101) } }))).toBe(`sweep spec: expands to 10100 members, more than ${MAX_MEMBERS}`);
    expect(expandSweep({ name: 'cap', base: tiny, grid: { 'seeds.init': init, 'optim.lr': lr(100) } }).members).toHaveLength(MAX_MEMBERS);
  });
});
