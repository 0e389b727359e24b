import { answerJsonText } from '../../../server/errors';
import { sweepJson, sweepQueryFrom } from '../../../server/sweep';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** ?runs=a,b,c&by=auto|field,field&kind=eval|train&set=&metric=&x=seqs|wall_s&points=: the runs grouped, each group aggregated over its seeds. */
export function GET(req: Request): Promise<Response> {
  return answerJsonText(() => sweepJson(sweepQueryFrom(new URL(req.url).searchParams)));
}
