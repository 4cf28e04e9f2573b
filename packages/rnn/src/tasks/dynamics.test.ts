import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matmul, numericalGradient, Rng, ShapeError, Tensor, transpose2d, ValueError } from '@dlkata/tensor';
import { expectAllClose, FC_OPTS } from '../test-support.js';
import { eigenPower, gradientRegimes, hiddenGradientNorms, randomOrthogonal, recurrenceForward, recurrencePowers, spectralRadius, symmetricEigen } from './dynamics.js';

function symmetric(H: number, rng: Rng): Tensor {
  const m = rng.randn([H, H]);
  return m.map((_, i) => (m.data[i] + m.data[(i % H) * H + Math.floor(i / H)]) / 2);
}

function identity(H: number): Tensor {
  const I = Tensor.zeros([H, H]);
  for (let i = 0; i < H; i++) I.data[i * H + i] = 1;
  return I;
}

describe('recurrencePowers', () => {
  it('theta = diag(0.5, 2), A0 = [1, 1], T = 3: one component vanishes, the other explodes (docstring example)', () => {
    expect(recurrencePowers(Tensor.from([[0.5, 0], [0, 2]]), Tensor.from([1, 1]), 3).toArray()).toEqual([[1, 1], [0.5, 2], [0.25, 4], [0.125, 8]]);
  });

  it('T = 0 gives A0; non-square theta, wrong A0, negative T are rejected', () => {
    expect(recurrencePowers(Tensor.from([[2]]), Tensor.from([3]), 0).toArray()).toEqual([[3]]);
    expect(() => recurrencePowers(Tensor.zeros([2, 3]), Tensor.zeros([2]), 1)).toThrow(ShapeError);
    expect(() => recurrencePowers(Tensor.zeros([2, 2]), Tensor.zeros([3]), 1)).toThrow(/A0 must be \[H\] = \[2\]/);
    expect(() => recurrencePowers(Tensor.zeros([2, 2]), Tensor.zeros([2]), -1)).toThrow(ValueError);
  });
});

describe('symmetricEigen / eigenPower (ml-matrix EigenvalueDecomposition)', () => {
  it('random symmetric theta, H = 1-6: Q is orthogonal, theta = Q diag(lambda) Q^T, lambda ascending', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer(), (H, seed) => {
        const theta = symmetric(H, new Rng(seed));
        const { Q, lambda } = symmetricEigen(theta);
        expectAllClose('Q^T Q', matmul(transpose2d(Q), Q), identity(H), 1e-12);
        const QL = Q.map((v, i) => v * lambda.data[i % H]);
        expectAllClose('Q diag(lambda) Q^T', matmul(QL, transpose2d(Q)), theta, 1e-12);
        for (let k = 1; k < H; k++) expect(lambda.data[k]).toBeGreaterThanOrEqual(lambda.data[k - 1]);
      }),
      FC_OPTS,
    );
  });

  it('the lecture: A_t = Q Lambda^t Q^T A_0 equals theta^t A_0 by repeated multiplication (t up to 12)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 12 }), fc.integer(), (H, t, seed) => {
        const rng = new Rng(seed);
        const theta = symmetric(H, rng).map((v) => v / Math.sqrt(H));
        const A0 = rng.randn([H]);
        const { Q, lambda } = symmetricEigen(theta);
        const direct = new Tensor(recurrencePowers(theta, A0, t).data.slice(t * H), [H]);
        const scale = Math.max(1, ...Array.from(direct.data, Math.abs));
        expectAllClose(`A_${t}`, eigenPower(Q, lambda, A0, t), direct, 1e-10 * scale);
      }),
      FC_OPTS,
    );
  });

  it('[[1.25, 0.75], [0.75, 1.25]] has eigenvalues 0.5 and 2', () => {
    const { lambda } = symmetricEigen(Tensor.from([[1.25, 0.75], [0.75, 1.25]]));
    expectAllClose('lambda', lambda, Tensor.from([0.5, 2]), 1e-14);
  });

  it('a matrix that is not symmetric is rejected, naming the entries', () => {
    expect(() => symmetricEigen(Tensor.from([[1, 1], [2, 1]]))).toThrow('symmetricEigen: theta is not symmetric: theta[0,1] = 1 but theta[1,0] = 2');
    expect(() => symmetricEigen(Tensor.from([[NaN]]))).toThrow(ValueError);
  });
});

describe('spectralRadius / randomOrthogonal', () => {
  it('randomOrthogonal(H): Q^T Q = I, and rho Q has spectral radius rho', () => {
    for (const [H, rho] of [[1, 0.5], [4, 0.9], [8, 1.1]] as const) {
      const Q = randomOrthogonal(H, new Rng(H));
      expectAllClose('Q^T Q', matmul(transpose2d(Q), Q), identity(H), 1e-12);
      expect(spectralRadius(Q.map((v) => v * rho))).toBeCloseTo(rho, 10);
    }
  });

  it('a rotation by 90 degrees has complex eigenvalues +-i: spectral radius 1; a nilpotent matrix 0', () => {
    expect(spectralRadius(Tensor.from([[0, -1], [1, 0]]))).toBeCloseTo(1, 12);
    expect(spectralRadius(Tensor.from([[0, 1], [0, 0]]))).toBe(0);
  });
});

