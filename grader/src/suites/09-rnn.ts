/**
 * Grading suite of exercise 09, recurrent networks (`rnn.ts`): `rnnStepForward`,
 * `rnnStepBackward`, `rnnForward`, `rnnBackward`, checked against `@dlkata/rnn`.
 *
 * The tests are cut so that a realistic bug costs points in the test that names it and
 * nowhere else: the step is checked apart from the sequence; the sequence backward separately
 * for the gradients that flow back through time (`dx`, `dh0`) and for the shared weights
 * (`dWx`, `dWh`, `db`).
 *
 * When a sequence backward is wrong, the feedback localises the error in time
 * ({@link diagnoseSequence}): the grader replays every time step of the failing sequence
 * through the student's own step functions (with the reference's inputs and upstream
 * gradients) and says whether the steps are right; if they are, it says whether the sequence
 * gradient is one step's contribution alone (accumulation over t missing) or the sum without
 * the gradient carried from step to step (no flow through time).
 *
 * The helpers for sequence cases and for that diagnosis are shared with exercise 11's suite.
 *
 * @module
 */
import fc from 'fast-check';
import { compareTensors, Rng, Tensor } from '@dlkata/tensor';
import {
  rnnBackward as refBackward,
  rnnForward as refForward,
  rnnStepBackward as refStepBackward,
  rnnStepForward as refStepForward,
  type RnnStepCache,
} from '@dlkata/rnn';
import { field } from '../protocol.js';
import { diagnoseStepCombination, seqOf, stepOf, sumOf } from '../diagnose/index.js';
import { checkProperty, expectField, shapeOf, TOL } from './harness.js';
import { TestFailure, type Suite, type SuiteTest, type TestContext } from './types.js';

/**
 * A recurrent case: batch N, length T, input D, hidden H, and the seed of the values. Fixed
 * cases carry a `label` and may override the biases.
 */
export interface SeqCase {
  readonly N: number;
  readonly T: number;
  readonly D: number;
  readonly H: number;
  /** Seed of every tensor of the case (standard normals, scaled as in {@link seqTensors}). */
  readonly seed: number;
  /** Set for a fixed case; names it in the report. */
  readonly label?: string;
  /** Fixed biases instead of random ones (e.g. gates forced open or shut). */
  readonly bias?: Tensor;
}

const range = (lo: number, hi: number): fc.Arbitrary<number> => fc.integer({ min: lo, max: hi });

/** Random sequence cases with `T` in `[minT, maxT]` (1 for a single step). */
export function seqCases(minT: number, maxT: number): fc.Arbitrary<SeqCase> {
  return fc.record({ N: range(1, 3), T: range(minT, maxT), D: range(1, 4), H: range(1, 4), seed: fc.nat() });
}

/** The tensors of a case, for `gates` blocks of H columns (1: RNN, 4: LSTM). */
export interface SeqTensors {
  /** `[N, T, D]` */
  readonly x: Tensor;
  /** `[N, H]` */
  readonly h0: Tensor;
  /** `[N, H]` (used by the LSTM) */
  readonly c0: Tensor;
  /** `[D, gates*H]`, standard normal over `sqrt(D)`. */
  readonly Wx: Tensor;
  /** `[H, gates*H]`, standard normal over `sqrt(H)`. */
  readonly Wh: Tensor;
  /** `[gates*H]`, `N(0, 0.5^2)` (or the case's fixed biases). */
  readonly b: Tensor;
  /** Upstream gradient of every hidden state, `[N, T, H]`. */
  readonly dh: Tensor;
  /** Upstream gradient of the final cell state, `[N, H]`. */
  readonly dc: Tensor;
  readonly rng: Rng;
}

