/**
 * The residual block of ResNet (forward and backward), composed from the library's conv2d and
 * ReLU layers: only those primitives carry hand-written gradients.
 *
 * @module
 */
import { add, assertFinite, assertNdim, assertShape, formatShape, Rng, ShapeError, Tensor, ValueError, checkOptions } from '@dlkata/tensor';
import { conv2dBackward, conv2dForward, type Conv2dCache } from './conv2d.js';
import { reluBackward, reluForward, type ReluCache } from './relu.js';
import { assertCache } from './validate.js';

/**
 * Parameters of a residual block with `C` input channels and `F` filters.
 *
 * The projection `ws`, `bs` is the "learned matrix" of the lecture (He et al.'s option B): it is
 * required when the shortcut cannot be the identity (`C != F` or stride > 1), and may also be
 * given when it could (option C, every shortcut a projection). `ws` and `bs` come together.
 */
export interface ResidualBlockParams {
  /** First convolution, `[F, C, KH, KW]`; 3x3 in ResNet (any odd kernel is accepted). */
  readonly w1: Tensor;
  /** Its biases, `[F]`. */
  readonly b1: Tensor;
  /** Second convolution, `[F, F, KH2, KW2]`; 3x3 in ResNet (any odd kernel is accepted). */
  readonly w2: Tensor;
  /** Its biases, `[F]`. */
  readonly b2: Tensor;
  /** Shortcut projection, a 1x1 convolution `[F, C, 1, 1]`. */
  readonly ws?: Tensor;
  /** Its biases, `[F]`. */
  readonly bs?: Tensor;
}

/** Options of {@link residualBlockForward}. */
export interface ResidualBlockOptions {
  /** Stride of the first convolution and of the projection (2 halves H and W, as between ResNet stages). Default 1. */
  readonly stride?: number;
}

/**
 * What {@link residualBlockBackward} needs: the caches of the primitives, in the order the
 * forward pass ran them. Tensors are the caller's (not copies): do not modify them in between.
 */
export interface ResidualBlockCache {
  /** First convolution (stride `s`, padding `(K - 1) / 2`). */
  readonly conv1: Conv2dCache;
  /** ReLU after the first convolution. */
  readonly relu1: ReluCache;
  /** Second convolution (stride 1, `'same'`). */
  readonly conv2: Conv2dCache;
  /** The projection's cache, or `null` for the identity shortcut. */
  readonly shortcut: Conv2dCache | null;
  /** The final ReLU; its input is `conv2(...) + shortcut(x)`. */
  readonly relu2: ReluCache;
}

/** Gradients of a residual block, keyed by the name of the input (`dws`, `dbs` only with a projection). */
export interface ResidualBlockGrads {
  /** `[N, C, H, W]`: the sum of the gradients through the main path and through the shortcut. */
  readonly dx: Tensor;
  readonly dw1: Tensor;
  readonly db1: Tensor;
  readonly dw2: Tensor;
  readonly db2: Tensor;
  readonly dws?: Tensor;
  readonly dbs?: Tensor;
}

/** True when a block from `C` channels to `F` filters at this stride cannot use the identity shortcut. */
export function residualNeedsProjection(C: number, F: number, stride = 1): boolean {
  return C !== F || stride !== 1;
}

function oddKernel(op: string, name: string, w: Tensor): void {
  const [, , KH, KW] = w.shape;
  if (KH % 2 === 0 || KW % 2 === 0) {
    throw new ShapeError(op, `${name} must have an odd kernel (the block pads (K - 1) / 2 to keep the size), got ${KH}x${KW}; ${name} ${formatShape(w.shape)}`);
  }
}

