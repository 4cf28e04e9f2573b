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
import { close, diagnoseRnnStep, diagnoseStepCombination, seqOf, stepOf, sumOf } from '../diagnose/index.js';
import { carriesSignal, checkProperty, expectField, gradeGradients, jointRecord, shapeOf, TOL } from './harness.js';
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

/**
 * Random sequence cases with `T` in `[minT, maxT]` (1 for a single step), drawn jointly
 * ({@link jointRecord}): a third of the cases have a batch larger than the hidden size, inputs
 * wider than the hidden state and the longer sequences at once, where flat indices with the
 * wrong row length show.
 */
export function seqCases(minT: number, maxT: number): fc.Arbitrary<SeqCase> {
  return jointRecord({ N: [1, 3], T: [minT, maxT], D: [1, 4], H: [1, 4], seed: fc.nat() }, { edge: { N: [3, 3], D: [3, 4], H: [1, 2] } });
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

/** The feedback of a sequence test passed as the right composition of the student's own wrong steps. */
export function ownStepsNote(seqFn: string, stepFn: string, stepProblem: string): string {
  return `Your ${stepFn} ${/functions$/.test(stepFn) ? 'are' : 'is'} wrong (${stepProblem}), and your ${seqFn} is the right composition of your own steps: this test keeps its points; the step tests cost the step's bug.`;
}

/** The feedback of a sequence backward passed as the right composition of the student's own (wrong) step functions. */
export function ownCompositionNote(seqFn: string, stepFns: string): string {
  return `Your ${seqFn} differs from the reference, but it is the right composition of your own ${stepFns} over this sequence, and they are what is wrong: this test keeps its points; the step tests cost the step's bug.`;
}

/**
 * The student's own steps composed into a sequence: `rnnStepForward` from `h0` over every
 * time step, each from the student's previous `nextH`.
 *
 * @returns the composed `h` `[N, T, H]`, and null or what is wrong with the student's steps (compared with the reference step at the same input)
 */
async function rnnOwnSteps(ctx: TestContext, s: SeqTensors): Promise<{ h: Tensor; stepProblem: string | null }> {
  const T = s.x.shape[1];
  const hs: Tensor[] = [];
  let prev = s.h0;
  let stepProblem: string | null = null;
  for (let t = 0; t < T; t++) {
    const x = stepOf(s.x, t);
    const want = refStepForward(x, prev, s.Wx, s.Wh, s.b).nextH;
    const r = await ctx.call('rnnStepForward', [x, prev, s.Wx, s.Wh, s.b]);
    const next = expectField(r, 'rnnStepForward', 'nextH', want.shape);
    stepProblem ??= firstDifference('rnnStepForward', r, { nextH: want });
    hs.push(next);
    prev = next;
  }
  return { h: seqOf(hs), stepProblem };
}

/**
 * The student's own steps composed into a whole pass, forward and backward: `rnnStepForward`
 * from `h0`, each step from the student's previous `nextH`, then `rnnStepBackward` from the
 * last step down, each receiving `dh[:, t, :]` plus the student's own `dprevH` of step t+1. A
 * wrong step costs in the step tests only: a sequence that is this composition keeps its points.
 *
 * @param h - the student's sequence forward output `[N, T, H]`; the composition counts only when it equals it
 * @returns the composed `dx`, `dh0`, `dWx`, `dWh`, `db`, or null when the student's sequence is not the composition of their steps (or a step call fails)
 */
async function rnnOwnBackward(ctx: TestContext, s: SeqTensors, h: Tensor): Promise<Record<string, Tensor> | null> {
  try {
    const [N, T] = s.x.shape;
    const H = s.h0.shape[1];
    const caches: unknown[] = [];
    const hs: Tensor[] = [];
    let prev = s.h0;
    for (let t = 0; t < T; t++) {
      const f = await ctx.call('rnnStepForward', [stepOf(s.x, t), prev, s.Wx, s.Wh, s.b], ['cache']);
      prev = expectField(f, 'rnnStepForward', 'nextH', [N, H]);
      hs.push(prev);
      caches.push(cacheOf(f, 'rnnStepForward', 'rnnStepBackward'));
    }
    if (!close(h, seqOf(hs))) return null;
    let carry = Tensor.zeros([N, H]);
    const dxs: Tensor[] = new Array(T);
    const sums: Record<string, Tensor> = { dWx: Tensor.zeros(s.Wx.shape), dWh: Tensor.zeros(s.Wh.shape), db: Tensor.zeros(s.b.shape) };
    for (let t = T - 1; t >= 0; t--) {
      const dnext = stepOf(s.dh, t).map((v, i) => v + carry.data[i]);
      const r = await ctx.call('rnnStepBackward', [dnext, caches[t]]);
      dxs[t] = expectField(r, 'rnnStepBackward', 'dx', [N, s.Wx.shape[0]]);
      carry = expectField(r, 'rnnStepBackward', 'dprevH', [N, H]);
      for (const k of ['dWx', 'dWh', 'db']) {
        const g = expectField(r, 'rnnStepBackward', k, sums[k].shape);
        for (let i = 0; i < g.size; i++) sums[k].data[i] += g.data[i];
      }
    }
    return { ...sums, dx: seqOf(dxs), dh0: carry };
  } catch (e) {
    if (e instanceof TestFailure && !e.fatal) return null;
    throw e;
  }
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
          if (firstDifference('rnnStepForward', r, { nextH: expected }) === null) return;
          expectAll('rnnStepForward', r, { nextH: expected }, diagnoseRnnStep(x, s.h0, s.Wx, s.Wh, s.b, expectField(r, 'rnnStepForward', 'nextH', expected.shape)) ?? '');
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
          const args: Record<string, Tensor> = { x, prevH: s.h0, Wx: s.Wx, Wh: s.Wh, b: s.b };
          return gradeGradients({
            forward: 'rnnStepForward',
            backward: 'rnnStepBackward',
            result: r,
            expected: { dx: g.dx, dprevH: g.dprevH, dWx: g.dWx, dWh: g.dWh, db: g.db },
            points: { dx: x, dprevH: s.h0, dWx: s.Wx, dWh: s.Wh, db: s.b },
            dout: dnext,
            forwardProblem: firstDifference('rnnStepForward', f, { nextH: ref.nextH }),
            rng: s.rng,
            studentForward: async (key, p) => {
              const a = { ...args, [key.slice(1)]: p };
              return expectField(await ctx.call('rnnStepForward', [a.x, a.prevH, a.Wx, a.Wh, a.b], ['cache']), 'rnnStepForward', 'nextH', ref.nextH.shape);
            },
          });
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
          const problem = firstDifference('rnnForward', r, { h: expected });
          if (problem === null) return;
          const own = await rnnOwnSteps(ctx, s);
          if (own.stepProblem !== null && carriesSignal(own.h, expected) && firstDifference('rnnForward', r, { h: own.h }) === null) return ownStepsNote('rnnForward', 'rnnStepForward', own.stepProblem);
          throw new TestFailure('failed', `${problem}. ${own.stepProblem ? `Your rnnStepForward is wrong too (${own.stepProblem}), and your rnnForward is not the composition of your own steps either. ` : ''}Each step starts from the previous step's nextH (h0 at t = 0).`);
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
          const args: Record<string, Tensor> = { x: s.x, h0: s.h0, Wx: s.Wx, Wh: s.Wh, b: s.b };
          let own: Promise<Record<string, Tensor> | null> | undefined;
          return gradeGradients({
            forward: 'rnnForward',
            backward: 'rnnBackward',
            result: r,
            expected: Object.fromEntries(names.map((k) => [k, g[k]])),
            points: { dx: s.x, dh0: s.h0, dWx: s.Wx, dWh: s.Wh, db: s.b },
            dout: s.dh,
            forwardProblem: firstDifference('rnnForward', f, { h: ref.h }),
            rng: s.rng,
            studentForward: async (key, p) => {
              const a = { ...args, [key.slice(1)]: p };
              return expectField(await ctx.call('rnnForward', [a.x, a.h0, a.Wx, a.Wh, a.b], ['cache']), 'rnnForward', 'h', ref.h.shape);
            },
            // a wrong rnnStepBackward costs in step-backward: a sequence that composes it right keeps its points
            alternative: async (key, got) => {
              own ??= (async () => {
                let h: Tensor;
                try {
                  h = expectField(f, 'rnnForward', 'h', ref.h.shape);
                } catch {
                  return null;
                }
                return rnnOwnBackward(ctx, s, h);
              })();
              const comp = await own;
              if (comp === null || !close(got, comp[key]) || close(comp[key], (g as Record<string, Tensor>)[key])) return undefined;
              return ownCompositionNote('rnnBackward', 'rnnStepForward and rnnStepBackward');
            },
            known: async (key, got) => diagnoseSequence('rnnBackward', key, got, rnnStepwise(ctx, s, s.dh), shared),
          });
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
