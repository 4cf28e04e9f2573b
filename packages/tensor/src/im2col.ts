/**
 * im2col / col2im: rewrite a convolution as one matrix multiply per image.
 *
 * Each column of the "column matrix" holds one receptive field (the `C*KH*KW` input values
 * under one output position), so `out[n] = W_flat [F, C*KH*KW] x cols[n] [C*KH*KW, OH*OW]`,
 * which is already the NCHW layout of the output. Row order is `(c, kh, kw)`, matching the
 * row-major flattening of filters `[F, C, KH, KW]` (Caffe's and PyTorch's `unfold` order).
 * Source: Chellapilla, Puri and Simard, "High Performance Convolutional Neural Networks for
 * Document Processing" (2006); CS231n's `im2col.py`.
 *
 * @module
 */
import type { Conv2DInfo } from './shape.js';
import { ShapeError } from './errors.js';
import { formatShape, shapesEqual, Tensor } from './tensor.js';

/** Geometry im2col needs: the fields of {@link Conv2DInfo} without the filter count. */
export type Im2ColInfo = Omit<Conv2DInfo, 'F' | 'outShape'>;

/**
 * Unfolds input patches into columns.
 *
 * @param x - input `[N, C, H, W]`, as described by `info`
 * @param info - shapes from {@link computeConv2DInfo} (or any geometry with the same fields,
 *   e.g. a pooling window with dilation 1)
 * @returns columns `[N, C*KH*KW, OH*OW]`: `cols[n, (c*KH + kh)*KW + kw, oh*OW + ow] =
 *   x[n, c, oh*strideH - padH + kh*dilationH, ow*strideW - padW + kw*dilationW]`, 0 on padding
 * @example
 * ```ts
 * const info = computeConv2DInfo('conv2d', [1, 1, 3, 3], [1, 1, 2, 2]);
 * im2col(Tensor.fromArray([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]), info);
 * // [1, 4, 4]: [[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]]
 * ```
 * @throws ShapeError if `x` does not have shape `[N, C, H, W]` of `info`:
 *   `"im2col: x must have shape [1,1,3,3], got [1,1,4,4]"`
 */
export function im2col(x: Tensor, info: Im2ColInfo): Tensor {
  const { N, C, H, W, KH, KW, strideH, strideW, padH, padW, dilationH, dilationW, OH, OW } = info;
  if (!shapesEqual(x.shape, [N, C, H, W])) {
    throw new ShapeError('im2col', `x must have shape ${formatShape([N, C, H, W])}, got ${formatShape(x.shape)}`);
  }
  const rows = C * KH * KW;
  const P = OH * OW;
  const cols = new Float64Array(N * rows * P);
  const xd = x.data;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const xBase = (n * C + c) * H * W;
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const row = (c * KH + kh) * KW + kw;
          let o = (n * rows + row) * P;
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * strideH - padH + kh * dilationH;
            if (ih < 0 || ih >= H) {
              o += OW;
              continue;
            }
            const xRow = xBase + ih * W;
            for (let ow = 0; ow < OW; ow++, o++) {
              const iw = ow * strideW - padW + kw * dilationW;
              if (iw >= 0 && iw < W) cols[o] = xd[xRow + iw];
            }
          }
        }
      }
    }
  }
  return new Tensor(cols, [N, rows, P]);
}

/**
 * Folds columns back into an image, adding where receptive fields overlap: the adjoint of
 * {@link im2col}, and so the backward pass of im2col (`dx = col2im(dcols)`).
 *
 * @param cols - `[N, C*KH*KW, OH*OW]`
 * @param info - the same geometry that produced the columns
 * @returns `[N, C, H, W]`; contributions that fell on padding are dropped. For every `x` and
 *   `y`, `<im2col(x), y> = <x, col2im(y)>`.
 * @throws ShapeError if `cols` does not have the shape `info` implies:
 *   `"col2im: cols must have shape [1,4,4], got [1,4,3]"`
 */
export function col2im(cols: Tensor, info: Im2ColInfo): Tensor {
  const { N, C, H, W, KH, KW, strideH, strideW, padH, padW, dilationH, dilationW, OH, OW } = info;
  const rows = C * KH * KW;
  const P = OH * OW;
  if (!shapesEqual(cols.shape, [N, rows, P])) {
    throw new ShapeError('col2im', `cols must have shape ${formatShape([N, rows, P])}, got ${formatShape(cols.shape)}`);
  }
  const x = new Float64Array(N * C * H * W);
  const cd = cols.data;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const xBase = (n * C + c) * H * W;
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const row = (c * KH + kh) * KW + kw;
          let o = (n * rows + row) * P;
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * strideH - padH + kh * dilationH;
            if (ih < 0 || ih >= H) {
              o += OW;
              continue;
            }
            const xRow = xBase + ih * W;
            for (let ow = 0; ow < OW; ow++, o++) {
              const iw = ow * strideW - padW + kw * dilationW;
              if (iw >= 0 && iw < W) x[xRow + iw] += cd[o];
            }
          }
        }
      }
    }
  }
  return new Tensor(x, [N, C, H, W]);
}
