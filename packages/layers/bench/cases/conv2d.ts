/**
 * conv2d, forward and forward+backward, on one CNN-sized layer: the library (im2col + GEMM)
 * against a plain-loop direct convolution and TensorFlow.js' CPU backend.
 *
 * @module
 */
import type { Tensor1D, Tensor4D } from '@tensorflow/tfjs';
import { Rng } from '@dlkata/tensor';
import { conv2dBackward, conv2dForward } from '../../src/index.js';
import { convBackwardLoops, convFlops, convForwardLoops, convShape, type ConvShape } from '../baselines.js';
import { compare, gflops, measure, timing, verify, type BenchCase, type BenchContext, type CaseResult, type Check, type Timing } from '../harness.js';
import { filtersFromTf, filtersToTf, loadTfCpu, nchwToNhwc, nhwcToNchw, type Tf } from '../tfjs.js';

/** The shape: N=32, C=16, 28x28, F=32, 3x3, stride 1, 'same' padding. */
const SHAPE: ConvShape = convShape({ N: 32, C: 16, H: 28, W: 28, F: 32, KH: 3, KW: 3, stride: 1, pad: 1 });

/** float64 library vs float64 loops: only summation order differs. */
const TOL_F64 = 1e-12;
/** float32 tfjs vs float64: `dw` sums N*OH*OW = 25,088 products in float32. */
const TOL_F32 = 1e-4;

/** Goals from the performance issue, as "library / tfjs-cpu" speed ratios. */
const GOAL_FORWARD = 2;
const GOAL_FORWARD_BACKWARD = 20;

const LIB = 'library (im2col + GEMM)';
const LOOPS = 'plain loops (direct)';
const TFJS = 'tfjs-cpu (float32, NHWC)';

export const conv2dCase: BenchCase = {
  name: 'conv2d',
  title: `conv2d x=[${SHAPE.N},${SHAPE.C},${SHAPE.H},${SHAPE.W}] w=[${SHAPE.F},${SHAPE.C},${SHAPE.KH},${SHAPE.KW}] stride 1 pad same`,
  run,
};

interface TfInputs {
  readonly x: Tensor4D;
  readonly w: Tensor4D;
  readonly b: Tensor1D;
  readonly dy: Tensor4D;
}

/** The first `n` images of the batch (views, no copy). */
function batchSlice(s: ConvShape, n: number, x: Float64Array, dout: Float64Array): { s: ConvShape; x: Float64Array; dout: Float64Array } {
  return {
    s: { ...s, N: n },
    x: x.subarray(0, n * s.C * s.H * s.W),
    dout: dout.subarray(0, n * s.F * s.OH * s.OW),
  };
}

function tfInputs(tf: Tf, s: ConvShape, x: Float64Array, w: Float64Array, b: Float64Array, dout: Float64Array): TfInputs {
  return {
    x: tf.tensor4d(nchwToNhwc(x, s.N, s.C, s.H, s.W), [s.N, s.H, s.W, s.C]),
    w: tf.tensor4d(filtersToTf(w, s.F, s.C, s.KH, s.KW), [s.KH, s.KW, s.C, s.F]),
    b: tf.tensor1d(Float32Array.from(b)),
    dy: tf.tensor4d(nchwToNhwc(dout, s.N, s.F, s.OH, s.OW), [s.N, s.OH, s.OW, s.F]),
  };
}

function disposeInputs(t: TfInputs): void {
  t.x.dispose();
  t.w.dispose();
  t.b.dispose();
  t.dy.dispose();
}

