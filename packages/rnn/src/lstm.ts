/**
 * Long Short-Term Memory (LSTM): one step forward and backward, and a whole sequence by
 * backprop through time, in PyTorch's gate order.
 *
 * GATE ORDER: the `4H` columns of `Wx`, `Wh` and `b` are, in this order,
 *
 * | columns     | gate                 | activation |
 * | ----------- | -------------------- | ---------- |
 * | `[0, H)`    | `i`, input gate      | sigmoid    |
 * | `[H, 2H)`   | `f`, forget gate     | sigmoid    |
 * | `[2H, 3H)`  | `g`, cell candidate  | tanh       |
 * | `[3H, 4H)`  | `o`, output gate     | sigmoid    |
 *
 * This is PyTorch's `nn.LSTM` order (i, f, g, o). CS231n's `lstm_step_forward` uses
 * (i, f, o, g) and TensorFlow's `BasicLSTMCell` / `tf.basicLSTMCell` uses (i, g, f, o) with a
 * constant added to `f`: weights from those sources must have their column blocks permuted.
 *
 * @module
 */
import { optionKeys, checkOptions, gemm, Tensor, ValueError, type Rng } from '@dlkata/tensor';
import { addInto, assertCache, checkNumber, checkRecurrentOperands, checkUpstream, setTimeStep, timeStep } from './validate.js';

/**
 * The LSTM gate order of this package, PyTorch's: gate `LSTM_GATE_ORDER[k]` owns columns
 * `[k*H, (k+1)*H)` of `Wx`, `Wh` and `b`. `i` input gate, `f` forget gate, `g` cell candidate,
 * `o` output gate.
 */
export const LSTM_GATE_ORDER = Object.freeze(['i', 'f', 'g', 'o'] as const);

/**
 * What {@link lstmStepBackward} needs from {@link lstmStepForward}. Input tensors are the
 * caller's (references, not copies): do not modify them before the backward pass.
 */
export interface LstmStepCache {
  /** The input of this step, `[N, D]`. */
  readonly x: Tensor;
  /** The previous hidden state, `[N, H]`. */
  readonly prevH: Tensor;
  /** The previous cell state, `[N, H]`. */
  readonly prevC: Tensor;
  /** Input-to-hidden weights, `[D, 4H]`. */
  readonly Wx: Tensor;
  /** Hidden-to-hidden weights, `[H, 4H]`. */
  readonly Wh: Tensor;
  /** The activated gates `[N, 4H]` in {@link LSTM_GATE_ORDER}: `sigmoid(a_i), sigmoid(a_f), tanh(a_g), sigmoid(a_o)`. */
  readonly gates: Tensor;
  /** `tanh(nextC)`, `[N, H]`. */
  readonly tanhC: Tensor;
  /** The new cell state, `[N, H]`. */
  readonly nextC: Tensor;
  /** The new hidden state, `[N, H]`. */
  readonly nextH: Tensor;
}

/** What {@link lstmBackward} needs from {@link lstmForward}: the step caches, oldest first. */
export interface LstmCache {
  /** One {@link LstmStepCache} per time step, `steps[t]` for `t = 0 .. T-1`. */
  readonly steps: readonly LstmStepCache[];
}

/** Parameters of an LSTM, keyed as the optimisers of `@dlkata/layers` expect. Gate order i, f, g, o. */
export interface LstmParams {
  /** Input-to-hidden weights, `[D, 4H]`. */
  Wx: Tensor;
  /** Hidden-to-hidden weights, `[H, 4H]`. */
  Wh: Tensor;
  /** Biases, `[4H]`. */
  b: Tensor;
}

/** The gradients of one LSTM step. */
export interface LstmStepGrads {
  /** `[N, D]` */
  readonly dx: Tensor;
  /** `[N, H]` */
  readonly dprevH: Tensor;
  /** `[N, H]` */
  readonly dprevC: Tensor;
  /** `[D, 4H]` */
  readonly dWx: Tensor;
  /** `[H, 4H]` */
  readonly dWh: Tensor;
  /** `[4H]` */
  readonly db: Tensor;
}

/** The logistic function `1 / (1 + e^-z)`, without overflow for large negative `z`. */
function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

const STEP_KEYS = ['x', 'prevH', 'prevC', 'Wx', 'Wh', 'gates', 'tanhC', 'nextC', 'nextH'] as const;

