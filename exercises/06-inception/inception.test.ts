import { diagnoseInceptionForward, expectGradients, expectTensor, expectTensors, forAll, succeeds } from '@dlkata/exercise-support';
import { add, maxAbs, numericalGradient, Rng, Tensor } from '@dlkata/tensor';
import {
  concatChannels as referenceConcat,
  conv2dBackward as referenceConvBackward,
  conv2dForward as referenceConvForward,
  convMultiplies as referenceConvMultiplies,
  inceptionBackward as referenceBackward,
  inceptionForward as referenceForward,
  inceptionMultiplies as referenceInceptionMultiplies,
  initInceptionParams,
  maxPool2dBackward as referencePoolBackward,
  maxPool2dForward as referencePoolForward,
  reluBackward as referenceReluBackward,
  reluForward as referenceReluForward,
  splitChannels as referenceSplit,
} from '@dlkata/layers';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  concatChannels,
  conv1x1ReluBackward,
  conv1x1ReluForward,
  convMultiplies,
  inceptionBackward,
  inceptionForward,
  inceptionMultiplies,
  inceptionParamShapes,
  splitChannels,
  type InceptionCache,
  type InceptionGrads,
  type InceptionParams,
  type InceptionSpec,
} from './inception.js';

/** Seed of the property-based tests; a failure prints it with the counterexample, so it replays exactly. */
const SEED = 20_240_106;

/** The lecture's 5x5 image for the 1x1 convolution example, as `[1, 1, 5, 5]`. */
const LECTURE_IMAGE = [
  [-5, 3, 2, -5, 3],
  [4, 3, 2, 1, -3],
  [1, 0, 3, 3, 5],
  [-2, 0, 1, 4, 4],
  [5, 6, 7, 9, -1],
];

/** Inception (3a) of GoogLeNet (Szegedy et al. 2015, Table 1). */
const INCEPTION_3A: InceptionSpec = { c1: 64, c3reduce: 96, c3: 128, c5reduce: 16, c5: 32, poolProj: 32 };

const int = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max });
const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });

/** The reference 1x1 convolution + ReLU, from the library's layers. */
function referenceConv1x1Relu(x: Tensor, w: Tensor, b: Tensor): Tensor {
  return referenceReluForward(referenceConvForward(x, w, b).out).out;
}

/**
 * Values that are pairwise at least 0.17 apart, so that a perturbation of 1e-5 never changes
 * which element wins a pooling window (a tie would make the max not differentiable).
 */
function distinct(rng: Rng, shape: number[]): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  const p = rng.permutation(n);
  return new Tensor(Float64Array.from(p, (v) => ((v - n / 2) * 0.37 + rng.uniform(-0.1, 0.1)) / Math.sqrt(n)), shape);
}

/** He-initialised parameters (the library's) with non-zero biases, so every bias gradient is exercised. */
function moduleParams(C: number, spec: InceptionSpec, rng: Rng): InceptionParams {
  const p = { ...initInceptionParams(C, spec, rng) } as Record<keyof InceptionParams, Tensor>;
  for (const k of Object.keys(p) as (keyof InceptionParams)[]) if (p[k].ndim === 1) p[k] = rng.randn(p[k].shape, 0.3);
  return p;
}

/** A random module small enough for element-by-element numerical gradients. */
interface ModuleCase {
  N: number;
  C: number;
  H: number;
  W: number;
  spec: InceptionSpec;
  seed: number;
}
const moduleCases: fc.Arbitrary<ModuleCase> = fc.record({
  N: int(1, 2),
  C: int(1, 3),
  H: int(1, 5),
  W: int(1, 5),
  spec: fc.record({ c1: int(1, 2), c3reduce: int(1, 3), c3: int(1, 2), c5reduce: int(1, 2), c5: int(1, 2), poolProj: int(1, 2) }),
  seed,
});

const specName = (s: InceptionSpec): string => `spec=[${s.c1}, ${s.c3reduce}>${s.c3}, ${s.c5reduce}>${s.c5}, pool>${s.poolProj}]`;
const name = (c: ModuleCase): string => `x=[${c.N},${c.C},${c.H},${c.W}] ${specName(c.spec)} seed=${c.seed}`;

