/**
 * Grading suite of exercise 11, LSTM (`lstm.ts`): `lstmStepForward`, `lstmStepBackward`,
 * `lstmForward`, `lstmBackward`, checked against `@dlkata/rnn` in PyTorch's gate order
 * i, f, g, o.
 *
 * The tests are cut so that a realistic bug costs points in the test that names it and
 * nowhere else: the step apart from the sequence; the lecture's property (forget gate open,
 * input gate shut: the cell is carried unchanged) on its own; the sequence backward separately
 * for the gradients through time, for the shared weights, and for a loss on the final cell
 * state alone (a dropped `dcT` costs only that test).
 *
 * A forward pass that matches the reference with the gate blocks permuted is named: "your code
 * reads the gates in the order i, f, o, g". A wrong sequence backward is localised in time as
 * in exercise 09 ({@link diagnoseSequence}).
 *
 * @module
 */
import fc from 'fast-check';
import { compareTensors, Tensor } from '@dlkata/tensor';
import {
  LSTM_GATE_ORDER,
  lstmBackward as refBackward,
  lstmForward as refForward,
  lstmStepBackward as refStepBackward,
  lstmStepForward as refStepForward,
} from '@dlkata/rnn';
import { cacheOf, describeSeq, diagnoseSequence, expectAll, firstDifference, ownCompositionNote, ownStepsNote, seqCases, seqOf, seqTensors, stepOf, type SeqCase, type SeqTensors, type StepwiseReference } from './09-rnn.js';
import { permuteGates, WRONG_GATE_ORDERS, type Gate } from '../diagnose/index.js';
import { carriesSignal, checkProperty, expectField, flatConcat, gradeGradients, TOL } from './harness.js';
import { TestFailure, type Suite, type SuiteTest, type TestContext } from './types.js';

/**
 * The gate order a wrong forward output corresponds to, if any: `run(order)` computes the
 * reference outputs with the weights permuted as for that order.
 */
function detectGateOrder(fn: string, result: unknown, run: (order: readonly Gate[]) => Record<string, Tensor>): string {
  for (const order of WRONG_GATE_ORDERS) {
    if (firstDifference(fn, result, run(order)) === null) {
      return `Your ${fn} reads the four gate blocks in the order ${order.join(', ')}${order.join() === 'i,f,o,g' ? " (CS231n's order)" : ''}; this exercise uses PyTorch's i, f, g, o: columns [0, H) input gate i, [H, 2H) forget gate f, [2H, 3H) cell candidate g, [3H, 4H) output gate o.`;
    }
  }
  return '';
}

function stepOutputs(s: SeqTensors, H: number, order: readonly Gate[]): Record<string, Tensor> {
  const r = refStepForward(stepOf(s.x, 0), s.h0, s.c0, permuteGates(s.Wx, H, order), permuteGates(s.Wh, H, order), permuteGates(s.b, H, order));
  return { nextH: r.nextH, nextC: r.nextC };
}

function seqOutputs(s: SeqTensors, H: number, order: readonly Gate[]): Record<string, Tensor> {
  const r = refForward(s.x, s.h0, permuteGates(s.Wx, H, order), permuteGates(s.Wh, H, order), permuteGates(s.b, H, order), s.c0);
  return { h: r.h, cT: r.cT };
}

