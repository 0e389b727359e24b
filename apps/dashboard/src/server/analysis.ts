/**
 * Stored analyses and views over several runs: the wiring matrices `opto analyze --what wiring` stored,
 * the curves of runs selected for comparison, learning times (Fig. 6) and the `opto report` claim table.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HeadLayers, MetricRow } from '@optoscope/engine';
import type { ClaimResult, Report } from '@optoscope/engine/report';
import { clampShown, effectiveClamp, type ClampShown, type LiveClamp } from './clamp';
import { engine, engineReport } from './engine';
import { ApiError, redactDeep, redactPaths } from './errors';
import { readRows } from './metrics';
import { containedPath, runPath, runsDir, runsLocation } from './paths';
import { clampSummary } from './runs';

/**
 * The stored wiring of a run under the page's clamp choice. `opto analyze --what wiring` computes a clamped
 * run's matrices with its own clamp spec (the model it trained: its ablated heads stay ablated, preservation
 * reads the clamped model) into `wiring.json`, and with `--run-clamp none` the checkpoint unclamped into
 * `wiring-unclamped.json`. A `wiring.json` stored before the matrices knew the run's spec (no `result.clamp`)
 * is of the checkpoint unclamped, and is shown as that. `clamp` of the answer says which model it is of.
 */
export interface WiringView extends ClampShown {
  id: string;
  /** false: not computed yet for this model; `command` says how. */
  available: boolean;
  command: string;
  checkpoint?: number;
  denseSet?: string;
  matrices?: { baseline: number[]; Mpv: number[][]; Mpp: number[][]; Npv: number[][]; Npp: number[][] };
  composition?: { q: number[][]; k: number[][]; v: number[][] };
  /** The writer (previous-token) and reader (induction) layers of the matrices, 0-indexed. */
  layers: HeadLayers;
}

type StoredWiring = Partial<Pick<WiringView, 'matrices' | 'composition'>> & { clamp?: LiveClamp };

const isGrid = (m: unknown): m is number[][] => Array.isArray(m) && m.every((r) => Array.isArray(r) && r.every((v) => typeof v === 'number'));

export async function wiring(id: string, opts: { clamp?: LiveClamp; layers?: HeadLayers } = {}): Promise<WiringView> {
  const { RunDir, analysisCommand, readStoredAnalysis, storedAnalysisFile, WIRING_UNCLAMPED, checkHeadLayers, defaultHeadLayers } = await engine();
  const dir = runPath(id);
  const config = RunDir.open(dir).readRecord().config;
  const shown = await clampShown(config.interventions, config.model?.nHeads, opts.clamp ?? 'run');
  const want = effectiveClamp(shown);
  const clamped = shown.runClamp !== 'none';
  const nLayers = config.model?.nLayers ?? 2;
  const layers = opts.layers ?? defaultHeadLayers(nLayers);
  try {
    checkHeadLayers(layers, nLayers);
  } catch (e) {
    throw new ApiError(400, (e as Error).message);
  }
  // Other layers than the first and the last are stored beside the paper's (wiring-L2-L3.json), by `--layers`.
  const other = layers.prevToken !== 0 || layers.induction !== nLayers - 1;
  const suffix = other ? `-L${layers.prevToken + 1}-L${layers.induction + 1}` : '';
  // An unclamped run has one model: its plain command computes it.
  const command = redactPaths(analysisCommand(dir, 'wiring', clamped ? want : 'run')) + (other ? ` --layers ${layers.prevToken}:${layers.induction}` : '');
  const read = (name: string) => {
    const file = containedPath(runsDir(), path.relative(runsDir(), storedAnalysisFile(dir, name)));
    try {
      return { file, stored: readStoredAnalysis<StoredWiring | undefined>(file) };
    } catch (e) {
      throw new ApiError(422, `${(e as Error).message}; recompute it with ${command}`);
    }
  };
  // Which model a stored result is of: a result without `clamp` predates the clamp-aware matrices (unclamped).
  const of = (r: StoredWiring | undefined): LiveClamp => (clamped ? (r?.clamp ?? 'none') : 'none');
  // The first and last layers may also be stored under their explicit name (`--layers 0:<last>`).
  const candidates = (want === 'none' && clamped ? [WIRING_UNCLAMPED, 'wiring'] : ['wiring']).flatMap((n) => (other ? [n + suffix] : [n, `${n}-L1-L${nLayers}`]));
  const found = candidates.map(read).find((c) => c.stored && of(c.stored.result) === want);
  const answer = { id, ...shown, clamp: want, layers };
  if (!found?.stored) return { ...answer, available: false, command };
  const { file, stored } = found;
  const m = stored.result?.matrices;
  for (const k of ['Mpv', 'Mpp', 'Npv', 'Npp'] as const)
    if (!isGrid(m?.[k])) throw new ApiError(422, `${file}: result.matrices.${k} is not a matrix of numbers; recompute it with ${command}`);
  const c = stored.result?.composition;
  return { ...answer, available: true, command, checkpoint: stored.checkpoint, denseSet: stored.denseSet, matrices: m, composition: c && isGrid(c.q) && isGrid(c.k) && isGrid(c.v) ? c : undefined };
}

