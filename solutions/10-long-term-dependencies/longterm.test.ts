import { expectTensor, forAll, thrownBy } from '@dlkata/exercise-support';
import { numericalGradient, Rng, Tensor, ValueError } from '@dlkata/tensor';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { clipGradNorm, clipGradValue, eigenRecurrence, gradientNormsThroughTime, recurrenceForward, simpleRecurrence } from './longterm.js';

/** Seed of the property-based tests; a failure prints it with the counterexample, so it replays exactly. */
const SEED = 20_240_110;

/** `a b` for 2-D tensors, plain loops. */
function matmul(a: Tensor, b: Tensor): Tensor {
  const [M, K] = a.shape;
  const N = b.shape[1];
  const out = Tensor.zeros([M, N]);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) out.data[i * N + j] += a.data[i * K + k] * b.data[k * N + j];
  return out;
}

function transpose(a: Tensor): Tensor {
  const [M, N] = a.shape;
  const out = Tensor.zeros([N, M]);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) out.data[j * M + i] = a.data[i * N + j];
  return out;
}

/** The Householder reflection `I - 2 v v^T / (v^T v)`: orthogonal (and symmetric). */
function householder(v: Tensor): Tensor {
  const H = v.size;
  const vv = v.data.reduce((s, x) => s + x * x, 0);
  const out = Tensor.zeros([H, H]);
  for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) out.data[i * H + j] = (i === j ? 1 : 0) - (2 * v.data[i] * v.data[j]) / vv;
  return out;
}

/**
 * A random orthogonal matrix, made without an eigensolver: the product of two Householder
 * reflections (orthogonal, and in general not symmetric).
 */
function randomOrthogonal(H: number, rng: Rng): Tensor {
  return matmul(householder(rng.randn([H])), householder(rng.randn([H])));
}

/** `Q diag(lambda) Q^T`: a symmetric matrix with eigenvectors Q and eigenvalues lambda, by construction. */
function symmetricFrom(Q: Tensor, lambda: readonly number[]): Tensor {
  const H = lambda.length;
  const QL = Q.map((v, i) => v * lambda[i % H]);
  return matmul(QL, transpose(Q));
}

function row(m: Tensor, t: number): Tensor {
  const H = m.shape[1];
  return new Tensor(m.data.slice(t * H, (t + 1) * H), [H]);
}

describe('simpleRecurrence', () => {
  test('theta = diag(0.5, 2), A0 = [1, 1], T = 3: [[1,1],[0.5,2],[0.25,4],[0.125,8]]', () => {
    const A = simpleRecurrence(Tensor.from([[0.5, 0], [0, 2]]), Tensor.from([1, 1]), 3);
    expectTensor('simpleRecurrence', A, Tensor.from([[1, 1], [0.5, 2], [0.25, 4], [0.125, 8]]));
  });

  test('theta = [[0, 1], [1, 0]] (a swap), A0 = [1, 2], T = 2: [[1,2],[2,1],[1,2]]; T = 0: [[1,2]]', () => {
    const theta = Tensor.from([[0, 1], [1, 0]]);
    expectTensor('simpleRecurrence', simpleRecurrence(theta, Tensor.from([1, 2]), 2), Tensor.from([[1, 2], [2, 1], [1, 2]]));
    expectTensor('simpleRecurrence (T = 0)', simpleRecurrence(theta, Tensor.from([1, 2]), 0), Tensor.from([[1, 2]]));
  });

  test('the lecture: small weights vanish, large weights explode (theta = 0.9 I and 1.1 I, T = 50)', () => {
    const A0 = Tensor.from([1, -1]);
    const small = simpleRecurrence(Tensor.from([[0.9, 0], [0, 0.9]]), A0, 50);
    const large = simpleRecurrence(Tensor.from([[1.1, 0], [0, 1.1]]), A0, 50);
    expect(small.get(50, 0), 'A_50 with theta = 0.9 I').toBeCloseTo(0.9 ** 50, 12);
    expect(large.get(50, 0), 'A_50 with theta = 1.1 I').toBeCloseTo(1.1 ** 50, 9);
  });

  test(`random theta [H,H], T: row t is theta applied t times (seed ${SEED})`, () => {
    forAll(fc.record({ H: fc.integer({ min: 1, max: 5 }), T: fc.integer({ min: 0, max: 8 }), seed: fc.nat() }), { seed: SEED, runs: 30 }, ({ H, T, seed }) => {
      const rng = new Rng(seed);
      const theta = rng.randn([H, H], 1 / Math.sqrt(H));
      const A0 = rng.randn([H]);
      const A = simpleRecurrence(theta, A0, T);
      expect(A.shape, 'simpleRecurrence: shape').toEqual([T + 1, H]);
      let expected = A0.reshape([H, 1]);
      for (let t = 0; t <= T; t++) {
        expectTensor(`simpleRecurrence: A_${t} (H=${H} T=${T} seed=${seed})`, row(A, t), expected.reshape([H]));
        expected = matmul(theta, expected);
      }
    });
  });
});