describe('hiddenGradientNorms', () => {
  it('linear, Wh = rho Q: ||dL/dh_t|| = rho^(T-1-t) ||dhT|| exactly', () => {
    for (const rho of [0.5, 1, 1.5]) {
      const rng = new Rng(3);
      const H = 5;
      const T = 9;
      const Wh = randomOrthogonal(H, rng).map((v) => v * rho);
      const h = recurrenceForward(rng.randn([2, T, 3]), Tensor.zeros([2, H]), rng.randn([3, H]), Wh, Tensor.zeros([H]), 'linear');
      const dhT = rng.randn([2, H]);
      const n0 = Math.hypot(...dhT.data);
      const norms = hiddenGradientNorms(Wh, h, dhT, 'linear');
      expectAllClose(`rho = ${rho}`, norms, Tensor.fromArray(Array.from({ length: T }, (_, t) => n0 * rho ** (T - 1 - t))), 1e-10 * n0 * Math.max(1, rho ** T));
    }
  });

  it('tanh, random sizes: equals the norm of the numerical gradient of sum(h_{T-1} dhT) in h_t', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.integer(), (N, T, H, seed) => {
        const rng = new Rng(seed);
        const x = rng.randn([N, T, 2]);
        const Wx = rng.randn([2, H]);
        const Wh = rng.randn([H, H], 1 / Math.sqrt(H));
        const b = rng.randn([H], 0.5);
        const h = recurrenceForward(x, Tensor.zeros([N, H]), Wx, Wh, b, 'tanh');
        const dhT = rng.randn([N, H]);
        const norms = hiddenGradientNorms(Wh, h, dhT, 'tanh');
        // t = 0: the whole sequence from a perturbed h_0 requires rerunning from step 1
        if (T === 1) {
          expect(norms.data[0]).toBeCloseTo(Math.hypot(...dhT.data), 12);
          return;
        }
        const rest = Tensor.zeros([N, T - 1, 2]);
        for (let n = 0; n < N; n++) rest.data.set(x.data.subarray((n * T + 1) * 2, (n * T + T) * 2), n * (T - 1) * 2);
        const h0 = Tensor.zeros([N, H]);
        for (let n = 0; n < N; n++) h0.data.set(h.data.subarray(n * T * H, (n * T + 1) * H), n * H);
        const last = (s: Tensor): Tensor => {
          const hs = recurrenceForward(rest, s, Wx, Wh, b, 'tanh');
          const out = Tensor.zeros([N, H]);
          for (let n = 0; n < N; n++) out.data.set(hs.data.subarray((n * (T - 1) + T - 2) * H, (n * (T - 1) + T - 1) * H), n * H);
          return out;
        };
        const g = numericalGradient(last, h0, dhT);
        expect(Math.abs(norms.data[0] - Math.hypot(...g.data))).toBeLessThan(1e-8);
      }),
      FC_OPTS,
    );
  });

  it('rejects an unknown activation and mismatched shapes', () => {
    expect(() => hiddenGradientNorms(Tensor.zeros([2, 2]), Tensor.zeros([1, 3, 2]), Tensor.zeros([1, 2]), 'relu' as never)).toThrow(ValueError);
    expect(() => hiddenGradientNorms(Tensor.zeros([2, 2]), Tensor.zeros([1, 3, 3]), Tensor.zeros([1, 2]), 'tanh')).toThrow(ShapeError);
  });
});

describe('gradientRegimes', () => {
  it('T = 40: radius 0.9 vanishes (0.9^39), 1 stays, 1.1 explodes (1.1^39); saturated tanh vanishes far below small-input tanh', () => {
    const r = gradientRegimes({ T: 40, H: 8, seed: 1 });
    const at0 = Object.fromEntries(r.map((g) => [g.name, g.norms[0]]));
    expect(r.every((g) => g.norms.length === 40 && Math.abs(g.norms[39] - 1) < 1e-12)).toBe(true);
    expect(at0['spectral radius 0.9 (linear)']).toBeCloseTo(0.9 ** 39, 12);
    expect(at0['spectral radius 1 (linear)']).toBeCloseTo(1, 10);
    expect(at0['spectral radius 1.1 (linear)'] / 1.1 ** 39).toBeCloseTo(1, 10);
    expect(at0['spectral radius 1, tanh saturated (large inputs)']).toBeLessThan(1e-6);
    expect(at0['spectral radius 1, tanh, small inputs']).toBeGreaterThan(1e-3);
  });
});
