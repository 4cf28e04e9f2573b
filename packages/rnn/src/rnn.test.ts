import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numericalGradient, relativeError, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { rnnBackward, rnnForward, rnnInitParams, rnnStepBackward, rnnStepForward, type RnnCache, type RnnStepCache } from './rnn.js';
import { expectAllClose, expectGradient, FC_OPTS, recurrentParams, seqCases, seqName, SMOOTH_H, type SeqCase } from './test-support.js';

/** The oracle: `nextH[n, j] = tanh(b[j] + sum_d x[n, d] Wx[d, j] + sum_k prevH[n, k] Wh[k, j])`, plain loops. */
function directStep(x: Tensor, prevH: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor): Tensor {
  const [N, D] = x.shape;
  const H = prevH.shape[1];
  const out = Tensor.zeros([N, H]);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      let a = b.get(j);
      for (let d = 0; d < D; d++) a += x.get(n, d) * Wx.get(d, j);
      for (let k = 0; k < H; k++) a += prevH.get(n, k) * Wh.get(k, j);
      out.set(Math.tanh(a), n, j);
    }
  }
  return out;
}

function stepData(c: SeqCase) {
  const rng = new Rng(c.seed);
  const x = rng.randn([c.N, c.D]);
  const prevH = rng.randn([c.N, c.H], 0.5);
  return { x, prevH, ...recurrentParams(rng, c.D, c.H, 1), rng };
}

function seqData(c: SeqCase) {
  const rng = new Rng(c.seed);
  const x = rng.randn([c.N, c.T, c.D]);
  const h0 = rng.randn([c.N, c.H], 0.5);
  return { x, h0, ...recurrentParams(rng, c.D, c.H, 1), rng };
}

describe('rnnStepForward / rnnStepBackward', () => {
  it('x=[1,2] H=2: nextH = tanh(x Wx + prevH Wh + b) by hand', () => {
    const { nextH } = rnnStepForward(
      Tensor.from([[1, 2]]),
      Tensor.from([[0.5, -1]]),
      Tensor.from([[0.1, 0.2], [0.3, 0.4]]),
      Tensor.from([[1, 0], [0, 1]]),
      Tensor.from([0, -0.5]),
    );
    expect(nextH.shape).toEqual([1, 2]);
    expect(nextH.get(0, 0)).toBeCloseTo(Math.tanh(0.1 + 0.6 + 0.5), 14);
    expect(nextH.get(0, 1)).toBeCloseTo(Math.tanh(0.2 + 0.8 - 1 - 0.5), 14);
  });

  it('docstring example: x=[[1,0]], Wx=0.5 I: nextH = [[tanh(0.5), 0]]', () => {
    const { nextH } = rnnStepForward(Tensor.from([[1, 0]]), Tensor.zeros([1, 2]), Tensor.from([[0.5, 0], [0, 0.5]]), Tensor.zeros([2, 2]), Tensor.zeros([2]));
    expect(nextH.toArray()).toEqual([[Math.tanh(0.5), 0]]);
  });

  it('random N=1-3 D=1-4 H=1-4: nextH equals the plain-loop oracle within 1e-12', () => {
    fc.assert(
      fc.property(seqCases(1), (c) => {
        const { x, prevH, Wx, Wh, b } = stepData(c);
        const { nextH } = rnnStepForward(x, prevH, Wx, Wh, b);
        expect(nextH.shape).toEqual([c.N, c.H]);
        expectAllClose(`rnnStepForward ${seqName(c)}: nextH`, nextH, directStep(x, prevH, Wx, Wh, b), 1e-12);
      }),
      FC_OPTS,
    );
  });

  it('random N=1-3 D=1-4 H=1-4: dx, dprevH, dWx, dWh, db match numerical gradients (rel. error < 1e-6)', () => {
    fc.assert(
      fc.property(seqCases(1), (c) => {
        const { x, prevH, Wx, Wh, b, rng } = stepData(c);
        const { cache } = rnnStepForward(x, prevH, Wx, Wh, b);
        const dnextH = rng.randn([c.N, c.H]);
        const g = rnnStepBackward(dnextH, cache);
        const name = `rnnStepBackward ${seqName(c)}`;
        const f = (x_: Tensor, h_: Tensor, wx: Tensor, wh: Tensor, b_: Tensor) => rnnStepForward(x_, h_, wx, wh, b_).nextH;
        expectGradient(`${name}: dx`, g.dx, numericalGradient((t) => f(t, prevH, Wx, Wh, b), x, dnextH, SMOOTH_H));
        expectGradient(`${name}: dprevH`, g.dprevH, numericalGradient((t) => f(x, t, Wx, Wh, b), prevH, dnextH, SMOOTH_H));
        expectGradient(`${name}: dWx`, g.dWx, numericalGradient((t) => f(x, prevH, t, Wh, b), Wx, dnextH, SMOOTH_H));
        expectGradient(`${name}: dWh`, g.dWh, numericalGradient((t) => f(x, prevH, Wx, t, b), Wh, dnextH, SMOOTH_H));
        expectGradient(`${name}: db`, g.db, numericalGradient((t) => f(x, prevH, Wx, Wh, t), b, dnextH, SMOOTH_H));
      }),
      FC_OPTS,
    );
  });
});

