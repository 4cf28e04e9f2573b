/**
 * Exercise 12: recurrent architectures. "RNNs are flexible" (the lecture, item 14): the same
 * LSTM, wired four ways.
 *
 * - multi-layer (stacked): {@link stackedLstmForward}, {@link stackedLstmBackward}
 * - many-to-one (sequence classification): {@link manyToOneLoss}
 * - one-to-many (image captioning): {@link captionLoss}, {@link captionGreedy}, {@link captionSample}
 * - many-to-many (encoder-decoder translation): {@link seq2seqLoss}, {@link seq2seqGreedy}
 *
 * Everything is built from the given blocks in `cells.ts` (the LSTM of exercise 11, embeddings,
 * a temporal affine layer, a masked softmax loss). Parameters come as objects of tensors and
 * their gradients come back keyed the same way (`grads.Wx` is the gradient of `params.Wx`), as
 * in CS231n's `CaptioningRNN.loss`, so an optimiser can loop over the keys.
 *
 * Dimensions: N batch, T time steps, D input features, H hidden units, K classes, F image
 * features, V vocabulary, E embedding size, L layers.
 *
 * @module
 */
import { Tensor } from '@dlkata/tensor';
import {
  affineBackward,
  affineForward,
  embeddingBackward,
  embeddingForward,
  lstmBackward,
  lstmForward,
  lstmStepForward,
  softmaxLoss,
  timeStep,
  type Ids,
  type LstmCache,
  type LstmLayer,
} from './cells.js';

export type { Ids, LstmLayer } from './cells.js';

/** What {@link stackedLstmBackward} needs from {@link stackedLstmForward}: one LSTM cache per layer, bottom first. */
export interface StackedCache {
  readonly layers: readonly LstmCache[];
}

/** Gradients of one layer's weights. */
export interface LayerGrads {
  readonly dWx: Tensor;
  readonly dWh: Tensor;
  readonly db: Tensor;
}

/** Parameters of the many-to-one classifier: an LSTM (`Wx [D, 4H]`, `Wh [H, 4H]`, `b [4H]`) and a head `Wy [H, K]`, `by [K]`. */
export interface ClassifierParams {
  readonly Wx: Tensor;
  readonly Wh: Tensor;
  readonly b: Tensor;
  readonly Wy: Tensor;
  readonly by: Tensor;
}

/**
 * Parameters of the captioning model: `Wproj [F, H]`, `bproj [H]` (image features to the initial
 * hidden state), `Wembed [V, E]`, the LSTM `Wx [E, 4H]`, `Wh [H, 4H]`, `b [4H]`, and
 * `Wvocab [H, V]`, `bvocab [V]` (hidden state to word scores).
 */
export interface CaptionParams {
  readonly Wproj: Tensor;
  readonly bproj: Tensor;
  readonly Wembed: Tensor;
  readonly Wx: Tensor;
  readonly Wh: Tensor;
  readonly b: Tensor;
  readonly Wvocab: Tensor;
  readonly bvocab: Tensor;
}

/**
 * Parameters of the encoder-decoder: source embedding `Wsrc [Vs, E]`, encoder LSTM `encWx [E, 4H]`,
 * `encWh [H, 4H]`, `encb [4H]`; target embedding `Wtgt [Vt, E]`, decoder LSTM `decWx`, `decWh`,
 * `decb`; output layer `Wout [H, Vt]`, `bout [Vt]`.
 */
export interface Seq2SeqParams {
  readonly Wsrc: Tensor;
  readonly encWx: Tensor;
  readonly encWh: Tensor;
  readonly encb: Tensor;
  readonly Wtgt: Tensor;
  readonly decWx: Tensor;
  readonly decWh: Tensor;
  readonly decb: Tensor;
  readonly Wout: Tensor;
  readonly bout: Tensor;
}

/** Options of the greedy decoders. */
export interface DecodeOptions {
  /** The start token, fed at the first step. */
  readonly start: number;
  /** The end token: once an example emits it, its later positions hold `nullId`. */
  readonly end: number;
  /** The padding id. */
  readonly nullId: number;
  /** How many tokens to generate per example. */
  readonly maxLength: number;
}