/** One LSTM step on validated operands. */
function stepForward(x: Tensor, prevH: Tensor, prevC: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor): LstmStepCache {
  const [N, D] = x.shape;
  const H = prevH.shape[1];
  const G = 4 * H;
  const gates = Tensor.zeros([N, G]);
  const a = gates.data;
  gemm(N, G, D, x.data, 0, Wx.data, 0, a, 0);
  gemm(N, G, H, prevH.data, 0, Wh.data, 0, a, 0, { accumulate: true });
  const nextC = Tensor.zeros([N, H]);
  const tanhC = Tensor.zeros([N, H]);
  const nextH = Tensor.zeros([N, H]);
  const bd = b.data;
  for (let n = 0; n < N; n++) {
    const r = n * G;
    for (let j = 0; j < H; j++) {
      const i = (a[r + j] = sigmoid(a[r + j] + bd[j]));
      const f = (a[r + H + j] = sigmoid(a[r + H + j] + bd[H + j]));
      const g = (a[r + 2 * H + j] = Math.tanh(a[r + 2 * H + j] + bd[2 * H + j]));
      const o = (a[r + 3 * H + j] = sigmoid(a[r + 3 * H + j] + bd[3 * H + j]));
      const k = n * H + j;
      const c = f * prevC.data[k] + i * g;
      const tc = Math.tanh(c);
      nextC.data[k] = c;
      tanhC.data[k] = tc;
      nextH.data[k] = o * tc;
    }
  }
  return { x, prevH, prevC, Wx, Wh, gates, tanhC, nextC, nextH };
}

/** The gradients of one LSTM step on validated upstream gradients. */
function stepBackward(dnextH: Tensor, dnextC: Tensor, s: LstmStepCache): LstmStepGrads {
  const [N, D] = s.x.shape;
  const H = s.prevH.shape[1];
  const G = 4 * H;
  const a = s.gates.data;
  const da = new Float64Array(N * G);
  const dprevC = Tensor.zeros([N, H]);
  const db = Tensor.zeros([G]);
  for (let n = 0; n < N; n++) {
    const r = n * G;
    for (let j = 0; j < H; j++) {
      const k = n * H + j;
      const i = a[r + j];
      const f = a[r + H + j];
      const g = a[r + 2 * H + j];
      const o = a[r + 3 * H + j];
      const tc = s.tanhC.data[k];
      const dh = dnextH.data[k];
      // h = o * tanh(c): c receives the upstream dnextC plus what flows through h.
      const dc = dnextC.data[k] + dh * o * (1 - tc * tc);
      // c = f * prevC + i * g
      dprevC.data[k] = dc * f;
      da[r + j] = dc * g * i * (1 - i);
      da[r + H + j] = dc * s.prevC.data[k] * f * (1 - f);
      da[r + 2 * H + j] = dc * i * (1 - g * g);
      da[r + 3 * H + j] = dh * tc * o * (1 - o);
    }
    for (let q = 0; q < G; q++) db.data[q] += da[r + q];
  }
  const dx = Tensor.zeros([N, D]);
  gemm(N, D, G, da, 0, s.Wx.data, 0, dx.data, 0, { transB: true });
  const dprevH = Tensor.zeros([N, H]);
  gemm(N, H, G, da, 0, s.Wh.data, 0, dprevH.data, 0, { transB: true });
  const dWx = Tensor.zeros([D, G]);
  gemm(D, G, N, s.x.data, 0, da, 0, dWx.data, 0, { transA: true });
  const dWh = Tensor.zeros([H, G]);
  gemm(H, G, N, s.prevH.data, 0, da, 0, dWh.data, 0, { transA: true });
  return { dx, dprevH, dprevC, dWx, dWh, db };
}

