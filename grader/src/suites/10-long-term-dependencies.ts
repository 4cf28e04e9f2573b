/**
 * Grading suite of exercise 10, long-term dependencies (`longterm.ts`): `simpleRecurrence`,
 * `eigenRecurrence`, `gradientNormsThroughTime`, `clipGradNorm` and `clipGradValue`, checked
 * against `@dlkata/rnn`.
 *
 * A submission may not import an eigensolver (the sandbox bundles `@dlkata/tensor` and the
 * submission's own files only), so `eigenRecurrence` receives the decomposition: the grader
 * draws a random symmetric `theta`, decomposes it here with `ml-matrix`'s
 * `EigenvalueDecomposition` (through `@dlkata/rnn`'s `symmetricEigen`), sends `Q` and `lambda`,
 * and compares the answer with `theta^t A0` by repeated multiplication.
 *
 * The tests are cut so that a realistic bug costs points in the test that names it and
 * nowhere else: gradient norms through a linear recurrence apart from tanh (a forgotten tanh
 * derivative costs only the tanh test); clipping by norm apart from clipping by value. A
 * per-tensor clipping is recognised and named.
 *
 * @module
 */
import fc from 'fast-check';
import { compareTensors, Rng, Tensor } from '@dlkata/tensor';
import {
  clipGradNorm as refClipNorm,
  clipGradValue as refClipValue,
  eigenPower as refEigenPower,
  hiddenGradientNorms as refGradNorms,
  randomOrthogonal,
  recurrenceForward,
  recurrencePowers as refPowers,
  symmetricEigen,
  type Activation,
} from '@dlkata/rnn';
import { describeValue, field, isRecord } from '../protocol.js';
import { jointRecord, checkProperty, expectClose, expectNumber, expectTensor, shapeOf, TOL } from './harness.js';
import { TestFailure, type Suite, type SuiteTest } from './types.js';

const range = (lo: number, hi: number): fc.Arbitrary<number> => fc.integer({ min: lo, max: hi });

/** A simple-recurrence case: state size H, steps T, seed; fixed cases give theta and A0. */
interface RecurrenceCase {
  readonly H: number;
  readonly T: number;
  readonly seed: number;
  readonly label?: string;
  readonly fixed?: { readonly theta: Tensor; readonly A0: Tensor };
}

function describeRecurrence(c: RecurrenceCase): string {
  const shapes = `${shapeOf('theta', [c.H, c.H])}, ${shapeOf('A0', [c.H])}, T = ${c.T}`;
  return c.label ? `${c.label}: ${shapes}` : `${shapes} (values: normal from seed ${c.seed})`;
}

/** A random symmetric matrix with eigenvalues of magnitude up to about 1.3. */
function symmetric(H: number, rng: Rng): Tensor {
  const m = rng.randn([H, H], 0.6 / Math.sqrt(H));
  return m.map((_, i) => m.data[i] + m.data[(i % H) * H + Math.floor(i / H)]);
}

const LECTURE_THETA: RecurrenceCase = {
  H: 2,
  T: 6,
  seed: 1,
  label: 'the lecture: one eigenvalue below 1 (vanishes), one above (explodes), theta = [[1.25, 0.75], [0.75, 1.25]] (eigenvalues 0.5 and 2)',
  fixed: { theta: Tensor.from([[1.25, 0.75], [0.75, 1.25]]), A0: Tensor.from([1, 0]) },
};

/** A gradient-norm case: batch, length, sizes, spectral radius of Wh and the input scale. */
interface NormCase {
  readonly N: number;
  readonly T: number;
  readonly D: number;
  readonly H: number;
  /** Spectral radius of `Wh = rho Q` (Q random orthogonal), or 0 for a Gaussian `Wh`. */
  readonly rho: number;
  /** Standard deviation of `x_t Wx` per unit: 0.3 nearly linear tanh, 3 saturated. */
  readonly inputScale: number;
  readonly seed: number;
  readonly label?: string;
}

function normCases(inputScales: readonly number[]): fc.Arbitrary<NormCase> {
  return jointRecord({
    N: [1, 2],
    T: [2, 10],
    D: [1, 3],
    H: [1, 4],
    rho: fc.constantFrom(0, 0.7, 0.9, 1, 1.1, 1.3),
    inputScale: fc.constantFrom(...inputScales),
    seed: fc.nat(),
  });
}

