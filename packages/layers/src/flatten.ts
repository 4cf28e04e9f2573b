/**
 * Flattening between convolutional and fully connected layers.
 *
 * @module
 */
import { formatShape, shapeSize, ShapeError, type Shape, type Tensor } from '@dlkata/tensor';
import { assertTensor } from './validate.js';

/**
 * Number of features per example of a batch shape `[N, d1, ..., dk]`: `D = d1 * ... * dk`
 * (1 for a 1-D shape `[N]`).
 *
 * @param shape - a batch shape, at least 1-D
 * @param op - op name for the error message (default `"flatten"`)
 * @throws ShapeError for the scalar shape `[]`: `"flatten: x must be at least 1-D [N, ...], got []"`
 * @example
 * ```ts
 * featureSize([2, 16, 5, 5]); // 400 (LeNet-5's features before its first fully connected layer)
 * ```
 */
export function featureSize(shape: Shape, op = 'flatten'): number {
  if (shape.length < 1) throw new ShapeError(op, `x must be at least 1-D [N, ...], got ${formatShape(shape)}`);
  return shapeSize(shape.slice(1));
}

/**
 * Flattens every example of a batch into one row: `[N, d1, ..., dk] -> [N, D]` with
 * `D = d1 * ... * dk`, in row-major order (NCHW images become `c, h, w`-ordered rows, as
 * PyTorch's `torch.flatten(x, 1)` and CS231n's `x.reshape(N, -1)`).
 *
 * The result shares `x.data` (a view, no copy). Its gradient is `dout.reshape(x.shape)`.
 *
 * Dimensions: N batch, d1..dk the per-example dimensions, D their product.
 *
 * @param x - a batch, `[N, d1, ..., dk]`, at least 1-D (`[N]` becomes `[N, 1]`)
 * @returns the same elements as `[N, D]`
 * @throws ShapeError if `x` is not a Tensor or is 0-D
 * @see CS231n `affine_forward` (`x.reshape(x.shape[0], -1)`); PyTorch `torch.nn.Flatten`
 * @example
 * ```ts
 * flatten(Tensor.zeros([2, 3, 4, 4])).shape; // [2, 48]
 * ```
 */
export function flatten(x: Tensor): Tensor {
  assertTensor('flatten', 'x', x);
  const D = featureSize(x.shape);
  return x.reshape([x.shape[0], D]);
}
