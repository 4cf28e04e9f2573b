/**
 * Shape math for convolution and pooling, in one place (after tfjs-core's
 * `computeConv2DInfo`). Every layer and exercise gets its output sizes from here.
 *
 * @module
 */
import { ShapeError, ValueError } from './errors.js';
import { formatShape, type Shape } from './tensor.js';
import { checkOptions, NOT_IMPLEMENTED, type Refusals } from './options.js';

/** A size given once for both spatial dimensions, or as `[height, width]`. */
export type Pair = number | readonly [number, number];

/** Zero padding: a size (or `[ph, pw]`), or `'same'` (stride 1, odd kernel: output keeps H and W). */
export type Padding = Pair | 'same';

/**
 * Normalises `number | [number, number]` to `[h, w]` and checks the values.
 *
 * @param op - op name for the message
 * @param name - parameter name for the message, e.g. `"stride"`
 * @param value - one number for both dimensions, or `[h, w]`
 * @param min - smallest allowed value (1 for kernel/stride/dilation, 0 for padding)
 * @returns `[h, w]`
 * @throws ValueError if `value` is neither a number nor a pair (`"conv2d: stride must be a
 *   number or [h, w], got [1, 2, 3]"`), or a value is not an integer or below `min`:
 *   `"conv2d: stride must be an integer >= 1, got 0"`
 */
export function pair(op: string, name: string, value: Pair, min: number): [number, number] {
  if (typeof value !== 'number' && !(Array.isArray(value) && value.length === 2)) {
    throw new ValueError(op, `${name} must be a number or [h, w], got ${Array.isArray(value) ? `[${value.join(', ')}]` : String(value)}`);
  }
  const v: [number, number] = typeof value === 'number' ? [value, value] : [value[0], value[1]];
  for (const x of v) {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min) {
      throw new ValueError(op, `${name} must be an integer >= ${min}, got ${typeof value === 'number' ? value : `[${v.join(', ')}]`}`);
    }
  }
  return v;
}

/**
 * Output size of a convolution or pooling along one dimension, PyTorch's formula
 * (`torch.nn.Conv2d`, `MaxPool2d` with `ceil_mode=False`):
 *
 * $$
 * \mathrm{out} = \left\lfloor \frac{\mathrm{size} + 2\,\mathrm{pad} - \mathrm{dilation} \cdot (\mathrm{kernel} - 1) - 1}{\mathrm{stride}} + 1 \right\rfloor
 * $$
 *
 * With dilation 1 this is the lecture's and CS231n's $1 + (H + 2\,\mathrm{pad} - HH) / \mathrm{stride}$, rounded down.
 *
 * @param size - input size (H or W), >= 1
 * @param kernel - kernel size, >= 1
 * @param stride - >= 1
 * @param pad - zero padding on each side, >= 0
 * @param dilation - spacing between kernel taps, >= 1
 * @returns the output size, >= 1
 * @throws ShapeError if the (dilated) kernel does not fit the padded input:
 *   `"convOutputSize: kernel 5 (dilation 1) does not fit input 3 with padding 0"`
 * @throws ValueError if a parameter is out of range
 * @example
 * ```ts
 * convOutputSize(32, 5, 1, 0); // 28 (LeNet's first conv)
 * convOutputSize(28, 2, 2, 0); // 14 (2x2 max pool, stride 2)
 * ```
 */
