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
 * submission gets it wrong; it may return a note for a case it passed on a second look (e.g. a
 * backward pass graded against the student's own wrong forward pass), and the first such note
 * becomes a passing test's feedback. Cases come from `arb` with the test's seed, then the fixed
 * `examples` run. A failing generated case is shrunk by fast-check to a smallest one, except
 * after a fatal failure (timeout, crash, TODO), which ends the test at once.
 *
 * @returns `passed` (feedback: the first note, or empty), or the status and feedback of the (shrunk) failing case with its description
 * @throws InternalError when `body` throws something other than a TestFailure (a grader bug)
 */
export async function checkProperty<T>(ctx: TestContext, arb: fc.Arbitrary<T>, body: (t: T) => Promise<string | void>, opts: PropertyOptions<T>): Promise<TestOutcome> {
  let fatal: TestFailure | undefined;
  let note: string | undefined;
  let internal: unknown;
  const examples = opts.examples ?? [];
  const property = fc.asyncProperty(arb, async (t: T) => {
    if (fatal || internal) return true; // end quickly: nothing more to learn
    try {
      const said = await body(t);
      if (typeof said === 'string' && said !== '') note ??= said;
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
    : await fc.check(property, { seed: ctx.seed, numRuns: ctx.numRuns, ...(ctx.shrink === false ? { endOnFailure: true } : {}) });
  if (!ctx.replayPath && !details.failed && !internal && examples.length > 0) {
    details = await fc.check(property, { seed: ctx.seed, numRuns: examples.length, examples: examples.map((e) => [e] as [T]) });
  }
  if (internal) {
    const e = internal as Error;
    throw new InternalError(`grader bug while checking a case: ${e?.stack ?? String(e)}`);
  }
  if (!details.failed) return { status: 'passed', feedback: note ?? '' };
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

/** What {@link gradeGradient} needs: one gradient of a backward pass and how to recompute its forward. */
export interface GradientGrading {
  /** The forward function's name, e.g. `"conv2dForward"`. */
  readonly forward: string;
  /** The backward function's name, e.g. `"conv2dBackward"`. */
  readonly backward: string;
  /** The input differentiated, e.g. `"w"` (the gradient is `"d" + input`). */
  readonly input: string;
  /** The input's value. */
  readonly point: Tensor;
  /** The student's gradient (validated, shaped like `point`). */
  readonly grad: Tensor;
  /** The reference gradient, from the reference forward's cache. */
  readonly expected: Tensor;
  /** The upstream gradient, with as many elements as `studentForward` returns (outputs concatenated when there are several). */
  readonly dout: Tensor;
  /** Null when the student's forward output equals the reference at `point`, else the comparison message. */
  readonly forwardProblem: string | null;
  /** The student's forward with `input` replaced by its argument; its validated output(s), flattened in `dout`'s order. */
  readonly studentForward: (p: Tensor) => Promise<Tensor>;
  readonly rng: Rng;
  /** Finite-difference step (default 1e-5). */
  readonly h?: number;
  /** What the test teaches, appended to a failure. */
  readonly hint?: string;
  /** A known mistake recognised by the diagnosis module, put first in a failure. */
  readonly known?: string;
  readonly tol?: number;
}

/**
 * Grades one gradient so that one mistake costs once. The student's gradient passes when it
 * equals the reference gradient (computed with the reference forward's cache); or, when the
 * student's forward pass is wrong for this input, when it is the gradient of the student's OWN
 * forward (a directional check along two random directions, {@link checkAgainstOwnForward}):
 * a right backward pass keeps its points, and the forward bug costs in the forward tests only.
 *
 * @returns undefined when the gradient equals the reference; a note for the feedback when it
 *   was accepted as the gradient of the student's own (wrong) forward
 * @throws TestFailure otherwise, with the comparison, the known mistake, the own-forward check and the hint
 */
export async function gradeGradient(q: GradientGrading): Promise<string | undefined> {
  const d = `d${q.input}`;
  const cmp = compareTensors(`${q.backward}: ${d}`, q.grad, q.expected, { tol: q.tol ?? TOL });
  if (cmp.ok) return undefined;
  let explanation: string;
  try {
    const check = await checkAgainstOwnForward({ point: q.point, grad: q.grad, dout: q.dout, forward: q.studentForward, rng: q.rng, h: q.h ?? 1e-5 });
    if (q.forwardProblem !== null && check.agrees && !carriesSignal(q.grad, q.expected)) {
      throw new TestFailure(
        'failed',
        [`${cmp.message}.`, `Your ${q.forward} is wrong (${q.forwardProblem}) and hardly depends on ${q.input} (its gradient has ${relNorm(q.grad, q.expected)} of the expected size), so your ${d} cannot be credited as the gradient of your own ${q.forward}: fix the forward pass first.`, q.hint]
          .filter((x) => x)
          .join(' '),
      );
    }
    if (q.forwardProblem !== null && check.agrees) {
      return `Your ${q.forward} is wrong (${q.forwardProblem}), so your ${d} was graded against the gradient of your own ${q.forward}, and it matches (directional check, relative error ${check.relError.toExponential(1)}): this test keeps its points; the forward tests cost the forward bug.`;
    }
    explanation = Number.isNaN(check.numeric) ? '' : describeOwnForwardCheck({ forward: q.forward, backward: q.backward, input: q.input }, check, q.forwardProblem);
  } catch (e) {
    if (e instanceof TestFailure && e.fatal) throw e;
    explanation = `(The grader could not run your ${q.forward} for a gradient check: ${(e as Error).message})`;
  }
  throw new TestFailure('failed', [`${cmp.message}.`, q.known, q.hint, explanation].filter((x) => x).join(' '));
}

/**
 * Whether a result accepted on a second look (a gradient as the gradient of the student's own
 * wrong forward, a sequence output or gradient as the composition of the student's own wrong
 * steps) is big enough to show anything: at least {@link MIN_CREDITED_NORM} of the reference's
 * norm. A forward that ignores its input (returns zeros, a constant, or a tiny multiple) has a
 * zero gradient, and a backward returning zeros would "match" it; a sequence of zero steps is
 * "composed" by any function returning zeros. That earns nothing.
 */
export function carriesSignal(got: Tensor, expected: Tensor): boolean {
  const e = norm(expected);
  return e === 0 || norm(got) >= MIN_CREDITED_NORM * e;
}

/** The smallest ratio of norms, student gradient to reference, that {@link carriesSignal} credits. */
export const MIN_CREDITED_NORM = 0.01;

function norm(t: Tensor): number {
  let s = 0;
  for (let i = 0; i < t.size; i++) s += t.data[i] * t.data[i];
  return Math.sqrt(s);
}

function relNorm(got: Tensor, expected: Tensor): string {
  const r = norm(got) / norm(expected);
  return r === 0 ? 'none' : `${(r * 100).toPrecision(2)}%`;
}

/** Concatenates tensors' data into one flat tensor (several outputs as one, for {@link gradeGradient}). */
export function flatConcat(list: readonly Tensor[]): Tensor {
  const size = list.reduce((a, t) => a + t.size, 0);
  const out = new Float64Array(size);
  let at = 0;
  for (const t of list) {
    out.set(t.data, at);
    at += t.size;
  }
  return new Tensor(out, [size]);
}

/** What {@link gradeGradients} needs: every gradient of one backward call. */
export interface GradientsGrading {
  readonly forward: string;
  readonly backward: string;
  /** The backward's raw result. */
  readonly result: unknown;
  /** The reference gradients to check, by key (`dx`, `dWh`, ...), from the reference forward's cache. */
  readonly expected: Readonly<Record<string, Tensor>>;
  /** The input each gradient belongs to, by gradient key (`dx` -> x, `dprevH` -> prevH). */
  readonly points: Readonly<Record<string, Tensor>>;
  /** The upstream gradient(s), flattened like `studentForward`'s output. */
  readonly dout: Tensor;
  /** Null when the student's forward is right for this input, else what is wrong. */
  readonly forwardProblem: string | null;
  /** The student's forward with the input of gradient `key` replaced by `p`; its outputs flattened. */
  readonly studentForward: (key: string, p: Tensor) => Promise<Tensor>;
  readonly rng: Rng;
  readonly h?: number;
  readonly hint?: string;
  /** A known mistake for a wrong gradient (the diagnosis module, a replay of the steps...). */
  readonly known?: (key: string, got: Tensor) => string | undefined | Promise<string | undefined>;
  /**
   * A second look at a gradient that differs from the reference, before the own-forward check:
   * e.g. whether a sequence backward is the right composition of the student's own (wrong) step
   * functions. A note accepts the gradient; undefined grades it as usual.
   */
  readonly alternative?: (key: string, got: Tensor) => Promise<string | undefined>;
  /** Name of each gradient in messages (default the key). */
  readonly inputName?: (key: string) => string;
}

/**
 * Grades every gradient of one backward result with {@link gradeGradient} (one mistake costs
 * once), in the order of `expected`.
 *
 * @returns the first note of a gradient accepted on a second look, else undefined
 * @throws TestFailure for the first gradient that is wrong
 */
export async function gradeGradients(g: GradientsGrading): Promise<string | undefined> {
  let note: string | undefined;
  for (const [key, want] of Object.entries(g.expected)) {
    const got = expectField(g.result, g.backward, key, want.shape);
    if (compareTensors('', got, want, { tol: TOL }).ok) continue;
    if (g.alternative && carriesSignal(got, want)) {
      const accepted = await g.alternative(key, got);
      if (accepted) {
        note ??= accepted;
        continue;
      }
    }
    const input = g.inputName ? g.inputName(key) : key.replace(/^d/, '');
    const accepted = await gradeGradient({
      forward: g.forward,
      backward: g.backward,
      input,
      point: g.points[key],
      grad: got,
      expected: want,
      dout: g.dout,
      forwardProblem: g.forwardProblem,
      rng: g.rng,
      ...(g.h !== undefined ? { h: g.h } : {}),
      ...(g.hint ? { hint: g.hint } : {}),
      known: g.known ? await g.known(key, got) : undefined,
      studentForward: (p) => g.studentForward(key, p),
    });
    note ??= accepted;
  }
  return note;
}

/** A field of {@link jointRecord}: an integer range `[lo, hi]`, or any arbitrary (drawn the same way in every draw). */
export type JointField = readonly [number, number] | fc.Arbitrary<unknown>;

/** The value {@link jointRecord} draws for one field: a number for a range, the arbitrary's value otherwise. */
export type JointValue<F> = F extends readonly [number, number] ? number : F extends fc.Arbitrary<infer V> ? V : never;

/** Options of {@link jointRecord}. */
export interface JointOptions<K extends string> {
  /**
   * The ranges of the edge draws, by field; default: each range without its lowest value
   * (`[lo + 1, hi]`, or `[lo, lo]` when `lo = hi`), so that every setting is non-default at once.
   */
  readonly edge?: Partial<Record<K, readonly [number, number] | fc.Arbitrary<unknown>>>;
  /** Weight of the edge draws against the free ones (default 1 : 2, a third of the draws). */
  readonly edgeWeight?: number;
}

/**
 * A record whose integer fields cover their ranges JOINTLY: free draws over every range, and
 * in a fixed share of the draws (a third by default) every field at a non-default value at the
 * same time (stride > 1 AND padding > 0 AND several images AND several channels...), so a bug
 * that shows only when two settings are non-default together is drawn in every run, not by
 * luck. Shrinking stays inside the branch a failing case came from, so a joint failure shrinks
 * to a smallest joint case.
 *
 * @param fields - `[lo, hi]` integer ranges, or arbitraries for fields that are not ranges (seeds, flags)
 * @example
 * ```ts
 * jointRecord({ N: [1, 3], stride: [1, 3], pad: [0, 2], seed: fc.nat() });
 * // a third of the draws have N >= 2, stride >= 2 and pad >= 1 together
 * ```
 */
export function jointRecord<F extends Record<string, JointField>>(fields: F, opts: JointOptions<Extract<keyof F, string>> = {}): fc.Arbitrary<{ [K in keyof F]: JointValue<F[K]> }> {
  const toArb = (f: JointField): fc.Arbitrary<unknown> => (Array.isArray(f) ? fc.integer({ min: f[0], max: f[1] }) : (f as fc.Arbitrary<unknown>));
  const free: Record<string, fc.Arbitrary<unknown>> = {};
  const edge: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [k, f] of Object.entries(fields)) {
    free[k] = toArb(f);
    const e = (opts.edge as Record<string, JointField | undefined> | undefined)?.[k];
    if (e !== undefined) edge[k] = toArb(e);
    else if (Array.isArray(f)) edge[k] = fc.integer({ min: Math.min(f[0] + 1, f[1]), max: f[1] });
    else edge[k] = free[k];
  }
  return fc.oneof({ arbitrary: fc.record(edge), weight: opts.edgeWeight ?? 1 }, { arbitrary: fc.record(free), weight: 2 }) as fc.Arbitrary<{ [K in keyof F]: JointValue<F[K]> }>;
}
