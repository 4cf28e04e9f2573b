import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numericalGradient, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { reluBackward, reluForward, type ReluCache } from './relu.js';
import { awayFromZero, expectGradient, FC_OPTS, LINEAR_H } from './test-support.js';

/** Random shapes of 0 to 4 dimensions, sizes 1-5. */
const shapes = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 4 });

describe('reluForward / reluBackward', () => {
  it('x=[3]=[-2,0,3]: out [0,0,3]; dout=5 gives dx [0,0,5] (gradient 0 at x=0)', () => {
    const { out, cache } = reluForward(Tensor.from([-2, 0, 3]));
    expect(out.shape).toEqual([3]);
    expect([...out.data]).toEqual([0, 0, 3]);
    const { dx } = reluBackward(Tensor.from([5, 5, 5]), cache);
    expect(dx.shape).toEqual([3]);
    expect([...dx.data]).toEqual([0, 0, 5]);
  });

  it('x=[] (a scalar) and x=[2,0] (empty): shapes are kept', () => {
    expect(reluForward(Tensor.from(-1.5)).out.shape).toEqual([]);
    expect(reluForward(Tensor.from(-1.5)).out.data[0]).toBe(0);
    const { out, cache } = reluForward(Tensor.zeros([2, 0]));
    expect(out.shape).toEqual([2, 0]);
    expect(reluBackward(Tensor.zeros([2, 0]), cache).dx.shape).toEqual([2, 0]);
  });

  it('random shapes of 0-4 dimensions: out = max(0, x) elementwise, x is not modified', () => {
    fc.assert(
      fc.property(shapes, fc.integer(), (shape, seed) => {
        const x = new Rng(seed).randn(shape);
        const before = x.clone();
        const { out } = reluForward(x);
        expect(out.shape).toEqual(shape);
        expect([...out.data]).toEqual([...x.data].map((v) => Math.max(0, v)));
        expect(x.data).toEqual(before.data);
      }),
      FC_OPTS,
    );
  });

  it('random shapes of 0-4 dimensions, |x| >= 0.01: dx matches the numerical gradient (rel. error < 1e-6)', () => {
    fc.assert(
      fc.property(shapes, fc.integer(), (shape, seed) => {
        const rng = new Rng(seed);
        const x = awayFromZero(rng, shape);
        const { cache } = reluForward(x);
        const dout = rng.randn(shape);
        const { dx } = reluBackward(dout, cache);
        expect(dx.shape).toEqual(shape);
        expectGradient(`reluBackward x=[${shape.join(',')}]: dx`, dx, numericalGradient((t) => reluForward(t).out, x, dout, LINEAR_H));
      }),
      FC_OPTS,
    );
  });
});

describe('relu input validation', () => {
  it('x not a Tensor: ShapeError', () => {
    expect(() => reluForward(undefined as unknown as Tensor)).toThrow(new ShapeError('relu', 'x must be a Tensor, got undefined'));
  });

  it('NaN in x: ValueError naming the index', () => {
    expect(() => reluForward(Tensor.from([[1, 2], [NaN, 3]]))).toThrow(new ValueError('relu', 'x contains NaN at [1,0]'));
  });

  it('reluBackward: dout of the wrong shape, a NaN in dout, or a foreign cache', () => {
    const { cache } = reluForward(Tensor.zeros([2, 3]));
    expect(() => reluBackward(Tensor.zeros([3, 2]), cache)).toThrow(new ShapeError('reluBackward', 'dout must have shape [2,3], got [3,2]'));
    expect(() => reluBackward(Tensor.zeros([2, 3]).map((_, i) => (i === 4 ? NaN : 0)), cache)).toThrow(
      new ValueError('reluBackward', 'dout contains NaN at [1,1]'),
    );
    expect(() => reluBackward(Tensor.zeros([2, 3]), null as unknown as ReluCache)).toThrow(
      new ValueError('reluBackward', 'cache must be the cache returned by reluForward, got null'),
    );
  });
});
