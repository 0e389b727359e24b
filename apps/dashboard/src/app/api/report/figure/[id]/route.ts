import { reportFigure } from '../../../../../server/analysis';
import { errorResponse } from '../../../../../server/errors';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** A report figure as an SVG image. It is shown with <img>, and served so that it could run nothing even if opened directly. */
export async function GET(_req: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await ctx.params;
  try {
    const svg = await reportFigure(id);
    return new Response(svg, {
      headers: {
        'content-type': 'image/svg+xml; charset=utf-8',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      },
    });
  } catch (e) {
    return errorResponse(e);
  }
}
