/**
 * GitHub Classroom writer: the result of one "runner" in the format that
 * `classroom-resources/autograding-grading-reporter` reads from `<RUNNER>_RESULTS` (base64 JSON:
 * `{ version: 1, status, max_score, tests: [{ name, status, score, message }] }`), so the
 * reporter adds up each test's points and reports them to GitHub Classroom.
 *
 * The workflow's log is the student's to read: a seed derived from the grader secret is never
 * written, only each failure's shrunk counterexample. Missing exercises are failed tests worth
 * their points, so `max_score` is the assignment's and a student who deletes the exercises
 * they fail does not get `pass`.
 *
 * @module
 */
import { failureText, seedsShown, type GradeReport } from '../results.js';

/** One test, as the reporter reads it. */
export interface ClassroomTest {
  readonly name: string;
  /** `pass`, `fail` (a wrong answer or TODO) or `error` (threw, crashed, timed out). */
  readonly status: 'pass' | 'fail' | 'error';
  /** Points earned. */
  readonly score: number;
  /** Feedback; empty when passed. */
  readonly message: string;
  /** Not used by the grader (the reporter shows it). */
  readonly line_no: number;
}

/** What one runner reports. */
export interface ClassroomResult {
  readonly version: 1;
  /** `pass` only when every test passed. */
  readonly status: 'pass' | 'fail' | 'error';
  /** Points possible. */
  readonly max_score: number;
  readonly tests: readonly ClassroomTest[];
}

/** Converts a report (every submission in it, usually one) to a runner result. */
export function toClassroom(report: GradeReport): ClassroomResult {
  const showSeed = seedsShown(report);
  const tests: ClassroomTest[] = report.submissions.flatMap((s) =>
    s.exercises.flatMap((ex) =>
      ex.tests.map((t) => ({
        name: `${report.submissions.length > 1 ? `${s.name}/` : ''}${ex.id}: ${t.name}`,
        status: t.status === 'passed' ? ('pass' as const) : !ex.missing && (t.status === 'error' || t.status === 'timeout') ? ('error' as const) : ('fail' as const),
        score: t.points,
        message: failureText(t, showSeed),
        line_no: 0,
      })),
    ),
  );
  const status = tests.every((t) => t.status === 'pass') ? 'pass' : tests.some((t) => t.status === 'fail') ? 'fail' : 'error';
  return { version: 1, status, max_score: report.submissions.reduce((m, s) => m + s.maxScore, 0), tests };
}

/**
 * The line to append to `$GITHUB_OUTPUT`: `result=<base64 JSON>`, read by the reporter as
 * `steps.<id>.outputs.result`.
 */
export function classroomOutputLine(report: GradeReport): string {
  return `result=${Buffer.from(JSON.stringify(toClassroom(report)), 'utf8').toString('base64')}\n`;
}
