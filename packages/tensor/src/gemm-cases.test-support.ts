/**
 * What the GEMM tests share (not part of the package's API): the random data and the case
 * description both the blocked-vs-textbook test and the wasm-vs-TypeScript test draw from.
 *
 * @module
 */
import type { Rng } from './rng.js';

/**
 * Values spread over several orders of magnitude, with exact zeros, so that any change in
 * the order of summation would show up in the last bits.
 */
export function spreadArray(rng: Rng, n: number): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.uniform(0, 1);
    x[i] = u < 0.05 ? 0 : rng.uniform(-1, 1) * 10 ** Math.floor(rng.uniform(-3, 4));
  }
  return x;
}

/** A `[M, K]` and B `[K, N]` of {@link spreadArray} values, in that order from one rng. */
export function spreadOperands(rng: Rng, M: number, N: number, K: number): { a: Float64Array; b: Float64Array } {
  const a = spreadArray(rng, M * K);
  return { a, b: spreadArray(rng, K * N) };
}

/** One product: sizes, transposes, accumulation, offsets into the three arrays, data seed. */
export interface GemmCase {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly accumulate: boolean;
  readonly aOff: number;
  readonly bOff: number;
  readonly cOff: number;
  readonly seed: number;
}

/** A case in one line, for assertion messages. */
export const gemmCaseLabel = (t: GemmCase): string =>
  `M=${t.M} N=${t.N} K=${t.K}${t.transA ? ' transA' : ''}${t.transB ? ' transB' : ''}${t.accumulate ? ' accumulate' : ''} offsets=${t.aOff},${t.bOff},${t.cOff}`;

/** Both values of a boolean flag. */
export const FLAGS = [false, true] as const;