/** Draws a case's tensors: scales that keep tanh and the sigmoids in their curved range. */
export function seqTensors(c: SeqCase, gates: 1 | 4): SeqTensors {
  const rng = new Rng(c.seed);
  const x = rng.randn([c.N, c.T, c.D]);
  const h0 = rng.randn([c.N, c.H], 0.5);
  const c0 = rng.randn([c.N, c.H], 0.5);
  const Wx = rng.randn([c.D, gates * c.H], 1 / Math.sqrt(c.D));
  const Wh = rng.randn([c.H, gates * c.H], 1 / Math.sqrt(c.H));
  const rb = rng.randn([gates * c.H], 0.5);
  const dh = rng.randn([c.N, c.T, c.H]);
  const dc = rng.randn([c.N, c.H]);
  return { x, h0, c0, Wx, Wh, b: c.bias ?? rb, dh, dc, rng };
}

/** The case in words, for the report. */
export function describeSeq(c: SeqCase, gates: 1 | 4 = 1, step = false): string {
  const G = gates === 1 ? c.H : 4 * c.H;
  const shapes = `${shapeOf('x', step ? [c.N, c.D] : [c.N, c.T, c.D])}, ${shapeOf('Wx', [c.D, G])}, ${shapeOf('Wh', [c.H, G])}, ${shapeOf('b', [G])}`;
  return c.label ? `${c.label}: ${shapes} (seed ${c.seed})` : `${shapes} (values: normal from seed ${c.seed})`;
}

export { stepOf, seqOf } from '../diagnose/index.js';

/** Reads a handle (the forward's `cache`) out of a raw result, failing the case when it is missing. */
export function cacheOf(result: unknown, fn: string, consumer: string): unknown {
  try {
    return field(result, 'cache', fn);
  } catch (e) {
    throw new TestFailure('failed', `${(e as Error).message}; ${consumer} needs the cache of ${fn}`);
  }
}

/** Compares every named output; throws a TestFailure for the first that differs, with `hint` appended. */
export function expectAll(fn: string, result: unknown, expected: Readonly<Record<string, Tensor>>, hint = ''): void {
  for (const [key, want] of Object.entries(expected)) {
    const got = expectField(result, fn, key, want.shape);
    const c = compareTensors(`${fn}: ${key}`, got, want, { tol: TOL });
    if (!c.ok) throw new TestFailure('failed', hint ? `${c.message}. ${hint}` : c.message);
  }
}

