/**
 * Exercise 10: long-term dependencies. Why the gradient of a recurrent network vanishes or
 * explodes over many time steps, measured; and gradient clipping, the remedy for exploding
 * gradients.
 *
 * Dimensions everywhere: N batch, T time steps, D input features, H hidden units (or the size
 * of the state of the simple recurrence).
 *
 * @module
 */
import { assertNdim, assertShape, formatShape, NotImplementedError, ShapeError, Tensor, ValueError } from '@dlkata/tensor';

/** The non-linearity of a recurrence: `tanh` (a vanilla RNN) or none (`linear`). */
export type Activation = 'tanh' | 'linear';

/**
 * The lecture's simple recurrence, the input forgotten: `A_t = theta A_{t-1}`, so
 * `A_t = theta^t A_0`, for `t = 0 .. T`.
 *
 * Dimensions: H state size, T steps.
 *
 * @param theta - the recurrent weights, `[H, H]`
 * @param A0 - the initial state, `[H]`
 * @param T - steps, an integer `>= 0`
 * @returns `[T + 1, H]`: row `t` is `A_t` (row 0 is `A0`)
 * @throws ShapeError if `theta` is not square or `A0` is not `[H]`
 * @throws ValueError if `T` is not an integer `>= 0`
 * @see the lecture, item 19 ("the same weights are multiplied over and over")
 * @example
 * ```ts
 * simpleRecurrence(Tensor.from([[0.5, 0], [0, 2]]), Tensor.from([1, 1]), 3).toArray();
 * // [[1, 1], [0.5, 2], [0.25, 4], [0.125, 8]]: one component vanishes, the other explodes
 * ```
 */
export function simpleRecurrence(theta: Tensor, A0: Tensor, T: number): Tensor {
  const H = checkSquare('simpleRecurrence', 'theta', theta);
  assertShape('simpleRecurrence', 'A0', A0, [H]);
  if (!Number.isInteger(T) || T < 0) throw new ValueError('simpleRecurrence', `T must be an integer >= 0, got ${T}`);
  throw new NotImplementedError('simpleRecurrence: the states A_0 .. A_T of the linear recurrence A_t = theta A_{t-1} (theta [H, H], A0 [H]) as the rows of a [T + 1, H] tensor (read: exercises/10-long-term-dependencies/README.md, "Task 1: simpleRecurrence"; guide: docs/site/documents/10-long-term-dependencies.html#task-1-simplerecurrence; tests: pnpm test 10 -t simpleRecurrence)');
}

/**
 * The simple recurrence through an eigendecomposition: if `theta = Q diag(lambda) Q^T` with `Q`
 * orthogonal (every symmetric `theta` has one), then `theta^t = Q diag(lambda^t) Q^T` and
 *
 * `A_t = Q diag(lambda)^t Q^T A_0`.
 *
 * `Q^T A_0` are the coordinates of `A_0` along the eigenvectors; each is multiplied by
 * `lambda_k^t`, which vanishes for `|lambda_k| < 1` and explodes for `|lambda_k| > 1`.
 *
 * Dimensions: H.
 *
 * @param Q - `[H, H]`, orthogonal (`Q^T Q = I`); column `k` is the eigenvector of `lambda[k]`
 * @param lambda - the eigenvalues, `[H]`
 * @param A0 - `[H]`
 * @param t - an integer `>= 0`
 * @returns `A_t`, `[H]`
 * @throws ShapeError if the shapes disagree; ValueError if `t` is not an integer `>= 0`
 * @see the lecture, item 20
 */
export function eigenRecurrence(Q: Tensor, lambda: Tensor, A0: Tensor, t: number): Tensor {
  const H = checkSquare('eigenRecurrence', 'Q', Q);
  assertShape('eigenRecurrence', 'lambda', lambda, [H]);
  assertShape('eigenRecurrence', 'A0', A0, [H]);
  if (!Number.isInteger(t) || t < 0) throw new ValueError('eigenRecurrence', `t must be an integer >= 0, got ${t}`);
  throw new NotImplementedError('eigenRecurrence: A_t [H] computed from the eigendecomposition theta = Q diag(lambda) Q^T (Q [H, H] orthogonal, lambda [H]) as the README derives it, without multiplying by theta t times (read: exercises/10-long-term-dependencies/README.md, "Task 2: eigenRecurrence"; guide: docs/site/documents/10-long-term-dependencies.html#task-2-eigenrecurrence; tests: pnpm test 10 -t eigenRecurrence)');
}

