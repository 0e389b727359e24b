import { answer } from '../../../../server/errors';
import { runDetail } from '../../../../server/runs';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(_req: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await ctx.params;
  return answer(() => runDetail(id));
}
