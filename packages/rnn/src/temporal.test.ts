import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { softmaxCrossEntropy } from '@dlkata/layers';
import { numericalGradient, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { temporalAffineBackward, temporalAffineForward, temporalSoftmaxLoss, type TemporalAffineCache } from './temporal.js';
import { expectAllClose, expectGradient, FC_OPTS, LINEAR_H, SMOOTH_H } from './test-support.js';
import type { MaskGrid } from './validate.js';

const int = (min: number, max: number) => fc.integer({ min, max });

/** The oracle: `out[n, t, m] = b[m] + sum_d x[n, t, d] w[d, m]`, plain loops. */
function directAffine(x: Tensor, w: Tensor, b: Tensor): Tensor {
  const [N, T, D] = x.shape;
  const M = w.shape[1];
  const out = Tensor.zeros([N, T, M]);
  for (let n = 0; n < N; n++)
    for (let t = 0; t < T; t++)
      for (let m = 0; m < M; m++) {
        let a = b.get(m);
        for (let d = 0; d < D; d++) a += x.get(n, t, d) * w.get(d, m);
        out.set(a, n, t, m);
      }
  return out;
}

describe('temporalAffineForward / temporalAffineBackward', () => {
  const cases = fc.record({ N: int(1, 3), T: int(1, 8), D: int(1, 4), M: int(1, 5), seed: fc.integer() });

  it('x=[1,2,2] w=[2,1]: out = x w + b at every step, by hand', () => {
    const { out } = temporalAffineForward(Tensor.from([[[1, 2], [3, 4]]]), Tensor.from([[1], [10]]), Tensor.from([100]));
    expect(out.toArray()).toEqual([[[121], [143]]]);
  });

  it('random N=1-3 T=1-8 D=1-4 M=1-5: out equals the plain-loop oracle; dx, dw, db match numerical gradients', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const rng = new Rng(c.seed);
        const x = rng.randn([c.N, c.T, c.D]);
        const w = rng.randn([c.D, c.M]);
        const b = rng.randn([c.M]);
        const name = `temporalAffine x=[${c.N},${c.T},${c.D}] w=[${c.D},${c.M}]`;
        const { out, cache } = temporalAffineForward(x, w, b);
        expectAllClose(`${name}: out`, out, directAffine(x, w, b), 1e-12);
        const dout = rng.randn(out.shape);
        const g = temporalAffineBackward(dout, cache);
        expectGradient(`${name}: dx`, g.dx, numericalGradient((t) => temporalAffineForward(t, w, b).out, x, dout, LINEAR_H));
        expectGradient(`${name}: dw`, g.dw, numericalGradient((t) => temporalAffineForward(x, t, b).out, w, dout, LINEAR_H));
        expectGradient(`${name}: db`, g.db, numericalGradient((t) => temporalAffineForward(x, w, t).out, b, dout, LINEAR_H));
      }),
      FC_OPTS,
    );
  });

  it.each([
    ['empty sequence', () => temporalAffineForward(Tensor.zeros([2, 0, 3]), Tensor.zeros([3, 6]), Tensor.zeros([6])), 'temporalAffine: x must have at least one time step (T >= 1), got x [2,0,3]'],
    ['empty batch', () => temporalAffineForward(Tensor.zeros([0, 2, 3]), Tensor.zeros([3, 6]), Tensor.zeros([6])), 'temporalAffine: x must have at least one example (N >= 1), got x [0,2,3]'],
    ['no features', () => temporalAffineForward(Tensor.zeros([1, 2, 0]), Tensor.zeros([0, 6]), Tensor.zeros([6])), 'temporalAffine: x must have at least one feature (D >= 1), got x [1,2,0]'],
    ['no outputs', () => temporalAffineForward(Tensor.zeros([1, 2, 3]), Tensor.zeros([3, 0]), Tensor.zeros([0])), 'temporalAffine: w must have at least one output column, got w [3,0]'],
    ['D differs', () => temporalAffineForward(Tensor.zeros([2, 5, 3]), Tensor.zeros([4, 6]), Tensor.zeros([6])), 'temporalAffine: x has D = 3 features but w has 4 rows; x [2,5,3], w [4,6]'],
    ['b length', () => temporalAffineForward(Tensor.zeros([2, 5, 3]), Tensor.zeros([3, 6]), Tensor.zeros([5])), 'temporalAffine: b must be [M] = [6] for w [3,6], got [5]'],
    ['x 2-D', () => temporalAffineForward(Tensor.zeros([2, 3]), Tensor.zeros([3, 6]), Tensor.zeros([6])), 'temporalAffine: x must be 3-D [N, T, D], got [2,3]'],
  ])('%s: ShapeError naming the op and the shapes', (_, fn, message) => {
    expect(fn).toThrow(ShapeError);
    expect(fn).toThrow(message);
  });

  it('NaN in w, wrong dout, foreign cache: errors naming the op', () => {
    expect(() => temporalAffineForward(Tensor.zeros([1, 1, 2]), Tensor.full([2, 2], NaN), Tensor.zeros([2]))).toThrow(new ValueError('temporalAffine', 'w contains NaN at [0,0]'));
    const { cache } = temporalAffineForward(Tensor.zeros([2, 5, 3]), Tensor.zeros([3, 6]), Tensor.zeros([6]));
    expect(() => temporalAffineBackward(Tensor.zeros([2, 5, 5]), cache)).toThrow(new ShapeError('temporalAffineBackward', 'dout must have shape [2,5,6], got [2,5,5]'));
    expect(() => temporalAffineBackward(Tensor.zeros([2, 5, 6]), {} as TemporalAffineCache)).toThrow(
      new ValueError('temporalAffineBackward', 'cache must be the cache returned by temporalAffineForward (missing x, w, b), got an object'),
    );
  });
});

