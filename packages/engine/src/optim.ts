/**
 * Adam exactly as spec 3.1: lr 1e-5 constant, β1 0.9, β2 0.999, ε 1e-8 added outside the square root,
 * bias correction on, no weight decay, no clipping. One kernel call over the whole parameter block;
 * parameters whose gradient is exactly zero throughout (ablated heads) never move.
 */
import type { ParamStore } from './params.js';

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export const DEFAULT_ADAM: AdamConfig = { lr: 1e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

export class Adam {
  /** Number of updates taken so far (the bias-correction exponent); part of the checkpoint. */
  t = 0;

  constructor(
    readonly params: ParamStore,
    readonly cfg: AdamConfig = DEFAULT_ADAM,
  ) {}

  step(): void {
    this.t += 1;
    const { lr, beta1, beta2, eps } = this.cfg;
    const p = this.params;
    p.be.adamStep(p.values, p.grads, p.m, p.v, p.total, lr, beta1, beta2, eps, 1 - beta1 ** this.t, 1 - beta2 ** this.t);
  }

  /** L2 norm of the current gradient (logged per step, spec 3.3). */
  gradNorm(): number {
    return Math.sqrt(this.params.be.sumSq(this.params.grads, this.params.total));
  }
}
