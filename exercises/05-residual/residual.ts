/**
 * Exercise 05: the residual block of ResNet, forward and backward.
 *
 * The convolution and ReLU at the top of the file are given: they are the layers of exercises
 * 02 and 03, written as plain loops. The block is built from them; only those primitives carry
 * hand-written gradients, the block just chains them. The library version in `@dlkata/layers`
 * (`residualBlockForward`) computes the same numbers with im2col and a matrix multiply.
 *
 * @module
 */
import { add, assertNdim, assertShape, formatShape, NotImplementedError, ShapeError, Tensor, ValueError } from '@dlkata/tensor';

// ---------------------------------------------------------------------------------------------
// Given: a convolution and a ReLU (exercises 02 and 03), forward and backward.

/** Stride and zero padding of a convolution, the same along height and width. */
export interface ConvParams {
  /** Step between neighbouring receptive fields, an integer `>= 1`. */
  readonly stride: number;
  /** Zeros on each side of the height and the width, an integer `>= 0`; `(K - 1) / 2` keeps the size at stride 1 ("same"). */
  readonly pad: number;
}

/** What {@link convBackward} needs from {@link convForward}. */
export interface ConvCache {
  readonly x: Tensor;
  readonly w: Tensor;
  readonly b: Tensor;
  readonly params: ConvParams;
}

/** What {@link reluBackward} needs from {@link reluForward}: the input. */
export interface ReluCache {
  readonly x: Tensor;
}

/**
 * Convolution, forward pass (given). Zero padding is done by skipping the filter taps that
 * fall outside the input.
 *
 * Dimensions: N batch, C channels, H x W input, F filters, K x K kernel;
 * `H' = floor((H + 2*pad - K) / stride) + 1`, likewise `W'`.
 *
 * `out[n, f, i, j] = b[f] + sum over c, kh, kw of w[f, c, kh, kw] * x[n, c, i*stride - pad + kh, j*stride - pad + kw]`
 *
 * @param x - input, `[N, C, H, W]`
 * @param w - filters, `[F, C, K, K]`
 * @param b - biases, `[F]`
 * @param params - stride and padding
 * @returns `out`, `[N, F, H', W']`, and the cache for {@link convBackward}
 */
export function convForward(x: Tensor, w: Tensor, b: Tensor, params: ConvParams): { out: Tensor; cache: ConvCache } {
  const { stride, pad } = params;
  const [N, C, H, W] = x.shape;
  const [F, , K] = w.shape;
  const OH = Math.floor((H + 2 * pad - K) / stride) + 1;
  const OW = Math.floor((W + 2 * pad - K) / stride) + 1;
  const out = Tensor.zeros([N, F, OH, OW]);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          let s = b.get(f);
          for (let c = 0; c < C; c++) {
            for (let kh = 0; kh < K; kh++) {
              const r = i * stride - pad + kh;
              if (r < 0 || r >= H) continue;
              for (let kw = 0; kw < K; kw++) {
                const q = j * stride - pad + kw;
                if (q < 0 || q >= W) continue;
                s += w.get(f, c, kh, kw) * x.get(n, c, r, q);
              }
            }
          }
          out.set(s, n, f, i, j);
        }
      }
    }
  }
  return { out, cache: { x, w, b, params: { stride, pad } } };
}

/**
 * Convolution, backward pass (given): the loops of the forward pass, each product sending
 * `dout[n, f, i, j]` times the other factor to each factor's gradient.
 *
 * @param dout - upstream gradient, `[N, F, H', W']`
 * @param cache - from {@link convForward}
 * @returns `dx [N, C, H, W]`, `dw [F, C, K, K]`, `db [F]`
 */
