import { Suspense } from 'react';
import { RunsTable } from '../components/RunsTable';

export default function RunsPage() {
  return (
    <Suspense>
      <RunsTable />
    </Suspense>
  );
}
