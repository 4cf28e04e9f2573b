/**
 * Gradient checking: the tool the whole project stands on. Every hand-written backward
 * pass in dlkata is checked against a numerical gradient computed here.
 *
 * Conventions follow CS231n's `gradient_check.py` (centered differences with an upstream
 * gradient, relative error) and PyTorch's `torch.autograd.gradcheck` (fast mode: one
 * random direction instead of every element).
 *
 * @module
 */
import { ShapeError, ValueError } from './errors.js';
import { dot } from './ops.js';
import { Rng } from './rng.js';
import { formatShape, shapesEqual, Tensor } from './tensor.js';

/** Default step of the centered differences. In float64 the error is about `h^2` (truncation) plus `1e-16 / h` (round-off). */
export const DEFAULT_H = 1e-5;

/**
 * Numerical gradient of `L(x) = sum(f(x) * dout)` with respect to `x`, by centered differences:
 *
 * `dx[i] = sum((f(x + h e_i) - f(x - h e_i)) * dout) / (2h)`
 *
 * `x` is perturbed in place and restored, so `f` must read `x` afresh on each call and must
 * not keep it. Costs `2 * x.size` calls of `f`.
 *
 * @param f - a function of `x` (other inputs fixed), returning a tensor shaped like `dout`
 * @param x - the input to differentiate, any shape
 * @param dout - upstream gradient, the shape of `f(x)`
 * @param h - step, default {@link DEFAULT_H}
 * @returns `dx`, the shape of `x`
 * @throws ShapeError if `f(x)` does not have the shape of `dout`
 * @example
 * ```ts
 * const x = Tensor.from([1, 2, 3]);
 * numericalGradient((t) => t.map((v) => v * v), x, Tensor.ones([3])); // ≈ [2, 4, 6]
 * ```
 */
export function numericalGradient(f: (x: Tensor) => Tensor, x: Tensor, dout: Tensor, h = DEFAULT_H): Tensor {
  const grad = Tensor.zeros(x.shape);
  for (let i = 0; i < x.size; i++) {
    const old = x.data[i];
    x.data[i] = old + h;
    const plus = f(x);
    x.data[i] = old - h;
    const minus = f(x);
    x.data[i] = old;
    if (!shapesEqual(plus.shape, dout.shape) || !shapesEqual(minus.shape, dout.shape)) {
      throw new ShapeError('numericalGradient', `f(x) has shape ${formatShape(plus.shape)} but dout has ${formatShape(dout.shape)}`);
    }
    let s = 0;
    for (let j = 0; j < dout.size; j++) s += (plus.data[j] - minus.data[j]) * dout.data[j];
    grad.data[i] = s / (2 * h);
  }
  return grad;
}

/** Result of {@link relativeError}. */
export interface RelativeErrorReport {
  /** Largest elementwise relative error, in `[0, 1]`; 0 for two empty tensors. */
  readonly error: number;
  /** Multi-index of the worst element (empty for empty tensors). */
  readonly index: number[];
  /** Value of `a` at the worst element. */
  readonly a: number;
  /** Value of `b` at the worst element. */
  readonly b: number;
}

/**
 * Elementwise relative error, the worst element and where it is:
 *
 * `max_i |a_i - b_i| / max(1e-8, |a_i| + |b_i|)`
 *
 * The `1e-8` floor keeps it finite when both values are 0 (never NaN). A NaN or infinite
 * element counts as error 1 (the largest possible), so it is reported, not hidden.
 * Rule of thumb (CS231n): below 1e-7 is right, around 1e-2 usually means a bug.
 *
 * @throws ShapeError if the shapes differ
 */
export function relativeError(a: Tensor, b: Tensor): RelativeErrorReport {
  if (!shapesEqual(a.shape, b.shape)) {
    throw new ShapeError('relativeError', `shapes must match; a ${formatShape(a.shape)}, b ${formatShape(b.shape)}`);
  }
  let worst = -1;
  let at = -1;
  for (let i = 0; i < a.size; i++) {
    const x = a.data[i];
    const y = b.data[i];
    let e: number;
    if (Number.isFinite(x) && Number.isFinite(y)) e = Math.abs(x - y) / Math.max(1e-8, Math.abs(x) + Math.abs(y));
    else e = x === y ? 0 : 1;
    if (e > worst) {
      worst = e;
      at = i;
    }
  }
  if (at < 0) return { error: 0, index: [], a: NaN, b: NaN };
  return { error: worst, index: a.unravel(at), a: a.data[at], b: b.data[at] };
}

/** Result of a directional (fast-mode) gradient check. */
export interface DirectionalCheck {
  /** `sum(dout * (f(x + h u) - f(x - h u))) / (2h)`, the numerical directional derivative. */
  readonly numeric: number;
  /** `sum(dx * u)`, the same derivative from the analytic gradient. */
  readonly analytic: number;
  /** `|numeric - analytic| / max(1e-8, |numeric| + |analytic|)`. */
  readonly relError: number;
}

/**
 * Directional ("fast mode") gradient check, after PyTorch's `gradcheck(fast_mode=True)`:
 * instead of one pair of forward calls per element, compare `v^T J u` along one random unit
 * direction `u` (with `v = dout`) from a single pair of forward calls.
 *
 * A wrong gradient passes only if its error happens to be orthogonal to `u`, which a random
 * `u` makes unlikely; checking two or three directions makes it negligible.
 *
 * @param f - a function of `x` (other inputs fixed)
 * @param x - the point; not modified
 * @param dx - the analytic gradient of `sum(f(x) * dout)` with respect to `x`, shape of `x`
 * @param dout - upstream gradient, shape of `f(x)`
 * @param rngOrU - an {@link Rng} to draw `u` from, or the direction itself (shape of `x`)
 * @param h - step, default {@link DEFAULT_H}
 * @throws ShapeError if `dx` or `u` is not shaped like `x`
 */
