/**
 * `@dlkata/exercise-support`: what every exercise's visible tests share, so that a failure
 * reads the same everywhere and teaches (the issue's "one short block per failure").
 *
 * - {@link expectTensors} compares several tensors and fails ONCE listing every wrong one
 *   (name, shape, worst index, got vs expected, what the relative error means), with a
 *   diagnosis when one is known.
 * - {@link expectGradients} grades a backward pass against the reference when the student's
 *   forward is right, and against the numerical gradient of the student's OWN forward when it
 *   is not: a forward bug costs in the forward tests only (one mistake costs once).
 * - {@link forAll} runs a seeded fast-check property and, on failure, throws one error with the
 *   shrunk case and one runnable replay command (`DLKATA_SEED=... DLKATA_PATH=... pnpm test ...`).
 * - {@link explainRelativeError} says what a relative error means (CS231n's scale).
 *
 * Nothing here knows a solution: expected values come from the tests (the reference library or
 * hand-computed numbers). The diagnoses are re-exported from the grader's diagnosis module
 * (`@dlkata/grader/diagnose`), which compares a wrong answer against known wrong variants.
 *
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { compareTensors, formatShape, NotImplementedError, Tensor, type CompareOptions } from '@dlkata/tensor';
import fc from 'fast-check';
import { expect, TestRunner, type RunnerTask, type RunnerTestCase } from 'vitest';

/**
 * The diagnoses are the grader's (`@dlkata/grader/diagnose`), so a visible test and the grader
 * explain a mistake in the same words.
 */
export {
  diagnoseConvBackward,
  diagnoseConvForward,
  diagnoseInceptionForward,
  diagnoseLstmGateOrder,
  diagnoseLstmStepGateOrder,
  diagnosePoolBackward,
  diagnoseResidualForward,
  diagnoseRnnStep,
  diagnoseStepCombination,
  type StepGradients,
} from '@dlkata/grader/diagnose';

/** Values against the reference (`@dlkata/layers`) or exact hand-computed numbers: same math, so only rounding differs. */
export const VALUE_TOL: CompareOptions = { tol: 1e-8, atol: 1e-10 };
/** Analytic gradients against numerical gradients (centered differences, h = 1e-5). */
export const GRAD_TOL: CompareOptions = { tol: 1e-6, atol: 1e-8 };

/**
 * A visible test's failure. Its message is the whole explanation (the compact reporter prints
 * it as is); it never carries a `cause`, so no reporter prints the same failure twice.
 */
export class CheckFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailure';
  }
}

/** What is compared against: decides what a "correct" relative error looks like. */
export type Against = 'reference' | 'numerical';

/**
 * What a relative error means, in words (CS231n's "gradient check" notes: 1e-7 or less is
 * right, above 1e-4 is a bug for smooth functions, above 1e-2 the formula is wrong).
 *
 * @param error - the largest elementwise relative error, in [0, 1]
 * @param against - `'reference'` (same math, correct code gives about 1e-12) or
 *   `'numerical'` (finite differences, correct code gives 1e-10 to 1e-7)
 * @returns e.g. `"relative error 9.4e-4: a real bug, not rounding (correct code gives about 1e-12 here)"`
 */
export function explainRelativeError(error: number, against: Against = 'reference'): string {
  const e = `relative error ${error.toExponential(1)}`;
  const correct = against === 'reference' ? 'correct code gives about 1e-12 here' : 'a correct gradient gives 1e-7 or less against numerical gradients';
  if (error >= 1e-2) return `${e}: far off, a wrong formula or a wrong index`;
  if (error >= 1e-5) return `${e}: a real bug, not rounding (${correct}); often a term that is missing or overwritten (= where += is needed)`;
  return `${e}: small, yet above what ${against === 'reference' ? 'rounding' : 'finite differences'} explain (${correct})`;
}

/** One tensor to check: its name (`"dw"`), the student's value (anything) and the expected tensor. */
export interface TensorCheck {
  readonly name: string;
  readonly got: unknown;
  readonly expected: Tensor;
  /** Tolerances for this tensor; default the call's. */
  readonly tol?: CompareOptions;
}

