/**
 * Translation of English number words into German ones with an encoder-decoder (the lecture's
 * many-to-many case; its long-term example is about speaking German): `three hundred twelve` ->
 * `drei hundert zwölf` (morphemes; joined: `dreihundertzwölf`). The German order differs from the
 * English one (`twenty one` -> `ein und zwanzig`), so the decoder must use the whole source,
 * which reaches it only through the encoder's final states.
 *
 * Numbers held out for testing are never seen in training: the model has to compose the words it
 * knows. Built from `@dlkata/rnn`'s `seq2seqLoss` and `seq2seqGreedy`, Adam and clipping.
 *
 * @module
 */
import { Adam } from '@dlkata/layers';
import {
  clipGradNorm,
  layerKeys,
  lstmInitParams,
  seq2seqGreedy,
  seq2seqLoss,
  temporalAffineBackward,
  temporalAffineForward,
  temporalSoftmaxLoss,
  wordEmbeddingBackward,
  wordEmbeddingForward,
  type ModelParams,
} from '@dlkata/rnn';
import { checkOptions, optionKeys, Rng, Tensor, ValueError } from '@dlkata/tensor';
import type { Impl } from '../mine/adapters.js';
import { idRows } from '../mine/adapters.js';

/** The functions of an encoder-decoder run: the library's `seq2seqLoss` and `seq2seqGreedy`, or the student's under `--mine`. */
export type TranslateImpl = Pick<Impl, 'seq2seqLoss' | 'seq2seqGreedy'>;

/** The last time step `[N, H]` of a sequence `[N, T, H]`. */
function lastStep(h: Tensor): Tensor {
  const [N, T, H] = h.shape;
  const out = Tensor.zeros([N, H]);
  for (let n = 0; n < N; n++) out.data.set(h.data.subarray((n * T + T - 1) * H, (n * T + T) * H), n * H);
  return out;
}

/**
 * `seq2seqLoss` and `seq2seqGreedy` for one LSTM layer per side, built from an LSTM's
 * `lstmForward`, `lstmBackward` and `lstmStepForward` (e.g. the student's of exercise 11) and the
 * library's embeddings, affine layer and masked softmax loss: the same functions as the library's
 * with `encWx`, `encWh`, `encb`, `decWx`, `decWh`, `decb`.
 */
