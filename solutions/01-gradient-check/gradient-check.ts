/**
 * Exercise 01: gradient checking.
 *
 * Every backward pass in this course is written by hand, and every one of them is checked
 * the same way: compare it with a gradient computed from nothing but calls of the forward
 * pass. This file builds that tool, {@link numericalGradient}, and the number used to judge
 * the comparison, {@link relativeError}.
 *
 * @module
 */
import { formatShape, ShapeError, shapesEqual, Tensor } from '@dlkata/tensor';

/**
 * Numerical gradient of `L(x) = sum(f(x) * dout)` with respect to `x`, by centered differences.
 *
 * Dimensions: `x` has any shape `S`; `f(x)` and `dout` share one shape `T` (often not `S`).
 *
 * For every element `i` of `x`, with `e_i` the tensor that is 1 at `i` and 0 elsewhere:
 *
 * `dx[i] = sum((f(x + h e_i) - f(x - h e_i)) * dout) / (2h)`
 *
 * `dout` is the upstream gradient `dL/df(x)`: a backward pass receives it from the layer
 * above, and `dx` is what that backward pass must return. With `dout` all ones, `dx` is
 * the gradient of `sum(f(x))`. The centered difference is exact for functions that are
 * linear or quadratic in each element; its truncation error for smooth functions is about
 * `h^2`, and its round-off error about `1e-16 / h`, so `h = 1e-5` balances the two in
 * float64.
 *
 * `x` is perturbed in place (no copy of `x` per element) and every element is restored
 * before the function returns, even if `f` throws. `f` may return a tensor that shares
 * `x`'s data (the identity, a reshape), so `f(x + h e_i)` is read before `x` is changed
 * again. Costs `2 * size(S)` calls of `f`.
 *
 * @param f - a function of `x` alone (other inputs fixed), returning a tensor of shape `T`
 * @param x - the point, shape `S`; perturbed in place and restored bit for bit
 * @param dout - upstream gradient, shape `T`
 * @param h - step of the differences, `> 0`; default `1e-5`
 * @returns `dx`, shape `S`
 * @throws ShapeError if `f(x)` does not have the shape of `dout`:
 *   `"numericalGradient: f(x) has shape [2,3] but dout has [3,2]"`
 * @see CS231n `gradient_check.py` (`eval_numerical_gradient_array`), which this mirrors
 * @example
 * ```ts
 * const x = Tensor.from([1, 2, 3]);
 * numericalGradient((t) => t.map((v) => v * v), x, Tensor.ones([3])); // ≈ [2, 4, 6]
 * ```
 */
export function numericalGradient(f: (x: Tensor) => Tensor, x: Tensor, dout: Tensor, h = 1e-5): Tensor {
  // BEGIN SOLUTION: numericalGradient: the numerical gradient of sum(f(x) * dout) with respect to x, by centered differences of step h (README, "The math"); returns a tensor shaped like x, and x must be as it was afterwards
  // f(x) for the current x, as a copy: f may return a view of x (the identity, a reshape),
  // whose data would change with the next perturbation.
  const evaluate = (): Float64Array => {
    const y = f(x);
    if (!shapesEqual(y.shape, dout.shape)) {
      throw new ShapeError('numericalGradient', `f(x) has shape ${formatShape(y.shape)} but dout has ${formatShape(dout.shape)}`);
    }
    return y.data.slice();
  };
  const dx = Tensor.zeros(x.shape);
  for (let i = 0; i < x.size; i++) {
    const old = x.data[i];
    let plus: Float64Array;
    let minus: Float64Array;
    try {
      x.data[i] = old + h;
      plus = evaluate();
      x.data[i] = old - h;
      minus = evaluate();
    } finally {
      x.data[i] = old; // restored even if f throws
    }
    let s = 0;
    for (let j = 0; j < dout.size; j++) s += (plus[j] - minus[j]) * dout.data[j];
    dx.data[i] = s / (2 * h);
  }
  return dx;
  // END SOLUTION
}

/**
 * Largest elementwise relative error between two tensors of the same shape:
 *
 * `max_i |a_i - b_i| / max(1e-8, |a_i| + |b_i|)`
 *
 * Dimensions: `a` and `b` have the same shape, any shape.
 *
 * Relative, so that a gradient of size 1000 and one of size 0.001 are judged alike; the
 * `1e-8` floor keeps it finite when both values are 0, so the result is never NaN. It lies
 * in `[0, 1]`. A NaN or infinite element counts as error 1 (the worst possible) unless both
 * tensors hold the same infinity there, so a broken gradient is reported, not hidden.
 * Rule of thumb (CS231n): below `1e-7` the gradient is right; `1e-2` or more means a bug.
 *
 * @param a - a tensor, e.g. an analytic gradient
 * @param b - a tensor of the same shape, e.g. the numerical gradient
 * @returns the largest relative error; 0 for two empty tensors
 * @throws ShapeError if the shapes differ: `"relativeError: shapes must match; a [2,3], b [3,2]"`
 * @see CS231n's `rel_error`, with the `1e-8` floor of its notebooks
 * @example
 * ```ts
 * relativeError(Tensor.from([1, 2]), Tensor.from([1, 3])); // 0.2 = |2 - 3| / (2 + 3)
 * relativeError(Tensor.zeros([4]), Tensor.zeros([4]));     // 0, not NaN
 * ```
 */
export function relativeError(a: Tensor, b: Tensor): number {
  // BEGIN SOLUTION: relativeError: the largest elementwise relative error between a and b, as the README defines it (a ShapeError if the shapes differ, a number in [0, 1], the stated rule for NaN and infinity)
  if (!shapesEqual(a.shape, b.shape)) {
    throw new ShapeError('relativeError', `shapes must match; a ${formatShape(a.shape)}, b ${formatShape(b.shape)}`);
  }
  let worst = 0;
  for (let i = 0; i < a.size; i++) {
    const x = a.data[i];
    const y = b.data[i];
    let e: number;
    if (Number.isFinite(x) && Number.isFinite(y)) {
      e = Math.abs(x - y) / Math.max(1e-8, Math.abs(x) + Math.abs(y));
    } else {
      e = x === y ? 0 : 1;
    }
    worst = Math.max(worst, e);
  }
  return worst;
  // END SOLUTION
}
