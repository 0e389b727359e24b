import { clampParam } from '../../../../../server/clamp';
import { ApiError, answer } from '../../../../../server/errors';
import { attentionAt } from '../../../../../server/heads';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Mean attention patterns of every head at checkpoint ?seqs=N (default the last), under ?clamp=run|none. */
export async function GET(req: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await ctx.params;
  return answer(() => {
    const sp = new URL(req.url).searchParams;
    const raw = sp.get('seqs');
    const seqs = raw === null || raw === '' ? undefined : Number(raw);
    if (seqs !== undefined && (!Number.isInteger(seqs) || seqs < 0)) throw new ApiError(400, `seqs must be a checkpoint's sequence count, got '${raw}'`);
    return attentionAt(id, seqs, { clamp: clampParam(sp.get('clamp')) });
  });
}