/** The step-by-step reference of an LSTM sequence case. */
function lstmStepwise(ctx: TestContext, s: SeqTensors, dh: Tensor, dcT: Tensor | undefined): StepwiseReference {
  const fwd = refForward(s.x, s.h0, s.Wx, s.Wh, s.b, s.c0);
  const T = s.x.shape[1];
  const walk = (carry: boolean) => {
    const out: Array<Record<string, Tensor>> = new Array(T);
    let dprevH = Tensor.zeros(s.h0.shape);
    let dprevC = dcT ? dcT.clone() : Tensor.zeros(s.h0.shape);
    for (let t = T - 1; t >= 0; t--) {
      const dnextH = stepOf(dh, t);
      if (carry) for (let i = 0; i < dnextH.size; i++) dnextH.data[i] += dprevH.data[i];
      const dnextC = carry || t === T - 1 ? dprevC : Tensor.zeros(s.h0.shape);
      const g = refStepBackward(dnextH, dnextC, fwd.cache.steps[t]);
      out[t] = { dx: g.dx, dprevH: g.dprevH, dprevC: g.dprevC, dWx: g.dWx, dWh: g.dWh, db: g.db, dnextH, dnextC };
      dprevH = g.dprevH;
      dprevC = g.dprevC;
    }
    return out;
  };
  const withCarry = walk(true);
  const without = walk(false);
  const sum = (list: Array<Record<string, Tensor>>, k: string): Tensor => {
    const out = Tensor.zeros(list[0][k].shape);
    for (const g of list) for (let i = 0; i < out.size; i++) out.data[i] += g[k].data[i];
    return out;
  };
  const strip = (g: Record<string, Tensor>): Record<string, Tensor> => ({ dx: g.dx, dprevH: g.dprevH, dprevC: g.dprevC, dWx: g.dWx, dWh: g.dWh, db: g.db });
  return {
    T,
    steps: withCarry.map(strip),
    noCarry: { dWx: sum(without, 'dWx'), dWh: sum(without, 'dWh'), db: sum(without, 'db'), dh0: without[0].dprevH, dc0: without[0].dprevC, dx: seqOf(without.map((g) => g.dx)) },
    studentStep: async (t) => {
      const st = fwd.cache.steps[t];
      const f = await ctx.call('lstmStepForward', [st.x, st.prevH, st.prevC, s.Wx, s.Wh, s.b], ['cache']);
      return ctx.call('lstmStepBackward', [withCarry[t].dnextH, withCarry[t].dnextC, cacheOf(f, 'lstmStepForward', 'lstmStepBackward')]);
    },
    stepForward: 'lstmStepForward',
    stepBackward: 'lstmStepBackward',
  };
}

/** The student's own `lstmStepForward` composed over the sequence from `h0`, `c0`; see exercise 09's `rnnOwnSteps`. */
async function lstmOwnSteps(ctx: TestContext, s: SeqTensors): Promise<{ h: Tensor; cT: Tensor; stepProblem: string | null }> {
  const T = s.x.shape[1];
  const hs: Tensor[] = [];
  let prevH = s.h0;
  let prevC = s.c0;
  let stepProblem: string | null = null;
  for (let t = 0; t < T; t++) {
    const x = stepOf(s.x, t);
    const want = refStepForward(x, prevH, prevC, s.Wx, s.Wh, s.b);
    const r = await ctx.call('lstmStepForward', [x, prevH, prevC, s.Wx, s.Wh, s.b]);
    const nextH = expectField(r, 'lstmStepForward', 'nextH', want.nextH.shape);
    const nextC = expectField(r, 'lstmStepForward', 'nextC', want.nextC.shape);
    stepProblem ??= firstDifference('lstmStepForward', r, { nextH: want.nextH, nextC: want.nextC });
    hs.push(nextH);
    prevH = nextH;
    prevC = nextC;
  }
  return { h: seqOf(hs), cT: prevC, stepProblem };
}

/**
 * The student's own steps composed into a whole pass (see exercise 09's `rnnOwnBackward`):
 * `lstmStepForward` from `h0`, `c0` over the student's own states, then `lstmStepBackward`
 * from the last step down with the student's own carried `dprevH`, `dprevC`.
 *
 * @returns the composed gradients, or null when the student's `h`, `cT` are not the composition of their steps (or a step call fails)
 */
