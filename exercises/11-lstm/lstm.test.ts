import { annotate, diagnoseLstmGateOrder, diagnoseLstmStepGateOrder, expectTensor, expectTensors, forAll, succeeds } from '@dlkata/exercise-support';
import { numericalGradient, Rng, Tensor } from '@dlkata/tensor';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { lstmBackward, lstmForward, lstmStepBackward, lstmStepForward } from './lstm.js';

/** Seed of the property-based tests; a failure prints it with the counterexample, so it replays exactly. */
const SEED = 20_240_111;

const sig = (z: number): number => 1 / (1 + Math.exp(-z));

/** The oracle: one LSTM step by the formulas, gate order i, f, g, o, with `get`/`set`. */
function oracleStep(x: Tensor, prevH: Tensor, prevC: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor): { h: Tensor; c: Tensor } {
  const [N, D] = x.shape;
  const H = prevH.shape[1];
  const h = Tensor.zeros([N, H]);
  const c = Tensor.zeros([N, H]);
  const pre = (n: number, col: number): number => {
    let s = b.get(col);
    for (let d = 0; d < D; d++) s += x.get(n, d) * Wx.get(d, col);
    for (let k = 0; k < H; k++) s += prevH.get(n, k) * Wh.get(k, col);
    return s;
  };
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      const i = sig(pre(n, j));
      const f = sig(pre(n, H + j));
      const g = Math.tanh(pre(n, 2 * H + j));
      const o = sig(pre(n, 3 * H + j));
      const cv = f * prevC.get(n, j) + i * g;
      c.set(cv, n, j);
      h.set(o * Math.tanh(cv), n, j);
    }
  }
  return { h, c };
}

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
    D: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  });

function name(c: SeqCase): string {
  return `N=${c.N} T=${c.T} D=${c.D} H=${c.H} seed=${c.seed}`;
}

/** Fan-in scaled weights and biases of 0.5: the gates work in their curved range. */
function inputs(c: SeqCase) {
  const rng = new Rng(c.seed);
  return {
    x: rng.randn([c.N, c.T, c.D]),
    h0: rng.randn([c.N, c.H], 0.5),
    c0: rng.randn([c.N, c.H], 0.5),
    Wx: rng.randn([c.D, 4 * c.H], 1 / Math.sqrt(c.D)),
    Wh: rng.randn([c.H, 4 * c.H], 1 / Math.sqrt(c.H)),
    b: rng.randn([4 * c.H], 0.5),
    rng,
  };
}

function stepInputs(c: SeqCase) {
  const { Wx, Wh, b, rng } = inputs(c);
  return { x: rng.randn([c.N, c.D]), prevH: rng.randn([c.N, c.H], 0.5), prevC: rng.randn([c.N, c.H], 0.5), Wx, Wh, b, rng };
}

/** Biases that shut the input gate and open the forget gate: the cell is carried. */
function carryBias(H: number, rng: Rng): Tensor {
  const b = rng.randn([4 * H], 0.5);
  for (let j = 0; j < H; j++) {
    b.data[j] = -50; // i = sigmoid(-50) ~ 2e-22: nothing is written
    b.data[H + j] = 50; // f = sigmoid(50) ~ 1: everything is kept
  }
  return b;
}

/** The sequence as a loop of `step` over t (the oracle's steps, or the student's own). */
function unroll(c: SeqCase, x: Tensor, h0: Tensor, c0: Tensor, step: (xt: Tensor, ph: Tensor, pc: Tensor) => { h: Tensor; c: Tensor }): { h: Tensor; cT: Tensor } {
  const h = Tensor.zeros([c.N, c.T, c.H]);
  let ph = h0;
  let pc = c0;
  for (let t = 0; t < c.T; t++) {
    const xt = Tensor.zeros([c.N, c.D]);
    for (let n = 0; n < c.N; n++) for (let d = 0; d < c.D; d++) xt.set(x.get(n, t, d), n, d);
    const s = step(xt, ph, pc);
    for (let n = 0; n < c.N; n++) for (let j = 0; j < c.H; j++) h.set(s.h.get(n, j), n, t, j);
    ph = s.h;
    pc = s.c;
  }
  return { h, cT: pc };
}

/** The student's lstmStepForward in the oracle's shape. */
function ownStep(x: Tensor, prevH: Tensor, prevC: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor): { h: Tensor; c: Tensor } {
  const r = lstmStepForward(x, prevH, prevC, Wx, Wh, b);
  return { h: r.nextH, c: r.nextC };
}

