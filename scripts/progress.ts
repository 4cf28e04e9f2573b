#!/usr/bin/env tsx
/**
 * `pnpm progress [path] [--no-points] [--runs N] [--seed N]`: every exercise with its status
 * and points, like rustlings' list.
 *
 * - status, from the visible tests (vitest, JSON reporter): *not started* (every test still
 *   fails with the stub's TODO, or the files are the unedited stub, which is known from
 *   `exercises/.generated.json` without running anything), *in progress: k of n tests*,
 *   *done*, or *does not load* (a syntax or import error);
 * - points, from the grader library's `grade()` in a quick run (few random cases per test, a
 *   fixed seed); `pnpm grade <path>` gives the full run.
 *
 * `path` defaults to `exercises`; `pnpm progress solutions` shows the reference solutions.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { constants } from 'node:os';
import Table from 'cli-table3';
import { makeTempDir, onTeardown, removeTempDir, sweepStaleTempDirs } from '../grader/src/sandbox/tempdirs.js';
import { exerciseHere, resolveExercise } from './exercise-names.mjs';
import { EXERCISE_NAME, listExercises, ROOT } from './lib-docs.js';
import { readManifest, sha256 } from './lib-manifest.js';

interface VitestJson {
  testResults: {
    name: string;
    status: string;
    message?: string;
    assertionResults: { status: string; failureMessages?: string[]; fullName: string }[];
  }[];
}

/** What the visible tests say about one exercise. */
interface TestStatus {
  passed: number;
  total: number;
  todo: number;
  loadError: string | null;
}

const USAGE = `Usage: pnpm progress [path] [--no-points] [--runs N] [--seed N]

  path          exercises (default; inside an exercise folder: that exercise), an exercise
                (05, residual), solutions, or a submission laid out like exercises/
  --no-points   only the visible tests, not the grader's quick run
  --runs N      random cases per grader test in the quick run (default 2; pnpm grade uses 15)
  --seed N      the grader's seed (default 1)`;

function parseArgs(argv: string[]): { target: string | undefined; points: boolean; runs: number; seed: number } | string {
  const args = argv.filter((a) => a !== '--');
  let target: string | undefined;
  let points = true;
  let runs = 2;
  let seed = 1;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--no-points') points = false;
    else if (a === '--runs' || a === '--seed') {
      const v = Number(args[++i]);
      if (!Number.isInteger(v) || v < (a === '--runs' ? 1 : 0)) return `${a} needs a non-negative integer${a === '--runs' ? ' >= 1' : ''}`;
      if (a === '--runs') runs = v;
      else seed = v;
    } else if (a === '--help' || a === '-h') return '';
    else if (a.startsWith('-')) return `Unknown option ${a}`;
    else target = a;
  }
  return { target, points, runs, seed };
}

/** The signals that stop a run: Ctrl-C, `kill`, a closed terminal. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

/**
 * Runs the visible tests under `dir` (or of one exercise) with the student's lean vitest
 * configuration, in a child process, so that the grader's quick run can go on meanwhile.
 */
async function runVisibleTests(exercisesRoot: string, dirs: readonly string[]): Promise<Map<string, TestStatus> | string> {
  if (dirs.length === 0) return new Map();
  // Registered: removed on every way out, Ctrl-C and SIGTERM included; a later run sweeps it after a SIGKILL.
  const tmp = makeTempDir('dlkata-progress-');
  const out = path.join(tmp, 'results.json');
  const rels = dirs.map((d) => `${path.relative(ROOT, d).split(path.sep).join('/') || '.'}/`);
  try {
    const args = ['run', '--config', path.join(ROOT, 'scripts', 'vitest.student.config.ts'), ...rels, '--reporter=json', `--outputFile=${out}`, '--passWithNoTests'];
    const { stderr, signal } = await new Promise<{ stderr: string; signal: StopSignal | undefined }>((resolve) => {
      const child = spawn(path.join(ROOT, 'node_modules/.bin/vitest'), args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      // Stopped by a signal of our own (SIGTERM to this process alone), we stop vitest too: it
      // would otherwise run on and write its results into the folder removed on the way out.
      const untie = onTeardown(() => child.kill('SIGKILL'));
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err = (err + d.toString()).slice(-4000);
      });
      child.on('error', (e) => resolve({ stderr: e.message, signal: undefined }));
      child.on('close', (code, sig) => {
        untie();
        // Stopped by a signal, or exited with the shell's code for one (128 + its number).
        resolve({ stderr: err, signal: STOP_SIGNALS.find((s) => s === sig || code === 128 + constants.signals[s]) });
      });
    });
    const tail = stderr.trim().split('\n').slice(-3).join(' ');
    if (!existsSync(out)) {
      if (signal) {
        // Ctrl-C reaches the whole process group, and vitest may end before this process has
        // handled its own copy of the signal: stop as the signal stops us (the folder is removed
        // on the way out), rather than report that vitest did not run.
        removeTempDir(tmp);
        process.kill(process.pid, signal);
        // The signal is handled on a later turn of the event loop; the timer keeps the loop turning.
        await new Promise((resolve) => setTimeout(resolve, 5000));
        process.exit(128 + constants.signals[signal]);
      }
      return `vitest did not run (${tail})`;
    }
    let json: VitestJson;
    try {
      json = JSON.parse(readFileSync(out, 'utf8')) as VitestJson;
    } catch (e) {
      return `vitest did not finish its report (${(e as Error).message}; ${tail})`;
    }
    const byExercise = new Map<string, TestStatus>();
    for (const file of json.testResults) {
      const id = path.relative(exercisesRoot, file.name).split(path.sep)[0];
      const s = byExercise.get(id) ?? { passed: 0, total: 0, todo: 0, loadError: null };
      if (file.assertionResults.length === 0 && file.status === 'failed') {
        s.loadError = (file.message ?? 'the test file failed to load').split('\n')[0];
      }
      for (const t of file.assertionResults) {
        s.total++;
        if (t.status === 'passed') s.passed++;
        else if ((t.failureMessages ?? []).some((m) => /NotImplementedError|TODO:/.test(m))) s.todo++;
      }
      byExercise.set(id, s);
    }
    return byExercise;
  } finally {
    removeTempDir(tmp);
  }
}

