import { defineConfig } from 'vitest/config';

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
 */
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'tensor', include: ['packages/tensor/src/**/*.test.ts'], testTimeout: 60_000 } },
      { test: { name: 'layers', include: ['packages/layers/src/**/*.test.ts'], testTimeout: 120_000 } },
      { test: { name: 'rnn', include: ['packages/rnn/src/**/*.test.ts'], testTimeout: 60_000 } },
      { test: { name: 'lab', include: ['packages/lab/src/**/*.test.ts'], testTimeout: 300_000 } },
      { test: { name: 'grader', include: ['grader/test/**/*.test.ts', 'grader/src/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 } },
      { test: { name: 'solutions', include: ['solutions/*/**/*.test.ts'], testTimeout: 60_000 } },
      { test: { name: 'exercises', include: ['exercises/*/**/*.test.ts'], testTimeout: 60_000 } },
      // The built docs site in headless Chromium (`pnpm docs:test`, after `pnpm run docs`).
      { test: { name: 'site', include: ['docs/test/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 120_000 } },
    ],
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts', 'grader/src/**/*.ts'],
      exclude: ['**/*.test.ts', 'grader/src/cli.ts', 'packages/lab/src/cli/train.ts', 'packages/lab/src/cli/lenet.ts', 'packages/lab/src/cli/longterm.ts', 'packages/lab/src/cli/charlm.ts', 'packages/lab/src/figures/figures.ts', 'packages/*/bench/**'],
      thresholds: { lines: 90 },
    },
  },
});