/**
 * One LSTM step, forward pass.
 *
 * Dimensions: N batch, D input features, H hidden units (the cell state has H units too).
 *
 * `a = x Wx + prevH Wh + b`, `[N, 4H]`, split into four `[N, H]` blocks in the gate order
 * **i, f, g, o** (PyTorch's `nn.LSTM`; see {@link LSTM_GATE_ORDER}):
 *
 * - `i = sigmoid(a[:, 0:H])`: input gate, how much of the candidate enters the cell
 * - `f = sigmoid(a[:, H:2H])`: forget gate, how much of the old cell is kept
 * - `g = tanh(a[:, 2H:3H])`: cell candidate
 * - `o = sigmoid(a[:, 3H:4H])`: output gate
 * - $\mathrm{nextC} = f \odot \mathrm{prevC} + i \odot g$, $\mathrm{nextH} = o \odot \tanh(\mathrm{nextC})$ ($\odot$: elementwise product)
 *
 * With `f = 1` and `i = 0` the cell is copied unchanged, `dnextC/dprevC = I`: the lecture's
 * "matrix with eigenvalues equal to 1" that lets the cell maintain its state.
 *
 * Weights are stored `[in, 4H]` (CS231n's layout). PyTorch's `weight_ih_l0` is `Wx^T`,
 * `weight_hh_l0` is `Wh^T`, and its two biases add up to `b`.
 *
 * @param x - input of this step, `[N, D]`, finite
 * @param prevH - previous hidden state, `[N, H]`, finite; H is read from it
 * @param prevC - previous cell state, `[N, H]`, finite
 * @param Wx - input-to-hidden weights, `[D, 4H]`, finite
 * @param Wh - hidden-to-hidden weights, `[H, 4H]`, finite
 * @param b - biases, `[4H]`, finite
 * @returns `nextH` `[N, H]`, `nextC` `[N, H]` and the `cache` for {@link lstmStepBackward}
 * @throws ShapeError for wrong numbers of dimensions, N, D or H of 0, or sizes that disagree
 *   (`"lstmStep: Wx must be [D, 4H] = [3,16] for D = 3 (from x [2,3]) and hidden size H = 4 (from prevH [2,4]), 4H gate columns in the order i, f, g, o, got [3,12]"`,
 *   `"lstmStep: prevC must have shape [N, H] = [2,4] like prevH, got [2,5]"`)
 * @throws ValueError for a NaN or infinite element (`"lstmStep: prevC contains NaN at [0,0]"`);
 *   all checks run before any arithmetic
 * @see Hochreiter & Schmidhuber, "Long Short-Term Memory", Neural Computation 9(8), 1997 (the
 *   lecture, item 23), with the forget gate of Gers, Schmidhuber & Cummins 2000; PyTorch
 *   `torch.nn.LSTM` (equations and gate order); CS231n `lstm_step_forward` (API, other gate order)
 * @example
 * ```ts
 * const H = 1;
 * const b = Tensor.from([-20, 20, 0, 20]); // input gate shut, forget gate open: the cell is carried
 * const { nextC } = lstmStepForward(Tensor.from([[5]]), Tensor.zeros([1, H]), Tensor.from([[0.7]]), Tensor.zeros([1, 4]), Tensor.zeros([H, 4]), b);
 * nextC.get(0, 0); // ≈ 0.7
 * ```
 */
export function lstmStepForward(
  x: Tensor,
  prevH: Tensor,
  prevC: Tensor,
  Wx: Tensor,
  Wh: Tensor,
  b: Tensor,
): { nextH: Tensor; nextC: Tensor; cache: LstmStepCache } {
  checkRecurrentOperands('lstmStep', false, x, prevH, Wx, Wh, b, 4, 'prevH', [['prevC', prevC]]);
  const cache = stepForward(x, prevH, prevC, Wx, Wh, b);
  return { nextH: cache.nextH, nextC: cache.nextC, cache };
}

/**
 * One LSTM step, backward pass.
 *
 * Dimensions as in {@link lstmStepForward}: N batch, D input features, H hidden units.
 *
 * With `dc = dnextC + dnextH * o * (1 - tanh(nextC)^2)` (the cell receives its own upstream
 * gradient plus what flows through `nextH`):
 * `dprevC = dc * f`; gate pre-activations `da_i = dc * g * i(1-i)`, `da_f = dc * prevC * f(1-f)`,
 * `da_g = dc * i * (1-g^2)`, `da_o = dnextH * tanh(nextC) * o(1-o)`, assembled as `da` `[N, 4H]`
 * in the order i, f, g, o; then `dx = da Wx^T`, `dprevH = da Wh^T`, `dWx = x^T da`,
 * `dWh = prevH^T da`, `db = sum over n of da[n, :]`.
 *
 * @param dnextH - upstream gradient of `nextH`, `[N, H]`, finite
 * @param dnextC - upstream gradient of `nextC`, `[N, H]`, finite (zeros if the cell state is not used)
 * @param cache - the `cache` returned by {@link lstmStepForward}
 * @returns gradients of `sum(nextH * dnextH) + sum(nextC * dnextC)`: `dx` `[N, D]`, `dprevH`
 *   `[N, H]`, `dprevC` `[N, H]`, `dWx` `[D, 4H]`, `dWh` `[H, 4H]`, `db` `[4H]`
 * @throws ShapeError if `dnextH` or `dnextC` is not `[N, H]`
 *   (`"lstmStepBackward: dnextC must have shape [2,4], got [2,3]"`)
 * @throws ValueError for a NaN/infinite upstream element or a `cache` that is not an LSTM step cache
 * @see CS231n `lstm_step_backward`
 */
