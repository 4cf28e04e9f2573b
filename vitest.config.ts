import { defineConfig } from 'vitest/config';

/**
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
      { test: { name: 'tensor', include: ['packages/tensor/src/**/*.test.ts'] } },
      { test: { name: 'layers', include: ['packages/layers/src/**/*.test.ts'], testTimeout: 60_000 } },
      { test: { name: 'rnn', include: ['packages/rnn/src/**/*.test.ts'] } },
      { test: { name: 'grader', include: ['grader/test/**/*.test.ts', 'grader/src/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 } },
      { test: { name: 'solutions', include: ['solutions/*/**/*.test.ts'] } },
      { test: { name: 'exercises', include: ['exercises/*/**/*.test.ts'] } },
    ],
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts', 'grader/src/**/*.ts'],
      exclude: ['**/*.test.ts', 'grader/src/cli.ts', 'packages/*/src/cli/**', 'packages/*/bench/**'],
      thresholds: { lines: 90 },
    },
  },
});