describe('rnnForward / rnnBackward (backprop through time)', () => {
  it('random N=1-3 T=1-10 D=1-4 H=1-4: h is the chain of rnnStepForward; cache holds one step cache per time step', () => {
    fc.assert(
      fc.property(seqCases(10), (c) => {
        const { x, h0, Wx, Wh, b } = seqData(c);
        const { h, cache } = rnnForward(x, h0, Wx, Wh, b);
        expect(h.shape).toEqual([c.N, c.T, c.H]);
        expect(cache.steps).toHaveLength(c.T);
        let prev = h0;
        for (let t = 0; t < c.T; t++) {
          const xt = Tensor.zeros([c.N, c.D]);
          for (let n = 0; n < c.N; n++) for (let d = 0; d < c.D; d++) xt.set(x.get(n, t, d), n, d);
          prev = directStep(xt, prev, Wx, Wh, b);
          for (let n = 0; n < c.N; n++) for (let j = 0; j < c.H; j++) expect(Math.abs(h.get(n, t, j) - prev.get(n, j))).toBeLessThan(1e-12);
        }
      }),
      FC_OPTS,
    );
  });

  it('random N=1-3 T=1-10 D=1-4 H=1-4: dx, dh0, dWx, dWh, db match numerical gradients of the whole sequence', () => {
    fc.assert(
      fc.property(seqCases(10), (c) => {
        const { x, h0, Wx, Wh, b, rng } = seqData(c);
        const { h, cache } = rnnForward(x, h0, Wx, Wh, b);
        const dh = rng.randn(h.shape);
        const g = rnnBackward(dh, cache);
        const name = `rnnBackward ${seqName(c)}`;
        expect(g.dx.shape).toEqual([c.N, c.T, c.D]);
        expect(g.dh0.shape).toEqual([c.N, c.H]);
        const f = (x_: Tensor, h_: Tensor, wx: Tensor, wh: Tensor, b_: Tensor) => rnnForward(x_, h_, wx, wh, b_).h;
        expectGradient(`${name}: dx`, g.dx, numericalGradient((t) => f(t, h0, Wx, Wh, b), x, dh, SMOOTH_H));
        expectGradient(`${name}: dh0`, g.dh0, numericalGradient((t) => f(x, t, Wx, Wh, b), h0, dh, SMOOTH_H));
        expectGradient(`${name}: dWx`, g.dWx, numericalGradient((t) => f(x, h0, t, Wh, b), Wx, dh, SMOOTH_H));
        expectGradient(`${name}: dWh`, g.dWh, numericalGradient((t) => f(x, h0, Wx, t, b), Wh, dh, SMOOTH_H));
        expectGradient(`${name}: db`, g.db, numericalGradient((t) => f(x, h0, Wx, Wh, t), b, dh, SMOOTH_H));
      }),
      FC_OPTS,
    );
  });

  it('N=2 T=12 D=3 H=5: a long sequence passes the same full gradient check', () => {
    const c = { N: 2, T: 12, D: 3, H: 5, seed: 7 };
    const { x, h0, Wx, Wh, b, rng } = seqData(c);
    const { h, cache } = rnnForward(x, h0, Wx, Wh, b);
    const dh = rng.randn(h.shape);
    const g = rnnBackward(dh, cache);
    const f = (wx: Tensor, wh: Tensor) => rnnForward(x, h0, wx, wh, b).h;
    expectGradient('rnnBackward T=12: dWx', g.dWx, numericalGradient((t) => f(t, Wh), Wx, dh, SMOOTH_H));
    expectGradient('rnnBackward T=12: dWh', g.dWh, numericalGradient((t) => f(Wx, t), Wh, dh, SMOOTH_H));
    expectGradient('rnnBackward T=12: dx', g.dx, numericalGradient((t) => rnnForward(t, h0, Wx, Wh, b).h, x, dh, SMOOTH_H));
  });

  it('D=1 H=1 T=2, Wh=0, x=[1,2]: dWx = (1-tanh(1)^2)*1 + (1-tanh(2)^2)*2, the SUM over steps (an "=" would keep only t=0)', () => {
    const { cache } = rnnForward(Tensor.from([[[1], [2]]]), Tensor.zeros([1, 1]), Tensor.from([[1]]), Tensor.from([[0]]), Tensor.zeros([1]));
    const { dWx, db } = rnnBackward(Tensor.ones([1, 2, 1]), cache);
    const s1 = 1 - Math.tanh(1) ** 2;
    const s2 = 1 - Math.tanh(2) ** 2;
    expect(dWx.get(0, 0)).toBeCloseTo(s1 * 1 + s2 * 2, 14);
    expect(db.get(0)).toBeCloseTo(s1 + s2, 14);
    expect(Math.abs(dWx.get(0, 0) - s1)).toBeGreaterThan(0.1);
  });

  it('random N=1-3 T=2-8: the weight gradients equal the sum of the per-step contributions of rnnStepBackward, not any single one', () => {
    fc.assert(
      fc.property(
        seqCases(8).filter((c) => c.T >= 2),
        (c) => {
          const { x, h0, Wx, Wh, b, rng } = seqData(c);
          const { h, cache } = rnnForward(x, h0, Wx, Wh, b);
          const dh = rng.randn(h.shape);
          const g = rnnBackward(dh, cache);
          // Replay BPTT by hand with the public step backward, keeping each step's contribution.
          const contributions: Array<{ dWx: Tensor; dWh: Tensor; db: Tensor }> = [];
          let dprev = Tensor.zeros([c.N, c.H]);
          for (let t = c.T - 1; t >= 0; t--) {
            const dnext = dprev.map((v, i) => v + dh.data[(Math.floor(i / c.H) * c.T + t) * c.H + (i % c.H)]);
            const s = rnnStepBackward(dnext, cache.steps[t]);
            contributions.push(s);
            dprev = s.dprevH;
          }
          const total = (k: 'dWx' | 'dWh' | 'db') => contributions.reduce((acc, s) => acc.map((v, i) => v + s[k].data[i]), Tensor.zeros(g[k].shape));
          for (const k of ['dWx', 'dWh', 'db'] as const) {
            expectAllClose(`rnnBackward ${seqName(c)}: ${k} = sum over steps`, g[k], total(k), 1e-12);
            // Every single contribution (the t = 0 one is what "=" instead of "+=" would leave) differs from the sum.
            for (const s of contributions) expect(relativeError(g[k], s[k]).error, `${k} vs one step`).toBeGreaterThan(1e-6);
          }
          expectAllClose(`rnnBackward ${seqName(c)}: dh0`, g.dh0, dprev, 1e-12);
        },
      ),
      FC_OPTS,
    );
  });

  it('many-to-one: dh nonzero only at t = T-1 still reaches every input step, and matches the numerical gradient of sum(h[:, T-1, :] * dlast)', () => {
    const c = { N: 2, T: 6, D: 3, H: 4, seed: 11 };
    const { x, h0, Wx, Wh, b, rng } = seqData(c);
    const { cache } = rnnForward(x, h0, Wx, Wh, b);
    const dh = Tensor.zeros([c.N, c.T, c.H]);
    const dlast = rng.randn([c.N, c.H]);
    for (let n = 0; n < c.N; n++) for (let j = 0; j < c.H; j++) dh.set(dlast.get(n, j), n, c.T - 1, j);
    const { dx, dWh } = rnnBackward(dh, cache);
    for (let t = 0; t < c.T; t++) {
      let s = 0;
      for (let n = 0; n < c.N; n++) for (let d = 0; d < c.D; d++) s += Math.abs(dx.get(n, t, d));
      expect(s, `dx at step ${t}`).toBeGreaterThan(1e-6);
    }
    expectGradient('rnnBackward many-to-one: dx', dx, numericalGradient((t) => rnnForward(t, h0, Wx, Wh, b).h, x, dh, SMOOTH_H));
    expectGradient('rnnBackward many-to-one: dWh', dWh, numericalGradient((t) => rnnForward(x, h0, Wx, t, b).h, Wh, dh, SMOOTH_H));
  });

  it.each([
    [0.5, 'vanishes'],
    [1.5, 'explodes'],
  ])('the lecture\'s A_t = theta^t A_0: with Wh = %s (H=1, near-linear tanh), the gradient reaching step 0 %s like theta^(T-1)', (theta) => {
    const T = 10;
    // Inputs of 1e-7 keep every |h| below 1e-5, where tanh' = 1 - h^2 > 1 - 1e-10: each step
    // multiplies the gradient by theta and by a factor indistinguishable from 1.
    const x = Tensor.full([1, T, 1], 1e-7);
    const Wh = Tensor.from([[theta]]);
    const { cache } = rnnForward(x, Tensor.zeros([1, 1]), Tensor.from([[1]]), Wh, Tensor.zeros([1]));
    const dh = Tensor.zeros([1, T, 1]);
    dh.set(1, 0, T - 1, 0);
    const { dx } = rnnBackward(dh, cache);
    for (let t = 0; t < T; t++) expect(dx.get(0, t, 0) / theta ** (T - 1 - t)).toBeCloseTo(1, 8);
  });
});