export function convBackward(dout: Tensor, cache: ConvCache): { dx: Tensor; dw: Tensor; db: Tensor } {
  const { x, w, params } = cache;
  const { stride, pad } = params;
  const [N, C, H, W] = x.shape;
  const [F, , K] = w.shape;
  const [, , OH, OW] = dout.shape;
  const dx = Tensor.zeros(x.shape);
  const dw = Tensor.zeros(w.shape);
  const db = Tensor.zeros([F]);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          const g = dout.get(n, f, i, j);
          db.data[f] += g;
          for (let c = 0; c < C; c++) {
            for (let kh = 0; kh < K; kh++) {
              const r = i * stride - pad + kh;
              if (r < 0 || r >= H) continue;
              for (let kw = 0; kw < K; kw++) {
                const q = j * stride - pad + kw;
                if (q < 0 || q >= W) continue;
                dw.data[dw.offset(f, c, kh, kw)] += g * x.get(n, c, r, q);
                dx.data[dx.offset(n, c, r, q)] += g * w.get(f, c, kh, kw);
              }
            }
          }
        }
      }
    }
  }
  return { dx, dw, db };
}

/** ReLU, forward pass (given): `out = max(0, x)` elementwise. */
export function reluForward(x: Tensor): { out: Tensor; cache: ReluCache } {
  return { out: x.map((v) => Math.max(0, v)), cache: { x } };
}

/** ReLU, backward pass (given): `dx = dout` where `x > 0`, else 0 (also at 0). */
export function reluBackward(dout: Tensor, cache: ReluCache): { dx: Tensor } {
  return { dx: dout.map((g, i) => (cache.x.data[i] > 0 ? g : 0)) };
}

// ---------------------------------------------------------------------------------------------
// The residual block.

/**
 * Parameters of a residual block with `C` input channels and `F` filters; the same names and
 * shapes as the library's `ResidualBlockParams`.
 */
export interface ResidualBlockParams {
  /** First convolution, `[F, C, K, K]`, K odd; 3x3 in ResNet. */
  readonly w1: Tensor;
  /** Its biases, `[F]`. */
  readonly b1: Tensor;
  /** Second convolution, `[F, F, K2, K2]`, K2 odd; 3x3 in ResNet. */
  readonly w2: Tensor;
  /** Its biases, `[F]`. */
  readonly b2: Tensor;
  /** Shortcut projection, a 1x1 convolution `[F, C, 1, 1]` (the lecture's "learned matrix"); needed when `C != F` or stride > 1. */
  readonly ws?: Tensor;
  /** Its biases, `[F]`; given together with `ws`. */
  readonly bs?: Tensor;
}

/** Options of {@link residualBlockForward}. */
export interface ResidualBlockOptions {
  /** Stride of the first convolution and of the projection, an integer `>= 1`. Default 1. */
  readonly stride?: number;
}

/** What {@link residualBlockBackward} needs: the caches of the primitives, in the order the forward pass ran them. */
export interface ResidualBlockCache {
  /** First convolution (stride `s`, padding `(K - 1) / 2`). */
  readonly conv1: ConvCache;
  /** ReLU after the first convolution. */
  readonly relu1: ReluCache;
  /** Second convolution (stride 1, padding `(K2 - 1) / 2`). */
  readonly conv2: ConvCache;
  /** The projection's cache, or `null` for the identity shortcut. */
  readonly shortcut: ConvCache | null;
  /** The final ReLU; its input is `conv2(...) + shortcut(x)`. */
  readonly relu2: ReluCache;
}

/** Gradients of a residual block, keyed by input name; `dws` and `dbs` only with a projection. */
export interface ResidualBlockGrads {
  /** `[N, C, H, W]`: main-path gradient plus skip-path gradient. */
  readonly dx: Tensor;
  readonly dw1: Tensor;
  readonly db1: Tensor;
  readonly dw2: Tensor;
  readonly db2: Tensor;
  readonly dws?: Tensor;
  readonly dbs?: Tensor;
}

/**
 * Whether a block from `C` channels to `F` filters at this stride needs a projection shortcut:
 * the identity works only when `x` and the main path's output have the same shape, that is
 * the same number of channels and stride 1 ("same" convolutions keep H and W).
 *
 * @param C - input channels
 * @param F - filters of the block (output channels)
 * @param stride - stride of the block, default 1
 * @returns true when `C != F` or `stride != 1`
 * @see the lecture, item 5: "the dimensions must match; otherwise the skip needs a learned matrix"
 * @example
 * ```ts
 * residualNeedsProjection(64, 64);     // false: identity shortcut
 * residualNeedsProjection(64, 128, 2); // true: between two ResNet stages
 * ```
 */
