/**
 * Training and evaluation loops for classifiers: mini-batch gradient descent with softmax
 * cross-entropy, accuracy and a confusion matrix.
 *
 * @module
 */
import { checkOptions, Rng, Tensor, ValueError } from '@dlkata/tensor';
import { batches, randomShift, type ImageDataset } from '../data/mnist.js';
import { softmaxCrossEntropy } from '../softmax.js';
import { MAX_TRAINING_WORKERS, TrainingWorkers, type BatchStep } from './data-parallel.js';
import { drawDropoutMasks, networkForward, type Network } from './network.js';
import type { Optimizer } from './optim.js';
import { sliceStep } from './slice-step.js';

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

/** Options of {@link trainEpoch} on several threads. */
export interface ParallelTrainEpochOptions extends TrainEpochOptions {
  /**
   * Threads per batch, the main thread included (an integer from 1 to
   * {@link MAX_TRAINING_WORKERS}; a pool of that size is started and closed for this epoch),
   * or a {@link TrainingWorkers} pool to reuse across epochs (left open).
   */
  readonly workers: number | TrainingWorkers;
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
 * With `workers`, every batch is split across that many threads (see {@link TrainingWorkers})
 * and the call returns a promise. The batch order, the shifts and the dropout masks come from
 * `rng` on the main thread either way, so a seed gives the same run: bit for bit for the same
 * number of threads, and up to the order of floating-point sums (about 1e-16 relative per
 * batch) for a different number. `workers: 1` runs on the calling thread and gives exactly
 * the result without `workers`.
 *
 * @throws ValueError if the scores or the loss become NaN or infinite (diverged: lower the learning rate),
 *   naming the batch; if `workers` is not an integer from 1 to {@link MAX_TRAINING_WORKERS} or an open pool
 * @throws TrainingWorkerError (as a rejection) if a worker thread fails; the threads are terminated
 */
export function trainEpoch(net: Network, data: ImageDataset, opt: Optimizer, opts: ParallelTrainEpochOptions): Promise<EpochResult>;
export function trainEpoch(net: Network, data: ImageDataset, opt: Optimizer, opts: TrainEpochOptions): EpochResult;
export function trainEpoch(net: Network, data: ImageDataset, opt: Optimizer, opts: TrainEpochOptions | ParallelTrainEpochOptions): EpochResult | Promise<EpochResult> {
  checkOptions('trainEpoch', 'opts', opts, ['batchSize', 'rng', 'frozen', 'shift', 'onBatch', 'workers']);
  const workers = (opts as Partial<ParallelTrainEpochOptions>).workers;
  if (workers === undefined) {
    const epoch = new EpochLoop(net, data, opt, opts);
    for (const batch of epoch.batches()) {
      const r = sliceStep(net, batch.x, batch.y, batch.masks, batch.y.length, opts.frozen);
      epoch.finish({ ...r, loss: r.lossSum / batch.y.length }, batch.y.length);
    }
    return epoch.result();
  }
  if (workers instanceof TrainingWorkers) {
    if (workers.closed) throw new ValueError('trainEpoch', 'workers: the TrainingWorkers pool is closed; create a new one');
    return trainOn(workers, net, data, opt, opts);
  }
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 1 || workers > MAX_TRAINING_WORKERS) {
    throw new ValueError('trainEpoch', `workers must be an integer from 1 to ${MAX_TRAINING_WORKERS} or a TrainingWorkers pool, got ${typeof workers === 'number' ? workers : typeof workers}`);
  }
  if (workers > 1 && net.ops && Object.keys(net.ops).length > 0) {
    throw new ValueError('trainEpoch', `workers run the library's layers only; this network replaces ${Object.keys(net.ops).join(', ')} (net.ops): train it with workers: 1`);
  }
  const pool = new TrainingWorkers(workers);
  return trainOn(pool, net, data, opt, opts).finally(() => pool.close());
}

async function trainOn(pool: TrainingWorkers, net: Network, data: ImageDataset, opt: Optimizer, opts: TrainEpochOptions): Promise<EpochResult> {
  const epoch = new EpochLoop(net, data, opt, opts);
  for (const batch of epoch.batches()) {
    const r: BatchStep = await pool.step(net, batch.x, batch.y, batch.masks, opts.frozen);
    epoch.finish(r, batch.y.length);
  }
  return epoch.result();
}

/** The bookkeeping of an epoch shared by the one-thread and the threaded loops. */
class EpochLoop {
  private readonly t0 = performance.now();
  private readonly nBatches: number;
  private lossSum = 0;
  private correct = 0;
  private seen = 0;
  private b = 0;

  constructor(
    private readonly net: Network,
    private readonly data: ImageDataset,
    private readonly opt: Optimizer,
    private readonly opts: TrainEpochOptions,
  ) {
    this.nBatches = Math.ceil(data.labels.length / opts.batchSize);
  }

  /** Batches with their augmentation and dropout masks, drawn from the rng in the one-thread order. */
  *batches(): Generator<{ x: Tensor; y: Int32Array; masks: Float64Array[] }> {
    const { rng, shift } = this.opts;
    for (const batch of batches(this.data, this.opts.batchSize, rng)) {
      this.b++;
      const x = shift ? randomShift(batch.x, shift, rng) : batch.x;
      yield { x, y: batch.y, masks: drawDropoutMasks(this.net, batch.y.length, rng) };
    }
  }

  finish(r: { readonly finite: boolean; readonly loss: number; readonly correct: number; readonly grads: Record<string, Tensor> | null }, n: number): void {
    const { b, nBatches, opt } = this;
    if (!r.finite || !r.grads) {
      throw new ValueError('trainEpoch', `scores are not finite at batch ${b} of ${nBatches}: training diverged; try a smaller learning rate (now ${opt.lr})`);
    }
    const loss = r.loss;
    if (!Number.isFinite(loss)) {
      throw new ValueError('trainEpoch', `loss is ${loss} at batch ${b} of ${nBatches}: training diverged; try a smaller learning rate (now ${opt.lr})`);
    }
    this.correct += r.correct;
    opt.step(this.net.params, r.grads);
    this.lossSum += loss * n;
    this.seen += n;
    this.opts.onBatch?.({ batch: b, batches: nBatches, loss, runningLoss: this.lossSum / this.seen, images: this.seen });
  }

  result(): EpochResult {
    return { loss: this.lossSum / this.seen, accuracy: this.correct / this.seen, seconds: (performance.now() - this.t0) / 1000 };
  }
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