describe('rnnInitParams', () => {
  it('D=50 H=40: shapes, zero bias, std about 1/sqrt(fan-in); same seed, same weights', () => {
    const p = rnnInitParams(50, 40, new Rng(3));
    expect(p.Wx.shape).toEqual([50, 40]);
    expect(p.Wh.shape).toEqual([40, 40]);
    expect(Array.from(p.b.data)).toEqual(new Array(40).fill(0));
    const std = (t: Tensor) => Math.sqrt(t.data.reduce((a, v) => a + v * v, 0) / t.size);
    expect(std(p.Wx)).toBeCloseTo(1 / Math.sqrt(50), 2);
    expect(std(p.Wh)).toBeCloseTo(1 / Math.sqrt(40), 2);
    expect(rnnInitParams(50, 40, new Rng(3)).Wh.data).toEqual(p.Wh.data);
    expect(() => rnnInitParams(0, 4, new Rng(0))).toThrow(new ValueError('rnnInitParams', 'D must be an integer >= 1, got 0'));
    expect(() => rnnInitParams(3, 1.5, new Rng(0))).toThrow(new ValueError('rnnInitParams', 'H must be an integer >= 1, got 1.5'));
  });
});

describe('rnn input validation', () => {
  const x = Tensor.zeros([2, 5, 3]);
  const h0 = Tensor.zeros([2, 4]);
  const Wx = Tensor.zeros([3, 4]);
  const Wh = Tensor.zeros([4, 4]);
  const b = Tensor.zeros([4]);
  it.each([
    ['empty sequence', () => rnnForward(Tensor.zeros([2, 0, 3]), h0, Wx, Wh, b), 'rnn: x must have at least one time step (T >= 1), got x [2,0,3]'],
    ['empty batch', () => rnnForward(Tensor.zeros([0, 5, 3]), Tensor.zeros([0, 4]), Wx, Wh, b), 'rnn: x must have at least one example (N >= 1), got x [0,5,3]'],
    ['no features', () => rnnForward(Tensor.zeros([2, 5, 0]), h0, Tensor.zeros([0, 4]), Wh, b), 'rnn: x must have at least one input feature (D >= 1), got x [2,5,0]'],
    ['hidden size 0', () => rnnForward(x, Tensor.zeros([2, 0]), Tensor.zeros([3, 0]), Tensor.zeros([0, 0]), Tensor.zeros([0])), 'rnn: hidden size H must be at least 1, got h0 [2,0]'],
    ['Wx columns != H', () => rnnForward(x, h0, Tensor.zeros([3, 5]), Wh, b), 'rnn: Wx must be [D, H] = [3,4] for D = 3 (from x [2,5,3]) and hidden size H = 4 (from h0 [2,4]), got [3,5]'],
    ['Wx rows != D', () => rnnForward(x, h0, Tensor.zeros([2, 4]), Wh, b), 'rnn: Wx must be [D, H] = [3,4] for D = 3 (from x [2,5,3]) and hidden size H = 4 (from h0 [2,4]), got [2,4]'],
    ['Wh != [H,H]', () => rnnForward(x, h0, Wx, Tensor.zeros([5, 5]), b), 'rnn: Wh must be [H, H] = [4,4] for hidden size H = 4 (from h0 [2,4]), got [5,5]'],
    ['b != [H]', () => rnnForward(x, h0, Wx, Wh, Tensor.zeros([5])), 'rnn: b must be [H] = [4] for hidden size H = 4 (from h0 [2,4]), got [5]'],
    ['h0 batch', () => rnnForward(x, Tensor.zeros([3, 4]), Wx, Wh, b), 'rnn: h0 has 3 rows but x has N = 2 examples; x [2,5,3], h0 [3,4]'],
    ['x 2-D in a sequence op', () => rnnForward(Tensor.zeros([2, 3]), h0, Wx, Wh, b), 'rnn: x must be 3-D [N, T, D], got [2,3]'],
    ['x 3-D in a step op', () => rnnStepForward(x, h0, Wx, Wh, b), 'rnnStep: x must be 2-D [N, D], got [2,5,3]'],
    ['h0 not a Tensor', () => rnnForward(x, [[0]] as unknown as Tensor, Wx, Wh, b), 'rnn: h0 must be a Tensor, got object'],
    ['step: hidden sizes differ', () => rnnStepForward(Tensor.zeros([2, 3]), Tensor.zeros([2, 5]), Wx, Wh, b), 'rnnStep: Wx must be [D, H] = [3,5] for D = 3 (from x [2,3]) and hidden size H = 5 (from prevH [2,5]), got [3,4]'],
  ])('%s: ShapeError naming the op and the shapes', (_, fn, message) => {
    expect(fn).toThrow(ShapeError);
    expect(fn).toThrow(message);
  });

  it.each([
    ['x', () => rnnForward(Tensor.full([2, 5, 3], NaN), h0, Wx, Wh, b), 'rnn: x contains NaN at [0,0,0]'],
    ['h0', () => { const h = h0.clone(); h.set(NaN, 1, 2); return rnnForward(x, h, Wx, Wh, b); }, 'rnn: h0 contains NaN at [1,2]'],
    ['Wh', () => { const w = Wh.clone(); w.set(Infinity, 3, 3); return rnnForward(x, h0, Wx, w, b); }, 'rnn: Wh contains Infinity at [3,3]'],
    ['step b', () => rnnStepForward(Tensor.zeros([2, 3]), h0, Wx, Wh, Tensor.full([4], -Infinity)), 'rnnStep: b contains -Infinity at [0]'],
  ])('NaN/Infinity in %s: ValueError naming the op, the tensor and the index', (_, fn, message) => {
    expect(fn).toThrow(ValueError);
    expect(fn).toThrow(message);
  });

  it('backward: dh of the wrong shape, NaN in dh, a foreign or empty cache', () => {
    const { cache } = rnnForward(x, h0, Wx, Wh, b);
    expect(() => rnnBackward(Tensor.zeros([2, 4, 4]), cache)).toThrow(new ShapeError('rnnBackward', 'dh must have shape [2,5,4], got [2,4,4]'));
    expect(() => rnnBackward(Tensor.full([2, 5, 4], NaN), cache)).toThrow(new ValueError('rnnBackward', 'dh contains NaN at [0,0,0]'));
    expect(() => rnnBackward(Tensor.zeros([2, 5, 4]), undefined as unknown as RnnCache)).toThrow(
      new ValueError('rnnBackward', 'cache must be the cache returned by rnnForward, got undefined'),
    );
    expect(() => rnnBackward(Tensor.zeros([2, 5, 4]), { steps: [] })).toThrow(
      new ValueError('rnnBackward', 'cache must be the cache returned by rnnForward (steps must be a non-empty list of step caches)'),
    );
    expect(() => rnnBackward(Tensor.zeros([2, 5, 4]), { steps: [{}] } as unknown as RnnCache)).toThrow(
      new ValueError('rnnBackward', 'cache must be the cache returned by rnnForward (step 0) (missing x, prevH, Wx, Wh, nextH), got an object'),
    );
    const step = rnnStepForward(Tensor.zeros([2, 3]), h0, Wx, Wh, b).cache;
    expect(() => rnnStepBackward(Tensor.zeros([4, 2]), step)).toThrow(new ShapeError('rnnStepBackward', 'dnextH must have shape [2,4], got [4,2]'));
    expect(() => rnnStepBackward(Tensor.zeros([2, 4]), cache as unknown as RnnStepCache)).toThrow(
      new ValueError('rnnStepBackward', 'cache must be the cache returned by rnnStepForward (missing x, prevH, Wx, Wh, nextH), got an object'),
    );
  });
});
