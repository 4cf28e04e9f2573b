/**
 * Why gradients vanish or explode in a recurrent network: the lecture's simple recurrence
 * `A_t = theta^t A_0`, its eigendecomposition, and the norm of `dL/dh_t` over the time steps of
 * a recurrence whose weights have a chosen spectral radius.
 *
 * Eigendecompositions, spectral radii and orthogonal matrices come from `ml-matrix`
 * (`EigenvalueDecomposition`, `QrDecomposition`); this package does not write its own
 * eigensolver.
 *
 * @module
 */
import { EigenvalueDecomposition, Matrix, QrDecomposition } from 'ml-matrix';
import { optionKeys, checkOptions, assertNdim, formatShape, gemm, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { checkNumber } from '../validate.js';

/** The non-linearity of a recurrence: `tanh` (a vanilla RNN) or none (`linear`, the lecture's simple recurrence). */
export type Activation = 'tanh' | 'linear';

function checkSquare(op: string, name: string, m: Tensor): number {
  assertNdim(op, name, m, 2, '[H, H]');
  const [r, c] = m.shape;
  if (r !== c || r < 1) throw new ShapeError(op, `${name} must be a non-empty square matrix [H, H], got ${formatShape(m.shape)}`);
  return r;
}

function toMatrix(t: Tensor): Matrix {
  const [r, c] = t.shape;
  const m = new Matrix(r, c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) m.set(i, j, t.data[i * c + j]);
  return m;
}

function fromMatrix(m: Matrix): Tensor {
  const out = Tensor.zeros([m.rows, m.columns]);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.columns; j++) out.data[i * m.columns + j] = m.get(i, j);
  return out;
}

/**
 * The lecture's simple recurrence without input, `A_t = theta A_{t-1}`, for `t = 0 .. T`:
 * `A_t = theta^t A_0`.
 *
 * Dimensions: H state size, T steps.
 *
 * @param theta - the recurrent weights, `[H, H]`, finite
 * @param A0 - the initial state, `[H]`, finite
 * @param T - number of steps, integer >= 0
 * @returns `[T + 1, H]`, row `t` is `A_t` (row 0 is a copy of `A0`)
 * @throws ShapeError for a non-square `theta` or an `A0` that is not `[H]`
 * @throws ValueError for a `T` that is not a non-negative integer
 * @see the lecture, item 19 (simple recurrence; small weights vanish, large weights explode)
 * @example
 * ```ts
 * recurrencePowers(Tensor.from([[0.5, 0], [0, 2]]), Tensor.from([1, 1]), 3).toArray();
 * // [[1, 1], [0.5, 2], [0.25, 4], [0.125, 8]]
 * ```
 */
