import { expectTensor, forAll, thrownBy } from '@dlkata/exercise-support';
import { relativeError as referenceRelativeError, Rng, ShapeError, Tensor } from '@dlkata/tensor';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { numericalGradient, relativeError } from './gradient-check.js';

/** Seed of the property-based tests; a failure prints it with the counterexample, so it replays exactly. */
const SEED = 20_240_101;

const square = (t: Tensor): Tensor => t.map((v) => v * v);

describe('numericalGradient', () => {
  test('f(x) = x^2 elementwise, x [2,3]: dx has the shape of x', () => {
    const dx = numericalGradient(square, Tensor.from([[1, 2, 3], [4, 5, 6]]), Tensor.ones([2, 3]));
    expect(dx.shape, 'numericalGradient: shape of dx').toEqual([2, 3]);
  });

  test('f(x) = x^2 elementwise, dout = 1: dx = 2x', () => {
    const x = Tensor.from([-1.5, 0, 2, 3]);
    const dx = numericalGradient(square, x, Tensor.ones([4]));
    expectTensor('numericalGradient: dx', dx, Tensor.from([-3, 0, 4, 6]));
  });

  test('f(x) = sin(x), x [2,2], dout given: dx = cos(x) * dout', () => {
    const x = Tensor.from([[0.3, -1.2], [2.5, 0]]);
    const dout = Tensor.from([[1, -2], [0.5, 3]]);
    const dx = numericalGradient((t) => t.map(Math.sin), x, dout);
    expectTensor('numericalGradient: dx', dx, x.map((v, i) => Math.cos(v) * dout.data[i]));
  });

  test('f(x) = A x, x [3] -> out [2] (shapes differ): dx = A^T dout', () => {
    const A = Tensor.from([[1, 2, 3], [4, 5, 6]]);
    const matVec = (t: Tensor): Tensor =>
      Tensor.fromArray([0, 1].map((r) => A.get(r, 0) * t.data[0] + A.get(r, 1) * t.data[1] + A.get(r, 2) * t.data[2]));
    const dout = Tensor.from([1, -1]);
    const dx = numericalGradient(matVec, Tensor.from([0.5, -2, 7]), dout);
    expectTensor('numericalGradient: dx', dx, Tensor.from([1 - 4, 2 - 5, 3 - 6]));
  });

  test('f(x) = x^3 with h = 0.1: centered differences give 3x^2 + h^2 (uses h, both sides)', () => {
    // (f(x+h) - f(x-h)) / 2h = 3x^2 + h^2 exactly for a cubic; a one-sided difference gives 3x^2 + 3xh + h^2.
    const x = Tensor.from([1, 2, -3]);
    const dx = numericalGradient((t) => t.map((v) => v * v * v), x, Tensor.ones([3]), 0.1);
    expectTensor('numericalGradient: dx (h = 0.1)', dx, Tensor.from([3.01, 12.01, 27.01]), { tol: 1e-9, atol: 1e-12 });
  });

  test('x [5] is restored bit for bit after the call', () => {
    const values = [0.1, 1 / 3, -2.7e-3, 12345.678, Math.PI];
    const x = Tensor.from(values);
    numericalGradient(square, x, Tensor.ones([5]));
    expect(Array.from(x.data), 'numericalGradient must restore every element of x exactly').toEqual(values);
  });

  test('x is restored when f throws', () => {
    const x = Tensor.from([0.1, 0.2, 0.3]);
    let calls = 0;
    const failing = (t: Tensor): Tensor => {
      if (++calls === 4) throw new Error('f failed on its 4th call');
      return square(t);
    };
    const err = thrownBy(() => numericalGradient(failing, x, Tensor.ones([3])));
    expect((err as Error | undefined)?.message, 'the error of f should reach the caller').toBe('f failed on its 4th call');
    expect(Array.from(x.data), 'numericalGradient must restore x even if f throws').toEqual([0.1, 0.2, 0.3]);
  });

  test('f returns a view of x (reshape [2,2] -> [4]): dx = dout reshaped', () => {
    // reshape shares data with x: f(x + h e_i) changes when x is perturbed again, unless it is copied first.
    const x = Tensor.from([[1, 2], [3, 4]]);
    const dout = Tensor.from([1, 2, 3, 4]);
    const dx = numericalGradient((t) => t.reshape([4]), x, dout);
    expectTensor('numericalGradient: dx', dx, Tensor.from([[1, 2], [3, 4]]));
  });

  test('f(x) [2,3] but dout [3,2]: throws ShapeError naming both shapes', () => {
    const err = thrownBy(() => numericalGradient(square, Tensor.ones([2, 3]), Tensor.ones([3, 2])));
    expect(err, 'numericalGradient should throw a ShapeError when f(x) and dout differ in shape').toBeInstanceOf(ShapeError);
    expect((err as Error).message).toMatch(/\[2,3\]/);
    expect((err as Error).message).toMatch(/\[3,2\]/);
  });

  test(`f(x)[j] = sum_i M[j,i] x_i^2 over random shapes: dx_i = 2 x_i sum_j M[j,i] dout_j (seed ${SEED})`, () => {
    const config = fc.record({
      xShape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
      m: fc.integer({ min: 1, max: 4 }),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    });
    forAll(config, { seed: SEED, runs: 30 }, ({ xShape, m, seed }) => {
      const rng = new Rng(seed);
      const x = rng.randn(xShape);
      const n = x.size;
      const M = rng.randn([m, n]);
      const dout = rng.randn([m]);
      const f = (t: Tensor): Tensor => {
        const y = Tensor.zeros([m]);
        for (let j = 0; j < m; j++) for (let i = 0; i < n; i++) y.data[j] += M.data[j * n + i] * t.data[i] * t.data[i];
        return y;
      };
      const expected = x.map((v, i) => {
        let s = 0;
        for (let j = 0; j < m; j++) s += M.data[j * n + i] * dout.data[j];
        return 2 * v * s;
      });
      expectTensor(`numericalGradient: dx (x [${xShape.join(',')}], f(x) [${m}])`, numericalGradient(f, x, dout), expected);
    });
  });
});