interface Points {
  score: number;
  max: number;
}

async function quickPoints(
  dir: string,
  runs: number,
  seed: number,
  skip: ReadonlySet<string>,
): Promise<{ byExercise: Map<string, Points>; seed: number; seconds: number } | string> {
  try {
    const { grade } = await import('../grader/src/index.js');
    const { SUITES } = await import('../grader/src/suites/index.js');
    const t0 = performance.now();
    // An unedited stub scores 0 of the suite's points without a run.
    const map = new Map<string, Points>();
    for (const s of SUITES) if (skip.has(s.id)) map.set(s.id, { score: 0, max: s.tests.reduce((a, t) => a + t.points, 0) });
    const suites = SUITES.filter((s) => !skip.has(s.id));
    if (suites.length === 0 || (EXERCISE_NAME.test(path.basename(dir)) && skip.has(path.basename(dir)))) {
      return { byExercise: map, seed, seconds: (performance.now() - t0) / 1000 };
    }
    const report = await grade(dir, {
      suites,
      numRuns: runs,
      seed,
      cwd: ROOT,
      onProgress: (e) => {
        if (e.type === 'done' && process.stdout.isTTY) process.stdout.write(`  graded ${e.exercise.id}: ${e.exercise.score} / ${e.exercise.maxScore}\n`);
      },
    });
    for (const sub of report.submissions) for (const e of sub.exercises) if (!skip.has(e.id)) map.set(e.id, { score: e.score, max: e.maxScore });
    return { byExercise: map, seed, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

/**
 * The exercises under `exercisesRoot` whose files are all exactly as last generated (the
 * hashes in `.generated.json`, which `pnpm exercises:generate` writes): unedited stubs.
 * Without a manifest (solutions/, a submission) none is.
 */
function uneditedStubs(exercisesRoot: string, ids: readonly string[]): Set<string> {
  const out = new Set<string>();
  let manifest: Record<string, string>;
  try {
    manifest = readManifest(exercisesRoot);
  } catch {
    return out;
  }
  for (const id of ids) {
    const files = Object.keys(manifest).filter((p) => p.startsWith(`${id}/`));
    const same = (p: string): boolean => {
      const file = path.join(exercisesRoot, ...p.split('/'));
      return existsSync(file) && sha256(readFileSync(file, 'utf8')) === manifest[p];
    };
    if (files.length > 0 && files.every(same)) out.add(id);
  }
  return out;
}

function bar(done: number, total: number, width = 30): string {
  const n = total === 0 ? 0 : Math.round((width * done) / total);
  return `[${'#'.repeat(n)}${'-'.repeat(width - n)}]`;
}

async function main(argv: string[]): Promise<number> {
  const opts = parseArgs(argv);
  if (typeof opts === 'string') {
    if (opts) console.error(opts + '\n');
    (opts ? console.error : console.log)(USAGE);
    return opts ? 2 : 0;
  }
  // Folders an earlier run left behind when it was killed outright (SIGKILL).
  sweepStaleTempDirs();
  // Inside an exercise folder with no path: that exercise. A name (05, residual) is one too.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  let dir = path.resolve(cwd, opts.target ?? '.');
  if (opts.target === undefined) {
    const here = exerciseHere(path.join(ROOT, 'exercises'), cwd);
    dir = here ? path.join(ROOT, 'exercises', here) : path.join(ROOT, 'exercises');
  } else if (!existsSync(dir)) {
    const r = resolveExercise(opts.target, { cwd });
    if ('error' in r) {
      console.error(r.error);
      return 2;
    }
    dir = r.dir;
  }
  const single = EXERCISE_NAME.test(path.basename(dir)) && !existsSync(path.join(dir, path.basename(dir)));
  const exercises = single ? listExercises(path.dirname(dir)).filter((e) => e.dir === dir) : listExercises(dir);
  if (exercises.length === 0) {
    console.error(`No exercise folders (named like 05-residual) in ${opts.target}.`);
    return 2;
  }
  const shown = path.relative(ROOT, dir).split(path.sep).join('/') || '.';
  console.log(`Running the visible tests of ${shown}${opts.points ? ` and grading it (quick: ${opts.runs} random case${opts.runs === 1 ? '' : 's'} per test, seed ${opts.seed})` : ''} ...`);
  // An exercise whose files are byte for byte the generated stub is "not started" without
  // running anything. The rest: vitest in a child process and the grader's sandboxed
  // children from here, both at once.
  const exercisesRoot = single ? path.dirname(dir) : dir;
  const untouched = uneditedStubs(exercisesRoot, exercises.map((e) => e.id));
  const edited = exercises.filter((e) => !untouched.has(e.id));
  const [tests, points] = await Promise.all([
    runVisibleTests(
      exercisesRoot,
      edited.map((e) => e.dir),
    ),
    opts.points ? quickPoints(dir, opts.runs, opts.seed, untouched) : Promise.resolve(null),
  ]);
  if (typeof tests === 'string') {
    console.error(tests);
    return 1;
  }
  if (typeof points === 'string') console.log(`  no points: ${points}`);
  const inProject = /^(exercises|solutions)(\/|$)/.test(shown);
  if (!inProject) console.log(`  (the visible tests run only inside exercises/ and solutions/; for ${shown} only the grader's points are shown)`);

  const table = new Table({
    head: ['exercise', 'status', 'visible tests', ...(opts.points ? ['points (quick)'] : [])],
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    style: { head: process.stdout.isTTY ? ['cyan'] : [], border: process.stdout.isTTY ? ['grey'] : [] },
  });
  let done = 0;
  let next: string | null = null;
  let score = 0;
  let max = 0;
  for (const ex of exercises) {
    const t = tests.get(ex.id) ?? { passed: 0, total: 0, todo: 0, loadError: null };
    const p = points && typeof points !== 'string' ? points.byExercise.get(ex.id) : undefined;
    let status: string;
    if (untouched.has(ex.id)) status = 'not started';
    else if (t.loadError) status = 'does not load';
    else if (t.total === 0 && !inProject && p) status = p.score === p.max ? 'done' : p.score > 0 ? 'in progress' : 'not started';
    else if (t.total === 0) status = 'no tests';
    else if (t.passed === t.total) status = 'done';
    else if (t.passed === 0 && t.todo === t.total) status = 'not started';
    else status = 'in progress';
    if (status === 'done') done++;
    else next ??= ex.id;
    if (p) {
      score += p.score;
      max += p.max;
    }
    const mark = ex.id === next ? ' <- next' : '';
    table.push([
      ex.id + mark,
      status,
      untouched.has(ex.id) ? 'stub unedited' : t.loadError ? t.loadError.slice(0, 60) : t.total ? `${t.passed} of ${t.total}` : '-',
      ...(opts.points ? [p ? `${p.score} / ${p.max}` : typeof points === 'string' ? '?' : 'no suite'] : []),
    ]);
  }
  console.log(table.toString());
  console.log(`Progress: ${bar(done, exercises.length)} ${done} of ${exercises.length} exercises done${max ? `; ${score} / ${max} points (quick run, seed ${opts.seed})` : ''}`);
  if (next) {
    const num = next.slice(0, 2);
    const target = single ? shown : `${shown}/${next}`;
    const studentTree = /^exercises(\/|$)/.test(shown);
    console.log(`\nNext: ${target}`);
    if (studentTree) {
      console.log(`  pnpm test:watch ${num}   re-run its tests on every save`);
      console.log(`  pnpm hint ${num}         its tasks and the hints you have seen (pnpm hint ${num} <task> for the next one)`);
    }
    console.log(`  read ${target}/README.md, or its guide on the docs site (pnpm run docs)`);
  } else {
    console.log(`\nEvery exercise passes its visible tests. \`pnpm grade ${shown}\` runs the grader's full checks.`);
  }
  return 0;
}

process.exit(await main(process.argv.slice(2)));
