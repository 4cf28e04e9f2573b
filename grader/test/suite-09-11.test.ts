/**
 * End-to-end grading of exercises 09-11 (RNN, long-term dependencies, LSTM): the real
 * solutions, the untouched exercises,. The planted bugs of these exercises are in the mutant catalogue
 * (src/selftest/mutants/), graded by mutants.test.ts.
 *
 * The suites are passed to `grade` explicitly, so this file does not depend on the registry.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { grade, type ExerciseResult } from '../src/index.js';
import { rnnSuite } from '../src/suites/09-rnn.js';
import { longTermSuite } from '../src/suites/10-long-term-dependencies.js';
import { lstmSuite } from '../src/suites/11-lstm.js';
import { cleanFixtures, makeSubmission, REPO, SEED } from './fixtures.js';

afterAll(cleanFixtures);

const SUITES = [rnnSuite, longTermSuite, lstmSuite];
const IDS = SUITES.map((s) => s.id);

function feedback(ex: ExerciseResult, id: string): string {
  const t = ex.tests.find((x) => x.id === id);
  if (!t) throw new Error(`no test ${id} in ${ex.id}`);
  return t.feedback;
}

describe('exercises 09-11: solutions and stubs', () => {
  it('gives the solutions full marks (09: 12, 10: 12, 11: 15 points)', async () => {
    const report = await grade(makeSubmission('rnn-correct', [], IDS), { seed: SEED, suites: SUITES, exercises: IDS });
    const sub = report.submissions[0];
    expect(sub.exercises.map((e) => e.id)).toEqual(IDS);
    for (const ex of sub.exercises) {
      for (const t of ex.tests) expect(t.status, `${ex.id}/${t.id}: ${t.feedback}`).toBe('passed');
    }
    expect(sub.exercises.map((e) => e.maxScore)).toEqual([12, 12, 15]);
    expect(sub.score).toBe(sub.maxScore);
  });

  it('gives the untouched exercises 0 points, every test a TODO naming its function', async () => {
    const report = await grade(path.join(REPO, 'exercises'), { seed: SEED, cwd: REPO, suites: SUITES });
    const sub = report.submissions[0];
    expect(sub.exercises.map((e) => e.id)).toEqual(IDS);
    expect(sub.score).toBe(0);
    for (const ex of sub.exercises) {
      for (const t of ex.tests) {
        expect(t.status, `${ex.id}/${t.id}`).toBe('todo');
        expect(t.feedback).toMatch(/^TODO: \w+.*\(not implemented yet\)$/);
      }
    }
    const lstm = sub.exercises.find((e) => e.id === '11-lstm')!;
    expect(feedback(lstm, 'step-forward')).toContain('TODO: lstmStepForward');
  });
});

// The buggy submissions of these exercises live in the mutant catalogue (src/selftest/mutants/),
// graded by mutants.test.ts and `pnpm grade:selftest`.
