/**
 * Exercise 04: CNN architectures as data. LeNet-5, AlexNet and VGG written down as lists of
 * layers, and the bookkeeping that follows from such a list by arithmetic alone: the output
 * shape of every layer, the number of parameters, and the number of multiply-adds of one
 * forward pass.
 *
 * Shapes are per example, as in torchsummary: `[C, H, W]` for an image (channels, height,
 * width), `[D]` for a vector. The batch dimension is left out; it multiplies the cost and
 * changes nothing else.
 *
 * The types mirror `@dlkata/layers`' `LayerSpec` and `ModelSpec` field for field, so a spec
 * written here can be passed to the library's `analyze` and `summary` (and the tests do).
 *
 * @module
 */
import { formatShape, NotImplementedError, ShapeError, ValueError } from '@dlkata/tensor';

/** A convolution: `filters` kernels of `kernel x kernel` over all input channels, one bias each. */
export interface ConvSpec {
  readonly type: 'conv';
  /** Number of filters F (output channels), an integer `>= 1`. */
  readonly filters: number;
  /** Kernel size K (square), an integer `>= 1`. */
  readonly kernel: number;
  /** Step between neighbouring positions, an integer `>= 1`; default 1. */
  readonly stride?: number;
  /** Zeros added on each side, an integer `>= 0` (default 0), or `'same'`: `(K - 1) / 2`, stride 1 and an odd kernel only. */
  readonly pad?: number | 'same';
  /** Optional display name, e.g. `"conv1"`. */
  readonly name?: string;
}

/** Max pooling over `kernel x kernel` windows. */
export interface MaxPoolSpec {
  readonly type: 'maxpool';
  /** Window size (square), an integer `>= 1`. */
  readonly kernel: number;
  /** Step between windows, an integer `>= 1`; default: the window size (PyTorch's `MaxPool2d`). */
  readonly stride?: number;
  /** Padding on each side, an integer from 0 to `kernel / 2` (PyTorch's rule); default 0. */
  readonly pad?: number;
  readonly name?: string;
}

/** An elementwise non-linearity: no parameters, shape unchanged. */
export interface ActivationSpec {
  readonly type: 'relu' | 'tanh';
  readonly name?: string;
}

/** Dropout (AlexNet and VGG use it between their fully connected layers): no parameters, shape unchanged. */
export interface DropoutSpec {
  readonly type: 'dropout';
  /** Probability of dropping a unit during training, in `[0, 1)`. */
  readonly p: number;
  readonly name?: string;
}

/** Flattens `[C, H, W]` to `[C*H*W]` (row-major, as `torch.flatten`). */
export interface FlattenSpec {
  readonly type: 'flatten';
  readonly name?: string;
}

/** A fully connected (affine) layer `[D] -> [units]`: weights `[D, units]` and one bias per unit. */
export interface AffineSpec {
  readonly type: 'affine';
  /** Number of output units, an integer `>= 1`. */
  readonly units: number;
  readonly name?: string;
}

/** One layer of a sequential network. */
export type LayerSpec = ConvSpec | MaxPoolSpec | ActivationSpec | DropoutSpec | FlattenSpec | AffineSpec;

/** A sequential network: a name, the shape of one input example, and its layers in order. */
export interface ModelSpec {
  readonly name: string;
  /** Shape of one input example, `[C, H, W]` (or `[D]`). */
  readonly inputShape: readonly number[];
  readonly layers: readonly LayerSpec[];
}

/** What {@link analyzeModel} reports for a whole network. */
export interface ModelCounts {
  /** The output shape of every layer, in order: one entry per layer, the input shape not included. */
  shapes: number[][];
  /** Weights plus biases of all layers. */
  params: number;
  /** Multiply-adds of one forward pass of one example. */
  macs: number;
}

/** The op name used in messages: `"layerOutputShape (conv)"`, or `"layerOutputShape (conv1, conv)"` for a named layer. */
function opName(fn: string, layer: LayerSpec): string {
  return `${fn} (${layer.name ? `${layer.name}, ` : ''}${layer.type})`;
}

function checkInt(op: string, what: string, v: unknown, min: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ValueError(op, `${what} must be an integer >= ${min}, got ${String(v)}`);
}

