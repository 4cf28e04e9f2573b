/**
 * Mutation testing of the grader's tests: every mutant of the catalogue (one realistic bug in
 * a copy of a solution) is graded like a student's submission, and must lose points in exactly
 * the tests its `expectFailIn` names, while the reference solutions keep full marks.
 *
 * All mutants go through one class run ({@link gradeClass}), several at a time.
 *
 * @module
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gradeClass } from '../batch/class.js';
import type { Counterexample, SubmissionResult } from '../results.js';
import { SUITES } from '../suites/index.js';
import type { Suite, TestContext } from '../suites/types.js';
import { catalogueProblems, loadMutants } from './catalogue.js';
import { applyMutant, type Mutant } from './types.js';

/** The seed the self-test uses unless told otherwise, so its score is stable. */
export const SELFTEST_SEED = 20240611;

/** How one mutant fared. */
export interface MutantOutcome {
  readonly mutant: Mutant;
  /**
   * `exact`: lost points in exactly the expected tests; `elsewhere`: lost points, but not
   * (only) in the expected tests; `survived`: kept every point.
   */
  readonly verdict: 'exact' | 'elsewhere' | 'survived';
  /** Tests that lost points. */
  readonly failed: readonly string[];
  /** Expected to fail, but passed. */
  readonly missing: readonly string[];
  /** Failed, but not expected to. */
  readonly extra: readonly string[];
  /** Feedback of every failed test, by test id. */
  readonly feedback: Readonly<Record<string, string>>;
  /** Status of every failed test, by test id. */
  readonly statuses: Readonly<Record<string, string>>;
  /** The (shrunk) counterexample of every failed test that has one, by test id. */
  readonly counterexamples: Readonly<Record<string, Counterexample>>;
}

/** The self-test's result. */
export interface SelftestReport {
  readonly seed: number;
  /** The reference solutions' result, when graded. */
  readonly reference?: SubmissionResult;
  readonly outcomes: readonly MutantOutcome[];
  /** Mutants that lost points anywhere. */
  readonly killed: number;
  /** Mutants that lost points exactly where expected. */
  readonly exact: number;
  readonly total: number;
  readonly durationMs: number;
  /** True for a quick run (no shrinking). */
  readonly quick?: boolean;
}

/** Options of {@link runSelftest}. */
export interface SelftestOptions {
  /** The solutions folder. */
  readonly solutions: string;
  /** The mutants (default: the whole catalogue, less those whose exercise has no solution yet). */
  readonly mutants?: readonly Mutant[];
  /** Only these exercises' mutants. */
  readonly exercises?: readonly string[];
  /** Also grade the reference solutions (default true). */
  readonly reference?: boolean;
  readonly seed?: number;
  readonly jobs?: number;
  readonly timeoutMs?: number;
  readonly numRuns?: number;
  readonly suites?: readonly Suite[];
  /**
   * Quick mode: failing cases are not shrunk (the self-test needs to know that a test fails,
   * not its smallest case), which makes a mutant several times cheaper to grade. The verdicts
   * are the same; the counterexamples are the first failing case found.
   */
  readonly quick?: boolean;
  /** Called as each submission (mutant or reference) is graded. */
  readonly onProgress?: (done: number, total: number, name: string) => void;
}

/** A suite whose tests stop at the first failing case (no shrinking). */
export function withoutShrinking(suite: Suite): Suite {
  return {
    ...suite,
    tests: suite.tests.map((t) => ({
      ...t,
      // the context keeps its own methods: a child object that only adds shrink: false
      run: (ctx: TestContext) => t.run(Object.assign(Object.create(ctx) as TestContext, { shrink: false })),
    })),
  };
}

/** The folder name of a mutant's submission. */
export function mutantFolder(m: Mutant): string {
  return `mutant--${m.exercise}--${m.id}`;
}

function copyExercise(solutions: string, exercise: string, dest: string): void {
  cpSync(path.join(solutions, exercise), path.join(dest, exercise), {
    recursive: true,
    filter: (f) => !f.endsWith('.test.ts') && !f.includes('node_modules'),
  });
}

/**
 * Grades the reference and every mutant, and compares what lost points with what should have.
 *
 * @throws Error if the catalogue has problems ({@link catalogueProblems})
 */
