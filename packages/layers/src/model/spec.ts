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
import { checkOptions, computeConv2DInfo, formatShape, ShapeError, ValueError, type Shape } from '@dlkata/tensor';

/** A convolution: `filters` kernels of `kernel x kernel` over all input channels, with a bias each unless `bias: false`. */
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
  /** A bias per filter (default true); `false` before a batch norm, as in ResNet (PyTorch `bias=False`). */
  readonly bias?: boolean;
  /** Optional display name. */
  readonly name?: string;
}

/** Max pooling over `kernel x kernel` windows; stride defaults to the kernel (PyTorch). */
export interface MaxPoolSpec {
  readonly type: 'maxpool';
  readonly kernel: number;
  readonly stride?: number;
  readonly pad?: number;
  /** Round the output size up (PyTorch `ceil_mode=True`, used by GoogLeNet); default false. Counting only: the runtime rejects it. */
  readonly ceilMode?: boolean;
  readonly name?: string;
}

/** Average pooling over `kernel x kernel` windows; stride defaults to the kernel (PyTorch `AvgPool2d`). */
export interface AvgPoolSpec {
  readonly type: 'avgpool';
  readonly kernel: number;
  readonly stride?: number;
  readonly pad?: number;
  /** As in {@link MaxPoolSpec}. */
  readonly ceilMode?: boolean;
  readonly name?: string;
}

/** Adaptive average pooling to a fixed output size (PyTorch `AdaptiveAvgPool2d`; `output: 1` is global average pooling). */
export interface AdaptiveAvgPoolSpec {
  readonly type: 'adaptiveavgpool';
  /** Output height and width: one number or `[OH, OW]`. */
  readonly output: number | readonly [number, number];
  readonly name?: string;
}

/**
 * Batch normalisation over the channels of an image (PyTorch `BatchNorm2d`, affine): a learned
 * scale and shift per channel, `2C` parameters. The running mean and variance are buffers,
 * not parameters, and are not counted (as in torchvision's counts). Counting only.
 */
