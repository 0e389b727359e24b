/**
 * Runs once when the server starts (Next's instrumentation hook): what every first request would otherwise
 * pay is done here, off the request path: the engine imported, the run index built (and its file
 * notifications set up), the compare view's DuckDB opened; then, in the background, finished runs' metrics
 * loaded into that DuckDB (sweep.ts: preloadFinishedRuns), so a first compare view reads rows in memory.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs' || !process.env.OPTO_RUNS_DIR) return;
  const [{ allRuns }, { sweepAggregatorReady, preloadFinishedRuns }] = await Promise.all([import('./server/runs'), import('./server/sweep')]);
  // Failures here are the first request's to report (a missing runs directory says so there).
  await Promise.all([allRuns(), sweepAggregatorReady()]).catch(() => undefined);
  // Not awaited: the server answers meanwhile (a compare view asked for during the load waits for it).
  void preloadFinishedRuns().catch(() => undefined);
}
