/**
 * NumPy anchor: the library against NumPy on one BLAS thread, timed by `numpy_anchor.py` in
 * the same run, on the conv2d case's layer (im2col + matmul forward, x `[32,16,28,28]`,
 * w `[32,16,3,3]`, stride 1, pad 1, float64) and on GEMM 256^3. Goal of the "Speed" issue: the
 * library's conv forward within 4x of NumPy's. Skipped, with a line saying so, when
 * `python3 -c "import numpy"` fails.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { gemm, gemmKernel, Rng } from '@dlkata/tensor';
import { conv2dForward } from '../../src/index.js';
import { convFlops, convForwardLoops, convShape, gemmLoops, type ConvShape } from '../baselines.js';
import { compare, formatRatio, gflops, measure, timing, verify, type BenchCase, type BenchContext, type CaseResult, type Check, type Sample, type Timing } from '../harness.js';

const SHAPE: ConvShape = convShape({ N: 32, C: 16, H: 28, W: 28, F: 32, KH: 3, KW: 3, stride: 1, pad: 1 });
/** "Within 4x of NumPy": NumPy's time / ours >= 1/4. */
const WITHIN = 4;
const SCRIPT = fileURLToPath(new URL('../numpy_anchor.py', import.meta.url));
/** One BLAS thread whichever BLAS NumPy was built with. */
const ONE_THREAD = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

/** What `numpy_anchor.py` prints. */
interface NumpyResult {
  readonly numpy: string;
  readonly python: string;
  readonly blas: string;
  readonly blasThreads: number | null;
  readonly convForward: Sample & { readonly relError: number };
  readonly gemm256: Sample & { readonly relError: number };
}

export const numpyCase: BenchCase = {
  name: 'numpy',
  title: 'NumPy anchor (one BLAS thread): conv forward and GEMM 256^3',
  run,
};

function numpyAvailable(): string | undefined {
  const r = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (r.error) return `python3 not runnable: ${r.error.message}`;
  if (r.status !== 0) return `python3 -c "import numpy" failed: ${(r.stderr || '').trim().split('\n').pop()}`;
  return undefined;
}

async function run(ctx: BenchContext): Promise<CaseResult> {
  const timings: Timing[] = [];
  const checks: Check[] = [];
  const missing = numpyAvailable();
  if (missing !== undefined) {
    console.log(`numpy: skipped (${missing})`);
    return { timings, comparisons: [], checks };
  }
  ctx.progress('numpy: numpy_anchor.py');
  const r = spawnSync('python3', [SCRIPT, ...(ctx.quick ? ['--quick'] : [])], {
    encoding: 'utf8',
    env: { ...process.env, ...ONE_THREAD },
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`numpy_anchor.py failed (status ${r.status}): ${r.error?.message ?? r.stderr}`);
  const np = JSON.parse(r.stdout) as NumpyResult;
  const threads = np.blasThreads === null ? 'unknown' : String(np.blasThreads);
  console.log(`numpy ${np.numpy} (Python ${np.python}), BLAS ${np.blas}, BLAS threads ${threads} (OPENBLAS/OMP/MKL_NUM_THREADS=1)`);
  const npNote = `BLAS threads: ${threads}`;
  // NumPy checked its im2col conv against a direct one, and its matmul against einsum.
  checks.push({ bench: 'numpy conv forward', what: 'numpy im2col vs numpy direct (einsum)', error: np.convForward.relError, tolerance: 1e-12 });
  checks.push({ bench: 'numpy gemm 256^3', what: 'numpy matmul vs numpy einsum', error: np.gemm256.relError, tolerance: 1e-12 });

  // Ours, on the same shapes, checked against the plain loops.
  const s = SHAPE;
  const rng = new Rng(2024);
  const x = rng.randn([s.N, s.C, s.H, s.W]);
  const w = rng.randn([s.F, s.C, s.KH, s.KW], Math.sqrt(2 / (s.C * s.KH * s.KW)));
  const b = rng.randn([s.F], 0.1);
  const params = { stride: 1, pad: 1 } as const;
  verify(checks, 'numpy conv forward', 'library out vs plain loops', conv2dForward(x, w, b, params).out.data, convForwardLoops(x.data, w.data, b.data, s), 1e-12);
  const n = 256;
  const a = rng.randn([n, n]).data;
  const bb = rng.randn([n, n]).data;
  const c = new Float64Array(n * n);
  const want = new Float64Array(n * n);
  gemmLoops(n, n, n, a, bb, want);
  gemm(n, n, n, a, 0, bb, 0, c, 0);
  verify(checks, 'numpy gemm 256^3', 'library vs plain loop', c, want, 1e-12);

  const convFl = convFlops(s);
  const gemmFl = 2 * n * n * n;
  const ours = `library (gemm kernel: ${gemmKernel()})`;
  ctx.progress('numpy: library conv forward');
  const convOurs = timing('numpy conv forward', ours, measure(() => conv2dForward(x, w, b, params), { runs: ctx.quick ? 7 : 21, warmup: 3 }), (ms) => gflops(convFl, ms));
  const convNp = timing('numpy conv forward', 'numpy im2col + matmul', np.convForward, (ms) => gflops(convFl, ms), npNote);
  ctx.progress('numpy: library gemm 256^3');
  const gemmOurs = timing('numpy gemm 256^3', ours, measure(() => gemm(n, n, n, a, 0, bb, 0, c, 0), { runs: ctx.quick ? 15 : 51, warmup: 10 }), (ms) => gflops(gemmFl, ms));
  const gemmNp = timing('numpy gemm 256^3', 'numpy matmul', np.gemm256, (ms) => gflops(gemmFl, ms), npNote);
  timings.push(convOurs, convNp, gemmOurs, gemmNp);

  const conv = compare(convOurs, convNp, 1 / WITHIN);
  const slower = (t: number, base: number): string => (t / base).toFixed(2);
  console.log(
    `conv forward: ours / numpy = ${slower(convOurs.ms, convNp.ms)} wall clock (${formatMs2(convOurs.ms)} vs ${formatMs2(convNp.ms)} ms), ` +
      `${slower(convOurs.cpuMs, convNp.cpuMs)} CPU time; goal within ${WITHIN}x: ${convOurs.ms <= WITHIN * convNp.ms ? 'met' : 'NOT met'}`,
  );
  console.log(`gemm 256^3: ours / numpy = ${slower(gemmOurs.ms, gemmNp.ms)} wall clock, ${slower(gemmOurs.cpuMs, gemmNp.cpuMs)} CPU time (no goal)`);
  return { timings, comparisons: [conv, compare(gemmOurs, gemmNp)], checks };
}

function formatMs2(ms: number): string {
  return ms.toFixed(ms >= 10 ? 1 : 2);
}
