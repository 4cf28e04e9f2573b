import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maxAbs, numericalGradient, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import {
  LSTM_GATE_ORDER,
  lstmBackward,
  lstmForward,
  lstmInitParams,
  lstmStepBackward,
  lstmStepForward,
  type LstmCache,
  type LstmStepCache,
} from './lstm.js';
import { expectAllClose, expectGradient, FC_OPTS, recurrentParams, seqCases, seqName, SMOOTH_H, type SeqCase } from './test-support.js';

const sig = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * The oracle, written gate by gate with plain loops: for each example n and unit j,
 * `a_q = b[qH + j] + sum_d x[n,d] Wx[d, qH + j] + sum_k prevH[n,k] Wh[k, qH + j]` for the gate
 * blocks q = 0 (i), 1 (f), 2 (g), 3 (o), then `c = f prevC + i g`, `h = o tanh(c)`.
 */
function directStep(x: Tensor, prevH: Tensor, prevC: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor): { h: Tensor; c: Tensor } {
  const [N, D] = x.shape;
  const H = prevH.shape[1];
  const h = Tensor.zeros([N, H]);
  const c = Tensor.zeros([N, H]);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      const pre = [0, 1, 2, 3].map((q) => {
        let a = b.get(q * H + j);
        for (let d = 0; d < D; d++) a += x.get(n, d) * Wx.get(d, q * H + j);
        for (let k = 0; k < H; k++) a += prevH.get(n, k) * Wh.get(k, q * H + j);
        return a;
      });
      const [i, f, g, o] = [sig(pre[0]), sig(pre[1]), Math.tanh(pre[2]), sig(pre[3])];
      const cell = f * prevC.get(n, j) + i * g;
      c.set(cell, n, j);
      h.set(o * Math.tanh(cell), n, j);
    }
  }
  return { h, c };
}

function stepData(c: SeqCase) {
  const rng = new Rng(c.seed);
  const x = rng.randn([c.N, c.D]);
  const prevH = rng.randn([c.N, c.H], 0.5);
  const prevC = rng.randn([c.N, c.H]);
  return { x, prevH, prevC, ...recurrentParams(rng, c.D, c.H, 4), rng };
}

function seqData(c: SeqCase) {
  const rng = new Rng(c.seed);
  const x = rng.randn([c.N, c.T, c.D]);
  const h0 = rng.randn([c.N, c.H], 0.5);
  const c0 = rng.randn([c.N, c.H]);
  return { x, h0, c0, ...recurrentParams(rng, c.D, c.H, 4), rng };
}

/** `sum(h * dh) + sum(cT * dcT)` as one tensor-valued function for numericalGradient: `[h.flat, cT.flat]` against `[dh.flat, dcT.flat]`. */
function joint(h: Tensor, c: Tensor): Tensor {
  const out = new Float64Array(h.size + c.size);
  out.set(h.data);
  out.set(c.data, h.size);
  return new Tensor(out, [out.length]);
}

