/**
 * 2-D convolution layer (forward and backward), NCHW, implemented as im2col + GEMM.
 *
 * @module
 */
import {
  assertFinite,
  assertNdim,
  assertShape,
  batchChunks,
  CHUNK_TARGET_BYTES,
  col2imChunk,
  computeConv2DInfo,
  formatShape,
  gemm,
  gemmPackedB,
  im2colChunk,
  im2colPanels,
  imagesPerChunk,
  ShapeError,
  Tensor,
  transpose2d,
  ValueError,
  withWorkspace,
  type Conv2DInfo,
  type Conv2DParams,
} from '@dlkata/tensor';
import { assertCache } from './validate.js';

/**
 * What {@link conv2dBackward} needs from the forward pass.
 *
 * `x`, `w` and `b` are the caller's tensors (references, not copies): do not modify them between
 * the forward and the backward pass. The columns `im2col(x)` are not kept: they are `KH*KW`
 * times the input's size, and the backward pass rebuilds them chunk by chunk for less than
 * the cost of one GEMM.
 */
export interface Conv2dCache {
  /** The input, `[N, C, H, W]`. */
  readonly x: Tensor;
  /** The filters, `[F, C, KH, KW]`. */
  readonly w: Tensor;
  /** The biases, `[F]`. */
  readonly b: Tensor;
  /** Shapes, stride, padding and dilation, from `computeConv2DInfo` of `@dlkata/tensor`. */
  readonly info: Conv2DInfo;
}

/**
 * 2-D convolution, forward pass (a cross-correlation, as in PyTorch's `Conv2d`, TensorFlow and
 * CS231n: the kernel is not flipped).
 *
 * Dimensions: N batch, C input channels, H x W input, F filters (output channels), KH x KW
 * kernel, OH x OW output.
 *
 * `out[n, f, i, j] = b[f] + sum over c, kh, kw of w[f, c, kh, kw] * xpad[n, c, i*sh + kh*dh, j*sw + kw*dw]`,
 * where `xpad` is `x` with `pad` zeros on each side, `sh`/`sw` the strides and `dh`/`dw` the dilations.
 *
 * Output size, PyTorch's `Conv2d` formula:
 * `OH = floor((H + 2*padH - dilationH*(KH - 1) - 1) / strideH) + 1`, likewise `OW`. With dilation 1
 * this is the lecture's and CS231n's `H' = 1 + (H + 2*pad - HH) / stride` (rounded down).
 * `pad: 'same'` (stride 1, odd kernel) pads `(K - 1) / 2` on each side, so `OH = H` and `OW = W`
 * (the lecture's "same" convolutions in VGG, residual blocks and inception branches).
 *
 * Implementation: one GEMM per image computes `out[n] = Wflat [F, C*KH*KW] x cols[n]`, which
 * is already NCHW, where `cols[n] = im2col(x)[n]` `[C*KH*KW, OH*OW]` holds one receptive field
 * per column; `b` is added per filter. The columns are never stored whole: `gemmPackedB` has
 * `im2colPanels` write each block of them straight into its packing buffer, so memory and speed
 * depend little on the batch and image size. Arithmetic is float64.
 *
 * @param x - input, `[N, C, H, W]`, finite
 * @param w - filters, `[F, C, KH, KW]` (PyTorch's `weight` layout), finite
 * @param b - biases, `[F]`, finite
 * @param params - `stride` (`s` or `[sh, sw]`, default 1), `pad` (`p`, `[ph, pw]` or `'same'`,
 *   default 0), `dilation` (`d` or `[dh, dw]`, default 1)
 * @returns `out`, `[N, F, OH, OW]`, and the `cache` that {@link conv2dBackward} needs
 * @throws ShapeError if `x` or `w` is not 4-D, the channels differ
 *   (`"conv2d: input channels (3) must match filter channels (4); x [2,3,8,8], w [4,4,3,3]"`),
 *   `b` is not `[F]` (`"conv2d: bias length (3) must match the number of filters (4); b [3], w [4,3,3,3]"`),
 *   or the kernel does not fit the padded input
 *   (`"conv2d: kernel height 5 does not fit input height 3 with padding 0; x [1,1,3,3], w [1,1,5,5]"`)
 * @throws ValueError for a stride or dilation below 1, a negative or non-integer padding, `'same'`
 *   with a stride other than 1 or an even kernel, `params` that is not an object, or a NaN/infinite element
 *   (`"conv2d: x contains NaN at [0,1,2,3]"`); all checks run before any arithmetic
 * @see the lecture: 1x1 convolutions, "same" convolutions (VGG, residual blocks, inception);
 *   CS231n `conv_forward_fast` (im2col); PyTorch `torch.nn.Conv2d` (layout and output size)
 * @example
 * ```ts
 * const rng = new Rng(0);
 * const x = rng.randn([2, 3, 8, 8]);
 * const w = rng.randn([4, 3, 3, 3]);
 * const { out } = conv2dForward(x, w, Tensor.zeros([4]), { stride: 2, pad: 1 });
 * out.shape; // [2, 4, 4, 4]: OH = floor((8 + 2*1 - 3) / 2) + 1 = 4
 * ```
 */
