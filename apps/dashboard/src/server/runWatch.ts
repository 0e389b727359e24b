/**
 * Which entries of the runs directory changed since the run index last looked, from the kernel's file
 * notifications (fs.watch: inotify on Linux) on the runs directory and on each run directory, so that a
 * listing of 1,000 unchanged runs costs no file-system call at all instead of 1,000 stats. A writer's
 * run.json, tags.json or heartbeat (written in place or renamed in), an appended metrics row, and a run
 * directory appearing, going or being swapped for a link all mark that run changed.
 *
 * Where watching is impossible (the watch limit reached, a file system without notifications), `take()`
 * answers 'all' on every call and the index falls back to statting every run, as it did before.
 *
 * Ordering: a change completed before a request arrives has its notification queued by the kernel before
 * the request is read; the index waits two turns of the event loop (`setImmediate`: the poll phase, where
 * notifications are delivered, comes between; a watch added in the turn of the change needs the second)
 * before calling `take()`, so it never answers from before such a change.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export class RunsWatch {
  private readonly runs = new Map<string, fs.FSWatcher>();
  private readonly changed = new Set<string>();
  private everything = true;
  private broken = false;
  private readonly rootWatcher: fs.FSWatcher | null;

  constructor(readonly root: string) {
    this.rootWatcher = this.open(root, (name) => {
      // A run directory created, removed or replaced: its own watch may now point at the old inode.
      this.unwatchRun(name);
      this.changed.add(name);
    });
  }

  /** The run names changed since the last call, or 'all' (first call, overflow, or watching impossible). */
  take(): Set<string> | 'all' {
    if (this.everything || this.broken) {
      this.everything = false;
      this.changed.clear();
      return 'all';
    }
    const out = new Set(this.changed);
    this.changed.clear();
    return out;
  }

  /** Watch one run directory (idempotent); its changes are reported under `name`. */
  watchRun(name: string): void {
    if (this.broken || this.runs.has(name)) return;
    const w = this.open(path.join(this.root, name), () => this.changed.add(name));
    if (w) this.runs.set(name, w);
  }

  unwatchRun(name: string): void {
    this.runs.get(name)?.close();
    this.runs.delete(name);
  }

  close(): void {
    this.rootWatcher?.close();
    for (const w of this.runs.values()) w.close();
    this.runs.clear();
  }

  private open(dir: string, onChange: (name: string) => void): fs.FSWatcher | null {
    if (this.broken) return null;
    try {
      const w = fs.watch(dir, { persistent: false }, (_event, name) => {
        // No name: the kernel dropped events (queue overflow) or cannot say which: look at everything.
        if (name) onChange(typeof name === 'string' ? name.split(path.sep)[0]! : String(name));
        else this.everything = true;
      });
      w.on('error', () => {
        // The watched directory went away (or the watch broke): look at everything once more.
        w.close();
        for (const [k, v] of this.runs) if (v === w) this.runs.delete(k);
        this.everything = true;
      });
      return w;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // A run directory removed between listing and watching is simply gone; anything else (ENOSPC: the
      // watch limit) means this index cannot trust notifications: fall back to statting every run.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        this.broken = true;
        this.close();
      }
      return null;
    }
  }
}
