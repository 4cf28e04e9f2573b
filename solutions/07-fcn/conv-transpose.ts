/**
 * Exercise 07, part 1: the transposed convolution, FCN's "learned upsampling", forward and
 * backward, with PyTorch's `ConvTranspose2d` conventions; and the bilinear kernel FCN starts
 * its upsampling layers from.
 *
 * Naive loops on purpose: each line is one term of the formula in the README. The library
 * version in `@dlkata/layers` computes the same numbers with a matrix multiply and col2im.
 *
 * @module
 */
import { assertNdim, assertShape, formatShape, ShapeError, Tensor, ValueError } from '@dlkata/tensor';

/** Stride, padding and output padding of a transposed convolution, the same along height and width. */
export interface ConvTransposeParams {
  /** Step of the convolution this op transposes, an integer `>= 1`: the upsampling factor. */
  stride: number;
  /** Padding of that convolution, an integer `>= 0`: `pad` rows and columns are cut from each side of the output. */
  pad: number;
  /** Extra rows and columns at the bottom and right of the output, an integer in `[0, stride)`. Default 0. */
  outputPadding?: number;
}

/** What {@link convTranspose2dBackward} needs from {@link convTranspose2dForward}. Opaque: pass it on unchanged. */
export interface ConvTransposeCache {
  /** The input, `[N, C, H, W]`. */
  readonly x: Tensor;
  /** The weights, `[C, F, KH, KW]`. */
  readonly w: Tensor;
  /** The biases, `[F]`. */
  readonly b: Tensor;
  /** Stride, padding and output padding of the forward pass. */
  readonly params: Readonly<Required<ConvTransposeParams>>;
}

/**
 * Output size of a transposed convolution along one dimension (PyTorch's `ConvTranspose2d`
 * formula with dilation 1):
 *
 * `out = (size - 1)*stride - 2*pad + kernel + outputPadding`
 *
 * It inverts the convolution's `size = floor((out + 2*pad - kernel) / stride) + 1`: a
 * convolution with the same kernel, stride and padding maps `out` back to `size`. Because
 * that convolution rounds down, several `out` map to the same `size`; `outputPadding` (smaller
 * than the stride) picks one of them.
 *
 * @param size - input size `H` (or `W`), an integer `>= 1`
 * @param kernel - kernel size `KH` (or `KW`), an integer `>= 1`
 * @param stride - an integer `>= 1`
 * @param pad - an integer `>= 0`
 * @param outputPadding - an integer in `[0, stride)`, default 0
 * @returns the output size, `>= 1`
 * @throws ValueError if an argument is not an integer in range, or `outputPadding >= stride`:
 *   `"convTransposeOutputSize: outputPadding must be smaller than the stride (2), got 2"`
 * @throws ShapeError if the padding leaves no output:
 *   `"convTransposeOutputSize: (1 - 1)*1 - 2*2 + 3 + 0 = -1 is not positive"`
 * @see PyTorch `torch.nn.ConvTranspose2d` (shape section); Dumoulin and Visin 2016, "A guide to
 *   convolution arithmetic for deep learning", Relationship 14
 * @example
 * ```ts
 * convTransposeOutputSize(8, 4, 2, 1);    // 16: FCN's x2 upsampling (kernel 4, stride 2, pad 1)
 * convTransposeOutputSize(4, 3, 2, 1, 1); // 8 = (4 - 1)*2 - 2 + 3 + 1
 * convTransposeOutputSize(5, 3, 1, 0);    // 7: stride 1 grows by kernel - 1
 * ```
 */
