import { diagnoseResidualForward, expectGradients, expectTensor, expectTensors, forAll, thrownBy, VALUE_TOL } from '@dlkata/exercise-support';
import { add, compareTensors, maxAbs, numericalGradient, Rng, ShapeError, Tensor } from '@dlkata/tensor';
import {
  conv2dBackward as referenceConvBackward,
  conv2dForward as referenceConvForward,
  initResidualBlockParams,
  reluBackward as referenceReluBackward,
  reluForward as referenceReluForward,
  residualBlockBackward as referenceBackward,
  residualBlockForward as referenceForward,
} from '@dlkata/layers';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  residualBlockBackward,
  residualBlockForward,
  residualNeedsProjection,
  type ResidualBlockCache,
  type ResidualBlockGrads,
  type ResidualBlockParams,
} from './residual.js';

/** Seed of the property-based tests; a failure prints it with the counterexample, so it replays exactly. */
const SEED = 20_240_105;

/** He-initialised 3x3 parameters (the library's), with non-zero biases so every bias gradient is exercised. */
function blockParams(C: number, F: number, rng: Rng, stride = 1, projection = false): ResidualBlockParams {
  const p = initResidualBlockParams(C, F, rng, { stride, projection });
  return { ...p, b1: rng.randn([F], 0.3), b2: rng.randn([F], 0.3), ...(p.bs ? { bs: rng.randn([F], 0.3) } : {}) };
}

/** Zero convolutions `[F, C, 3, 3]` and `[F, F, 3, 3]` with zero biases: the block's main path outputs nothing. */
function zeroMainPath(C: number, F: number): ResidualBlockParams {
  return { w1: Tensor.zeros([F, C, 3, 3]), b1: Tensor.zeros([F]), w2: Tensor.zeros([F, F, 3, 3]), b2: Tensor.zeros([F]) };
}

/** A random residual block small enough for element-by-element numerical gradients. */
interface BlockCase {
  N: number;
  C: number;
  F: number;
  H: number;
  W: number;
  stride: number;
  projection: boolean;
  seed: number;
}
const blockCases: fc.Arbitrary<BlockCase> = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 3 }),
    F: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 6 }),
    W: fc.integer({ min: 1, max: 6 }),
    stride: fc.integer({ min: 1, max: 2 }),
    projection: fc.boolean(),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  // A projection whenever the identity cannot work; sometimes also when it could (He et al.'s option C).
  .map((c) => ({ ...c, projection: c.projection || c.C !== c.F || c.stride !== 1 }));

function name(c: BlockCase): string {
  return `x=[${c.N},${c.C},${c.H},${c.W}] F=${c.F} s=${c.stride} ${c.projection ? 'projection' : 'identity'} seed=${c.seed}`;
}

function inputs(c: BlockCase): { x: Tensor; params: ResidualBlockParams; rng: Rng } {
  const rng = new Rng(c.seed);
  const params = blockParams(c.C, c.F, rng, c.stride, c.projection);
  return { x: rng.randn([c.N, c.C, c.H, c.W]), params, rng };
}

/** The main path's dx, from g = the last ReLU's gradient, with the library's primitives. */
function mainPathDx(x: Tensor, p: ResidualBlockParams, stride: number, g: Tensor): Tensor {
  const c1 = referenceConvForward(x, p.w1, p.b1, { stride, pad: 1 });
  const r1 = referenceReluForward(c1.out);
  const c2 = referenceConvForward(r1.out, p.w2, p.b2, { pad: 1 });
  return referenceConvBackward(referenceReluBackward(referenceConvBackward(g, c2.cache).dx, r1.cache).dx, c1.cache).dx;
}

/** Which ReLU inputs are positive: a numerical gradient is exact only if no perturbation changes this. */
const pattern = (c: ResidualBlockCache): string => [c.relu1.x, c.relu2.x].map((t) => Array.from(t.data, (v) => (v > 0 ? 1 : 0)).join('')).join('|');

/** Checks a block's out, naming the mistake when it is a known one. */
function expectBlockOut(out: Tensor, expected: Tensor, x: Tensor, p: ResidualBlockParams, stride = 1, label = 'out'): void {
  expectTensor(`residualBlockForward: ${label}`, out, expected, undefined, { diagnose: () => diagnoseResidualForward(x, p, { stride }, out) });
}

/**
 * Checks the student's gradients: against `expected` when their residualBlockForward is right
 * for this input, else against numerical gradients of their own forward (one mistake costs once).
 */
