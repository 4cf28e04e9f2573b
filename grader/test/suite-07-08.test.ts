/**
 * End-to-end grading of exercises 07 (FCN) and 08 (transfer learning): the solutions get full
 * marks, the untouched stubs get 0 with a TODO per test, and submissions with one planted,
 * realistic bug each (a string patch of the solutions, see fixtures.ts) lose points in
 * exactly the tests that should catch it and keep every other point.
 *
 * The suites are passed explicitly, so these tests do not depend on the registry.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { grade, type ExerciseResult } from '../src/index.js';
import { fcnSuite } from '../src/suites/07-fcn.js';
import { transferLearningSuite } from '../src/suites/08-transfer-learning.js';
import { cleanFixtures, makeSubmission, REPO, SEED } from './fixtures.js';

afterAll(cleanFixtures);

const SUITES = [fcnSuite, transferLearningSuite];
const FCN = '07-fcn';
const TRANSFER = '08-transfer-learning';

const test = (ex: ExerciseResult, id: string) => ex.tests.find((t) => t.id === id)!;

describe('exercises 07 and 08: solutions and stubs', () => {
  it('gives the solutions full marks: 25 points for 07, 15 for 08', async () => {
    const report = await grade(makeSubmission('correct-07-08', [], [FCN, TRANSFER]), { seed: SEED, suites: SUITES, exercises: [FCN, TRANSFER] });
    const sub = report.submissions[0];
    expect(sub.exercises.map((e) => e.id)).toEqual([FCN, TRANSFER]);
    for (const ex of sub.exercises) {
      for (const t of ex.tests) expect(t.status, `${ex.id}/${t.id}: ${t.feedback}`).toBe('passed');
    }
    expect(sub.exercises.map((e) => e.maxScore)).toEqual([25, 15]);
    expect(sub.score).toBe(sub.maxScore);
  });

  it('gives the untouched exercises 0 points, every test a TODO naming its function', async () => {
    for (const ex of [FCN, TRANSFER]) {
      const report = await grade(path.join(REPO, 'exercises', ex), { seed: SEED, cwd: REPO, suites: SUITES });
      const result = report.submissions[0].exercises[0];
      expect(result.id).toBe(ex);
      expect(result.score).toBe(0);
      for (const t of result.tests) {
        expect(t.status, `${ex}/${t.id}`).toBe('todo');
        expect(t.feedback).toMatch(/^TODO: \w+.*\(not implemented yet\)$/);
      }
    }
  });
});

// The buggy submissions of these exercises live in the mutant catalogue (src/selftest/mutants/),
// graded by mutants.test.ts and `pnpm grade:selftest`.
