import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShapeError } from './errors.js';
import { gemm, matmul, transpose2d } from './gemm.js';
import { Rng } from './rng.js';
import { Tensor } from './tensor.js';

/**
 * Naive triple loop: C[i][j] (+)= sum_k opA[i][k] * opB[k][j], reading the stored layout
 * directly (no packing), as the oracle for {@link gemm}.
 */
function naiveGemm(
  M: number,
  N: number,
  K: number,
  a: Float64Array,
  aOff: number,
  b: Float64Array,
  bOff: number,
  c: Float64Array,
  cOff: number,
  transA: boolean,
  transB: boolean,
  accumulate: boolean,
): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const aik = transA ? a[aOff + k * M + i] : a[aOff + i * K + k];
        const bkj = transB ? b[bOff + j * K + k] : b[bOff + k * N + j];
        s += aik * bkj;
      }
      c[cOff + i * N + j] = (accumulate ? c[cOff + i * N + j] : 0) + s;
    }
  }
}

function randomArray(rng: Rng, n: number): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.uniform(-2, 2);
  return x;
}

describe('gemm', () => {
  it('gemm M=2 N=2 K=3: [[1,2,3],[4,5,6]] x [[7,8],[9,10],[11,12]] = [[58,64],[139,154]]', () => {
    const c = new Float64Array(4);
    gemm(2, 2, 3, Float64Array.of(1, 2, 3, 4, 5, 6), 0, Float64Array.of(7, 8, 9, 10, 11, 12), 0, c, 0);
    expect(Array.from(c)).toEqual([58, 64, 139, 154]);
  });

  it('gemm M=2 N=2 K=1 outer product (docstring example) -> [3,4,6,8]', () => {
    const c = new Float64Array(4);
    gemm(2, 2, 1, Float64Array.of(1, 2), 0, Float64Array.of(3, 4), 0, c, 0);
    expect(Array.from(c)).toEqual([3, 4, 6, 8]);
  });

  it('gemm transA transB: A stored [K,M], B stored [N,K] -> same product', () => {
    // A = [[1,2,3],[4,5,6]] stored transposed as [[1,4],[2,5],[3,6]]; B = [[7,8],[9,10],[11,12]] stored as [[7,9,11],[8,10,12]].
    const c = new Float64Array(4);
    gemm(2, 2, 3, Float64Array.of(1, 4, 2, 5, 3, 6), 0, Float64Array.of(7, 9, 11, 8, 10, 12), 0, c, 0, { transA: true, transB: true });
    expect(Array.from(c)).toEqual([58, 64, 139, 154]);
  });

  it('gemm accumulate: C = [1,1,1,1] + A B', () => {
    const c = Float64Array.of(1, 1, 1, 1);
    gemm(2, 2, 3, Float64Array.of(1, 2, 3, 4, 5, 6), 0, Float64Array.of(7, 8, 9, 10, 11, 12), 0, c, 0, { accumulate: true });
    expect(Array.from(c)).toEqual([59, 65, 140, 155]);
  });

  it('gemm without accumulate overwrites stale values in C', () => {
    const c = Float64Array.of(100, 100, 100, 100);
    gemm(2, 2, 1, Float64Array.of(1, 2), 0, Float64Array.of(3, 4), 0, c, 0);
    expect(Array.from(c)).toEqual([3, 4, 6, 8]);
  });

  it('gemm K=0 -> C = 0 (or unchanged with accumulate)', () => {
    const c = Float64Array.of(5, 5);
    gemm(1, 2, 0, new Float64Array(0), 0, new Float64Array(0), 0, c, 0);
    expect(Array.from(c)).toEqual([0, 0]);
    const d = Float64Array.of(5, 5);
    gemm(1, 2, 0, new Float64Array(0), 0, new Float64Array(0), 0, d, 0, { accumulate: true });
    expect(Array.from(d)).toEqual([5, 5]);
  });

  it('gemm A=[0] B=[NaN] / B=[Inf] -> NaN (0 * NaN propagates, as in NumPy)', () => {
    const c = new Float64Array(1);
    gemm(1, 1, 1, Float64Array.of(0), 0, Float64Array.of(NaN), 0, c, 0);
    expect(c[0]).toBeNaN();
    gemm(1, 1, 1, Float64Array.of(0), 0, Float64Array.of(Infinity), 0, c, 0);
    expect(c[0]).toBeNaN();
  });

  it('property: random M,N,K in 1..9 with transA/transB/accumulate/offsets equals the naive triple loop within 1e-12', () => {
    fc.assert(
      fc.property(
        fc.record({
          M: fc.integer({ min: 1, max: 9 }),
          N: fc.integer({ min: 1, max: 9 }),
          K: fc.integer({ min: 1, max: 9 }),
          transA: fc.boolean(),
          transB: fc.boolean(),
          accumulate: fc.boolean(),
          aOff: fc.integer({ min: 0, max: 5 }),
          bOff: fc.integer({ min: 0, max: 5 }),
          cOff: fc.integer({ min: 0, max: 5 }),
          seed: fc.integer(),
        }),
        ({ M, N, K, transA, transB, accumulate, aOff, bOff, cOff, seed }) => {
          const rng = new Rng(seed);
          const tail = 3; // guard cells after each operand
          const a = randomArray(rng, aOff + M * K + tail);
          const b = randomArray(rng, bOff + K * N + tail);
          const c = randomArray(rng, cOff + M * N + tail);
          const want = c.slice();
          naiveGemm(M, N, K, a, aOff, b, bOff, want, cOff, transA, transB, accumulate);
          const aCopy = a.slice();
          const bCopy = b.slice();
          gemm(M, N, K, a, aOff, b, bOff, c, cOff, { transA, transB, accumulate });
          for (let i = 0; i < c.length; i++) expect(Math.abs(c[i] - want[i])).toBeLessThanOrEqual(1e-12);
          // Only C's window is written; inputs are untouched.
          expect(Array.from(c.subarray(0, cOff))).toEqual(Array.from(want.subarray(0, cOff)));
          expect(Array.from(c.subarray(cOff + M * N))).toEqual(Array.from(want.subarray(cOff + M * N)));
          expect(Array.from(a)).toEqual(Array.from(aCopy));
          expect(Array.from(b)).toEqual(Array.from(bCopy));
        },
      ),
      { seed: 1, numRuns: 50 },
    );
  });

  for (const [M, N, K] of [
    [9, 9, 9],
    [17, 13, 11],
  ]) {
    it(`gemm M=${M} N=${N} K=${K} (above the small-product cutoff), every transA/transB/accumulate, offsets 1,2,3 -> naive loop within 1e-12`, () => {
      const rng = new Rng(M * 1000 + N * 10 + K);
      for (const transA of [false, true])
        for (const transB of [false, true])
          for (const accumulate of [false, true]) {
            const a = randomArray(rng, 1 + M * K);
            const b = randomArray(rng, 2 + K * N);
            const c = randomArray(rng, 3 + M * N + 2);
            const want = c.slice();
            naiveGemm(M, N, K, a, 1, b, 2, want, 3, transA, transB, accumulate);
            gemm(M, N, K, a, 1, b, 2, c, 3, { transA, transB, accumulate });
            let worst = 0;
            for (let i = 0; i < c.length; i++) worst = Math.max(worst, Math.abs(c[i] - want[i]));
            expect(worst, `transA=${transA} transB=${transB} accumulate=${accumulate}`).toBeLessThanOrEqual(1e-12);
          }
    });
  }

  it('gemm M=2 K=3 with aOff=2 on a 7-element array -> ShapeError "A needs 6 elements from offset 2"', () => {
    const run = () => gemm(2, 1, 3, new Float64Array(7), 2, new Float64Array(3), 0, new Float64Array(2), 0);
    expect(run).toThrow(ShapeError);
    expect(run).toThrow('gemm: A needs 6 elements from offset 2 but the array has 7');
  });

  it('gemm B or C too short / negative offset / M=-1 / K=1.5 -> ShapeError', () => {
    expect(() => gemm(1, 2, 2, new Float64Array(2), 0, new Float64Array(3), 0, new Float64Array(2), 0)).toThrow('gemm: B needs 4 elements from offset 0 but the array has 3');
    expect(() => gemm(1, 2, 2, new Float64Array(2), 0, new Float64Array(4), 0, new Float64Array(2), 1)).toThrow('gemm: C needs 2 elements from offset 1 but the array has 2');
    expect(() => gemm(1, 1, 1, new Float64Array(1), -1, new Float64Array(1), 0, new Float64Array(1), 0)).toThrow('gemm: offset of A must be an integer >= 0, got -1');
    expect(() => gemm(-1, 1, 1, new Float64Array(1), 0, new Float64Array(1), 0, new Float64Array(1), 0)).toThrow('gemm: M must be an integer >= 0, got -1');
    expect(() => gemm(1, 1, 1.5, new Float64Array(2), 0, new Float64Array(2), 0, new Float64Array(1), 0)).toThrow('gemm: K must be an integer >= 0, got 1.5');
  });
});

