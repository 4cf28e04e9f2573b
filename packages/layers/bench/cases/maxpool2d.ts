/**
 * 2x2 max pooling, forward+backward, on the conv2d benchmark's output: the library against
 * plain loops and TensorFlow.js' CPU backend.
 *
 * @module
 */
import type { Tensor4D } from '@tensorflow/tfjs';
import { Rng } from '@dlkata/tensor';
import { maxPool2dBackward, maxPool2dForward } from '../../src/index.js';
import { maxPoolLoops } from '../baselines.js';
import { compare, measure, measurePair, melems, timing, verify, type BenchCase, type BenchContext, type CaseResult, type Check } from '../harness.js';
import { loadTfCpu, nchwToNhwc, nhwcToNchw } from '../tfjs.js';

const N = 32;
const C = 32;
const H = 28;
const W = 28;
const K = 2;
const OH = H / K;
const OW = W / K;

const BENCH = 'maxpool2d 2x2 forward+backward';
const LIB = 'library';
const LOOPS = 'plain loops';
const TFJS = 'tfjs-cpu (float32, NHWC)';
/** Goal from the performance issue: the library at least as fast as the plain loops it is checked against. */
const GOAL_VS_LOOPS = 1;

export const maxPool2dCase: BenchCase = {
  name: 'maxpool2d',
  title: `max pooling 2x2 stride 2, x=[${N},${C},${H},${W}]`,
  run,
};

async function run(ctx: BenchContext): Promise<CaseResult> {
  const rng = new Rng(11);
  const x = rng.randn([N, C, H, W]);
  const dout = rng.randn([N, C, OH, OW]);
  const params = { kernel: K } as const;
  const checks: Check[] = [];
  const elems = x.size;

  const ref = maxPoolLoops(x.data, dout.data, N, C, H, W, K);
  const lib = () => {
    const f = maxPool2dForward(x, params);
    return { out: f.out, dx: maxPool2dBackward(dout, f.cache).dx };
  };
  const got = lib();
  verify(checks, BENCH, 'library out vs plain loops', got.out.data, ref.out, 1e-12);
  verify(checks, BENCH, 'library dx vs plain loops', got.dx.data, ref.dx, 1e-12);

  const tf = await loadTfCpu();
  const xt = tf.tensor4d(nchwToNhwc(x.data, N, C, H, W), [N, H, W, C]);
  const dyt = tf.tensor4d(nchwToNhwc(dout.data, N, C, OH, OW), [N, OH, OW, C]);
  const pool = tf.valueAndGrad((v) => tf.maxPool(v as Tensor4D, K, K, 'valid'));
  const tfRun = () =>
    tf.tidy(() => {
      const { value, grad } = pool(xt, dyt);
      return { out: value.dataSync(), dx: grad.dataSync() };
    });
  const tfGot = tfRun();
  verify(checks, BENCH, 'tfjs out vs plain loops', nhwcToNchw(tfGot.out, N, C, OH, OW), ref.out, 1e-6);
  verify(checks, BENCH, 'tfjs dx vs plain loops', nhwcToNchw(tfGot.dx, N, C, H, W), ref.dx, 1e-6);

  const runs = ctx.quick ? 7 : 31;
  ctx.progress(`${BENCH}: library and plain loops, runs interleaved`);
  // 20 warm-up calls of each: the library's pooling loops run about 8 calls in the
  // interpreter (6x slower) before the optimizing compiler takes them; a quick run's 7 timed
  // runs after 5 warm-ups measured that, not the compiled code.
  const [sLib, sLoops] = measurePair(lib, () => maxPoolLoops(x.data, dout.data, N, C, H, W, K), { runs, warmup: 20 });
  const tLib = timing(BENCH, LIB, sLib, (ms) => melems(elems, ms), 'runs interleaved with the plain loops');
  const tLoops = timing(BENCH, LOOPS, sLoops, (ms) => melems(elems, ms), 'runs interleaved with the library');
  ctx.progress(`${BENCH}: tfjs-cpu`);
  const tTf = timing(BENCH, TFJS, measure(tfRun, { runs: ctx.quick ? 3 : 5, warmup: 1 }), (ms) => melems(elems, ms));
  xt.dispose();
  dyt.dispose();
  return { timings: [tLib, tLoops, tTf], comparisons: [compare(tLib, tTf), compare(tLib, tLoops, GOAL_VS_LOOPS)], checks };
}
