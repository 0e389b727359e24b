/**
 * `opto bench --baseline-core <dir>`: the engine's training step on another build of the wasm core (say
 * main's `packages/core-wasm`, built) against this one, alternating round by round in one process so that both
 * see the same load on a shared machine. Reports CPU ms/step (median of the rounds) and whether both ended
 * with the same losses bit for bit: a kernel change that keeps every output's arithmetic must leave them equal.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, createWasmBackend, type Backend } from '@optoscope/engine';
import type { BenchModel } from './benchModels.js';
import { benchEngine } from './engineStep.js';

type Core = NonNullable<Parameters<typeof createWasmBackend>[0]>;

export interface CoreABOptions {
  /** A core-wasm package directory holding dist/index.js and build/core.wasm. */
  baseline: string;
  model?: BenchModel;
  rounds: number;
  steps: number;
  warmup: number;
  log?: (line: string) => void;
}

export interface CoreABSide {
  /** CPU ms/step of each round, and their median. */
  rounds: number[];
  cpuMs: number;
  /** Loss of the first and of the last step (the last round's). */
  losses: [number, number];
}

export interface CoreABResult {
  model: string;
  baselineDir: string;
  steps: number;
  baseline: CoreABSide;
  current: CoreABSide;
  bitIdentical: boolean;
}

async function loadBaseline(dir: string): Promise<Core> {
  const abs = resolve(dir);
  const entry = join(abs, 'dist', 'index.js');
  for (const f of [entry, join(abs, 'build', 'core.wasm')])
    if (!existsSync(f)) throw new ConfigError(`--baseline-core: ${f} not found (give a built packages/core-wasm directory)`);
  const mod = (await import(pathToFileURL(entry).href)) as { instantiateCore?: () => Core };
  if (typeof mod.instantiateCore !== 'function') throw new ConfigError(`--baseline-core: ${entry} exports no instantiateCore`);
  return mod.instantiateCore();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function runCoreAB(o: CoreABOptions): Promise<CoreABResult> {
  const log = o.log ?? (() => undefined);
  const backends: Record<'baseline' | 'current', Backend> = {
    baseline: createWasmBackend(await loadBaseline(o.baseline)),
    current: createWasmBackend(), // the core this checkout's engine loads
  };
  const sides = { baseline: { rounds: [] as number[], losses: [NaN, NaN] as [number, number] }, current: { rounds: [] as number[], losses: [NaN, NaN] as [number, number] } };
  for (let r = 0; r < o.rounds; r++) {
    // swap the order every round so neither side always runs right after the other's warm-up
    for (const side of r % 2 ? (['current', 'baseline'] as const) : (['baseline', 'current'] as const)) {
      log(`round ${r + 1}/${o.rounds}: ${side} core, ${o.steps} steps...`);
      const x = benchEngine({ backend: 'wasm', instance: backends[side], steps: o.steps, warmup: o.warmup, model: o.model?.config });
      sides[side].rounds.push(x.cpuMsPerStep);
      sides[side].losses = [x.lossFirst, x.lossLast];
    }
  }
  const side = (s: (typeof sides)['baseline']): CoreABSide => ({ rounds: s.rounds, cpuMs: median(s.rounds), losses: s.losses });
  const [b, c] = [side(sides.baseline), side(sides.current)];
  return {
    model: o.model?.name ?? 'paper',
    baselineDir: resolve(o.baseline),
    steps: o.warmup + o.steps,
    baseline: b,
    current: c,
    bitIdentical: Object.is(b.losses[0], c.losses[0]) && Object.is(b.losses[1], c.losses[1]),
  };
}

export function formatCoreAB(r: CoreABResult): string {
  const row = (name: string, s: CoreABSide) => `${name.padEnd(10)} ${s.cpuMs.toFixed(3).padStart(8)}   [${s.rounds.map((x) => x.toFixed(3)).join(', ')}]`;
  return [
    `model ${r.model}: the same engine on two wasm cores, alternating in one process (baseline ${r.baselineDir})`,
    `core       CPU ms/step (median of rounds)`,
    row('baseline', r.baseline),
    row('this', r.current),
    `speed-up of this core: ${(r.baseline.cpuMs / r.current.cpuMs).toFixed(3)}x`,
    `losses after ${r.steps} steps: baseline ${r.baseline.losses[1]}, this ${r.current.losses[1]}: ${r.bitIdentical ? 'bit-identical' : 'DIFFERENT'}`,
  ].join('\n');
}
