import type { Metadata } from 'next';
import Link from 'next/link';
import { Providers } from '../components/Providers';
import './globals.css';

export const metadata: Metadata = { title: 'Optoscope', description: 'Runs, induction heads and clamps, live (Singh et al., ICML 2024)' };
// The runs directory is chosen when the server starts (OPTO_RUNS_DIR), never at build time.
export const dynamic = 'force-dynamic';

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="top">
          <Link href="/" className="brand">
            Optoscope
          </Link>
          <nav>
            <Link href="/">Runs</Link>
            <Link href="/compare">Compare</Link>
            <Link href="/report">Report</Link>
            <Link href="/train">Train</Link>
          </nav>
          <span className="runs-dir" title="runs directory (opto dashboard --runs)">
            {process.env.OPTO_RUNS_DIR ?? 'OPTO_RUNS_DIR not set'}
          </span>
        </header>
        <Providers>
          <main>{children}</main>
        </Providers>
      </body>
    </html>
  );
}
