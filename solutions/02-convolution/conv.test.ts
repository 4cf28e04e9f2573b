import { diagnoseConvBackward, diagnoseConvForward, expectGradients, expectTensor, forAll, thrownBy, VALUE_TOL } from '@dlkata/exercise-support';
import { conv2dBackward as referenceConv2dBackward, conv2dForward as referenceConv2dForward } from '@dlkata/layers';
import { compareTensors, convOutputSize as referenceConvOutputSize, numericalGradient, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { conv1x1, conv2dBackward, conv2dForward, convOutputSize } from './conv.js';

/** Seed of the property-based tests; a failure prints it with the counterexample, so it replays exactly. */
const SEED = 20_240_102;

/** The lecture's 5x5 image for the 1x1 convolution example, as `[1, 1, 5, 5]`. */
const LECTURE_IMAGE = [
  [-5, 3, 2, -5, 3],
  [4, 3, 2, 1, -3],
  [1, 0, 3, 3, 5],
  [-2, 0, 1, 4, 4],
  [5, 6, 7, 9, -1],
];

/** `n` evenly spaced numbers from `lo` to `hi` (NumPy's `linspace`), reshaped. */
function linspace(lo: number, hi: number, shape: number[]): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  return Tensor.fromArray(Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1)), shape);
}

/** A random convolution small enough for element-by-element numerical gradients. */
interface ConvCase {
  N: number;
  C: number;
  H: number;
  W: number;
  F: number;
  HH: number;
  WW: number;
  stride: number;
  pad: number;
  seed: number;
}
const convCases = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 6 }),
    W: fc.integer({ min: 1, max: 6 }),
    F: fc.integer({ min: 1, max: 3 }),
    HH: fc.integer({ min: 1, max: 3 }),
    WW: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 3 }),
    pad: fc.integer({ min: 0, max: 2 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .filter((c) => c.HH <= c.H + 2 * c.pad && c.WW <= c.W + 2 * c.pad);

function name(c: ConvCase): string {
  return `x=[${c.N},${c.C},${c.H},${c.W}] w=[${c.F},${c.C},${c.HH},${c.WW}] s=${c.stride} p=${c.pad} seed=${c.seed}`;
}

function inputs(c: ConvCase): { x: Tensor; w: Tensor; b: Tensor; dout: (shape: readonly number[]) => Tensor } {
  const rng = new Rng(c.seed);
  const x = rng.randn([c.N, c.C, c.H, c.W]);
  const w = rng.randn([c.F, c.C, c.HH, c.WW]);
  const b = rng.randn([c.F]);
  return { x, w, b, dout: (shape) => rng.randn(shape) };
}

/**
 * Checks conv2dBackward's gradients: against `expected` (default: the reference's) when the
 * student's conv2dForward is right for this case; where it is wrong, the reference or the
 * gradient of the student's own forward both pass (one mistake costs once).
 */
function expectConvGradients(
  got: { dx: Tensor; dw: Tensor; db: Tensor },
  c: { x: Tensor; w: Tensor; b: Tensor; params: { stride: number; pad: number }; dout: Tensor; expected?: () => Record<string, Tensor>; prefer?: 'reference' | 'numerical' },
): void {
  const { x, w, b, params, dout } = c;
  const reference = referenceConv2dForward(x, w, b, params);
  const expected =
    c.expected ??
    ((): Record<string, Tensor> => {
      const r = referenceConv2dBackward(dout, reference.cache);
      return { dx: r.dx, dw: r.dw, db: r.db };
    });
  const forward = (xx: Tensor, ww: Tensor, bb: Tensor): Tensor => conv2dForward(xx, ww, bb, params).out;
  const inputsOf: Record<string, () => Tensor> = {
    dx: () => numericalGradient((t) => forward(t, w, b), x, dout),
    dw: () => numericalGradient((t) => forward(x, t, b), w, dout),
    db: () => numericalGradient((t) => forward(x, w, t), b, dout),
  };
  expectGradients('conv2dBackward', got, {
    forward: 'conv2dForward',
    forwardOk: compareTensors('', conv2dForward(x, w, b, params).out, reference.out, VALUE_TOL).ok,
    prefer: c.prefer,
    reference: expected,
    ownNumerical: () => Object.fromEntries(Object.keys(expected()).map((k) => [k, inputsOf[k]()])),
    diagnose: () => (['dw', 'db'] as const).map((k) => diagnoseConvBackward(k, x, w, b, params, dout, got[k])).filter(Boolean).join(' ') || undefined,
  });
}

describe('convOutputSize', () => {
  test.each([
    [32, 5, 1, 0, 28, "LeNet's first convolution"],
    [32, 3, 1, 1, 32, "'same' 3x3 (VGG)"],
    [28, 5, 1, 2, 28, "'same' 5x5 (inception branch)"],
    [5, 1, 1, 0, 5, '1x1 keeps the size (the lecture)'],
    [7, 3, 2, 0, 3, 'stride 2'],
    [8, 3, 2, 0, 3, 'stride 2, rounds down'],
    [4, 4, 1, 1, 3, 'padding larger than needed'],
  ])('size=%i k=%i s=%i p=%i -> %i: %s', (size, kernel, stride, pad, expected) => {
    expect(convOutputSize(size, kernel, stride, pad), `convOutputSize(${size}, ${kernel}, ${stride}, ${pad})`).toBe(expected);
  });

  test('size=3 k=5 p=0: throws ShapeError (the kernel does not fit); p=1: fits, 1', () => {
    const err = thrownBy(() => convOutputSize(3, 5, 1, 0));
    expect(err, 'convOutputSize(3, 5, 1, 0) should throw a ShapeError').toBeInstanceOf(ShapeError);
    expect(convOutputSize(3, 5, 1, 1), 'convOutputSize(3, 5, 1, 1)').toBe(1);
  });

  test.each([
    [8, 3, 0, 0, 'stride 0'],
    [8, 3, 1, -1, 'negative padding'],
    [8, 3, 1.5, 0, 'fractional stride'],
    [8, 0, 1, 0, 'kernel 0'],
  ])('size=%d k=%d s=%d p=%d: throws ValueError, %s', (size, kernel, stride, pad) => {
    const err = thrownBy(() => convOutputSize(size, kernel, stride, pad));
    expect(err, `convOutputSize(${size}, ${kernel}, ${stride}, ${pad}) should throw a ValueError`).toBeInstanceOf(ValueError);
  });

  test(`random sizes: equals PyTorch's formula (seed ${SEED})`, () => {
    const args = fc
      .tuple(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 5 }))
      .filter(([size, kernel, , pad]) => kernel <= size + 2 * pad);
    forAll(args, { seed: SEED, runs: 200 }, ([size, kernel, stride, pad]) => {
      expect(convOutputSize(size, kernel, stride, pad), `convOutputSize(${size}, ${kernel}, ${stride}, ${pad})`).toBe(
        referenceConvOutputSize(size, kernel, stride, pad),
      );
    });
  });
});