export function conv2dForward(x: Tensor, w: Tensor, b: Tensor, params: Conv2DParams = {}): { out: Tensor; cache: Conv2dCache } {
  const op = 'conv2d';
  assertNdim(op, 'x', x, 4, '[N, C, H, W]');
  assertNdim(op, 'w', w, 4, '[F, C, KH, KW]');
  assertNdim(op, 'b', b, 1, '[F]');
  if (params === null || typeof params !== 'object') {
    throw new ValueError(op, `params must be an object { stride?, pad?, dilation? }, got ${params === null ? 'null' : typeof params}`);
  }
  const info = computeConv2DInfo(op, x.shape, w.shape, params);
  if (b.shape[0] !== info.F) {
    throw new ShapeError(op, `bias length (${b.shape[0]}) must match the number of filters (${info.F}); b ${formatShape(b.shape)}, w ${formatShape(w.shape)}`);
  }
  assertFinite(op, 'x', x);
  assertFinite(op, 'w', w);
  assertFinite(op, 'b', b);

  const { N, F, OH, OW } = info;
  const K = info.C * info.KH * info.KW;
  const P = OH * OW;
  const out = Tensor.zeros(info.outShape);
  const od = out.data;
  const xd = x.data;
  for (let n = 0; n < N; n++) {
    // out[n] [F, P] = Wflat [F, K] x cols[n] [K, P] + b, the columns built block by block in
    // GEMM's packing buffer (never stored whole); b[f] is added to row f once its sums are complete.
    gemmPackedB(F, P, K, w.data, 0, (k0, kc, p0, np, panels) => im2colPanels(xd, info, n, k0, kc, p0, np, panels), od, n * F * P, { rowBias: b.data });
  }
  return { out, cache: { x, w, b, info } };
}

/**
 * 2-D convolution, backward pass.
 *
 * Dimensions as in {@link conv2dForward}: N batch, C input channels, H x W input, F filters,
 * KH x KW kernel, OH x OW output.
 *
 * With `Wflat = w` as `[F, C*KH*KW]` and `cols[n] = im2col(x)[n]` as `[C*KH*KW, OH*OW]`
 * (rebuilt here chunk by chunk in a reused buffer rather than cached):
 * - `db[f] = sum over n, i, j of dout[n, f, i, j]`
 * - `dw = sum over n of dout[n] [F, OH*OW] x cols[n]^T`, reshaped to `[F, C, KH, KW]`
 * - `dx = col2im(Wflat^T x dout[n])` per image: `col2im` adds wherever receptive fields
 *   overlap, so an input pixel read by several windows collects every contribution; padding
 *   positions are dropped.
 *
 * @param dout - upstream gradient, `[N, F, OH, OW]` (the shape of the forward's `out`), finite
 * @param cache - the `cache` returned by {@link conv2dForward}
 * @returns `dx` `[N, C, H, W]`, `dw` `[F, C, KH, KW]`, `db` `[F]`: gradients of
 *   `sum(out * dout)` with respect to `x`, `w` and `b`
 * @throws ShapeError if `dout` does not have the output's shape
 *   (`"conv2dBackward: dout must have shape [2,4,8,8], got [2,4,7,7]"`)
 * @throws ValueError if `dout` has a NaN/infinite element or `cache` is not a conv2d cache
 * @see CS231n `conv_backward_fast`; checked against numerical gradients and TensorFlow.js'
 *   `Conv2DBackpropInput` / `Conv2DBackpropFilter` in this package's tests
 * @example
 * ```ts
 * const rng = new Rng(0);
 * const { out, cache } = conv2dForward(rng.randn([1, 3, 5, 5]), rng.randn([2, 3, 3, 3]), Tensor.zeros([2]), { pad: 'same' });
 * const { dx, dw, db } = conv2dBackward(Tensor.ones(out.shape), cache);
 * // dx [1, 3, 5, 5], dw [2, 3, 3, 3], db [2] = [25, 25] (25 output positions per filter)
 * ```
 */
