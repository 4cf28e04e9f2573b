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
 *   `params`, or a NaN/infinite element (`"maxPool2d: x contains NaN at [0,0,1,1]"`); all checks
 *   run before any work
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
  assertFinite(op, 'x', x);

  const { N, C, H, W, KH, KW, strideH, strideW, padH, padW, OH, OW } = info;
  const out = Tensor.zeros(info.outShape);
  const argmax = new Uint32Array(out.size);
  const xd = x.data;
  const od = out.data;
  let o = 0;
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * strideH - padH;
      const hStart = Math.max(h0, 0);
      const hEnd = Math.min(h0 + KH, H);
      for (let ow = 0; ow < OW; ow++, o++) {
        const w0 = ow * strideW - padW;
        const wStart = Math.max(w0, 0);
        const wEnd = Math.min(w0 + KW, W);
        // Start from the window's first real cell; a later cell wins only if strictly larger.
        let best = base + hStart * W + wStart;
        let bestVal = xd[best];
        for (let h = hStart; h < hEnd; h++) {
          const row = base + h * W;
          for (let w = wStart; w < wEnd; w++) {
            if (xd[row + w] > bestVal) {
              bestVal = xd[row + w];
              best = row + w;
            }
          }
        }
        od[o] = bestVal;
        argmax[o] = best;
      }
    }
  }
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
 * @throws ValueError if `dout` has a NaN/infinite element or `cache` is not a max-pool cache
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
  assertFinite(op, 'dout', dout);

  const { argmax } = cache;
  const dx = Tensor.zeros(cache.x.shape);
  const dd = dout.data;
  const gd = dx.data;
  for (let o = 0; o < argmax.length; o++) gd[argmax[o]] += dd[o];
  return { dx };
}