/**
 * Checks a layer's fields and the kind of input it receives, before any arithmetic: integers
 * in range; `'same'` only with stride 1 and an odd kernel; a pooling pad of at most half the
 * window (PyTorch's rule); an image `[C, H, W]` for conv and max pool, a vector `[D]` for
 * affine. Whether a kernel or window fits the image is {@link layerOutputShape}'s question.
 *
 * @throws ShapeError for an input shape of the wrong kind:
 *   `"layerOutputShape (affine): needs a flat input [D], got [16,5,5]; add a flatten layer before it"`
 * @throws ValueError for a field out of range or an unknown layer type
 */
function checkLayer(op: string, layer: LayerSpec, input: readonly number[]): void {
  if (!Array.isArray(input) || input.length === 0 || !input.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ShapeError(op, `the input shape must be a non-empty list of positive integers, got ${Array.isArray(input) ? formatShape(input) : String(input)}`);
  }
  switch (layer.type) {
    case 'conv':
    case 'maxpool': {
      if (input.length !== 3) throw new ShapeError(op, `needs an image input [C, H, W], got ${formatShape(input)}`);
      if (layer.type === 'conv') checkInt(op, 'filters', layer.filters, 1);
      checkInt(op, 'kernel', layer.kernel, 1);
      if (layer.stride !== undefined) checkInt(op, 'stride', layer.stride, 1);
      if (layer.type === 'conv' && layer.pad === 'same') {
        if ((layer.stride ?? 1) !== 1) throw new ValueError(op, `padding 'same' needs stride 1, got stride ${layer.stride}`);
        if (layer.kernel % 2 === 0) throw new ValueError(op, `padding 'same' needs an odd kernel, got ${layer.kernel}`);
      } else if (layer.pad !== undefined) {
        checkInt(op, 'pad', layer.pad, 0);
        if (layer.type === 'maxpool' && 2 * layer.pad > layer.kernel) {
          throw new ValueError(op, `pad must be at most half the window, got pad ${layer.pad} for window ${layer.kernel}x${layer.kernel}`);
        }
      }
      return;
    }
    case 'affine':
      if (input.length !== 1) throw new ShapeError(op, `needs a flat input [D], got ${formatShape(input)}; add a flatten layer before it`);
      checkInt(op, 'units', layer.units, 1);
      return;
    case 'dropout':
      if (typeof layer.p !== 'number' || !(layer.p >= 0 && layer.p < 1)) throw new ValueError(op, `p must be in [0, 1), got ${String(layer.p)}`);
      return;
    case 'relu':
    case 'tanh':
    case 'flatten':
      return;
    default: {
      const unknown = layer as { type?: unknown };
      throw new ValueError(op, `unknown layer type ${JSON.stringify(unknown.type)}`);
    }
  }
}

/**
 * Output size of a sliding window (convolution or pooling) along one axis, PyTorch's formula
 * for `Conv2d` and `MaxPool2d` (dilation 1, rounding down):
 *
 * `out = floor((size + 2*pad - kernel) / stride) + 1`
 *
 * @param op - names the layer in the message
 * @param axis - `"height"` or `"width"`, for the message
 * @throws ShapeError if the window does not fit the padded input (`kernel > size + 2*pad`):
 *   `"layerOutputShape (conv): kernel 5 does not fit input height 3 with padding 0"`
 */
function windowOutputSize(op: string, axis: 'height' | 'width', size: number, kernel: number, stride: number, pad: number): number {
  throw new NotImplementedError('windowOutputSize: the output length along one axis of a window (convolution or pooling) of length kernel at stride and pad over size; a window that does not fit throws ShapeError naming the axis, the sizes and the padding (read: exercises/04-cnn-architectures/README.md, "Task 1: layerOutputShape"; guide: docs/site/documents/04-cnn-architectures.html#task-1-layeroutputshape)');
}

/**
 * The output shape of one layer, for one example.
 *
 * Dimensions: C channels, H x W image, F filters, K kernel (window) size, D features.
 *
 * | layer | input | output |
 * | --- | --- | --- |
 * | conv | `[C, H, W]` | `[F, H', W']`, `H' = floor((H + 2*pad - K) / stride) + 1` (stride default 1, pad default 0, `'same'` = `(K - 1) / 2`) |
 * | maxpool | `[C, H, W]` | `[C, H', W']`, the same formula, stride default K (PyTorch) |
 * | relu, tanh, dropout | any | unchanged |
 * | flatten | `[C, H, W]` | `[C*H*W]` |
 * | affine | `[D]` | `[units]` |
 *
 * @param layer - the layer
 * @param input - the shape of one input example, `[C, H, W]` or `[D]`
 * @returns a new array: the shape of one output example
 * @throws ShapeError if the input is of the wrong kind (an affine layer on an image) or a
 *   kernel does not fit: `"layerOutputShape (conv): kernel 5 does not fit input height 3 with padding 0"`
 * @throws ValueError for a field out of range (stride 0, `'same'` with an even kernel, ...)
 * @see PyTorch `torch.nn.Conv2d`, `torch.nn.MaxPool2d` (shape sections); the lecture's VGG rule
 * @example
 * ```ts
 * layerOutputShape({ type: 'conv', filters: 6, kernel: 5 }, [1, 32, 32]); // [6, 28, 28] (LeNet-5)
 * layerOutputShape({ type: 'maxpool', kernel: 2 }, [6, 28, 28]);          // [6, 14, 14]
 * layerOutputShape({ type: 'flatten' }, [16, 5, 5]);                      // [400]
 * ```
 */
