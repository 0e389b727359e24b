'use client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';

export function Providers({ children }: { children: React.ReactNode }) {
  // One client per browser tab; failed requests are shown, not retried in a loop behind the user's back.
  const [client] = useState(() => new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false, staleTime: 0 } } }));
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}
