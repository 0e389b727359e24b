import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTags, noteRun, parseTagArg, parseTagFilter, readRunTags, tagRun, TAGS_SCHEMA } from './tags.js';

const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'opto-tags-unit-'));
const onDisk = (d: string) => JSON.parse(fs.readFileSync(path.join(d, 'tags.json'), 'utf8'));

describe('run tags sidecar', () => {
  it('parses key=value, key= (remove); values may hold = and spaces', () => {
    expect(parseTagArg('owner=ana')).toEqual(['owner', 'ana']);
    expect(parseTagArg('expr=a=b c')).toEqual(['expr', 'a=b c']);
    expect(parseTagArg('owner=')).toEqual(['owner', null]);
    for (const bad of ['owner', '=x', '1a=x', 'a.b=x', `k=${'v'.repeat(201)}`, 'k=a\nb']) expect(() => parseTagArg(bad), bad).toThrow();
  });

  it('no file: no tags; writes merge, sort keys and keep the note; nothing is written when one argument is bad', () => {
    const d = dir();
    expect(readRunTags(d)).toEqual({ tags: {}, note: null });
    tagRun(d, ['z=1', 'a=2']);
    noteRun(d, '  long plateau  ');
    tagRun(d, ['z=', 'm=3']);
    const f = onDisk(d);
    expect(f.schema).toBe(TAGS_SCHEMA);
    expect(Object.keys(f.tags)).toEqual(['a', 'm']);
    expect(f.note).toBe('long plateau');
    const before = fs.readFileSync(path.join(d, 'tags.json'), 'utf8');
    expect(() => tagRun(d, ['ok=1', 'bad'])).toThrow(/tag 'bad' is not key=value/);
    expect(fs.readFileSync(path.join(d, 'tags.json'), 'utf8')).toBe(before);
    expect(fs.readdirSync(d)).toEqual(['tags.json']);
  });

  it('a file of the wrong shape is an error naming it, never silently emptied', () => {
    const d = dir();
    const f = path.join(d, 'tags.json');
    for (const [text, msg] of [
      ['{', /tags\.json: not valid JSON/],
      ['{"tags":{}}', /tags\.json: schema is not optoscope\.tags\/1/],
      [`{"schema":"${TAGS_SCHEMA}","tags":{"a":1}}`, /tag 'a' must be a key with a string value/],
      [`{"schema":"${TAGS_SCHEMA}","tags":[]}`, /tags must be an object/],
      [`{"schema":"${TAGS_SCHEMA}","note":5}`, /note must be a string/],
    ] as [string, RegExp][]) {
      fs.writeFileSync(f, text);
      expect(() => readRunTags(d), text).toThrow(msg);
      expect(() => tagRun(d, ['a=b']), text).toThrow(msg);
      expect(fs.readFileSync(f, 'utf8')).toBe(text);
    }
  });
});

