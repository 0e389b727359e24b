import { report } from '../../../server/analysis';
import { answer } from '../../../server/errors';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function GET(): Promise<Response> {
  return answer(() => report());
}
