/**
 * Grading: finds the submissions under a path, bundles each exercise, runs its suite against
 * a sandboxed child, and collects a {@link GradeReport}.
 *
 * @module
 */
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { discover, UsageError, type FoundSubmission } from './discover.js';
import type { ExerciseResult, GradeReport, SubmissionResult, TestResult } from './results.js';
import { bundleExercise } from './sandbox/bundle.js';
import { detectIsolation } from './sandbox/isolation.js';
import { HEAP_LIMIT_MB } from './sandbox/sandbox.js';
import { ExerciseSandbox } from './exercise-sandbox.js';
import { SUITES } from './suites/index.js';
import { TestFailure, type Suite, type TestContext } from './suites/types.js';

/** The grader's name, as written into reports. */
export const TOOL = '@dlkata/grader';

/** The grader's version, from its package.json. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Default wall-clock limit per call, in ms. */
export const DEFAULT_TIMEOUT_MS = 5000;

/** Default number of generated cases per property test. */
export const DEFAULT_NUM_RUNS = 15;

/** Options of {@link grade}. */
export interface GradeOptions {
  /** The run's seed (a non-negative 31-bit integer); default: a fresh random one. */
  readonly seed?: number;
  /** Wall-clock limit per call, in ms (default {@link DEFAULT_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
  /** Generated cases per property test (default {@link DEFAULT_NUM_RUNS}). */
  readonly numRuns?: number;
  /** Exercises graded at the same time (default: 2, at most the number of CPUs). */
  readonly concurrency?: number;
  /** Directory that relative paths are resolved against and reported relative to (default `process.cwd()`). */
  readonly cwd?: string;
  /** The suites to use (default {@link SUITES}). */
  readonly suites?: readonly Suite[];
  /** Called as exercises start and finish (for a progress line). */
  readonly onProgress?: (event: ProgressEvent) => void;
}

/** Progress of a grading run. */
export type ProgressEvent =
  | { readonly type: 'start'; readonly submission: string; readonly exercise: string }
  | { readonly type: 'done'; readonly submission: string; readonly exercise: ExerciseResult };

/** Largest seed accepted (fast-check seeds are 32-bit; we keep them positive). */
export const MAX_SEED = 0x7fffffff;

/** A fresh random seed. */
export function randomSeed(): number {
  return randomInt(0, MAX_SEED);
}

/**
 * The seed of one test, derived from the run's seed and the test's place (FNV-1a): every
 * submission gets the same cases for the same run seed, and each test its own stream.
 */
export function testSeed(runSeed: number, suiteId: string, testId: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${runSeed}/${suiteId}/${testId}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & MAX_SEED;
}

function displayPath(p: string, cwd: string): string {
  const rel = path.relative(cwd, p);
  if (rel === '') return '.';
  if (rel.startsWith('..') || path.isAbsolute(rel)) return p;
  return rel.split(path.sep).join('/');
}

function failAll(suite: Suite, failure: TestFailure, seedOf: (testId: string) => number): TestResult[] {
  return suite.tests.map((t) => ({
    id: t.id,
    name: t.name,
    points: 0,
    maxPoints: t.points,
    status: failure.status,
    feedback: failure.message,
    seed: seedOf(t.id),
  }));
}

function exerciseResult(suite: Suite, tests: TestResult[]): ExerciseResult {
  return {
    id: suite.id,
    title: suite.title,
    score: tests.reduce((s, t) => s + t.points, 0),
    maxScore: suite.tests.reduce((s, t) => s + t.points, 0),
    tests,
  };
}

/** Options of {@link gradeExercise}. */
export interface ExerciseOptions {
  /** The run's seed; each test's seed is derived from it with {@link testSeed}. */
  readonly seed: number;
  /** Wall-clock limit per call, in ms. */
  readonly timeoutMs: number;
  /** Generated cases per property test. */
  readonly numRuns: number;
  /** A fresh, empty directory for the bundle. */
  readonly workDir: string;
}

/**
 * Grades one exercise folder of one submission with its suite.
 *
 * @param suite - the exercise's suite
 * @param exerciseDir - absolute path of the exercise folder
 * @param submissionDir - absolute path of the submission (error locations are shown relative to it)
 * @returns the exercise's result; never throws for anything the submission does
 * @throws InternalError (from a suite) for a bug in the grader itself
 */