export function convTransposeOutputSize(size: number, kernel: number, stride: number, pad: number, outputPadding = 0): number {
  // BEGIN SOLUTION: convTransposeOutputSize: the output length of a transposed convolution along one axis (PyTorch's ConvTranspose2d formula, README "The math") from size, kernel, stride, pad and outputPadding; bad arguments throw as the docstring says
  const args = [
    ['size', size, 1],
    ['kernel', kernel, 1],
    ['stride', stride, 1],
    ['pad', pad, 0],
    ['outputPadding', outputPadding, 0],
  ] as const;
  for (const [name, value, min] of args) {
    if (!Number.isInteger(value) || value < min) {
      throw new ValueError('convTransposeOutputSize', `${name} must be an integer >= ${min}, got ${value}`);
    }
  }
  if (outputPadding >= stride) {
    throw new ValueError('convTransposeOutputSize', `outputPadding must be smaller than the stride (${stride}), got ${outputPadding}`);
  }
  const out = (size - 1) * stride - 2 * pad + kernel + outputPadding;
  if (out < 1) {
    throw new ShapeError('convTransposeOutputSize', `(${size} - 1)*${stride} - 2*${pad} + ${kernel} + ${outputPadding} = ${out} is not positive`);
  }
  return out;
  // END SOLUTION
}

/**
 * Transposed convolution, forward pass (PyTorch's `ConvTranspose2d`, one group, dilation 1).
 *
 * Dimensions: N batch, C input channels, H x W input, F output channels, KH x KW kernel,
 * H' x W' output with `H' = (H - 1)*stride - 2*pad + KH + outputPadding` (see
 * {@link convTransposeOutputSize}), likewise `W'`.
 *
 * Every input pixel scatters a copy of the kernel, scaled by its value, into the output:
 *
 * `out[n, f, i*stride - pad + kh, j*stride - pad + kw] += x[n, c, i, j] * w[c, f, kh, kw]`
 *
 * for all `n, c, i, j, f, kh, kw`; positions outside `[0, H') x [0, W')` are dropped (they
 * are the cut padding). Then `b[f]` is added to every output pixel of channel `f`. Where the
 * scattered kernels overlap (kernel larger than the stride) their contributions add up. With
 * stride 2 the output is about twice as large: the upsampling FCN uses to bring coarse class
 * scores back to the input's resolution.
 *
 * @param x - input, shape `[N, C, H, W]`
 * @param w - weights, shape `[C, F, KH, KW]`: PyTorch's `ConvTranspose2d.weight` layout,
 *   input channels first (the layout of the convolution it transposes, `[C_out, C_in, KH, KW]`
 *   of that convolution)
 * @param b - biases, shape `[F]`
 * @param params - `stride`, `pad`, `outputPadding` (default 0)
 * @returns `out`, shape `[N, F, H', W']`, and the `cache` that {@link convTranspose2dBackward} needs
 * @throws ShapeError if `x` or `w` is not 4-D, `b` is not `[F]`, the channels differ
 *   (`"convTranspose2dForward: input channels (3) must match w's first dimension (4); x [1,3,4,4], w [4,2,3,3]"`),
 *   or the output would be empty
 * @throws ValueError if the stride, padding or output padding is out of range
 * @see the lecture, item 11 (semantic segmentation with fully convolutional networks); Long,
 *   Shelhamer and Darrell 2015, Section 3.3 ("upsampling is backwards strided convolution");
 *   PyTorch `torch.nn.ConvTranspose2d`
 * @example
 * ```ts
 * const x = Tensor.from([[[[1, 2], [3, 4]]]]);                         // [1, 1, 2, 2]
 * const { out } = convTranspose2dForward(x, Tensor.ones([1, 1, 2, 2]), Tensor.zeros([1]), { stride: 2, pad: 0 });
 * // out [1, 1, 4, 4]: every pixel becomes a 2x2 block of its value
 * ```
 */