export function recurrencePowers(theta: Tensor, A0: Tensor, T: number): Tensor {
  const op = 'recurrencePowers';
  const H = checkSquare(op, 'theta', theta);
  if (A0.ndim !== 1 || A0.shape[0] !== H) throw new ShapeError(op, `A0 must be [H] = [${H}] for theta ${formatShape(theta.shape)}, got ${formatShape(A0.shape)}`);
  checkNumber(op, 'T', T, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0');
  const out = Tensor.zeros([T + 1, H]);
  out.data.set(A0.data, 0);
  for (let t = 1; t <= T; t++) {
    // A_t = theta A_{t-1}: [H, H] times the column vector [H, 1]
    gemm(H, 1, H, theta.data, 0, out.data, (t - 1) * H, out.data, t * H);
  }
  return out;
}

/**
 * Eigendecomposition of a symmetric matrix, `theta = Q diag(lambda) Q^T` with `Q` orthogonal
 * (the lecture's `theta = Q Lambda Q^T`), by `ml-matrix`'s `EigenvalueDecomposition`
 * (tridiagonalisation and the QL algorithm, after JAMA).
 *
 * Dimensions: H.
 *
 * @param theta - `[H, H]`, symmetric within `1e-9 * max|theta|`, finite
 * @returns `Q` `[H, H]` whose column `k` is the unit eigenvector of `lambda[k]`; `lambda` `[H]`,
 *   the real eigenvalues in ascending order
 * @throws ShapeError for a non-square matrix
 * @throws ValueError for a matrix that is not symmetric (`"symmetricEigen: theta is not symmetric: theta[0,1] = 1 but theta[1,0] = 2"`) or has NaN
 * @see the lecture, item 20; `ml-matrix` `EigenvalueDecomposition`
 */
export function symmetricEigen(theta: Tensor): { Q: Tensor; lambda: Tensor } {
  const op = 'symmetricEigen';
  const H = checkSquare(op, 'theta', theta);
  let big = 0;
  for (let i = 0; i < theta.size; i++) {
    const v = theta.data[i];
    if (!Number.isFinite(v)) throw new ValueError(op, `theta contains ${v} at [${theta.unravel(i).join(',')}]`);
    big = Math.max(big, Math.abs(v));
  }
  for (let i = 0; i < H; i++) {
    for (let j = i + 1; j < H; j++) {
      const a = theta.data[i * H + j];
      const b = theta.data[j * H + i];
      if (Math.abs(a - b) > 1e-9 * big) throw new ValueError(op, `theta is not symmetric: theta[${i},${j}] = ${a} but theta[${j},${i}] = ${b}`);
    }
  }
  const evd = new EigenvalueDecomposition(toMatrix(theta), { assumeSymmetric: true });
  return { Q: fromMatrix(evd.eigenvectorMatrix), lambda: Tensor.fromArray(evd.realEigenvalues) };
}

/**
 * `A_t = Q diag(lambda)^t Q^T A_0`: the simple recurrence through an eigendecomposition. Each
 * component of `A_0` along an eigenvector is multiplied by `lambda^t`: it vanishes where
 * `|lambda| < 1` and explodes where `|lambda| > 1`.
 *
 * Dimensions: H.
 *
 * @param Q - `[H, H]`, orthogonal, eigenvectors in its columns
 * @param lambda - `[H]`, the eigenvalues
 * @param A0 - `[H]`
 * @param t - integer >= 0
 * @returns `A_t`, `[H]`
 * @throws ShapeError for mismatched shapes; ValueError for a `t` that is not a non-negative integer
 * @see the lecture, item 20
 */
export function eigenPower(Q: Tensor, lambda: Tensor, A0: Tensor, t: number): Tensor {
  const op = 'eigenPower';
  const H = checkSquare(op, 'Q', Q);
  if (lambda.ndim !== 1 || lambda.shape[0] !== H) throw new ShapeError(op, `lambda must be [H] = [${H}], got ${formatShape(lambda.shape)}`);
  if (A0.ndim !== 1 || A0.shape[0] !== H) throw new ShapeError(op, `A0 must be [H] = [${H}], got ${formatShape(A0.shape)}`);
  checkNumber(op, 't', t, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0');
  const z = new Float64Array(H);
  gemm(1, H, H, A0.data, 0, Q.data, 0, z, 0); // z = Q^T A0 (as a row: A0^T Q)
  for (let k = 0; k < H; k++) z[k] *= lambda.data[k] ** t;
  const out = Tensor.zeros([H]);
  gemm(H, 1, H, Q.data, 0, z, 0, out.data, 0);
  return out;
}

/**
 * Spectral radius, the largest magnitude of an eigenvalue (complex ones included), by
 * `ml-matrix`'s general `EigenvalueDecomposition` (Hessenberg reduction and the shifted QR
 * algorithm). For a recurrence `A_t = theta A_{t-1}` it decides whether `A_t` vanishes (< 1) or
 * explodes (> 1) for almost every `A_0`.
 *
 * @param W - `[H, H]`, finite
 * @returns `max_k |lambda_k|`, >= 0
 */
export function spectralRadius(W: Tensor): number {
  checkSquare('spectralRadius', 'W', W);
  const evd = new EigenvalueDecomposition(toMatrix(W));
  let r = 0;
  evd.realEigenvalues.forEach((re, k) => (r = Math.max(r, Math.hypot(re, evd.imaginaryEigenvalues[k]))));
  return r;
}

/**
 * A random orthogonal matrix (Haar distributed): the Q factor of a Gaussian matrix by
 * `ml-matrix`'s `QrDecomposition`, with the signs fixed so that `R` has a positive diagonal
 * (Mezzadri 2007). Every eigenvalue has magnitude 1, so `rho * Q` has spectral radius `rho`.
 *
 * @param H - size, integer >= 1
 * @param rng - source of the Gaussian matrix
 * @returns `Q` `[H, H]` with `Q^T Q = I`
 */
export function randomOrthogonal(H: number, rng: Rng): Tensor {
  checkNumber('randomOrthogonal', 'H', H, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const qr = new QrDecomposition(toMatrix(rng.randn([H, H])));
  const Q = fromMatrix(qr.orthogonalMatrix);
  const R = qr.upperTriangularMatrix;
  for (let j = 0; j < H; j++) {
    if (R.get(j, j) < 0) for (let i = 0; i < H; i++) Q.data[i * H + j] = -Q.data[i * H + j];
  }
  return Q;
}

/**
 * A recurrence with an input, forward pass: `h_t = act(x_t Wx + h_{t-1} Wh + b)` with
 * `act = tanh` (a vanilla RNN, as `rnnForward`) or the identity (`linear`).
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
 * @throws ShapeError for shapes that disagree; ValueError for an unknown activation
 */
export function recurrenceForward(x: Tensor, h0: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor, activation: Activation): Tensor {
  const op = 'recurrenceForward';
  if (activation !== 'tanh' && activation !== 'linear') throw new ValueError(op, `activation must be 'tanh' or 'linear', got ${String(activation)}`);
  assertNdim(op, 'x', x, 3, '[N, T, D]');
  assertNdim(op, 'h0', h0, 2, '[N, H]');
  const [N, T, D] = x.shape;
  const H = checkSquare(op, 'Wh', Wh);
  if (h0.shape[0] !== N || h0.shape[1] !== H) throw new ShapeError(op, `h0 must be [N, H] = [${N},${H}], got ${formatShape(h0.shape)}`);
  if (Wx.ndim !== 2 || Wx.shape[0] !== D || Wx.shape[1] !== H) throw new ShapeError(op, `Wx must be [D, H] = [${D},${H}], got ${formatShape(Wx.shape)}`);
  if (b.ndim !== 1 || b.shape[0] !== H) throw new ShapeError(op, `b must be [H] = [${H}], got ${formatShape(b.shape)}`);
  const h = Tensor.zeros([N, T, H]);
  const a = new Float64Array(N * H);
  let prev = Float64Array.from(h0.data);
  const xt = new Float64Array(N * D);
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < N; n++) xt.set(x.data.subarray((n * T + t) * D, (n * T + t + 1) * D), n * D);
    gemm(N, H, D, xt, 0, Wx.data, 0, a, 0);
    gemm(N, H, H, prev, 0, Wh.data, 0, a, 0, { accumulate: true });
    const next = new Float64Array(N * H);
    for (let i = 0; i < N * H; i++) {
      const v = a[i] + b.data[i % H];
      next[i] = activation === 'tanh' ? Math.tanh(v) : v;
    }
    for (let n = 0; n < N; n++) h.data.set(next.subarray(n * H, (n + 1) * H), (n * T + t) * H);
    prev = next;
  }
  return h;
}

/**
 * The norm of the gradient reaching each hidden state, `||dL/dh_t||` for `t = 0 .. T-1`, when
 * the loss depends on the last hidden state only: `L = sum(h_{T-1} * dhT)`.
 *
 * Dimensions: N batch, T time steps, H hidden units.
 *
 * Backwards from `g_{T-1} = dhT`: `g_{t-1} = (g_t * act'(t)) Wh^T`, where `act'(t) = 1 - h_t^2`
 * for tanh (at most 1, and near 0 where the unit saturates) and 1 for `linear`. With `linear`
 * and `Wh = rho Q` (`Q` orthogonal) the norms are exactly `rho^(T-1-t) ||dhT||`: below 1 they
 * vanish, above 1 they explode, at 1 they stay.
 *
 * @param Wh - `[H, H]`
 * @param h - the hidden states of the forward pass, `[N, T, H]` ({@link recurrenceForward})
 * @param dhT - upstream gradient of the last hidden state, `[N, H]`
 * @param activation - the forward pass's non-linearity
 * @returns `[T]`, entry `t` is the Frobenius norm of `dL/dh_t` over the batch
 * @throws ShapeError for shapes that disagree; ValueError for an unknown activation
 * @see the lecture, items 19-22 (vanishing and exploding gradients from the weights and from tanh)
 */
export function hiddenGradientNorms(Wh: Tensor, h: Tensor, dhT: Tensor, activation: Activation): Tensor {
  const op = 'hiddenGradientNorms';
  if (activation !== 'tanh' && activation !== 'linear') throw new ValueError(op, `activation must be 'tanh' or 'linear', got ${String(activation)}`);
  const H = checkSquare(op, 'Wh', Wh);
  assertNdim(op, 'h', h, 3, '[N, T, H]');
  const [N, T, hH] = h.shape;
  if (hH !== H || T < 1) throw new ShapeError(op, `h must be [N, T, H] with H = ${H} and T >= 1, got ${formatShape(h.shape)}`);
  if (dhT.ndim !== 2 || dhT.shape[0] !== N || dhT.shape[1] !== H) throw new ShapeError(op, `dhT must be [N, H] = [${N},${H}], got ${formatShape(dhT.shape)}`);
  const norms = Tensor.zeros([T]);
  let g = Float64Array.from(dhT.data);
  for (let t = T - 1; t >= 0; t--) {
    let s = 0;
    for (const v of g) s += v * v;
    norms.data[t] = Math.sqrt(s);
    if (t === 0) break;
    const da = new Float64Array(N * H);
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < H; j++) {
        const hv = h.data[(n * T + t) * H + j];
        da[n * H + j] = g[n * H + j] * (activation === 'tanh' ? 1 - hv * hv : 1);
      }
    }
    const next = new Float64Array(N * H);
    gemm(N, H, H, da, 0, Wh.data, 0, next, 0, { transB: true });
    g = next;
  }
  return norms;
}

