/**
 * "RNNs are flexible" (the lecture, item 14): the recurrent architectures built from this
 * package's layers, each as a loss with its gradients (training) and a decoder (test time).
 *
 * - many-to-one: {@link manyToOneLoss}, {@link manyToOneScores} (sequence classification)
 * - one-to-many: {@link captionLoss}, {@link captionGreedy}, {@link captionSample} (image captioning)
 * - many-to-many: {@link seq2seqLoss}, {@link seq2seqGreedy} (encoder-decoder translation)
 *
 * Parameters are flat dictionaries of tensors (what the optimisers of `@dlkata/layers` take),
 * and the gradients come back keyed the same way. A recurrent layer `l` of a stack with prefix
 * `p` owns the keys `pWx`, `pWh`, `pb` for `l = 0` and `pWx2`, `pWh2`, `pb2` for the second
 * layer, and so on ({@link layerKeys}); the number of layers is read from the keys present.
 *
 * Sequences of token ids are `(N, T)` grids (see `IdGrid`); `nullId` marks padding, which the
 * losses mask out. Only the stack's layers carry hand-written gradients; every function here
 * composes them, as CS231n's `CaptioningRNN.loss` does.
 *
 * @module
 */
import { checkOptions, formatShape, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { wordEmbeddingBackward, wordEmbeddingForward } from './embedding.js';
import { lstmStepForward } from './lstm.js';
import { rnnStepForward } from './rnn.js';
import { stackedBackward, stackedForward, type RecurrentCell, type RecurrentLayerParams } from './stacked.js';
import { temporalAffineBackward, temporalAffineForward, temporalSoftmaxLoss } from './temporal.js';
import { checkNumber, readIds, type IdGrid } from './validate.js';

/** A flat dictionary of parameters (or of their gradients, keyed the same way). */
export type ModelParams = Record<string, Tensor>;

/**
 * The keys of recurrent layer `l` (0-based) of the stack named `prefix`: `Wx`, `Wh`, `b` with
 * the prefix in front and, from the second layer on, the 1-based layer number behind
 * (`layerKeys('enc', 1)` = `{ Wx: 'encWx2', Wh: 'encWh2', b: 'encb2' }`).
 */
export function layerKeys(prefix: string, l: number): { Wx: string; Wh: string; b: string } {
  const s = l === 0 ? '' : String(l + 1);
  return { Wx: `${prefix}Wx${s}`, Wh: `${prefix}Wh${s}`, b: `${prefix}b${s}` };
}

/** The layers of the stack `prefix` present in `params`, bottom first. */
export function stackOf(params: ModelParams, prefix: string): RecurrentLayerParams[] {
  const out: RecurrentLayerParams[] = [];
  for (let l = 0; ; l++) {
    const k = layerKeys(prefix, l);
    if (!(k.Wx in params)) break;
    out.push({ Wx: params[k.Wx], Wh: params[k.Wh], b: params[k.b] });
  }
  return out;
}

function checkParams(op: string, params: ModelParams, fixed: readonly string[], stacks: readonly string[]): void {
  if (params === null || typeof params !== 'object') throw new ValueError(op, `params must be an object of Tensors, got ${params === null ? 'null' : typeof params}`);
  const accepted = new Set(fixed);
  for (const p of stacks) {
    const L = stackOf(params, p).length;
    if (L === 0) throw new ValueError(op, `params must hold a recurrent layer ${layerKeys(p, 0).Wx}, ${layerKeys(p, 0).Wh}, ${layerKeys(p, 0).b}`);
    for (let l = 0; l < L; l++) for (const k of Object.values(layerKeys(p, l))) accepted.add(k);
  }
  for (const k of accepted) if (!(params[k] instanceof Tensor)) throw new ValueError(op, `params.${k} must be a Tensor, got ${params[k] === undefined ? 'nothing' : typeof params[k]}`);
  const unknown = Object.keys(params).filter((k) => !accepted.has(k));
  if (unknown.length > 0) throw new ValueError(op, `unknown parameter(s) ${unknown.join(', ')}; accepted: ${[...accepted].join(', ')}`);
}

function checkCell(op: string, cell: unknown): RecurrentCell {
  if (cell !== 'rnn' && cell !== 'lstm') throw new ValueError(op, `cell must be 'rnn' or 'lstm', got ${String(cell)}`);
  return cell;
}

function addGrads(grads: ModelParams, prefix: string, g: ReadonlyArray<{ dWx: Tensor; dWh: Tensor; db: Tensor }>): void {
  g.forEach((lg, l) => {
    const k = layerKeys(prefix, l);
    grads[k.Wx] = lg.dWx;
    grads[k.Wh] = lg.dWh;
    grads[k.b] = lg.db;
  });
}

/** Splits `(N, T+1)` ids into the inputs `[:, :-1]`, the targets `[:, 1:]` and the mask `targets != nullId`. */
function shiftIds(op: string, name: string, ids: IdGrid, nullId: number): { N: number; T: number; input: { data: Int32Array; shape: [number, number] }; target: { data: Int32Array; shape: [number, number] }; mask: { data: Uint8Array; shape: [number, number] } } {
  const r = readIds(op, name, ids);
  if (r.T < 2) throw new ShapeError(op, `${name} must have at least 2 tokens per row (a start token and one word), got (${r.N}, ${r.T})`);
  const T = r.T - 1;
  const input = new Int32Array(r.N * T);
  const target = new Int32Array(r.N * T);
  const mask = new Uint8Array(r.N * T);
  for (let n = 0; n < r.N; n++) {
    for (let t = 0; t < T; t++) {
      input[n * T + t] = r.values[n * r.T + t];
      target[n * T + t] = r.values[n * r.T + t + 1];
      mask[n * T + t] = target[n * T + t] === nullId ? 0 : 1;
    }
  }
  // A padded input position feeds the embedding; the id must still be a valid row.
  return { N: r.N, T, input: { data: input, shape: [r.N, T] }, target: { data: target, shape: [r.N, T] }, mask: { data: mask, shape: [r.N, T] } };
}

// ---------------------------------------------------------------------------------------------
// Many-to-one

/** Options of {@link manyToOneLoss}. */
export interface ManyToOneOptions {
  /** `'lstm'` (default) or `'rnn'`. */
  readonly cell?: RecurrentCell;
  /** What the classifier reads: the last hidden state (`'last'`, default) or the mean over time (`'mean'`). */
  readonly pool?: 'last' | 'mean';
}

function pooled(h: Tensor, pool: 'last' | 'mean'): Tensor {
  const [N, T, H] = h.shape;
  const out = Tensor.zeros([N, 1, H]);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      if (pool === 'last') out.data[n * H + j] = h.data[(n * T + T - 1) * H + j];
      else {
        let s = 0;
        for (let t = 0; t < T; t++) s += h.data[(n * T + t) * H + j];
        out.data[n * H + j] = s / T;
      }
    }
  }
  return out;
}

