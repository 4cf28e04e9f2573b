import { describe, expect, test } from 'vitest';
import { isStudentRun } from './reporter.js';

// The maintainers' edition also runs the teaching solutions' visible tests with the compact
// reporter. The students' edition has no solutions/, so `pnpm release:student` leaves this file out.
describe('isStudentRun: the solutions\' visible tests get the compact reporter too', () => {
  test.each([
    [['run', './solutions/05-residual/residual.test.ts'], true],
    [['run', '--project=solutions'], true],
    [['run', 'solutions/02-convolution', 'packages/tensor'], false],
  ])('%j -> %s', (argv, expected) => {
    expect(isStudentRun(argv, {})).toBe(expected);
  });
});
