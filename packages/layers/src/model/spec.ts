/**
 * Sequential network descriptions and their bookkeeping: the output shape of every layer,
 * the number of parameters and the number of multiply-adds of a forward pass, and a
 * per-layer summary table like Keras' `model.summary()` or torchsummary.
 *
 * Shapes are per example, `[C, H, W]` for images and `[D]` after flattening; the batch
 * dimension is left out, as in torchsummary.
 *
 * @module
 */
import { computeConv2DInfo, computePool2DInfo, formatShape, ShapeError, ValueError, type Shape } from '@dlkata/tensor';

/** A convolution: `filters` kernels of `kernel x kernel` over all input channels, with a bias each. */
export interface ConvSpec {
  readonly type: 'conv';
  /** Number of filters F (output channels), >= 1. */
  readonly filters: number;
  /** Kernel size (square). */
  readonly kernel: number;
  /** Stride, default 1. */
  readonly stride?: number;
  /** Zero padding, default 0, or `'same'` (stride 1). */
  readonly pad?: number | 'same';
  /** Optional display name. */
  readonly name?: string;
}

/** Max pooling over `kernel x kernel` windows; stride defaults to the kernel (PyTorch). */
export interface MaxPoolSpec {
  readonly type: 'maxpool';
  readonly kernel: number;
  readonly stride?: number;
  readonly pad?: number;
  readonly name?: string;
}

/** An elementwise non-linearity: no parameters, shape unchanged. */
export interface ActivationSpec {
  readonly type: 'relu' | 'tanh';
  readonly name?: string;
}

/** Dropout (used by AlexNet and VGG between their fully connected layers): no parameters, shape unchanged. */
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

/** A fully connected (affine) layer `[D] -> [units]`, weights `[D, units]` and a bias. */
export interface AffineSpec {
  readonly type: 'affine';
  readonly units: number;
  readonly name?: string;
}

/** One layer of a sequential network. */
export type LayerSpec = ConvSpec | MaxPoolSpec | ActivationSpec | DropoutSpec | FlattenSpec | AffineSpec;

/** A sequential network: a name, the shape of one input example, and its layers in order. */
export interface ModelSpec {
  readonly name: string;
  /** Input shape of one example, `[C, H, W]`. */
  readonly inputShape: Shape;
  readonly layers: readonly LayerSpec[];
}

/** What {@link analyze} reports for one layer. */
export interface LayerInfo {
  /** Display name, e.g. `"conv1"` or `"Conv2d-1"`. */
  readonly name: string;
  readonly spec: LayerSpec;
  /** Input shape of one example. */
  readonly inputShape: Shape;
  /** Output shape of one example. */
  readonly outputShape: Shape;
  /** Weights plus biases. */
  readonly params: number;
  /** Multiply-adds of one forward pass of one example (weights only; bias adds, pooling and activations count 0). */
  readonly macs: number;
}

/** What {@link analyze} reports for a whole network. */
export interface ModelInfo {
  readonly name: string;
  readonly layers: readonly LayerInfo[];
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  /** Total parameters. */
  readonly params: number;
  /** Total multiply-adds per example. */
  readonly macs: number;
}

function posInt(op: string, what: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new ValueError(op, `${what} must be an integer >= 1, got ${v}`);
}

/**
 * Shape, parameters and multiply-adds of one layer applied to an input of shape `input`
 * (one example). Conv shapes use PyTorch's output-size formula via {@link computeConv2DInfo}.
 *
 * - conv: params `F*C*K*K + F`, multiply-adds `F*C*K*K*OH*OW` (the lecture's cost formula:
 *   "1x1x200x32x32x16" for a 1x1 conv with 16 filters on 32x32x200)
 * - affine: params `D*units + units`, multiply-adds `D*units`
 * - pooling, activations, dropout, flatten: no parameters, no multiply-adds
 *
 * @throws ShapeError if the layer does not fit its input (e.g. an affine layer on an image
 *   that was not flattened, or a kernel larger than the padded input)
 * @throws ValueError for a non-positive filter count, kernel or stride
 */
