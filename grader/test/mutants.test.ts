/**
 * Testing the tests: the mutant catalogue (src/selftest/mutants/) holds realistic single-bug
 * variants of the solutions. Each must lose points in exactly the tests its `expectFailIn`
 * names, and nowhere else (the reference solutions' full marks are checked in grade.test.ts).
 * The same run is `pnpm grade:selftest`.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { main as selftestMain } from '../src/selftest/cli.js';
import { catalogueProblems, loadMutants, renderSelftest, runSelftest, SELFTEST_SEED, selftestPassed, SUITES, type Mutant, type SelftestReport } from '../src/index.js';
import { REPO } from './fixtures.js';

const SOLUTIONS = path.join(REPO, 'solutions');
/** The exercises whose mutants this file grades (colleagues' exercises bring their own tests). */
const GRADED = ['01-gradient-check', '02-convolution', '03-pooling', '04-cnn-architectures'];

let all: Mutant[];
let report: SelftestReport;

beforeAll(async () => {
  all = await loadMutants();
  report = await runSelftest({ solutions: SOLUTIONS, exercises: GRADED, reference: false, seed: SELFTEST_SEED, jobs: 2 });
}, 300_000);

describe('the mutant catalogue', () => {
  it('is sound: known exercises and tests, unique ids, every find text once in its solution', () => {
    expect(catalogueProblems(all, SUITES, SOLUTIONS)).toEqual([]);
  });

  it('holds at least 30 mutants of exercises 01-04, some for every exercise', () => {
    const mine = all.filter((m) => GRADED.includes(m.exercise));
    expect(mine.length).toBeGreaterThanOrEqual(30);
    for (const ex of GRADED) expect(mine.filter((m) => m.exercise === ex).length, ex).toBeGreaterThanOrEqual(4);
  });
});

describe('every mutant loses points exactly in the tests that name its bug', () => {
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

  it('a bug that needs a batch of two is shown on a batch of two (the shrunk counterexample)', () => {
    const o = outcome('02-convolution', 'dw-not-summed-over-batch');
    expect(o.counterexamples['backward-dw'].description).toMatch(/x \[[2-9]/);
  });

  it('a counterexample found at random is shrunk and can be replayed by its path', () => {
    const c = outcome('03-pooling', 'overlap-overwritten-not-accumulated').counterexamples['backward-overlap'];
    expect(c).toMatchObject({ fixed: false, path: expect.any(String) });
    expect(c.shrinks).toBeGreaterThan(0);
  });

  it('pnpm grade:selftest prints one line per mutant and the mutation score', async () => {
    const text = renderSelftest(report);
    expect(text).toContain('02-convolution/dw-not-summed-over-batch');
    expect(text).toMatch(new RegExp(`mutation score: ${report.total}/${report.total} mutants lose points \\(100%\\); ${report.total}/${report.total} exactly`));
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