describe('eigenRecurrence', () => {
  test('theta = Q diag(0.5, 2) Q^T with Q a rotation by 30 degrees, A0 = [1, 0], t = 4: equals theta^4 A0', () => {
    const c = Math.cos(Math.PI / 6);
    const s = Math.sin(Math.PI / 6);
    const Q = Tensor.from([[c, -s], [s, c]]);
    const lambda = [0.5, 2];
    const A0 = Tensor.from([1, 0]);
    const got = eigenRecurrence(Q, Tensor.from(lambda), A0, 4);
    expectTensor('eigenRecurrence', got, row(simpleRecurrence(symmetricFrom(Q, lambda), A0, 4), 4));
  });

  test('t = 0 gives A0 back (Q Q^T = I)', () => {
    const Q = randomOrthogonal(3, new Rng(1));
    const A0 = Tensor.from([1, -2, 0.5]);
    expectTensor('eigenRecurrence (t = 0)', eigenRecurrence(Q, Tensor.from([0.3, 3, -1]), A0, 0), A0);
  });

  test('the lecture: along an eigenvector with |lambda| < 1 the state vanishes, with |lambda| > 1 it explodes', () => {
    const Q = randomOrthogonal(2, new Rng(2));
    const q0 = Tensor.from([Q.get(0, 0), Q.get(1, 0)]);
    const q1 = Tensor.from([Q.get(0, 1), Q.get(1, 1)]);
    const A20 = eigenRecurrence(Q, Tensor.from([0.5, 1.5]), q0.map((v, i) => v + q1.data[i]), 20);
    // coordinates of A_20 along the eigenvectors: 0.5^20 and 1.5^20
    const along = (q: Tensor): number => q.data[0] * A20.data[0] + q.data[1] * A20.data[1];
    expect(along(q0), 'component along the eigenvector of 0.5').toBeCloseTo(0.5 ** 20, 12);
    expect(along(q1) / 1.5 ** 20, 'component along the eigenvector of 1.5, over 1.5^20').toBeCloseTo(1, 9);
  });

  test(`random orthogonal Q [H,H], eigenvalues in (-1.5, 1.5), t: equals simpleRecurrence of theta = Q diag(lambda) Q^T (seed ${SEED})`, () => {
    const cases = fc.record({ H: fc.integer({ min: 1, max: 5 }), t: fc.integer({ min: 0, max: 10 }), seed: fc.nat() });
    forAll(cases, { seed: SEED, runs: 30 }, ({ H, t, seed }) => {
      const rng = new Rng(seed);
      const Q = randomOrthogonal(H, rng);
      const lambda = Array.from(rng.rand([H], -1.5, 1.5).data);
      const A0 = rng.randn([H]);
      const expected = row(simpleRecurrence(symmetricFrom(Q, lambda), A0, t), t);
      expectTensor(`eigenRecurrence (H=${H} t=${t} seed=${seed})`, eigenRecurrence(Q, Tensor.fromArray(lambda), A0, t), expected, { tol: 1e-8, atol: 1e-10 });
    });
  });
});

