import { diagnosePoolBackward, expectGradients, expectTensor, forAll, succeeds } from '@dlkata/exercise-support';
import { numericalGradient, Rng, Tensor } from '@dlkata/tensor';
import { maxPool2dBackward as referenceMaxPool2dBackward, maxPool2dForward as referenceMaxPool2dForward } from '@dlkata/layers';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { maxPool2dBackward, maxPool2dForward } from './pool.js';

/** Seed of the property-based tests; a failure prints it with the counterexample, so it replays exactly. */
const SEED = 20_240_103;

/** `n` evenly spaced numbers from `lo` to `hi` (NumPy's `linspace`), reshaped. */
function linspace(lo: number, hi: number, shape: number[]): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  return Tensor.fromArray(Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1)), shape);
}

/** A random pooling case: shapes, window, stride and a seed for the values. */
interface PoolCase {
  N: number;
  C: number;
  H: number;
  W: number;
  kernel: number;
  stride: number;
  seed: number;
}
const poolCases = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 7 }),
    W: fc.integer({ min: 1, max: 7 }),
    kernel: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .filter((c) => c.kernel <= c.H && c.kernel <= c.W);

function name(c: PoolCase): string {
  return `x=[${c.N},${c.C},${c.H},${c.W}] k=${c.kernel} s=${c.stride} seed=${c.seed}`;
}

/** Distinct values spaced at least 0.01 apart (a random permutation), so that a step of 1e-5 never changes a window's winner. */
function distinct(rng: Rng, shape: readonly number[]): Tensor {
  const t = Tensor.zeros(shape);
  const p = rng.permutation(t.size);
  for (let i = 0; i < t.size; i++) t.data[i] = (p[i] - t.size / 2) * 0.01;
  return t;
}

/**
 * Checks maxPool2dBackward's dx (one mistake costs once: where the student's maxPool2dForward is
 * wrong, the reference gradient or the gradient of their own forward both pass).
 */
function expectPoolGradient(dx: Tensor, x: Tensor, params: { kernel: number; stride: number }, dout: Tensor, prefer: 'reference' | 'numerical'): void {
  const reference = referenceMaxPool2dForward(x, params);
  expectGradients('maxPool2dBackward', { dx }, {
    forward: 'maxPool2dForward',
    forwardOk: succeeds(() => expectTensor('maxPool2dForward: out', maxPool2dForward(x, params).out, reference.out)),
    prefer,
    reference: () => ({ dx: referenceMaxPool2dBackward(dout, reference.cache).dx }),
    ownNumerical: () => ({ dx: numericalGradient((t) => maxPool2dForward(t, params).out, x, dout) }),
    diagnose: () => diagnosePoolBackward(x, params, dout, dx),
  });
}

describe('maxPool2dForward', () => {
  test("x=[2,3,8,8] k=2 s=2: out [2,3,4,4] (VGG's pooling halves H and W, keeps C)", () => {
    const { out } = maxPool2dForward(new Rng(1).randn([2, 3, 8, 8]), { kernel: 2, stride: 2 });
    expect(out.shape, 'maxPool2dForward: shape of out').toEqual([2, 3, 4, 4]);
  });

  test('x=[1,2,5,5] k=3 s=1 (overlapping windows): out [1,2,3,3]', () => {
    const { out } = maxPool2dForward(new Rng(2).randn([1, 2, 5, 5]), { kernel: 3, stride: 1 });
    expect(out.shape, 'maxPool2dForward: shape of out').toEqual([1, 2, 3, 3]);
  });

  test('x=[1,1,7,6] k=2 s=2: out [1,1,3,3] (the last row does not fit a window and is dropped)', () => {
    const { out } = maxPool2dForward(new Rng(3).randn([1, 1, 7, 6]), { kernel: 2, stride: 2 });
    expect(out.shape, 'maxPool2dForward: shape of out').toEqual([1, 1, 3, 3]);
  });

  test('x=[1,1,4,4] = 1..16 k=2 s=2: [[6,8],[14,16]]', () => {
    const x = Tensor.from([[[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]]]);
    const { out } = maxPool2dForward(x, { kernel: 2, stride: 2 });
    expectTensor('maxPool2dForward: out', out, Tensor.from([[[[6, 8], [14, 16]]]]));
  });

  test('x=[1,1,2,2] all negative k=2 s=2: the maximum is -1, not 0', () => {
    const { out } = maxPool2dForward(Tensor.from([[[[-3, -1], [-4, -2]]]]), { kernel: 2, stride: 2 });
    expectTensor('maxPool2dForward: out', out, Tensor.from([[[[-1]]]]));
  });

  test('x=[1,1,3,3] k=2 s=1 (overlapping windows with ties): [[3,3],[3,3]]', () => {
    const x = Tensor.from([[[[1, 3, 3], [0, 3, 1], [2, 0, 1]]]]);
    const { out } = maxPool2dForward(x, { kernel: 2, stride: 1 });
    expectTensor('maxPool2dForward: out', out, Tensor.from([[[[3, 3], [3, 3]]]]));
  });

  test("x=[2,3,4,4] k=2 s=2, linspace inputs: CS231n's published output", () => {
    // CS231n assignment 2, "Max-Pooling: Naive forward" (values printed to 8 decimals).
    const { out } = maxPool2dForward(linspace(-0.3, 0.4, [2, 3, 4, 4]), { kernel: 2, stride: 2 });
    const published = Tensor.from([
      [
        [[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]],
        [[-0.14526316, -0.13052632], [-0.08631579, -0.07157895]],
        [[-0.02736842, -0.01263158], [0.03157895, 0.04631579]],
      ],
      [
        [[0.09052632, 0.10526316], [0.14947368, 0.16421053]],
        [[0.20842105, 0.22315789], [0.26736842, 0.28210526]],
        [[0.32631579, 0.34105263], [0.38526316, 0.4]],
      ],
    ]);
    expectTensor('maxPool2dForward: out', out, published, { tol: 1e-6, atol: 1e-8 });
  });

  test(`random shapes, windows, strides: out matches the reference (seed ${SEED})`, () => {
    forAll(poolCases, { seed: SEED, runs: 60, name }, (c) => {
      const x = new Rng(c.seed).randn([c.N, c.C, c.H, c.W]);
      const params = { kernel: c.kernel, stride: c.stride };
      expectTensor('maxPool2dForward: out', maxPool2dForward(x, params).out, referenceMaxPool2dForward(x, params).out);
    });
  });
});