export function convOutputSize(size: number, kernel: number, stride = 1, pad = 0, dilation = 1, op = 'convOutputSize'): number {
  for (const [name, v, min] of [
    ['size', size, 1],
    ['kernel', kernel, 1],
    ['stride', stride, 1],
    ['pad', pad, 0],
    ['dilation', dilation, 1],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new ValueError(op, `${name} must be an integer >= ${min}, got ${v}`);
  }
  const span = dilation * (kernel - 1) + 1;
  if (span > size + 2 * pad) {
    throw new ShapeError(op, `kernel ${kernel} (dilation ${dilation}) does not fit input ${size} with padding ${pad}`);
  }
  return Math.floor((size + 2 * pad - span) / stride) + 1;
}

/**
 * Padding that keeps the size at stride 1 (`'same'`): `dilation * (kernel - 1) / 2` on each
 * side, e.g. 1 for VGG's 3x3 convolutions, 2 for a 5x5.
 *
 * As with PyTorch's `padding='same'`, only stride 1 is allowed. Unlike PyTorch, which pads the
 * extra row and column at the bottom and right, only symmetric padding is allowed: the
 * dilated kernel span `dilation * (kernel - 1) + 1` must be odd (any odd kernel; an even
 * kernel only with an even dilation).
 *
 * @param kernel - kernel size, >= 1
 * @param stride - must be 1
 * @param dilation - spacing between kernel taps, default 1
 * @param op - op name for the message
 * @returns the padding on each side, >= 0
 * @throws ValueError for a stride other than 1 (`"conv2d: padding 'same' needs stride 1 (as in
 *   PyTorch), got stride 2"`) or an even span (`"conv2d: padding 'same' needs an odd kernel, got 4"`)
 */
export function samePadding(kernel: number, stride = 1, dilation = 1, op = 'samePadding'): number {
  if (stride !== 1) throw new ValueError(op, `padding 'same' needs stride 1 (as in PyTorch), got stride ${stride}`);
  const span = dilation * (kernel - 1);
  if (span % 2 !== 0) throw new ValueError(op, `padding 'same' needs an odd kernel, got ${kernel}`);
  return span / 2;
}

/** Options of a 2-D convolution. */
export interface Conv2DParams {
  /** Step between windows, `s` or `[sh, sw]`. Default 1. */
  readonly stride?: Pair;
  /** Zero padding on each side, `p` or `[ph, pw]`, or `'same'`. Default 0. */
  readonly pad?: Padding;
  /** Spacing between kernel taps. Default 1. */
  readonly dilation?: Pair;
}

/**
 * Everything a convolution needs to know about its shapes, computed once and named.
 *
 * Input `[N, C, H, W]`, filters `[F, C, KH, KW]`, output `[N, F, OH, OW]`.
 */
export interface Conv2DInfo {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  /** Number of filters (output channels). */
  readonly F: number;
  readonly KH: number;
  readonly KW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padH: number;
  readonly padW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly OH: number;
  readonly OW: number;
  /** `[N, F, OH, OW]` */
  readonly outShape: readonly [number, number, number, number];
}

/**
 * Validates a convolution's shapes and parameters and computes its output size with
 * {@link convOutputSize}'s formula (PyTorch's `Conv2d`), per axis.
 *
 * @example
 * ```ts
 * computeConv2DInfo('conv2d', [1, 3, 227, 227], [96, 3, 11, 11], { stride: 4 }).outShape; // [1, 96, 55, 55] (AlexNet conv1)
 * ```
 * @param op - op name for messages
 * @param xShape - input `[N, C, H, W]`
 * @param wShape - filters `[F, C, KH, KW]`
 * @param params - stride, padding (or `'same'`) and dilation; see {@link Conv2DParams}
 * @returns the named sizes, with `outShape = [N, F, OH, OW]`
 * @throws ShapeError if x or w is not 4-D, channels differ
 *   (`"conv2d: input channels (3) must match filter channels (4); x [2,3,8,8], w [4,4,3,3]"`),
 *   or a kernel does not fit the padded input
 *   (`"conv2d: kernel height 5 does not fit input height 3 with padding 0; x [1,1,3,8], w [1,1,5,5]"`)
 * @throws ValueError for a stride or dilation of 0, negative padding, `'same'` with stride > 1 or an even kernel, or an unknown key in `params` (`groups`, `paddingMode`: not implemented)
 */
export function computeConv2DInfo(op: string, xShape: Shape, wShape: Shape, params: Conv2DParams = {}): Conv2DInfo {
  checkOptions(op, 'params', params, CONV2D_PARAM_KEYS);
  if (xShape.length !== 4) throw new ShapeError(op, `x must be 4-D [N, C, H, W], got ${formatShape(xShape)}`);
  if (wShape.length !== 4) throw new ShapeError(op, `w must be 4-D [F, C, KH, KW], got ${formatShape(wShape)}`);
  const [N, C, H, W] = xShape;
  const [F, WC, KH, KW] = wShape;
  if (C !== WC) {
    throw new ShapeError(op, `input channels (${C}) must match filter channels (${WC}); x ${formatShape(xShape)}, w ${formatShape(wShape)}`);
  }
  const [strideH, strideW] = pair(op, 'stride', params.stride ?? 1, 1);
  const [dilationH, dilationW] = pair(op, 'dilation', params.dilation ?? 1, 1);
  let padH: number;
  let padW: number;
  if (params.pad === 'same') {
    padH = samePadding(KH, strideH, dilationH, op);
    padW = samePadding(KW, strideW, dilationW, op);
  } else {
    [padH, padW] = pair(op, 'pad', params.pad ?? 0, 0);
  }
  const OH = outSize(op, 'height', H, KH, strideH, padH, dilationH, xShape, wShape);
  const OW = outSize(op, 'width', W, KW, strideW, padW, dilationW, xShape, wShape);
  return { N, C, H, W, F, KH, KW, strideH, strideW, padH, padW, dilationH, dilationW, OH, OW, outShape: [N, F, OH, OW] };
}

function outSize(op: string, dim: string, size: number, k: number, s: number, p: number, d: number, xs: Shape, ws: Shape): number {
  const span = d * (k - 1) + 1;
  if (size < 1 || span > size + 2 * p) {
    throw new ShapeError(op, `kernel ${dim} ${k}${d > 1 ? ` (dilation ${d})` : ''} does not fit input ${dim} ${size} with padding ${p}; x ${formatShape(xs)}, w ${formatShape(ws)}`);
  }
  return Math.floor((size + 2 * p - span) / s) + 1;
}

/** The keys {@link Conv2DParams} may have; any other is an error (`checkOptions`). */
export const CONV2D_PARAM_KEYS = ['stride', 'pad', 'dilation'] as const;
/** The keys {@link Pool2DParams} may have; any other is an error (`checkOptions`). */
export const POOL2D_PARAM_KEYS = ['kernel', 'stride', 'pad'] as const;
const POOL_REFUSALS: Refusals = { ...NOT_IMPLEMENTED, dilation: 'dilated pooling (PyTorch dilation on MaxPool2d) is not implemented here' };

/** Options of a 2-D pooling window. */
export interface Pool2DParams {
  /** Window size `k` or `[kh, kw]`. */
  readonly kernel: Pair;
  /** Step between windows; defaults to the kernel size (as in PyTorch). */
  readonly stride?: Pair;
  /** Padding on each side; padded cells never win a max. Default 0. */
  readonly pad?: Pair;
}

/** Shapes of a pooling op: input `[N, C, H, W]`, window `KH x KW`, output `[N, C, OH, OW]`. */
export interface Pool2DInfo {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly KH: number;
  readonly KW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padH: number;
  readonly padW: number;
  readonly OH: number;
  readonly OW: number;
  /** `[N, C, OH, OW]` */
  readonly outShape: readonly [number, number, number, number];
}

/**
 * Validates a pooling op's input and window and computes the output size with PyTorch's
 * `MaxPool2d` formula (`ceil_mode=False`): `OH = floor((H + 2*pad - KH) / stride) + 1`.
 * As in PyTorch, padding may be at most half the window.
 *
 * @example
 * ```ts
 * computePool2DInfo('maxPool2d', [1, 6, 28, 28], { kernel: 2 }).outShape; // [1, 6, 14, 14] (LeNet S2)
 * ```
 * @param op - op name for messages
 * @param xShape - input `[N, C, H, W]`
 * @param params - window, stride (default: the window) and padding
 * @returns the named sizes, with `outShape = [N, C, OH, OW]`
 * @throws ShapeError if `x` is not 4-D or the window does not fit: `"maxPool2d: window 3x3 does not fit input 2x2"`
 * @throws ValueError for a zero stride, a padding larger than half the window, or an unknown key in `params` (`ceilMode`, `dilation`: not implemented)
 */
export function computePool2DInfo(op: string, xShape: Shape, params: Pool2DParams): Pool2DInfo {
  checkOptions(op, 'params', params, POOL2D_PARAM_KEYS, POOL_REFUSALS);
  if (params === undefined) throw new ValueError(op, `params must be an object { ${POOL2D_PARAM_KEYS.join(', ')} }, got undefined`);
  if (xShape.length !== 4) throw new ShapeError(op, `x must be 4-D [N, C, H, W], got ${formatShape(xShape)}`);
  const [N, C, H, W] = xShape;
  const [KH, KW] = pair(op, 'kernel', params.kernel, 1);
  const [strideH, strideW] = pair(op, 'stride', params.stride ?? [KH, KW], 1);
  const [padH, padW] = pair(op, 'pad', params.pad ?? 0, 0);
  if (2 * padH > KH || 2 * padW > KW) {
    throw new ValueError(op, `pad should be at most half the window (PyTorch's rule); got pad [${padH}, ${padW}] for window ${KH}x${KW}`);
  }
  if (H < 1 || W < 1) throw new ShapeError(op, `input height and width must be at least 1, got x ${formatShape(xShape)}`);
  if (KH > H + 2 * padH || KW > W + 2 * padW) {
    throw new ShapeError(op, `window ${KH}x${KW} does not fit input ${H}x${W}${padH || padW ? ` with padding [${padH}, ${padW}]` : ''}`);
  }
  const OH = Math.floor((H + 2 * padH - KH) / strideH) + 1;
  const OW = Math.floor((W + 2 * padW - KW) / strideW) + 1;
  return { N, C, H, W, KH, KW, strideH, strideW, padH, padW, OH, OW, outShape: [N, C, OH, OW] };
}
