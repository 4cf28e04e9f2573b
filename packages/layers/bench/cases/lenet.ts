/**
 * LeNet-5 training throughput: one mini-batch of 32 real MNIST digits through forward,
 * softmax cross-entropy, backward and an Adam step, with the library's network runtime.
 *
 * The goal is an epoch of 8,000 images in under 20 s on one core; the comparison row
 * sets the measured time against that budget (a goal, not a measured baseline).
 *
 * @module
 */
import { Rng, Tensor } from '@dlkata/tensor';
import { Adam, createNetwork, lenet5, mnistSplit, networkBackward, networkForward, softmaxCrossEntropy } from '../../src/index.js';
import { compare, measure, timing, type BenchCase, type BenchContext, type CaseResult, type Timing } from '../harness.js';

const B = 32;
const EPOCH = 8000;
const GOAL_SECONDS = 20;
const BENCH = `LeNet-5 train step, batch ${B}`;

export const lenetCase: BenchCase = {
  name: 'lenet',
  title: `LeNet-5 training on MNIST, batch ${B} (forward + backward + Adam)`,
  run,
};

async function run(ctx: BenchContext): Promise<CaseResult> {
  const split = mnistSplit({ seed: 0, pad: 2, perClass: 20 });
  const rng = new Rng(0);
  const net = createNetwork(lenet5(), rng);
  const opt = new Adam({ lr: 1e-3 });
  const batch = new Tensor(split.train.images.data.slice(0, B * 32 * 32), [B, 1, 32, 32]);
  const y = split.train.labels.slice(0, B);
  const step = (): void => {
    const { out, cache } = networkForward(net, batch, { train: true, rng });
    const { dscores } = softmaxCrossEntropy(out, y);
    opt.step(net.params, networkBackward(net, dscores, cache).grads);
  };
  ctx.progress(`${BENCH}: library`);
  const imagesPerSecond = (ms: number): string => `${Math.round((B * 1000) / ms)} img/s`;
  const lib = timing(BENCH, 'library (im2col + GEMM)', measure(step, { runs: ctx.quick ? 10 : 40, warmup: 5 }), imagesPerSecond);
  const budgetMs = (GOAL_SECONDS * 1000 * B) / EPOCH;
  const goal: Timing = {
    bench: BENCH,
    impl: `goal: ${EPOCH} images in ${GOAL_SECONDS} s`,
    ms: budgetMs,
    cpuMs: budgetMs,
    runs: 0,
    throughput: imagesPerSecond(budgetMs),
    note: `projected epoch ${((lib.ms * EPOCH) / B / 1000).toFixed(1)} s`,
  };
  return { timings: [lib, goal], comparisons: [compare(lib, goal, 1)], checks: [] };
}