/** Whether the student's lstmStepForward differs from the formula on this case's weights. */
function stepIsWrong(c: SeqCase): boolean {
  const { x, prevH, prevC, Wx, Wh, b } = stepInputs({ ...c, T: 1 });
  const got = ownStep(x, prevH, prevC, Wx, Wh, b);
  const want = oracleStep(x, prevH, prevC, Wx, Wh, b);
  return !succeeds(() =>
    expectTensors('lstmStepForward', [
      { name: 'nextH', got: got.h, expected: want.h },
      { name: 'nextC', got: got.c, expected: want.c },
    ]),
  );
}

/**
 * Tests that set particular gates open or closed mean nothing while lstmStepForward is wrong
 * (e.g. reads the gates in another order): that mistake is charged by the step tests only.
 */
function gateTestsDoNotApply(): boolean {
  if (!stepIsWrong({ N: 2, T: 1, D: 3, H: 3, seed: 4 })) return false;
  annotate('your lstmStepForward is wrong (see its tests), so this test, which opens and closes particular gates, was not run against it.');
  return true;
}

describe('lstmStepForward', () => {
  test('x=[2,3] H=4: nextH [2,4], nextC [2,4]', () => {
    const { x, prevH, prevC, Wx, Wh, b } = stepInputs({ N: 2, T: 1, D: 3, H: 4, seed: 1 });
    const { nextH, nextC } = lstmStepForward(x, prevH, prevC, Wx, Wh, b);
    expect(nextH.shape, 'lstmStepForward: shape of nextH').toEqual([2, 4]);
    expect(nextC.shape, 'lstmStepForward: shape of nextC').toEqual([2, 4]);
  });

  test('gate order i, f, g, o: x = 0, prevH = 0, prevC = 1, b = [2, -1, 0.5, -3]: nextC = sigmoid(-1) + sigmoid(2) tanh(0.5), nextH = sigmoid(-3) tanh(nextC)', () => {
    const args = [Tensor.zeros([1, 1]), Tensor.zeros([1, 1]), Tensor.ones([1, 1]), Tensor.zeros([1, 4]), Tensor.zeros([1, 4]), Tensor.from([2, -1, 0.5, -3])] as const;
    const got = lstmStepForward(...args);
    const c = sig(-1) * 1 + sig(2) * Math.tanh(0.5);
    expectTensors(
      'lstmStepForward',
      [
        { name: 'nextC', got: got.nextC, expected: Tensor.from([[c]]) },
        { name: 'nextH', got: got.nextH, expected: Tensor.from([[sig(-3) * Math.tanh(c)]]) },
      ],
      { diagnose: () => diagnoseLstmStepGateOrder(...args, got) },
    );
  });

  test(`random N, D, H: nextH and nextC equal the formulas (seed ${SEED})`, () => {
    forAll(seqCases(1), { seed: SEED, runs: 40, name }, (c) => {
      const { x, prevH, prevC, Wx, Wh, b } = stepInputs(c);
      const got = lstmStepForward(x, prevH, prevC, Wx, Wh, b);
      const want = oracleStep(x, prevH, prevC, Wx, Wh, b);
      expectTensors(
        'lstmStepForward',
        [
          { name: 'nextC', got: got.nextC, expected: want.c },
          { name: 'nextH', got: got.nextH, expected: want.h },
        ],
        { diagnose: () => diagnoseLstmStepGateOrder(x, prevH, prevC, Wx, Wh, b, got) },
      );
    });
  });
});

