/**
 * Is a gradient the gradient of the student's OWN forward pass? A directional ("fast mode",
 * after PyTorch's `gradcheck`) finite-difference check along random unit directions, usable
 * with a forward that runs in a sandbox (async) or in the same process.
 *
 * @module
 */
import { dot, randomDirection, type Rng, Tensor } from '@dlkata/tensor';

/** What {@link checkAgainstOwnForward} needs. */
export interface OwnForwardQuestion {
  /** The input's value (the point of differentiation). */
  readonly point: Tensor;
  /** The gradient to check, shaped like `point`. */
  readonly grad: Tensor;
  /** The upstream gradient, shaped like the forward's output. */
  readonly dout: Tensor;
  /** The forward pass with the input replaced by its argument; returns its output. */
  readonly forward: (p: Tensor) => Tensor | Promise<Tensor>;
  /** Source of the random directions. */
  readonly rng: Rng;
  /** Finite-difference step (default 1e-4: exact for piecewise linear functions, O(h^2) for smooth ones). */
  readonly h?: number;
  /** How many random directions (default 2); every one must agree. */
  readonly directions?: number;
  /** Largest relative error that counts as agreement (default 1e-5). */
  readonly tol?: number;
}

/** The outcome of {@link checkAgainstOwnForward}. */
export interface OwnForwardCheck {
  /** True when every direction agrees. */
  readonly agrees: boolean;
  /** The worst direction's finite difference `sum(dout * (f(p + h u) - f(p - h u))) / 2h`. */
  readonly numeric: number;
  /** The worst direction's `<grad, u>`. */
  readonly analytic: number;
  /** The worst relative error `|numeric - analytic| / (|numeric| + |analytic|)`. */
  readonly relError: number;
}

/**
 * Checks `grad` against the forward pass it came from, along random unit directions `u`:
 * `sum(dout * (f(p + h u) - f(p - h u))) / 2h` against `<grad, u>`. Errors of `forward`
 * propagate (the caller decides what they mean).
 *
 * @returns whether they agree, with the worst direction's numbers; `agrees` is false when the
 *   forward's output size differs from `dout`'s
 */
export async function checkAgainstOwnForward(q: OwnForwardQuestion): Promise<OwnForwardCheck> {
  const h = q.h ?? 1e-4;
  const tol = q.tol ?? 1e-5;
  let worst: OwnForwardCheck = { agrees: true, numeric: 0, analytic: 0, relError: 0 };
  for (let k = 0; k < (q.directions ?? 2); k++) {
    const u = randomDirection(q.point.shape, q.rng);
    const plus = await q.forward(q.point.map((v, i) => v + h * u.data[i]));
    const minus = await q.forward(q.point.map((v, i) => v - h * u.data[i]));
    if (plus.size !== q.dout.size || minus.size !== q.dout.size) return { agrees: false, numeric: NaN, analytic: dot(q.grad, u), relError: Infinity };
    let numeric = 0;
    for (let j = 0; j < q.dout.size; j++) numeric += (plus.data[j] - minus.data[j]) * q.dout.data[j];
    numeric /= 2 * h;
    const analytic = dot(q.grad, u);
    const relError = Math.abs(numeric - analytic) / Math.max(1e-8, Math.abs(numeric) + Math.abs(analytic));
    const agrees = Number.isFinite(relError) && relError < tol;
    if (!agrees || relError > worst.relError) worst = { agrees: agrees && worst.agrees, numeric, analytic, relError };
    if (!agrees) break;
  }
  return worst;
}

function num(v: number): string {
  return Number(v.toPrecision(6)).toString();
}

/**
 * The sentence for a gradient that differs from the reference, given the own-forward check.
 *
 * @param names - the forward's and backward's function names and the input (`"w"` for `dw`)
 * @param forwardProblem - null when the student's forward output is right for this input, else what is wrong with it
 */
export function describeOwnForwardCheck(names: { forward: string; backward: string; input: string }, check: OwnForwardCheck, forwardProblem: string | null): string {
  const d = `d${names.input}`;
  const rel = check.relError.toExponential(1);
  const detail = `along a random direction u, sum(dout * (f(${names.input} + h u) - f(${names.input} - h u))) / 2h = ${num(check.numeric)} but <${d}, u> = ${num(check.analytic)} (relative error ${rel})`;
  if (forwardProblem === null) {
    return check.agrees
      ? `Your ${d} passes a directional check against your own ${names.forward} (relative error ${rel}) but differs from the reference elementwise.`
      : `Your ${names.backward} disagrees with your own ${names.forward}: ${detail}.`;
  }
  return check.agrees
    ? `Your ${d} matches the gradient of your own ${names.forward} (directional check, relative error ${rel}), but your ${names.forward} is wrong for this input (${forwardProblem}).`
    : `Your ${names.forward} is wrong for this input too (${forwardProblem}), and your ${d} does not match it either: ${detail}.`;
}