describe('LSTM gate order (PyTorch: i, f, g, o)', () => {
  it('LSTM_GATE_ORDER is [i, f, g, o] and frozen', () => {
    expect([...LSTM_GATE_ORDER]).toEqual(['i', 'f', 'g', 'o']);
    expect(Object.isFrozen(LSTM_GATE_ORDER)).toBe(true);
  });

  it('H=1, weights 0, b = [bi, bf, bg, bo]: c = sigmoid(bf) prevC + sigmoid(bi) tanh(bg), h = sigmoid(bo) tanh(c)', () => {
    const [bi, bf, bg, bo] = [0.3, -1.2, 0.7, 2.1];
    const prevC = 0.9;
    const { nextH, nextC } = lstmStepForward(Tensor.from([[1]]), Tensor.from([[0.4]]), Tensor.from([[prevC]]), Tensor.zeros([1, 4]), Tensor.zeros([1, 4]), Tensor.from([bi, bf, bg, bo]));
    const c = sig(bf) * prevC + sig(bi) * Math.tanh(bg);
    expect(nextC.get(0, 0)).toBeCloseTo(c, 15);
    expect(nextH.get(0, 0)).toBeCloseTo(sig(bo) * Math.tanh(c), 15);
  });

  it('H=2: each gate reads its own column block of Wx ([0,H) i, [H,2H) f, [2H,3H) g, [3H,4H) o)', () => {
    // x = [1]; Wx puts a distinct value in every column, so a swapped block would change the result.
    const Wx = Tensor.from([[0.1, 0.2, -0.3, -0.4, 0.5, 0.6, 0.7, -0.8]]);
    const prevC = Tensor.from([[0.5, -0.25]]);
    const { nextC, nextH } = lstmStepForward(Tensor.from([[1]]), Tensor.zeros([1, 2]), prevC, Wx, Tensor.zeros([2, 8]), Tensor.zeros([8]));
    for (let j = 0; j < 2; j++) {
      const [i, f, g, o] = [sig(Wx.get(0, j)), sig(Wx.get(0, 2 + j)), Math.tanh(Wx.get(0, 4 + j)), sig(Wx.get(0, 6 + j))];
      const c = f * prevC.get(0, j) + i * g;
      expect(nextC.get(0, j)).toBeCloseTo(c, 15);
      expect(nextH.get(0, j)).toBeCloseTo(o * Math.tanh(c), 15);
    }
  });
});

describe('lstmStepForward / lstmStepBackward', () => {
  it('random N=1-3 D=1-4 H=1-4: nextH and nextC equal the plain-loop oracle within 1e-12', () => {
    fc.assert(
      fc.property(seqCases(1), (c) => {
        const { x, prevH, prevC, Wx, Wh, b } = stepData(c);
        const { nextH, nextC } = lstmStepForward(x, prevH, prevC, Wx, Wh, b);
        const want = directStep(x, prevH, prevC, Wx, Wh, b);
        expectAllClose(`lstmStepForward ${seqName(c)}: nextH`, nextH, want.h, 1e-12);
        expectAllClose(`lstmStepForward ${seqName(c)}: nextC`, nextC, want.c, 1e-12);
      }),
      FC_OPTS,
    );
  });

  it('random N=1-3 D=1-4 H=1-4: dx, dprevH, dprevC, dWx, dWh, db match numerical gradients of sum(nextH dnextH) + sum(nextC dnextC)', () => {
    fc.assert(
      fc.property(seqCases(1), (c) => {
        const { x, prevH, prevC, Wx, Wh, b, rng } = stepData(c);
        const { cache } = lstmStepForward(x, prevH, prevC, Wx, Wh, b);
        const dnextH = rng.randn([c.N, c.H]);
        const dnextC = rng.randn([c.N, c.H]);
        const g = lstmStepBackward(dnextH, dnextC, cache);
        const dout = joint(dnextH, dnextC);
        const f = (x_: Tensor, h_: Tensor, c_: Tensor, wx: Tensor, wh: Tensor, b_: Tensor) => {
          const r = lstmStepForward(x_, h_, c_, wx, wh, b_);
          return joint(r.nextH, r.nextC);
        };
        const name = `lstmStepBackward ${seqName(c)}`;
        expectGradient(`${name}: dx`, g.dx, numericalGradient((t) => f(t, prevH, prevC, Wx, Wh, b), x, dout, SMOOTH_H));
        expectGradient(`${name}: dprevH`, g.dprevH, numericalGradient((t) => f(x, t, prevC, Wx, Wh, b), prevH, dout, SMOOTH_H));
        expectGradient(`${name}: dprevC`, g.dprevC, numericalGradient((t) => f(x, prevH, t, Wx, Wh, b), prevC, dout, SMOOTH_H));
        expectGradient(`${name}: dWx`, g.dWx, numericalGradient((t) => f(x, prevH, prevC, t, Wh, b), Wx, dout, SMOOTH_H));
        expectGradient(`${name}: dWh`, g.dWh, numericalGradient((t) => f(x, prevH, prevC, Wx, t, b), Wh, dout, SMOOTH_H));
        expectGradient(`${name}: db`, g.db, numericalGradient((t) => f(x, prevH, prevC, Wx, Wh, t), b, dout, SMOOTH_H));
      }),
      FC_OPTS,
    );
  });

  it('very large pre-activations (|a| ~ 1000): gates saturate to exactly 0 or 1, no NaN forward or backward', () => {
    const b = Tensor.from([1000, -1000, 1000, -1000]);
    const { nextH, nextC, cache } = lstmStepForward(Tensor.from([[1]]), Tensor.zeros([1, 1]), Tensor.from([[2]]), Tensor.zeros([1, 4]), Tensor.zeros([1, 4]), b);
    expect(nextC.get(0, 0)).toBe(1); // f = 0, i = 1, g = 1
    expect(nextH.get(0, 0)).toBe(0); // o = 0
    const g = lstmStepBackward(Tensor.ones([1, 1]), Tensor.ones([1, 1]), cache);
    for (const t of Object.values(g)) expect(t.data.every(Number.isFinite)).toBe(true);
  });
});

