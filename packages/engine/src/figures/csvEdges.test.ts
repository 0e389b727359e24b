// toCsv against RFC 4180 written out by hand: quoting only where a field needs it, doubled quotes, objects as
// JSON, empty cells for null and undefined, columns in first-seen order unless given, a newline after every row.
import { describe, expect, it } from 'vitest';
import { toCsv } from './csv.js';

describe('toCsv', () => {
  it('takes the columns in the order rows first show them, and ends every line with a newline', () => {
    expect(toCsv([{ b: 1, a: 2 }, { c: 3, a: 4 }])).toBe('b,a,c\n1,2,\n,4,3\n');
    expect(toCsv([])).toBe('\n');
  });
  it('writes only the columns asked for, in their order', () => {
    expect(toCsv([{ a: 1, b: 2, c: 3 }], ['c', 'a'])).toBe('c,a\n3,1\n');
  });
  it('quotes a field holding a quote, comma, CR or LF, doubling its quotes, and nothing else', () => {
    expect(toCsv([{ x: 'say "hi"' }, { x: 'a,b' }, { x: 'l1\nl2' }, { x: 'c\rr' }, { x: "it's; fine" }])).toBe('x\n"say ""hi"""\n"a,b"\n"l1\nl2"\n"c\rr"\nit\'s; fine\n');
    expect(toCsv([{ 'a,b': 1 }])).toBe('"a,b"\n1\n');
  });
  it('writes null and undefined as empty, objects and arrays as JSON, other values as text', () => {
    expect(toCsv([{ n: null, u: undefined, o: { k: 1 }, l: [1, 2], b: false, z: 0, s: '' }])).toBe('n,u,o,l,b,z,s\n,,"{""k"":1}","[1,2]",false,0,\n');
  });
});
