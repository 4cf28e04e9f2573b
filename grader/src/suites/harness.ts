/**
 * Shared machinery of the suites: running a fast-check property against the sandbox and
 * turning its outcome into points and feedback, validating returned tensors, and explaining a
 * wrong gradient by checking it against the student's own forward pass.
 *
 * @module
 */
import fc from 'fast-check';
import { compareTensors, type Rng, Tensor } from '@dlkata/tensor';
import { checkAgainstOwnForward, describeOwnForwardCheck } from '../diagnose/index.js';
import { decodeNumber, decodeTensor, field, InvalidOutputError } from '../protocol.js';
import { TestFailure, type TestContext, type TestOutcome } from './types.js';

/** Default tolerance of comparisons against the reference: elementwise relative error. */
export const TOL = 1e-6;

/**
 * A bug in the grader itself (not in the submission). It aborts grading instead of costing
 * a student points.
 */
export class InternalError extends Error {
  /** @param message - what went wrong, with the original error */
  constructor(message: string) {
    super(message);
    this.name = 'InternalError';
  }
}

/** Options of {@link checkProperty}. */
export interface PropertyOptions<T> {
  /** Fixed cases, run after the generated ones pass (lecture examples, edge cases). */
  readonly examples?: readonly T[];
  /** The case in words for the report: shapes, parameters, value seed. */
  readonly describe: (t: T) => string;
  /** True for a fixed case (used to label it in the report). Default: `t` has a `label`. */
  readonly isFixed?: (t: T) => boolean;
}

/**
 * Runs a property: `body` checks one case and throws a {@link TestFailure} when the
 * submission gets it wrong. Cases come from `arb` with the test's seed, then the fixed
 * `examples` run. A failing generated case is shrunk by fast-check to a smallest one, except
 * after a fatal failure (timeout, crash, TODO), which ends the test at once.
 *
 * @returns `passed`, or the status and feedback of the (shrunk) failing case with its description
 * @throws InternalError when `body` throws something other than a TestFailure (a grader bug)
 */
export async function checkProperty<T>(ctx: TestContext, arb: fc.Arbitrary<T>, body: (t: T) => Promise<void>, opts: PropertyOptions<T>): Promise<TestOutcome> {
  let fatal: TestFailure | undefined;
  let internal: unknown;
  const examples = opts.examples ?? [];
  const property = fc.asyncProperty(arb, async (t: T) => {
    if (fatal || internal) return true; // end quickly: nothing more to learn
    try {
      await body(t);
    } catch (e) {
      if (!(e instanceof TestFailure)) {
        internal = e;
        return true;
      }
      if (e.fatal) fatal = e;
      throw e;
    }
    return true;
  });
  // Generated cases first: a failure there is shrunk to a smallest case, the clearest feedback.
  // The fixed cases run after them, so they still catch what a particular seed might miss.
  // A replay runs exactly the case at `replayPath` (fast-check's path of the shrunk counterexample).
  let details = ctx.replayPath
    ? await fc.check(property, { seed: ctx.seed, numRuns: ctx.numRuns, path: ctx.replayPath, endOnFailure: true })
    : await fc.check(property, { seed: ctx.seed, numRuns: ctx.numRuns });
  if (!ctx.replayPath && !details.failed && !internal && examples.length > 0) {
    details = await fc.check(property, { seed: ctx.seed, numRuns: examples.length, examples: examples.map((e) => [e] as [T]) });
  }
  if (internal) {
    const e = internal as Error;
    throw new InternalError(`grader bug while checking a case: ${e?.stack ?? String(e)}`);
  }
  if (!details.failed) return { status: 'passed', feedback: '' };
  const err = details.errorInstance;
  const t = details.counterexample?.[0] as T | undefined;
  const fixed = t !== undefined && (opts.isFixed ? opts.isFixed(t) : typeof t === 'object' && t !== null && 'label' in t && (t as { label?: unknown }).label !== undefined);
  const path = fixed ? null : ctx.replayPath ?? details.counterexamplePath;
  const counterexample = t === undefined ? undefined : { description: opts.describe(t), fixed, shrinks: details.numShrinks, path };
  if (err instanceof TestFailure) return { status: err.status, feedback: err.message, counterexample };
  throw new InternalError(`grader bug: property failed without a TestFailure: ${String((err as Error)?.message ?? err)}`);
}

/** Turns an {@link InvalidOutputError} from the validators into a failed case. */
function asFailure<R>(f: () => R): R {
  try {
    return f();
  } catch (e) {
    if (e instanceof InvalidOutputError) throw new TestFailure('failed', e.message);
    throw e;
  }
}

