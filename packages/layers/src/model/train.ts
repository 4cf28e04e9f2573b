/**
 * Training and evaluation loops for classifiers: mini-batch gradient descent with softmax
 * cross-entropy, accuracy and a confusion matrix.
 *
 * @module
 */
import { checkOptions, Rng, Tensor, ValueError } from '@dlkata/tensor';
import { batches, randomShift, type ImageDataset } from '../data/mnist.js';
import { softmaxCrossEntropy } from '../softmax.js';
import { networkBackward, networkForward, type Network } from './network.js';
import type { Optimizer } from './optim.js';

/** Progress of one mini-batch, for progress bars. */
export interface BatchProgress {
  /** Batches done in this epoch, 1-based. */
  readonly batch: number;
  /** Batches in the epoch. */
  readonly batches: number;
  /** Mean loss of this batch. */
  readonly loss: number;
  /** Running mean loss over the epoch so far. */
  readonly runningLoss: number;
  /** Images seen in this epoch so far. */
  readonly images: number;
}

/** Options of {@link trainEpoch}. */
export interface TrainEpochOptions {
  /** Images per batch, >= 1. */
  readonly batchSize: number;
  /** Shuffles the batches (and draws dropout masks). */
  readonly rng: Rng;
  /** Parameters that are not updated (transfer learning). */
  readonly frozen?: ReadonlySet<string>;
  /** Augment each batch with {@link randomShift} by up to this many pixels. Default 0 (off). */
  readonly shift?: number;
  /** Called after every batch. */
  readonly onBatch?: (p: BatchProgress) => void;
}

/** Result of one epoch of training. */
export interface EpochResult {
  /** Mean training loss over the epoch's batches (weighted by batch size). */
  readonly loss: number;
  /** Fraction of training images classified right during the epoch (before each update). */
  readonly accuracy: number;
  /** Wall-clock seconds. */
  readonly seconds: number;
}

function argmaxRow(scores: Tensor, n: number): number {
  const C = scores.shape[1];
  let best = 0;
  for (let c = 1; c < C; c++) if (scores.data[n * C + c] > scores.data[n * C + best]) best = c;
  return best;
}

/**
 * One pass over `data` in seeded random mini-batches: forward, softmax cross-entropy,
 * backward, one optimiser step per batch.
 *
 * @throws ValueError if the scores or the loss become NaN or infinite (diverged: lower the learning rate),
 *   naming the batch
 */
export function trainEpoch(net: Network, data: ImageDataset, opt: Optimizer, opts: TrainEpochOptions): EpochResult {
  checkOptions('trainEpoch', 'opts', opts, ['batchSize', 'rng', 'frozen', 'shift', 'onBatch']);
  const t0 = performance.now();
  const nBatches = Math.ceil(data.labels.length / opts.batchSize);
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  let b = 0;
  for (const batch of batches(data, opts.batchSize, opts.rng)) {
    b++;
    const y = batch.y;
    const x = opts.shift ? randomShift(batch.x, opts.shift, opts.rng) : batch.x;
    const { out, cache } = networkForward(net, x, { train: true, rng: opts.rng });
    if (!out.data.every(Number.isFinite)) {
      throw new ValueError('trainEpoch', `scores are not finite at batch ${b} of ${nBatches}: training diverged; try a smaller learning rate (now ${opt.lr})`);
    }
    const { loss, dscores } = softmaxCrossEntropy(out, y);
    if (!Number.isFinite(loss)) {
      throw new ValueError('trainEpoch', `loss is ${loss} at batch ${b} of ${nBatches}: training diverged; try a smaller learning rate (now ${opt.lr})`);
    }
    for (let n = 0; n < y.length; n++) if (argmaxRow(out, n) === y[n]) correct++;
    const { grads } = networkBackward(net, dscores, cache, opts.frozen);
    opt.step(net.params, grads);
    lossSum += loss * y.length;
    seen += y.length;
    opts.onBatch?.({ batch: b, batches: nBatches, loss, runningLoss: lossSum / seen, images: seen });
  }
  return { loss: lossSum / seen, accuracy: correct / seen, seconds: (performance.now() - t0) / 1000 };
}

/** Result of {@link evaluate}. */
export interface Evaluation {
  /** Mean softmax cross-entropy. */
  readonly loss: number;
  /** Fraction classified right, in `[0, 1]`. */
  readonly accuracy: number;
  /** `confusion[true][predicted]` counts, `classes x classes`. */
  readonly confusion: number[][];
}

/**
 * Loss, accuracy and confusion matrix of a network on a dataset (no updates, no dropout).
 *
 * @param batchSize - images per forward pass (memory only; the result does not depend on it)
 */
export function evaluate(net: Network, data: ImageDataset, batchSize = 250): Evaluation {
  const C = data.classes;
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  let lossSum = 0;
  let correct = 0;
  for (const { x, y } of batches(data, batchSize)) {
    const { out } = networkForward(net, x);
    lossSum += softmaxCrossEntropy(out, y).loss * y.length;
    for (let n = 0; n < y.length; n++) {
      const p = argmaxRow(out, n);
      confusion[y[n]][p]++;
      if (p === y[n]) correct++;
    }
  }
  const n = data.labels.length;
  return { loss: lossSum / n, accuracy: correct / n, confusion };
}

/**
 * The confusion matrix as a text table: rows are true classes, columns predictions.
 */
export function formatConfusion(confusion: number[][], labels: readonly string[] = confusion.map((_, i) => String(i))): string {
  const w = Math.max(4, ...confusion.flat().map((v) => String(v).length)) + 1;
  const head = 'true\\pred'.padEnd(10) + labels.map((l) => l.padStart(w)).join('');
  const rows = confusion.map((r, i) => labels[i].padEnd(10) + r.map((v) => String(v).padStart(w)).join(''));
  return [head, ...rows].join('\n');
}
