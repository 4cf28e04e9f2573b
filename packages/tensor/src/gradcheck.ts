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
import { checkOptions, optionKeys } from './options.js';

/** Default step of the centered differences. In float64 the error is about `h^2` (truncation) plus `1e-16 / h` (round-off). */
export const DEFAULT_H = 1e-5;

/**
 * Numerical gradient of `L(x) = sum(f(x) * dout)` with respect to `x`, by centered differences:
 *
 * `dx[i] = sum((f(x + h e_i) - f(x - h e_i)) * dout) / (2h)`
 *
 * `x` is perturbed in place and restored (also when `f` throws), so `f` must read `x` afresh
 * on each call and must not keep it. Each output is copied before the next call, so `f` may
 * return `x` itself, a view of it (`reshape`) or a buffer it reuses. Costs `2 * x.size`
 * calls of `f`. Same method as CS231n's `eval_numerical_gradient_array`.
 *
 * @param f - a function of `x` (other inputs fixed), returning a tensor shaped like `dout`
 * @param x - the input to differentiate, any shape
 * @param dout - upstream gradient, the shape of `f(x)`
 * @param h - step, default {@link DEFAULT_H}
 * @returns `dx`, the shape of `x`
 * @throws ShapeError if `f(x)` is not a tensor of the shape of `dout`:
 *   `"numericalGradient: f(x) has shape [3] but dout has [2]"`; anything `f` throws is rethrown
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
    let plus: Float64Array;
    let minus: Float64Array;
    try {
      x.data[i] = old + h;
      // Copy: f may return x itself, a view of it (reshape) or a buffer it reuses.
      plus = outputOf('numericalGradient', f(x), dout);
      x.data[i] = old - h;
      minus = outputOf('numericalGradient', f(x), dout);
    } finally {
      x.data[i] = old;
    }
    let s = 0;
    for (let j = 0; j < dout.size; j++) s += (plus[j] - minus[j]) * dout.data[j];
    grad.data[i] = s / (2 * h);
  }
  return grad;
}

/** A copy of `f(x)`'s data after checking that it is a tensor shaped like `dout`. */
function outputOf(op: string, y: Tensor, dout: Tensor): Float64Array {
  if (!(y instanceof Tensor)) throw new ShapeError(op, `f(x) must return a Tensor, got ${describe(y)}`);
  if (!shapesEqual(y.shape, dout.shape)) {
    throw new ShapeError(op, `f(x) has shape ${formatShape(y.shape)} but dout has ${formatShape(dout.shape)}`);
  }
  return y.data.slice();
}

/**
 * `|a - b| / max(1e-8, |a| + |b|)` for one pair of numbers, in `[0, 1]` and never NaN.
 *
 * Computed on halves so that huge finite values of opposite sign (`1e308`, `-1e308`) do not
 * overflow to `Infinity / Infinity`. Non-finite values: equal infinities give 0, anything
 * else (NaN, an infinity against another value) gives 1.
 */
function elementError(a: number, b: number): number {
  if (Number.isFinite(a) && Number.isFinite(b)) {
    return Math.abs(a / 2 - b / 2) / Math.max(5e-9, Math.abs(a / 2) + Math.abs(b / 2));
  }
  return a === b ? 0 : 1;
}

/** Result of {@link relativeError}. */
export interface RelativeErrorReport {
  /** Largest elementwise relative error, in `[0, 1]`, never NaN; 0 for two empty tensors. */
  readonly error: number;
  /** Multi-index of the worst element (empty for empty tensors). */
  readonly index: number[];
  /** Value of `a` at the worst element (NaN for empty tensors). */
  readonly a: number;
  /** Value of `b` at the worst element (NaN for empty tensors). */
  readonly b: number;
}

