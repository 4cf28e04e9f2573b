/**
 * Exercise 02: convolution, forward and backward, and the 1x1 convolution.
 *
 * Naive loops on purpose: each line is one term of the formula in the README. The library
 * version in `@dlkata/layers` computes the same numbers with im2col and a matrix multiply.
 *
 * @module
 */
import { assertNdim, assertShape, formatShape, ShapeError, Tensor, ValueError } from '@dlkata/tensor';

/** Stride and zero padding of a convolution, the same along height and width. */
export interface ConvParams {
  /** Step between neighbouring receptive fields, an integer `>= 1`. */
  stride: number;
  /** Zeros added on each side of the height and the width, an integer `>= 0`. Stride 1 with `pad = (HH - 1) / 2` is "same". */
  pad: number;
}

/** What {@link conv2dBackward} needs from {@link conv2dForward}. Opaque: pass it on unchanged. */
export interface ConvCache {
  /** The input, `[N, C, H, W]`. */
  readonly x: Tensor;
  /** The filters, `[F, C, HH, WW]`. */
  readonly w: Tensor;
  /** The biases, `[F]`. */
  readonly b: Tensor;
  /** Stride and padding of the forward pass. */
  readonly params: Readonly<ConvParams>;
}

/**
 * Output size of a convolution along one dimension (PyTorch's `Conv2d` formula with
 * dilation 1, the lecture's and CS231n's `H' = 1 + (H + 2*pad - HH) / stride`):
 *
 * `out = floor((size + 2*pad - kernel) / stride) + 1`
 *
 * The division rounds down: positions where the window would hang over the padded edge are
 * dropped, as in PyTorch.
 *
 * @param size - input size `H` (or `W`), an integer `>= 1`
 * @param kernel - kernel size `HH` (or `WW`), an integer `>= 1`
 * @param stride - an integer `>= 1`
 * @param pad - zeros on each side, an integer `>= 0`
 * @returns the output size `H'` (or `W'`), `>= 1`
 * @throws ValueError if an argument is not an integer in range: `"convOutputSize: stride must be an integer >= 1, got 0"`
 * @throws ShapeError if the kernel does not fit the padded input:
 *   `"convOutputSize: kernel 5 does not fit input 3 with padding 0"`
 * @see PyTorch `torch.nn.Conv2d` (shape section); CS231n `conv_forward_naive`
 * @example
 * ```ts
 * convOutputSize(32, 5, 1, 0); // 28: LeNet's first convolution
 * convOutputSize(32, 3, 1, 1); // 32: a "same" 3x3 convolution (VGG)
 * convOutputSize(8, 3, 2, 0);  // 3 = floor(5 / 2) + 1
 * ```
 */
export function convOutputSize(size: number, kernel: number, stride: number, pad: number): number {
  // BEGIN SOLUTION: convOutputSize: the output length of a convolution along one axis, from size, kernel, stride and pad (PyTorch's formula, README "The math"); bad arguments throw ValueError or ShapeError as the docstring says
  const args = [
    ['size', size, 1],
    ['kernel', kernel, 1],
    ['stride', stride, 1],
    ['pad', pad, 0],
  ] as const;
  for (const [name, value, min] of args) {
    if (!Number.isInteger(value) || value < min) {
      throw new ValueError('convOutputSize', `${name} must be an integer >= ${min}, got ${value}`);
    }
  }
  if (kernel > size + 2 * pad) {
    throw new ShapeError('convOutputSize', `kernel ${kernel} does not fit input ${size} with padding ${pad}`);
  }
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
  // END SOLUTION
}

/**
 * Zero padding of the height and the width, the input in the middle.
 *
 * Dimensions: N batch, C channels, H x W image.
 *
 * @param x - input, shape `[N, C, H, W]`
 * @param pad - zeros on each side, an integer `>= 0`
 * @returns shape `[N, C, H + 2*pad, W + 2*pad]`, with `x[n, c, h, w]` at `[n, c, h + pad, w + pad]`
 */
function zeroPad(x: Tensor, pad: number): Tensor {
  // BEGIN SOLUTION: zeroPad: x [N, C, H, W] with pad zeros added on both sides of H and of W: a new tensor [N, C, H + 2 * pad, W + 2 * pad]
  const [N, C, H, W] = x.shape;
  const xPad = Tensor.zeros([N, C, H + 2 * pad, W + 2 * pad]);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let h = 0; h < H; h++) {
        for (let col = 0; col < W; col++) {
          xPad.set(x.get(n, c, h, col), n, c, h + pad, col + pad);
        }
      }
    }
  }
  return xPad;
  // END SOLUTION
}

