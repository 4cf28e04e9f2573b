import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numericalGradient, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { wordEmbeddingBackward, wordEmbeddingForward, type WordEmbeddingCache } from './embedding.js';
import { expectGradient, FC_OPTS, LINEAR_H } from './test-support.js';
import type { IdGrid } from './validate.js';

/** Random cases: N 1-3, T 1-6, V 1-6 (small, so ids repeat), D 1-4. */
const cases = fc.record({
  N: fc.integer({ min: 1, max: 3 }),
  T: fc.integer({ min: 1, max: 6 }),
  V: fc.integer({ min: 1, max: 6 }),
  D: fc.integer({ min: 1, max: 4 }),
  seed: fc.integer(),
});

function caseData({ N, T, V, D, seed }: { N: number; T: number; V: number; D: number; seed: number }) {
  const rng = new Rng(seed);
  const ids = Array.from({ length: N }, () => Array.from({ length: T }, () => rng.int(0, V - 1)));
  return { ids, W: rng.randn([V, D]), rng, name: `ids (${N}, ${T}) W=[${V},${D}]` };
}

describe('wordEmbeddingForward / wordEmbeddingBackward', () => {
  it('ids [[2,1],[0,2]] W=[3,2]: out rows are W rows (docstring example)', () => {
    const W = Tensor.from([[0, 0], [1, 1], [2, 4]]);
    const { out } = wordEmbeddingForward([[2, 1], [0, 2]], W);
    expect(out.shape).toEqual([2, 2, 2]);
    expect(out.toArray()).toEqual([[[2, 4], [1, 1]], [[0, 0], [2, 4]]]);
  });

  it('ids [[1,1]]: a repeated id accumulates both gradients, dW[1] = [11, 22] (an "=" would give [10, 20])', () => {
    const { cache } = wordEmbeddingForward([[1, 1]], Tensor.zeros([3, 2]));
    const { dW } = wordEmbeddingBackward(Tensor.from([[[1, 2], [10, 20]]]), cache);
    expect(dW.toArray()).toEqual([[0, 0], [11, 22], [0, 0]]);
  });

  it('ids [[3,0,3],[3,3,1]]: id 3 occurs 4 times across rows, its gradient is the sum of all 4', () => {
    const ids = [[3, 0, 3], [3, 3, 1]];
    const { cache } = wordEmbeddingForward(ids, Tensor.zeros([5, 1]));
    const dout = Tensor.from([[[1], [2], [4]], [[8], [16], [32]]]);
    expect(wordEmbeddingBackward(dout, cache).dW.toArray()).toEqual([[2], [32], [0], [1 + 4 + 8 + 16], [0]]);
  });

  it('every id form gives the same result: number[][], Int32Array[], { data: Int32Array, shape }, a [N,T] Tensor', () => {
    const W = new Rng(0).randn([4, 3]);
    const forms: IdGrid[] = [
      [[0, 3, 2], [1, 1, 0]],
      [Int32Array.of(0, 3, 2), Int32Array.of(1, 1, 0)],
      { data: Int32Array.of(0, 3, 2, 1, 1, 0), shape: [2, 3] },
      Tensor.from([[0, 3, 2], [1, 1, 0]]),
    ];
    const outs = forms.map((ids) => wordEmbeddingForward(ids, W).out);
    for (const o of outs) expect(o.data).toEqual(outs[0].data);
  });

  it('random N=1-3 T=1-6 V=1-6 D=1-4: out[n,t,:] = W[ids[n][t], :]; dW matches the numerical gradient', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const { ids, W, rng, name } = caseData(c);
        const { out, cache } = wordEmbeddingForward(ids, W);
        expect(out.shape).toEqual([c.N, c.T, c.D]);
        for (let n = 0; n < c.N; n++) for (let t = 0; t < c.T; t++) for (let d = 0; d < c.D; d++) expect(out.get(n, t, d)).toBe(W.get(ids[n][t], d));
        const dout = rng.randn(out.shape);
        const { dW } = wordEmbeddingBackward(dout, cache);
        expectGradient(`wordEmbeddingBackward ${name}: dW`, dW, numericalGradient((w) => wordEmbeddingForward(ids, w).out, W, dout, LINEAR_H));
      }),
      FC_OPTS,
    );
  });

  it('the output is a copy: changing W afterwards does not change out', () => {
    const W = Tensor.from([[1, 2]]);
    const { out } = wordEmbeddingForward([[0]], W);
    W.set(5, 0, 0);
    expect(out.get(0, 0, 0)).toBe(1);
  });
});