function moduleInputs(c: ModuleCase): { x: Tensor; params: InceptionParams; rng: Rng } {
  const rng = new Rng(c.seed);
  const params = moduleParams(c.C, c.spec, rng);
  return { x: distinct(rng, [c.N, c.C, c.H, c.W]), params, rng };
}

/** Which ReLU inputs are positive and which cells win the pooling windows: a numerical gradient is exact only if no perturbation changes this. */
function pattern(c: InceptionCache): string {
  const signs = (t: Tensor): string => Array.from(t.data, (v) => (v > 0 ? 1 : 0)).join('');
  return [c.conv1.out, c.conv3reduce.out, c.conv3.relu.x, c.conv5reduce.out, c.conv5.relu.x, c.convPoolProj.out].map(signs).join('|') + `|${c.pool.argmax.join(',')}`;
}

describe('conv1x1ReluForward', () => {
  test("x=[1,200,32,32] w=[32,200,1,1]: out [1,32,32,32] (the lecture's 32x32x200 -> 32x32x32), no negative value", () => {
    const rng = new Rng(1);
    const x = rng.randn([1, 200, 32, 32]);
    const w = rng.randn([32, 200, 1, 1], 0.1);
    const b = rng.randn([32]);
    const { out } = conv1x1ReluForward(x, w, b);
    expect(out.shape, 'conv1x1ReluForward: shape of out').toEqual([1, 32, 32, 32]);
    expect(Math.min(...out.data), 'conv1x1ReluForward: smallest value of out').toBe(0);
    expectTensor('conv1x1ReluForward: out', out, referenceConv1x1Relu(x, w, b));
  });

  test("x=[1,1,5,5] (the lecture's image) w=[[[[2]]]] b=[0]: the doubled image, its negative values cut to 0 by the ReLU", () => {
    const { out } = conv1x1ReluForward(Tensor.from([[LECTURE_IMAGE]]), Tensor.from([[[[2]]]]), Tensor.zeros([1]));
    expectTensor('conv1x1ReluForward: out', out, Tensor.from([[LECTURE_IMAGE.map((row) => row.map((v) => Math.max(0, 2 * v)))]]));
    expect(Array.from(out.data.subarray(0, 5)), 'first row: the slide\'s -10 6 4 -10 6 after the ReLU').toEqual([0, 6, 4, 0, 6]);
  });

  test('x=[1,2,1,2] w=[3,2,1,1] b=[0,0,1]: each pixel is relu(w times its channel vector, plus b)', () => {
    // pixel 0 has channels (1, 3), pixel 1 has (2, 4)
    const x = Tensor.from([[[[1, 2]], [[3, 4]]]]);
    const w = Tensor.from([[[[1]], [[1]]], [[[1]], [[-1]]], [[[0]], [[2]]]]);
    const { out } = conv1x1ReluForward(x, w, Tensor.from([0, 0, 1]));
    expectTensor('conv1x1ReluForward: out', out, Tensor.from([[[[4, 6]], [[0, 0]], [[7, 9]]]]));
  });

  test(`random shapes: out matches the reference (conv 1x1, then ReLU) (seed ${SEED})`, () => {
    const cases = fc.record({ N: int(1, 3), C: int(1, 8), H: int(1, 6), W: int(1, 6), F: int(1, 8), seed });
    forAll(cases, { seed: SEED, runs: 30 }, ({ N, C, H, W, F, seed: s }) => {
      const rng = new Rng(s);
      const x = rng.randn([N, C, H, W]);
      const w = rng.randn([F, C, 1, 1]);
      const b = rng.randn([F]);
      expectTensor(`conv1x1ReluForward: out (x=[${N},${C},${H},${W}] w=[${F},${C},1,1] seed=${s})`, conv1x1ReluForward(x, w, b).out, referenceConv1x1Relu(x, w, b));
    });
  });
});

