// The JSON documents Optoscope reads and writes: the embedded SHA-256 (computed here over the document without
// it, as the header of jsonChecksum.ts defines) and the one-line refusals of a user's JSON file, each message
// word for word.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../configError.js';
import { verifyJsonChecksum, withJsonChecksum } from './jsonChecksum.js';
import { jsonErrorLine, jsonKind, parseJsonObject, readJsonObject } from './jsonFile.js';

const sha = (doc: unknown) => createHash('sha256').update(JSON.stringify(doc)).digest('hex');
const thrown = (f: () => unknown): Error | null => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  return null;
};

describe('JSON checksum', () => {
  it('puts the SHA-256 of the document without it last, replacing an old one', () => {
    const doc = { b: 1, a: [1, 2], sha256: 'old' };
    const summed = withJsonChecksum(doc);
    expect(Object.keys(summed)).toEqual(['b', 'a', 'sha256']);
    expect(summed.sha256).toBe(sha({ b: 1, a: [1, 2] }));
    expect(doc.sha256).toBe('old');
    expect(verifyJsonChecksum(summed, 'f.json')).toEqual({ b: 1, a: [1, 2] });
  });
  it('refuses a document edited after its checksum, or whose checksum field name is damaged', () => {
    const summed = withJsonChecksum({ loss: 0.5 });
    expect(thrown(() => verifyJsonChecksum({ ...summed, loss: 0.6 }, 'f.json'))!.message).toBe('f.json: checksum mismatch (corrupt, or edited by hand)');
    const { sha256, ...rest } = summed;
    expect(thrown(() => verifyJsonChecksum({ ...rest, sha25g: sha256 }, 'f.json'))!.message).toBe('f.json: checksum field damaged ("sha25g")');
  });
  it('reads a document without a checksum unchecked, unless its last field looks like one', () => {
    expect(verifyJsonChecksum({ a: 1 }, 'f')).toEqual({ a: 1 });
    expect(verifyJsonChecksum({}, 'f')).toEqual({});
    // a 64-digit hex string that is not last, or not all lowercase hex, or of another length, is data
    const hex = 'a'.repeat(64);
    expect(verifyJsonChecksum({ id: hex, a: 1 }, 'f')).toEqual({ id: hex, a: 1 });
    expect(verifyJsonChecksum({ id: 'A'.repeat(64) }, 'f')).toEqual({ id: 'A'.repeat(64) });
    expect(verifyJsonChecksum({ id: 'a'.repeat(63) }, 'f')).toEqual({ id: 'a'.repeat(63) });
    expect(verifyJsonChecksum({ id: `x${hex}` }, 'f')).toEqual({ id: `x${hex}` });
    expect(verifyJsonChecksum({ id: `${hex}x` }, 'f')).toEqual({ id: `${hex}x` });
    expect(verifyJsonChecksum({ n: 5 }, 'f')).toEqual({ n: 5 });
    // only a string can be a checksum: a list holding one reads as text of the same digits, and is data
    expect(verifyJsonChecksum({ ids: [hex] }, 'f')).toEqual({ ids: [hex] });
    expect(thrown(() => verifyJsonChecksum({ id: hex }, 'f'))!.message).toBe('f: checksum field damaged ("id")');
    for (const x of [null, [1], 'text', 3]) expect(verifyJsonChecksum(x as never, 'f')).toBe(x);
  });
});

describe('a JSON file from the user', () => {
  it('describes a JSON value in words', () => {
    expect([null, [], {}, 'a', 1, true].map(jsonKind)).toEqual(['null', 'an array', 'an object', 'a string', 'a number', 'a boolean']);
  });
  it('turns a parse error into one line of at most 300 characters', () => {
    expect(jsonErrorLine(new Error('a\n  b\r\n c'))).toBe('a b c');
    expect(jsonErrorLine('plain')).toBe('plain');
    expect(jsonErrorLine(new Error('x'.repeat(400)))).toBe('x'.repeat(300));
  });
  it('parses an object and refuses anything else by name', () => {
    expect(parseJsonObject('{"a":1}', 'c.json', 'run config')).toEqual({ a: 1 });
    for (const [text, kind] of [['[]', 'an array'], ['null', 'null'], ['"hello"', 'a string'], ['3', 'a number']]) {
      const e = thrown(() => parseJsonObject(text, 'c.json', 'run config'))!;
      expect(e).toBeInstanceOf(ConfigError);
      expect(e.message).toBe(`c.json: a run config must be a JSON object, got ${kind}`);
    }
    const bad = thrown(() => parseJsonObject('{"a":\n1,,}', 'c.json', 'run config'))!;
    expect(bad).toBeInstanceOf(ConfigError);
    expect(bad.message).toMatch(/^c\.json: malformed JSON \(.+\)$/);
    expect(bad.message).not.toContain('\n');
  });
  it('reads a file (a byte-order mark allowed) and names a missing file, a directory and an unreadable one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-json-'));
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, '\uFEFF{"a": 2}');
    expect(readJsonObject(file, 'sweep spec')).toEqual({ a: 2 });
    fs.writeFileSync(file, '{"a": "\uFEFF"}');
    expect(readJsonObject(file, 'sweep spec')).toEqual({ a: '\uFEFF' });
    const missing = thrown(() => readJsonObject(path.join(dir, 'none.json'), 'sweep spec'))!;
    expect(missing).toBeInstanceOf(ConfigError);
    expect(missing.message).toBe(`sweep spec not found: ${dir}/none.json`);
    expect(thrown(() => readJsonObject(dir, 'sweep spec'))!.message).toBe(`sweep spec ${dir} is a directory, not a JSON file`);
    // a socket exists and is not a directory, but reading it fails (even for root)
    const sock = path.join(dir, 's.json');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      const e = thrown(() => readJsonObject(sock, 'sweep spec'))!;
      expect(e).toBeInstanceOf(ConfigError);
      expect(e.message).toMatch(new RegExp(`^${sock}: cannot be read \\([A-Z]+\\)$`));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
