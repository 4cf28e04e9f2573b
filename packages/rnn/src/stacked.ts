/**
 * Multi-layer (stacked) recurrent networks: layer `l`'s hidden sequence is layer `l+1`'s input,
 * and backprop runs through depth and time.
 *
 * @module
 */
import { assertNdim, checkOptions, formatShape, optionKeys, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { lstmBackward, lstmForward, type LstmCache } from './lstm.js';
import { rnnBackward, rnnForward, type RnnCache } from './rnn.js';
import { timeStep } from './validate.js';

/** Which recurrence a layer runs: a vanilla tanh RNN or an LSTM (gate order i, f, g, o). */
export type RecurrentCell = 'rnn' | 'lstm';

/** The weights of one recurrent layer: `[D_l, G*H_l]`, `[H_l, G*H_l]`, `[G*H_l]` (G = 1 for an RNN, 4 for an LSTM). */
export interface RecurrentLayerParams {
  readonly Wx: Tensor;
  readonly Wh: Tensor;
  readonly b: Tensor;
}

/** The gradients of one recurrent layer's weights. */
export interface RecurrentLayerGrads {
  readonly dWx: Tensor;
  readonly dWh: Tensor;
  readonly db: Tensor;
}

/** Initial states of a stack: one `[N, H_l]` tensor per layer; omitted ones are zeros. */
export interface StackedInit {
  /** `h0[l]`, `[N, H_l]`. */
  readonly h0?: readonly Tensor[];
  /** `c0[l]`, `[N, H_l]` (LSTM only). */
  readonly c0?: readonly Tensor[];
}

/** What {@link stackedBackward} needs from {@link stackedForward}. */
export interface StackedCache {
  readonly cell: RecurrentCell;
  /** One sequence cache per layer, bottom first. */
  readonly layers: ReadonlyArray<RnnCache | LstmCache>;
}

/** Upstream gradients of the final states of a stack, one per layer (omitted ones are zeros). */
export interface StackedFinalGrads {
  /** Gradient of `hT[l]`, `[N, H_l]`: it adds to layer l's hidden gradient at `t = T-1`. */
  readonly dhT?: readonly (Tensor | undefined)[];
  /** Gradient of `cT[l]`, `[N, H_l]` (LSTM only). */
  readonly dcT?: readonly (Tensor | undefined)[];
}

function checkLayers(op: string, cell: RecurrentCell, layers: readonly RecurrentLayerParams[]): void {
  if (cell !== 'rnn' && cell !== 'lstm') throw new ValueError(op, `cell must be 'rnn' or 'lstm', got ${String(cell)}`);
  if (!Array.isArray(layers) || layers.length === 0) throw new ValueError(op, `layers must be a non-empty array of { Wx, Wh, b }, got ${Array.isArray(layers) ? 'an empty array' : typeof layers}`);
  layers.forEach((p, l) => {
    if (p === null || typeof p !== 'object' || !(p.Wx instanceof Tensor) || !(p.Wh instanceof Tensor) || !(p.b instanceof Tensor)) {
      throw new ValueError(op, `layers[${l}] must be { Wx, Wh, b } of Tensors`);
    }
    if (l > 0) {
      const below = layers[l - 1].Wh.shape[0];
      if (p.Wx.shape[0] !== below) {
        throw new ShapeError(op, `layers[${l}].Wx must have ${below} rows, the hidden size of layers[${l - 1}] (Wh ${formatShape(layers[l - 1].Wh.shape)}), got Wx ${formatShape(p.Wx.shape)}`);
      }
    }
  });
}

/**
 * A stack of recurrent layers over a sequence, forward pass.
 *
 * Dimensions: N batch, T time steps, D input features, L layers, `H_l` hidden units of layer l.
 *
 * `h^0 = x`; for `l = 0 .. L-1`: `h^{l+1} = recurrence_l(h^l)` from `h0[l]` (and `c0[l]`), each
 * layer with its own weights (the lecture's multi-layer RNN, item 15: "the hidden state has its
 * own internal dynamics"). The output is the top layer's hidden sequence.
 *
 * @param cell - `'rnn'` (tanh) or `'lstm'` (gate order i, f, g, o)
 * @param x - `[N, T, D]`, T >= 1, finite
 * @param layers - L >= 1 layers, bottom first: `layers[0].Wx` is `[D, G*H_0]`, `layers[l].Wx` is `[H_{l-1}, G*H_l]`
 * @param init - initial states per layer (default zeros)
 * @returns `h` `[N, T, H_{L-1}]` (top layer), `hT[l]` and `cT[l]` `[N, H_l]` (final states of every
 *   layer; `cT` empty for an RNN) and the `cache` for {@link stackedBackward}
 * @throws ValueError for an unknown cell or an empty stack; ShapeError when a layer's `Wx` does
 *   not take the hidden size of the layer below, or as {@link rnnForward} / {@link lstmForward}
 *   (with the layer named in the message)
 * @see the lecture, item 15; PyTorch `nn.LSTM(num_layers=L)` (no dropout between layers here);
 *   TensorFlow.js `tf.multiRNNCell`
 */
export function stackedForward(
  cell: RecurrentCell,
  x: Tensor,
  layers: readonly RecurrentLayerParams[],
  init: StackedInit = {},
): { h: Tensor; hT: Tensor[]; cT: Tensor[]; cache: StackedCache } {
  const op = 'stackedForward';
  checkOptions(op, 'init', init, optionKeys<StackedInit>()('h0', 'c0'));
  checkLayers(op, cell, layers);
  assertNdim(op, 'x', x, 3, '[N, T, D]');
  const [N, T] = x.shape;
  let input = x;
  const caches: Array<RnnCache | LstmCache> = [];
  const hT: Tensor[] = [];
  const cT: Tensor[] = [];
  layers.forEach((p, l) => {
    const H = p.Wh.shape[0];
    const h0 = init.h0?.[l] ?? Tensor.zeros([N, H]);
    try {
      if (cell === 'rnn') {
        const r = rnnForward(input, h0, p.Wx, p.Wh, p.b);
        caches.push(r.cache);
        input = r.h;
      } else {
        const r = lstmForward(input, h0, p.Wx, p.Wh, p.b, init.c0?.[l]);
        caches.push(r.cache);
        cT.push(r.cT);
        input = r.h;
      }
    } catch (e) {
      if (e instanceof ShapeError || e instanceof ValueError) throw new (e.constructor as typeof ShapeError)(op, `layer ${l}: ${e.message}`);
      throw e;
    }
    hT.push(timeStep(input, T - 1));
  });
  return { h: input, hT, cT, cache: { cell, layers: caches } };
}

/**
 * A stack of recurrent layers, backward pass: backprop through time inside each layer, and
 * through depth from the top layer down (layer l's `dx` is layer l-1's upstream `dh`).
 *
 * Dimensions as in {@link stackedForward}.
 *
 * @param dh - upstream gradient of the top layer's hidden sequence, `[N, T, H_{L-1}]`, finite
 * @param cache - the `cache` of {@link stackedForward}
 * @param final - upstream gradients of the final states `hT[l]`, `cT[l]` (e.g. from a decoder
 *   started by them); default none
 * @returns gradients of `sum(h dh) + sum_l (sum(hT[l] dhT[l]) + sum(cT[l] dcT[l]))`: `dx`
 *   `[N, T, D]`, `layers[l]` `{ dWx, dWh, db }`, `dh0[l]` and `dc0[l]` `[N, H_l]` (`dc0` empty for an RNN)
 * @throws ShapeError if `dh` or a final-state gradient has the wrong shape; ValueError for a cache
 *   that is not a {@link StackedCache}
 */
export function stackedBackward(
  dh: Tensor,
  cache: StackedCache,
  final: StackedFinalGrads = {},
): { dx: Tensor; layers: RecurrentLayerGrads[]; dh0: Tensor[]; dc0: Tensor[] } {
  const op = 'stackedBackward';
  checkOptions(op, 'final', final, optionKeys<StackedFinalGrads>()('dhT', 'dcT'));
  if (cache === null || typeof cache !== 'object' || !Array.isArray(cache.layers) || (cache.cell !== 'rnn' && cache.cell !== 'lstm')) {
    throw new ValueError(op, 'cache must be the cache returned by stackedForward');
  }
  const L = cache.layers.length;
  const grads: RecurrentLayerGrads[] = new Array(L);
  const dh0: Tensor[] = new Array(L);
  const dc0: Tensor[] = [];
  let upstream = dh;
  for (let l = L - 1; l >= 0; l--) {
    const lc = cache.layers[l];
    const steps = lc.steps;
    const [N] = steps[0].x.shape;
    const T = steps.length;
    const H = steps[0].prevH.shape[1];
    if (upstream.ndim !== 3 || upstream.shape[0] !== N || upstream.shape[1] !== T || upstream.shape[2] !== H) {
      throw new ShapeError(op, `${l === L - 1 ? 'dh' : `the gradient reaching layer ${l}`} must have shape ${formatShape([N, T, H])}, got ${formatShape(upstream.shape)}`);
    }
    const dhT = final.dhT?.[l];
    let d = upstream;
    if (dhT !== undefined) {
      if (dhT.ndim !== 2 || dhT.shape[0] !== N || dhT.shape[1] !== H) throw new ShapeError(op, `dhT[${l}] must have shape ${formatShape([N, H])}, got ${formatShape(dhT.shape)}`);
      d = upstream.clone();
      for (let n = 0; n < N; n++) for (let j = 0; j < H; j++) d.data[(n * T + T - 1) * H + j] += dhT.data[n * H + j];
    }
    if (cache.cell === 'rnn') {
      const g = rnnBackward(d, lc as RnnCache);
      grads[l] = { dWx: g.dWx, dWh: g.dWh, db: g.db };
      dh0[l] = g.dh0;
      upstream = g.dx;
    } else {
      const dcT = final.dcT?.[l];
      const g = lstmBackward(d, lc as LstmCache, dcT);
      grads[l] = { dWx: g.dWx, dWh: g.dWh, db: g.db };
      dh0[l] = g.dh0;
      dc0[l] = g.dc0;
      upstream = g.dx;
    }
  }
  return { dx: upstream, layers: grads, dh0, dc0 };
}