describe('matmul and transpose2d', () => {
  it('matmul [2,3] x [3,2] -> [2,2] = [[58,64],[139,154]]', () => {
    const out = matmul(
      Tensor.from([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      Tensor.from([
        [7, 8],
        [9, 10],
        [11, 12],
      ]),
    );
    expect(out.shape).toEqual([2, 2]);
    expect(out.toArray()).toEqual([
      [58, 64],
      [139, 154],
    ]);
  });

  it('matmul [1,3] x [3,1] -> [1,1] (inner product), [3,1] x [1,2] -> [3,2] (outer)', () => {
    expect(matmul(Tensor.from([[1, 2, 3]]), Tensor.from([[4], [5], [6]])).toArray()).toEqual([[32]]);
    expect(matmul(Tensor.from([[1], [2], [3]]), Tensor.from([[1, -1]])).toArray()).toEqual([
      [1, -1],
      [2, -2],
      [3, -3],
    ]);
  });

  it('matmul a=[2,3] b=[4,5] -> ShapeError "matmul: inner dimensions differ; a [2,3], b [4,5]"', () => {
    expect(() => matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5]))).toThrow(ShapeError);
    expect(() => matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5]))).toThrow('matmul: inner dimensions differ; a [2,3], b [4,5]');
  });

  it('matmul a=[2] b=[2,2] -> ShapeError "both operands must be 2-D"', () => {
    expect(() => matmul(Tensor.zeros([2]), Tensor.zeros([2, 2]))).toThrow('matmul: both operands must be 2-D; a [2], b [2,2]');
    expect(() => matmul(Tensor.zeros([2, 2]), Tensor.zeros([2, 2, 1]))).toThrow(ShapeError);
  });

  it('transpose2d [2,3] -> [3,2]', () => {
    const t = transpose2d(Tensor.from([
      [1, 2, 3],
      [4, 5, 6],
    ]));
    expect(t.shape).toEqual([3, 2]);
    expect(t.toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
  });

  it('transpose2d [2,3,4] -> ShapeError', () => {
    expect(() => transpose2d(Tensor.zeros([2, 3, 4]))).toThrow('transpose2d: a must be 2-D, got [2,3,4]');
  });
});