/** One regime of {@link gradientRegimes}: a name and the gradient norm at each time step. */
export interface GradientRegime {
  /** E.g. `"spectral radius 0.9 (linear)"`. */
  readonly name: string;
  /** Spectral radius of `Wh`. */
  readonly radius: number;
  readonly activation: Activation;
  /** Standard deviation of the pre-activations' input part (large: tanh saturates). */
  readonly inputScale: number;
  /** `||dL/dh_t||` for `t = 0 .. T-1`, with `||dL/dh_{T-1}|| = 1`. */
  readonly norms: readonly number[];
}

/** Options of {@link gradientRegimes}. */
export interface GradientRegimeOptions {
  /** Time steps, default 40. */
  readonly T?: number;
  /** Hidden units, default 16. */
  readonly H?: number;
  /** Spectral radii of the linear regimes, default `[0.9, 1, 1.1]`. */
  readonly radii?: readonly number[];
  /** Seed of the weights and inputs, default 0. */
  readonly seed?: number;
}

/**
 * The lecture's experiment: `||dL/dh_t||` over `t` for a loss on the last hidden state, with
 * `Wh = rho Q` (`Q` random orthogonal, so the spectral radius is exactly `rho`):
 *
 * - linear recurrences with `rho` below, at and above 1: vanishing, constant, exploding;
 * - tanh with `rho = 1` and small inputs (nearly linear: the norm stays of the same order);
 * - tanh with `rho = 1` and large inputs: the units saturate, `tanh' ~ 0`, and the gradient
 *   vanishes although the weights alone would keep it (the lecture's second cause).
 *
 * @returns one {@link GradientRegime} per setting, norms scaled so the last one is 1
 */
