/**
 * Image captioning on real handwritten digits (the lecture's one-to-many case): a canvas shows 1-3
 * MNIST digits side by side, and the caption names them from left to right ("seven two"). A small
 * LeNet-like CNN turns the canvas into features, which set the initial hidden state of an LSTM
 * decoder; the decoder is trained with teacher forcing (`@dlkata/rnn`'s `captionLoss`, whose
 * `dfeatures` trains the CNN too) and captions by greedy decoding or sampling with a temperature.
 * By default the CNN is first pre-trained alone as a classifier of single digits (transfer
 * learning: the decoder then starts from features that already tell digits apart), and the
 * captioning learning rate decays along a cosine to 0.
 *
 * Test canvases are made of digit images held out from training (the `mnist` package's seeded
 * 80/20 split): the model has never seen those images.
 *
 * @module
 */
import { Adam, affineBackward, affineForward, conv2dBackward, type Conv2dCache, conv2dForward, maxPool2dBackward, type MaxPool2dCache, maxPool2dForward, mnistSplit, reluBackward, type ReluCache, reluForward, softmaxCrossEntropy, type ImageDataset } from '@dlkata/layers';
import { captionGreedy, captionLoss, captionSample, clipGradNorm, lstmInitParams, type ModelParams } from '@dlkata/rnn';
import type { Impl } from '../mine/adapters.js';
import { checkOptions, optionKeys, Rng, Tensor, ValueError } from '@dlkata/tensor';

