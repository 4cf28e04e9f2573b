/**
 * Vanilla (Elman) recurrent network with a tanh non-linearity: one step forward and backward,
 * and a whole sequence by backprop through time (BPTT). CS231n's `rnn_layers.py` convention.
 *
 * @module
 */
import { gemm, Tensor, ValueError, type Rng } from '@dlkata/tensor';
import { addInto, assertCache, checkNumber, checkRecurrentOperands, checkUpstream, setTimeStep, timeStep } from './validate.js';

/**
 * What {@link rnnStepBackward} needs from {@link rnnStepForward}. `x`, `prevH`, `Wx` and `Wh` are
 * the caller's tensors (references, not copies): do not modify them before the backward pass.
 */
export interface RnnStepCache {
  /** The input of this step, `[N, D]`. */
  readonly x: Tensor;
  /** The previous hidden state, `[N, H]`. */
  readonly prevH: Tensor;
  /** Input-to-hidden weights, `[D, H]`. */
  readonly Wx: Tensor;
  /** Hidden-to-hidden weights, `[H, H]`. */
  readonly Wh: Tensor;
  /** The output of this step, `[N, H]`; `tanh' = 1 - nextH^2` is read from it. */
  readonly nextH: Tensor;
}

/** What {@link rnnBackward} needs from {@link rnnForward}: the step caches, oldest first. */
export interface RnnCache {
  /** One {@link RnnStepCache} per time step, `steps[t]` for `t = 0 .. T-1`. */
  readonly steps: readonly RnnStepCache[];
}

/** Parameters of a vanilla RNN, keyed as the optimisers of `@dlkata/layers` expect. */
export interface RnnParams {
  /** Input-to-hidden weights, `[D, H]`. */
  Wx: Tensor;
  /** Hidden-to-hidden weights, `[H, H]`. */
  Wh: Tensor;
  /** Biases, `[H]`. */
  b: Tensor;
}

/** `nextH = tanh(x Wx + prevH Wh + b)` on validated operands. */
function stepForward(x: Tensor, prevH: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor): RnnStepCache {
  const [N, D] = x.shape;
  const H = prevH.shape[1];
  const nextH = Tensor.zeros([N, H]);
  const a = nextH.data;
  gemm(N, H, D, x.data, 0, Wx.data, 0, a, 0);
  gemm(N, H, H, prevH.data, 0, Wh.data, 0, a, 0, { accumulate: true });
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) a[n * H + j] = Math.tanh(a[n * H + j] + b.data[j]);
  }
  return { x, prevH, Wx, Wh, nextH };
}

/** The gradients of one step on a validated upstream gradient. */
function stepBackward(dnextH: Tensor, c: RnnStepCache): { dx: Tensor; dprevH: Tensor; dWx: Tensor; dWh: Tensor; db: Tensor } {
  const [N, D] = c.x.shape;
  const H = c.prevH.shape[1];
  // da = dnextH * tanh'(a) = dnextH * (1 - nextH^2)
  const da = new Float64Array(N * H);
  const db = Tensor.zeros([H]);
  for (let i = 0; i < da.length; i++) {
    const h = c.nextH.data[i];
    da[i] = dnextH.data[i] * (1 - h * h);
    db.data[i % H] += da[i];
  }
  const dx = Tensor.zeros([N, D]);
  gemm(N, D, H, da, 0, c.Wx.data, 0, dx.data, 0, { transB: true });
  const dprevH = Tensor.zeros([N, H]);
  gemm(N, H, H, da, 0, c.Wh.data, 0, dprevH.data, 0, { transB: true });
  const dWx = Tensor.zeros([D, H]);
  gemm(D, H, N, c.x.data, 0, da, 0, dWx.data, 0, { transA: true });
  const dWh = Tensor.zeros([H, H]);
  gemm(H, H, N, c.prevH.data, 0, da, 0, dWh.data, 0, { transA: true });
  return { dx, dprevH, dWx, dWh, db };
}

