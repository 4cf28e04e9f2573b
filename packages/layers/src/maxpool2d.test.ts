import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numericalGradient, Rng, ShapeError, Tensor, ValueError, type Pool2DParams } from '@dlkata/tensor';
import { maxPool2dBackward, maxPool2dForward, type MaxPool2dCache } from './maxpool2d.js';
import { asPair, distinctTensor, expectGradient, FC_OPTS, LINEAR_H } from './test-support.js';

/**
 * The oracle: pad with -Infinity (so padding never wins), then scan each window in row-major
 * order keeping the first strict maximum; the backward pass adds each `dout` to its window's
 * winner. Output size from PyTorch's formula, written out here.
 */
function directMaxPool(x: Tensor, [kh, kw]: [number, number], [sh, sw]: [number, number], [ph, pw]: [number, number], dout?: Tensor) {
  const [N, C, H, W] = x.shape;
  const HP = H + 2 * ph;
  const WP = W + 2 * pw;
  const OH = Math.floor((HP - kh) / sh) + 1;
  const OW = Math.floor((WP - kw) / sw) + 1;
  const out = Tensor.zeros([N, C, OH, OW]);
  const dx = Tensor.zeros(x.shape);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const padded: number[][] = Array.from({ length: HP }, (_, i) =>
        Array.from({ length: WP }, (_, j) => (i < ph || i >= H + ph || j < pw || j >= W + pw ? -Infinity : x.get(n, c, i - ph, j - pw))),
      );
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          let best = -Infinity;
          let at: [number, number] = [-1, -1];
          for (let a = 0; a < kh; a++) {
            for (let b = 0; b < kw; b++) {
              const v = padded[i * sh + a][j * sw + b];
              if (v > best) {
                best = v;
                at = [i * sh + a - ph, j * sw + b - pw];
              }
            }
          }
          out.set(best, n, c, i, j);
          if (dout) dx.set(dx.get(n, c, ...at) + dout.get(n, c, i, j), n, c, ...at);
        }
      }
    }
  }
  return { out, dx };
}

interface PoolCase {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly kernel: [number, number];
  readonly stride: [number, number];
  readonly pad: [number, number];
  readonly seed: number;
}

/** Random pooling configurations: N 1-2, C 1-3, H, W 1-8, window 1-4, stride 1-3, pad 0 to half the window. */
const poolCases: fc.Arbitrary<PoolCase> = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 8 }),
    W: fc.integer({ min: 1, max: 8 }),
    kernel: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
    stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    padFraction: fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
    seed: fc.integer(),
  })
  .map(({ padFraction, ...c }) => ({
    ...c,
    pad: [Math.floor(padFraction[0] * (Math.floor(c.kernel[0] / 2) + 0.999)), Math.floor(padFraction[1] * (Math.floor(c.kernel[1] / 2) + 0.999))] as [number, number],
  }))
  .filter((c) => c.kernel[0] <= c.H + 2 * c.pad[0] && c.kernel[1] <= c.W + 2 * c.pad[1]);

const poolName = (c: PoolCase) =>
  `x=[${c.N},${c.C},${c.H},${c.W}] k=[${c.kernel.join(',')}] s=[${c.stride.join(',')}] p=[${c.pad.join(',')}]`;
const poolParams = (c: PoolCase): Pool2DParams => ({ kernel: asPair(c.kernel), stride: asPair(c.stride), pad: asPair(c.pad) });

