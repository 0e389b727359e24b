import { clampParam } from '../../../../../server/clamp';
import { answer } from '../../../../../server/errors';
import { headCurves } from '../../../../../server/heads';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Head curves under ?clamp=run (the run's own clamp spec, the default) or ?clamp=none (unclamped). */
export async function GET(req: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await ctx.params;
  return answer(() => headCurves(id, { clamp: clampParam(new URL(req.url).searchParams.get('clamp')) }));
}
