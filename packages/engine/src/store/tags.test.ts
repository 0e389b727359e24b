import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { noteRun, parseTagArg, readRunTags, tagRun, TAGS_SCHEMA } from './tags.js';

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