export async function runSelftest(opts: SelftestOptions): Promise<SelftestReport> {
  const started = Date.now();
  const suites = opts.quick ? (opts.suites ?? SUITES).map(withoutShrinking) : (opts.suites ?? SUITES);
  const seed = opts.seed ?? SELFTEST_SEED;
  const all = opts.mutants ?? (await loadMutants());
  const withSolution = all.filter((m) => suites.some((s) => s.id === m.exercise) && (opts.exercises ? opts.exercises.includes(m.exercise) : true));
  const problems = catalogueProblems(withSolution, suites, opts.solutions);
  if (problems.length > 0) throw new Error(`the mutant catalogue has problems:\n${problems.join('\n')}`);
  const mutants = withSolution.filter((m) => {
    try {
      readFileSync(path.join(opts.solutions, m.exercise, m.file));
      return true;
    } catch {
      return false;
    }
  });
  const exercises = [...new Set([...mutants.map((m) => m.exercise), ...(opts.reference === false ? [] : (opts.exercises ?? suites.map((s) => s.id)))])]
    .filter((id) => suites.some((s) => s.id === id))
    .filter((id) => {
      try {
        readFileSync(path.join(opts.solutions, id, suites.find((s) => s.id === id)!.modules[0]));
        return true;
      } catch {
        return false;
      }
    })
    .sort();
  const root = mkdtempSync(path.join(tmpdir(), 'dlkata-selftest-'));
  try {
    const classDir = path.join(root, 'class');
    mkdirSync(classDir);
    if (opts.reference !== false) {
      for (const ex of exercises) copyExercise(opts.solutions, ex, path.join(classDir, 'reference'));
    }
    for (const m of mutants) {
      const dir = path.join(classDir, mutantFolder(m));
      copyExercise(opts.solutions, m.exercise, dir);
      const file = path.join(dir, m.exercise, m.file);
      writeFileSync(file, applyMutant(readFileSync(file, 'utf8'), m));
    }
    const total = mutants.length + (opts.reference === false ? 0 : 1);
    let done = 0;
    const r = await gradeClass(classDir, {
      out: path.join(root, 'out'),
      seed,
      exercises,
      suites,
      ...(opts.jobs !== undefined ? { jobs: opts.jobs } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.numRuns !== undefined ? { numRuns: opts.numRuns } : {}),
      onEvent: (e) => {
        if (e.type === 'done') opts.onProgress?.(++done, total, e.name);
      },
    });
    const byName = new Map(r.report.submissions.map((s) => [s.name, s]));
    const outcomes = mutants.map((m): MutantOutcome => {
      const ex = byName.get(mutantFolder(m))!.exercises.find((e) => e.id === m.exercise)!;
      const failedTests = ex.tests.filter((t) => t.status !== 'passed');
      const failed = failedTests.map((t) => t.id);
      const missing = m.expectFailIn.filter((t) => !failed.includes(t));
      const extra = failed.filter((t) => !m.expectFailIn.includes(t));
      const verdict = failed.length === 0 ? 'survived' : missing.length === 0 && extra.length === 0 ? 'exact' : 'elsewhere';
      return {
        mutant: m,
        verdict,
        failed,
        missing,
        extra,
        feedback: Object.fromEntries(failedTests.map((t) => [t.id, t.feedback])),
        statuses: Object.fromEntries(failedTests.map((t) => [t.id, t.status])),
        counterexamples: Object.fromEntries(failedTests.flatMap((t) => (t.counterexample ? [[t.id, t.counterexample]] : []))),
      };
    });
    const reference = byName.get('reference');
    return {
      seed,
      ...(reference ? { reference } : {}),
      outcomes,
      killed: outcomes.filter((o) => o.verdict !== 'survived').length,
      exact: outcomes.filter((o) => o.verdict === 'exact').length,
      total: outcomes.length,
      durationMs: Date.now() - started,
      ...(opts.quick ? { quick: true } : {}),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** True when the reference has full marks and every mutant lost points exactly where expected. */
export function selftestPassed(r: SelftestReport): boolean {
  return (r.reference === undefined || r.reference.score === r.reference.maxScore) && r.exact === r.total;
}

/** One exercise's line of the self-test's table. */
export interface ExerciseScore {
  readonly exercise: string;
  readonly mutants: number;
  /** Mutants that lost points anywhere. */
  readonly killed: number;
  /** Mutants that lost points exactly in the tests that name their bug. */
  readonly exact: number;
  /** Mutants by kind (`single`, `interaction`, `constant`, `forward-only`). */
  readonly kinds: Readonly<Record<string, number>>;
  /** The reference solution's score of this exercise, when graded. */
  readonly reference?: { readonly score: number; readonly maxScore: number };
}

/** The self-test per exercise, in exercise order. */
export function exerciseScores(r: SelftestReport): ExerciseScore[] {
  const ids = [...new Set([...r.outcomes.map((o) => o.mutant.exercise), ...(r.reference?.exercises.map((e) => e.id) ?? [])])].sort();
  return ids.map((exercise) => {
    const mine = r.outcomes.filter((o) => o.mutant.exercise === exercise);
    const kinds: Record<string, number> = {};
    for (const o of mine) kinds[o.mutant.kind ?? 'single'] = (kinds[o.mutant.kind ?? 'single'] ?? 0) + 1;
    const ref = r.reference?.exercises.find((e) => e.id === exercise);
    return {
      exercise,
      mutants: mine.length,
      killed: mine.filter((o) => o.verdict !== 'survived').length,
      exact: mine.filter((o) => o.verdict === 'exact').length,
      kinds,
      ...(ref ? { reference: { score: ref.score, maxScore: ref.maxScore } } : {}),
    };
  });
}

/** The per-exercise table of the self-test, as aligned text. */
export function renderExerciseTable(r: SelftestReport): string {
  const head = ['exercise', 'mutants', 'lose points', 'exactly', 'interaction', 'constant', 'forward-only', 'reference'];
  const rows = exerciseScores(r).map((e) => [
    e.exercise,
    String(e.mutants),
    String(e.killed),
    String(e.exact),
    String(e.kinds.interaction ?? 0),
    String(e.kinds.constant ?? 0),
    String(e.kinds['forward-only'] ?? 0),
    e.reference ? `${e.reference.score}/${e.reference.maxScore}` : '-',
  ]);
  const total = ['all', String(r.total), String(r.killed), String(r.exact), ...['interaction', 'constant', 'forward-only'].map((k) => String(r.outcomes.filter((o) => o.mutant.kind === k).length)), r.reference ? `${r.reference.score}/${r.reference.maxScore}` : '-'];
  const all = [head, ...rows, total];
  const widths = head.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const line = (row: string[]): string => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), widths.map((w) => '-'.repeat(w)).join('  '), line(total)].join('\n');
}

/** The self-test as text: one line per mutant, the per-exercise table, the reference, and the mutation score. */
export function renderSelftest(r: SelftestReport): string {
  const lines: string[] = [];
  const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
  const width = Math.max(10, ...r.outcomes.map((o) => `${o.mutant.exercise}/${o.mutant.id}`.length));
  const mark = { exact: 'ok', elsewhere: 'ELSEWHERE', survived: 'SURVIVED' } as const;
  lines.push(`${pad('mutant', width)}  ${pad('verdict', 9)}  expected -> lost points in`);
  for (const o of r.outcomes) {
    const name = `${o.mutant.exercise}/${o.mutant.id}`;
    const detail =
      o.verdict === 'exact'
        ? o.failed.join(', ')
        : `${o.mutant.expectFailIn.join(', ')} -> ${o.failed.join(', ') || 'nothing'}${o.missing.length ? ` (missing: ${o.missing.join(', ')})` : ''}${o.extra.length ? ` (extra: ${o.extra.join(', ')})` : ''}`;
    lines.push(`${pad(name, width)}  ${pad(mark[o.verdict], 9)}  ${detail}`);
    if (o.verdict !== 'exact') lines.push(`${' '.repeat(width + 13)}${o.mutant.description}`);
  }
  lines.push('');
  lines.push(renderExerciseTable(r));
  lines.push('');
  if (r.reference) {
    const ref = r.reference;
    const lost = ref.exercises.flatMap((e) => e.tests.filter((t) => t.status !== 'passed').map((t) => `${e.id}/${t.id}`));
    lines.push(`reference solutions: ${ref.score}/${ref.maxScore}${lost.length ? ` (LOST POINTS in ${lost.join(', ')})` : ' (full marks)'}`);
  }
  const pct = (n: number): string => `${r.total ? Math.round((100 * n) / r.total) : 100}%`;
  lines.push(`mutation score: ${r.killed}/${r.total} mutants lose points (${pct(r.killed)}); ${r.exact}/${r.total} exactly in the tests that name their bug (${pct(r.exact)})`);
  const survived = r.outcomes.filter((o) => o.verdict === 'survived');
  if (survived.length) lines.push(`survived: ${survived.map((o) => `${o.mutant.exercise}/${o.mutant.id}`).join(', ')}`);
  lines.push(`seed ${r.seed}; ${(r.durationMs / 1000).toFixed(1)} s${r.quick ? ' (quick: failing cases not shrunk)' : ''}`);
  return lines.join('\n');
}