export function residualNeedsProjection(C: number, F: number, stride = 1): boolean {
  throw new NotImplementedError('residualNeedsProjection: whether a shortcut from C input channels to F output channels at this stride needs the 1x1 projection (true) or can be the identity (false) (read: exercises/05-residual/README.md, "Task 1: residualNeedsProjection"; guide: docs/site/documents/05-residual.html#task-1-residualneedsprojection; tests: pnpm test 05 -t residualNeedsProjection)');
}

/**
 * Residual block, forward pass (He et al. 2016; the lecture's residual block):
 *
 * `out = relu(conv2(relu(conv1(x))) + shortcut(x))`
 *
 * The skip connection is added BEFORE the last non-linearity, as in the lecture's
 * `x_{L+1} = f(W_{L+1} x_L + b_{L+1} + x_{L-1})`.
 *
 * Dimensions: N batch, C input channels, H x W input, F filters, s stride,
 * `H' = floor((H - 1) / s) + 1`, likewise `W'` (H and W at stride 1).
 *
 * - `conv1`: `w1`, `b1`, stride `s`, padding `(K - 1) / 2`: `[N, C, H, W] -> [N, F, H', W']`
 * - ReLU
 * - `conv2`: `w2`, `b2`, stride 1, padding `(K2 - 1) / 2`: `[N, F, H', W'] -> [N, F, H', W']`
 * - `shortcut`: `x` itself when no `ws` is given (the identity; needs `C == F` and `s == 1`),
 *   else the 1x1 convolution `ws`, `bs` with stride `s` and no padding: `[N, C, H, W] -> [N, F, H', W']`
 *
 * With every weight and bias of `conv1` and `conv2` zero, `out = relu(x)`, which is `x` for a
 * non-negative input: the identity is easy for the block to learn (the lecture, "why ResNets work").
 *
 * @param x - input, `[N, C, H, W]`
 * @param params - `w1 [F, C, K, K]`, `b1 [F]`, `w2 [F, F, K2, K2]`, `b2 [F]` (K, K2 odd), and
 *   optionally the projection `ws [F, C, 1, 1]`, `bs [F]`
 * @param opts - `stride`, default 1
 * @returns `out`, `[N, F, H', W']`, and the `cache` that {@link residualBlockBackward} needs
 * @throws ShapeError if a tensor has the wrong shape, or the shortcut needs a projection and no
 *   `ws` is given: `"residualBlockForward: the shortcut needs a projection ws [4,3,1,1] and bs [4]: x [2,3,8,8], F = 4, stride 1"`
 * @throws ValueError for a stride that is not an integer `>= 1`, or only one of `ws` and `bs`
 * @see the lecture, items 4-6; He, Zhang, Ren and Sun, "Deep Residual Learning for Image
 *   Recognition", CVPR 2016, Eq. (1)-(2) and Figure 2; `@dlkata/layers` `residualBlockForward`
 * @example
 * ```ts
 * const rng = new Rng(0);
 * const params = { w1: rng.randn([4, 3, 3, 3]), b1: Tensor.zeros([4]), w2: rng.randn([4, 4, 3, 3]), b2: Tensor.zeros([4]),
 *                  ws: rng.randn([4, 3, 1, 1]), bs: Tensor.zeros([4]) };
 * residualBlockForward(rng.randn([2, 3, 8, 8]), params, { stride: 2 }).out.shape; // [2, 4, 4, 4]
 * ```
 */
export function residualBlockForward(
  x: Tensor,
  params: ResidualBlockParams,
  opts: ResidualBlockOptions = {},
): { out: Tensor; cache: ResidualBlockCache } {
  const stride = opts.stride ?? 1;
  checkBlockInputs('residualBlockForward', x, params, stride);
  const { w1, b1, w2, b2, ws, bs } = params;
  const [, C] = x.shape;
  const F = w1.shape[0];
  const pad1 = (w1.shape[2] - 1) / 2;
  const pad2 = (w2.shape[2] - 1) / 2;
  throw new NotImplementedError('residualBlockForward: the residual block\'s output out [N, F, H\', W\'] for x [N, C, H, W] as in the README\'s forward pass, and the cache its backward pass needs; without ws where a projection is needed, a ShapeError. Helpers: convForward, reluForward, add (read: exercises/05-residual/README.md, "Task 2: residualBlockForward"; guide: docs/site/documents/05-residual.html#task-2-residualblockforward; tests: pnpm test 05 -t residualBlockForward)');
}

