/**
 * Layers applied at every time step: an affine map from hidden states to scores, and a masked
 * softmax cross-entropy loss over a sequence of predictions.
 *
 * @module
 */
import { assertFinite, assertNdim, formatShape, gemm, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { assertCache, checkUpstream, readIds, readMask, type IdGrid, type MaskGrid } from './validate.js';

/** What {@link temporalAffineBackward} needs from {@link temporalAffineForward} (the caller's tensors). */
export interface TemporalAffineCache {
  /** The input, `[N, T, D]`. */
  readonly x: Tensor;
  /** The weights, `[D, M]`. */
  readonly w: Tensor;
  /** The biases, `[M]`. */
  readonly b: Tensor;
}

/**
 * Temporal affine layer, forward pass: the same affine map at every time step,
 * `out[n, t, :] = x[n, t, :] w + b` (e.g. hidden states to vocabulary scores).
 *
 * Dimensions: N batch, T time steps, D input features (H when `x` is an RNN's hidden states),
 * M outputs (V for vocabulary scores).
 *
 * Computed as one GEMM on `x` viewed as `[N*T, D]`.
 *
 * @param x - input, `[N, T, D]`, N, T, D >= 1, finite
 * @param w - weights, `[D, M]`, finite
 * @param b - biases, `[M]`, finite
 * @returns `out`, `[N, T, M]`, and the `cache` for {@link temporalAffineBackward}
 * @throws ShapeError for wrong numbers of dimensions, an empty sequence
 *   (`"temporalAffine: x must have at least one time step (T >= 1), got x [2,0,3]"`) or
 *   mismatched sizes (`"temporalAffine: x has D = 3 features but w has 4 rows; x [2,5,3], w [4,6]"`,
 *   `"temporalAffine: b must be [M] = [6] for w [3,6], got [5]"`)
 * @throws ValueError for a NaN/infinite element; all checks run before any work
 * @see CS231n `temporal_affine_forward`
 */
export function temporalAffineForward(x: Tensor, w: Tensor, b: Tensor): { out: Tensor; cache: TemporalAffineCache } {
  const op = 'temporalAffine';
  assertNdim(op, 'x', x, 3, '[N, T, D]');
  assertNdim(op, 'w', w, 2, '[D, M]');
  assertNdim(op, 'b', b, 1, '[M]');
  const [N, T, D] = x.shape;
  const [WD, M] = w.shape;
  const xs = `x ${formatShape(x.shape)}`;
  if (N < 1) throw new ShapeError(op, `x must have at least one example (N >= 1), got ${xs}`);
  if (T < 1) throw new ShapeError(op, `x must have at least one time step (T >= 1), got ${xs}`);
  if (D < 1) throw new ShapeError(op, `x must have at least one feature (D >= 1), got ${xs}`);
  if (WD !== D) throw new ShapeError(op, `x has D = ${D} features but w has ${WD} rows; ${xs}, w ${formatShape(w.shape)}`);
  if (M < 1) throw new ShapeError(op, `w must have at least one output column, got w ${formatShape(w.shape)}`);
  if (b.shape[0] !== M) throw new ShapeError(op, `b must be [M] = [${M}] for w ${formatShape(w.shape)}, got ${formatShape(b.shape)}`);
  assertFinite(op, 'x', x);
  assertFinite(op, 'w', w);
  assertFinite(op, 'b', b);
  const out = Tensor.zeros([N, T, M]);
  const o = out.data;
  gemm(N * T, M, D, x.data, 0, w.data, 0, o, 0);
  for (let r = 0; r < N * T; r++) {
    for (let m = 0; m < M; m++) o[r * M + m] += b.data[m];
  }
  return { out, cache: { x, w, b } };
}

/**
 * Temporal affine layer, backward pass.
 *
 * Dimensions as in {@link temporalAffineForward}: N batch, T time steps, D inputs, M outputs.
 *
 * With `X` = `x` as `[N*T, D]` and `G` = `dout` as `[N*T, M]`: `dx = G w^T` (as `[N, T, D]`),
 * `dw = X^T G` and `db = sum of G's rows`: the shared weights sum their gradients over every
 * example and every time step.
 *
 * @param dout - upstream gradient, `[N, T, M]`, finite
 * @param cache - the `cache` returned by {@link temporalAffineForward}
 * @returns `dx` `[N, T, D]`, `dw` `[D, M]`, `db` `[M]`: gradients of `sum(out * dout)`
 * @throws ShapeError if `dout` is not `[N, T, M]` (`"temporalAffineBackward: dout must have shape [2,5,6], got [2,5,5]"`)
 * @throws ValueError for a NaN/infinite element of `dout` or a `cache` that is not a temporal affine cache
 * @see CS231n `temporal_affine_backward`
 */
export function temporalAffineBackward(dout: Tensor, cache: TemporalAffineCache): { dx: Tensor; dw: Tensor; db: Tensor } {
  const op = 'temporalAffineBackward';
  assertCache(op, cache, ['x', 'w', 'b'], 'temporalAffineForward');
  const { x, w } = cache;
  const [N, T, D] = x.shape;
  const M = w.shape[1];
  checkUpstream(op, 'dout', dout, [N, T, M]);
  const R = N * T;
  const dx = Tensor.zeros([N, T, D]);
  gemm(R, D, M, dout.data, 0, w.data, 0, dx.data, 0, { transB: true });
  const dw = Tensor.zeros([D, M]);
  gemm(D, M, R, x.data, 0, dout.data, 0, dw.data, 0, { transA: true });
  const db = Tensor.zeros([M]);
  for (let r = 0; r < R; r++) {
    for (let m = 0; m < M; m++) db.data[m] += dout.data[r * M + m];
  }
  return { dx, dw, db };
}

/**
 * Softmax cross-entropy over a sequence of predictions, with a mask, and its gradient.
 *
 * Dimensions: N batch, T time steps, V vocabulary size (classes).
 *
 * With `p[n, t, :] = softmax(scores[n, t, :])` (row maximum subtracted first, so `exp` cannot
 * overflow; the log-probability is computed as `s - max - log(sum exp(s - max))`, finite for any
 * finite scores):
 *
 * `loss = -(1/N) * sum over (n, t) with mask[n][t] of log p[n, t, y[n][t]]`
 *
 * `dscores[n, t, :] = mask[n][t] * (p[n, t, :] - onehot(y[n][t])) / N`
 *
 * Note the division by N, not by the number of unmasked positions: CS231n's
 * `temporal_softmax_loss` convention (the loss of a sequence is the sum of its steps' losses,
 * averaged over the batch). PyTorch's `cross_entropy(..., reduction='mean', ignore_index=...)`
 * divides by the number of unmasked positions instead.
 *
 * At masked-out positions `y` may be any integer (a padding id such as -1 is allowed, like
 * PyTorch's `ignore_index`); at unmasked positions it must lie in `[0, V)`.
 *
 * @param scores - unnormalised scores, `[N, T, V]`, finite
 * @param y - target ids `(N, T)`, integers (see {@link IdGrid})
 * @param mask - which positions count, `(N, T)` booleans or 0/1 (see {@link MaskGrid});
 *   default: every position
 * @returns `loss` (a number >= 0) and `dscores`, `[N, T, V]`, its gradient
 * @throws ShapeError if `scores` is not 3-D with N, T, V >= 1, or `y` / `mask` is not an
 *   `(N, T)` grid of the same N and T (`"temporalSoftmaxLoss: y is (2, 4) but scores [2,5,10] needs (N, T) = (2, 5)"`)
 * @throws ValueError for an unmasked target outside `[0, V)`, naming the id, its position and V
 *   (`"temporalSoftmaxLoss: target id 10 at [1,3] is outside the vocabulary [0, 10) (V = 10)"`),
 *   a non-integer target, a mask entry that is not a boolean or 0/1, or a NaN/infinite score;
 *   all checks run before any work
 * @see CS231n `temporal_softmax_loss`; PyTorch `torch.nn.functional.cross_entropy`
 * @example
 * ```ts
 * const { loss } = temporalSoftmaxLoss(Tensor.zeros([2, 3, 4]), [[0, 1, 2], [3, 0, 1]], [[1, 1, 1], [1, 0, 0]]);
 * // 4 counted positions, each log(4), divided by N = 2: loss = 2 log 4 ≈ 2.773
 * ```
 */
export function temporalSoftmaxLoss(scores: Tensor, y: IdGrid, mask?: MaskGrid): { loss: number; dscores: Tensor } {
  const op = 'temporalSoftmaxLoss';
  assertNdim(op, 'scores', scores, 3, '[N, T, V]');
  const [N, T, V] = scores.shape;
  const ss = `scores ${formatShape(scores.shape)}`;
  if (N < 1) throw new ShapeError(op, `scores must have at least one example (N >= 1), got ${ss}`);
  if (T < 1) throw new ShapeError(op, `scores must have at least one time step (T >= 1), got ${ss}`);
  if (V < 1) throw new ShapeError(op, `scores must have at least one class (V >= 1), got ${ss}`);
  const ys = readIds(op, 'y', y);
  if (ys.N !== N || ys.T !== T) throw new ShapeError(op, `y is (${ys.N}, ${ys.T}) but ${ss} needs (N, T) = (${N}, ${T})`);
  let keep: boolean[];
  if (mask === undefined) {
    keep = new Array<boolean>(N * T).fill(true);
  } else {
    const ms = readMask(op, 'mask', mask);
    if (ms.N !== N || ms.T !== T) throw new ShapeError(op, `mask is (${ms.N}, ${ms.T}) but ${ss} needs (N, T) = (${N}, ${T})`);
    keep = ms.values;
  }
  for (let k = 0; k < N * T; k++) {
    const id = ys.values[k];
    if (keep[k] && (id < 0 || id >= V)) {
      throw new ValueError(op, `target id ${id} at [${Math.floor(k / T)},${k % T}] is outside the vocabulary [0, ${V}) (V = ${V})`);
    }
  }
  assertFinite(op, 'scores', scores);

  const s = scores.data;
  const dscores = Tensor.zeros([N, T, V]);
  const g = dscores.data;
  let total = 0;
  for (let k = 0; k < N * T; k++) {
    if (!keep[k]) continue;
    const row = k * V;
    let m = -Infinity;
    for (let v = 0; v < V; v++) m = Math.max(m, s[row + v]);
    let z = 0;
    for (let v = 0; v < V; v++) {
      const e = Math.exp(s[row + v] - m);
      g[row + v] = e;
      z += e;
    }
    const target = ys.values[k];
    total -= s[row + target] - m - Math.log(z);
    for (let v = 0; v < V; v++) g[row + v] /= z * N;
    g[row + target] -= 1 / N;
  }
  return { loss: total / N, dscores };
}
