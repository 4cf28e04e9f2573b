/**
 * A character-level language model: an embedding, an LSTM and a temporal affine layer predict
 * the next character of a text; trained by truncated backprop through time over long streams,
 * sampled at a temperature. Everything is composed from this package's layers.
 *
 * Losses are in nats per character (natural log; divide by `ln 2` for bits). The baseline to
 * beat is the unigram model, which predicts every character with its frequency in the training
 * text and ignores the context.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Adam } from '@dlkata/layers';
import { Rng, Tensor, ValueError } from '@dlkata/tensor';
import { clipGradNorm, lstmBackward, lstmForward, lstmInitParams, lstmStepForward, temporalAffineBackward, temporalAffineForward, temporalSoftmaxLoss, timeChunks, wordEmbeddingBackward, wordEmbeddingForward } from '@dlkata/rnn';
import { checkNumber } from '../validate.js';

/** The bundled text: the King James Bible, Genesis 1-3 (public domain; see `data/README.md`). */
export const CORPUS_FILE = fileURLToPath(new URL('../../data/genesis-1-3-kjv.txt', import.meta.url));

/** Reads a UTF-8 text file (default {@link CORPUS_FILE}). */
export function loadCorpus(file: string = CORPUS_FILE): string {
  return readFileSync(file, 'utf8');
}

/** The characters of a text, sorted by code point, and their ids. */
export interface CharVocabulary {
  /** `chars[id]` is the character with that id. */
  readonly chars: readonly string[];
  /** Character to id. */
  readonly index: ReadonlyMap<string, number>;
}

/**
 * The vocabulary of a text: its distinct characters (code points), sorted.
 *
 * @throws ValueError for an empty text
 */
export function buildVocabulary(text: string): CharVocabulary {
  if (typeof text !== 'string' || text.length === 0) throw new ValueError('buildVocabulary', 'text must be a non-empty string');
  const chars = [...new Set(Array.from(text))].sort();
  return { chars, index: new Map(chars.map((c, i) => [c, i])) };
}

/**
 * Character ids of a text.
 *
 * @throws ValueError for a character outside the vocabulary: `"encodeText: character "#" at 3 is not in the vocabulary (V = 40)"`
 */
export function encodeText(text: string, vocab: CharVocabulary): Int32Array {
  const chars = Array.from(text);
  const ids = new Int32Array(chars.length);
  chars.forEach((c, i) => {
    const id = vocab.index.get(c);
    if (id === undefined) throw new ValueError('encodeText', `character ${JSON.stringify(c)} at ${i} is not in the vocabulary (V = ${vocab.chars.length})`);
    ids[i] = id;
  });
  return ids;
}

/** The text of character ids (the inverse of {@link encodeText}). */
export function decodeIds(ids: ArrayLike<number>, vocab: CharVocabulary): string {
  let s = '';
  for (let i = 0; i < ids.length; i++) s += vocab.chars[ids[i]];
  return s;
}

/**
 * The unigram baseline: each character predicted by its frequency in the training ids, with
 * add-one (Laplace) smoothing so an unseen character has a finite cost.
 *
 * @param train - training ids, each in `[0, V)`
 * @param evalIds - ids to score
 * @param V - vocabulary size
 * @returns the cross-entropy of `evalIds` under the training frequencies, nats per character
 */
export function unigramCrossEntropy(train: ArrayLike<number>, evalIds: ArrayLike<number>, V: number): number {
  const counts = new Float64Array(V).fill(1);
  for (let i = 0; i < train.length; i++) counts[train[i]]++;
  const total = train.length + V;
  let s = 0;
  for (let i = 0; i < evalIds.length; i++) s -= Math.log(counts[evalIds[i]] / total);
  return s / evalIds.length;
}

/**
 * Cuts a long id sequence into `N` contiguous streams of equal length (PyTorch's
 * word-language-model `batchify`): stream `n` is `ids[n*L .. n*L + L]`, with `L + 1` ids kept
 * per stream so the last input still has a next character as target.
 *
 * @param ids - the text, length >= `N * 2`
 * @param N - streams, integer >= 1
 * @returns `inputs` and `targets`, each row-major `[N, L]` with `targets[n, t] = inputs[n, t + 1]`
 *   in the text, and `L`
 * @throws ValueError if the text is too short for `N` streams of at least one step
 */