describe('maxPool2dForward / maxPool2dBackward', () => {
  it('x=[1,1,1,3]=[1,3,2] k=[1,2] s=1 dout=1 (overlapping windows): out [3,3], dx [0,2,0]', () => {
    const x = Tensor.from([[[[1, 3, 2]]]]);
    const { out, cache } = maxPool2dForward(x, { kernel: [1, 2], stride: 1 });
    expect(out.shape).toEqual([1, 1, 1, 2]);
    expect([...out.data]).toEqual([3, 3]);
    const { dx } = maxPool2dBackward(Tensor.ones([1, 1, 1, 2]), cache);
    expect(dx.shape).toEqual([1, 1, 1, 3]);
    expect([...dx.data]).toEqual([0, 2, 0]);
  });

  it('x=[1,1,2,2] all equal k=2: a tie goes to the first maximum in row-major order, dx [[1,0],[0,0]]', () => {
    const { out, cache } = maxPool2dForward(Tensor.full([1, 1, 2, 2], 5), { kernel: 2 });
    expect(out.shape).toEqual([1, 1, 1, 1]);
    expect(out.data[0]).toBe(5);
    expect([...maxPool2dBackward(Tensor.full([1, 1, 1, 1], 7), cache).dx.data]).toEqual([7, 0, 0, 0]);
  });

  it('x=[1,1,3,3] k=2 s=1 with ties [[1,4,4],[4,2,4],[0,4,1]]: each window picks its first 4', () => {
    const x = Tensor.from([[[[1, 4, 4], [4, 2, 4], [0, 4, 1]]]]);
    const { out, cache } = maxPool2dForward(x, { kernel: 2, stride: 1 });
    expect(out.shape).toEqual([1, 1, 2, 2]);
    expect([...out.data]).toEqual([4, 4, 4, 4]);
    // windows at (0,0), (0,1), (1,0), (1,1): first 4 at (0,1), (0,1), (1,0), (1,2)
    expect(maxPool2dBackward(Tensor.ones([1, 1, 2, 2]), cache).dx.toArray()).toEqual([[[[0, 2, 0], [1, 0, 1], [0, 0, 0]]]]);
  });

  it('x=[2,3,8,8] k=2 (the lecture\'s VGG pooling, stride defaults to the kernel): [2,3,4,4]', () => {
    const x = new Rng(1).randn([2, 3, 8, 8]);
    const { out } = maxPool2dForward(x, { kernel: 2 });
    expect(out.shape).toEqual([2, 3, 4, 4]);
    expect(out.toArray()).toEqual(directMaxPool(x, [2, 2], [2, 2], [0, 0]).out.toArray());
  });

  it('x=[1,2,5,5] k=3 s=1 p=1 (the lecture\'s inception pooling branch): keeps 5x5', () => {
    const x = new Rng(2).randn([1, 2, 5, 5]);
    const { out } = maxPool2dForward(x, { kernel: 3, stride: 1, pad: 1 });
    expect(out.shape).toEqual([1, 2, 5, 5]);
    expect(out.toArray()).toEqual(directMaxPool(x, [3, 3], [1, 1], [1, 1]).out.toArray());
  });

  it('x=[1,1,3,3] all negative k=2 s=1 p=1: padding never wins, every output is a real value', () => {
    const x = Tensor.from([[[[-1, -2, -3], [-4, -5, -6], [-7, -8, -9]]]]);
    const { out } = maxPool2dForward(x, { kernel: 2, stride: 1, pad: 1 });
    expect(out.shape).toEqual([1, 1, 4, 4]);
    expect(out.toArray()).toEqual([[[[-1, -1, -2, -3], [-1, -1, -2, -3], [-4, -4, -5, -6], [-7, -7, -8, -9]]]]);
  });

  it('random x=[1-2,1-3,1-8,1-8] k=1-4 s=1-3 p=0-k/2, values with ties: out and dx equal the plain-loop oracle exactly', () => {
    fc.assert(
      fc.property(poolCases, (c) => {
        const rng = new Rng(c.seed);
        // small integers: many ties, so the first-maximum rule is exercised
        const x = Tensor.zeros([c.N, c.C, c.H, c.W]).map(() => rng.int(-2, 2));
        const { out, cache } = maxPool2dForward(x, poolParams(c));
        const dout = rng.randn(out.shape);
        const expected = directMaxPool(x, c.kernel, c.stride, c.pad, dout);
        expect(out.shape, poolName(c)).toEqual(expected.out.shape);
        expect([...out.data], poolName(c)).toEqual([...expected.out.data]);
        const { dx } = maxPool2dBackward(dout, cache);
        expect(dx.shape, poolName(c)).toEqual(x.shape);
        for (let i = 0; i < dx.size; i++) expect(dx.data[i], `${poolName(c)} dx at ${i}`).toBeCloseTo(expected.dx.data[i], 12);
      }),
      FC_OPTS,
    );
  });

  it('random x=[1-2,1-3,1-8,1-8] k=1-4 s=1-3 p=0-k/2, distinct values: dx matches the numerical gradient (rel. error < 1e-6)', () => {
    fc.assert(
      fc.property(poolCases, (c) => {
        const rng = new Rng(c.seed);
        const x = distinctTensor(rng, [c.N, c.C, c.H, c.W]);
        const params = poolParams(c);
        const { out, cache } = maxPool2dForward(x, params);
        const dout = rng.randn(out.shape);
        const { dx } = maxPool2dBackward(dout, cache);
        expect(dx.shape, poolName(c)).toEqual(x.shape);
        expectGradient(`maxPool2dBackward ${poolName(c)}: dx`, dx, numericalGradient((t) => maxPool2dForward(t, params).out, x, dout, LINEAR_H));
      }),
      FC_OPTS,
    );
  });
});

