import { NotImplementedError, Tensor } from '@dlkata/tensor';
import fc from 'fast-check';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { CheckFailure, expectGradients, expectNumber, expectTensor, expectTensors, explainRelativeError, forAll, replayCommand, shellQuote, succeeds, thrownBy } from './index.js';

/** The CheckFailure `f` throws (fails the test if it throws nothing or something else). */
function failureOf(f: () => void): CheckFailure {
  try {
    f();
  } catch (e) {
    if (e instanceof CheckFailure) return e;
    throw e;
  }
  throw new Error('expected a CheckFailure, nothing was thrown');
}

const t = (v: number[], shape?: number[]): Tensor => Tensor.fromArray(v, shape);

describe('explainRelativeError (what a number means, CS231n scale)', () => {
  test('9.4e-4 (= instead of +=) reads as a real bug, not as a precision problem', () => {
    const s = explainRelativeError(9.4e-4);
    expect(s).toContain('relative error 9.4e-4');
    expect(s).toContain('a real bug, not rounding');
    expect(s).not.toMatch(/precision|small/);
  });

  test('1e-1 and above: far off; below 1e-5: small; the scale depends on what is compared', () => {
    expect(explainRelativeError(0.6)).toContain('far off');
    expect(explainRelativeError(3e-7, 'numerical')).toContain('small');
    expect(explainRelativeError(3e-7, 'reference')).toContain('about 1e-12');
    expect(explainRelativeError(3e-3, 'numerical')).toContain('1e-7 or less');
  });

  test('property: every error in [0, 1] gets exactly one of the three verdicts', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (e) => {
        const s = explainRelativeError(e);
        const verdicts = ['far off', 'a real bug', 'small'].filter((v) => s.includes(v));
        expect(verdicts.length).toBe(1);
      }),
      { seed: 1, numRuns: 200 },
    );
  });
});

describe('expectTensors', () => {
  test('two of three wrong: ONE failure naming both, with worst index, got and expected; the right one is not named', () => {
    const f = failureOf(() =>
      expectTensors('conv2dBackward', [
        { name: 'dx', got: t([1, 2]), expected: t([1, 2]) },
        { name: 'dw', got: t([1, 5, 3]), expected: t([1, 2, 3]) },
        { name: 'db', got: t([0]), expected: t([8]) },
      ]),
    );
    expect(f.message.split('\n')[0]).toBe('conv2dBackward: 2 of 3 wrong');
    expect(f.message).toContain('dw [3] wrong at [1]: got 5, expected 2');
    expect(f.message).toContain('db [1] wrong at [0]: got 0, expected 8');
    expect(f.message).not.toMatch(/\bdx\b/);
    expect(f.cause).toBeUndefined();
  });

  test('all right: no failure, and the diagnosis is never computed', () => {
    const diagnose = vi.fn(() => 'never');
    expectTensors('f', [{ name: 'out', got: t([1, 2]), expected: t([1, 2 + 1e-12]) }], { diagnose });
    expect(diagnose).not.toHaveBeenCalled();
  });

  test('a diagnosis, the case and a note are printed under the mismatches', () => {
    const f = failureOf(() =>
      expectTensors('relu', [{ name: 'out', got: t([1, -1]), expected: t([1, 0]) }], { diagnose: () => 'negative values kept', case: 'x=[2]', note: 'why' }),
    );
    expect(f.message).toMatch(/why[\s\S]*out \[2\] wrong at \[1\][\s\S]*case: x=\[2\][\s\S]*diagnosis: negative values kept/);
  });

  test('a diagnosis that throws is left out, the failure stays', () => {
    const f = failureOf(() =>
      expectTensors('f', [{ name: 'out', got: t([1]), expected: t([2]) }], {
        diagnose: () => {
          throw new TypeError('broken');
        },
      }),
    );
    expect(f.message).not.toContain('diagnosis');
  });

  test('wrong shape, not a tensor, NaN: each reported in words', () => {
    const f = failureOf(() =>
      expectTensors('f', [
        { name: 'a', got: t([1, 2, 3, 4], [2, 2]), expected: t([1, 2, 3, 4], [4]) },
        { name: 'b', got: undefined, expected: t([1]) },
        { name: 'c', got: t([NaN]), expected: t([1]) },
      ]),
    );
    expect(f.message).toContain('a has shape [2,2], expected [4]');
    expect(f.message).toContain('b is missing (undefined), expected a Tensor of shape [1]');
    expect(f.message).toContain('c [1] wrong at [0]: got NaN, expected 1');
  });

  test('a small matrix is shown whole, NumPy-style; a large tensor is not', () => {
    const small = failureOf(() => expectTensor('f: out', t([1, 2, 3, 5], [1, 1, 2, 2]), t([1, 2, 3, 4], [1, 1, 2, 2])));
    expect(small.message).toContain('got      [[[[1., 2.],');
    expect(small.message).toContain('expected [[[[1., 2.],');
    const big = failureOf(() => expectTensor('f: out', Tensor.zeros([40]), Tensor.ones([40])));
    expect(big.message).not.toContain('got      [');
  });

  test('expectTensor splits "fn: name"; gradient tolerances apply when asked', () => {
    expect(failureOf(() => expectTensor('pool: dx', t([1]), t([2]))).message).toMatch(/^pool: dx \[1\] wrong at \[0\]/);
    expect(succeeds(() => expectTensors('f', [{ name: 'd', got: t([1 + 1e-7]), expected: t([1]) }], { against: 'numerical' }))).toBe(true);
    expect(succeeds(() => expectTensors('f', [{ name: 'd', got: t([1 + 1e-7]), expected: t([1]) }]))).toBe(false);
  });

  test('expectNumber: NaN expected matches NaN only; a wrong number names both', () => {
    expectNumber('meanIoU', NaN, NaN);
    expect(failureOf(() => expectNumber('meanIoU', 0.5, NaN)).message).toContain('meanIoU: got 0.5, expected NaN');
    expect(failureOf(() => expectNumber('meanIoU', 0.5, 0.75)).message).toContain('relative error 2.0e-1');
    expect(failureOf(() => expectNumber('meanIoU', '1' as unknown as number, 1)).message).toBe('meanIoU: expected a number, got string');
  });
});