/**
 * Residual block, backward pass: the chain rule through the primitives' backward passes.
 *
 * Dimensions as in {@link residualBlockForward}: `x [N, C, H, W]`, `out [N, F, H', W']`.
 *
 * With `g = dout * (sum > 0)`, the last ReLU's backward (`sum = conv2(...) + shortcut(x)`):
 *
 * - main path: `g` back through `conv2`, the first ReLU and `conv1` gives `dw2, db2, dw1, db1`
 *   and `dx_main`
 * - skip path: `dx_skip = g` for the identity, or `g` back through the projection (`dws, dbs`)
 * - `dx = dx_main + dx_skip`: `x` is used twice, so its gradients add up. Through the
 *   identity, `g` reaches `x` whatever the weights of the main path: that is why gradients
 *   survive in very deep residual networks.
 *
 * @param dout - upstream gradient, `[N, F, H', W']`
 * @param cache - the `cache` returned by {@link residualBlockForward}
 * @returns `dx [N, C, H, W]`, `dw1`, `db1`, `dw2`, `db2` and, with a projection, `dws`, `dbs`,
 *   each shaped like its input
 * @throws ShapeError if `dout` does not have the output's shape
 * @see He et al. 2016, Eq. (1); `@dlkata/layers` `residualBlockBackward`
 */
export function residualBlockBackward(dout: Tensor, cache: ResidualBlockCache): ResidualBlockGrads {
  assertShape('residualBlockBackward', 'dout', dout, cache.relu2.x.shape);
  throw new NotImplementedError('residualBlockBackward: from dout [N, F, H\', W\'] and the cache, dx [N, C, H, W] and the gradients of every weight and bias (dw1, db1, dw2, db2; dws, dbs only with a projection), each shaped like its parameter. Helpers: convBackward, reluBackward, add (read: exercises/05-residual/README.md, "Task 3: residualBlockBackward"; guide: docs/site/documents/05-residual.html#task-3-residualblockbackward; tests: pnpm test 05 -t residualBlockBackward)');
}

/** Checks the block's inputs (not whether a projection is needed: that is the forward pass's job). */
function checkBlockInputs(op: string, x: Tensor, params: ResidualBlockParams, stride: number): void {
  if (!Number.isInteger(stride) || stride < 1) throw new ValueError(op, `stride must be an integer >= 1, got ${stride}`);
  assertNdim(op, 'x', x, 4, '[N, C, H, W]');
  const { w1, b1, w2, b2, ws, bs } = params;
  const C = x.shape[1];
  assertNdim(op, 'w1', w1, 4, '[F, C, K, K]');
  const F = w1.shape[0];
  const squareOdd = (name: string, w: Tensor): void => {
    const [, , KH, KW] = w.shape;
    if (KH !== KW || KH % 2 === 0) throw new ShapeError(op, `${name} must have a square, odd kernel (3x3 in ResNet), got ${name} ${formatShape(w.shape)}`);
  };
  if (w1.shape[1] !== C) throw new ShapeError(op, `input channels (${C}) must match w1's channels (${w1.shape[1]}); x ${formatShape(x.shape)}, w1 ${formatShape(w1.shape)}`);
  squareOdd('w1', w1);
  assertShape(op, 'b1', b1, [F]);
  assertNdim(op, 'w2', w2, 4, '[F, F, K, K]');
  if (w2.shape[0] !== F || w2.shape[1] !== F) throw new ShapeError(op, `w2 must have shape [${F},${F},K,K] (F from w1), got ${formatShape(w2.shape)}`);
  squareOdd('w2', w2);
  assertShape(op, 'b2', b2, [F]);
  if ((ws === undefined) !== (bs === undefined)) throw new ValueError(op, `ws and bs come together: got ${ws === undefined ? 'bs without ws' : 'ws without bs'}`);
  if (ws !== undefined && bs !== undefined) {
    assertShape(op, 'ws', ws, [F, C, 1, 1]);
    assertShape(op, 'bs', bs, [F]);
  }
}