/** Padding token. */
export const NULL = 0;
/** Start token. */
export const START = 1;
/** End token. */
export const END = 2;
/** The vocabulary: special tokens, then the digit names (id of digit d is `d + 3`). */
export const CAPTION_VOCAB: readonly string[] = ['<null>', '<start>', '<end>', 'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
/** Digit slots per canvas (the default; every function takes a `slots` argument). */
export const SLOTS = 3;
/** Canvas height, and the width of one slot (MNIST's 28). */
export const SIDE = 28;

/** A batch of canvases and their captions. */
export interface CaptionSet {
  /** `[n, 1, 28, 28 * slots]`, standardised grey levels (an empty pixel is the standardised 0). */
  readonly images: Tensor;
  /** The digits shown, left to right (1-3 per canvas). */
  readonly digits: readonly (readonly number[])[];
}

/** Caption token ids of a digit list: `<start>`, names, `<end>`, padding to `slots + 2`. */
export function captionIds(digits: readonly number[], slots = SLOTS): number[] {
  const ids = [START, ...digits.map((d) => d + 3), END];
  while (ids.length < slots + 2) ids.push(NULL);
  return ids;
}

/** The words of decoded ids, up to the end token: `[10, 5, 2, 0]` -> `"seven two"`. */
export function captionText(ids: readonly number[]): string {
  const words: string[] = [];
  for (const id of ids) {
    if (id === END) break;
    if (id > END) words.push(CAPTION_VOCAB[id]);
  }
  return words.join(' ');
}

/**
 * Draws `n` canvases of `28 x 28 * slots` pixels from a digit set: 1 to `maxDigits` digits
 * (uniform), placed in consecutive slots from a random first slot, each shifted by up to 2 pixels
 * sideways.
 *
 * @param data - digit images `[m, 1, 28, 28]` (standardised or not) and labels
 * @param background - the value of an empty pixel (the standardised 0)
 * @throws ValueError unless `1 <= maxDigits <= slots`
 */
export function makeCanvases(data: ImageDataset, n: number, maxDigits: number, rng: Rng, background: number, slots = SLOTS): CaptionSet {
  if (!(Number.isInteger(maxDigits) && maxDigits >= 1 && maxDigits <= slots)) throw new ValueError('makeCanvases', `maxDigits must be an integer from 1 to slots = ${slots}, got ${maxDigits}`);
  const W = SIDE * slots;
  const images = Tensor.zeros([n, 1, SIDE, W]).map(() => background);
  const m = data.labels.length;
  const digits: number[][] = [];
  for (let i = 0; i < n; i++) {
    const k = rng.int(1, maxDigits);
    const first = rng.int(0, slots - k);
    const row: number[] = [];
    for (let j = 0; j < k; j++) {
      const pick = rng.int(0, m - 1);
      row.push(data.labels[pick]);
      const x0 = (first + j) * SIDE + rng.int(-2, 2);
      for (let y = 0; y < SIDE; y++) {
        for (let x = 0; x < SIDE; x++) {
          const cx = x0 + x;
          if (cx < 0 || cx >= W) continue;
          const v = data.images.data[pick * SIDE * SIDE + y * SIDE + x];
          const o = (i * SIDE + y) * W + cx;
          // Overlapping borders (after a shift) keep the brighter stroke.
          if (v > images.data[o]) images.data[o] = v;
        }
      }
    }
    digits.push(row);
  }
  return { images, digits };
}

/** Options of {@link createCaptioner}. */
export interface CaptionerSize {
  /** Filters of the two convolutions (5x5, "same", each followed by ReLU and 2x2 max pooling). */
  readonly filters: readonly [number, number];
  /** LSTM hidden units. */
  readonly hidden: number;
  /** Word embedding size. */
  readonly embed: number;
}

/** The CNN encoder's output size for a canvas of `slots` slots: `filters[1] * 7 * (7 * slots)`. */
export function featureCount(size: CaptionerSize, slots = SLOTS): number {
  return size.filters[1] * (SIDE / 4) * ((SIDE * slots) / 4);
}

/** Fresh parameters: the CNN (`conv1.w`, `conv1.b`, `conv2.w`, `conv2.b`, He initialisation) and the captioning LSTM (`captionLoss`'s keys). */
export function createCaptioner(size: CaptionerSize, rng: Rng, slots = SLOTS): ModelParams {
  const [f1, f2] = size.filters;
  const F = featureCount(size, slots);
  const H = size.hidden;
  const V = CAPTION_VOCAB.length;
  const lstm = lstmInitParams(size.embed, H, rng);
  return {
    'conv1.w': rng.randn([f1, 1, 5, 5], Math.sqrt(2 / 25)),
    'conv1.b': Tensor.zeros([f1]),
    'conv2.w': rng.randn([f2, f1, 5, 5], Math.sqrt(2 / (25 * f1))),
    'conv2.b': Tensor.zeros([f2]),
    // Small, so that h0 starts inside the LSTM's working range (|h0| about 0.1 rather than several
    // units, which saturates the gates and stops the gradient into the image encoder).
    Wproj: rng.randn([F, H], 0.1 / Math.sqrt(F)),
    bproj: Tensor.zeros([H]),
    Wembed: rng.randn([V, size.embed], 0.5),
    Wx: lstm.Wx,
    Wh: lstm.Wh,
    b: lstm.b,
    Wvocab: rng.randn([H, V], 1 / Math.sqrt(H)),
    bvocab: Tensor.zeros([V]),
  };
}

const SAME5 = { stride: 1, pad: 2 } as const;
const POOL = { kernel: 2, stride: 2 } as const;

/** What the encoder's backward pass needs from {@link encodeImages}. */
export interface EncoderCache {
  readonly c1: Conv2dCache;
  readonly r1: ReluCache;
  readonly p1: MaxPool2dCache;
  readonly c2: Conv2dCache;
  readonly r2: ReluCache;
  readonly p2: MaxPool2dCache;
  readonly shape: readonly number[];
}

/** The CNN encoder: conv 5x5, ReLU, pool 2x2, twice, then flattened: `[N, 1, 28, 84]` -> `[N, F]`. */
export function encodeImages(params: ModelParams, images: Tensor): { features: Tensor; cache: EncoderCache } {
  const c1 = conv2dForward(images, params['conv1.w'], params['conv1.b'], SAME5);
  const r1 = reluForward(c1.out);
  const p1 = maxPool2dForward(r1.out, POOL);
  const c2 = conv2dForward(p1.out, params['conv2.w'], params['conv2.b'], SAME5);
  const r2 = reluForward(c2.out);
  const p2 = maxPool2dForward(r2.out, POOL);
  const N = images.shape[0];
  return { features: p2.out.reshape([N, p2.out.size / N]), cache: { c1: c1.cache, r1: r1.cache, p1: p1.cache, c2: c2.cache, r2: r2.cache, p2: p2.cache, shape: p2.out.shape } };
}

function encoderBackward(dfeatures: Tensor, cache: EncoderCache, grads: ModelParams): void {
  const d2 = conv2dBackward(reluBackward(maxPool2dBackward(dfeatures.reshape(cache.shape), cache.p2).dx, cache.r2).dx, cache.c2);
  grads['conv2.w'] = d2.dw;
  grads['conv2.b'] = d2.db;
  const d1 = conv2dBackward(reluBackward(maxPool2dBackward(d2.dx, cache.p1).dx, cache.r1).dx, cache.c1);
  grads['conv1.w'] = d1.dw;
  grads['conv1.b'] = d1.db;
}

const DECODER_KEYS = ['Wproj', 'bproj', 'Wembed', 'Wx', 'Wh', 'b', 'Wvocab', 'bvocab'] as const;

function decoderParams(params: ModelParams): ModelParams {
  const out: ModelParams = {};
  for (const k of DECODER_KEYS) out[k] = params[k];
  return out;
}

/** The decoder's functions of a captioning run: the library's `captionLoss` and `captionGreedy`, or the student's under `--mine`. */
export type CaptionImpl = Pick<Impl, 'captionLoss' | 'captionGreedy'>;

/**
 * Loss and gradients of every parameter, CNN included, on a batch.
 *
 * @param impl - the decoder's loss; default the library's `captionLoss`
 */
export function captionerLossAndGrads(params: ModelParams, images: Tensor, digits: readonly (readonly number[])[], impl: Partial<CaptionImpl> = {}): { loss: number; grads: ModelParams } {
  const enc = encodeImages(params, images);
  const slots = images.shape[3] / SIDE;
  const r = (impl.captionLoss ?? captionLoss)(enc.features, digits.map((d) => captionIds(d, slots)), decoderParams(params), { nullId: NULL });
  const grads: ModelParams = { ...r.grads };
  encoderBackward(r.dfeatures, enc.cache, grads);
  return { loss: r.loss, grads };
}

/** Options of {@link captionImages}. */
export interface CaptionImagesOptions {
  /** Sample at this temperature instead of decoding greedily. */
  temperature?: number;
  /** Source of the sampling uniforms (default a fresh `Rng(0)`). */
  rng?: Rng;
  /** The greedy decoder; default the library's `captionGreedy` (the student's under `--mine`). */
  impl?: Partial<CaptionImpl>;
}
const CAPTION_IMAGES_KEYS = optionKeys<CaptionImagesOptions>()('temperature', 'rng', 'impl');

/**
 * Greedy captions (or samples at a temperature, with uniforms from `rng`) of a set of canvases, in batches of 200.
 *
 * @throws ValueError on an unknown option
 */
export function captionImages(params: ModelParams, images: Tensor, opts: CaptionImagesOptions = {}): string[] {
  checkOptions('captionImages', 'opts', opts, CAPTION_IMAGES_KEYS);
  const n = images.shape[0];
  const per = images.size / n;
  const slots = images.shape[3] / SIDE;
  const out: string[] = [];
  for (let s = 0; s < n; s += 200) {
    const e = Math.min(n, s + 200);
    const batch = new Tensor(images.data.slice(s * per, e * per), [e - s, ...images.shape.slice(1)]);
    const { features } = encodeImages(params, batch);
    const base = { start: START, end: END, nullId: NULL, maxLength: slots + 1 };
    const ids =
      opts.temperature === undefined
        ? (opts.impl?.captionGreedy ?? captionGreedy)(features, decoderParams(params), base)
        : captionSample(features, decoderParams(params), { ...base, temperature: opts.temperature, uniforms: Tensor.zeros([e - s, slots + 1]).map(() => (opts.rng ?? new Rng(0)).uniform()) });
    out.push(...ids.map(captionText));
  }
  return out;
}

/**
 * Corpus BLEU-1 (Papineni et al. 2002, with one reference per caption): clipped unigram precision
 * times the brevity penalty `min(1, exp(1 - r / c))` (`r`, `c`: total reference and candidate words).
 *
 * @returns a number in `[0, 1]`; 0 when no candidate has a word
 */
export function bleu1(candidates: readonly string[], references: readonly string[]): number {
  let matched = 0;
  let c = 0;
  let r = 0;
  candidates.forEach((cand, i) => {
    const cw = cand.split(' ').filter(Boolean);
    const rw = references[i].split(' ').filter(Boolean);
    c += cw.length;
    r += rw.length;
    const counts = new Map<string, number>();
    for (const w of rw) counts.set(w, (counts.get(w) ?? 0) + 1);
    for (const w of cw) {
      const k = counts.get(w) ?? 0;
      if (k > 0) {
        matched++;
        counts.set(w, k - 1);
      }
    }
  });
  if (c === 0) return 0;
  return (matched / c) * Math.min(1, Math.exp(1 - r / c));
}

/** Options of {@link runCaption}. */
export interface CaptionOptions {
  readonly size: CaptionerSize;
  /** Training canvases drawn per epoch (fresh each epoch, from the training digits). */
  readonly trainCanvases: number;
  /** Held-out canvases (from the test digits), fixed. */
  readonly testCanvases: number;
  readonly epochs: number;
  readonly batch: number;
  readonly lr: number;
  readonly clip: number;
  readonly seed: number;
  /** At most this many digit images per class before the 80/20 split; default all. */
  readonly perClass?: number;
  /** Digit slots per canvas, default {@link SLOTS}. */
  readonly slots?: number;
  /** At most this many digits per canvas, default `slots`. */
  readonly maxDigits?: number;
  /**
   * Epochs of pre-training the CNN encoder alone as a single-digit classifier (28x28 training
   * digits, a temporary affine + softmax head, same batch and learning rate) before captioning;
   * default {@link PRETRAIN_EPOCHS}, 0 for none.
   */
  readonly pretrainEpochs?: number;
  /** Cosine decay of the captioning learning rate to 0 over all steps (Loshchilov & Hutter 2017); default true. */
  readonly cosine?: boolean;
  /** The decoder's loss and greedy decoder; default the library's (the student's under `--mine`). */
  readonly impl?: Partial<CaptionImpl>;
  /** Called after every Adam step with the batch loss. */
  readonly onStep?: (epoch: number, step: number, steps: number, loss: number) => void;
  /** Called after every epoch. */
  readonly onEpoch?: (e: CaptionEpoch) => void;
  /** Called after every pre-training step with the batch loss. */
  readonly onPretrainStep?: (epoch: number, step: number, steps: number, loss: number) => void;
  /** Called after every pre-training epoch. */
  readonly onPretrainEpoch?: (e: PretrainEpoch) => void;
}
const CAPTION_KEYS = optionKeys<CaptionOptions>()(
  'size', 'trainCanvases', 'testCanvases', 'epochs', 'batch', 'lr', 'clip', 'seed', 'perClass', 'slots', 'maxDigits',
  'pretrainEpochs', 'cosine', 'impl', 'onStep', 'onEpoch', 'onPretrainStep', 'onPretrainEpoch',
);

/** Default epochs of encoder pre-training in {@link runCaption}. */
export const PRETRAIN_EPOCHS = 3;

/** One epoch of encoder pre-training (single-digit classification). */
export interface PretrainEpoch {
  readonly epoch: number;
  /** Mean cross-entropy over the epoch's training digits. */
  readonly trainLoss: number;
  /** Classification accuracy on the held-out digits (never seen in training). */
  readonly testAccuracy: number;
  readonly seconds: number;
}

/** One epoch. */
export interface CaptionEpoch {
  readonly epoch: number;
  readonly trainLoss: number;
  /** Exact-caption accuracy on the held-out canvases. */
  readonly testExact: number;
  readonly seconds: number;
}

/** Metrics of the held-out canvases. */
export interface CaptionEvaluation {
  /** Fraction of captions exactly right. */
  readonly exact: number;
  /** Exact-caption accuracy by number of digits on the canvas. */
  readonly exactByDigits: Record<number, { n: number; exact: number }>;
  readonly bleu1: number;
  readonly captions: string[];
  readonly references: string[];
}

/**
 * Evaluates greedy captions against the true ones.
 *
 * @param impl - the greedy decoder; default the library's `captionGreedy`
 */
export function evaluateCaptions(params: ModelParams, set: CaptionSet, impl: Partial<CaptionImpl> = {}): CaptionEvaluation {
  const captions = captionImages(params, set.images, { impl });
  const references = set.digits.map((d) => d.map((v) => CAPTION_VOCAB[v + 3]).join(' '));
  const by: Record<number, { n: number; right: number }> = {};
  let right = 0;
  captions.forEach((c, i) => {
    const k = set.digits[i].length;
    by[k] ??= { n: 0, right: 0 };
    by[k].n++;
    if (c === references[i]) {
      right++;
      by[k].right++;
    }
  });
  const exactByDigits: Record<number, { n: number; exact: number }> = {};
  for (const [k, v] of Object.entries(by)) exactByDigits[Number(k)] = { n: v.n, exact: v.right / v.n };
  return { exact: right / captions.length, exactByDigits, bleu1: bleu1(captions, references), captions, references };
}

/** Digit images `from` to `to - 1` of a set, `[to - from, 1, 28, 28]` (copied). */
function rows(set: ImageDataset, from: number, to: number): Tensor {
  const per = SIDE * SIDE;
  return new Tensor(set.images.data.slice(from * per, to * per), [to - from, 1, SIDE, SIDE]);
}

/**
 * Pre-trains the captioner's CNN encoder (`conv1.*`, `conv2.*`, updated in place) as a classifier of
 * single 28x28 digits, through a temporary affine + softmax head that is then thrown away: the
 * convolutions start captioning already tuned to strokes and digits (transfer learning, as
 * `train transfer` shows), so the LSTM gets informative features from its first step.
 *
 * @param params - the captioner's parameters; only the CNN's are changed
 * @param split - training digits `[m, 1, 28, 28]` (standardised) and held-out digits for the accuracy
 * @returns one entry per epoch: training loss, held-out accuracy
 */
function pretrainEncoder(
  params: ModelParams,
  split: { train: ImageDataset; test: ImageDataset },
  o: { epochs: number; batch: number; lr: number; clip: number; rng: Rng; onStep?: CaptionOptions['onPretrainStep']; onEpoch?: CaptionOptions['onPretrainEpoch'] },
): PretrainEpoch[] {
  const featuresPer = params['conv2.w'].shape[0] * (SIDE / 4) * (SIDE / 4);
  const head: ModelParams = { w: o.rng.randn([featuresPer, 10], Math.sqrt(1 / featuresPer)), b: Tensor.zeros([10]) };
  const cnnKeys = ['conv1.w', 'conv1.b', 'conv2.w', 'conv2.b'] as const;
  const trainable: ModelParams = { ...head };
  for (const k of cnnKeys) trainable[k] = params[k];
  const opt = new Adam({ lr: o.lr });
  const m = split.train.labels.length;
  const steps = Math.ceil(m / o.batch);
  const per = SIDE * SIDE;
  const out: PretrainEpoch[] = [];
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const t0 = performance.now();
    const order = o.rng.permutation(m);
    let sum = 0;
    for (let s = 0; s < steps; s++) {
      const idx = Array.from(order.slice(s * o.batch, Math.min(m, (s + 1) * o.batch)));
      const n = idx.length;
      const x = Tensor.zeros([n, 1, SIDE, SIDE]);
      idx.forEach((j, i) => x.data.set(split.train.images.data.subarray(j * per, (j + 1) * per), i * per));
      const enc = encodeImages(trainable, x);
      const a = affineForward(enc.features, trainable.w, trainable.b);
      const { loss, dscores } = softmaxCrossEntropy(a.out, idx.map((j) => split.train.labels[j]));
      const da = affineBackward(dscores, a.cache);
      const grads: ModelParams = { w: da.dw, b: da.db };
      encoderBackward(da.dx, enc.cache, grads);
      opt.step(trainable, clipGradNorm(grads, o.clip).grads);
      sum += loss * n;
      o.onStep?.(epoch, s + 1, steps, loss);
    }
    let right = 0;
    const mt = split.test.labels.length;
    for (let s = 0; s < mt; s += 200) {
      const e = Math.min(mt, s + 200);
      const scores = affineForward(encodeImages(trainable, rows(split.test, s, e)).features, trainable.w, trainable.b).out;
      for (let i = 0; i < e - s; i++) {
        let best = 0;
        for (let c = 1; c < 10; c++) if (scores.data[i * 10 + c] > scores.data[i * 10 + best]) best = c;
        if (best === split.test.labels[s + i]) right++;
      }
    }
    const e = { epoch, trainLoss: sum / m, testAccuracy: right / mt, seconds: (performance.now() - t0) / 1000 };
    out.push(e);
    o.onEpoch?.(e);
  }
  return out;
}

