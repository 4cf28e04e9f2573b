#!/usr/bin/env node
// `pnpm test`               -> the maintainers' suite: turbo runs every package's typecheck and
//                              tests (cached: a second run with nothing changed is a cache hit).
// `pnpm test <exercise> [...]` -> vitest on exactly that exercise's visible tests (a student's
//                              loop): `pnpm test 05`, `pnpm test residual`, `pnpm test
//                              exercises/05-residual`, or the path of the file being edited.
//                              Typed inside an exercise folder, `pnpm test` means that exercise;
//                              typed in exercises/ itself, every exercise's visible tests.
// `pnpm test <path>`         -> vitest on the tests under any other path (packages/tensor).
// Extra vitest flags pass through; `-t` is case-insensitive: `pnpm test 02 -t forward`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exerciseHere, userCwd } from './exercise-names.mjs';
import { STUDENT_CONFIG, vitestArgs } from './lib-test-args.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2).filter((a) => a !== '--');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  if (r.error) {
    console.error(`could not start ${path.basename(cmd)}: ${r.error.message}. Did you run 'pnpm install'?`);
    return 1;
  }
  return r.status ?? 1;
}

// The students' edition (`pnpm release:student`) has no solutions/ and no maintainers' suite:
// there `pnpm test` alone runs every exercise's visible tests. So does `pnpm test` typed in
// exercises/ itself (or a folder in it that is no exercise): a student's place, never the
// maintainers' check.
const exercisesDir = path.join(root, 'exercises');
const typedIn = path.relative(exercisesDir, path.resolve(userCwd()));
const inExercises = typedIn === '' || (!typedIn.startsWith('..') && !path.isAbsolute(typedIn));
// exercises/ is a workspace package with a `test` script (so that `pnpm test` typed there
// works): inside the maintainers' turbo run it has nothing to run (exercises/ is checked by its
// `check` task; the stubs' visible tests fail by design).
if (args.length === 0 && inExercises && !exerciseHere() && (process.env.TURBO_HASH !== undefined || process.env.DLKATA_NODE_VERSION !== undefined)) {
  console.log("exercises/: no tests of the maintainers' suite here (its check task covers exercises/)");
  process.exit(0);
}
if (args.length === 0 && !exerciseHere() && (inExercises || !existsSync(path.join(root, 'solutions')))) {
  if (inExercises) {
    console.error('Running the visible tests of every exercise. For one exercise: pnpm test 05 (or residual), or pnpm test inside its folder.');
  }
  process.exit(run(bin('vitest'), ['run', '--config', STUDENT_CONFIG, 'exercises/']));
}

// Typed inside an exercise folder with no argument: that exercise (never the maintainers' suite).
if (args.length === 0 && !exerciseHere()) {
  process.env.TURBO_TELEMETRY_DISABLED = '1';
  // The runtime is part of every cache key (turbo.json's globalEnv): results cached on one Node
  // version are not replayed on another. Tasks run on the same `node` as this script.
  process.env.DLKATA_NODE_VERSION = `${process.version} ${process.arch}`;
  const dirs = ['packages/tensor', 'packages/layers', 'packages/rnn', 'packages/lab', 'grader', 'solutions', 'scripts'];
  // Stale results must not be counted: a cache hit restores the file, a fresh run rewrites it.
  for (const dir of dirs) rmSync(path.join(root, dir, '.test-results.json'), { force: true });
  const turboStatus = run(bin('turbo'), ['run', 'typecheck', 'test', 'check', '--continue', '--output-logs=errors-only']);
  // The scripts' own tests (the student's commands on scratch copies; not a package, so not turbo's).
  const scriptsStatus = run(bin('vitest'), ['run', '--project', 'scripts', '--reporter=dot', '--reporter=json', '--outputFile.json=scripts/.test-results.json']);
  const status = turboStatus || scriptsStatus;
  // One closing line over every package's vitest run (turbo restores these files from its
  // cache, so a cached run reports the same counts).
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const parts = [];
  for (const dir of dirs) {
    const file = path.join(root, dir, '.test-results.json');
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + r.numTodoTests;
    parts.push(`${dir} ${r.numPassedTests}`);
  }
  console.log(`\n(${parts.join(', ')}; the exercises check ran as its own task)`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(status);
}

const parsed = vitestArgs(args);
if ('error' in parsed) {
  console.error(parsed.error);
  process.exit(2);
}
// The student's loop (exercises/, solutions/) runs with the lean configuration; any other
// path with the root one (all projects).
const config = parsed.student ? ['--config', STUDENT_CONFIG] : [];
process.exit(run(bin('vitest'), ['run', ...config, ...parsed.targets, ...parsed.flags]));