/**
 * Convolution layer, forward pass (strictly: cross-correlation, as in every deep-learning
 * library; the filter is not flipped).
 *
 * Dimensions: N batch, C input channels, H x W input, F filters, HH x WW filter.
 * Output size: `H' = floor((H + 2*pad - HH) / stride) + 1`, likewise `W'` (see {@link convOutputSize}).
 *
 * `out[n, f, i, j] = b[f] + sum over c, kh, kw of w[f, c, kh, kw] * xPad[n, c, i*stride + kh, j*stride + kw]`,
 * where `xPad` is `x` with `pad` zeros on each side of the height and the width.
 *
 * @param x - input, shape `[N, C, H, W]`
 * @param w - filters, shape `[F, C, HH, WW]`; every filter spans all C channels
 * @param b - biases, shape `[F]`, one per filter
 * @param params - `stride` (integer `>= 1`) and `pad` (integer `>= 0`)
 * @returns `out`, shape `[N, F, H', W']`, and the `cache` that {@link conv2dBackward} needs
 * @throws ShapeError if `x` or `w` is not 4-D, `b` is not `[F]`, the channels differ
 *   (`"conv2dForward: input channels (3) must match filter channels (4); x [2,3,8,8], w [4,4,3,3]"`),
 *   or a filter does not fit the padded input
 * @throws ValueError if the stride or the padding is out of range
 * @see the lecture (convolutions, "same" padding, VGG's 3x3 stride-1 convolutions);
 *   CS231n `conv_forward_naive`; PyTorch `torch.nn.functional.conv2d`
 * @example
 * ```ts
 * const x = new Rng(0).randn([2, 3, 8, 8]);
 * const w = new Rng(1).randn([4, 3, 3, 3]);
 * const { out } = conv2dForward(x, w, Tensor.zeros([4]), { stride: 1, pad: 1 }); // out [2, 4, 8, 8]: "same"
 * ```
 */
export function conv2dForward(x: Tensor, w: Tensor, b: Tensor, params: ConvParams): { out: Tensor; cache: ConvCache } {
  checkConvInputs('conv2dForward', x, w, b);
  const { stride, pad } = params;
  const [N, C, H, W] = x.shape;
  const [F, , HH, WW] = w.shape;
  // BEGIN SOLUTION: conv2dForward: the convolution of x [N, C, H, W] with the filters w [F, C, HH, WW] plus the bias b [F], at params.stride and params.pad: out [N, F, H', W'] (H', W' from convOutputSize) and the cache the backward pass needs; zeroPad helps
  const Hout = convOutputSize(H, HH, stride, pad);
  const Wout = convOutputSize(W, WW, stride, pad);
  const xPad = zeroPad(x, pad);
  const out = Tensor.zeros([N, F, Hout, Wout]);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let i = 0; i < Hout; i++) {
        for (let j = 0; j < Wout; j++) {
          // The receptive field of out[n, f, i, j] starts at row i * stride, column j * stride of xPad.
          let s = b.get(f);
          for (let c = 0; c < C; c++) {
            for (let kh = 0; kh < HH; kh++) {
              for (let kw = 0; kw < WW; kw++) {
                s += w.get(f, c, kh, kw) * xPad.get(n, c, i * stride + kh, j * stride + kw);
              }
            }
          }
          out.set(s, n, f, i, j);
        }
      }
    }
  }
  return { out, cache: { x, w, b, params: { stride, pad } } };
  // END SOLUTION
}

/**
 * Convolution layer, backward pass.
 *
 * Dimensions: N batch, C input channels, H x W input, F filters, HH x WW filter, H' x W' output.
 *
 * Every term `w[f, c, kh, kw] * xPad[n, c, i*stride + kh, j*stride + kw]` of the forward sum
 * sends `dout[n, f, i, j]` times the other factor to each factor's gradient; `b[f]` receives
 * `dout[n, f, i, j]` from every output position. Where receptive fields overlap (stride
 * smaller than the filter), the contributions to `dx` add up. Gradients that land on the
 * padding are dropped.
 *
 * @param dout - upstream gradient, shape `[N, F, H', W']`
 * @param cache - the `cache` returned by {@link conv2dForward}
 * @returns `dx` `[N, C, H, W]`, `dw` `[F, C, HH, WW]` and `db` `[F]`: the gradients of the loss
 *   with respect to `x`, `w` and `b`
 * @throws ShapeError if `dout` is not `[N, F, H', W']`:
 *   `"conv2dBackward: dout must have shape [2,4,8,8], got [2,4,7,7]"`
 * @see CS231n `conv_backward_naive`; PyTorch `torch.nn.grad.conv2d_input` / `conv2d_weight`
 */
