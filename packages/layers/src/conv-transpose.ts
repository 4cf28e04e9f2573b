/**
 * Transposed 2-D convolution ("learned upsampling", "deconvolution" in FCN), NCHW, PyTorch's
 * `ConvTranspose2d` conventions, implemented as GEMM + col2im: it is the adjoint of conv2d.
 *
 * @module
 */
import {
  assertFinite,
  assertNdim,
  assertShape,
  batchChunks,
  checkOptions,
  col2imChunk,
  formatShape,
  gemm,
  im2colChunk,
  imagesPerChunk,
  pair,
  ShapeError,
  Tensor,
  ValueError,
  withWorkspace,
  type Im2ColInfo,
  type Pair,
  type Shape,
} from '@dlkata/tensor';
import { assertCache } from './validate.js';

/** Options of a transposed convolution, as PyTorch's `ConvTranspose2d` (no groups). */
export interface ConvTranspose2DParams {
  /** Step of the convolution this op transposes, `s` or `[sh, sw]`: the upsampling factor. Default 1. */
  readonly stride?: Pair;
  /** Padding of that convolution, `p` or `[ph, pw]`: removes `p` rows/columns from each side of the output. Default 0. */
  readonly pad?: Pair;
  /** Extra rows/columns added to one side (bottom, right) of the output, to pick among the sizes a strided conv maps to the same size. Default 0. */
  readonly outputPadding?: Pair;
  /** Spacing between kernel taps. Default 1. */
  readonly dilation?: Pair;
}

/**
 * Shapes of a transposed convolution: input `[N, C, H, W]`, weights `[C, F, KH, KW]`, output
 * `[N, F, OH, OW]`, with `OH = (H - 1)*strideH - 2*padH + dilationH*(KH - 1) + outputPadH + 1`.
 */
export interface ConvTranspose2DInfo {
  readonly N: number;
  /** Input channels (PyTorch's `in_channels`). */
  readonly C: number;
  readonly H: number;
  readonly W: number;
  /** Output channels (PyTorch's `out_channels`). */
  readonly F: number;
  readonly KH: number;
  readonly KW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padH: number;
  readonly padW: number;
  readonly outputPadH: number;
  readonly outputPadW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly OH: number;
  readonly OW: number;
  /** `[N, F, OH, OW]` */
  readonly outShape: readonly [number, number, number, number];
  /**
   * The geometry of the convolution this op is the transpose of: input `[N, F, OH, OW]`,
   * filters `[C, F, KH, KW]`, output `[N, C, H, W]`, same stride, padding and dilation.
   */
  readonly adjoint: Im2ColInfo;
}

/**
 * Validates a transposed convolution's shapes and parameters and computes its output size, per
 * axis, with PyTorch's `ConvTranspose2d` formula:
 *
 * `OH = (H - 1)*stride - 2*pad + dilation*(KH - 1) + outputPadding + 1`, likewise `OW`.
 *
 * As in PyTorch, `outputPadding` must be smaller than the stride or the dilation (otherwise it
 * would only add rows no input reaches).
 *
 * @param op - op name for messages
 * @param xShape - input `[N, C, H, W]`
 * @param wShape - weights `[C, F, KH, KW]` (PyTorch's layout: input channels first)
 * @param params - stride, padding, output padding and dilation
 * @returns the named sizes, with `outShape = [N, F, OH, OW]` and the `adjoint` convolution's geometry
 * @throws ShapeError if `x` or `w` is not 4-D, the channels differ
 *   (`"convTranspose2d: input channels (3) must match w's first dimension (4); w is [C_in, C_out, KH, KW] (PyTorch's ConvTranspose2d layout); x [1,3,4,4], w [4,3,3,3]"`),
 *   the image is empty, or the padding leaves no output
 *   (`"convTranspose2d: output height (1 - 1)*1 - 2*2 + 1*(3 - 1) + 0 + 1 = -1 is not positive; x [1,1,1,1], w [1,1,3,3]"`)
 * @throws ValueError for a stride or dilation below 1, a negative padding, or an output padding
 *   not below the stride or the dilation
 *   (`"convTranspose2d: outputPadding (2) must be smaller than the stride (2) or the dilation (1) in height"`)
 * @example
 * ```ts
 * computeConvTranspose2DInfo('convTranspose2d', [1, 21, 8, 8], [21, 21, 4, 4], { stride: 2, pad: 1 }).outShape; // [1, 21, 16, 16]
 * ```
 */
