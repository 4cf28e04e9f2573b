#!/usr/bin/env tsx
/**
 * `pnpm progress [path] [--no-points] [--runs N] [--seed N]`: every exercise with its status
 * and points, like rustlings' list.
 *
 * - status, from the visible tests (vitest, JSON reporter): *not started* (every test still
 *   fails with the stub's TODO), *in progress: k of n tests*, *done*, or *does not load*
 *   (a syntax or import error);
 * - points, from the grader library's `grade()` in a quick run (few random cases per test, a
 *   fixed seed); `pnpm grade <path>` gives the full run.
 *
 * `path` defaults to `exercises`; `pnpm progress solutions` shows the reference solutions.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Table from 'cli-table3';
import { listExercises, ROOT } from './lib-docs.js';

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

  path          exercises (default), solutions, or a submission laid out like exercises/
  --no-points   only the visible tests, not the grader's quick run
  --runs N      random cases per grader test in the quick run (default 2; pnpm grade uses 15)
  --seed N      the grader's seed (default 1)`;

function parseArgs(argv: string[]): { target: string; points: boolean; runs: number; seed: number } | string {
  const args = argv.filter((a) => a !== '--');
  let target = 'exercises';
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

function runVisibleTests(dir: string): Map<string, TestStatus> | string {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dlkata-progress-'));
  const out = path.join(tmp, 'results.json');
  const rel = path.relative(ROOT, dir).split(path.sep).join('/') || '.';
  try {
    const r = spawnSync(path.join(ROOT, 'node_modules/.bin/vitest'), ['run', `${rel}/`, '--reporter=json', `--outputFile=${out}`, '--passWithNoTests'], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (!existsSync(out)) return `vitest did not run (${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' ')})`;
    const json = JSON.parse(readFileSync(out, 'utf8')) as VitestJson;
    const byExercise = new Map<string, TestStatus>();
    for (const file of json.testResults) {
      const id = path.relative(dir, file.name).split(path.sep)[0];
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
    rmSync(tmp, { recursive: true, force: true });
  }
}

interface Points {
  score: number;
  max: number;
}

async function quickPoints(dir: string, runs: number, seed: number): Promise<{ byExercise: Map<string, Points>; seed: number; seconds: number } | string> {
  try {
    const { grade } = await import('../grader/src/index.js');
    const t0 = performance.now();
    const report = await grade(dir, {
      numRuns: runs,
      seed,
      cwd: ROOT,
      onProgress: (e) => {
        if (e.type === 'done') console.log(`  graded ${e.exercise.id}: ${e.exercise.score} / ${e.exercise.maxScore}`);
      },
    });
    const map = new Map<string, Points>();
    for (const sub of report.submissions) for (const e of sub.exercises) map.set(e.id, { score: e.score, max: e.maxScore });
    return { byExercise: map, seed, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
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
  const dir = path.resolve(process.env.INIT_CWD ?? process.cwd(), opts.target);
  const exercises = listExercises(dir);
  if (exercises.length === 0) {
    console.error(`No exercise folders (named like 05-residual) in ${opts.target}.`);
    return 2;
  }
  const shown = path.relative(ROOT, dir).split(path.sep).join('/') || '.';
  console.log(`Running the visible tests of ${shown} ...`);
  const tests = runVisibleTests(dir);
  if (typeof tests === 'string') {
    console.error(tests);
    return 1;
  }
  const inProject = /^(exercises|solutions)(\/|$)/.test(shown);
  if (!inProject) console.log(`  (the visible tests run only inside exercises/ and solutions/, the vitest projects; for ${shown} only the grader's points are shown)`);
  let points: Awaited<ReturnType<typeof quickPoints>> | null = null;
  if (opts.points) {
    console.log(`Grading (quick: ${opts.runs} random case${opts.runs === 1 ? '' : 's'} per test, seed ${opts.seed}) ...`);
    points = await quickPoints(dir, opts.runs, opts.seed);
    if (typeof points === 'string') console.log(`  no points: ${points}`);
  }

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
    if (t.loadError) status = 'does not load';
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
      t.loadError ? t.loadError.slice(0, 60) : t.total ? `${t.passed} of ${t.total}` : '-',
      ...(opts.points ? [p ? `${p.score} / ${p.max}` : typeof points === 'string' ? '?' : 'no suite'] : []),
    ]);
  }
  console.log(table.toString());
  console.log(`Progress: ${bar(done, exercises.length)} ${done} of ${exercises.length} exercises done${max ? `; ${score} / ${max} points (quick run, seed ${opts.seed})` : ''}`);
  if (next) {
    const num = next.slice(0, 2);
    const target = `${shown}/${next}`;
    console.log(`\nNext: ${target}`);
    console.log(`  pnpm test:watch ${target}   re-run its tests on every save`);
    console.log(`  pnpm hint ${num}${' '.repeat(Math.max(1, target.length - num.length + 5))}one more hint per task`);
    console.log(`  read ${target}/README.md, or its guide on the docs site (pnpm run docs)`);
  } else {
    console.log(`\nEvery exercise passes its visible tests. \`pnpm grade ${shown}\` runs the grader's full checks.`);
  }
  return 0;
}

process.exit(await main(process.argv.slice(2)));
