import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from './errors.js';
import { matmul } from './gemm.js';
import { compareTensors, DEFAULT_H, directionalCheck, numericalGradient, randomDirection, relativeError } from './gradcheck.js';
import { Rng } from './rng.js';
import { Tensor } from './tensor.js';

/** Largest |a_i - b_i| / max(1e-8, |a_i| + |b_i|), written out for the test. */
function maxRel(a: Tensor, b: Tensor): number {
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]) / Math.max(1e-8, Math.abs(a.data[i]) + Math.abs(b.data[i])));
  return m;
}

function l2(t: Tensor): number {
  let s = 0;
  for (const v of t.data) s += v * v;
  return Math.sqrt(s);
}

describe('numericalGradient vs hand-written derivatives', () => {
  it('f(x) = x^2 on x=[3,4], dout random -> dx = 2 x dout', () => {
    const rng = new Rng(1);
    const x = rng.randn([3, 4]);
    const dout = rng.randn([3, 4]);
    const num = numericalGradient((t) => t.map((v) => v * v), x, dout);
    const exact = x.map((v, i) => 2 * v * dout.data[i]);
    expect(num.shape).toEqual([3, 4]);
    expect(maxRel(num, exact)).toBeLessThan(1e-8);
  });

  it('f(x) = sin(x) on x=[2,5], dout random -> dx = cos(x) dout', () => {
    const rng = new Rng(2);
    const x = rng.randn([2, 5]);
    const dout = rng.randn([2, 5]);
    const num = numericalGradient((t) => t.map(Math.sin), x, dout);
    const exact = x.map((v, i) => Math.cos(v) * dout.data[i]);
    expect(maxRel(num, exact)).toBeLessThan(1e-8);
  });

  it('f(W) = X W with X=[4,3], W=[3,2], dout=[4,2] -> dW = X^T dout; f(X) -> dX = dout W^T', () => {
    const rng = new Rng(3);
    const X = rng.randn([4, 3]);
    const W = rng.randn([3, 2]);
    const dout = rng.randn([4, 2]);
    const dW = Tensor.zeros([3, 2]);
    for (let k = 0; k < 3; k++) for (let j = 0; j < 2; j++) for (let i = 0; i < 4; i++) dW.data[k * 2 + j] += X.get(i, k) * dout.get(i, j);
    const dX = Tensor.zeros([4, 3]);
    for (let i = 0; i < 4; i++) for (let k = 0; k < 3; k++) for (let j = 0; j < 2; j++) dX.data[i * 3 + k] += dout.get(i, j) * W.get(k, j);
    expect(maxRel(numericalGradient((w) => matmul(X, w), W, dout), dW)).toBeLessThan(1e-8);
    expect(maxRel(numericalGradient((x) => matmul(x, W), X, dout), dX)).toBeLessThan(1e-8);
  });

  it('f(x) = sum(x^3) to a scalar [] with dout=[] -> dx = 3 x^2 dout', () => {
    const x = Tensor.from([0.5, -1, 2]);
    const dout = Tensor.full([], 2);
    const num = numericalGradient((t) => Tensor.full([], t.data.reduce((s, v) => s + v ** 3, 0)), x, dout);
    expect(maxRel(num, Tensor.from([1.5, 6, 24]))).toBeLessThan(1e-8);
  });

  it('docstring example: x^2 at [1,2,3] with dout ones -> [2,4,6]', () => {
    const num = numericalGradient((t) => t.map((v) => v * v), Tensor.from([1, 2, 3]), Tensor.ones([3]));
    expect(maxRel(num, Tensor.from([2, 4, 6]))).toBeLessThan(1e-9);
  });

  it('restores x exactly afterwards (same object, same bits)', () => {
    const x = new Rng(4).randn([2, 3]);
    const before = Array.from(x.data);
    const data = x.data;
    numericalGradient((t) => t.map(Math.exp), x, Tensor.ones([2, 3]));
    expect(x.data).toBe(data);
    expect(Array.from(x.data)).toEqual(before);
  });

  it('restores x when f throws on the minus step', () => {
    const x = Tensor.from([1, 2, 3]);
    let calls = 0;
    const f = (t: Tensor) => {
      if (++calls === 2) throw new Error('f failed');
      return t.clone();
    };
    expect(() => numericalGradient(f, x, Tensor.ones([3]))).toThrow('f failed');
    expect(Array.from(x.data)).toEqual([1, 2, 3]);
  });

  it('f returning x itself (identity) -> dx = dout', () => {
    const x = Tensor.from([1, 2, 3]);
    const dout = Tensor.from([0.5, -2, 4]);
    expect(maxRel(numericalGradient((t) => t, x, dout), dout)).toBeLessThan(1e-9);
  });

  it('f returning a view (reshape [3] -> [3,1]) -> dx = dout reshaped', () => {
    const x = Tensor.from([1, 2, 3]);
    const dout = Tensor.from([[1], [-1], [2]]);
    expect(maxRel(numericalGradient((t) => t.reshape([3, 1]), x, dout), Tensor.from([1, -1, 2]))).toBeLessThan(1e-9);
  });

  it('f reusing one output buffer across calls -> still the right gradient', () => {
    const buf = Tensor.zeros([2]);
    const f = (t: Tensor) => {
      buf.data[0] = 3 * t.data[0];
      buf.data[1] = t.data[0] * t.data[1];
      return buf;
    };
    const x = Tensor.from([2, 5]);
    // d/dx0 (3 x0 + x0 x1) = 3 + x1 = 8, d/dx1 = x0 = 2 (dout = ones)
    expect(maxRel(numericalGradient(f, x, Tensor.ones([2])), Tensor.from([8, 2]))).toBeLessThan(1e-9);
  });

  it('f(x) shape [3] with dout [2] -> ShapeError naming both shapes', () => {
    expect(() => numericalGradient((t) => t, Tensor.zeros([3]), Tensor.zeros([2]))).toThrow(ShapeError);
    expect(() => numericalGradient((t) => t, Tensor.zeros([3]), Tensor.zeros([2]))).toThrow('numericalGradient: f(x) has shape [3] but dout has [2]');
  });

  it('f returning a plain array -> ShapeError "must return a Tensor"', () => {
    const f = () => [1, 2] as unknown as Tensor;
    expect(() => numericalGradient(f, Tensor.zeros([2]), Tensor.zeros([2]))).toThrow('numericalGradient: f(x) must return a Tensor, got a plain array of length 2');
  });

  it('step h=1e-3 on x^3 gives the centred-difference truncation error h^2 (3x^2 + h^2)', () => {
    const h = 1e-3;
    const num = numericalGradient((t) => t.map((v) => v ** 3), Tensor.from([2]), Tensor.ones([1]), h);
    // ((x+h)^3 - (x-h)^3) / 2h = 3x^2 + h^2 exactly
    expect(num.data[0]).toBeCloseTo(12 + h * h, 9);
    expect(DEFAULT_H).toBe(1e-5);
  });
});

