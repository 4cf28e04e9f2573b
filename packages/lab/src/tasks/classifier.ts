/**
 * A many-to-one sequence classifier (the lecture's "many-to-one", item 14): a vanilla RNN or an
 * LSTM reads the whole sequence, an affine layer maps its last hidden state to class scores,
 * softmax cross-entropy is the loss. Trained with Adam and global-norm gradient clipping.
 *
 * Everything is composed from this package's layers; the only gradients are theirs.
 *
 * @module
 */
import { Adam } from '@dlkata/layers';
import { Tensor, ValueError, type Rng } from '@dlkata/tensor';
import { clipGradNorm, lstmBackward, type LstmCache, lstmForward, lstmInitParams, lstmStepBackward, rnnBackward, type RnnCache, rnnForward, rnnInitParams, rnnStepBackward, temporalAffineBackward, temporalAffineForward, temporalSoftmaxLoss } from '@dlkata/rnn';
import { checkNumber } from '../validate.js';

/** Which recurrence: a vanilla tanh RNN or an LSTM (gate order i, f, g, o). */
export type Cell = 'rnn' | 'lstm';

/** Parameters of a {@link SequenceClassifier}, keyed as the optimisers of `@dlkata/layers` expect. */
export interface ClassifierParams {
  [name: string]: Tensor;
  /** `[D, H]` (RNN) or `[D, 4H]` (LSTM). */
  Wx: Tensor;
  /** `[H, H]` or `[H, 4H]`. */
  Wh: Tensor;
  /** `[H]` or `[4H]`. */
  b: Tensor;
  /** Hidden state to class scores, `[H, K]`. */
  Wy: Tensor;
  /** `[K]`. */
  by: Tensor;
}

/** A recurrent classifier: the cell and its parameters. */
export interface SequenceClassifier {
  readonly cell: Cell;
  /** Hidden units H. */
  readonly hidden: number;
  readonly params: ClassifierParams;
}

/**
 * A fresh classifier: the package's initialisations (`rnnInitParams`, `lstmInitParams` with
 * forget-gate bias 1) and `Wy ~ N(0, 1/H)`, `by = 0`.
 *
 * @param cell - `'rnn'` or `'lstm'`
 * @param D - input features, integer >= 1
 * @param H - hidden units, integer >= 1
 * @param K - classes, integer >= 2
 * @param rng - source of the weights
 * @param opts - `forgetBias` of the LSTM (see `lstmInitParams`; default 1)
 */
export function createClassifier(cell: Cell, D: number, H: number, K: number, rng: Rng, opts: { readonly forgetBias?: number } = {}): SequenceClassifier {
  const op = 'createClassifier';
  if (cell !== 'rnn' && cell !== 'lstm') throw new ValueError(op, `cell must be 'rnn' or 'lstm', got ${String(cell)}`);
  checkNumber(op, 'K', K, (v) => Number.isInteger(v) && v >= 2, 'an integer >= 2');
  const rec = cell === 'rnn' ? rnnInitParams(D, H, rng) : lstmInitParams(D, H, rng, { forgetBias: opts.forgetBias ?? 1 });
  return { cell, hidden: H, params: { ...rec, Wy: rng.randn([H, K], 1 / Math.sqrt(H)), by: Tensor.zeros([K]) } };
}

interface Forward {
  readonly h: Tensor;
  readonly cache: RnnCache | LstmCache;
  readonly last: Tensor;
  readonly scores: Tensor;
  readonly affine: ReturnType<typeof temporalAffineForward>['cache'];
}

function forward(model: SequenceClassifier, x: Tensor): Forward {
  const [N, T] = x.shape;
  const H = model.hidden;
  const { Wx, Wh, b, Wy, by } = model.params;
  const h0 = Tensor.zeros([N, H]);
  const f = model.cell === 'rnn' ? rnnForward(x, h0, Wx, Wh, b) : lstmForward(x, h0, Wx, Wh, b);
  const last = Tensor.zeros([N, 1, H]);
  for (let n = 0; n < N; n++) last.data.set(f.h.data.subarray((n * T + T - 1) * H, (n * T + T) * H), n * H);
  const a = temporalAffineForward(last, Wy, by);
  return { h: f.h, cache: f.cache, last, scores: a.out, affine: a.cache };
}

const labels = (y: Int32Array): { data: Int32Array; shape: [number, number] } => ({ data: y, shape: [y.length, 1] });

/**
 * Loss and gradients of one batch: mean softmax cross-entropy of the class scores read from
 * the last hidden state.
 *
 * Dimensions: N batch, T steps, D input features, K classes.
 *
 * @param model - the classifier
 * @param x - inputs `[N, T, D]`
 * @param y - labels `[N]` in `[0, K)`
 * @returns `loss` (mean over the batch, nats), `grads` keyed like `model.params`, and the
 *   batch's `accuracy`
 */
