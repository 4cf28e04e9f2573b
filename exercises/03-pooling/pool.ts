/**
 * Exercise 03: max pooling, forward and backward.
 *
 * Naive loops on purpose, one window at a time. The library version in `@dlkata/layers`
 * computes the same numbers (and routes gradients the same way, ties included).
 *
 * @module
 */
import { assertFinite, assertNdim, assertShape, NotImplementedError, ShapeError, Tensor, ValueError } from '@dlkata/tensor';

/** A square pooling window and its step, the same along height and width. */
export interface PoolParams {
  /** Window size `HH = WW`, an integer `>= 1`: 2 for VGG's 2x2 pooling. */
  kernel: number;
  /** Step between neighbouring windows, an integer `>= 1`: equal to `kernel` for non-overlapping windows, smaller for overlapping ones. */
  stride: number;
}

/** What {@link maxPool2dBackward} needs from {@link maxPool2dForward}. Opaque: pass it on unchanged. */
export interface PoolCache {
  /** The input, `[N, C, H, W]`. */
  readonly x: Tensor;
  /** Window and stride of the forward pass. */
  readonly params: Readonly<PoolParams>;
}

/**
 * Max pooling, forward pass: the largest value of each window, for every image and channel
 * separately. No parameters are learned; the number of channels is kept.
 *
 * Dimensions: N batch, C channels, H x W input, HH x WW window (`HH = WW = kernel`).
 * Output size, PyTorch's `MaxPool2d` formula without padding (CS231n's `H' = 1 + (H - HH) / stride`):
 * `H' = floor((H - HH) / stride) + 1`, likewise `W'`.
 *
 * `out[n, c, i, j] = max over kh, kw < kernel of x[n, c, i*stride + kh, j*stride + kw]`
 *
 * @param x - input, shape `[N, C, H, W]`, finite
 * @param params - `kernel` and `stride`, integers `>= 1`
 * @returns `out`, shape `[N, C, H', W']`, and the `cache` that {@link maxPool2dBackward} needs
 * @throws ShapeError if `x` is not 4-D or the window does not fit: `"maxPool2dForward: window 3x3 does not fit input 2x2"`
 * @throws ValueError if `kernel` or `stride` is not an integer `>= 1`, or `x` holds a NaN or an infinity
 * @see the lecture (VGG: "every max-pool is 2x2, stride 2"; inception's stride-1 pooling branch);
 *   CS231n `max_pool_forward_naive`; PyTorch `torch.nn.MaxPool2d`
 * @example
 * ```ts
 * const x = Tensor.from([[[[1, 2], [4, 3]]]]); // [1, 1, 2, 2]
 * maxPool2dForward(x, { kernel: 2, stride: 2 }).out; // [[[[4]]]], shape [1, 1, 1, 1]
 * ```
 */
export function maxPool2dForward(x: Tensor, params: PoolParams): { out: Tensor; cache: PoolCache } {
  const [Hout, Wout] = poolOutputShape('maxPool2dForward', x, params);
  assertFinite('maxPool2dForward', 'x', x);
  const { kernel, stride } = params;
  const [N, C] = x.shape;
  throw new NotImplementedError('maxPool2dForward: the maximum of each kernel x kernel window of x [N, C, H, W], windows every params.stride pixels: out [N, C, H\', W\'] and the cache the backward pass needs (read: exercises/03-pooling/README.md, "Task 1: maxPool2dForward"; guide: docs/site/documents/03-pooling.html#task-1-maxpool2dforward; tests: pnpm test 03 -t maxPool2dForward)');
}

/**
 * Max pooling, backward pass.
 *
 * Dimensions: N batch, C channels, H x W input, H' x W' output (see {@link maxPool2dForward}).
 *
 * Inside one window, the maximum depends only on the element that won, with slope 1: that
 * element receives `dout[n, c, i, j]` and every other element of the window 0. When several
 * elements tie for the maximum, the gradient goes to the FIRST of them in row-major window
 * order (smallest `kh`, then smallest `kw`), as in PyTorch's CPU kernel. Where windows
 * overlap (stride smaller than the window), an element can win several windows; it then
 * receives the SUM of their gradients.
 *
 * @param dout - upstream gradient, shape `[N, C, H', W']`
 * @param cache - the `cache` returned by {@link maxPool2dForward}
 * @returns `dx`, shape `[N, C, H, W]`: the gradient of the loss with respect to `x`
 * @throws ShapeError if `dout` is not `[N, C, H', W']`:
 *   `"maxPool2dBackward: dout must have shape [1,1,2,2], got [1,1,3,3]"`
 * @see CS231n `max_pool_backward_naive`; PyTorch's `max_pool2d_with_indices_backward`
 * @example
 * ```ts
 * // overlapping windows: x = [[1, 3, 3], [0, 3, 1], [2, 0, 1]], kernel 2, stride 1, dout = ones [2, 2]
 * // windows at (0,0) and (0,1) both pick x[0,1] (first of the tied 3s); (1,0) and (1,1) pick x[1,1]:
 * // dx = [[0, 2, 0], [0, 2, 0], [0, 0, 0]]
 * ```
 */
export function maxPool2dBackward(dout: Tensor, cache: PoolCache): { dx: Tensor } {
  const { x, params } = cache;
  const [Hout, Wout] = poolOutputShape('maxPool2dBackward', x, params);
  const { kernel, stride } = params;
  const [N, C] = x.shape;
  assertShape('maxPool2dBackward', 'dout', dout, [N, C, Hout, Wout]);
  throw new NotImplementedError('maxPool2dBackward: from dout [N, C, H\', W\'] and the cache, dx [N, C, H, W]: the gradient of each window\'s output with respect to its inputs (ties: the first maximum in row-major order; windows may overlap) (read: exercises/03-pooling/README.md, "Task 2: maxPool2dBackward"; guide: docs/site/documents/03-pooling.html#task-2-maxpool2dbackward; tests: pnpm test 03 -t maxPool2dBackward)');
}

/** Checks a pooling op's input and window; returns the output size `[H', W']`. */
function poolOutputShape(op: string, x: Tensor, params: PoolParams): [number, number] {
  assertNdim(op, 'x', x, 4, '[N, C, H, W]');
  for (const name of ['kernel', 'stride'] as const) {
    const v = params?.[name];
    if (!Number.isInteger(v) || v < 1) throw new ValueError(op, `${name} must be an integer >= 1, got ${v}`);
  }
  const [, , H, W] = x.shape;
  const k = params.kernel;
  if (k > H || k > W) throw new ShapeError(op, `window ${k}x${k} does not fit input ${H}x${W}`);
  return [Math.floor((H - k) / params.stride) + 1, Math.floor((W - k) / params.stride) + 1];
}
