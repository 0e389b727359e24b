import { compare } from '../../../server/analysis';
import { answer } from '../../../server/errors';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** ?runs=a,b,c: eval rows and learning times of the selected runs. */
export function GET(req: Request): Promise<Response> {
  return answer(() => compare((new URL(req.url).searchParams.get('runs') ?? '').split(',').filter(Boolean)));
}