/**
 * A recurrence with an input, forward pass: `h_t = act(x_t Wx + h_{t-1} Wh + b)`, with
 * `act = tanh` (exercise 09's RNN) or the identity (`linear`). Given: the hidden states it
 * returns are the input of {@link gradientNormsThroughTime}.
 *
 * Dimensions: N batch, T time steps, D input features, H hidden units.
 *
 * @param x - `[N, T, D]`
 * @param h0 - `[N, H]`
 * @param Wx - `[D, H]`
 * @param Wh - `[H, H]`
 * @param b - `[H]`
 * @param activation - `'tanh'` or `'linear'`
 * @returns `h`, `[N, T, H]`
 */
export function recurrenceForward(x: Tensor, h0: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor, activation: Activation): Tensor {
  assertNdim('recurrenceForward', 'x', x, 3, '[N, T, D]');
  const [N, T, D] = x.shape;
  const H = checkSquare('recurrenceForward', 'Wh', Wh);
  assertShape('recurrenceForward', 'h0', h0, [N, H]);
  assertShape('recurrenceForward', 'Wx', Wx, [D, H]);
  assertShape('recurrenceForward', 'b', b, [H]);
  const h = Tensor.zeros([N, T, H]);
  for (let n = 0; n < N; n++) {
    let prev = Array.from(h0.data.subarray(n * H, (n + 1) * H));
    for (let t = 0; t < T; t++) {
      const next = new Array<number>(H);
      for (let j = 0; j < H; j++) {
        let a = b.data[j];
        for (let d = 0; d < D; d++) a += x.data[(n * T + t) * D + d] * Wx.data[d * H + j];
        for (let k = 0; k < H; k++) a += prev[k] * Wh.data[k * H + j];
        next[j] = activation === 'tanh' ? Math.tanh(a) : a;
        h.data[(n * T + t) * H + j] = next[j];
      }
      prev = next;
    }
  }
  return h;
}

/**
 * How much gradient reaches each hidden state: `||dL/dh_t||` for `t = 0 .. T-1`, when the loss
 * is read from the last hidden state only, `L = sum(h_{T-1} * dhT)`.
 *
 * Dimensions: N batch, T time steps, H hidden units.
 *
 * Backwards from `g_{T-1} = dhT`, exercise 09's `dprevH` with nothing added at each step:
 *
 * `g_{t-1} = (g_t * act'_t) Wh^T`, with `act'_t = 1 - h_t^2` for tanh and `1` for `linear`.
 *
 * The result is the Frobenius norm of each `g_t` over the batch:
 * `out[t] = sqrt(sum over n, j of g_t[n, j]^2)`.
 *
 * @param Wh - `[H, H]`
 * @param h - the forward pass's hidden states, `[N, T, H]` (from {@link recurrenceForward})
 * @param dhT - the gradient of the last hidden state, `[N, H]`
 * @param activation - the forward pass's non-linearity
 * @returns `[T]`, entry `t` is `||dL/dh_t||`
 * @throws ShapeError if the shapes disagree; ValueError for an unknown activation
 * @see the lecture, items 19-22: small weights vanish, large weights explode; tanh's
 *   derivative is at most 1 and near 0 where it saturates
 */
export function gradientNormsThroughTime(Wh: Tensor, h: Tensor, dhT: Tensor, activation: Activation): Tensor {
  const H = checkSquare('gradientNormsThroughTime', 'Wh', Wh);
  assertNdim('gradientNormsThroughTime', 'h', h, 3, '[N, T, H]');
  const [N, T] = h.shape;
  assertShape('gradientNormsThroughTime', 'h', h, [N, T, H]);
  assertShape('gradientNormsThroughTime', 'dhT', dhT, [N, H]);
  if (activation !== 'tanh' && activation !== 'linear') throw new ValueError('gradientNormsThroughTime', `activation must be 'tanh' or 'linear', got ${String(activation)}`);
  throw new NotImplementedError('gradientNormsThroughTime: the norm of the loss\'s gradient with respect to each hidden state h_t, t = 0 .. T-1, when only the last state receives dhT [N, H] (docstring and README); returns [T] (read: exercises/10-long-term-dependencies/README.md, "Task 3: gradientNormsThroughTime"; guide: docs/site/documents/10-long-term-dependencies.html#task-3-gradientnormsthroughtime; tests: pnpm test 10 -t gradientNormsThroughTime)');
}

