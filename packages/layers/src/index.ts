/**
 * `@dlkata/layers`: the reference CNN layers the grader trusts.
 *
 * Every layer is a strict pair, after CS231n's `layers.py`: `xForward(inputs, params)` returns
 * `{ out, cache }` and `xBackward(dout, cache)` returns the gradients keyed by input name
 * (`dx`, `dw`, `db`). Images are NCHW, as in PyTorch. Arithmetic is float64.
 *
 * - {@link conv2dForward} / {@link conv2dBackward}: convolution with stride, padding (`'same'`
 *   too) and dilation, by im2col + GEMM
 * - {@link maxPool2dForward} / {@link maxPool2dBackward}: max pooling; ties go to the first
 *   maximum, overlapping windows add their gradients
 * - {@link reluForward} / {@link reluBackward}: ReLU (gradient 0 at 0)
 * - {@link affineForward} / {@link affineBackward}: fully connected layer, `[N, d1, ..., dk]` by
 *   `[D, M]`; {@link flatten} and {@link featureSize} for the reshape in between
 * - {@link softmaxCrossEntropy}: mean softmax cross-entropy loss and its gradient
 *
 * Networks built from these layers:
 *
 * - {@link ModelSpec}, {@link analyze}, {@link summary}: output shapes, parameters and
 *   multiply-adds per layer (Keras' `model.summary()`), with batch norm, average and adaptive
 *   average pooling, bias-free convolutions, residual stages (basic and bottleneck blocks) and
 *   inception modules; {@link lenet5}, {@link alexnet}, {@link vgg}, {@link vggBlock},
 *   {@link resnet} (18 to 152) and {@link googlenet} checked against published parameter counts
 * - {@link createNetwork}, {@link networkForward}, {@link networkBackward}: a sequential network
 *   with He initialisation; {@link Sgd} (momentum) and {@link Adam}; {@link trainEpoch},
 *   {@link evaluate}
 * - {@link loadMnist}, {@link mnistSplit}, {@link batches}, {@link randomShift}: the real MNIST
 *   digits of the `mnist` package, split and batched, no download
 *
 * Inputs are validated at this boundary before any work: wrong shapes throw `ShapeError`, bad
 * values (NaN, a zero stride, a label out of range) and unknown keys in an options object or a
 * spec (`groups`, `ceilMode`, a misspelt `bias`; `checkOptions` of `@dlkata/tensor`) throw `ValueError`, both from
 * `@dlkata/tensor`, with messages that name the op and the actual shapes or values.
 *
 * Each op is checked in this package's tests against a plain-loop oracle, numerical gradients
 * and TensorFlow.js.
 *
 * @packageDocumentation
 */
export { conv2dForward, conv2dBackward, type Conv2dCache } from './conv2d.js';
export { maxPool2dForward, maxPool2dBackward, type MaxPool2dCache } from './maxpool2d.js';
export { reluForward, reluBackward, type ReluCache } from './relu.js';
export { affineForward, affineBackward, type AffineCache } from './affine.js';
export { flatten, featureSize } from './flatten.js';
export { softmaxCrossEntropy } from './softmax.js';
export type { Conv2DParams, Conv2DInfo, Pool2DParams, Pool2DInfo, Pair, Padding } from '@dlkata/tensor';
export * from './model/spec.js';
export * from './model/zoo.js';
export * from './model/network.js';
export * from './model/optim.js';
export * from './model/train.js';
export { TrainingWorkers, TrainingWorkerError, MAX_TRAINING_WORKERS, type BatchStep } from './model/data-parallel.js';
export * from './data/mnist.js';
export {
  residualBlockForward,
  residualBlockBackward,
  residualNeedsProjection,
  initResidualBlockParams,
  type ResidualBlockParams,
  type ResidualBlockOptions,
  type ResidualBlockCache,
  type ResidualBlockGrads,
  type ResidualInitOptions,
} from './residual.js';
export {
  inceptionForward,
  inceptionBackward,
  initInceptionParams,
  inceptionParamShapes,
  inceptionChannels,
  convMultiplies,
  inceptionMultiplies,
  INCEPTION_SPEC_KEYS,
  type InceptionSpec,
  type InceptionParams,
  type InceptionGrads,
  type InceptionCache,
  type InceptionCost,
  type ConvReluCache,
} from './inception.js';
export { concatChannels, splitChannels } from './concat.js';
export {
  convTranspose2dForward,
  convTranspose2dBackward,
  computeConvTranspose2DInfo,
  bilinearUpsampling,
  type ConvTranspose2DParams,
  type ConvTranspose2DInfo,
  type ConvTranspose2dCache,
} from './conv-transpose.js';
export { pixelSoftmaxCrossEntropy, predictPixels, pixelAccuracy, confusion, classIoU, meanIoU } from './segmentation.js';
