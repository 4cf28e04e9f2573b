/**
 * Exercise 06: 1x1 convolutions and the inception module (GoogLeNet), forward and backward,
 * and what the 1x1 "bottleneck" saves in multiplications.
 *
 * The "same" convolution, the ReLU and the max pooling at the top of the file are given: they
 * are the layers of exercises 02 and 03, written as plain loops. The library version in
 * `@dlkata/layers` (`inceptionForward`, `inceptionMultiplies`) computes the same numbers.
 *
 * @module
 */
import { add, assertNdim, assertShape, formatShape, NotImplementedError, ShapeError, Tensor, ValueError } from '@dlkata/tensor';

// ---------------------------------------------------------------------------------------------
// Given: a "same" convolution, a ReLU and a max pooling (exercises 02 and 03), forward and backward.

/** What {@link convSameBackward} needs from {@link convSameForward}. */
export interface ConvCache {
  readonly x: Tensor;
  readonly w: Tensor;
}

/** What {@link reluBackward} needs from {@link reluForward}: the input. */
export interface ReluCache {
  readonly x: Tensor;
}

/** Window, stride and zero padding of a max pooling, the same along height and width. */
export interface PoolParams {
  readonly kernel: number;
  readonly stride: number;
  /** Cells added on each side; they never win a window (PyTorch's `MaxPool2d` padding). */
  readonly pad: number;
}

/** What {@link maxPoolBackward} needs from {@link maxPoolForward}. */
export interface PoolCache {
  readonly x: Tensor;
  /** For each output element (row-major), the flat index into `x` of its window's first maximum. */
  readonly argmax: Int32Array;
}

/**
 * "Same" convolution, forward pass (given): stride 1, padding `(K - 1) / 2`, so the output keeps
 * H and W. Zero padding is done by skipping the filter taps that fall outside the input.
 *
 * `out[n, f, i, j] = b[f] + sum over c, kh, kw of w[f, c, kh, kw] * x[n, c, i - pad + kh, j - pad + kw]`
 *
 * @param x - input, `[N, C, H, W]`
 * @param w - filters, `[F, C, K, K]`, K odd
 * @param b - biases, `[F]`
 * @returns `out`, `[N, F, H, W]`, and the cache for {@link convSameBackward}
 */