/**
 * Clips gradients by their GLOBAL norm, like PyTorch's `torch.nn.utils.clip_grad_norm_`: the
 * lecture's remedy for exploding gradients.
 *
 * `totalNorm = sqrt(sum over every tensor and every element of g^2)`, one norm for all
 * gradients together, as if they were one long vector. If `totalNorm > maxNorm`, every tensor is
 * multiplied by the same factor `maxNorm / (totalNorm + 1e-6)`; otherwise every tensor is
 * returned unchanged (as a copy). The direction of the whole gradient is kept.
 *
 * Clipping each tensor by its own norm is a different operation (it changes the direction):
 * for `[3, 4]` and `[6, 8]` with `maxNorm = 1`, per-tensor clipping would give `[0.6, 0.8]`
 * twice; the global norm is `sqrt(125)` and gives `[0.268, 0.358]`, `[0.537, 0.716]`.
 *
 * @param grads - the gradients, any shapes; not modified
 * @param maxNorm - the largest allowed global norm, `> 0`
 * @returns `grads`, new tensors in the same order, and `totalNorm`, the global norm before clipping
 * @throws ValueError if `maxNorm` is not a finite number `> 0`
 * @see the lecture, item 20; Pascanu, Mikolov & Bengio 2013; PyTorch `clip_grad_norm_`
 */
export function clipGradNorm(grads: readonly Tensor[], maxNorm: number): { grads: Tensor[]; totalNorm: number } {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new ValueError('clipGradNorm', `maxNorm must be a finite number > 0, got ${maxNorm}`);
  throw new NotImplementedError('clipGradNorm: the gradients rescaled so that their global L2 norm (over all tensors together) is at most maxNorm, as PyTorch\'s clip_grad_norm_ does (eps 1e-6), and that norm before clipping; new tensors (read: exercises/10-long-term-dependencies/README.md, "Task 4: clipGradNorm"; guide: docs/site/documents/10-long-term-dependencies.html#task-4-clipgradnorm; tests: pnpm test 10 -t clipGradNorm)');
}

/**
 * Clips every gradient element to `[-clipValue, clipValue]`, like PyTorch's
 * `torch.nn.utils.clip_grad_value_`. Unlike {@link clipGradNorm} this changes the direction of
 * the gradient whenever some, but not all, elements are clipped.
 *
 * @param grads - the gradients; not modified
 * @param clipValue - `> 0`
 * @returns `grads`, new tensors in the same order
 * @throws ValueError if `clipValue` is not a finite number `> 0`
 * @example
 * ```ts
 * clipGradValue([Tensor.from([-3, 0.5, 2])], 1).grads[0].toArray(); // [-1, 0.5, 1]
 * ```
 */
export function clipGradValue(grads: readonly Tensor[], clipValue: number): { grads: Tensor[] } {
  if (!(clipValue > 0) || !Number.isFinite(clipValue)) throw new ValueError('clipGradValue', `clipValue must be a finite number > 0, got ${clipValue}`);
  throw new NotImplementedError('clipGradValue: the gradients with every element clipped to [-clipValue, clipValue], as new tensors (read: exercises/10-long-term-dependencies/README.md, "Task 5: clipGradValue"; guide: docs/site/documents/10-long-term-dependencies.html#task-5-clipgradvalue; tests: pnpm test 10 -t clipGradValue)');
}

/** Checks that `m` is a non-empty square matrix and returns its size. Given. */
function checkSquare(op: string, name: string, m: Tensor): number {
  assertNdim(op, name, m, 2, '[H, H]');
  if (m.shape[0] !== m.shape[1] || m.shape[0] < 1) throw new ShapeError(op, `${name} must be a non-empty square matrix [H, H], got ${formatShape(m.shape)}`);
  return m.shape[0];
}
