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
import { GEMM_PANEL_WIDTH } from './gemm.js';
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
  const { N, C, H, W, KH, KW, OH, OW } = info;
  if (!shapesEqual(x.shape, [N, C, H, W])) {
    throw new ShapeError('im2col', `x must have shape ${formatShape([N, C, H, W])}, got ${formatShape(x.shape)}`);
  }
  const cols = new Float64Array(N * C * KH * KW * OH * OW);
  im2colChunk(x.data, info, 0, N, cols);
  return new Tensor(cols, [N, C * KH * KW, OH * OW]);
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
  const { N, C, H, W, KH, KW, OH, OW } = info;
  const rows = C * KH * KW;
  const P = OH * OW;
  if (!shapesEqual(cols.shape, [N, rows, P])) {
    throw new ShapeError('col2im', `cols must have shape ${formatShape([N, rows, P])}, got ${formatShape(cols.shape)}`);
  }
  const x = new Float64Array(N * C * H * W);
  col2imChunk(cols.data, info, 0, N, x);
  return new Tensor(x, [N, C, H, W]);
}

/**
 * Splits a batch of `N` images into consecutive chunks of `size` images (the last one may be
 * shorter), for ops that process a batch chunk by chunk with {@link im2colChunk} /
 * {@link col2imChunk} and reusable buffers (see `imagesPerChunk` and `withWorkspace`).
 *
 * @param N - batch size, integer >= 0
 * @param size - images per chunk, integer >= 1
 * @returns `{ start, count }` per chunk, in order; empty for `N = 0`
 * @throws ShapeError for a negative `N` or a `size` below 1
 * @example
 * ```ts
 * batchChunks(5, 2); // [{ start: 0, count: 2 }, { start: 2, count: 2 }, { start: 4, count: 1 }]
 * ```
 */
export function batchChunks(N: number, size: number): Array<{ start: number; count: number }> {
  if (!Number.isInteger(N) || N < 0) throw new ShapeError('batchChunks', `N must be an integer >= 0, got ${N}`);
  if (!Number.isInteger(size) || size < 1) throw new ShapeError('batchChunks', `size must be an integer >= 1, got ${size}`);
  const chunks: Array<{ start: number; count: number }> = [];
  for (let start = 0; start < N; start += size) chunks.push({ start, count: Math.min(size, N - start) });
  return chunks;
}

/** Checks a chunk's image and row ranges and the two arrays' lengths (once per call, not per element). */
function checkChunk(op: string, info: Im2ColInfo, start: number, count: number, image: Float64Array, cols: Float64Array, ohFrom: number, ohTo: number): void {
  const { N, C, H, W, KH, KW, OH, OW } = info;
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > N) {
    throw new ShapeError(op, `images [${start}, ${start} + ${count}) must lie in the batch [0, ${N})`);
  }
  if (!Number.isInteger(ohFrom) || !Number.isInteger(ohTo) || ohFrom < 0 || ohFrom > ohTo || ohTo > OH) {
    throw new ShapeError(op, `output rows [${ohFrom}, ${ohTo}) must lie in [0, ${OH})`);
  }
  if (image.length < N * C * H * W) throw new ShapeError(op, `the image array needs ${N * C * H * W} elements ([${N},${C},${H},${W}]), got ${image.length}`);
  const L = (ohTo - ohFrom) * OW;
  const need = count * C * KH * KW * L;
  if (cols.length < need) throw new ShapeError(op, `the column buffer needs ${need} elements (${count} images of [${C * KH * KW},${L}]), got ${cols.length}`);
}

/**
 * For kernel column `kw`: the output columns whose input column `ow*stride - pad + kw*dilation`
 * lies inside `[0, W)` are exactly `[lo, hi)`; the ones outside fall on padding. Hoisting this
 * out of the inner loop leaves it with no bounds test.
 */
function validRange(OW: number, W: number, stride: number, offset: number): [lo: number, hi: number] {
  const lo = offset >= 0 ? 0 : Math.ceil(-offset / stride);
  const hi = offset > W - 1 ? 0 : Math.floor((W - 1 - offset) / stride) + 1;
  const l = Math.min(lo, OW);
  return [l, Math.max(l, Math.min(hi, OW))];
}

/**
 * {@link im2col} for the images `start .. start + count - 1` of a batch, written into a buffer
 * the caller provides (and may reuse): the building block of chunked convolutions.
 *
 * Every one of the `count*C*KH*KW*OH*OW` elements is written, zeros on padding, so the buffer
 * may hold anything beforehand.
 *
 * With `ohFrom`/`ohTo`, only the columns of output rows `ohFrom .. ohTo - 1` are built,
 * `[count, C*KH*KW, (ohTo - ohFrom)*OW]`: a slice of an image too big for one chunk.
 *
 * @param x - the whole batch `[N, C, H, W]` of `info`, flat
 * @param info - geometry, as for {@link im2col}
 * @param start - first image, integer in `[0, N]`
 * @param count - number of images, `start + count <= N`
 * @param cols - receives `[count, C*KH*KW, OH*OW]` from element 0; longer arrays are fine
 * @param ohFrom - first output row, default 0
 * @param ohTo - output row after the last, default `OH`
 * @throws ShapeError for an image or row range outside the batch or arrays that are too short
 * @example
 * ```ts
 * const x = Tensor.fromArray(Array.from({ length: 27 }, (_, i) => i), [3, 1, 3, 3]);
 * const info = computeConv2DInfo('conv2d', x.shape, [1, 1, 2, 2]);
 * const buf = new Float64Array(4 * 4).fill(NaN); // any contents: every element is written
 * im2colChunk(x.data, info, 2, 1, buf); // image 2 only, = im2col(x)[2]: [[18, 19, 21, 22], ...]
 * ```
 */