export function classifierLossAndGrads(model: SequenceClassifier, x: Tensor, y: Int32Array): { loss: number; grads: ClassifierParams; accuracy: number } {
  const f = forward(model, x);
  const { loss, dscores } = temporalSoftmaxLoss(f.scores, labels(y));
  const da = temporalAffineBackward(dscores, f.affine);
  const [N, T] = x.shape;
  const H = model.hidden;
  const dh = Tensor.zeros([N, T, H]);
  for (let n = 0; n < N; n++) dh.data.set(da.dx.data.subarray(n * H, (n + 1) * H), (n * T + T - 1) * H);
  const g = model.cell === 'rnn' ? rnnBackward(dh, f.cache as RnnCache) : lstmBackward(dh, f.cache as LstmCache);
  return { loss, grads: { Wx: g.dWx, Wh: g.dWh, b: g.db, Wy: da.dw, by: da.db }, accuracy: accuracyOf(f.scores, y) };
}

function accuracyOf(scores: Tensor, y: Int32Array): number {
  const K = scores.shape[2];
  let right = 0;
  for (let n = 0; n < y.length; n++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (scores.data[n * K + k] > scores.data[n * K + best]) best = k;
    if (best === y[n]) right++;
  }
  return right / y.length;
}

/**
 * Accuracy and mean loss of a classifier on a labelled batch (no gradients).
 *
 * @returns `accuracy` in `[0, 1]` (ties go to the lowest class) and `loss` in nats
 */
export function evaluateClassifier(model: SequenceClassifier, x: Tensor, y: Int32Array): { accuracy: number; loss: number } {
  const f = forward(model, x);
  return { accuracy: accuracyOf(f.scores, y), loss: temporalSoftmaxLoss(f.scores, labels(y)).loss };
}

/**
 * `||dL/dh_t||` for `t = 0 .. T-1`: how much gradient of the classification loss reaches each
 * hidden state, walking the steps back with the package's step backward passes (for the LSTM
 * the cell state's gradient travels along too, but only the hidden state's is measured).
 *
 * @returns `T` norms (Frobenius over the batch)
 */
export function hiddenStateGradientNorms(model: SequenceClassifier, x: Tensor, y: Int32Array): number[] {
  const f = forward(model, x);
  const { dscores } = temporalSoftmaxLoss(f.scores, labels(y));
  const da = temporalAffineBackward(dscores, f.affine);
  const [N, T] = x.shape;
  const H = model.hidden;
  const norms = new Array<number>(T).fill(0);
  let dH = da.dx.reshape([N, H]);
  let dC = Tensor.zeros([N, H]);
  for (let t = T - 1; t >= 0; t--) {
    norms[t] = Math.hypot(...dH.data);
    if (model.cell === 'rnn') {
      dH = rnnStepBackward(dH, (f.cache as RnnCache).steps[t]).dprevH;
    } else {
      const g = lstmStepBackward(dH, dC, (f.cache as LstmCache).steps[t]);
      dH = g.dprevH;
      dC = g.dprevC;
    }
  }
  return norms;
}

/** Options of {@link trainClassifier}. */
export interface TrainClassifierOptions {
  /** Optimiser steps, integer >= 1. */
  readonly steps: number;
  /** Draws a training batch `{ x [N, T, D], y [N] }` (fresh sequences each step). */
  readonly batch: () => { readonly x: Tensor; readonly y: Int32Array };
  /** Adam's learning rate. */
  readonly lr: number;
  /** Largest global gradient norm (`clipGradNorm`). */
  readonly clip: number;
  /** Called after every step with its number (1-based), the batch loss and accuracy, and the gradient norm before clipping. */
  readonly onStep?: (step: number, loss: number, accuracy: number, gradNorm: number) => void;
}

/**
 * Trains a classifier in place: each step draws a batch, computes the loss and gradients,
 * clips them by their global norm and takes one Adam step.
 *
 * @returns the per-step losses
 */
export function trainClassifier(model: SequenceClassifier, opts: TrainClassifierOptions): number[] {
  checkNumber('trainClassifier', 'steps', opts.steps, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const opt = new Adam({ lr: opts.lr });
  const losses: number[] = [];
  for (let s = 1; s <= opts.steps; s++) {
    const { x, y } = opts.batch();
    const r = classifierLossAndGrads(model, x, y);
    const clipped = clipGradNorm(r.grads, opts.clip);
    opt.step(model.params, clipped.grads);
    losses.push(r.loss);
    opts.onStep?.(s, r.loss, r.accuracy, clipped.totalNorm);
  }
  return losses;
}
