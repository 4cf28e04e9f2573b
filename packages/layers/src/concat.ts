/**
 * Concatenating feature maps along the channel axis, and splitting them again (the gradient of
 * one is the other). Used by the inception block's depth concatenation.
 *
 * @module
 */
import { assertNdim, formatShape, ShapeError, Tensor, ValueError } from '@dlkata/tensor';

/**
 * Concatenates NCHW tensors along the channel axis (`torch.cat(xs, dim=1)`, Caffe's "Concat"
 * layer, GoogLeNet's "DepthConcat").
 *
 * Dimensions: N batch, C_i channels of the i-th tensor, H x W image.
 *
 * The gradient of `out` with respect to `xs[i]` is its slice of `dout`:
 * `splitChannels(dout, xs.map((x) => x.shape[1]))`. Concatenation copies; the result shares no
 * data with the inputs.
 *
 * @param xs - at least one tensor, each `[N, C_i, H, W]` with the same N, H and W (`C_i` may be 0)
 * @returns `[N, C_0 + C_1 + ..., H, W]`: channels of `xs[0]` first, then those of `xs[1]`, ...
 * @throws ShapeError if a tensor is not 4-D or N, H or W differ
 *   (`"concatChannels: xs[1] has shape [2,3,4,5] but xs[0] has [2,1,4,4]; N, H and W must agree"`)
 * @throws ValueError if `xs` is not a non-empty array
 * @example
 * ```ts
 * concatChannels([Tensor.zeros([2, 3, 8, 8]), Tensor.ones([2, 5, 8, 8])]).shape; // [2, 8, 8, 8]
 * ```
 */
export function concatChannels(xs: readonly Tensor[]): Tensor {
  const op = 'concatChannels';
  if (!Array.isArray(xs) || xs.length === 0) {
    throw new ValueError(op, `xs must be a non-empty array of [N, C, H, W] tensors, got ${Array.isArray(xs) ? 'an empty array' : typeof xs}`);
  }
  xs.forEach((x, i) => assertNdim(op, `xs[${i}]`, x, 4, '[N, C, H, W]'));
  const [N, , H, W] = xs[0].shape;
  for (let i = 1; i < xs.length; i++) {
    const s = xs[i].shape;
    if (s[0] !== N || s[2] !== H || s[3] !== W) {
      throw new ShapeError(op, `xs[${i}] has shape ${formatShape(s)} but xs[0] has ${formatShape(xs[0].shape)}; N, H and W must agree`);
    }
  }
  const HW = H * W;
  const total = xs.reduce((a, x) => a + x.shape[1], 0);
  const out = Tensor.zeros([N, total, H, W]);
  for (let n = 0; n < N; n++) {
    let at = n * total * HW;
    for (const x of xs) {
      const block = x.shape[1] * HW;
      out.data.set(x.data.subarray(n * block, (n + 1) * block), at);
      at += block;
    }
  }
  return out;
}

/**
 * Splits an NCHW tensor along the channel axis into consecutive groups (`torch.split(x, sizes,
 * dim=1)`, copied): the inverse of {@link concatChannels}, and its backward pass.
 *
 * Dimensions: N batch, C channels, H x W image, C_i the size of group i.
 *
 * @param x - `[N, C, H, W]`
 * @param sizes - channel counts `C_i`, integers >= 0 summing to C
 * @returns one tensor `[N, C_i, H, W]` per size, channels in order
 * @throws ShapeError if `x` is not 4-D or the sizes do not add up to C
 *   (`"splitChannels: sizes [2,3] add up to 5 but x has 6 channels; x [1,6,4,4]"`)
 * @throws ValueError for a size that is not an integer >= 0
 * @example
 * ```ts
 * splitChannels(Tensor.zeros([2, 8, 4, 4]), [3, 5]).map((t) => t.shape); // [[2, 3, 4, 4], [2, 5, 4, 4]]
 * ```
 */
export function splitChannels(x: Tensor, sizes: readonly number[]): Tensor[] {
  const op = 'splitChannels';
  assertNdim(op, 'x', x, 4, '[N, C, H, W]');
  if (!Array.isArray(sizes)) throw new ValueError(op, `sizes must be an array of channel counts, got ${typeof sizes}`);
  for (const s of sizes) {
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0) throw new ValueError(op, `every size must be an integer >= 0, got ${String(s)}`);
  }
  const [N, C, H, W] = x.shape;
  const total = sizes.reduce((a, s) => a + s, 0);
  if (total !== C) {
    throw new ShapeError(op, `sizes [${sizes.join(',')}] add up to ${total} but x has ${C} channels; x ${formatShape(x.shape)}`);
  }
  const HW = H * W;
  const outs = sizes.map((s) => Tensor.zeros([N, s, H, W]));
  for (let n = 0; n < N; n++) {
    let at = n * C * HW;
    sizes.forEach((s, i) => {
      const block = s * HW;
      outs[i].data.set(x.data.subarray(at, at + block), n * block);
      at += block;
    });
  }
  return outs;
}