function describeNorms(c: NormCase): string {
  const w = c.rho === 0 ? 'Wh Gaussian' : `Wh = ${c.rho} Q (Q orthogonal)`;
  const shapes = `${shapeOf('h', [c.N, c.T, c.H])}, ${w}, input scale ${c.inputScale}`;
  return c.label ? `${c.label}: ${shapes} (seed ${c.seed})` : `${shapes} (values: normal from seed ${c.seed})`;
}

function normTensors(c: NormCase, activation: Activation) {
  const rng = new Rng(c.seed);
  const Wh = c.rho === 0 ? rng.randn([c.H, c.H], 1 / Math.sqrt(c.H)) : randomOrthogonal(c.H, rng).map((v) => v * c.rho);
  const x = rng.randn([c.N, c.T, c.D]);
  const Wx = rng.randn([c.D, c.H], c.inputScale / Math.sqrt(c.D));
  const b = rng.randn([c.H], 0.1);
  const h = recurrenceForward(x, rng.randn([c.N, c.H], 0.5), Wx, Wh, b, activation);
  const dhT = rng.randn([c.N, c.H]);
  return { Wh, h, dhT };
}

function gradNormTest(id: string, activation: Activation, inputScales: readonly number[], examples: NormCase[], hint: string): SuiteTest {
  return {
    id,
    name: `gradientNormsThroughTime: ${activation === 'linear' ? 'linear recurrence, spectral radius 0.7-1.3' : 'tanh, linear and saturated range'}`,
    points: 2,
    run: (ctx) =>
      checkProperty(
        ctx,
        normCases(inputScales),
        async (c) => {
          const { Wh, h, dhT } = normTensors(c, activation);
          const expected = refGradNorms(Wh, h, dhT, activation);
          const got = expectTensor(await ctx.call('gradientNormsThroughTime', [Wh, h, dhT, activation]), 'gradientNormsThroughTime', [c.T]);
          // Absolute floor far below the smallest norm compared (the cases keep them above 1e-12).
          const cmp = compareTensors('gradientNormsThroughTime', got, expected, { tol: TOL, atol: 1e-15 });
          if (!cmp.ok) throw new TestFailure('failed', `${cmp.message}. ${hint}`);
        },
        { examples, describe: describeNorms },
      ),
  };
}

/** A clipping case: 1-4 gradient tensors of random shapes, a threshold, and whether to clip. */
interface ClipCase {
  readonly count: number;
  readonly maxNorm: number;
  /** Total norm over maxNorm: below 0.8 (nothing to clip) or above 1.25. */
  readonly ratio: number;
  readonly seed: number;
  readonly label?: string;
  readonly fixed?: readonly Tensor[];
}

const clipCases: fc.Arbitrary<ClipCase> = jointRecord(
  {
    count: [1, 4],
    maxNorm: fc.constantFrom(0.5, 1, 2, 5),
    ratio: fc.oneof(fc.double({ min: 0.05, max: 0.8, noNaN: true }), fc.double({ min: 1.25, max: 50, noNaN: true })),
    seed: fc.nat(),
  },
  // the edge: several tensors AND a norm above maxNorm (clipping happens)
  { edge: { count: [3, 4], ratio: fc.double({ min: 1.25, max: 50, noNaN: true }) } },
);

function clipTensors(c: ClipCase): Tensor[] {
  if (c.fixed) return c.fixed.map((t) => t.clone());
  const rng = new Rng(c.seed);
  const grads = Array.from({ length: c.count }, () => rng.randn([rng.int(1, 3), rng.int(1, 4)]));
  let s = 0;
  for (const g of grads) for (const v of g.data) s += v * v;
  const k = (c.ratio * c.maxNorm) / Math.sqrt(s);
  return grads.map((g) => g.map((v) => v * k));
}

function describeClip(c: ClipCase): string {
  if (c.fixed) return `${c.label}: ${c.fixed.map((t) => `[${Array.from(t.data).join(', ')}]`).join(', ')}, maxNorm ${c.maxNorm}`;
  return `${c.count} tensor(s), total norm ${c.ratio.toFixed(3)} x maxNorm, maxNorm ${c.maxNorm} (values: normal from seed ${c.seed})`;
}

