/**
 * Testing the tests: the mutant catalogue (src/selftest/mutants/) holds realistic single-bug
 * variants of the solutions of every exercise: single mistakes, interaction mutants (wrong only
 * when two settings are non-default together), constant answers, and forward-only bugs whose
 * backward pass is right for them. Each must lose points in exactly the tests its
 * `expectFailIn` names, and nowhere else, while the reference solutions keep full marks. The
 * whole catalogue runs here in quick mode (no shrinking: the same verdicts); two mutants run
 * again with shrinking for the counterexample checks. The same run is `pnpm grade:selftest`.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { main as selftestMain } from '../src/selftest/cli.js';
import { catalogueProblems, exerciseScores, loadMutants, renderExerciseTable, renderSelftest, runSelftest, SELFTEST_SEED, selftestPassed, SUITES, type Mutant, type SelftestReport } from '../src/index.js';
import { REPO } from './fixtures.js';

const SOLUTIONS = path.join(REPO, 'solutions');
let all: Mutant[];
let report: SelftestReport;
/** The exercises with a suite and mutants. */
let graded: string[];

beforeAll(async () => {
  all = await loadMutants();
  graded = [...new Set(all.map((m) => m.exercise))].filter((ex) => SUITES.some((s) => s.id === ex)).sort();
  report = await runSelftest({ solutions: SOLUTIONS, exercises: graded, seed: SELFTEST_SEED, jobs: 2, quick: true });
}, 900_000);

describe('the mutant catalogue', () => {
  it('is sound: known exercises and tests, unique ids, every find text once in its solution', () => {
    expect(catalogueProblems(all, SUITES, SOLUTIONS)).toEqual([]);
  });

  it('covers exercises 01-11, each with several mutants', () => {
    for (let i = 1; i <= 11; i++) expect(graded.some((ex) => ex.startsWith(String(i).padStart(2, '0'))), `exercise ${i}`).toBe(true);
    for (const ex of graded) expect(all.filter((m) => m.exercise === ex).length, ex).toBeGreaterThanOrEqual(5);
  });
});

