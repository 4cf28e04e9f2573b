import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maxAbs, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { directConv, directRelu, pattern, pieceGradient } from './block-test-support.js';
import { concatChannels, splitChannels } from './concat.js';
import { conv2dBackward, conv2dForward } from './conv2d.js';
import {
  convMultiplies,
  inceptionBackward,
  inceptionChannels,
  inceptionForward,
  inceptionMultiplies,
  inceptionParamShapes,
  initInceptionParams,
  type InceptionCache,
  type InceptionParams,
  type InceptionSpec,
} from './inception.js';
import { maxPool2dBackward, maxPool2dForward } from './maxpool2d.js';
import { reluBackward, reluForward } from './relu.js';
import { distinctTensor, expectClose, expectGradient, FC_OPTS } from './test-support.js';

/** 3x3 max pooling, stride 1, padding 1 (padding never wins), written out. */
function directPool3(x: Tensor): Tensor {
  const [N, C, H, W] = x.shape;
  const out = Tensor.zeros(x.shape);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < H; i++)
        for (let j = 0; j < W; j++) {
          let m = -Infinity;
          for (let a = i - 1; a <= i + 1; a++) for (let e = j - 1; e <= j + 1; e++) if (a >= 0 && a < H && e >= 0 && e < W) m = Math.max(m, x.get(n, c, a, e));
          out.set(m, n, c, i, j);
        }
  return out;
}

/** The four branches written out with the direct oracles, in the documented order. */
function directBranches(x: Tensor, p: InceptionParams): Tensor[] {
  const cr = (t: Tensor, w: Tensor, b: Tensor, pad: number) => directRelu(directConv(t, w, b, 1, pad));
  return [
    cr(x, p.w1, p.b1, 0),
    cr(cr(x, p.w3reduce, p.b3reduce, 0), p.w3, p.b3, 1),
    cr(cr(x, p.w5reduce, p.b5reduce, 0), p.w5, p.b5, 2),
    cr(directPool3(x), p.wPoolProj, p.bPoolProj, 0),
  ];
}

/** He-initialised parameters with non-zero biases, so every bias gradient is exercised. */
function params(C: number, spec: InceptionSpec, rng: Rng): InceptionParams {
  const p = initInceptionParams(C, spec, rng) as unknown as Record<string, Tensor>;
  for (const k of Object.keys(p)) if (p[k].ndim === 1) p[k] = rng.randn(p[k].shape, 0.3);
  return p as unknown as InceptionParams;
}

const patternOf = (c: InceptionCache): string =>
  pattern([c.conv1.relu, c.conv3reduce.relu, c.conv3.relu, c.conv5reduce.relu, c.conv5.relu, c.convPoolProj.relu], [c.pool]);

const specName = (s: InceptionSpec): string => `spec=[${s.c1},${s.c3reduce}>${s.c3},${s.c5reduce}>${s.c5},p${s.poolProj}]`;

/** Inception (3a) and (3b) of GoogLeNet, Szegedy et al. 2015, Table 1. */
const INCEPTION_3A: InceptionSpec = { c1: 64, c3reduce: 96, c3: 128, c5reduce: 16, c5: 32, poolProj: 32 };
const INCEPTION_3B: InceptionSpec = { c1: 128, c3reduce: 128, c3: 192, c5reduce: 32, c5: 96, poolProj: 64 };

/** Random inception configurations: N 1-2, C 1-3, H, W 1-5, filter counts 1-3. */
const specCases = fc.record({
  N: fc.integer({ min: 1, max: 2 }),
  C: fc.integer({ min: 1, max: 3 }),
  H: fc.integer({ min: 1, max: 5 }),
  W: fc.integer({ min: 1, max: 5 }),
  spec: fc.record({
    c1: fc.integer({ min: 1, max: 2 }),
    c3reduce: fc.integer({ min: 1, max: 3 }),
    c3: fc.integer({ min: 1, max: 2 }),
    c5reduce: fc.integer({ min: 1, max: 2 }),
    c5: fc.integer({ min: 1, max: 2 }),
    poolProj: fc.integer({ min: 1, max: 2 }),
  }),
  seed: fc.integer(),
});