function expectBlockGradients(grads: ResidualBlockGrads, dout: Tensor, x: Tensor, p: ResidualBlockParams, stride: number, expected: () => Record<string, Tensor>): void {
  const opts = { stride };
  const own = (k: string): Tensor => {
    const input = k.slice(1) as 'x' | keyof ResidualBlockParams;
    const at = input === 'x' ? x : p[input]!;
    return numericalGradient((t) => residualBlockForward(input === 'x' ? t : x, input === 'x' ? p : { ...p, [input]: t }, opts).out, at, dout);
  };
  expectGradients('residualBlockBackward', grads as unknown as Record<string, unknown>, {
    forward: 'residualBlockForward',
    forwardOk: compareTensors('', residualBlockForward(x, p, opts).out, referenceForward(x, p, opts).out, VALUE_TOL).ok,
    reference: expected,
    ownNumerical: () => Object.fromEntries(Object.keys(expected()).map((k) => [k, own(k)])),
  });
}

describe('residualNeedsProjection', () => {
  test.each([
    [4, 4, 1, false, 'same channels, stride 1: the identity works'],
    [64, 64, 1, false, 'a ResNet stage'],
    [3, 4, 1, true, 'the channels differ'],
    [4, 4, 2, true, 'stride 2 halves H and W'],
    [64, 128, 2, true, 'between two ResNet stages'],
  ])('C=%i F=%i s=%i -> %s: %s', (C, F, stride, expected) => {
    expect(residualNeedsProjection(C, F, stride), `residualNeedsProjection(${C}, ${F}, ${stride})`).toBe(expected);
  });

  test('C=8 F=8, stride left out: false (the default stride is 1)', () => {
    expect(residualNeedsProjection(8, 8), 'residualNeedsProjection(8, 8)').toBe(false);
  });
});

describe('residualBlockForward', () => {
  test.each([
    [[2, 4, 8, 8], 4, 1, false, [2, 4, 8, 8], 'identity shortcut'],
    [[2, 3, 8, 8], 4, 1, true, [2, 4, 8, 8], 'projection: 3 -> 4 channels'],
    [[2, 3, 8, 8], 4, 2, true, [2, 4, 4, 4], 'projection and stride 2'],
    [[1, 3, 5, 7], 4, 2, true, [1, 4, 3, 4], 'stride 2 on odd sizes: floor((H - 1) / 2) + 1'],
  ] as const)('x=%j F=%i s=%i projection=%s: out %j (%s), equal to the reference', (xShape, F, stride, projection, outShape, _what) => {
    const rng = new Rng(1);
    const p = blockParams(xShape[1], F, rng, stride, projection);
    const x = rng.randn([...xShape]);
    const { out } = residualBlockForward(x, p, { stride });
    expect(out.shape, 'residualBlockForward: shape of out').toEqual(outShape);
    expectBlockOut(out, referenceForward(x, p, { stride }).out, x, p, stride);
  });

  test.each([
    [[2, 3, 8, 8], 4, 1, 'the channels differ'],
    [[2, 4, 8, 8], 4, 2, 'stride 2'],
  ] as const)('x=%j F=%i s=%i without ws: throws a ShapeError (%s: the shortcut needs a projection)', (xShape, F, stride, _why) => {
    const p = blockParams(xShape[1], F, new Rng(2));
    const err = thrownBy(() => residualBlockForward(Tensor.zeros([...xShape]), { w1: p.w1, b1: p.b1, w2: p.w2, b2: p.b2 }, { stride }));
    expect(err, 'residualBlockForward should throw a ShapeError').toBeInstanceOf(ShapeError);
    expect((err as Error).message).toMatch(/projection/);
  });

  test('x=[2,4,6,6] F=4, all weights and biases zero: out = relu(x), and = x for x >= 0 (the identity is easy to learn)', () => {
    const rng = new Rng(3);
    const x = rng.randn([2, 4, 6, 6]);
    expectBlockOut(residualBlockForward(x, zeroMainPath(4, 4)).out, x.map((v) => Math.max(0, v)), x, zeroMainPath(4, 4));
    const xPos = x.map(Math.abs);
    expectBlockOut(residualBlockForward(xPos, zeroMainPath(4, 4)).out, xPos, xPos, zeroMainPath(4, 4), 1, 'out (x >= 0)');
  });

  test('x=[1,2,3,3] F=2, zero weights, b2=[1,-1]: out = relu(x + b2), the skip added BEFORE the ReLU (not relu(b2) + x)', () => {
    const x = Tensor.from([[[[-2, -0.5, 0], [0.5, 1, 2], [-1, 3, -3]], [[2, 0.5, 1.5], [0.25, -1, 1], [3, 0, -2]]]]);
    const p = { ...zeroMainPath(2, 2), b2: Tensor.from([1, -1]) };
    const expected = Tensor.from([[[[0, 0.5, 1], [1.5, 2, 3], [0, 4, 0]], [[1, 0, 0.5], [0, 0, 0], [2, 0, 0]]]]);
    expectBlockOut(residualBlockForward(x, p).out, expected, x, p);
  });

  test('x=[1,3,5,6] F=2 s=2, zero main path: out = relu(ws x + bs), the 1x1 projection read at every second pixel', () => {
    const rng = new Rng(4);
    const x = rng.randn([1, 3, 5, 6]);
    const ws = rng.randn([2, 3, 1, 1]);
    const bs = rng.randn([2]);
    const expected = Tensor.zeros([1, 2, 3, 3]);
    for (let f = 0; f < 2; f++) {
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          let s = bs.get(f);
          for (let c = 0; c < 3; c++) s += ws.get(f, c, 0, 0) * x.get(0, c, 2 * i, 2 * j);
          expected.set(Math.max(0, s), 0, f, i, j);
        }
      }
    }
    const p = { ...zeroMainPath(3, 2), ws, bs };
    expectBlockOut(residualBlockForward(x, p, { stride: 2 }).out, expected, x, p, 2);
  });

  test(`random shapes, strides 1-2, identity or projection: out matches the reference (seed ${SEED})`, () => {
    forAll(blockCases, { seed: SEED, runs: 30, name }, (c) => {
      const { x, params } = inputs(c);
      const { out } = residualBlockForward(x, params, { stride: c.stride });
      expectBlockOut(out, referenceForward(x, params, { stride: c.stride }).out, x, params, c.stride);
    });
  });
});

