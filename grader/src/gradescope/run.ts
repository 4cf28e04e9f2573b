#!/usr/bin/env tsx
/**
 * The Gradescope entry point (`run_autograder` starts it): grades `/autograder/submission` as one
 * submission and writes `/autograder/results/results.json` (Markdown output, per-test
 * visibility). It always writes a results file: when the submission holds no exercise, or the
 * grader itself fails, the file says so with 0 points.
 *
 * Everything comes from the bundle that `pnpm grade:gradescope` built, unpacked by Gradescope
 * into `/autograder/source`: `gradescope.json` (the assignment's `exercises`, `timeoutMs`,
 * `numRuns`) and `grader-secret` (the secret each exercise's seed is derived from, with the
 * bytes of the student's files: a fresh, unpredictable seed per submission). Nothing is read
 * from the environment, except `DLKATA_TEST_AUTOGRADER_ROOT`, which replaces `/autograder` for
 * the project's own tests.
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gradeSubmission, type ClassManifest } from '../batch/class.js';
import { DEFAULT_EXERCISE_TIMEOUT_MS, DEFAULT_NUM_RUNS, DEFAULT_TIMEOUT_MS, runInfo, sandboxInfo, TOOL, VERSION } from '../grade.js';
import type { GradeReport } from '../results.js';
import { loadSecret } from '../seeds.js';
import { SUITES } from '../suites/index.js';
import { toGradescope, type GradescopeResults } from '../writers/gradescope.js';

/** What `gradescope.json` holds (written by `pnpm grade:gradescope`). */
export interface GradescopeConfig {
  /** The exercises of the assignment: every student is graded on all of them (a missing one scores 0). */
  readonly exercises: readonly string[];
  /** Wall-clock limit per call, ms (default {@link DEFAULT_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
  /** Random cases per test (default {@link DEFAULT_NUM_RUNS}). */
  readonly numRuns?: number;
  /**
   * Wall-clock limit of the whole run, ms (default {@link DEFAULT_TOTAL_TIMEOUT_MS}): when it is
   * reached, the run stops and writes a results file that says so, before Gradescope's own
   * timeout ends the container without one. Keep it below the assignment's autograder timeout.
   */
  readonly totalTimeoutMs?: number;
}

/**
 * Default {@link GradescopeConfig.totalTimeoutMs}: 9 minutes, under Gradescope's default
 * autograder timeout of 10 minutes. Each exercise also has its own budget
 * ({@link DEFAULT_EXERCISE_TIMEOUT_MS}); an honest submission takes a small part of either.
 */
export const DEFAULT_TOTAL_TIMEOUT_MS = 540_000;

/** The variable that moves the `/autograder` root, for the project's tests only. */
export const TEST_ROOT_ENV = 'DLKATA_TEST_AUTOGRADER_ROOT';

/** Where the run reads and writes (Gradescope's layout under one root). */
export interface GradescopePaths {
  /** `/autograder/submission`: the student's files. */
  readonly submission: string;
  /** `/autograder/results/results.json`. */
  readonly results: string;
  /** `/autograder/source`: the unpacked bundle. */
  readonly source: string;
  /** `<source>/gradescope.json`. */
  readonly config: string;
  /** `<source>/grader-secret`. */
  readonly secret: string;
}

/** Gradescope's paths under `root` (default `/autograder`, or `$DLKATA_TEST_AUTOGRADER_ROOT`). */
export function gradescopePaths(root: string = process.env[TEST_ROOT_ENV] || '/autograder'): GradescopePaths {
  const source = path.join(root, 'source');
  return {
    submission: path.join(root, 'submission'),
    results: path.join(root, 'results', 'results.json'),
    source,
    config: path.join(source, 'gradescope.json'),
    secret: path.join(source, 'grader-secret'),
  };
}

/**
 * Reads and checks `gradescope.json`.
 *
 * @throws Error naming the file and the problem (a broken bundle: the instructor's to fix)
 */
export function readConfig(file: string): GradescopeConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the assignment settings ${file}: ${(e as Error).message}`);
  }
  const c = raw as Partial<GradescopeConfig>;
  const known = SUITES.map((s) => s.id);
  if (!Array.isArray(c.exercises) || c.exercises.length === 0 || !c.exercises.every((x) => typeof x === 'string' && known.includes(x))) {
    throw new Error(`${file}: "exercises" must list the assignment's exercises (of ${known.join(', ')}), got ${JSON.stringify(c.exercises)}`);
  }
  for (const k of ['timeoutMs', 'numRuns', 'totalTimeoutMs'] as const) {
    if (c[k] !== undefined && (!Number.isSafeInteger(c[k]) || (c[k] as number) < 1)) throw new Error(`${file}: "${k}" must be a positive integer, got ${JSON.stringify(c[k])}`);
  }
  return {
    exercises: [...c.exercises].sort(),
    ...(c.timeoutMs ? { timeoutMs: c.timeoutMs } : {}),
    ...(c.numRuns ? { numRuns: c.numRuns } : {}),
    ...(c.totalTimeoutMs ? { totalTimeoutMs: c.totalTimeoutMs } : {}),
  };
}

/**
 * The results file for a grader failure (not the student's): 0 points, a message that says
 * so, Gradescope's documented fields only.
 */