describe('conv2dForward', () => {
  test("x=[2,3,8,8] w=[4,3,3,3] s=1 p=1 ('same'): out [2,4,8,8]", () => {
    const rng = new Rng(1);
    const { out } = conv2dForward(rng.randn([2, 3, 8, 8]), rng.randn([4, 3, 3, 3]), Tensor.zeros([4]), { stride: 1, pad: 1 });
    expect(out.shape, 'conv2dForward: shape of out').toEqual([2, 4, 8, 8]);
  });

  test('x=[2,3,8,8] w=[4,3,3,3] s=2 p=0: out [2,4,3,3]', () => {
    const rng = new Rng(2);
    const { out } = conv2dForward(rng.randn([2, 3, 8, 8]), rng.randn([4, 3, 3, 3]), Tensor.zeros([4]), { stride: 2, pad: 0 });
    expect(out.shape, 'conv2dForward: shape of out').toEqual([2, 4, 3, 3]);
  });

  test("x=[1,3,32,32] w=[6,3,5,5] s=1 p=0: out [1,6,28,28] (LeNet's first layer)", () => {
    const rng = new Rng(3);
    const { out } = conv2dForward(rng.randn([1, 3, 32, 32]), rng.randn([6, 3, 5, 5]), Tensor.zeros([6]), { stride: 1, pad: 0 });
    expect(out.shape, 'conv2dForward: shape of out').toEqual([1, 6, 28, 28]);
  });

  test("x=[1,1,5,5] (the lecture's image) w=[1,1,1,1] = 2 s=1 p=0: every value doubled", () => {
    const { out } = conv2dForward(Tensor.from([[LECTURE_IMAGE]]), Tensor.from([[[[2]]]]), Tensor.zeros([1]), { stride: 1, pad: 0 });
    expectTensor('conv2dForward: out', out, Tensor.from([[LECTURE_IMAGE.map((row) => row.map((v) => 2 * v))]]));
    expect(Array.from(out.data.subarray(0, 5)), 'first row, as on the slide').toEqual([-10, 6, 4, -10, 6]);
    expect(Array.from(out.data.subarray(20, 25)), 'last row, as on the slide').toEqual([10, 12, 14, 18, -2]);
  });

  test('x=[1,1,3,3] = 1..9, w=[1,1,2,2] ones, b=[1] s=1 p=0: [[13,17],[25,29]]', () => {
    const x = Tensor.from([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
    const [w, b, params] = [Tensor.ones([1, 1, 2, 2]), Tensor.from([1]), { stride: 1, pad: 0 }];
    const { out } = conv2dForward(x, w, b, params);
    expectTensor('conv2dForward: out', out, Tensor.from([[[[13, 17], [25, 29]]]]), undefined, { diagnose: () => diagnoseConvForward(x, w, b, params, out) });
  });

  test('x=[1,1,3,3] = 1..9, w=[1,1,2,2] ones, b=[0] s=2 p=1: [[1,5],[11,28]] (padding is zeros)', () => {
    const x = Tensor.from([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
    const [w, b, params] = [Tensor.ones([1, 1, 2, 2]), Tensor.zeros([1]), { stride: 2, pad: 1 }];
    const { out } = conv2dForward(x, w, b, params);
    expectTensor('conv2dForward: out', out, Tensor.from([[[[1, 5], [11, 28]]]]), undefined, { diagnose: () => diagnoseConvForward(x, w, b, params, out) });
  });

  test("x=[2,3,4,4] w=[3,3,4,4] s=2 p=1, linspace inputs: CS231n's published output", () => {
    // CS231n assignment 2, "Convolution: Naive forward pass" (values printed to 8 decimals).
    const x = linspace(-0.1, 0.5, [2, 3, 4, 4]);
    const w = linspace(-0.2, 0.3, [3, 3, 4, 4]);
    const b = linspace(-0.1, 0.2, [3]);
    const params = { stride: 2, pad: 1 };
    const { out } = conv2dForward(x, w, b, params);
    const published = Tensor.from([
      [
        [[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]],
        [[0.21027089, 0.21661097], [0.22847626, 0.23004637]],
        [[0.50813986, 0.54309974], [0.64082444, 0.67101435]],
      ],
      [
        [[-0.98053589, -1.03143541], [-1.19128892, -1.24695841]],
        [[0.69108355, 0.66880383], [0.59480972, 0.56776003]],
        [[2.36270298, 2.36904306], [2.38090835, 2.38247847]],
      ],
    ]);
    expectTensor('conv2dForward: out', out, published, { tol: 1e-6, atol: 1e-8 }, { diagnose: () => diagnoseConvForward(x, w, b, params, out) });
  });

  test(`random shapes, strides, paddings: out matches the reference (seed ${SEED})`, () => {
    forAll(convCases, { seed: SEED, runs: 40, name }, (c) => {
      const { x, w, b } = inputs(c);
      const params = { stride: c.stride, pad: c.pad };
      const { out } = conv2dForward(x, w, b, params);
      expectTensor('conv2dForward: out', out, referenceConv2dForward(x, w, b, params).out, undefined, { diagnose: () => diagnoseConvForward(x, w, b, params, out) });
    });
  });
});

describe('conv2dBackward', () => {
  test('x=[2,3,5,5] w=[4,3,3,3] s=2 p=1: dx [2,3,5,5], dw [4,3,3,3], db [4]', () => {
    const rng = new Rng(4);
    const { out, cache } = conv2dForward(rng.randn([2, 3, 5, 5]), rng.randn([4, 3, 3, 3]), rng.randn([4]), { stride: 2, pad: 1 });
    const { dx, dw, db } = conv2dBackward(rng.randn(out.shape), cache);
    expect(dx.shape, 'conv2dBackward: shape of dx').toEqual([2, 3, 5, 5]);
    expect(dw.shape, 'conv2dBackward: shape of dw').toEqual([4, 3, 3, 3]);
    expect(db.shape, 'conv2dBackward: shape of db').toEqual([4]);
  });

  test('x=[2,1,4,4] w=[3,1,2,2] s=2 p=0, dout = 1: db = N * H\' * W\' = 8 per filter', () => {
    const rng = new Rng(5);
    const [x, w, b, params] = [rng.randn([2, 1, 4, 4]), rng.randn([3, 1, 2, 2]), rng.randn([3]), { stride: 2, pad: 0 }];
    const { out, cache } = conv2dForward(x, w, b, params);
    const dout = Tensor.ones(out.shape);
    expectConvGradients(conv2dBackward(dout, cache), { x, w, b, params, dout, expected: () => ({ db: Tensor.from([8, 8, 8]) }) });
  });

  test("x=[1,1,5,5] (the lecture's image) w=[1,1,1,1] = 2: dx = 2 dout, dw = sum(x * dout)", () => {
    const x = Tensor.from([[LECTURE_IMAGE]]);
    const { cache } = conv2dForward(x, Tensor.from([[[[2]]]]), Tensor.zeros([1]), { stride: 1, pad: 0 });
    const dout = new Rng(6).randn([1, 1, 5, 5]);
    let s = 0;
    for (let i = 0; i < 25; i++) s += x.data[i] * dout.data[i];
    const expected = { dx: dout.map((v) => 2 * v), dw: Tensor.from([[[[s]]]]) };
    expectConvGradients(conv2dBackward(dout, cache), { x, w: Tensor.from([[[[2]]]]), b: Tensor.zeros([1]), params: { stride: 1, pad: 0 }, dout, expected: () => expected });
  });

  test(`random shapes: dx, dw, db match numerical gradients of your conv2dForward (seed ${SEED})`, () => {
    forAll(convCases, { seed: SEED, runs: 12, name }, (c) => {
      const { x, w, b, dout: randomDout } = inputs(c);
      const params = { stride: c.stride, pad: c.pad };
      const { out, cache } = conv2dForward(x, w, b, params);
      const dout = randomDout(out.shape);
      expectConvGradients(conv2dBackward(dout, cache), { x, w, b, params, dout, prefer: 'numerical' });
    });
  });

  test(`random shapes: dx, dw, db match the reference (your conv2dForward's gradient where your forward is wrong) (seed ${SEED})`, () => {
    forAll(convCases, { seed: SEED, runs: 40, name }, (c) => {
      const { x, w, b, dout: randomDout } = inputs(c);
      const params = { stride: c.stride, pad: c.pad };
      const { out, cache } = conv2dForward(x, w, b, params);
      const dout = randomDout(out.shape);
      expectConvGradients(conv2dBackward(dout, cache), { x, w, b, params, dout });
    });
  });
});

describe('conv1x1', () => {
  test("x=[1,200,32,32] w=[32,200]: out [1,32,32,32] (the lecture's 32x32x200 -> 32x32x32)", () => {
    const rng = new Rng(7);
    const out = conv1x1(rng.randn([1, 200, 32, 32]), rng.randn([32, 200], 0.1), Tensor.zeros([32]));
    expect(out.shape, 'conv1x1: shape of out').toEqual([1, 32, 32, 32]);
  });

  test("x=[1,1,5,5] (the lecture's image) w=[[2]] b=[0]: every value doubled", () => {
    const out = conv1x1(Tensor.from([[LECTURE_IMAGE]]), Tensor.from([[2]]), Tensor.zeros([1]));
    expectTensor('conv1x1: out', out, Tensor.from([[LECTURE_IMAGE.map((row) => row.map((v) => 2 * v))]]));
  });

  test('x=[1,2,1,2] w=[3,2] b=[0,0,1]: each pixel is w times its channel vector, plus b', () => {
    // pixel 0 has channels (1, 3), pixel 1 has (2, 4)
    const x = Tensor.from([[[[1, 2]], [[3, 4]]]]);
    const w = Tensor.from([[1, 1], [1, -1], [0, 2]]);
    const out = conv1x1(x, w, Tensor.from([0, 0, 1]));
    expectTensor('conv1x1: out', out, Tensor.from([[[[4, 6]], [[-2, -2]], [[7, 9]]]]));
  });

  test(`x=[2,200,8,8] w=[32,200]: equals the reference conv2dForward with w as [32,200,1,1], s=1 p=0 (seed ${SEED})`, () => {
    const rng = new Rng(SEED);
    const x = rng.randn([2, 200, 8, 8]);
    const w = rng.randn([32, 200], 0.1);
    const b = rng.randn([32]);
    const expected = referenceConv2dForward(x, w.reshape([32, 200, 1, 1]), b, { stride: 1, pad: 0 }).out;
    expectTensor('conv1x1: out', conv1x1(x, w, b), expected);
  });

  test(`random shapes: equals the reference 1x1 convolution (seed ${SEED})`, () => {
    const shapes = fc.record({
      N: fc.integer({ min: 1, max: 3 }),
      C: fc.integer({ min: 1, max: 8 }),
      H: fc.integer({ min: 1, max: 6 }),
      W: fc.integer({ min: 1, max: 6 }),
      F: fc.integer({ min: 1, max: 8 }),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    });
    forAll(shapes, { seed: SEED, runs: 30 }, ({ N, C, H, W, F, seed }) => {
      const rng = new Rng(seed);
      const x = rng.randn([N, C, H, W]);
      const w = rng.randn([F, C]);
      const b = rng.randn([F]);
      const expected = referenceConv2dForward(x, w.reshape([F, C, 1, 1]), b, { stride: 1, pad: 0 }).out;
      expectTensor('conv1x1: out', conv1x1(x, w, b), expected, undefined, { case: `x=[${N},${C},${H},${W}] w=[${F},${C}] seed=${seed}` });
    });
  });
});