describe('residualBlockBackward', () => {
  test('x=[2,4,5,5] F=4 (identity): dx, dw1, db1, dw2, db2 and no dws, dbs', () => {
    const rng = new Rng(5);
    const { out, cache } = residualBlockForward(rng.randn([2, 4, 5, 5]), blockParams(4, 4, rng));
    const grads = residualBlockBackward(rng.randn(out.shape), cache);
    expect(grads.dx.shape, 'residualBlockBackward: shape of dx').toEqual([2, 4, 5, 5]);
    expect(grads.dw1.shape, 'residualBlockBackward: shape of dw1').toEqual([4, 4, 3, 3]);
    expect(grads.db1.shape, 'residualBlockBackward: shape of db1').toEqual([4]);
    expect(grads.dw2.shape, 'residualBlockBackward: shape of dw2').toEqual([4, 4, 3, 3]);
    expect(grads.db2.shape, 'residualBlockBackward: shape of db2').toEqual([4]);
    expect(grads.dws, 'residualBlockBackward: dws without a projection').toBeUndefined();
    expect(grads.dbs, 'residualBlockBackward: dbs without a projection').toBeUndefined();
  });

  test('x=[2,3,7,6] F=4 s=2 (projection): dx [2,3,7,6], dws [4,3,1,1], dbs [4]', () => {
    const rng = new Rng(6);
    const { out, cache } = residualBlockForward(rng.randn([2, 3, 7, 6]), blockParams(3, 4, rng, 2), { stride: 2 });
    const grads = residualBlockBackward(rng.randn(out.shape), cache);
    expect(grads.dx.shape, 'residualBlockBackward: shape of dx').toEqual([2, 3, 7, 6]);
    expect(grads.dws?.shape, 'residualBlockBackward: shape of dws').toEqual([4, 3, 1, 1]);
    expect(grads.dbs?.shape, 'residualBlockBackward: shape of dbs').toEqual([4]);
  });

  test('x=[1,3,4,4] F=3, w2 = 0, b2 = 0: dx = dout * (out > 0) through the skip alone, while dw1 = 0', () => {
    const rng = new Rng(7);
    const p = { ...blockParams(3, 3, rng), w2: Tensor.zeros([3, 3, 3, 3]), b2: Tensor.zeros([3]) };
    const x = rng.randn([1, 3, 4, 4]);
    const dout = rng.randn([1, 3, 4, 4]);
    const { out, cache } = residualBlockForward(x, p);
    const grads = residualBlockBackward(dout, cache);
    expectBlockGradients(grads, dout, x, p, 1, () => ({ dx: dout.map((g, i) => (out.data[i] > 0 ? g : 0)), dw1: Tensor.zeros([3, 3, 3, 3]) }));
  });

  test('x=[2,4,5,5] F=4 (identity): dx = main-path dx + g, with g = dout * (out > 0) passed unchanged by the skip', () => {
    const rng = new Rng(8);
    const p = blockParams(4, 4, rng);
    const x = rng.randn([2, 4, 5, 5]);
    const { out, cache } = residualBlockForward(x, p);
    const dout = rng.randn(out.shape);
    const grads = residualBlockBackward(dout, cache);
    const ref = referenceForward(x, p).out;
    const g = dout.map((v, i) => (ref.data[i] > 0 ? v : 0));
    const main = mainPathDx(x, p, 1, g);
    expect(maxAbs(main), 'the main path carries gradient too').toBeGreaterThan(0.1);
    expectBlockGradients(grads, dout, x, p, 1, () => ({ dx: add(main, g) }));
  });

  test('x=[2,3,7,6] F=4 s=2 (projection): dx = main-path dx + the projection\'s dx', () => {
    const rng = new Rng(9);
    const p = blockParams(3, 4, rng, 2);
    const x = rng.randn([2, 3, 7, 6]);
    const { out, cache } = residualBlockForward(x, p, { stride: 2 });
    const dout = rng.randn(out.shape);
    const grads = residualBlockBackward(dout, cache);
    const ref = referenceForward(x, p, { stride: 2 }).out;
    const g = dout.map((v, i) => (ref.data[i] > 0 ? v : 0));
    const skip = referenceConvBackward(g, referenceConvForward(x, p.ws!, p.bs!, { stride: 2 }).cache).dx;
    expect(maxAbs(skip), 'the skip path carries gradient').toBeGreaterThan(0.1);
    expectBlockGradients(grads, dout, x, p, 2, () => ({ dx: add(mainPathDx(x, p, 2, g), skip) }));
  });

  test(`random shapes: every gradient matches the numerical gradient of your residualBlockForward (seed ${SEED})`, () => {
    forAll(blockCases, { seed: SEED, runs: 12, name }, (c) => {
      const { x, params, rng } = inputs(c);
      const opts = { stride: c.stride };
      const { out, cache } = residualBlockForward(x, params, opts);
      const dout = rng.randn(out.shape);
      const grads = residualBlockBackward(dout, cache);
      type Key = keyof ResidualBlockParams;
      const keys = Object.keys(params) as Key[];
      const wrt: [string, Tensor, (t: Tensor) => { out: Tensor; cache: ResidualBlockCache }][] = [
        ['x', x, (t) => residualBlockForward(t, params, opts)],
        ...keys.map((k): [string, Tensor, (t: Tensor) => { out: Tensor; cache: ResidualBlockCache }] => [k, params[k]!, (t) => residualBlockForward(x, { ...params, [k]: t }, opts)]),
      ];
      const base = pattern(cache);
      let crossed = false;
      const numeric = wrt.map(([k, t, f]) => {
        const grad = numericalGradient(
          (u) => {
            const r = f(u);
            if (pattern(r.cache) !== base) crossed = true;
            return r.out;
          },
          t,
          dout,
        );
        return [k, grad] as const;
      });
      // A perturbation that flips a ReLU crosses a kink, where the difference quotient is not the gradient: skip that case.
      fc.pre(!crossed);
      const got = grads as unknown as Record<string, unknown>;
      expectTensors(
        'residualBlockBackward',
        numeric.map(([k, grad]) => ({ name: `d${k}`, got: got[`d${k}`], expected: grad })),
        { against: 'numerical' },
      );
    });
  });

  test(`random shapes: every gradient matches the reference (your forward's gradient where your forward is wrong) (seed ${SEED})`, () => {
    forAll(blockCases, { seed: SEED, runs: 30, name }, (c) => {
      const { x, params, rng } = inputs(c);
      const opts = { stride: c.stride };
      const { out, cache } = residualBlockForward(x, params, opts);
      const dout = rng.randn(out.shape);
      const grads: ResidualBlockGrads = residualBlockBackward(dout, cache);
      const expected = referenceBackward(dout, referenceForward(x, params, opts).cache);
      expectBlockGradients(grads, dout, x, params, c.stride, () => expected as unknown as Record<string, Tensor>);
      expect(Object.keys(grads).filter((k) => grads[k as keyof ResidualBlockGrads] !== undefined).sort(), 'residualBlockBackward: gradients returned').toEqual(
        Object.keys(expected).filter((k) => expected[k as keyof ResidualBlockGrads] !== undefined).sort(),
      );
    });
  });
});
