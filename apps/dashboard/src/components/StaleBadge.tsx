/**
 * A `running` run whose writer is gone (no heartbeat for 60 s, or its process ended): a "stale" badge
 * saying when and where it was last seen, and, in full, the command that resumes it.
 */
import type { Staleness } from '@optoscope/engine';

export function staleText(s: Pick<Staleness, 'lastSeen' | 'host'>): string {
  return `stale: last seen ${new Date(s.lastSeen).toLocaleString()} on ${s.host}`;
}

export function StaleBadge({ stale, full }: { stale: Pick<Staleness, 'lastSeen' | 'host' | 'resume'>; full?: boolean }) {
  return (
    <>
      <span className="badge stale" data-testid="run-stale" title={`${staleText(stale)}; resume with: ${stale.resume}`}>
        {staleText(stale)}
      </span>
      {full && (
        <div className="muted" data-testid="run-resume">
          resume with: <code>{stale.resume}</code>
        </div>
      )}
    </>
  );
}