export function layerOutputShape(layer: LayerSpec, input: readonly number[]): number[] {
  const op = opName('layerOutputShape', layer);
  checkLayer(op, layer, input);
  switch (layer.type) {
    case 'conv': {
      const [, H, W] = input;
      throw new NotImplementedError('layerOutputShape (conv): the shape [filters, H\', W\'] a conv layer makes of its input [C, H, W], with the defaults and the meaning of pad \'same\' that the README gives; windowOutputSize helps (read: exercises/04-cnn-architectures/README.md, "Task 1: layerOutputShape"; guide: docs/site/documents/04-cnn-architectures.html#task-1-layeroutputshape; tests: pnpm test 04 -t layerOutputShape)');
    }
    case 'maxpool': {
      const [C, H, W] = input;
      throw new NotImplementedError('layerOutputShape (maxpool): the shape [C, H\', W\'] a max-pool layer makes of its input [C, H, W], with the README\'s defaults (PyTorch\'s: stride = kernel); windowOutputSize helps (read: exercises/04-cnn-architectures/README.md, "Task 1: layerOutputShape"; guide: docs/site/documents/04-cnn-architectures.html#task-1-layeroutputshape; tests: pnpm test 04 -t layerOutputShape)');
    }
    case 'relu':
    case 'tanh':
    case 'dropout':
    case 'flatten':
    case 'affine':
      throw new NotImplementedError('layerOutputShape: the output shape of relu, tanh, dropout, flatten and affine layers from their input shape, as a new array (read: exercises/04-cnn-architectures/README.md, "Task 1: layerOutputShape"; guide: docs/site/documents/04-cnn-architectures.html#task-1-layeroutputshape; tests: pnpm test 04 -t layerOutputShape)');
  }
}

/**
 * The number of parameters (weights plus biases) of one layer.
 *
 * Dimensions: C input channels, F filters, K kernel size, D input features.
 *
 * - conv: `F*C*K*K` weights (each filter spans all `C` input channels) plus `F` biases
 * - affine: `D*units` weights plus `units` biases
 * - maxpool, relu, tanh, dropout, flatten: none
 *
 * The input shape matters: the same conv layer has more weights on more channels. Whether a
 * kernel fits is not checked here ({@link analyzeModel} asks {@link layerOutputShape} first).
 *
 * @param layer - the layer
 * @param input - the shape of one input example, `[C, H, W]` or `[D]`
 * @returns an integer `>= 0`
 * @throws ShapeError, ValueError as {@link layerOutputShape} for an input of the wrong kind or a field out of range
 * @see PyTorch `Conv2d.weight` `[F, C, K, K]` and `Conv2d.bias` `[F]`; torchsummary's "Param #"
 * @example
 * ```ts
 * layerParams({ type: 'conv', filters: 6, kernel: 5 }, [1, 32, 32]); // 156 = 6*1*5*5 + 6
 * layerParams({ type: 'affine', units: 120 }, [400]);               // 48120 = 400*120 + 120
 * ```
 */
export function layerParams(layer: LayerSpec, input: readonly number[]): number {
  checkLayer(opName('layerParams', layer), layer, input);
  throw new NotImplementedError('layerParams: the number of learned values (weights and biases) of one layer for this input shape; 0 for a layer without any (read: exercises/04-cnn-architectures/README.md, "Task 2: layerParams"; guide: docs/site/documents/04-cnn-architectures.html#task-2-layerparams; tests: pnpm test 04 -t layerParams)');
}