export function im2colChunk(x: Float64Array, info: Im2ColInfo, start: number, count: number, cols: Float64Array, ohFrom = 0, ohTo = info.OH): void {
  checkChunk('im2colChunk', info, start, count, x, cols, ohFrom, ohTo);
  const { C, H, W, KH, KW, strideH, strideW, padH, padW, dilationH, dilationW, OW } = info;
  let o = 0;
  for (let nc = start * C; nc < (start + count) * C; nc++) {
    const xBase = nc * H * W;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const offset = kw * dilationW - padW;
        const [lo, hi] = validRange(OW, W, strideW, offset);
        for (let oh = ohFrom; oh < ohTo; oh++) {
          const ih = oh * strideH - padH + kh * dilationH;
          if (ih < 0 || ih >= H) {
            cols.fill(0, o, o + OW);
            o += OW;
            continue;
          }
          let ow = 0;
          for (; ow < lo; ow++) cols[o++] = 0;
          let src = xBase + ih * W + lo * strideW + offset;
          if (strideW === 1) for (; ow < hi; ow++) cols[o++] = x[src++];
          else for (; ow < hi; ow++, src += strideW) cols[o++] = x[src];
          for (; ow < OW; ow++) cols[o++] = 0;
        }
      }
    }
  }
}

/**
 * A block of one image's columns written straight into the packed layout of {@link gemmPackedB}
 * (a {@link GemmBPacker}): `cols[n][k0 : k0+kc, p0 : p0+np]` of {@link im2col}, as consecutive
 * panels of {@link GEMM_PANEL_WIDTH} (4) output positions, each stored `kc` rows of 4 values,
 * so `out[(q*kc + k)*4 + s] = cols[n, k0 + k, p0 + 4q + s]`; the last panel is padded with zeros.
 * The column matrix is never stored whole: the convolution's GEMM reads each block from its
 * packing buffer right after this writes it.
 *
 * A panel whose 4 positions lie in one output row reads, for each row `k = (c, kh, kw)`, the 4
 * input values of one input row (consecutive when the stride is 1), with one bounds test per
 * row `k`; a panel across the end of an output row tests every value.
 *
 * @param x - the whole batch `[N, C, H, W]` of `info`, flat
 * @param info - geometry, as for {@link im2col}
 * @param n - the image, integer in `[0, N)`
 * @param k0 - first row of the column matrix, `(c*KH + kh)*KW + kw` order
 * @param kc - rows, `k0 + kc <= C*KH*KW`
 * @param p0 - first output position, `oh*OW + ow`
 * @param np - positions, `p0 + np <= OH*OW`
 * @param out - receives `kc * 4*ceil(np/4)` elements from element 0; longer arrays are fine
 * @throws ShapeError for an image, row or position range outside the geometry, or arrays that are too short
 * @example
 * ```ts
 * const x = Tensor.fromArray([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
 * const info = computeConv2DInfo('conv2d', x.shape, [1, 1, 2, 2]); // cols [1, 4, 4], see im2col
 * const out = new Float64Array(8);
 * im2colPanels(x.data, info, 0, 1, 2, 0, 4, out); // rows 1-2: [2, 3, 5, 6, 4, 5, 7, 8]
 * ```
 */
