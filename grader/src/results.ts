/**
 * The grader's one result model: report -> submission -> exercise -> test. Every writer
 * (terminal table, JSON, Gradescope `results.json`) renders this model and nothing else.
 *
 * Determinism: for the same seed (or the same grader secret), submission and grader version,
 * everything in a {@link GradeReport} is the same from run to run except {@link GradeReport.run}
 * (when and how long). Compare `deterministicPart(report)` to check it.
 *
 * Seeds: by default each exercise's seed is derived from the instructor's secret and the
 * exercise's files (`seeds.ts`); the report then has `seed: null` and the secret's public
 * {@link GradeReport.secretId}. Writers for students (Gradescope, Markdown feedback, GitHub
 * Classroom, the terminal) then show no seed, only each failure's shrunk counterexample.
 *
 * @module
 */

/**
 * How a test ended.
 *
 * - `passed`: every case was answered correctly; full points.
 * - `failed`: a wrong, malformed or missing answer.
 * - `error`: the code threw, crashed, exited, ran out of memory, or did not compile or import.
 * - `timeout`: a call took longer than the per-call limit (the process was killed).
 * - `todo`: the function still throws the exercise's `NotImplementedError`.
 */
export type TestStatus = 'passed' | 'failed' | 'error' | 'timeout' | 'todo';

/**
 * When a student sees a test on Gradescope: at once (`visible`), only after the due date or
 * after grades are published, or never (`hidden`, the score still counts).
 */
export type Visibility = 'visible' | 'hidden' | 'after_due_date' | 'after_published';

/** The smallest failing case found (after fast-check's shrinking), to replay a failure. */
export interface Counterexample {
  /** The case in words, e.g. `"x [2,1,4,3], w [1,1,2,2], b [1], stride 2, pad 0 (values from seed 7)"`. */
  readonly description: string;
  /** True for one of the suite's fixed cases (a lecture example), false for a generated one. */
  readonly fixed: boolean;
  /** Shrinking steps fast-check took from the first failing case to this one. */
  readonly shrinks: number;
  /** fast-check's replay path; with the test's seed it reproduces exactly this case. */
  readonly path: string | null;
}

/** One graded test. */
export interface TestResult {
  /** Stable id within the exercise, e.g. `"backward-dw"`. */
  readonly id: string;
  /** What the test checks, e.g. `"conv2dBackward: dw"`. */
  readonly name: string;
  /** Points earned: `maxPoints` if passed, else 0. */
  readonly points: number;
  /** Points the test is worth. */
  readonly maxPoints: number;
  readonly status: TestStatus;
  /**
   * Why it failed: the function, the output tensor, the worst index and its relative error,
   * and a diagnosis where the grader has one (e.g. "your backward disagrees with your own
   * forward"). Empty when passed.
   */
  readonly feedback: string;
  /**
   * fast-check seed of this test, derived from its exercise's seed and the test's id; absent
   * when the test never ran (the exercise was not submitted).
   */
  readonly seed?: number;
  /** The (shrunk) failing case, when the failure came from one. */
  readonly counterexample?: Counterexample;
  /** Gradescope visibility, when the suite sets one (default `visible`). */
  readonly visibility?: Visibility;
}

/** One exercise of one submission. */
export interface ExerciseResult {
  /** Folder name, e.g. `"02-convolution"`. */
  readonly id: string;
  /** Human title, e.g. `"Convolution"`. */
  readonly title: string;
  readonly score: number;
  readonly maxScore: number;
  readonly tests: readonly TestResult[];
  /**
   * The exercise's seed: the report's `--seed`, or the one derived from the grader secret and
   * the exercise's files. Absent when the exercise was not run (not submitted, not unpacked).
   */
  readonly seed?: number;
  /**
   * True when the exercise was not submitted: no folder, or a module file missing from it. Its
   * tests then all scored 0 with feedback starting "not submitted"; its points still count in
   * the maximum.
   */
  readonly missing?: boolean;
  /**
   * Files of the exercise folder left out of grading because their names are not valid UTF-8
   * (no code can import them), escaped (`05-residual/notes\\xFE.md`). Absent when there are none.
   */
  readonly ignored?: readonly string[];
}

/** One submission (a folder laid out like `exercises/`). */
export interface SubmissionResult {
  /** The folder's name, e.g. `"exercises"` or a student's id. */
  readonly name: string;
  /** The folder, as given (relative to the working directory when inside it). */
  readonly path: string;
  readonly score: number;
  readonly maxScore: number;
  readonly exercises: readonly ExerciseResult[];
  /** Exercise folders found that are not part of the assignment (not graded, not counted). */
  readonly skipped: readonly string[];
  /**
   * Why the submission as a whole could not be graded (a broken archive, no exercise folders),
   * when that is so; its tests then all fail with this reason.
   */
  readonly error?: string;
}