async function lstmOwnBackward(ctx: TestContext, s: SeqTensors, h: Tensor, cT: Tensor, dh: Tensor, dcT: Tensor | undefined): Promise<Record<string, Tensor> | null> {
  try {
    const [N, T] = s.x.shape;
    const H = s.h0.shape[1];
    const caches: unknown[] = [];
    const hs: Tensor[] = [];
    let prevH = s.h0;
    let prevC = s.c0;
    for (let t = 0; t < T; t++) {
      const f = await ctx.call('lstmStepForward', [stepOf(s.x, t), prevH, prevC, s.Wx, s.Wh, s.b], ['cache']);
      prevH = expectField(f, 'lstmStepForward', 'nextH', [N, H]);
      prevC = expectField(f, 'lstmStepForward', 'nextC', [N, H]);
      hs.push(prevH);
      caches.push(cacheOf(f, 'lstmStepForward', 'lstmStepBackward'));
    }
    if (compareTensors('', h, seqOf(hs), { tol: TOL }).ok === false || compareTensors('', cT, prevC, { tol: TOL }).ok === false) return null;
    let carryH = Tensor.zeros([N, H]);
    let carryC = dcT ?? Tensor.zeros([N, H]);
    const dxs: Tensor[] = new Array(T);
    const sums: Record<string, Tensor> = { dWx: Tensor.zeros(s.Wx.shape), dWh: Tensor.zeros(s.Wh.shape), db: Tensor.zeros(s.b.shape) };
    for (let t = T - 1; t >= 0; t--) {
      const dnextH = stepOf(dh, t).map((v, i) => v + carryH.data[i]);
      const r = await ctx.call('lstmStepBackward', [dnextH, carryC, caches[t]]);
      dxs[t] = expectField(r, 'lstmStepBackward', 'dx', [N, s.Wx.shape[0]]);
      carryH = expectField(r, 'lstmStepBackward', 'dprevH', [N, H]);
      carryC = expectField(r, 'lstmStepBackward', 'dprevC', [N, H]);
      for (const k of ['dWx', 'dWh', 'db']) {
        const g = expectField(r, 'lstmStepBackward', k, sums[k].shape);
        for (let i = 0; i < g.size; i++) sums[k].data[i] += g.data[i];
      }
    }
    return { ...sums, dx: seqOf(dxs), dh0: carryH, dc0: carryC };
  } catch (e) {
    if (e instanceof TestFailure && !e.fatal) return null;
    throw e;
  }
}

const SMALL = { N: 2, T: 4, D: 3, H: 2 };

/** Biases that shut the input gate (-30) and open the forget gate (+30), the others random. */
function carryBias(H: number, seed: number): Tensor {
  const b = seqTensors({ N: 1, T: 1, D: 1, H, seed }, 4).b.clone();
  for (let j = 0; j < H; j++) {
    b.data[j] = -30;
    b.data[H + j] = 30;
  }
  return b;
}

function stepForwardTest(): SuiteTest {
  return {
    id: 'step-forward',
    name: 'lstmStepForward: nextH and nextC, gate order i, f, g, o',
    points: 3,
    run: (ctx) =>
      checkProperty(
        ctx,
        seqCases(1, 1),
        async (c) => {
          const s = seqTensors(c, 4);
          const expected = stepOutputs(s, c.H, LSTM_GATE_ORDER);
          const r = await ctx.call('lstmStepForward', [stepOf(s.x, 0), s.h0, s.c0, s.Wx, s.Wh, s.b], ['cache']);
          const problem = firstDifference('lstmStepForward', r, expected);
          if (problem) throw new TestFailure('failed', `${problem}. ${detectGateOrder('lstmStepForward', r, (o) => stepOutputs(s, c.H, o))}`.trim());
        },
        { examples: [{ ...SMALL, T: 1, seed: 111, label: '2 examples, D = 3, H = 2' }], describe: (c) => describeSeq(c, 4, true) },
      ),
  };
}

function stepBackwardTest(): SuiteTest {
  return {
    id: 'step-backward',
    name: 'lstmStepBackward: dx, dprevH, dprevC, dWx, dWh, db of one step',
    points: 3,
    run: (ctx) =>
      checkProperty(
        ctx,
        seqCases(1, 1),
        async (c) => {
          const s = seqTensors(c, 4);
          const x = stepOf(s.x, 0);
          const dnextH = stepOf(s.dh, 0);
          const ref = refStepForward(x, s.h0, s.c0, s.Wx, s.Wh, s.b);
          const g = refStepBackward(dnextH, s.dc, ref.cache);
          const f = await ctx.call('lstmStepForward', [x, s.h0, s.c0, s.Wx, s.Wh, s.b], ['cache']);
          const r = await ctx.call('lstmStepBackward', [dnextH, s.dc, cacheOf(f, 'lstmStepForward', 'lstmStepBackward')]);
          const args: Record<string, Tensor> = { x, prevH: s.h0, prevC: s.c0, Wx: s.Wx, Wh: s.Wh, b: s.b };
          const fwd = firstDifference('lstmStepForward', f, { nextH: ref.nextH, nextC: ref.nextC });
          return gradeGradients({
            forward: 'lstmStepForward',
            backward: 'lstmStepBackward',
            result: r,
            expected: { dx: g.dx, dprevH: g.dprevH, dprevC: g.dprevC, dWx: g.dWx, dWh: g.dWh, db: g.db },
            points: { dx: x, dprevH: s.h0, dprevC: s.c0, dWx: s.Wx, dWh: s.Wh, db: s.b },
            dout: flatConcat([dnextH, s.dc]),
            forwardProblem: fwd === null ? null : `${fwd}${detectGateOrder('lstmStepForward', f, (o) => stepOutputs(s, c.H, o)) ? '; it reads the gates in another order' : ''}`,
            rng: s.rng,
            studentForward: async (key, p) => {
              const a = { ...args, [key.slice(1)]: p };
              const o = await ctx.call('lstmStepForward', [a.x, a.prevH, a.prevC, a.Wx, a.Wh, a.b], ['cache']);
              return flatConcat([expectField(o, 'lstmStepForward', 'nextH', ref.nextH.shape), expectField(o, 'lstmStepForward', 'nextC', ref.nextC.shape)]);
            },
          });
        },
        { examples: [{ ...SMALL, T: 1, seed: 112, label: '2 examples, D = 3, H = 2' }], describe: (c) => describeSeq(c, 4, true) },
      ),
  };
}