export function im2colPanels(x: Float64Array, info: Im2ColInfo, n: number, k0: number, kc: number, p0: number, np: number, out: Float64Array): void {
  const { N, C, H, W, KH, KW, strideH, strideW, padH, padW, dilationH, dilationW, OH, OW } = info;
  const op = 'im2colPanels';
  const K = C * KH * KW;
  const range = (name: string, from: number, count: number, size: number): void => {
    if (!Number.isInteger(from) || !Number.isInteger(count) || from < 0 || count < 0 || from + count > size) {
      throw new ShapeError(op, `${name} [${from}, ${from} + ${count}) must lie in [0, ${size})`);
    }
  };
  range('image', n, 1, N);
  range('rows', k0, kc, K);
  range('positions', p0, np, OH * OW);
  if (x.length < N * C * H * W) throw new ShapeError(op, `the image array needs ${N * C * H * W} elements ([${N},${C},${H},${W}]), got ${x.length}`);
  const R = GEMM_PANEL_WIDTH;
  const need = kc * R * Math.ceil(np / R);
  if (out.length < need) throw new ShapeError(op, `the panel buffer needs ${need} elements, got ${out.length}`);

  const xImage = n * C * H * W;
  const kk = KH * KW;
  const cFirst = Math.floor(k0 / kk);
  const khFirst = Math.floor((k0 - cFirst * kk) / KW);
  const kwFirst = k0 - cFirst * kk - khFirst * KW;
  const lastTap = (R - 1) * strideW; // from a panel's first input column to its last
  let o = 0;
  for (let j = 0; j < np; j += R) {
    const p = p0 + j;
    const oh = Math.floor(p / OW);
    const ow = p - oh * OW;
    let c = cFirst;
    let kh = khFirst;
    let kw = kwFirst;
    if (R === 4 && np - j >= R && ow + R <= OW) {
      // One output row: every row k reads input row ih, columns iw, iw + strideW, ...
      const ihBase = oh * strideH - padH;
      const iwBase = ow * strideW - padW;
      for (let k = 0; k < kc; k++, o += R) {
        const ih = ihBase + kh * dilationH;
        const iw = iwBase + kw * dilationW;
        if (ih < 0 || ih >= H) {
          out[o] = 0;
          out[o + 1] = 0;
          out[o + 2] = 0;
          out[o + 3] = 0;
        } else {
          const row = xImage + (c * H + ih) * W;
          if (iw >= 0 && iw + lastTap < W) {
            const src = row + iw;
            out[o] = x[src];
            out[o + 1] = x[src + strideW];
            out[o + 2] = x[src + 2 * strideW];
            out[o + 3] = x[src + 3 * strideW];
          } else {
            for (let s = 0; s < R; s++) {
              const i = iw + s * strideW;
              out[o + s] = i >= 0 && i < W ? x[row + i] : 0;
            }
          }
        }
        if (++kw === KW) {
          kw = 0;
          if (++kh === KH) {
            kh = 0;
            c++;
          }
        }
      }
    } else {
      // Across the end of an output row, or the last, partial panel: every value on its own.
      for (let k = 0; k < kc; k++, o += R) {
        for (let s = 0; s < R; s++) {
          let v = 0;
          if (j + s < np) {
            const qh = Math.floor((p + s) / OW);
            const ih = qh * strideH - padH + kh * dilationH;
            const iw = (p + s - qh * OW) * strideW - padW + kw * dilationW;
            if (ih >= 0 && ih < H && iw >= 0 && iw < W) v = x[xImage + (c * H + ih) * W + iw];
          }
          out[o + s] = v;
        }
        if (++kw === KW) {
          kw = 0;
          if (++kh === KH) {
            kh = 0;
            c++;
          }
        }
      }
    }
  }
}

/**
 * {@link col2im} for the images `start .. start + count - 1`: ADDS the folded columns into `x`
 * (so `x` must start at zero for a plain col2im), touching only those images.
 *
 * @param cols - `[count, C*KH*KW, OH*OW]` from element 0 (e.g. a reused chunk buffer)
 * @param info - geometry, as for {@link col2im}
 * @param start - first image, integer in `[0, N]`
 * @param count - number of images, `start + count <= N`
 * @param x - the whole batch `[N, C, H, W]`, flat; images `start ..` receive the sums
 * @param ohFrom - first output row the columns belong to, default 0 (see {@link im2colChunk})
 * @param ohTo - output row after the last, default `OH`
 * @throws ShapeError for an image or row range outside the batch or arrays that are too short
 * @example
 * ```ts
 * const info = computeConv2DInfo('conv2d', [3, 1, 3, 3], [1, 1, 2, 2]);
 * const dx = new Float64Array(3 * 9);
 * for (const { start, count } of batchChunks(3, 2)) {
 *   const dcols = new Float64Array(count * 4 * 4).fill(1); // the chunk's column gradients
 *   col2imChunk(dcols, info, start, count, dx); // every image: [1, 2, 1, 2, 4, 2, 1, 2, 1]
 * }
 * ```
 */
export function col2imChunk(cols: Float64Array, info: Im2ColInfo, start: number, count: number, x: Float64Array, ohFrom = 0, ohTo = info.OH): void {
  checkChunk('col2imChunk', info, start, count, x, cols, ohFrom, ohTo);
  const { C, H, W, KH, KW, strideH, strideW, padH, padW, dilationH, dilationW, OW } = info;
  let o = 0;
  for (let nc = start * C; nc < (start + count) * C; nc++) {
    const xBase = nc * H * W;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const offset = kw * dilationW - padW;
        const [lo, hi] = validRange(OW, W, strideW, offset);
        for (let oh = ohFrom; oh < ohTo; oh++, o += OW) {
          const ih = oh * strideH - padH + kh * dilationH;
          if (ih < 0 || ih >= H) continue;
          let dst = xBase + ih * W + lo * strideW + offset;
          if (strideW === 1) for (let i = o + lo; i < o + hi; i++) x[dst++] += cols[i];
          else for (let i = o + lo; i < o + hi; i++, dst += strideW) x[dst] += cols[i];
        }
      }
    }
  }
}