/**
 * Residual block, forward pass (He et al. 2016, the lecture's "residual block"):
 *
 * `out = relu(conv2(relu(conv1(x))) + shortcut(x))`
 *
 * The skip connection is added BEFORE the final non-linearity, as on the lecture's slide
 * $x_{L+1} = f(W_{L+1} x_L + b_{L+1} + x_{L-1})$ and in He et al.'s Figure 2.
 *
 * Dimensions: N batch, C input channels, H x W input, F filters, s stride,
 * `H' = floor((H - 1) / s) + 1`, likewise `W'` (= H and W at stride 1; 4 -> 2 and 5 -> 3 at stride 2).
 *
 * - `conv1`: `w1` with stride `s` and padding `(K - 1) / 2` (1 for ResNet's 3x3), `[N, C, H, W] -> [N, F, H', W']`
 * - `conv2`: `w2` with stride 1 and `'same'` padding, `[N, F, H', W'] -> [N, F, H', W']`
 * - `shortcut`: the identity when no `ws` is given (needs `C == F` and `s == 1`, so the shapes
 *   match); otherwise the 1x1 projection `ws`, `bs` with stride `s`, `[N, C, H, W] -> [N, F, H', W']`.
 *
 * The identity is easy to learn: with all weights and biases of `conv1` and `conv2` zero,
 * `out = relu(x)`, which is `x` for a non-negative input (e.g. the output of an earlier
 * ReLU). So adding a block need not hurt (the lecture, "why ResNets work").
 *
 * @param x - input, `[N, C, H, W]`, finite
 * @param params - `w1 [F, C, KH, KW]`, `b1 [F]`, `w2 [F, F, KH2, KW2]`, `b2 [F]` (odd kernels;
 *   3x3 in ResNet), and optionally the projection `ws [F, C, 1, 1]`, `bs [F]`
 * @param opts - `stride` (integer >= 1, default 1)
 * @returns `out`, `[N, F, H', W']`, and the `cache` that {@link residualBlockBackward} needs
 * @throws ShapeError if a tensor has the wrong number of dimensions or size, naming it
 *   (`"residualBlock: w2 must have shape [4,4,KH,KW] (F = 4 filters of F channels, F from w1), got [4,3,3,3]"`),
 *   a kernel is even, the image is empty, or a projection is needed but missing
 *   (`"residualBlock: the shortcut needs a projection ws [4,3,1,1] and bs [4]: input channels (3) differ from filters (4); x [2,3,8,8]"`)
 * @throws ValueError for a stride that is not an integer >= 1, only one of `ws` and `bs`, or a
 *   NaN/infinite element (`"residualBlock: w1 contains NaN at [0,0,1,1]"`); all checks run before any work
 * @see the lecture, items 4-6 (the problem of depth, the residual block, why ResNets work);
 *   He, Zhang, Ren and Sun, "Deep Residual Learning for Image Recognition", CVPR 2016, Eq. (1)-(2)
 *   and Figure 2 (options B/C for the projection); torchvision's `BasicBlock` (which adds
 *   batch normalisation, left out here)
 * @example
 * ```ts
 * const rng = new Rng(0);
 * const params = initResidualBlockParams(3, 4, rng, { stride: 2 }); // has ws, bs: C != F
 * const { out } = residualBlockForward(rng.randn([2, 3, 8, 8]), params, { stride: 2 });
 * out.shape; // [2, 4, 4, 4]
 * ```
 */
