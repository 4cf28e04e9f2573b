#!/usr/bin/env node
// `pnpm test:watch <path> [...]` -> vitest in watch mode on exactly the tests under that path,
//                                  re-running them on every save, e.g.
//                                  `pnpm test:watch exercises/05-residual` (a student's loop).
// `pnpm -w test:watch` typed inside an exercise folder watches that exercise.
// Paths are handled as in scripts/test.mjs (relative to the folder you typed the command in);
// extra vitest flags pass through: `pnpm test:watch exercises/05-residual -t forward`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2).filter((a) => a !== '--');
const userCwd = process.env.INIT_CWD ?? process.cwd();
const exercises = () =>
  existsSync(path.join(root, 'exercises')) ? readdirSync(path.join(root, 'exercises')).filter((d) => /^\d\d-/.test(d)) : [];

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
    console.error(`No such folder or file: ${a}\nExercises: ${exercises().map((e) => `exercises/${e}`).join(', ')}`);
    process.exit(2);
  }
}

if (!passThrough.some((a) => !a.startsWith('-'))) {
  // No path: the exercise folder the command was typed in, if any.
  const rel = path.relative(path.join(root, 'exercises'), userCwd).split(path.sep);
  if (!rel[0].startsWith('..') && /^\d\d-/.test(rel[0])) {
    passThrough.unshift(`exercises/${rel[0]}`);
  } else {
    console.error(
      `Usage: pnpm test:watch <path>   e.g. pnpm test:watch exercises/05-residual\n` +
        `Re-runs that exercise's tests every time you save a file (q to quit).\n` +
        `Exercises: ${exercises().map((e) => `exercises/${e}`).join(', ')}`,
    );
    process.exit(2);
  }
}

const r = spawnSync(path.join(root, 'node_modules', '.bin', 'vitest'), ['watch', ...passThrough], { cwd: root, stdio: 'inherit' });
if (r.error) {
  console.error(`could not start vitest: ${r.error.message}. Did you run 'pnpm install'?`);
  process.exit(1);
}
process.exit(r.status ?? 1);