function manyToOneForward(op: string, x: Tensor, params: ModelParams, opts: ManyToOneOptions) {
  checkOptions(op, 'opts', opts, ['cell', 'pool']);
  const cell = checkCell(op, opts.cell ?? 'lstm');
  const pool = opts.pool ?? 'last';
  if (pool !== 'last' && pool !== 'mean') throw new ValueError(op, `pool must be 'last' or 'mean', got ${String(pool)}`);
  checkParams(op, params, ['Wy', 'by'], ['']);
  const rec = stackedForward(cell, x, stackOf(params, ''));
  const p = pooled(rec.h, pool);
  const aff = temporalAffineForward(p, params.Wy, params.by);
  return { rec, pool, aff };
}

/**
 * Class scores of a many-to-one sequence classifier (no gradients): a stack of recurrent layers
 * reads the sequence, an affine layer maps the pooled top hidden state to K scores.
 *
 * Dimensions: N batch, T steps, D input features, H top hidden units, K classes.
 *
 * @param x - `[N, T, D]`
 * @param params - `Wx`, `Wh`, `b` (and `Wx2`, ... for more layers), `Wy` `[H, K]`, `by` `[K]`
 * @param opts - `cell` (default `'lstm'`) and `pool` (default `'last'`)
 * @returns `[N, K]` scores
 * @throws ValueError for an unknown option or parameter; ShapeError as the layers
 */
