/**
 * The time budget per exercise: a submission whose every call sleeps just under the per-call
 * limit is never killed by that limit, but its exercise as a whole must end within its budget;
 * its remaining tests fail with the reason, and the other exercises are graded as usual.
 */
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { budgetMessage, grade, SUITES } from '../src/index.js';
import { cleanFixtures, fixtureRoot, makeSubmission, REPO, SEED } from './fixtures.js';

// Absolute: the suite runs from the repository root or from grader/ (turbo).
const SOLUTIONS = path.join(REPO, 'solutions');

afterAll(cleanFixtures);

/** Each forward call sleeps 600 ms: under the 1 s per-call limit, over a 3 s budget after a few calls. */
const SLEEPY = {
  file: '03-pooling/pool.ts',
  find: "  const [Hout, Wout] = poolOutputShape('maxPool2dForward', x, params);",
  replace: "  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600);\n  const [Hout, Wout] = poolOutputShape('maxPool2dForward', x, params);",
};

describe('the time budget per exercise', () => {
  it('stops an exercise whose calls are each fast enough but together too slow, and grades the others', async () => {
    const dir = makeSubmission('sleepy', [SLEEPY], ['01-gradient-check', '03-pooling']);
    const t0 = Date.now();
    const report = await grade(dir, { seed: SEED, timeoutMs: 1000, exerciseTimeoutMs: 3000, exercises: ['01-gradient-check', '03-pooling'], concurrency: 1 });
    const elapsed = Date.now() - t0;
    const [gc, pool] = report.submissions[0].exercises;
    expect(gc.id).toBe('01-gradient-check');
    expect(gc.score, JSON.stringify(gc.tests.filter((t) => t.status !== 'passed'))).toBe(gc.maxScore);
    expect(pool.id).toBe('03-pooling');
    const stopped = pool.tests.filter((t) => t.status === 'timeout');
    expect(stopped.length).toBeGreaterThan(0);
    for (const t of stopped) {
      expect(t.points).toBe(0);
      expect(t.feedback).toBe(budgetMessage(3000, 1000));
      expect(t.feedback).toMatch(/more than 3 s in total/);
    }
    // Every test of the exercise is in the report, none lost.
    expect(pool.tests.map((t) => t.id)).toEqual(SUITES.find((s) => s.id === '03-pooling')!.tests.map((t) => t.id));
    // Bounded: the budget plus the honest exercise and start-up, not minutes.
    expect(elapsed).toBeLessThan(60_000);
  }, 120_000);

  it('rejects a budget that is not a positive whole number of seconds', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      for (const bad of ['0', '-1', '2.5', 'abc']) expect(await main([SOLUTIONS, '--exercise-timeout', bad])).toBe(2);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(/--exercise-timeout must be an integer from 1 to 86400/);
      await expect(grade(SOLUTIONS, { seed: SEED, exerciseTimeoutMs: 0 })).rejects.toThrow(/time budget per exercise/);
      // A class run uses the default budget; the option is refused there rather than ignored.
      expect(await main([SOLUTIONS, '--seed', '1', '--exercise-timeout', '30', '--out', path.join(fixtureRoot(), 'class-out')])).toBe(2);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(/--exercise-timeout does not go with --out/);
    } finally {
      err.mockRestore();
    }
  });
});
