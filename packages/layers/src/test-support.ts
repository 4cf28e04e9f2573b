/**
 * Helpers for this package's tests: fast-check arbitraries for layer configurations, data
 * generators with the properties a gradient check needs, and comparisons that fail with the
 * index and the error. Not exported from the package.
 *
 * Every random case carries an integer `seed` for {@link Rng}: fast-check draws and shrinks the
 * configuration and the seed together, so a failure prints everything needed to replay it.
 *
 * @module
 * @internal
 */
import fc from 'fast-check';
import { compareTensors, Rng, Tensor, type Conv2DParams, type Pair, type Shape } from '@dlkata/tensor';

/** Options for every `fc.assert` here: a fixed seed, so CI replays the same cases. */
export const FC_OPTS = { seed: 42, numRuns: 25 } as const;

/** Gradient checks pass below this relative error (CS231n: below 1e-7 is right, 1e-2 is a bug). */
export const GRAD_TOL = 1e-6;

/**
 * Finite-difference step for the gradient checks of layers that are linear in the argument being
 * differentiated (conv2d and affine, in each of x, w and b) or piecewise linear with their kinks
 * kept out of reach (ReLU with {@link awayFromZero} data, max pooling with {@link distinctTensor}
 * data). For such a function the centered difference has no truncation error at any step, so a
 * step larger than the default 1e-5 only shrinks the round-off: over 300 random conv2d cases
 * the worst relative error was 3e-7 at h = 1e-5 and 2e-9 at h = 1e-3, a 500x margin below
 * {@link GRAD_TOL} instead of 3x.
 */
export const LINEAR_H = 1e-3;

/** A convolution configuration: shapes, parameters per dimension, and the data seed. */
export interface ConvCase {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly F: number;
  readonly KH: number;
  readonly KW: number;
  readonly stride: readonly [number, number];
  readonly pad: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly seed: number;
}

/** Inclusive upper bounds (lower bounds are 1, or 0 for padding) of the drawn {@link ConvCase}s. */
export interface ConvLimits {
  readonly N: number;
  readonly C: number;
  readonly HW: number;
  readonly F: number;
  readonly K: number;
  readonly stride: number;
  readonly pad: number;
  readonly dilation: number;
}

const fits = (size: number, k: number, pad: number, dil: number): boolean => dil * (k - 1) + 1 <= size + 2 * pad;

/**
 * Random convolution configurations within `limits`, filtered so the (dilated) kernel fits the
 * padded input in both dimensions. Stride, padding and dilation are drawn per dimension.
 */
export function convCases(l: ConvLimits, extra: (c: ConvCase) => boolean = () => true): fc.Arbitrary<ConvCase> {
  const int = (min: number, max: number) => fc.integer({ min, max });
  return fc
    .record({
      N: int(1, l.N),
      C: int(1, l.C),
      H: int(1, l.HW),
      W: int(1, l.HW),
      F: int(1, l.F),
      KH: int(1, l.K),
      KW: int(1, l.K),
      stride: fc.tuple(int(1, l.stride), int(1, l.stride)),
      pad: fc.tuple(int(0, l.pad), int(0, l.pad)),
      dilation: fc.tuple(int(1, l.dilation), int(1, l.dilation)),
      seed: fc.integer(),
    })
    .filter((c) => fits(c.H, c.KH, c.pad[0], c.dilation[0]) && fits(c.W, c.KW, c.pad[1], c.dilation[1]) && extra(c));
}

/** `[a, b]` as one number when both are equal, so both forms of `Pair` get exercised. */
export function asPair(v: readonly [number, number]): Pair {
  return v[0] === v[1] ? v[0] : [v[0], v[1]];
}

/** The parameters of a {@link ConvCase} as `conv2dForward` takes them. */
export function convParams(c: ConvCase): Conv2DParams {
  return { stride: asPair(c.stride), pad: asPair(c.pad), dilation: asPair(c.dilation) };
}

/** A test-name style label: `x=[2,3,7,7] w=[4,3,3,3] s=2 p=1 d=1`. */
export function convName(c: ConvCase): string {
  const p = (v: readonly [number, number]) => (v[0] === v[1] ? `${v[0]}` : `[${v[0]},${v[1]}]`);
  return `x=[${c.N},${c.C},${c.H},${c.W}] w=[${c.F},${c.C},${c.KH},${c.KW}] s=${p(c.stride)} p=${p(c.pad)} d=${p(c.dilation)}`;
}

/**
 * Distinct values in random order, at least 0.05 apart, so no max-pool window has a tie and a
 * perturbation of 1e-5 never changes which element wins.
 */
export function distinctTensor(rng: Rng, shape: Shape): Tensor {
  const t = Tensor.zeros(shape);
  const perm = rng.permutation(t.size);
  for (let i = 0; i < t.size; i++) t.data[i] = 0.1 * (perm[i] + 0.5 * rng.next() - t.size / 2);
  return t;
}

/** Standard normals pushed at least `margin` away from 0, so a ReLU's kink is never within reach of a finite-difference step. */
export function awayFromZero(rng: Rng, shape: Shape, margin = 0.01): Tensor {
  return rng.randn(shape).map((v) => (v < 0 ? v - margin : v + margin));
}

/**
 * Asserts that an analytic gradient matches a numerical one: same shape first, then every
 * element within relative error `tol` (`|a - n| / (|a| + |n|)`, CS231n's measure), unless its
 * absolute difference is at most `atol`. Fails naming the worst index and both values.
 *
 * `atol` defaults to 0 (a pure relative check). A smooth, non-linear op needs a small floor:
 * its numerical gradient carries round-off of about `eps * |L| / h` (1e-16 * 10 / 1e-5 = 1e-10
 * for a loss near 10), which is a large relative error on an entry that is itself tiny.
 */
export function expectGradient(what: string, analytic: Tensor, numeric: Tensor, opts: { tol?: number; atol?: number } = {}): void {
  const tol = opts.tol ?? GRAD_TOL;
  const atol = opts.atol ?? 0;
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

/** Asserts `compareTensors(what, actual, expected, { tol, atol })` is ok; fails with its message. */
export function expectClose(what: string, actual: Tensor, expected: Tensor, tol: number, atol = 0): void {
  const c = compareTensors(what, actual, expected, { tol, atol });
  if (!c.ok) throw new Error(c.message);
}
