/**
 * `@dlkata/rnn`: the reference recurrent layers the grader trusts.
 *
 * Dimensions, everywhere in this package: **N** batch, **T** time steps, **D** input features
 * (embedding size for {@link wordEmbeddingForward}), **H** hidden units, **V** vocabulary size,
 * **M** outputs of a temporal affine layer. Sequences are `[N, T, D]` (batch first, PyTorch's
 * `batch_first=True`), hidden states `[N, H]` per step and `[N, T, H]` per sequence; weights are
 * stored `[in, out]` as in CS231n (PyTorch stores the transposes).
 *
 * Every layer is a strict pair after CS231n's `rnn_layers.py`: `xForward(inputs)` returns
 * `{ out..., cache }` and `xBackward(dout, cache)` returns gradients keyed `d` + input name.
 * Sequences compose steps: {@link rnnForward} loops {@link rnnStepForward} and its cache is
 * the list of step caches; only steps carry hand-written gradients.
 *
 * - {@link rnnStepForward} / {@link rnnStepBackward}, {@link rnnForward} / {@link rnnBackward}:
 *   vanilla tanh RNN, backprop through time (shared weights: gradients summed over steps);
 *   {@link rnnInitParams}
 * - {@link lstmStepForward} / {@link lstmStepBackward}, {@link lstmForward} / {@link lstmBackward}:
 *   LSTM in **PyTorch's gate order i, f, g, o** ({@link LSTM_GATE_ORDER}), final cell state
 *   `cT` returned and differentiable; {@link lstmInitParams} with a forget-gate bias (default 1)
 * - {@link wordEmbeddingForward} / {@link wordEmbeddingBackward}: token ids to vectors
 * - {@link temporalAffineForward} / {@link temporalAffineBackward}: an affine map at every step
 * - {@link temporalSoftmaxLoss}: masked softmax cross-entropy over a sequence (sum / N)
 * - {@link clipGradNorm} (global norm, PyTorch's `clip_grad_norm_`), {@link clipGradValue}
 * - {@link truncatedBptt}, {@link timeChunks}, {@link sliceTime}: truncated BPTT over long sequences
 *
 * Inputs are validated at this boundary before any work: wrong shapes (including empty
 * sequences and mismatched hidden sizes) throw `ShapeError`, bad values (NaN, token ids outside
 * the vocabulary, a non-positive clipping norm) throw `ValueError`, both from `@dlkata/tensor`,
 * with messages that name the op and the actual shapes or values. Arithmetic is float64.
 *
 * Each backward pass is checked in this package's tests against numerical gradients over random
 * shapes (sequences up to T = 12); the RNN and LSTM steps and sequences against TensorFlow.js.
 *
 * @see the lecture, items 14-23 (RNNs, BPTT, vanishing and exploding gradients, clipping, LSTM);
 *   CS231n assignment 3, `rnn_layers.py`; Hochreiter & Schmidhuber 1997; PyTorch `torch.nn.LSTM`
 * @packageDocumentation
 */
export { rnnStepForward, rnnStepBackward, rnnForward, rnnBackward, rnnInitParams, type RnnStepCache, type RnnCache, type RnnParams } from './rnn.js';
export {
  LSTM_GATE_ORDER,
  lstmStepForward,
  lstmStepBackward,
  lstmForward,
  lstmBackward,
  lstmInitParams,
  type LstmStepCache,
  type LstmCache,
  type LstmParams,
  type LstmStepGrads,
  type LstmInitOptions,
} from './lstm.js';
export { wordEmbeddingForward, wordEmbeddingBackward, type WordEmbeddingCache } from './embedding.js';
export { temporalAffineForward, temporalAffineBackward, temporalSoftmaxLoss, type TemporalAffineCache } from './temporal.js';
export { clipGradNorm, clipGradValue, type Grads } from './clip.js';
export { truncatedBptt, timeChunks, sliceTime, type TimeChunk, type ChunkGrads, type TbpttOptions, type TbpttResult } from './tbptt.js';
export type { IdGrid, MaskGrid } from './validate.js';
export {
  recurrencePowers,
  symmetricEigen,
  eigenPower,
  spectralRadius,
  randomOrthogonal,
  recurrenceForward,
  hiddenGradientNorms,
  gradientRegimes,
  type Activation,
  type GradientRegime,
  type GradientRegimeOptions,
} from './tasks/dynamics.js';
