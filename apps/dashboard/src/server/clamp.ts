/**
 * The clamp choice of the run page's per-head views (head curves, attention patterns, wiring): a clamped
 * run is shown with its own intervention spec by default ('run': the model it trained) or, on request, the
 * same checkpoints unclamped ('none'). The choice travels as `?clamp=run|none` on the API and the page URL.
 */
import type { LiveClamp } from '@optoscope/engine';
import { engine } from './engine';
import { ApiError } from './errors';
import { clampSummary } from './runs';

export type { LiveClamp };

/** `?clamp=` of a request: 'run' when absent. */
export function clampParam(raw: string | null): LiveClamp {
  if (raw === null || raw === '' || raw === 'run') return 'run';
  if (raw === 'none') return 'none';
  throw new ApiError(400, `clamp must be run (the run's own clamp spec) or none (unclamped), got '${raw}'`);
}

/** What a per-head answer is of, and which heads the run's spec manipulates (for the page to mark). */
export interface ClampShown {
  /** 'run': computed with the run's clamp spec; 'none': the same checkpoint unclamped. */
  clamp: LiveClamp;
  /** The run's clamp spec in one line; 'none' for an unclamped run (both choices are then one model). */
  runClamp: string;
  /** Heads the run's spec ablates, as L<layer+1>H<head> (the paper's names). */
  ablated: string[];
  /** Heads whose attention pattern the run's spec clamps (previous-token or match clamp). */
  patternClamped: string[];
}

const refs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((r): r is string => typeof r === 'string' && /^\d+:\d+$/.test(r)) : []);

/**
 * The clamp shown for `interventions` (run.json's config.interventions) under `clamp`. Async because the
 * engine (its one head-label formatter) is loaded by Node at run time, never bundled: see ./engine.
 */
export async function clampShown(interventions: unknown, nHeads: number | undefined, clamp: LiveClamp): Promise<ClampShown> {
  const { headLabel } = await engine();
  const s = (interventions && typeof interventions === 'object' ? interventions : {}) as Record<string, { heads?: unknown } | unknown>;
  const pattern = [...refs((s.prevToken as { heads?: unknown } | undefined)?.heads), ...refs((s.match as { heads?: unknown } | undefined)?.heads)];
  return { clamp, runClamp: clampSummary(interventions, nHeads), ablated: refs(s.ablate).map((r) => headLabel(r)), patternClamped: pattern.map((r) => headLabel(r)) };
}

/** The model a clamp choice computes: an unclamped run has one, so both choices share its results. */
export function effectiveClamp(shown: ClampShown): LiveClamp {
  return shown.runClamp === 'none' ? 'none' : shown.clamp;
}
