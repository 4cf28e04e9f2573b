/**
 * The inception block of GoogLeNet (forward and backward), composed from the library's conv2d,
 * ReLU and max-pooling layers, and its cost in multiplications.
 *
 * @module
 */
import { assertFinite, assertNdim, assertShape, formatShape, Rng, ShapeError, Tensor, ValueError, type Shape, checkOptions } from '@dlkata/tensor';
import { concatChannels, splitChannels } from './concat.js';
import { conv2dBackward, conv2dForward, type Conv2dCache } from './conv2d.js';
import { maxPool2dBackward, maxPool2dForward, type MaxPool2dCache } from './maxpool2d.js';
import { layerInfo } from './model/spec.js';
import { reluBackward, reluForward, type ReluCache } from './relu.js';
import { assertCache } from './validate.js';

/**
 * Filter counts of an inception block, named as the columns of GoogLeNet's Table 1
 * ("#1x1", "#3x3 reduce", "#3x3", "#5x5 reduce", "#5x5", "pool proj"). Every count is an
 * integer >= 1.
 */
export interface InceptionSpec {
  /** Filters of the 1x1 branch. */
  readonly c1: number;
  /** 1x1 filters that shrink the channels before the 3x3 convolution. */
  readonly c3reduce: number;
  /** Filters of the 3x3 convolution. */
  readonly c3: number;
  /** 1x1 filters that shrink the channels before the 5x5 convolution. */
  readonly c5reduce: number;
  /** Filters of the 5x5 convolution. */
  readonly c5: number;
  /** 1x1 filters after the 3x3 max pooling. */
  readonly poolProj: number;
}

/** The keys of {@link InceptionSpec}, in the order of GoogLeNet's Table 1. */
export const INCEPTION_SPEC_KEYS = ['c1', 'c3reduce', 'c3', 'c5reduce', 'c5', 'poolProj'] as const;

/**
 * Parameters of an inception block on `C` input channels with the counts of an
 * {@link InceptionSpec} (every convolution has a bias).
 */
export interface InceptionParams {
  /** 1x1 branch, `[c1, C, 1, 1]`. */
  readonly w1: Tensor;
  /** `[c1]` */
  readonly b1: Tensor;
  /** 3x3 branch, 1x1 reduction, `[c3reduce, C, 1, 1]`. */
  readonly w3reduce: Tensor;
  /** `[c3reduce]` */
  readonly b3reduce: Tensor;
  /** 3x3 branch, `[c3, c3reduce, 3, 3]`. */
  readonly w3: Tensor;
  /** `[c3]` */
  readonly b3: Tensor;
  /** 5x5 branch, 1x1 reduction, `[c5reduce, C, 1, 1]`. */
  readonly w5reduce: Tensor;
  /** `[c5reduce]` */
  readonly b5reduce: Tensor;
  /** 5x5 branch, `[c5, c5reduce, 5, 5]`. */
  readonly w5: Tensor;
  /** `[c5]` */
  readonly b5: Tensor;
  /** Pooling branch, 1x1 projection after the max pooling, `[poolProj, C, 1, 1]`. */
  readonly wPoolProj: Tensor;
  /** `[poolProj]` */
  readonly bPoolProj: Tensor;
}

/** Gradients of an inception block, keyed by input name: `dx` and `d` + each key of {@link InceptionParams}. */
export interface InceptionGrads {
  /** `[N, C, H, W]`: the sum over the four branches, which all read `x`. */
  readonly dx: Tensor;
  readonly dw1: Tensor;
  readonly db1: Tensor;
  readonly dw3reduce: Tensor;
  readonly db3reduce: Tensor;
  readonly dw3: Tensor;
  readonly db3: Tensor;
  readonly dw5reduce: Tensor;
  readonly db5reduce: Tensor;
  readonly dw5: Tensor;
  readonly db5: Tensor;
  readonly dwPoolProj: Tensor;
  readonly dbPoolProj: Tensor;
}

/** Cache of a convolution followed by a ReLU. */
export interface ConvReluCache {
  readonly conv: Conv2dCache;
  readonly relu: ReluCache;
}

/**
 * What {@link inceptionBackward} needs: the spec and every primitive's cache, named after the
 * parameters they use. Tensors are the caller's (not copies): do not modify them in between.
 */