describe('conv1x1ReluBackward', () => {
  const cases = fc.record({ N: int(1, 2), C: int(1, 4), H: int(1, 4), W: int(1, 4), F: int(1, 4), seed });

  test('x=[2,3,4,5] w=[6,3,1,1]: dx [2,3,4,5], dw [6,3,1,1], db [6]', () => {
    const rng = new Rng(2);
    const { out, cache } = conv1x1ReluForward(rng.randn([2, 3, 4, 5]), rng.randn([6, 3, 1, 1]), rng.randn([6]));
    const { dx, dw, db } = conv1x1ReluBackward(rng.randn(out.shape), cache);
    expect(dx.shape, 'conv1x1ReluBackward: shape of dx').toEqual([2, 3, 4, 5]);
    expect(dw.shape, 'conv1x1ReluBackward: shape of dw').toEqual([6, 3, 1, 1]);
    expect(db.shape, 'conv1x1ReluBackward: shape of db').toEqual([6]);
  });

  test('x=[1,2,2,2] w all -1, b=[-1]: every output is cut by the ReLU, so every gradient is 0', () => {
    const x = new Rng(3).rand([1, 2, 2, 2], 0.1, 1);
    const { cache } = conv1x1ReluForward(x, Tensor.full([1, 2, 1, 1], -1), Tensor.from([-1]));
    const { dx, dw, db } = conv1x1ReluBackward(Tensor.ones([1, 1, 2, 2]), cache);
    expectTensor('conv1x1ReluBackward: dx', dx, Tensor.zeros([1, 2, 2, 2]));
    expectTensor('conv1x1ReluBackward: dw', dw, Tensor.zeros([1, 2, 1, 1]));
    expectTensor('conv1x1ReluBackward: db', db, Tensor.zeros([1]));
  });

  test(`random shapes: dx, dw, db match numerical gradients of your conv1x1ReluForward (seed ${SEED})`, () => {
    forAll(cases, { seed: SEED, runs: 15 }, ({ N, C, H, W, F, seed: s }) => {
      const rng = new Rng(s);
      const x = rng.randn([N, C, H, W]);
      const w = rng.randn([F, C, 1, 1]);
      const b = rng.randn([F]);
      const { out, cache } = conv1x1ReluForward(x, w, b);
      const dout = rng.randn(out.shape);
      const grads = conv1x1ReluBackward(dout, cache);
      const signs = (t: Tensor): string => Array.from(t.data, (v) => (v > 0 ? 1 : 0)).join('');
      const base = signs(out);
      let crossed = false;
      const f = (xx: Tensor, ww: Tensor, bb: Tensor): Tensor => {
        const o = conv1x1ReluForward(xx, ww, bb).out;
        if (signs(o) !== base) crossed = true;
        return o;
      };
      const numeric = {
        dx: numericalGradient((t) => f(t, w, b), x, dout),
        dw: numericalGradient((t) => f(x, t, b), w, dout),
        db: numericalGradient((t) => f(x, w, t), b, dout),
      };
      fc.pre(!crossed); // a perturbation that flips a ReLU crosses a kink: skip the case
      expectTensors(
        'conv1x1ReluBackward',
        (['dx', 'dw', 'db'] as const).map((k) => ({ name: k, got: grads[k], expected: numeric[k] })),
        { against: 'numerical', case: `x=[${N},${C},${H},${W}] w=[${F},${C},1,1] seed=${s}` },
      );
    });
  });

  test(`random shapes: dx, dw, db match the reference (seed ${SEED})`, () => {
    forAll(cases, { seed: SEED, runs: 30 }, ({ N, C, H, W, F, seed: s }) => {
      const rng = new Rng(s);
      const x = rng.randn([N, C, H, W]);
      const w = rng.randn([F, C, 1, 1]);
      const b = rng.randn([F]);
      const { out, cache } = conv1x1ReluForward(x, w, b);
      const dout = rng.randn(out.shape);
      const grads = conv1x1ReluBackward(dout, cache);
      const c = referenceConvForward(x, w, b);
      const r = referenceReluForward(c.out);
      const expected = referenceConvBackward(referenceReluBackward(dout, r.cache).dx, c.cache);
      expectTensors(
        'conv1x1ReluBackward',
        (['dx', 'dw', 'db'] as const).map((k) => ({ name: k, got: grads[k], expected: expected[k] })),
        { case: `x=[${N},${C},${H},${W}] w=[${F},${C},1,1] seed=${s}` },
      );
    });
  });
});

