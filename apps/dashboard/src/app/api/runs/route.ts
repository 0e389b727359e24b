import { answerJsonText } from '../../../server/errors';
import { queryRunsJson, runQueryFrom } from '../../../server/runs';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The run list: ?preset= &status= &clamp= &q= &f=<field><op><value> (repeatable) &sort= &dir=asc|desc &offset= &limit= */
export function GET(req: Request): Promise<Response> {
  return answerJsonText(() => queryRunsJson(runQueryFrom(new URL(req.url).searchParams)), { compress: false });
}