export interface InceptionCache {
  readonly spec: InceptionSpec;
  readonly conv1: ConvReluCache;
  readonly conv3reduce: ConvReluCache;
  readonly conv3: ConvReluCache;
  readonly conv5reduce: ConvReluCache;
  readonly conv5: ConvReluCache;
  /** The 3x3, stride 1, padding 1 max pooling of `x`. */
  readonly pool: MaxPool2dCache;
  readonly convPoolProj: ConvReluCache;
}

function convRelu(x: Tensor, w: Tensor, b: Tensor, pad: number): { out: Tensor; cache: ConvReluCache } {
  const c = conv2dForward(x, w, b, { pad });
  const r = reluForward(c.out);
  return { out: r.out, cache: { conv: c.cache, relu: r.cache } };
}

function convReluBackward(dout: Tensor, cache: ConvReluCache): { dx: Tensor; dw: Tensor; db: Tensor } {
  return conv2dBackward(reluBackward(dout, cache.relu).dx, cache.conv);
}

function checkSpec(op: string, spec: InceptionSpec): void {
  if (spec === null || typeof spec !== 'object') {
    throw new ValueError(op, `spec must be an object { ${INCEPTION_SPEC_KEYS.join(', ')} }, got ${spec === null ? 'null' : typeof spec}`);
  }
  checkOptions(op, 'spec', spec, INCEPTION_SPEC_KEYS);
  for (const k of INCEPTION_SPEC_KEYS) {
    const v = spec[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ValueError(op, `spec.${k} must be an integer >= 1, got ${String(v)}`);
  }
}

/** The shape of every parameter of an inception block on `C` channels. */
export function inceptionParamShapes(C: number, spec: InceptionSpec): Record<keyof InceptionParams, number[]> {
  checkSpec('inceptionParamShapes', spec);
  const { c1, c3reduce, c3, c5reduce, c5, poolProj } = spec;
  return {
    w1: [c1, C, 1, 1],
    b1: [c1],
    w3reduce: [c3reduce, C, 1, 1],
    b3reduce: [c3reduce],
    w3: [c3, c3reduce, 3, 3],
    b3: [c3],
    w5reduce: [c5reduce, C, 1, 1],
    b5reduce: [c5reduce],
    w5: [c5, c5reduce, 5, 5],
    b5: [c5],
    wPoolProj: [poolProj, C, 1, 1],
    bPoolProj: [poolProj],
  };
}

/** Output channels of an inception block: `c1 + c3 + c5 + poolProj` (the reductions are internal). */
export function inceptionChannels(spec: InceptionSpec): number {
  checkSpec('inceptionChannels', spec);
  return spec.c1 + spec.c3 + spec.c5 + spec.poolProj;
}

/**
 * Inception block, forward pass (GoogLeNet's "inception module with dimension reductions",
 * Szegedy et al. 2015, Figure 2b): four parallel branches on the same input, every one
 * `'same'` (H and W are kept), every convolution followed by a ReLU:
 *
 * 1. `1x1` conv (`c1` filters)
 * 2. `1x1` conv (`c3reduce`) -> `3x3` conv, padding 1 (`c3`)
 * 3. `1x1` conv (`c5reduce`) -> `5x5` conv, padding 2 (`c5`)
 * 4. `3x3` max pooling, stride 1, padding 1 -> `1x1` conv (`poolProj`)
 *
 * The outputs are concatenated along the channel axis IN THAT ORDER (GoogLeNet's DepthConcat;
 * the order of Caffe's reference `bvlc_googlenet` and of torchvision's `Inception.forward`):
 * channels `[0, c1)` come from branch 1, then `c3` from branch 2, `c5` from branch 3 and
 * `poolProj` from branch 4.
 *
 * Dimensions: N batch, C input channels, H x W image;
 * output `[N, c1 + c3 + c5 + poolProj, H, W]`.
 *
 * @param x - input, `[N, C, H, W]` (H, W >= 1), finite
 * @param params - the twelve weights and biases, shapes as in {@link inceptionParamShapes}
 *   (see {@link InceptionParams}), finite
 * @param spec - filter counts, each an integer >= 1
 * @returns `out`, `[N, c1 + c3 + c5 + poolProj, H, W]`, and the `cache` that {@link inceptionBackward} needs
 * @throws ShapeError if `x` is not 4-D or has an empty image, or a parameter does not have the
 *   shape the spec implies (`"inception: w3 must have shape [128,96,3,3], got [128,96,5,5]"`)
 * @throws ValueError for a spec count that is not an integer >= 1
 *   (`"inception: spec.c5 must be an integer >= 1, got 0"`), missing `params`, or a NaN/infinite
 *   element (`"inception: w5 contains NaN at [0,0,2,2]"`); all checks run before any work
 * @see the lecture, items 8-10 (1x1 convolutions, the inception layer, its cost); Szegedy et al.,
 *   "Going Deeper with Convolutions", CVPR 2015, Figure 2b and Table 1; torchvision
 *   `models.googlenet.Inception` (which adds batch normalisation and, by a known quirk, uses 3x3
 *   instead of 5x5 in its third branch; this block follows the paper)
 * @example
 * ```ts
 * const spec = { c1: 64, c3reduce: 96, c3: 128, c5reduce: 16, c5: 32, poolProj: 32 }; // inception (3a)
 * const rng = new Rng(0);
 * const { out } = inceptionForward(rng.randn([1, 192, 28, 28]), initInceptionParams(192, spec, rng), spec);
 * out.shape; // [1, 256, 28, 28]
 * ```
 */
export function inceptionForward(x: Tensor, params: InceptionParams, spec: InceptionSpec): { out: Tensor; cache: InceptionCache } {
  const op = 'inception';
  assertNdim(op, 'x', x, 4, '[N, C, H, W]');
  checkSpec(op, spec);
  if (params === null || typeof params !== 'object') {
    throw new ValueError(op, `params must be an object { w1, b1, w3reduce, b3reduce, w3, b3, w5reduce, b5reduce, w5, b5, wPoolProj, bPoolProj }, got ${params === null ? 'null' : typeof params}`);
  }
  checkOptions(op, 'params', params, ['w1', 'b1', 'w3reduce', 'b3reduce', 'w3', 'b3', 'w5reduce', 'b5reduce', 'w5', 'b5', 'wPoolProj', 'bPoolProj']);
  const [, C, H, W] = x.shape;
  if (H < 1 || W < 1) throw new ShapeError(op, `x must have a non-empty image, got ${formatShape(x.shape)}`);
  const shapes = inceptionParamShapes(C, spec);
  const keys = Object.keys(shapes) as (keyof InceptionParams)[];
  for (const k of keys) assertShape(op, k, params[k], shapes[k]);
  assertFinite(op, 'x', x);
  for (const k of keys) assertFinite(op, k, params[k]);

  const p = params;
  const conv1 = convRelu(x, p.w1, p.b1, 0);
  const conv3reduce = convRelu(x, p.w3reduce, p.b3reduce, 0);
  const conv3 = convRelu(conv3reduce.out, p.w3, p.b3, 1);
  const conv5reduce = convRelu(x, p.w5reduce, p.b5reduce, 0);
  const conv5 = convRelu(conv5reduce.out, p.w5, p.b5, 2);
  const pool = maxPool2dForward(x, { kernel: 3, stride: 1, pad: 1 });
  const convPoolProj = convRelu(pool.out, p.wPoolProj, p.bPoolProj, 0);
  const out = concatChannels([conv1.out, conv3.out, conv5.out, convPoolProj.out]);
  return {
    out,
    cache: {
      spec: { ...spec },
      conv1: conv1.cache,
      conv3reduce: conv3reduce.cache,
      conv3: conv3.cache,
      conv5reduce: conv5reduce.cache,
      conv5: conv5.cache,
      pool: pool.cache,
      convPoolProj: convPoolProj.cache,
    },
  };
}

/**
 * Inception block, backward pass: `dout` is split by channel into the four branches' parts
 * (the backward pass of the concatenation), each part goes back through its branch, and
 * because all four branches read `x`, their input gradients are added:
 * `dx = dx_1x1 + dx_3x3 + dx_5x5 + dx_pool`.
 *
 * Dimensions as in {@link inceptionForward}: `x [N, C, H, W]`, `out [N, c1 + c3 + c5 + poolProj, H, W]`.
 *
 * @param dout - upstream gradient, the shape of the forward's `out`, finite
 * @param cache - the `cache` returned by {@link inceptionForward}
 * @returns `dx` `[N, C, H, W]` and `dw1, db1, dw3reduce, db3reduce, dw3, db3, dw5reduce,
 *   db5reduce, dw5, db5, dwPoolProj, dbPoolProj`, each shaped like its parameter: gradients of
 *   `sum(out * dout)`
 * @throws ShapeError if `dout` does not have the output's shape
 *   (`"inceptionBackward: dout must have shape [2,10,5,5], got [2,9,5,5]"`)
 * @throws ValueError if `dout` has a NaN/infinite element or `cache` is not an inception cache
 * @see Szegedy et al. 2015; CS231n's composition rule (only primitives have hand-written gradients)
 * @example
 * ```ts
 * const spec = { c1: 2, c3reduce: 2, c3: 3, c5reduce: 1, c5: 2, poolProj: 1 };
 * const rng = new Rng(0);
 * const { out, cache } = inceptionForward(rng.randn([1, 4, 6, 6]), initInceptionParams(4, spec, rng), spec);
 * inceptionBackward(Tensor.ones(out.shape), cache).dw3.shape; // [3, 2, 3, 3]
 * ```
 */
export function inceptionBackward(dout: Tensor, cache: InceptionCache): InceptionGrads {
  const op = 'inceptionBackward';
  assertCache(op, cache, ['spec', 'conv1', 'conv3reduce', 'conv3', 'conv5reduce', 'conv5', 'pool', 'convPoolProj'], 'inceptionForward');
  const { spec } = cache;
  const [N, , H, W] = cache.pool.x.shape;
  assertShape(op, 'dout', dout, [N, inceptionChannels(spec), H, W]);
  assertFinite(op, 'dout', dout);

  const [d1, d3, d5, dp] = splitChannels(dout, [spec.c1, spec.c3, spec.c5, spec.poolProj]);
  const g1 = convReluBackward(d1, cache.conv1);
  const g3 = convReluBackward(d3, cache.conv3);
  const g3r = convReluBackward(g3.dx, cache.conv3reduce);
  const g5 = convReluBackward(d5, cache.conv5);
  const g5r = convReluBackward(g5.dx, cache.conv5reduce);
  const gp = convReluBackward(dp, cache.convPoolProj);
  const gpool = maxPool2dBackward(gp.dx, cache.pool);

  // x feeds four branches: its gradient is the sum of theirs.
  const dx = Tensor.zeros(cache.pool.x.shape);
  for (const part of [g1.dx, g3r.dx, g5r.dx, gpool.dx]) {
    for (let i = 0; i < dx.size; i++) dx.data[i] += part.data[i];
  }
  return {
    dx,
    dw1: g1.dw,
    db1: g1.db,
    dw3reduce: g3r.dw,
    db3reduce: g3r.db,
    dw3: g3.dw,
    db3: g3.db,
    dw5reduce: g5r.dw,
    db5reduce: g5r.db,
    dw5: g5.dw,
    db5: g5.db,
    dwPoolProj: gp.dw,
    dbPoolProj: gp.db,
  };
}

/**
 * Fresh parameters for an inception block: weights ~ N(0, 2 / fan_in) (He et al. 2015),
 * `fan_in` = input channels x kernel area of each convolution; biases 0. Drawn in the order of
 * {@link inceptionParamShapes}.
 *
 * @param C - input channels, integer >= 1
 * @param spec - filter counts
 * @param rng - source of the random weights
 * @throws ValueError for a `C` or spec count that is not an integer >= 1
 */
export function initInceptionParams(C: number, spec: InceptionSpec, rng: Rng): InceptionParams {
  const op = 'initInceptionParams';
  checkSpec(op, spec);
  if (!Number.isInteger(C) || C < 1) throw new ValueError(op, `C must be an integer >= 1, got ${C}`);
  const shapes = inceptionParamShapes(C, spec);
  const out: Partial<Record<keyof InceptionParams, Tensor>> = {};
  for (const k of Object.keys(shapes) as (keyof InceptionParams)[]) {
    const s = shapes[k];
    out[k] = s.length === 1 ? Tensor.zeros(s) : rng.randn(s, Math.sqrt(2 / (s[1] * s[2] * s[3])));
  }
  return out as InceptionParams;
}

/**
 * Multiplications (multiply-adds) of one convolution on one example: `F*C*K*K*H'*W'`, the
 * lecture's cost formula (each of the `F*H'*W'` outputs sums `C*K*K` products; bias additions
 * are not counted). Output size by PyTorch's formula, through the library's
 * {@link layerInfo} (the same count `summary()` reports).
 *
 * Dimensions: C input channels, H x W input, F filters, K x K kernel, H' x W' output.
 *
 * @param input - one example's shape, `[C, H, W]`
 * @param filters - F, integer >= 1
 * @param kernel - K (square), integer >= 1
 * @param stride - integer >= 1, default 1
 * @param pad - zero padding on each side, or `'same'` (stride 1, odd kernel); default 0, as `conv2dForward`
 * @returns an integer
 * @throws ShapeError if `input` is not `[C, H, W]` or the kernel does not fit
 * @throws ValueError for a non-positive filter count, kernel or stride, or `'same'` with a stride or even kernel
 * @see the lecture, item 10: `1x1x200x32x32x16 = 3,276,800` and `5x5x16x32x32x92 = 37,683,200`
 * @example
 * ```ts
 * convMultiplies([200, 32, 32], 16, 1) + convMultiplies([16, 32, 32], 92, 5, 1, 'same'); // 40,960,000
 * convMultiplies([200, 32, 32], 92, 5, 1, 'same'); // 471,040,000 (the direct 5x5 conv)
 * ```
 */
export function convMultiplies(input: Shape, filters: number, kernel: number, stride = 1, pad: number | 'same' = 0): number {
  return layerInfo({ type: 'conv', filters, kernel, stride, pad }, input, 'convMultiplies').macs;
}

/** What {@link inceptionMultiplies} reports: multiplications per convolution (keyed like the spec), their total, and the output shape. */
export interface InceptionCost {
  readonly c1: number;
  readonly c3reduce: number;
  readonly c3: number;
  readonly c5reduce: number;
  readonly c5: number;
  readonly poolProj: number;
  /** Sum of the six (the max pooling multiplies nothing). */
  readonly total: number;
  /** `[c1 + c3 + c5 + poolProj, H, W]` */
  readonly outputShape: readonly number[];
}

/**
 * Multiplications of one forward pass of an inception block on one example, per convolution,
 * each by {@link convMultiplies} (all `'same'`, stride 1):
 *
 * - `c1`: `1*1*C*H*W*c1`; `c3reduce`: `1*1*C*H*W*c3reduce`; `c3`: `3*3*c3reduce*H*W*c3`
 * - `c5reduce`: `1*1*C*H*W*c5reduce`; `c5`: `5*5*c5reduce*H*W*c5`; `poolProj`: `1*1*C*H*W*poolProj`
 *
 * The lecture's example is the 5x5 branch: on 32x32x200 with `c5reduce = 16`, `c5 = 92`,
 * `c5reduce + c5 = 3,276,800 + 37,683,200 = 40,960,000`, against 471,040,000 for a direct 5x5
 * convolution with 92 filters (a reduction to about a tenth).
 *
 * @param input - one example's shape, `[C, H, W]`
 * @param spec - filter counts, each an integer >= 1
 * @returns the six counts keyed like `spec`, `total` and `outputShape`
 * @throws ShapeError if `input` is not `[C, H, W]` with positive sizes
 * @throws ValueError for a spec count that is not an integer >= 1
 * @see the lecture, item 10; Szegedy et al. 2015, Table 1 ("ops": 128M for inception (3a),
 *   304M for (3b), counted the same way)
 * @example
 * ```ts
 * inceptionMultiplies([192, 28, 28], { c1: 64, c3reduce: 96, c3: 128, c5reduce: 16, c5: 32, poolProj: 32 }).total; // 128,049,152
 * ```
 */
export function inceptionMultiplies(input: Shape, spec: InceptionSpec): InceptionCost {
  const op = 'inceptionMultiplies';
  checkSpec(op, spec);
  if (!Array.isArray(input) || input.length !== 3) {
    throw new ShapeError(op, `input must be one example's shape [C, H, W], got ${Array.isArray(input) ? formatShape(input) : typeof input}`);
  }
  const [C, H, W] = input;
  const cost = {
    c1: convMultiplies(input, spec.c1, 1),
    c3reduce: convMultiplies(input, spec.c3reduce, 1),
    c3: convMultiplies([spec.c3reduce, H, W], spec.c3, 3, 1, 'same'),
    c5reduce: convMultiplies(input, spec.c5reduce, 1),
    c5: convMultiplies([spec.c5reduce, H, W], spec.c5, 5, 1, 'same'),
    poolProj: convMultiplies([C, H, W], spec.poolProj, 1),
  };
  const total = INCEPTION_SPEC_KEYS.reduce((a, k) => a + cost[k], 0);
  return { ...cost, total, outputShape: [inceptionChannels(spec), H, W] };
}
