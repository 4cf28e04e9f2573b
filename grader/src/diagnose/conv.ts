/**
 * Diagnoses of exercise 02 (convolution) and 03 (max pooling): what a wrong output or gradient
 * most likely means, found by recomputing known mistakes with the library's layers and
 * comparing.
 *
 * @module
 */
import { conv2dBackward, conv2dForward, convTranspose2dForward, maxPool2dForward } from '@dlkata/layers';
import { Tensor } from '@dlkata/tensor';
import { close, firstOfBatch } from './common.js';

/** Convolution hyper-parameters as the exercise takes them. */
export interface ConvParams {
  readonly stride: number;
  readonly pad: number;
}

function flipKernel(w: Tensor): Tensor {
  const [F, C, HH, WW] = w.shape;
  const out = Tensor.zeros(w.shape);
  for (let f = 0; f < F; f++) for (let c = 0; c < C; c++) for (let i = 0; i < HH; i++) for (let j = 0; j < WW; j++) out.set(w.get(f, c, HH - 1 - i, WW - 1 - j), f, c, i, j);
  return out;
}

/** `x` placed at the top-left of a zero array `2*pad` larger: padding on the bottom and right only. */
function padOneSide(x: Tensor, pad: number): Tensor {
  const [N, C, H, W] = x.shape;
  const out = Tensor.zeros([N, C, H + 2 * pad, W + 2 * pad]);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) out.set(x.get(n, c, h, w), n, c, h, w);
  return out;
}

/**
 * Explains a wrong `conv2dForward` output.
 *
 * Recognised: a flipped kernel (true convolution instead of the cross-correlation deep
 * learning calls convolution), the bias left out, padding only at the bottom and right, the
 * stride ignored inside the output size that was right.
 *
 * @param x - `[N, C, H, W]`; `w` `[F, C, HH, WW]`; `b` `[F]`
 * @param got - the student's `out`
 * @returns a sentence, or undefined when no known mistake matches
 * @example
 * ```ts
 * diagnoseConvForward(x, w, b, { stride: 1, pad: 0 }, conv2dForward(x, w, Tensor.zeros([F]), p).out);
 * // "Your output is the convolution without the bias: add b[f] to every output pixel of filter f."
 * ```
 */
export function diagnoseConvForward(x: Tensor, w: Tensor, b: Tensor, params: ConvParams, got: Tensor): string | undefined {
  if (close(got, conv2dForward(x, flipKernel(w), b, params).out) && !close(got, conv2dForward(x, w, b, params).out)) {
    return 'Your output is a true convolution (the kernel flipped): deep learning "convolution" is cross-correlation, out[i, j] = sum over (kh, kw) of x[i*s + kh, j*s + kw] * w[kh, kw], no flip.';
  }
  if (close(got, conv2dForward(x, w, Tensor.zeros(b.shape), params).out)) return 'Your output is the convolution without the bias: add b[f] to every output pixel of filter f.';
  if (params.pad > 0) {
    const oneSide = conv2dForward(padOneSide(x, params.pad), w, b, { stride: params.stride, pad: 0 }).out;
    if (oneSide.shape.join() === got.shape.join() && close(got, oneSide)) {
      return `Your padding is all at the bottom and right: the image must be shifted by pad = ${params.pad} so that pad zeros surround it on every side (x goes to xPad[h + pad, w + pad]).`;
    }
  }
  return undefined;
}

/**
 * Explains a wrong `conv2dBackward` gradient `dw` or `db` (the ones summed over the batch).
 *
 * Recognised: the first image only (no sum over the batch), the batch mean instead of the sum.
 *
 * @param which - `"dw"` or `"db"` (others return undefined)
 * @param dout - upstream gradient `[N, F, H', W']`
 * @param got - the student's gradient
 */
export function diagnoseConvBackward(which: 'dx' | 'dw' | 'db', x: Tensor, w: Tensor, b: Tensor, params: ConvParams, dout: Tensor, got: Tensor): string | undefined {
  if (which === 'dx' || x.shape[0] < 2) return undefined;
  const N = x.shape[0];
  const first = conv2dBackward(firstOfBatch(dout), conv2dForward(firstOfBatch(x), w, b, params).cache)[which];
  if (close(got, first)) return `Your ${which} is the gradient of the first image alone: ${which} must be summed over every image of the batch (n = 0..${N - 1}), since every image uses the same weights.`;
  const full = conv2dBackward(dout, conv2dForward(x, w, b, params).cache)[which];
  if (close(got, full.map((v) => v / N))) return `Your ${which} is the batch MEAN; the loss here is sum(dout * out), so ${which} is the SUM over the batch (do not divide by N = ${N}).`;
  return undefined;
}

