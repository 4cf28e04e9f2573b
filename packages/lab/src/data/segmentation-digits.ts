/**
 * A small semantic-segmentation data set made from real MNIST digits: a few digits placed on
 * a larger canvas, every pixel labelled "background" or the class of the digit whose ink
 * covers it. Built deterministically from a seed, from the digits of the `mnist` package;
 * nothing is downloaded.
 *
 * Classes: `0` is the background, `1 + d` is digit `d` (so 11 classes for the ten digits).
 * A pixel is ink when the digit's grey level there is above the threshold (0.5 by default);
 * the faint anti-aliased rim around the strokes is still drawn into the image but labelled
 * background, so the labels are the thresholded ink, not the bounding boxes.
 *
 * @module
 */
import { Rng, Tensor, ValueError } from '@dlkata/tensor';
import { loadMnist, MNIST_CLASSES, MNIST_SIZE } from '@dlkata/layers';

/** Number of classes of the set: the background and the ten digits. */
export const SEGMENTATION_CLASSES = 1 + MNIST_CLASSES;

/** Names of the classes, index = class: `background`, then the digits `0` to `9`. */
export const SEGMENTATION_CLASS_NAMES: readonly string[] = ['background', ...Array.from({ length: MNIST_CLASSES }, (_, d) => String(d))];

/** A segmentation set held in memory. */
export interface SegmentationDataset {
  /** Images `[n, 1, size, size]` (standardised when the split asked for it). */
  readonly images: Tensor;
  /** Class of every pixel, `n*size*size` integers in `[0, classes)`, row-major `[n, size, size]`. */
  readonly labels: Int32Array;
  /** Number of classes, {@link SEGMENTATION_CLASSES}. */
  readonly classes: number;
  /** The digits drawn on each image, `[n][digitsPerImage]`, left to right as placed. */
  readonly digits: readonly (readonly number[])[];
}

/** Options of {@link segmentationDigitsSplit}. */
export interface SegmentationDigitsOptions {
  /** Seed of everything: which MNIST digits go to training or testing, which are drawn, where they go. */
  readonly seed: number;
  /** Number of training images, integer >= 1. */
  readonly train: number;
  /** Number of test images, integer >= 1. */
  readonly test: number;
  /** Side of the square canvas in pixels, integer >= 28. Default 48. */
  readonly size?: number;
  /** Digits per image, integer >= 1. Default 2. */
  readonly digitsPerImage?: number;
  /** Grey level above which a pixel is the digit's ink, in `(0, 1)`. Default 0.5. */
  readonly threshold?: number;
  /** Fraction of the MNIST digits reserved for the test images, in `(0, 1)`. Default 0.2. */
  readonly testFraction?: number;
  /** Standardise with the training images' mean and standard deviation. Default true. */
  readonly normalize?: boolean;
}

/** Training and test images; no MNIST digit appears in both. */
export interface SegmentationDigitsSplit {
  /** Training images. */
  readonly train: SegmentationDataset;
  /** Test images, drawn from MNIST digits that no training image uses. */
  readonly test: SegmentationDataset;
  /** Mean subtracted from every pixel (0 when not normalised). */
  readonly mean: number;
  /** Standard deviation every pixel was divided by (1 when not normalised). */
  readonly std: number;
}

/** The ink of one MNIST digit, cropped to the box of its non-zero pixels. */
interface Crop {
  /** The digit, 0-9. */
  readonly digit: number;
  /** Height and width of the box. */
  readonly h: number;
  readonly w: number;
  /** Grey levels, `h*w`, row-major. */
  readonly pixels: Float64Array;
}

