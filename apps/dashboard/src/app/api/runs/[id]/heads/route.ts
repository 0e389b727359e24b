import { answer } from '../../../../../server/errors';
import { headCurves } from '../../../../../server/heads';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(_req: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await ctx.params;
  return answer(() => headCurves(id));
}
