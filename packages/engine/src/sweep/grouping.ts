/**
 * Sweep grouping: which runs are seeds of one condition, and what to call each condition. A run is a flat
 * record of fields (dotted config paths such as `task.numLabels`, plus derived ones such as `clamp`,
 * `labels`, `classes`, `preset`, and whatever else a caller adds, e.g. tags): grouping is by any of them,
 * or automatically by every field in which the runs differ except the seeds (a seed sweep's replicates).
 * Legends use the paper's condition labels where each group has one of its own, and otherwise the
 * differences in words ("labels=10, match 1:3"), never a run id when a config difference can name a line.
 */

export type FieldValue = string | number | boolean | null;

export interface GroupableRun {
  id: string;
  fields: Readonly<Record<string, FieldValue>>;
  /** The run's label in the paper's figure legend (its preset's), if it has one. */
  paperLabel?: string | null;
  /** Where that label comes in the paper's legend (its preset's place in the catalogue): groups named by the paper keep its order. */
  paperOrder?: number;
  /** finished / running / failed / interrupted / unreadable. */
  status: string;
}

export interface RunGroup {
  /** Stable key: the JSON of the group-by values. */
  key: string;
  label: string;
  /** The group-by values of its members. */
  values: Record<string, FieldValue>;
  members: string[];
  /** Members whose run finished (the legend says "3 of 5 seeds" when fewer than all). */
  finished: number;
}

export interface Grouping {
  /** The fields grouped by (the auto choice spelled out). */
  by: string[];
  /** Whether `by` was chosen automatically. */
  auto: boolean;
  /** 'paper' when the paper's condition labels name the groups, else 'fields'. */
  labelledBy: 'paper' | 'fields';
  groups: RunGroup[];
}

/** Seeds never separate conditions: a field is a seed if its path has a `seed`/`seeds` segment or ends in Seed. */
export const isSeedField = (f: string): boolean => /(^|\.)(seeds?|seed_\w+)(\.|$)/i.test(f) || /Seed$/.test(f);

/**
 * Fields auto grouping never uses: bookkeeping (status, ids, names, times, the listing's `seqs`, which repeats
 * `schedule.seqs`), and raw config paths that a
 * derived field already says in words (the clamp summary for `interventions.*`, labels and classes for the
 * task split), and how often a run was measured or saved, which changes no run's training.
 */
const NOT_A_CONDITION = /^(id|status|sweep|name|seqs|updatedAt|createdAt|progress|learningTime|learned|seqsDone|error|backend\.used)$|^interventions(\.|$)|^task\.(numLabels|classSplit)$|^schedule\.(evalEvery|ckptEvery|evalSize)$/;

/** Short names for the legend's words. */
const SHORT: Record<string, string> = {
  'task.numLabels': 'labels',
  'task.classSplit': 'classes',
  'optim.lr': 'lr',
  'optim.batchSize': 'batch',
  'schedule.seqs': 'seqs',
  'model.dModel': 'd',
  'model.nHeads': 'heads',
  'model.nLayers': 'layers',
};

/** Every field some run has, sorted: what a group-by menu offers. */
export function groupableFields(runs: readonly GroupableRun[]): string[] {
  const out = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.fields)) out.add(k);
  return [...out].sort();
}

const valueOf = (r: GroupableRun, f: string): FieldValue => (f in r.fields ? r.fields[f]! : null);

/** The fields in which the runs differ, seeds and bookkeeping excluded: a sweep's conditions. */
export function differingFields(runs: readonly GroupableRun[]): string[] {
  return groupableFields(runs).filter((f) => !isSeedField(f) && !NOT_A_CONDITION.test(f) && new Set(runs.map((r) => JSON.stringify(valueOf(r, f)))).size > 1);
}

/** One group-by value in words: `clamp` is its summary ("none" → "no clamp"), anything else `name=value`. */
export function fieldWords(field: string, v: FieldValue): string {
  if (field === 'clamp') return v === 'none' || v === null ? 'no clamp' : String(v);
  const name = SHORT[field] ?? field.split('.').slice(-1)[0]!;
  return `${name}=${v === null ? '–' : String(v)}`;
}

const byNumberThenText = (a: FieldValue, b: FieldValue): number => {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'en', { numeric: true });
};

/**
 * Group runs by `by` (field names), or by their differing fields when `by` is 'auto'. Groups come in the
 * order of their values (numbers numerically), members in id order.
 */
export function groupRuns(runs: readonly GroupableRun[], by: readonly string[] | 'auto'): Grouping {
  const auto = by === 'auto';
  const fields = auto ? differingFields(runs) : [...by];
  const map = new Map<string, GroupableRun[]>();
  for (const r of runs) {
    const key = JSON.stringify(fields.map((f) => valueOf(r, f)));
    map.set(key, [...(map.get(key) ?? []), r]);
  }
  const entries = [...map.entries()].sort(([, a], [, b]) => {
    for (const f of fields) {
      const c = byNumberThenText(valueOf(a[0]!, f), valueOf(b[0]!, f));
      if (c) return c;
    }
    return 0;
  });
  // The paper's labels name the groups when every group's members share one and no two groups share it.
  const paper = entries.map(([, rs]) => (rs.every((r) => r.paperLabel && r.paperLabel === rs[0]!.paperLabel) ? rs[0]!.paperLabel! : null));
  const usePaper = entries.length > 0 && paper.every((p) => p) && new Set(paper).size === paper.length;
  if (usePaper) {
    const order = (rs: GroupableRun[]) => rs[0]!.paperOrder ?? Infinity;
    const idx = entries.map((e, i) => ({ e, p: paper[i]! })).sort((a, b) => order(a.e[1]) - order(b.e[1]));
    entries.splice(0, entries.length, ...idx.map((x) => x.e));
    paper.splice(0, paper.length, ...idx.map((x) => x.p));
  }
  const groups = entries.map(([key, rs], i): RunGroup => {
    const values = Object.fromEntries(fields.map((f) => [f, valueOf(rs[0]!, f)]));
    const words = fields.map((f) => fieldWords(f, values[f]!)).join(', ');
    // No field separates anything (one condition): the shared preset, or "all runs"; a run id only for a lone run.
    const fallback = rs.length === 1 ? rs[0]!.id : ((rs[0]!.fields.preset as string | undefined) ?? 'all runs');
    return {
      key,
      label: usePaper ? paper[i]! : words || fallback,
      values,
      members: rs.map((r) => r.id).sort(),
      finished: rs.filter((r) => r.status === 'finished').length,
    };
  });
  return { by: fields, auto, labelledBy: usePaper ? 'paper' : 'fields', groups };
}

/** The legend text of a group: its label, and "(3 of 5 seeds)" when some members are unfinished or failed. */
export function groupLegend(g: Pick<RunGroup, 'label' | 'members' | 'finished'>): string {
  return g.finished < g.members.length ? `${g.label} (${g.finished} of ${g.members.length} seeds)` : g.label;
}
