'use client';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback } from 'react';

/** Page state kept in the query string, so a URL shares exactly what is on screen. */
export function useUrlState(): [URLSearchParams, (patch: Record<string, string | string[] | null>) => void] {
  // Nullable in Next's types once the app has a pages directory (src/pages/api/runs.ts), for pages-router
  // components; on these app-router pages they are always set.
  const search = useSearchParams()?.toString() ?? '';
  const router = useRouter();
  const pathname = usePathname() ?? '/';
  const set = useCallback(
    (patch: Record<string, string | string[] | null>) => {
      const next = new URLSearchParams(search);
      for (const [k, v] of Object.entries(patch)) {
        next.delete(k);
        if (Array.isArray(v)) v.forEach((x) => next.append(k, x));
        else if (v !== null && v !== '') next.set(k, v);
      }
      const q = next.toString();
      router.replace(q ? `${pathname}?${q}` : pathname, { scroll: false });
    },
    [search, router, pathname],
  );
  return [new URLSearchParams(search), set];
}