/** Options of {@link captionSample}. */
export interface SampleOptions extends DecodeOptions {
  /** `p = softmax(scores / temperature)`, temperature > 0. */
  readonly temperature: number;
  /** `[N, maxLength]` numbers in `[0, 1)`: `uniforms[n, t]` draws token t of example n. */
  readonly uniforms: Tensor;
}

/**
 * Splits captions or targets `(N, T + 1)` into what the decoder reads, `ids[:, :-1]`, what it
 * must predict, `ids[:, 1:]`, and the mask `ids[:, 1:] != nullId`. Given.
 */
export function shiftTokens(ids: Ids, nullId: number): { input: number[][]; target: number[][]; mask: boolean[][] } {
  return {
    input: ids.map((r) => r.slice(0, -1)),
    target: ids.map((r) => r.slice(1)),
    mask: ids.map((r) => r.slice(1).map((v) => v !== nullId)),
  };
}

/**
 * A stack of L LSTM layers over a sequence, forward pass.
 *
 * Layer 0 reads `x`; layer `l` reads the hidden sequence of layer `l-1` (the lecture's multi-layer
 * RNN, item 15: the hidden state "has its own internal dynamics"). Each layer starts from its own
 * `h0[l]`, `c0[l]` (zeros when not given).
 *
 * @param x - `[N, T, D]`
 * @param layers - L >= 1 layers, bottom first: `layers[0].Wx` is `[D, 4H_0]`, `layers[l].Wx` is `[H_{l-1}, 4H_l]`
 * @param h0 - initial hidden states, `h0[l]` `[N, H_l]`; default zeros
 * @param c0 - initial cell states, `c0[l]` `[N, H_l]`; default zeros
 * @returns `h` `[N, T, H_{L-1}]` (the top layer's hidden sequence), `hT[l]` and `cT[l]` `[N, H_l]`
 *   (every layer's final hidden and cell state) and the `cache` for {@link stackedLstmBackward}
 * @see PyTorch `nn.LSTM(num_layers=L)`; TensorFlow.js `tf.multiRNNCell`
 */
export function stackedLstmForward(x: Tensor, layers: readonly LstmLayer[], h0?: readonly Tensor[], c0?: readonly Tensor[]): { h: Tensor; hT: Tensor[]; cT: Tensor[]; cache: StackedCache } {
  const [N, T] = x.shape;
  // BEGIN SOLUTION: stackedLstmForward: the top layer's hidden states h [N, T, H_last] of L LSTM layers over x [N, T, D], where layer l+1 reads layer l's hidden sequence (README Task 1), each layer's final hT and cT [N, H_l], and the cache; lstmForward and timeStep help
  let input = x;
  const caches: LstmCache[] = [];
  const hT: Tensor[] = [];
  const cT: Tensor[] = [];
  layers.forEach((layer, l) => {
    const H = layer.Wh.shape[0];
    const r = lstmForward(input, h0?.[l] ?? Tensor.zeros([N, H]), c0?.[l] ?? Tensor.zeros([N, H]), layer);
    caches.push(r.cache);
    hT.push(timeStep(r.h, T - 1));
    cT.push(r.cT);
    input = r.h;
  });
  return { h: input, hT, cT, cache: { layers: caches } };
  // END SOLUTION
}

/**
 * A stack of LSTM layers, backward pass: through time inside each layer (the given
 * `lstmBackward`) and through depth from the top down: layer `l`'s `dx` is the upstream gradient
 * of layer `l-1`'s hidden sequence.
 *
 * @param dh - upstream gradient of the top layer's hidden sequence, `[N, T, H_{L-1}]`
 * @param cache - the `cache` of {@link stackedLstmForward}
 * @returns gradients of `sum(h * dh)`: `dx` `[N, T, D]`, `layers[l]` `{ dWx, dWh, db }`, and the
 *   gradients of the initial states `dh0[l]`, `dc0[l]` `[N, H_l]`
 */