describe('relativeError', () => {
  test('a = b = 0 [4]: 0, not NaN', () => {
    expect(relativeError(Tensor.zeros([4]), Tensor.zeros([4])), 'relativeError of two zero tensors').toBe(0);
  });

  test('a = [1,2], b = [1,3]: |2-3| / (2+3) = 0.2', () => {
    expect(relativeError(Tensor.from([1, 2]), Tensor.from([1, 3]))).toBeCloseTo(0.2, 15);
  });

  test('a [2,3] vs b [2,3]: the largest error over all elements, not the first or the mean', () => {
    const a = Tensor.from([[1, 10, 100], [5, 5, 5]]);
    const b = Tensor.from([[1.05, 11, 100], [5, 5, 5]]);
    expect(relativeError(a, b)).toBeCloseTo(1 / 21, 15);
  });

  test('tiny values: the 1e-8 floor, |0 - 1e-9| / 1e-8 = 0.1', () => {
    expect(relativeError(Tensor.from([0]), Tensor.from([1e-9]))).toBeCloseTo(0.1, 12);
  });

  test('opposite signs a = [1e-3], b = [-1e-3]: 1, the largest possible', () => {
    expect(relativeError(Tensor.from([1e-3]), Tensor.from([-1e-3]))).toBe(1);
  });

  test('NaN in a: 1 (reported, never NaN); equal infinities: 0', () => {
    expect(relativeError(Tensor.from([1, NaN]), Tensor.from([1, 2])), 'relativeError with a NaN').toBe(1);
    expect(relativeError(Tensor.from([Infinity, 2]), Tensor.from([Infinity, 2])), 'relativeError of equal infinities').toBe(0);
  });

  test('a [2,3] vs b [3,2]: throws ShapeError', () => {
    const err = thrownBy(() => relativeError(Tensor.ones([2, 3]), Tensor.ones([3, 2])));
    expect(err, 'relativeError should throw a ShapeError for different shapes').toBeInstanceOf(ShapeError);
  });

  test(`random a, b: symmetric, in [0, 1], equal to the library's relativeError (seed ${SEED})`, () => {
    const pair = fc.integer({ min: 1, max: 12 }).chain((n) => {
      const values = fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: n, maxLength: n });
      return fc.tuple(values, values);
    });
    forAll(pair, { seed: SEED, runs: 100 }, ([av, bv]) => {
      const a = Tensor.fromArray(av);
      const b = Tensor.fromArray(bv);
      const e = relativeError(a, b);
      expect(e, `relativeError(a, b) for a = [${av}], b = [${bv}]`).toBeCloseTo(referenceRelativeError(a, b).error, 14);
      expect(relativeError(b, a), 'relativeError must be symmetric').toBe(e);
      expect(e).toBeGreaterThanOrEqual(0);
      expect(e).toBeLessThanOrEqual(1);
    });
  });
});