describe('inceptionForward', () => {
  it('x=[2,3,5,4] spec=[2,2>3,1>2,p1]: out [2,8,5,4]; branches concatenated as 1x1 | 3x3 | 5x5 | pool, equal to the direct loops', () => {
    const spec: InceptionSpec = { c1: 2, c3reduce: 2, c3: 3, c5reduce: 1, c5: 2, poolProj: 1 };
    const rng = new Rng(2);
    const p = params(3, spec, rng);
    const x = rng.randn([2, 3, 5, 4]);
    const { out } = inceptionForward(x, p, spec);
    expect(out.shape).toEqual([2, inceptionChannels(spec), 5, 4]);
    expect(inceptionChannels(spec)).toBe(8);
    const parts = splitChannels(out, [2, 3, 2, 1]);
    const expected = directBranches(x, p);
    ['1x1', '3x3', '5x5', 'pool'].forEach((name, i) => expectClose(`inceptionForward: ${name} branch`, parts[i], expected[i], 1e-12, 1e-12));
  });

  it('random x=[1-2,1-3,1-6,1-6], counts 1-3: every branch equals the direct loops', () => {
    fc.assert(
      fc.property(specCases, (c) => {
        const rng = new Rng(c.seed);
        const p = params(c.C, c.spec, rng);
        const x = rng.randn([c.N, c.C, c.H, c.W]);
        const { out } = inceptionForward(x, p, c.spec);
        expectClose(`inceptionForward ${specName(c.spec)}: out`, out, concatChannels(directBranches(x, p)), 1e-12, 1e-12);
      }),
      { ...FC_OPTS, numRuns: 10 },
    );
  });

  it('x=[1,192,28,28] spec=inception (3a): out [1,256,28,28] (GoogLeNet, Table 1)', () => {
    const rng = new Rng(3);
    const { out } = inceptionForward(rng.randn([1, 192, 28, 28]), initInceptionParams(192, INCEPTION_3A, rng), INCEPTION_3A);
    expect(out.shape).toEqual([1, 256, 28, 28]);
  });

  it('x=[1,2,4,4]: does not modify x or the parameters', () => {
    const spec: InceptionSpec = { c1: 1, c3reduce: 1, c3: 1, c5reduce: 1, c5: 1, poolProj: 1 };
    const rng = new Rng(4);
    const p = params(2, spec, rng);
    const x = rng.randn([1, 2, 4, 4]);
    const snapshot = () => [x, ...Object.values(p)].map((t: Tensor) => [...t.data]);
    const before = snapshot();
    const { out, cache } = inceptionForward(x, p, spec);
    inceptionBackward(rng.randn(out.shape), cache);
    expect(snapshot()).toEqual(before);
  });
});

