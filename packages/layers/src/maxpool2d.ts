/**
 * 2-D max pooling layer (forward and backward), NCHW.
 *
 * @module
 */
import {
  assertFinite,
  assertNdim,
  assertShape,
  computePool2DInfo,
  Tensor,
  ValueError,
  type Pool2DInfo,
  type Pool2DParams,
} from '@dlkata/tensor';
import { assertCache } from './validate.js';

/** What {@link maxPool2dBackward} needs from the forward pass. */
export interface MaxPool2dCache {
  /** The input, `[N, C, H, W]` (the caller's tensor, not a copy). */
  readonly x: Tensor;
  /** Shapes, window, stride and padding, from `computePool2DInfo` of `@dlkata/tensor`. */
  readonly info: Pool2DInfo;
  /**
   * For each output element, in the row-major order of `out` `[N, C, OH, OW]`, the flat
   * row-major index into `x` of the element that won its window (the first maximum).
   */
  readonly argmax: Uint32Array;
}

/**
 * Max pooling, forward pass: the largest value of each `KH x KW` window, per image and channel.
 *
 * Dimensions: N batch, C channels, H x W input, KH x KW window, OH x OW output.
 *
 * Output size, PyTorch's `MaxPool2d` formula (`ceil_mode=False`, dilation 1):
 * `OH = floor((H + 2*padH - KH) / strideH) + 1`, likewise `OW`; CS231n's
 * `H' = 1 + (H - HH) / stride` without padding. The stride defaults to the window (PyTorch),
 * so `{ kernel: 2 }` is the lecture's VGG pooling, "2x2 filters with stride 2".
 *
 * Padding, as in PyTorch, is at most half the window, and padded cells never win a maximum
 * (they act as `-Infinity`); every window holds at least one real cell.
 *
 * Implementation: one loop over the windows, with the column bounds of the windows computed
 * once per call; 2x2 windows without padding (the common case) take a fast path that reads the
 * four cells directly. Both give the same results.
 *
 * Ties: each window's maximum is recorded at its FIRST maximum in row-major window order
 * (the lowest index), like PyTorch's CPU kernel; {@link maxPool2dBackward} routes the gradient
 * there and nowhere else.
 *
 * @param x - input, `[N, C, H, W]`, finite
 * @param params - `kernel` (`k` or `[KH, KW]`), `stride` (default: the kernel), `pad` (default 0)
 * @returns `out`, `[N, C, OH, OW]`, and the `cache` that {@link maxPool2dBackward} needs
 * @throws ShapeError if `x` is not 4-D, its image is empty (H or W is 0), or the window does not
 *   fit (`"maxPool2d: window 3x3 does not fit input 2x2"`)
 * @throws ValueError for a kernel or stride below 1, a padding above half the window, missing
 *   `params`, or a NaN/infinite element (`"maxPool2d: x contains NaN at [0,0,1,1]"`). Shape and
 *   parameter checks run before any work; the finiteness check runs inside the pooling loop when
 *   the windows read every element (a separate pass otherwise), and still throws before anything
 *   is returned
 * @see the lecture: VGG's 2x2 stride-2 max pooling, inception's 3x3 stride-1 pooling branch
 *   (with padding 1); PyTorch `torch.nn.MaxPool2d`; CS231n `max_pool_forward_naive`
 * @example
 * ```ts
 * const x = Tensor.from([[[[1, 3, 2]]]]); // [1, 1, 1, 3]
 * const { out } = maxPool2dForward(x, { kernel: [1, 2], stride: 1 }); // out [1, 1, 1, 2] = [3, 3]
 * ```
 */
export function maxPool2dForward(x: Tensor, params: Pool2DParams): { out: Tensor; cache: MaxPool2dCache } {
  const op = 'maxPool2d';
  assertNdim(op, 'x', x, 4, '[N, C, H, W]');
  if (params === null || typeof params !== 'object') {
    throw new ValueError(op, `params must be an object { kernel, stride?, pad? }, got ${params === null ? 'null' : typeof params}`);
  }
  const info = computePool2DInfo(op, x.shape, params);
  // The finiteness check rides along in the main loop when the windows read every element;
  // otherwise (stride larger than the window, or rows/columns no window reaches) it is a pass of its own.
  const fused = coversInput(info);
  if (!fused) assertFinite(op, 'x', x);

  const { N, C, H, W, KH, KW, strideH, strideW, padH, padW, OH, OW } = info;
  const out = Tensor.zeros(info.outShape);
  const argmax = new Uint32Array(out.size);
  const xd = x.data;
  const od = out.data;
  const finite =
    KH === 2 && KW === 2 && padH === 0 && padW === 0
      ? maxPool2x2(xd, N * C, H, W, strideH, strideW, OH, OW, od, argmax)
      : maxPoolWindows(xd, info, od, argmax);
  // Throws with the first bad element's position; passes if only a sum overflowed.
  if (!finite) assertFinite(op, 'x', x);
  return { out, cache: { x, info, argmax } };
}