export function residualBlockForward(
  x: Tensor,
  params: ResidualBlockParams,
  opts: ResidualBlockOptions = {},
): { out: Tensor; cache: ResidualBlockCache } {
  const op = 'residualBlock';
  assertNdim(op, 'x', x, 4, '[N, C, H, W]');
  if (params === null || typeof params !== 'object') {
    throw new ValueError(op, `params must be an object { w1, b1, w2, b2, ws?, bs? }, got ${params === null ? 'null' : typeof params}`);
  }
  if (opts === null || typeof opts !== 'object') {
    throw new ValueError(op, `opts must be an object { stride? }, got ${opts === null ? 'null' : typeof opts}`);
  }
  checkOptions(op, 'params', params, ['w1', 'b1', 'w2', 'b2', 'ws', 'bs']);
  checkOptions(op, 'opts', opts, ['stride']);
  const stride = opts.stride ?? 1;
  if (typeof stride !== 'number' || !Number.isInteger(stride) || stride < 1) {
    throw new ValueError(op, `stride must be an integer >= 1, got ${String(stride)}`);
  }
  const { w1, b1, w2, b2, ws, bs } = params;
  const [, C, H, W] = x.shape;
  assertNdim(op, 'w1', w1, 4, '[F, C, KH, KW]');
  const F = w1.shape[0];
  if (w1.shape[1] !== C) {
    throw new ShapeError(op, `input channels (${C}) must match w1's channels (${w1.shape[1]}); x ${formatShape(x.shape)}, w1 ${formatShape(w1.shape)}`);
  }
  oddKernel(op, 'w1', w1);
  assertShape(op, 'b1', b1, [F]);
  assertNdim(op, 'w2', w2, 4, '[F, F, KH, KW]');
  if (w2.shape[0] !== F || w2.shape[1] !== F) {
    throw new ShapeError(
      op,
      `w2 must have shape [${F},${F},KH,KW] (F = ${F} filters of F channels, F from w1), got ${formatShape(w2.shape)}`,
    );
  }
  oddKernel(op, 'w2', w2);
  assertShape(op, 'b2', b2, [F]);
  if ((ws === undefined) !== (bs === undefined)) {
    throw new ValueError(op, `ws and bs come together: got ${ws === undefined ? 'bs without ws' : 'ws without bs'}`);
  }
  if (ws === undefined && residualNeedsProjection(C, F, stride)) {
    const why = C !== F ? `input channels (${C}) differ from filters (${F})` : `stride ${stride} changes H and W`;
    throw new ShapeError(op, `the shortcut needs a projection ws [${F},${C},1,1] and bs [${F}]: ${why}; x ${formatShape(x.shape)}`);
  }
  if (ws !== undefined && bs !== undefined) {
    assertShape(op, 'ws', ws, [F, C, 1, 1]);
    assertShape(op, 'bs', bs, [F]);
  }
  if (H < 1 || W < 1) throw new ShapeError(op, `x must have a non-empty image, got ${formatShape(x.shape)}`);
  assertFinite(op, 'x', x);
  for (const [name, t] of [['w1', w1], ['b1', b1], ['w2', w2], ['b2', b2], ['ws', ws], ['bs', bs]] as const) {
    if (t !== undefined) assertFinite(op, name, t);
  }

  const pad: [number, number] = [(w1.shape[2] - 1) / 2, (w1.shape[3] - 1) / 2];
  const c1 = conv2dForward(x, w1, b1, { stride, pad });
  const r1 = reluForward(c1.out);
  const c2 = conv2dForward(r1.out, w2, b2, { pad: 'same' });
  let skip: Tensor = x;
  let shortcut: Conv2dCache | null = null;
  if (ws !== undefined && bs !== undefined) {
    const s = conv2dForward(x, ws, bs, { stride });
    skip = s.out;
    shortcut = s.cache;
  }
  // Shapes agree by construction: floor((H + 2p - K) / s) + 1 = floor((H - 1) / s) + 1 for K = 2p + 1.
  const sum = add(c2.out, skip);
  const r2 = reluForward(sum);
  return { out: r2.out, cache: { conv1: c1.cache, relu1: r1.cache, conv2: c2.cache, shortcut, relu2: r2.cache } };
}

/**
 * Residual block, backward pass: the chain rule through the primitives' backward passes.
 *
 * Dimensions as in {@link residualBlockForward}: `x [N, C, H, W]`, `out [N, F, H', W']`.
 *
 * With `g = dout * (sum > 0)` (the final ReLU's gradient, `sum = conv2(...) + shortcut(x)`):
 * - main path: `g` through `conv2`, the first ReLU and `conv1` gives `dw2, db2, dw1, db1` and `dx_main`
 * - skip path: `dx_skip = g` for the identity, or `g` through the projection (`dws, dbs`)
 * - `dx = dx_main + dx_skip`: `x` is used twice, so its gradients add up. The skip term
 *   reaches `x` unchanged through the identity, whatever the weights of the main path; this is
 *   why gradients survive in very deep ResNets.
 *
 * @param dout - upstream gradient, `[N, F, H', W']` (the shape of the forward's `out`), finite
 * @param cache - the `cache` returned by {@link residualBlockForward}
 * @returns `dx [N, C, H, W]`, `dw1`, `db1`, `dw2`, `db2` and, with a projection, `dws`, `dbs`:
 *   gradients of `sum(out * dout)` with respect to each input, shaped like it
 * @throws ShapeError if `dout` does not have the output's shape
 *   (`"residualBlockBackward: dout must have shape [2,4,4,4], got [2,4,8,8]"`)
 * @throws ValueError if `dout` has a NaN/infinite element or `cache` is not a residual-block cache
 * @see He et al. 2016, Eq. (1); CS231n's rule that composite layers only chain their primitives' gradients
 * @example
 * ```ts
 * const rng = new Rng(0);
 * const { out, cache } = residualBlockForward(rng.randn([1, 4, 5, 5]), initResidualBlockParams(4, 4, rng));
 * const { dx, dw1 } = residualBlockBackward(Tensor.ones(out.shape), cache); // dx [1,4,5,5], dw1 [4,4,3,3]
 * ```
 */
