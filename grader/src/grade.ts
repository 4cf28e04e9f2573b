/**
 * Grading: finds the submissions under a path, bundles each exercise, runs its suite against
 * a sandboxed child, and collects a {@link GradeReport}.
 *
 * @module
 */
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { ArchiveError, archiveBaseName, archiveKind, unpackArchive } from './batch/archive.js';
import { discover, EXERCISE_DIR, isClassFolder, submissionRoot, UsageError, type FoundSubmission } from './discover.js';
import { errorSubmission, gradeSubmission, listClass } from './batch/class.js';
import type { ExerciseResult, GradeReport, RunInfo, SandboxInfo, SubmissionResult, TestResult } from './results.js';
import { bundleExercise, TENSOR_EXPORTS } from './sandbox/bundle.js';
import { detectIsolation } from './sandbox/isolation.js';
import { preflightSandbox } from './sandbox/preflight.js';
import { HEAP_LIMIT_MB } from './sandbox/sandbox.js';
import { refusalMessage, snapshotExercise } from './sandbox/snapshot.js';
import { makeTempDir, removeTempDir, sweepStaleTempDirs, type TEMP_KINDS } from './sandbox/tempdirs.js';
import { ExerciseSandbox } from './exercise-sandbox.js';
import { exerciseSeed, folderDigest, loadSecret, type GraderSecret } from './seeds.js';
import { SUITES } from './suites/index.js';
import { TestFailure, type Suite, type TestContext } from './suites/types.js';

/** The grader's name, as written into reports. */
export const TOOL = '@dlkata/grader';

/** The grader's version, from its package.json. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Default wall-clock limit per call, in ms. */
export const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Default wall-clock budget of one exercise (start-up and every call together), in ms. An
 * honest solution takes a few seconds per exercise on a busy machine; the budget is generous
 * so that only code that is slow in every call (a sleep, a busy wait) reaches it, and a whole
 * assignment of 12 exercises still ends in bounded time.
 */
export const DEFAULT_EXERCISE_TIMEOUT_MS = 120_000;

/** Default number of generated cases per property test. */
export const DEFAULT_NUM_RUNS = 15;