describe('gradientNormsThroughTime', () => {
  /** A linear recurrence with Wh = rho Q, and the norms of dL/dh_t for a unit dhT. */
  function linearNorms(rho: number, T: number, seed: number): Tensor {
    const rng = new Rng(seed);
    const H = 4;
    const Wh = randomOrthogonal(H, rng).map((v) => v * rho);
    const x = rng.randn([1, T, 2]);
    const h = recurrenceForward(x, Tensor.zeros([1, H]), rng.randn([2, H]), Wh, Tensor.zeros([H]), 'linear');
    const dhT = Tensor.from([[0.5, 0.5, 0.5, 0.5]]); // norm 1
    return gradientNormsThroughTime(Wh, h, dhT, 'linear');
  }

  test.each([
    { rho: 0.5, fate: 'vanishes' },
    { rho: 1, fate: 'stays' },
    { rho: 1.5, fate: 'explodes' },
  ])('linear, Wh = $rho Q (Q orthogonal: spectral radius $rho), T = 12, ||dhT|| = 1: ||dL/dh_t|| = rho^(T-1-t), it $fate', ({ rho }) => {
    const norms = linearNorms(rho, 12, 3);
    expect(norms.shape, 'gradientNormsThroughTime: shape').toEqual([12]);
    expectTensor(`gradientNormsThroughTime (rho = ${rho})`, norms, Tensor.fromArray(Array.from({ length: 12 }, (_, t) => rho ** (11 - t))), { tol: 1e-9, atol: 1e-14 });
  });

  test('tanh saturation: spectral radius 1 but large inputs: the gradient reaching t = 0 is below 1e-6 of the last', () => {
    const rng = new Rng(4);
    const H = 4;
    const T = 12;
    const Wh = randomOrthogonal(H, rng);
    const h = recurrenceForward(rng.randn([1, T, 3]), Tensor.zeros([1, H]), rng.randn([3, H], 10), Wh, Tensor.zeros([H]), 'tanh');
    const norms = gradientNormsThroughTime(Wh, h, Tensor.from([[0.5, 0.5, 0.5, 0.5]]), 'tanh');
    expect(norms.get(T - 1), '||dL/dh_{T-1}|| = ||dhT||').toBeCloseTo(1, 12);
    expect(norms.get(0), '||dL/dh_0|| with saturated units').toBeLessThan(1e-6);
  });

  test('tanh, the same weights with small inputs: the gradient still reaches t = 0 (above 1e-3 of the last)', () => {
    const rng = new Rng(4);
    const H = 4;
    const T = 12;
    const Wh = randomOrthogonal(H, rng);
    const h = recurrenceForward(rng.randn([1, T, 3]), Tensor.zeros([1, H]), rng.randn([3, H], 0.01), Wh, Tensor.zeros([H]), 'tanh');
    const norms = gradientNormsThroughTime(Wh, h, Tensor.from([[0.5, 0.5, 0.5, 0.5]]), 'tanh');
    expect(norms.get(0), '||dL/dh_0|| with units near 0 (tanh nearly linear)').toBeGreaterThan(1e-3);
  });

  test(`random tanh recurrences: ||dL/dh_t|| equals the norm of the numerical gradient of L in h_t (seed ${SEED})`, () => {
    const cases = fc.record({ N: fc.integer({ min: 1, max: 2 }), T: fc.integer({ min: 1, max: 6 }), H: fc.integer({ min: 1, max: 4 }), seed: fc.nat() });
    forAll(cases, { seed: SEED, runs: 15 }, ({ N, T, H, seed }) => {
      const rng = new Rng(seed);
      const D = 2;
      const x = rng.randn([N, T, D]);
      const Wx = rng.randn([D, H]);
      const Wh = rng.randn([H, H], 1 / Math.sqrt(H));
      const b = rng.randn([H], 0.5);
      const h = recurrenceForward(x, Tensor.zeros([N, H]), Wx, Wh, b, 'tanh');
      const dhT = rng.randn([N, H]);
      const norms = gradientNormsThroughTime(Wh, h, dhT, 'tanh');
      for (let t = 0; t < T; t++) {
        // L as a function of h_t: run the rest of the sequence from h_t, read the last state.
        const rest = Tensor.zeros([N, T - 1 - t, D]);
        for (let n = 0; n < N; n++) rest.data.set(x.data.subarray((n * T + t + 1) * D, (n * T + T) * D), n * (T - 1 - t) * D);
        const ht = Tensor.zeros([N, H]);
        for (let n = 0; n < N; n++) ht.data.set(h.data.subarray((n * T + t) * H, (n * T + t + 1) * H), n * H);
        const last = (s: Tensor): Tensor => {
          if (t === T - 1) return s;
          const hs = recurrenceForward(rest, s, Wx, Wh, b, 'tanh');
          const out = Tensor.zeros([N, H]);
          for (let n = 0; n < N; n++) out.data.set(hs.data.subarray((n * (T - 1 - t) + T - 2 - t) * H, (n * (T - 1 - t) + T - 1 - t) * H), n * H);
          return out;
        };
        const g = numericalGradient(last, ht, dhT);
        const expected = Math.hypot(...g.data);
        expectTensor(`gradientNormsThroughTime: ||dL/dh_${t}|| (N=${N} T=${T} H=${H} seed=${seed})`, Tensor.from([norms.get(t)]), Tensor.from([expected]), { tol: 1e-6, atol: 1e-9 });
      }
    });
  });
});