/** Null when every named output matches, else the first difference (decoding problems included). */
export function firstDifference(fn: string, result: unknown, expected: Readonly<Record<string, Tensor>>): string | null {
  try {
    expectAll(fn, result, expected);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * What the grader knows about one sequence, step by step, from the reference: the upstream
 * gradient each step receives, each step's own gradients, and how to replay a step with the
 * student's step functions.
 */
export interface StepwiseReference {
  /** Sequence length. */
  readonly T: number;
  /** The reference step gradients, `steps[t][name]`, computed with the right upstream gradients. */
  readonly steps: readonly Readonly<Record<string, Tensor>>[];
  /**
   * The sequence gradients if the gradient were not carried from step `t+1` to step `t`
   * (each step's upstream gradient is its own `dh[:, t, :]` only).
   */
  readonly noCarry: Readonly<Record<string, Tensor>>;
  /** Runs the student's step forward and backward at step `t` with the reference inputs; returns the raw backward result. */
  readonly studentStep: (t: number) => Promise<unknown>;
  /** The student's step functions, for messages. */
  readonly stepForward: string;
  readonly stepBackward: string;
}

/**
 * Localises a wrong sequence gradient in time. Replays every step through the student's own
 * step functions (inputs and upstream gradients from the reference); when the steps are all
 * right, compares the sequence gradient with one step's contribution alone and with the sum
 * of contributions that carry no gradient through time.
 *
 * @param backward - the sequence backward's name, e.g. `"rnnBackward"`
 * @param name - the wrong gradient, e.g. `"dWh"`
 * @param got - the student's (wrong) value
 * @param ref - the step-by-step reference of the failing case
 * @param shared - true for a weight gradient (summed over steps)
 * @returns one or two sentences for the feedback
 */
export async function diagnoseSequence(backward: string, name: string, got: Tensor, ref: StepwiseReference, shared: boolean): Promise<string> {
  for (let t = ref.T - 1; t >= 0; t--) {
    const raw = await ref.studentStep(t);
    const problem = firstDifference(ref.stepBackward, raw, ref.steps[t]);
    if (problem !== null) {
      return `Your ${ref.stepBackward} is wrong at time step t = ${t} of this sequence (${problem}); fix the step first: ${backward} adds up the steps' gradients.`;
    }
  }
  const steps = `Step gradients right: your ${ref.stepBackward} matches the reference at every time step t = 0..${ref.T - 1} of this sequence, so the error is in how ${backward} combines the steps.`;
  const why = diagnoseStepCombination(backward, ref.stepBackward, name, got, ref, shared);
  return why ? `${steps} ${why}` : steps;
}

/** The step-by-step reference of an RNN sequence case. */
function rnnStepwise(ctx: TestContext, s: SeqTensors, dh: Tensor): StepwiseReference {
  const fwd = refForward(s.x, s.h0, s.Wx, s.Wh, s.b);
  const T = s.x.shape[1];
  const walk = (carry: boolean): Record<string, Tensor>[] => {
    const out: Record<string, Tensor>[] = new Array(T);
    let dprev = Tensor.zeros(s.h0.shape);
    for (let t = T - 1; t >= 0; t--) {
      const dnext = stepOf(dh, t);
      if (carry) for (let i = 0; i < dnext.size; i++) dnext.data[i] += dprev.data[i];
      const g = refStepBackward(dnext, fwd.cache.steps[t]);
      out[t] = { ...g, dnext };
      dprev = g.dprevH;
    }
    return out;
  };
  const withCarry = walk(true);
  const without = walk(false);
  const strip = (g: Record<string, Tensor>): Record<string, Tensor> => ({ dx: g.dx, dprevH: g.dprevH, dWx: g.dWx, dWh: g.dWh, db: g.db });
  return {
    T,
    steps: withCarry.map(strip),
    noCarry: { dWx: sumOf(without.map((g) => g.dWx)), dWh: sumOf(without.map((g) => g.dWh)), db: sumOf(without.map((g) => g.db)), dh0: without[0].dprevH, dx: seqOf(without.map((g) => g.dx)) },
    studentStep: async (t) => {
      const step: RnnStepCache = fwd.cache.steps[t];
      const f = await ctx.call('rnnStepForward', [step.x, step.prevH, s.Wx, s.Wh, s.b], ['cache']);
      return ctx.call('rnnStepBackward', [withCarry[t].dnext, cacheOf(f, 'rnnStepForward', 'rnnStepBackward')]);
    },
    stepForward: 'rnnStepForward',
    stepBackward: 'rnnStepBackward',
  };
}

const SMALL = { N: 2, T: 4, D: 3, H: 3 };

function stepForwardTest(): SuiteTest {
  return {
    id: 'step-forward',
    name: 'rnnStepForward: nextH = tanh(x Wx + prevH Wh + b)',
    points: 2,
    run: (ctx) =>
      checkProperty(
        ctx,
        seqCases(1, 1),
        async (c) => {
          const s = seqTensors(c, 1);
          const x = stepOf(s.x, 0);
          const expected = refStepForward(x, s.h0, s.Wx, s.Wh, s.b).nextH;
          const r = await ctx.call('rnnStepForward', [x, s.h0, s.Wx, s.Wh, s.b], ['cache']);
          expectAll('rnnStepForward', r, { nextH: expected });
        },
        { examples: [{ ...SMALL, T: 1, seed: 91, label: '2 examples, D = 3, H = 3' }], describe: (c) => describeSeq(c, 1, true) },
      ),
  };
}

function stepBackwardTest(): SuiteTest {
  return {
    id: 'step-backward',
    name: 'rnnStepBackward: dx, dprevH, dWx, dWh, db of one step',
    points: 3,
    run: (ctx) =>
      checkProperty(
        ctx,
        seqCases(1, 1),
        async (c) => {
          const s = seqTensors(c, 1);
          const x = stepOf(s.x, 0);
          const dnext = stepOf(s.dh, 0);
          const ref = refStepForward(x, s.h0, s.Wx, s.Wh, s.b);
          const g = refStepBackward(dnext, ref.cache);
          const f = await ctx.call('rnnStepForward', [x, s.h0, s.Wx, s.Wh, s.b], ['cache']);
          const r = await ctx.call('rnnStepBackward', [dnext, cacheOf(f, 'rnnStepForward', 'rnnStepBackward')]);
          const fwdProblem = firstDifference('rnnStepForward', f, { nextH: ref.nextH });
          expectAll('rnnStepBackward', r, { dx: g.dx, dprevH: g.dprevH, dWx: g.dWx, dWh: g.dWh, db: g.db }, fwdProblem ? `Your rnnStepForward is wrong for this input too (${fwdProblem}); the backward pass reads its cache.` : '');
        },
        { examples: [{ ...SMALL, T: 1, seed: 92, label: '2 examples, D = 3, H = 3' }], describe: (c) => describeSeq(c, 1, true) },
      ),
  };
}

function forwardTest(): SuiteTest {
  return {
    id: 'forward',
    name: 'rnnForward: h over T = 1-6 steps',
    points: 2,
    run: (ctx) =>
      checkProperty(
        ctx,
        seqCases(1, 6),
        async (c) => {
          const s = seqTensors(c, 1);
          const expected = refForward(s.x, s.h0, s.Wx, s.Wh, s.b).h;
          const r = await ctx.call('rnnForward', [s.x, s.h0, s.Wx, s.Wh, s.b], ['cache']);
          expectAll('rnnForward', r, { h: expected }, 'Each step starts from the previous step\'s nextH (h0 at t = 0).');
        },
        { examples: [{ ...SMALL, seed: 93, label: 'T = 4' }], describe: (c) => describeSeq(c) },
      ),
  };
}

function backwardTest(id: string, name: string, points: number, names: readonly ('dx' | 'dh0' | 'dWx' | 'dWh' | 'db')[], shared: boolean): SuiteTest {
  return {
    id,
    name,
    points,
    run: (ctx) =>
      checkProperty(
        ctx,
        seqCases(2, 6),
        async (c) => {
          const s = seqTensors(c, 1);
          const ref = refForward(s.x, s.h0, s.Wx, s.Wh, s.b);
          const g = refBackward(s.dh, ref.cache);
          const f = await ctx.call('rnnForward', [s.x, s.h0, s.Wx, s.Wh, s.b], ['cache']);
          const r = await ctx.call('rnnBackward', [s.dh, cacheOf(f, 'rnnForward', 'rnnBackward')]);
          for (const key of names) {
            const got = expectField(r, 'rnnBackward', key, g[key].shape);
            const cmp = compareTensors(`rnnBackward: ${key}`, got, g[key], { tol: TOL });
            if (cmp.ok) continue;
            const fwdProblem = firstDifference('rnnForward', f, { h: ref.h });
            if (fwdProblem) throw new TestFailure('failed', `${cmp.message}. Your rnnForward is wrong for this input too (${fwdProblem}); fix the forward pass first.`);
            const why = await diagnoseSequence('rnnBackward', key, got, rnnStepwise(ctx, s, s.dh), shared);
            throw new TestFailure('failed', `${cmp.message}. ${why}`);
          }
        },
        { examples: [{ ...SMALL, seed: 94, label: 'T = 4' }], describe: (c) => describeSeq(c) },
      ),
  };
}

/** The tests of exercise 09, worth 12 points. */
export const rnnSuite: Suite = {
  id: '09-rnn',
  title: 'Recurrent networks and backprop through time',
  modules: ['rnn.ts'],
  tests: [
    stepForwardTest(),
    stepBackwardTest(),
    forwardTest(),
    backwardTest('backward-dx', 'rnnBackward: dx and dh0, the gradient through time (T = 2-6)', 2, ['dx', 'dh0'], false),
    backwardTest('backward-weights', 'rnnBackward: dWx, dWh, db summed over the time steps (T = 2-6)', 3, ['dWx', 'dWh', 'db'], true),
  ],
};