export function conv2dBackward(dout: Tensor, cache: Conv2dCache): { dx: Tensor; dw: Tensor; db: Tensor } {
  const op = 'conv2dBackward';
  assertCache(op, cache, ['x', 'w', 'b', 'info'], 'conv2dForward');
  const { x, w, info } = cache;
  assertShape(op, 'dout', dout, info.outShape);
  assertFinite(op, 'dout', dout);

  const { N, F, OH, OW } = info;
  const K = info.C * info.KH * info.KW;
  const P = OH * OW;
  const dd = dout.data;

  const db = Tensor.zeros([F]);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      const base = (n * F + f) * P;
      let s = 0;
      for (let p = 0; p < P; p++) s += dd[base + p];
      db.data[f] += s;
    }
  }

  const wT = transpose2d(w.reshape([F, K]));
  const dw = Tensor.zeros(w.shape);
  const dx = Tensor.zeros(x.shape);
  const plan = convPlan(info);
  withWorkspace((ws) => {
    const cols = ws.take(plan.colsLength); // reused by every block
    const dcols = ws.take(plan.colsLength);
    const part = ws.take(plan.partLength); // dout[n] rows of a row block, [F, L]
    for (const { start, count, ohFrom, ohTo } of plan.blocks) {
      const L = (ohTo - ohFrom) * OW;
      im2colChunk(x.data, info, start, count, cols, ohFrom, ohTo);
      for (let i = 0; i < count; i++) {
        const n = start + i;
        // dout[n] (or its rows ohFrom..ohTo-1, copied to be contiguous) as [F, L]
        let g = dd;
        let gOff = n * F * P;
        if (L !== P) {
          for (let f = 0; f < F; f++) part.set(dd.subarray((n * F + f) * P + ohFrom * OW, (n * F + f) * P + ohTo * OW), f * L);
          g = part;
          gOff = 0;
        }
        // dw [F, K] += dout[n] [F, L] x cols[n]^T [L, K]
        gemm(F, K, L, g, gOff, cols, i * K * L, dw.data, 0, { transB: true, accumulate: true });
        // dcols[n] [K, L] = Wflat^T [K, F] x dout[n] [F, L]
        gemm(K, L, F, wT.data, 0, g, gOff, dcols, i * K * L);
      }
      col2imChunk(dcols, info, start, count, dx.data, ohFrom, ohTo); // dx += col2im(dcols)
    }
  });
  return { dx, dw, db };
}

/** A block of work: images `start .. start + count - 1`, output rows `ohFrom .. ohTo - 1` of each. */
interface ConvBlock {
  readonly start: number;
  readonly count: number;
  readonly ohFrom: number;
  readonly ohTo: number;
}

/**
 * How the batch is cut so that one block's columns fill about 2 MiB (`CHUNK_TARGET_BYTES`):
 * whole images, several per block, or, when one image's columns alone are bigger than that,
 * bands of output rows of one image. Also the buffer lengths the blocks need.
 */
function convPlan(info: Conv2DInfo): { blocks: ConvBlock[]; colsLength: number; partLength: number } {
  const { N, F, OH, OW } = info;
  const K = info.C * info.KH * info.KW;
  const rowLength = Math.max(1, K * OW); // column elements per output row
  const perImage = rowLength * OH;
  const bytes = Float64Array.BYTES_PER_ELEMENT;
  if (perImage * bytes <= CHUNK_TARGET_BYTES || OH === 1) {
    const count = Math.min(N, imagesPerChunk(perImage * bytes));
    const blocks = batchChunks(N, count).map((c) => ({ ...c, ohFrom: 0, ohTo: OH }));
    return { blocks, colsLength: count * K * OH * OW, partLength: 0 };
  }
  const rows = Math.min(OH, imagesPerChunk(rowLength * bytes)); // "images" of one row each
  const blocks: ConvBlock[] = [];
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh += rows) blocks.push({ start: n, count: 1, ohFrom: oh, ohTo: Math.min(OH, oh + rows) });
  }
  return { blocks, colsLength: K * rows * OW, partLength: F * rows * OW };
}
