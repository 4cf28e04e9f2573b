/**
 * Elementwise and reduction ops on {@link Tensor}s. All return new tensors.
 *
 * @module
 */
import { ShapeError, ValueError } from './errors.js';
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

/** `k * a` elementwise, any shape. */
export function scale(a: Tensor, k: number): Tensor {
  return a.map((v) => k * v);
}

/** `a + k * b`, the step of a perturbation or an SGD update. @throws ShapeError if shapes differ */
export function axpy(a: Tensor, k: number, b: Tensor): Tensor {
  sameShape('axpy', a, b);
  return a.map((v, i) => v + k * b.data[i]);
}

/** Sum of all elements, any shape (0 for an empty tensor). */
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

/** Euclidean (Frobenius) norm `sqrt(sum(a^2))` over all elements, any shape (0 for an empty tensor). */
export function norm(a: Tensor): number {
  let s = 0;
  for (let i = 0; i < a.size; i++) s += a.data[i] * a.data[i];
  return Math.sqrt(s);
}

/** Largest absolute value, any shape (0 for an empty tensor; NaN if any element is NaN). */
export function maxAbs(a: Tensor): number {
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.data[i]));
  return m;
}

/**
 * Sum over the given axes, removing them: `sumAxes(x [N, F, H, W], [0, 2, 3]) -> [F]`
 * (the bias gradient of a convolution). Like NumPy's `x.sum(axis=(0, 2, 3))`: the remaining
 * axes keep their order, `[]` returns a copy and all axes give shape `[]`.
 *
 * @param a - any shape
 * @param axes - distinct axis numbers in `[0, ndim)` (negative axes are not supported)
 * @throws ShapeError if an axis is out of range: `"sumAxes: axis 3 is out of range for shape [2,3,4]"`
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
 * Zero padding of the two last dimensions: `[N, C, H, W] -> [N, C, H + 2*ph, W + 2*pw]`
 * (NumPy's `np.pad(x, ((0,0), (0,0), (ph,ph), (pw,pw)))`).
 *
 * @param x - input, shape `[N, C, H, W]`
 * @param padH - rows of zeros above and below, integer >= 0
 * @param padW - columns of zeros left and right, integer >= 0; defaults to `padH`
 * @returns a new tensor `[N, C, H + 2*padH, W + 2*padW]`
 * @throws ShapeError if `x` is not 4-D: `"pad2d: x must be 4-D [N, C, H, W], got [3,8,8]"`
 * @throws ValueError if a padding is negative or not an integer: `"pad2d: padH must be an integer >= 0, got -1"`
 */
export function pad2d(x: Tensor, padH: number, padW: number = padH): Tensor {
  if (x.ndim !== 4) throw new ShapeError('pad2d', `x must be 4-D [N, C, H, W], got ${formatShape(x.shape)}`);
  for (const [name, p] of [['padH', padH], ['padW', padW]] as const) {
    if (!Number.isInteger(p) || p < 0) throw new ValueError('pad2d', `${name} must be an integer >= 0, got ${p}`);
  }
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