export function manyToOneScores(x: Tensor, params: ModelParams, opts: ManyToOneOptions = {}): Tensor {
  const f = manyToOneForward('manyToOneScores', x, params, opts);
  return f.aff.out.reshape([x.shape[0], params.Wy.shape[1]]);
}

/**
 * Many-to-one (the lecture's language recognition / event classification): loss and gradients of
 * a sequence classifier. `p = h[:, T-1, :]` (`pool: 'last'`) or `p = (1/T) sum_t h[:, t, :]`
 * (`'mean'`) of the top layer; `scores = p Wy + by`; `loss = -(1/N) sum_n log softmax(scores_n)[y_n]`.
 *
 * Dimensions: N batch, T steps, D input features, H top hidden units, K classes.
 *
 * @param x - `[N, T, D]`, finite
 * @param params - `Wx`, `Wh`, `b` (and `Wx2`, ... for more layers), `Wy` `[H, K]`, `by` `[K]`
 * @param y - N labels in `[0, K)`
 * @param opts - `cell` (default `'lstm'`) and `pool` (default `'last'`)
 * @returns `loss` (mean cross-entropy, nats), `scores` `[N, K]`, `grads` keyed like `params`, and
 *   `dx` `[N, T, D]`
 * @throws ValueError for an unknown option or parameter, or a label outside `[0, K)`; ShapeError
 *   if `y` does not have N entries, or as the layers
 * @see the lecture, item 14; Graves 2012, "Supervised Sequence Labelling with RNNs", ch. 2
 */
export function manyToOneLoss(x: Tensor, params: ModelParams, y: ArrayLike<number>, opts: ManyToOneOptions = {}): { loss: number; scores: Tensor; grads: ModelParams; dx: Tensor } {
  const op = 'manyToOneLoss';
  const f = manyToOneForward(op, x, params, opts);
  const [N, T] = x.shape;
  if (y === null || typeof y !== 'object' || y.length !== N) throw new ShapeError(op, `y must hold N = ${N} labels, got ${y === null || typeof y !== 'object' ? String(y) : `${y.length}`}`);
  const { loss, dscores } = temporalSoftmaxLoss(f.aff.out, { data: y, shape: [N, 1] });
  const da = temporalAffineBackward(dscores, f.aff.cache);
  const H = params.Wy.shape[0];
  const dh = Tensor.zeros([N, T, H]);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      const g = da.dx.data[n * H + j];
      if (f.pool === 'last') dh.data[(n * T + T - 1) * H + j] = g;
      else for (let t = 0; t < T; t++) dh.data[(n * T + t) * H + j] = g / T;
    }
  }
  const back = stackedBackward(dh, f.rec.cache);
  const grads: ModelParams = { Wy: da.dw, by: da.db };
  addGrads(grads, '', back.layers);
  return { loss, scores: f.aff.out.reshape([N, params.Wy.shape[1]]), grads, dx: back.dx };
}

// ---------------------------------------------------------------------------------------------
// One-to-many: image captioning

/** Options of {@link captionLoss}. */
export interface CaptionLossOptions {
  /** The padding id: target positions holding it do not count. */
  readonly nullId: number;
  /** `'lstm'` (default) or `'rnn'`. */
  readonly cell?: RecurrentCell;
}

