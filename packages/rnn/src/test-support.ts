/**
 * Helpers for this package's tests: fast-check arbitraries for sequence configurations, data
 * with the scale a gradient check needs, and gradient comparisons that fail with the index and
 * the error. Not exported from the package.
 *
 * Every random case carries an integer `seed` for {@link Rng}: fast-check draws and shrinks the
 * configuration and the seed together, so a failure prints everything needed to replay it.
 *
 * @module
 * @internal
 */
import fc from 'fast-check';
import { relativeError, Rng, Tensor } from '@dlkata/tensor';

/** Options for every `fc.assert` here: a fixed seed, so CI replays the same cases. */
export const FC_OPTS = { seed: 42, numRuns: 25 } as const;

/** Gradient checks pass below this relative error (CS231n: below 1e-7 is right, 1e-2 is a bug). */
export const GRAD_TOL = 1e-6;

/**
 * Finite-difference step for the smooth, non-linear layers (tanh RNN, LSTM, softmax): the
 * default 1e-5 of `numericalGradient`, not the linear layers' 1e-3.
 *
 * A centered difference has a truncation error of about `h^2 / 6 * |L'''|`, which tanh and the
 * sigmoids make nonzero and which grows along a chain of T steps, plus a round-off of about
 * `eps * |L| / h`. Measured over 150 random RNN and LSTM sequences (N up to 3, T up to 10,
 * weights scaled as {@link recurrentParams}), comparing dWx, dWh and dx:
 *
 * | h    | worst abs. difference | worst rel. error (entries beyond {@link GRAD_ATOL}) | worst rel. error, no floor |
 * | ---- | --------------------- | ----------------------------------------------------- | -------------------------- |
 * | 1e-3 | 7.8e-4                | 1.2e-3                                                | 1.2e-3                     |
 * | 1e-4 | 7.8e-6                | 2.0e-6                                                | 1.2e-5                     |
 * | 1e-5 | 7.8e-8                | 7.1e-9                                                | 2.7e-7                     |
 * | 1e-6 | 1.8e-9                | 0                                                     | 1.8e-6                     |
 *
 * The absolute difference falls as `h^2` (truncation) down to 1e-5; below that round-off on
 * entries near 0 takes over. At 1e-5 the worst relative error is 140 times below
 * {@link GRAD_TOL}.
 */
export const SMOOTH_H = 1e-5;

/**
 * Finite-difference step for functions that are linear in the argument being differentiated
 * (a temporal affine layer in x, w, b; an embedding lookup in W): no truncation error at any
 * step, so a larger step only shrinks the round-off.
 */
export const LINEAR_H = 1e-3;

/**
 * Absolute floor of the gradient checks: an entry whose analytic and numerical values differ by
 * at most this passes whatever its relative error. The numerical gradient carries round-off of
 * about `1e-16 * |L| / h`, 1e-10 for the losses here, which is a large relative error on an
 * entry that is itself near 0 (a bias gradient that nearly cancels over the batch; see the last
 * column of {@link SMOOTH_H}'s table). A real bug is off by far more than 1e-8.
 */
export const GRAD_ATOL = 1e-8;

/** A sequence configuration: batch, length, input and hidden sizes, and the data seed. */
export interface SeqCase {
  readonly N: number;
  readonly T: number;
  readonly D: number;
  readonly H: number;
  readonly seed: number;
}

/** Random sequence configurations: N 1-3, T 1-`maxT`, D 1-4, H 1-4. */
export function seqCases(maxT = 10, maxN = 3, maxD = 4, maxH = 4): fc.Arbitrary<SeqCase> {
  return fc.record({
    N: fc.integer({ min: 1, max: maxN }),
    T: fc.integer({ min: 1, max: maxT }),
    D: fc.integer({ min: 1, max: maxD }),
    H: fc.integer({ min: 1, max: maxH }),
    seed: fc.integer(),
  });
}

/** A test-name label: `N=2 T=5 D=3 H=4`. */
export function seqName(c: SeqCase): string {
  return `N=${c.N} T=${c.T} D=${c.D} H=${c.H}`;
}

/**
 * Recurrent parameters with fan-in scaling (`Wx ~ N(0, 1/D)`, `Wh ~ N(0, 1/H)`) and biases
 * `N(0, 0.5^2)`, so the pre-activations are O(1): the tanh and sigmoids are exercised in their
 * curved part, neither linear nor saturated.
 */
export function recurrentParams(rng: Rng, D: number, H: number, gates: 1 | 4) {
  return {
    Wx: rng.randn([D, gates * H], 1 / Math.sqrt(D)),
    Wh: rng.randn([H, gates * H], 1 / Math.sqrt(H)),
    b: rng.randn([gates * H], 0.5),
  };
}

/**
 * Asserts that an analytic gradient matches a numerical one: same shape, then
 * {@link relativeError} (`|a - n| / max(1e-8, |a| + |n|)`, from `@dlkata/tensor`) below `tol` over
 * the entries whose absolute difference exceeds `atol`. Fails naming the worst index and both values.
 */
export function expectGradient(what: string, analytic: Tensor, numeric: Tensor, opts: { tol?: number; atol?: number } = {}): void {
  const tol = opts.tol ?? GRAD_TOL;
  const atol = opts.atol ?? GRAD_ATOL;
  if (analytic.shape.join() !== numeric.shape.join()) {
    throw new Error(`${what}: shape [${analytic.shape.join(',')}] differs from the numerical gradient's [${numeric.shape.join(',')}]`);
  }
  // Entries within atol count as equal: compare them as exact copies.
  const a = analytic.map((v, i) => (Math.abs(v - numeric.data[i]) <= atol ? numeric.data[i] : v));
  const r = relativeError(a, numeric);
  if (!(r.error < tol)) {
    throw new Error(
      `${what}: relative error ${r.error.toExponential(2)} >= ${tol} at [${r.index.join(',')}]: analytic ${r.a}, numerical ${r.b}`,
    );
  }
}

/** Asserts every element of `actual` equals `expected` within `atol` (absolute), naming the first bad index. */
export function expectAllClose(what: string, actual: Tensor, expected: Tensor, atol: number): void {
  if (actual.shape.join() !== expected.shape.join()) {
    throw new Error(`${what}: shape [${actual.shape.join(',')}], expected [${expected.shape.join(',')}]`);
  }
  for (let i = 0; i < actual.size; i++) {
    if (!(Math.abs(actual.data[i] - expected.data[i]) <= atol)) {
      throw new Error(`${what}: at [${actual.unravel(i).join(',')}] got ${actual.data[i]}, expected ${expected.data[i]} (atol ${atol})`);
    }
  }
}