describe('temporalSoftmaxLoss', () => {
  it('scores 0, V=4, 4 of 6 positions unmasked, N=2: loss = 4 log(4) / 2 (docstring example)', () => {
    const { loss, dscores } = temporalSoftmaxLoss(Tensor.zeros([2, 3, 4]), [[0, 1, 2], [3, 0, 1]], [[1, 1, 1], [1, 0, 0]]);
    expect(loss).toBeCloseTo((4 * Math.log(4)) / 2, 14);
    // Unmasked position [0,0]: (p - onehot) / N = ([0.25, 0.25, 0.25, 0.25] - [1, 0, 0, 0]) / 2
    expect([0, 1, 2, 3].map((v) => dscores.get(0, 0, v))).toEqual([-0.375, 0.125, 0.125, 0.125]);
    // Masked positions get no gradient.
    for (let v = 0; v < 4; v++) expect(dscores.get(1, 1, v)).toBe(0);
  });

  it('T=1, no mask: equals softmaxCrossEntropy of @dlkata/layers (mean over N) on the same scores', () => {
    const rng = new Rng(2);
    const scores = rng.randn([5, 1, 7], 3);
    const y = [3, 0, 6, 6, 1];
    const ours = temporalSoftmaxLoss(scores, y.map((v) => [v]));
    const theirs = softmaxCrossEntropy(scores.reshape([5, 7]), y);
    expect(ours.loss).toBeCloseTo(theirs.loss, 13);
    expectAllClose('dscores', ours.dscores.reshape([5, 7]), theirs.dscores, 1e-15);
  });

  it('loss is the SUM over time steps divided by N (CS231n), not the mean over unmasked positions', () => {
    const rng = new Rng(3);
    const scores = rng.randn([2, 3, 5]);
    const y = [[1, 2, 3], [4, 0, 1]];
    const total = temporalSoftmaxLoss(scores, y).loss;
    let perStep = 0;
    for (let t = 0; t < 3; t++) {
      const s = Tensor.zeros([2, 1, 5]);
      for (let n = 0; n < 2; n++) for (let v = 0; v < 5; v++) s.set(scores.get(n, t, v), n, 0, v);
      perStep += temporalSoftmaxLoss(s, [[y[0][t]], [y[1][t]]]).loss;
    }
    expect(total).toBeCloseTo(perStep, 13);
  });

  it('random N=1-3 T=1-6 V=1-6 with random masks: dscores matches the numerical gradient; masked positions are exactly 0', () => {
    const cases = fc.record({ N: int(1, 3), T: int(1, 6), V: int(1, 6), seed: fc.integer() });
    fc.assert(
      fc.property(cases, (c) => {
        const rng = new Rng(c.seed);
        const scores = rng.randn([c.N, c.T, c.V], 2);
        const y = Array.from({ length: c.N }, () => Array.from({ length: c.T }, () => rng.int(0, c.V - 1)));
        const mask = Array.from({ length: c.N }, () => Array.from({ length: c.T }, () => rng.next() < 0.7));
        const { loss, dscores } = temporalSoftmaxLoss(scores, y, mask);
        expect(loss).toBeGreaterThanOrEqual(0);
        const lossOf = (s: Tensor) => Tensor.from([temporalSoftmaxLoss(s, y, mask).loss]);
        expectGradient(`temporalSoftmaxLoss N=${c.N} T=${c.T} V=${c.V}: dscores`, dscores, numericalGradient(lossOf, scores, Tensor.ones([1]), SMOOTH_H));
        for (let n = 0; n < c.N; n++) for (let t = 0; t < c.T; t++) if (!mask[n][t]) for (let v = 0; v < c.V; v++) expect(dscores.get(n, t, v)).toBe(0);
      }),
      FC_OPTS,
    );
  });

  it('mask forms agree: booleans, 0/1 numbers, { data: Uint8Array, shape }; no mask = all ones', () => {
    const rng = new Rng(4);
    const scores = rng.randn([2, 2, 3]);
    const y = [[0, 1], [2, 0]];
    const forms: MaskGrid[] = [
      [[true, false], [true, true]],
      [[1, 0], [1, 1]],
      { data: Uint8Array.of(1, 0, 1, 1), shape: [2, 2] },
    ];
    const losses = forms.map((m) => temporalSoftmaxLoss(scores, y, m).loss);
    expect(new Set(losses).size).toBe(1);
    expect(temporalSoftmaxLoss(scores, y).loss).toBe(temporalSoftmaxLoss(scores, y, [[1, 1], [1, 1]]).loss);
  });

  it('scores of +-1000: finite loss (log-sum-exp with the maximum subtracted)', () => {
    const { loss, dscores } = temporalSoftmaxLoss(Tensor.from([[[1000, -1000, 0]]]), [[1]]);
    expect(loss).toBeCloseTo(2000, 10);
    expect(dscores.data.every(Number.isFinite)).toBe(true);
  });

  it('masked-out positions may hold any integer id (padding such as -1); unmasked ones are range-checked', () => {
    const scores = Tensor.zeros([1, 3, 4]);
    expect(temporalSoftmaxLoss(scores, [[1, -1, 99]], [[1, 0, 0]]).loss).toBeCloseTo(Math.log(4), 14);
    expect(() => temporalSoftmaxLoss(scores, [[1, -1, 99]], [[1, 0, 1]])).toThrow(
      new ValueError('temporalSoftmaxLoss', 'target id 99 at [0,2] is outside the vocabulary [0, 4) (V = 4)'),
    );
  });

  it.each([
    ['target = V', () => temporalSoftmaxLoss(Tensor.zeros([2, 5, 10]), [[0, 0, 0, 0, 0], [0, 0, 0, 10, 0]]), ValueError, 'temporalSoftmaxLoss: target id 10 at [1,3] is outside the vocabulary [0, 10) (V = 10)'],
    ['fractional target', () => temporalSoftmaxLoss(Tensor.zeros([1, 2, 3]), [[0, 0.5]]), ValueError, 'temporalSoftmaxLoss: y at [0,1] is 0.5, not an integer'],
    ['mask of 0.5', () => temporalSoftmaxLoss(Tensor.zeros([1, 2, 3]), [[0, 1]], [[1, 0.5]]), ValueError, 'temporalSoftmaxLoss: mask at [0,1] is 0.5, not a boolean or 0/1'],
    ['NaN score', () => temporalSoftmaxLoss(Tensor.full([1, 1, 2], NaN), [[0]]), ValueError, 'temporalSoftmaxLoss: scores contains NaN at [0,0,0]'],
    ['y of another T', () => temporalSoftmaxLoss(Tensor.zeros([2, 5, 10]), [[0, 0, 0, 0], [0, 0, 0, 0]]), ShapeError, 'temporalSoftmaxLoss: y is (2, 4) but scores [2,5,10] needs (N, T) = (2, 5)'],
    ['mask of another N', () => temporalSoftmaxLoss(Tensor.zeros([2, 1, 3]), [[0], [0]], [[1]]), ShapeError, 'temporalSoftmaxLoss: mask is (1, 1) but scores [2,1,3] needs (N, T) = (2, 1)'],
    ['empty sequence', () => temporalSoftmaxLoss(Tensor.zeros([2, 0, 3]), [[], []]), ShapeError, 'temporalSoftmaxLoss: scores must have at least one time step (T >= 1), got scores [2,0,3]'],
    ['empty batch', () => temporalSoftmaxLoss(Tensor.zeros([0, 2, 3]), []), ShapeError, 'temporalSoftmaxLoss: scores must have at least one example (N >= 1), got scores [0,2,3]'],
    ['no classes', () => temporalSoftmaxLoss(Tensor.zeros([1, 2, 0]), [[0, 0]]), ShapeError, 'temporalSoftmaxLoss: scores must have at least one class (V >= 1), got scores [1,2,0]'],
    ['y not a grid', () => temporalSoftmaxLoss(Tensor.zeros([1, 2, 3]), 'ab' as unknown as number[][]), ShapeError, 'temporalSoftmaxLoss: y must be N rows of T integers (e.g. number[][] or Int32Array[]) or { data, shape: [N, T] }, got string'],
  ])('%s: error naming the op and the values', (_, fn, type, message) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(message);
  });
});
