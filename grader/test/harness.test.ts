/**
 * The property runner of the suites, with a fake context (no sandbox): generated cases first
 * and shrunk, fixed cases after them, fatal failures ending the test at once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProperty, InternalError, TestFailure, type TestContext } from '../src/index.js';

const ctx: TestContext = { seed: 1, numRuns: 20, call: async () => undefined };

interface Case {
  readonly n: number;
  readonly label?: string;
}

const cases = fc.record({ n: fc.integer({ min: 0, max: 100 }) }) as fc.Arbitrary<Case>;
const describeCase = (c: Case): string => (c.label ? `${c.label}: n = ${c.n}` : `n = ${c.n}`);

describe('checkProperty', () => {
  it('passes when every generated and fixed case passes', async () => {
    expect(await checkProperty(ctx, cases, async () => {}, { describe: describeCase, examples: [{ n: 5, label: 'five' }] })).toEqual({ status: 'passed', feedback: '' });
  });

  it('shrinks a failing generated case to a smallest one and reports how to replay it', async () => {
    const o = await checkProperty(
      ctx,
      cases,
      async (c) => {
        if (c.n >= 10) throw new TestFailure('failed', `n = ${c.n} is too big`);
      },
      { describe: describeCase },
    );
    expect(o.status).toBe('failed');
    expect(o.feedback).toBe('n = 10 is too big');
    expect(o.counterexample).toMatchObject({ description: 'n = 10', fixed: false, path: expect.any(String) });
  });

  it('runs the fixed cases after the generated ones, and names a failing one', async () => {
    const o = await checkProperty(
      ctx,
      cases,
      async (c) => {
        if (c.n === 1000) throw new TestFailure('failed', 'the lecture case fails');
      },
      { describe: describeCase, examples: [{ n: 3, label: 'small' }, { n: 1000, label: 'the lecture' }] },
    );
    expect(o).toEqual({ status: 'failed', feedback: 'the lecture case fails', counterexample: { description: 'the lecture: n = 1000', fixed: true, shrinks: 0, path: null } });
  });

  it('ends the test at the first fatal failure, without shrinking', async () => {
    let calls = 0;
    const o = await checkProperty(
      ctx,
      cases,
      async () => {
        calls++;
        throw new TestFailure('timeout', 'timed out after 5 ms in f', true);
      },
      { describe: describeCase },
    );
    expect(o.status).toBe('timeout');
    expect(calls).toBe(1);
    expect(o.counterexample!.shrinks).toBe(0);
  });

  it('raises an InternalError for a bug of the grader (not a TestFailure)', async () => {
    await expect(
      checkProperty(ctx, cases, async () => {
        throw new TypeError('grader bug');
      }, { describe: describeCase }),
    ).rejects.toThrow(InternalError);
  });
});