/**
 * Max pooling, backward pass.
 *
 * Dimensions as in {@link maxPool2dForward}: N batch, C channels, H x W input, OH x OW output.
 *
 * Each output's gradient goes to the one input element that won its window: the first maximum
 * in row-major window order (ties: lowest index, as PyTorch's CPU kernel). Every other element of
 * the window gets 0. Where windows overlap (stride smaller than the window), an element that wins
 * several windows receives the SUM of their gradients.
 *
 * Worked case (overlapping windows, as in the lecture's stride-1 inception pooling): `x [1,1,1,3] = [1, 3, 2]`, window `[1, 2]`,
 * stride 1, `dout` ones: `out = [3, 3]` and `dx = [0, 2, 0]`.
 *
 * @param dout - upstream gradient, `[N, C, OH, OW]` (the shape of the forward's `out`), finite
 * @param cache - the `cache` returned by {@link maxPool2dForward}
 * @returns `dx`, `[N, C, H, W]`: gradient of `sum(out * dout)` with respect to `x`
 * @throws ShapeError if `dout` does not have the output's shape
 *   (`"maxPool2dBackward: dout must have shape [1,1,1,2], got [1,1,1,3]"`)
 * @throws ValueError if `dout` has a NaN/infinite element (checked inside the scatter loop; still
 *   thrown before anything is returned) or `cache` is not a max-pool cache
 * @see PyTorch's CPU `max_pool2d_with_indices_backward` (scatter-add to the stored indices);
 *   CS231n `max_pool_backward_naive`
 * @example
 * ```ts
 * const { cache } = maxPool2dForward(Tensor.from([[[[1, 3, 2]]]]), { kernel: [1, 2], stride: 1 });
 * maxPool2dBackward(Tensor.ones([1, 1, 1, 2]), cache).dx; // [[[[0, 2, 0]]]]
 * ```
 */
export function maxPool2dBackward(dout: Tensor, cache: MaxPool2dCache): { dx: Tensor } {
  const op = 'maxPool2dBackward';
  assertCache(op, cache, ['x', 'info', 'argmax'], 'maxPool2dForward');
  assertShape(op, 'dout', dout, cache.info.outShape);

  const { argmax } = cache;
  const dx = Tensor.zeros(cache.x.shape);
  const dd = dout.data;
  const gd = dx.data;
  let finite = true;
  for (let o = 0; o < argmax.length; o++) {
    const g = dd[o];
    if (g - g !== 0) finite = false; // NaN or infinite: checked here instead of in a pass of its own
    gd[argmax[o]] += g;
  }
  if (!finite) assertFinite(op, 'dout', dout); // throws, naming the first bad element
  return { dx };
}

/**
 * Whether the windows together read every element of the input (stride at most the window, and
 * the last window reaching the last row and column), so that a finiteness check of the cells the
 * windows read is a check of the whole input.
 */
function coversInput(info: Pool2DInfo): boolean {
  const { H, W, KH, KW, strideH, strideW, padH, padW, OH, OW } = info;
  return strideH <= KH && strideW <= KW && (OH - 1) * strideH - padH + KH >= H && (OW - 1) * strideW - padW + KW >= W;
}

/**
 * The general forward loop: any window, stride and padding. Writes `out` and `argmax`; returns
 * false if it read a NaN or infinite cell (or, rarely, a window's sum overflowed).
 */
function maxPoolWindows(xd: Float64Array, info: Pool2DInfo, od: Float64Array, argmax: Uint32Array): boolean {
  const { N, C, H, W, KH, KW, strideH, strideW, padH, padW, OH, OW } = info;
  // Each window's column range, clipped to the image: the same on every row, so computed once.
  const wFrom = new Int32Array(OW);
  const wTo = new Int32Array(OW);
  for (let ow = 0; ow < OW; ow++) {
    const w0 = ow * strideW - padW;
    wFrom[ow] = Math.max(w0, 0);
    wTo[ow] = Math.min(w0 + KW, W);
  }
  let finite = true;
  let o = 0;
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * strideH - padH;
      const rowFrom = base + Math.max(h0, 0) * W;
      const rowTo = base + Math.min(h0 + KH, H) * W;
      for (let ow = 0; ow < OW; ow++, o++) {
        const from = wFrom[ow];
        const to = wTo[ow];
        // Start from the window's first real cell; a later cell wins only if strictly larger.
        let best = rowFrom + from;
        let bestVal = xd[best];
        let sum = 0; // NaN or infinite iff some cell is (or, rarely, the sum overflows)
        for (let row = rowFrom; row < rowTo; row += W) {
          for (let i = row + from; i < row + to; i++) {
            const v = xd[i];
            sum += v;
            if (v > bestVal) {
              bestVal = v;
              best = i;
            }
          }
        }
        if (sum - sum !== 0) finite = false;
        od[o] = bestVal;
        argmax[o] = best;
      }
    }
  }
  return finite;
}

/**
 * Fast path for the most common pooling, 2x2 windows without padding (VGG's and LeNet's 2x2
 * stride 2; stride 1 works too): the four cells are read directly, no window loops, no clipping.
 * Same results as {@link maxPoolWindows}, including ties (first maximum in row-major order).
 */
function maxPool2x2(
  xd: Float64Array,
  planes: number,
  H: number,
  W: number,
  strideH: number,
  strideW: number,
  OH: number,
  OW: number,
  od: Float64Array,
  argmax: Uint32Array,
): boolean {
  let finite = true;
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < OH; oh++) {
      let i = base + oh * strideH * W; // top-left cell of the window
      for (let ow = 0; ow < OW; ow++, o++, i += strideW) {
        const a = xd[i];
        const b = xd[i + 1];
        const c = xd[i + W];
        const d = xd[i + W + 1];
        let best = i;
        let bestVal = a;
        if (b > bestVal) {
          bestVal = b;
          best = i + 1;
        }
        if (c > bestVal) {
          bestVal = c;
          best = i + W;
        }
        if (d > bestVal) {
          bestVal = d;
          best = i + W + 1;
        }
        const sum = a + b + c + d;
        if (sum - sum !== 0) finite = false;
        od[o] = bestVal;
        argmax[o] = best;
      }
    }
  }
  return finite;
}