describe('lstmStepBackward', () => {
  test('x=[2,3] H=4: dx [2,3], dprevH [2,4], dprevC [2,4], dWx [3,16], dWh [4,16], db [16]', () => {
    const { x, prevH, prevC, Wx, Wh, b, rng } = stepInputs({ N: 2, T: 1, D: 3, H: 4, seed: 2 });
    const { cache } = lstmStepForward(x, prevH, prevC, Wx, Wh, b);
    const g = lstmStepBackward(rng.randn([2, 4]), rng.randn([2, 4]), cache);
    expect([g.dx.shape, g.dprevH.shape, g.dprevC.shape, g.dWx.shape, g.dWh.shape, g.db.shape], 'shapes of dx, dprevH, dprevC, dWx, dWh, db').toEqual([[2, 3], [2, 4], [2, 4], [3, 16], [4, 16], [16]]);
  });

  test(`random N, D, H: every gradient matches the numerical gradient of your lstmStepForward, loss sum(nextH dnextH) + sum(nextC dnextC) (seed ${SEED})`, () => {
    forAll(seqCases(1), { seed: SEED, runs: 20, name }, (c) => {
      const { x, prevH, prevC, Wx, Wh, b, rng } = stepInputs(c);
      const { cache } = lstmStepForward(x, prevH, prevC, Wx, Wh, b);
      const dnextH = rng.randn([c.N, c.H]);
      const dnextC = rng.randn([c.N, c.H]);
      const g = lstmStepBackward(dnextH, dnextC, cache);
      // Both outputs side by side, [N, 2H], so one numerical gradient sees both upstream gradients.
      const both = (s: { nextH: Tensor; nextC: Tensor }): Tensor => {
        const out = Tensor.zeros([c.N, 2 * c.H]);
        for (let n = 0; n < c.N; n++) {
          out.data.set(s.nextH.data.subarray(n * c.H, (n + 1) * c.H), n * 2 * c.H);
          out.data.set(s.nextC.data.subarray(n * c.H, (n + 1) * c.H), n * 2 * c.H + c.H);
        }
        return out;
      };
      const dout = both({ nextH: dnextH, nextC: dnextC });
      const f = (a: Tensor[]): Tensor => both(lstmStepForward(a[0], a[1], a[2], a[3], a[4], a[5]));
      const args = [x, prevH, prevC, Wx, Wh, b];
      const grads = [g.dx, g.dprevH, g.dprevC, g.dWx, g.dWh, g.db];
      expectTensors(
        'lstmStepBackward',
        ['dx', 'dprevH', 'dprevC', 'dWx', 'dWh', 'db'].map((gname, k) => ({
          name: gname,
          got: grads[k],
          expected: numericalGradient((t) => f(args.map((a, i) => (i === k ? t : a))), args[k], dout),
        })),
        { against: 'numerical' },
      );
    });
  });
});

describe('lstmForward', () => {
  test('x=[2,5,3] h0=[2,4]: h [2,5,4], cT [2,4], 5 step caches; c0 defaults to zeros', () => {
    const { x, h0, Wx, Wh, b } = inputs({ N: 2, T: 5, D: 3, H: 4, seed: 3 });
    const { h, cT, cache } = lstmForward(x, h0, Wx, Wh, b);
    expect(h.shape, 'lstmForward: shape of h').toEqual([2, 5, 4]);
    expect(cT.shape, 'lstmForward: shape of cT').toEqual([2, 4]);
    expect(cache.steps.length, 'number of step caches').toBe(5);
    expectTensor('lstmForward: cT with c0 omitted vs c0 = zeros', cT, lstmForward(x, h0, Wx, Wh, b, Tensor.zeros([2, 4])).cT);
  });

  test('forget gate fully open, input gate closed: the cell state is carried unchanged across T = 20 steps (cT = c0)', () => {
    if (gateTestsDoNotApply()) return;
    const rng = new Rng(4);
    const [N, T, D, H] = [2, 20, 3, 3];
    const c0 = rng.randn([N, H]);
    const { cT, h } = lstmForward(rng.randn([N, T, D]), rng.randn([N, H]), rng.randn([D, 4 * H]), rng.randn([H, 4 * H], 0.5), carryBias(H, rng), c0);
    expectTensor('lstmForward: cT (must equal c0)', cT, c0, { tol: 1e-12, atol: 1e-15 });
    expect(Array.from(h.data).some((v) => v !== 0), 'the output gate still reads the carried cell: h is not zero').toBe(true);
  });

  test(`random N, T, D, H: h and cT equal the formulas applied step by step (seed ${SEED})`, () => {
    forAll(seqCases(6), { seed: SEED, runs: 25, name }, (c) => {
      const { x, h0, c0, Wx, Wh, b } = inputs(c);
      const got = lstmForward(x, h0, Wx, Wh, b, c0);
      const oracle = unroll(c, x, h0, c0, (xt, ph, pc) => oracleStep(xt, ph, pc, Wx, Wh, b));
      const checks = (want: { h: Tensor; cT: Tensor }) => [
        { name: 'h', got: got.h, expected: want.h },
        { name: 'cT', got: got.cT, expected: want.cT },
      ];
      if (stepIsWrong(c) && succeeds(() => expectTensors('lstmForward', checks(unroll(c, x, h0, c0, (xt, ph, pc) => ownStep(xt, ph, pc, Wx, Wh, b)))))) {
        // One mistake costs once: a wrong step is charged by the step tests; here the sequence is
        // checked as the composition of YOUR lstmStepForward.
        annotate('your lstmStepForward is wrong (see its tests); lstmForward was checked as the composition of your own steps, and matches it.');
        return;
      }
      expectTensors('lstmForward', checks(oracle), { diagnose: () => diagnoseLstmGateOrder(x, h0, Wx, Wh, b, c0, got) });
    });
  });
});