export function convTranspose2dForward(x: Tensor, w: Tensor, b: Tensor, params: ConvTransposeParams): { out: Tensor; cache: ConvTransposeCache } {
  checkInputs('convTranspose2dForward', x, w, b);
  const { stride, pad } = params;
  const outputPadding = params.outputPadding ?? 0;
  const [N, C, H, W] = x.shape;
  const [, F, KH, KW] = w.shape;
  // BEGIN SOLUTION: convTranspose2dForward: the transposed convolution of x [N, C, H, W] with w [C, F, HH, WW] plus b [F] (README "The math"): out [N, F, H', W'] with H', W' from convTransposeOutputSize, and the cache the backward pass needs
  const Hout = convTransposeOutputSize(H, KH, stride, pad, outputPadding);
  const Wout = convTransposeOutputSize(W, KW, stride, pad, outputPadding);
  const out = Tensor.zeros([N, F, Hout, Wout]);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < W; j++) {
          const v = x.get(n, c, i, j);
          for (let f = 0; f < F; f++) {
            for (let kh = 0; kh < KH; kh++) {
              const r = i * stride - pad + kh;
              if (r < 0 || r >= Hout) continue; // cut by the padding
              for (let kw = 0; kw < KW; kw++) {
                const s = j * stride - pad + kw;
                if (s < 0 || s >= Wout) continue;
                // += : neighbouring pixels' kernels overlap when the kernel is larger than the stride
                out.data[out.offset(n, f, r, s)] += v * w.get(c, f, kh, kw);
              }
            }
          }
        }
      }
    }
  }
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let r = 0; r < Hout; r++) {
        for (let s = 0; s < Wout; s++) out.data[out.offset(n, f, r, s)] += b.get(f);
      }
    }
  }
  return { out, cache: { x, w, b, params: { stride, pad, outputPadding } } };
  // END SOLUTION
}

/**
 * Transposed convolution, backward pass.
 *
 * Dimensions as in {@link convTranspose2dForward}: `x [N, C, H, W]`, `w [C, F, KH, KW]`,
 * `dout [N, F, H', W']`.
 *
 * Every term `x[n, c, i, j] * w[c, f, kh, kw]` that the forward pass added to
 * `out[n, f, r, s]` (with `r = i*stride - pad + kh`, `s = j*stride - pad + kw` inside the
 * output) sends `dout[n, f, r, s]` times the other factor to each factor's gradient; `b[f]`
 * receives `dout[n, f, r, s]` from every output pixel. Terms the forward pass dropped (outside
 * the output) send nothing.
 *
 * The result for `dx` is an ordinary convolution of `dout` with the same weights, stride and
 * padding: the transpose of a transposed convolution is the convolution.
 *
 * @param dout - upstream gradient, shape `[N, F, H', W']`
 * @param cache - the `cache` returned by {@link convTranspose2dForward}
 * @returns `dx` `[N, C, H, W]`, `dw` `[C, F, KH, KW]` and `db` `[F]`
 * @throws ShapeError if `dout` is not `[N, F, H', W']`:
 *   `"convTranspose2dBackward: dout must have shape [1,2,8,8], got [1,2,7,7]"`
 * @see PyTorch `ConvTranspose2d`, whose input gradient is `conv2d`
 */
export function convTranspose2dBackward(dout: Tensor, cache: ConvTransposeCache): { dx: Tensor; dw: Tensor; db: Tensor } {
  const { x, w, b, params } = cache;
  const { stride, pad, outputPadding } = params;
  const [N, C, H, W] = x.shape;
  const [, F, KH, KW] = w.shape;
  const Hout = convTransposeOutputSize(H, KH, stride, pad, outputPadding);
  const Wout = convTransposeOutputSize(W, KW, stride, pad, outputPadding);
  assertShape('convTranspose2dBackward', 'dout', dout, [N, F, Hout, Wout]);
  // BEGIN SOLUTION: convTranspose2dBackward: from dout [N, F, H', W'] and the cache, the gradients dx [N, C, H, W], dw [C, F, HH, WW] and db [F]
  const dx = Tensor.zeros(x.shape);
  const dw = Tensor.zeros(w.shape);
  const db = Tensor.zeros(b.shape);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let r = 0; r < Hout; r++) {
        for (let s = 0; s < Wout; s++) db.data[f] += dout.get(n, f, r, s);
      }
    }
  }
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < W; j++) {
          const v = x.get(n, c, i, j);
          for (let f = 0; f < F; f++) {
            for (let kh = 0; kh < KH; kh++) {
              const r = i * stride - pad + kh;
              if (r < 0 || r >= Hout) continue;
              for (let kw = 0; kw < KW; kw++) {
                const s = j * stride - pad + kw;
                if (s < 0 || s >= Wout) continue;
                const g = dout.get(n, f, r, s);
                dx.data[dx.offset(n, c, i, j)] += g * w.get(c, f, kh, kw);
                dw.data[dw.offset(c, f, kh, kw)] += g * v;
              }
            }
          }
        }
      }
    }
  }
  return { dx, dw, db };
  // END SOLUTION
}