describe('expectGradients (one mistake costs once)', () => {
  const ref = { dx: t([1, 2]) };
  const own = { dx: t([3, 4]) };

  test('forward right: graded against the reference, with the diagnosis', () => {
    expectGradients('b', { dx: t([1, 2]) }, { forward: 'f', forwardOk: true, reference: () => ref, ownNumerical: () => own });
    const f = failureOf(() => expectGradients('b', own, { forward: 'f', forwardOk: true, reference: () => ref, ownNumerical: () => own, diagnose: () => 'why' }));
    expect(f.message).toContain('diagnosis: why');
  });

  test('forward wrong: the gradient of the student own forward passes, and so does the reference', () => {
    expectGradients('b', own, { forward: 'f', forwardOk: false, reference: () => ref, ownNumerical: () => own });
    expectGradients('b', { dx: t([1, 2]) }, { forward: 'f', forwardOk: false, reference: () => ref, ownNumerical: () => own });
  });

  test('forward wrong: the backward run on the reference cache passes when it gives the reference', () => {
    const onReferenceCache = vi.fn(() => ({ dx: t([1, 2]) }));
    expectGradients('b', { dx: t([9, 9]) }, { forward: 'f', forwardOk: false, reference: () => ref, ownNumerical: () => own, onReferenceCache });
    expect(onReferenceCache).toHaveBeenCalledOnce();
  });

  test('forward wrong and the gradient matches neither: the failure says it was checked against YOUR forward', () => {
    const f = failureOf(() =>
      expectGradients('b', { dx: t([9, 9]) }, {
        forward: 'f',
        forwardOk: false,
        reference: () => ref,
        ownNumerical: () => own,
        onReferenceCache: () => {
          throw new TypeError('cannot read the reference cache');
        },
      }),
    );
    expect(f.message).toContain('checked against numerical gradients of YOUR f');
    expect(f.message).toContain('dx [2] wrong at [0]: got 9, expected 3');
  });

  test('a TODO in the backward is never swallowed', () => {
    expect(() =>
      expectGradients('b', { dx: t([9, 9]) }, {
        forward: 'f',
        forwardOk: false,
        reference: () => ref,
        ownNumerical: () => own,
        onReferenceCache: () => {
          throw new NotImplementedError('b: TODO');
        },
      }),
    ).toThrow(NotImplementedError);
  });
});