describe('lstmBackward', () => {
  /** All gradients against numerical gradients of L = sum(h dh) + sum(cT dcT). */
  function checkAll(c: SeqCase, zeroDh: boolean, withDcT: boolean): void {
    const { x, h0, c0, Wx, Wh, b, rng } = inputs(c);
    const { h, cache } = lstmForward(x, h0, Wx, Wh, b, c0);
    const dh = zeroDh ? Tensor.zeros(h.shape) : rng.randn(h.shape);
    const dcT = withDcT ? rng.randn([c.N, c.H]) : undefined;
    const g = lstmBackward(dh, cache, dcT);
    const L = (a: Tensor[]): Tensor => {
      const r = lstmForward(a[0], a[1], a[2], a[3], a[4], a[5]);
      let s = 0;
      for (let i = 0; i < r.h.size; i++) s += r.h.data[i] * dh.data[i];
      if (dcT) for (let i = 0; i < r.cT.size; i++) s += r.cT.data[i] * dcT.data[i];
      return Tensor.from([s]);
    };
    const args = [x, h0, Wx, Wh, b, c0];
    const grads = [g.dx, g.dh0, g.dWx, g.dWh, g.db, g.dc0];
    expectTensors(
      'lstmBackward',
      ['dx', 'dh0', 'dWx', 'dWh', 'db', 'dc0'].map((gname, k) => ({
        name: gname,
        got: grads[k],
        expected: numericalGradient((t) => L(args.map((a, i) => (i === k ? t : a))), args[k], Tensor.from([1])),
      })),
      { against: 'numerical', case: `${name(c)}${withDcT ? ', with dcT' : ''}${zeroDh ? ', dh = 0' : ''}` },
    );
  }

  test('x=[2,5,3] H=4: dx [2,5,3], dh0 [2,4], dc0 [2,4], dWx [3,16], dWh [4,16], db [16]', () => {
    const { x, h0, Wx, Wh, b, rng } = inputs({ N: 2, T: 5, D: 3, H: 4, seed: 5 });
    const { h, cache } = lstmForward(x, h0, Wx, Wh, b);
    const g = lstmBackward(rng.randn(h.shape), cache);
    expect([g.dx.shape, g.dh0.shape, g.dc0.shape, g.dWx.shape, g.dWh.shape, g.db.shape], 'shapes of dx, dh0, dc0, dWx, dWh, db').toEqual([[2, 5, 3], [2, 4], [2, 4], [3, 16], [4, 16], [16]]);
  });

  test(`random N, T, D, H: every gradient matches the numerical gradient of sum(h dh) (seed ${SEED})`, () => {
    forAll(seqCases(5), { seed: SEED, runs: 10, name }, (c) => checkAll(c, false, false));
  });

  test(`gradient from the final cell state: dh = 0, dcT random: every gradient matches the numerical gradient of sum(cT dcT) (seed ${SEED})`, () => {
    forAll(seqCases(5), { seed: SEED, runs: 10, name }, (c) => checkAll(c, true, true));
  });

  test('forget gate open, input gate closed: the gradient of the final cell state reaches c0 unchanged (dc0 = dcT) over T = 20 steps', () => {
    if (gateTestsDoNotApply()) return;
    const rng = new Rng(6);
    const [N, T, D, H] = [2, 20, 3, 3];
    const { h, cache } = lstmForward(rng.randn([N, T, D]), rng.randn([N, H]), rng.randn([D, 4 * H]), rng.randn([H, 4 * H], 0.5), carryBias(H, rng), rng.randn([N, H]));
    const dcT = rng.randn([N, H]);
    const { dc0 } = lstmBackward(Tensor.zeros(h.shape), cache, dcT);
    expectTensor('lstmBackward: dc0 (must equal dcT)', dc0, dcT, { tol: 1e-12, atol: 1e-15 });
  });
});
