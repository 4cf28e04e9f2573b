/**
 * Semantic segmentation: the per-pixel softmax cross-entropy loss of a fully convolutional
 * network, and the usual metrics (pixel accuracy, confusion matrix, intersection over union).
 *
 * Labels and predictions are flat integer arrays of length `N*H*W` in row-major `[N, H, W]`
 * order: `labels[(n*H + h)*W + w]` is the class of pixel `(h, w)` of image `n`.
 *
 * @module
 */
import { assertFinite, assertNdim, formatShape, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { softmaxCrossEntropy } from './softmax.js';

function checkIndexArray(op: string, name: string, a: ArrayLike<number>, length?: number, what = ''): void {
  if (a instanceof Tensor) {
    throw new ValueError(op, `${name} must be an array of integers, got a Tensor ${formatShape(a.shape)} (pass its .data)`);
  }
  if (a === null || typeof a !== 'object' || typeof a.length !== 'number') {
    throw new ValueError(op, `${name} must be an array of integers, got ${a === null ? 'null' : typeof a}`);
  }
  if (length !== undefined && a.length !== length) {
    throw new ShapeError(op, `${name} has ${a.length} entries but ${what} needs ${length}`);
  }
}

function checkIgnore(op: string, ignoreIndex: number | undefined): void {
  if (ignoreIndex !== undefined && (typeof ignoreIndex !== 'number' || !Number.isInteger(ignoreIndex))) {
    throw new ValueError(op, `ignoreIndex must be an integer, got ${String(ignoreIndex)}`);
  }
}

/**
 * Throws unless every entry is an integer in `[0, K)` (any integer >= 0 when `K` is undefined),
 * or equal to `ignoreIndex` when one is given.
 */
function checkClasses(op: string, name: string, a: ArrayLike<number>, K: number | undefined, ignoreIndex?: number): void {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new ValueError(op, `${name}[${i}] = ${String(v)} is not an integer`);
    if (v === ignoreIndex) continue;
    if (v < 0 || (K !== undefined && v >= K)) {
      const range = K === undefined ? 'is not a class index (an integer >= 0)' : `is out of range [0, ${K})`;
      throw new ValueError(op, `${name}[${i}] = ${v} ${range}${ignoreIndex !== undefined ? ` and is not the ignore index ${ignoreIndex}` : ''}`);
    }
  }
}

/**
 * Softmax cross-entropy over the classes at every pixel, averaged over the labelled pixels,
 * and its gradient: the loss of a fully convolutional segmentation network.
 *
 * Dimensions: N batch, K classes, H x W image; `M` the number of pixels whose label is not
 * `ignoreIndex`.
 *
 * Each pixel's K scores are one example of {@link softmaxCrossEntropy}, which this function
 * calls on the `[M, K]` matrix of labelled pixels (so the arithmetic is that trusted
 * primitive's): `loss = -(1/M) * sum over labelled pixels of log softmax(scores[n, :, h, w])[label]`,
 * and `dscores[n, :, h, w] = (softmax - onehot(label)) / M` at labelled pixels, 0 at ignored ones.
 *
 * Matches PyTorch's `F.cross_entropy(scores, target, ignore_index=ignoreIndex)` with
 * `scores [N, K, H, W]`, `target [N, H, W]` and `reduction='mean'`, except when every pixel is
 * ignored: PyTorch returns NaN (0/0), this returns `loss = 0` and zero gradients, so a batch with
 * no labels is a no-op step.
 *
 * @param scores - class scores per pixel, `[N, K, H, W]` (K >= 1), finite
 * @param labels - `N*H*W` integers in row-major `[N, H, W]` order, each in `[0, K)` or equal to
 *   `ignoreIndex` (e.g. `Int32Array`; PASCAL VOC marks object borders with 255)
 * @param ignoreIndex - a label value that contributes nothing (any integer; PyTorch's default is
 *   -100); none by default
 * @returns `loss` (a number, the mean over labelled pixels) and `dscores`, `[N, K, H, W]`
 * @throws ShapeError if `scores` is not 4-D, has no class, or `labels` has the wrong length
 *   (`"pixelSoftmaxCrossEntropy: labels has 15 entries but scores [1,3,4,4] needs 16"`)
 * @throws ValueError for a label that is neither a class nor the ignore index
 *   (`"pixelSoftmaxCrossEntropy: labels[5] = 3 is out of range [0, 3)"`), a non-integer
 *   `ignoreIndex`, or a NaN/infinite score; all checks run before any work
 * @see the lecture, item 11 (semantic segmentation); Long, Shelhamer and Darrell 2015, Section 3
 *   ("a per-pixel multinomial logistic loss"); PyTorch `torch.nn.functional.cross_entropy`
 * @example
 * ```ts
 * const { loss } = pixelSoftmaxCrossEntropy(Tensor.zeros([1, 4, 2, 2]), Int32Array.from([0, 1, 2, 255]), 255);
 * // loss = log(4): three labelled pixels, each uniform over 4 classes
 * ```
 */
