#!/usr/bin/env node
// `pnpm test`               -> the maintainers' suite: turbo runs every package's typecheck and
//                              tests (cached: a second run with nothing changed is a cache hit).
// `pnpm test <path> [...]`  -> vitest on exactly the tests under that path, e.g.
//                              `pnpm test exercises/02-convolution` (a student's loop).
// Extra vitest flags pass through: `pnpm test exercises/02-convolution -t forward`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

if (args.length === 0) {
  process.env.TURBO_TELEMETRY_DISABLED = '1';
  // The runtime is part of every cache key (turbo.json's globalEnv): results cached on one Node
  // version are not replayed on another. Tasks run on the same `node` as this script.
  process.env.DLKATA_NODE_VERSION = `${process.version} ${process.arch}`;
  const dirs = ['packages/tensor', 'packages/layers', 'packages/rnn', 'packages/lab', 'grader', 'solutions'];
  // Stale results must not be counted: a cache hit restores the file, a fresh run rewrites it.
  for (const dir of dirs) rmSync(path.join(root, dir, '.test-results.json'), { force: true });
  const status = run(bin('turbo'), ['run', 'typecheck', 'test', '--continue', '--output-logs=errors-only']);
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
  console.log(`\n(${parts.join(', ')}; the exercises check ran separately)`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(status);
}

// pnpm runs scripts from the repository root; a path typed in a sub-folder is relative to
// the folder the user was in (INIT_CWD). Rewrite such paths to be relative to the root.
const userCwd = process.env.INIT_CWD ?? process.cwd();
const passThrough = [];
for (const [i, a] of args.entries()) {
  const prev = args[i - 1];
  const abs = path.resolve(userCwd, a);
  if (a.startsWith('-')) {
    passThrough.push(a);
  } else if (existsSync(abs)) {
    const rel = path.relative(root, abs) || '.';
    passThrough.push(rel.split(path.sep).join('/'));
  } else if (prev !== undefined && prev.startsWith('-') && !prev.includes('=')) {
    passThrough.push(a); // the value of a flag, e.g. `-t forward`
  } else {
    const exercises = readdirSync(path.join(root, 'exercises')).filter((d) => /^\d\d-/.test(d));
    console.error(`No such folder or file: ${a}\nExercises: ${exercises.map((e) => `exercises/${e}`).join(', ')}`);
    process.exit(2);
  }
}
process.exit(run(bin('vitest'), ['run', ...passThrough]));
