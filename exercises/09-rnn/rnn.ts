/**
 * Exercise 09: a vanilla recurrent network with tanh, one step forward and backward, and a
 * whole sequence by backprop through time (BPTT).
 *
 * Naive loops on purpose: each line is one term of the formulas in the README. The library
 * version in `@dlkata/rnn` computes the same numbers with matrix multiplies.
 *
 * Dimensions everywhere: N batch, T time steps, D input features, H hidden units. Weights are
 * stored `[in, out]` (CS231n's layout): `Wx` is `[D, H]`, `Wh` is `[H, H]`.
 *
 * @module
 */
import { assertNdim, assertShape, formatShape, NotImplementedError, ShapeError, Tensor } from '@dlkata/tensor';

/**
 * What {@link rnnStepBackward} needs from {@link rnnStepForward}: the step's inputs and its
 * output (tanh's derivative is read from the output, `1 - nextH^2`).
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
  /** The output of this step, `[N, H]`. */
  readonly nextH: Tensor;
}

/** What {@link rnnBackward} needs from {@link rnnForward}: one step cache per time step, oldest first. */
export interface RnnCache {
  /** `steps[t]` is the cache of time step `t`, for `t = 0 .. T-1`. */
  readonly steps: readonly RnnStepCache[];
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
 * One time step of a vanilla RNN, forward pass.
 *
 * Dimensions: N batch, D input features, H hidden units.
 *
 * `nextH = tanh(x Wx + prevH Wh + b)`, that is
 * `nextH[n, j] = tanh(b[j] + sum over d of x[n, d] Wx[d, j] + sum over k of prevH[n, k] Wh[k, j])`.
 *
 * @param x - input of this step, `[N, D]`
 * @param prevH - previous hidden state, `[N, H]`
 * @param Wx - input-to-hidden weights, `[D, H]`
 * @param Wh - hidden-to-hidden weights, `[H, H]`
 * @param b - biases, `[H]`
 * @returns `nextH` `[N, H]` (every entry in `(-1, 1)`) and the `cache` for {@link rnnStepBackward}
 * @throws ShapeError if the shapes disagree: `"rnnStepForward: Wx must be [D, H] = [3,4], got [4,3]"`
 * @see the lecture, item 15 (basic structure); CS231n `rnn_step_forward`; PyTorch `torch.nn.RNN`
 *   (which stores `Wx^T`, `Wh^T` and splits `b` in two)
 * @example
 * ```ts
 * const { nextH } = rnnStepForward(Tensor.from([[1, 0]]), Tensor.zeros([1, 2]), Tensor.from([[0.5, 0], [0, 0.5]]), Tensor.zeros([2, 2]), Tensor.zeros([2]));
 * nextH.toArray(); // [[tanh(0.5), 0]] ≈ [[0.4621, 0]]
 * ```
 */
export function rnnStepForward(x: Tensor, prevH: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor): { nextH: Tensor; cache: RnnStepCache } {
  checkStep('rnnStepForward', x, prevH, Wx, Wh, b);
  const [N, D] = x.shape;
  const H = prevH.shape[1];
  throw new NotImplementedError('rnnStepForward: the next hidden state nextH [N, H] of one RNN step from x [N, D], prevH [N, H], Wx [D, H], Wh [H, H], b [H] (README "The math"), and the cache the backward pass needs; matmul and add help (read: exercises/09-rnn/README.md, "Task 1: rnnStepForward"; guide: docs/site/documents/09-rnn.html#task-1-rnnstepforward; tests: pnpm test 09 -t rnnStepForward)');
}

/**
 * One time step of a vanilla RNN, backward pass.
 *
 * Dimensions: N batch, D input features, H hidden units.
 *
 * With `da = dnextH * (1 - nextH^2)` (tanh's derivative, at most 1):
 * `dx = da Wx^T`, `dprevH = da Wh^T`, `dWx = x^T da`, `dWh = prevH^T da`,
 * `db[j] = sum over n of da[n, j]`.
 *
 * @param dnextH - upstream gradient, `[N, H]`
 * @param cache - the `cache` returned by {@link rnnStepForward}
 * @returns `dx` `[N, D]`, `dprevH` `[N, H]`, `dWx` `[D, H]`, `dWh` `[H, H]`, `db` `[H]`: the
 *   gradients of `sum(nextH * dnextH)`
 * @throws ShapeError if `dnextH` is not `[N, H]`: `"rnnStepBackward: dnextH must have shape [2,4], got [4,2]"`
 * @see CS231n `rnn_step_backward`
 */
export function rnnStepBackward(dnextH: Tensor, cache: RnnStepCache): { dx: Tensor; dprevH: Tensor; dWx: Tensor; dWh: Tensor; db: Tensor } {
  const { x, prevH, Wx, Wh, nextH } = cache;
  const [N, D] = x.shape;
  const H = prevH.shape[1];
  assertShape('rnnStepBackward', 'dnextH', dnextH, [N, H]);
  throw new NotImplementedError('rnnStepBackward: from dnextH [N, H] and the cache, dx [N, D], dprevH [N, H], dWx [D, H], dWh [H, H] and db [H]; matmul and transpose2d help (read: exercises/09-rnn/README.md, "Task 2: rnnStepBackward"; guide: docs/site/documents/09-rnn.html#task-2-rnnstepbackward; tests: pnpm test 09 -t rnnStepBackward)');
}

/**
 * A vanilla RNN over a whole sequence, forward pass: {@link rnnStepForward} at
 * `t = 0, 1, ..., T-1`, each step's `nextH` the next step's `prevH`, the same `Wx`, `Wh`, `b` at
 * every step (the lecture's unrolled network).
 *
 * Dimensions: N batch, T time steps, D input features, H hidden units.
 *
 * `h[:, t, :] = tanh(x[:, t, :] Wx + h[:, t-1, :] Wh + b)` with `h[:, -1, :] = h0`.
 *
 * @param x - inputs, `[N, T, D]`, `T >= 1`
 * @param h0 - initial hidden state, `[N, H]`
 * @param Wx - `[D, H]`
 * @param Wh - `[H, H]`
 * @param b - `[H]`
 * @returns `h` `[N, T, H]`, the hidden state after every step, and the `cache` for
 *   {@link rnnBackward}: the list of step caches, oldest first
 * @throws ShapeError if the shapes disagree or `T` is 0
 * @see the lecture, items 15-16; CS231n `rnn_forward`
 */
export function rnnForward(x: Tensor, h0: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor): { h: Tensor; cache: RnnCache } {
  assertNdim('rnnForward', 'x', x, 3, '[N, T, D]');
  const [N, T] = x.shape;
  if (T < 1) throw new ShapeError('rnnForward', `x must have at least one time step, got ${formatShape(x.shape)}`);
  checkStep('rnnForward', timeStep(x, 0), h0, Wx, Wh, b);
  const H = h0.shape[1];
  throw new NotImplementedError('rnnForward: the hidden states h [N, T, H] of the RNN run over x [N, T, D] from h0 [N, H] with rnnStepForward, and the cache (the step caches, in order); timeStep and setTimeStep help (read: exercises/09-rnn/README.md, "Task 3: rnnForward"; guide: docs/site/documents/09-rnn.html#task-3-rnnforward; tests: pnpm test 09 -t rnnForward)');
}

/**
 * A vanilla RNN over a whole sequence, backward pass: backprop through time.
 *
 * Dimensions: N batch, T time steps, D input features, H hidden units.
 *
 * Walk `t = T-1` down to 0. The hidden state `h_t` is used twice, as an output (upstream
 * gradient `dh[:, t, :]`) and as the next step's `prevH`, so its gradient is
 * `dh[:, t, :] + dprevH` of step `t+1` (nothing comes from a step after the last one). The
 * same `Wx`, `Wh`, `b` serve every step, so their gradients are the SUM of the steps'
 * gradients (the lecture: "add the derivatives at different times for each weight"). What
 * reaches `h0` is `dh0`.
 *
 * @param dh - upstream gradient of every hidden state, `[N, T, H]`
 * @param cache - the `cache` returned by {@link rnnForward}
 * @returns `dx` `[N, T, D]`, `dh0` `[N, H]`, `dWx` `[D, H]`, `dWh` `[H, H]`, `db` `[H]`: the
 *   gradients of `sum(h * dh)`
 * @throws ShapeError if `dh` is not `[N, T, H]`: `"rnnBackward: dh must have shape [2,5,4], got [2,4,4]"`
 * @see the lecture, item 17 (backprop through an RNN); CS231n `rnn_backward`
 */
export function rnnBackward(dh: Tensor, cache: RnnCache): { dx: Tensor; dh0: Tensor; dWx: Tensor; dWh: Tensor; db: Tensor } {
  const { steps } = cache;
  const T = steps.length;
  const [N, D] = steps[0].x.shape;
  const H = steps[0].prevH.shape[1];
  assertShape('rnnBackward', 'dh', dh, [N, T, H]);
  throw new NotImplementedError('rnnBackward: backprop through time: from dh [N, T, H] (the loss\'s gradient with respect to every hidden state) and the cache, dx [N, T, D], dh0 [N, H] and the gradients dWx, dWh, db of the weights all steps share (read: exercises/09-rnn/README.md, "Task 4: rnnBackward"; guide: docs/site/documents/09-rnn.html#task-4-rnnbackward; tests: pnpm test 09 -t rnnBackward)');
}

/** Checks the shapes of one step's operands. Given. */
function checkStep(op: string, x: Tensor, prevH: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor): void {
  assertNdim(op, 'x', x, 2, '[N, D]');
  assertNdim(op, 'prevH', prevH, 2, '[N, H]');
  const [N, D] = x.shape;
  const [hN, H] = prevH.shape;
  if (hN !== N) throw new ShapeError(op, `x has ${N} rows but the hidden state has ${hN}; x ${formatShape(x.shape)}, h ${formatShape(prevH.shape)}`);
  if (Wx.ndim !== 2 || Wx.shape[0] !== D || Wx.shape[1] !== H) throw new ShapeError(op, `Wx must be [D, H] = ${formatShape([D, H])}, got ${formatShape(Wx.shape)}`);
  if (Wh.ndim !== 2 || Wh.shape[0] !== H || Wh.shape[1] !== H) throw new ShapeError(op, `Wh must be [H, H] = ${formatShape([H, H])}, got ${formatShape(Wh.shape)}`);
  assertShape(op, 'b', b, [H]);
}