export function stackedLstmBackward(dh: Tensor, cache: StackedCache): { dx: Tensor; layers: LayerGrads[]; dh0: Tensor[]; dc0: Tensor[] } {
  const L = cache.layers.length;
  // BEGIN SOLUTION: stackedLstmBackward: from dh [N, T, H_last] and the cache, dx [N, T, D] and, per layer, dWx, dWh, db and the gradients dh0, dc0 [N, H_l] of its initial states: BPTT through depth and time (README Task 2); lstmBackward helps
  const layers: LayerGrads[] = new Array(L);
  const dh0: Tensor[] = new Array(L);
  const dc0: Tensor[] = new Array(L);
  let upstream = dh;
  for (let l = L - 1; l >= 0; l--) {
    const g = lstmBackward(upstream, cache.layers[l]);
    layers[l] = { dWx: g.dWx, dWh: g.dWh, db: g.db };
    dh0[l] = g.dh0;
    dc0[l] = g.dc0;
    upstream = g.dx;
  }
  return { dx: upstream, layers, dh0, dc0 };
  // END SOLUTION
}

/**
 * Many-to-one (the lecture's language recognition, event classification): an LSTM reads the
 * sequence from zero states; `p` is its last hidden state (`pool = 'last'`, `p = h[:, T-1, :]`)
 * or the mean over time (`'mean'`, `p = (1/T) sum_t h[:, t, :]`); `scores = p Wy + by`;
 * `loss = -(1/N) sum_n log softmax(scores[n])[y[n]]`.
 *
 * @param x - `[N, T, D]`
 * @param params - `Wx [D, 4H]`, `Wh [H, 4H]`, `b [4H]`, `Wy [H, K]`, `by [K]`
 * @param y - N labels in `[0, K)`
 * @param pool - `'last'` (default) or `'mean'`
 * @returns `loss` (a number), `scores` `[N, K]`, `grads` keyed like `params`, and `dx` `[N, T, D]`
 */
export function manyToOneLoss(x: Tensor, params: ClassifierParams, y: readonly number[], pool: 'last' | 'mean' = 'last'): { loss: number; scores: Tensor; grads: ClassifierParams; dx: Tensor } {
  const [N, T] = x.shape;
  const H = params.Wh.shape[0];
  const K = params.Wy.shape[1];
  const layer = { Wx: params.Wx, Wh: params.Wh, b: params.b };
  // BEGIN SOLUTION: manyToOneLoss: the mean softmax loss of an LSTM classifier over x [N, T, D] that pools its hidden states (the last one, or the mean over t) into affine scores [N, K], with the gradients of Wx, Wh, b, Wy, by and dx [N, T, D] (README Task 3)
  const f = lstmForward(x, Tensor.zeros([N, H]), Tensor.zeros([N, H]), layer);
  const p = Tensor.zeros([N, 1, H]);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      if (pool === 'last') {
        p.data[n * H + j] = f.h.data[(n * T + T - 1) * H + j];
      } else {
        let s = 0;
        for (let t = 0; t < T; t++) s += f.h.data[(n * T + t) * H + j];
        p.data[n * H + j] = s / T;
      }
    }
  }
  const scores = affineForward(p, params.Wy, params.by);
  const { loss, dscores } = softmaxLoss(
    scores,
    y.map((v) => [v]),
    y.map(() => [true]),
  );
  const a = affineBackward(dscores, p, params.Wy);
  const dh = Tensor.zeros([N, T, H]);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      const g = a.dx.data[n * H + j];
      if (pool === 'last') dh.data[(n * T + T - 1) * H + j] = g;
      else for (let t = 0; t < T; t++) dh.data[(n * T + t) * H + j] = g / T;
    }
  }
  const g = lstmBackward(dh, f.cache);
  return { loss, scores: scores.reshape([N, K]), grads: { Wx: g.dWx, Wh: g.dWh, b: g.db, Wy: a.dw, by: a.db }, dx: g.dx };
  // END SOLUTION
}

/**
 * Image captioning (one-to-many), training loss with teacher forcing.
 *
 * `h0 = features Wproj + bproj` (the image sets the initial hidden state; the cell starts at 0);
 * the LSTM reads the embedded `captions[:, :-1]` (start token, then the words) and predicts
 * `captions[:, 1:]` from `h_t Wvocab + bvocab`. Positions whose target is `nullId` (padding) do not
 * count. The loss is summed over the steps and averaged over the N images.
 *
 * @param features - `[N, F]` (a CNN's features of each image)
 * @param captions - N rows of T + 1 token ids (T >= 1), in `[0, V)`
 * @param params - see {@link CaptionParams}
 * @param nullId - the padding id
 * @returns `loss`, `grads` keyed like `params`, and `dfeatures` `[N, F]`
 * @see CS231n assignment 3, `CaptioningRNN.loss`; Vinyals et al., "Show and Tell", 2015
 */