describe('concatChannels and splitChannels', () => {
  const parts = fc.record({ N: int(1, 2), H: int(1, 4), W: int(1, 4), channels: fc.array(int(1, 3), { minLength: 1, maxLength: 4 }), seed });

  test('[2,3,8,8] and [2,5,8,8] -> [2,8,8,8]', () => {
    expect(concatChannels([Tensor.zeros([2, 3, 8, 8]), Tensor.ones([2, 5, 8, 8])]).shape, 'concatChannels: shape').toEqual([2, 8, 8, 8]);
  });

  test('x=[2,1,1,2] and y=[2,2,1,2]: per image, the channel of x, then the two of y', () => {
    const x = Tensor.from([[[[1, 2]]], [[[3, 4]]]]);
    const y = Tensor.from([[[[5, 6]], [[7, 8]]], [[[9, 10]], [[11, 12]]]]);
    const expected = Tensor.from([[[[1, 2]], [[5, 6]], [[7, 8]]], [[[3, 4]], [[9, 10]], [[11, 12]]]]);
    expectTensor('concatChannels: out', concatChannels([x, y]), expected);
  });

  test('x=[1,4,1,2] split [1,3]: the first channel, then the other three', () => {
    const x = Tensor.from([[[[1, 2]], [[3, 4]], [[5, 6]], [[7, 8]]]]);
    const [a, b] = splitChannels(x, [1, 3]);
    expectTensor('splitChannels: part 0', a, Tensor.from([[[[1, 2]]]]));
    expectTensor('splitChannels: part 1', b, Tensor.from([[[[3, 4]], [[5, 6]], [[7, 8]]]]));
  });

  test(`random lists: concatChannels matches the reference, and splitChannels undoes it (seed ${SEED})`, () => {
    forAll(parts, { seed: SEED, runs: 30 }, ({ N, H, W, channels, seed: s }) => {
      const rng = new Rng(s);
      const xs = channels.map((C) => rng.randn([N, C, H, W]));
      const what = `[${channels.map((C) => `[${N},${C},${H},${W}]`).join(', ')}]`;
      const out = concatChannels(xs);
      expectTensor(`concatChannels: out (${what})`, out, referenceConcat(xs));
      const back = splitChannels(out, channels);
      expect(back.length, `splitChannels: number of parts (${what})`).toBe(channels.length);
      back.forEach((t, i) => expectTensor(`splitChannels: part ${i} (${what})`, t, xs[i]));
    });
  });

  test(`random tensors and sizes: splitChannels matches the reference (seed ${SEED})`, () => {
    forAll(parts, { seed: SEED, runs: 30 }, ({ N, H, W, channels, seed: s }) => {
      const x = new Rng(s).randn([N, channels.reduce((a, c) => a + c, 0), H, W]);
      const expected = referenceSplit(x, channels);
      splitChannels(x, channels).forEach((t, i) => expectTensor(`splitChannels: part ${i} (x [${x.shape.join(',')}], sizes [${channels.join(',')}])`, t, expected[i]));
    });
  });
});

