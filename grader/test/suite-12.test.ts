/**
 * End-to-end grading of exercise 12 (recurrent architectures): the reference solution gets full
 * marks, the untouched stub gets a TODO in every test, and every mutant of the catalogue loses
 * points exactly in the tests its bug names, with the feedback the catalogue pins (among them
 * forward-only mistakes whose consistent backward keeps its points: one mistake costs once).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grade, runSelftest, type SelftestReport } from '../src/index.js';
import { rnnArchitecturesSuite } from '../src/suites/12-rnn-architectures.js';
import { cleanFixtures, makeSubmission, REPO, SEED } from './fixtures.js';

afterAll(cleanFixtures);

const ID = rnnArchitecturesSuite.id;

describe('exercise 12: solution, stub and mutants', () => {
  let report: SelftestReport;
  beforeAll(async () => {
    report = await runSelftest({ solutions: path.join(REPO, 'solutions'), exercises: [ID], reference: false, seed: SEED, jobs: 2 });
  }, 300_000);

  it('gives the solution full marks (28 points)', async () => {
    const r = await grade(makeSubmission('arch-correct', [], [ID]), { seed: SEED, suites: [rnnArchitecturesSuite] });
    const ex = r.submissions[0].exercises[0];
    for (const t of ex.tests) expect(t.status, `${t.id}: ${t.feedback}`).toBe('passed');
    expect(ex.maxScore).toBe(28);
  });

  it('gives the untouched exercise 0 points, every test a TODO naming its function', async () => {
    const r = await grade(path.join(REPO, 'exercises', ID), { seed: SEED, cwd: REPO, suites: [rnnArchitecturesSuite] });
    const ex = r.submissions[0].exercises[0];
    expect(ex.score).toBe(0);
    for (const t of ex.tests) {
      expect(t.status, t.id).toBe('todo');
      expect(t.feedback).toMatch(/^TODO: \w+/);
    }
  });

  it('every mutant loses points exactly where expected, with the pinned feedback', () => {
    const mine = report.outcomes.filter((o) => o.mutant.exercise === ID);
    expect(mine.length).toBeGreaterThanOrEqual(12);
    expect(mine.filter((o) => o.verdict !== 'exact').map((o) => `${o.mutant.id}: lost ${o.failed.join(', ')}`)).toEqual([]);
    for (const o of mine) {
      for (const [id, patterns] of Object.entries(o.mutant.expectFeedback ?? {})) {
        for (const p of patterns) {
          if (typeof p === 'string') expect(o.feedback[id], `${o.mutant.id}/${id}`).toContain(p);
          else expect(o.feedback[id], `${o.mutant.id}/${id}`).toMatch(p);
        }
      }
    }
  });

  it('one mistake costs once: a captioning loss that counts the padding keeps the gradient points (its gradients match its own loss)', () => {
    const o = report.outcomes.find((x) => x.mutant.id === 'caption-padding-counted')!;
    expect(o.failed).toEqual(['caption-loss']);
  });
});
