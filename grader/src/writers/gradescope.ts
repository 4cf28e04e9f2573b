/**
 * Gradescope writer: the `results.json` an autograder writes to `/autograder/results/`
 * (Gradescope's "Autograder Specifications": top-level `score` and `tests[]`, each test with
 * `name`, `score`, `max_score`, `status`, `output`, `visibility`), with Markdown output
 * (`output_format: "md"`).
 *
 * @module
 */
import type { GradeReport, Visibility } from '../results.js';
import { mdCode, mdEscape, replayCommand, testMarkdown } from './markdown.js';
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
  /** Feedback, counterexample, seed and the replay command (Markdown); empty when passed. */
  readonly output: string;
  /** Always `"md"`. */
  readonly output_format: 'md';
  /** The exercise and the grader's status (`failed`, `error`, `timeout`, `todo`). */
  readonly tags: readonly string[];
  /** When the student sees it: the suite's choice, `visible` by default. */
  readonly visibility: Visibility;
}

/** Gradescope's `results.json`. */
export interface GradescopeResults {
  /** Points earned over all tests. */
  readonly score: number;
  /** Points possible. */
  readonly max_score: number;
  /** Grader version, seed, skipped exercises and what the sandbox enforced. */
  readonly output: string;
  /** Markdown for `output` and, by default, every test's output. */
  readonly output_format: 'md';
  /** Markdown for the tests' output. */
  readonly test_output_format: 'md';
  readonly visibility: 'visible';
  /** Seconds the grading took. */
  readonly execution_time?: number;
  readonly tests: readonly GradescopeTest[];
}

/** Options of {@link toGradescope}. */
export interface GradescopeOptions {
  /** How the student names the submission in a replay command (default: the report's path). */
  readonly submissionPath?: string;
  /** Include `execution_time` (default true; false keeps the file the same from run to run). */
  readonly executionTime?: boolean;
}

/**
 * Converts a one-submission report to Gradescope's format. Test names are prefixed with the
 * exercise (`"02-convolution: conv2dBackward: dw ..."`); `output` is the feedback with the
 * counterexample, seed and replay command, in Markdown, with the status where it is not a
 * plain failure (`error`, `timed out`, `TODO`).
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
      output: testMarkdown(t, replayCommand(where, ex.id, t, report.seed, report.numRuns)),
      output_format: 'md' as const,
      tags: [ex.id, t.status],
      visibility: t.visibility ?? 'visible',
    })),
  );
  const notes = [
    `Graded by ${mdEscape(report.tool)} ${mdEscape(report.version)}, seed ${report.seed} (${report.numRuns} random cases per test): ${mdCode(`pnpm grade <submission> --seed ${report.seed}`)} reproduces it.`,
  ];
  if (sub.error) notes.push(`**This submission could not be graded:** ${mdEscape(sub.error)}`);
  if (sub.skipped.length) notes.push(`Not graded (no suite): ${sub.skipped.map((s) => mdEscape(s)).join(', ')}.`);
  notes.push(mdEscape(sandboxLine(report)));
  return {
    score: sub.score,
    max_score: sub.maxScore,
    output: notes.join('\n\n'),
    output_format: 'md',
    test_output_format: 'md',
    visibility: 'visible',
    ...(opts.executionTime === false ? {} : { execution_time: Math.round(report.run.durationMs / 100) / 10 }),
    tests,
  };
}