/**
 * The multiply-adds of one forward pass of one layer, for one example: the lecture's cost
 * formula ("1x1x200x32x32x16" for a 1x1 conv with 16 filters on a 32x32x200 volume).
 *
 * Dimensions: C input channels, F filters, K kernel size, H' x W' output size, D input features.
 *
 * - conv: `F*C*K*K*H'*W'`: every one of the `F*H'*W'` outputs is a sum of `C*K*K` products
 * - affine: `D*units`
 * - maxpool, relu, tanh, dropout, flatten: 0 (comparisons and bias additions are not counted)
 *
 * @param layer - the layer
 * @param input - the shape of one input example, `[C, H, W]` or `[D]`
 * @returns an integer `>= 0`
 * @throws ShapeError, ValueError as {@link layerOutputShape}
 * @see the lecture, inception cost: 1x1x200x32x32x16 + 5x5x16x32x32x92 = 40,960,000
 * @example
 * ```ts
 * layerMacs({ type: 'conv', filters: 16, kernel: 1 }, [200, 32, 32]);            // 3276800
 * layerMacs({ type: 'conv', filters: 92, kernel: 5, pad: 'same' }, [16, 32, 32]); // 37683200
 * ```
 */
export function layerMacs(layer: LayerSpec, input: readonly number[]): number {
  checkLayer(opName('layerMacs', layer), layer, input);
  throw new NotImplementedError('layerMacs: the multiply-adds of one layer\'s forward pass on one input of this shape (README "The math"); 0 for a layer without weights (read: exercises/04-cnn-architectures/README.md, "Task 3: layerMacs"; guide: docs/site/documents/04-cnn-architectures.html#task-3-layermacs; tests: pnpm test 04 -t layerMacs)');
}

/**
 * Walks a sequential network from its input shape: each layer's input is the previous
 * layer's output. Reports the output shape of every layer and the total parameters and
 * multiply-adds, the numbers of a `summary()` table.
 *
 * @param model - the network; `inputShape` is `[C, H, W]` or `[D]`
 * @returns `shapes` (one per layer, in order), `params` and `macs` (totals)
 * @throws ShapeError from the first layer that does not fit its input, e.g. an affine layer
 *   right after a pooling layer (a missing flatten)
 * @example
 * ```ts
 * analyzeModel(lenet5()).params; // 61706
 * ```
 */
export function analyzeModel(model: ModelSpec): ModelCounts {
  if (!Array.isArray(model.inputShape) || (model.inputShape.length !== 3 && model.inputShape.length !== 1)) {
    throw new ShapeError(`analyzeModel (${model.name})`, `inputShape must be [C, H, W] or [D], got ${Array.isArray(model.inputShape) ? formatShape(model.inputShape) : String(model.inputShape)}`);
  }
  throw new NotImplementedError('analyzeModel: the shape after every layer of the model and its total parameters and multiply-adds (ModelCounts); layerOutputShape, layerParams and layerMacs do the per-layer work (read: exercises/04-cnn-architectures/README.md, "Task 4: analyzeModel"; guide: docs/site/documents/04-cnn-architectures.html#task-4-analyzemodel; tests: pnpm test 04 -t analyzeModel)');
}

/**
 * One VGG block, the lecture's rule "striving for simplicity": `convs` convolutions, each 3x3
 * with stride 1 and "same" padding and followed by a ReLU, then one 2x2 max pool with stride 2.
 * The convolutions keep height and width and set the channels to `filters`; the pool halves
 * height and width (rounding down).
 *
 * Layers: `convs` times `{ type: 'conv', filters, kernel: 3, stride: 1, pad: 'same' }, { type: 'relu' }`,
 * then `{ type: 'maxpool', kernel: 2, stride: 2 }`: `2 * convs + 1` layers.
 *
 * @param convs - convolutions in the block, an integer `>= 1` (VGG-16: 2, 2, 3, 3, 3)
 * @param filters - filters of every convolution, an integer `>= 1` (VGG: 64, 128, 256, 512, 512)
 * @throws ValueError for `convs` or `filters` not an integer `>= 1`
 * @see Simonyan & Zisserman 2014, "Very Deep Convolutional Networks for Large-Scale Image Recognition", Table 1
 * @example
 * ```ts
 * vggBlock(2, 64).length; // 5: conv, relu, conv, relu, maxpool
 * ```
 */
export function vggBlock(convs: number, filters: number): LayerSpec[] {
  checkInt('vggBlock', 'convs', convs, 1);
  checkInt('vggBlock', 'filters', filters, 1);
  throw new NotImplementedError('vggBlock: the list of layers of one VGG block as the README describes it (convs 3x3 \'same\' convolutions with `filters` filters, each with its ReLU, and the block\'s max pool) (read: exercises/04-cnn-architectures/README.md, "Task 5: vggBlock"; guide: docs/site/documents/04-cnn-architectures.html#task-5-vggblock; tests: pnpm test 04 -t vggBlock)');
}

