/**
 * Gradescope writer: the `results.json` an autograder writes to `/autograder/results/`
 * (Gradescope's "Autograder Specifications": top-level `score`, `output`, `execution_time`,
 * `visibility`, `stdout_visibility`, `extra_data` and `tests[]`, each test with `name`,
 * `number`, `score`, `max_score`, `status`, `output`, `output_format`, `tags`, `visibility`),
 * with Markdown output (`output_format: "md"`). Only documented fields are written; the
 * grader's own totals go into `extra_data`.
 *
 * What students read here never holds a seed derived from the grader secret: each failure
 * shows its shrunk counterexample instead.
 *
 * @module
 */
import { DEFAULT_NUM_RUNS, DEFAULT_TIMEOUT_MS } from '../grade.js';
import type { GradeReport, Visibility } from '../results.js';
import { casesLine, mdCode, mdEscape, replayCommand, testMarkdown } from './markdown.js';
import { sandboxLine } from './table.js';

/** One test in Gradescope's format. */
export interface GradescopeTest {
  /** `"<exercise>: <test name>"`. */
  readonly name: string;
  /** `"<exercise number>.<test number>"`, e.g. `"2.5"`: Gradescope sorts and labels by it. */
  readonly number: string;
  /** Points earned. */
  readonly score: number;
  /** Points possible. */
  readonly max_score: number;
  /** `failed` for every status but `passed` (Gradescope knows only these two). */
  readonly status: 'passed' | 'failed';
  /** Feedback and counterexample (Markdown; with `--seed`, also the seed and replay command); empty when passed. */
  readonly output: string;
  /** Always `"md"`. */
  readonly output_format: 'md';
  /** The exercise and the grader's status (`failed`, `error`, `timeout`, `todo`, or `not-submitted`). */
  readonly tags: readonly string[];
  /** When the student sees it: the suite's choice, `visible` by default. */
  readonly visibility: Visibility;
}

/** Gradescope's `results.json`. */
export interface GradescopeResults {
  /** Points earned over all tests. */
  readonly score: number;
  /** Grader version, how cases were drawn, missing and skipped exercises, what the sandbox enforced. */
  readonly output: string;
  /** Markdown for `output` and, by default, every test's output. */
  readonly output_format: 'md';
  /** Markdown for the tests' output. */
  readonly test_output_format: 'md';
  readonly visibility: 'visible';
  /** The run's standard output (the grader's log) is for the instructor only. */
  readonly stdout_visibility: 'hidden';
  /** Seconds the grading took. */
  readonly execution_time?: number;
  /**
   * Stored by Gradescope, not shown: the assignment's maximum (`max_score`), the exercises
   * graded and those not submitted, and how seeds were chosen (the secret's public id, or the
   * explicit seed).
   */
  readonly extra_data: {
    readonly max_score: number;
    readonly exercises: readonly string[];
    readonly not_submitted: readonly string[];
    readonly seed: number | null;
    readonly secret_id?: string;
    readonly error?: string;
  };
  readonly tests: readonly GradescopeTest[];
}

/** Options of {@link toGradescope}. */
export interface GradescopeOptions {
  /** How the student names the submission in a replay command (default: the report's path). */
  readonly submissionPath?: string;
  /** Include `execution_time` (default true; false keeps the file the same from run to run). */
  readonly executionTime?: boolean;
}

function fmt(p: number): string {
  return Number.isInteger(p) ? String(p) : p.toFixed(1);
}

/**
 * Converts a one-submission report to Gradescope's format. Test names are prefixed with the
 * exercise (`"02-convolution: conv2dBackward: dw ..."`); `output` is the feedback with the
 * counterexample in Markdown, with the status where it is not a plain failure (`error`,
 * `timed out`, `TODO`, `not submitted`); the seed and replay command only when the report was
 * graded with an explicit `--seed`.
 *
 * @throws Error if the report has more than one submission (Gradescope grades one at a time)
 */
export function toGradescope(report: GradeReport, opts: GradescopeOptions = {}): GradescopeResults {
  if (report.submissions.length !== 1) {
    throw new Error(`a Gradescope results.json holds one submission; this report has ${report.submissions.length}`);
  }
  const sub = report.submissions[0];
  const where = opts.submissionPath ?? sub.path;
  const tests: GradescopeTest[] = sub.exercises.flatMap((ex) =>
    ex.tests.map((t, i) => ({
      name: `${ex.id}: ${t.name}`,
      number: `${Number.parseInt(ex.id, 10)}.${i + 1}`,
      score: t.points,
      max_score: t.maxPoints,
      status: t.status === 'passed' ? ('passed' as const) : ('failed' as const),
      output: ex.missing ? `**not submitted**: ${mdEscape(t.feedback.replace(/^not submitted: /, ''))}` : testMarkdown(t, report.seed === null ? undefined : replayCommand(where, ex.id, t, report.seed, report.numRuns, report.sandbox.timeoutMs)),
      output_format: 'md' as const,
      tags: [ex.id, ex.missing ? 'not-submitted' : t.status],
      visibility: t.visibility ?? 'visible',
    })),
  );
  const notSubmitted = sub.exercises.filter((e) => e.missing).map((e) => e.id);
  const notes = [`**${fmt(sub.score)}/${fmt(sub.maxScore)} points.** ${mdEscape(casesLine(report))}`];
  if (report.seed !== null) notes.push(`${mdCode(reproduceLine(report, sub.exercises.map((e) => e.id)))} reproduces it.`);
  if (sub.error) notes.push(`**This submission could not be graded:** ${mdEscape(sub.error)}`);
  if (notSubmitted.length) notes.push(`**Not submitted** (0 points each, counted in the maximum): ${notSubmitted.map((s) => mdEscape(s)).join(', ')}.`);
  if (sub.skipped.length) notes.push(`Not graded (not part of the assignment): ${sub.skipped.map((s) => mdEscape(s)).join(', ')}.`);
  notes.push(mdEscape(sandboxLine(report)));
  return {
    score: sub.score,
    output: notes.join('\n\n'),
    output_format: 'md',
    test_output_format: 'md',
    visibility: 'visible',
    stdout_visibility: 'hidden',
    ...(opts.executionTime === false ? {} : { execution_time: Math.round(report.run.durationMs / 100) / 10 }),
    extra_data: {
      max_score: sub.maxScore,
      exercises: sub.exercises.map((e) => e.id),
      not_submitted: notSubmitted,
      seed: report.seed,
      ...(report.secretId ? { secret_id: report.secretId } : {}),
      ...(sub.error ? { error: sub.error } : {}),
    },
    tests,
  };
}

/** `pnpm grade <submission>` with every option that changes the result: the exercises, cases per test, time limit and seed. */
function reproduceLine(report: GradeReport, exercises: readonly string[]): string {
  const parts = ['pnpm grade <submission>'];
  if (exercises.length > 0) parts.push(`--exercises ${exercises.join(',')}`);
  if (report.numRuns !== DEFAULT_NUM_RUNS) parts.push(`--runs ${report.numRuns}`);
  if (report.sandbox.timeoutMs !== DEFAULT_TIMEOUT_MS) parts.push(`--timeout ${report.sandbox.timeoutMs}`);
  parts.push(`--seed ${report.seed}`);
  return parts.join(' ');
}