export function conv2dBackward(dout: Tensor, cache: ConvCache): { dx: Tensor; dw: Tensor; db: Tensor } {
  const { x, w, b, params } = cache;
  const { stride, pad } = params;
  const [N, C, H, W] = x.shape;
  const [F, , HH, WW] = w.shape;
  const Hout = convOutputSize(H, HH, stride, pad);
  const Wout = convOutputSize(W, WW, stride, pad);
  assertShape('conv2dBackward', 'dout', dout, [N, F, Hout, Wout]);
  // BEGIN SOLUTION: conv2dBackward: from dout [N, F, H', W'] and the forward cache, the gradients dx [N, C, H, W], dw [F, C, HH, WW] and db [F] of the loss
  const xPad = zeroPad(x, pad);
  const dxPad = Tensor.zeros(xPad.shape);
  const dw = Tensor.zeros(w.shape);
  const db = Tensor.zeros(b.shape);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let i = 0; i < Hout; i++) {
        for (let j = 0; j < Wout; j++) {
          const g = dout.get(n, f, i, j);
          db.data[f] += g;
          for (let c = 0; c < C; c++) {
            for (let kh = 0; kh < HH; kh++) {
              for (let kw = 0; kw < WW; kw++) {
                const r = i * stride + kh;
                const s = j * stride + kw;
                // += : overlapping receptive fields share input pixels; every use adds its share.
                dw.data[dw.offset(f, c, kh, kw)] += g * xPad.get(n, c, r, s);
                dxPad.data[dxPad.offset(n, c, r, s)] += g * w.get(f, c, kh, kw);
              }
            }
          }
        }
      }
    }
  }
  const dx = Tensor.zeros(x.shape);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let h = 0; h < H; h++) {
        for (let col = 0; col < W; col++) {
          dx.set(dxPad.get(n, c, h + pad, col + pad), n, c, h, col);
        }
      }
    }
  }
  return { dx, dw, db };
  // END SOLUTION
}

/**
 * 1x1 convolution: the same linear map across channels at every pixel.
 *
 * Dimensions: N batch, C input channels, H x W image, F filters.
 *
 * `out[n, f, h, w] = b[f] + sum over c of w[f, c] * x[n, c, h, w]`
 *
 * At each pixel this is a matrix-vector product: the C values of the pixel times the
 * `[F, C]` matrix `w`, plus `b`. Height and width are kept (a 1x1 window never hangs over
 * the edge), while the number of channels changes from C to F. The lecture uses it to shrink
 * channels cheaply: 32x32x200 through 32 filters gives 32x32x32 (`x [N, 200, 32, 32]`,
 * `w [32, 200]`, `out [N, 32, 32, 32]`); with one input channel and the single weight 2 it
 * doubles the image. It equals {@link conv2dForward} with filters `[F, C, 1, 1]`, stride 1,
 * pad 0.
 *
 * @param x - input, shape `[N, C, H, W]`
 * @param w - weights, shape `[F, C]`: filter f's weight for input channel c
 * @param b - biases, shape `[F]`
 * @returns `out`, shape `[N, F, H, W]`
 * @throws ShapeError if `x` is not 4-D, `w` is not 2-D, `b` is not `[F]`, or the channels differ:
 *   `"conv1x1: input channels (200) must match filter channels (100); x [1,200,32,32], w [32,100]"`
 * @see the lecture (1x1 convolutions, worked example and channel reduction; the inception
 *   module's bottleneck); Lin et al. 2013, "Network in Network"
 */
export function conv1x1(x: Tensor, w: Tensor, b: Tensor): Tensor {
  const op = 'conv1x1';
  assertNdim(op, 'x', x, 4, '[N, C, H, W]');
  assertNdim(op, 'w', w, 2, '[F, C]');
  const [N, C, H, W] = x.shape;
  const [F, wC] = w.shape;
  if (wC !== C) {
    throw new ShapeError(op, `input channels (${C}) must match filter channels (${wC}); x ${formatShape(x.shape)}, w ${formatShape(w.shape)}`);
  }
  assertShape(op, 'b', b, [F]);
  // BEGIN SOLUTION: conv1x1: the 1x1 convolution of x [N, C, H, W] with w [F, C] and b [F]: out [N, F, H, W], the same [F, C] matrix applied to every pixel's C channels (matmul can do the channel mixing)
  const P = H * W; // pixels per channel; pixel p = h * W + w sits at x.data[(n * C + c) * P + p]
  const out = Tensor.zeros([N, F, H, W]);
  for (let n = 0; n < N; n++) {
    for (let p = 0; p < P; p++) {
      // One pixel: the vector x[n, :, h, w] of length C goes through the [F, C] matrix w.
      for (let f = 0; f < F; f++) {
        let s = b.data[f];
        for (let c = 0; c < C; c++) s += w.data[f * C + c] * x.data[(n * C + c) * P + p];
        out.data[(n * F + f) * P + p] = s;
      }
    }
  }
  return out;
  // END SOLUTION
}

/** Checks the shapes of a convolution's inputs; the parameters are checked by {@link convOutputSize}. */
function checkConvInputs(op: string, x: Tensor, w: Tensor, b: Tensor): void {
  assertNdim(op, 'x', x, 4, '[N, C, H, W]');
  assertNdim(op, 'w', w, 4, '[F, C, HH, WW]');
  if (x.shape[1] !== w.shape[1]) {
    throw new ShapeError(
      op,
      `input channels (${x.shape[1]}) must match filter channels (${w.shape[1]}); x ${formatShape(x.shape)}, w ${formatShape(w.shape)}`,
    );
  }
  assertShape(op, 'b', b, [w.shape[0]]);
}