/**
 * One time step of a vanilla RNN with tanh, forward pass.
 *
 * Dimensions: N batch, D input features, H hidden units.
 *
 * $\mathrm{nextH} = \tanh(x\,W_x + \mathrm{prevH}\,W_h + b)$: the new hidden state depends on the previous hidden state
 * and the input through learned parameters (the lecture's basic structure of an RNN). Weights
 * are stored `[in, out]` as in CS231n; PyTorch's `nn.RNN` stores the transposes (`weight_ih_l0`
 * is `Wx^T`, `weight_hh_l0` is `Wh^T`) and has two biases whose sum is `b`.
 *
 * @param x - input of this step, `[N, D]`, finite
 * @param prevH - previous hidden state, `[N, H]`, finite; H is read from it
 * @param Wx - input-to-hidden weights, `[D, H]`, finite
 * @param Wh - hidden-to-hidden weights, `[H, H]`, finite
 * @param b - biases, `[H]`, finite
 * @returns `nextH`, `[N, H]`, with every entry in `(-1, 1)`, and the `cache` for {@link rnnStepBackward}
 * @throws ShapeError if a tensor has the wrong number of dimensions, N, D or H is 0, or the sizes
 *   disagree (`"rnnStep: Wh must be [H, H] = [4,4] for hidden size H = 4 (from prevH [2,4]), got [5,5]"`,
 *   `"rnnStep: prevH has 3 rows but x has N = 2 examples; x [2,3], prevH [3,4]"`)
 * @throws ValueError for a NaN or infinite element (`"rnnStep: x contains NaN at [1,0]"`); all
 *   checks run before any arithmetic
 * @see the lecture, items 15-16 (basic structure, unrolling); CS231n `rnn_step_forward`
 * @example
 * ```ts
 * const x = Tensor.from([[1, 0]]);                     // N = 1, D = 2
 * const Wx = Tensor.from([[0.5, 0], [0, 0.5]]);        // H = 2
 * const { nextH } = rnnStepForward(x, Tensor.zeros([1, 2]), Wx, Tensor.zeros([2, 2]), Tensor.zeros([2]));
 * nextH.toArray(); // [[tanh(0.5), 0]] ≈ [[0.4621, 0]]
 * ```
 */
export function rnnStepForward(x: Tensor, prevH: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor): { nextH: Tensor; cache: RnnStepCache } {
  checkRecurrentOperands('rnnStep', false, x, prevH, Wx, Wh, b, 1, 'prevH');
  const cache = stepForward(x, prevH, Wx, Wh, b);
  return { nextH: cache.nextH, cache };
}

/**
 * One time step of a vanilla RNN, backward pass.
 *
 * Dimensions as in {@link rnnStepForward}: N batch, D input features, H hidden units.
 *
 * With `da = dnextH * (1 - nextH^2)` (the derivative of tanh, at most 1; the lecture's second
 * source of vanishing gradients): `dx = da Wx^T`, `dprevH = da Wh^T`, `dWx = x^T da`,
 * `dWh = prevH^T da`, `db = sum over n of da[n, :]`.
 *
 * @param dnextH - upstream gradient, `[N, H]`, finite
 * @param cache - the `cache` returned by {@link rnnStepForward}
 * @returns gradients of `sum(nextH * dnextH)`: `dx` `[N, D]`, `dprevH` `[N, H]`, `dWx` `[D, H]`,
 *   `dWh` `[H, H]`, `db` `[H]`
 * @throws ShapeError if `dnextH` is not `[N, H]` (`"rnnStepBackward: dnextH must have shape [2,4], got [4,2]"`)
 * @throws ValueError if `dnextH` has a NaN/infinite element or `cache` is not an RNN step cache
 * @see CS231n `rnn_step_backward`
 */
