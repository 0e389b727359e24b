/**
 * Intervention flags shared by `opto train` and `opto eval`: a JSON spec file (`--clamp`) and shorthands
 * for the paper's flags, merged on top of it. The engine validates the result against the model.
 */
import * as path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { keepOnlyHead, parseHeadRef, readJsonObject, type InterventionSpecInput } from '@optoscope/engine';

export interface ClampFlags {
  clamp?: string;
  ablate?: string[];
  onlyHead?: string;
  ptClamp?: { heads: string[]; strength?: number };
  ihClamp?: { heads: string[]; strength?: number };
  perfectCopy?: string;
  perfectL1?: boolean;
  graft?: string;
  graftTill?: number;
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

function oneHead(value: string): string {
  const h = heads(value);
  if (h.length !== 1) throw new InvalidArgumentError(`expected one head, got '${value}'`);
  return h[0];
}

export function addClampOptions(cmd: Command): Command {
  return cmd
    .option('--clamp <spec.json>', 'intervention spec file (see README "Interventions")')
    .option('--ablate <heads>', 'ablate heads throughout (spec 4.2), e.g. 1:0,1:2', heads)
    .option('--only-head <head>', "keep one head of its layer, ablating the layer's others (single-head runs)", oneHead)
    .option('--pt-clamp <heads[@s]>', 'previous-token attention clamp (4.4), e.g. 0:2 or 0:1,0:2,0:5', headsAt)
    .option('--ih-clamp <heads[@s]>', 'induction (match) clamp on the query row (4.5), e.g. 1:3@0.75', headsAt)
    .option('--perfect-copy <head>', "read the logits from the head's scores (4.6), e.g. 1:3", oneHead)
    .option('--perfect-l1', 'perfect Layer 1 (4.7; with --perfect-copy, 4.8)')
    .option('--graft <checkpoint>', 'graft a frozen donor up to --graft-till (4.9)')
    .option('--graft-till <layer>', 'last grafted layer (default 0)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a layer index, got '${v}'`);
      return n;
    });
}

/**
 * The spec the flags describe (undefined when no clamp flag was given), layered over `base`. `model` is
 * the shape of the model it will run on: `--only-head` names every other head of its layer, so the
 * head must exist there.
 */
export function clampSpec(f: ClampFlags, base: InterventionSpecInput | undefined, model: { nLayers: number; nHeads: number }): InterventionSpecInput | undefined {
  let spec: Record<string, unknown> | undefined = base ? { ...base } : undefined;
  if (f.clamp) spec = { ...spec, ...readJsonObject(f.clamp, 'clamp spec') };
  const set = (k: string, v: unknown) => {
    spec = { ...spec, [k]: v };
  };
  if (f.ablate || f.onlyHead) {
    const ablate = [...new Set([...(Array.isArray(spec?.ablate) ? (spec.ablate as string[]) : []), ...(f.ablate ?? [])])];
    set('ablate', f.onlyHead ? keepOnlyHead(f.onlyHead, model, ablate, `--only-head ${f.onlyHead}`) : ablate);
  }
  if (f.ptClamp) set('prevToken', f.ptClamp);
  if (f.ihClamp) set('match', f.ihClamp);
  if (f.perfectCopy) set('perfectCopy', { head: f.perfectCopy });
  if (f.perfectL1) set('perfectLayer1', true);
  // Stored absolute, so the run can be re-evaluated from any working directory.
  if (f.graft) set('graft', { checkpoint: path.resolve(f.graft), tillLayer: f.graftTill ?? 0 });
  else if (f.graftTill !== undefined) throw new Error('--graft-till needs --graft <checkpoint>');
  return spec as InterventionSpecInput | undefined;
}
