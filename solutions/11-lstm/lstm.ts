/**
 * Exercise 11: Long Short-Term Memory (Hochreiter & Schmidhuber 1997), one step forward and
 * backward, and a whole sequence by backprop through time, in PyTorch's gate order i, f, g, o.
 *
 * Naive loops on purpose. The library version in `@dlkata/rnn` computes the same numbers with
 * matrix multiplies.
 *
 * Dimensions everywhere: N batch, T time steps, D input features, H hidden units (the cell
 * state has H units too). The `4H` columns of `Wx`, `Wh` and `b` hold the four gates in the
 * order **i, f, g, o**: columns `[0, H)` the input gate, `[H, 2H)` the forget gate, `[2H, 3H)`
 * the cell candidate, `[3H, 4H)` the output gate.
 *
 * @module
 */
import { assertNdim, assertShape, formatShape, ShapeError, Tensor } from '@dlkata/tensor';

/** What {@link lstmStepBackward} needs from {@link lstmStepForward}. */
export interface LstmStepCache {
  /** The input of this step, `[N, D]`. */
  readonly x: Tensor;
  /** The previous hidden state, `[N, H]`. */
  readonly prevH: Tensor;
  /** The previous cell state, `[N, H]`. */
  readonly prevC: Tensor;
  /** `[D, 4H]`. */
  readonly Wx: Tensor;
  /** `[H, 4H]`. */
  readonly Wh: Tensor;
  /** The activated gates `[N, 4H]` in the order i, f, g, o: `sigmoid(a_i), sigmoid(a_f), tanh(a_g), sigmoid(a_o)`. */
  readonly gates: Tensor;
  /** The new cell state, `[N, H]`. */
  readonly nextC: Tensor;
  /** `tanh(nextC)`, `[N, H]`. */
  readonly tanhC: Tensor;
}

/** What {@link lstmBackward} needs from {@link lstmForward}: one step cache per time step, oldest first. */
export interface LstmCache {
  readonly steps: readonly LstmStepCache[];
}

/** The logistic function `1 / (1 + e^-z)`, without overflow for large negative `z`. Given. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Time step `t` of a sequence `[N, T, F]`, copied into a new `[N, F]` tensor. Given. */
export function timeStep(seq: Tensor, t: number): Tensor {
  const [N, T, F] = seq.shape;
  const out = Tensor.zeros([N, F]);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) out.data[n * F + f] = seq.data[(n * T + t) * F + f];
  }
  return out;
}

/** Writes `step` `[N, F]` into time step `t` of `seq` `[N, T, F]`, in place. Given. */
export function setTimeStep(seq: Tensor, t: number, step: Tensor): void {
  const [N, T, F] = seq.shape;
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) seq.data[(n * T + t) * F + f] = step.data[n * F + f];
  }
}

/**
 * One LSTM step, forward pass.
 *
 * Dimensions: N batch, D input features, H hidden units.
 *
 * `a = x Wx + prevH Wh + b` (`[N, 4H]`), split into four `[N, H]` blocks in the order i, f, g, o:
 *
 * - `i = sigmoid(a[:, 0:H])`, input gate: how much of the candidate enters the cell
 * - `f = sigmoid(a[:, H:2H])`, forget gate: how much of the old cell is kept
 * - `g = tanh(a[:, 2H:3H])`, cell candidate
 * - `o = sigmoid(a[:, 3H:4H])`, output gate
 * - `nextC = f * prevC + i * g`, `nextH = o * tanh(nextC)` (elementwise)
 *
 * With `f = 1` and `i = 0` the cell is copied unchanged: the lecture's "matrix with eigenvalues
 * equal to 1" that lets the cell maintain its state (item 21).
 *
 * @param x - `[N, D]`
 * @param prevH - `[N, H]`
 * @param prevC - `[N, H]`
 * @param Wx - `[D, 4H]`
 * @param Wh - `[H, 4H]`
 * @param b - `[4H]`
 * @returns `nextH` `[N, H]`, `nextC` `[N, H]` and the `cache` for {@link lstmStepBackward}
 * @throws ShapeError if the shapes disagree: `"lstmStepForward: Wx must be [D, 4H] = [3,16], got [3,12]"`
 * @see Hochreiter & Schmidhuber 1997 (the lecture, item 23), with the forget gate of Gers et
 *   al. 2000; PyTorch `torch.nn.LSTM` (equations and gate order); CS231n `lstm_step_forward`
 *   (which orders the gates i, f, o, g)
 */