describe('inceptionBackward', () => {
  it('x=[2,3,5,5]: dx = the sum of the four branches\' dx, each computed separately; dout is split 1x1 | 3x3 | 5x5 | pool', () => {
    const spec: InceptionSpec = { c1: 2, c3reduce: 2, c3: 3, c5reduce: 2, c5: 2, poolProj: 2 };
    const rng = new Rng(5);
    const p = params(3, spec, rng);
    const x = rng.randn([2, 3, 5, 5]);
    const { out, cache } = inceptionForward(x, p, spec);
    const dout = rng.randn(out.shape);
    const { dx, dw3, dwPoolProj } = inceptionBackward(dout, cache);

    const [d1, d3, d5, dp] = splitChannels(dout, [2, 3, 2, 2]);
    const convRelu = (t: Tensor, w: Tensor, b: Tensor, pad: number) => {
      const c = conv2dForward(t, w, b, { pad });
      const r = reluForward(c.out);
      return { out: r.out, back: (g: Tensor) => conv2dBackward(reluBackward(g, r.cache).dx, c.cache) };
    };
    const b1 = convRelu(x, p.w1, p.b1, 0);
    const b3r = convRelu(x, p.w3reduce, p.b3reduce, 0);
    const b3 = convRelu(b3r.out, p.w3, p.b3, 1);
    const b5r = convRelu(x, p.w5reduce, p.b5reduce, 0);
    const b5 = convRelu(b5r.out, p.w5, p.b5, 2);
    const pool = maxPool2dForward(x, { kernel: 3, stride: 1, pad: 1 });
    const bp = convRelu(pool.out, p.wPoolProj, p.bPoolProj, 0);
    const g3 = b3.back(d3);
    const gp = bp.back(dp);
    const branches = [b1.back(d1).dx, b3r.back(g3.dx).dx, b5r.back(b5.back(d5).dx).dx, maxPool2dBackward(gp.dx, pool.cache).dx];
    for (const g of branches) expect(maxAbs(g)).toBeGreaterThan(0.01);
    const sum = branches.reduce((a, g) => a.map((v, i) => v + g.data[i]));
    expectClose('inceptionBackward: dx', dx, sum, 1e-12, 1e-12);
    expectClose('inceptionBackward: dw3', dw3, g3.dw, 1e-12, 1e-12);
    expectClose('inceptionBackward: dwPoolProj', dwPoolProj, gp.dw, 1e-12, 1e-12);
  });

  it('random x=[1-2,1-3,1-5,1-5], counts 1-3, distinct x (no pooling ties): dx and all twelve parameter gradients match numerical ones (rel. error < 1e-6)', () => {
    fc.assert(
      fc.property(specCases, (c) => {
        const rng = new Rng(c.seed);
        const p = params(c.C, c.spec, rng);
        const x = distinctTensor(rng, [c.N, c.C, c.H, c.W]);
        const { out, cache } = inceptionForward(x, p, c.spec);
        const dout = rng.randn(out.shape);
        const grads = inceptionBackward(dout, cache) as unknown as Record<string, Tensor>;
        const name = `inceptionBackward x=[${c.N},${c.C},${c.H},${c.W}] ${specName(c.spec)}`;
        const keys = Object.keys(inceptionParamShapes(c.C, c.spec)) as (keyof InceptionParams)[];
        expect(Object.keys(grads).sort()).toEqual(['x', ...keys].map((k) => `d${k}`).sort());
        const numeric = [
          ['x', pieceGradient((t) => inceptionForward(t, p, c.spec), patternOf, x, dout)] as const,
          ...keys.map((k) => [k, pieceGradient((t) => inceptionForward(x, { ...p, [k]: t }, c.spec), patternOf, p[k], dout)] as const),
        ];
        fc.pre(numeric.every(([, r]) => !r.crossed));
        for (const [k, r] of numeric) expectGradient(`${name}: d${k}`, grads[`d${k}`], r.grad);
      }),
      FC_OPTS,
    );
  });
});

describe('inception cost (multiplications per example)', () => {
  it("the lecture: 32x32x200 -> 1x1 (16) -> 5x5 (92): 1x1x200x32x32x16 + 5x5x16x32x32x92 = 40,960,000 vs 471,040,000 direct", () => {
    const bottleneck = convMultiplies([200, 32, 32], 16, 1) + convMultiplies([16, 32, 32], 92, 5, 1, 'same');
    expect(convMultiplies([200, 32, 32], 16, 1)).toBe(1 * 1 * 200 * 32 * 32 * 16);
    expect(convMultiplies([16, 32, 32], 92, 5, 1, 'same')).toBe(5 * 5 * 16 * 32 * 32 * 92);
    expect(bottleneck).toBe(40_960_000);
    expect(convMultiplies([200, 32, 32], 92, 5, 1, 'same')).toBe(471_040_000);
    // "about a tenth"
    expect(bottleneck / 471_040_000).toBeCloseTo(0.087, 3);
    const cost = inceptionMultiplies([200, 32, 32], { c1: 1, c3reduce: 1, c3: 1, c5reduce: 16, c5: 92, poolProj: 1 });
    expect(cost.c5reduce + cost.c5).toBe(40_960_000);
  });

  it('GoogLeNet, Table 1: inception (3a) 128M ops -> 256 channels, (3b) 304M ops -> 480 channels', () => {
    const a = inceptionMultiplies([192, 28, 28], INCEPTION_3A);
    expect(a.outputShape).toEqual([256, 28, 28]);
    expect(a.total).toBe(128_049_152);
    expect(Math.round(a.total / 1e6)).toBe(128);
    const b = inceptionMultiplies([256, 28, 28], INCEPTION_3B);
    expect(b.outputShape).toEqual([480, 28, 28]);
    expect(Math.round(b.total / 1e6)).toBe(304);
    expect(a.c3).toBe(3 * 3 * 96 * 28 * 28 * 128);
    expect(a.total).toBe(a.c1 + a.c3reduce + a.c3 + a.c5reduce + a.c5 + a.poolProj);
  });

  it('the weight count of inception (3a) is 163,328 (Table 1\'s "159K", in units of 1024)', () => {
    const shapes = inceptionParamShapes(192, INCEPTION_3A);
    const weights = Object.values(shapes).filter((s) => s.length === 4).reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
    expect(weights).toBe(163_328);
    expect(weights / 1024).toBeCloseTo(159.5, 1);
  });

  it('convMultiplies with stride and padding; errors', () => {
    // AlexNet conv1 (torchvision): 64 filters 11x11 stride 4 pad 2 on 3x224x224 -> 55x55
    expect(convMultiplies([3, 224, 224], 64, 11, 4, 2)).toBe(64 * 3 * 11 * 11 * 55 * 55);
    expect(() => convMultiplies([3, 4, 4], 2, 5)).toThrow(ShapeError);
    expect(() => inceptionMultiplies([3, 4], INCEPTION_3A)).toThrow('inceptionMultiplies: input must be one example\'s shape [C, H, W], got [3,4]');
    expect(() => inceptionMultiplies([3, 4, 4], { ...INCEPTION_3A, c5: 0 })).toThrow(new ValueError('inceptionMultiplies', 'spec.c5 must be an integer >= 1, got 0'));
  });
});