describe('maxPool2dBackward', () => {
  test('x=[2,3,6,6] k=3 s=2: dx [2,3,6,6]', () => {
    const rng = new Rng(4);
    const { out, cache } = maxPool2dForward(rng.randn([2, 3, 6, 6]), { kernel: 3, stride: 2 });
    const { dx } = maxPool2dBackward(rng.randn(out.shape), cache);
    expect(dx.shape, 'maxPool2dBackward: shape of dx').toEqual([2, 3, 6, 6]);
  });

  test('x=[1,1,4,4] k=2 s=2 (no overlap): each dout goes to its window\'s maximum, 0 elsewhere', () => {
    const x = Tensor.from([[[[1, 5, 2, 0], [3, 4, 8, 1], [9, 0, 6, 6.5], [2, 1, 7, 3]]]]);
    const { cache } = maxPool2dForward(x, { kernel: 2, stride: 2 });
    const { dx } = maxPool2dBackward(Tensor.from([[[[10, 20], [30, 40]]]]), cache);
    const expected = Tensor.from([[[[0, 10, 0, 0], [0, 0, 20, 0], [30, 0, 0, 0], [0, 0, 40, 0]]]]);
    expectTensor('maxPool2dBackward: dx', dx, expected);
  });

  test('x=[1,1,3,3] k=2 s=1 (overlapping windows with ties): first maximum wins, gradients add', () => {
    // Windows at (0,0) and (0,1) both pick x[0,1], the first of their tied 3s; (1,0) and (1,1) pick x[1,1].
    const x = Tensor.from([[[[1, 3, 3], [0, 3, 1], [2, 0, 1]]]]);
    const { cache } = maxPool2dForward(x, { kernel: 2, stride: 1 });
    const dout = Tensor.from([[[[1, 2], [3, 4]]]]);
    const { dx } = maxPool2dBackward(dout, cache);
    expectTensor('maxPool2dBackward: dx', dx, Tensor.from([[[[0, 1 + 2, 0], [0, 3 + 4, 0], [0, 0, 0]]]]), undefined, {
      diagnose: () => diagnosePoolBackward(x, { kernel: 2, stride: 1 }, dout, dx),
    });
  });

  test('x=[1,1,2,2] all equal k=2 s=2: the whole gradient goes to the first element', () => {
    const { cache } = maxPool2dForward(Tensor.full([1, 1, 2, 2], 7), { kernel: 2, stride: 2 });
    const { dx } = maxPool2dBackward(Tensor.from([[[[5]]]]), cache);
    expectTensor('maxPool2dBackward: dx', dx, Tensor.from([[[[5, 0], [0, 0]]]]));
  });

  test(`random shapes (distinct values): dx matches the numerical gradient of your maxPool2dForward (seed ${SEED})`, () => {
    forAll(poolCases, { seed: SEED, runs: 30, name }, (c) => {
      const rng = new Rng(c.seed);
      const x = distinct(rng, [c.N, c.C, c.H, c.W]);
      const params = { kernel: c.kernel, stride: c.stride };
      const { out, cache } = maxPool2dForward(x, params);
      const dout = rng.randn(out.shape);
      const { dx } = maxPool2dBackward(dout, cache);
      expectPoolGradient(dx, x, params, dout, 'numerical');
    });
  });

  test(`random shapes with many ties (values in {0, 1, 2}): dx matches the reference (seed ${SEED})`, () => {
    forAll(poolCases, { seed: SEED, runs: 60, name }, (c) => {
      const rng = new Rng(c.seed);
      const x = rng.rand([c.N, c.C, c.H, c.W]).map((v) => Math.floor(3 * v));
      const params = { kernel: c.kernel, stride: c.stride };
      const { out, cache } = maxPool2dForward(x, params);
      const dout = rng.randn(out.shape);
      const { dx } = maxPool2dBackward(dout, cache);
      expectPoolGradient(dx, x, params, dout, 'reference');
    });
  });
});
