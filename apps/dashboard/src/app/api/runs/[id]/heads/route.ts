import { clampParam } from '../../../../../server/clamp';
import { answer } from '../../../../../server/errors';
import { headCurves, layersParam } from '../../../../../server/heads';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * Head curves under ?clamp=run (the run's own clamp spec, the default) or ?clamp=none (unclamped), between
 * the layers of ?layers=l:l2 (previous-token layer l, induction layer l2; default the first and the last).
 */
export async function GET(req: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await ctx.params;
  const q = new URL(req.url).searchParams;
  return answer(() => headCurves(id, { clamp: clampParam(q.get('clamp')), layers: layersParam(q.get('layers')) }));
}