export function pixelSoftmaxCrossEntropy(scores: Tensor, labels: ArrayLike<number>, ignoreIndex?: number): { loss: number; dscores: Tensor } {
  const op = 'pixelSoftmaxCrossEntropy';
  assertNdim(op, 'scores', scores, 4, '[N, K, H, W]');
  const [N, K, H, W] = scores.shape;
  if (K < 1) throw new ShapeError(op, `scores must have at least one class, got ${formatShape(scores.shape)}`);
  checkIgnore(op, ignoreIndex);
  checkIndexArray(op, 'labels', labels, N * H * W, `scores ${formatShape(scores.shape)}`);
  checkClasses(op, 'labels', labels, K, ignoreIndex);
  assertFinite(op, 'scores', scores);

  const HW = H * W;
  const pixels: number[] = [];
  for (let i = 0; i < labels.length; i++) if (labels[i] !== ignoreIndex) pixels.push(i);
  const dscores = Tensor.zeros(scores.shape);
  const M = pixels.length;
  if (M === 0) return { loss: 0, dscores };

  // Gather the labelled pixels into rows [M, K]: pixel i = n*HW + p sits at scores[n, k, p].
  const rows = Tensor.zeros([M, K]);
  const y = new Int32Array(M);
  const sd = scores.data;
  pixels.forEach((i, m) => {
    const n = Math.floor(i / HW);
    const p = i - n * HW;
    for (let k = 0; k < K; k++) rows.data[m * K + k] = sd[(n * K + k) * HW + p];
    y[m] = labels[i];
  });
  const { loss, dscores: drows } = softmaxCrossEntropy(rows, y);
  const gd = dscores.data;
  pixels.forEach((i, m) => {
    const n = Math.floor(i / HW);
    const p = i - n * HW;
    for (let k = 0; k < K; k++) gd[(n * K + k) * HW + p] = drows.data[m * K + k];
  });
  return { loss, dscores };
}

/**
 * The predicted class of every pixel: the index of the largest score over the class axis
 * (ties: the lowest class index, like NumPy's `argmax`).
 *
 * Dimensions: N batch, K classes, H x W image.
 *
 * @param scores - `[N, K, H, W]` with K >= 1
 * @returns `N*H*W` class indices in `[0, K)`, row-major `[N, H, W]`
 * @throws ShapeError if `scores` is not 4-D or has no class
 * @example
 * ```ts
 * predictPixels(Tensor.from([[[[0, 5]], [[1, 2]]]])); // Int32Array [1, 0]: scores [1, 2, 1, 2]
 * ```
 */
export function predictPixels(scores: Tensor): Int32Array {
  const op = 'predictPixels';
  assertNdim(op, 'scores', scores, 4, '[N, K, H, W]');
  const [N, K, H, W] = scores.shape;
  if (K < 1) throw new ShapeError(op, `scores must have at least one class, got ${formatShape(scores.shape)}`);
  const HW = H * W;
  const pred = new Int32Array(N * HW);
  const sd = scores.data;
  for (let n = 0; n < N; n++) {
    for (let p = 0; p < HW; p++) {
      let best = 0;
      let bestVal = sd[n * K * HW + p];
      for (let k = 1; k < K; k++) {
        const v = sd[(n * K + k) * HW + p];
        if (v > bestVal) {
          bestVal = v;
          best = k;
        }
      }
      pred[n * HW + p] = best;
    }
  }
  return pred;
}

/**
 * Pixel accuracy: the fraction of labelled pixels whose predicted class equals the label
 * (Long et al.'s "pixel accuracy", `sum_i n_ii / sum_i t_i`).
 *
 * @param pred - predicted classes, integers (any length P)
 * @param labels - true classes, P integers; entries equal to `ignoreIndex` are not counted
 * @param ignoreIndex - a label value to skip; none by default
 * @returns a number in `[0, 1]`, or NaN when no pixel is labelled (0 / 0, as NumPy)
 * @throws ShapeError if the lengths differ (`"pixelAccuracy: pred has 3 entries but labels needs 4"`)
 * @throws ValueError for an entry that is not an integer >= 0 (labels: unless it is the ignore
 *   index), or a non-integer `ignoreIndex`
 * @see Long et al. 2015, Section 5 (metrics)
 * @example
 * ```ts
 * pixelAccuracy([0, 1, 1, 2], [0, 1, 2, 2]); // 0.75
 * ```
 */
export function pixelAccuracy(pred: ArrayLike<number>, labels: ArrayLike<number>, ignoreIndex?: number): number {
  const op = 'pixelAccuracy';
  checkIgnore(op, ignoreIndex);
  checkIndexArray(op, 'labels', labels);
  checkIndexArray(op, 'pred', pred, labels.length, 'labels');
  checkClasses(op, 'labels', labels, undefined, ignoreIndex);
  checkClasses(op, 'pred', pred, undefined);
  let labelled = 0;
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === ignoreIndex) continue;
    labelled++;
    if (pred[i] === labels[i]) correct++;
  }
  return correct / labelled;
}