export function seq2seqFrom(ops: Pick<Impl, 'lstmForward' | 'lstmBackward' | 'lstmStepForward'>): TranslateImpl {
  const encode = (src: Parameters<TranslateImpl['seq2seqLoss']>[0], params: ModelParams) => {
    const emb = wordEmbeddingForward(src, params.Wsrc);
    const [N] = emb.out.shape;
    const H = params.encWh.shape[0];
    const e = ops.lstmForward(emb.out, Tensor.zeros([N, H]), params.encWx, params.encWh, params.encb);
    return { emb, e, hT: lastStep(e.h), N, H };
  };
  return {
    seq2seqLoss: (src, tgt, params, opts) => {
      if ((opts.cell ?? 'lstm') !== 'lstm') throw new ValueError('seq2seqLoss (your LSTM)', `is built on an LSTM; this run needs cell '${String(opts.cell)}'`);
      const { emb, e, hT, N, H } = encode(src, params);
      const rows = idRows(tgt);
      const input = rows.map((r) => r.slice(0, -1));
      const target = rows.map((r) => r.slice(1));
      const mask = target.map((r) => r.map((v) => (v === opts.nullId ? 0 : 1)));
      const temb = wordEmbeddingForward(input, params.Wtgt);
      const d = ops.lstmForward(temb.out, hT, params.decWx, params.decWh, params.decb, e.cT);
      const aff = temporalAffineForward(d.h, params.Wout, params.bout);
      const { loss, dscores } = temporalSoftmaxLoss(aff.out, target, mask);
      const da = temporalAffineBackward(dscores, aff.cache);
      const dd = ops.lstmBackward(da.dx, d.cache as never);
      const S = emb.out.shape[1];
      const dhEnc = Tensor.zeros([N, S, H]);
      for (let n = 0; n < N; n++) dhEnc.data.set(dd.dh0.data.subarray(n * H, (n + 1) * H), (n * S + S - 1) * H);
      const de = ops.lstmBackward(dhEnc, e.cache as never, dd.dc0);
      return {
        loss,
        grads: {
          Wsrc: wordEmbeddingBackward(de.dx, emb.cache).dW,
          encWx: de.dWx,
          encWh: de.dWh,
          encb: de.db,
          Wtgt: wordEmbeddingBackward(dd.dx, temb.cache).dW,
          decWx: dd.dWx,
          decWh: dd.dWh,
          decb: dd.db,
          Wout: da.dw,
          bout: da.db,
        },
      };
    },
    seq2seqGreedy: (src, params, o) => {
      const { e, hT, N } = encode(src, params);
      const E = params.Wtgt.shape[1];
      const V = params.Wout.shape[1];
      const out = Array.from({ length: N }, () => new Array<number>(o.maxLength).fill(o.nullId));
      const done = new Array<boolean>(N).fill(false);
      const prev = new Array<number>(N).fill(o.start);
      let h = hT;
      let c = e.cT;
      for (let t = 0; t < o.maxLength; t++) {
        const x = Tensor.zeros([N, E]);
        for (let n = 0; n < N; n++) x.data.set(params.Wtgt.data.subarray(prev[n] * E, (prev[n] + 1) * E), n * E);
        const st = ops.lstmStepForward(x, h, c, params.decWx, params.decWh, params.decb);
        h = st.nextH;
        c = st.nextC;
        const scores = temporalAffineForward(h.reshape([N, 1, h.shape[1]]), params.Wout, params.bout).out.data;
        for (let n = 0; n < N; n++) {
          if (done[n]) continue;
          let best = 0;
          for (let v = 1; v < V; v++) if (scores[n * V + v] > scores[n * V + best]) best = v;
          out[n][t] = best;
          prev[n] = best;
          if (best === o.end) done[n] = true;
        }
      }
      return out;
    },
  };
}
import { englishWords, ENGLISH_TOKENS, germanTokens, GERMAN_TOKENS, germanWord, MAX_NUMBER } from '../data/number-words.js';

/** Padding id (both vocabularies). */
export const PAD = 0;
/** Start token of the targets. */
export const BOS = 1;
/** End token of the targets. */
export const EOS = 2;
/** The source vocabulary: padding, then the English words. */
export const SOURCE_VOCAB: readonly string[] = ['<pad>', ...ENGLISH_TOKENS];
/** The target vocabulary: padding, start, end, then the German morphemes. */
export const TARGET_VOCAB: readonly string[] = ['<pad>', '<s>', '</s>', ...GERMAN_TOKENS];
const ALL = Array.from({ length: MAX_NUMBER }, (_, i) => i + 1);
/** Longest English number in words (`seven thousand seven hundred seventy seven`: 6). */
export const SOURCE_LENGTH = Math.max(...ALL.map((n) => englishWords(n).length));
/** Longest German number in morphemes (`ein tausend ein hundert ein und zwanzig`: 7). */
export const TARGET_LENGTH = Math.max(...ALL.map((n) => germanTokens(n).length));

/** Source ids of `n`, padded at the front to {@link SOURCE_LENGTH} (so the encoder ends on the last word). */
export function sourceIds(n: number): number[] {
  const ids = englishWords(n).map((w) => SOURCE_VOCAB.indexOf(w));
  return [...new Array<number>(SOURCE_LENGTH - ids.length).fill(PAD), ...ids];
}

/** Target ids of `n`: start, morphemes, end, padding, `TARGET_LENGTH + 2` in all. */
export function targetIds(n: number): number[] {
  const ids = [BOS, ...germanTokens(n).map((w) => TARGET_VOCAB.indexOf(w)), EOS];
  while (ids.length < TARGET_LENGTH + 2) ids.push(PAD);
  return ids;
}

