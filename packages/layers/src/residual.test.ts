import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, maxAbs, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { directConv, directRelu, pattern, pieceGradient } from './block-test-support.js';
import { conv2dBackward, conv2dForward } from './conv2d.js';
import { reluBackward, reluForward } from './relu.js';
import {
  initResidualBlockParams,
  residualBlockBackward,
  residualBlockForward,
  residualNeedsProjection,
  type ResidualBlockCache,
  type ResidualBlockParams,
} from './residual.js';
import { expectClose, expectGradient, FC_OPTS } from './test-support.js';

const relu = directRelu;

/** The block written out with the direct convolution: relu(conv2(relu(conv1(x))) + shortcut(x)). */
function directBlock(x: Tensor, p: ResidualBlockParams, stride: number): Tensor {
  const h = relu(directConv(x, p.w1, p.b1, stride, 1));
  const main = directConv(h, p.w2, p.b2, 1, 1);
  const skip = p.ws && p.bs ? directConv(x, p.ws, p.bs, stride, 0) : x;
  return relu(main.map((v, i) => v + skip.data[i]));
}

/** He-initialised parameters with non-zero biases, so every bias gradient is exercised. */
function params(C: number, F: number, rng: Rng, stride: number, projection = false): ResidualBlockParams {
  const p = initResidualBlockParams(C, F, rng, { stride, projection });
  return {
    ...p,
    b1: rng.randn([F], 0.3),
    b2: rng.randn([F], 0.3),
    ...(p.bs ? { bs: rng.randn([F], 0.3) } : {}),
  };
}

const patternOf = (c: ResidualBlockCache): string => pattern([c.relu1, c.relu2]);

describe('residualBlockForward', () => {
  it.each([
    [[2, 4, 6, 6], 4, 1, false, [2, 4, 6, 6]],
    [[2, 3, 6, 5], 4, 1, true, [2, 4, 6, 5]],
    [[1, 3, 7, 8], 5, 2, true, [1, 5, 4, 4]],
    [[1, 2, 5, 1], 2, 2, true, [1, 2, 3, 1]],
    [[1, 1, 1, 1], 1, 3, true, [1, 1, 1, 1]],
  ] as const)('x=%j F=%i s=%i projection=%s: out %j, equal to the direct-loop block', (xShape, F, stride, proj, outShape) => {
    const rng = new Rng(7);
    const C = xShape[1];
    expect(residualNeedsProjection(C, F, stride)).toBe(proj);
    const p = params(C, F, rng, stride);
    expect(p.ws !== undefined).toBe(proj);
    const x = rng.randn([...xShape]);
    const { out } = residualBlockForward(x, p, { stride });
    expect(out.shape).toEqual(outShape);
    expectClose('residualBlockForward: out', out, directBlock(x, p, stride), 1e-12, 1e-12);
  });

  it('x=[2,4,5,5] F=4 with a projection although the identity would do (option C): out uses ws, bs', () => {
    const rng = new Rng(8);
    const p = params(4, 4, rng, 1, true);
    expect(p.ws?.shape).toEqual([4, 4, 1, 1]);
    const x = rng.randn([2, 4, 5, 5]);
    const { out, cache } = residualBlockForward(x, p);
    expect(cache.shortcut).not.toBeNull();
    expectClose('residualBlockForward: out', out, directBlock(x, p, 1), 1e-12, 1e-12);
  });

  it('x=[2,4,6,6] F=4, all weights and biases zero: out = relu(x), and = x for x >= 0 (the identity is easy to learn)', () => {
    const rng = new Rng(9);
    const zero: ResidualBlockParams = { w1: Tensor.zeros([4, 4, 3, 3]), b1: Tensor.zeros([4]), w2: Tensor.zeros([4, 4, 3, 3]), b2: Tensor.zeros([4]) };
    const x = rng.randn([2, 4, 6, 6]);
    expect([...residualBlockForward(x, zero).out.data]).toEqual([...relu(x).data]);
    const nonNegative = relu(x);
    const { out } = residualBlockForward(nonNegative, zero);
    expect(out.shape).toEqual(x.shape);
    expect([...out.data]).toEqual([...nonNegative.data]);
  });

  it('x=[1,3,6,6] F=5 s=2, zero main path: out = relu(1x1 projection of x at stride 2)', () => {
    const rng = new Rng(10);
    const p = params(3, 5, rng, 2);
    const zero = { ...p, w1: Tensor.zeros(p.w1.shape), b1: Tensor.zeros([5]), w2: Tensor.zeros(p.w2.shape), b2: Tensor.zeros([5]) };
    const x = rng.randn([1, 3, 6, 6]);
    const { out } = residualBlockForward(x, zero, { stride: 2 });
    expectClose('out', out, relu(directConv(x, p.ws!, p.bs!, 2, 0)), 1e-12, 1e-12);
  });

  it('x=[2,3,5,5] F=3 with 5x5 kernels: padding 2 keeps the size', () => {
    const rng = new Rng(11);
    const p = initResidualBlockParams(3, 3, rng, { kernel: 5 });
    expect(p.w1.shape).toEqual([3, 3, 5, 5]);
    const x = rng.randn([2, 3, 5, 5]);
    const { out } = residualBlockForward(x, p);
    const expected = relu(add(directConv(relu(directConv(x, p.w1, p.b1, 1, 2)), p.w2, p.b2, 1, 2), x));
    expectClose('out', out, expected, 1e-12, 1e-12);
  });

  it('x=[2,3,6,6] F=4 s=2: does not modify x or the parameters', () => {
    const rng = new Rng(12);
    const p = params(3, 4, rng, 2);
    const x = rng.randn([2, 3, 6, 6]);
    const before = [x, p.w1, p.b1, p.w2, p.b2, p.ws!, p.bs!].map((t) => [...t.data]);
    const { out, cache } = residualBlockForward(x, p, { stride: 2 });
    residualBlockBackward(rng.randn(out.shape), cache);
    expect([x, p.w1, p.b1, p.w2, p.b2, p.ws!, p.bs!].map((t) => [...t.data])).toEqual(before);
  });
});