export function computeConvTranspose2DInfo(op: string, xShape: Shape, wShape: Shape, params: ConvTranspose2DParams = {}): ConvTranspose2DInfo {
  checkOptions(op, 'params', params, ['stride', 'pad', 'outputPadding', 'dilation']);
  if (xShape.length !== 4) throw new ShapeError(op, `x must be 4-D [N, C, H, W], got ${formatShape(xShape)}`);
  if (wShape.length !== 4) throw new ShapeError(op, `w must be 4-D [C_in, C_out, KH, KW], got ${formatShape(wShape)}`);
  const [N, C, H, W] = xShape;
  const [WC, F, KH, KW] = wShape;
  if (C !== WC) {
    throw new ShapeError(
      op,
      `input channels (${C}) must match w's first dimension (${WC}); w is [C_in, C_out, KH, KW] (PyTorch's ConvTranspose2d layout); x ${formatShape(xShape)}, w ${formatShape(wShape)}`,
    );
  }
  const [strideH, strideW] = pair(op, 'stride', params.stride ?? 1, 1);
  const [padH, padW] = pair(op, 'pad', params.pad ?? 0, 0);
  const [outputPadH, outputPadW] = pair(op, 'outputPadding', params.outputPadding ?? 0, 0);
  const [dilationH, dilationW] = pair(op, 'dilation', params.dilation ?? 1, 1);
  for (const [dim, o, s, d] of [['height', outputPadH, strideH, dilationH], ['width', outputPadW, strideW, dilationW]] as const) {
    if (o >= s && o >= d) {
      throw new ValueError(op, `outputPadding (${o}) must be smaller than the stride (${s}) or the dilation (${d}) in ${dim}`);
    }
  }
  if (H < 1 || W < 1) throw new ShapeError(op, `x must have a non-empty image, got ${formatShape(xShape)}`);
  if (KH < 1 || KW < 1) throw new ShapeError(op, `w must have a non-empty kernel, got ${formatShape(wShape)}`);
  const size = (dim: string, n: number, s: number, p: number, d: number, k: number, o: number): number => {
    const out = (n - 1) * s - 2 * p + d * (k - 1) + o + 1;
    if (out < 1) {
      throw new ShapeError(op, `output ${dim} (${n} - 1)*${s} - 2*${p} + ${d}*(${k} - 1) + ${o} + 1 = ${out} is not positive; x ${formatShape(xShape)}, w ${formatShape(wShape)}`);
    }
    return out;
  };
  const OH = size('height', H, strideH, padH, dilationH, KH, outputPadH);
  const OW = size('width', W, strideW, padW, dilationW, KW, outputPadW);
  const adjoint: Im2ColInfo = { N, C: F, H: OH, W: OW, KH, KW, strideH, strideW, padH, padW, dilationH, dilationW, OH: H, OW: W };
  return {
    N, C, H, W, F, KH, KW, strideH, strideW, padH, padW, outputPadH, outputPadW, dilationH, dilationW, OH, OW,
    outShape: [N, F, OH, OW],
    adjoint,
  };
}

/** What {@link convTranspose2dBackward} needs: the caller's tensors (not copies) and the shapes. */
export interface ConvTranspose2dCache {
  /** The input, `[N, C, H, W]`. */
  readonly x: Tensor;
  /** The weights, `[C, F, KH, KW]`. */
  readonly w: Tensor;
  /** The biases, `[F]`. */
  readonly b: Tensor;
  readonly info: ConvTranspose2DInfo;
}

