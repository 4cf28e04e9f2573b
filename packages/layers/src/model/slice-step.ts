/**
 * One slice of a training mini-batch: forward, softmax cross-entropy, backward, with the
 * gradients scaled for the mean over the whole batch. The main thread and every training
 * worker run this same function on their rows, so the only difference between one thread and
 * several is the order in which the slices' sums are added.
 *
 * Internal: not exported from the package.
 *
 * @module
 */
import { Tensor } from '@dlkata/tensor';
import { softmaxCrossEntropy } from '../softmax.js';
import { networkBackward, networkForward, type Network, type ParamDict } from './network.js';

/** What one slice contributes to its batch. */
export interface SliceResult {
  /** `false` when a score is NaN or infinite (then nothing else is computed). */
  readonly finite: boolean;
  /** Sum over the slice's rows of `-log softmax(scores)[label]`. */
  readonly lossSum: number;
  /** Rows classified right (before the update). */
  readonly correct: number;
  /** Gradients of the batch's mean loss restricted to these rows (null when not finite). */
  readonly grads: ParamDict | null;
}

/**
 * Throws the library's loss error for labels that are not `N` integers in `[0, C)`:
 * {@link softmaxCrossEntropy}'s own message, naming the bad index and `scores` (zeros of
 * `[N, C]` when not given, for a check made before any scores exist).
 */
export function assertLabels(y: ArrayLike<number>, N: number, C: number, scores?: Tensor): void {
  let ok = y !== null && typeof y === 'object' && y.length === N;
  for (let n = 0; ok && n < N; n++) ok = Number.isInteger(y[n]) && y[n] >= 0 && y[n] < C;
  if (!ok) softmaxCrossEntropy(scores ?? Tensor.zeros([N, C]), y);
}

/**
 * Runs rows `x` (`[n, ...inputShape]`, labels `y`) of a batch of `total` rows.
 * `dscores` rows are `(softmax - onehot) / total`, computed exactly as
 * {@link softmaxCrossEntropy} does for a batch of `total` rows.
 *
 * @param masks - this slice's rows of every dropout mask (see `drawDropoutMasks`)
 */
export function sliceStep(net: Network, x: Tensor, y: ArrayLike<number>, masks: readonly Float64Array[], total: number, frozen?: ReadonlySet<string>): SliceResult {
  const { out, cache } = networkForward(net, x, { train: true, dropoutMasks: masks });
  const sd = out.data;
  for (let i = 0; i < sd.length; i++) if (!Number.isFinite(sd[i])) return { finite: false, lossSum: NaN, correct: 0, grads: null };
  const [N, C] = out.shape;
  assertLabels(y, N, C, out);
  const dscores = Tensor.zeros([N, C]);
  const gd = dscores.data;
  let lossSum = 0;
  let correct = 0;
  for (let n = 0; n < N; n++) {
    const row = n * C;
    let m = -Infinity;
    let best = 0;
    for (let c = 0; c < C; c++) {
      m = Math.max(m, sd[row + c]);
      if (sd[row + c] > sd[row + best]) best = c;
    }
    if (best === y[n]) correct++;
    let z = 0;
    for (let c = 0; c < C; c++) {
      const e = Math.exp(sd[row + c] - m);
      gd[row + c] = e;
      z += e;
    }
    const label = y[n];
    lossSum -= sd[row + label] - m - Math.log(z);
    for (let c = 0; c < C; c++) gd[row + c] /= z * total;
    gd[row + label] -= 1 / total;
  }
  const { grads } = networkBackward(net, dscores, cache, frozen);
  return { finite: true, lossSum, correct, grads };
}