describe('lstmForward / lstmBackward (backprop through time)', () => {
  it('random N=1-3 T=1-10: h and cT are the chain of the plain-loop step oracle; one step cache per time step', () => {
    fc.assert(
      fc.property(seqCases(10), (c) => {
        const { x, h0, c0, Wx, Wh, b } = seqData(c);
        const { h, cT, cache } = lstmForward(x, h0, Wx, Wh, b, c0);
        expect(h.shape).toEqual([c.N, c.T, c.H]);
        expect(cT.shape).toEqual([c.N, c.H]);
        expect(cache.steps).toHaveLength(c.T);
        let state = { h: h0, c: c0 };
        for (let t = 0; t < c.T; t++) {
          const xt = Tensor.zeros([c.N, c.D]);
          for (let n = 0; n < c.N; n++) for (let d = 0; d < c.D; d++) xt.set(x.get(n, t, d), n, d);
          state = directStep(xt, state.h, state.c, Wx, Wh, b);
          for (let n = 0; n < c.N; n++) for (let j = 0; j < c.H; j++) expect(Math.abs(h.get(n, t, j) - state.h.get(n, j))).toBeLessThan(1e-12);
        }
        expectAllClose(`lstmForward ${seqName(c)}: cT`, cT, state.c, 1e-12);
      }),
      FC_OPTS,
    );
  });

  it('random N=1-3 T=1-10: dx, dh0, dc0, dWx, dWh, db match numerical gradients of sum(h dh) + sum(cT dcT)', () => {
    fc.assert(
      fc.property(seqCases(10), (c) => {
        const { x, h0, c0, Wx, Wh, b, rng } = seqData(c);
        const { h, cache } = lstmForward(x, h0, Wx, Wh, b, c0);
        const dh = rng.randn(h.shape);
        const dcT = rng.randn([c.N, c.H]);
        const g = lstmBackward(dh, cache, dcT);
        expect(g.dx.shape).toEqual([c.N, c.T, c.D]);
        const dout = joint(dh, dcT);
        const f = (x_: Tensor, h_: Tensor, c_: Tensor, wx: Tensor, wh: Tensor, b_: Tensor) => {
          const r = lstmForward(x_, h_, wx, wh, b_, c_);
          return joint(r.h, r.cT);
        };
        const name = `lstmBackward ${seqName(c)}`;
        expectGradient(`${name}: dx`, g.dx, numericalGradient((t) => f(t, h0, c0, Wx, Wh, b), x, dout, SMOOTH_H));
        expectGradient(`${name}: dh0`, g.dh0, numericalGradient((t) => f(x, t, c0, Wx, Wh, b), h0, dout, SMOOTH_H));
        expectGradient(`${name}: dc0`, g.dc0, numericalGradient((t) => f(x, h0, t, Wx, Wh, b), c0, dout, SMOOTH_H));
        expectGradient(`${name}: dWx`, g.dWx, numericalGradient((t) => f(x, h0, c0, t, Wh, b), Wx, dout, SMOOTH_H));
        expectGradient(`${name}: dWh`, g.dWh, numericalGradient((t) => f(x, h0, c0, Wx, t, b), Wh, dout, SMOOTH_H));
        expectGradient(`${name}: db`, g.db, numericalGradient((t) => f(x, h0, c0, Wx, Wh, t), b, dout, SMOOTH_H));
      }),
      FC_OPTS,
    );
  });

  it('N=2 T=12 D=3 H=5: a long sequence passes the same gradient check (dx, dWx, dWh)', () => {
    const c = { N: 2, T: 12, D: 3, H: 5, seed: 5 };
    const { x, h0, c0, Wx, Wh, b, rng } = seqData(c);
    const { h, cache } = lstmForward(x, h0, Wx, Wh, b, c0);
    const dh = rng.randn(h.shape);
    const g = lstmBackward(dh, cache);
    const f = (x_: Tensor, wx: Tensor, wh: Tensor) => lstmForward(x_, h0, wx, wh, b, c0).h;
    expectGradient('lstmBackward T=12: dx', g.dx, numericalGradient((t) => f(t, Wx, Wh), x, dh, SMOOTH_H));
    expectGradient('lstmBackward T=12: dWx', g.dWx, numericalGradient((t) => f(x, t, Wh), Wx, dh, SMOOTH_H));
    expectGradient('lstmBackward T=12: dWh', g.dWh, numericalGradient((t) => f(x, Wx, t), Wh, dh, SMOOTH_H));
  });

  it('a loss on the final cell state alone (dh = 0, dcT != 0) gives nonzero gradients that match sum(cT * dcT) numerically', () => {
    const c = { N: 2, T: 6, D: 3, H: 4, seed: 21 };
    const { x, h0, c0, Wx, Wh, b, rng } = seqData(c);
    const { cache } = lstmForward(x, h0, Wx, Wh, b, c0);
    const dcT = rng.randn([c.N, c.H]);
    const g = lstmBackward(Tensor.zeros([c.N, c.T, c.H]), cache, dcT);
    for (const [k, t] of Object.entries(g)) expect(maxAbs(t), `${k} is nonzero`).toBeGreaterThan(1e-3);
    const cT = (x_: Tensor, h_: Tensor, c_: Tensor, wx: Tensor, wh: Tensor, b_: Tensor) => lstmForward(x_, h_, wx, wh, b_, c_).cT;
    expectGradient('lstmBackward (cT loss): dx', g.dx, numericalGradient((t) => cT(t, h0, c0, Wx, Wh, b), x, dcT, SMOOTH_H));
    expectGradient('lstmBackward (cT loss): dh0', g.dh0, numericalGradient((t) => cT(x, t, c0, Wx, Wh, b), h0, dcT, SMOOTH_H));
    expectGradient('lstmBackward (cT loss): dc0', g.dc0, numericalGradient((t) => cT(x, h0, t, Wx, Wh, b), c0, dcT, SMOOTH_H));
    expectGradient('lstmBackward (cT loss): dWx', g.dWx, numericalGradient((t) => cT(x, h0, c0, t, Wh, b), Wx, dcT, SMOOTH_H));
    expectGradient('lstmBackward (cT loss): dWh', g.dWh, numericalGradient((t) => cT(x, h0, c0, Wx, t, b), Wh, dcT, SMOOTH_H));
    expectGradient('lstmBackward (cT loss): db', g.db, numericalGradient((t) => cT(x, h0, c0, Wx, Wh, t), b, dcT, SMOOTH_H));
  });

  it('defaults: no c0 is a zero c0, no dcT is a zero dcT', () => {
    const c = { N: 2, T: 3, D: 2, H: 3, seed: 4 };
    const { x, h0, Wx, Wh, b, rng } = seqData(c);
    const a = lstmForward(x, h0, Wx, Wh, b);
    const z = lstmForward(x, h0, Wx, Wh, b, Tensor.zeros([2, 3]));
    expect(a.h.data).toEqual(z.h.data);
    expect(a.cT.data).toEqual(z.cT.data);
    const dh = rng.randn(a.h.shape);
    expect(lstmBackward(dh, a.cache).dWx.data).toEqual(lstmBackward(dh, z.cache, Tensor.zeros([2, 3])).dWx.data);
  });

  it('forget gate saturated open (f bias +30) and input gate closed (i bias -30): c is carried unchanged over T=25 steps, and dc0 = dcT', () => {
    const N = 3;
    const D = 4;
    const H = 5;
    const T = 25;
    const rng = new Rng(8);
    const { Wx, Wh, b } = recurrentParams(rng, D, H, 4);
    for (let j = 0; j < H; j++) {
      b.set(-30, j); // i: sigmoid(-30 + O(1)) < 1e-12
      b.set(30, H + j); // f: 1 - sigmoid(...) < 1e-12
    }
    const x = rng.randn([N, T, D]);
    const h0 = rng.randn([N, H], 0.5);
    const c0 = rng.randn([N, H]);
    const { h, cT, cache } = lstmForward(x, h0, Wx, Wh, b, c0);
    expectAllClose('cT after 25 steps', cT, c0, 1e-9);
    // The hidden state still changes (the output gate reads x and h), only the cell is frozen.
    expect(Math.abs(h.get(0, T - 1, 0) - h.get(0, 0, 0))).toBeGreaterThan(1e-6);
    const dcT = rng.randn([N, H]);
    const { dc0 } = lstmBackward(Tensor.zeros(h.shape), cache, dcT);
    expectAllClose('dc0 = dcT through an open forget gate (Jacobian = I)', dc0, dcT, 1e-9);
  });
});