describe('relativeError', () => {
  it('a=[1,2] b=[1,3] -> error 0.2 at [1], values 2 and 3', () => {
    expect(relativeError(Tensor.from([1, 2]), Tensor.from([1, 3]))).toEqual({ error: 0.2, index: [1], a: 2, b: 3 });
  });

  it('both zero -> 0, not NaN', () => {
    const r = relativeError(Tensor.zeros([2, 2]), Tensor.zeros([2, 2]));
    expect(r.error).toBe(0);
    expect(r.index).toEqual([0, 0]);
  });

  it('1e-9 vs 0 -> 0.1 (1e-8 floor in the denominator)', () => {
    expect(relativeError(Tensor.from([1e-9]), Tensor.from([0])).error).toBeCloseTo(0.1, 12);
  });

  it('worst element of a [2,3,2] tensor is reported by multi-index', () => {
    const a = Tensor.zeros([2, 3, 2]).map((_, i) => i + 1);
    const b = a.clone();
    b.set(-b.get(1, 2, 0), 1, 2, 0);
    b.set(b.get(0, 1, 1) * 1.1, 0, 1, 1);
    const r = relativeError(a, b);
    expect(r.error).toBe(1);
    expect(r.index).toEqual([1, 2, 0]);
    expect([r.a, r.b]).toEqual([11, -11]);
  });

  it('ties -> lowest index', () => {
    expect(relativeError(Tensor.from([1, 1]), Tensor.from([-1, -1])).index).toEqual([0]);
  });

  it('NaN counts as error 1 (in a or b, or both)', () => {
    expect(relativeError(Tensor.from([1, NaN]), Tensor.from([1, 2]))).toMatchObject({ error: 1, index: [1] });
    expect(relativeError(Tensor.from([1, 2]), Tensor.from([1, NaN])).error).toBe(1);
    expect(relativeError(Tensor.from([NaN]), Tensor.from([NaN])).error).toBe(1);
  });

  it('Infinity vs Infinity -> 0, Infinity vs 1 or -Infinity -> 1', () => {
    expect(relativeError(Tensor.from([Infinity]), Tensor.from([Infinity])).error).toBe(0);
    expect(relativeError(Tensor.from([Infinity]), Tensor.from([1])).error).toBe(1);
    expect(relativeError(Tensor.from([Infinity]), Tensor.from([-Infinity])).error).toBe(1);
  });

  it('1.5e308 vs -1.5e308 (difference overflows) -> 1; 1.7e308 vs 1e308 -> 0.7/2.7', () => {
    expect(relativeError(Tensor.from([1.5e308]), Tensor.from([-1.5e308]))).toMatchObject({ error: 1, index: [0] });
    expect(relativeError(Tensor.from([1.7e308]), Tensor.from([1e308])).error).toBeCloseTo(0.7 / 2.7, 12);
  });

  it('empty tensors -> error 0, index []', () => {
    const r = relativeError(Tensor.zeros([0]), Tensor.zeros([0]));
    expect(r.error).toBe(0);
    expect(r.index).toEqual([]);
  });

  it('a=[2] b=[3] -> ShapeError', () => {
    expect(() => relativeError(Tensor.zeros([2]), Tensor.zeros([3]))).toThrow('relativeError: shapes must match; a [2], b [3]');
  });

  it('property: error is in [0, 1], never NaN, for any doubles incl. NaN and infinities', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double(), fc.double()), { minLength: 1, maxLength: 8 }), (pairs) => {
        const r = relativeError(Tensor.fromArray(pairs.map((p) => p[0])), Tensor.fromArray(pairs.map((p) => p[1])));
        expect(Number.isNaN(r.error)).toBe(false);
        expect(r.error).toBeGreaterThanOrEqual(0);
        expect(r.error).toBeLessThanOrEqual(1);
        expect(r.index.length).toBe(1);
        if (pairs.some(([x, y]) => Number.isNaN(x) || Number.isNaN(y))) expect(r.error).toBe(1);
      }),
      { seed: 1, numRuns: 200 },
    );
  });

  it('property: for finite moderate values it equals the textbook formula', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: -1e6, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 8 }),
        (pairs) => {
          const a = Tensor.fromArray(pairs.map((p) => p[0]));
          const b = Tensor.fromArray(pairs.map((p) => p[1]));
          const want = maxRel(a, b);
          expect(Math.abs(relativeError(a, b).error - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, want));
        },
      ),
      { seed: 1, numRuns: 100 },
    );
  });
});