/**
 * Transposed convolution, forward pass (PyTorch's `ConvTranspose2d`, `groups = 1`).
 *
 * Dimensions: N batch, C input channels, H x W input, F output channels, KH x KW kernel,
 * OH x OW output, `OH = (H - 1)*stride - 2*pad + dilation*(KH - 1) + outputPadding + 1`
 * (likewise `OW`); with dilation 1, `(H - 1)*stride - 2*pad + KH + outputPadding`.
 *
 * Every input pixel scatters a weighted copy of its kernel into the output:
 * `out[n, f, i*sh - ph + kh*dh, j*sw - pw + kw*dw] += x[n, c, i, j] * w[c, f, kh, kw]`
 * (positions outside `[0, OH) x [0, OW)` are dropped), then `out[n, f] += b[f]`. So a stride of
 * 2 upsamples by 2: the "learned upsampling" FCN uses to return to the input's resolution.
 *
 * It is the transpose (adjoint) of the convolution with the same weights, stride, padding and
 * dilation: for `conv(y) = conv2dForward(y, w, 0, params)` from `[N, F, OH, OW]` to
 * `[N, C, H, W]`, `<conv(y), x> = <y, convTranspose(x)>` (zero biases); equivalently, this
 * forward pass is conv2d's backward pass for the input. Hence the implementation: per image,
 * `cols = Wmat^T x[n]` (GEMM, `Wmat = w` as `[C, F*KH*KW]`), then `col2im`, which adds where
 * kernels overlap; the batch goes through in chunks of about 2 MiB of columns, in a reused
 * buffer (`imagesPerChunk`, `withWorkspace`).
 *
 * Layouts: `w` is `[C_in, C_out, KH, KW]`, PyTorch's `ConvTranspose2d.weight` (the layout of
 * the forward conv's `[C_out_conv, C_in_conv, KH, KW]`, so the same tensor serves both).
 * TensorFlow's `conv2dTranspose` takes NHWC input and a filter `[KH, KW, C_out, C_in]` with
 * `filter[kh, kw, f, c] = w[c, f, kh, kw]` (no flipping); its explicit padding is this `pad`, and
 * its `outputShape` carries the output padding.
 *
 * @param x - input, `[N, C, H, W]`, finite
 * @param w - weights, `[C, F, KH, KW]`, finite
 * @param b - biases, `[F]`, finite
 * @param params - `stride`, `pad`, `outputPadding`, `dilation`, each `v` or `[vh, vw]`
 * @returns `out`, `[N, F, OH, OW]`, and the `cache` that {@link convTranspose2dBackward} needs
 * @throws ShapeError, ValueError as {@link computeConvTranspose2DInfo}; ShapeError if `b` is not
 *   `[F]` (`"convTranspose2d: b must have shape [4], got [3]"`); ValueError for a NaN/infinite
 *   element (`"convTranspose2d: w contains NaN at [0,1,2,2]"`); all checks run before any work
 * @see the lecture, item 11 (semantic segmentation, fully convolutional networks); Long, Shelhamer
 *   and Darrell, "Fully Convolutional Networks for Semantic Segmentation", CVPR 2015, Section 3.3
 *   ("upsampling is backwards strided convolution"); PyTorch `torch.nn.ConvTranspose2d`;
 *   Dumoulin and Visin, "A guide to convolution arithmetic for deep learning" (2016)
 * @example
 * ```ts
 * const rng = new Rng(0);
 * const { out } = convTranspose2dForward(rng.randn([1, 3, 4, 4]), rng.randn([3, 2, 3, 3]), Tensor.zeros([2]), { stride: 2, pad: 1, outputPadding: 1 });
 * out.shape; // [1, 2, 8, 8]: (4 - 1)*2 - 2*1 + 3 + 1
 * ```
 */