/** Options of {@link expectTensors}. */
export interface ExpectOptions {
  /** Tolerances; default {@link VALUE_TOL} (or {@link GRAD_TOL} when `against` is `'numerical'`). */
  readonly tol?: CompareOptions;
  /** What the expected values are; changes how the relative error is explained. Default `'reference'`. */
  readonly against?: Against;
  /** The case in words (`x=[2,3,5,5] s=2 p=1`), printed under the mismatches. */
  readonly case?: string;
  /** Called only on failure: a sentence naming the likely mistake, or undefined. */
  readonly diagnose?: () => string | undefined;
  /** A sentence printed before the mismatches (e.g. why the expected values are what they are). */
  readonly note?: string;
}

/** A mismatch line, or undefined when the tensor is right. */
function mismatch(c: TensorCheck, tol: CompareOptions, against: Against): string | undefined {
  if (c.got === undefined) return `${c.name} is missing (undefined), expected a Tensor of shape ${formatShape(c.expected.shape)}`;
  const r = compareTensors(c.name, c.got as Tensor, c.expected, tol);
  if (r.ok) return undefined;
  if (!(c.got instanceof Tensor) || r.index === undefined) return r.message;
  const got = c.got.data[c.got.offset(...r.index)];
  const want = c.expected.data[c.expected.offset(...r.index)];
  const head = `${c.name} ${formatShape(c.expected.shape)} wrong at [${r.index.join(',')}]: got ${num(got)}, expected ${num(want)}`;
  const lines = [Number.isFinite(got) ? `${head}; ${explainRelativeError(r.error, against)}` : head];
  // Small tensors (at most one matrix) are shown whole, NumPy-style, so a pattern (a row of
  // zeros, a transpose, a constant offset) is visible.
  if (c.expected.size > 1 && c.expected.size <= 16 && c.expected.shape.slice(0, -2).every((d) => d === 1)) {
    lines.push(c.got.format({ prefix: '    got      ', suffix: '' }), c.expected.format({ prefix: '    expected ', suffix: '' }));
  }
  return lines.join('\n');
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : Number(v.toPrecision(6)).toString();
}

/**
 * Compares every tensor and, if any is wrong, fails once with one line per wrong tensor (shape,
 * worst index, got vs expected, the relative error explained), the case, and the diagnosis.
 *
 * @param fn - the student's function, e.g. `"conv2dBackward"`
 * @param checks - the tensors, in the order they should be reported
 * @throws CheckFailure listing every wrong tensor
 */
export function expectTensors(fn: string, checks: readonly TensorCheck[], opts: ExpectOptions = {}): void {
  const against = opts.against ?? 'reference';
  const tol = opts.tol ?? (against === 'numerical' ? GRAD_TOL : VALUE_TOL);
  const wrong: string[] = [];
  for (const c of checks) {
    const m = mismatch(c, c.tol ?? tol, against);
    if (m !== undefined) wrong.push(m);
  }
  if (wrong.length === 0) return;
  const lines: string[] = [];
  if (checks.length === 1 && !opts.note) {
    const [first, ...rest] = wrong[0].split('\n');
    lines.push(`${fn}: ${first}`, ...rest.map((l) => `  ${l}`));
  } else {
    lines.push(`${fn}: ${wrong.length} of ${checks.length} wrong`);
    if (opts.note) lines.push(`  ${opts.note}`);
    for (const w of wrong) lines.push(...w.split('\n').map((l) => `  ${l}`));
  }
  if (opts.case) lines.push(`  case: ${opts.case}`);
  const diagnosis = safely(opts.diagnose);
  if (diagnosis) lines.push(`  diagnosis: ${diagnosis}`);
  throw new CheckFailure(lines.join('\n'));
}

/** {@link expectTensors} for one tensor: `expectTensor('conv2dForward: out', out, expected)`. */
export function expectTensor(what: string, got: unknown, expected: Tensor, tol?: CompareOptions, opts: Omit<ExpectOptions, 'tol'> = {}): void {
  const at = what.indexOf(': ');
  const [fn, name] = at < 0 ? [what, 'out'] : [what.slice(0, at), what.slice(at + 2)];
  expectTensors(fn, [{ name, got, expected }], { ...opts, ...(tol ? { tol } : {}) });
}