const CAPTION_KEYS = ['Wproj', 'bproj', 'Wembed', 'Wvocab', 'bvocab'] as const;

/**
 * Image captioning (one-to-many), training loss with teacher forcing.
 *
 * Dimensions: N images, F image features, T + 1 caption tokens, V vocabulary, E embedding, H hidden.
 *
 * `h0 = features Wproj + bproj` (the image sets the initial hidden state; the LSTM's cell starts
 * at 0); the decoder reads `captions[:, :-1]` (a start token, then the words) embedded by
 * `Wembed`, and at each step predicts the next token, `captions[:, 1:]`, from `h_t Wvocab + bvocab`.
 * Positions whose target is `nullId` (padding) are masked out; the loss is summed over the
 * steps and averaged over the N images (CS231n's convention).
 *
 * @param features - `[N, F]`, finite (e.g. a CNN's penultimate activations)
 * @param captions - `(N, T + 1)` token ids, T >= 1, in `[0, V)`
 * @param params - `Wproj [F, H]`, `bproj [H]`, `Wembed [V, E]`, `Wx [E, G*H]`, `Wh [H, G*H]`,
 *   `b [G*H]` (G = 4 for the LSTM, 1 for the RNN; more layers as `Wx2`, ...), `Wvocab [H, V]`, `bvocab [V]`
 * @param opts - `nullId` and `cell`
 * @returns `loss` (nats per image), `grads` keyed like `params`, and `dfeatures` `[N, F]` (to train
 *   the image encoder too)
 * @throws ValueError for an unknown option or parameter or an id outside the vocabulary; ShapeError as the layers
 * @see CS231n assignment 3, `CaptioningRNN.loss`; Vinyals et al., "Show and Tell", CVPR 2015;
 *   Karpathy & Fei-Fei, "Deep Visual-Semantic Alignments", CVPR 2015
 */
export function captionLoss(features: Tensor, captions: IdGrid, params: ModelParams, opts: CaptionLossOptions): { loss: number; grads: ModelParams; dfeatures: Tensor } {
  const op = 'captionLoss';
  checkOptions(op, 'opts', opts, ['nullId', 'cell']);
  const cell = checkCell(op, opts.cell ?? 'lstm');
  checkNumber(op, 'nullId', opts.nullId, Number.isInteger, 'an integer');
  checkParams(op, params, CAPTION_KEYS, ['']);
  if (features.ndim !== 2) throw new ShapeError(op, `features must be [N, F], got ${formatShape(features.shape)}`);
  const [N, F] = features.shape;
  const s = shiftIds(op, 'captions', captions, opts.nullId);
  if (s.N !== N) throw new ShapeError(op, `captions has ${s.N} rows but features has N = ${N}; features ${formatShape(features.shape)}`);
  const layers = stackOf(params, '');
  const proj = temporalAffineForward(features.reshape([N, 1, F]), params.Wproj, params.bproj);
  const H = params.bproj.shape[0];
  const emb = wordEmbeddingForward(s.input, params.Wembed);
  const h0 = [proj.out.reshape([N, H])];
  const rec = stackedForward(cell, emb.out, layers, { h0 });
  const voc = temporalAffineForward(rec.h, params.Wvocab, params.bvocab);
  const { loss, dscores } = temporalSoftmaxLoss(voc.out, s.target, s.mask);
  const dv = temporalAffineBackward(dscores, voc.cache);
  const back = stackedBackward(dv.dx, rec.cache);
  const dp = temporalAffineBackward(back.dh0[0].reshape([N, 1, H]), proj.cache);
  const grads: ModelParams = { Wproj: dp.dw, bproj: dp.db, Wembed: wordEmbeddingBackward(back.dx, emb.cache).dW, Wvocab: dv.dw, bvocab: dv.db };
  addGrads(grads, '', back.layers);
  return { loss, grads, dfeatures: dp.dx.reshape([N, F]) };
}

