#!/usr/bin/env tsx
/**
 * The Gradescope entry point (`run_autograder` starts it): grades `/autograder/submission` as one
 * submission and writes `/autograder/results/results.json` (Markdown output, per-test
 * visibility). It always writes a results file: when the submission holds no exercise, or the
 * grader itself fails, the file says so with 0 points.
 *
 * Settings, in order: the environment (`DLKATA_SEED`), then `gradescope.json` in the source
 * folder (written by `pnpm grade:gradescope`: `exercises`, `seed`, `timeoutMs`, `numRuns`), then
 * the defaults. Roots: `AUTOGRADER_ROOT` (default `/autograder`).
 *
 * @module
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gradeSubmission, type ClassManifest } from '../batch/class.js';
import { EXERCISE_DIR, submissionRoot } from '../discover.js';
import { DEFAULT_NUM_RUNS, DEFAULT_TIMEOUT_MS, MAX_SEED, randomSeed, runInfo, sandboxInfo, TOOL, VERSION } from '../grade.js';
import type { GradeReport } from '../results.js';
import { SUITES } from '../suites/index.js';
import { toGradescope, type GradescopeResults } from '../writers/gradescope.js';

/** What `gradescope.json` may set. */
export interface GradescopeConfig {
  /** The exercises of the assignment: every student is graded on all of them (a missing one scores 0). */
  readonly exercises?: readonly string[];
  /** One seed for every submission (default: a fresh one per submission, printed in the output). */
  readonly seed?: number;
  readonly timeoutMs?: number;
  readonly numRuns?: number;
}

/** Where the run reads and writes. */
export interface GradescopePaths {
  readonly submission: string;
  readonly results: string;
  readonly source: string;
  /** The settings file (default `<source>/gradescope.json`). */
  readonly config: string;
}

/**
 * The paths from the environment: `AUTOGRADER_ROOT` (default `/autograder`), `DLKATA_SOURCE`
 * (default: this project) and `DLKATA_GRADESCOPE_CONFIG` (default `<source>/gradescope.json`).
 */
export function gradescopePaths(env: NodeJS.ProcessEnv = process.env): GradescopePaths {
  const root = env.AUTOGRADER_ROOT ?? '/autograder';
  const source = env.DLKATA_SOURCE ?? path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
  return {
    submission: path.join(root, 'submission'),
    results: path.join(root, 'results', 'results.json'),
    source,
    config: env.DLKATA_GRADESCOPE_CONFIG ?? path.join(source, 'gradescope.json'),
  };
}

function readConfig(file: string): GradescopeConfig {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as GradescopeConfig) : {};
}

function failure(output: string): GradescopeResults {
  return { score: 0, max_score: 0, output, output_format: 'md', test_output_format: 'md', visibility: 'visible', tests: [] };
}

/**
 * Grades the submission and returns Gradescope's results (never throws for anything the
 * submission holds).
 */
export async function runGradescope(paths: GradescopePaths, env: NodeJS.ProcessEnv = process.env): Promise<GradescopeResults> {
  const started = Date.now();
  const config = readConfig(paths.config);
  const seedText = env.DLKATA_SEED;
  const seed = seedText !== undefined && /^\d+$/.test(seedText) && Number(seedText) <= MAX_SEED ? Number(seedText) : (config.seed ?? randomSeed());
  let exercises = config.exercises ? [...config.exercises] : [];
  if (exercises.length === 0) {
    const root = existsSync(paths.submission) ? submissionRoot(paths.submission) : null;
    const found = root ? readdirSync(root).filter((n) => EXERCISE_DIR.test(n)) : [];
    exercises = SUITES.map((s) => s.id).filter((id) => found.includes(id));
    if (exercises.length === 0) {
      return failure(
        `No exercise to grade: the submission has no exercise folders (named like \`02-convolution\`) the grader knows. Upload your exercise folders (${SUITES.map((s) => `\`${s.id}\``).join(', ')}), or the whole \`exercises\` folder.`,
      );
    }
  }
  const manifest: ClassManifest = { tool: TOOL, version: VERSION, seed, numRuns: config.numRuns ?? DEFAULT_NUM_RUNS, timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS, exercises: exercises.sort() };
  const result = await gradeSubmission({ name: 'submission', file: paths.submission, kind: 'dir' }, manifest, { cwd: path.dirname(paths.submission) });
  const report: GradeReport = { tool: TOOL, version: VERSION, seed, numRuns: manifest.numRuns, sandbox: sandboxInfo(manifest.timeoutMs), submissions: [result], run: runInfo(started) };
  return toGradescope(report, { submissionPath: 'exercises' });
}

async function main(): Promise<number> {
  const paths = gradescopePaths();
  let results: GradescopeResults;
  let code = 0;
  try {
    results = await runGradescope(paths);
  } catch (e) {
    results = failure(`The autograder failed (this is not a problem with your code; please tell your instructor): ${e instanceof Error ? e.message : String(e)}`);
    code = 1;
  }
  mkdirSync(path.dirname(paths.results), { recursive: true });
  writeFileSync(paths.results, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${results.score}/${results.max_score} points; results in ${paths.results}\n`);
  return code;
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
