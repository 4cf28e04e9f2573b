/**
 * Helpers for this package's tests. Not exported from the package.
 *
 * @module
 * @internal
 */
import type { Tensor } from '@dlkata/tensor';

/** Gradient checks pass below this relative error (CS231n: below 1e-7 is right, 1e-2 is a bug). */
export const GRAD_TOL = 1e-6;

/** Finite-difference step for smooth, non-linear losses (tanh, sigmoid, softmax): see `@dlkata/rnn`'s test support for the measured table. */
export const SMOOTH_H = 1e-5;

/**
 * Absolute floor of the gradient checks: entries whose analytic and numerical values differ by at
 * most this pass whatever their relative error (the numerical gradient's round-off is about
 * `1e-16 * |L| / h`, 1e-10 for these losses). A real bug is off by far more.
 */
export const GRAD_ATOL = 1e-8;

/**
 * Asserts that an analytic gradient matches a numerical one: same shape first, then every
 * element within relative error `tol` (`|a - n| / (|a| + |n|)`, CS231n's measure), unless its
 * absolute difference is at most `atol` (default {@link GRAD_ATOL}). Fails naming the worst index and both values.
 */
export function expectGradient(what: string, analytic: Tensor, numeric: Tensor, opts: { tol?: number; atol?: number } = {}): void {
  const tol = opts.tol ?? GRAD_TOL;
  const atol = opts.atol ?? GRAD_ATOL;
  if (analytic.shape.join() !== numeric.shape.join()) {
    throw new Error(`${what}: shape [${analytic.shape.join(',')}] differs from the numerical gradient's [${numeric.shape.join(',')}]`);
  }
  let worst = 0;
  let at = -1;
  for (let i = 0; i < analytic.size; i++) {
    const a = analytic.data[i];
    const n = numeric.data[i];
    const d = Math.abs(a - n);
    if (d <= atol) continue;
    const e = Number.isFinite(d) ? d / Math.max(1e-8, Math.abs(a) + Math.abs(n)) : 1;
    if (!(e <= worst)) {
      worst = e;
      at = i;
    }
  }
  if (at >= 0 && !(worst < tol)) {
    throw new Error(
      `${what}: relative error ${worst.toExponential(2)} >= ${tol} at [${analytic.unravel(at).join(',')}]: ` +
        `analytic ${analytic.data[at]}, numerical ${numeric.data[at]}`,
    );
  }
}