describe('inceptionForward', () => {
  test('x=[2,3,5,4] spec=[2, 2>3, 1>2, pool>1]: out [2,8,5,4] (2 + 3 + 2 + 1 channels, H and W kept)', () => {
    const spec: InceptionSpec = { c1: 2, c3reduce: 2, c3: 3, c5reduce: 1, c5: 2, poolProj: 1 };
    const rng = new Rng(4);
    const { out } = inceptionForward(rng.randn([2, 3, 5, 4]), moduleParams(3, spec, rng), spec);
    expect(out.shape, 'inceptionForward: shape of out').toEqual([2, 8, 5, 4]);
  });

  test('x=[2,3,5,5] spec=[2, 2>3, 2>2, pool>2]: channels in the order 1x1 | 3x3 | 5x5 | pool, each branch computed with the library\'s layers', () => {
    const spec: InceptionSpec = { c1: 2, c3reduce: 2, c3: 3, c5reduce: 2, c5: 2, poolProj: 2 };
    const rng = new Rng(5);
    const p = moduleParams(3, spec, rng);
    const x = rng.randn([2, 3, 5, 5]);
    const { out } = inceptionForward(x, p, spec);
    const convRelu = (t: Tensor, w: Tensor, b: Tensor, pad: number): Tensor => referenceReluForward(referenceConvForward(t, w, b, { pad }).out).out;
    const branches = [
      ['1x1', convRelu(x, p.w1, p.b1, 0)],
      ['1x1 -> 3x3', convRelu(convRelu(x, p.w3reduce, p.b3reduce, 0), p.w3, p.b3, 1)],
      ['1x1 -> 5x5', convRelu(convRelu(x, p.w5reduce, p.b5reduce, 0), p.w5, p.b5, 2)],
      ['3x3 max pool (stride 1, pad 1) -> 1x1', convRelu(referencePoolForward(x, { kernel: 3, stride: 1, pad: 1 }).out, p.wPoolProj, p.bPoolProj, 0)],
    ] as const;
    const parts = referenceSplit(out, [2, 3, 2, 2]);
    branches.forEach(([what, expected], i) => expectTensor(`inceptionForward: out, channels of branch ${i + 1} (${what})`, parts[i], expected));
  });

  test('x=[1,192,6,6] spec=inception (3a) of GoogLeNet: out [1,256,6,6], equal to the reference', () => {
    const rng = new Rng(6);
    const p = moduleParams(192, INCEPTION_3A, rng);
    const x = rng.randn([1, 192, 6, 6]);
    const { out } = inceptionForward(x, p, INCEPTION_3A);
    expect(out.shape, 'inceptionForward: shape of out').toEqual([1, 256, 6, 6]);
    const expected = referenceForward(x, p, INCEPTION_3A).out;
    expectTensor('inceptionForward: out', out, expected, undefined, { diagnose: () => diagnoseInceptionForward(out, expected, INCEPTION_3A) });
  });

  test(`random shapes and filter counts: out matches the reference (seed ${SEED})`, () => {
    forAll(moduleCases, { seed: SEED, runs: 30, name }, (c) => {
      const { x, params } = moduleInputs(c);
      const { out } = inceptionForward(x, params, c.spec);
      const expected = referenceForward(x, params, c.spec).out;
      expectTensor('inceptionForward: out', out, expected, undefined, { diagnose: () => diagnoseInceptionForward(out, expected, c.spec) });
    });
  });
});