export function rnnStepBackward(dnextH: Tensor, cache: RnnStepCache): { dx: Tensor; dprevH: Tensor; dWx: Tensor; dWh: Tensor; db: Tensor } {
  const op = 'rnnStepBackward';
  assertCache(op, cache, ['x', 'prevH', 'Wx', 'Wh', 'nextH'], 'rnnStepForward');
  checkUpstream(op, 'dnextH', dnextH, cache.nextH.shape);
  return stepBackward(dnextH, cache);
}

/**
 * A vanilla RNN over a whole sequence, forward pass: {@link rnnStepForward} applied at
 * `t = 0, 1, ..., T-1`, each step's output feeding the next, with the same `Wx`, `Wh`, `b` at
 * every step (the lecture's unrolled network: a feed-forward net whose weights are shared).
 *
 * Dimensions: N batch, T time steps, D input features, H hidden units.
 *
 * `h[:, t, :] = tanh(x[:, t, :] Wx + h[:, t-1, :] Wh + b)`, with `h[:, -1, :] = h0`.
 *
 * @param x - inputs, `[N, T, D]`, `T >= 1`, finite
 * @param h0 - initial hidden state, `[N, H]`, finite (zeros for a fresh sequence)
 * @param Wx - `[D, H]`, finite
 * @param Wh - `[H, H]`, finite
 * @param b - `[H]`, finite
 * @returns `h`, the hidden state after every step, `[N, T, H]` (`h[:, T-1, :]` is the final
 *   state), and the `cache` for {@link rnnBackward}: the list of step caches
 * @throws ShapeError for an empty sequence (`"rnn: x must have at least one time step (T >= 1), got x [2,0,3]"`),
 *   mismatched sizes (`"rnn: Wx must be [D, H] = [3,4] for D = 3 (from x [2,5,3]) and hidden size H = 4 (from h0 [2,4]), got [3,5]"`)
 *   or wrong numbers of dimensions
 * @throws ValueError for a NaN or infinite element (`"rnn: h0 contains NaN at [0,1]"`); all
 *   checks run before any arithmetic
 * @see the lecture, items 15-17; CS231n `rnn_forward`
 */
export function rnnForward(x: Tensor, h0: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor): { h: Tensor; cache: RnnCache } {
  const { N, T, H } = checkRecurrentOperands('rnn', true, x, h0, Wx, Wh, b, 1, 'h0');
  const h = Tensor.zeros([N, T, H]);
  const steps: RnnStepCache[] = [];
  let prev = h0;
  for (let t = 0; t < T; t++) {
    const step = stepForward(timeStep(x, t), prev, Wx, Wh, b);
    steps.push(step);
    setTimeStep(h, t, step.nextH);
    prev = step.nextH;
  }
  return { h, cache: { steps } };
}