export function convTranspose2dForward(
  x: Tensor,
  w: Tensor,
  b: Tensor,
  params: ConvTranspose2DParams = {},
): { out: Tensor; cache: ConvTranspose2dCache } {
  const op = 'convTranspose2d';
  assertNdim(op, 'x', x, 4, '[N, C, H, W]');
  assertNdim(op, 'w', w, 4, '[C_in, C_out, KH, KW]');
  if (params === null || typeof params !== 'object') {
    throw new ValueError(op, `params must be an object { stride?, pad?, outputPadding?, dilation? }, got ${params === null ? 'null' : typeof params}`);
  }
  const info = computeConvTranspose2DInfo(op, x.shape, w.shape, params);
  assertShape(op, 'b', b, [info.F]);
  assertFinite(op, 'x', x);
  assertFinite(op, 'w', w);
  assertFinite(op, 'b', b);

  const { N, C, F, KH, KW, H, W, OH, OW } = info;
  const K = F * KH * KW;
  const P = H * W;
  const out = Tensor.zeros(info.outShape);
  const od = out.data;
  const chunk = transposeChunkSize(info);
  withWorkspace((ws) => {
    const cols = ws.take(chunk * K * P); // reused by every chunk
    for (const { start, count } of batchChunks(N, chunk)) {
      // cols[n] [F*KH*KW, H*W] = Wmat^T [F*KH*KW, C] x x[n] [C, H*W]; out[n] = col2im(cols[n])
      for (let i = 0; i < count; i++) gemm(K, P, C, w.data, 0, x.data, (start + i) * C * P, cols, i * K * P, { transA: true });
      col2imChunk(cols, info.adjoint, start, count, od);
    }
  });
  const Q = OH * OW;
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      const bf = b.data[f];
      const base = (n * F + f) * Q;
      for (let q = 0; q < Q; q++) od[base + q] += bf;
    }
  }
  return { out, cache: { x, w, b, info } };
}

/**
 * Transposed convolution, backward pass.
 *
 * Dimensions as in {@link convTranspose2dForward}: `x [N, C, H, W]`, `w [C, F, KH, KW]`,
 * `dout [N, F, OH, OW]`.
 *
 * With `dcols[n] = im2col(dout[n])` `[F*KH*KW, H*W]` (the adjoint convolution's geometry) and
 * `Wmat = w` as `[C, F*KH*KW]`:
 * - `dx[n] = Wmat x dcols[n]`: an ordinary convolution of `dout` with the same weights
 *   (the transpose of the transpose)
 * - `dw = sum over n of x[n] [C, H*W] x dcols[n]^T`, reshaped to `[C, F, KH, KW]`
 * - `db[f] = sum over n, i, j of dout[n, f, i, j]`
 *
 * @param dout - upstream gradient, `[N, F, OH, OW]`, finite
 * @param cache - the `cache` returned by {@link convTranspose2dForward}
 * @returns `dx [N, C, H, W]`, `dw [C, F, KH, KW]`, `db [F]`: gradients of `sum(out * dout)`
 * @throws ShapeError if `dout` does not have the output's shape
 *   (`"convTranspose2dBackward: dout must have shape [1,2,8,8], got [1,2,7,7]"`)
 * @throws ValueError if `dout` has a NaN/infinite element or `cache` is not a transposed-convolution cache
 * @see PyTorch `ConvTranspose2d` (whose input gradient is `conv2d`); checked against numerical
 *   gradients and TensorFlow.js' `conv2dTranspose` gradients in this package's tests
 * @example
 * ```ts
 * const rng = new Rng(0);
 * const { out, cache } = convTranspose2dForward(rng.randn([1, 3, 4, 4]), rng.randn([3, 2, 4, 4]), Tensor.zeros([2]), { stride: 2, pad: 1 });
 * convTranspose2dBackward(Tensor.ones(out.shape), cache).db; // [64, 64]: 8x8 outputs per channel
 * ```
 */
