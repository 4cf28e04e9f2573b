import { annotate, diagnoseRnnStep, expectGradients, expectTensor, forAll, GRAD_TOL, succeeds } from '@dlkata/exercise-support';
import { numericalGradient, Rng, Tensor } from '@dlkata/tensor';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { rnnBackward, rnnForward, rnnStepBackward, rnnStepForward, type RnnCache, type RnnStepCache } from './rnn.js';

/** Seed of the property-based tests; a failure prints it with the counterexample, so it replays exactly. */
const SEED = 20_240_109;

/** The oracle: one step by the formula, with `get`/`set` (independent of the exercise's code). */
function oracleStep(x: Tensor, prevH: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor): Tensor {
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

/** The oracle over a sequence: `h[:, t, :] = oracleStep(x[:, t, :], h[:, t-1, :])`. */
function oracleSequence(x: Tensor, h0: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor): Tensor {
  return sequenceOf(x, h0, (xt, prev) => oracleStep(xt, prev, Wx, Wh, b));
}

/** The cache a right rnnForward returns (the exercise fixes its type): one oracle step cache per time step. */
function oracleCache(x: Tensor, h0: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor): RnnCache {
  const steps: RnnStepCache[] = [];
  sequenceOf(x, h0, (xt, prevH) => {
    const nextH = oracleStep(xt, prevH, Wx, Wh, b);
    steps.push({ x: xt, prevH, Wx, Wh, nextH });
    return nextH;
  });
  return { steps };
}

/** A sequence as a loop of `step` over t (the oracle's step, or the student's own). */
function sequenceOf(x: Tensor, h0: Tensor, step: (xt: Tensor, prevH: Tensor) => Tensor): Tensor {
  const [N, T, D] = x.shape;
  const H = h0.shape[1];
  const h = Tensor.zeros([N, T, H]);
  let prev = h0;
  for (let t = 0; t < T; t++) {
    const xt = Tensor.zeros([N, D]);
    for (let n = 0; n < N; n++) for (let d = 0; d < D; d++) xt.set(x.get(n, t, d), n, d);
    prev = step(xt, prev);
    for (let n = 0; n < N; n++) for (let j = 0; j < H; j++) h.set(prev.get(n, j), n, t, j);
  }
  return h;
}

/** A random sequence configuration. */
interface SeqCase {
  N: number;
  T: number;
  D: number;
  H: number;
  seed: number;
}
const seqCases = (maxT: number): fc.Arbitrary<SeqCase> =>
  fc.record({
    N: fc.integer({ min: 1, max: 3 }),
    T: fc.integer({ min: 1, max: maxT }),
    D: fc.integer({ min: 1, max: 4 }),
    H: fc.integer({ min: 1, max: 4 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  });

function name(c: SeqCase): string {
  return `N=${c.N} T=${c.T} D=${c.D} H=${c.H} seed=${c.seed}`;
}

/** Weights scaled by fan-in and biases of 0.5, so tanh works in its curved range (neither linear nor flat). */
function inputs(c: SeqCase) {
  const rng = new Rng(c.seed);
  return {
    x: rng.randn([c.N, c.T, c.D]),
    h0: rng.randn([c.N, c.H], 0.5),
    Wx: rng.randn([c.D, c.H], 1 / Math.sqrt(c.D)),
    Wh: rng.randn([c.H, c.H], 1 / Math.sqrt(c.H)),
    b: rng.randn([c.H], 0.5),
    rng,
  };
}

/** The step case of a sequence case: x and prevH for one step. */
function stepInputs(c: SeqCase) {
  const { Wx, Wh, b, rng } = inputs(c);
  return { x: rng.randn([c.N, c.D]), prevH: rng.randn([c.N, c.H], 0.5), Wx, Wh, b, rng };
}

/**
 * Checks rnnForward's h. One mistake costs once: while rnnStepForward is wrong (its tests
 * charge it), h only has to be the composition of the student's own steps.
 */
function expectSequence(h: Tensor, expected: Tensor, x: Tensor, h0: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor): void {
  const [N, , D] = x.shape;
  const probe = { N, T: 1, D, H: h0.shape[1], seed: 0 };
  if (stepIsWrong(probe) && succeeds(() => expectTensor('rnnForward: h', h, sequenceOf(x, h0, (xt, ph) => rnnStepForward(xt, ph, Wx, Wh, b).nextH)))) {
    annotate('your rnnStepForward is wrong (see its tests); rnnForward was checked as the composition of your own steps, and matches it.');
    return;
  }
  expectTensor('rnnForward: h', h, expected);
}

/** Whether the student's rnnStepForward differs from the formula on this case's weights. */
function stepIsWrong(c: SeqCase): boolean {
  const { x, prevH, Wx, Wh, b } = stepInputs({ ...c, T: 1 });
  return !succeeds(() => expectTensor('rnnStepForward: nextH', rnnStepForward(x, prevH, Wx, Wh, b).nextH, oracleStep(x, prevH, Wx, Wh, b)));
}

describe('rnnStepForward', () => {
  test('x=[1,2] H=2: nextH = tanh(x Wx + prevH Wh + b), by hand', () => {
    const args = [Tensor.from([[1, 2]]), Tensor.from([[0.5, -1]]), Tensor.from([[0.1, 0.2], [0.3, 0.4]]), Tensor.from([[1, 0], [0, 1]]), Tensor.from([0, -0.5])] as const;
    const { nextH } = rnnStepForward(...args);
    expect(nextH.shape, 'rnnStepForward: shape of nextH').toEqual([1, 2]);
    expectTensor('rnnStepForward: nextH', nextH, Tensor.from([[Math.tanh(0.1 + 0.6 + 0.5), Math.tanh(0.2 + 0.8 - 1 - 0.5)]]), undefined, {
      diagnose: () => diagnoseRnnStep(...args, nextH),
    });
  });

  test('x=[3,5] prevH=[3,4]: nextH [3,4], every entry in (-1, 1); the cache holds x, prevH, Wx, Wh, nextH', () => {
    const rng = new Rng(1);
    const x = rng.randn([3, 5], 3);
    const { nextH, cache } = rnnStepForward(x, rng.randn([3, 4]), rng.randn([5, 4]), rng.randn([4, 4]), rng.randn([4]));
    expect(nextH.shape, 'rnnStepForward: shape of nextH').toEqual([3, 4]);
    expect(Array.from(nextH.data).every((v) => v > -1 && v < 1), 'tanh keeps every entry in (-1, 1)').toBe(true);
    expect(cache.x, 'cache.x is the input').toBe(x);
    expect(cache.nextH, 'cache.nextH is the output').toBe(nextH);
  });

  test(`random N, D, H: nextH equals the formula (seed ${SEED})`, () => {
    forAll(seqCases(1), { seed: SEED, runs: 40, name }, (c) => {
      const { x, prevH, Wx, Wh, b } = stepInputs(c);
      const { nextH } = rnnStepForward(x, prevH, Wx, Wh, b);
      expectTensor('rnnStepForward: nextH', nextH, oracleStep(x, prevH, Wx, Wh, b), undefined, { diagnose: () => diagnoseRnnStep(x, prevH, Wx, Wh, b, nextH) });
    });
  });
});

describe('rnnStepBackward', () => {
  test('x=[2,3] H=4: dx [2,3], dprevH [2,4], dWx [3,4], dWh [4,4], db [4]', () => {
    const c = { N: 2, T: 1, D: 3, H: 4, seed: 2 };
    const { x, prevH, Wx, Wh, b, rng } = stepInputs(c);
    const { cache } = rnnStepForward(x, prevH, Wx, Wh, b);
    const g = rnnStepBackward(rng.randn([2, 4]), cache);
    expect(g.dx.shape, 'shape of dx').toEqual([2, 3]);
    expect(g.dprevH.shape, 'shape of dprevH').toEqual([2, 4]);
    expect(g.dWx.shape, 'shape of dWx').toEqual([3, 4]);
    expect(g.dWh.shape, 'shape of dWh').toEqual([4, 4]);
    expect(g.db.shape, 'shape of db').toEqual([4]);
  });

  test('N=1 D=1 H=1, x=1, prevH=0, Wx=w, Wh=0, b=0, dnextH=1: dWx = 1 - tanh(w)^2 (the derivative of tanh)', () => {
    const w = 0.8;
    const { cache } = rnnStepForward(Tensor.from([[1]]), Tensor.zeros([1, 1]), Tensor.from([[w]]), Tensor.zeros([1, 1]), Tensor.zeros([1]));
    const g = rnnStepBackward(Tensor.ones([1, 1]), cache);
    expectTensor('rnnStepBackward: dWx', g.dWx, Tensor.from([[1 - Math.tanh(w) ** 2]]));
    expectTensor('rnnStepBackward: db', g.db, Tensor.from([1 - Math.tanh(w) ** 2]));
  });

  test(`random N, D, H: dx, dprevH, dWx, dWh, db match numerical gradients of your rnnStepForward (seed ${SEED})`, () => {
    forAll(seqCases(1), { seed: SEED, runs: 25, name }, (c) => {
      const { x, prevH, Wx, Wh, b, rng } = stepInputs(c);
      const { cache } = rnnStepForward(x, prevH, Wx, Wh, b);
      const dout = rng.randn([c.N, c.H]);
      const g = rnnStepBackward(dout, cache);
      const f = (xx: Tensor, hh: Tensor, wx: Tensor, wh: Tensor, bb: Tensor): Tensor => rnnStepForward(xx, hh, wx, wh, bb).nextH;
      const numerical = (fwd: typeof f) => ({
        dx: numericalGradient((t) => fwd(t, prevH, Wx, Wh, b), x, dout),
        dprevH: numericalGradient((t) => fwd(x, t, Wx, Wh, b), prevH, dout),
        dWx: numericalGradient((t) => fwd(x, prevH, t, Wh, b), Wx, dout),
        dWh: numericalGradient((t) => fwd(x, prevH, Wx, t, b), Wh, dout),
        db: numericalGradient((t) => fwd(x, prevH, Wx, Wh, t), b, dout),
      });
      expectGradients('rnnStepBackward', { ...g }, {
        forward: 'rnnStepForward',
        forwardOk: !stepIsWrong(c),
        prefer: 'numerical',
        reference: () => numerical(oracleStep),
        referenceTol: GRAD_TOL,
        ownNumerical: () => numerical(f),
        onReferenceCache: () => ({ ...rnnStepBackward(dout, { x, prevH, Wx, Wh, nextH: oracleStep(x, prevH, Wx, Wh, b) }) }),
      });
    });
  });
});

describe('rnnForward', () => {
  test('x=[2,5,3] h0=[2,4]: h [2,5,4], one step cache per time step', () => {
    const { x, h0, Wx, Wh, b } = inputs({ N: 2, T: 5, D: 3, H: 4, seed: 3 });
    const { h, cache } = rnnForward(x, h0, Wx, Wh, b);
    expect(h.shape, 'rnnForward: shape of h').toEqual([2, 5, 4]);
    expect(cache.steps.length, 'rnnForward: number of step caches').toBe(5);
  });

  test('T=1: the sequence is one step, h[:, 0, :] = rnnStepForward(x[:, 0, :], h0)', () => {
    const { x, h0, Wx, Wh, b } = inputs({ N: 2, T: 1, D: 3, H: 2, seed: 4 });
    const { h } = rnnForward(x, h0, Wx, Wh, b);
    expectSequence(h, oracleStep(x.reshape([2, 3]), h0, Wx, Wh, b).reshape([2, 1, 2]), x, h0, Wx, Wh, b);
  });

  test('x = 0, b = 0, Wh = I: h_t = tanh(h_{t-1}), applied t + 1 times to h0', () => {
    const h0 = Tensor.from([[0.9, -0.4]]);
    const args = [Tensor.zeros([1, 3, 1]), h0, Tensor.zeros([1, 2]), Tensor.from([[1, 0], [0, 1]]), Tensor.zeros([2])] as const;
    const { h } = rnnForward(...args);
    const a = [Math.tanh(0.9), Math.tanh(-0.4)];
    const b2 = a.map(Math.tanh);
    const c3 = b2.map(Math.tanh);
    expectSequence(h, Tensor.from([[a, b2, c3]]), ...args);
  });

  test(`random N, T, D, H: h equals the formula applied step by step (seed ${SEED})`, () => {
    forAll(seqCases(8), { seed: SEED, runs: 30, name }, (c) => {
      const { x, h0, Wx, Wh, b } = inputs(c);
      expectSequence(rnnForward(x, h0, Wx, Wh, b).h, oracleSequence(x, h0, Wx, Wh, b), x, h0, Wx, Wh, b);
    });
  });
});

describe('rnnBackward', () => {
  test('x=[2,5,3] H=4: dx [2,5,3], dh0 [2,4], dWx [3,4], dWh [4,4], db [4]', () => {
    const { x, h0, Wx, Wh, b, rng } = inputs({ N: 2, T: 5, D: 3, H: 4, seed: 5 });
    const { h, cache } = rnnForward(x, h0, Wx, Wh, b);
    const g = rnnBackward(rng.randn(h.shape), cache);
    expect(g.dx.shape, 'shape of dx').toEqual([2, 5, 3]);
    expect(g.dh0.shape, 'shape of dh0').toEqual([2, 4]);
    expect(g.dWx.shape, 'shape of dWx').toEqual([3, 4]);
    expect(g.dWh.shape, 'shape of dWh').toEqual([4, 4]);
    expect(g.db.shape, 'shape of db').toEqual([4]);
  });

  test('T=4, loss on the last hidden state only: the gradient still reaches x at t = 0 and h0', () => {
    const { x, h0, Wx, Wh, b } = inputs({ N: 1, T: 4, D: 2, H: 3, seed: 6 });
    const { h, cache } = rnnForward(x, h0, Wx, Wh, b);
    const dh = Tensor.zeros(h.shape);
    for (let j = 0; j < 3; j++) dh.set(1, 0, 3, j);
    const g = rnnBackward(dh, cache);
    const first = [g.dx.get(0, 0, 0), g.dx.get(0, 0, 1)];
    expect(first.some((v) => v !== 0), `rnnBackward: dx[0, 0, :] = [${first}] must not be zero: the gradient flows back through time`).toBe(true);
    expect(Array.from(g.dh0.data).some((v) => v !== 0), 'rnnBackward: dh0 must not be zero').toBe(true);
  });

  test('T=3: dWh is the SUM over time steps of each step\'s dWh (shared weights accumulate)', () => {
    const { x, h0, Wx, Wh, b, rng } = inputs({ N: 2, T: 3, D: 2, H: 3, seed: 7 });
    const { h, cache } = rnnForward(x, h0, Wx, Wh, b);
    const dh = rng.randn(h.shape);
    const g = rnnBackward(dh, cache);
    // The same sum, step by step, with your rnnStepBackward.
    const sum = Tensor.zeros([3, 3]);
    let dprev = Tensor.zeros([2, 3]);
    for (let t = 2; t >= 0; t--) {
      const dnext = Tensor.zeros([2, 3]);
      for (let n = 0; n < 2; n++) for (let j = 0; j < 3; j++) dnext.set(dh.get(n, t, j) + dprev.get(n, j), n, j);
      const s = rnnStepBackward(dnext, cache.steps[t]);
      for (let i = 0; i < 9; i++) sum.data[i] += s.dWh.data[i];
      dprev = s.dprevH;
    }
    expectTensor('rnnBackward: dWh (must be the sum of the 3 steps\' dWh)', g.dWh, sum);
  });

  test(`random N, T, D, H: dx, dh0, dWx, dWh, db match numerical gradients of your rnnForward (seed ${SEED})`, () => {
    forAll(seqCases(6), { seed: SEED, runs: 15, name }, (c) => {
      const { x, h0, Wx, Wh, b, rng } = inputs(c);
      const { h, cache } = rnnForward(x, h0, Wx, Wh, b);
      const dh = rng.randn(h.shape);
      const g = rnnBackward(dh, cache);
      const f = (xx: Tensor, hh: Tensor, wx: Tensor, wh: Tensor, bb: Tensor): Tensor => rnnForward(xx, hh, wx, wh, bb).h;
      const numerical = (fwd: typeof f) => ({
        dx: numericalGradient((t) => fwd(t, h0, Wx, Wh, b), x, dh),
        dh0: numericalGradient((t) => fwd(x, t, Wx, Wh, b), h0, dh),
        dWx: numericalGradient((t) => fwd(x, h0, t, Wh, b), Wx, dh),
        dWh: numericalGradient((t) => fwd(x, h0, Wx, t, b), Wh, dh),
        db: numericalGradient((t) => fwd(x, h0, Wx, Wh, t), b, dh),
      });
      expectGradients('rnnBackward', { ...g }, {
        forward: 'rnnForward',
        forwardOk: succeeds(() => expectTensor('rnnForward: h', h, oracleSequence(x, h0, Wx, Wh, b))),
        prefer: 'numerical',
        reference: () => numerical(oracleSequence),
        referenceTol: GRAD_TOL,
        ownNumerical: () => numerical(f),
        onReferenceCache: () => ({ ...rnnBackward(dh, oracleCache(x, h0, Wx, Wh, b)) }),
      });
    });
  });
});
