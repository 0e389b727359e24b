/**
 * TensorBoard's curve smoothing: a debiased exponential moving average (tensorboard/webapp, the scalar
 * card's `classicSmoothing`). With weight w in [0, 1):
 *
 *   last ← last·w + (1 − w)·y_i,   n ← n + 1,   smoothed_i = last / (1 − w^n)
 *
 * starting from last = 0, n = 0. Dividing by 1 − w^n removes the pull towards 0 that a zero start gives
 * the first points (the bias an undebiased EMA has). Non-finite values pass through unsmoothed and do not
 * enter the average; a constant series stays exactly constant. w = 0 returns the values unchanged.
 */
export function emaSmooth(values: readonly number[], weight: number): number[] {
  if (!(weight >= 0 && weight < 1)) throw new Error(`smoothing weight must be in [0, 1), got ${weight}`);
  if (weight === 0) return [...values];
  let last = 0;
  let n = 0;
  // A constant series would come back with rounding noise; TensorBoard returns it as is.
  const constant = values.every((v) => v === values[0]);
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    if (constant) return v;
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - Math.pow(weight, n));
  });
}

/** Largest smoothing weight the page offers (TensorBoard's slider goes to 0.999; 0.99 already spans ~100 points). */
export const MAX_SMOOTHING = 0.99;