export function lstmStepForward(x: Tensor, prevH: Tensor, prevC: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor): { nextH: Tensor; nextC: Tensor; cache: LstmStepCache } {
  checkStep('lstmStepForward', x, prevH, prevC, Wx, Wh, b);
  const [N, D] = x.shape;
  const H = prevH.shape[1];
  const G = 4 * H;
  // BEGIN SOLUTION: lstmStepForward: nextH and nextC [N, H] of one LSTM step from x [N, D], prevH, prevC [N, H], Wx [D, 4H], Wh [H, 4H], b [4H], gates in PyTorch's order i, f, g, o (README "The math"), and the cache the backward pass needs; matmul helps
  const a = new Float64Array(N * G);
  for (let n = 0; n < N; n++) {
    for (let q = 0; q < G; q++) {
      let s = b.data[q];
      for (let d = 0; d < D; d++) s += x.data[n * D + d] * Wx.data[d * G + q];
      for (let k = 0; k < H; k++) s += prevH.data[n * H + k] * Wh.data[k * G + q];
      a[n * G + q] = s;
    }
  }
  const gates = Tensor.zeros([N, G]);
  const nextC = Tensor.zeros([N, H]);
  const tanhC = Tensor.zeros([N, H]);
  const nextH = Tensor.zeros([N, H]);
  for (let n = 0; n < N; n++) {
    const r = n * G;
    for (let j = 0; j < H; j++) {
      const i = sigmoid(a[r + j]);
      const f = sigmoid(a[r + H + j]);
      const g = Math.tanh(a[r + 2 * H + j]);
      const o = sigmoid(a[r + 3 * H + j]);
      gates.data[r + j] = i;
      gates.data[r + H + j] = f;
      gates.data[r + 2 * H + j] = g;
      gates.data[r + 3 * H + j] = o;
      const k = n * H + j;
      nextC.data[k] = f * prevC.data[k] + i * g;
      tanhC.data[k] = Math.tanh(nextC.data[k]);
      nextH.data[k] = o * tanhC.data[k];
    }
  }
  return { nextH, nextC, cache: { x, prevH, prevC, Wx, Wh, gates, nextC, tanhC } };
  // END SOLUTION
}

/**
 * One LSTM step, backward pass.
 *
 * Dimensions: N batch, D input features, H hidden units.
 *
 * The cell receives its own upstream gradient and what flows through `nextH = o * tanh(nextC)`:
 * `dc = dnextC + dnextH * o * (1 - tanh(nextC)^2)`. Then `dprevC = dc * f`, and the gradients
 * of the pre-activations, in the order i, f, g, o:
 *
 * `da_i = dc * g * i (1 - i)`, `da_f = dc * prevC * f (1 - f)`, `da_g = dc * i * (1 - g^2)`,
 * `da_o = dnextH * tanh(nextC) * o (1 - o)`;
 *
 * with `da` = those four blocks side by side (`[N, 4H]`): `dx = da Wx^T`, `dprevH = da Wh^T`,
 * `dWx = x^T da`, `dWh = prevH^T da`, `db = sum over n of da[n, :]`.
 *
 * @param dnextH - `[N, H]`
 * @param dnextC - `[N, H]` (zeros if the cell state is not used downstream)
 * @param cache - the `cache` returned by {@link lstmStepForward}
 * @returns the gradients of `sum(nextH * dnextH) + sum(nextC * dnextC)`: `dx` `[N, D]`, `dprevH`
 *   `[N, H]`, `dprevC` `[N, H]`, `dWx` `[D, 4H]`, `dWh` `[H, 4H]`, `db` `[4H]`
 * @throws ShapeError if `dnextH` or `dnextC` is not `[N, H]`
 * @see CS231n `lstm_step_backward`
 */