describe('lstmInitParams', () => {
  it('D=3 H=2: shapes; b = [0, 0, 1, 1, 0, 0, 0, 0] (forget-gate block = 1 by default)', () => {
    const p = lstmInitParams(3, 2, new Rng(0));
    expect(p.Wx.shape).toEqual([3, 8]);
    expect(p.Wh.shape).toEqual([2, 8]);
    expect(Array.from(p.b.data)).toEqual([0, 0, 1, 1, 0, 0, 0, 0]);
  });

  it('forgetBias option: 0 gives all-zero biases, 2.5 sets only columns [H, 2H)', () => {
    expect(Array.from(lstmInitParams(2, 3, new Rng(0), { forgetBias: 0 }).b.data)).toEqual(new Array(12).fill(0));
    expect(Array.from(lstmInitParams(2, 3, new Rng(0), { forgetBias: 2.5 }).b.data)).toEqual([0, 0, 0, 2.5, 2.5, 2.5, 0, 0, 0, 0, 0, 0]);
  });

  it('D=64 H=32: weights have std about 1/sqrt(fan-in)', () => {
    const p = lstmInitParams(64, 32, new Rng(1));
    const std = (t: Tensor) => Math.sqrt(t.data.reduce((a, v) => a + v * v, 0) / t.size);
    expect(std(p.Wx)).toBeCloseTo(1 / 8, 2);
    expect(std(p.Wh)).toBeCloseTo(1 / Math.sqrt(32), 2);
  });

  it('bad sizes or forgetBias: ValueError naming the argument and the value', () => {
    expect(() => lstmInitParams(3, 0, new Rng(0))).toThrow(new ValueError('lstmInitParams', 'H must be an integer >= 1, got 0'));
    expect(() => lstmInitParams(-1, 2, new Rng(0))).toThrow(new ValueError('lstmInitParams', 'D must be an integer >= 1, got -1'));
    expect(() => lstmInitParams(3, 2, new Rng(0), { forgetBias: NaN })).toThrow(new ValueError('lstmInitParams', 'forgetBias must be a finite number, got NaN'));
  });
});