function crop(images: Float64Array, index: number, digit: number): Crop {
  const S = MNIST_SIZE;
  const base = index * S * S;
  let top = S;
  let bottom = -1;
  let left = S;
  let right = -1;
  for (let r = 0; r < S; r++) {
    for (let c = 0; c < S; c++) {
      if (images[base + r * S + c] > 0) {
        top = Math.min(top, r);
        bottom = Math.max(bottom, r);
        left = Math.min(left, c);
        right = Math.max(right, c);
      }
    }
  }
  if (bottom < 0) return { digit, h: 1, w: 1, pixels: new Float64Array(1) }; // an empty image (none in the package)
  const h = bottom - top + 1;
  const w = right - left + 1;
  const pixels = new Float64Array(h * w);
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) pixels[r * w + c] = images[base + (top + r) * S + left + c];
  return { digit, h, w, pixels };
}

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new ValueError('segmentationDigitsSplit', `${name} must be an integer >= ${min}, got ${v}`);
}

/**
 * Builds a seeded train/test segmentation set from the MNIST digits of the `mnist` package.
 *
 * The 10,000 digits are shuffled with the seed and split: a `testFraction` of them is only
 * ever drawn on test images, the rest only on training images, so the test measures
 * segmentation of handwriting the network has not seen. Each image is a `size x size` canvas
 * of zeros with `digitsPerImage` digits drawn at random places; each digit is cropped to the
 * box of its ink (at most 20x20 pixels) and the boxes never overlap (they keep one pixel of
 * space between them), so every pixel belongs to at most one digit. Pixels above `threshold` are labelled
 * `1 + digit`, all others `0` (background).
 *
 * Deterministic: the same options give the same images and labels.
 *
 * @returns the two sets and the normalisation applied to both (statistics of the training images)
 * @throws ValueError for a count, size or digit number out of range, a threshold or test
 *   fraction outside `(0, 1)`, or a canvas too small to hold the digits side by side
 *   (`"segmentationDigitsSplit: a 30x30 canvas cannot hold 3 digits of up to 28x28 pixels"`)
 * @see the lecture, item 11 (semantic segmentation); Long, Shelhamer and Darrell 2015
 * @example
 * ```ts
 * const { train, test } = segmentationDigitsSplit({ seed: 0, train: 2000, test: 200 });
 * train.images.shape; // [2000, 1, 48, 48]; train.labels.length === 2000 * 48 * 48
 * ```
 */