export function layerInfo(spec: LayerSpec, input: Shape, name = spec.name ?? spec.type): LayerInfo {
  const op = `${name} (${spec.type})`;
  switch (spec.type) {
    case 'conv': {
      if (input.length !== 3) throw new ShapeError(op, `needs an image input [C, H, W], got ${formatShape(input)}`);
      posInt(op, 'filters', spec.filters);
      posInt(op, 'kernel', spec.kernel);
      const [C, H, W] = input;
      const info = computeConv2DInfo(op, [1, C, H, W], [spec.filters, C, spec.kernel, spec.kernel], { stride: spec.stride ?? 1, pad: spec.pad ?? 0 });
      const weights = spec.filters * C * spec.kernel * spec.kernel;
      return { name, spec, inputShape: input, outputShape: [spec.filters, info.OH, info.OW], params: weights + spec.filters, macs: weights * info.OH * info.OW };
    }
    case 'maxpool': {
      if (input.length !== 3) throw new ShapeError(op, `needs an image input [C, H, W], got ${formatShape(input)}`);
      const [C, H, W] = input;
      const info = computePool2DInfo(op, [1, C, H, W], { kernel: spec.kernel, stride: spec.stride ?? spec.kernel, pad: spec.pad ?? 0 });
      return { name, spec, inputShape: input, outputShape: [C, info.OH, info.OW], params: 0, macs: 0 };
    }
    case 'relu':
    case 'tanh':
    case 'dropout':
      if (spec.type === 'dropout' && !(spec.p >= 0 && spec.p < 1)) throw new ValueError(op, `p must be in [0, 1), got ${spec.p}`);
      return { name, spec, inputShape: input, outputShape: input, params: 0, macs: 0 };
    case 'flatten':
      return { name, spec, inputShape: input, outputShape: [input.reduce((a, b) => a * b, 1)], params: 0, macs: 0 };
    case 'affine': {
      if (input.length !== 1) throw new ShapeError(op, `needs a flat input [D], got ${formatShape(input)}; add a flatten layer before it`);
      posInt(op, 'units', spec.units);
      const D = input[0];
      return { name, spec, inputShape: input, outputShape: [spec.units], params: D * spec.units + spec.units, macs: D * spec.units };
    }
    default: {
      const unknown = spec as { type?: unknown };
      throw new ValueError('layerInfo', `unknown layer type ${JSON.stringify(unknown.type)}`);
    }
  }
}

/**
 * Walks a sequential network from its input shape and reports every layer's output shape,
 * parameters and multiply-adds, and the totals. Unnamed layers are called like
 * torchsummary's rows: `Conv2d-1`, `ReLU-2`, `MaxPool2d-3`, `Linear-8`, ...
 *
 * @throws ShapeError naming the first layer that does not fit its input
 * @example
 * ```ts
 * analyze(lenet5()).params; // 61706 (LeNet-5, 32x32 input)
 * ```
 */
export function analyze(model: ModelSpec): ModelInfo {
  if (model.inputShape.length !== 3 && model.inputShape.length !== 1) {
    throw new ShapeError(model.name, `inputShape must be [C, H, W] or [D], got ${formatShape(model.inputShape)}`);
  }
  const layers: LayerInfo[] = [];
  let shape: Shape = model.inputShape;
  model.layers.forEach((spec, i) => {
    const info = layerInfo(spec, shape, spec.name ?? `${TORCH_NAMES[spec.type]}-${i + 1}`);
    layers.push(info);
    shape = info.outputShape;
  });
  return {
    name: model.name,
    layers,
    inputShape: model.inputShape,
    outputShape: shape,
    params: layers.reduce((a, l) => a + l.params, 0),
    macs: layers.reduce((a, l) => a + l.macs, 0),
  };
}

const TORCH_NAMES: Record<LayerSpec['type'], string> = {
  conv: 'Conv2d',
  maxpool: 'MaxPool2d',
  relu: 'ReLU',
  tanh: 'Tanh',
  dropout: 'Dropout',
  flatten: 'Flatten',
  affine: 'Linear',
};

function group(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * A per-layer table as text, like Keras' `model.summary()` or torchsummary: layer, output
 * shape, parameters, multiply-adds, then totals (parameters also in MB of float32 weights).
 *
 * @example
 * ```ts
 * console.log(summary(lenet5()));
 * ```
 */
export function summary(model: ModelSpec): string {
  const info = analyze(model);
  const rows = info.layers.map((l) => [l.name, formatShape(l.outputShape), group(l.params), group(l.macs)]);
  const head = ['Layer (type)', 'Output shape', 'Params', 'Mult-adds'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]): string => cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('   ');
  const rule = '-'.repeat(widths.reduce((a, w) => a + w, 0) + 3 * (widths.length - 1));
  return [
    `${info.name}, input ${formatShape(info.inputShape)}`,
    rule,
    line(head),
    rule.replace(/-/g, '='),
    ...rows.map(line),
    rule.replace(/-/g, '='),
    `Total params: ${group(info.params)} (${((info.params * 4) / 2 ** 20).toFixed(2)} MB as float32)`,
    `Total mult-adds per example: ${group(info.macs)}`,
    `Output shape: ${formatShape(info.outputShape)}`,
  ].join('\n');
}
