/**
 * A kernel is declared once, in AssemblyScript (`assembly/*.ts`); the TypeScript `Kernels` interface
 * (src/core.ts) must agree with it: this test parses both and fails when a kernel's parameter names,
 * count or types differ (usize is a `Ptr`, i32 a `number` or `Flag`, f32/f64 a `number`), when its result
 * differs (void, or a number), when the compiled module's function takes another number of arguments, or
 * when the module exports a function the interface does not name (a kernel added on one side only).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileCoreModule, instantiateCore, KERNEL_NAMES } from './index.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
/** A parameter list as [name, type] pairs. */
const params = (list: string): [string, string][] =>
  list
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const [name, type] = p.split(':').map((x) => x.trim());
      return [name, type ?? ''];
    });

interface Signature {
  params: [string, string][];
  result: string;
}

/** `export function name(a: T, b: U): R` of every assembly file, by name. */
function assemblySignatures(): Map<string, Signature> {
  const out = new Map<string, Signature>();
  for (const f of fs.readdirSync(path.join(root, 'assembly')).filter((f) => f.endsWith('.ts'))) {
    const src = fs.readFileSync(path.join(root, 'assembly', f), 'utf8');
    for (const m of src.matchAll(/^export function (\w+)\(([^)]*)\):\s*(\w+)/gm)) out.set(m[1], { params: params(m[2]), result: m[3] });
  }
  return out;
}

/** The methods of the `Kernels` interface in src/core.ts. */
function interfaceSignatures(): Map<string, Signature> {
  const src = fs.readFileSync(path.join(root, 'src', 'core.ts'), 'utf8');
  const body = src.slice(src.indexOf('export interface Kernels'), src.indexOf('\n}', src.indexOf('export interface Kernels')));
  return new Map([...body.matchAll(/^\s+(\w+)\(([^)]*)\):\s*(\w+);/gm)].map((m) => [m[1], { params: params(m[2]), result: m[3] }]));
}

/** The TypeScript types an AssemblyScript type may appear as at the boundary. */
const TS_FOR: Record<string, string[]> = { usize: ['Ptr'], i32: ['number', 'Flag'], u32: ['number'], f32: ['number'], f64: ['number'], void: ['void'] };

describe('kernel signatures: AssemblyScript is the one declaration', () => {
  const asm = assemblySignatures();
  const ts = interfaceSignatures();
  const core = instantiateCore() as unknown as Record<string, (...a: unknown[]) => unknown>;

  it('the TypeScript interface lists exactly the kernels', () => {
    expect([...ts.keys()].sort()).toEqual([...KERNEL_NAMES].sort());
  });

  it('the compiled module exports exactly the kernels (and the loader\'s heap_base)', () => {
    const fns = (WebAssembly as unknown as { Module: { exports(m: unknown): { name: string; kind: string }[] } }).Module.exports(compileCoreModule())
      .filter((e) => e.kind === 'function')
      .map((e) => e.name);
    expect(fns.sort()).toEqual([...KERNEL_NAMES, 'heap_base'].sort());
  });

  for (const name of KERNEL_NAMES)
    it(`${name}: same parameters and result in AssemblyScript, the TypeScript interface and the compiled module`, () => {
      const a = asm.get(name);
      const t = ts.get(name)!;
      expect(a, `${name} is not an exported AssemblyScript function`).toBeDefined();
      expect(t.params.map(([n]) => n)).toEqual(a!.params.map(([n]) => n));
      a!.params.forEach(([n, type], i) => expect(TS_FOR[type] ?? [], `${name}(${n}: ${type}) is ${t.params[i][1]} in Kernels`).toContain(t.params[i][1]));
      expect(TS_FOR[a!.result] ?? [], `${name} returns ${a!.result}`).toContain(t.result);
      expect(core[name].length).toBe(a!.params.length);
    });
});