export async function gradeExercise(suite: Suite, exerciseDir: string, submissionDir: string, opts: ExerciseOptions): Promise<ExerciseResult> {
  const seedOf = (testId: string): number => testSeed(opts.seed, suite.id, testId);
  const missing = suite.modules.filter((m) => !existsSync(path.join(exerciseDir, m)));
  if (missing.length > 0) {
    const where = displayPath(exerciseDir, submissionDir);
    return exerciseResult(suite, failAll(suite, new TestFailure('error', `${missing.join(', ')} not found in ${where}`), seedOf));
  }
  const bundle = await bundleExercise(exerciseDir, suite.modules, opts.workDir);
  if (!bundle.ok) {
    return exerciseResult(suite, failAll(suite, new TestFailure('error', `the exercise does not compile: ${bundle.message}`), seedOf));
  }
  const exercise = new ExerciseSandbox(bundle.file, submissionDir, { timeoutMs: opts.timeoutMs });
  try {
    const failure = await exercise.ensureStarted();
    if (failure) return exerciseResult(suite, failAll(suite, failure, seedOf));
    const tests: TestResult[] = [];
    for (const test of suite.tests) {
      const seed = seedOf(test.id);
      const ctx: TestContext = { seed, numRuns: opts.numRuns, call: (fn, args, keep) => exercise.call(fn, args, keep) };
      const o = await test.run(ctx);
      tests.push({
        id: test.id,
        name: test.name,
        points: o.status === 'passed' ? test.points : 0,
        maxPoints: test.points,
        status: o.status,
        feedback: o.feedback,
        seed,
        ...(o.counterexample ? { counterexample: o.counterexample } : {}),
      });
    }
    return exerciseResult(suite, tests);
  } finally {
    await exercise.close();
  }
}

async function pool<T>(jobs: readonly (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results = new Array<T>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, jobs.length)) }, worker));
  return results;
}

/**
 * Grades everything under `target` (an exercise folder, a submission, or a folder of
 * submissions) and returns the report. Exercise folders without a suite are listed as skipped.
 *
 * @param target - path, relative to `opts.cwd`
 * @throws UsageError if the path does not exist or holds nothing the grader has a suite for
 * @throws InternalError for a bug in the grader
 */
export async function grade(target: string, opts: GradeOptions = {}): Promise<GradeReport> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const cwd = opts.cwd ?? process.cwd();
  const suites = opts.suites ?? SUITES;
  const seed = opts.seed ?? randomSeed();
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new UsageError(`the seed must be an integer from 0 to ${MAX_SEED}, got ${seed}`);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const numRuns = opts.numRuns ?? DEFAULT_NUM_RUNS;
  const found: FoundSubmission[] = discover(path.resolve(cwd, target));
  const plan = found.map((s) => ({
    sub: s,
    graded: s.exercises.flatMap((e) => {
      const suite = suites.find((x) => x.id === e.id);
      return suite ? [{ suite, dir: e.dir }] : [];
    }),
    skipped: s.exercises.filter((e) => !suites.some((x) => x.id === e.id)).map((e) => e.id),
  }));
  if (plan.every((p) => p.graded.length === 0)) {
    const names = [...new Set(found.flatMap((s) => s.exercises.map((e) => e.id)))].join(', ');
    throw new UsageError(`the grader has no suite for ${names}; it grades ${suites.map((s) => s.id).join(', ')}`);
  }
  const iso = detectIsolation();
  const work = realpathSync(mkdtempSync(path.join(tmpdir(), 'dlkata-grade-')));
  try {
    const jobs = plan.flatMap((p, si) =>
      p.graded.map(({ suite, dir }, ei) => async () => {
        opts.onProgress?.({ type: 'start', submission: p.sub.name, exercise: suite.id });
        const workDir = path.join(work, `${si}-${ei}`);
        mkdirSync(workDir);
        const r = await gradeExercise(suite, dir, p.sub.dir, { seed, timeoutMs, numRuns, workDir });
        opts.onProgress?.({ type: 'done', submission: p.sub.name, exercise: r });
        return r;
      }),
    );
    const concurrency = opts.concurrency ?? Math.min(2, availableParallelism());
    const results = await pool(jobs, concurrency);
    let k = 0;
    const submissions: SubmissionResult[] = plan.map((p) => {
      const exercises = p.graded.map(() => results[k++]);
      return {
        name: p.sub.name,
        path: displayPath(p.sub.dir, cwd),
        score: exercises.reduce((s, e) => s + e.score, 0),
        maxScore: exercises.reduce((s, e) => s + e.maxScore, 0),
        exercises,
        skipped: p.skipped,
      };
    });
    return {
      tool: TOOL,
      version: VERSION,
      seed,
      numRuns,
      sandbox: {
        fsRead: 'bundle only',
        heapLimitMb: HEAP_LIMIT_MB,
        dataLimitBytes: iso.dataLimitBytes,
        network: iso.network,
        processes: iso.processes,
        timeoutMs,
        notes: iso.notes,
      },
      submissions,
      run: { startedAt, durationMs: Date.now() - started },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