/** Options of the decoders ({@link captionGreedy}, {@link captionSample}, {@link seq2seqGreedy}). */
export interface DecodeOptions {
  /** The start token, fed at the first step. */
  readonly start: number;
  /** The end token: once an example emits it, its remaining positions are `nullId`. */
  readonly end: number;
  /** The padding id. */
  readonly nullId: number;
  /** Tokens generated per example, integer >= 1. */
  readonly maxLength: number;
  /** `'lstm'` (default) or `'rnn'`. */
  readonly cell?: RecurrentCell;
}

/** Options of {@link captionSample}: those of greedy decoding plus a temperature and the random numbers. */
export interface SampleOptions extends DecodeOptions {
  /** Softmax temperature, > 0: `p = softmax(scores / temperature)`; below 1 sharper, above 1 flatter. */
  readonly temperature: number;
  /** `[N, maxLength]` uniform numbers in `[0, 1)`, one per generated token (inverse-CDF sampling). */
  readonly uniforms: Tensor;
}

/** Chooses a token from a row of scores: greedy (argmax, lowest id on ties) or by sampling. */
type Chooser = (scores: Float64Array, offset: number, V: number, n: number, t: number) => number;

function argmax(s: Float64Array, o: number, V: number): number {
  let best = 0;
  for (let v = 1; v < V; v++) if (s[o + v] > s[o + best]) best = v;
  return best;
}

/**
 * Inverse-CDF sampling: the smallest id whose cumulative probability exceeds `u`, with
 * `p = softmax(scores / temperature)` (row maximum subtracted first).
 */
export function sampleIndex(s: ArrayLike<number>, o: number, V: number, temperature: number, u: number): number {
  let m = -Infinity;
  for (let v = 0; v < V; v++) m = Math.max(m, s[o + v] / temperature);
  let z = 0;
  for (let v = 0; v < V; v++) z += Math.exp(s[o + v] / temperature - m);
  let acc = 0;
  let last = 0;
  for (let v = 0; v < V; v++) {
    const p = Math.exp(s[o + v] / temperature - m) / z;
    if (p > 0) last = v;
    acc += p;
    if (acc > u) return v;
  }
  return last;
}