describe('run tags: each limit just inside and just outside, and the exact lines', () => {
  it('keys: a letter first, then up to 63 of letters, digits, _ and -; spaces around key and value are trimmed', () => {
    const key64 = 'k' + 'a1_-'.repeat(15) + 'xyz';
    expect(key64).toHaveLength(64);
    expect(parseTagArg(`${key64}=v`)).toEqual([key64, 'v']);
    expect(() => parseTagArg(`${key64}b=v`)).toThrow(
      new Error(`tag key '${key64}b' must start with a letter and hold only letters, digits, _ and - (at most 64)`),
    );
    expect(parseTagArg('Z=v')).toEqual(['Z', 'v']);
    expect(parseTagArg('  owner  =  ana  ')).toEqual(['owner', 'ana']);
    expect(parseTagArg('owner=   ')).toEqual(['owner', null]);
    for (const bad of ['_a=v', '-a=v', '9=v', 'a b=v', 'é=v', 'a:b=v'])
      expect(() => parseTagArg(bad), bad).toThrow(new Error(`tag key '${bad.split('=')[0]}' must start with a letter and hold only letters, digits, _ and - (at most 64)`));
    expect(() => parseTagArg('owner')).toThrow(new Error("tag 'owner' is not key=value (e.g. owner=ana; key= removes a tag)"));
  });

  it('values: one printable line of at most 200 characters (after trimming)', () => {
    expect(parseTagArg(`k=${'v'.repeat(200)}`)).toEqual(['k', 'v'.repeat(200)]);
    expect(parseTagArg(`k= ${'v'.repeat(200)} `)).toEqual(['k', 'v'.repeat(200)]);
    const tooLong = new Error('tag k: value must be one line of at most 200 characters');
    expect(() => parseTagArg(`k=${'v'.repeat(201)}`)).toThrow(tooLong);
    for (const c of ['\0', '\t', '\x1f', '\x7f']) expect(() => parseTagArg(`k=a${c}b`), JSON.stringify(c)).toThrow(tooLong);
    expect(parseTagArg('k=a~b é ü')).toEqual(['k', 'a~b é ü']);
  });

  it('a filter is a tag with a value; formatTags is one cell in the order given', () => {
    expect(parseTagFilter('owner=ana')).toEqual(['owner', 'ana']);
    expect(() => parseTagFilter('owner=')).toThrow(new Error('--tag owner=: give a value to match (key=value)'));
    expect(() => parseTagFilter('owner')).toThrow(new Error("tag 'owner' is not key=value (e.g. owner=ana; key= removes a tag)"));
    expect(formatTags({ owner: 'ana', arch: '2L' })).toBe('owner=ana arch=2L');
    expect(formatTags({})).toBe('');
  });

  it('notes: at most 4000 characters, tabs and newlines allowed, other control characters not; empty removes it', () => {
    const d = dir();
    expect(noteRun(d, 'x'.repeat(4000))).toEqual({ tags: {}, note: 'x'.repeat(4000) });
    const bad = new Error('note must be text of at most 4000 characters');
    expect(() => noteRun(d, 'x'.repeat(4001))).toThrow(bad);
    for (const c of ['\0', '\x08', '\x0b', '\x0c', '\x1f', '\x7f']) expect(() => noteRun(d, `a${c}b`), JSON.stringify(c)).toThrow(bad);
    expect(onDisk(d).note).toBe('x'.repeat(4000));
    expect(noteRun(d, 'line 1\n\tline 2')).toEqual({ tags: {}, note: 'line 1\n\tline 2' });
    expect(noteRun(d, '   ')).toEqual({ tags: {}, note: null });
    expect('note' in onDisk(d)).toBe(false);
  });

  it('the file as written: schema, sorted tags, the note only when there is one, a fresh updated_at', () => {
    const d = dir();
    const t0 = Date.now();
    expect(tagRun(d, ['b=2', 'B=3', 'a=1'])).toEqual({ tags: { B: '3', a: '1', b: '2' }, note: null });
    const f = onDisk(d);
    expect(Object.keys(f)).toEqual(['schema', 'tags', 'updated_at']);
    expect([f.schema, Object.keys(f.tags)]).toEqual(['optoscope.tags/1', ['B', 'a', 'b']]);
    expect(Date.parse(f.updated_at)).toBeGreaterThanOrEqual(t0 - 1000);
    expect(Date.parse(f.updated_at)).toBeLessThanOrEqual(Date.now() + 1000);
    noteRun(d, 'n');
    expect(Object.keys(onDisk(d))).toEqual(['schema', 'tags', 'note', 'updated_at']);
    expect(readRunTags(d)).toEqual({ tags: { B: '3', a: '1', b: '2' }, note: 'n' });
    // Reading a file without tags or note: none of either.
    fs.writeFileSync(path.join(d, 'tags.json'), '{"schema":"optoscope.tags/1"}');
    expect(readRunTags(d)).toEqual({ tags: {}, note: null });
    fs.writeFileSync(path.join(d, 'tags.json'), '{"schema":"optoscope.tags/1","tags":{"a":"x"},"note":null}');
    expect(readRunTags(d)).toEqual({ tags: { a: 'x' }, note: null });
    expect(() => tagRun(d, [])).toThrow(new Error('give at least one key=value tag'));
  });

  it('each wrong shape is refused with its exact line', () => {
    const d = dir();
    const f = path.join(d, 'tags.json');
    const cases: [string, string][] = [
      ['null', `${f}: schema is not optoscope.tags/1`],
      ['"optoscope.tags/1"', `${f}: schema is not optoscope.tags/1`],
      ['{"schema":"optoscope.tags/2"}', `${f}: schema is not optoscope.tags/1`],
      ['{"schema":"optoscope.tags/1","tags":null}', `${f}: tags must be an object of strings`],
      ['{"schema":"optoscope.tags/1","tags":"a=b"}', `${f}: tags must be an object of strings`],
      ['{"schema":"optoscope.tags/1","tags":["a"]}', `${f}: tags must be an object of strings`],
      ['{"schema":"optoscope.tags/1","tags":{"1a":"x"}}', `${f}: tag '1a' must be a key with a string value`],
      ['{"schema":"optoscope.tags/1","note":["n"]}', `${f}: note must be a string`],
      ['{"schema":"optoscope.tags/1","note":false}', `${f}: note must be a string`],
    ];
    for (const [text, line] of cases) {
      fs.writeFileSync(f, text);
      expect(() => readRunTags(d), text).toThrow(new Error(line));
    }
    fs.writeFileSync(f, '{"schema":');
    expect(() => readRunTags(d)).toThrow(/^.*tags\.json: not valid JSON \([^\n]+\)$/);
  });

  it('an empty key names the key, and a JSON error keeps the parser\'s whole line', () => {
    // '=' at index 0 is key=value with an empty key, not a missing '='.
    expect(() => parseTagArg('=x')).toThrow(new Error("tag key '' must start with a letter and hold only letters, digits, _ and - (at most 64)"));
    const d = dir();
    const f = path.join(d, 'tags.json');
    fs.writeFileSync(f, '{"schema": tru}');
    let engine = '';
    try {
      JSON.parse('{"schema": tru}');
    } catch (e) {
      engine = (e as Error).message;
    }
    expect(engine.length).toBeGreaterThan(5);
    expect(() => readRunTags(d)).toThrow(new Error(`${f}: not valid JSON (${engine})`));
  });
});