export function lstmStepBackward(dnextH: Tensor, dnextC: Tensor, cache: LstmStepCache): LstmStepGrads {
  const op = 'lstmStepBackward';
  assertCache(op, cache, STEP_KEYS, 'lstmStepForward');
  checkUpstream(op, 'dnextH', dnextH, cache.nextH.shape);
  checkUpstream(op, 'dnextC', dnextC, cache.nextC.shape);
  return stepBackward(dnextH, dnextC, cache);
}

/**
 * An LSTM over a whole sequence, forward pass: {@link lstmStepForward} at `t = 0 .. T-1` with
 * shared weights, carrying the hidden state `h` and the cell state `c`.
 *
 * Dimensions: N batch, T time steps, D input features, H hidden units. Gate order i, f, g, o
 * (see {@link LSTM_GATE_ORDER}).
 *
 * @param x - inputs, `[N, T, D]`, `T >= 1`, finite
 * @param h0 - initial hidden state, `[N, H]`, finite
 * @param Wx - `[D, 4H]`, finite
 * @param Wh - `[H, 4H]`, finite
 * @param b - `[4H]`, finite
 * @param c0 - initial cell state, `[N, H]`, finite; default zeros (CS231n's `lstm_forward`)
 * @returns `h`, the hidden state after every step, `[N, T, H]`; `cT`, the final cell state
 *   `[N, H]` (carry it with `h[:, T-1, :]` into the next chunk of a long sequence, see
 *   `truncatedBptt`); the `cache` for {@link lstmBackward}
 * @throws ShapeError for an empty sequence (`"lstm: x must have at least one time step (T >= 1), got x [2,0,3]"`),
 *   mismatched sizes or wrong numbers of dimensions, as {@link lstmStepForward}
 * @throws ValueError for a NaN or infinite element; all checks run before any arithmetic
 * @see Hochreiter & Schmidhuber 1997; PyTorch `torch.nn.LSTM` (returns `output, (h_n, c_n)`);
 *   CS231n `lstm_forward`
 */
export function lstmForward(
  x: Tensor,
  h0: Tensor,
  Wx: Tensor,
  Wh: Tensor,
  b: Tensor,
  c0?: Tensor,
): { h: Tensor; cT: Tensor; cache: LstmCache } {
  const op = 'lstm';
  const extra: Array<readonly [string, Tensor]> = c0 === undefined ? [] : [['c0', c0]];
  const { N, T, H } = checkRecurrentOperands(op, true, x, h0, Wx, Wh, b, 4, 'h0', extra);
  const h = Tensor.zeros([N, T, H]);
  const steps: LstmStepCache[] = [];
  let prevH = h0;
  let prevC = c0 ?? Tensor.zeros([N, H]);
  for (let t = 0; t < T; t++) {
    const s = stepForward(timeStep(x, t), prevH, prevC, Wx, Wh, b);
    steps.push(s);
    setTimeStep(h, t, s.nextH);
    prevH = s.nextH;
    prevC = s.nextC;
  }
  return { h, cT: prevC, cache: { steps } };
}

/**
 * An LSTM over a whole sequence, backward pass: backprop through time.
 *
 * Dimensions as in {@link lstmForward}: N batch, T time steps, D input features, H hidden units.
 *
 * From `t = T-1` down to 0: the hidden state's gradient is `dh[:, t, :]` plus `dprevH` of step
 * `t+1`; the cell state's gradient is `dprevC` of step `t+1`, or `dcT` at the last step. The
 * weight gradients are summed over the steps (shared weights). What reaches the initial states
 * is returned as `dh0` and `dc0`.
 *
 * The final cell state is an output too: a loss on `cT` alone (`dh = 0`, `dcT != 0`) gives
 * nonzero gradients. Many-to-one use: `dh` zero except at `t = T-1`.
 *
 * @param dh - upstream gradient of every hidden state, `[N, T, H]`, finite
 * @param cache - the `cache` returned by {@link lstmForward}
 * @param dcT - upstream gradient of the final cell state `cT`, `[N, H]`, finite; default zeros
 * @returns gradients of `sum(h * dh) + sum(cT * dcT)`: `dx` `[N, T, D]`, `dh0` `[N, H]`,
 *   `dc0` `[N, H]`, `dWx` `[D, 4H]`, `dWh` `[H, 4H]`, `db` `[4H]`
 * @throws ShapeError if `dh` is not `[N, T, H]` or `dcT` not `[N, H]`
 *   (`"lstmBackward: dh must have shape [2,5,4], got [2,5,3]"`)
 * @throws ValueError for a NaN/infinite upstream element or a `cache` that is not an {@link LstmCache}
 * @see CS231n `lstm_backward`; the lecture, item 17
 */