describe('lstm input validation', () => {
  const x = Tensor.zeros([2, 5, 3]);
  const h0 = Tensor.zeros([2, 4]);
  const Wx = Tensor.zeros([3, 16]);
  const Wh = Tensor.zeros([4, 16]);
  const b = Tensor.zeros([16]);
  const order = '4H gate columns in the order i, f, g, o';
  it.each([
    ['empty sequence', () => lstmForward(Tensor.zeros([2, 0, 3]), h0, Wx, Wh, b), 'lstm: x must have at least one time step (T >= 1), got x [2,0,3]'],
    ['Wx with H instead of 4H columns', () => lstmForward(x, h0, Tensor.zeros([3, 4]), Wh, b), `lstm: Wx must be [D, 4H] = [3,16] for D = 3 (from x [2,5,3]) and hidden size H = 4 (from h0 [2,4]), ${order}, got [3,4]`],
    ['Wh for another H', () => lstmForward(x, h0, Wx, Tensor.zeros([5, 20]), b), `lstm: Wh must be [H, 4H] = [4,16] for hidden size H = 4 (from h0 [2,4]), ${order}, got [5,20]`],
    ['b for another H', () => lstmForward(x, h0, Wx, Wh, Tensor.zeros([12])), `lstm: b must be [4H] = [16] for hidden size H = 4 (from h0 [2,4]), ${order}, got [12]`],
    ['c0 hidden size', () => lstmForward(x, h0, Wx, Wh, b, Tensor.zeros([2, 5])), 'lstm: c0 must have shape [N, H] = [2,4] like h0, got [2,5]'],
    ['c0 1-D', () => lstmForward(x, h0, Wx, Wh, b, Tensor.zeros([4])), 'lstm: c0 must be 2-D [N, H], got [4]'],
    ['step prevC', () => lstmStepForward(Tensor.zeros([2, 3]), h0, Tensor.zeros([3, 4]), Wx, Wh, b), 'lstmStep: prevC must have shape [N, H] = [2,4] like prevH, got [3,4]'],
  ])('%s: ShapeError naming the op and the shapes', (_, fn, message) => {
    expect(fn).toThrow(ShapeError);
    expect(fn).toThrow(message);
  });

  it('NaN in c0 or prevC: ValueError before any work', () => {
    const bad = Tensor.zeros([2, 4]);
    bad.set(NaN, 1, 3);
    expect(() => lstmForward(x, h0, Wx, Wh, b, bad)).toThrow(new ValueError('lstm', 'c0 contains NaN at [1,3]'));
    expect(() => lstmStepForward(Tensor.zeros([2, 3]), h0, bad, Wx, Wh, b)).toThrow(new ValueError('lstmStep', 'prevC contains NaN at [1,3]'));
  });

  it('backward: wrong dh / dcT / dnextC shapes, NaN, foreign caches', () => {
    const { cache } = lstmForward(x, h0, Wx, Wh, b);
    expect(() => lstmBackward(Tensor.zeros([2, 5, 3]), cache)).toThrow(new ShapeError('lstmBackward', 'dh must have shape [2,5,4], got [2,5,3]'));
    expect(() => lstmBackward(Tensor.zeros([2, 5, 4]), cache, Tensor.zeros([2, 3]))).toThrow(new ShapeError('lstmBackward', 'dcT must have shape [2,4], got [2,3]'));
    expect(() => lstmBackward(Tensor.zeros([2, 5, 4]), cache, Tensor.full([2, 4], NaN))).toThrow(new ValueError('lstmBackward', 'dcT contains NaN at [0,0]'));
    expect(() => lstmBackward(Tensor.zeros([2, 5, 4]), { steps: [] } as LstmCache)).toThrow(ValueError);
    expect(() => lstmBackward(Tensor.zeros([2, 5, 4]), null as unknown as LstmCache)).toThrow(
      new ValueError('lstmBackward', 'cache must be the cache returned by lstmForward, got null'),
    );
    const step = lstmStepForward(Tensor.zeros([2, 3]), h0, Tensor.zeros([2, 4]), Wx, Wh, b).cache;
    expect(() => lstmStepBackward(Tensor.zeros([2, 4]), Tensor.zeros([2, 3]), step)).toThrow(
      new ShapeError('lstmStepBackward', 'dnextC must have shape [2,4], got [2,3]'),
    );
    expect(() => lstmStepBackward(Tensor.zeros([2, 4]), Tensor.zeros([2, 4]), cache as unknown as LstmStepCache)).toThrow(ValueError);
  });
});
