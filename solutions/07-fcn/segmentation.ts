/**
 * Exercise 07, part 2: the loss and the metrics of semantic segmentation. A fully
 * convolutional network gives K class scores at every pixel; the loss is a softmax
 * cross-entropy per pixel, and the result is judged by pixel accuracy and by the intersection
 * over union (IoU) of every class.
 *
 * Labels and predictions are flat arrays of length `N*H*W` in row-major `[N, H, W]` order:
 * `labels[(n*H + h)*W + w]` is the class of pixel `(h, w)` of image `n`.
 *
 * @module
 */
import { assertNdim, formatShape, ShapeError, Tensor, ValueError } from '@dlkata/tensor';

/**
 * Throws unless `a` has `length` entries (when given), each an integer in `[0, K)` (or any
 * integer `>= 0` when `K` is undefined). Given: every function below calls it first.
 */
function checkClasses(op: string, name: string, a: ArrayLike<number>, K?: number, length?: number): void {
  if (a === null || typeof a !== 'object' || typeof a.length !== 'number') throw new ValueError(op, `${name} must be an array of integers`);
  if (length !== undefined && a.length !== length) throw new ShapeError(op, `${name} has ${a.length} entries, expected ${length}`);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (!Number.isInteger(v) || v < 0 || (K !== undefined && v >= K)) {
      throw new ValueError(op, `${name}[${i}] = ${v} is not a class index${K !== undefined ? ` in [0, ${K})` : ''}`);
    }
  }
}

/**
 * Softmax cross-entropy over the classes at every pixel, averaged over all pixels, and its
 * gradient: the loss of a fully convolutional segmentation network ("a per-pixel multinomial
 * logistic loss", Long et al. 2015).
 *
 * Dimensions: N batch, K classes, H x W image; `M = N*H*W` pixels.
 *
 * Each pixel's K scores `s = scores[n, :, h, w]` with label `y` are one example of the softmax
 * classifier: `p[k] = exp(s[k] - m) / sum over j of exp(s[j] - m)` with `m = max over k of
 * s[k]` (subtracting the maximum keeps `exp` from overflowing), and
 *
 * `loss = -(1/M) * sum over all pixels of log p[y]`,
 * `dscores[n, k, h, w] = (p[k] - [k == y]) / M`.
 *
 * Matches PyTorch's `F.cross_entropy(scores, target)` with `scores [N, K, H, W]`, `target
 * [N, H, W]` and the default `reduction='mean'` (the mean over pixels, not over images).
 *
 * @param scores - class scores (logits) per pixel, `[N, K, H, W]`
 * @param labels - `N*H*W` class indices in `[0, K)`, row-major `[N, H, W]`
 * @returns `loss` (a number) and `dscores`, `[N, K, H, W]`
 * @throws ShapeError if `scores` is not 4-D or `labels` has the wrong length
 *   (`"pixelSoftmaxCrossEntropy: labels has 15 entries, expected 16"`)
 * @throws ValueError for a label outside `[0, K)` (`"pixelSoftmaxCrossEntropy: labels[5] = 3 is not a class index in [0, 3)"`)
 * @see the lecture, item 11; Long, Shelhamer and Darrell 2015, Section 3; PyTorch `torch.nn.functional.cross_entropy`
 * @example
 * ```ts
 * const { loss } = pixelSoftmaxCrossEntropy(Tensor.zeros([1, 4, 2, 2]), [0, 1, 2, 3]);
 * // loss = log(4): every pixel is uniform over the 4 classes
 * ```
 */