describe('inceptionBackward', () => {
  test('x=[2,3,5,4] spec=[2, 2>3, 1>2, pool>1]: dx [2,3,5,4] and the twelve parameter gradients shaped like the parameters', () => {
    const spec: InceptionSpec = { c1: 2, c3reduce: 2, c3: 3, c5reduce: 1, c5: 2, poolProj: 1 };
    const rng = new Rng(7);
    const { out, cache } = inceptionForward(rng.randn([2, 3, 5, 4]), moduleParams(3, spec, rng), spec);
    const grads = inceptionBackward(rng.randn(out.shape), cache) as unknown as Record<string, Tensor>;
    expect(grads.dx.shape, 'inceptionBackward: shape of dx').toEqual([2, 3, 5, 4]);
    for (const [k, shape] of Object.entries(inceptionParamShapes(3, spec))) expect(grads[`d${k}`]?.shape, `inceptionBackward: shape of d${k}`).toEqual(shape);
  });

  test("x=[2,3,5,5]: dx = the sum of the four branches' dx; dout is split 1x1 | 3x3 | 5x5 | pool", () => {
    const spec: InceptionSpec = { c1: 2, c3reduce: 2, c3: 3, c5reduce: 2, c5: 2, poolProj: 2 };
    const rng = new Rng(8);
    const p = moduleParams(3, spec, rng);
    const x = rng.randn([2, 3, 5, 5]);
    const { out, cache } = inceptionForward(x, p, spec);
    const dout = rng.randn(out.shape);
    const { dx } = inceptionBackward(dout, cache);
    const [d1, d3, d5, dp] = referenceSplit(dout, [2, 3, 2, 2]);
    const convRelu = (t: Tensor, w: Tensor, b: Tensor, pad: number) => {
      const c = referenceConvForward(t, w, b, { pad });
      const r = referenceReluForward(c.out);
      return { out: r.out, back: (g: Tensor) => referenceConvBackward(referenceReluBackward(g, r.cache).dx, c.cache).dx };
    };
    const b3r = convRelu(x, p.w3reduce, p.b3reduce, 0);
    const b5r = convRelu(x, p.w5reduce, p.b5reduce, 0);
    const pool = referencePoolForward(x, { kernel: 3, stride: 1, pad: 1 });
    const branches = [
      convRelu(x, p.w1, p.b1, 0).back(d1),
      b3r.back(convRelu(b3r.out, p.w3, p.b3, 1).back(d3)),
      b5r.back(convRelu(b5r.out, p.w5, p.b5, 2).back(d5)),
      referencePoolBackward(convRelu(pool.out, p.wPoolProj, p.bPoolProj, 0).back(dp), pool.cache).dx,
    ];
    branches.forEach((g, i) => expect(maxAbs(g), `branch ${i + 1} passes gradient to x`).toBeGreaterThan(0.01));
    expectTensor('inceptionBackward: dx', dx, branches.reduce((a, g) => add(a, g)));
  });

  test(`random shapes: dx and the twelve parameter gradients match numerical gradients of your inceptionForward (seed ${SEED})`, () => {
    forAll(moduleCases, { seed: SEED, runs: 8, name }, (c) => {
      const { x, params, rng } = moduleInputs(c);
      const { out, cache } = inceptionForward(x, params, c.spec);
      const dout = rng.randn(out.shape);
      const grads = inceptionBackward(dout, cache) as unknown as Record<string, Tensor | undefined>;
      const keys = Object.keys(params) as (keyof InceptionParams)[];
      const base = pattern(cache);
      let crossed = false;
      const numeric = (f: (t: Tensor) => { out: Tensor; cache: InceptionCache }, t: Tensor): Tensor =>
        numericalGradient(
          (u) => {
            const r = f(u);
            if (pattern(r.cache) !== base) crossed = true;
            return r.out;
          },
          t,
          dout,
        );
      const expected: [string, Tensor][] = [
        ['dx', numeric((t) => inceptionForward(t, params, c.spec), x)],
        ...keys.map((k): [string, Tensor] => [`d${k}`, numeric((t) => inceptionForward(x, { ...params, [k]: t }, c.spec), params[k])]),
      ];
      fc.pre(!crossed); // a perturbation that flips a ReLU or a pooling winner crosses a kink: skip the case
      expectTensors(
        'inceptionBackward',
        expected.map(([k, grad]) => ({ name: k, got: grads[k], expected: grad })),
        { against: 'numerical' },
      );
    });
  });

  test(`random shapes: dx and the twelve parameter gradients match the reference (seed ${SEED})`, () => {
    forAll(moduleCases, { seed: SEED, runs: 30, name }, (c) => {
      const { x, params, rng } = moduleInputs(c);
      const { out, cache } = inceptionForward(x, params, c.spec);
      const dout = rng.randn(out.shape);
      const grads: InceptionGrads = inceptionBackward(dout, cache);
      const reference = referenceForward(x, params, c.spec);
      const expected = referenceBackward(dout, reference.cache) as unknown as Record<string, Tensor>;
      expectGradients('inceptionBackward', grads as unknown as Record<string, unknown>, {
        forward: 'inceptionForward',
        forwardOk: succeeds(() => expectTensor('inceptionForward: out', out, reference.out)),
        reference: () => expected,
        ownNumerical: () =>
          Object.fromEntries(
            Object.keys(expected).map((k) => {
              const input = k.slice(1) as 'x' | keyof InceptionParams;
              const at = input === 'x' ? x : params[input];
              return [k, numericalGradient((t) => inceptionForward(input === 'x' ? t : x, input === 'x' ? params : { ...params, [input]: t }, c.spec).out, at, dout)];
            }),
          ),
      });
    });
  });
});

