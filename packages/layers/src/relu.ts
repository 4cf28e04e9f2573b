/**
 * Rectified linear unit (forward and backward), elementwise on any shape.
 *
 * @module
 */
import { assertFinite, assertShape, type Tensor } from '@dlkata/tensor';
import { assertCache, assertTensor } from './validate.js';

/** What {@link reluBackward} needs from the forward pass. */
export interface ReluCache {
  /** The input, any shape (the caller's tensor, not a copy). */
  readonly x: Tensor;
}

/**
 * ReLU, forward pass: `out = max(0, x)` elementwise.
 *
 * Dimensions: any; `x` and `out` have the same shape (e.g. `[N, C, H, W]` after a convolution,
 * `[N, M]` after an affine layer).
 *
 * @param x - input, any shape, finite
 * @returns `out`, the shape of `x`, and the `cache` that {@link reluBackward} needs
 * @throws ShapeError if `x` is not a Tensor (`"relu: x must be a Tensor, got undefined"`)
 * @throws ValueError if `x` has a NaN/infinite element (`"relu: x contains NaN at [1,0]"`),
 *   checked before any work
 * @see the lecture: "conv 1x1 with 32 filters + ReLU" adds a non-linearity; CS231n `relu_forward`;
 *   PyTorch `torch.nn.ReLU`
 * @example
 * ```ts
 * reluForward(Tensor.from([-2, 0, 3])).out; // [0, 0, 3]
 * ```
 */
export function reluForward(x: Tensor): { out: Tensor; cache: ReluCache } {
  const op = 'relu';
  assertTensor(op, 'x', x);
  assertFinite(op, 'x', x);
  const out = x.map((v) => (v > 0 ? v : 0));
  return { out, cache: { x } };
}

/**
 * ReLU, backward pass: `dx = dout` where `x > 0`, else 0.
 *
 * Dimensions: any; `dout`, `x` and `dx` have the same shape.
 *
 * At `x = 0` exactly, ReLU has no derivative; like PyTorch (`threshold_backward` with `x > 0`)
 * and CS231n, the gradient there is 0.
 *
 * @param dout - upstream gradient, the shape of `x`, finite
 * @param cache - the `cache` returned by {@link reluForward}
 * @returns `dx`, the shape of `x`
 * @throws ShapeError if `dout` does not have the shape of `x`
 *   (`"reluBackward: dout must have shape [2,3], got [3,2]"`)
 * @throws ValueError if `dout` has a NaN/infinite element or `cache` is not a relu cache
 * @see CS231n `relu_backward`; PyTorch `threshold_backward`
 * @example
 * ```ts
 * const { cache } = reluForward(Tensor.from([-2, 0, 3]));
 * reluBackward(Tensor.from([5, 5, 5]), cache).dx; // [0, 0, 5]
 * ```
 */
export function reluBackward(dout: Tensor, cache: ReluCache): { dx: Tensor } {
  const op = 'reluBackward';
  assertCache(op, cache, ['x'], 'reluForward');
  const { x } = cache;
  assertShape(op, 'dout', dout, x.shape);
  assertFinite(op, 'dout', dout);
  const xd = x.data;
  const dx = dout.map((g, i) => (xd[i] > 0 ? g : 0));
  return { dx };
}