export function captionLoss(features: Tensor, captions: Ids, params: CaptionParams, nullId: number): { loss: number; grads: CaptionParams; dfeatures: Tensor } {
  const [N, F] = features.shape;
  const H = params.bproj.shape[0];
  const V = params.Wembed.shape[0];
  const { input, target, mask } = shiftTokens(captions, nullId);
  // BEGIN SOLUTION: captionLoss: the masked, teacher-forced loss of the captioning model (features [N, F] set h0 through Wproj, bproj; shiftTokens gives inputs, targets, mask) with the gradients of every parameter and dfeatures [N, F] (README Task 4)
  const feats = features.reshape([N, 1, F]);
  const h0 = affineForward(feats, params.Wproj, params.bproj).reshape([N, H]);
  const layer = { Wx: params.Wx, Wh: params.Wh, b: params.b };
  const x = embeddingForward(input, params.Wembed);
  const f = lstmForward(x, h0, Tensor.zeros([N, H]), layer);
  const scores = affineForward(f.h, params.Wvocab, params.bvocab);
  const { loss, dscores } = softmaxLoss(scores, target, mask);
  const dv = affineBackward(dscores, f.h, params.Wvocab);
  const g = lstmBackward(dv.dx, f.cache);
  const dWembed = embeddingBackward(g.dx, input, V);
  const dp = affineBackward(g.dh0.reshape([N, 1, H]), feats, params.Wproj);
  return {
    loss,
    grads: { Wproj: dp.dw, bproj: dp.db, Wembed: dWembed, Wx: g.dWx, Wh: g.dWh, b: g.db, Wvocab: dv.dw, bvocab: dv.db },
    dfeatures: dp.dx.reshape([N, F]),
  };
  // END SOLUTION
}

/**
 * Image captioning at test time: greedy decoding. Start from `h0 = features Wproj + bproj`,
 * `c0 = 0` and the `start` token; at each step embed the previous word, run one LSTM step, and
 * choose the word with the highest score `h Wvocab + bvocab` (the lowest id on ties). Once an
 * example has chosen `end`, it is finished: its later positions hold `nullId`.
 *
 * @param features - `[N, F]`
 * @param params - see {@link CaptionParams}
 * @param opts - `start`, `end`, `nullId`, `maxLength`
 * @returns N rows of `maxLength` ids: the words chosen at steps 0 .. maxLength-1 (the `end` token included)
 * @see CS231n `CaptioningRNN.sample`
 */
export function captionGreedy(features: Tensor, params: CaptionParams, opts: DecodeOptions): number[][] {
  const [N, F] = features.shape;
  const H = params.bproj.shape[0];
  const E = params.Wembed.shape[1];
  const V = params.Wvocab.shape[1];
  const layer = { Wx: params.Wx, Wh: params.Wh, b: params.b };
  const out = Array.from({ length: N }, () => new Array<number>(opts.maxLength).fill(opts.nullId));
  // BEGIN SOLUTION: captionGreedy: N captions of at most maxLength ids, each step feeding back the most likely word (first maximum), started at start; a caption ends at end and is padded with nullId after it (README Task 5)
  let h = affineForward(features.reshape([N, 1, F]), params.Wproj, params.bproj).reshape([N, H]);
  let c = Tensor.zeros([N, H]);
  const prev = new Array<number>(N).fill(opts.start);
  const done = new Array<boolean>(N).fill(false);
  for (let t = 0; t < opts.maxLength; t++) {
    const x = embeddingForward(prev.map((w) => [w]), params.Wembed).reshape([N, E]);
    const s = lstmStepForward(x, h, c, layer);
    h = s.nextH;
    c = s.nextC;
    const scores = affineForward(h.reshape([N, 1, H]), params.Wvocab, params.bvocab);
    for (let n = 0; n < N; n++) {
      if (done[n]) continue;
      let best = 0;
      for (let v = 1; v < V; v++) if (scores.data[n * V + v] > scores.data[n * V + best]) best = v;
      out[n][t] = best;
      prev[n] = best;
      if (best === opts.end) done[n] = true;
    }
  }
  return out;
  // END SOLUTION
}

