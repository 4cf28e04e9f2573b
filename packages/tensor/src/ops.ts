/**
 * Elementwise and reduction ops on {@link Tensor}s. All return new tensors.
 *
 * @module
 */
import { ShapeError } from './errors.js';
import { formatShape, shapesEqual, Tensor } from './tensor.js';

function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (!shapesEqual(a.shape, b.shape)) {
    throw new ShapeError(op, `shapes must match; a ${formatShape(a.shape)}, b ${formatShape(b.shape)}`);
  }
}

/** `a + b` elementwise (same shapes). @throws ShapeError if shapes differ */
export function add(a: Tensor, b: Tensor): Tensor {
  sameShape('add', a, b);
  return a.map((v, i) => v + b.data[i]);
}

/** `a - b` elementwise (same shapes). @throws ShapeError if shapes differ */
export function sub(a: Tensor, b: Tensor): Tensor {
  sameShape('sub', a, b);
  return a.map((v, i) => v - b.data[i]);
}

/** `a * b` elementwise (same shapes). @throws ShapeError if shapes differ */
export function mul(a: Tensor, b: Tensor): Tensor {
  sameShape('mul', a, b);
  return a.map((v, i) => v * b.data[i]);
}

/** `k * a`. */
export function scale(a: Tensor, k: number): Tensor {
  return a.map((v) => k * v);
}

/** `a + k * b`, the step of a perturbation or an SGD update. @throws ShapeError if shapes differ */
export function axpy(a: Tensor, k: number, b: Tensor): Tensor {
  sameShape('axpy', a, b);
  return a.map((v, i) => v + k * b.data[i]);
}

/** Sum of all elements. */
export function sum(a: Tensor): number {
  let s = 0;
  for (let i = 0; i < a.size; i++) s += a.data[i];
  return s;
}

/** Inner product of two tensors of the same shape: `sum(a * b)`. @throws ShapeError if shapes differ */
export function dot(a: Tensor, b: Tensor): number {
  sameShape('dot', a, b);
  let s = 0;
  for (let i = 0; i < a.size; i++) s += a.data[i] * b.data[i];
  return s;
}

/** Euclidean (Frobenius) norm, `sqrt(sum(a^2))`. */
export function norm(a: Tensor): number {
  let s = 0;
  for (let i = 0; i < a.size; i++) s += a.data[i] * a.data[i];
  return Math.sqrt(s);
}

/** Largest absolute value (0 for an empty tensor). */
export function maxAbs(a: Tensor): number {
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.data[i]));
  return m;
}

/**
 * Sum over the given axes, removing them: `sumAxes(x [N, F, H, W], [0, 2, 3]) -> [F]`
 * (the bias gradient of a convolution).
 *
 * @throws ShapeError if an axis is out of range
 */
export function sumAxes(a: Tensor, axes: readonly number[]): Tensor {
  for (const ax of axes) {
    if (!Number.isInteger(ax) || ax < 0 || ax >= a.ndim) {
      throw new ShapeError('sumAxes', `axis ${ax} is out of range for shape ${formatShape(a.shape)}`);
    }
  }
  const keep = a.shape.map((_, i) => !axes.includes(i));
  const outShape = a.shape.filter((_, i) => keep[i]);
  const out = Tensor.zeros(outShape);
  const idx = new Array<number>(a.ndim).fill(0);
  for (let i = 0; i < a.size; i++) {
    let o = 0;
    for (let d = 0; d < a.ndim; d++) if (keep[d]) o = o * a.shape[d] + idx[d];
    out.data[o] += a.data[i];
    for (let d = a.ndim - 1; d >= 0; d--) {
      if (++idx[d] < a.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * Zero padding of the two last dimensions: `[N, C, H, W] -> [N, C, H + 2*ph, W + 2*pw]`.
 */
export function pad2d(x: Tensor, padH: number, padW: number = padH): Tensor {
  if (x.ndim !== 4) throw new ShapeError('pad2d', `x must be 4-D [N, C, H, W], got ${formatShape(x.shape)}`);
  const [N, C, H, W] = x.shape;
  const HP = H + 2 * padH;
  const WP = W + 2 * padW;
  const out = Tensor.zeros([N, C, HP, WP]);
  for (let nc = 0; nc < N * C; nc++) {
    for (let h = 0; h < H; h++) {
      out.data.set(x.data.subarray((nc * H + h) * W, (nc * H + h + 1) * W), (nc * HP + h + padH) * WP + padW);
    }
  }
  return out;
}