/**
 * Validates a returned tensor (see {@link decodeTensor}); a malformed value fails the case.
 *
 * @param what - names function and output, e.g. `"conv2dForward: out"`
 */
export function expectTensor(v: unknown, what: string, shape?: readonly number[]): Tensor {
  return asFailure(() => decodeTensor(v, what, { shape }));
}

/** Reads `key` of a returned object and validates it as a tensor of the given shape. */
export function expectField(v: unknown, fn: string, key: string, shape?: readonly number[]): Tensor {
  return asFailure(() => decodeTensor(field(v, key, fn), `${fn}: ${key}`, { shape }));
}

/** Validates a returned number (an integer if asked). */
export function expectNumber(v: unknown, what: string, integer = false): number {
  return asFailure(() => decodeNumber(v, what, integer));
}

/**
 * Compares a validated tensor with the reference; a difference fails the case with the
 * output's name, the worst index, both values and the relative error.
 *
 * @param hint - appended to the message, e.g. what the configuration exercises
 */
export function expectClose(what: string, actual: Tensor, expected: Tensor, hint = '', tol = TOL): void {
  const c = compareTensors(what, actual, expected, { tol });
  if (!c.ok) throw new TestFailure('failed', `${c.message}.${hint ? ` ${hint}` : ''}`);
}

/**
 * Whether a forward pass's raw result has the reference output: null when it does, else
 * what is wrong (malformed, wrong shape, or the worst differing element).
 */
export function forwardProblem(result: unknown, fn: string, expected: Tensor, tol = TOL): string | null {
  try {
    const out = decodeTensor(field(result, 'out', fn), `${fn}: out`, { shape: expected.shape });
    const c = compareTensors(`${fn}: out`, out, expected, { tol });
    return c.ok ? null : c.message;
  } catch (e) {
    return (e as Error).message;
  }
}

/** What {@link explainGradient} needs to know. */
export interface GradientQuestion {
  /** The forward function's name, e.g. `"conv2dForward"`. */
  readonly forward: string;
  /** The backward function's name, e.g. `"conv2dBackward"`. */
  readonly backward: string;
  /** The input differentiated, e.g. `"w"`. */
  readonly input: string;
  /** The input's value. */
  readonly point: Tensor;
  /** The student's gradient with respect to `input` (validated, shaped like `point`). */
  readonly grad: Tensor;
  /** The upstream gradient. */
  readonly dout: Tensor;
  /** Runs the student's forward with `input` replaced by its argument; returns its validated output. */
  readonly studentForward: (p: Tensor) => Promise<Tensor>;
  /** Null when the student's forward output equals the reference at `point`, else the comparison message. */
  readonly forwardProblem: string | null;
  /** Source of the random direction. */
  readonly rng: Rng;
  /** Finite-difference step; the functions graded are (piecewise) linear, so any small step is exact. */
  readonly h?: number;
}

/**
 * Explains a gradient that differs from the reference, by a directional ("fast mode", after
 * PyTorch's `gradcheck`) check of the student's gradient against the student's OWN forward:
 * along a random unit direction `u`, `sum(dout * (f(p + h u) - f(p - h u))) / 2h` vs `<grad, u>`.
 * The two forward calls go through the sandbox; the arithmetic happens here.
 *
 * @returns one or two sentences: "your backward disagrees with your own forward" or "your
 *   backward matches your forward, but your forward is wrong", with the numbers
 */
export async function explainGradient(q: GradientQuestion): Promise<string> {
  try {
    const check = await checkAgainstOwnForward({ point: q.point, grad: q.grad, dout: q.dout, forward: q.studentForward, rng: q.rng, directions: 1, ...(q.h !== undefined ? { h: q.h } : {}) });
    if (Number.isNaN(check.numeric)) return '';
    const text = describeOwnForwardCheck({ forward: q.forward, backward: q.backward, input: q.input }, check, q.forwardProblem);
    return q.forwardProblem !== null && check.agrees ? `${text.slice(0, -1)}; fix the forward pass first.` : text;
  } catch (e) {
    if (e instanceof TestFailure && e.fatal) throw e;
    return `(The grader could not run your ${q.forward} for a gradient check: ${(e as Error).message})`;
  }
}

/** A short shape list for descriptions: `x [2,3,5,5]`. */
export function shapeOf(name: string, shape: readonly number[]): string {
  return `${name} [${shape.join(',')}]`;
}