export interface CompareRun {
  id: string;
  preset: string | null;
  /** The preset's label in the paper's figure legend ("1, 2, 3qk, 4" for fig5b-match), when it has one. */
  legend: string | null;
  clamp: string;
  labels: number | null;
  classes: number | null;
  status: string;
  learningTime: number | null;
  learned: boolean;
  /** Eval rows only (what the comparison plots). */
  rows: MetricRow[];
  error?: string;
}

/** Eval rows and learning time of each selected run; a run that cannot be read carries its error instead. */
export async function compare(ids: string[]): Promise<CompareRun[]> {
  if (ids.length > 50) throw new ApiError(400, `compare at most 50 runs at once (got ${ids.length})`);
  const { RunDir, learningTimeFromRows, PRESETS } = await engine();
  const out: CompareRun[] = [];
  for (const id of ids) {
    const dir = runPath(id);
    try {
      const rec = RunDir.open(dir).readRecord();
      const rows = (await readRows(dir)).rows.filter((r) => r.kind === 'eval');
      const lt = rows.length ? learningTimeFromRows(rows) : null;
      out.push({
        id,
        preset: rec.config.preset ?? null,
        legend: (rec.config.preset && PRESETS[rec.config.preset]?.legend) || null,
        clamp: clampSummary(rec.config.interventions, rec.config.model?.nHeads),
        labels: rec.config.task?.numLabels ?? null,
        classes: rec.config.task?.classSplit?.[0] ?? null,
        status: rec.status,
        learningTime: lt?.seqs ?? null,
        learned: lt?.learned ?? false,
        rows,
      });
    } catch (e) {
      out.push({ id, preset: null, legend: null, clamp: 'none', labels: null, classes: null, status: 'unreadable', learningTime: null, learned: false, rows: [], error: redactPaths((e as Error).message) });
    }
  }
  return out;
}

export interface ReportView {
  /** The command that writes the report's figures and computes the model analyses (`opto report`). */
  command: string;
  /**
   * The claims judged now on whatever runs the directory holds, exactly as `opto report` judges them (the
   * engine's `judgeClaims`: roles from config semantics, shorter runs where a claim's window allows, k of n
   * seeds, missing roles named with their commands), with the data and `--role` assignments of the last
   * `opto report`. Only the analyses it stored are read: claims needing analyses not stored yet are missing.
   */
  live: { judgedAt: string; claims: ClaimResult[]; summary: Report['summary']; data?: Report['data']; roles: Record<string, string>; rolesOutside: string[] };
  /** Whether `opto report` has written a report here (its figures, generated at `report.generatedAt`). */
  available: boolean;
  report?: Report;
}

/**
 * Judge again when the runs changed, but not more often than this (a sweep appends metrics every second);
 * a new report.json (its data and --role assignments) is judged at once.
 */