/** How the children were sandboxed in this run. */
export interface SandboxInfo {
  /** Node's permission model: the child may read only its bundle. */
  readonly fsRead: 'bundle only';
  /** V8 heap limit in MB. */
  readonly heapLimitMb: number;
  /** Data-segment limit in bytes (heap plus typed arrays), or null if not enforced. */
  readonly dataLimitBytes: number | null;
  /** `isolated` when the child runs in an empty network namespace. */
  readonly network: 'isolated' | 'not isolated';
  /** `isolated` when the child runs in its own PID namespace and cannot signal the grader or any other process. */
  readonly processes: 'isolated' | 'not isolated';
  /** Wall-clock limit per call, in ms. */
  readonly timeoutMs: number;
  /** `nobody` when the child runs as an unprivileged user (the grader is root). */
  readonly user?: 'nobody' | 'grader';
  /** Measures that could not be applied on this machine. */
  readonly notes: readonly string[];
}

/** The whole grading run. */
export interface GradeReport {
  /** `"@dlkata/grader"`. */
  readonly tool: string;
  /** Grader version (from its package.json). */
  readonly version: string;
  /**
   * The seed given with `--seed`, used for every exercise (`--seed <seed>` reproduces the
   * report), or null when each exercise's seed was derived from the grader secret (the same
   * secret reproduces the report).
   */
  readonly seed: number | null;
  /** Public name of the grader secret the seeds were derived from (see `seeds.ts`), when `seed` is null. */
  readonly secretId?: string;
  /** Property-based cases drawn per test (fixed cases come on top). */
  readonly numRuns: number;
  readonly sandbox: SandboxInfo;
  readonly submissions: readonly SubmissionResult[];
  /** When and how long: the only part that differs between two runs with the same seed. */
  readonly run: RunInfo;
}

/** When and how long a grading run took: never part of the deterministic report. */
export interface RunInfo {
  /** ISO 8601 start time. */
  readonly startedAt: string;
  /** Wall-clock duration in ms. */
  readonly durationMs: number;
  /** Wall-clock time per graded exercise, in ms, when recorded. */
  readonly exercises?: readonly { readonly submission: string; readonly exercise: string; readonly durationMs: number }[];
}

/** The report without {@link GradeReport.run}: equal for two runs with the same seed. */
export function deterministicPart(report: GradeReport): Omit<GradeReport, 'run'> {
  const { run: _run, ...rest } = report;
  void _run;
  return rest;
}

/**
 * Whether seeds may be shown in what students read: only when the report was graded with an
 * explicit `--seed` (a seed the user chose). Seeds derived from the grader secret stay in the
 * instructor's JSON.
 */
export function seedsShown(report: Pick<GradeReport, 'seed'>): boolean {
  return report.seed !== null;
}

/** Total and maximum score over all submissions (for a one-submission report, that submission's). */
export function totals(report: GradeReport): { score: number; maxScore: number } {
  return {
    score: report.submissions.reduce((s, x) => s + x.score, 0),
    maxScore: report.submissions.reduce((s, x) => s + x.maxScore, 0),
  };
}

/**
 * One line explaining a failed test, as every writer prints it: feedback, then the
 * counterexample and, with `showSeed`, the seed that replays it.
 *
 * A TODO's feedback is returned alone: it has no counterexample worth showing.
 *
 * @param showSeed - add "Test seed N." (only for reports graded with an explicit `--seed`;
 *   a seed derived from the grader secret is never shown to students)
 *
 * @example
 * ```ts
 * failureText(test);
 * // "conv2dBackward: dw differs at [0,0,1,1]: got 0.5, expected 1 (relative error 3.3e-1, tolerance 1e-6). ...
 * //  Counterexample (shrunk in 4 steps): x [2,1,3,3], w [1,1,2,2], b [1], stride 2, pad 0 (values: ...). Test seed 123456."
 * ```
 */
export function failureText(t: TestResult, showSeed = true): string {
  if (t.status === 'passed') return '';
  if (t.status === 'todo') return t.feedback;
  const parts = [/[.!?]$/.test(t.feedback) ? t.feedback : `${t.feedback}.`];
  if (t.counterexample) {
    const c = t.counterexample;
    const how = c.fixed ? 'Fixed case' : c.shrinks > 0 ? `Counterexample (shrunk in ${c.shrinks} steps)` : 'Counterexample';
    parts.push(`${how}: ${c.description}.`);
  }
  if (showSeed && t.seed !== undefined) parts.push(`Test seed ${t.seed}.`);
  return parts.join(' ');
}
