/**
 * Gradescope writer: the `results.json` an autograder writes to `/autograder/results/`
 * (Gradescope's "Autograder Specifications": top-level `score` and `tests[]`, each test with
 * `name`, `score`, `max_score`, `status`, `output`, `visibility`).
 *
 * @module
 */
import { failureText, type GradeReport } from '../results.js';
import { sandboxLine } from './table.js';

/** One test in Gradescope's format. */
export interface GradescopeTest {
  /** `"<exercise>: <test name>"`. */
  readonly name: string;
  /** Points earned. */
  readonly score: number;
  /** Points possible. */
  readonly max_score: number;
  /** `failed` for every status but `passed` (Gradescope knows only these two). */
  readonly status: 'passed' | 'failed';
  /** Feedback, counterexample and seed; empty when passed. */
  readonly output: string;
  /** Shown to the student at once. */
  readonly visibility: 'visible';
}

/** Gradescope's `results.json`. */
export interface GradescopeResults {
  /** Points earned over all tests. */
  readonly score: number;
  /** Points possible. */
  readonly max_score: number;
  /** Grader version, seed, skipped exercises and what the sandbox enforced. */
  readonly output: string;
  readonly visibility: 'visible';
  readonly tests: readonly GradescopeTest[];
}

/**
 * Converts a one-submission report to Gradescope's format. Test names are prefixed with the
 * exercise (`"02-convolution: conv2dBackward: dw ..."`); `output` is the feedback with the
 * counterexample and seed, and says `timeout`/`error`/`todo` where that was the status.
 *
 * @throws Error if the report has more than one submission (Gradescope grades one at a time)
 */
export function toGradescope(report: GradeReport): GradescopeResults {
  if (report.submissions.length !== 1) {
    throw new Error(`a Gradescope results.json holds one submission; this report has ${report.submissions.length}`);
  }
  const sub = report.submissions[0];
  const tests: GradescopeTest[] = sub.exercises.flatMap((ex) =>
    ex.tests.map((t) => ({
      name: `${ex.id}: ${t.name}`,
      score: t.points,
      max_score: t.maxPoints,
      status: t.status === 'passed' ? ('passed' as const) : ('failed' as const),
      output: t.status === 'passed' ? '' : `${t.status === 'failed' ? '' : `[${t.status}] `}${failureText(t)}`,
      visibility: 'visible' as const,
    })),
  );
  return {
    score: sub.score,
    max_score: sub.maxScore,
    output: `Graded by ${report.tool} ${report.version}, seed ${report.seed}.${sub.skipped.length ? ` Not graded (no suite): ${sub.skipped.join(', ')}.` : ''} ${sandboxLine(report)}`,
    visibility: 'visible',
    tests,
  };
}
