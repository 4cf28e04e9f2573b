import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numericalGradient, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { softmaxCrossEntropy } from './softmax.js';
import { expectClose, expectGradient, FC_OPTS } from './test-support.js';

/** The oracle, straight from the definition (no max subtraction; fine for moderate scores). */
function naiveLoss(scores: Tensor, labels: ArrayLike<number>): { loss: number; dscores: Tensor } {
  const [N, C] = scores.shape;
  const dscores = Tensor.zeros([N, C]);
  let loss = 0;
  for (let n = 0; n < N; n++) {
    let z = 0;
    for (let c = 0; c < C; c++) z += Math.exp(scores.get(n, c));
    for (let c = 0; c < C; c++) {
      const p = Math.exp(scores.get(n, c)) / z;
      dscores.set((p - (c === labels[n] ? 1 : 0)) / N, n, c);
      if (c === labels[n]) loss -= Math.log(p) / N;
    }
  }
  return { loss, dscores };
}

/** Random cases: N 1-6, C 1-10, scores N(0, 3^2), labels uniform in [0, C). */
const cases = fc
  .record({ N: fc.integer({ min: 1, max: 6 }), C: fc.integer({ min: 1, max: 10 }), seed: fc.integer() })
  .map(({ N, C, seed }) => {
    const rng = new Rng(seed);
    return { N, C, rng, scores: rng.randn([N, C], 3), labels: Array.from({ length: N }, () => rng.int(0, C - 1)) };
  });

describe('softmaxCrossEntropy', () => {
  it('scores=[2,4] zeros labels [0,3]: loss log(4), dscores (p - onehot) / N', () => {
    const { loss, dscores } = softmaxCrossEntropy(Tensor.zeros([2, 4]), [0, 3]);
    expect(dscores.shape).toEqual([2, 4]);
    expect(loss).toBeCloseTo(Math.log(4), 14);
    expect(dscores.toArray()).toEqual([
      [-0.375, 0.125, 0.125, 0.125],
      [0.125, 0.125, 0.125, -0.375],
    ]);
  });

  it('scores=[1,2]=[[a,b]] label 0: loss log(1 + exp(b - a)) (the logistic loss)', () => {
    const { loss } = softmaxCrossEntropy(Tensor.from([[0.3, -1.2]]), Int32Array.of(0));
    expect(loss).toBeCloseTo(Math.log(1 + Math.exp(-1.2 - 0.3)), 14);
  });

  it('scores=[1,1]: one class, loss 0 and gradient 0', () => {
    const { loss, dscores } = softmaxCrossEntropy(Tensor.from([[42]]), [0]);
    expect(loss).toBe(0);
    expect([...dscores.data]).toEqual([0]);
  });

  it('scores=[2,2] with |s| = 1000: stable, finite loss 500 (the naive formula overflows)', () => {
    const scores = Tensor.from([[1000, 0], [-1000, 0]]);
    const { loss, dscores } = softmaxCrossEntropy(scores, [0, 0]);
    expect(loss).toBeCloseTo(500, 10); // example 0: log p = 0; example 1: log p = -1000
    expect(dscores.toArray()).toEqual([[0, 0], [-0.5, 0.5]]);
    expect(Number.isFinite(naiveLoss(scores, [0, 0]).loss)).toBe(false);
  });

  it('random scores=[1-6,1-10] ~ N(0, 9): loss and dscores equal the textbook formula within 1e-12; rows of dscores sum to 0', () => {
    fc.assert(
      fc.property(cases, ({ N, C, scores, labels }) => {
        const { loss, dscores } = softmaxCrossEntropy(scores, labels);
        const expected = naiveLoss(scores, labels);
        expect(dscores.shape).toEqual([N, C]);
        expect(Math.abs(loss - expected.loss)).toBeLessThanOrEqual(1e-12 * (1 + expected.loss));
        expectClose(`softmaxCrossEntropy scores=[${N},${C}]: dscores`, dscores, expected.dscores, 1e-12, 1e-15);
        for (let n = 0; n < N; n++) {
          let s = 0;
          for (let c = 0; c < C; c++) s += dscores.get(n, c);
          expect(Math.abs(s)).toBeLessThan(1e-15);
        }
      }),
      FC_OPTS,
    );
  });

  it('random scores=[1-6,1-10] ~ N(0, 9): dscores matches the numerical gradient of the loss (rel. error < 1e-6 above an absolute floor of 1e-9)', () => {
    fc.assert(
      fc.property(cases, ({ N, C, scores, labels }) => {
        const { dscores } = softmaxCrossEntropy(scores, labels);
        const numeric = numericalGradient((s) => Tensor.fromArray([softmaxCrossEntropy(s, labels).loss]), scores, Tensor.ones([1]));
        // Smooth op, default step 1e-5: the numerical gradient's round-off is about 1e-10 absolute
        // (worst 1.5e-10 over 1,000 random cases), so differences up to 1e-9 pass; entries are up to 1/N.
        expectGradient(`softmaxCrossEntropy scores=[${N},${C}]: dscores`, dscores, numeric, { atol: 1e-9 });
      }),
      FC_OPTS,
    );
  });
});

describe('softmaxCrossEntropy input validation', () => {
  const scores = Tensor.zeros([4, 10]);
  it.each([
    ['scores 1-D', () => softmaxCrossEntropy(Tensor.zeros([10]), [1]), ShapeError, 'softmaxCrossEntropy: scores must be 2-D [N, C], got [10]'],
    ['empty batch', () => softmaxCrossEntropy(Tensor.zeros([0, 10]), []), ShapeError, 'softmaxCrossEntropy: scores must have at least one example, got [0,10]'],
    ['no classes', () => softmaxCrossEntropy(Tensor.zeros([2, 0]), [0, 0]), ShapeError, 'softmaxCrossEntropy: scores must have at least one class, got [2,0]'],
    ['too few labels', () => softmaxCrossEntropy(scores, [1, 2, 3]), ShapeError, 'softmaxCrossEntropy: got 3 labels for 4 examples; scores [4,10]'],
    ['label out of range', () => softmaxCrossEntropy(scores, [0, 1, 10, 2]), ValueError, 'softmaxCrossEntropy: labels[2] = 10 is out of range [0, 10); scores [4,10]'],
    ['negative label', () => softmaxCrossEntropy(scores, [0, -1, 1, 2]), ValueError, 'softmaxCrossEntropy: labels[1] = -1 is out of range [0, 10); scores [4,10]'],
    ['non-integer label', () => softmaxCrossEntropy(scores, [0, 1.5, 1, 2]), ValueError, 'softmaxCrossEntropy: labels[1] = 1.5 is not an integer'],
    ['NaN label', () => softmaxCrossEntropy(scores, Float64Array.of(0, 1, 2, NaN)), ValueError, 'softmaxCrossEntropy: labels[3] = NaN is not an integer'],
    ['labels as a Tensor', () => softmaxCrossEntropy(scores, Tensor.zeros([4]) as unknown as number[]), ValueError, 'softmaxCrossEntropy: labels must be an array of 4 integers, got a Tensor [4] (pass its .data)'],
    ['labels missing', () => softmaxCrossEntropy(scores, undefined as unknown as number[]), ValueError, 'softmaxCrossEntropy: labels must be an array of 4 integers, got undefined'],
    ['NaN score', () => softmaxCrossEntropy(Tensor.from([[0, NaN]]), [1]), ValueError, 'softmaxCrossEntropy: scores contains NaN at [0,1]'],
  ])('%s: error naming softmaxCrossEntropy and the values', (_, fn, type, message) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(message);
  });
});