const REJUDGE_MS = 5000;
let judged: { stored: string; runs: string; at: number; view: Promise<ReportView['live']> } | undefined;

const statKey = (f: string): string => {
  try {
    const s = fs.statSync(f);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return '-';
  }
};

/** What the live verdicts read of the runs: each run's record, metrics and stored analyses (sizes and mtimes: cheap enough for every poll). */
function runsSignature(root: string): string {
  const parts = [root];
  for (const id of fs.readdirSync(root).sort()) {
    if (id.startsWith('.') || id === 'report') continue;
    const dir = path.join(root, id);
    parts.push(`${id}|${statKey(path.join(dir, 'run.json'))}|${statKey(path.join(dir, 'metrics.jsonl'))}|${statKey(path.join(dir, 'analysis'))}`);
  }
  return parts.join('\n');
}

async function judgeLive(root: string, stored: Report | null): Promise<ReportView['live']> {
  const { gatherEvidence, judgeClaims, summarize } = await engineReport();
  // The last `opto report`'s --role assignments, where they point inside the runs directory (the dashboard
  // reads nothing outside it); the others are named, and their roles are judged without them.
  const roles: Record<string, string> = {};
  const rolesOutside: string[] = [];
  for (const [role, dir] of Object.entries(stored?.roles ?? {})) {
    try {
      roles[role] = containedPath(root, path.relative(root, dir));
    } catch {
      rolesOutside.push(role);
    }
  }
  const data = stored?.data?.source ? { source: stored.data.source, datasetPath: stored.data.datasetPath } : undefined;
  const evidence = await gatherEvidence(root, { analyses: 'stored', data, assign: roles });
  const claims = judgeClaims(evidence, runsLocation());
  return { judgedAt: new Date().toISOString(), claims, summary: summarize(claims), data: evidence.data, roles, rolesOutside };
}

export async function report(): Promise<ReportView> {
  const { readReport, reportFile } = await engineReport();
  const root = runsDir();
  const command = redactPaths(`opto report --runs ${runsLocation()}`);
  containedPath(root, path.relative(root, reportFile(root)));
  const stored = readReport(root);
  const [storedKey, runsKey] = [`${root}|${statKey(reportFile(root))}`, runsSignature(root)];
  if (!judged || judged.stored !== storedKey || (judged.runs !== runsKey && Date.now() - judged.at >= REJUDGE_MS)) {
    const view = judgeLive(root, stored);
    judged = { stored: storedKey, runs: runsKey, at: Date.now(), view };
    // A failed judgement is reported once; the next request judges again.
    view.catch(() => {
      if (judged?.view === view) judged = undefined;
    });
  }
  const live = await judged.view;
  // report.json and the verdicts name the runs directory and commands: served without absolute paths.
  return redactDeep({ command, live, available: stored !== null, ...(stored ? { report: stored } : {}) });
}

/**
 * One SVG figure of the report (`<runs>/report/<figures[i].file>`), by its id in report.json. The id must
 * be a plain name, the file an .svg inside the runs directory. Served as an image (see the route's headers).
 */
export async function reportFigure(id: unknown): Promise<string> {
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,100}$/.test(id)) throw new ApiError(400, 'figure id must be a plain name such as fig3a');
  const { readReport, reportFile } = await engineReport();
  const root = runsDir();
  containedPath(root, path.relative(root, reportFile(root)));
  const r = readReport(root);
  if (!r) throw new ApiError(404, `no report yet: generate it with opto report --runs <runs>`);
  const entry = r.figures.find((f) => f.id === id);
  if (!entry) throw new ApiError(404, `report.json lists no figure '${id}'`);
  if (typeof entry.file !== 'string' || !entry.file.endsWith('.svg')) throw new ApiError(422, `report.json: figure '${id}' file is not an .svg`);
  const file = containedPath(root, 'report', ...entry.file.split(/[\\/]/));
  if (!fs.existsSync(file)) throw new ApiError(404, `figure '${id}': ${entry.file} is missing from the report directory`);
  return fs.readFileSync(file, 'utf8');
}