describe('inception input validation', () => {
  const spec: InceptionSpec = { c1: 2, c3reduce: 2, c3: 3, c5reduce: 1, c5: 2, poolProj: 1 };
  const rng = new Rng(6);
  const p = initInceptionParams(3, spec, rng);
  const x = rng.randn([2, 3, 5, 5]);

  it.each([
    ['x 3-D', () => inceptionForward(Tensor.zeros([3, 5, 5]), p, spec), ShapeError, 'inception: x must be 4-D [N, C, H, W], got [3,5,5]'],
    ['w3 kernel', () => inceptionForward(x, { ...p, w3: Tensor.zeros([3, 2, 5, 5]) }, spec), ShapeError, 'inception: w3 must have shape [3,2,3,3], got [3,2,5,5]'],
    ['x channels', () => inceptionForward(Tensor.zeros([2, 4, 5, 5]), p, spec), ShapeError, 'inception: w1 must have shape [2,4,1,1], got [2,3,1,1]'],
    ['missing bPoolProj', () => inceptionForward(x, { ...p, bPoolProj: undefined as unknown as Tensor }, spec), ShapeError, 'inception: bPoolProj must be a Tensor, got undefined'],
    ['spec 0', () => inceptionForward(x, p, { ...spec, c3: 0 }), ValueError, 'inception: spec.c3 must be an integer >= 1, got 0'],
    ['NaN in w5', () => inceptionForward(x, { ...p, w5: p.w5.map((v, i) => (i === 0 ? NaN : v)) }, spec), ValueError, 'inception: w5 contains NaN at [0,0,0,0]'],
    ['empty image', () => inceptionForward(Tensor.zeros([1, 3, 0, 4]), p, spec), ShapeError, 'inception: x must have a non-empty image, got [1,3,0,4]'],
  ] as const)('%s', (_, fn, type, message) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(message);
  });

  it('inceptionBackward: dout of the wrong shape or a foreign cache', () => {
    const { cache } = inceptionForward(x, p, spec);
    expect(() => inceptionBackward(Tensor.zeros([2, 7, 5, 5]), cache)).toThrow(new ShapeError('inceptionBackward', 'dout must have shape [2,8,5,5], got [2,7,5,5]'));
    expect(() => inceptionBackward(Tensor.zeros([2, 8, 5, 5]), {} as InceptionCache)).toThrow(
      'inceptionBackward: cache must be the cache returned by inceptionForward (missing spec, conv1, conv3reduce, conv3, conv5reduce, conv5, pool, convPoolProj), got an object',
    );
  });
});
