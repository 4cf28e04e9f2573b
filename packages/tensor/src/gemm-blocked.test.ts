import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gemm } from './gemm.js';
import { FLAGS, gemmCaseLabel, spreadArray, type GemmCase } from './gemm-cases.test-support.js';
import { Rng } from './rng.js';

/**
 * The textbook loop in the order gemm promises: each entry starts at 0 (or at the old C with
 * `accumulate`) and adds `a[i][k] * b[k][j]` for k = 0, 1, ..., K-1. The blocked gemm must
 * equal it bit for bit, whatever its block sizes and micro-tiles.
 */
function textbookGemm(
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
      let s = accumulate ? c[cOff + i * N + j] : 0;
      for (let k = 0; k < K; k++) {
        const aik = transA ? a[aOff + k * M + i] : a[aOff + i * K + k];
        const bkj = transB ? b[bOff + j * K + k] : b[bOff + k * N + j];
        s += aik * bkj;
      }
      c[cOff + i * N + j] = s;
    }
  }
}


/** Runs gemm and the textbook loop on the same data; returns the first differing index of C's array, or -1. */
function firstMismatch(t: GemmCase): number {
  const { M, N, K, transA, transB, accumulate, aOff, bOff, cOff } = t;
  const rng = new Rng(t.seed);
  const tail = 5;
  const a = spreadArray(rng, aOff + M * K + tail);
  const b = spreadArray(rng, bOff + K * N + tail);
  const c = spreadArray(rng, cOff + M * N + tail);
  const want = c.slice();
  const aCopy = a.slice();
  const bCopy = b.slice();
  textbookGemm(M, N, K, a, aOff, b, bOff, want, cOff, transA, transB, accumulate);
  gemm(M, N, K, a, aOff, b, bOff, c, cOff, { transA, transB, accumulate });
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], aCopy[i])) return -2;
  for (let i = 0; i < b.length; i++) if (!Object.is(b[i], bCopy[i])) return -3;
  for (let i = 0; i < c.length; i++) {
    const scale = Math.max(1, Math.abs(want[i]));
    // Bit-for-bit is what gemm promises; 1e-12 relative is the documented minimum.
    if (!Object.is(c[i], want[i]) || Math.abs(c[i] - want[i]) > 1e-12 * scale) return i;
  }
  return -1;
}



describe('gemm (cache-blocked) equals the textbook loop bit for bit', () => {
  it('property: M,N,K in 1..70, every transA/transB/accumulate combination, offsets 0..7 (seed 20240611)', () => {
    fc.assert(
      fc.property(
        fc.record({
          M: fc.integer({ min: 1, max: 70 }),
          N: fc.integer({ min: 1, max: 70 }),
          K: fc.integer({ min: 1, max: 70 }),
          aOff: fc.integer({ min: 0, max: 7 }),
          bOff: fc.integer({ min: 0, max: 7 }),
          cOff: fc.integer({ min: 0, max: 7 }),
          seed: fc.integer(),
        }),
        (shape) => {
          for (const transA of FLAGS) {
            for (const transB of FLAGS) {
              for (const accumulate of FLAGS) {
                const t = { ...shape, transA, transB, accumulate };
                expect(firstMismatch(t), gemmCaseLabel(t)).toBe(-1);
              }
            }
          }
        },
      ),
      { seed: 20240611, numRuns: 60 },
    );
  });

  // Shapes that cross the block sizes (KC = 256, MC = 128, NC = 512) and leave ragged tiles.
  const boundary: Array<[number, number, number]> = [
    [1, 1, 1],
    [1, 300, 7],
    [300, 1, 7],
    [2, 2, 300],
    [4, 4, 256],
    [5, 7, 257],
    [129, 6, 9],
    [128, 5, 513],
    [131, 1030, 3],
    [5, 1029, 258],
    [33, 40, 520],
    [32, 784, 144],
    [32, 144, 784],
    [144, 784, 32],
  ];
  for (const [M, N, K] of boundary) {
    it(`M=${M} N=${N} K=${K}: every flag combination, offsets 3,1,2`, () => {
      let seed = M * 1_000_003 + N * 1009 + K;
      for (const transA of FLAGS) {
        for (const transB of FLAGS) {
          for (const accumulate of FLAGS) {
            const t = { M, N, K, transA, transB, accumulate, aOff: 3, bOff: 1, cOff: 2, seed: seed++ };
            expect(firstMismatch(t), gemmCaseLabel(t)).toBe(-1);
          }
        }
      }
    });
  }

  it('a zero in A does not hide NaN or Infinity in B, in the blocked path too (M=N=K=16)', () => {
    const M = 16;
    const a = new Float64Array(M * M);
    const b = new Float64Array(M * M).fill(1);
    b[5 * M + 9] = NaN;
    b[7 * M + 3] = Infinity;
    const c = new Float64Array(M * M);
    gemm(M, M, M, a, 0, b, 0, c, 0);
    for (let i = 0; i < M; i++) {
      expect(c[i * M + 9]).toBeNaN();
      expect(c[i * M + 3]).toBeNaN();
      expect(c[i * M + 0]).toBe(0);
    }
  });

  it('a large product, then a small one, then a large one with other FLAGS: reused buffers carry nothing over', () => {
    const seq: GemmCase[] = [
      { M: 200, N: 300, K: 270, transA: false, transB: false, accumulate: false, aOff: 0, bOff: 0, cOff: 0, seed: 1 },
      { M: 9, N: 11, K: 13, transA: true, transB: false, accumulate: true, aOff: 1, bOff: 2, cOff: 3, seed: 2 },
      { M: 150, N: 70, K: 300, transA: true, transB: true, accumulate: true, aOff: 0, bOff: 5, cOff: 1, seed: 3 },
    ];
    for (const t of seq) expect(firstMismatch(t), gemmCaseLabel(t)).toBe(-1);
  });
});