export function failureResults(message: string): GradescopeResults {
  return {
    score: 0,
    output: `**The autograder could not grade this submission.** This is not a problem with your code; please tell your instructor. (${message})`,
    output_format: 'md',
    test_output_format: 'md',
    visibility: 'visible',
    stdout_visibility: 'hidden',
    extra_data: { max_score: 0, exercises: [], not_submitted: [], seed: null, error: message },
    tests: [],
  };
}

/**
 * The results file when the run reached its overall limit ({@link GradescopeConfig.totalTimeoutMs}):
 * 0 points, the reason, Gradescope's documented fields only. The grading of the exercises
 * finished so far is not in it.
 */
export function timeLimitResults(limitMs: number): GradescopeResults {
  const s = Math.round(limitMs / 1000);
  const message =
    `the grading took more than ${s} s in total (the assignment's limit), so it was stopped before every exercise was graded. ` +
    `Each exercise may take at most ${DEFAULT_EXERCISE_TIMEOUT_MS / 1000} s; if your code is slow (a sleep, a busy wait, much needless work in every call), make it faster and resubmit, otherwise tell your instructor`;
  return {
    score: 0,
    output: `**The grading of this submission was stopped: it took too long.** (${message})`,
    output_format: 'md',
    test_output_format: 'md',
    visibility: 'visible',
    stdout_visibility: 'hidden',
    extra_data: { max_score: 0, exercises: [], not_submitted: [], seed: null, error: message },
    tests: [],
  };
}

/**
 * `work`, or `onLimit()` if `work` has not settled after `limitMs` (a rejection of `work` is
 * passed on). The timer does not keep the process alive.
 */
export function withTimeLimit<T>(work: Promise<T>, limitMs: number, onLimit: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(onLimit()), limitMs);
    timer.unref();
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

/** The run's overall limit from the settings file; the default when it cannot be read (the run then reports why). */
export function totalLimitMs(configFile: string): number {
  try {
    return readConfig(configFile).totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS;
  } catch {
    return DEFAULT_TOTAL_TIMEOUT_MS;
  }
}

/**
 * Grades the submission and returns Gradescope's results (never throws for anything the
 * submission holds; throws for a broken bundle).
 */
export async function runGradescope(paths: GradescopePaths): Promise<{ results: GradescopeResults; report: GradeReport }> {
  const started = Date.now();
  const config = readConfig(paths.config);
  if (!existsSync(paths.secret)) throw new Error(`the bundle has no grader secret (${paths.secret}); rebuild it with pnpm grade:gradescope`);
  const secret = loadSecret({ file: paths.secret });
  const manifest: ClassManifest = {
    tool: TOOL,
    version: VERSION,
    seed: null,
    secretId: secret.id,
    numRuns: config.numRuns ?? DEFAULT_NUM_RUNS,
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    exercises: config.exercises,
  };
  // A missing submission folder grades like an empty one: every exercise "not submitted".
  const result = await gradeSubmission({ name: 'submission', file: paths.submission, kind: 'dir' }, manifest, { cwd: path.dirname(paths.submission), secret: secret.key });
  const report: GradeReport = {
    tool: TOOL,
    version: VERSION,
    seed: null,
    secretId: secret.id,
    numRuns: manifest.numRuns,
    sandbox: sandboxInfo(manifest.timeoutMs),
    submissions: [result],
    run: runInfo(started),
  };
  return { results: toGradescope(report, { submissionPath: 'exercises' }), report };
}

async function main(): Promise<number> {
  const paths = gradescopePaths();
  rmSync(paths.results, { force: true });
  let results: GradescopeResults;
  let stopped = false;
  const limitMs = totalLimitMs(paths.config);
  try {
    const r = await withTimeLimit<{ results: GradescopeResults; report: GradeReport } | null>(runGradescope(paths), limitMs, () => null);
    if (r === null) {
      // Over the overall limit: write what is known now, and end the run (its sandboxed children with it).
      stopped = true;
      throw new TimeLimitReached(limitMs);
    }
    results = r.results;
    // The run's stdout is for the instructor (stdout_visibility: hidden): the seeds, to replay.
    const seeds = r.report.submissions[0].exercises.map((e) => `${e.id} ${e.seed ?? 'not run'}`).join(', ');
    process.stdout.write(`exercise seeds (from the bundle's secret ${r.report.secretId}): ${seeds}\n`);
  } catch (e) {
    if (e instanceof TimeLimitReached) {
      process.stdout.write(`the run reached its overall limit of ${limitMs} ms (totalTimeoutMs in gradescope.json) and was stopped\n`);
      results = timeLimitResults(limitMs);
    } else {
      process.stdout.write(`internal error of the grader: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      results = failureResults(e instanceof Error ? e.message : String(e));
    }
  }
  mkdirSync(path.dirname(paths.results), { recursive: true });
  writeFileSync(paths.results, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${results.score}/${results.extra_data.max_score} points; results in ${paths.results}\n`);
  // Stopped mid-run: exit now rather than wait for the grading still under way.
  if (stopped) process.exit(0);
  return 0;
}

class TimeLimitReached extends Error {
  constructor(readonly limitMs: number) {
    super(`over the overall limit of ${limitMs} ms`);
  }
}

function invokedDirectly(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