describe('forAll', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  test('a TODO is rethrown at once, unshrunk: one call', () => {
    let calls = 0;
    expect(() =>
      forAll(fc.integer(), { seed: 1, runs: 50 }, () => {
        calls++;
        throw new NotImplementedError('f: TODO');
      }),
    ).toThrow(NotImplementedError);
    expect(calls).toBe(1);
  });

  test('a failure: one CheckFailure (no cause) with the shrunk case and a replay command', () => {
    const f = failureOf(() =>
      forAll(fc.integer({ min: 0, max: 1000 }), { seed: 7, runs: 100, name: (n) => `n=${n}` }, (n) => {
        expectNumber('double', 2 * n + (n >= 10 ? 1 : 0), 2 * n);
      }),
    );
    expect(f.cause).toBeUndefined();
    expect(f.message).toContain('case: n=10 (the smallest failing case found; seed 7)');
    expect(f.message).toMatch(/replay: DLKATA_SEED=7 DLKATA_PATH=[\d:]+ pnpm test packages\/exercise-support\/src -t /);
    expect(f.stack ?? '').not.toContain('fast-check');
  });

  test('DLKATA_SEED and DLKATA_PATH from the printed command replay exactly the failing case first', () => {
    const property = (seen: number[]) => (n: number) => {
      seen.push(n);
      expectNumber('double', 2 * n + (n >= 10 ? 1 : 0), 2 * n);
    };
    const f = failureOf(() => forAll(fc.integer({ min: 0, max: 1000 }), { seed: 7, runs: 100 }, property([])));
    const [, seed, casePath] = /DLKATA_SEED=(\d+) DLKATA_PATH=([\d:]+)/.exec(f.message)!;
    vi.stubEnv('DLKATA_SEED', seed);
    vi.stubEnv('DLKATA_PATH', casePath);
    const seen: number[] = [];
    failureOf(() => forAll(fc.integer({ min: 0, max: 1000 }), { seed: 123, runs: 100 }, property(seen)));
    expect(seen[0]).toBe(10);
  });

  test('a crash in the code under test keeps its name and message', () => {
    const f = failureOf(() =>
      forAll(fc.constant(0), { seed: 1, runs: 1 }, () => {
        throw new TypeError("Cannot read properties of undefined (reading 'shape')");
      }),
    );
    expect(f.message.split('\n')[0]).toBe("TypeError: Cannot read properties of undefined (reading 'shape')");
  });
});

describe('replay command and helpers', () => {
  test('the -t pattern selects this test alone (a unique plain prefix of its name)', () => {
    const cmd = replayCommand(5, '1:2');
    expect(cmd).toBe("DLKATA_SEED=5 DLKATA_PATH=1:2 pnpm test packages/exercise-support/src -t 'the -t pattern selects this test alone'");
  });

  test('shellQuote leaves safe words bare and quotes the rest, single quotes included', () => {
    expect(shellQuote('exercises/02-convolution')).toBe('exercises/02-convolution');
    expect(shellQuote("it's (x)")).toBe(`'it'\\''s (x)'`);
  });

  test('thrownBy returns the error, rethrows a TODO; succeeds tells pass from CheckFailure and rethrows others', () => {
    expect(thrownBy(() => JSON.parse('{'))).toBeInstanceOf(SyntaxError);
    expect(thrownBy(() => 1)).toBeUndefined();
    expect(() => thrownBy(() => {
      throw new NotImplementedError('f: TODO');
    })).toThrow(NotImplementedError);
    expect(succeeds(() => expectNumber('x', 1, 2))).toBe(false);
    expect(() => succeeds(() => {
      throw new RangeError('boom');
    })).toThrow(RangeError);
  });
});
