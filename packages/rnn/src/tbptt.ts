/**
 * Truncated backprop through time (TBPTT): process a long sequence in chunks of `k` steps,
 * carrying the hidden state (and an LSTM's cell state) from one chunk to the next, but
 * backpropagating only within a chunk.
 *
 * Why: full BPTT over T steps keeps T step caches in memory and sends every gradient back
 * through all T steps, where it vanishes or explodes anyway (the lecture, items 19-22). TBPTT
 * bounds both by `k`, at the price of not learning dependencies longer than `k` steps through
 * the gradient (the forward pass still sees the whole history through the carried state).
 *
 * In an autograd framework this is the `h = h.detach()` idiom between chunks. Here the state
 * that enters a chunk is an ordinary input (`h0`, `c0`) of {@link rnnForward} /
 * {@link lstmForward}; its gradient `dh0` (`dc0`) is computed by the chunk's backward pass and
 * then dropped instead of being sent into the previous chunk. That is the truncation.
 *
 * @module
 */
import { optionKeys, checkOptions, assertNdim, formatShape, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { lstmBackward, lstmForward } from './lstm.js';
import { rnnBackward, rnnForward } from './rnn.js';
import { addInto, checkNumber, checkRecurrentOperands, checkUpstream, timeStep } from './validate.js';

/** A chunk of time steps `[start, end)`, the `index`-th of its sequence (counting from 0). */
export interface TimeChunk {
  readonly index: number;
  /** First time step, inclusive. */
  readonly start: number;
  /** Last time step, exclusive; `end - start` is the chunk's length L, `1 <= L <= k`. */
  readonly end: number;
}

/**
 * Splits `T` time steps into consecutive chunks of `k` steps; the last chunk is shorter when `k`
 * does not divide `T`.
 *
 * @param T - sequence length, integer >= 1
 * @param k - chunk length, integer >= 1 (`k >= T` gives one chunk: full BPTT)
 * @returns `ceil(T / k)` chunks covering `0 .. T-1` in order
 * @throws ValueError if `T` or `k` is not a positive integer: `"timeChunks: k must be an integer >= 1, got 0"`
 * @example
 * ```ts
 * timeChunks(10, 4); // [{ index: 0, start: 0, end: 4 }, { index: 1, start: 4, end: 8 }, { index: 2, start: 8, end: 10 }]
 * ```
 */
export function timeChunks(T: number, k: number): TimeChunk[] {
  const op = 'timeChunks';
  checkNumber(op, 'T', T, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  checkNumber(op, 'k', k, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const chunks: TimeChunk[] = [];
  for (let start = 0; start < T; start += k) chunks.push({ index: chunks.length, start, end: Math.min(T, start + k) });
  return chunks;
}

/**
 * Time steps `[start, end)` of a sequence tensor: `x[:, start:end, ...]`, a copy.
 *
 * Dimensions: N batch, T time steps, then any per-step dimensions (`[N, T, D]` inputs,
 * `[N, T, H]` hidden states, `[N, T, V]` scores).
 *
 * @param x - `[N, T, ...]`, at least 2-D
 * @param start - first step, integer, `0 <= start < end`
 * @param end - last step (exclusive), integer, `end <= T`
 * @returns `[N, end - start, ...]`
 * @throws ShapeError if `x` is not at least 2-D: `"sliceTime: x must be at least 2-D [N, T, ...], got [5]"`
 * @throws ValueError for a range outside `[0, T]` or an empty one: `"sliceTime: time range [3, 9) is not inside [0, 8) of x [2,8,3]"`
 */
export function sliceTime(x: Tensor, start: number, end: number): Tensor {
  const op = 'sliceTime';
  if (!(x instanceof Tensor)) throw new ShapeError(op, `x must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (x.ndim < 2) throw new ShapeError(op, `x must be at least 2-D [N, T, ...], got ${formatShape(x.shape)}`);
  const [N, T] = x.shape;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > T || start >= end) {
    throw new ValueError(op, `time range [${start}, ${end}) is not a non-empty integer range inside [0, ${T}) of x ${formatShape(x.shape)}`);
  }
  const F = x.size / (N * T);
  const L = end - start;
  const out = new Float64Array(N * L * F);
  for (let n = 0; n < N; n++) out.set(x.data.subarray((n * T + start) * F, (n * T + end) * F), n * L * F);
  return new Tensor(out, [N, L, ...x.shape.slice(2)]);
}

/** The gradients of one chunk, as {@link rnnBackward} / {@link lstmBackward} return them (without `dh0`, `dc0`: those are truncated). */
export interface ChunkGrads {
  /** Gradient of this chunk's inputs, `[N, L, D]`. */
  readonly dx: Tensor;
  /** `[D, H]` (RNN) or `[D, 4H]` (LSTM). */
  readonly dWx: Tensor;
  /** `[H, H]` (RNN) or `[H, 4H]` (LSTM). */
  readonly dWh: Tensor;
  /** `[H]` (RNN) or `[4H]` (LSTM). */
  readonly db: Tensor;
}

/** Options of {@link truncatedBptt}. */
export interface TbpttOptions {
  /** Which recurrence: `'rnn'` ({@link rnnForward}) or `'lstm'` ({@link lstmForward}, gate order i, f, g, o). */
  readonly cell: 'rnn' | 'lstm';
  /** Chunk length, integer >= 1. */
  readonly k: number;
  /** Initial hidden state `[N, H]`; default zeros. */
  readonly h0?: Tensor;
  /** Initial cell state `[N, H]` (LSTM only); default zeros. */
  readonly c0?: Tensor;
  /**
   * The loss of one chunk, given its hidden states `h` `[N, L, H]` (steps `chunk.start` to
   * `chunk.end - 1`): returns the loss (a finite number) and its gradient `dh` `[N, L, H]`. Called
   * once per chunk, in order, right after the chunk's forward pass. Typically a temporal affine
   * layer and a softmax loss on the targets of those steps.
   */
  readonly chunkLoss: (h: Tensor, chunk: TimeChunk) => { loss: number; dh: Tensor };
  /**
   * Called after each chunk's backward pass, before the next chunk's forward pass, with that
   * chunk's gradients: the place to clip them and take an optimiser step (updating `Wx`, `Wh`,
   * `b` in place, as the optimisers of `@dlkata/layers` do). Optional.
   */
  readonly afterChunk?: (grads: ChunkGrads, chunk: TimeChunk) => void;
}

/** What {@link truncatedBptt} returns. */
export interface TbpttResult {
  /** Sum of the chunk losses. */
  readonly loss: number;
  /** Hidden states of the whole sequence, `[N, T, H]`, as the chunks computed them. */
  readonly h: Tensor;
  /** Final hidden state `[N, H]`: carry it into the next call for a stream longer than `x`. */
  readonly hT: Tensor;
  /** Final cell state `[N, H]` (LSTM only). */
  readonly cT?: Tensor;
  /** Each chunk's input gradient placed at its steps, `[N, T, D]` (no gradient crosses a chunk boundary). */
  readonly dx: Tensor;
  /** Sum over chunks of the chunks' `dWx`. */
  readonly dWx: Tensor;
  /** Sum over chunks of the chunks' `dWh`. */
  readonly dWh: Tensor;
  /** Sum over chunks of the chunks' `db`. */
  readonly db: Tensor;
  /** The chunks, in order. */
  readonly chunks: readonly TimeChunk[];
}

/**
 * Truncated backprop through time over one long sequence.
 *
 * Dimensions: N batch, T time steps, D input features, H hidden units, k chunk length,
 * L = length of one chunk (`k`, the last one possibly shorter).
 *
 * For each chunk `[s, e)` of {@link timeChunks}`(T, k)`, in order:
 * 1. forward: `rnnForward` / `lstmForward` on `x[:, s:e, :]` starting from the carried state
 *    (`h0`, `c0` for the first chunk);
 * 2. `chunkLoss(h_chunk, chunk)` gives the loss and `dh` of the chunk's hidden states;
 * 3. backward: `rnnBackward` / `lstmBackward` within the chunk only. The gradient of the
 *    carried state (`dh0`, `dc0`) is dropped: nothing flows back into the previous chunk;
 * 4. `afterChunk(grads, chunk)`, e.g. clip and update the weights;
 * 5. carry the last hidden state (and cell state) into the next chunk, as values.
 *
 * The forward values are exactly those of one pass over the whole sequence (with unchanged
 * weights). The gradients are not: with `k < T` the parameter gradient is the sum of the
 * chunks' gradients, each treating its incoming state as a constant; with `k >= T` it is full
 * BPTT. If `afterChunk` updates the weights, later chunks run with the updated weights and the
 * returned sums mix gradients taken at different weights.
 *
 * @param x - inputs, `[N, T, D]`, finite
 * @param params - `{ Wx, Wh, b }`: `[D, H]`, `[H, H]`, `[H]` for `'rnn'`; `[D, 4H]`, `[H, 4H]`,
 *   `[4H]` for `'lstm'`; read afresh at every chunk
 * @param opts - cell, chunk length `k`, initial states, the chunk loss and the per-chunk hook
 * @returns the summed loss, the hidden states, final states, `dx` and the summed weight gradients
 *   (see {@link TbpttResult})
 * @throws ShapeError / ValueError before any work for bad shapes, NaN, an unknown `cell`, `k` that
 *   is not a positive integer (`"truncatedBptt: k must be an integer >= 1, got 0"`), or `c0` with
 *   `cell: 'rnn'`; during the run if `chunkLoss` returns a non-finite loss or a `dh` of the wrong shape
 *   (`"truncatedBptt: chunkLoss for chunk 1 (steps 4 to 7) returned dh [2,3,4], expected [2,4,4]"`)
 * @see Williams & Peng, "An efficient gradient-based algorithm for on-line training of recurrent
 *   network trajectories", Neural Computation 2(4), 1990; Sutskever, "Training Recurrent Neural
 *   Networks" (PhD thesis, 2013), section 2.8.6; the lecture, items 17 and 19-22
 * @example
 * ```ts
 * const rng = new Rng(0);
 * const params = lstmInitParams(3, 8, rng);
 * const opt = new Adam({ lr: 1e-2 });                       // from @dlkata/layers
 * truncatedBptt(rng.randn([4, 100, 3]), params, {
 *   cell: 'lstm', k: 20,
 *   chunkLoss: (h) => ({ loss: 0.5 * sum(mul(h, h)), dh: h }),  // any loss of the chunk's states
 *   afterChunk: (g) => opt.step(params, clipGradNorm({ Wx: g.dWx, Wh: g.dWh, b: g.db }, 5).grads),
 * });
 * ```
 */
export function truncatedBptt(x: Tensor, params: { readonly Wx: Tensor; readonly Wh: Tensor; readonly b: Tensor }, opts: TbpttOptions): TbpttResult {
  const op = 'truncatedBptt';
  if (params === null || typeof params !== 'object') throw new ValueError(op, `params must be an object { Wx, Wh, b }, got ${params === null ? 'null' : typeof params}`);
  if (opts === null || typeof opts !== 'object') throw new ValueError(op, `opts must be an object { cell, k, chunkLoss, ... }, got ${opts === null ? 'null' : typeof opts}`);
  checkOptions(op, 'opts', opts, optionKeys<TbpttOptions>()('cell', 'k', 'h0', 'c0', 'chunkLoss', 'afterChunk'));
  const { cell, k, chunkLoss, afterChunk } = opts;
  if (cell !== 'rnn' && cell !== 'lstm') throw new ValueError(op, `cell must be 'rnn' or 'lstm', got ${JSON.stringify(cell) ?? String(cell)}`);
  checkNumber(op, 'k', k, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  if (typeof chunkLoss !== 'function') throw new ValueError(op, `chunkLoss must be a function (h, chunk) => { loss, dh }, got ${typeof chunkLoss}`);
  if (afterChunk !== undefined && typeof afterChunk !== 'function') throw new ValueError(op, `afterChunk must be a function or undefined, got ${typeof afterChunk}`);
  if (cell === 'rnn' && opts.c0 !== undefined) throw new ValueError(op, `c0 is a cell state, only for cell 'lstm'; got c0 with cell 'rnn'`);
  const { Wx, Wh, b } = params;
  assertNdim(op, 'x', x, 3, '[N, T, D]');
  const G = cell === 'lstm' ? '4H' : 'H';
  assertNdim(op, 'Wh', Wh, 2, `[H, ${G}]`);
  const N = x.shape[0];
  const H = Wh.shape[0];
  const h0 = opts.h0 ?? Tensor.zeros([N, H]);
  const c0 = cell === 'lstm' ? (opts.c0 ?? Tensor.zeros([N, H])) : undefined;
  const { T, D } = checkRecurrentOperands(op, true, x, h0, Wx, Wh, b, cell === 'lstm' ? 4 : 1, 'h0', c0 ? [['c0', c0]] : []);

  const chunks = timeChunks(T, k);
  const hAll = Tensor.zeros([N, T, H]);
  const dx = Tensor.zeros([N, T, D]);
  const dWx = Tensor.zeros(Wx.shape);
  const dWh = Tensor.zeros(Wh.shape);
  const db = Tensor.zeros(b.shape);
  let loss = 0;
  let h = h0;
  let c = c0;
  for (const chunk of chunks) {
    const L = chunk.end - chunk.start;
    const xc = sliceTime(x, chunk.start, chunk.end);
    let hc: Tensor;
    let backward: (dh: Tensor) => ChunkGrads;
    if (cell === 'lstm') {
      const f = lstmForward(xc, h, params.Wx, params.Wh, params.b, c);
      hc = f.h;
      c = f.cT;
      backward = (dh) => lstmBackward(dh, f.cache); // dh0 and dc0 are dropped: the truncation
    } else {
      const f = rnnForward(xc, h, params.Wx, params.Wh, params.b);
      hc = f.h;
      backward = (dh) => rnnBackward(dh, f.cache); // dh0 is dropped: the truncation
    }
    for (let n = 0; n < N; n++) hAll.data.set(hc.data.subarray(n * L * H, (n + 1) * L * H), (n * T + chunk.start) * H);

    const where = `chunkLoss for chunk ${chunk.index} (steps ${chunk.start} to ${chunk.end - 1})`;
    const res = chunkLoss(hc, chunk);
    if (res === null || typeof res !== 'object') throw new ValueError(op, `${where} must return { loss, dh }, got ${res === null ? 'null' : typeof res}`);
    if (typeof res.loss !== 'number' || !Number.isFinite(res.loss)) throw new ValueError(op, `${where} returned loss ${String(res.loss)}, expected a finite number`);
    if (!(res.dh instanceof Tensor) || res.dh.shape.join() !== [N, L, H].join()) {
      const got = res.dh instanceof Tensor ? formatShape(res.dh.shape) : res.dh === null ? 'null' : typeof res.dh;
      throw new ShapeError(op, `${where} returned dh ${got}, expected ${formatShape([N, L, H])}`);
    }
    checkUpstream(op, `dh of chunk ${chunk.index}`, res.dh, [N, L, H]);
    loss += res.loss;

    const g = backward(res.dh);
    for (let n = 0; n < N; n++) dx.data.set(g.dx.data.subarray(n * L * D, (n + 1) * L * D), (n * T + chunk.start) * D);
    addInto(dWx, g.dWx);
    addInto(dWh, g.dWh);
    addInto(db, g.db);
    afterChunk?.({ dx: g.dx, dWx: g.dWx, dWh: g.dWh, db: g.db }, chunk);
    h = timeStep(hc, L - 1);
  }
  return { loss, h: hAll, hT: h, ...(c ? { cT: c } : {}), dx, dWx, dWh, db, chunks };
}