describe('every mutant loses points exactly in the tests that name its bug', () => {
  it('the reference solutions keep full marks', () => {
    expect(report.reference).toBeDefined();
    const lost = report.reference!.exercises.flatMap((e) => e.tests.filter((t) => t.status !== 'passed').map((t) => `${e.id}/${t.id}: ${t.feedback}`));
    expect(lost).toEqual([]);
  });

  it('mutation score: all killed, all exactly where expected', () => {
    const wrong = report.outcomes.filter((o) => o.verdict !== 'exact').map((o) => `${o.mutant.exercise}/${o.mutant.id}: expected ${o.mutant.expectFailIn.join(', ')}, lost ${o.failed.join(', ') || 'nothing'}`);
    expect(wrong).toEqual([]);
    expect(report.killed).toBe(report.total);
  });

  it('each failing test says what is wrong (the catalogue pins the diagnosis where it matters)', () => {
    for (const o of report.outcomes) {
      for (const id of o.failed) expect(o.feedback[id], `${o.mutant.id}/${id}`).not.toBe('');
      for (const [id, patterns] of Object.entries(o.mutant.expectFeedback ?? {})) {
        for (const p of patterns) {
          if (typeof p === 'string') expect(o.feedback[id], `${o.mutant.id}/${id}`).toContain(p);
          else expect(o.feedback[id], `${o.mutant.id}/${id}`).toMatch(p);
        }
      }
    }
  });

  const outcome = (exercise: string, id: string): SelftestReport['outcomes'][number] => {
    const o = report.outcomes.find((x) => x.mutant.exercise === exercise && x.mutant.id === id);
    if (!o) throw new Error(`no mutant ${exercise}/${id}`);
    return o;
  };

  it('a forward-only bug keeps every backward point (one mistake costs once)', () => {
    const forwardOnly = report.outcomes.filter((o) => o.mutant.kind === 'forward-only');
    expect(forwardOnly.length).toBeGreaterThanOrEqual(6);
    for (const o of forwardOnly) expect(o.failed.filter((t) => /backward/.test(t)), `${o.mutant.exercise}/${o.mutant.id}`).toEqual([]);
    for (const ex of ['02-convolution', '05-residual', '09-rnn', '11-lstm']) expect(forwardOnly.some((o) => o.mutant.exercise === ex), ex).toBe(true);
  });

  it('the bug found in review (stride > 1 AND padding > 0 only) loses the joint test, and only it', () => {
    expect(outcome('02-convolution', 'pad-offset-scaled-by-stride').failed).toEqual(['forward-stride-pad']);
  });

  it('interaction and constant mutants: at least 3 and 1 per exercise, all caught', () => {
    for (const ex of graded) {
      const mine = report.outcomes.filter((o) => o.mutant.exercise === ex);
      expect(mine.filter((o) => o.mutant.kind === 'interaction').length, ex).toBeGreaterThanOrEqual(3);
      expect(mine.filter((o) => o.mutant.kind === 'constant').length, ex).toBeGreaterThanOrEqual(1);
    }
  });

  it('prints a table per exercise: mutants, caught, exact, kinds, the reference score', () => {
    const table = renderExerciseTable(report);
    for (const ex of graded) expect(table).toMatch(new RegExp(`^${ex}\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+/\\d+$`, 'm'));
    const rows = exerciseScores(report);
    expect(rows.reduce((a, r) => a + r.mutants, 0)).toBe(report.total);
    expect(renderSelftest(report)).toContain(table);
  });

  it('pnpm grade:selftest prints one line per mutant and the mutation score', async () => {
    const text = renderSelftest(report);
    expect(text).toContain('02-convolution/dw-not-summed-over-batch');
    expect(text).toMatch(new RegExp(`mutation score: ${report.total}/${report.total} mutants lose points \\(100%\\); ${report.total}/${report.total} exactly`));
    expect(text).toContain('(quick: failing cases not shrunk)');
    expect(selftestPassed(report)).toBe(true);
    const failing = { ...report, outcomes: [{ ...report.outcomes[0], verdict: 'survived' as const, failed: [], missing: [...report.outcomes[0].mutant.expectFailIn] }], killed: 0, exact: 0, total: 1 };
    expect(selftestPassed(failing)).toBe(false);
    expect(renderSelftest(failing)).toContain('SURVIVED');
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await selftestMain(['--seed', 'abc'])).toBe(2);
    } finally {
      err.mockRestore();
    }
  });

  it("a bug the lecture's example cannot show is caught by a random case, not the fixed one", () => {
    expect(outcome('02-convolution', 'conv1x1-weights-transposed').counterexamples.conv1x1.description).not.toContain('the lecture');
    expect(outcome('02-convolution', 'conv1x1-hard-coded').counterexamples.conv1x1.fixed).toBe(false);
  });
});

describe('with shrinking (the full self-test)', () => {
  let full: SelftestReport;
  beforeAll(async () => {
    const two = all.filter((m) => (m.exercise === '02-convolution' && m.id === 'dw-not-summed-over-batch') || (m.exercise === '03-pooling' && m.id === 'overlap-overwritten-not-accumulated'));
    full = await runSelftest({ solutions: SOLUTIONS, mutants: two, reference: false, seed: SELFTEST_SEED, jobs: 2 });
  }, 300_000);

  const outcome = (exercise: string, id: string): SelftestReport['outcomes'][number] => full.outcomes.find((x) => x.mutant.exercise === exercise && x.mutant.id === id)!;

  it('a bug that needs a batch of two is shown on a batch of two (the shrunk counterexample)', () => {
    const o = outcome('02-convolution', 'dw-not-summed-over-batch');
    expect(o.verdict).toBe('exact');
    expect(o.counterexamples['backward-dw'].description).toMatch(/x \[[2-9]/);
  });

  it('a counterexample found at random is shrunk and can be replayed by its path', () => {
    const c = outcome('03-pooling', 'overlap-overwritten-not-accumulated').counterexamples['backward-overlap'];
    expect(c).toMatchObject({ fixed: false, path: expect.any(String) });
    expect(c.shrinks).toBeGreaterThan(0);
  });
});