/**
 * A number against an expected one, with the same relative tolerance as tensors.
 *
 * @throws CheckFailure `"meanIoU: got 0.5, expected 0.75 (relative error 2.0e-1: far off ...)"`
 */
export function expectNumber(what: string, got: unknown, expected: number, tol: CompareOptions = VALUE_TOL): void {
  if (typeof got !== 'number') throw new CheckFailure(`${what}: expected a number, got ${got === null ? 'null' : typeof got}`);
  const r = compareTensors(what, Tensor.from([got]), Tensor.from([expected]), tol);
  if (!r.ok) throw new CheckFailure(`${what}: got ${num(got)}, expected ${num(expected)}; ${explainRelativeError(r.error)}`);
}

function safely(f: (() => string | undefined) | undefined): string | undefined {
  if (!f) return undefined;
  try {
    return f();
  } catch (e) {
    if (e instanceof NotImplementedError) return undefined;
    return undefined;
  }
}

/** Options of {@link expectGradients}. */
export interface GradientOptions {
  /** The forward function the gradients belong to, e.g. `"conv2dForward"`. */
  readonly forward: string;
  /** Whether the student's forward gave the reference output for this case. */
  readonly forwardOk: boolean;
  /** The reference gradients, computed with the reference forward's cache (or numerically from a reference forward). */
  readonly reference: () => Record<string, Tensor>;
  /** Tolerances against `reference`; default {@link VALUE_TOL}, use {@link GRAD_TOL} for a numerical reference. */
  readonly referenceTol?: CompareOptions;
  /** Numerical gradients of the STUDENT's forward. */
  readonly ownNumerical: () => Record<string, Tensor>;
  /**
   * The student's backward called with the REFERENCE forward's cache (built by the test from
   * the cache type the exercise fixes). When the forward is wrong, a backward that gives the
   * reference gradients from the reference cache is right, and passes.
   */
  readonly onReferenceCache?: () => Record<string, unknown>;
  /**
   * What the test is about: `'reference'` (default) grades against the reference when the
   * forward is right; `'numerical'` grades against the numerical gradients of the student's
   * forward in any case. Either way, when the forward is wrong, matching the reference OR the
   * gradient of the student's own forward passes.
   */
  readonly prefer?: Against;
  readonly case?: string;
  /** Called on a failure: the likely mistake. */
  readonly diagnose?: () => string | undefined;
}

/**
 * One mistake costs once: grades a backward pass so that a bug in the forward pass is not
 * charged again here.
 *
 * - Forward right: the gradients must match the reference (or, with `prefer: 'numerical'`,
 *   the numerical gradients of the forward, which then are the same).
 * - Forward wrong: the gradients pass if they match the reference gradients (the backward
 *   is right, only the forward is not), or if the student's backward run on the reference
 *   forward's cache does (`onReferenceCache`), or if they match the numerical gradients of the
 *   student's OWN forward (the backward is right for the forward the student wrote). A pass
 *   is noted on the test; a failure says what it was checked against.
 *
 * @param fn - the backward function, e.g. `"conv2dBackward"`
 * @param got - the student's gradients by name (`{ dx, dw, db }`); an expected name missing
 *   here fails as "got undefined"; extra names are ignored
 * @throws CheckFailure listing every wrong gradient
 */
