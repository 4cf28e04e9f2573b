import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numericalGradient, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { affineBackward, affineForward, type AffineCache } from './affine.js';
import { expectClose, expectGradient, FC_OPTS, LINEAR_H } from './test-support.js';

/** The oracle: `out[n, m] = b[m] + sum over d of x[n, d] * w[d, m]`, reading x flat per example. */
function directAffine(x: Tensor, w: Tensor, b: Tensor): Tensor {
  const N = x.shape[0];
  const [D, M] = w.shape;
  const out = Tensor.zeros([N, M]);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      let acc = b.data[m];
      for (let d = 0; d < D; d++) acc += x.data[n * D + d] * w.data[d * M + m];
      out.data[n * M + m] = acc;
    }
  }
  return out;
}

/** Random cases: N 1-4, 1-3 per-example dimensions of size 1-4, M 1-5. */
const cases = fc.record({
  N: fc.integer({ min: 1, max: 4 }),
  dims: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
  M: fc.integer({ min: 1, max: 5 }),
  seed: fc.integer(),
});

function caseData({ N, dims, M, seed }: { N: number; dims: number[]; M: number; seed: number }) {
  const rng = new Rng(seed);
  const D = dims.reduce((a, d) => a * d, 1);
  const x = rng.randn([N, ...dims]);
  const w = rng.randn([D, M]);
  const b = rng.randn([M]);
  return { x, w, b, D, rng, name: `x=[${[N, ...dims].join(',')}] w=[${D},${M}]` };
}

describe('affineForward / affineBackward', () => {
  it('x=[2,2] w=[2,3] b=[3]: out [[1,2,13],[3,4,17]]', () => {
    const { out } = affineForward(Tensor.from([[1, 2], [3, 4]]), Tensor.from([[1, 0, 1], [0, 1, 1]]), Tensor.from([0, 0, 10]));
    expect(out.shape).toEqual([2, 3]);
    expect(out.toArray()).toEqual([[1, 2, 13], [3, 4, 17]]);
  });

  it('x=[2,2] w=[2,1] dout=1: dx [[1,1],[1,1]], dw [[4],[6]], db [2]', () => {
    const { cache } = affineForward(Tensor.from([[1, 2], [3, 4]]), Tensor.from([[1], [1]]), Tensor.from([0]));
    const { dx, dw, db } = affineBackward(Tensor.from([[1], [1]]), cache);
    expect(dx.toArray()).toEqual([[1, 1], [1, 1]]);
    expect(dw.toArray()).toEqual([[4], [6]]);
    expect(db.toArray()).toEqual([2]);
  });

  it('x=[2,3,2,2] w=[12,5]: a feature map is flattened in c, h, w order; out [2,5], dx [2,3,2,2]', () => {
    const rng = new Rng(1);
    const x = rng.randn([2, 3, 2, 2]);
    const w = rng.randn([12, 5]);
    const b = rng.randn([5]);
    const { out, cache } = affineForward(x, w, b);
    expect(out.shape).toEqual([2, 5]);
    let acc = b.get(4);
    for (let c = 0; c < 3; c++) for (let h = 0; h < 2; h++) for (let v = 0; v < 2; v++) acc += x.get(1, c, h, v) * w.get(c * 4 + h * 2 + v, 4);
    expect(out.get(1, 4)).toBeCloseTo(acc, 12);
    expect(affineBackward(Tensor.ones([2, 5]), cache).dx.shape).toEqual([2, 3, 2, 2]);
  });

  it('random x=[1-4, 1-3 dims of 1-4] w=[D,1-5]: out equals the plain-loop oracle within 1e-12', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const { x, w, b, name } = caseData(c);
        const { out } = affineForward(x, w, b);
        expect(out.shape, name).toEqual([c.N, c.M]);
        expectClose(`affineForward ${name}: out`, out, directAffine(x, w, b), 1e-12, 1e-12);
      }),
      FC_OPTS,
    );
  });

  it('random x=[1-4, 1-3 dims of 1-4] w=[D,1-5]: dx, dw, db match numerical gradients (rel. error < 1e-6)', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const { x, w, b, rng, name } = caseData(c);
        const { out, cache } = affineForward(x, w, b);
        const dout = rng.randn(out.shape);
        const { dx, dw, db } = affineBackward(dout, cache);
        expect(dx.shape, name).toEqual(x.shape);
        expect(dw.shape, name).toEqual(w.shape);
        expect(db.shape, name).toEqual(b.shape);
        expectGradient(`affineBackward ${name}: dx`, dx, numericalGradient((t) => affineForward(t, w, b).out, x, dout, LINEAR_H));
        expectGradient(`affineBackward ${name}: dw`, dw, numericalGradient((t) => affineForward(x, t, b).out, w, dout, LINEAR_H));
        expectGradient(`affineBackward ${name}: db`, db, numericalGradient((t) => affineForward(x, w, t).out, b, dout, LINEAR_H));
      }),
      FC_OPTS,
    );
  });
});

describe('affine input validation', () => {
  const x = Tensor.zeros([2, 3, 2, 2]);
  const w = Tensor.zeros([12, 5]);
  const b = Tensor.zeros([5]);
  it.each([
    ['features differ', () => affineForward(x, Tensor.zeros([13, 5]), b), 'affine: x has 12 features per example but w has 13 rows; x [2,3,2,2] (D = 12), w [13,5]'],
    ['features differ, 2-D x', () => affineForward(Tensor.zeros([2, 3]), Tensor.zeros([4, 5]), b), 'affine: x has 3 features per example but w has 4 rows; x [2,3], w [4,5]'],
    ['bias length', () => affineForward(x, w, Tensor.zeros([4])), 'affine: bias length (4) must match the number of outputs (5); b [4], w [12,5]'],
    ['x 1-D', () => affineForward(Tensor.zeros([5]), w, b), 'affine: x must be at least 2-D [N, d1, ..., dk], got [5]'],
    ['x not a Tensor', () => affineForward({} as Tensor, w, b), 'affine: x must be a Tensor, got object'],
    ['w 3-D', () => affineForward(x, Tensor.zeros([12, 5, 1]), b), 'affine: w must be 2-D [D, M], got [12,5,1]'],
    ['b 2-D', () => affineForward(x, w, Tensor.zeros([1, 5])), 'affine: b must be 1-D [M], got [1,5]'],
  ])('%s: ShapeError naming affine and the shapes', (_, fn, message) => {
    expect(fn).toThrow(ShapeError);
    expect(fn).toThrow(message);
  });

  it('Infinity in w: ValueError naming the index', () => {
    const bad = w.clone();
    bad.set(Infinity, 0, 3);
    expect(() => affineForward(x, bad, b)).toThrow(new ValueError('affine', 'w contains Infinity at [0,3]'));
  });

  it('affineBackward: dout of the wrong shape, a NaN in dout, or a foreign cache', () => {
    const { cache } = affineForward(Tensor.zeros([2, 4]), Tensor.zeros([4, 5]), b);
    expect(() => affineBackward(Tensor.zeros([5, 2]), cache)).toThrow(new ShapeError('affineBackward', 'dout must have shape [2,5], got [5,2]'));
    expect(() => affineBackward(Tensor.full([2, 5], NaN), cache)).toThrow(new ValueError('affineBackward', 'dout contains NaN at [0,0]'));
    expect(() => affineBackward(Tensor.zeros([2, 5]), 'cache' as unknown as AffineCache)).toThrow(
      new ValueError('affineBackward', 'cache must be the cache returned by affineForward, got string'),
    );
  });
});
