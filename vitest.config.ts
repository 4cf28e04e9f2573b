import { defineConfig } from 'vitest/config';
import { isStudentRun } from './packages/exercise-support/src/reporter.js';

/**
 * Time limits are generous on purpose: they catch a hang, not slowness. Speed is measured
 * by `pnpm bench`, never asserted in a test (shared machines are noisy).
 *
 * One root configuration, one project per workspace part.
 *
 * - `pnpm test` (no argument) runs the maintainers' suites through turbo, each package
 *   calling `vitest run --project <name>` so turbo can cache them one by one.
 * - `pnpm test exercises/02-convolution` runs `vitest run exercises/02-convolution`: the
 *   path filter selects exactly that exercise's visible tests.
 *
 * A run of exercise or solution tests only (every path under `exercises/` or `solutions/`)
 * gets the compact reporter of `@dlkata/exercise-support`: each TODO once, one short block per
 * failure, no library stack frames. `DLKATA_REPORTER=default` gives vitest's usual output; a
 * `--reporter` on the command line always wins.
 */
const studentRun = isStudentRun(process.argv.slice(2));

export default defineConfig({
  test: {
    ...(studentRun ? { reporters: ['./packages/exercise-support/src/reporter.ts'] } : {}),
    projects: [
      { test: { name: 'tensor', include: ['packages/tensor/src/**/*.test.ts'], testTimeout: 60_000 } },
      { test: { name: 'layers', include: ['packages/layers/src/**/*.test.ts'], testTimeout: 120_000 } },
      { test: { name: 'exercise-support', include: ['packages/exercise-support/src/**/*.test.ts'], testTimeout: 60_000 } },
      { test: { name: 'rnn', include: ['packages/rnn/src/**/*.test.ts'], testTimeout: 60_000 } },
      { test: { name: 'lab', include: ['packages/lab/src/**/*.test.ts'], testTimeout: 300_000 } },
      { test: { name: 'grader', include: ['grader/test/**/*.test.ts', 'grader/src/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 } },
      { test: { name: 'solutions', include: ['solutions/*/**/*.test.ts'], testTimeout: 60_000 } },
      { test: { name: 'exercises', include: ['exercises/*/**/*.test.ts'], testTimeout: 60_000 } },
      // The student's commands and the maintainers' scripts (scratch copies of the repository).
      { test: { name: 'scripts', include: ['scripts/test/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 600_000 } },
      // The built docs site in headless Chromium (`pnpm docs:test`, after `pnpm run docs`).
      { test: { name: 'site', include: ['docs/test/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 120_000 } },
    ],
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts', 'grader/src/**/*.ts'],
      exclude: ['**/*.test.ts', 'packages/exercise-support/**', 'grader/src/cli.ts', 'packages/lab/src/cli/train.ts', 'packages/lab/src/cli/lenet.ts', 'packages/lab/src/cli/longterm.ts', 'packages/lab/src/cli/charlm.ts', 'packages/lab/src/figures/figures.ts', 'packages/*/bench/**'],
      thresholds: { lines: 90 },
    },
  },
});
