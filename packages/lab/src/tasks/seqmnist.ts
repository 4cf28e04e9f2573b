/**
 * Sequential MNIST: each digit is read row by row, 28 steps of 28 pixels, by a recurrent
 * network that answers once at the end (the lecture's many-to-one case); a vanilla RNN and an
 * LSTM of the same size, data, seed and budget. The class depends on rows up to 27 steps back,
 * a long-term dependency on real data (Le, Jaitly & Hinton 2015 use the harder pixel-by-pixel
 * version).
 *
 * Built from `@dlkata/rnn`'s `manyToOneLoss` (last hidden state, affine, softmax), Adam and
 * global-norm clipping.
 *
 * @module
 */
import { Adam, mnistSplit, type ImageDataset } from '@dlkata/layers';
import { clipGradNorm, lstmInitParams, manyToOneLoss, rnnInitParams, temporalAffineBackward, temporalAffineForward, temporalSoftmaxLoss, type ModelParams, type RecurrentCell } from '@dlkata/rnn';
import { checkOptions, optionKeys, Rng, Tensor, ValueError } from '@dlkata/tensor';
import type { Impl } from '../mine/adapters.js';

/** The loss of one many-to-one model (last hidden state, affine, softmax): mean loss, scores `[N, K]`, gradients keyed like `params`. */
export type SequenceLoss = (x: Tensor, params: ModelParams, y: readonly number[]) => { loss: number; scores: Tensor; grads: ModelParams };

/** The library's `manyToOneLoss` for a cell. */
export const librarySequenceLoss = (cell: RecurrentCell): SequenceLoss => (x, params, y) => manyToOneLoss(x, params, y, { cell });

/**
 * A many-to-one loss built from a sequence layer's forward and backward (`rnnForward` /
 * `rnnBackward` or `lstmForward` / `lstmBackward`, e.g. the student's) and the library's affine
 * layer and softmax: from zero states, the last hidden state is classified. The same function as
 * the library's `manyToOneLoss` with one layer and `pool: 'last'`.
 */
export function sequenceLossFrom(cell: RecurrentCell, ops: Pick<Impl, 'rnnForward' | 'rnnBackward' | 'lstmForward' | 'lstmBackward'>): SequenceLoss {
  return (x, params, y) => {
    const [N, T] = x.shape;
    const H = params.Wh.shape[0];
    const K = params.Wy.shape[1];
    const h0 = Tensor.zeros([N, H]);
    const f = cell === 'lstm' ? ops.lstmForward(x, h0, params.Wx, params.Wh, params.b) : ops.rnnForward(x, h0, params.Wx, params.Wh, params.b);
    const last = Tensor.zeros([N, 1, H]);
    for (let n = 0; n < N; n++) last.data.set(f.h.data.subarray((n * T + T - 1) * H, (n * T + T) * H), n * H);
    const aff = temporalAffineForward(last, params.Wy, params.by);
    const { loss, dscores } = temporalSoftmaxLoss(aff.out, { data: y, shape: [N, 1] });
    const da = temporalAffineBackward(dscores, aff.cache);
    const dh = Tensor.zeros([N, T, H]);
    for (let n = 0; n < N; n++) dh.data.set(da.dx.data.subarray(n * H, (n + 1) * H), (n * T + T - 1) * H);
    const g = cell === 'lstm' ? ops.lstmBackward(dh, f.cache as never) : ops.rnnBackward(dh, f.cache as never);
    return { loss, scores: aff.out.reshape([N, K]), grads: { Wx: g.dWx, Wh: g.dWh, b: g.db, Wy: da.dw, by: da.db } };
  };
}

/** Options of {@link runSeqMnist}. */
export interface SeqMnistOptions {
  /** Passes over the training images. */
  readonly epochs: number;
  /** Hidden units of both models. */
  readonly hidden: number;
  /** Images per Adam step. */
  readonly batch: number;
  /** Adam's learning rate. */
  readonly lr: number;
  /** Largest global gradient norm. */
  readonly clip: number;
  /** Seed of the split, the weights and the batch order. */
  readonly seed: number;
  /** At most this many images per class (before the 80/20 split); default all (about 1,000). */
  readonly perClass?: number;
  /** The models to train, in order; default both. */
  readonly cells?: readonly RecurrentCell[];
  /** The loss of each model (training and evaluation); default the library's `manyToOneLoss` (the student's under `--mine`). */
  readonly impl?: Partial<Record<RecurrentCell, SequenceLoss>>;
  /** Called after every step. */
  readonly onStep?: (cell: RecurrentCell, epoch: number, step: number, steps: number, loss: number) => void;
  /** Called after every epoch. */
  readonly onEpoch?: (cell: RecurrentCell, e: SeqMnistEpoch) => void;
}
const SEQMNIST_KEYS = optionKeys<SeqMnistOptions>()('epochs', 'hidden', 'batch', 'lr', 'clip', 'seed', 'perClass', 'cells', 'impl', 'onStep', 'onEpoch');

/** One epoch of one model. */
export interface SeqMnistEpoch {
  readonly epoch: number;
  /** Mean training loss over the epoch's steps (nats). */
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly testLoss: number;
  readonly testAccuracy: number;
  readonly seconds: number;
}

/** The outcome of one model. */
export interface SeqMnistModel {
  readonly cell: RecurrentCell;
  readonly parameters: number;
  /** Loss of the untrained model on the test set. */
  readonly initialTestLoss: number;
  readonly epochs: readonly SeqMnistEpoch[];
  /** After the last epoch. */
  readonly testAccuracy: number;
  readonly params: ModelParams;
}

/** The outcome of {@link runSeqMnist}. */
export interface SeqMnistResult {
  readonly train: number;
  readonly test: number;
  readonly models: readonly SeqMnistModel[];
}