describe('clipGradNorm', () => {
  test('g1 = [3, 4], g2 = [6, 8], maxNorm 1: the GLOBAL norm sqrt(125) scales both: [0.268, 0.358], [0.537, 0.716] (per tensor would give [0.6, 0.8] twice)', () => {
    const { grads, totalNorm } = clipGradNorm([Tensor.from([3, 4]), Tensor.from([6, 8])], 1);
    expect(totalNorm, 'clipGradNorm: totalNorm').toBeCloseTo(Math.sqrt(125), 12);
    const s = 1 / (Math.sqrt(125) + 1e-6);
    expectTensor('clipGradNorm: grads[0]', grads[0], Tensor.from([3 * s, 4 * s]));
    expectTensor('clipGradNorm: grads[1]', grads[1], Tensor.from([6 * s, 8 * s]));
    expect(grads[0].get(0), 'grads[0][0], 3 decimals').toBeCloseTo(0.268, 3);
    expect(grads[1].get(1), 'grads[1][1], 3 decimals').toBeCloseTo(0.716, 3);
  });

  test('a total norm below maxNorm: unchanged copies, totalNorm reported', () => {
    const g = [Tensor.from([0.3, 0.4]), Tensor.from([[0.1]])];
    const r = clipGradNorm(g, 1);
    expect(r.totalNorm, 'totalNorm').toBeCloseTo(Math.sqrt(0.26), 12);
    expectTensor('clipGradNorm: grads[0]', r.grads[0], g[0]);
    expectTensor('clipGradNorm: grads[1]', r.grads[1], g[1]);
    expect(r.grads[0], 'a new tensor, not the input').not.toBe(g[0]);
  });

  test('the inputs are not modified', () => {
    const g = [Tensor.from([30, 40])];
    clipGradNorm(g, 1);
    expectTensor('the input gradient', g[0], Tensor.from([30, 40]));
  });

  test('maxNorm 0 or negative: ValueError; maxNorm 1 with a norm of exactly 1: nothing to clip', () => {
    expect(clipGradNorm([Tensor.from([0.6, 0.8])], 1).totalNorm, 'clipGradNorm([[0.6, 0.8]], 1).totalNorm').toBeCloseTo(1, 14);
    expect(thrownBy(() => clipGradNorm([Tensor.from([1])], 0)), 'clipGradNorm(grads, 0)').toBeInstanceOf(ValueError);
    expect(thrownBy(() => clipGradNorm([Tensor.from([1])], -1)), 'clipGradNorm(grads, -1)').toBeInstanceOf(ValueError);
  });

  test(`random lists of tensors: the clipped global norm is min(totalNorm, maxNorm) and the direction is kept (seed ${SEED})`, () => {
    const cases = fc.record({ count: fc.integer({ min: 1, max: 4 }), maxNorm: fc.double({ min: 0.1, max: 10, noNaN: true }), scale: fc.double({ min: 0.01, max: 100, noNaN: true }), seed: fc.nat() });
    forAll(cases, { seed: SEED, runs: 40 }, ({ count, maxNorm, scale, seed }) => {
      const rng = new Rng(seed);
      const grads = Array.from({ length: count }, () => rng.randn([rng.int(1, 3), rng.int(1, 3)], scale));
      const total = Math.sqrt(grads.reduce((s, g) => s + g.data.reduce((a, v) => a + v * v, 0), 0));
      const r = clipGradNorm(grads, maxNorm);
      expect(r.totalNorm, 'totalNorm').toBeCloseTo(total, 9);
      const k = total > maxNorm ? maxNorm / (total + 1e-6) : 1;
      grads.forEach((g, i) => expectTensor(`clipGradNorm: grads[${i}] (${count} tensors, maxNorm ${maxNorm}, seed ${seed})`, r.grads[i], g.map((v) => v * k)));
    });
  });
});

describe('clipGradValue', () => {
  test('[-3, 0.5, 2] and [[10, -0.1]] with clipValue 1: [-1, 0.5, 1] and [[1, -0.1]]', () => {
    const { grads } = clipGradValue([Tensor.from([-3, 0.5, 2]), Tensor.from([[10, -0.1]])], 1);
    expectTensor('clipGradValue: grads[0]', grads[0], Tensor.from([-1, 0.5, 1]));
    expectTensor('clipGradValue: grads[1]', grads[1], Tensor.from([[1, -0.1]]));
  });

  test('the direction changes when only some elements are clipped: [3, 0.5] -> [1, 0.5]', () => {
    const g = clipGradValue([Tensor.from([3, 0.5])], 1).grads[0];
    expect(g.get(1) / g.get(0), 'ratio of the elements after clipping').toBeCloseTo(0.5, 12);
  });
});