export function pixelSoftmaxCrossEntropy(scores: Tensor, labels: ArrayLike<number>): { loss: number; dscores: Tensor } {
  const op = 'pixelSoftmaxCrossEntropy';
  assertNdim(op, 'scores', scores, 4, '[N, K, H, W]');
  const [N, K, H, W] = scores.shape;
  if (K < 1) throw new ShapeError(op, `scores must have at least one class, got ${formatShape(scores.shape)}`);
  checkClasses(op, 'labels', labels, K, N * H * W);
  // BEGIN SOLUTION: pixelSoftmaxCrossEntropy: the mean softmax cross-entropy over all N * H * W pixels of scores [N, K, H, W] against labels (N * H * W class indices, row-major), and its gradient dscores [N, K, H, W]; must not overflow for large scores
  const M = N * H * W;
  const dscores = Tensor.zeros(scores.shape);
  let loss = 0;
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < H; h++) {
      for (let w = 0; w < W; w++) {
        const y = labels[(n * H + h) * W + w];
        let m = -Infinity;
        for (let k = 0; k < K; k++) m = Math.max(m, scores.get(n, k, h, w));
        let sum = 0;
        for (let k = 0; k < K; k++) sum += Math.exp(scores.get(n, k, h, w) - m);
        // log p[y] = s[y] - m - log(sum): finite even when p[y] underflows to 0
        loss -= scores.get(n, y, h, w) - m - Math.log(sum);
        for (let k = 0; k < K; k++) {
          const p = Math.exp(scores.get(n, k, h, w) - m) / sum;
          dscores.set((p - (k === y ? 1 : 0)) / M, n, k, h, w);
        }
      }
    }
  }
  return { loss: loss / M, dscores };
  // END SOLUTION
}

/**
 * The predicted class of every pixel: the index of the largest score over the class axis.
 * Ties go to the lowest class index (as NumPy's `argmax`).
 *
 * Dimensions: N batch, K classes, H x W image.
 *
 * @param scores - `[N, K, H, W]` with K >= 1
 * @returns `N*H*W` class indices in `[0, K)`, row-major `[N, H, W]`
 * @throws ShapeError if `scores` is not 4-D or has no class
 * @example
 * ```ts
 * predictPixels(Tensor.from([[[[0, 5]], [[1, 2]]]])); // [1, 0]: scores [1, 2, 1, 2]
 * ```
 */
export function predictPixels(scores: Tensor): number[] {
  const op = 'predictPixels';
  assertNdim(op, 'scores', scores, 4, '[N, K, H, W]');
  const [N, K, H, W] = scores.shape;
  if (K < 1) throw new ShapeError(op, `scores must have at least one class, got ${formatShape(scores.shape)}`);
  // BEGIN SOLUTION: predictPixels: the predicted class of every pixel of scores [N, K, H, W] (the highest score; ties to the lowest class), N * H * W numbers in row-major order
  const pred: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < H; h++) {
      for (let w = 0; w < W; w++) {
        let best = 0;
        for (let k = 1; k < K; k++) {
          if (scores.get(n, k, h, w) > scores.get(n, best, h, w)) best = k; // strict: ties keep the lower class
        }
        pred.push(best);
      }
    }
  }
  return pred;
  // END SOLUTION
}

/**
 * Pixel accuracy: the fraction of pixels whose predicted class equals the label (Long et
 * al.'s "pixel accuracy", `sum_i n_ii / sum_i t_i`). Background pixels count like any other,
 * so on images that are mostly background, predicting "background" everywhere already scores
 * high: the reason segmentation is judged by mean IoU.
 *
 * @param pred - predicted classes, P integers `>= 0`
 * @param labels - true classes, P integers `>= 0`
 * @returns a number in `[0, 1]` (NaN for P = 0: 0 / 0)
 * @throws ShapeError if the lengths differ; ValueError for an entry that is not an integer `>= 0`
 * @see Long et al. 2015, Section 5
 * @example
 * ```ts
 * pixelAccuracy([0, 1, 1, 2], [0, 1, 2, 2]); // 0.75
 * ```
 */
export function pixelAccuracy(pred: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkClasses('pixelAccuracy', 'labels', labels);
  checkClasses('pixelAccuracy', 'pred', pred, undefined, labels.length);
  // BEGIN SOLUTION: pixelAccuracy: the fraction of pixels whose prediction equals the label, a number in [0, 1]
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) correct++;
  return correct / labels.length;
  // END SOLUTION
}

/**
 * Confusion matrix: `confusion[i, j]` counts the pixels of true class `i` predicted as class
 * `j`. Rows are the truth, columns the prediction (scikit-learn's `confusion_matrix`, FCN's
 * `fast_hist`): the diagonal holds the correct pixels, row `i` sums to the pixels labelled `i`,
 * column `j` to the pixels predicted `j`.
 *
 * @param pred - predicted classes, P integers in `[0, K)`
 * @param labels - true classes, P integers in `[0, K)`
 * @param K - number of classes, an integer `>= 1`
 * @returns counts, shape `[K, K]`
 * @throws ShapeError if the lengths differ; ValueError for `K < 1` or an entry outside `[0, K)`
 * @example
 * ```ts
 * confusion([0, 1, 1], [0, 0, 1], 2); // [[1, 1], [0, 1]]: one 0 was predicted as 1
 * ```
 */
