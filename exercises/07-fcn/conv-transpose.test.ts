import { expectTensor, forAll, GRAD_TOL, thrownBy } from '@dlkata/exercise-support';
import { numericalGradient, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import {
  bilinearUpsampling as referenceBilinear,
  conv2dForward as referenceConv2dForward,
  convTranspose2dBackward as referenceBackward,
  convTranspose2dForward as referenceForward,
} from '@dlkata/layers';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { bilinearUpsampling, convTranspose2dBackward, convTranspose2dForward, convTransposeOutputSize } from './conv-transpose.js';

/** Seed of the property-based tests; a failure prints it with the counterexample, so it replays exactly. */
const SEED = 20_240_107;

/** Sum of the elementwise products of two tensors of the same size. */
function dot(a: Tensor, b: Tensor): number {
  let s = 0;
  for (let i = 0; i < a.size; i++) s += a.data[i] * b.data[i];
  return s;
}

/** A random transposed convolution small enough for element-by-element numerical gradients. */
interface Case {
  N: number;
  C: number;
  H: number;
  W: number;
  F: number;
  KH: number;
  KW: number;
  stride: number;
  pad: number;
  outputPadding: number;
  seed: number;
}
const cases = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 4 }),
    W: fc.integer({ min: 1, max: 4 }),
    F: fc.integer({ min: 1, max: 3 }),
    KH: fc.integer({ min: 1, max: 4 }),
    KW: fc.integer({ min: 1, max: 4 }),
    stride: fc.integer({ min: 1, max: 3 }),
    pad: fc.integer({ min: 0, max: 2 }),
    outputPadding: fc.integer({ min: 0, max: 2 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map((c) => ({ ...c, outputPadding: c.outputPadding % c.stride }))
  .filter((c) => (c.H - 1) * c.stride - 2 * c.pad + c.KH + c.outputPadding >= 1 && (c.W - 1) * c.stride - 2 * c.pad + c.KW + c.outputPadding >= 1);

function name(c: Case): string {
  return `x=[${c.N},${c.C},${c.H},${c.W}] w=[${c.C},${c.F},${c.KH},${c.KW}] s=${c.stride} p=${c.pad} op=${c.outputPadding} seed=${c.seed}`;
}

function inputs(c: Case): { x: Tensor; w: Tensor; b: Tensor; params: { stride: number; pad: number; outputPadding: number }; rng: Rng } {
  const rng = new Rng(c.seed);
  return {
    x: rng.randn([c.N, c.C, c.H, c.W]),
    w: rng.randn([c.C, c.F, c.KH, c.KW]),
    b: rng.randn([c.F]),
    params: { stride: c.stride, pad: c.pad, outputPadding: c.outputPadding },
    rng,
  };
}

describe('convTransposeOutputSize', () => {
  test.each([
    [8, 4, 2, 1, 0, 16, "FCN's x2 upsampling: kernel 4, stride 2, pad 1"],
    [2, 2, 2, 0, 0, 4, 'kernel = stride: tiles without overlap'],
    [5, 3, 1, 0, 0, 7, 'stride 1 grows by kernel - 1'],
    [5, 3, 1, 1, 0, 5, "stride 1, pad 1: undoes a 'same' 3x3 conv"],
    [4, 3, 2, 1, 1, 8, 'outputPadding 1 picks the even size'],
    [4, 3, 2, 1, 0, 7, 'outputPadding 0 picks the odd size'],
    [1, 16, 8, 4, 0, 8, 'x8 upsampling of a single pixel'],
  ])('size=%i k=%i s=%i p=%i op=%i -> %i: %s', (size, kernel, stride, pad, outputPadding, expected) => {
    expect(convTransposeOutputSize(size, kernel, stride, pad, outputPadding), `convTransposeOutputSize(${size}, ${kernel}, ${stride}, ${pad}, ${outputPadding})`).toBe(expected);
  });

  test('outputPadding defaults to 0: size=3 k=4 s=2 p=1 -> 6', () => {
    expect(convTransposeOutputSize(3, 4, 2, 1), 'convTransposeOutputSize(3, 4, 2, 1)').toBe(6);
  });

  test(`random sizes: a convolution with the same kernel, stride and padding maps the output back to the input size (seed ${SEED})`, () => {
    const sizes = fc.record({
      size: fc.integer({ min: 1, max: 20 }),
      kernel: fc.integer({ min: 1, max: 6 }),
      stride: fc.integer({ min: 1, max: 4 }),
      pad: fc.integer({ min: 0, max: 3 }),
      op: fc.integer({ min: 0, max: 3 }),
    });
    forAll(sizes, { seed: SEED, runs: 60 }, ({ size, kernel, stride, pad, op }) => {
      const outputPadding = op % stride;
      const out = (size - 1) * stride - 2 * pad + kernel + outputPadding;
      if (out < 1) return;
      const got = convTransposeOutputSize(size, kernel, stride, pad, outputPadding);
      expect(got, `convTransposeOutputSize(${size}, ${kernel}, ${stride}, ${pad}, ${outputPadding})`).toBe(out);
      expect(Math.floor((got + 2 * pad - kernel) / stride) + 1, 'the convolution of the output size').toBe(size);
    });
  });

  test('outputPadding >= stride, negative pad, stride 0: ValueError; no output left: ShapeError; valid: 1', () => {
    expect(convTransposeOutputSize(1, 3, 1, 1), 'convTransposeOutputSize(1, 3, 1, 1)').toBe(1);
    expect(thrownBy(() => convTransposeOutputSize(4, 3, 2, 1, 2)), 'outputPadding 2 with stride 2').toBeInstanceOf(ValueError);
    expect(thrownBy(() => convTransposeOutputSize(4, 3, 2, -1)), 'pad -1').toBeInstanceOf(ValueError);
    expect(thrownBy(() => convTransposeOutputSize(4, 3, 0, 0)), 'stride 0').toBeInstanceOf(ValueError);
    expect(thrownBy(() => convTransposeOutputSize(1, 3, 1, 2)), '(1 - 1)*1 - 2*2 + 3 = -1').toBeInstanceOf(ShapeError);
  });
});

describe('convTranspose2dForward', () => {
  test('x=[2,3,4,4] w=[3,5,4,4] s=2 p=1: out [2,5,8,8] (x2 upsampling)', () => {
    const rng = new Rng(1);
    const { out } = convTranspose2dForward(rng.randn([2, 3, 4, 4]), rng.randn([3, 5, 4, 4]), Tensor.zeros([5]), { stride: 2, pad: 1 });
    expect(out.shape, 'convTranspose2dForward: shape of out').toEqual([2, 5, 8, 8]);
  });

  test('x=[1,1,2,2] = [[1,2],[3,4]], w ones 2x2, s=2 p=0: every pixel becomes a 2x2 block', () => {
    const { out } = convTranspose2dForward(Tensor.from([[[[1, 2], [3, 4]]]]), Tensor.ones([1, 1, 2, 2]), Tensor.zeros([1]), { stride: 2, pad: 0 });
    expectTensor('convTranspose2dForward: out', out, Tensor.from([[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]]));
  });

  test('x=[1,1,1,2] = [1,2], w=[1,1,1,3] = [1,1,1], b=[10] s=1 p=0: overlapping copies add up', () => {
    const { out } = convTranspose2dForward(Tensor.from([[[[1, 2]]]]), Tensor.from([[[[1, 1, 1]]]]), Tensor.from([10]), { stride: 1, pad: 0 });
    expectTensor('convTranspose2dForward: out', out, Tensor.from([[[[11, 13, 13, 12]]]]));
  });

  test('x=[1,1,1,1] = 2, w=[1,2,3,3] s=1 p=1: the middle of 2 * kernel, one map per output channel', () => {
    const w = new Rng(2).randn([1, 2, 3, 3]);
    const { out } = convTranspose2dForward(Tensor.from([[[[2]]]]), w, Tensor.zeros([2]), { stride: 1, pad: 1 });
    expectTensor('convTranspose2dForward: out', out, Tensor.from([[[[2 * w.get(0, 0, 1, 1)]], [[2 * w.get(0, 1, 1, 1)]]]]));
  });

  test('x=[1,2,3,3] w=[2,3,3,3] s=2 p=1 op=1: out [1,3,6,6]; outputPadding adds the last row and column', () => {
    const rng = new Rng(3);
    const x = rng.randn([1, 2, 3, 3]);
    const w = rng.randn([2, 3, 3, 3]);
    const b = rng.randn([3]);
    const { out } = convTranspose2dForward(x, w, b, { stride: 2, pad: 1, outputPadding: 1 });
    expect(out.shape, 'convTranspose2dForward: shape of out').toEqual([1, 3, 6, 6]);
    expectTensor('convTranspose2dForward: out', out, referenceForward(x, w, b, { stride: 2, pad: 1, outputPadding: 1 }).out);
  });

  test(`random shapes: <conv(y), x> = <y, convTranspose(x)>, it is the transpose of the convolution (seed ${SEED})`, () => {
    forAll(cases.filter((c) => c.outputPadding === 0), { seed: SEED, runs: 30 }, (c) => {
      const { x, w, params, rng } = inputs(c);
      const up = convTranspose2dForward(x, w, Tensor.zeros([c.F]), params).out;
      const y = rng.randn(up.shape);
      // the convolution of y with the same weights (w as [F_conv = C, C_conv = F, KH, KW]) has x's shape
      const down = referenceConv2dForward(y, w, Tensor.zeros([c.C]), { stride: c.stride, pad: c.pad }).out;
      expectTensor(`<y, convTranspose(x)> (${name(c)})`, Tensor.from([dot(y, up)]), Tensor.from([dot(down, x)]));
    });
  });

  test(`random shapes, strides, paddings, output paddings: out matches the reference (seed ${SEED})`, () => {
    forAll(cases, { seed: SEED, runs: 40 }, (c) => {
      const { x, w, b, params } = inputs(c);
      expectTensor(`convTranspose2dForward: out (${name(c)})`, convTranspose2dForward(x, w, b, params).out, referenceForward(x, w, b, params).out);
    });
  });
});

describe('convTranspose2dBackward', () => {
  test('x=[2,3,4,4] w=[3,5,4,4] s=2 p=1: dx [2,3,4,4], dw [3,5,4,4], db [5]', () => {
    const rng = new Rng(4);
    const { out, cache } = convTranspose2dForward(rng.randn([2, 3, 4, 4]), rng.randn([3, 5, 4, 4]), rng.randn([5]), { stride: 2, pad: 1 });
    const { dx, dw, db } = convTranspose2dBackward(rng.randn(out.shape), cache);
    expect(dx.shape, 'convTranspose2dBackward: shape of dx').toEqual([2, 3, 4, 4]);
    expect(dw.shape, 'convTranspose2dBackward: shape of dw').toEqual([3, 5, 4, 4]);
    expect(db.shape, 'convTranspose2dBackward: shape of db').toEqual([5]);
  });

  test("x=[2,1,3,3] w=[1,2,4,4] s=2 p=1, dout = 1: db = N * H' * W' = 2 * 6 * 6 = 72 per channel", () => {
    const rng = new Rng(5);
    const { out, cache } = convTranspose2dForward(rng.randn([2, 1, 3, 3]), rng.randn([1, 2, 4, 4]), rng.randn([2]), { stride: 2, pad: 1 });
    expectTensor('convTranspose2dBackward: db', convTranspose2dBackward(Tensor.ones(out.shape), cache).db, Tensor.from([72, 72]));
  });

  test(`random shapes: dx, dw, db match numerical gradients of your convTranspose2dForward (seed ${SEED})`, () => {
    forAll(cases, { seed: SEED, runs: 12 }, (c) => {
      const { x, w, b, params, rng } = inputs(c);
      const { out, cache } = convTranspose2dForward(x, w, b, params);
      const dout = rng.randn(out.shape);
      const { dx, dw, db } = convTranspose2dBackward(dout, cache);
      const forward = (xx: Tensor, ww: Tensor, bb: Tensor): Tensor => convTranspose2dForward(xx, ww, bb, params).out;
      expectTensor(`convTranspose2dBackward: dx (${name(c)})`, dx, numericalGradient((t) => forward(t, w, b), x, dout), GRAD_TOL);
      expectTensor(`convTranspose2dBackward: dw (${name(c)})`, dw, numericalGradient((t) => forward(x, t, b), w, dout), GRAD_TOL);
      expectTensor(`convTranspose2dBackward: db (${name(c)})`, db, numericalGradient((t) => forward(x, w, t), b, dout), GRAD_TOL);
    });
  });

  test(`random shapes: dx, dw, db match the reference (seed ${SEED})`, () => {
    forAll(cases, { seed: SEED, runs: 40 }, (c) => {
      const { x, w, b, params, rng } = inputs(c);
      const { out, cache } = convTranspose2dForward(x, w, b, params);
      const dout = rng.randn(out.shape);
      const got = convTranspose2dBackward(dout, cache);
      const expected = referenceBackward(dout, referenceForward(x, w, b, params).cache);
      expectTensor(`convTranspose2dBackward: dx (${name(c)})`, got.dx, expected.dx);
      expectTensor(`convTranspose2dBackward: dw (${name(c)})`, got.dw, expected.dw);
      expectTensor(`convTranspose2dBackward: db (${name(c)})`, got.db, expected.db);
    });
  });
});

describe('bilinearUpsampling', () => {
  test('channels=1 factor=2: w [1,1,4,4] = t t^T with t = [0.25, 0.75, 0.75, 0.25]; stride 2, pad 1', () => {
    const { w, params } = bilinearUpsampling(1, 2);
    const t = [0.25, 0.75, 0.75, 0.25];
    expectTensor('bilinearUpsampling: w', w, Tensor.from([[t.map((a) => t.map((b) => a * b))]]));
    expect(params, 'bilinearUpsampling: params').toEqual({ stride: 2, pad: 1 });
  });

  test('channels=2 factor=2 on a constant image: the inside of the x2 upsampled image keeps the constant', () => {
    const { w, params } = bilinearUpsampling(2, 2);
    const { out } = convTranspose2dForward(Tensor.full([1, 2, 4, 4], 3), w, Tensor.zeros([2]), params);
    expect(out.shape, 'shape of the upsampled image').toEqual([1, 2, 8, 8]);
    for (let c = 0; c < 2; c++) {
      for (let i = 1; i < 7; i++) for (let j = 1; j < 7; j++) expect(out.get(0, c, i, j), `out[0, ${c}, ${i}, ${j}]`).toBeCloseTo(3, 12);
    }
  });

  test(`channels 1-4, factors 1-5: w and params equal the reference (seed ${SEED})`, () => {
    forAll(fc.record({ channels: fc.integer({ min: 1, max: 4 }), factor: fc.integer({ min: 1, max: 5 }) }), { seed: SEED, runs: 20 }, ({ channels, factor }) => {
      const got = bilinearUpsampling(channels, factor);
      const expected = referenceBilinear(channels, factor);
      expectTensor(`bilinearUpsampling(${channels}, ${factor}): w`, got.w, expected.w);
      expect(got.params, `bilinearUpsampling(${channels}, ${factor}): params`).toEqual(expected.params);
    });
  });
});