export function lstmStepBackward(
  dnextH: Tensor,
  dnextC: Tensor,
  cache: LstmStepCache,
): { dx: Tensor; dprevH: Tensor; dprevC: Tensor; dWx: Tensor; dWh: Tensor; db: Tensor } {
  const { x, prevH, prevC, Wx, Wh, gates, tanhC } = cache;
  const [N, D] = x.shape;
  const H = prevH.shape[1];
  const G = 4 * H;
  assertShape('lstmStepBackward', 'dnextH', dnextH, [N, H]);
  assertShape('lstmStepBackward', 'dnextC', dnextC, [N, H]);
  // BEGIN SOLUTION: lstmStepBackward: from dnextH and dnextC [N, H] and the cache, dx [N, D], dprevH and dprevC [N, H], dWx [D, 4H], dWh [H, 4H] and db [4H]; matmul and transpose2d help
  const da = new Float64Array(N * G);
  const dprevC = Tensor.zeros([N, H]);
  for (let n = 0; n < N; n++) {
    const r = n * G;
    for (let j = 0; j < H; j++) {
      const k = n * H + j;
      const i = gates.data[r + j];
      const f = gates.data[r + H + j];
      const g = gates.data[r + 2 * H + j];
      const o = gates.data[r + 3 * H + j];
      const tc = tanhC.data[k];
      const dc = dnextC.data[k] + dnextH.data[k] * o * (1 - tc * tc);
      dprevC.data[k] = dc * f;
      da[r + j] = dc * g * i * (1 - i);
      da[r + H + j] = dc * prevC.data[k] * f * (1 - f);
      da[r + 2 * H + j] = dc * i * (1 - g * g);
      da[r + 3 * H + j] = dnextH.data[k] * tc * o * (1 - o);
    }
  }
  const dx = Tensor.zeros([N, D]);
  const dprevH = Tensor.zeros([N, H]);
  const dWx = Tensor.zeros([D, G]);
  const dWh = Tensor.zeros([H, G]);
  const db = Tensor.zeros([G]);
  for (let n = 0; n < N; n++) {
    for (let q = 0; q < G; q++) {
      const v = da[n * G + q];
      db.data[q] += v;
      for (let d = 0; d < D; d++) {
        dx.data[n * D + d] += v * Wx.data[d * G + q];
        dWx.data[d * G + q] += x.data[n * D + d] * v;
      }
      for (let k = 0; k < H; k++) {
        dprevH.data[n * H + k] += v * Wh.data[k * G + q];
        dWh.data[k * G + q] += prevH.data[n * H + k] * v;
      }
    }
  }
  return { dx, dprevH, dprevC, dWx, dWh, db };
  // END SOLUTION
}

/**
 * An LSTM over a whole sequence, forward pass: {@link lstmStepForward} at `t = 0 .. T-1` with
 * shared weights, carrying both the hidden state and the cell state.
 *
 * Dimensions: N batch, T time steps, D input features, H hidden units.
 *
 * @param x - `[N, T, D]`, `T >= 1`
 * @param h0 - initial hidden state, `[N, H]`
 * @param Wx - `[D, 4H]`
 * @param Wh - `[H, 4H]`
 * @param b - `[4H]`
 * @param c0 - initial cell state, `[N, H]`; default zeros
 * @returns `h` `[N, T, H]` (the hidden state after every step), `cT` `[N, H]` (the final cell
 *   state) and the `cache` for {@link lstmBackward}
 * @throws ShapeError if the shapes disagree or `T` is 0
 * @see PyTorch `torch.nn.LSTM` (returns `output, (h_n, c_n)`); CS231n `lstm_forward`
 */
export function lstmForward(x: Tensor, h0: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor, c0?: Tensor): { h: Tensor; cT: Tensor; cache: LstmCache } {
  assertNdim('lstmForward', 'x', x, 3, '[N, T, D]');
  const [N, T] = x.shape;
  if (T < 1) throw new ShapeError('lstmForward', `x must have at least one time step, got ${formatShape(x.shape)}`);
  const H = h0.ndim === 2 ? h0.shape[1] : 0;
  const cStart = c0 ?? Tensor.zeros([N, H]);
  checkStep('lstmForward', timeStep(x, 0), h0, cStart, Wx, Wh, b);
  // BEGIN SOLUTION: lstmForward: the hidden states h [N, T, H] of the LSTM run over x [N, T, D] from h0 (and c0, zeros if absent) with lstmStepForward, the last cell state cT [N, H] and the cache
  const h = Tensor.zeros([N, T, H]);
  const steps: LstmStepCache[] = [];
  let prevH = h0;
  let prevC = cStart;
  for (let t = 0; t < T; t++) {
    const s = lstmStepForward(timeStep(x, t), prevH, prevC, Wx, Wh, b);
    setTimeStep(h, t, s.nextH);
    steps.push(s.cache);
    prevH = s.nextH;
    prevC = s.nextC;
  }
  return { h, cT: prevC, cache: { steps } };
  // END SOLUTION
}