/**
 * Weights of a transposed convolution that upsamples every channel by an integer factor with
 * bilinear interpolation: FCN initialises its upsampling layers this way (and may then learn
 * them).
 *
 * Kernel size `K = 2*factor - factor % 2`, stride `factor`, padding `ceil((factor - 1) / 2)`,
 * so the output is exactly `factor` times larger. The kernel is the outer product of the 1-D
 * "tent" `t[k] = 1 - |k - center| / factor` with `center = factor - 1` for odd `K` and
 * `factor - 0.5` for even `K`: `w[c, c, kh, kw] = t[kh] * t[kw]`. Channel `c` feeds only output
 * channel `c`, so every other entry of `w` is 0.
 *
 * @param channels - number of channels C (input = output), an integer `>= 1`
 * @param factor - upsampling factor, an integer `>= 1`
 * @returns `w` of shape `[C, C, K, K]` and the `params` `{ stride, pad }` for {@link convTranspose2dForward}
 * @throws ValueError if `channels` or `factor` is not an integer `>= 1`
 * @see Long et al. 2015, Section 3.3; their `surgery.py`, `upsample_filt`
 * @example
 * ```ts
 * bilinearUpsampling(1, 2).w; // [1, 1, 4, 4], rows and columns weighted by [0.25, 0.75, 0.75, 0.25]
 * bilinearUpsampling(3, 2).params; // { stride: 2, pad: 1 }
 * ```
 */
export function bilinearUpsampling(channels: number, factor: number): { w: Tensor; params: { stride: number; pad: number } } {
  for (const [name, v] of [['channels', channels], ['factor', factor]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ValueError('bilinearUpsampling', `${name} must be an integer >= 1, got ${v}`);
  }
  // BEGIN SOLUTION: bilinearUpsampling: the fixed weights w [C, C, K, K] and params { stride, pad } of a transposed convolution that upsamples every channel by `factor` bilinearly, as FCN initialises it (README task 4 gives K, the kernel values and the padding)
  const K = 2 * factor - (factor % 2);
  const center = K % 2 === 1 ? factor - 1 : factor - 0.5;
  const tent = Array.from({ length: K }, (_, k) => 1 - Math.abs(k - center) / factor);
  const w = Tensor.zeros([channels, channels, K, K]);
  for (let c = 0; c < channels; c++) {
    for (let kh = 0; kh < K; kh++) {
      for (let kw = 0; kw < K; kw++) w.set(tent[kh] * tent[kw], c, c, kh, kw);
    }
  }
  return { w, params: { stride: factor, pad: Math.ceil((factor - 1) / 2) } };
  // END SOLUTION
}

/** Checks the shapes of a transposed convolution's inputs; the parameters are checked by {@link convTransposeOutputSize}. */
function checkInputs(op: string, x: Tensor, w: Tensor, b: Tensor): void {
  assertNdim(op, 'x', x, 4, '[N, C, H, W]');
  assertNdim(op, 'w', w, 4, '[C, F, KH, KW]');
  if (x.shape[1] !== w.shape[0]) {
    throw new ShapeError(
      op,
      `input channels (${x.shape[1]}) must match w's first dimension (${w.shape[0]}); x ${formatShape(x.shape)}, w ${formatShape(w.shape)}`,
    );
  }
  assertShape(op, 'b', b, [w.shape[1]]);
}