describe('directionalCheck and randomDirection', () => {
  /** f(x) = A x + sin(x) * x, elementwise part plus a linear part; x of shape [n]. */
  const problem = (seed: number, n = 12, m = 5) => {
    const rng = new Rng(seed);
    const A = rng.randn([m, n]);
    const x = rng.randn([n]);
    const dout = rng.randn([m + n]);
    const f = (t: Tensor) => {
      const out = Tensor.zeros([m + n]);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out.data[i] += A.get(i, j) * t.data[j];
      for (let j = 0; j < n; j++) out.data[m + j] = Math.sin(t.data[j]) * t.data[j];
      return out;
    };
    // dx_j = sum_i A[i,j] dout_i + (cos(x_j) x_j + sin(x_j)) dout_{m+j}
    const dx = Tensor.zeros([n]);
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < m; i++) dx.data[j] += A.get(i, j) * dout.data[i];
      const v = x.data[j];
      dx.data[j] += (Math.cos(v) * v + Math.sin(v)) * dout.data[m + j];
    }
    return { rng, x, dout, f, dx, n };
  };

  it('correct gradient -> relError < 1e-8 and numeric ~ analytic (property over seeds)', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const { rng, x, dout, f, dx } = problem(seed);
        const r = directionalCheck(f, x, dx, dout, rng);
        expect(r.relError).toBeLessThan(1e-8);
        expect(Math.abs(r.numeric - r.analytic)).toBeLessThan(1e-7 * (1 + Math.abs(r.analytic)));
      }),
      { seed: 1, numRuns: 50 },
    );
  });

  it('gradient with one wrong element (+1) -> max relError over 3 directions > 1e-3 (property over seeds)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.nat(11), (seed, k) => {
        const { rng, x, dout, f, dx } = problem(seed);
        const bad = dx.clone();
        bad.data[k] += 1;
        const errs = [0, 1, 2].map(() => directionalCheck(f, x, bad, dout, rng).relError);
        expect(Math.max(...errs)).toBeGreaterThan(1e-3);
      }),
      { seed: 1, numRuns: 50 },
    );
  });

  it('u = e_k checks exactly element k: wrong element found, others pass', () => {
    const { x, dout, f, dx, n } = problem(5);
    const bad = dx.clone();
    bad.data[3] += 0.5;
    for (let k = 0; k < n; k++) {
      const e = Tensor.zeros([n]);
      e.data[k] = 1;
      const r = directionalCheck(f, x, bad, dout, e);
      expect(r.analytic).toBe(bad.data[k]);
      if (k === 3) expect(r.relError).toBeGreaterThan(1e-3);
      else expect(r.relError).toBeLessThan(1e-7);
    }
  });

  it('does not modify x', () => {
    const { rng, x, dout, f, dx } = problem(6);
    const before = Array.from(x.data);
    directionalCheck(f, x, dx, dout, rng);
    expect(Array.from(x.data)).toEqual(before);
  });

  it('f returning its input (identity) -> numeric = <dout, u>', () => {
    const x = Tensor.from([1, 2, 3]);
    const dout = Tensor.from([2, -1, 0.5]);
    const u = Tensor.from([0.6, 0, 0.8]);
    const r = directionalCheck((t) => t, x, dout, dout, u);
    expect(r.numeric).toBeCloseTo(2 * 0.6 + 0.5 * 0.8, 9);
    expect(r.relError).toBeLessThan(1e-9);
  });

  it('f producing NaN -> relError 1 (a failure, not NaN)', () => {
    const x = Tensor.from([1, 2]);
    const r = directionalCheck((t) => t.map(() => NaN), x, Tensor.ones([2]), Tensor.ones([2]), new Rng(1));
    expect(r.relError).toBe(1);
  });

  it('dx [3] / u [3] for x [2] / f(x) [2] vs dout [3] -> ShapeError', () => {
    const x = Tensor.zeros([2]);
    expect(() => directionalCheck((t) => t, x, Tensor.zeros([3]), Tensor.zeros([2]), new Rng(1))).toThrow(
      'directionalCheck: dx must have the shape of x [2], got [3]',
    );
    expect(() => directionalCheck((t) => t, x, Tensor.zeros([2]), Tensor.zeros([2]), Tensor.zeros([3]))).toThrow(
      'directionalCheck: u must have the shape of x [2], got [3]',
    );
    expect(() => directionalCheck((t) => t, x, Tensor.zeros([2]), Tensor.zeros([3]), new Rng(1))).toThrow(
      'directionalCheck: f(x) has shape [2] but dout has [3]',
    );
  });

  it('property: randomDirection has norm 1 and the requested shape', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 4 }), (seed, shape) => {
        const u = randomDirection(shape, new Rng(seed));
        expect(u.shape).toEqual(shape);
        expect(Math.abs(l2(u) - 1)).toBeLessThan(1e-12);
      }),
      { seed: 1, numRuns: 50 },
    );
  });

  it('randomDirection over 4000 draws in 2-D: mean ~0 (no preferred direction)', () => {
    const rng = new Rng(9);
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < 4000; i++) {
      const u = randomDirection([2], rng);
      sx += u.data[0];
      sy += u.data[1];
    }
    expect(Math.abs(sx / 4000)).toBeLessThan(0.05);
    expect(Math.abs(sy / 4000)).toBeLessThan(0.05);
  });

  it('randomDirection shape [0] -> ValueError', () => {
    expect(() => randomDirection([0], new Rng(1))).toThrow(ValueError);
    expect(() => randomDirection([0], new Rng(1))).toThrow('randomDirection: cannot draw a direction for shape [0]');
  });
});