export function residualBlockBackward(dout: Tensor, cache: ResidualBlockCache): ResidualBlockGrads {
  const op = 'residualBlockBackward';
  assertCache(op, cache, ['conv1', 'relu1', 'conv2', 'shortcut', 'relu2'], 'residualBlockForward');
  assertShape(op, 'dout', dout, cache.relu2.x.shape);
  assertFinite(op, 'dout', dout);

  const g = reluBackward(dout, cache.relu2).dx;
  const g2 = conv2dBackward(g, cache.conv2);
  const g1 = conv2dBackward(reluBackward(g2.dx, cache.relu1).dx, cache.conv1);
  if (cache.shortcut === null) {
    return { dx: add(g1.dx, g), dw1: g1.dw, db1: g1.db, dw2: g2.dw, db2: g2.db };
  }
  const gs = conv2dBackward(g, cache.shortcut);
  return { dx: add(g1.dx, gs.dx), dw1: g1.dw, db1: g1.db, dw2: g2.dw, db2: g2.db, dws: gs.dw, dbs: gs.db };
}

/** Options of {@link initResidualBlockParams}. */
export interface ResidualInitOptions {
  /** The stride the block will be used with; a stride other than 1 needs a projection. Default 1. */
  readonly stride?: number;
  /** Include `ws`, `bs` even when the identity would do (He et al.'s option C). Default false. */
  readonly projection?: boolean;
  /** Kernel size of both main-path convolutions, odd. Default 3. */
  readonly kernel?: number;
}

/**
 * Fresh parameters for a residual block: weights ~ N(0, 2 / fan_in) (He et al. 2015,
 * "Delving Deep into Rectifiers"), `fan_in = C*K*K` for `w1`, `F*K*K` for `w2`, `C` for `ws`;
 * biases 0. The projection is included when {@link residualNeedsProjection} says so, or when
 * `projection` is true.
 *
 * @param C - input channels, integer >= 1
 * @param F - filters, integer >= 1
 * @param rng - source of the random weights (drawn in the order w1, w2, ws)
 * @returns `{ w1 [F, C, K, K], b1 [F], w2 [F, F, K, K], b2 [F] }`, plus `ws [F, C, 1, 1]`, `bs [F]` when needed
 * @throws ValueError for a non-positive or non-integer `C`, `F`, stride, or an even kernel
 */
export function initResidualBlockParams(C: number, F: number, rng: Rng, opts: ResidualInitOptions = {}): ResidualBlockParams {
  const op = 'initResidualBlockParams';
  checkOptions('initResidualBlockParams', 'opts', opts, ['stride', 'projection', 'kernel']);
  const stride = opts.stride ?? 1;
  const K = opts.kernel ?? 3;
  for (const [name, v] of [['C', C], ['F', F], ['stride', stride], ['kernel', K]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ValueError(op, `${name} must be an integer >= 1, got ${v}`);
  }
  if (K % 2 === 0) throw new ValueError(op, `kernel must be odd, got ${K}`);
  const w1 = rng.randn([F, C, K, K], Math.sqrt(2 / (C * K * K)));
  const w2 = rng.randn([F, F, K, K], Math.sqrt(2 / (F * K * K)));
  const base = { w1, b1: Tensor.zeros([F]), w2, b2: Tensor.zeros([F]) };
  if (!opts.projection && !residualNeedsProjection(C, F, stride)) return base;
  return { ...base, ws: rng.randn([F, C, 1, 1], Math.sqrt(2 / C)), bs: Tensor.zeros([F]) };
}