export function expectGradients(fn: string, got: Record<string, unknown>, opts: GradientOptions): void {
  const against = (expected: Record<string, Tensor>): TensorCheck[] => Object.keys(expected).map((k) => ({ name: k, got: got[k], expected: expected[k] }));
  const prefer = opts.prefer ?? 'reference';
  if (opts.forwardOk) {
    const expected = prefer === 'reference' ? opts.reference() : opts.ownNumerical();
    const tol = prefer === 'reference' ? (opts.referenceTol ?? VALUE_TOL) : GRAD_TOL;
    expectTensors(fn, against(expected), { against: prefer, tol, case: opts.case, diagnose: opts.diagnose });
    return;
  }
  const reference = opts.reference();
  const matchesReference = (g: Record<string, unknown>): boolean =>
    succeeds(() => expectTensors(fn, Object.keys(reference).map((k) => ({ name: k, got: g[k], expected: reference[k] })), { tol: opts.referenceTol ?? VALUE_TOL }));
  if (matchesReference(got)) {
    annotate(`your ${opts.forward} is wrong on some cases, but your ${fn} gives the reference gradients there: no points lost here.`);
    return;
  }
  if (opts.onReferenceCache && matchesReference(callSafely(opts.onReferenceCache))) {
    annotate(`your ${opts.forward} is wrong on some cases; there ${fn} was run on the reference forward's cache and gives the reference gradients: no points lost here.`);
    return;
  }
  expectTensors(fn, against(opts.ownNumerical()), {
    against: 'numerical',
    case: opts.case,
    diagnose: opts.diagnose,
    note: `your ${opts.forward} is wrong for this case (its own tests say how), so these gradients were checked against numerical gradients of YOUR ${opts.forward}:`,
  });
  annotate(`your ${opts.forward} is wrong on some cases; there ${fn} was checked against the gradient of your own ${opts.forward}, and matches it.`);
}

/** `f()`, or `{}` when it throws anything but a TODO (a backward that cannot read a foreign cache). */
function callSafely(f: () => Record<string, unknown>): Record<string, unknown> {
  try {
    return f() ?? {};
  } catch (e) {
    if (e instanceof NotImplementedError) throw e;
    return {};
  }
}

/**
 * True when `check` passes, false when it throws a {@link CheckFailure}; anything else (a TODO,
 * a crash) is rethrown. For "if this is wrong, check that instead" logic in tests.
 */
export function succeeds(check: () => void): boolean {
  try {
    check();
    return true;
  } catch (e) {
    if (e instanceof CheckFailure) return false;
    throw e;
  }
}

const annotated = new WeakSet<object>();

/** Adds a note to the running test (once per test); the compact reporter prints it under the test. */
export function annotate(message: string): void {
  const t = TestRunner.getCurrentTest();
  if (!t || annotated.has(t)) return;
  annotated.add(t);
  t.context.annotate(message).catch(() => undefined);
}

/**
 * What `fn` throws (undefined if nothing). A TODO from an unfinished function is re-thrown,
 * so the test shows the TODO instead of "expected a ShapeError".
 */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    if (e instanceof NotImplementedError) throw e;
    return e;
  }
  return undefined;
}

/** Options of {@link forAll}. */
export interface ForAllOptions<T> {
  /** The test file's seed; `DLKATA_SEED` overrides it (to replay a printed failure). */
  readonly seed: number;
  /** Number of random cases. */
  readonly runs: number;
  /** The case in words for the report; default JSON. */
  readonly name?: (c: T) => string;
}

/** Environment variables of a replay: set by the printed command, read by {@link forAll}. */
export const REPLAY_ENV = { seed: 'DLKATA_SEED', path: 'DLKATA_PATH' } as const;

/**
 * Runs a seeded property-based test (fast-check). A case that hits a TODO
 * (`NotImplementedError`) rethrows it at once, unshrunk. Any other failure throws one
 * {@link CheckFailure}: the failing case's own message, the shrunk case in words and one
 * command that replays exactly that case.
 *
 * `DLKATA_SEED` and `DLKATA_PATH` (both from the printed command) replay a case.
 */