/**
 * An LSTM over a whole sequence, backward pass: backprop through time.
 *
 * Dimensions: N batch, T time steps, D input features, H hidden units.
 *
 * From `t = T-1` down to 0: the hidden state's gradient is `dh[:, t, :]` plus `dprevH` of step
 * `t+1`; the cell state's gradient is `dprevC` of step `t+1`, and at the last step the gradient
 * of the final cell state, `dcT` (the final cell state is an output too). The weight gradients
 * are summed over the steps. What reaches the initial states is `dh0` and `dc0`.
 *
 * @param dh - upstream gradient of every hidden state, `[N, T, H]`
 * @param cache - the `cache` returned by {@link lstmForward}
 * @param dcT - upstream gradient of the final cell state `cT`, `[N, H]`; default zeros
 * @returns the gradients of `sum(h * dh) + sum(cT * dcT)`: `dx` `[N, T, D]`, `dh0` `[N, H]`,
 *   `dc0` `[N, H]`, `dWx` `[D, 4H]`, `dWh` `[H, 4H]`, `db` `[4H]`
 * @throws ShapeError if `dh` is not `[N, T, H]` or `dcT` is not `[N, H]`
 * @see CS231n `lstm_backward`; the lecture, item 17
 */
export function lstmBackward(dh: Tensor, cache: LstmCache, dcT?: Tensor): { dx: Tensor; dh0: Tensor; dc0: Tensor; dWx: Tensor; dWh: Tensor; db: Tensor } {
  const { steps } = cache;
  const T = steps.length;
  const [N, D] = steps[0].x.shape;
  const H = steps[0].prevH.shape[1];
  const G = 4 * H;
  assertShape('lstmBackward', 'dh', dh, [N, T, H]);
  if (dcT !== undefined) assertShape('lstmBackward', 'dcT', dcT, [N, H]);
  // BEGIN SOLUTION: lstmBackward: backprop through time from dh [N, T, H] and, if given, dcT (the gradient of the last cell state): dx [N, T, D], dh0 and dc0 [N, H], and the gradients dWx, dWh, db of the shared weights
  const dx = Tensor.zeros([N, T, D]);
  const dWx = Tensor.zeros([D, G]);
  const dWh = Tensor.zeros([H, G]);
  const db = Tensor.zeros([G]);
  let dprevH = Tensor.zeros([N, H]);
  let dprevC = dcT === undefined ? Tensor.zeros([N, H]) : dcT.clone();
  for (let t = T - 1; t >= 0; t--) {
    const dnextH = timeStep(dh, t);
    for (let i = 0; i < N * H; i++) dnextH.data[i] += dprevH.data[i];
    const g = lstmStepBackward(dnextH, dprevC, steps[t]);
    setTimeStep(dx, t, g.dx);
    for (let i = 0; i < D * G; i++) dWx.data[i] += g.dWx.data[i];
    for (let i = 0; i < H * G; i++) dWh.data[i] += g.dWh.data[i];
    for (let i = 0; i < G; i++) db.data[i] += g.db.data[i];
    dprevH = g.dprevH;
    dprevC = g.dprevC;
  }
  return { dx, dh0: dprevH, dc0: dprevC, dWx, dWh, db };
  // END SOLUTION
}

/** Checks the shapes of one step's operands. Given. */
function checkStep(op: string, x: Tensor, prevH: Tensor, prevC: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor): void {
  assertNdim(op, 'x', x, 2, '[N, D]');
  assertNdim(op, 'prevH', prevH, 2, '[N, H]');
  const [N, D] = x.shape;
  const [hN, H] = prevH.shape;
  if (hN !== N) throw new ShapeError(op, `x has ${N} rows but the hidden state has ${hN}; x ${formatShape(x.shape)}, h ${formatShape(prevH.shape)}`);
  assertShape(op, 'prevC', prevC, [N, H]);
  if (Wx.ndim !== 2 || Wx.shape[0] !== D || Wx.shape[1] !== 4 * H) throw new ShapeError(op, `Wx must be [D, 4H] = ${formatShape([D, 4 * H])}, got ${formatShape(Wx.shape)}`);
  if (Wh.ndim !== 2 || Wh.shape[0] !== H || Wh.shape[1] !== 4 * H) throw new ShapeError(op, `Wh must be [H, 4H] = ${formatShape([H, 4 * H])}, got ${formatShape(Wh.shape)}`);
  assertShape(op, 'b', b, [4 * H]);
}
