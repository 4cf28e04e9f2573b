/**
 * Softmax cross-entropy loss for classification, with its gradient.
 *
 * @module
 */
import { assertFinite, assertNdim, formatShape, ShapeError, Tensor, ValueError } from '@dlkata/tensor';

/**
 * Softmax followed by cross-entropy, averaged over the batch, and its gradient with respect to
 * the scores, in one numerically stable pass.
 *
 * Dimensions: N batch (at least 1), C classes (at least 1).
 *
 * For each example `n` with label `y = labels[n]`:
 * `p[n, c] = exp(s[n, c] - m) / sum over k of exp(s[n, k] - m)` with `m = max over k of s[n, k]`
 * (subtracting the row maximum changes nothing mathematically but keeps `exp` from overflowing),
 * and `loss = -(1/N) * sum over n of log p[n, y]` (natural log). The log-probability is
 * computed as `s[n, y] - m - log(sum exp(s[n, k] - m))`, so a confident wrong answer gives a
 * large finite loss, never `Infinity`. The gradient is `dscores = (p - onehot(labels)) / N`.
 *
 * Matches PyTorch's `F.cross_entropy(scores, labels)` (`reduction='mean'`) and CS231n's
 * `softmax_loss`.
 *
 * @param scores - unnormalised class scores (logits), `[N, C]`, finite
 * @param labels - the correct class of each example: `N` integers in `[0, C)` (an array or a
 *   typed array such as `Int32Array`)
 * @returns `loss` (a number, the batch mean) and `dscores`, `[N, C]`, the gradient of `loss`
 * @throws ShapeError if `scores` is not 2-D, the batch or the class count is empty
 *   (`"softmaxCrossEntropy: scores must have at least one example, got [0,10]"`), or the number of
 *   labels differs from N (`"softmaxCrossEntropy: got 3 labels for 4 examples; scores [4,10]"`)
 * @throws ValueError for a label that is not an integer in `[0, C)`
 *   (`"softmaxCrossEntropy: labels[2] = 10 is out of range [0, 10); scores [4,10]"`,
 *   `"softmaxCrossEntropy: labels[1] = 1.5 is not an integer"`) or a NaN/infinite score;
 *   all checks run before any work
 * @see the lecture: AlexNet's softmax over 1000 classes, LeNet's 10 digit classes; CS231n
 *   `softmax_loss`; PyTorch `torch.nn.functional.cross_entropy`
 * @example
 * ```ts
 * const { loss, dscores } = softmaxCrossEntropy(Tensor.zeros([2, 4]), [0, 3]);
 * // loss = log(4) ≈ 1.386 (uniform over 4 classes); dscores[0] = [-0.375, 0.125, 0.125, 0.125]
 * ```
 */
export function softmaxCrossEntropy(scores: Tensor, labels: ArrayLike<number>): { loss: number; dscores: Tensor } {
  const op = 'softmaxCrossEntropy';
  assertNdim(op, 'scores', scores, 2, '[N, C]');
  const [N, C] = scores.shape;
  if (N < 1) throw new ShapeError(op, `scores must have at least one example, got ${formatShape(scores.shape)}`);
  if (C < 1) throw new ShapeError(op, `scores must have at least one class, got ${formatShape(scores.shape)}`);
  if (labels instanceof Tensor) {
    throw new ValueError(op, `labels must be an array of ${N} integers, got a Tensor ${formatShape(labels.shape)} (pass its .data)`);
  }
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') {
    throw new ValueError(op, `labels must be an array of ${N} integers, got ${labels === null ? 'null' : typeof labels}`);
  }
  if (labels.length !== N) {
    throw new ShapeError(op, `got ${labels.length} labels for ${N} examples; scores ${formatShape(scores.shape)}`);
  }
  for (let n = 0; n < N; n++) {
    const y = labels[n];
    if (typeof y !== 'number' || !Number.isInteger(y)) {
      throw new ValueError(op, `labels[${n}] = ${String(y)} is not an integer`);
    }
    if (y < 0 || y >= C) {
      throw new ValueError(op, `labels[${n}] = ${y} is out of range [0, ${C}); scores ${formatShape(scores.shape)}`);
    }
  }
  assertFinite(op, 'scores', scores);

  const sd = scores.data;
  const dscores = Tensor.zeros([N, C]);
  const gd = dscores.data;
  let total = 0;
  for (let n = 0; n < N; n++) {
    const row = n * C;
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, sd[row + c]);
    let z = 0;
    for (let c = 0; c < C; c++) {
      const e = Math.exp(sd[row + c] - m);
      gd[row + c] = e;
      z += e;
    }
    const y = labels[n];
    total -= sd[row + y] - m - Math.log(z);
    for (let c = 0; c < C; c++) gd[row + c] /= z * N;
    gd[row + y] -= 1 / N;
  }
  return { loss: total / N, dscores };
}