export function convSameForward(x: Tensor, w: Tensor, b: Tensor): { out: Tensor; cache: ConvCache } {
  const [N, C, H, W] = x.shape;
  const [F, , K] = w.shape;
  const pad = (K - 1) / 2;
  const out = Tensor.zeros([N, F, H, W]);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < W; j++) {
          let s = b.get(f);
          for (let c = 0; c < C; c++) {
            for (let kh = 0; kh < K; kh++) {
              const r = i - pad + kh;
              if (r < 0 || r >= H) continue;
              for (let kw = 0; kw < K; kw++) {
                const q = j - pad + kw;
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
  return { out, cache: { x, w } };
}

/**
 * "Same" convolution, backward pass (given).
 *
 * @param dout - upstream gradient, `[N, F, H, W]`
 * @param cache - from {@link convSameForward}
 * @returns `dx [N, C, H, W]`, `dw [F, C, K, K]`, `db [F]`
 */
export function convSameBackward(dout: Tensor, cache: ConvCache): { dx: Tensor; dw: Tensor; db: Tensor } {
  const { x, w } = cache;
  const [N, C, H, W] = x.shape;
  const [F, , K] = w.shape;
  const pad = (K - 1) / 2;
  const dx = Tensor.zeros(x.shape);
  const dw = Tensor.zeros(w.shape);
  const db = Tensor.zeros([F]);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < W; j++) {
          const g = dout.get(n, f, i, j);
          db.data[f] += g;
          for (let c = 0; c < C; c++) {
            for (let kh = 0; kh < K; kh++) {
              const r = i - pad + kh;
              if (r < 0 || r >= H) continue;
              for (let kw = 0; kw < K; kw++) {
                const q = j - pad + kw;
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

/**
 * Max pooling, forward pass (given), with PyTorch's output size
 * `H' = floor((H + 2*pad - kernel) / stride) + 1`. Padded cells never win; ties go to the
 * first maximum in row-major order.
 *
 * @param x - input, `[N, C, H, W]`
 * @param params - window, stride and padding (at most half the window, so every window holds a real cell)
 * @returns `out`, `[N, C, H', W']`, and the cache for {@link maxPoolBackward}
 */
export function maxPoolForward(x: Tensor, params: PoolParams): { out: Tensor; cache: PoolCache } {
  const { kernel, stride, pad } = params;
  const [N, C, H, W] = x.shape;
  const OH = Math.floor((H + 2 * pad - kernel) / stride) + 1;
  const OW = Math.floor((W + 2 * pad - kernel) / stride) + 1;
  const out = Tensor.zeros([N, C, OH, OW]);
  const argmax = new Int32Array(out.size);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          let best = -1;
          for (let kh = 0; kh < kernel; kh++) {
            const r = i * stride - pad + kh;
            if (r < 0 || r >= H) continue;
            for (let kw = 0; kw < kernel; kw++) {
              const q = j * stride - pad + kw;
              if (q < 0 || q >= W) continue;
              const at = x.offset(n, c, r, q);
              if (best < 0 || x.data[at] > x.data[best]) best = at;
            }
          }
          const o = out.offset(n, c, i, j);
          out.data[o] = x.data[best];
          argmax[o] = best;
        }
      }
    }
  }
  return { out, cache: { x, argmax } };
}

/** Max pooling, backward pass (given): each window's gradient goes to its maximum; overlapping windows add up. */
export function maxPoolBackward(dout: Tensor, cache: PoolCache): { dx: Tensor } {
  const dx = Tensor.zeros(cache.x.shape);
  for (let o = 0; o < cache.argmax.length; o++) dx.data[cache.argmax[o]] += dout.data[o];
  return { dx };
}

// ---------------------------------------------------------------------------------------------
// Task 1: the 1x1 convolution followed by a ReLU.

/** What {@link conv1x1ReluBackward} needs from {@link conv1x1ReluForward}. */
export interface Conv1x1ReluCache {
  /** The input, `[N, C, H, W]`. */
  readonly x: Tensor;
  /** The weights, `[F, C, 1, 1]`. */
  readonly w: Tensor;
  /** The output after the ReLU, `[N, F, H, W]`: positive exactly where the ReLU let the gradient through. */
  readonly out: Tensor;
}

/**
 * A 1x1 convolution followed by a ReLU, forward pass: the lecture's way to shrink the number of
 * channels and add a non-linearity.
 *
 * Dimensions: N batch, C input channels, H x W image, F filters.
 *
 * `out[n, f, h, w] = max(0, b[f] + sum over c of w[f, c, 0, 0] * x[n, c, h, w])`
 *
 * At every pixel the C channel values go through the same `[F, C]` matrix: H and W are kept,
 * the channels go from C to F. 32x32x200 through 32 filters gives 32x32x32
 * (`x [N, 200, 32, 32]`, `w [32, 200, 1, 1]`, `out [N, 32, 32, 32]`).
 *
 * @param x - input, `[N, C, H, W]`
 * @param w - weights, `[F, C, 1, 1]` (the shape of the inception module's 1x1 weights)
 * @param b - biases, `[F]`
 * @returns `out`, `[N, F, H, W]` (non-negative), and the cache for {@link conv1x1ReluBackward}
 * @throws ShapeError if `x` is not 4-D, `w` is not `[F, C, 1, 1]` for x's C, or `b` is not `[F]`:
 *   `"conv1x1ReluForward: w must have shape [32,200,1,1], got [32,100,1,1]"`
 * @see the lecture, items 7-8 (1x1 convolutions; 32x32x200 -> 32x32x32 with a ReLU); Lin et al.
 *   2013, "Network in Network"
 * @example
 * ```ts
 * const rng = new Rng(0);
 * conv1x1ReluForward(rng.randn([1, 200, 32, 32]), rng.randn([32, 200, 1, 1], 0.1), Tensor.zeros([32])).out.shape; // [1, 32, 32, 32]
 * ```
 */
export function conv1x1ReluForward(x: Tensor, w: Tensor, b: Tensor): { out: Tensor; cache: Conv1x1ReluCache } {
  const op = 'conv1x1ReluForward';
  assertNdim(op, 'x', x, 4, '[N, C, H, W]');
  assertNdim(op, 'w', w, 4, '[F, C, 1, 1]');
  const [N, C, H, W] = x.shape;
  const F = w.shape[0];
  assertShape(op, 'w', w, [F, C, 1, 1]);
  assertShape(op, 'b', b, [F]);
  throw new NotImplementedError('conv1x1ReluForward: the ReLU of the 1x1 convolution of x [N, C, H, W] with w [F, C, 1, 1] and b [F]: out [N, F, H, W] and the cache the backward pass needs (read: exercises/06-inception/README.md, "Task 1: conv1x1ReluForward and conv1x1ReluBackward"; guide: docs/site/documents/06-inception.html#task-1-conv1x1reluforward-and-conv1x1relubackward; tests: pnpm test 06 -t conv1x1ReluForward)');
}

/**
 * A 1x1 convolution followed by a ReLU, backward pass.
 *
 * With `g = dout * (out > 0)` (the ReLU's gradient):
 * `db[f] = sum over n, h, w of g[n, f, h, w]`,
 * `dw[f, c, 0, 0] = sum over n, h, w of g[n, f, h, w] * x[n, c, h, w]`,
 * `dx[n, c, h, w] = sum over f of w[f, c, 0, 0] * g[n, f, h, w]`.
 *
 * @param dout - upstream gradient, `[N, F, H, W]`
 * @param cache - from {@link conv1x1ReluForward}
 * @returns `dx [N, C, H, W]`, `dw [F, C, 1, 1]`, `db [F]`
 * @throws ShapeError if `dout` does not have the output's shape
 */
export function conv1x1ReluBackward(dout: Tensor, cache: Conv1x1ReluCache): { dx: Tensor; dw: Tensor; db: Tensor } {
  const { x, w, out } = cache;
  assertShape('conv1x1ReluBackward', 'dout', dout, out.shape);
  const [N, C, H, W] = x.shape;
  const F = w.shape[0];
  throw new NotImplementedError('conv1x1ReluBackward: from dout [N, F, H, W] and the cache, the gradients dx [N, C, H, W], dw [F, C, 1, 1] and db [F] of relu(conv1x1(x)) (read: exercises/06-inception/README.md, "Task 1: conv1x1ReluForward and conv1x1ReluBackward"; guide: docs/site/documents/06-inception.html#task-1-conv1x1reluforward-and-conv1x1relubackward; tests: pnpm test 06 -t conv1x1ReluBackward)');
}

// ---------------------------------------------------------------------------------------------
// Task 2: concatenation along the channels, and its inverse.

/**
 * Concatenates NCHW tensors along the channel axis (`torch.cat(xs, dim=1)`; GoogLeNet's
 * "filter concatenation").
 *
 * Dimensions: N batch, C_i channels of the i-th tensor, H x W image.
 *
 * @param xs - at least one tensor, each `[N, C_i, H, W]` with the same N, H and W
 * @returns `[N, C_0 + C_1 + ..., H, W]`: for each image, the channels of `xs[0]`, then those of `xs[1]`, ...
 * @throws ShapeError if a tensor is not 4-D or N, H or W differ
 * @throws ValueError if `xs` is empty
 * @example
 * ```ts
 * concatChannels([Tensor.zeros([2, 3, 8, 8]), Tensor.ones([2, 5, 8, 8])]).shape; // [2, 8, 8, 8]
 * ```
 */
export function concatChannels(xs: readonly Tensor[]): Tensor {
  const op = 'concatChannels';
  if (xs.length === 0) throw new ValueError(op, 'xs must hold at least one tensor');
  xs.forEach((x, i) => assertNdim(op, `xs[${i}]`, x, 4, '[N, C, H, W]'));
  const [N, , H, W] = xs[0].shape;
  xs.forEach((x, i) => {
    if (x.shape[0] !== N || x.shape[2] !== H || x.shape[3] !== W) {
      throw new ShapeError(op, `xs[${i}] has shape ${formatShape(x.shape)} but xs[0] has ${formatShape(xs[0].shape)}; N, H and W must agree`);
    }
  });
  throw new NotImplementedError('concatChannels: the tensors xs (each [N, C_i, H, W]) joined along the channel axis in their order: a new [N, C_0 + C_1 + ..., H, W] (read: exercises/06-inception/README.md, "Task 2: concatChannels and splitChannels"; guide: docs/site/documents/06-inception.html#task-2-concatchannels-and-splitchannels; tests: pnpm test 06 -t concatChannels)');
}

/**
 * Splits an NCHW tensor along the channel axis into consecutive groups: the inverse of
 * {@link concatChannels}, and its backward pass (each input of a concatenation receives its
 * slice of `dout`).
 *
 * @param x - `[N, C, H, W]`
 * @param sizes - channel counts `C_i`, integers `>= 0` adding up to C
 * @returns one tensor `[N, C_i, H, W]` per size, in order
 * @throws ShapeError if `x` is not 4-D or the sizes do not add up to C
 * @example
 * ```ts
 * splitChannels(Tensor.zeros([2, 8, 4, 4]), [3, 5]).map((t) => t.shape); // [[2, 3, 4, 4], [2, 5, 4, 4]]
 * ```
 */
export function splitChannels(x: Tensor, sizes: readonly number[]): Tensor[] {
  const op = 'splitChannels';
  assertNdim(op, 'x', x, 4, '[N, C, H, W]');
  const [N, C, H, W] = x.shape;
  for (const s of sizes) if (!Number.isInteger(s) || s < 0) throw new ValueError(op, `every size must be an integer >= 0, got ${s}`);
  const total = sizes.reduce((a, s) => a + s, 0);
  if (total !== C) throw new ShapeError(op, `sizes [${sizes.join(',')}] add up to ${total} but x has ${C} channels; x ${formatShape(x.shape)}`);
  throw new NotImplementedError('splitChannels: the inverse of concatChannels: x [N, sizes[0] + sizes[1] + ..., H, W] cut along the channel axis into new tensors [N, sizes[i], H, W], in order (read: exercises/06-inception/README.md, "Task 2: concatChannels and splitChannels"; guide: docs/site/documents/06-inception.html#task-2-concatchannels-and-splitchannels; tests: pnpm test 06 -t splitChannels)');
}

// ---------------------------------------------------------------------------------------------
// Tasks 3 and 4: the inception module.

/**
 * Filter counts of an inception module, named like the columns of GoogLeNet's Table 1 and the
 * library's `InceptionSpec`. Every count is an integer `>= 1`.
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

/** Parameters of an inception module on C input channels; the names and shapes of the library's `InceptionParams`. */
export interface InceptionParams {
  /** 1x1 branch, `[c1, C, 1, 1]`. */
  readonly w1: Tensor;
  readonly b1: Tensor;
  /** 3x3 branch, 1x1 reduction, `[c3reduce, C, 1, 1]`. */
  readonly w3reduce: Tensor;
  readonly b3reduce: Tensor;
  /** 3x3 branch, `[c3, c3reduce, 3, 3]`. */
  readonly w3: Tensor;
  readonly b3: Tensor;
  /** 5x5 branch, 1x1 reduction, `[c5reduce, C, 1, 1]`. */
  readonly w5reduce: Tensor;
  readonly b5reduce: Tensor;
  /** 5x5 branch, `[c5, c5reduce, 5, 5]`. */
  readonly w5: Tensor;
  readonly b5: Tensor;
  /** Pooling branch, 1x1 projection after the max pooling, `[poolProj, C, 1, 1]`. */
  readonly wPoolProj: Tensor;
  readonly bPoolProj: Tensor;
}

/** Gradients of an inception module: `dx` and `d` + the name of every parameter. */
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

/** Cache of a "same" convolution followed by a ReLU. */
export interface ConvReluCache {
  readonly conv: ConvCache;
  readonly relu: ReluCache;
}

/** What {@link inceptionBackward} needs: the spec and the cache of every step, named after the parameters they use. */
export interface InceptionCache {
  readonly spec: InceptionSpec;
  readonly conv1: Conv1x1ReluCache;
  readonly conv3reduce: Conv1x1ReluCache;
  readonly conv3: ConvReluCache;
  readonly conv5reduce: Conv1x1ReluCache;
  readonly conv5: ConvReluCache;
  /** The 3x3 max pooling of `x`, stride 1, padding 1. */
  readonly pool: PoolCache;
  readonly convPoolProj: Conv1x1ReluCache;
}

/** The shape of every parameter of an inception module on C channels. */
export function inceptionParamShapes(C: number, spec: InceptionSpec): Record<keyof InceptionParams, number[]> {
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

/**
 * Inception module, forward pass (GoogLeNet's module with dimension reductions, Szegedy et al.
 * 2015, Figure 2b): four parallel branches on the same input, all "same" (H and W are kept),
 * every convolution followed by a ReLU:
 *
 * 1. 1x1 convolution (`c1` filters)
 * 2. 1x1 convolution (`c3reduce`) -> 3x3 convolution (`c3`)
 * 3. 1x1 convolution (`c5reduce`) -> 5x5 convolution (`c5`)
 * 4. 3x3 max pooling, stride 1, padding 1 -> 1x1 convolution (`poolProj`)
 *
 * The four outputs are concatenated along the channels IN THAT ORDER: channels `[0, c1)` from
 * branch 1, then `c3` channels from branch 2, `c5` from branch 3 and `poolProj` from branch 4.
 *
 * Dimensions: N batch, C input channels, H x W image; output `[N, c1 + c3 + c5 + poolProj, H, W]`.
 *
 * @param x - input, `[N, C, H, W]`
 * @param params - the twelve weights and biases, shaped by {@link inceptionParamShapes}
 * @param spec - filter counts
 * @returns `out`, `[N, c1 + c3 + c5 + poolProj, H, W]`, and the cache for {@link inceptionBackward}
 * @throws ShapeError if `x` is not 4-D or a parameter does not have the shape the spec implies
 * @throws ValueError for a spec count that is not an integer `>= 1`
 * @see the lecture, items 8-10; Szegedy et al., "Going Deeper with Convolutions", CVPR 2015;
 *   `@dlkata/layers` `inceptionForward`
 */
export function inceptionForward(x: Tensor, params: InceptionParams, spec: InceptionSpec): { out: Tensor; cache: InceptionCache } {
  const op = 'inceptionForward';
  checkSpec(op, spec);
  assertNdim(op, 'x', x, 4, '[N, C, H, W]');
  const shapes = inceptionParamShapes(x.shape[1], spec);
  for (const k of Object.keys(shapes) as (keyof InceptionParams)[]) assertShape(op, k, params[k], shapes[k]);
  const p = params;
  throw new NotImplementedError('inceptionForward: the inception module\'s output for x [N, C, H, W]: its four branches (README "The math") joined along the channels in the order 1x1, 3x3, 5x5, pool: out [N, c1 + c3 + c5 + poolProj, H, W], and every cache the backward pass needs (read: exercises/06-inception/README.md, "Task 3: inceptionForward"; guide: docs/site/documents/06-inception.html#task-3-inceptionforward; tests: pnpm test 06 -t inceptionForward)');
}

/**
 * Inception module, backward pass: `dout` is split by channels into the four branches' parts
 * (the backward pass of the concatenation), each part goes back through its branch, and since
 * all four branches read `x`, their input gradients add up:
 * `dx = dx_1x1 + dx_3x3 + dx_5x5 + dx_pool`.
 *
 * @param dout - upstream gradient, `[N, c1 + c3 + c5 + poolProj, H, W]`
 * @param cache - from {@link inceptionForward}
 * @returns `dx [N, C, H, W]` and `dw1, db1, dw3reduce, db3reduce, dw3, db3, dw5reduce, db5reduce,
 *   dw5, db5, dwPoolProj, dbPoolProj`, each shaped like its parameter
 * @throws ShapeError if `dout` does not have the output's shape
 * @see `@dlkata/layers` `inceptionBackward`
 */
export function inceptionBackward(dout: Tensor, cache: InceptionCache): InceptionGrads {
  const { spec } = cache;
  const [N, , H, W] = cache.pool.x.shape;
  assertShape('inceptionBackward', 'dout', dout, [N, spec.c1 + spec.c3 + spec.c5 + spec.poolProj, H, W]);
  throw new NotImplementedError('inceptionBackward: from dout [N, c1 + c3 + c5 + poolProj, H, W] and the cache, dx [N, C, H, W] and the gradient of every weight and bias of the four branches (the keys of InceptionGrads) (read: exercises/06-inception/README.md, "Task 4: inceptionBackward"; guide: docs/site/documents/06-inception.html#task-4-inceptionbackward; tests: pnpm test 06 -t inceptionBackward)');
}

// ---------------------------------------------------------------------------------------------
// Task 5: the cost in multiplications.

/**
 * Multiplications of one convolution on one example: `F*C*K*K*H'*W'`, the lecture's cost
 * formula (each of the `F*H'*W'` outputs sums `C*K*K` products; bias additions are not
 * counted), with PyTorch's output size `H' = floor((H + 2*pad - K) / stride) + 1`.
 *
 * Dimensions: C input channels, H x W input, F filters, K x K kernel, H' x W' output.
 *
 * @param input - one example's shape, `[C, H, W]`
 * @param filters - F, an integer `>= 1`
 * @param kernel - K (square), an integer `>= 1`
 * @param stride - an integer `>= 1`, default 1
 * @param pad - zeros on each side, or `'same'` for `(K - 1) / 2` (odd K, stride 1); default 0
 * @returns an integer
 * @throws ShapeError if `input` is not `[C, H, W]` or the kernel does not fit
 * @throws ValueError for a count that is not a positive integer, or `'same'` with an even kernel or a stride
 * @see the lecture, item 10: `1x1x200x32x32x16 = 3,276,800`, `5x5x16x32x32x92 = 37,683,200`,
 *   and `5x5x200x32x32x92 = 471,040,000`; `@dlkata/layers` `convMultiplies`
 * @example
 * ```ts
 * convMultiplies([200, 32, 32], 16, 1) + convMultiplies([16, 32, 32], 92, 5, 1, 'same'); // 40,960,000
 * convMultiplies([200, 32, 32], 92, 5, 1, 'same');                                       // 471,040,000
 * ```
 */
export function convMultiplies(input: readonly number[], filters: number, kernel: number, stride = 1, pad: number | 'same' = 0): number {
  const op = 'convMultiplies';
  if (input.length !== 3 || !input.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ShapeError(op, `input must be one example's shape [C, H, W] of positive integers, got [${input.join(',')}]`);
  }
  for (const [name, v] of [['filters', filters], ['kernel', kernel], ['stride', stride]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ValueError(op, `${name} must be an integer >= 1, got ${v}`);
  }
  if (pad === 'same' && (kernel % 2 === 0 || stride !== 1)) throw new ValueError(op, `'same' needs an odd kernel and stride 1, got kernel ${kernel}, stride ${stride}`);
  if (pad !== 'same' && (!Number.isInteger(pad) || pad < 0)) throw new ValueError(op, `pad must be an integer >= 0 or 'same', got ${pad}`);
  const p = pad === 'same' ? (kernel - 1) / 2 : pad;
  if (kernel > input[1] + 2 * p || kernel > input[2] + 2 * p) {
    throw new ShapeError(op, `kernel ${kernel} does not fit input [${input.join(',')}] with padding ${p}`);
  }
  throw new NotImplementedError('convMultiplies: the number of multiplications one convolution (filters, kernel, stride, padding) performs on an input [C, H, W] (README, task 5) (read: exercises/06-inception/README.md, "Task 5: convMultiplies and inceptionMultiplies"; guide: docs/site/documents/06-inception.html#task-5-convmultiplies-and-inceptionmultiplies; tests: pnpm test 06 -t convMultiplies)');
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
 * Multiplications of one forward pass of an inception module on one example, per convolution,
 * each by {@link convMultiplies}: the 1x1 convolutions (`c1`, `c3reduce`, `c5reduce`, `poolProj`)
 * read the C input channels (the pooling keeps them); the 3x3 convolution reads the `c3reduce`
 * channels and the 5x5 one the `c5reduce` channels, both "same".
 *
 * The lecture's example is the 5x5 branch on 32x32x200 with `c5reduce = 16`, `c5 = 92`:
 * `c5reduce + c5 = 3,276,800 + 37,683,200 = 40,960,000`, about a tenth of the 471,040,000 of a
 * 5x5 convolution applied to the 200 channels directly.
 *
 * @param input - one example's shape, `[C, H, W]`
 * @param spec - filter counts
 * @returns the six counts keyed like `spec`, their `total`, and the module's `outputShape`
 * @throws ShapeError if `input` is not `[C, H, W]`
 * @throws ValueError for a spec count that is not an integer `>= 1`
 * @see the lecture, item 10; Szegedy et al. 2015, Table 1; `@dlkata/layers` `inceptionMultiplies`
 * @example
 * ```ts
 * inceptionMultiplies([192, 28, 28], { c1: 64, c3reduce: 96, c3: 128, c5reduce: 16, c5: 32, poolProj: 32 }).total; // 128,049,152
 * ```
 */
export function inceptionMultiplies(input: readonly number[], spec: InceptionSpec): InceptionCost {
  const op = 'inceptionMultiplies';
  checkSpec(op, spec);
  if (input.length !== 3) throw new ShapeError(op, `input must be one example's shape [C, H, W], got [${input.join(',')}]`);
  throw new NotImplementedError('inceptionMultiplies: the multiplications of each convolution of the module on input [C, H, W], their total and the module\'s output shape (README, task 5; convMultiplies counts one convolution) (read: exercises/06-inception/README.md, "Task 5: convMultiplies and inceptionMultiplies"; guide: docs/site/documents/06-inception.html#task-5-convmultiplies-and-inceptionmultiplies; tests: pnpm test 06 -t inceptionMultiplies)');
}

const SPEC_KEYS = ['c1', 'c3reduce', 'c3', 'c5reduce', 'c5', 'poolProj'] as const;

function checkSpec(op: string, spec: InceptionSpec): void {
  for (const k of SPEC_KEYS) {
    const v = spec[k];
    if (!Number.isInteger(v) || v < 1) throw new ValueError(op, `spec.${k} must be an integer >= 1, got ${v}`);
  }
}