function forwardTest(): SuiteTest {
  return {
    id: 'forward',
    name: 'lstmForward: h and the final cell state cT over T = 1-6 steps',
    points: 2,
    run: (ctx) =>
      checkProperty(
        ctx,
        seqCases(1, 6),
        async (c) => {
          const s = seqTensors(c, 4);
          const expected = seqOutputs(s, c.H, LSTM_GATE_ORDER);
          const r = await ctx.call('lstmForward', [s.x, s.h0, s.Wx, s.Wh, s.b, s.c0], ['cache']);
          const problem = firstDifference('lstmForward', r, expected);
          if (problem === null) return;
          const own = await lstmOwnSteps(ctx, s);
          if (own.stepProblem !== null && carriesSignal(own.h, expected.h) && firstDifference('lstmForward', r, { h: own.h, cT: own.cT }) === null) return ownStepsNote('lstmForward', 'lstmStepForward', own.stepProblem);
          throw new TestFailure('failed', `${problem}. ${detectGateOrder('lstmForward', r, (o) => seqOutputs(s, c.H, o))}`.trim());
        },
        { examples: [{ ...SMALL, seed: 113, label: 'T = 4' }], describe: (c) => describeSeq(c, 4) },
      ),
  };
}

function carryTest(): SuiteTest {
  return {
    id: 'carry',
    name: 'lstmForward: forget gate open, input gate shut: the cell state is carried unchanged (cT = c0), T = 5-30',
    points: 1,
    run: (ctx) =>
      checkProperty(
        ctx,
        fc.record({ N: fc.integer({ min: 1, max: 3 }), T: fc.integer({ min: 5, max: 30 }), D: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 1, max: 3 }), seed: fc.nat() }),
        async (c) => {
          const s = seqTensors({ ...c, bias: carryBias(c.H, c.seed) }, 4);
          const r = await ctx.call('lstmForward', [s.x, s.h0, s.Wx, s.Wh, s.b, s.c0], ['cache']);
          const cT = expectField(r, 'lstmForward', 'cT', [c.N, c.H]);
          const cmp = compareTensors('lstmForward: cT', cT, refForward(s.x, s.h0, s.Wx, s.Wh, s.b, s.c0).cT, { tol: TOL });
          if (!cmp.ok) {
            const own = await lstmOwnSteps(ctx, s);
            if (own.stepProblem !== null && carriesSignal(own.cT, s.c0) && compareTensors('', cT, own.cT, { tol: TOL }).ok) return ownStepsNote('lstmForward', 'lstmStepForward', own.stepProblem);
            throw new TestFailure(
              'failed',
              `${cmp.message}. The biases make the input gate i = sigmoid(-30) ~ 0 and the forget gate f = sigmoid(30) ~ 1 (columns [0, H) and [H, 2H)), so nextC = f * prevC + i * g = prevC at every step and cT must equal c0.`,
            );
          }
        },
        { describe: (c) => `b: input gate -30, forget gate +30; ${describeSeq(c as SeqCase, 4)}` },
      ),
  };
}

type GradName = 'dx' | 'dh0' | 'dc0' | 'dWx' | 'dWh' | 'db';