describe('convMultiplies and inceptionMultiplies', () => {
  test('the lecture: 1x1x200x32x32x16 = 3,276,800 and 5x5x16x32x32x92 = 37,683,200: 40,960,000 with the bottleneck', () => {
    expect(convMultiplies([200, 32, 32], 16, 1), 'convMultiplies([200, 32, 32], 16, 1)').toBe(3_276_800);
    expect(convMultiplies([16, 32, 32], 92, 5, 1, 'same'), "convMultiplies([16, 32, 32], 92, 5, 1, 'same')").toBe(37_683_200);
    expect(convMultiplies([200, 32, 32], 16, 1) + convMultiplies([16, 32, 32], 92, 5, 1, 'same')).toBe(40_960_000);
  });

  test("the lecture: the 5x5 convolution straight on 200 channels costs 5x5x200x32x32x92 = 471,040,000, about ten times more", () => {
    const direct = convMultiplies([200, 32, 32], 92, 5, 1, 'same');
    expect(direct, "convMultiplies([200, 32, 32], 92, 5, 1, 'same')").toBe(471_040_000);
    expect(40_960_000 / direct).toBeCloseTo(0.087, 3);
  });

  test.each([
    [[3, 32, 32], 6, 5, 1, 0, 3 * 6 * 25 * 28 * 28, "LeNet's first layer: 28x28 outputs"],
    [[3, 224, 224], 64, 11, 4, 2, 3 * 64 * 121 * 55 * 55, "AlexNet's first layer: stride 4, 55x55 outputs"],
    [[4, 7, 6], 2, 3, 2, 1, 4 * 2 * 9 * 4 * 3, 'stride 2 with padding, rounded down'],
  ] as const)('input %j, %i filters %ix%i, stride %i, pad %i: %i (%s)', (input, filters, kernel, stride, pad, expected, _what) => {
    expect(convMultiplies(input, filters, kernel, stride, pad), `convMultiplies([${input.join(', ')}], ${filters}, ${kernel}, ${stride}, ${pad})`).toBe(expected);
  });

  test(`random convolutions: convMultiplies matches the reference (seed ${SEED})`, () => {
    const cases = fc
      .record({ C: int(1, 64), H: int(1, 40), W: int(1, 40), filters: int(1, 128), half: int(0, 3), stride: int(1, 3), pad: fc.oneof(int(0, 3), fc.constant('same' as const)) })
      .map((c) => ({ ...c, kernel: 2 * c.half + 1, stride: c.pad === 'same' ? 1 : c.stride }))
      .filter((c) => c.pad === 'same' || (c.kernel <= c.H + 2 * c.pad && c.kernel <= c.W + 2 * c.pad));
    forAll(cases, { seed: SEED, runs: 100 }, ({ C, H, W, filters, kernel, stride, pad }) => {
      const call = `convMultiplies([${C}, ${H}, ${W}], ${filters}, ${kernel}, ${stride}, ${JSON.stringify(pad)})`;
      expect(convMultiplies([C, H, W], filters, kernel, stride, pad), call).toBe(referenceConvMultiplies([C, H, W], filters, kernel, stride, pad));
    });
  });

  test('the lecture\'s module on 32x32x200 with c5reduce = 16, c5 = 92: c5reduce + c5 = 40,960,000; out [c1 + c3 + c5 + poolProj, 32, 32]', () => {
    const cost = inceptionMultiplies([200, 32, 32], { c1: 8, c3reduce: 8, c3: 8, c5reduce: 16, c5: 92, poolProj: 8 });
    expect(cost.c5reduce, 'c5reduce').toBe(3_276_800);
    expect(cost.c5, 'c5').toBe(37_683_200);
    expect(cost.c5reduce + cost.c5).toBe(40_960_000);
    expect(cost.outputShape, 'outputShape').toEqual([116, 32, 32]);
  });

  test('inception (3a) of GoogLeNet on 28x28x192: 128,049,152 multiplications (Table 1: "128M"), 256 channels out', () => {
    const cost = inceptionMultiplies([192, 28, 28], INCEPTION_3A);
    expect(cost.total, 'total').toBe(128_049_152);
    expect(cost.c3, 'c3: the 3x3 convolution on 96 channels').toBe(128 * 96 * 9 * 28 * 28);
    expect(cost.outputShape, 'outputShape').toEqual([256, 28, 28]);
  });

  test(`random modules: every count, the total and the output shape match the reference (seed ${SEED})`, () => {
    const cases = fc.record({
      C: int(1, 256),
      H: int(1, 32),
      W: int(1, 32),
      spec: fc.record({ c1: int(1, 128), c3reduce: int(1, 128), c3: int(1, 256), c5reduce: int(1, 64), c5: int(1, 128), poolProj: int(1, 128) }),
    });
    forAll(cases, { seed: SEED, runs: 100 }, ({ C, H, W, spec }) => {
      const got = inceptionMultiplies([C, H, W], spec);
      const expected = referenceInceptionMultiplies([C, H, W], spec);
      const call = `inceptionMultiplies([${C}, ${H}, ${W}], ${specName(spec)})`;
      expect({ ...got, outputShape: [...got.outputShape] }, call).toEqual({ ...expected, outputShape: [...expected.outputShape] });
    });
  });
});