describe('residualBlockBackward', () => {
  it('x=[2,3,7,6] F=4 s=2 (projection): dx = main-path dx + skip-path dx, each computed separately', () => {
    const rng = new Rng(20);
    const p = params(3, 4, rng, 2);
    const x = rng.randn([2, 3, 7, 6]);
    const { out, cache } = residualBlockForward(x, p, { stride: 2 });
    const dout = rng.randn(out.shape);
    const { dx } = residualBlockBackward(dout, cache);

    // The final ReLU passes dout where out > 0 (out = relu(sum), so out > 0 exactly where sum > 0).
    const g = dout.map((v, i) => (out.data[i] > 0 ? v : 0));
    const c1 = conv2dForward(x, p.w1, p.b1, { stride: 2, pad: 1 });
    const r1 = reluForward(c1.out);
    const c2 = conv2dForward(r1.out, p.w2, p.b2, { pad: 1 });
    const main = conv2dBackward(reluBackward(conv2dBackward(g, c2.cache).dx, r1.cache).dx, c1.cache).dx;
    const skip = conv2dBackward(g, conv2dForward(x, p.ws!, p.bs!, { stride: 2 }).cache).dx;
    expect(maxAbs(main)).toBeGreaterThan(0.1);
    expect(maxAbs(skip)).toBeGreaterThan(0.1);
    expectClose('residualBlockBackward: dx', dx, add(main, skip), 1e-12, 1e-12);
  });

  it('x=[2,4,5,5] F=4 (identity): the skip path passes g = dout * (out > 0) to dx unchanged', () => {
    const rng = new Rng(21);
    const p = params(4, 4, rng, 1);
    const x = rng.randn([2, 4, 5, 5]);
    const { out, cache } = residualBlockForward(x, p);
    const dout = rng.randn(out.shape);
    const { dx, dws, dbs } = residualBlockBackward(dout, cache);
    expect(dws).toBeUndefined();
    expect(dbs).toBeUndefined();
    const g = dout.map((v, i) => (out.data[i] > 0 ? v : 0));
    const c1 = conv2dForward(x, p.w1, p.b1, { pad: 1 });
    const r1 = reluForward(c1.out);
    const c2 = conv2dForward(r1.out, p.w2, p.b2, { pad: 1 });
    const main = conv2dBackward(reluBackward(conv2dBackward(g, c2.cache).dx, r1.cache).dx, c1.cache).dx;
    expectClose('residualBlockBackward: dx', dx, add(main, g), 1e-12, 1e-12);
  });

  it('x=[1,2,4,4] > 0, zero weights: dx = dout through the skip, while a plain stack without it passes no gradient at all', () => {
    const rng = new Rng(22);
    const zero: ResidualBlockParams = { w1: Tensor.zeros([2, 2, 3, 3]), b1: Tensor.zeros([2]), w2: Tensor.zeros([2, 2, 3, 3]), b2: Tensor.zeros([2]) };
    const x = rng.rand([1, 2, 4, 4], 0.5, 1.5);
    const dout = rng.randn([1, 2, 4, 4]);
    const { cache } = residualBlockForward(x, zero);
    const g = residualBlockBackward(dout, cache);
    expect([...g.dx.data]).toEqual([...dout.data]);
    // plain: relu(conv2(relu(conv1(x)))) with the same zero weights
    const c1 = conv2dForward(x, zero.w1, zero.b1, { pad: 1 });
    const r1 = reluForward(c1.out);
    const c2 = conv2dForward(r1.out, zero.w2, zero.b2, { pad: 1 });
    const r2 = reluForward(c2.out);
    const plain = conv2dBackward(reluBackward(conv2dBackward(reluBackward(dout, r2.cache).dx, c2.cache).dx, r1.cache).dx, c1.cache).dx;
    expect(maxAbs(plain)).toBe(0);
  });

  const cases = fc
    .record({
      N: fc.integer({ min: 1, max: 2 }),
      C: fc.integer({ min: 1, max: 3 }),
      F: fc.integer({ min: 1, max: 3 }),
      H: fc.integer({ min: 1, max: 6 }),
      W: fc.integer({ min: 1, max: 6 }),
      stride: fc.integer({ min: 1, max: 2 }),
      projection: fc.boolean(),
      seed: fc.integer(),
    })
    .map((c) => ({ ...c, projection: c.projection || residualNeedsProjection(c.C, c.F, c.stride) }));

  it('random x=[1-2,1-3,1-6,1-6] F=1-3 s=1-2, identity or projection: every gradient matches the numerical one (rel. error < 1e-6)', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const rng = new Rng(c.seed);
        const p = params(c.C, c.F, rng, c.stride, c.projection);
        const x = rng.randn([c.N, c.C, c.H, c.W]);
        const opts = { stride: c.stride };
        const { out, cache } = residualBlockForward(x, p, opts);
        const dout = rng.randn(out.shape);
        const grads = residualBlockBackward(dout, cache);
        const name = `residualBlockBackward x=[${c.N},${c.C},${c.H},${c.W}] F=${c.F} s=${c.stride}${c.projection ? ' projection' : ''}`;
        type Key = keyof ResidualBlockParams;
        const inputs: [string, Tensor, (t: Tensor) => ReturnType<typeof residualBlockForward>][] = [
          ['x', x, (t) => residualBlockForward(t, p, opts)],
          ...(Object.keys(p) as Key[]).map(
            (k) => [k, p[k]!, (t: Tensor) => residualBlockForward(x, { ...p, [k]: t }, opts)] as [string, Tensor, (t: Tensor) => ReturnType<typeof residualBlockForward>],
          ),
        ];
        expect(Object.keys(grads).sort()).toEqual(inputs.map(([k]) => `d${k}`).sort());
        const numeric = inputs.map(([k, t, f]) => [k, pieceGradient(f, patternOf, t, dout)] as const);
        fc.pre(numeric.every(([, r]) => !r.crossed));
        for (const [k, r] of numeric) {
          const analytic = (grads as unknown as Record<string, Tensor>)[`d${k}`];
          expect(analytic.shape, `${name}: d${k}`).toEqual(r.grad.shape);
          expectGradient(`${name}: d${k}`, analytic, r.grad);
        }
      }),
      FC_OPTS,
    );
  });
});