function checkDecode(op: string, o: DecodeOptions, V: number, extra: readonly string[] = []): void {
  checkOptions(op, 'opts', o, ['start', 'end', 'nullId', 'maxLength', 'cell', ...extra]);
  checkCell(op, o.cell ?? 'lstm');
  for (const k of ['start', 'end'] as const) checkNumber(op, k, o[k], (v) => Number.isInteger(v) && v >= 0 && v < V, `an integer id in [0, ${V})`);
  checkNumber(op, 'nullId', o.nullId, Number.isInteger, 'an integer');
  checkNumber(op, 'maxLength', o.maxLength, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
}

/**
 * The decoding loop shared by the decoders: from the per-layer initial states, feed `start`,
 * then each chosen token, through the embedding, the stack and the output layer.
 */
function decodeLoop(
  cell: RecurrentCell,
  h0: Tensor[],
  c0: Tensor[],
  Wembed: Tensor,
  layers: readonly RecurrentLayerParams[],
  Wout: Tensor,
  bout: Tensor,
  o: DecodeOptions,
  choose: Chooser,
): number[][] {
  const N = h0[0].shape[0];
  const [, E] = Wembed.shape;
  const V = Wout.shape[1];
  const out: number[][] = Array.from({ length: N }, () => new Array<number>(o.maxLength).fill(o.nullId));
  const done = new Array<boolean>(N).fill(false);
  const prev = new Array<number>(N).fill(o.start);
  let h = h0;
  let c = c0;
  for (let t = 0; t < o.maxLength; t++) {
    let x = Tensor.zeros([N, E]);
    for (let n = 0; n < N; n++) x.data.set(Wembed.data.subarray(prev[n] * E, (prev[n] + 1) * E), n * E);
    const nh: Tensor[] = [];
    const nc: Tensor[] = [];
    layers.forEach((p, l) => {
      if (cell === 'rnn') {
        x = rnnStepForward(x, h[l], p.Wx, p.Wh, p.b).nextH;
      } else {
        const s = lstmStepForward(x, h[l], c[l], p.Wx, p.Wh, p.b);
        nc.push(s.nextC);
        x = s.nextH;
      }
      nh.push(x);
    });
    h = nh;
    c = nc;
    const scores = temporalAffineForward(x.reshape([N, 1, x.shape[1]]), Wout, bout).out.data;
    for (let n = 0; n < N; n++) {
      if (done[n]) continue;
      const w = choose(scores, n * V, V, n, t);
      out[n][t] = w;
      prev[n] = w;
      if (w === o.end) done[n] = true;
    }
  }
  return out;
}

function captionStart(op: string, features: Tensor, params: ModelParams, o: DecodeOptions, extra: readonly string[] = []) {
  checkParams(op, params, CAPTION_KEYS, ['']);
  checkDecode(op, o, params.Wvocab.shape[1], extra);
  if (features.ndim !== 2) throw new ShapeError(op, `features must be [N, F], got ${formatShape(features.shape)}`);
  const [N, F] = features.shape;
  const H = params.bproj.shape[0];
  const layers = stackOf(params, '');
  const h0 = [temporalAffineForward(features.reshape([N, 1, F]), params.Wproj, params.bproj).out.reshape([N, H])];
  const c0 = [Tensor.zeros([N, H])];
  for (let l = 1; l < layers.length; l++) {
    const Hl = layers[l].Wh.shape[0];
    h0.push(Tensor.zeros([N, Hl]));
    c0.push(Tensor.zeros([N, Hl]));
  }
  return { layers, h0, c0 };
}

/**
 * Image captioning at test time: greedy decoding. Starting from `h0 = features Wproj + bproj`
 * and the `start` token, each step feeds the previous chosen word and picks the highest-scoring
 * next word (lowest id on ties). Once an example emits `end`, it is finished: its later positions
 * hold `nullId`.
 *
 * Dimensions: N images, F features, V vocabulary.
 *
 * @param features - `[N, F]`
 * @param params - as {@link captionLoss}
 * @param opts - `start`, `end`, `nullId`, `maxLength`, `cell`
 * @returns N rows of `maxLength` token ids (the `end` token included where it was chosen)
 * @throws ValueError for unknown options or parameters, or ids outside the vocabulary
 * @see CS231n `CaptioningRNN.sample`
 */
export function captionGreedy(features: Tensor, params: ModelParams, opts: DecodeOptions): number[][] {
  const s = captionStart('captionGreedy', features, params, opts);
  return decodeLoop(opts.cell ?? 'lstm', s.h0, s.c0, params.Wembed, s.layers, params.Wvocab, params.bvocab, opts, (sc, o, V) => argmax(sc, o, V));
}

/**
 * Image captioning at test time: sampling with a temperature. As {@link captionGreedy}, but each
 * word is drawn from `softmax(scores / temperature)` by inverse-CDF sampling with the given
 * uniform number `uniforms[n, t]` (the smallest id whose cumulative probability exceeds it), so
 * the result is a deterministic function of its inputs. As the temperature falls to 0 the
 * samples approach greedy decoding.
 *
 * @param features - `[N, F]`
 * @param params - as {@link captionLoss}
 * @param opts - those of {@link captionGreedy}, `temperature` > 0 and `uniforms` `[N, maxLength]` in `[0, 1)`
 * @returns N rows of `maxLength` token ids
 * @throws ValueError for a non-positive temperature or uniforms outside `[0, 1)`; ShapeError if
 *   `uniforms` is not `[N, maxLength]`
 * @see Karpathy, "The Unreasonable Effectiveness of Recurrent Neural Networks" (2015), on temperature
 */
export function captionSample(features: Tensor, params: ModelParams, opts: SampleOptions): number[][] {
  const op = 'captionSample';
  const s = captionStart(op, features, params, opts, ['temperature', 'uniforms']);
  const u = checkSampling(op, opts, features.shape[0]);
  return decodeLoop(opts.cell ?? 'lstm', s.h0, s.c0, params.Wembed, s.layers, params.Wvocab, params.bvocab, opts, (sc, o, V, n, t) => sampleIndex(sc, o, V, opts.temperature, u.data[n * opts.maxLength + t]));
}

function checkSampling(op: string, opts: SampleOptions, N: number): Tensor {
  checkNumber(op, 'temperature', opts.temperature, (v) => v > 0, 'a finite number > 0');
  const u = opts.uniforms;
  if (!(u instanceof Tensor) || u.ndim !== 2 || u.shape[0] !== N || u.shape[1] !== opts.maxLength) {
    throw new ShapeError(op, `uniforms must be a [N, maxLength] = ${formatShape([N, opts.maxLength])} Tensor, got ${u instanceof Tensor ? formatShape(u.shape) : typeof u}`);
  }
  for (let i = 0; i < u.size; i++) if (!(u.data[i] >= 0 && u.data[i] < 1)) throw new ValueError(op, `uniforms must lie in [0, 1), got ${u.data[i]} at [${u.unravel(i).join(',')}]`);
  return u;
}

// ---------------------------------------------------------------------------------------------
// Many-to-many: encoder-decoder

/** Options of {@link seq2seqLoss}. */
export interface Seq2SeqLossOptions {
  /** The padding id of the targets (masked out of the loss). */
  readonly nullId: number;
  /** `'lstm'` (default) or `'rnn'`. */
  readonly cell?: RecurrentCell;
}

const SEQ2SEQ_KEYS = ['Wsrc', 'Wtgt', 'Wout', 'bout'] as const;

function checkSeq2Seq(op: string, params: ModelParams): { enc: RecurrentLayerParams[]; dec: RecurrentLayerParams[] } {
  checkParams(op, params, SEQ2SEQ_KEYS, ['enc', 'dec']);
  const enc = stackOf(params, 'enc');
  const dec = stackOf(params, 'dec');
  if (enc.length !== dec.length) throw new ShapeError(op, `the encoder has ${enc.length} layer(s) but the decoder ${dec.length}: each decoder layer starts from the final state of the encoder layer at its depth`);
  enc.forEach((p, l) => {
    if (p.Wh.shape[0] !== dec[l].Wh.shape[0]) throw new ShapeError(op, `layer ${l}: encoder hidden size ${p.Wh.shape[0]} differs from the decoder's ${dec[l].Wh.shape[0]}`);
  });
  return { enc, dec };
}

/**
 * Encoder-decoder (many-to-many, machine translation): training loss with teacher forcing.
 *
 * Dimensions: N pairs, S source tokens, T + 1 target tokens, E embedding, H hidden, Vs / Vt
 * source / target vocabularies, L layers.
 *
 * The encoder stack reads the embedded source (`Wsrc`); the final hidden and cell state of each of
 * its layers start the decoder layer at the same depth; the decoder reads the embedded
 * `target[:, :-1]` (`Wtgt`) and predicts `target[:, 1:]` through `Wout`, `bout`. Target positions
 * holding `nullId` are masked out; the loss is summed over steps and averaged over N. The
 * encoder reads every source position, padding included: pad sources at the front, so that the
 * final state follows the last real token.
 *
 * @param src - `(N, S)` source ids in `[0, Vs)`
 * @param tgt - `(N, T + 1)` target ids in `[0, Vt)`: a start token, the words, an end token, padding
 * @param params - `Wsrc [Vs, E]`, `Wtgt [Vt, E]`, `encWx, encWh, encb` and `decWx, decWh, decb`
 *   (and `encWx2`, `decWx2`, ... for more layers), `Wout [H, Vt]`, `bout [Vt]`
 * @param opts - `nullId` and `cell`
 * @returns `loss` (nats per pair) and `grads` keyed like `params`
 * @throws ValueError for unknown options or parameters; ShapeError if the stacks differ in depth or sizes
 * @see Sutskever, Vinyals & Le, "Sequence to Sequence Learning with Neural Networks", NeurIPS 2014;
 *   Cho et al. 2014; the lecture, item 14 (machine translation)
 */
export function seq2seqLoss(src: IdGrid, tgt: IdGrid, params: ModelParams, opts: Seq2SeqLossOptions): { loss: number; grads: ModelParams } {
  const op = 'seq2seqLoss';
  checkOptions(op, 'opts', opts, ['nullId', 'cell']);
  const cell = checkCell(op, opts.cell ?? 'lstm');
  checkNumber(op, 'nullId', opts.nullId, Number.isInteger, 'an integer');
  const { enc, dec } = checkSeq2Seq(op, params);
  const s = shiftIds(op, 'tgt', tgt, opts.nullId);
  const srcEmb = wordEmbeddingForward(src, params.Wsrc);
  if (srcEmb.out.shape[0] !== s.N) throw new ShapeError(op, `src has ${srcEmb.out.shape[0]} rows but tgt has ${s.N}`);
  const e = stackedForward(cell, srcEmb.out, enc);
  const tgtEmb = wordEmbeddingForward(s.input, params.Wtgt);
  const d = stackedForward(cell, tgtEmb.out, dec, { h0: e.hT, c0: cell === 'lstm' ? e.cT : undefined });
  const out = temporalAffineForward(d.h, params.Wout, params.bout);
  const { loss, dscores } = temporalSoftmaxLoss(out.out, s.target, s.mask);
  const dout = temporalAffineBackward(dscores, out.cache);
  const db = stackedBackward(dout.dx, d.cache);
  const eb = stackedBackward(Tensor.zeros(e.h.shape), e.cache, { dhT: db.dh0, dcT: cell === 'lstm' ? db.dc0 : undefined });
  const grads: ModelParams = {
    Wsrc: wordEmbeddingBackward(eb.dx, srcEmb.cache).dW,
    Wtgt: wordEmbeddingBackward(db.dx, tgtEmb.cache).dW,
    Wout: dout.dw,
    bout: dout.db,
  };
  addGrads(grads, 'enc', eb.layers);
  addGrads(grads, 'dec', db.layers);
  return { loss, grads };
}

/**
 * Encoder-decoder at test time: greedy decoding. The encoder reads the source; its final states
 * start the decoder, which is fed `start` and then its own previous choice, taking the
 * highest-scoring token each step (lowest id on ties); after `end`, an example's positions hold `nullId`.
 *
 * @param src - `(N, S)` source ids
 * @param params - as {@link seq2seqLoss}
 * @param opts - `start`, `end`, `nullId`, `maxLength`, `cell`
 * @returns N rows of `maxLength` target ids
 * @throws ValueError for unknown options or parameters, or ids outside the vocabularies
 */
export function seq2seqGreedy(src: IdGrid, params: ModelParams, opts: DecodeOptions): number[][] {
  const op = 'seq2seqGreedy';
  const { enc, dec } = checkSeq2Seq(op, params);
  checkDecode(op, opts, params.Wout.shape[1]);
  const cell = opts.cell ?? 'lstm';
  const e = stackedForward(cell, wordEmbeddingForward(src, params.Wsrc).out, enc);
  const c0 = cell === 'lstm' ? e.cT : e.hT.map((h) => Tensor.zeros(h.shape));
  return decodeLoop(cell, e.hT, c0, params.Wtgt, dec, params.Wout, params.bout, opts, (sc, o, V) => argmax(sc, o, V));
}