/**
 * A vanilla RNN over a whole sequence, backward pass: backprop through time.
 *
 * Dimensions as in {@link rnnForward}: N batch, T time steps, D input features, H hidden units.
 *
 * Walks the steps from `t = T-1` down to 0. The hidden state `h_t` is used twice, as an output
 * (upstream gradient `dh[:, t, :]`) and as the next step's `prevH`, so its gradient is the sum
 * `dh[:, t, :] + dprevH` of step `t+1`. Because the same `Wx`, `Wh`, `b` are used at every step,
 * their gradients are the SUM of the per-step gradients (the lecture: "add the derivatives at
 * different times for each weight"). The gradient reaching `h_{-1}` is returned as `dh0`.
 *
 * Many-to-one use (one output read from the last hidden state, e.g. classifying a sequence):
 * pass `dh` that is zero everywhere except `dh[:, T-1, :]`; the gradient still reaches every
 * step through the recurrence. Many-to-many: `dh` nonzero at every step.
 *
 * Repeated multiplication by `Wh^T` and by `tanh' <= 1` makes the gradient reaching early steps
 * vanish or explode with T (the lecture, items 19-22); see `clipGradNorm`.
 *
 * @param dh - upstream gradient of every hidden state, `[N, T, H]`, finite
 * @param cache - the `cache` returned by {@link rnnForward}
 * @returns gradients of `sum(h * dh)`: `dx` `[N, T, D]`, `dh0` `[N, H]`, `dWx` `[D, H]`,
 *   `dWh` `[H, H]`, `db` `[H]`
 * @throws ShapeError if `dh` is not `[N, T, H]` (`"rnnBackward: dh must have shape [2,5,4], got [2,4,4]"`)
 * @throws ValueError if `dh` has a NaN/infinite element or `cache` is not an {@link RnnCache}
 * @see the lecture, item 17 (backprop through an RNN); CS231n `rnn_backward`
 * @example
 * ```ts
 * const rng = new Rng(0);
 * const { h, cache } = rnnForward(rng.randn([2, 5, 3]), Tensor.zeros([2, 4]), rng.randn([3, 4], 0.5), rng.randn([4, 4], 0.5), Tensor.zeros([4]));
 * const dh = Tensor.zeros(h.shape);
 * for (let n = 0; n < 2; n++) for (let j = 0; j < 4; j++) dh.set(1, n, 4, j); // loss on the last state only
 * const { dx } = rnnBackward(dh, cache); // dx [2, 5, 3], nonzero at every step
 * ```
 */
export function rnnBackward(dh: Tensor, cache: RnnCache): { dx: Tensor; dh0: Tensor; dWx: Tensor; dWh: Tensor; db: Tensor } {
  const op = 'rnnBackward';
  assertCache(op, cache, ['steps'], 'rnnForward');
  const { steps } = cache;
  if (!Array.isArray(steps) || steps.length === 0) {
    throw new ValueError(op, `cache must be the cache returned by rnnForward (steps must be a non-empty list of step caches)`);
  }
  steps.forEach((s, t) => assertCache(op, s, ['x', 'prevH', 'Wx', 'Wh', 'nextH'], `rnnForward (step ${t})`));
  const T = steps.length;
  const [N, D] = steps[0].x.shape;
  const H = steps[0].prevH.shape[1];
  checkUpstream(op, 'dh', dh, [N, T, H]);

  const dx = Tensor.zeros([N, T, D]);
  const dWx = Tensor.zeros([D, H]);
  const dWh = Tensor.zeros([H, H]);
  const db = Tensor.zeros([H]);
  let dprev = Tensor.zeros([N, H]);
  for (let t = T - 1; t >= 0; t--) {
    const dnext = timeStep(dh, t);
    addInto(dnext, dprev);
    const g = stepBackward(dnext, steps[t]);
    setTimeStep(dx, t, g.dx);
    addInto(dWx, g.dWx);
    addInto(dWh, g.dWh);
    addInto(db, g.db);
    dprev = g.dprevH;
  }
  return { dx, dh0: dprev, dWx, dWh, db };
}

/**
 * Fresh parameters for a vanilla RNN: `Wx ~ N(0, 1/D)`, `Wh ~ N(0, 1/H)` (fan-in scaling, as
 * CS231n's captioning model, so `x Wx` and `h Wh` start with unit variance per unit), `b = 0`.
 *
 * Dimensions: D input features, H hidden units.
 *
 * @param D - input features, integer >= 1
 * @param H - hidden units, integer >= 1
 * @param rng - source of the random weights
 * @returns `{ Wx [D, H], Wh [H, H], b [H] }`
 * @throws ValueError if `D` or `H` is not a positive integer: `"rnnInitParams: H must be an integer >= 1, got 0"`
 */
export function rnnInitParams(D: number, H: number, rng: Rng): RnnParams {
  const op = 'rnnInitParams';
  checkNumber(op, 'D', D, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  checkNumber(op, 'H', H, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  return { Wx: rng.randn([D, H], 1 / Math.sqrt(D)), Wh: rng.randn([H, H], 1 / Math.sqrt(H)), b: Tensor.zeros([H]) };
}
