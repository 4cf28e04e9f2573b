#!/usr/bin/env node
// `pnpm test:watch <exercise> [...]` -> vitest in watch mode on exactly that exercise's visible
//                                      tests, re-running them on every save:
//                                      `pnpm test:watch 05` (or residual, exercises/05-residual,
//                                      the file being edited). Typed inside an exercise folder,
//                                      `pnpm test:watch` watches that exercise.
// Names and flags are handled as in scripts/test.mjs (`-t` is case-insensitive).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { exerciseIds, ROOT } from './exercise-names.mjs';
import { STUDENT_CONFIG, vitestArgs } from './lib-test-args.mjs';

const parsed = vitestArgs(process.argv.slice(2));
if ('error' in parsed) {
  console.error(parsed.error);
  process.exit(2);
}
if (parsed.targets.length === 0) {
  console.error(
    `Usage: pnpm test:watch <exercise>   e.g. pnpm test:watch 05   (inside an exercise folder: pnpm test:watch)\n` +
      `Re-runs that exercise's tests every time you save a file (q to quit).\n` +
      `Exercises: ${exerciseIds().join(', ')}`,
  );
  process.exit(2);
}
const config = parsed.student ? ['--config', STUDENT_CONFIG] : [];
const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'vitest'), ['watch', ...config, ...parsed.targets, ...parsed.flags], { cwd: ROOT, stdio: 'inherit' });
if (r.error) {
  console.error(`could not start vitest: ${r.error.message}. Did you run 'pnpm install'?`);
  process.exit(1);
}
process.exit(r.status ?? 1);