/**
 * Elementwise relative error, the worst element and where it is:
 *
 * $$
 * \max_i \frac{|a_i - b_i|}{\max(10^{-8},\ |a_i| + |b_i|)}
 * $$
 *
 * The `1e-8` floor keeps it finite when both values are 0 (never NaN). A NaN, or an infinity
 * against anything but the same infinity, counts as error 1 (the largest possible), so it is
 * reported, not hidden; huge finite values (`1e308` vs `-1e308`) do not overflow. Ties go to
 * the lowest index. Rule of thumb (CS231n `rel_error`): below 1e-7 is right, around 1e-2
 * usually means a bug.
 *
 * @param a - any shape
 * @param b - the shape of `a`
 * @returns the worst error, its multi-index and the two values there
 * @throws ShapeError if the shapes differ: `"relativeError: shapes must match; a [2], b [3]"`
 * @example
 * ```ts
 * relativeError(Tensor.from([1, 2]), Tensor.from([1, 3])); // { error: 0.2, index: [1], a: 2, b: 3 }
 * ```
 */
export function relativeError(a: Tensor, b: Tensor): RelativeErrorReport {
  if (!shapesEqual(a.shape, b.shape)) {
    throw new ShapeError('relativeError', `shapes must match; a ${formatShape(a.shape)}, b ${formatShape(b.shape)}`);
  }
  let worst = -1;
  let at = -1;
  for (let i = 0; i < a.size; i++) {
    const e = elementError(a.data[i], b.data[i]);
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
  /** `|numeric - analytic| / max(1e-8, |numeric| + |analytic|)`, in `[0, 1]`; 1 if either is NaN. */
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
 * @returns both directional derivatives and their relative error (pass if `relError` is small, e.g. < 1e-6)
 * @throws ShapeError if `dx` or `u` is not shaped like `x`, or `f(x)` not like `dout`
 * @throws ValueError if `x` is empty and a direction is to be drawn (see {@link randomDirection})
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
  const plus = outputOf('directionalCheck', f(x.map((v, i) => v + h * u.data[i])), dout);
  const minus = outputOf('directionalCheck', f(x.map((v, i) => v - h * u.data[i])), dout);
  let numeric = 0;
  for (let j = 0; j < dout.size; j++) numeric += (plus[j] - minus[j]) * dout.data[j];
  numeric /= 2 * h;
  const analytic = dot(dx, u);
  const relError = elementError(numeric, analytic);
  return { numeric, analytic, relError };
}

/**
 * A random unit vector (Euclidean norm 1) of the given shape: a standard normal tensor
 * divided by its norm, so the direction is uniform on the sphere.
 *
 * @param shape - any shape with at least one element
 * @param rng - the source of randomness (advanced by `size` normals)
 * @returns a tensor of `shape` with `norm(u) = 1`
 * @throws ValueError for a shape with no elements: `"randomDirection: cannot draw a direction for shape [0]"`
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

const COMPARE_KEYS = optionKeys<CompareOptions>()('tol', 'atol');

/**
 * Compares an actual tensor against an expected one and explains the first problem, for
 * test and grader feedback: not a tensor or wrong shape first, then NaN/Infinity where a
 * finite value is expected, then the worst element by {@link relativeError}'s measure.
 *
 * An element passes if `|actual - expected| <= atol` or its relative error is `<= tol`; two
 * NaNs match (like NumPy's `assert_allclose`), as do equal infinities. Any other non-finite
 * mismatch has relative error 1.
 *
 * @param what - what is compared, e.g. `"conv2dForward: out"`
 * @param actual - the value under test (may be anything: a submission's output is untrusted)
 * @param expected - the reference
 * @returns `{ ok: true, error }`, or `{ ok: false, message, index?, error }` with `error` in `[0, 1]`
 * @example
 * ```ts
 * compareTensors('conv2dBackward: dw', dw, expected);
 * // { ok: false, message: "conv2dBackward: dw differs at [1,0,2,2]: got 0.5, expected 2 (relative error 6.0e-1, tolerance 1e-6)", ... }
 * compareTensors('relu: out', Tensor.zeros([2, 3]), Tensor.zeros([3, 2]));
 * // { ok: false, message: "relu: out has shape [2,3], expected [3,2]", error: 1 }
 * ```
 */
export function compareTensors(what: string, actual: Tensor, expected: Tensor, opts: CompareOptions = {}): Comparison {
  checkOptions('compareTensors', 'opts', opts, COMPARE_KEYS);
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
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (Math.abs(x - y) <= atol) continue;
    const e = elementError(x, y);
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