export function makeStreams(ids: Int32Array, N: number): { inputs: Int32Array; targets: Int32Array; L: number } {
  checkNumber('makeStreams', 'N', N, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const L = Math.floor((ids.length - 1) / N);
  if (L < 1) throw new ValueError('makeStreams', `a text of ${ids.length} characters is too short for ${N} streams`);
  const inputs = new Int32Array(N * L);
  const targets = new Int32Array(N * L);
  for (let n = 0; n < N; n++) {
    inputs.set(ids.subarray(n * L, n * L + L), n * L);
    targets.set(ids.subarray(n * L + 1, n * L + L + 1), n * L);
  }
  return { inputs, targets, L };
}

/** Parameters of a {@link CharLm}, keyed as the optimisers of `@dlkata/layers` expect. */
export interface CharLmParams {
  [name: string]: Tensor;
  /** Character embeddings, `[V, E]`. */
  embed: Tensor;
  /** LSTM input weights, `[E, 4H]` (gate order i, f, g, o). */
  Wx: Tensor;
  /** LSTM recurrent weights, `[H, 4H]`. */
  Wh: Tensor;
  /** LSTM biases, `[4H]`. */
  b: Tensor;
  /** Hidden state to next-character scores, `[H, V]`. */
  Wy: Tensor;
  /** `[V]`. */
  by: Tensor;
}

/** A character language model. */
export interface CharLm {
  /** Vocabulary size V. */
  readonly V: number;
  /** Hidden units H. */
  readonly H: number;
  readonly params: CharLmParams;
}

/**
 * Fresh parameters: embeddings `N(0, 1)`, the LSTM by `lstmInitParams` (forget bias 1),
 * `Wy ~ N(0, 1/H)`, `by = 0`.
 */
export function createCharLm(V: number, E: number, H: number, rng: Rng): CharLm {
  const lstm = lstmInitParams(E, H, rng);
  return { V, H, params: { embed: rng.randn([V, E]), ...lstm, Wy: rng.randn([H, V], 1 / Math.sqrt(H)), by: Tensor.zeros([V]) } };
}

/** What one chunk of truncated BPTT gives: the mean loss per character, the gradients and the carried state. */
export interface ChunkResult {
  /** Mean cross-entropy per character of the chunk, nats. */
  readonly loss: number;
  /** Gradients of that mean, keyed like the parameters; absent when only evaluating. */
  readonly grads?: CharLmParams;
  /** Hidden state after the chunk, `[N, H]`. */
  readonly h: Tensor;
  /** Cell state after the chunk, `[N, H]`. */
  readonly c: Tensor;
}

/**
 * Forward (and, if `backward`, backward) pass over one chunk of `L` steps of `N` streams,
 * starting from the carried states `h`, `c`. The gradients stop at the chunk's start: the
 * truncation of truncated BPTT.
 *
 * @param inputs - character ids, row-major `[N, L]`
 * @param targets - next-character ids, row-major `[N, L]`
 */
export function charLmChunk(model: CharLm, inputs: Int32Array, targets: Int32Array, N: number, h: Tensor, c: Tensor, backward: boolean): ChunkResult {
  const L = inputs.length / N;
  const p = model.params;
  const emb = wordEmbeddingForward({ data: inputs, shape: [N, L] }, p.embed);
  const rec = lstmForward(emb.out, h, p.Wx, p.Wh, p.b, c);
  const aff = temporalAffineForward(rec.h, p.Wy, p.by);
  const { loss, dscores } = temporalSoftmaxLoss(aff.out, { data: targets, shape: [N, L] });
  const H = model.H;
  const hT = Tensor.zeros([N, H]);
  for (let n = 0; n < N; n++) hT.data.set(rec.h.data.subarray((n * L + L - 1) * H, (n * L + L) * H), n * H);
  if (!backward) return { loss: loss / L, h: hT, c: rec.cT };
  // temporalSoftmaxLoss sums over the steps and averages over the streams; we report (and
  // differentiate) the mean per character, so divide by L.
  const ds = dscores.map((v) => v / L);
  const da = temporalAffineBackward(ds, aff.cache);
  const dr = lstmBackward(da.dx, rec.cache); // dh0, dc0 are dropped: the truncation
  const de = wordEmbeddingBackward(dr.dx, emb.cache);
  return { loss: loss / L, grads: { embed: de.dW, Wx: dr.dWx, Wh: dr.dWh, b: dr.db, Wy: da.dw, by: da.db }, h: hT, c: rec.cT };
}

/**
 * The mean loss per character of a model on a text, read as one stream from a zero state
 * (no gradients).
 *
 * @param ids - the text's ids, length >= 2
 * @param chunk - steps per forward call (only memory depends on it)
 * @returns nats per character
 */
export function evaluateCharLm(model: CharLm, ids: Int32Array, chunk = 200): number {
  const { inputs, targets, L } = makeStreams(ids, 1);
  let h = Tensor.zeros([1, model.H]);
  let c = Tensor.zeros([1, model.H]);
  let total = 0;
  for (const ch of timeChunks(L, chunk)) {
    const r = charLmChunk(model, inputs.subarray(ch.start, ch.end), targets.subarray(ch.start, ch.end), 1, h, c, false);
    total += r.loss * (ch.end - ch.start);
    h = r.h;
    c = r.c;
  }
  return total / L;
}

/**
 * Samples text from the model: feed `prime`, then repeatedly draw the next character from
 * `softmax(scores / temperature)` and feed it back. Temperature 1 samples the model's
 * distribution; lower values are more conservative (towards the most likely character).
 *
 * @param prime - a non-empty start, characters of the vocabulary
 * @param length - characters to generate, integer >= 0
 * @param temperature - > 0
 * @param rng - source of the draws (deterministic for a seed)
 * @returns `prime` followed by the generated characters
 */
export function sampleText(model: CharLm, vocab: CharVocabulary, prime: string, length: number, temperature: number, rng: Rng): string {
  const op = 'sampleText';
  checkNumber(op, 'length', length, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0');
  checkNumber(op, 'temperature', temperature, (v) => v > 0, 'a finite number > 0');
  const primeIds = encodeText(prime, vocab);
  if (primeIds.length === 0) throw new ValueError(op, 'prime must not be empty');
  const p = model.params;
  const E = p.embed.shape[1];
  let h = Tensor.zeros([1, model.H]);
  let c = Tensor.zeros([1, model.H]);
  const out = Array.from(primeIds);
  let logits = new Float64Array(model.V);
  const feed = (id: number): void => {
    const x = new Tensor(p.embed.data.slice(id * E, (id + 1) * E), [1, E]);
    const s = lstmStepForward(x, h, c, p.Wx, p.Wh, p.b);
    h = s.nextH;
    c = s.nextC;
    const scores = temporalAffineForward(h.reshape([1, 1, model.H]), p.Wy, p.by).out;
    logits = Float64Array.from(scores.data);
  };
  for (const id of primeIds) feed(id);
  for (let k = 0; k < length; k++) {
    let m = -Infinity;
    for (const v of logits) m = Math.max(m, v / temperature);
    const w = Array.from(logits, (v) => Math.exp(v / temperature - m));
    const z = w.reduce((a, b) => a + b, 0);
    let u = rng.next() * z;
    let next = w.length - 1;
    for (let i = 0; i < w.length; i++) {
      u -= w[i];
      if (u < 0) {
        next = i;
        break;
      }
    }
    out.push(next);
    feed(next);
  }
  return decodeIds(out, vocab);
}

/** Options of {@link trainCharLm}. */
export interface CharLmOptions {
  /** The text to learn from. */
  readonly text: string;
  /** Fraction of the text (its end) held out for validation, in `[0, 0.5]`; default 0.1. */
  readonly validation?: number;
  /** Passes over the training text, integer >= 1. */
  readonly epochs: number;
  /** Hidden units H; default 96. */
  readonly hidden?: number;
  /** Embedding size E; default 16. */
  readonly embed?: number;
  /** Parallel streams N (batch); default 16. */
  readonly streams?: number;
  /** Truncated BPTT length k (steps per chunk); default 32. */
  readonly bptt?: number;
  /** Adam's learning rate; default 3e-3. */
  readonly lr?: number;
  /** Largest global gradient norm; default 5. */
  readonly clip?: number;
  /** Seed of the weights and the samples. */
  readonly seed: number;
  /** Sample this many characters after every epoch (0: none); default 0. */
  readonly sampleLength?: number;
  /** Temperature of the samples; default 0.7. */
  readonly temperature?: number;
  /** Start of the samples; default the text's first 12 characters. */
  readonly prime?: string;
  /** Called after every chunk with the epoch (1-based), the chunk index, the number of chunks and the chunk's loss. */
  readonly onChunk?: (epoch: number, chunk: number, chunks: number, loss: number) => void;
  /** Called after every epoch with its record. */
  readonly onEpoch?: (record: CharLmEpoch) => void;
}

/** One epoch of {@link trainCharLm}. */
export interface CharLmEpoch {
  readonly epoch: number;
  /** Mean training loss of the epoch's chunks, nats per character. */
  readonly trainLoss: number;
  /** Validation loss after the epoch, nats per character. */
  readonly validationLoss: number;
  /** Seconds of the epoch (training and evaluation). */
  readonly seconds: number;
  /** The epoch's sample (empty if `sampleLength` is 0). */
  readonly sample: string;
}

/** What {@link trainCharLm} returns. */
export interface CharLmRun {
  readonly model: CharLm;
  readonly vocab: CharVocabulary;
  /** Characters of training and validation text. */
  readonly trainChars: number;
  readonly validationChars: number;
  /** Unigram cross-entropy of the training text under its own frequencies, nats per character. */
  readonly unigramTrain: number;
  /** Unigram cross-entropy of the validation text under the training frequencies. */
  readonly unigramValidation: number;
  /** Loss of the untrained model on the training text (about `ln V`). */
  readonly initialLoss: number;
  readonly epochs: readonly CharLmEpoch[];
}

/**
 * Trains a character language model by truncated BPTT: the training text is cut into `N`
 * streams ({@link makeStreams}), each epoch walks them in chunks of `k` steps from a zero state,
 * carrying the hidden and cell states from chunk to chunk but backpropagating within a chunk
 * only; each chunk's gradients are clipped by their global norm and applied by Adam.
 *
 * Deterministic for a seed (weights and samples come from `new Rng(seed)` and `new Rng(seed + 1)`).
 */
export function trainCharLm(o: CharLmOptions): CharLmRun {
  const op = 'trainCharLm';
  checkNumber(op, 'epochs', o.epochs, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const valFrac = o.validation ?? 0.1;
  checkNumber(op, 'validation', valFrac, (v) => v >= 0 && v <= 0.5, 'a number in [0, 0.5]');
  const vocab = buildVocabulary(o.text);
  const ids = encodeText(o.text, vocab);
  const cut = Math.floor(ids.length * (1 - valFrac));
  const train = ids.subarray(0, cut);
  const val = ids.subarray(cut);
  const V = vocab.chars.length;
  const H = o.hidden ?? 96;
  const N = o.streams ?? 16;
  const k = o.bptt ?? 32;
  const rng = new Rng(o.seed);
  const sampler = new Rng(o.seed + 1);
  const model = createCharLm(V, o.embed ?? 16, H, rng);
  const opt = new Adam({ lr: o.lr ?? 3e-3 });
  const clip = o.clip ?? 5;
  const { inputs, targets, L } = makeStreams(train, N);
  const chunks = timeChunks(L, k);
  const slice = (a: Int32Array, s: number, e: number): Int32Array => {
    const out = new Int32Array(N * (e - s));
    for (let n = 0; n < N; n++) out.set(a.subarray(n * L + s, n * L + e), n * (e - s));
    return out;
  };
  const initialLoss = evaluateCharLm(model, train);
  const epochs: CharLmEpoch[] = [];
  for (let e = 1; e <= o.epochs; e++) {
    const t0 = performance.now();
    let h = Tensor.zeros([N, H]);
    let c = Tensor.zeros([N, H]);
    let sum = 0;
    for (const ch of chunks) {
      const r = charLmChunk(model, slice(inputs, ch.start, ch.end), slice(targets, ch.start, ch.end), N, h, c, true);
      opt.step(model.params, clipGradNorm(r.grads!, clip).grads);
      h = r.h;
      c = r.c;
      sum += r.loss * (ch.end - ch.start);
      o.onChunk?.(e, ch.index + 1, chunks.length, r.loss);
    }
    const validationLoss = val.length >= 2 ? evaluateCharLm(model, val) : NaN;
    const sample = (o.sampleLength ?? 0) > 0 ? sampleText(model, vocab, o.prime ?? o.text.slice(0, 12), o.sampleLength!, o.temperature ?? 0.7, sampler) : '';
    const record = { epoch: e, trainLoss: sum / L, validationLoss, seconds: (performance.now() - t0) / 1000, sample };
    epochs.push(record);
    o.onEpoch?.(record);
  }
  return {
    model,
    vocab,
    trainChars: train.length,
    validationChars: val.length,
    unigramTrain: unigramCrossEntropy(train, train, V),
    unigramValidation: unigramCrossEntropy(train, val, V),
    initialLoss,
    epochs,
  };
}