/**
 * Confusion matrix: `confusion[i, j]` counts the labelled pixels of true class `i` predicted as
 * class `j` (rows are the truth, columns the prediction, as scikit-learn's `confusion_matrix`
 * and FCN's `fast_hist`). Pixels whose label is `ignoreIndex` are not counted.
 *
 * @param pred - predicted classes, P integers in `[0, K)`
 * @param labels - true classes, P integers in `[0, K)` or equal to `ignoreIndex`
 * @param K - number of classes, integer >= 1
 * @param ignoreIndex - a label value to skip; none by default
 * @returns counts, `[K, K]`; the diagonal holds the correct pixels, row sums the pixels of each
 *   class, column sums the pixels predicted as each class
 * @throws ShapeError if the lengths differ
 * @throws ValueError for a `K` below 1, or an entry outside `[0, K)` that is not the ignore index
 *   (`"confusion: pred[2] = 3 is out of range [0, 3)"`)
 * @see Long et al. 2015, Section 5 (`n_ij`); their evaluation code's `fast_hist`
 * @example
 * ```ts
 * confusion([0, 1, 1], [0, 0, 1], 2); // [[1, 1], [0, 1]]
 * ```
 */
export function confusion(pred: ArrayLike<number>, labels: ArrayLike<number>, K: number, ignoreIndex?: number): Tensor {
  const op = 'confusion';
  if (typeof K !== 'number' || !Number.isInteger(K) || K < 1) throw new ValueError(op, `K must be an integer >= 1, got ${String(K)}`);
  checkIgnore(op, ignoreIndex);
  checkIndexArray(op, 'labels', labels);
  checkIndexArray(op, 'pred', pred, labels.length, 'labels');
  checkClasses(op, 'labels', labels, K, ignoreIndex);
  checkClasses(op, 'pred', pred, K);
  const m = Tensor.zeros([K, K]);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === ignoreIndex) continue;
    m.data[labels[i] * K + pred[i]] += 1;
  }
  return m;
}

/**
 * Intersection over union of every class:
 * `IoU_k = TP_k / (TP_k + FP_k + FN_k)` = (pixels both labelled and predicted `k`) / (pixels
 * labelled or predicted `k`), computed from the {@link confusion} matrix as
 * `n_kk / (row_k + col_k - n_kk)`.
 *
 * A class that appears in neither `pred` nor `labels` (among labelled pixels) has no IoU: NaN.
 *
 * @param pred - predicted classes, P integers in `[0, K)`
 * @param labels - true classes, P integers in `[0, K)` or equal to `ignoreIndex`
 * @param K - number of classes, integer >= 1
 * @param ignoreIndex - a label value to skip (its pixels count for no class, whatever the prediction)
 * @returns `K` numbers in `[0, 1]`, NaN for absent classes
 * @throws ShapeError, ValueError as {@link confusion}
 * @see Long et al. 2015, Section 5 ("mean IU"); their evaluation code's `score.py`
 */
export function classIoU(pred: ArrayLike<number>, labels: ArrayLike<number>, K: number, ignoreIndex?: number): Float64Array {
  const m = confusion(pred, labels, K, ignoreIndex).data;
  const iou = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let row = 0;
    let col = 0;
    for (let j = 0; j < K; j++) {
      row += m[k * K + j];
      col += m[j * K + k];
    }
    const tp = m[k * K + k];
    const union = row + col - tp;
    iou[k] = union === 0 ? NaN : tp / union;
  }
  return iou;
}

/**
 * Mean intersection over union: the mean of {@link classIoU} over the classes PRESENT in
 * `pred` or `labels` (union > 0); absent classes are left out rather than counted as 0 or 1.
 * This is the evaluation of FCN's reference code (`np.nanmean` of the per-class IU, where an
 * absent class divides 0 by 0); a class that is predicted but never labelled, or labelled but
 * never predicted, counts with IoU 0.
 *
 * @param pred - predicted classes, P integers in `[0, K)`
 * @param labels - true classes, P integers in `[0, K)` or equal to `ignoreIndex`
 * @param K - number of classes, integer >= 1
 * @param ignoreIndex - a label value to skip
 * @returns a number in `[0, 1]`, or NaN when no class is present (no labelled pixel)
 * @throws ShapeError, ValueError as {@link confusion}
 * @see Long et al. 2015, Section 5: mean IU `(1/n_cl) sum_i n_ii / (t_i + sum_j n_ji - n_ii)`
 * @example
 * ```ts
 * meanIoU([0, 1, 1, 1, 2, 0], [0, 0, 1, 1, 2, 2], 4); // (1/3 + 2/3 + 1/2) / 3 = 0.5; class 3 is absent
 * ```
 */
export function meanIoU(pred: ArrayLike<number>, labels: ArrayLike<number>, K: number, ignoreIndex?: number): number {
  const iou = classIoU(pred, labels, K, ignoreIndex);
  let sum = 0;
  let present = 0;
  for (const v of iou) {
    if (Number.isNaN(v)) continue;
    sum += v;
    present++;
  }
  return present === 0 ? NaN : sum / present;
}