/** Options of {@link grade}. */
export interface GradeOptions {
  /**
   * One seed for every exercise (a non-negative 31-bit integer), for an explicit local replay.
   * Default: each exercise's seed is derived from {@link GradeOptions.secret} and its files.
   */
  readonly seed?: number;
  /** The grader secret that seeds are derived from when no `seed` is given (default: `loadSecret()`). */
  readonly secret?: GraderSecret;
  /**
   * The exercises of the assignment (ids). Every submission is graded on all of them: a missing
   * one scores 0 of its points ("not submitted"); exercise folders outside the list are listed
   * as skipped. Default: the exercise itself when the path is an exercise folder, else every
   * exercise the grader has a suite for.
   */
  readonly exercises?: readonly string[];
  /** Wall-clock limit per call, in ms (default {@link DEFAULT_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
  /** Wall-clock budget per exercise, in ms (default {@link DEFAULT_EXERCISE_TIMEOUT_MS}). */
  readonly exerciseTimeoutMs?: number;
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
  /**
   * Grade only this exercise (its folder name) and, if `test` is set, only that test of it:
   * the other tests are left out of the report. With {@link GradeOptions.replayPath}, replays
   * one failing case.
   */
  readonly only?: { readonly exercise: string; readonly test?: string };
  /** fast-check path of the case to replay (a failing test's `counterexample.path`); needs `only.test`. */
  readonly replayPath?: string;
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
 * The seed of one test, derived from its exercise's seed and the test's place (FNV-1a): each
 * test its own stream.
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

function failAll(suite: Suite, failure: TestFailure, seedOf: ((testId: string) => number) | null, only?: readonly string[]): TestResult[] {
  return selectTests(suite, only).map((t) => ({
    id: t.id,
    name: t.name,
    points: 0,
    maxPoints: t.points,
    status: failure.status,
    feedback: failure.message,
    ...(seedOf ? { seed: seedOf(t.id) } : {}),
    ...(t.visibility ? { visibility: t.visibility } : {}),
  }));
}

function selectTests(suite: Suite, only: readonly string[] | undefined): readonly Suite['tests'][number][] {
  return only ? suite.tests.filter((t) => only.includes(t.id)) : suite.tests;
}

function exerciseResult(suite: Suite, tests: TestResult[], seed?: number): ExerciseResult {
  return {
    id: suite.id,
    title: suite.title,
    score: tests.reduce((s, t) => s + t.points, 0),
    maxScore: tests.reduce((s, t) => s + t.maxPoints, 0),
    tests,
    ...(seed !== undefined ? { seed } : {}),
  };
}

/**
 * Every test of `suite` failed for one reason without running (the exercise folder is missing,
 * the archive is broken): the result a submission gets for an exercise it could not be graded
 * on. Its maximum is the suite's full maximum.
 *
 * @param missing - the exercise was not submitted (marked in the result)
 */
export function failedExercise(suite: Suite, status: TestResult['status'], message: string, missing = false): ExerciseResult {
  const r = exerciseResult(suite, failAll(suite, new TestFailure(status === 'passed' ? 'error' : status, message), null));
  return missing ? { ...r, missing: true } : r;
}

/**
 * Why an exercise counts as not submitted: `"not submitted: no 02-convolution folder"`, with a
 * hint when a folder of the same number or topic is there under another name.
 *
 * @param present - the exercise folder names the submission has
 */
export function missingReason(id: string, present: readonly string[]): string {
  const topic = id.slice(3).toLowerCase();
  const near = present.filter((p) => p !== id && (p.slice(0, 2) === id.slice(0, 2) || p.slice(3).toLowerCase() === topic));
  return `not submitted: no ${id} folder${near.length ? ` (found ${near.join(', ')}; the folder must be named ${id})` : ''}`;
}

/** An exercise that was not submitted: 0 of its full points, every test "not submitted". */
export function missingExercise(suite: Suite, reason: string): ExerciseResult {
  return failedExercise(suite, 'error', reason, true);
}

/**
 * The `@dlkata/tensor` exports an exercise forbids: the suite's list, or by default the names
 * its module files export (`export function relativeError`) that the library exports too.
 */
export function forbiddenImports(suite: Suite, exerciseDir: string): string[] {
  if (suite.forbiddenImports) return [...suite.forbiddenImports];
  const names = new Set<string>();
  for (const m of suite.modules) {
    let text: string;
    try {
      text = readFileSync(path.join(exerciseDir, m), 'utf8');
    } catch {
      continue;
    }
    for (const match of text.matchAll(/export\s+(?:async\s+)?(?:function\*?|const|let|var|class)\s+([A-Za-z_$][\w$]*)/g)) names.add(match[1]);
  }
  return [...names].filter((n) => TENSOR_EXPORTS.includes(n)).sort();
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Removes machine-specific paths from feedback (temporary folders, where the submission was
 * unpacked), so the same submission gives the same report wherever and whenever it is graded.
 */
export function scrubPaths(text: string, submissionDir: string, workDir: string): string {
  let out = text;
  // A folder's path, only where it ends (a separator, or no further name character follows).
  const at = (dir: string): string => `(?:file://)?${escapeRegExp(dir)}(?![\\w.-])`;
  // The submission first: it may lie inside the work folder (its copy, an unpacked archive).
  for (const dir of new Set([submissionDir, safeRealpath(submissionDir)])) out = out.replace(new RegExp(`${at(dir)}/?`, 'g'), '');
  for (const dir of new Set([workDir, safeRealpath(workDir)])) out = out.replace(new RegExp(at(dir), 'g'), '<grader-temp>');
  return out;
}

function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Options of {@link gradeExercise}. */
export interface ExerciseOptions {
  /**
   * The exercise's seed (an explicit `--seed`); each test's seed is derived from it with
   * {@link testSeed}. Without it, the seed is derived from `secret` and the exercise's files
   * ({@link exerciseSeed}); one of the two is required.
   */
  readonly seed?: number;
  /** The grader secret's bytes, used when `seed` is not given. */
  readonly secret?: Buffer;
  /** Wall-clock limit per call, in ms. */
  readonly timeoutMs: number;
  /**
   * Wall-clock budget of the whole exercise, in ms (default {@link DEFAULT_EXERCISE_TIMEOUT_MS}):
   * when it is spent, the child is killed and the remaining tests fail with the reason.
   */
  readonly exerciseTimeoutMs?: number;
  /** Generated cases per property test. */
  readonly numRuns: number;
  /** A fresh, empty directory for the bundle. */
  readonly workDir: string;
  /** Run only these tests (ids); the others are left out of the result. */
  readonly only?: readonly string[];
  /** fast-check path of the one case to replay (see {@link TestContext.replayPath}). */
  readonly replayPath?: string;
}

/**
 * Grades one exercise folder of one submission with its suite.
 *
 * @param suite - the exercise's suite
 * @param originalDir - absolute path of the exercise folder in the submission; it is copied
 *   ({@link snapshotExercise}) before anything reads it, and refused (every test 0, the refused
 *   paths named) if it holds symbolic links, outside hard links, devices or pipes
 * @param originalRoot - absolute path of the submission (paths are shown relative to it)
 * @returns the exercise's result; never throws for anything the submission does
 * @throws InternalError (from a suite) for a bug in the grader itself
 */
export async function gradeExercise(suite: Suite, originalDir: string, originalRoot: string, opts: ExerciseOptions): Promise<ExerciseResult> {
  // A missing module is "not submitted" (0 of its points, the maximum unchanged). Only
  // existence is asked of the submission here; its content is read from the copy below.
  const missing = suite.modules.filter((m) => !existsSync(path.join(originalDir, m)));
  if (missing.length > 0) {
    const where = displayPath(originalDir, originalRoot);
    const r = exerciseResult(suite, failAll(suite, new TestFailure('error', `not submitted: ${missing.map((m) => `${where}/${m}`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`), null, opts.only));
    return { ...r, missing: true };
  }
  // From here on nothing reads the submission itself: its exercise folder is reduced to regular
  // files and copied (see snapshotExercise), and the copy is bundled, imported and reported on.
  const rel = path.relative(originalRoot, originalDir);
  const shownAs = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : suite.id;
  const submissionDir = path.join(opts.workDir, 'src');
  const snap = snapshotExercise(originalDir, path.join(submissionDir, shownAs), shownAs);
  if (!snap.ok) return exerciseResult(suite, failAll(suite, new TestFailure('error', refusalMessage(snap.refusals)), null, opts.only));
  const exerciseDir = snap.dir;
  // Files left out of the copy (names that are not UTF-8) are named in the result, not held against it.
  const noted = (r: ExerciseResult): ExerciseResult => (snap.ignored.length > 0 ? { ...r, ignored: snap.ignored } : r);
  const scrub = (text: string): string => scrubPaths(text, submissionDir, opts.workDir);
  let exSeed: number;
  if (opts.seed !== undefined) exSeed = opts.seed;
  else if (opts.secret !== undefined) exSeed = exerciseSeed(opts.secret, suite.id, folderDigest(exerciseDir));
  else throw new Error('gradeExercise: give a seed or the grader secret');
  const seedOf = (testId: string): number => testSeed(exSeed, suite.id, testId);
  const bundle = await bundleExercise(exerciseDir, suite.modules, opts.workDir, { exercise: suite.id, forbidden: forbiddenImports(suite, exerciseDir) });
  if (!bundle.ok) {
    return noted(exerciseResult(suite, failAll(suite, new TestFailure('error', scrub(`the exercise does not compile: ${bundle.message}`)), seedOf, opts.only), exSeed));
  }
  const exercise = new ExerciseSandbox(bundle.file, submissionDir, { timeoutMs: opts.timeoutMs, budgetMs: opts.exerciseTimeoutMs ?? DEFAULT_EXERCISE_TIMEOUT_MS });
  try {
    const failure = await exercise.ensureStarted();
    if (failure) return noted(exerciseResult(suite, failAll(suite, new TestFailure(failure.status, scrub(failure.message)), seedOf, opts.only), exSeed));
    const tests: TestResult[] = [];
    for (const test of selectTests(suite, opts.only)) {
      const seed = seedOf(test.id);
      if (exercise.budgetSpent) {
        // The budget is spent: the child is gone, and the rest of the tests are not run.
        await exercise.close();
        const f = exercise.budgetFailure();
        tests.push({ id: test.id, name: test.name, points: 0, maxPoints: test.points, status: f.status, feedback: f.message, seed, ...(test.visibility ? { visibility: test.visibility } : {}) });
        continue;
      }
      const ctx: TestContext = {
        seed,
        numRuns: opts.numRuns,
        call: (fn, args, keep) => exercise.call(fn, args, keep),
        ...(opts.replayPath ? { replayPath: opts.replayPath } : {}),
      };
      const o = await test.run(ctx);
      tests.push({
        id: test.id,
        name: test.name,
        points: o.status === 'passed' ? test.points : 0,
        maxPoints: test.points,
        status: o.status,
        feedback: scrub(o.feedback),
        seed,
        ...(o.counterexample ? { counterexample: { ...o.counterexample, description: scrub(o.counterexample.description) } } : {}),
        ...(test.visibility ? { visibility: test.visibility } : {}),
      });
    }
    return noted(exerciseResult(suite, tests, exSeed));
  } finally {
    await exercise.close();
  }
}

/** Sums a submission's exercises into its result. */
export function submissionResult(name: string, displayedPath: string, exercises: readonly ExerciseResult[], skipped: readonly string[], error?: string): SubmissionResult {
  return {
    name,
    path: displayedPath,
    score: exercises.reduce((s, e) => s + e.score, 0),
    maxScore: exercises.reduce((s, e) => s + e.maxScore, 0),
    exercises,
    skipped,
    ...(error !== undefined ? { error } : {}),
  };
}

/** What the sandbox enforces on this machine, for the report. */
export function sandboxInfo(timeoutMs: number): SandboxInfo {
  const iso = detectIsolation();
  return {
    fsRead: 'bundle only',
    heapLimitMb: HEAP_LIMIT_MB,
    dataLimitBytes: iso.dataLimitBytes,
    network: iso.network,
    processes: iso.processes,
    timeoutMs,
    user: iso.unprivileged ? 'nobody' : 'grader',
    notes: iso.notes,
  };
}

/** The run section of a report: start time, duration, time per exercise. */
export function runInfo(started: number, exercises?: RunInfo['exercises']): RunInfo {
  return { startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, ...(exercises ? { exercises } : {}) };
}

/**
 * A fresh temporary folder for bundles (the caller removes it), readable by the child, which
 * may run as another user.
 */
export function makeWorkDir(prefix: (typeof TEMP_KINDS)[number] = 'dlkata-grade-'): string {
  return makeTempDir(prefix);
}

/**
 * Runs `jobs` with at most `concurrency` of them at a time; results in the order of `jobs`.
 */
export async function pool<T>(jobs: readonly (() => Promise<T>)[], concurrency: number): Promise<T[]> {
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
 * The exercises of the assignment, checked against the suites.
 *
 * @param exerciseTarget - the id of the exercise folder the path names, if it names one
 * @throws UsageError for an id the grader has no suite for, or `exercises` that leave out the exercise folder given
 */
export function assignmentExercises(suites: readonly Suite[], exercises: readonly string[] | undefined, exerciseTarget: string | null): string[] {
  const known = suites.map((x) => x.id);
  if (exercises !== undefined) {
    if (exercises.length === 0) throw new UsageError('the assignment needs at least one exercise');
    for (const id of exercises) if (!known.includes(id)) throw new UsageError(`the grader has no suite for ${id}; it grades ${known.join(', ')}`);
    if (exerciseTarget !== null && (exercises.length !== 1 || exercises[0] !== exerciseTarget)) {
      throw new UsageError(`the path is the exercise folder ${exerciseTarget}; to grade an assignment of ${exercises.join(', ')}, give the submission folder that holds them`);
    }
    return [...new Set(exercises)].sort();
  }
  if (exerciseTarget !== null) {
    if (!known.includes(exerciseTarget)) throw new UsageError(`the grader has no suite for ${exerciseTarget}; it grades ${known.join(', ')}`);
    return [exerciseTarget];
  }
  return [...known].sort();
}

/**
 * Grades everything under `target` (an exercise folder, a submission, or a folder of
 * submissions) and returns the report. Every submission is graded on every exercise of the
 * assignment ({@link GradeOptions.exercises}): a missing exercise folder or module file scores
 * 0 of its points ("not submitted"), so the maximum is always the assignment's. Exercise
 * folders outside the assignment are listed as skipped.
 *
 * @param target - path, relative to `opts.cwd`
 * @throws UsageError if the path does not exist, names an exercise the grader has no suite for,
 *   or the options do not fit together
 * @throws InternalError for a bug in the grader
 */
export async function grade(target: string, opts: GradeOptions = {}): Promise<GradeReport> {
  const started = Date.now();
  const cwd = opts.cwd ?? process.cwd();
  const suites = opts.suites ?? SUITES;
  const seed = opts.seed;
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED)) throw new UsageError(`the seed must be an integer from 0 to ${MAX_SEED}, got ${seed}`);
  const secret = seed === undefined ? (opts.secret ?? loadSecret()) : undefined;
  if (secret && secret.source !== `$DLKATA_GRADER_SECRET`) {
    const rel = path.relative(path.resolve(cwd, target), path.resolve(secret.source));
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
      throw new UsageError(`the grader secret ${secret.source} lies inside the submission ${target}; keep it outside submissions`);
    }
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const exerciseTimeoutMs = opts.exerciseTimeoutMs ?? DEFAULT_EXERCISE_TIMEOUT_MS;
  if (!Number.isSafeInteger(exerciseTimeoutMs) || exerciseTimeoutMs < 1) throw new UsageError(`the time budget per exercise must be a positive number of ms, got ${exerciseTimeoutMs}`);
  const numRuns = opts.numRuns ?? DEFAULT_NUM_RUNS;
  sweepStaleTempDirs();
  // An environment fault (no permission flag, OS measures that stop Node) stops the run here,
  // with its cause, instead of giving every student 0.
  await preflightSandbox();
  const work = makeWorkDir();
  try {
    return await gradeIn(work, target, cwd, suites, { seed, secret }, timeoutMs, numRuns, started, opts);
  } finally {
    removeTempDir(work);
  }
}

/**
 * Finds the submission(s) at `abs`: a folder as {@link discover} reads it, or an archive
 * (`.zip`, `.tar.gz`), unpacked into `work` and shown under its own name and path.
 */
async function findSubmissions(abs: string, work: string, cwd: string): Promise<{ found: FoundSubmission[]; shown: Map<string, string>; error?: string }> {
  const shown = new Map<string, string>();
  let isFile = false;
  try {
    isFile = statSync(abs).isFile();
  } catch {
    // discover() reports the missing path
  }
  if (!isFile || !archiveKind(abs)) {
    const found = discover(abs);
    for (const f of found) shown.set(f.dir, displayPath(f.dir, cwd));
    return { found, shown };
  }
  const dir = path.join(work, 'unpacked');
  mkdirSync(dir);
  try {
    await unpackArchive(abs, dir);
  } catch (e) {
    // A broken or hostile archive is the submission's error (0 with the reason; every report written), as in a class run.
    if (e instanceof ArchiveError) {
      shown.set(abs, displayPath(abs, cwd));
      return { found: [{ name: archiveBaseName(path.basename(abs)), dir: abs, exercises: [] }], shown, error: `the archive ${path.basename(abs)} could not be unpacked: ${e.message}` };
    }
    throw e;
  }
  const root = submissionRoot(dir) ?? dir;
  const [sub] = discover(root);
  const found = [{ ...sub, name: archiveBaseName(path.basename(abs)) }];
  shown.set(sub.dir, displayPath(abs, cwd));
  return { found, shown };
}

async function gradeIn(
  work: string,
  target: string,
  cwd: string,
  suites: readonly Suite[],
  seeding: { seed?: number; secret?: GraderSecret },
  timeoutMs: number,
  numRuns: number,
  started: number,
  opts: GradeOptions,
): Promise<GradeReport> {
  const abs = path.resolve(cwd, target);
  // A class folder: the same listing and the same per-submission grading as a class run (--out).
  if (opts.only === undefined && isDirectory(abs) && isClassFolder(abs)) return gradeFolderOfSubmissions(abs, work, cwd, suites, seeding, timeoutMs, numRuns, started, opts);
  const { found, shown, error: unpackError } = await findSubmissions(abs, work, cwd);
  // An exercise folder given as the path: discover() returns its parent as the submission.
  const exerciseTarget = found.length === 1 && found[0].dir !== abs && EXERCISE_DIR.test(path.basename(abs)) ? path.basename(abs) : null;
  const only = opts.only;
  let assignment: string[];
  if (only) {
    const suite = suites.find((x) => x.id === only.exercise);
    if (!suite) throw new UsageError(`the grader has no suite for ${only.exercise}; it grades ${suites.map((x) => x.id).join(', ')}`);
    if (only.test !== undefined && !suite.tests.some((t) => t.id === only.test)) {
      throw new UsageError(`${only.exercise} has no test ${only.test}; its tests are ${suite.tests.map((t) => t.id).join(', ')}`);
    }
    if (!found.some((s) => s.exercises.some((e) => e.id === only.exercise))) throw new UsageError(`no ${only.exercise} folder in ${target}`);
    assignment = [only.exercise];
  } else {
    assignment = assignmentExercises(suites, opts.exercises, exerciseTarget);
  }
  if (opts.replayPath !== undefined && only?.test === undefined) throw new UsageError('replaying a counterexample needs one test (exercise/test)');
  const plan = found.map((s) => {
    const present = s.exercises.map((e) => e.id);
    return {
      sub: s,
      exercises: assignment.map((id) => {
        const suite = suites.find((x) => x.id === id)!;
        const dir = s.exercises.find((e) => e.id === id)?.dir;
        if (unpackError !== undefined) return { suite, failed: unpackError as string };
        // Nothing submitted at all: every exercise "not submitted", as in every other mode.
        const none = present.length === 0 ? ' (the submission has no exercise folders, named like 02-convolution)' : '';
        return dir !== undefined ? { suite, dir } : { suite, reason: `${missingReason(id, present)}${none}` };
      }),
      skipped: only ? [] : present.filter((id) => !assignment.includes(id)),
      error: unpackError,
    };
  });
  const timings: { submission: string; exercise: string; durationMs: number }[] = [];
  const jobs = plan.flatMap((p, si) =>
    p.exercises.map((item, ei) => async (): Promise<ExerciseResult> => {
      const { suite } = item;
      if ('failed' in item && item.failed !== undefined) return failedExercise(suite, 'error', item.failed);
      if (item.dir === undefined) return missingExercise(suite, item.reason);
      opts.onProgress?.({ type: 'start', submission: p.sub.name, exercise: suite.id });
      const workDir = path.join(work, `${si}-${ei}`);
      mkdirSync(workDir);
      const t0 = Date.now();
      const r = await gradeExercise(suite, item.dir, p.sub.dir, {
        ...(seeding.seed !== undefined ? { seed: seeding.seed } : { secret: seeding.secret!.key }),
        timeoutMs,
        exerciseTimeoutMs: opts.exerciseTimeoutMs ?? DEFAULT_EXERCISE_TIMEOUT_MS,
        numRuns,
        workDir,
        ...(only?.test !== undefined ? { only: [only.test] } : {}),
        ...(opts.replayPath !== undefined ? { replayPath: opts.replayPath } : {}),
      });
      timings.push({ submission: p.sub.name, exercise: suite.id, durationMs: Date.now() - t0 });
      opts.onProgress?.({ type: 'done', submission: p.sub.name, exercise: r });
      return r;
    }),
  );
  const concurrency = opts.concurrency ?? Math.min(2, availableParallelism());
  const results = await pool(jobs, concurrency);
  let k = 0;
  const submissions: SubmissionResult[] = plan.map((p) => {
    const exercises = p.exercises.map(() => results[k++]);
    return submissionResult(p.sub.name, shown.get(p.sub.dir) ?? displayPath(p.sub.dir, cwd), exercises, p.skipped, p.error);
  });
  return {
    tool: TOOL,
    version: VERSION,
    seed: seeding.seed ?? null,
    ...(seeding.secret ? { secretId: seeding.secret.id } : {}),
    numRuns,
    sandbox: sandboxInfo(timeoutMs),
    submissions,
    run: runInfo(started, timings),
  };
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A folder of submissions graded without `--out`: listed by `listClass` and each graded by
 * `gradeSubmission`, exactly as a class run does, so both modes give the same answer (nested
 * layouts, numbered student folders, archives, links). A submission that cannot be graded is
 * its error row.
 */
async function gradeFolderOfSubmissions(
  abs: string,
  work: string,
  cwd: string,
  suites: readonly Suite[],
  seeding: { seed?: number; secret?: GraderSecret },
  timeoutMs: number,
  numRuns: number,
  started: number,
  opts: GradeOptions,
): Promise<GradeReport> {
  const exercises = assignmentExercises(suites, opts.exercises, null);
  const entries = listClass(abs);
  const manifest = { tool: TOOL, version: VERSION, seed: seeding.seed ?? null, numRuns, timeoutMs, exercises };
  const concurrency = opts.concurrency ?? Math.min(2, availableParallelism());
  const submissions = await pool(
    entries.map((entry, i) => async (): Promise<SubmissionResult> => {
      let r: SubmissionResult;
      try {
        r = await gradeSubmission(entry, manifest, { suites, cwd, workDir: path.join(work, `s${i}`), ...(seeding.secret ? { secret: seeding.secret.key } : {}), ...(opts.exerciseTimeoutMs !== undefined ? { exerciseTimeoutMs: opts.exerciseTimeoutMs } : {}) });
      } catch (e) {
        if (e instanceof UsageError) throw e;
        r = errorSubmission(entry, manifest, suites, cwd, `could not be graded: ${e instanceof Error ? e.message : String(e)}`);
      }
      for (const ex of r.exercises) opts.onProgress?.({ type: 'done', submission: r.name, exercise: ex });
      return r;
    }),
    concurrency,
  );
  return {
    tool: TOOL,
    version: VERSION,
    seed: seeding.seed ?? null,
    ...(seeding.secret ? { secretId: seeding.secret.id } : {}),
    numRuns,
    sandbox: sandboxInfo(timeoutMs),
    submissions,
    run: runInfo(started),
  };
}

/**
 * The report for a submission path that does not exist (a deleted or renamed `exercises/` in
 * the Classroom workflow): one submission, every exercise of the assignment "not submitted",
 * 0 of its points, so the requested report files are still written.
 *
 * @param target - the path as typed
 */
export function absentReport(target: string, opts: Pick<GradeOptions, 'seed' | 'secret' | 'exercises' | 'timeoutMs' | 'numRuns' | 'suites' | 'cwd'> = {}): GradeReport {
  const started = Date.now();
  const suites = opts.suites ?? SUITES;
  const base = path.basename(path.resolve(opts.cwd ?? process.cwd(), target));
  const exerciseTarget = opts.exercises === undefined && EXERCISE_DIR.test(base) && suites.some((x) => x.id === base) ? base : null;
  const assignment = assignmentExercises(suites, opts.exercises, exerciseTarget);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const exercises = assignment.map((id) => missingExercise(suites.find((x) => x.id === id)!, `${missingReason(id, [])} (${target} does not exist)`));
  return {
    tool: TOOL,
    version: VERSION,
    seed: opts.seed ?? null,
    ...(opts.seed === undefined && opts.secret ? { secretId: opts.secret.id } : {}),
    numRuns: opts.numRuns ?? DEFAULT_NUM_RUNS,
    sandbox: sandboxInfo(timeoutMs),
    submissions: [submissionResult(base, target, exercises, [])],
    run: runInfo(started),
  };
}
