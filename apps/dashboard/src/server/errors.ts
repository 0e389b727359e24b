/** Errors the API turns into an HTTP status and a one-line JSON message (never a stack trace, never a crash). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** ApiError → its status; anything else (corrupt files, engine errors) → 422; the message's first line as JSON. */
export function errorResponse(e: unknown): Response {
  const status = e instanceof ApiError ? e.status : 422;
  const msg = e instanceof Error ? e.message : String(e);
  return Response.json({ error: msg.split('\n')[0] }, { status, headers: { 'cache-control': 'no-store' } });
}

/** Route-handler wrapper: the value as JSON, or the error as `errorResponse`. */
export async function answer(fn: () => unknown | Promise<unknown>): Promise<Response> {
  try {
    const body = await fn();
    return Response.json(body, { headers: { 'cache-control': 'no-store' } });
  } catch (e) {
    return errorResponse(e);
  }
}

/** Like `answer`, for a body that is already JSON text (an answer cached as sent). */
export async function answerJsonText(fn: () => Promise<string>): Promise<Response> {
  try {
    return new Response(await fn(), { headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
  } catch (e) {
    return errorResponse(e);
  }
}