describe('maxPool2d input validation', () => {
  const x = Tensor.zeros([1, 1, 2, 2]);
  it.each([
    ['window too large', () => maxPool2dForward(x, { kernel: 3 }), ShapeError, 'maxPool2d: window 3x3 does not fit input 2x2'],
    ['empty image with padding', () => maxPool2dForward(Tensor.zeros([1, 1, 0, 0]), { kernel: 2, pad: 1 }), ShapeError, 'maxPool2d: input height and width must be at least 1, got x [1,1,0,0]'],
    ['x 3-D', () => maxPool2dForward(Tensor.zeros([1, 2, 2]), { kernel: 2 }), ShapeError, 'maxPool2d: x must be 4-D [N, C, H, W], got [1,2,2]'],
    ['kernel 0', () => maxPool2dForward(x, { kernel: 0 }), ValueError, 'maxPool2d: kernel must be an integer >= 1, got 0'],
    ['stride 0', () => maxPool2dForward(x, { kernel: 2, stride: [1, 0] }), ValueError, 'maxPool2d: stride must be an integer >= 1, got [1, 0]'],
    ['pad above half the window', () => maxPool2dForward(x, { kernel: 2, pad: 2 }), ValueError, "maxPool2d: pad should be at most half the window (PyTorch's rule); got pad [2, 2] for window 2x2"],
    ['no params', () => maxPool2dForward(x, undefined as unknown as Pool2DParams), ValueError, 'maxPool2d: params must be an object { kernel, stride?, pad? }, got undefined'],
    ['NaN in x', () => maxPool2dForward(Tensor.from([[[[0, 1], [NaN, 2]]]]), { kernel: 2 }), ValueError, 'maxPool2d: x contains NaN at [0,0,1,0]'],
  ])('%s: error naming maxPool2d and the values', (_, fn, type, message) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(message);
  });

  it('maxPool2dBackward: dout of the wrong shape, a NaN in dout, or a foreign cache', () => {
    const { cache } = maxPool2dForward(Tensor.from([[[[1, 3, 2]]]]), { kernel: [1, 2], stride: 1 });
    expect(() => maxPool2dBackward(Tensor.ones([1, 1, 1, 3]), cache)).toThrow(ShapeError);
    expect(() => maxPool2dBackward(Tensor.ones([1, 1, 1, 3]), cache)).toThrow('maxPool2dBackward: dout must have shape [1,1,1,2], got [1,1,1,3]');
    expect(() => maxPool2dBackward(Tensor.from([[[[1, Infinity]]]]), cache)).toThrow(new ValueError('maxPool2dBackward', 'dout contains Infinity at [0,0,0,1]'));
    expect(() => maxPool2dBackward(Tensor.ones([1, 1, 1, 2]), { x: cache.x } as unknown as MaxPool2dCache)).toThrow(
      'maxPool2dBackward: cache must be the cache returned by maxPool2dForward (missing info, argmax), got an object',
    );
  });
});

describe('maxPool2d fast path (2x2, no padding) and the finiteness checks inside the loops', () => {
  /** 2x2 windows without padding, stride 1 or 2, with ties (values from a small set). */
  const twoByTwo = poolCases.map((c) => ({ ...c, kernel: [2, 2] as [number, number], pad: [0, 0] as [number, number], stride: [1 + (c.stride[0] % 2), 1 + (c.stride[1] % 2)] as [number, number] }))
    .filter((c) => c.H >= 2 && c.W >= 2);

  it('property: 2x2 windows (fast path), ties included, equal the direct oracle, out and dx', () => {
    fc.assert(
      fc.property(twoByTwo, (c) => {
        const rng = new Rng(c.seed);
        const x = rng.randn([c.N, c.C, c.H, c.W]).map((v) => Math.round(v)); // ties are frequent
        const { out, cache } = maxPool2dForward(x, poolParams(c));
        const dout = rng.randn(out.shape);
        const want = directMaxPool(x, c.kernel, c.stride, c.pad, dout);
        expect(out.data, poolName(c)).toEqual(want.out.data);
        expect(maxPool2dBackward(dout, cache).dx.data, poolName(c)).toEqual(want.dx.data);
      }),
      FC_OPTS,
    );
  });

  it('property: a NaN or infinity anywhere in x throws, even in cells no window reads (stride > window)', () => {
    fc.assert(
      fc.property(poolCases, fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity), (c, at, bad) => {
        const x = new Rng(c.seed).randn([c.N, c.C, c.H, c.W]);
        const i = at % x.size;
        x.data[i] = bad;
        expect(() => maxPool2dForward(x, poolParams(c)), poolName(c)).toThrow(new ValueError('maxPool2d', `x contains ${bad} at [${x.unravel(i).join(',')}]`));
      }),
      FC_OPTS,
    );
  });

  it('property: a NaN or infinity anywhere in dout throws naming its position', () => {
    fc.assert(
      fc.property(poolCases, fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity), (c, at, bad) => {
        const rng = new Rng(c.seed);
        const { out, cache } = maxPool2dForward(rng.randn([c.N, c.C, c.H, c.W]), poolParams(c));
        const dout = rng.randn(out.shape);
        const i = at % dout.size;
        dout.data[i] = bad;
        expect(() => maxPool2dBackward(dout, cache), poolName(c)).toThrow(new ValueError('maxPool2dBackward', `dout contains ${bad} at [${dout.unravel(i).join(',')}]`));
      }),
      FC_OPTS,
    );
  });

  it('x=[1,1,2,4] near the float64 maximum: window sums overflow, but finite input is accepted', () => {
    const big = Number.MAX_VALUE;
    const x = Tensor.from([[[[big, big, 1, 2], [big, big, 3, 4]]]]);
    expect(maxPool2dForward(x, { kernel: 2 }).out.data).toEqual(Float64Array.of(big, 4));
    expect(maxPool2dForward(x, { kernel: [2, 3], stride: 1 }).out.data).toEqual(Float64Array.of(big, big));
  });
});