/** The German word of decoded ids: the morphemes up to the end token, joined. */
export function decodeGerman(ids: readonly number[]): string {
  const out: string[] = [];
  for (const id of ids) {
    if (id === EOS) break;
    out.push(id === PAD || id === BOS ? '' : TARGET_VOCAB[id]);
  }
  return out.join('');
}

/**
 * A seeded split of 1-9999 into `test` and `train` numbers, disjoint: a held-out number is never
 * seen in training.
 *
 * @throws ValueError if the two sizes do not fit into 9999 numbers
 */
export function numberSplit(seed: number, trainSize: number, testSize: number): { train: number[]; test: number[] } {
  if (!(Number.isInteger(trainSize) && Number.isInteger(testSize) && trainSize >= 1 && testSize >= 1 && trainSize + testSize <= MAX_NUMBER)) {
    throw new ValueError('numberSplit', `trainSize and testSize must be integers >= 1 with a sum of at most ${MAX_NUMBER}, got ${trainSize} and ${testSize}`);
  }
  const order = new Rng(seed).permutation(MAX_NUMBER);
  const pick = (a: number, b: number) => Array.from(order.subarray(a, b), (i) => i + 1).sort((x, y) => x - y);
  return { test: pick(0, testSize), train: pick(testSize, testSize + trainSize) };
}

/** Fresh encoder-decoder parameters: `layers` LSTM layers of `hidden` units on each side, embeddings of `embed`. */
export function createTranslator(layers: number, hidden: number, embed: number, rng: Rng): ModelParams {
  const p: ModelParams = {
    Wsrc: rng.randn([SOURCE_VOCAB.length, embed], 0.5),
    Wtgt: rng.randn([TARGET_VOCAB.length, embed], 0.5),
    Wout: rng.randn([hidden, TARGET_VOCAB.length], 1 / Math.sqrt(hidden)),
    bout: rng.randn([TARGET_VOCAB.length], 0),
  };
  for (const side of ['enc', 'dec']) {
    for (let l = 0; l < layers; l++) {
      const q = lstmInitParams(l === 0 ? embed : hidden, hidden, rng);
      const k = layerKeys(side, l);
      p[k.Wx] = q.Wx;
      p[k.Wh] = q.Wh;
      p[k.b] = q.b;
    }
  }
  return p;
}

/**
 * Exact-match accuracy of greedy translations, overall and by number of English words.
 *
 * @param greedy - the decoder; default the library's `seq2seqGreedy`
 */
export function evaluateTranslator(params: ModelParams, numbers: readonly number[], greedy: TranslateImpl['seq2seqGreedy'] = seq2seqGreedy): { accuracy: number; byLength: Record<number, { n: number; accuracy: number }>; examples: { n: number; english: string; german: string; output: string }[] } {
  const out = greedy(numbers.map(sourceIds), params, { start: BOS, end: EOS, nullId: PAD, maxLength: TARGET_LENGTH + 1 });
  const byLength: Record<number, { n: number; right: number }> = {};
  let right = 0;
  const examples = numbers.map((n, i) => {
    const english = englishWords(n).join(' ');
    const german = germanWord(n);
    const output = decodeGerman(out[i]);
    const len = englishWords(n).length;
    byLength[len] ??= { n: 0, right: 0 };
    byLength[len].n++;
    if (output === german) {
      right++;
      byLength[len].right++;
    }
    return { n, english, german, output };
  });
  const by: Record<number, { n: number; accuracy: number }> = {};
  for (const [k, v] of Object.entries(byLength)) by[Number(k)] = { n: v.n, accuracy: v.right / v.n };
  return { accuracy: right / numbers.length, byLength: by, examples };
}