/**
 * Image captioning at test time: sampling with a temperature. As {@link captionGreedy}, but word t
 * of example n is drawn from `p = softmax(scores / temperature)` by inverse-CDF sampling with
 * `u = uniforms[n, t]`: the smallest id v whose cumulative probability `p[0] + ... + p[v]`
 * exceeds u. A temperature below 1 sharpens the distribution (towards greedy), above 1 flattens it.
 *
 * @param features - `[N, F]`
 * @param params - see {@link CaptionParams}
 * @param opts - those of {@link captionGreedy}, `temperature` > 0, `uniforms` `[N, maxLength]`
 * @returns N rows of `maxLength` ids
 */
export function captionSample(features: Tensor, params: CaptionParams, opts: SampleOptions): number[][] {
  const [N, F] = features.shape;
  const H = params.bproj.shape[0];
  const E = params.Wembed.shape[1];
  const V = params.Wvocab.shape[1];
  const { temperature, uniforms, maxLength } = opts;
  const layer = { Wx: params.Wx, Wh: params.Wh, b: params.b };
  const out = Array.from({ length: N }, () => new Array<number>(maxLength).fill(opts.nullId));
  // BEGIN SOLUTION: captionSample: as captionGreedy, but each word is drawn from softmax(scores / temperature) with the given uniform number u = uniforms[n, t] by inverse CDF (README Task 6)
  let h = affineForward(features.reshape([N, 1, F]), params.Wproj, params.bproj).reshape([N, H]);
  let c = Tensor.zeros([N, H]);
  const prev = new Array<number>(N).fill(opts.start);
  const done = new Array<boolean>(N).fill(false);
  for (let t = 0; t < maxLength; t++) {
    const x = embeddingForward(prev.map((w) => [w]), params.Wembed).reshape([N, E]);
    const s = lstmStepForward(x, h, c, layer);
    h = s.nextH;
    c = s.nextC;
    const scores = affineForward(h.reshape([N, 1, H]), params.Wvocab, params.bvocab);
    for (let n = 0; n < N; n++) {
      if (done[n]) continue;
      const z = Array.from(scores.data.subarray(n * V, (n + 1) * V), (v) => v / temperature);
      const m = Math.max(...z);
      let total = 0;
      for (const v of z) total += Math.exp(v - m);
      const u = uniforms.data[n * maxLength + t];
      let w = V - 1;
      let acc = 0;
      for (let v = 0; v < V; v++) {
        acc += Math.exp(z[v] - m) / total;
        if (acc > u) {
          w = v;
          break;
        }
      }
      out[n][t] = w;
      prev[n] = w;
      if (w === opts.end) done[n] = true;
    }
  }
  return out;
  // END SOLUTION
}

/**
 * Encoder-decoder (many-to-many, machine translation): training loss with teacher forcing.
 *
 * The encoder LSTM reads the embedded source (`Wsrc`) from zero states; its final hidden state
 * `hT` and cell state `cT` start the decoder LSTM, which reads the embedded `tgt[:, :-1]` (`Wtgt`)
 * and predicts `tgt[:, 1:]` through `Wout`, `bout`. Target positions holding `nullId` do not count;
 * the loss is summed over the steps and averaged over N. The gradient reaches the encoder only
 * through the decoder's initial states: `dh0` and `dc0` of the decoder are the gradients of the
 * encoder's `hT` and `cT`.
 *
 * @param src - N rows of S source ids
 * @param tgt - N rows of T + 1 target ids (start, words, end, padding)
 * @param params - see {@link Seq2SeqParams}
 * @param nullId - the target padding id
 * @returns `loss` and `grads` keyed like `params`
 * @see Sutskever, Vinyals & Le, "Sequence to Sequence Learning with Neural Networks", 2014
 */
