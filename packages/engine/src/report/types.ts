/**
 * The report's data contract: `opto report --runs <dir>` writes `<dir>/report/report.json` (this shape),
 * `<dir>/report/report.md` and `<dir>/report/figures/<id>.svg`. The dashboard's report page reads the
 * same JSON, so the claim table exists once.
 */

export const REPORT_VERSION = 1;

/** pass / fail: judged on measured runs; missing: some run or analysis it needs is not there yet. */
export type ClaimStatus = 'pass' | 'fail' | 'missing';

export interface ClaimResult {
  /** Checklist number in paper spec section 11 (1-23). */
  id: number;
  /** One line: what the claim says. */
  title: string;
  /** Checklist group ("Setup-level", "Induction heads", "Wiring", ...). */
  group: string;
  status: ClaimStatus;
  /** What was measured, in words with the numbers (for a failing claim: why it fails). */
  measured: string;
  /** The numbers behind `measured`, by name. */
  numbers: Record<string, number | null>;
  /** Run ids (directory names under the runs dir) the verdict used. */
  runs: string[];
  /** For `missing`: the exact commands that produce what is missing. */
  commands: string[];
  /** Figure ids (see `FigureEntry.id`) that show the evidence. */
  figures: string[];
}

export interface FigureEntry {
  /** Stable id, also the SVG's file stem: `fig3a`, `fig5b`, ... */
  id: string;
  title: string;
  /** Path of the SVG relative to the report directory. */
  file: string;
  /** Run ids plotted. */
  runs: string[];
}

export interface Report {
  version: typeof REPORT_VERSION;
  /** ISO time the report was generated. */
  generatedAt: string;
  runsDir: string;
  /** The data whose runs were judged: `opto report --data <source> [--dataset-path <p>]`, or the synthetic features (no source). */
  data?: { source?: string; datasetPath?: string; description: string };
  /**
   * Runs assigned to roles with `--role <role>=<run>`, each as the run directory it resolved to (absolute),
   * so the dashboard judges the runs with the same assignments. Absent when none were given.
   */
  roles?: Record<string, string>;
  claims: ClaimResult[];
  figures: FigureEntry[];
  summary: { pass: number; fail: number; missing: number };
}
