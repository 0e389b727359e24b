/** Client-side fetch of the dashboard's JSON API: a failed answer becomes an Error with the server's one-line message. */
export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { cache: 'no-store' });
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new Error(`${url}: HTTP ${res.status} (no JSON body)`);
  }
  if (!res.ok) throw new Error((body as { error?: string }).error ?? `${url}: HTTP ${res.status}`);
  return body as T;
}

export const enc = encodeURIComponent;

/** 1200000 → "1.2M", 5000 → "5k" (the figures' axis style). */
export function si(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  if (Math.abs(n) >= 1e6) return `${+(n / 1e6).toFixed(2)}M`;
  if (Math.abs(n) >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/**
 * A run's learning time as a table cell or a sentence: "150k", or for a run that never learned (its
 * learning time is then its last eval, spec 5.9) "not learned within 150k", which cannot be read as a time.
 */
export function learningTimeText(seqs: number | null | undefined, learned: boolean | null | undefined): string {
  if (seqs === null || seqs === undefined) return '–';
  return learned ? si(seqs) : `not learned within ${si(seqs)}`;
}