/**
 * Images `[n, 1, 28, 28]` as sequences `[n, 28, 28]`: time step t is row t (the memory layout is
 * the same, so this is a reshape).
 */
export function mnistRows(images: Tensor): Tensor {
  if (images.ndim !== 4 || images.shape[1] !== 1) throw new ValueError('mnistRows', `images must be [n, 1, H, W], got [${images.shape.join(',')}]`);
  const [n, , H, W] = images.shape;
  return images.reshape([n, H, W]);
}

function rowsOf(x: Tensor, idx: ArrayLike<number>, from: number, to: number): Tensor {
  const [, T, D] = x.shape;
  const size = T * D;
  const out = Tensor.zeros([to - from, T, D]);
  for (let i = from; i < to; i++) out.data.set(x.data.subarray(idx[i] * size, (idx[i] + 1) * size), (i - from) * size);
  return out;
}

/**
 * Accuracy and mean loss of a many-to-one model on a sequence set, in batches of 500.
 *
 * @param loss - the model's loss; default the library's `manyToOneLoss` for `cell`
 * @returns `accuracy` in `[0, 1]` (ties to the lowest class) and `loss` in nats
 */
export function evaluateSequences(params: ModelParams, cell: RecurrentCell, x: Tensor, y: Int32Array, loss: SequenceLoss = librarySequenceLoss(cell)): { accuracy: number; loss: number } {
  const n = y.length;
  const all = Int32Array.from({ length: n }, (_, i) => i);
  let right = 0;
  let total = 0;
  for (let s = 0; s < n; s += 500) {
    const e = Math.min(n, s + 500);
    const xb = rowsOf(x, all, s, e);
    const yb = Array.from(y.subarray(s, e));
    const r = loss(xb, params, yb);
    total += r.loss * (e - s);
    const K = r.scores.shape[1];
    for (let i = 0; i < e - s; i++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (r.scores.data[i * K + k] > r.scores.data[i * K + best]) best = k;
      if (best === yb[i]) right++;
    }
  }
  return { accuracy: right / n, loss: total / n };
}

/** Fresh parameters of a many-to-one classifier: the package's initialisations, `Wy ~ N(0, 1/H)`. */
export function createSequenceClassifier(cell: RecurrentCell, D: number, H: number, K: number, rng: Rng): ModelParams {
  const rec = cell === 'lstm' ? lstmInitParams(D, H, rng) : rnnInitParams(D, H, rng);
  return { Wx: rec.Wx, Wh: rec.Wh, b: rec.b, Wy: rng.randn([H, K], 1 / Math.sqrt(H)), by: Tensor.zeros([K]) };
}

/**
 * Trains a vanilla RNN and an LSTM (same hidden size, seed, data and steps) to classify MNIST
 * digits read row by row; reports the test accuracy after every epoch.
 *
 * @throws ValueError for an unknown option, or a non-positive integer `epochs`, `hidden` or `batch`
 */
export function runSeqMnist(o: SeqMnistOptions): SeqMnistResult {
  checkOptions('runSeqMnist', 'options', o, SEQMNIST_KEYS);
  for (const k of ['epochs', 'hidden', 'batch'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new ValueError('runSeqMnist', `${k} must be an integer >= 1, got ${o[k]}`);
  }
  const split = mnistSplit({ seed: o.seed, perClass: o.perClass });
  const data = (d: ImageDataset) => ({ x: mnistRows(d.images), y: d.labels });
  const train = data(split.train);
  const test = data(split.test);
  const [n, , D] = train.x.shape;
  const models: SeqMnistModel[] = [];
  for (const cell of o.cells ?? (['rnn', 'lstm'] as const)) {
    const rng = new Rng(o.seed);
    const params = createSequenceClassifier(cell, D, o.hidden, 10, rng);
    const loss = o.impl?.[cell] ?? librarySequenceLoss(cell);
    const initialTestLoss = evaluateSequences(params, cell, test.x, test.y, loss).loss;
    const opt = new Adam({ lr: o.lr });
    const steps = Math.ceil(n / o.batch);
    const epochs: SeqMnistEpoch[] = [];
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const t0 = performance.now();
      const order = rng.permutation(n);
      let lossSum = 0;
      let right = 0;
      for (let s = 0; s < steps; s++) {
        const from = s * o.batch;
        const to = Math.min(n, from + o.batch);
        const xb = rowsOf(train.x, order, from, to);
        const yb = Array.from({ length: to - from }, (_, i) => train.y[order[from + i]]);
        const r = loss(xb, params, yb);
        lossSum += r.loss * (to - from);
        for (let i = 0; i < to - from; i++) {
          let best = 0;
          for (let k = 1; k < 10; k++) if (r.scores.data[i * 10 + k] > r.scores.data[i * 10 + best]) best = k;
          if (best === yb[i]) right++;
        }
        opt.step(params, clipGradNorm(r.grads, o.clip).grads);
        o.onStep?.(cell, epoch, s + 1, steps, r.loss);
      }
      const ev = evaluateSequences(params, cell, test.x, test.y, loss);
      const e: SeqMnistEpoch = { epoch, trainLoss: lossSum / n, trainAccuracy: right / n, testLoss: ev.loss, testAccuracy: ev.accuracy, seconds: (performance.now() - t0) / 1000 };
      epochs.push(e);
      o.onEpoch?.(cell, e);
    }
    const parameters = Object.values(params).reduce((a, t) => a + t.size, 0);
    models.push({ cell, parameters, initialTestLoss, epochs, testAccuracy: epochs[epochs.length - 1].testAccuracy, params });
  }
  return { train: n, test: test.y.length, models };
}