export function gradientRegimes(opts: GradientRegimeOptions = {}): GradientRegime[] {
  checkOptions('gradientRegimes', 'opts', opts, optionKeys<GradientRegimeOptions>()('T', 'H', 'radii', 'seed'));
  const T = opts.T ?? 40;
  const H = opts.H ?? 16;
  const radii = opts.radii ?? [0.9, 1, 1.1];
  const settings: Array<{ name: string; radius: number; activation: Activation; inputScale: number }> = [
    ...radii.map((r) => ({ name: `spectral radius ${r} (linear)`, radius: r, activation: 'linear' as const, inputScale: 1 })),
    { name: 'spectral radius 1, tanh, small inputs', radius: 1, activation: 'tanh', inputScale: 0.1 },
    { name: 'spectral radius 1, tanh saturated (large inputs)', radius: 1, activation: 'tanh', inputScale: 5 },
  ];
  return settings.map((s, i) => {
    const rng = new Rng((opts.seed ?? 0) + 1000 * i);
    const Q = randomOrthogonal(H, rng);
    const Wh = Q.map((v) => v * s.radius);
    const D = H;
    const x = rng.randn([1, T, D]);
    const Wx = rng.randn([D, H], s.inputScale / Math.sqrt(D));
    const h = recurrenceForward(x, Tensor.zeros([1, H]), Wx, Wh, Tensor.zeros([H]), s.activation);
    const dhT = rng.randn([1, H]);
    const n0 = Math.hypot(...dhT.data);
    const norms = Array.from(hiddenGradientNorms(Wh, h, dhT.map((v) => v / n0), s.activation).data);
    return { ...s, norms };
  });
}
