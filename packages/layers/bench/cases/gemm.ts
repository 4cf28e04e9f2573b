/**
 * GEMM alone: the library's cache-blocked, register-blocked `gemm` against the plain i-k-j loop,
 * on a square product and on the two products inside the conv2d benchmark.
 *
 * @module
 */
import { gemm, Rng } from '@dlkata/tensor';
import { gemmLoops } from '../baselines.js';
import { compare, gflops, measure, timing, verify, type BenchCase, type BenchContext, type CaseResult, type Check, type Comparison, type Timing } from '../harness.js';

/** `[M x K] x [K x N]` products; `what` says where they come from. */
const SHAPES: ReadonlyArray<{ M: number; K: number; N: number; what: string }> = [
  { M: 256, K: 256, N: 256, what: 'square' },
  { M: 32, K: 144, N: 784, what: 'conv forward: W x cols' },
  { M: 144, K: 32, N: 784, what: 'conv backward: W^T x dout' },
];

const LIB = 'library gemm (blocked 4x4)';
const LOOPS = 'plain i-k-j loop';

export const gemmCase: BenchCase = {
  name: 'gemm',
  title: 'GEMM, float64, one core',
  run,
};

async function run(ctx: BenchContext): Promise<CaseResult> {
  const rng = new Rng(7);
  const timings: Timing[] = [];
  const comparisons: Comparison[] = [];
  const checks: Check[] = [];
  for (const { M, K, N, what } of SHAPES) {
    const bench = `gemm [${M}x${K}] x [${K}x${N}] (${what})`;
    const a = rng.randn([M, K]).data;
    const b = rng.randn([K, N]).data;
    const c = new Float64Array(M * N);
    const want = new Float64Array(M * N);
    gemmLoops(M, N, K, a, b, want);
    gemm(M, N, K, a, 0, b, 0, c, 0);
    verify(checks, bench, 'library vs plain loop', c, want, 1e-12);
    const flops = 2 * M * N * K;
    ctx.progress(`${bench}: library`);
    const lib = timing(bench, LIB, measure(() => gemm(M, N, K, a, 0, b, 0, c, 0), { runs: ctx.quick ? 15 : 51, warmup: 10 }), (ms) => gflops(flops, ms));
    ctx.progress(`${bench}: plain loop`);
    const loops = timing(bench, LOOPS, measure(() => gemmLoops(M, N, K, a, b, want), { runs: ctx.quick ? 7 : 21, warmup: 5 }), (ms) => gflops(flops, ms));
    timings.push(lib, loops);
    comparisons.push(compare(lib, loops));
  }
  return { timings, comparisons, checks };
}
