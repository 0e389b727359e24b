/**
 * State that must be one per server process, not one per bundle. Next compiles the instrumentation hook
 * (server start) and the route handlers into separate module graphs: a module-level variable in a server
 * module exists once per graph, so what instrumentation.ts made ready at start (the run index and its file
 * watches, the compare view's DuckDB) was made for a copy no route ever read, and the first request built
 * it all again (measured: the first run list 2 s after start, at load 20 on 2 cores). Keeping such state on
 * `globalThis`, under a name shared by every copy, makes it one.
 */
export function processWide<T>(name: string, make: () => T): T {
  const key = Symbol.for(`optoscope.dashboard.${name}`);
  const g = globalThis as unknown as Record<symbol, T | undefined>;
  return (g[key] ??= make());
}