describe('compareTensors', () => {
  const e = () => Tensor.from([
    [1, 2],
    [3, 2],
  ]);

  it('equal tensors -> ok, error 0', () => {
    expect(compareTensors('out', e(), e())).toEqual({ ok: true, error: 0 });
  });

  it('shape [2,3] vs [3,2] -> shape message first, even with NaN inside', () => {
    const actual = Tensor.full([2, 3], NaN);
    expect(compareTensors('relu: out', actual, Tensor.zeros([3, 2]))).toEqual({ ok: false, error: 1, message: 'relu: out has shape [2,3], expected [3,2]' });
  });

  it('actual is a plain array / null -> message says what was received', () => {
    const r = compareTensors('out', [1, 2] as unknown as Tensor, Tensor.zeros([2]));
    expect(r).toMatchObject({ ok: false, error: 1, message: 'out: expected a Tensor of shape [2], got a plain array of length 2' });
    expect(compareTensors('out', null as unknown as Tensor, Tensor.zeros([2]))).toMatchObject({ message: 'out: expected a Tensor of shape [2], got null' });
    expect(compareTensors('out', {} as unknown as Tensor, Tensor.zeros([2]))).toMatchObject({ message: 'out: expected a Tensor of shape [2], got an object ([object Object])' });
    expect(compareTensors('out', 3 as unknown as Tensor, Tensor.zeros([2]))).toMatchObject({ message: 'out: expected a Tensor of shape [2], got number 3' });
  });

  it('NaN at [0,1] where 2 is expected -> "is NaN at [0,1], expected 2"', () => {
    const actual = e();
    actual.set(NaN, 0, 1);
    actual.set(100, 1, 1);
    expect(compareTensors('conv2dForward: out', actual, e())).toEqual({
      ok: false,
      error: 1,
      index: [0, 1],
      message: 'conv2dForward: out is NaN at [0,1], expected 2',
    });
  });

  it('worst element [1,1]: got 0.5, expected 2 -> message with index and relative error 6.0e-1', () => {
    const actual = e();
    actual.set(0.5, 1, 1);
    actual.set(1.01, 0, 0);
    const r = compareTensors('conv2dBackward: dw', actual, e());
    expect(r).toEqual({
      ok: false,
      error: 0.6,
      index: [1, 1],
      message: 'conv2dBackward: dw differs at [1,1]: got 0.5, expected 2 (relative error 6.0e-1, tolerance 1e-6)',
    });
  });

  it('non-integers are printed with 6 significant digits', () => {
    const r = compareTensors('y', Tensor.from([1 / 3]), Tensor.from([2 / 3]));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toBe('y differs at [0]: got 0.333333, expected 0.666667 (relative error 3.3e-1, tolerance 1e-6)');
  });

  it('relative error 1e-7 passes at tol 1e-6 and fails at tol 1e-8', () => {
    const a = Tensor.from([1 + 2e-7]);
    const b = Tensor.from([1]);
    expect(compareTensors('y', a, b).ok).toBe(true);
    expect(compareTensors('y', a, b, { tol: 1e-8 }).ok).toBe(false);
  });

  it('tiny absolute differences pass by atol: 1e-12 vs 0 (relative error 1e-12 / 1e-8 = 1e-4)', () => {
    expect(compareTensors('y', Tensor.from([1e-12]), Tensor.from([0])).ok).toBe(true);
    const r = compareTensors('y', Tensor.from([1e-12]), Tensor.from([0]), { atol: 0 });
    expect(r.ok).toBe(false);
    expect(r.error).toBeCloseTo(1e-4, 15);
  });

  it('NaN vs NaN and Infinity vs Infinity match', () => {
    expect(compareTensors('y', Tensor.from([NaN, Infinity]), Tensor.from([NaN, Infinity])).ok).toBe(true);
  });

  it('0 / NaN / -Infinity where Infinity is expected -> fail with error 1', () => {
    for (const got of [0, NaN, -Infinity, 1e308]) {
      const r = compareTensors('y', Tensor.from([got]), Tensor.from([Infinity]));
      expect(r).toMatchObject({ ok: false, error: 1, index: [0] });
    }
  });

  it('1.5e308 where -1.5e308 is expected -> fail with error 1 (no overflow to NaN)', () => {
    expect(compareTensors('y', Tensor.from([1.5e308]), Tensor.from([-1.5e308]))).toMatchObject({ ok: false, error: 1, index: [0] });
  });

  it('property: compareTensors fails exactly when some element has |d| > atol and relative error > tol', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -10, max: 10, noNaN: true }), fc.integer({ min: -12, max: 0 })), { minLength: 1, maxLength: 6 }),
        fc.integer(),
        (elems, seed) => {
          const rng = new Rng(seed);
          const expected = Tensor.fromArray(elems.map(([v]) => v));
          // Perturb each element by a random relative amount 10^p.
          const actual = Tensor.fromArray(elems.map(([v, p]) => v * (1 + (rng.next() < 0.5 ? -1 : 1) * 10 ** p)));
          const tol = 1e-6;
          const atol = 1e-9;
          let fails = false;
          for (let i = 0; i < actual.size; i++) {
            const x = actual.data[i];
            const y = expected.data[i];
            if (Math.abs(x - y) > atol && Math.abs(x - y) / Math.max(1e-8, Math.abs(x) + Math.abs(y)) > tol) fails = true;
          }
          expect(compareTensors('y', actual, expected, { tol, atol }).ok).toBe(!fails);
        },
      ),
      { seed: 1, numRuns: 100 },
    );
  });
});
