/**
 * For tests of one-line refusals: the message a call throws (or its promise rejects with), '' when it
 * succeeds, so a test compares the whole line with `toBe` and also sees a call that should have failed.
 */
export function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

export async function messageOfAsync(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}
