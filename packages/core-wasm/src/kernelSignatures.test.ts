/**
 * A kernel is declared once, in AssemblyScript (`assembly/*.ts`); the TypeScript `Kernels` interface
 * (src/core.ts) must agree with it: this test parses both and fails when a kernel's parameter names or
 * count differ, or when the compiled module's function takes another number of arguments.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { instantiateCore, KERNEL_NAMES } from './index.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const paramNames = (list: string) =>
  list
    .split(',')
    .map((p) => p.trim().split(':')[0].trim())
    .filter(Boolean);

/** `export function name(a: T, b: U): R` of every assembly file, by name. */
function assemblySignatures(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of fs.readdirSync(path.join(root, 'assembly')).filter((f) => f.endsWith('.ts'))) {
    const src = fs.readFileSync(path.join(root, 'assembly', f), 'utf8');
    for (const m of src.matchAll(/^export function (\w+)\(([^)]*)\)/gm)) out.set(m[1], paramNames(m[2]));
  }
  return out;
}

/** The methods of the `Kernels` interface in src/core.ts. */
function interfaceSignatures(): Map<string, string[]> {
  const src = fs.readFileSync(path.join(root, 'src', 'core.ts'), 'utf8');
  const body = src.slice(src.indexOf('export interface Kernels'), src.indexOf('\n}', src.indexOf('export interface Kernels')));
  return new Map([...body.matchAll(/^\s+(\w+)\(([^)]*)\):/gm)].map((m) => [m[1], paramNames(m[2])]));
}

describe('kernel signatures: AssemblyScript is the one declaration', () => {
  const asm = assemblySignatures();
  const ts = interfaceSignatures();
  const core = instantiateCore() as unknown as Record<string, (...a: unknown[]) => unknown>;

  it('the TypeScript interface lists exactly the kernels', () => {
    expect([...ts.keys()].sort()).toEqual([...KERNEL_NAMES].sort());
  });

  for (const name of KERNEL_NAMES)
    it(`${name}: same parameters in AssemblyScript, the TypeScript interface and the compiled module`, () => {
      expect(asm.get(name), `${name} is not an exported AssemblyScript function`).toBeDefined();
      expect(ts.get(name)).toEqual(asm.get(name));
      expect(core[name].length).toBe(asm.get(name)!.length);
    });
});