/**
 * Trains the captioner (CNN + LSTM, jointly) on fresh training canvases each epoch and evaluates
 * it on held-out canvases made of digit images it never saw. By default the CNN is first
 * pre-trained as a single-digit classifier (`pretrainEpochs`) and the learning rate follows a
 * cosine decay to 0 over the captioning steps (`cosine`).
 *
 * @throws ValueError on an unknown option, or a count that is not a positive integer (`pretrainEpochs`: >= 0)
 */
export function runCaption(o: CaptionOptions): {
  params: ModelParams;
  test: CaptionSet;
  evaluation: CaptionEvaluation;
  initialTestLoss: number;
  epochs: CaptionEpoch[];
  pretrain: PretrainEpoch[];
} {
  checkOptions('runCaption', 'options', o, CAPTION_KEYS);
  for (const k of ['trainCanvases', 'testCanvases', 'epochs', 'batch'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new ValueError('runCaption', `${k} must be an integer >= 1, got ${o[k]}`);
  }
  const pretrainEpochs = o.pretrainEpochs ?? PRETRAIN_EPOCHS;
  if (!Number.isInteger(pretrainEpochs) || pretrainEpochs < 0) throw new ValueError('runCaption', `pretrainEpochs must be an integer >= 0, got ${pretrainEpochs}`);
  if (o.cosine !== undefined && typeof o.cosine !== 'boolean') throw new ValueError('runCaption', `cosine must be true or false, got ${String(o.cosine)}`);
  const cosine = o.cosine ?? true;
  const split = mnistSplit({ seed: o.seed, perClass: o.perClass });
  const background = -split.mean / split.std;
  const rng = new Rng(o.seed);
  const slots = o.slots ?? SLOTS;
  const maxDigits = o.maxDigits ?? slots;
  const test = makeCanvases(split.test, o.testCanvases, maxDigits, new Rng(o.seed + 1), background, slots);
  const params = createCaptioner(o.size, rng, slots);
  const pretrain = pretrainEpochs > 0 ? pretrainEncoder(params, split, { epochs: pretrainEpochs, batch: o.batch, lr: o.lr, clip: o.clip, rng: new Rng(o.seed + 2), onStep: o.onPretrainStep, onEpoch: o.onPretrainEpoch }) : [];
  const impl = o.impl ?? {};
  const initialTestLoss = captionerLossAndGrads(params, test.images, test.digits, impl).loss;
  const opt = new Adam({ lr: o.lr });
  const epochs: CaptionEpoch[] = [];
  const steps = Math.ceil(o.trainCanvases / o.batch);
  const total = steps * o.epochs;
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const t0 = performance.now();
    let sum = 0;
    for (let s = 0; s < steps; s++) {
      const n = Math.min(o.batch, o.trainCanvases - s * o.batch);
      const b = makeCanvases(split.train, n, maxDigits, rng, background, slots);
      const r = captionerLossAndGrads(params, b.images, b.digits, impl);
      sum += r.loss * n;
      // Cosine decay (Loshchilov & Hutter 2017), per step: lr at the first step, close to 0 at the last.
      if (cosine) opt.lr = (o.lr * (1 + Math.cos((Math.PI * ((epoch - 1) * steps + s)) / total))) / 2;
      opt.step(params, clipGradNorm(r.grads, o.clip).grads);
      o.onStep?.(epoch, s + 1, steps, r.loss);
    }
    const e = { epoch, trainLoss: sum / o.trainCanvases, testExact: evaluateCaptions(params, test, impl).exact, seconds: (performance.now() - t0) / 1000 };
    epochs.push(e);
    o.onEpoch?.(e);
  }
  return { params, test, evaluation: evaluateCaptions(params, test, impl), initialTestLoss, epochs, pretrain };
}