export function forAll<T>(cases: fc.Arbitrary<T>, opts: ForAllOptions<T>, check: (c: T) => void): void {
  const envSeed = process.env[REPLAY_ENV.seed];
  const envPath = process.env[REPLAY_ENV.path];
  const seed = envSeed !== undefined && envSeed !== '' && Number.isInteger(Number(envSeed)) ? Number(envSeed) : opts.seed;
  const replaying = envPath !== undefined && envPath !== '';
  // A TODO shows at once: try the first case before fast-check would shrink a TODO for nothing.
  if (!replaying) {
    const [first] = fc.sample(cases, { seed, numRuns: 1 });
    try {
      check(first);
    } catch (e) {
      if (e instanceof NotImplementedError) throw e;
    }
  }
  const run = fc.check(
    fc.property(cases, (c) => check(c)),
    replaying ? { seed, path: envPath, numRuns: opts.runs, endOnFailure: true } : { seed, numRuns: opts.runs },
  );
  if (!run.failed) return;
  const err = run.errorInstance;
  if (err instanceof NotImplementedError) throw err;
  const shown = run.counterexample === null ? '(none)' : (opts.name ?? JSON.stringify)(run.counterexample[0]);
  const message = err instanceof CheckFailure || isAssertion(err) ? (err as Error).message : `${errName(err)}: ${errMessage(err)}`;
  const failure = new CheckFailure(
    [message, `  case: ${shown} (the smallest failing case found; seed ${run.seed})`, `  replay: ${replayCommand(run.seed, run.counterexamplePath)}`].join('\n'),
  );
  // Keep the frames of where it failed (the student's code, the test line), not fast-check's.
  if (err instanceof Error && err.stack) failure.stack = `CheckFailure: ${failure.message}\n${stackFrames(err.stack)}`;
  throw failure;
}

function isAssertion(e: unknown): boolean {
  return e instanceof Error && e.name === 'AssertionError';
}

function errName(e: unknown): string {
  return e instanceof Error ? e.name : typeof e;
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function stackFrames(stack: string): string {
  return stack
    .split('\n')
    .filter((l) => /^\s+at /.test(l) && !/node_modules|node:internal|\(node:/.test(l))
    .join('\n');
}

/** A regular expression source matching `s` literally. */
function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Quotes a shell argument (POSIX sh): bare when safe, else in single quotes. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The folder `pnpm test` runs from: the nearest folder above `file` that holds
 * `pnpm-workspace.yaml` (the repository root), else the current folder.
 */
function workspaceRoot(file: string): string {
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

/**
 * The command that reruns exactly one failing case of the running test:
 * `DLKATA_SEED=20240102 DLKATA_PATH=3:0:1 pnpm test exercises/02-convolution -t '...'`.
 *
 * @param seed - fast-check's seed of the run
 * @param casePath - fast-check's path of the shrunk case (`counterexamplePath`)
 */
export function replayCommand(seed: number, casePath: string | null): string {
  const state = expect.getState();
  const file = state.testPath ? path.relative(workspaceRoot(state.testPath), path.dirname(state.testPath)).split(path.sep).join('/') : '.';
  const test = TestRunner.getCurrentTest();
  const env = `${REPLAY_ENV.seed}=${seed}${casePath ? ` ${REPLAY_ENV.path}=${casePath}` : ''}`;
  return `${env} pnpm test ${file || '.'} -t ${shellQuote(namePattern(test))}`;
}

/** Full names of every test in the file of `test` (`describe name test name`, as `-t` matches them). */
function fileTestNames(test: RunnerTestCase): string[] {
  const names: string[] = [];
  const walk = (t: RunnerTask, prefix: string): void => {
    const full = prefix ? `${prefix} ${t.name}` : t.name;
    if (t.type === 'test') names.push(full);
    else if ('tasks' in t) for (const c of t.tasks) walk(c, t.type === 'suite' && t !== (test.file as RunnerTask) ? full : '');
  };
  walk(test.file, '');
  return names;
}

/**
 * A `-t` pattern that selects `test` alone: the shortest plain-text start of its name (cut at
 * the first character a regular expression would read specially) that no other test of the file
 * contains, else the whole name escaped.
 */
function namePattern(test: RunnerTestCase | undefined): string {
  if (!test) return '';
  const name = test.name.replace(/ \(seed \d+\)$/, '');
  const others = fileTestNames(test).filter((n) => !n.endsWith(` ${test.name}`) && n !== test.name);
  const plain = name.split(/[.*+?^${}()|[\]\\']/)[0].trimEnd();
  const prefix = test.suite && test.suite.type === 'suite' ? `${test.suite.name} ` : '';
  for (const candidate of [plain, `${prefix}${plain}`]) {
    if (candidate.length >= 8 && !others.some((n) => n.includes(candidate))) return candidate;
  }
  return escapeRegExp(name);
}