export function seq2seqLoss(src: Ids, tgt: Ids, params: Seq2SeqParams, nullId: number): { loss: number; grads: Seq2SeqParams } {
  const N = src.length;
  const H = params.encWh.shape[0];
  const enc = { Wx: params.encWx, Wh: params.encWh, b: params.encb };
  const dec = { Wx: params.decWx, Wh: params.decWh, b: params.decb };
  const { input, target, mask } = shiftTokens(tgt, nullId);
  // BEGIN SOLUTION: seq2seqLoss: the masked loss of the encoder-decoder (the encoder LSTM reads src [N, S]; its final hT and cT start the decoder, teacher-forced on tgt) with the gradients of Wsrc, Wtgt, enc, dec, Wout, bout (README Task 7); remember that the cell state carries a gradient too
  const S = src[0].length;
  const xs = embeddingForward(src, params.Wsrc);
  const e = lstmForward(xs, Tensor.zeros([N, H]), Tensor.zeros([N, H]), enc);
  const hT = timeStep(e.h, S - 1);
  const xt = embeddingForward(input, params.Wtgt);
  const d = lstmForward(xt, hT, e.cT, dec);
  const scores = affineForward(d.h, params.Wout, params.bout);
  const { loss, dscores } = softmaxLoss(scores, target, mask);
  const a = affineBackward(dscores, d.h, params.Wout);
  const gd = lstmBackward(a.dx, d.cache);
  const dhEnc = Tensor.zeros(e.h.shape);
  for (let n = 0; n < N; n++) for (let j = 0; j < H; j++) dhEnc.data[(n * S + S - 1) * H + j] = gd.dh0.data[n * H + j];
  const ge = lstmBackward(dhEnc, e.cache, gd.dc0);
  return {
    loss,
    grads: {
      Wsrc: embeddingBackward(ge.dx, src, params.Wsrc.shape[0]),
      encWx: ge.dWx,
      encWh: ge.dWh,
      encb: ge.db,
      Wtgt: embeddingBackward(gd.dx, input, params.Wtgt.shape[0]),
      decWx: gd.dWx,
      decWh: gd.dWh,
      decb: gd.db,
      Wout: a.dw,
      bout: a.db,
    },
  };
  // END SOLUTION
}

/**
 * Encoder-decoder at test time: greedy decoding. The encoder reads the source; its final `hT`,
 * `cT` start the decoder, which is fed `start` and then its own previous choice, taking the
 * highest-scoring token at each step (the lowest id on ties); after `end`, an example's positions
 * hold `nullId`.
 *
 * @param src - N rows of S source ids
 * @param params - see {@link Seq2SeqParams}
 * @param opts - `start`, `end`, `nullId`, `maxLength`
 * @returns N rows of `maxLength` target ids
 */
export function seq2seqGreedy(src: Ids, params: Seq2SeqParams, opts: DecodeOptions): number[][] {
  const N = src.length;
  const H = params.encWh.shape[0];
  const E = params.Wtgt.shape[1];
  const V = params.Wout.shape[1];
  const enc = { Wx: params.encWx, Wh: params.encWh, b: params.encb };
  const dec = { Wx: params.decWx, Wh: params.decWh, b: params.decb };
  const out = Array.from({ length: N }, () => new Array<number>(opts.maxLength).fill(opts.nullId));
  // BEGIN SOLUTION: seq2seqGreedy: N target sequences of at most maxLength ids decoded greedily, the decoder started from the encoder's final hT and cT for src [N, S] (README Task 8)
  const e = lstmForward(embeddingForward(src, params.Wsrc), Tensor.zeros([N, H]), Tensor.zeros([N, H]), enc);
  let h = timeStep(e.h, src[0].length - 1);
  let c = e.cT;
  const prev = new Array<number>(N).fill(opts.start);
  const done = new Array<boolean>(N).fill(false);
  for (let t = 0; t < opts.maxLength; t++) {
    const x = embeddingForward(prev.map((w) => [w]), params.Wtgt).reshape([N, E]);
    const s = lstmStepForward(x, h, c, dec);
    h = s.nextH;
    c = s.nextC;
    const scores = affineForward(h.reshape([N, 1, H]), params.Wout, params.bout);
    for (let n = 0; n < N; n++) {
      if (done[n]) continue;
      let best = 0;
      for (let v = 1; v < V; v++) if (scores.data[n * V + v] > scores.data[n * V + best]) best = v;
      out[n][t] = best;
      prev[n] = best;
      if (best === opts.end) done[n] = true;
    }
  }
  return out;
  // END SOLUTION
}