/** Reads `grads` of a clipping result: a list of tensors shaped like `like`. */
function clippedList(result: unknown, fn: string, like: readonly Tensor[]): Tensor[] {
  let list: unknown;
  try {
    list = field(result, 'grads', fn);
  } catch (e) {
    throw new TestFailure('failed', (e as Error).message);
  }
  if (!Array.isArray(list) || list.length !== like.length) {
    throw new TestFailure('failed', `${fn}: grads must be a list of ${like.length} tensor(s), got ${describeValue(list)}`);
  }
  return list.map((g, i) => expectTensor(g, `${fn}: grads[${i}]`, like[i].shape));
}

function perTensor(grads: readonly Tensor[], maxNorm: number): Tensor[] {
  return grads.map((g) => refClipNorm([g], maxNorm).grads[0]);
}

const LECTURE_CLIP: ClipCase = { count: 2, maxNorm: 1, ratio: Math.sqrt(125), seed: 1, label: 'the lecture: g1 = [3, 4], g2 = [6, 8]', fixed: [Tensor.from([3, 4]), Tensor.from([6, 8])] };

/** The tests of exercise 10, worth 12 points. */
export const longTermSuite: Suite = {
  id: '10-long-term-dependencies',
  title: 'Long-term dependencies, vanishing and exploding gradients, clipping',
  modules: ['longterm.ts'],
  tests: [
    {
      id: 'recurrence',
      name: 'simpleRecurrence: A_t = theta^t A_0, t = 0..T',
      points: 2,
      run: (ctx) =>
        checkProperty(
          ctx,
          jointRecord({ H: [1, 5], T: [0, 8], seed: fc.nat() }),
          async (c: RecurrenceCase) => {
            const rng = new Rng(c.seed);
            const theta = c.fixed?.theta ?? rng.randn([c.H, c.H], 1 / Math.sqrt(c.H));
            const A0 = c.fixed?.A0 ?? rng.randn([c.H]);
            const expected = refPowers(theta, A0, c.T);
            const got = expectTensor(await ctx.call('simpleRecurrence', [theta, A0, c.T]), 'simpleRecurrence', expected.shape);
            expectClose('simpleRecurrence', got, expected, 'Row t is theta times row t-1, theta on the left: A_t[i] = sum over j of theta[i, j] A_{t-1}[j].');
          },
          { examples: [LECTURE_THETA], describe: describeRecurrence },
        ),
    },
    {
      id: 'eigen',
      name: 'eigenRecurrence: Q diag(lambda)^t Q^T A_0 for a symmetric theta (decomposed by ml-matrix)',
      points: 2,
      run: (ctx) =>
        checkProperty(
          ctx,
          jointRecord({ H: [1, 5], T: [0, 10], seed: fc.nat() }),
          async (c: RecurrenceCase) => {
            const rng = new Rng(c.seed);
            const theta = c.fixed?.theta ?? symmetric(c.H, rng);
            const A0 = c.fixed?.A0 ?? rng.randn([c.H]);
            const { Q, lambda } = symmetricEigen(theta);
            const direct = refPowers(theta, A0, c.T);
            const expected = new Tensor(direct.data.slice(c.T * c.H), [c.H]);
            const got = expectTensor(await ctx.call('eigenRecurrence', [Q, lambda, A0, c.T]), 'eigenRecurrence', [c.H]);
            const cmp = compareTensors('eigenRecurrence', got, expected, { tol: 1e-6, atol: 1e-9 });
            if (cmp.ok) return;
            const untransposed = refEigenPower(Q, lambda, matVec(Q, matVec(Q, A0)), c.T); // Q diag(lambda^t) Q^T (Q Q A0) = Q diag(lambda^t) Q A0
            const hint = compareTensors('', got, untransposed, { tol: 1e-6, atol: 1e-9 }).ok
              ? 'Your result is Q diag(lambda^t) Q A0: the eigenvectors are the COLUMNS of Q, so the coordinates of A0 along them are z = Q^T A0 (z[k] = sum over i of Q[i, k] A0[i]), not Q A0; the result is Q z.'
              : 'A_t = Q diag(lambda^t) Q^T A0: z = Q^T A0, z[k] times lambda[k]^t, then Q z.';
            throw new TestFailure('failed', `${cmp.message} (theta^${c.T} A0 by repeated multiplication). ${hint}`);
          },
          { examples: [LECTURE_THETA], describe: (c) => `${describeRecurrence(c).replace(', T = ', ', t = ')}; Q and lambda from ml-matrix's EigenvalueDecomposition of theta` },
        ),
    },
    gradNormTest(
      'grad-norms-linear',
      'linear',
      [1],
      [{ N: 1, T: 10, D: 2, H: 3, rho: 0.7, inputScale: 1, seed: 5, label: 'spectral radius 0.7: vanishing, ||dL/dh_t|| = 0.7^(T-1-t) ||dhT||' }],
      'Step back with g_{t-1} = g_t Wh^T (g[n, k] = sum over j of g[n, j] Wh[k, j]); record ||g_t|| before stepping.',
    ),
    gradNormTest(
      'grad-norms-tanh',
      'tanh',
      [0.3, 1, 3],
      [{ N: 1, T: 10, D: 2, H: 3, rho: 1, inputScale: 3, seed: 6, label: 'spectral radius 1, saturated tanh: the gradient vanishes through tanh' }],
      "Through tanh the gradient is multiplied by its derivative 1 - h_t^2 at every step before Wh^T: g_{t-1} = (g_t * (1 - h_t^2)) Wh^T.",
    ),
    {
      id: 'clip-norm',
      name: 'clipGradNorm: one global norm over every tensor (PyTorch clip_grad_norm_)',
      points: 3,
      run: (ctx) =>
        checkProperty(
          ctx,
          clipCases,
          async (c) => {
            const grads = clipTensors(c);
            const ref = refClipNorm(grads, c.maxNorm);
            const r = await ctx.call('clipGradNorm', [grads, c.maxNorm]);
            const got = clippedList(r, 'clipGradNorm', grads);
            for (let i = 0; i < grads.length; i++) {
              const cmp = compareTensors(`clipGradNorm: grads[${i}]`, got[i], ref.grads[i], { tol: TOL });
              if (cmp.ok) continue;
              const per = perTensor(grads, c.maxNorm);
              const hint = got.every((g, k) => compareTensors('', g, per[k], { tol: TOL }).ok)
                ? `Each tensor was clipped by its own norm (per tensor), but the GLOBAL norm over all tensors was asked: totalNorm = ${ref.totalNorm.toPrecision(6)} = sqrt of the sum of the squares of every element of every tensor, and every tensor is scaled by the same factor ${ref.scale.toPrecision(6)}.`
                : ref.scale === 1
                  ? `The total norm ${ref.totalNorm.toPrecision(6)} is below maxNorm ${c.maxNorm}: return the gradients unchanged.`
                  : `The total norm is ${ref.totalNorm.toPrecision(6)} > maxNorm ${c.maxNorm}: every tensor is multiplied by maxNorm / (totalNorm + 1e-6) = ${ref.scale.toPrecision(6)}.`;
              throw new TestFailure('failed', `${cmp.message}. ${hint}`);
            }
            const total = expectNumber(isRecord(r) ? r.totalNorm : undefined, 'clipGradNorm: totalNorm');
            if (Math.abs(total - ref.totalNorm) > TOL * ref.totalNorm) {
              throw new TestFailure('failed', `clipGradNorm: totalNorm is ${total}, expected ${ref.totalNorm} (the global norm before clipping)`);
            }
          },
          { examples: [LECTURE_CLIP], describe: describeClip },
        ),
    },
    {
      id: 'clip-value',
      name: 'clipGradValue: every element clamped to [-clipValue, clipValue]',
      points: 1,
      run: (ctx) =>
        checkProperty(
          ctx,
          jointRecord({ count: [1, 3], clip: fc.constantFrom(0.1, 0.5, 1, 2), seed: fc.nat() }),
          async (c) => {
            const rng = new Rng(c.seed);
            const grads = Array.from({ length: c.count }, () => rng.randn([rng.int(1, 3), rng.int(1, 4)]));
            const ref = refClipValue(grads, c.clip).grads;
            const got = clippedList(await ctx.call('clipGradValue', [grads, c.clip]), 'clipGradValue', grads);
            got.forEach((g, i) => expectClose(`clipGradValue: grads[${i}]`, g, ref[i]));
          },
          { describe: (c) => `${c.count} tensor(s), clipValue ${c.clip} (values: standard normal from seed ${c.seed})` },
        ),
    },
  ],
};

/** `M v` for a square `M`. */
function matVec(m: Tensor, v: Tensor): Tensor {
  const H = v.size;
  const out = Tensor.zeros([H]);
  for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) out.data[i] += m.data[i * H + j] * v.data[j];
  return out;
}