function backwardTest(id: string, name: string, points: number, names: readonly GradName[], finalCell: boolean): SuiteTest {
  return {
    id,
    name,
    points,
    run: (ctx) =>
      checkProperty(
        ctx,
        seqCases(2, 5),
        async (c) => {
          const s = seqTensors(c, 4);
          const dh = finalCell ? Tensor.zeros(s.dh.shape) : s.dh;
          const dcT = finalCell ? s.dc : undefined;
          const ref = refForward(s.x, s.h0, s.Wx, s.Wh, s.b, s.c0);
          const g = refBackward(dh, ref.cache, dcT);
          const f = await ctx.call('lstmForward', [s.x, s.h0, s.Wx, s.Wh, s.b, s.c0], ['cache']);
          const cache = cacheOf(f, 'lstmForward', 'lstmBackward');
          const r = await ctx.call('lstmBackward', finalCell ? [dh, cache, dcT] : [dh, cache]);
          const args: Record<string, Tensor> = { x: s.x, h0: s.h0, c0: s.c0, Wx: s.Wx, Wh: s.Wh, b: s.b };
          let own: Promise<Record<string, Tensor> | null> | undefined;
          return gradeGradients({
            forward: 'lstmForward',
            backward: 'lstmBackward',
            result: r,
            expected: Object.fromEntries(names.map((k) => [k, g[k]])),
            points: { dx: s.x, dh0: s.h0, dc0: s.c0, dWx: s.Wx, dWh: s.Wh, db: s.b },
            dout: flatConcat([dh, dcT ?? Tensor.zeros(s.c0.shape)]),
            forwardProblem: firstDifference('lstmForward', f, { h: ref.h, cT: ref.cT }),
            rng: s.rng,
            studentForward: async (key, p) => {
              const a = { ...args, [key.slice(1)]: p };
              const o = await ctx.call('lstmForward', [a.x, a.h0, a.Wx, a.Wh, a.b, a.c0], ['cache']);
              return flatConcat([expectField(o, 'lstmForward', 'h', ref.h.shape), expectField(o, 'lstmForward', 'cT', ref.cT.shape)]);
            },
            // a wrong lstmStepBackward costs in step-backward: a sequence that composes it right keeps its points
            alternative: async (key, got) => {
              own ??= (async () => {
                let h: Tensor;
                let cT: Tensor;
                try {
                  h = expectField(f, 'lstmForward', 'h', ref.h.shape);
                  cT = expectField(f, 'lstmForward', 'cT', ref.cT.shape);
                } catch {
                  return null;
                }
                return lstmOwnBackward(ctx, s, h, cT, dh, dcT);
              })();
              const comp = await own;
              if (comp === null || !compareTensors('', got, comp[key], { tol: TOL }).ok || compareTensors('', comp[key], (g as Record<string, Tensor>)[key], { tol: TOL }).ok) return undefined;
              return ownCompositionNote('lstmBackward', 'lstmStepForward and lstmStepBackward');
            },
            known: async (key, got) => {
              if (finalCell && compareTensors('', got, (refBackward(dh, ref.cache) as Record<string, Tensor>)[key], { tol: TOL }).ok) {
                return `The loss here is on the final cell state only (dh = 0, dcT given), and your ${key} is what you get with dcT = 0: the gradient of the final cell state is dropped. Start the cell's gradient at dcT: at t = T-1, dnextC = dcT.`;
              }
              return diagnoseSequence('lstmBackward', key, got, lstmStepwise(ctx, s, dh, dcT), key === 'dWx' || key === 'dWh' || key === 'db');
            },
          });
        },
        { examples: [{ ...SMALL, seed: finalCell ? 116 : 114, label: 'T = 4' }], describe: (c) => `${describeSeq(c, 4)}${finalCell ? '; dh = 0, a random dcT' : ''}` },
      ),
  };
}

/** The tests of exercise 11, worth 15 points. */
export const lstmSuite: Suite = {
  id: '11-lstm',
  title: 'Long Short-Term Memory',
  modules: ['lstm.ts'],
  tests: [
    stepForwardTest(),
    stepBackwardTest(),
    forwardTest(),
    carryTest(),
    backwardTest('backward-dx', 'lstmBackward: dx, dh0 and dc0, the gradients through time (T = 2-5)', 2, ['dx', 'dh0', 'dc0'], false),
    backwardTest('backward-weights', 'lstmBackward: dWx, dWh, db summed over the time steps (T = 2-5)', 2, ['dWx', 'dWh', 'db'], false),
    backwardTest('backward-final-cell', 'lstmBackward: a loss on the final cell state only (dh = 0, dcT given)', 2, ['dx', 'dh0', 'dc0', 'dWx', 'dWh', 'db'], true),
  ],
};