/**
 * LeNet-5 (LeCun et al. 1998) in its common modern form, for 32x32 grey digits and 10
 * classes: conv 6@5x5, ReLU, 2x2 max pool (stride 2), conv 16@5x5, ReLU, 2x2 max pool
 * (stride 2), flatten, fully connected 120, ReLU, 84, ReLU, 10.
 *
 * 61,706 parameters (the lecture: "about 60k"). Going deeper, height and width shrink
 * (32, 28, 14, 10, 5) while the number of filters grows (1, 6, 16). The paper used tanh-like
 * units, average-pooling "subsampling" and a partial connection table in its second
 * convolution; ReLU and max pooling are today's usual choice.
 *
 * @returns the spec, with `name: 'LeNet-5'` and `inputShape: [1, 32, 32]`
 */
export function lenet5(): ModelSpec {
  throw new NotImplementedError('lenet5: LeNet-5 as a ModelSpec named \'LeNet-5\' with input [1, 32, 32] and the layers of the README\'s task; its counts must be the published ones (read: exercises/04-cnn-architectures/README.md, "Task 6: lenet5"; guide: docs/site/documents/04-cnn-architectures.html#task-6-lenet5; tests: pnpm test 04 -t lenet5)');
}

/**
 * AlexNet (Krizhevsky et al. 2012) as in torchvision's `alexnet()`: 3x224x224 input, five
 * convolutions (64-192-384-256-256 filters, the single-GPU variant of Krizhevsky's "One weird
 * trick" paper), three overlapping 3x3 max pools with stride 2, three fully connected layers
 * with dropout, and a softmax over 1000 classes (the softmax is in the loss, not a layer here).
 * torchvision's adaptive average pool is left out: at this input size the features are
 * already 6x6 and it does nothing.
 *
 * Given, as an example of a spec with explicit strides and paddings. 61,100,840 parameters
 * (torchvision).
 */
export function alexnet(): ModelSpec {
  return {
    name: 'AlexNet',
    inputShape: [3, 224, 224],
    layers: [
      { type: 'conv', filters: 64, kernel: 11, stride: 4, pad: 2 },
      { type: 'relu' },
      { type: 'maxpool', kernel: 3, stride: 2 },
      { type: 'conv', filters: 192, kernel: 5, pad: 2 },
      { type: 'relu' },
      { type: 'maxpool', kernel: 3, stride: 2 },
      { type: 'conv', filters: 384, kernel: 3, pad: 1 },
      { type: 'relu' },
      { type: 'conv', filters: 256, kernel: 3, pad: 1 },
      { type: 'relu' },
      { type: 'conv', filters: 256, kernel: 3, pad: 1 },
      { type: 'relu' },
      { type: 'maxpool', kernel: 3, stride: 2 },
      { type: 'flatten' },
      { type: 'dropout', p: 0.5 },
      { type: 'affine', units: 4096 },
      { type: 'relu' },
      { type: 'dropout', p: 0.5 },
      { type: 'affine', units: 4096 },
      { type: 'relu' },
      { type: 'affine', units: 1000 },
    ],
  };
}

/**
 * VGG-16 (Simonyan & Zisserman 2014, configuration D) as in torchvision's `vgg16()`, on
 * 3x224x224 input: five VGG blocks (2, 2, 3, 3, 3 convolutions with 64, 128, 256, 512, 512
 * filters; 224 -> 112 -> 56 -> 28 -> 14 -> 7), then flatten, fully connected 4096, ReLU,
 * dropout 0.5, 4096, ReLU, dropout 0.5, 1000.
 *
 * 16 layers with weights (13 convolutions, 3 fully connected) and 138,357,544 parameters
 * (the lecture: "138M"); most of them, 102,764,544, in the first fully connected layer.
 *
 * @returns the spec, with `name: 'VGG-16'` and `inputShape: [3, 224, 224]`, built with {@link vggBlock}
 */
export function vgg16(): ModelSpec {
  throw new NotImplementedError('vgg16: VGG-16 (configuration D) as a ModelSpec named \'VGG-16\' with input [3, 224, 224], built from vggBlock and the classifier of the README\'s task; its count must be the published 138,357,544 (read: exercises/04-cnn-architectures/README.md, "Task 7: vgg16"; guide: docs/site/documents/04-cnn-architectures.html#task-7-vgg16; tests: pnpm test 04 -t vgg16)');
}