describe('word embedding input validation', () => {
  const W = Tensor.zeros([10, 4]);
  it.each([
    ['id = V', () => wordEmbeddingForward([[0, 1, 2, 3], [4, 5, 6, 12]], W), 'wordEmbedding: token id 12 at [1,3] is outside the vocabulary [0, 10) (V = 10); W [10,4]'],
    ['negative id', () => wordEmbeddingForward([[-1]], W), 'wordEmbedding: token id -1 at [0,0] is outside the vocabulary [0, 10) (V = 10); W [10,4]'],
    ['id = V, flat form', () => wordEmbeddingForward({ data: Int32Array.of(0, 10), shape: [1, 2] }, W), 'wordEmbedding: token id 10 at [0,1] is outside the vocabulary [0, 10) (V = 10); W [10,4]'],
    ['fractional id', () => wordEmbeddingForward([[1, 1.5]], W), 'wordEmbedding: ids at [0,1] is 1.5, not an integer'],
    ['NaN id', () => wordEmbeddingForward([[NaN]], W), 'wordEmbedding: ids at [0,0] is NaN, not an integer'],
    ['NaN in W', () => wordEmbeddingForward([[0]], Tensor.full([2, 2], NaN)), 'wordEmbedding: W contains NaN at [0,0]'],
  ])('%s: ValueError naming the op and the value', (_, fn, message) => {
    expect(fn).toThrow(ValueError);
    expect(fn).toThrow(message);
  });

  it.each([
    ['empty sequences', () => wordEmbeddingForward([[], []], W), 'wordEmbedding: ids must have at least one time step (T >= 1), got N = 2, T = 0'],
    ['no sequences', () => wordEmbeddingForward([], W), 'wordEmbedding: ids must have at least one sequence (N >= 1), got N = 0, T = 0'],
    ['ragged rows', () => wordEmbeddingForward([[1, 2], [3]], W), 'wordEmbedding: ids must be rectangular (N, T): ids[0] has 2 entries but ids[1] is an array of length 1'],
    ['flat Int32Array without a shape', () => wordEmbeddingForward(Int32Array.of(1, 2) as unknown as IdGrid, W), 'wordEmbedding: ids must be N rows of T integers (e.g. number[][] or Int32Array[]) or { data, shape: [N, T] }, got a flat Int32Array of length 2'],
    ['1-D number array', () => wordEmbeddingForward([1, 2] as unknown as IdGrid, W), 'wordEmbedding: ids must be N rows of T integers (e.g. number[][] or Int32Array[]) or { data, shape: [N, T] }; ids[0] is number'],
    ['shape/data mismatch', () => wordEmbeddingForward({ data: Int32Array.of(1, 2, 3), shape: [2, 2] }, W), 'wordEmbedding: ids.data must hold N * T = 4 values for shape [2,2], got a flat Int32Array of length 3'],
    ['3-D shape', () => wordEmbeddingForward({ data: [1], shape: [1, 1, 1] }, W), 'wordEmbedding: ids.shape must be [N, T], got [1,1,1]'],
    ['W 1-D', () => wordEmbeddingForward([[0]], Tensor.zeros([4])), 'wordEmbedding: W must be 2-D [V, D], got [4]'],
    ['W empty', () => wordEmbeddingForward([[0]], Tensor.zeros([0, 4])), 'wordEmbedding: W must have at least one row and one column [V, D], got [0,4]'],
  ])('%s: ShapeError naming the op and the shapes', (_, fn, message) => {
    expect(fn).toThrow(ShapeError);
    expect(fn).toThrow(message);
  });

  it('backward: dout of the wrong shape, NaN, a foreign cache', () => {
    const { cache } = wordEmbeddingForward([[1, 2, 3], [4, 5, 6]], W);
    expect(() => wordEmbeddingBackward(Tensor.zeros([2, 3, 5]), cache)).toThrow(new ShapeError('wordEmbeddingBackward', 'dout must have shape [2,3,4], got [2,3,5]'));
    expect(() => wordEmbeddingBackward(Tensor.full([2, 3, 4], NaN), cache)).toThrow(new ValueError('wordEmbeddingBackward', 'dout contains NaN at [0,0,0]'));
    expect(() => wordEmbeddingBackward(Tensor.zeros([2, 3, 4]), { ids: new Int32Array(6) } as unknown as WordEmbeddingCache)).toThrow(
      new ValueError('wordEmbeddingBackward', 'cache must be the cache returned by wordEmbeddingForward (missing N, T, V, D), got an object'),
    );
  });
});
