/**
 * Optimisers: SGD with momentum and Adam. Both update parameters in place from gradients
 * keyed like the parameters; parameters without a gradient (frozen) are left alone.
 *
 * @module
 */
import { formatShape, ShapeError, ValueError, type Tensor, checkOptions } from '@dlkata/tensor';
import type { ParamDict } from './network.js';

/** An optimiser: `step` applies one update to `params` from `grads`. */
export interface Optimizer {
  /** Updates `params` in place; parameters missing from `grads` are not touched. */
  step(params: ParamDict, grads: ParamDict): void;
  /** Learning rate, may be changed between steps (schedules). */
  lr: number;
}

function checkGrad(op: string, name: string, p: Tensor | undefined, g: Tensor): asserts p is Tensor {
  if (!p) throw new ValueError(op, `gradient for unknown parameter "${name}"`);
  if (p.size !== g.size) throw new ShapeError(op, `gradient of "${name}" has shape ${formatShape(g.shape)}, parameter has ${formatShape(p.shape)}`);
}

function checkLr(op: string, lr: number): void {
  if (!(lr > 0) || !Number.isFinite(lr)) throw new ValueError(op, `learning rate must be a positive number, got ${lr}`);
}

/** Options of {@link Sgd}. */
export interface SgdOptions {
  /** Learning rate, > 0. */
  readonly lr: number;
  /** Momentum in `[0, 1)`, default 0.9 (PyTorch's `SGD(momentum=...)` form: `v = mu*v + g; p -= lr*v`). */
  readonly momentum?: number;
  /** L2 weight decay added to the gradient, default 0. */
  readonly weightDecay?: number;
}

/**
 * Stochastic gradient descent with (heavy-ball) momentum, PyTorch's formulation:
 * `v = momentum * v + (g + weightDecay * p)`, `p = p - lr * v`.
 *
 * @throws ValueError for a non-positive learning rate or momentum outside `[0, 1)`
 */
export class Sgd implements Optimizer {
  lr: number;
  private readonly momentum: number;
  private readonly weightDecay: number;
  private readonly velocity = new Map<string, Float64Array>();

  constructor(opts: SgdOptions) {
    checkOptions('Sgd', 'opts', opts, ['lr', 'momentum', 'weightDecay']);
    checkLr('Sgd', opts.lr);
    this.lr = opts.lr;
    this.momentum = opts.momentum ?? 0.9;
    this.weightDecay = opts.weightDecay ?? 0;
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new ValueError('Sgd', `momentum must be in [0, 1), got ${this.momentum}`);
  }

  step(params: ParamDict, grads: ParamDict): void {
    for (const [name, g] of Object.entries(grads)) {
      const p = params[name];
      checkGrad('Sgd', name, p, g);
      let v = this.velocity.get(name);
      if (!v) this.velocity.set(name, (v = new Float64Array(p.size)));
      const pd = p.data;
      const gd = g.data;
      for (let i = 0; i < pd.length; i++) {
        v[i] = this.momentum * v[i] + gd[i] + this.weightDecay * pd[i];
        pd[i] -= this.lr * v[i];
      }
    }
  }
}

/** Options of {@link Adam}. */
export interface AdamOptions {
  /** Learning rate, > 0 (typical 1e-3). */
  readonly lr: number;
  /** Decay of the first moment, default 0.9. */
  readonly beta1?: number;
  /** Decay of the second moment, default 0.999. */
  readonly beta2?: number;
  /** Added to the root of the second moment, default 1e-8. */
  readonly eps?: number;
}

/**
 * Adam (Kingma & Ba 2015) with bias correction, as PyTorch's `torch.optim.Adam`:
 * `m = b1 m + (1-b1) g`, `v = b2 v + (1-b2) g^2`, `p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)`.
 *
 * The step count `t` is per parameter, so a parameter that starts training later (unfrozen)
 * gets a correct bias correction.
 *
 * @throws ValueError for a non-positive learning rate or betas outside `[0, 1)`
 */
export class Adam implements Optimizer {
  lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly state = new Map<string, { m: Float64Array; v: Float64Array; t: number }>();

  constructor(opts: AdamOptions) {
    checkOptions('Adam', 'opts', opts, ['lr', 'beta1', 'beta2', 'eps']);
    checkLr('Adam', opts.lr);
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    for (const [k, b] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(b >= 0 && b < 1)) throw new ValueError('Adam', `${k} must be in [0, 1), got ${b}`);
    }
  }

  step(params: ParamDict, grads: ParamDict): void {
    for (const [name, g] of Object.entries(grads)) {
      const p = params[name];
      checkGrad('Adam', name, p, g);
      let s = this.state.get(name);
      if (!s) this.state.set(name, (s = { m: new Float64Array(p.size), v: new Float64Array(p.size), t: 0 }));
      s.t++;
      const c1 = 1 - this.beta1 ** s.t;
      const c2 = 1 - this.beta2 ** s.t;
      const { m, v } = s;
      const pd = p.data;
      const gd = g.data;
      for (let i = 0; i < pd.length; i++) {
        m[i] = this.beta1 * m[i] + (1 - this.beta1) * gd[i];
        v[i] = this.beta2 * v[i] + (1 - this.beta2) * gd[i] * gd[i];
        pd[i] -= (this.lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + this.eps);
      }
    }
  }
}