export function confusion(pred: ArrayLike<number>, labels: ArrayLike<number>, K: number): Tensor {
  if (!Number.isInteger(K) || K < 1) throw new ValueError('confusion', `K must be an integer >= 1, got ${K}`);
  checkClasses('confusion', 'labels', labels, K);
  checkClasses('confusion', 'pred', pred, K, labels.length);
  // BEGIN SOLUTION: confusion: the [K, K] confusion matrix of the predictions against the labels (row: true class, column: predicted class)
  const m = Tensor.zeros([K, K]);
  for (let i = 0; i < labels.length; i++) m.data[labels[i] * K + pred[i]] += 1;
  return m;
  // END SOLUTION
}

/**
 * Intersection over union of every class:
 *
 * `IoU_k = TP_k / (TP_k + FP_k + FN_k)` = (pixels labelled AND predicted `k`) / (pixels
 * labelled OR predicted `k`) = `n_kk / (row_k + col_k - n_kk)` from the {@link confusion}
 * matrix `n`.
 *
 * A class that appears neither in `labels` nor in `pred` has an empty union: its IoU is 0 / 0,
 * returned as NaN ("no IoU"), never as 0 or 1.
 *
 * @param pred - predicted classes, P integers in `[0, K)`
 * @param labels - true classes, P integers in `[0, K)`
 * @param K - number of classes, an integer `>= 1`
 * @returns `K` numbers in `[0, 1]`, NaN for absent classes
 * @throws as {@link confusion}
 * @see Long et al. 2015, Section 5; FCN's evaluation code `score.py`
 * @example
 * ```ts
 * classIoU([0, 1, 1, 1, 2, 0], [0, 0, 1, 1, 2, 2], 4); // [1/3, 2/3, 1/2, NaN]
 * ```
 */
export function classIoU(pred: ArrayLike<number>, labels: ArrayLike<number>, K: number): number[] {
  // BEGIN SOLUTION: classIoU: the intersection over union of each class 0 .. K-1 (README "Metrics"), NaN for a class in neither pred nor labels; confusion helps
  const m = confusion(pred, labels, K);
  const iou: number[] = [];
  for (let k = 0; k < K; k++) {
    let row = 0;
    let col = 0;
    for (let j = 0; j < K; j++) {
      row += m.get(k, j);
      col += m.get(j, k);
    }
    const tp = m.get(k, k);
    const union = row + col - tp;
    iou.push(union === 0 ? NaN : tp / union);
  }
  return iou;
  // END SOLUTION
}

/**
 * Mean intersection over union ("mean IU" in FCN): the mean of {@link classIoU} over the
 * classes PRESENT in `labels` or `pred`. Absent classes (NaN) are left out, not counted as 0:
 * a test image with two digits must not be punished for the eight digits it does not contain.
 * A class that is predicted but never labelled (or labelled but never predicted) is present,
 * with IoU 0.
 *
 * @param pred - predicted classes, P integers in `[0, K)`
 * @param labels - true classes, P integers in `[0, K)`
 * @param K - number of classes, an integer `>= 1`
 * @returns a number in `[0, 1]`, NaN when no class is present (P = 0)
 * @throws as {@link confusion}
 * @see Long et al. 2015, Section 5: `(1/n_cl) sum_i n_ii / (t_i + sum_j n_ji - n_ii)`; FCN's
 *   `score.py` (`np.nanmean` of the per-class IU)
 * @example
 * ```ts
 * meanIoU([0, 1, 1, 1, 2, 0], [0, 0, 1, 1, 2, 2], 4); // (1/3 + 2/3 + 1/2) / 3 = 0.5; class 3 is absent
 * ```
 */
export function meanIoU(pred: ArrayLike<number>, labels: ArrayLike<number>, K: number): number {
  // BEGIN SOLUTION: meanIoU: the mean of the classes' IoU over the classes where it is defined (NaN when none is)
  const iou = classIoU(pred, labels, K);
  let sum = 0;
  let present = 0;
  for (const v of iou) {
    if (Number.isNaN(v)) continue; // absent class: no IoU
    sum += v;
    present++;
  }
  return present === 0 ? NaN : sum / present;
  // END SOLUTION
}