async function run(ctx: BenchContext): Promise<CaseResult> {
  const s = SHAPE;
  const rng = new Rng(2024);
  const x = rng.randn([s.N, s.C, s.H, s.W]);
  const w = rng.randn([s.F, s.C, s.KH, s.KW], Math.sqrt(2 / (s.C * s.KH * s.KW)));
  const b = rng.randn([s.F], 0.1);
  const dout = rng.randn([s.N, s.F, s.OH, s.OW]);
  const params = { stride: 1, pad: 'same' } as const;
  const flops = convFlops(s);
  const checks: Check[] = [];
  const timings: Timing[] = [];
  const q = ctx.quick;

  // 1. Answers first: the plain loops are the float64 oracle.
  ctx.progress('conv2d: checking answers');
  const refOut = convForwardLoops(x.data, w.data, b.data, s);
  const ref = convBackwardLoops(dout.data, x.data, w.data, s);
  const fwd = conv2dForward(x, w, b, params);
  verify(checks, 'conv2d forward', 'library out vs plain loops', fwd.out.data, refOut, TOL_F64);
  const grads = conv2dBackward(dout, fwd.cache);
  verify(checks, 'conv2d forward+backward', 'library dx vs plain loops', grads.dx.data, ref.dx, TOL_F64);
  verify(checks, 'conv2d forward+backward', 'library dw vs plain loops', grads.dw.data, ref.dw, TOL_F64);
  verify(checks, 'conv2d forward+backward', 'library db vs plain loops', grads.db.data, ref.db, TOL_F64);

  const tf = await loadTfCpu();
  /** tfjs inputs for the first `n` images (the timed tfjs runs may use fewer images with --quick). */
  const inputsFor = (n: number): { s: ConvShape; t: TfInputs } => {
    const p = batchSlice(s, n, x.data, dout.data);
    return { s: p.s, t: tfInputs(tf, p.s, p.x, w.data, b.data, p.dout) };
  };
  const tfForward = (t: TfInputs): Float32Array =>
    tf.tidy(() => tf.add(tf.conv2d(t.x, t.w, 1, 'same'), t.b).dataSync() as Float32Array);
  const tfGrads = tf.valueAndGrads((xx, ww, bb) => tf.add(tf.conv2d(xx as Tensor4D, ww as Tensor4D, 1, 'same'), bb));
  const tfForwardBackward = (t: TfInputs): { out: Float32Array; dx: Float32Array; dw: Float32Array; db: Float32Array } =>
    tf.tidy(() => {
      const { value, grads: g } = tfGrads([t.x, t.w, t.b], t.dy);
      return {
        out: value.dataSync() as Float32Array,
        dx: g[0].dataSync() as Float32Array,
        dw: g[1].dataSync() as Float32Array,
        db: g[2].dataSync() as Float32Array,
      };
    });

  // 2. Forward.
  ctx.progress('conv2d forward: library');
  const fLib = timing('conv2d forward', LIB, measure(() => conv2dForward(x, w, b, params), { runs: q ? 5 : 15 }), (ms) => gflops(flops, ms));
  ctx.progress('conv2d forward: plain loops');
  const fLoops = timing('conv2d forward', LOOPS, measure(() => convForwardLoops(x.data, w.data, b.data, s), { runs: q ? 3 : 7, warmup: q ? 0 : 1 }), (ms) => gflops(flops, ms));
  // tfjs takes about half a second per forward pass: with --quick, time it on 8 images. Its
  // answer is checked on the same batch first (that run is also the warm-up).
  const nTfF = q ? 8 : s.N;
  const fIn = inputsFor(nTfF);
  const fOut = nhwcToNchw(tfForward(fIn.t), nTfF, s.F, s.OH, s.OW);
  verify(checks, 'conv2d forward', `tfjs out vs plain loops (N=${nTfF})`, fOut, refOut.subarray(0, fOut.length), TOL_F32);
  ctx.progress(`conv2d forward: tfjs-cpu on ${nTfF} images`);
  const fTf = timing(
    'conv2d forward',
    TFJS,
    measure(() => tfForward(fIn.t), { runs: q ? 3 : 5, warmup: 0 }),
    (ms) => gflops(flops, ms),
    nTfF === s.N ? undefined : `measured on N=${nTfF}, time x${s.N / nTfF} for N=${s.N}`,
    s.N / nTfF,
  );
  disposeInputs(fIn.t);
  timings.push(fLib, fLoops, fTf);

  // 3. Forward + backward (dx, dw, db): backward counts as 2x forward, so 3x in all.
  const fbFlops = 3 * flops;
  ctx.progress('conv2d forward+backward: library');
  const fbLib = timing(
    'conv2d forward+backward',
    LIB,
    measure(() => conv2dBackward(dout, conv2dForward(x, w, b, params).cache), { runs: q ? 3 : 9 }),
    (ms) => gflops(fbFlops, ms),
  );
  ctx.progress('conv2d forward+backward: plain loops');
  const fbLoops = timing(
    'conv2d forward+backward',
    LOOPS,
    measure(
      () => {
        convForwardLoops(x.data, w.data, b.data, s);
        convBackwardLoops(dout.data, x.data, w.data, s);
      },
      { runs: q ? 3 : 5, warmup: q ? 0 : 1 },
    ),
    (ms) => gflops(fbFlops, ms),
  );

  // tfjs needs tens of seconds here: warm up on 2 images, time ONE run (on the full batch, or
  // on 4 images with --quick, scaled to the full batch), and check that very run's answers.
  const nTf = q ? 4 : s.N;
  const scale = s.N / nTf;
  ctx.progress('conv2d forward+backward: tfjs-cpu warm-up (2 images)');
  const warm = inputsFor(2);
  tfForwardBackward(warm.t);
  disposeInputs(warm.t);
  const part = inputsFor(nTf);
  ctx.progress(`conv2d forward+backward: tfjs-cpu, one run on ${nTf} images (${q ? 'a few' : 'about 20-60'} seconds)`);
  let tfRes: ReturnType<typeof tfForwardBackward> | undefined;
  const fbTfSample = measure(
    () => {
      tfRes = tfForwardBackward(part.t);
    },
    { runs: 1, warmup: 0 },
  );
  disposeInputs(part.t);
  const got = tfRes!;
  const ps = part.s;
  const refPart = nTf === s.N ? ref : convBackwardLoops(dout.data.subarray(0, got.out.length), x.data.subarray(0, got.dx.length), w.data, ps);
  const fb = 'conv2d forward+backward';
  verify(checks, fb, `tfjs out vs plain loops (N=${nTf})`, nhwcToNchw(got.out, ps.N, ps.F, ps.OH, ps.OW), refOut.subarray(0, got.out.length), TOL_F32);
  verify(checks, fb, `tfjs dx vs plain loops (N=${nTf})`, nhwcToNchw(got.dx, ps.N, ps.C, ps.H, ps.W), refPart.dx, TOL_F32);
  verify(checks, fb, `tfjs dw vs plain loops (N=${nTf})`, filtersFromTf(got.dw, ps.F, ps.C, ps.KH, ps.KW), refPart.dw, TOL_F32);
  verify(checks, fb, `tfjs db vs plain loops (N=${nTf})`, got.db, refPart.db, TOL_F32);
  const fbTf = timing(
    fb,
    TFJS,
    fbTfSample,
    (ms) => gflops(fbFlops, ms),
    nTf === s.N ? 'one run after a warm-up' : `measured on N=${nTf}, time x${scale} for N=${s.N}`,
    scale,
  );
  timings.push(fbLib, fbLoops, fbTf);

  return {
    timings,
    checks,
    comparisons: [
      compare(fLib, fTf, GOAL_FORWARD),
      compare(fLib, fLoops),
      compare(fbLib, fbTf, GOAL_FORWARD_BACKWARD),
      compare(fbLib, fbLoops),
    ],
  };
}
