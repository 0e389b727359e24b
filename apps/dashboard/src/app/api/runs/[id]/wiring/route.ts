import { wiring } from '../../../../../server/analysis';
import { clampParam } from '../../../../../server/clamp';
import { answer } from '../../../../../server/errors';
import { layersParam } from '../../../../../server/heads';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(req: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await ctx.params;
  const q = new URL(req.url).searchParams;
  return answer(() => wiring(id, { clamp: clampParam(q.get('clamp')), layers: layersParam(q.get('layers')) }));
}