describe('residual block input validation', () => {
  const rng = new Rng(30);
  const x = rng.randn([2, 3, 8, 8]);
  const p = initResidualBlockParams(3, 4, rng);

  it.each([
    ['x 3-D', () => residualBlockForward(Tensor.zeros([3, 8, 8]), p), 'residualBlock: x must be 4-D [N, C, H, W], got [3,8,8]'],
    [
      'w1 channels',
      () => residualBlockForward(Tensor.zeros([2, 2, 8, 8]), p),
      "residualBlock: input channels (2) must match w1's channels (3); x [2,2,8,8], w1 [4,3,3,3]",
    ],
    ['even w1', () => residualBlockForward(x, { ...p, w1: Tensor.zeros([4, 3, 2, 2]) }), 'residualBlock: w1 must have an odd kernel'],
    ['b1 length', () => residualBlockForward(x, { ...p, b1: Tensor.zeros([3]) }), 'residualBlock: b1 must have shape [4], got [3]'],
    [
      'w2 channels',
      () => residualBlockForward(x, { ...p, w2: Tensor.zeros([4, 3, 3, 3]) }),
      'residualBlock: w2 must have shape [4,4,KH,KW] (F = 4 filters of F channels, F from w1), got [4,3,3,3]',
    ],
    ['ws shape', () => residualBlockForward(x, { ...p, ws: Tensor.zeros([4, 3, 3, 3]) }), 'residualBlock: ws must have shape [4,3,1,1], got [4,3,3,3]'],
    [
      'projection missing (channels)',
      () => residualBlockForward(x, { w1: p.w1, b1: p.b1, w2: p.w2, b2: p.b2 }),
      'residualBlock: the shortcut needs a projection ws [4,3,1,1] and bs [4]: input channels (3) differ from filters (4); x [2,3,8,8]',
    ],
    [
      'projection missing (stride)',
      () => residualBlockForward(Tensor.zeros([1, 4, 8, 8]), initResidualBlockParams(4, 4, rng), { stride: 2 }),
      'residualBlock: the shortcut needs a projection ws [4,4,1,1] and bs [4]: stride 2 changes H and W; x [1,4,8,8]',
    ],
  ])('%s: ShapeError naming the tensor', (_, fn, message) => {
    expect(fn).toThrow(ShapeError);
    expect(fn).toThrow(message);
  });

  it.each([
    ['stride 0', () => residualBlockForward(x, p, { stride: 0 }), 'residualBlock: stride must be an integer >= 1, got 0'],
    ['ws without bs', () => residualBlockForward(x, { w1: p.w1, b1: p.b1, w2: p.w2, b2: p.b2, ws: p.ws }), 'residualBlock: ws and bs come together: got ws without bs'],
    ['params null', () => residualBlockForward(x, null as unknown as ResidualBlockParams), 'residualBlock: params must be an object'],
    [
      'NaN in w2',
      () => residualBlockForward(x, { ...p, w2: p.w2.map((v, i) => (i === 5 ? NaN : v)) }),
      'residualBlock: w2 contains NaN at [0,0,1,2]',
    ],
  ])('%s: ValueError', (_, fn, message) => {
    expect(fn).toThrow(ValueError);
    expect(fn).toThrow(message);
  });

  it('residualBlockBackward: dout of the wrong shape, a NaN in dout, or a foreign cache', () => {
    const { out, cache } = residualBlockForward(x, p);
    expect(() => residualBlockBackward(Tensor.zeros([2, 4, 7, 7]), cache)).toThrow(
      new ShapeError('residualBlockBackward', 'dout must have shape [2,4,8,8], got [2,4,7,7]'),
    );
    expect(() => residualBlockBackward(out.map((_, i) => (i === 0 ? Infinity : 0)), cache)).toThrow(
      new ValueError('residualBlockBackward', 'dout contains Infinity at [0,0,0,0]'),
    );
    expect(() => residualBlockBackward(out, { conv1: cache.conv1 } as unknown as ResidualBlockCache)).toThrow(
      'residualBlockBackward: cache must be the cache returned by residualBlockForward (missing relu1, conv2, shortcut, relu2), got an object',
    );
  });

  it('initResidualBlockParams: shapes, He scale, projection only when needed or asked for', () => {
    const q = initResidualBlockParams(64, 64, new Rng(1));
    expect(q.ws).toBeUndefined();
    expect(q.w1.shape).toEqual([64, 64, 3, 3]);
    let s = 0;
    for (const v of q.w1.data) s += v * v;
    expect(Math.sqrt(s / q.w1.size)).toBeCloseTo(Math.sqrt(2 / (64 * 9)), 2);
    expect(initResidualBlockParams(64, 128, new Rng(1)).ws?.shape).toEqual([128, 64, 1, 1]);
    expect(initResidualBlockParams(8, 8, new Rng(1), { stride: 2 }).ws?.shape).toEqual([8, 8, 1, 1]);
    expect(initResidualBlockParams(8, 8, new Rng(1), { projection: true }).bs?.shape).toEqual([8]);
    expect(() => initResidualBlockParams(8, 8, new Rng(1), { kernel: 2 })).toThrow('initResidualBlockParams: kernel must be odd, got 2');
  });
});
