/**
 * GEMM alone: the library's cache-blocked `gemm` with each of its two micro-kernels (WebAssembly
 * SIMD and TypeScript, see `setGemmKernel`) against the plain i-k-j loop, on a square product and
 * on the two products inside the conv2d benchmark. The goal of the "Speed" issue: the wasm kernel
 * at least 3x the TypeScript kernel at 256^3, on one core, measured in the same run.
 *
 * @module
 */
import { gemm, gemmKernel, Rng, setGemmKernel, type GemmKernelName } from '@dlkata/tensor';
import { gemmLoops } from '../baselines.js';
import { compare, formatRatio, gflops, measure, timing, verify, type BenchCase, type BenchContext, type CaseResult, type Check, type Comparison, type Timing } from '../harness.js';

/** `[M x K] x [K x N]` products; `what` says where they come from. */
const SHAPES: ReadonlyArray<{ M: number; K: number; N: number; what: string }> = [
  { M: 256, K: 256, N: 256, what: 'square' },
  { M: 32, K: 144, N: 784, what: 'conv forward: W x cols' },
  { M: 144, K: 32, N: 784, what: 'conv backward: W^T x dout' },
];

/** Floating-point operations per timed run of the library (about 15 ms with the wasm kernel). */
const REPS_FLOPS = 2.5e8;

/** Goal of the wasm kernel, as a speed ratio over the TypeScript kernel at 256^3. */
const GOAL_WASM_OVER_TS = 3;

const LIB: Record<GemmKernelName, string> = {
  wasm: 'library gemm, wasm SIMD kernel',
  ts: 'library gemm, TypeScript kernel',
};
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
  let kernels: GemmKernelName[] = ['wasm', 'ts'];
  try {
    setGemmKernel('wasm');
  } catch (e) {
    console.log(`gemm: no wasm kernel on this runtime (${e instanceof Error ? e.message : String(e)}); timing the TypeScript kernel only`);
    kernels = ['ts'];
  }
  try {
    for (const { M, K, N, what } of SHAPES) {
      const bench = `gemm [${M}x${K}] x [${K}x${N}] (${what})`;
      const a = rng.randn([M, K]).data;
      const b = rng.randn([K, N]).data;
      const c = new Float64Array(M * N);
      const want = new Float64Array(M * N);
      gemmLoops(M, N, K, a, b, want);
      const flops = 2 * M * N * K;
      const reps = Math.max(1, Math.round(REPS_FLOPS / flops));
      const lib: Partial<Record<GemmKernelName, Timing>> = {};
      for (const k of kernels) {
        setGemmKernel(k);
        if (gemmKernel() !== k) throw new Error(`gemm: asked for the ${k} kernel, got ${gemmKernel()}`);
        c.fill(0);
        gemm(M, N, K, a, 0, b, 0, c, 0);
        verify(checks, bench, `library (${k} kernel) vs plain loop`, c, want, 1e-12);
        ctx.progress(`${bench}: library, ${k} kernel`);
        // Several products per timed run, so that each run lasts a few milliseconds at least: the
        // CPU clock (process.cpuUsage) is too coarse for a single 2 ms product.
        const sample = measure(
          () => {
            for (let r = 0; r < reps; r++) gemm(M, N, K, a, 0, b, 0, c, 0);
          },
          { runs: ctx.quick ? 9 : 31, warmup: 3 },
        );
        lib[k] = timing(bench, LIB[k], sample, (ms) => gflops(flops, ms), `${reps} products per timed run`, 1 / reps);
        timings.push(lib[k]);
      }
      ctx.progress(`${bench}: plain loop`);
      const loops = timing(bench, LOOPS, measure(() => gemmLoops(M, N, K, a, b, want), { runs: ctx.quick ? 7 : 21, warmup: 5 }), (ms) => gflops(flops, ms));
      timings.push(loops);
      const square = M === 256 && N === 256 && K === 256;
      if (lib.wasm && lib.ts) {
        const r = compare(lib.wasm, lib.ts, square ? GOAL_WASM_OVER_TS : undefined);
        comparisons.push(r);
        if (square) {
          const g = (t: Timing): string => `${((flops / t.ms) * 1e-6).toFixed(2)} GFLOP/s wall (${((flops / t.cpuMs) * 1e-6).toFixed(2)} CPU)`;
          console.log(`GEMM 256^3: TypeScript kernel ${g(lib.ts)}, wasm SIMD kernel ${g(lib.wasm)}`);
          const verdict = (ratio: number): string => (ratio >= GOAL_WASM_OVER_TS ? 'met' : 'NOT met');
          // On a shared machine the wall clock also counts time lost to other processes; the CPU
          // time does not, so both verdicts are printed.
          console.log(
            `GEMM 256^3: wasm / TypeScript = ${formatRatio(r.ratio)} wall clock, ${formatRatio(r.cpuRatio)} CPU time; ` +
              `goal >= ${GOAL_WASM_OVER_TS}x: ${verdict(r.ratio)} (wall clock), ${verdict(r.cpuRatio)} (CPU time)`,
          );
        }
      }
      for (const k of kernels) comparisons.push(compare(lib[k]!, loops));
    }
  } finally {
    setGemmKernel('auto');
  }
  return { timings, comparisons, checks };
}
