/**
 * `pnpm exercises:check` (also the `check` script of `@dlkata/exercises`): proves that the
 * committed exercises are what the solutions produce and that every stub is still unsolved.
 *
 * A maintainers' command (the `check` task of `@dlkata/exercises`, run by the root `pnpm test`);
 * nothing a student types runs it, and its message never asks anyone to overwrite their work.
 *
 * 1. Regenerates the exercises from `solutions/` in memory and compares them with
 *    `exercises/`: changed, missing and extra files fail the check, and so does a manifest
 *    (`exercises/.generated.json`) that does not match (fix after changing solutions:
 *    `pnpm exercises:generate`, which refuses to overwrite edited files).
 *    Also checks each exercise's structure: README with numbered tasks, HINTS with the same
 *    task headings, a test file, a marked region.
 * 2. Runs the exercises' visible tests (vitest project `exercises`) on the stubs. Every test
 *    must fail, and fail with a `NotImplementedError` TODO: a test that passes on a stub
 *    checks nothing the student writes; a test that fails with another error means a broken
 *    stub or test (a syntax error, a missing import, an assertion on given code).
 *
 * That the solutions pass their tests is the `solutions` vitest project's job
 * (`pnpm --filter @dlkata/solutions test`).
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  diffExercises,
  EXERCISES_DIR,
  generateAll,
  lintExercises,
  MANIFEST,
  manifestText,
  MarkerError,
  readExercises,
  ROOT,
  type GeneratedFile,
} from './lib-exercises.js';

/** What a stub's failure must contain: the error class and message of `NotImplementedError`. */
const TODO_FAILURE = /NotImplementedError: TODO: /;

const started = Date.now();
const problems: string[] = [];

// 1. exercises/ is what the generator makes
let generated: Map<string, GeneratedFile>;
try {
  generated = generateAll();
} catch (e) {
  if (e instanceof MarkerError) {
    console.error(`exercises:check: ${e.message}`);
    process.exit(1);
  }
  throw e;
}
problems.push(...lintExercises(generated));
const diff = diffExercises(generated, readExercises());
const stale = diff.missing.length + diff.extra.length + diff.changed.length;
if (stale > 0) {
  const lines = [
    ...diff.changed.map((c) => `changed  exercises/${c.path} (line ${c.line}: expected ${JSON.stringify(clip(c.expected))}, found ${JSON.stringify(clip(c.actual))})`),
    ...diff.missing.map((p) => `missing  exercises/${p}`),
    ...diff.extra.map((p) => `extra    exercises/${p}`),
  ];
  problems.push(
    `exercises/ differs from what solutions/ generates. (This is the maintainers' check of the repository. Working on the ` +
      `exercises? Your edits are what it reports; they are fine: test them with \`pnpm test <exercise>\`.) ` +
      `Maintainers who changed solutions/: \`pnpm exercises:generate\` updates the unedited files and refuses to touch edited ones.\n    ${lines.join('\n    ')}`,
  );
}
if (readFileSyncOr(path.join(EXERCISES_DIR, MANIFEST)) !== manifestText(generated)) {
  problems.push(`exercises/${MANIFEST} does not record the hashes of the generated files (it is written by \`pnpm exercises:generate\`)`);
}
const exercises = [...new Set([...generated.keys()].map((p) => p.split('/')[0]))];

// 2. every visible test fails on the stubs, with a TODO
interface JsonAssertion {
  fullName: string;
  status: string;
  failureMessages: string[];
}
interface JsonFile {
  name: string;
  status: string;
  message: string;
  assertionResults: JsonAssertion[];
}

const tmp = mkdtempSync(path.join(tmpdir(), 'dlkata-check-'));
const reportFile = path.join(tmp, 'report.json');
let testCount = 0;
try {
  const vitest = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const run = spawnSync(process.execPath, [vitest, 'run', '--project', 'exercises', '--reporter=json', `--outputFile=${reportFile}`], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    timeout: 600_000, // a hang guard; on a busy machine the stub run can take minutes
  });
  let report: { testResults: JsonFile[] } | undefined;
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8'));
  } catch {
    report = undefined;
  }
  if (run.error || report === undefined) {
    problems.push(
      `could not run the exercises' tests (vitest exit code ${run.status}${run.error ? `, ${run.error.message}` : ''}):\n${tail(`${run.stdout}\n${run.stderr}`)}`,
    );
  } else {
    const passing: string[] = [];
    const broken: string[] = [];
    const seen = new Set<string>();
    for (const file of report.testResults) {
      const rel = path.relative(ROOT, file.name).split(path.sep).join('/');
      seen.add(rel);
      if (file.assertionResults.length === 0) {
        broken.push(`${rel}: ${file.message ? `does not load: ${firstLines(file.message)}` : 'has no tests'}`);
        continue;
      }
      for (const t of file.assertionResults) {
        testCount++;
        if (t.status !== 'failed') {
          passing.push(`${rel} > ${t.fullName} (${t.status})`);
        } else if (!t.failureMessages.some((m) => TODO_FAILURE.test(m))) {
          broken.push(`${rel} > ${t.fullName}: ${firstLine(t.failureMessages[0] ?? 'no failure message')}`);
        }
      }
    }
    const expectedTestFiles = [...generated.keys()].filter((p) => p.endsWith('.test.ts')).map((p) => `exercises/${p}`);
    for (const f of expectedTestFiles) if (!seen.has(f)) broken.push(`${f}: not run by the vitest project 'exercises'`);
    if (passing.length > 0) {
      problems.push(
        `${passing.length} visible test(s) PASS on the stubs, so they check nothing the student writes (make each test call the student's code):\n    ${passing.join('\n    ')}`,
      );
    }
    if (broken.length > 0) {
      problems.push(`${broken.length} visible test(s) fail on the stubs without a NotImplementedError TODO (broken stub or test):\n    ${broken.join('\n    ')}`);
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (problems.length > 0) {
  console.error(`exercises:check FAILED (${seconds} s)\n\n${problems.map((p) => `- ${p}`).join('\n\n')}`);
  process.exit(1);
}
console.log(`${exercises.length} exercises, ${testCount} stub tests all fail with TODO; exercises/ up to date (${seconds} s)`);

function firstLine(s: string): string {
  return clip(s.split('\n').find((l) => l.trim() !== '') ?? '');
}

function firstLines(s: string, n = 3): string {
  return clip(
    s
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(0, n)
      .map((l) => l.trim())
      .join(' / '),
    300,
  );
}

function clip(s: string, n = 160): string {
  return s.length > n ? `${s.slice(0, n - 3)}...` : s;
}

function tail(s: string, lines = 30): string {
  return s.trim().split('\n').slice(-lines).join('\n');
}

function readFileSyncOr(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}
