/**
 * The grading suites of exercises 05 (residual blocks) and 06 (1x1 convolutions and the
 * inception module), end to end: the reference solutions get full marks, the untouched stubs
 * get 0 with a TODO per test, and submissions with one realistic planted bug each (built from
 * the solutions by a string patch, see fixtures.ts) lose points in exactly the tests that
 * should catch the bug and keep every other point.
 *
 * The suites are passed to `grade` explicitly, so these tests do not depend on the registry.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { grade, type ExerciseResult, type GradeReport } from '../src/index.js';
import { residualSuite } from '../src/suites/05-residual.js';
import { inceptionSuite } from '../src/suites/06-inception.js';
import { cleanFixtures, makeSubmission, REPO, SEED } from './fixtures.js';

afterAll(cleanFixtures);

const SUITES = [residualSuite, inceptionSuite];
const RESIDUAL = '05-residual';
const INCEPTION = '06-inception';

function exercise(report: GradeReport, id: string): ExerciseResult {
  const ex = report.submissions[0].exercises.find((e) => e.id === id);
  if (!ex) throw new Error(`no exercise ${id} in the report`);
  return ex;
}

describe('grading the reference solutions and the stubs of 05 and 06', () => {
  it('gives the solutions full marks: 14 points for 05, 19 for 06', async () => {
    const report = await grade(makeSubmission('correct-05-06', [], [RESIDUAL, INCEPTION]), { seed: SEED, suites: SUITES, exercises: [RESIDUAL, INCEPTION] });
    const sub = report.submissions[0];
    expect(sub.exercises.map((e) => e.id)).toEqual([RESIDUAL, INCEPTION]);
    for (const ex of sub.exercises) {
      for (const t of ex.tests) expect(t.status, `${ex.id}/${t.id}: ${t.feedback}`).toBe('passed');
    }
    expect(exercise(report, RESIDUAL).maxScore).toBe(14);
    expect(exercise(report, INCEPTION).maxScore).toBe(19);
    expect(sub.score).toBe(sub.maxScore);
  });

  it('gives the untouched exercises 0 points, every test a TODO naming its task', async () => {
    for (const id of [RESIDUAL, INCEPTION]) {
      const report = await grade(path.join(REPO, 'exercises', id), { seed: SEED, cwd: REPO, suites: SUITES });
      const ex = exercise(report, id);
      expect(ex.score).toBe(0);
      for (const t of ex.tests) {
        expect(t.status, `${id}/${t.id}`).toBe('todo');
        expect(t.feedback).toMatch(/^TODO: \w+.*\(not implemented yet\)$/);
      }
    }
  });
});

// The buggy submissions of these exercises live in the mutant catalogue (src/selftest/mutants/),
// graded by mutants.test.ts and `pnpm grade:selftest`.