/** Options of {@link runTranslate}. */
export interface TranslateOptions {
  /** Depths to compare (LSTM layers on each side), e.g. `[1, 2]`. */
  readonly layers: readonly number[];
  readonly hidden: number;
  readonly embed: number;
  readonly epochs: number;
  readonly batch: number;
  readonly lr: number;
  readonly clip: number;
  readonly seed: number;
  /** Numbers to train on (drawn from 1-9999). */
  readonly trainSize: number;
  /** Held-out numbers, never seen in training. */
  readonly testSize: number;
  /** The loss and the decoder; default the library's (the student's under `--mine`). */
  readonly impl?: Partial<TranslateImpl>;
  /** Called after every Adam step with the batch loss. */
  readonly onStep?: (layers: number, epoch: number, step: number, steps: number, loss: number) => void;
  /** Called after every epoch. */
  readonly onEpoch?: (layers: number, e: TranslateEpoch) => void;
}
const TRANSLATE_KEYS = optionKeys<TranslateOptions>()('layers', 'hidden', 'embed', 'epochs', 'batch', 'lr', 'clip', 'seed', 'trainSize', 'testSize', 'impl', 'onStep', 'onEpoch');

/** One epoch of one model. */
export interface TranslateEpoch {
  readonly epoch: number;
  /** Mean training loss per pair (nats, summed over the target tokens). */
  readonly trainLoss: number;
  /** Exact-match accuracy on the held-out numbers (greedy decoding). */
  readonly testAccuracy: number;
  readonly seconds: number;
}

/** The outcome of one depth. */
export interface TranslateModel {
  readonly layers: number;
  readonly parameters: number;
  readonly epochs: readonly TranslateEpoch[];
  readonly train: ReturnType<typeof evaluateTranslator>;
  readonly test: ReturnType<typeof evaluateTranslator>;
}

/**
 * Trains one encoder-decoder per depth on the training numbers and measures exact-match accuracy
 * on the held-out ones, overall and by source length.
 *
 * @throws ValueError for an unknown option, or non-positive integer sizes
 */
export function runTranslate(o: TranslateOptions): { train: number[]; test: number[]; models: TranslateModel[] } {
  checkOptions('runTranslate', 'options', o, TRANSLATE_KEYS);
  for (const k of ['hidden', 'embed', 'epochs', 'batch', 'trainSize', 'testSize'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new ValueError('runTranslate', `${k} must be an integer >= 1, got ${o[k]}`);
  }
  const { train, test } = numberSplit(o.seed, o.trainSize, o.testSize);
  const loss = o.impl?.seq2seqLoss ?? seq2seqLoss;
  const greedy = o.impl?.seq2seqGreedy ?? seq2seqGreedy;
  const models: TranslateModel[] = [];
  for (const L of o.layers) {
    const rng = new Rng(o.seed);
    const params = createTranslator(L, o.hidden, o.embed, rng);
    const opt = new Adam({ lr: o.lr });
    const steps = Math.ceil(train.length / o.batch);
    const epochs: TranslateEpoch[] = [];
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const t0 = performance.now();
      const order = rng.permutation(train.length);
      let sum = 0;
      for (let s = 0; s < steps; s++) {
        const nums = Array.from(order.subarray(s * o.batch, Math.min(train.length, (s + 1) * o.batch)), (i) => train[i]);
        const r = loss(nums.map(sourceIds), nums.map(targetIds), params, { nullId: PAD });
        sum += r.loss * nums.length;
        opt.step(params, clipGradNorm(r.grads, o.clip).grads);
        o.onStep?.(L, epoch, s + 1, steps, r.loss);
      }
      const e = { epoch, trainLoss: sum / train.length, testAccuracy: evaluateTranslator(params, test, greedy).accuracy, seconds: (performance.now() - t0) / 1000 };
      epochs.push(e);
      o.onEpoch?.(L, e);
    }
    const parameters = Object.values(params).reduce((a, t) => a + t.size, 0);
    models.push({ layers: L, parameters, epochs, train: evaluateTranslator(params, train, greedy), test: evaluateTranslator(params, test, greedy) });
  }
  return { train, test, models };
}