/** Max pooling hyper-parameters as the exercise takes them. */
export interface PoolParams {
  readonly kernel: number;
  readonly stride: number;
}

/**
 * Explains a wrong `maxPool2dBackward` `dx`.
 *
 * Recognised: `=` instead of `+=` where windows overlap (stride < kernel), so an input that is
 * the maximum of two windows keeps only the last window's gradient.
 *
 * @param x - `[N, C, H, W]`; `dout` `[N, C, H', W']`
 * @param got - the student's `dx`
 */
export function diagnosePoolBackward(x: Tensor, params: PoolParams, dout: Tensor, got: Tensor): string | undefined {
  const { kernel: k, stride: s } = params;
  if (s >= k) return undefined;
  const out = maxPool2dForward(x, { kernel: k, stride: s }).out;
  const [N, C, OH, OW] = out.shape;
  const dx = Tensor.zeros(x.shape);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < OH; i++)
        for (let j = 0; j < OW; j++) {
          let best = -Infinity;
          let at: [number, number] = [0, 0];
          for (let a = 0; a < k; a++)
            for (let bb = 0; bb < k; bb++) {
              const v = x.get(n, c, i * s + a, j * s + bb);
              if (v > best) {
                best = v;
                at = [i * s + a, j * s + bb];
              }
            }
          dx.set(dout.get(n, c, i, j), n, c, at[0], at[1]);
        }
  if (close(got, dx)) {
    return `Missing += where windows overlap: with stride ${s} < kernel ${k} an input can be the maximum of two windows, and it must receive the SUM of their gradients; yours keeps only the last one (= instead of +=).`;
  }
  return undefined;
}

/** Transposed convolution hyper-parameters as exercise 07 takes them. */
export interface ConvTransposeParams {
  readonly stride: number;
  readonly pad: number;
  readonly outputPadding?: number;
}

/**
 * Explains a wrong `convTranspose2dForward` output.
 *
 * Recognised: `=` instead of `+=` where neighbouring pixels' kernels overlap (kernel larger
 * than the stride) or where input channels add up; the bias left out.
 *
 * @param x - `[N, C, H, W]`; `w` `[C, F, KH, KW]` (PyTorch's layout); `b` `[F]`
 * @param got - the student's `out`
 */
export function diagnoseConvTransposeForward(x: Tensor, w: Tensor, b: Tensor, params: ConvTransposeParams, got: Tensor): string | undefined {
  const [N, C, H, W] = x.shape;
  const [, F, KH, KW] = w.shape;
  const { stride, pad } = params;
  const op = params.outputPadding ?? 0;
  const Hout = (H - 1) * stride - 2 * pad + KH + op;
  const Wout = (W - 1) * stride - 2 * pad + KW + op;
  if (got.shape.join() !== [N, F, Hout, Wout].join()) return undefined;
  let right: Tensor;
  let noBias: Tensor;
  try {
    right = convTranspose2dForward(x, w, b, { stride, pad, outputPadding: op }).out;
    noBias = convTranspose2dForward(x, w, Tensor.zeros([F]), { stride, pad, outputPadding: op }).out;
  } catch {
    return undefined; // parameters the reference refuses: nothing to explain
  }
  // "= instead of +=": each output keeps only the contribution written last in the natural
  // loop order (channel c, then input row i, then column j). For an output (r, s) the kernel
  // offsets are fixed by (i, j): kh = r + pad - i * stride, kw = s + pad - j * stride.
  const lastWriteWins = Tensor.zeros(got.shape);
  for (let n = 0; n < N; n++)
    for (let f = 0; f < F; f++)
      for (let r = 0; r < Hout; r++)
        for (let q = 0; q < Wout; q++) {
          let v = 0;
          search: for (let c = C - 1; c >= 0; c--)
            for (let i = H - 1; i >= 0; i--) {
              const kh = r + pad - i * stride;
              if (kh < 0 || kh >= KH) continue;
              for (let j = W - 1; j >= 0; j--) {
                const kw = q + pad - j * stride;
                if (kw < 0 || kw >= KW) continue;
                v = x.get(n, c, i, j) * w.get(c, f, kh, kw);
                break search;
              }
            }
          lastWriteWins.set(v + b.data[f], n, f, r, q);
        }
  if (close(got, lastWriteWins) && !close(lastWriteWins, right)) {
    return `Missing += where contributions meet: with kernel ${KH}x${KW} and stride ${stride}, neighbouring pixels' kernels overlap in the output (and every input channel adds to the same outputs); each contribution must be ADDED to out, not written over it.`;
  }
  if (close(got, noBias)) return 'Your output leaves out the bias: add b[f] once to every output pixel of channel f.';
  return undefined;
}