export interface BatchNormSpec {
  readonly type: 'batchnorm';
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

/**
 * A stage of residual blocks (He et al. 2016; torchvision's `layer1` ... `layer4`). The first
 * block has the stage's stride and a projection shortcut (a 1x1 convolution, option B of the
 * paper) when its input and output shapes differ; the others keep the shape and use the
 * identity. With `norm: 'batch'` (default, as in ResNet) every convolution is bias-free and
 * followed by a batch norm, the projection too; with `'none'` the convolutions have biases and
 * there is no normalisation (the lecture's block, `residualBlockForward`).
 *
 * - `basic` (ResNet-18/34): 3x3 conv (stride) -> BN -> ReLU -> 3x3 conv -> BN, + shortcut, ReLU;
 *   output `filters` channels
 * - `bottleneck` (ResNet-50/101/152): 1x1 conv -> BN -> ReLU -> 3x3 conv (stride) -> BN -> ReLU
 *   -> 1x1 conv to `4 * filters` -> BN, + shortcut, ReLU; output `4 * filters` channels
 *   (torchvision's "ResNet v1.5": the stride sits on the 3x3 convolution)
 */
export interface ResidualStageSpec {
  readonly type: 'residual';
  readonly block: 'basic' | 'bottleneck';
  /** Filters of the block's 3x3 convolution (its width). */
  readonly filters: number;
  /** Number of blocks, >= 1. */
  readonly blocks: number;
  /** Stride of the first block, default 1. */
  readonly stride?: number;
  /** `'batch'` (default) or `'none'`. */
  readonly norm?: 'batch' | 'none';
  readonly name?: string;
}

/**
 * An inception module (Szegedy et al. 2015, Figure 2b): four `'same'` branches concatenated
 * along the channels: 1x1 (`c1`); 1x1 (`c3reduce`) -> 3x3 (`c3`); 1x1 (`c5reduce`) -> 5x5 (`c5`);
 * 3x3 max pooling (stride 1, padding 1) -> 1x1 (`poolProj`). Output `c1 + c3 + c5 + poolProj`
 * channels. Every convolution is followed by a ReLU; with `norm: 'batch'` each is bias-free and
 * followed by a batch norm (torchvision's `BasicConv2d`). `kernel5: 3` reproduces torchvision's
 * GoogLeNet, whose third branch uses 3x3 instead of 5x5 (a known quirk kept for its weights).
 */
export interface InceptionLayerSpec {
  readonly type: 'inception';
  readonly c1: number;
  readonly c3reduce: number;
  readonly c3: number;
  readonly c5reduce: number;
  readonly c5: number;
  readonly poolProj: number;
  /** `'none'` (default: the paper, convolutions with biases) or `'batch'`. */
  readonly norm?: 'batch' | 'none';
  /** Kernel of the third branch, 5 (default, the paper) or 3 (torchvision). */
  readonly kernel5?: 3 | 5;
  readonly name?: string;
}

/** One layer of a network. */
export type LayerSpec =
  | ConvSpec
  | MaxPoolSpec
  | AvgPoolSpec
  | AdaptiveAvgPoolSpec
  | BatchNormSpec
  | ActivationSpec
  | DropoutSpec
  | FlattenSpec
  | AffineSpec
  | ResidualStageSpec
  | InceptionLayerSpec;

/** The layers of a plain sequential network (LeNet, AlexNet, VGG): what the runtime ({@link createNetwork}) runs. */
export type SequentialLayerSpec = ConvSpec | MaxPoolSpec | ActivationSpec | DropoutSpec | FlattenSpec | AffineSpec;

/** A network of {@link SequentialLayerSpec}s only. */
export interface SequentialModelSpec extends ModelSpec {
  readonly layers: readonly SequentialLayerSpec[];
}

/** The keys each layer type accepts; any other key is an error naming it (`checkOptions`). */
export const LAYER_SPEC_KEYS: Readonly<Record<LayerSpec['type'], readonly string[]>> = {
  conv: ['type', 'filters', 'kernel', 'stride', 'pad', 'bias', 'name'],
  maxpool: ['type', 'kernel', 'stride', 'pad', 'ceilMode', 'name'],
  avgpool: ['type', 'kernel', 'stride', 'pad', 'ceilMode', 'name'],
  adaptiveavgpool: ['type', 'output', 'name'],
  batchnorm: ['type', 'name'],
  relu: ['type', 'name'],
  tanh: ['type', 'name'],
  dropout: ['type', 'p', 'name'],
  flatten: ['type', 'name'],
  affine: ['type', 'units', 'name'],
  residual: ['type', 'block', 'filters', 'blocks', 'stride', 'norm', 'name'],
  inception: ['type', 'c1', 'c3reduce', 'c3', 'c5reduce', 'c5', 'poolProj', 'norm', 'kernel5', 'name'],
};

/** A network: a name, the shape of one input example, and its layers in order. */
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
  /** Multiply-adds of one forward pass of one example (weights only; bias adds, batch norm, pooling and activations count 0). */
  readonly macs: number;
  /** The parts of a composite layer (the blocks of a residual stage, the layers of a block or an inception branch), each with its own counts. */
  readonly children?: readonly LayerInfo[];
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

function needImage(op: string, input: Shape): void {
  if (input.length !== 3) throw new ShapeError(op, `needs an image input [C, H, W], got ${formatShape(input)}`);
}

/**
 * Output size of a pooling window along one dimension, PyTorch's formula: `floor` (or `ceil`
 * with `ceilMode`) of `(size + 2*pad - kernel) / stride`, plus 1; with `ceilMode` a last window
 * that would start in the right padding is dropped.
 */
function poolOut(op: string, size: number, kernel: number, stride: number, pad: number, ceil: boolean): number {
  if (2 * pad > kernel) throw new ValueError(op, `pad should be at most half the window (PyTorch's rule); got pad ${pad} for window ${kernel}`);
  if (kernel > size + 2 * pad) throw new ShapeError(op, `window ${kernel} does not fit input ${size} with padding ${pad}`);
  const span = size + 2 * pad - kernel;
  let out = (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceil && (out - 1) * stride >= size + pad) out--;
  return out;
}

const sum = (xs: readonly LayerInfo[], k: 'params' | 'macs'): number => xs.reduce((a, l) => a + l[k], 0);

/** Runs specs one after the other from `input`, naming them `prefix.i` unless named. */
function chain(specs: readonly LayerSpec[], input: Shape, prefix: string): LayerInfo[] {
  const out: LayerInfo[] = [];
  let shape = input;
  specs.forEach((sp, i) => {
    const info = layerInfo(sp, shape, sp.name ?? `${prefix}.${i}`);
    out.push(info);
    shape = info.outputShape;
  });
  return out;
}

/** A convolution followed by a batch norm (bias-free) or, without norm, with a bias; then a ReLU unless `relu` is false. */
function convUnit(filters: number, kernel: number, stride: number, pad: number, norm: boolean, relu = true): LayerSpec[] {
  return [
    { type: 'conv', filters, kernel, stride, pad, bias: !norm },
    ...(norm ? [{ type: 'batchnorm' } as const] : []),
    ...(relu ? [{ type: 'relu' } as const] : []),
  ];
}

function residualStage(op: string, spec: ResidualStageSpec, input: Shape, name: string): LayerInfo {
  needImage(op, input);
  if (spec.block !== 'basic' && spec.block !== 'bottleneck') throw new ValueError(op, `block must be 'basic' or 'bottleneck', got ${JSON.stringify(spec.block)}`);
  if (spec.norm !== undefined && spec.norm !== 'batch' && spec.norm !== 'none') throw new ValueError(op, `norm must be 'batch' or 'none', got ${JSON.stringify(spec.norm)}`);
  posInt(op, 'filters', spec.filters);
  posInt(op, 'blocks', spec.blocks);
  posInt(op, 'stride', spec.stride);
  if (spec.filters === undefined || spec.blocks === undefined) throw new ValueError(op, 'needs filters and blocks');
  const norm = (spec.norm ?? 'batch') === 'batch';
  const F = spec.filters;
  const outC = spec.block === 'basic' ? F : 4 * F;
  const blocks: LayerInfo[] = [];
  let shape = input;
  for (let b = 0; b < spec.blocks; b++) {
    const stride = b === 0 ? (spec.stride ?? 1) : 1;
    const bname = `${name}.${b}`;
    const main: LayerSpec[] =
      spec.block === 'basic'
        ? [...convUnit(F, 3, stride, 1, norm), ...convUnit(F, 3, 1, 1, norm, false)]
        : [...convUnit(F, 1, 1, 0, norm), ...convUnit(F, 3, stride, 1, norm), ...convUnit(outC, 1, 1, 0, norm, false)];
    const mainInfo = chain(main, shape, bname);
    const projection = stride !== 1 || shape[0] !== outC;
    const shortcut = projection ? chain(convUnit(outC, 1, stride, 0, norm, false), shape, `${bname}.downsample`) : [];
    const outShape = mainInfo[mainInfo.length - 1].outputShape;
    const children = [...mainInfo, ...shortcut, { name: `${bname}.relu`, spec: { type: 'relu' } as const, inputShape: outShape, outputShape: outShape, params: 0, macs: 0 }];
    blocks.push({
      name: bname,
      spec,
      inputShape: shape,
      outputShape: outShape,
      params: sum(children, 'params'),
      macs: sum(children, 'macs'),
      children,
    });
    shape = outShape;
  }
  return { name, spec, inputShape: input, outputShape: shape, params: sum(blocks, 'params'), macs: sum(blocks, 'macs'), children: blocks };
}

function inceptionModule(op: string, spec: InceptionLayerSpec, input: Shape, name: string): LayerInfo {
  needImage(op, input);
  for (const k of ['c1', 'c3reduce', 'c3', 'c5reduce', 'c5', 'poolProj'] as const) {
    if (typeof spec[k] !== 'number' || !Number.isInteger(spec[k]) || spec[k] < 1) throw new ValueError(op, `${k} must be an integer >= 1, got ${String(spec[k])}`);
  }
  if (spec.norm !== undefined && spec.norm !== 'batch' && spec.norm !== 'none') throw new ValueError(op, `norm must be 'batch' or 'none', got ${JSON.stringify(spec.norm)}`);
  const k5 = spec.kernel5 ?? 5;
  if (k5 !== 3 && k5 !== 5) throw new ValueError(op, `kernel5 must be 3 or 5, got ${String(k5)}`);
  const norm = spec.norm === 'batch';
  const branches: LayerSpec[][] = [
    convUnit(spec.c1, 1, 1, 0, norm),
    [...convUnit(spec.c3reduce, 1, 1, 0, norm), ...convUnit(spec.c3, 3, 1, 1, norm)],
    [...convUnit(spec.c5reduce, 1, 1, 0, norm), ...convUnit(spec.c5, k5, 1, (k5 - 1) / 2, norm)],
    [{ type: 'maxpool', kernel: 3, stride: 1, pad: 1 }, ...convUnit(spec.poolProj, 1, 1, 0, norm)],
  ];
  const children = branches.flatMap((b, i) => chain(b, input, `${name}.branch${i + 1}`));
  const [, H, W] = input;
  return { name, spec, inputShape: input, outputShape: [spec.c1 + spec.c3 + spec.c5 + spec.poolProj, H, W], params: sum(children, 'params'), macs: sum(children, 'macs'), children };
}

/**
 * Shape, parameters and multiply-adds of one layer applied to an input of shape `input`
 * (one example). Conv shapes use PyTorch's output-size formula via {@link computeConv2DInfo}.
 *
 * - conv: params `F*C*K*K + F` (`F*C*K*K` with `bias: false`), multiply-adds `F*C*K*K*OH*OW`
 *   (the lecture's cost formula: "1x1x200x32x32x16" for a 1x1 conv with 16 filters on 32x32x200)
 * - batchnorm: params `2C` (scale and shift), no multiply-adds (at inference it folds into the
 *   convolution before it)
 * - affine: params `D*units + units`, multiply-adds `D*units`
 * - residual stages and inception modules: the sums over their parts, listed in `children`
 * - pooling (max, average, adaptive average), activations, dropout, flatten: no parameters, no multiply-adds
 *
 * @throws ShapeError if the layer does not fit its input (e.g. an affine layer on an image
 *   that was not flattened, or a kernel larger than the padded input)
 * @throws ValueError for a non-positive filter count, kernel or stride, an unknown layer type,
 *   or a key the layer type does not have (`"conv1 (conv): unknown option groups in layer (accepted: ...)"`)
 */
export function layerInfo(spec: LayerSpec, input: Shape, name = spec?.name ?? spec?.type): LayerInfo {
  if (spec === null || typeof spec !== 'object') throw new ValueError('layerInfo', `a layer must be an object { type, ... }, got ${spec === null ? 'null' : typeof spec}`);
  const op = `${name} (${spec.type})`;
  const keys = LAYER_SPEC_KEYS[spec.type];
  if (!keys) throw new ValueError('layerInfo', `unknown layer type ${JSON.stringify((spec as { type?: unknown }).type)}; known: ${Object.keys(LAYER_SPEC_KEYS).join(', ')}`);
  checkOptions(op, 'layer', spec, keys);
  switch (spec.type) {
    case 'conv': {
      needImage(op, input);
      posInt(op, 'filters', spec.filters);
      posInt(op, 'kernel', spec.kernel);
      if (spec.bias !== undefined && typeof spec.bias !== 'boolean') throw new ValueError(op, `bias must be true or false, got ${String(spec.bias)}`);
      const [C, H, W] = input;
      const info = computeConv2DInfo(op, [1, C, H, W], [spec.filters, C, spec.kernel, spec.kernel], { stride: spec.stride ?? 1, pad: spec.pad ?? 0 });
      const weights = spec.filters * C * spec.kernel * spec.kernel;
      return { name, spec, inputShape: input, outputShape: [spec.filters, info.OH, info.OW], params: weights + (spec.bias === false ? 0 : spec.filters), macs: weights * info.OH * info.OW };
    }
    case 'maxpool':
    case 'avgpool': {
      needImage(op, input);
      posInt(op, 'kernel', spec.kernel);
      posInt(op, 'stride', spec.stride);
      const pad = spec.pad ?? 0;
      if (!Number.isInteger(pad) || pad < 0) throw new ValueError(op, `pad must be an integer >= 0, got ${pad}`);
      const [C, H, W] = input;
      const stride = spec.stride ?? spec.kernel;
      const ceil = spec.ceilMode === true;
      return { name, spec, inputShape: input, outputShape: [C, poolOut(op, H, spec.kernel, stride, pad, ceil), poolOut(op, W, spec.kernel, stride, pad, ceil)], params: 0, macs: 0 };
    }
    case 'adaptiveavgpool': {
      needImage(op, input);
      const [OH, OW] = typeof spec.output === 'number' ? [spec.output, spec.output] : (spec.output ?? []);
      posInt(op, 'output', OH);
      posInt(op, 'output', OW);
      if (OH === undefined || OW === undefined) throw new ValueError(op, 'needs output: a size or [OH, OW]');
      return { name, spec, inputShape: input, outputShape: [input[0], OH, OW], params: 0, macs: 0 };
    }
    case 'batchnorm':
      if (input.length !== 3 && input.length !== 1) throw new ShapeError(op, `needs [C, H, W] or [D], got ${formatShape(input)}`);
      return { name, spec, inputShape: input, outputShape: input, params: 2 * input[0], macs: 0 };
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
    case 'residual':
      return residualStage(op, spec, input, name);
    case 'inception':
      return inceptionModule(op, spec, input, name);
  }
}

/**
 * Walks a network from its input shape and reports every layer's output shape, parameters
 * and multiply-adds, and the totals. Unnamed layers are called like torchsummary's rows:
 * `Conv2d-1`, `ReLU-2`, `MaxPool2d-3`, `Linear-8`, ...
 *
 * @throws ShapeError naming the first layer that does not fit its input
 * @throws ValueError for an unknown key in the model or in a layer, naming it and the accepted ones
 * @example
 * ```ts
 * analyze(lenet5()).params; // 61706 (LeNet-5, 32x32 input)
 * analyze(resnet(18)).params; // 11689512 (torchvision)
 * ```
 */
export function analyze(model: ModelSpec): ModelInfo {
  checkOptions('analyze', 'model', model, ['name', 'inputShape', 'layers']);
  if (!Array.isArray(model?.inputShape) || (model.inputShape.length !== 3 && model.inputShape.length !== 1)) {
    throw new ShapeError(model?.name ?? 'analyze', `inputShape must be [C, H, W] or [D], got ${Array.isArray(model?.inputShape) ? formatShape(model.inputShape) : String(model?.inputShape)}`);
  }
  if (!Array.isArray(model.layers)) throw new ValueError(model.name, `layers must be an array, got ${typeof model.layers}`);
  const layers: LayerInfo[] = [];
  let shape: Shape = model.inputShape;
  model.layers.forEach((spec, i) => {
    const info = layerInfo(spec, shape, spec?.name ?? `${(TORCH_NAMES as Record<string, string>)[String(spec?.type)] ?? spec?.type}-${i + 1}`);
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
  avgpool: 'AvgPool2d',
  adaptiveavgpool: 'AdaptiveAvgPool2d',
  batchnorm: 'BatchNorm2d',
  relu: 'ReLU',
  tanh: 'Tanh',
  dropout: 'Dropout',
  flatten: 'Flatten',
  affine: 'Linear',
  residual: 'ResidualStage',
  inception: 'Inception',
};

function group(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * A per-layer table as text, like Keras' `model.summary()` or torchsummary: layer, output
 * shape, parameters, multiply-adds, then totals (parameters also in MB of float32 weights).
 * A residual stage or an inception module is one row followed by indented rows for its parts.
 *
 * @example
 * ```ts
 * console.log(summary(lenet5()));
 * ```
 */
export function summary(model: ModelSpec): string {
  const info = analyze(model);
  // Composite layers (residual stages, inception modules) get a row, then one indented row per
  // child (a stage's blocks; a module's convolutions).
  const rows = info.layers.flatMap((l) => [
    [l.name, formatShape(l.outputShape), group(l.params), group(l.macs)],
    ...(l.children ?? []).map((c) => [`  ${c.name}`, formatShape(c.outputShape), group(c.params), group(c.macs)]),
  ]);
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
