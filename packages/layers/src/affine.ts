/**
 * Affine (fully connected) layer, forward and backward, CS231n's convention.
 *
 * @module
 */
import { assertFinite, assertNdim, assertShape, formatShape, gemm, ShapeError, Tensor } from '@dlkata/tensor';
import { featureSize } from './flatten.js';
import { assertCache, assertTensor } from './validate.js';

/**
 * What {@link affineBackward} needs from the forward pass (the caller's tensors, not copies).
 */
export interface AffineCache {
  /** The input, `[N, d1, ..., dk]`. */
  readonly x: Tensor;
  /** The weights, `[D, M]`. */
  readonly w: Tensor;
  /** The biases, `[M]`. */
  readonly b: Tensor;
}

/**
 * Affine (fully connected) layer, forward pass: `out = flatten(x) w + b`.
 *
 * Dimensions: N batch, d1..dk the per-example dimensions (e.g. `C, H, W` of a feature map),
 * `D = d1 * ... * dk` input features, M outputs.
 *
 * Each example is flattened in row-major order (see {@link flatten}); the weights are stored
 * `[D, M]` (CS231n's layout; PyTorch's `Linear.weight` is the transpose, `[M, D]`).
 *
 * @param x - input, `[N, d1, ..., dk]` (at least 2-D), finite
 * @param w - weights, `[D, M]`, finite
 * @param b - biases, `[M]`, finite
 * @returns `out`, `[N, M]`, and the `cache` that {@link affineBackward} needs
 * @throws ShapeError if `x` is not at least 2-D, `w` is not 2-D, the feature counts differ
 *   (`"affine: x has 12 features per example but w has 13 rows; x [2,3,2,2] (D = 12), w [13,5]"`)
 *   or `b` is not `[M]` (`"affine: bias length (4) must match the number of outputs (5); b [4], w [12,5]"`)
 * @throws ValueError for a NaN/infinite element (`"affine: w contains Infinity at [0,3]"`),
 *   checked before any work
 * @see CS231n `affine_forward`; the lecture's fully connected layers (LeNet, AlexNet, VGG)
 * @example
 * ```ts
 * const x = Tensor.from([[1, 2], [3, 4]]);                  // [2, 2]
 * const w = Tensor.from([[1, 0, 1], [0, 1, 1]]);            // [2, 3]
 * affineForward(x, w, Tensor.from([0, 0, 10])).out;         // [[1, 2, 13], [3, 4, 17]]
 * ```
 */
export function affineForward(x: Tensor, w: Tensor, b: Tensor): { out: Tensor; cache: AffineCache } {
  const op = 'affine';
  assertTensor(op, 'x', x);
  if (x.ndim < 2) throw new ShapeError(op, `x must be at least 2-D [N, d1, ..., dk], got ${formatShape(x.shape)}`);
  assertNdim(op, 'w', w, 2, '[D, M]');
  assertNdim(op, 'b', b, 1, '[M]');
  const N = x.shape[0];
  const D = featureSize(x.shape, op);
  const [WD, M] = w.shape;
  if (WD !== D) {
    throw new ShapeError(
      op,
      `x has ${D} features per example but w has ${WD} rows; x ${formatShape(x.shape)}${x.ndim > 2 ? ` (D = ${D})` : ''}, w ${formatShape(w.shape)}`,
    );
  }
  if (b.shape[0] !== M) {
    throw new ShapeError(op, `bias length (${b.shape[0]}) must match the number of outputs (${M}); b ${formatShape(b.shape)}, w ${formatShape(w.shape)}`);
  }
  assertFinite(op, 'x', x);
  assertFinite(op, 'w', w);
  assertFinite(op, 'b', b);

  const out = Tensor.zeros([N, M]);
  gemm(N, M, D, x.data, 0, w.data, 0, out.data, 0);
  const od = out.data;
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) od[n * M + m] += b.data[m];
  }
  return { out, cache: { x, w, b } };
}

/**
 * Affine (fully connected) layer, backward pass.
 *
 * Dimensions as in {@link affineForward}: N batch, D input features, M outputs.
 *
 * With `X = flatten(x)` `[N, D]`: `dX = dout w^T` (reshaped to the shape of `x`),
 * `dw = X^T dout`, `db = sum over n of dout[n, :]`.
 *
 * @param dout - upstream gradient, `[N, M]`, finite
 * @param cache - the `cache` returned by {@link affineForward}
 * @returns `dx` (the shape of `x`, `[N, d1, ..., dk]`), `dw` `[D, M]`, `db` `[M]`: gradients of
 *   `sum(out * dout)`
 * @throws ShapeError if `dout` is not `[N, M]` (`"affineBackward: dout must have shape [2,5], got [5,2]"`)
 * @throws ValueError if `dout` has a NaN/infinite element or `cache` is not an affine cache
 * @see CS231n `affine_backward`
 * @example
 * ```ts
 * const { cache } = affineForward(Tensor.from([[1, 2], [3, 4]]), Tensor.from([[1], [1]]), Tensor.from([0]));
 * affineBackward(Tensor.from([[1], [1]]), cache); // dx [[1, 1], [1, 1]], dw [[4], [6]], db [2]
 * ```
 */
export function affineBackward(dout: Tensor, cache: AffineCache): { dx: Tensor; dw: Tensor; db: Tensor } {
  const op = 'affineBackward';
  assertCache(op, cache, ['x', 'w', 'b'], 'affineForward');
  const { x, w } = cache;
  const N = x.shape[0];
  const [D, M] = w.shape;
  assertShape(op, 'dout', dout, [N, M]);
  assertFinite(op, 'dout', dout);

  const dx = Tensor.zeros(x.shape);
  gemm(N, D, M, dout.data, 0, w.data, 0, dx.data, 0, { transB: true });
  const dw = Tensor.zeros([D, M]);
  gemm(D, M, N, x.data, 0, dout.data, 0, dw.data, 0, { transA: true });
  const db = Tensor.zeros([M]);
  const dd = dout.data;
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) db.data[m] += dd[n * M + m];
  }
  return { dx, dw, db };
}