export function lstmBackward(
  dh: Tensor,
  cache: LstmCache,
  dcT?: Tensor,
): { dx: Tensor; dh0: Tensor; dc0: Tensor; dWx: Tensor; dWh: Tensor; db: Tensor } {
  const op = 'lstmBackward';
  assertCache(op, cache, ['steps'], 'lstmForward');
  const { steps } = cache;
  if (!Array.isArray(steps) || steps.length === 0) {
    throw new ValueError(op, `cache must be the cache returned by lstmForward (steps must be a non-empty list of step caches)`);
  }
  steps.forEach((s, t) => assertCache(op, s, STEP_KEYS, `lstmForward (step ${t})`));
  const T = steps.length;
  const [N, D] = steps[0].x.shape;
  const H = steps[0].prevH.shape[1];
  checkUpstream(op, 'dh', dh, [N, T, H]);
  if (dcT !== undefined) checkUpstream(op, 'dcT', dcT, [N, H]);

  const dx = Tensor.zeros([N, T, D]);
  const dWx = Tensor.zeros([D, 4 * H]);
  const dWh = Tensor.zeros([H, 4 * H]);
  const db = Tensor.zeros([4 * H]);
  let dprevH = Tensor.zeros([N, H]);
  let dprevC = dcT === undefined ? Tensor.zeros([N, H]) : dcT.clone();
  for (let t = T - 1; t >= 0; t--) {
    const dnextH = timeStep(dh, t);
    addInto(dnextH, dprevH);
    const g = stepBackward(dnextH, dprevC, steps[t]);
    setTimeStep(dx, t, g.dx);
    addInto(dWx, g.dWx);
    addInto(dWh, g.dWh);
    addInto(db, g.db);
    dprevH = g.dprevH;
    dprevC = g.dprevC;
  }
  return { dx, dh0: dprevH, dc0: dprevC, dWx, dWh, db };
}

/** Options of {@link lstmInitParams}. */
export interface LstmInitOptions {
  /**
   * Initial bias of the forget gate (columns `[H, 2H)` of `b`), default 1: the gate starts
   * mostly open (`sigmoid(1) ≈ 0.73`), so the cell remembers and gradients flow through it from
   * the first updates (Jozefowicz, Zaremba & Sutskever 2015; Gers et al. 2000). 0 gives
   * PyTorch-like all-zero biases.
   */
  readonly forgetBias?: number;
}

/**
 * Fresh LSTM parameters: `Wx ~ N(0, 1/D)`, `Wh ~ N(0, 1/H)` (fan-in scaling), biases 0 except
 * the forget gate's, which start at `forgetBias` (default 1).
 *
 * Dimensions: D input features, H hidden units. Gate order i, f, g, o (see {@link LSTM_GATE_ORDER}).
 *
 * @param D - input features, integer >= 1
 * @param H - hidden units, integer >= 1
 * @param rng - source of the random weights
 * @param opts - `forgetBias`, a finite number, default 1
 * @returns `{ Wx [D, 4H], Wh [H, 4H], b [4H] }` with `b[H:2H] = forgetBias`
 * @throws ValueError if `D` or `H` is not a positive integer or `forgetBias` is not finite:
 *   `"lstmInitParams: forgetBias must be a finite number, got NaN"`
 * @see Jozefowicz, Zaremba & Sutskever, "An Empirical Exploration of Recurrent Network
 *   Architectures", ICML 2015 (a forget-gate bias of 1 closes most of the gap to the GRU)
 * @example
 * ```ts
 * const { b } = lstmInitParams(3, 2, new Rng(0)); // b = [0, 0, 1, 1, 0, 0, 0, 0]
 * ```
 */
export function lstmInitParams(D: number, H: number, rng: Rng, opts: LstmInitOptions = {}): LstmParams {
  const op = 'lstmInitParams';
  checkOptions(op, 'opts', opts, optionKeys<LstmInitOptions>()('forgetBias'));
  checkNumber(op, 'D', D, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  checkNumber(op, 'H', H, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const forgetBias = opts.forgetBias ?? 1;
  checkNumber(op, 'forgetBias', forgetBias, () => true, 'a finite number');
  const b = Tensor.zeros([4 * H]);
  b.data.fill(forgetBias, H, 2 * H);
  return { Wx: rng.randn([D, 4 * H], 1 / Math.sqrt(D)), Wh: rng.randn([H, 4 * H], 1 / Math.sqrt(H)), b };
}
