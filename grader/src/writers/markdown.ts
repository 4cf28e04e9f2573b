/**
 * Markdown writer: the feedback a student reads (one file per submission in a class run, and
 * each test's `output` on Gradescope with `output_format: "md"`).
 *
 * Everything that can come from a submission (its error messages, which end up in feedback)
 * is escaped, so a submission cannot inject links, HTML or tables into its own report or into
 * the instructor's class summary.
 *
 * @module
 */
import { DEFAULT_NUM_RUNS, DEFAULT_TIMEOUT_MS } from '../grade.js';
import type { ExerciseResult, GradeReport, SubmissionResult, TestResult, TestStatus } from '../results.js';

/** How each status is shown. */
export const STATUS_LABEL: Readonly<Record<TestStatus, string>> = { passed: 'passed', failed: 'failed', error: 'error', timeout: 'timed out', todo: 'TODO' };

/**
 * Escapes text for Markdown: backslashes, emphasis, code, links, HTML, table pipes and
 * headings; line breaks become spaces unless `keepLines`.
 *
 * @example
 * ```ts
 * mdEscape('a *b* [c](d) <script>|'); // 'a \\*b\\* \\[c\\](d) &lt;script&gt;\\|'
 * ```
 */
export function mdEscape(text: string, keepLines = false): string {
  const t = text
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/^#/gm, '\\#');
  return keepLines ? t : t.replace(/\r?\n/g, ' ');
}

/** Inline code that holds any text (backticks inside choose a longer fence). */
export function mdCode(text: string): string {
  const one = text.replace(/\r?\n/g, ' ');
  const runs = one.match(/`+/g) ?? [];
  const fence = '`'.repeat(runs.reduce((m, r) => Math.max(m, r.length), 0) + 1);
  const pad = one.startsWith('`') || one.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${one}${pad}${fence}`;
}

function fmt(p: number): string {
  return Number.isInteger(p) ? String(p) : p.toFixed(1);
}

/**
 * The command that reruns one test of a submission: with `--seed` when the report was graded
 * with one (and its number of random cases, when not the default: the cases depend on it);
 * without, when the seeds came from the grader secret (the same secret replays them).
 */
export function replayCommand(submissionPath: string, exercise: string, test: TestResult, runSeed: number | null, numRuns = DEFAULT_NUM_RUNS, timeoutMs = DEFAULT_TIMEOUT_MS): string {
  const quoted = /^[\w./@:-]+$/.test(submissionPath) ? submissionPath : `'${submissionPath.replace(/'/g, "'\\''")}'`;
  const runs = `${numRuns === DEFAULT_NUM_RUNS ? '' : ` --runs ${numRuns}`}${timeoutMs === DEFAULT_TIMEOUT_MS ? '' : ` --timeout ${timeoutMs}`}`;
  const path = test.counterexample?.path ? ` --path ${test.counterexample.path}` : '';
  return `pnpm grade ${quoted} --replay ${exercise}/${test.id}${runSeed === null ? '' : ` --seed ${runSeed}`}${runs}${path}`;
}

/**
 * One failed test in Markdown: the status, the feedback, the (shrunk) counterexample and,
 * when `replay` is given, the test seed and the command that replays it. Without `replay` (a
 * report whose seeds came from the grader secret, read by the student), no seed is shown: the
 * counterexample is what reproduces the failure.
 */
export function testMarkdown(t: TestResult, replay?: string): string {
  if (t.status === 'passed') return '';
  const parts = [`**${STATUS_LABEL[t.status]}**: ${mdEscape(t.feedback)}`];
  if (t.counterexample && t.status !== 'todo') {
    const c = t.counterexample;
    const how = c.fixed ? 'Fixed case' : c.shrinks > 0 ? `Counterexample (shrunk in ${c.shrinks} steps)` : 'Counterexample';
    parts.push(`${how}: ${mdEscape(c.description)}`);
  }
  if (t.status !== 'todo' && replay && t.seed !== undefined) parts.push(`Test seed ${t.seed}. Replay: ${mdCode(replay)}`);
  return parts.join('\n\n');
}

function exerciseMarkdown(sub: SubmissionResult, ex: ExerciseResult, seed: number | null, numRuns: number, timeoutMs?: number): string {
  const lines = [`## ${mdEscape(ex.id)}: ${mdEscape(ex.title)} (${fmt(ex.score)}/${fmt(ex.maxScore)})${ex.missing ? ' (not submitted)' : ''}`, ''];
  if (ex.ignored?.length) lines.push(`Not graded (the file name is not valid UTF-8; no code can import it): ${ex.ignored.map((p) => mdEscape(p)).join(', ')}`, '');
  if (ex.missing) {
    lines.push(mdEscape(ex.tests[0]?.feedback ?? 'not submitted'), '');
  }
  lines.push('| test | points | status |', '| --- | --- | --- |');
  for (const t of ex.tests) lines.push(`| ${mdEscape(t.name)} | ${fmt(t.points)}/${fmt(t.maxPoints)} | ${ex.missing ? 'not submitted' : STATUS_LABEL[t.status]} |`);
  const failing = ex.missing ? [] : ex.tests.filter((t) => t.status !== 'passed');
  for (const t of failing) {
    lines.push('', `### ${mdEscape(t.name)}`, '', testMarkdown(t, seed === null ? undefined : replayCommand(sub.path, ex.id, t, seed, numRuns, timeoutMs)));
  }
  return lines.join('\n');
}

/**
 * The feedback file of one submission (what a student reads): total, one section per exercise
 * (a table of tests, then each failed test with its feedback and counterexample), and how the
 * cases were drawn. Seeds and replay commands appear only for a report graded with an explicit
 * `--seed`; seeds derived from the grader secret are not shown.
 */
export function submissionMarkdown(report: Pick<GradeReport, 'tool' | 'version' | 'seed' | 'numRuns'> & { readonly timeoutMs?: number; readonly sandbox?: { readonly timeoutMs: number } }, sub: SubmissionResult): string {
  const pct = sub.maxScore ? Math.round((100 * sub.score) / sub.maxScore) : 0;
  const lines = [`# Feedback: ${mdEscape(sub.name)}`, '', `**Total: ${fmt(sub.score)}/${fmt(sub.maxScore)} points (${pct}%)**`, ''];
  if (sub.error) lines.push(`This submission could not be graded: ${mdEscape(sub.error)}`, '');
  for (const ex of sub.exercises) lines.push(exerciseMarkdown(sub, ex, report.seed, report.numRuns, report.timeoutMs ?? report.sandbox?.timeoutMs), '');
  if (sub.skipped.length) lines.push(`Not graded (not part of the assignment): ${sub.skipped.map((s) => mdEscape(s)).join(', ')}.`, '');
  lines.push(casesLine(report), '');
  return lines.join('\n');
}

/** How the cases were drawn, in one sentence for students. */
export function casesLine(report: Pick<GradeReport, 'tool' | 'version' | 'seed' | 'numRuns'>): string {
  return report.seed === null
    ? `Graded by ${report.tool} ${report.version} (${report.numRuns} random cases per test, drawn afresh for each submission). Each failure shows its smallest failing case (shapes, parameters and, where values are random, the seed of its values), enough to rebuild it in a test of your own.`
    : `Graded by ${report.tool} ${report.version} with seed ${report.seed} (${report.numRuns} random cases per test): the same seed gives the same cases.`;
}
