/**
 * The property runner of the suites, with a fake context (no sandbox): generated cases first
 * and shrunk, fixed cases after them, fatal failures ending the test at once; joint generators;
 * gradients graded against the reference or the student's own forward.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, Tensor } from '@dlkata/tensor';
import { checkProperty, gradeGradient, InternalError, jointRecord, TestFailure, type TestContext } from '../src/index.js';

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

describe('jointRecord', () => {
  const fields = { N: [1, 3] as const, stride: [1, 3] as const, pad: [0, 2] as const, fixed: [1, 1] as const, seed: fc.nat() };

  it('draws every field at a non-default value together in about a third of the cases, and covers the ranges', () => {
    const draws = fc.sample(jointRecord(fields), { seed: 7, numRuns: 3000 });
    const joint = draws.filter((d) => d.N >= 2 && d.stride >= 2 && d.pad >= 1).length / draws.length;
    // a third forced, plus the free draws that happen to be joint (2/3 * 2/3 * 2/3 of 2/3)
    expect(joint).toBeGreaterThan(0.4);
    expect(joint).toBeLessThan(0.6);
    for (const k of ['N', 'stride', 'pad'] as const) {
      const [lo, hi] = fields[k];
      for (let v = lo; v <= hi; v++) expect(draws.some((d) => d[k] === v), `${k} = ${v}`).toBe(true);
    }
    expect(draws.every((d) => d.fixed === 1 && Number.isInteger(d.seed))).toBe(true);
  });

  it('a bug that needs stride > 1 AND pad > 0 is found in every seed of 15 runs, and shrinks to a smallest joint case', () => {
    for (let seed = 0; seed < 40; seed++) {
      const r = fc.check(
        fc.property(jointRecord(fields), (c) => !(c.stride > 1 && c.pad > 0)),
        { seed, numRuns: 15 },
      );
      expect(r.failed, `seed ${seed}`).toBe(true);
      expect(r.counterexample![0]).toMatchObject({ stride: 2, pad: 1 });
    }
  });

  it('takes explicit edge ranges and arbitraries', () => {
    const draws = fc.sample(jointRecord({ N: [1, 3], H: [1, 4] }, { edge: { N: [3, 3], H: [1, 2] } }), { seed: 3, numRuns: 600 });
    expect(draws.filter((d) => d.N > d.H).length / draws.length).toBeGreaterThan(0.3);
  });
});

describe('gradeGradient: one mistake costs once', () => {
  // f(p) = 2 p (elementwise); its gradient for dout is 2 dout. The "reference" is p^2 (gradient 2 p dout).
  const p = Tensor.from([0.5, -1, 2]);
  const dout = Tensor.from([1, 2, -1]);
  const base = {
    forward: 'fForward',
    backward: 'fBackward',
    input: 'x',
    point: p,
    dout,
    rng: new Rng(1),
  };
  const refGrad = p.map((v, i) => 2 * v * dout.data[i]);
  const ownGrad = dout.map((v) => 2 * v);

  it('passes silently when the gradient equals the reference', async () => {
    expect(await gradeGradient({ ...base, grad: refGrad, expected: refGrad, forwardProblem: null, studentForward: async (q) => q.map((v) => v * v) })).toBeUndefined();
  });

  it("accepts the gradient of the student's own wrong forward, with a note saying so", async () => {
    const note = await gradeGradient({ ...base, grad: ownGrad, expected: refGrad, forwardProblem: 'fForward: out differs at [0]', studentForward: async (q) => q.map((v) => 2 * v) });
    expect(note).toMatch(/^Your fForward is wrong \(fForward: out differs at \[0\]\), so your dx was graded against the gradient of your own fForward, and it matches/);
  });

  it('fails a gradient that matches neither the reference nor the own forward, saying both', async () => {
    await expect(
      gradeGradient({ ...base, grad: ownGrad.map((v) => v + 1), expected: refGrad, forwardProblem: 'fForward: out differs at [0]', studentForward: async (q) => q.map((v) => 2 * v), hint: 'Think.' }),
    ).rejects.toThrow(/^fBackward: dx differs at .*Think\. Your fForward is wrong for this input too .* and your dx does not match it either/);
  });

  it('fails a gradient that matches its own forward when that forward is RIGHT but differs from the reference elementwise', async () => {
    await expect(gradeGradient({ ...base, grad: ownGrad, expected: refGrad, forwardProblem: null, studentForward: async (q) => q.map((v) => 2 * v) })).rejects.toBeInstanceOf(TestFailure);
  });

  it('a note from one case becomes the feedback of a passing test', async () => {
    const o = await checkProperty(ctx, cases, async (c) => (c.n % 2 === 0 ? 'graded against your own forward' : undefined), { describe: describeCase });
    expect(o).toEqual({ status: 'passed', feedback: 'graded against your own forward' });
  });
});
