import { ApiError, answer } from '../../../../../server/errors';
import { metricsPage } from '../../../../../server/metrics';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Metric rows after index ?after=N (default 0); ?kind=eval|train keeps one kind. */
export async function GET(req: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await ctx.params;
  return answer(() => {
    const sp = new URL(req.url).searchParams;
    const after = Number(sp.get('after') ?? 0);
    if (!Number.isInteger(after) || after < 0) throw new ApiError(400, `after must be a non-negative integer, got '${sp.get('after')}'`);
    const kind = sp.get('kind');
    if (kind !== null && kind !== 'eval' && kind !== 'train') throw new ApiError(400, `kind must be eval or train, got '${kind}'`);
    return metricsPage(id, after, kind ?? undefined);
  });
}
