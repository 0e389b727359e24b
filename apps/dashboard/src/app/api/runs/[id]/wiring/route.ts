import { wiring } from '../../../../../server/analysis';
import { clampParam } from '../../../../../server/clamp';
import { answer } from '../../../../../server/errors';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(req: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await ctx.params;
  return answer(() => wiring(id, { clamp: clampParam(new URL(req.url).searchParams.get('clamp')) }));
}