export function convTranspose2dBackward(dout: Tensor, cache: ConvTranspose2dCache): { dx: Tensor; dw: Tensor; db: Tensor } {
  const op = 'convTranspose2dBackward';
  assertCache(op, cache, ['x', 'w', 'b', 'info'], 'convTranspose2dForward');
  const { x, w, info } = cache;
  assertShape(op, 'dout', dout, info.outShape);
  assertFinite(op, 'dout', dout);

  const { N, C, F, KH, KW, H, W, OH, OW } = info;
  const K = F * KH * KW;
  const P = H * W;
  const dx = Tensor.zeros(x.shape);
  const dw = Tensor.zeros(w.shape);
  const chunk = transposeChunkSize(info);
  withWorkspace((ws) => {
    const dcols = ws.take(chunk * K * P); // reused by every chunk
    for (const { start, count } of batchChunks(N, chunk)) {
      im2colChunk(dout.data, info.adjoint, start, count, dcols);
      for (let i = 0; i < count; i++) {
        const n = start + i;
        // dx[n] [C, P] = Wmat [C, K] x dcols[n] [K, P]
        gemm(C, P, K, w.data, 0, dcols, i * K * P, dx.data, n * C * P);
        // dw [C, K] += x[n] [C, P] x dcols[n]^T [P, K]
        gemm(C, K, P, x.data, n * C * P, dcols, i * K * P, dw.data, 0, { transB: true, accumulate: true });
      }
    }
  });
  const db = Tensor.zeros([F]);
  const dd = dout.data;
  const Q = OH * OW;
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      const base = (n * F + f) * Q;
      let s = 0;
      for (let q = 0; q < Q; q++) s += dd[base + q];
      db.data[f] += s;
    }
  }
  return { dx, dw, db };
}

/** Images per chunk: their columns `[count, F*KH*KW, H*W]` fill about 2 MiB (at most the batch). */
function transposeChunkSize(info: ConvTranspose2DInfo): number {
  const colsPerImage = info.F * info.KH * info.KW * info.H * info.W;
  return Math.min(info.N, imagesPerChunk(Math.max(1, colsPerImage) * Float64Array.BYTES_PER_ELEMENT));
}

/**
 * Weights and parameters of a transposed convolution that performs bilinear upsampling by an
 * integer factor, channel by channel: FCN initialises its upsampling layers this way (and may
 * then learn them).
 *
 * Kernel `K = 2*factor - factor % 2`, stride `factor`, padding `ceil((factor - 1) / 2)`, so the
 * output is exactly `factor` times larger: `OH = factor * H`. The kernel is the outer product of
 * the 1-D tent `1 - |k - center| / factor` (FCN's `upsample_filt`); channel `c` feeds only
 * output channel `c`.
 *
 * @param channels - number of channels C (input = output), integer >= 1
 * @param factor - upsampling factor, integer >= 1
 * @returns `w` `[C, C, K, K]` (zero except `w[c, c]`) and the `params` for {@link convTranspose2dForward}
 * @throws ValueError for a channel count or factor that is not an integer >= 1
 * @see Long et al. 2015, Section 3.3 and their `surgery.py` `upsample_filt`
 * @example
 * ```ts
 * const { w, params } = bilinearUpsampling(21, 2); // w [21, 21, 4, 4], stride 2, pad 1
 * convTranspose2dForward(Tensor.ones([1, 21, 8, 8]), w, Tensor.zeros([21]), params).out.shape; // [1, 21, 16, 16]
 * ```
 */
export function bilinearUpsampling(channels: number, factor: number): { w: Tensor; params: { stride: number; pad: number } } {
  const op = 'bilinearUpsampling';
  for (const [name, v] of [['channels', channels], ['factor', factor]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ValueError(op, `${name} must be an integer >= 1, got ${v}`);
  }
  const K = 2 * factor - (factor % 2);
  const center = K % 2 === 1 ? factor - 1 : factor - 0.5;
  const tent = Array.from({ length: K }, (_, k) => 1 - Math.abs(k - center) / factor);
  const w = Tensor.zeros([channels, channels, K, K]);
  for (let c = 0; c < channels; c++) {
    const base = (c * channels + c) * K * K;
    for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) w.data[base + i * K + j] = tent[i] * tent[j];
  }
  return { w, params: { stride: factor, pad: Math.ceil((factor - 1) / 2) } };
}
