/** The one error type of intervention specs and clamp flags: its message is one line naming the field at fault. */
export class InterventionError extends Error {
  override name = 'InterventionError';
}