export function segmentationDigitsSplit(opts: SegmentationDigitsOptions): SegmentationDigitsSplit {
  const op = 'segmentationDigitsSplit';
  const size = opts.size ?? 48;
  const perImage = opts.digitsPerImage ?? 2;
  const threshold = opts.threshold ?? 0.5;
  const testFraction = opts.testFraction ?? 0.2;
  checkInt('train', opts.train, 1);
  checkInt('test', opts.test, 1);
  checkInt('size', size, MNIST_SIZE);
  checkInt('digitsPerImage', perImage, 1);
  if (!(threshold > 0 && threshold < 1)) throw new ValueError(op, `threshold must be in (0, 1), got ${threshold}`);
  if (!(testFraction > 0 && testFraction < 1)) throw new ValueError(op, `testFraction must be in (0, 1), got ${testFraction}`);
  const all = loadMnist();
  const rng = new Rng(opts.seed);
  const order = rng.permutation(all.labels.length);
  const nTest = Math.max(1, Math.round(all.labels.length * testFraction));
  const testPool = Array.from(order.subarray(0, nTest));
  const trainPool = Array.from(order.subarray(nTest));
  const crops = Array.from({ length: all.labels.length }, (_, i) => crop(all.images.data, i, all.labels[i]));
  // Crops are at most 20x20 in the package (MNIST centres each digit in a 20x20 box). A grid of
  // cells one pixel larger than the largest crop shows that every draw has room somewhere.
  const side = Math.max(...crops.map((c) => Math.max(c.h, c.w)));
  const cells = Math.floor((size + 1) / (side + 1)) ** 2;
  if (cells < perImage) {
    throw new ValueError(op, `a ${size}x${size} canvas cannot hold ${perImage} digits of up to ${side}x${side} pixels apart; use a larger size`);
  }

  const draw = (count: number, pool: readonly number[]): { images: Float64Array; labels: Int32Array; digits: number[][] } => {
    const P = size * size;
    const images = new Float64Array(count * P);
    const labels = new Int32Array(count * P);
    const digits: number[][] = [];
    for (let n = 0; n < count; n++) {
      // Rejection sampling: draw the digits and random free spots for them; if one finds no
      // spot, start the image over (rare: the canvas has room for all of them in a grid).
      let placed: { top: number; left: number; c: Crop }[] = [];
      while (placed.length < perImage) {
        const c = crops[pool[rng.int(0, pool.length - 1)]];
        let ok = false;
        for (let attempt = 0; attempt < 20 && !ok; attempt++) {
          const top = rng.int(0, size - c.h);
          const left = rng.int(0, size - c.w);
          ok = placed.every((p) => top + c.h + 1 <= p.top || p.top + p.c.h + 1 <= top || left + c.w + 1 <= p.left || p.left + p.c.w + 1 <= left);
          if (ok) placed.push({ top, left, c });
        }
        if (!ok) placed = [];
      }
      placed.sort((a, b) => a.left - b.left);
      digits.push(placed.map((p) => p.c.digit));
      for (const { top, left, c } of placed) {
        for (let r = 0; r < c.h; r++) {
          for (let col = 0; col < c.w; col++) {
            const v = c.pixels[r * c.w + col];
            const at = n * P + (top + r) * size + left + col;
            images[at] = v;
            if (v > threshold) labels[at] = 1 + c.digit;
          }
        }
      }
    }
    return { images, labels, digits };
  };

  const tr = draw(opts.train, trainPool);
  const te = draw(opts.test, testPool);
  let mean = 0;
  let std = 1;
  if (opts.normalize ?? true) {
    let s = 0;
    let s2 = 0;
    for (const v of tr.images) {
      s += v;
      s2 += v * v;
    }
    mean = s / tr.images.length;
    std = Math.sqrt(Math.max(s2 / tr.images.length - mean * mean, 1e-12));
    for (const d of [tr.images, te.images]) for (let i = 0; i < d.length; i++) d[i] = (d[i] - mean) / std;
  }
  const make = (d: typeof tr, n: number): SegmentationDataset => ({
    images: new Tensor(d.images, [n, 1, size, size]),
    labels: d.labels,
    classes: SEGMENTATION_CLASSES,
    digits: d.digits,
  });
  return { train: make(tr, opts.train), test: make(te, opts.test), mean, std };
}

/** One mini-batch of a segmentation set: images `[B, 1, S, S]` and their `B*S*S` pixel labels. */
export interface SegmentationBatch {
  /** Images `[B, 1, S, S]`. */
  readonly x: Tensor;
  /** Their pixel labels, `B*S*S` classes, row-major `[B, S, S]`. */
  readonly y: Int32Array;
}

/**
 * Mini-batches over a segmentation set, in a seeded random order when `rng` is given (a
 * fresh order per call), else in order; the last batch may be smaller.
 *
 * @param batchSize - images per batch, integer >= 1
 * @throws ValueError for a batch size below 1
 */
export function* segmentationBatches(data: SegmentationDataset, batchSize: number, rng?: Rng): Generator<SegmentationBatch> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ValueError('segmentationBatches', `batchSize must be an integer >= 1, got ${batchSize}`);
  const [n, C, H, W] = data.images.shape;
  const order = rng ? rng.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
  const per = C * H * W;
  const P = H * W;
  for (let start = 0; start < n; start += batchSize) {
    const b = Math.min(batchSize, n - start);
    const x = new Float64Array(b * per);
    const y = new Int32Array(b * P);
    for (let k = 0; k < b; k++) {
      const src = order[start + k];
      x.set(data.images.data.subarray(src * per, (src + 1) * per), k * per);
      y.set(data.labels.subarray(src * P, (src + 1) * P), k * P);
    }
    yield { x: new Tensor(x, [b, C, H, W]), y };
  }
}
