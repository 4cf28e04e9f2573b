/**
 * The vitest configuration of the student's loop: `pnpm test 05`, `pnpm test:watch 05`,
 * `pnpm progress`. It runs the visible tests of `exercises/` (and `solutions/`, the same tests
 * on the teaching answers) with the settings of the root configuration's `exercises` and
 * `solutions` projects, minus what makes a one-exercise run slow:
 *
 * - one project instead of seven (each project is a Vite server to start);
 * - worker threads without per-file isolation (an exercise's test files share imports);
 * - a persistent transform cache (`experimental.fsModuleCache`, keyed by file content, so an
 *   edited stub is always re-transformed).
 *
 * `pnpm bench --only student-loop` measures the difference.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import rootConfig from '../vitest.config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

type ProjectTest = { name?: string; include?: string[]; [k: string]: unknown };
const projects = ((rootConfig as { test?: { projects?: unknown[] } }).test?.projects ?? []) as unknown[];
/** A project's `test` options from the root configuration (inline projects only). */
function project(name: string): ProjectTest {
  for (const p of projects) {
    const t = (p as { test?: ProjectTest } | null)?.test;
    if (t?.name === name) return t;
  }
  return {};
}
const exercises = project('exercises');
const solutions = project('solutions');
const { name: _name, include: exInclude, ...shared } = exercises;

export default defineConfig({
  root: ROOT,
  test: {
    ...shared,
    include: [...(exInclude ?? ['exercises/*/**/*.test.ts']), ...(solutions.include ?? [])],
    testTimeout: (exercises.testTimeout as number | undefined) ?? 60_000,
    pool: 'threads',
    isolate: false,
    experimental: { fsModuleCache: true },
  },
});