export function directionalCheck(
  f: (x: Tensor) => Tensor,
  x: Tensor,
  dx: Tensor,
  dout: Tensor,
  rngOrU: Rng | Tensor,
  h = DEFAULT_H,
): DirectionalCheck {
  if (!shapesEqual(dx.shape, x.shape)) {
    throw new ShapeError('directionalCheck', `dx must have the shape of x ${formatShape(x.shape)}, got ${formatShape(dx.shape)}`);
  }
  const u = rngOrU instanceof Tensor ? rngOrU : randomDirection(x.shape, rngOrU);
  if (!shapesEqual(u.shape, x.shape)) {
    throw new ShapeError('directionalCheck', `u must have the shape of x ${formatShape(x.shape)}, got ${formatShape(u.shape)}`);
  }
  const plus = f(x.map((v, i) => v + h * u.data[i]));
  const minus = f(x.map((v, i) => v - h * u.data[i]));
  if (!shapesEqual(plus.shape, dout.shape)) {
    throw new ShapeError('directionalCheck', `f(x) has shape ${formatShape(plus.shape)} but dout has ${formatShape(dout.shape)}`);
  }
  let numeric = 0;
  for (let j = 0; j < dout.size; j++) numeric += (plus.data[j] - minus.data[j]) * dout.data[j];
  numeric /= 2 * h;
  const analytic = dot(dx, u);
  const relError = Math.abs(numeric - analytic) / Math.max(1e-8, Math.abs(numeric) + Math.abs(analytic));
  return { numeric, analytic, relError };
}

/**
 * A random unit vector (Euclidean norm 1) of the given shape, normal directions normalised.
 *
 * @throws ValueError for an empty shape
 */
export function randomDirection(shape: readonly number[], rng: Rng): Tensor {
  const u = rng.randn(shape);
  let n = 0;
  for (let i = 0; i < u.size; i++) n += u.data[i] * u.data[i];
  if (n === 0) throw new ValueError('randomDirection', `cannot draw a direction for shape ${formatShape(shape)}`);
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < u.size; i++) u.data[i] *= inv;
  return u;
}

/** Options of {@link compareTensors}. */
export interface CompareOptions {
  /** Largest allowed elementwise relative error (see {@link relativeError}). Default 1e-6. */
  readonly tol?: number;
  /** Absolute differences at or below this always pass (guards tiny values). Default 1e-9. */
  readonly atol?: number;
}

/** Outcome of {@link compareTensors}: `ok`, or a message naming shape, index and error. */
export type Comparison =
  | { readonly ok: true; readonly error: number }
  | { readonly ok: false; readonly message: string; readonly index?: number[]; readonly error: number };

/**
 * Compares an actual tensor against an expected one and explains the first problem, for
 * test and grader feedback: wrong shape first, then NaN/Infinity, then the worst element.
 *
 * @param what - what is compared, e.g. `"conv2dForward: out"`
 * @example
 * ```ts
 * compareTensors('conv2dBackward: dw', dw, expected);
 * // { ok: false, message: "conv2dBackward: dw differs at [1,0,2,2]: got 0.5, expected 2 (relative error 6.0e-1)", ... }
 * ```
 */
export function compareTensors(what: string, actual: Tensor, expected: Tensor, opts: CompareOptions = {}): Comparison {
  const tol = opts.tol ?? 1e-6;
  const atol = opts.atol ?? 1e-9;
  if (!(actual instanceof Tensor)) {
    return { ok: false, error: 1, message: `${what}: expected a Tensor of shape ${formatShape(expected.shape)}, got ${describe(actual)}` };
  }
  if (!shapesEqual(actual.shape, expected.shape)) {
    return { ok: false, error: 1, message: `${what} has shape ${formatShape(actual.shape)}, expected ${formatShape(expected.shape)}` };
  }
  for (let i = 0; i < actual.size; i++) {
    if (!Number.isFinite(actual.data[i]) && Number.isFinite(expected.data[i])) {
      const index = actual.unravel(i);
      return { ok: false, error: 1, index, message: `${what} is ${actual.data[i]} at [${index.join(',')}], expected ${fmt(expected.data[i])}` };
    }
  }
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.size; i++) {
    const x = actual.data[i];
    const y = expected.data[i];
    const d = Math.abs(x - y);
    if (d <= atol) continue;
    const e = d / Math.max(1e-8, Math.abs(x) + Math.abs(y));
    if (e > worst) {
      worst = e;
      at = i;
    }
  }
  if (at < 0 || worst <= tol) return { ok: true, error: worst };
  const index = actual.unravel(at);
  return {
    ok: false,
    error: worst,
    index,
    message: `${what} differs at [${index.join(',')}]: got ${fmt(actual.data[at])}, expected ${fmt(expected.data[at])} (relative error ${worst.toExponential(1)}, tolerance ${tol.toExponential(0)})`,
  };
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : Number(v.toPrecision(6)).toString();
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a plain array of length ${v.length}`;
  return typeof v === 'object' ? `an object (${Object.prototype.toString.call(v)})` : `${typeof v} ${String(v)}`;
}
