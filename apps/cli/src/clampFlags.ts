/**
 * Intervention flags shared by `opto train`, `opto eval` and `opto analyze`: a JSON spec file (`--clamp`)
 * and one flag per clamp of the engine's registry (`--<clamp key in kebab case>`, older names kept as
 * hidden aliases), merged on top of it. The registry says what each flag sets; this file only parses the
 * argument kinds. The engine validates the result against the model.
 */
import * as path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { CLAMPS, DEFAULT_MODEL, parseHeadRef, readJsonObject, type ClampFlag, type FlagArg, type InterventionSpecInput } from '@optoscope/engine';

export interface ClampFlags {
  clamp?: string;
  [flag: string]: unknown;
}

/** Heads by the engine's one head-string rule (the one spec files follow), so `01:3` fails here too. */
function heads(value: string): string[] {
  const list = value.split(',').map((s) => s.trim());
  for (const h of list)
    try {
      parseHeadRef(h);
    } catch {
      throw new InvalidArgumentError(`'${h}' is not a head; write layer:head with plain indices, e.g. 1:3`);
    }
  return list;
}

/** "0:1,0:2@0.75" → heads and an optional strength. */
function headsAt(value: string): { heads: string[]; strength?: number } {
  const [list, s] = value.split('@');
  if (s === undefined) return { heads: heads(list) };
  const strength = Number(s);
  if (!Number.isFinite(strength) || strength < 0 || strength > 1) throw new InvalidArgumentError(`strength '${s}' must be a number in [0, 1]`);
  return { heads: heads(list), strength };
}

/** "1:3@2.5" → heads and an optional number ≥ 0 (a temperature). */
function headsAtNumber(value: string): { heads: string[]; at?: number } {
  const [list, s] = value.split('@');
  if (s === undefined) return { heads: heads(list) };
  const at = Number(s);
  if (s.trim() === '' || !Number.isFinite(at) || at < 0) throw new InvalidArgumentError(`'${s}' after @ must be a number ≥ 0`);
  return { heads: heads(list), at };
}

function oneHead(value: string): string {
  const h = heads(value);
  if (h.length !== 1) throw new InvalidArgumentError(`expected one head, got '${value}'`);
  return h[0];
}

const PARSE: Record<Exclude<FlagArg, 'switch'>, (v: string) => unknown> = {
  heads,
  headsAt,
  headsAtNumber,
  head: oneHead,
  layer: (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a layer index, got '${v}'`);
    return n;
  },
  // Stored absolute, so the run can be re-evaluated from any working directory.
  file: (v) => path.resolve(v),
  number: (v) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got '${v}'`);
    return n;
  },
  words: (v) => v.split(',').map((s) => s.trim()),
};

/** commander's attribute name of a flag ("--ih-clamp <heads>" → "ihClamp"). */
const attr = (flag: string): string => flag.split(/[ <[]/)[0].replace(/^--/, '').replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

const clampFlags = (): ClampFlag[] => CLAMPS.flatMap((c) => [...c.flags]);

export function addClampOptions(cmd: Command): Command {
  cmd.option('--clamp <spec.json>', 'intervention spec file (see README "Interventions")');
  for (const f of clampFlags()) {
    const names = [f.flag, ...(f.aliases ?? []).map((a) => a + f.flag.slice(f.flag.split(' ')[0].length))];
    names.forEach((name, i) => {
      const o = new Option(name, i === 0 ? f.help : `old name of ${f.flag.split(' ')[0]}`);
      if (f.arg !== 'switch') o.argParser(PARSE[f.arg]);
      cmd.addOption(i === 0 ? o : o.hideHelp());
    });
  }
  return cmd;
}

/**
 * The spec the flags describe (undefined when no clamp flag was given), layered over `base`. `model` is the
 * shape of the model it will run on (default: the paper's): `--only-head` names every other head of its
 * layer, so the head must exist there.
 */
export function clampSpec(f: ClampFlags, base?: InterventionSpecInput, model: { nLayers: number; nHeads: number } = DEFAULT_MODEL): InterventionSpecInput | undefined {
  let spec: Record<string, unknown> | undefined = base ? { ...base } : undefined;
  if (f.clamp) spec = { ...spec, ...readJsonObject(f.clamp, 'clamp spec') };
  const given: Record<string, unknown> = {};
  for (const flag of clampFlags()) {
    const value = [flag.flag, ...(flag.aliases ?? [])].map((n) => f[attr(n)]).find((v) => v !== undefined);
    if (value !== undefined) given[attr(flag.flag)] = value;
  }
  for (const flag of clampFlags()) {
    const value = given[attr(flag.flag)];
    if (value !== undefined) spec = flag.set(value, spec ?? {}, given, model);
  }
  return spec as InterventionSpecInput | undefined;
}
