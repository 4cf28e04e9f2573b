/**
 * Grading suite of exercise 12, recurrent architectures (`architectures.ts`): the stacked LSTM,
 * the many-to-one classifier, the captioning model (loss, greedy decoding, sampling with a
 * temperature) and the encoder-decoder (loss, greedy decoding), checked against `@dlkata/rnn`.
 *
 * One mistake costs once:
 * - every value test and its gradient test are separate; when a loss or a forward pass is wrong,
 *   the gradient test does not compare with the reference but checks the student's gradients
 *   against the student's OWN loss or forward pass (directional derivatives along random
 *   directions, each forward evaluated in the sandbox), so a right backward for a wrong forward
 *   keeps its points;
 * - the LSTM and the sequence layers are given (`cells.ts`), so nothing of exercise 11 is graded
 *   again, and each decoder is graded on its own, against the reference decoder on the same weights.
 *
 * Feedback names the common mistakes: layers not chained, the pooling swapped, a loss summed
 * instead of averaged, padding counted, the image or the source ignored, words emitted after the
 * end token or the start token emitted, the temperature multiplied or ignored, sampling that
 * ignores its random numbers.
 *
 * @module
 */
import fc from 'fast-check';
import { compareTensors, Rng, Tensor } from '@dlkata/tensor';
import {
  captionGreedy as refCaptionGreedy,
  captionLoss as refCaptionLoss,
  captionSample as refCaptionSample,
  manyToOneLoss as refManyToOneLoss,
  seq2seqGreedy as refSeq2seqGreedy,
  seq2seqLoss as refSeq2seqLoss,
  stackedBackward as refStackedBackward,
  stackedForward as refStackedForward,
  type ModelParams,
} from '@dlkata/rnn';
import { field } from '../protocol.js';
import { checkProperty, expectField, expectNumber, expectTensor, TOL } from './harness.js';
import { TestFailure, type Suite, type SuiteTest, type TestContext } from './types.js';

const NULL = 0;
const START = 1;
const END = 2;

type Layer = { Wx: Tensor; Wh: Tensor; b: Tensor };

function lstmLayer(rng: Rng, D: number, H: number): Layer {
  return { Wx: rng.randn([D, 4 * H], 1 / Math.sqrt(D)), Wh: rng.randn([H, 4 * H], 1 / Math.sqrt(H)), b: rng.randn([4 * H], 0.5) };
}

function num(v: number): string {
  return Number(v.toPrecision(6)).toString();
}

/** A relative difference of two numbers, as the tensor comparisons define it. */
function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1e-8, Math.abs(a) + Math.abs(b));
}

/** Reads a returned number field, failing the case when it is missing or malformed. */
function numberField(r: unknown, fn: string, key: string): number {
  let v: unknown;
  try {
    v = field(r, key, fn);
  } catch (e) {
    throw new TestFailure('failed', (e as Error).message);
  }
  return expectNumber(v, `${fn}: ${key}`);
}

/** Reads `grads.<key>` of a returned object, validated against the expected shape. */
function gradField(r: unknown, fn: string, key: string, shape: readonly number[]): Tensor {
  let grads: unknown;
  try {
    grads = field(r, 'grads', fn);
  } catch (e) {
    throw new TestFailure('failed', (e as Error).message);
  }
  return expectField(grads, `${fn}: grads`, key, shape);
}

/**
 * Validates returned token ids: N rows of L integers.
 *
 * @throws TestFailure naming the function and what is wrong
 */
function expectIds(v: unknown, fn: string, N: number, L: number): number[][] {
  const bad = (why: string): never => {
    throw new TestFailure('failed', `${fn} must return ${N} rows of ${L} integer token ids (number[][]); ${why}`);
  };
  if (!Array.isArray(v)) bad(`got ${v === null ? 'null' : typeof v}`);
  const rows = v as unknown[];
  if (rows.length !== N) bad(`got ${rows.length} rows`);
  return rows.map((row, n) => {
    if (!Array.isArray(row) && !ArrayBuffer.isView(row)) bad(`row ${n} is ${row === null ? 'null' : typeof row}`);
    const r = Array.from(row as ArrayLike<unknown>);
    if (r.length !== L) bad(`row ${n} has ${r.length} ids`);
    return r.map((x, t) => (typeof x === 'number' && Number.isInteger(x) ? x : bad(`row ${n} holds ${String(x)} at position ${t}`)));
  });
}

/**
 * Directional derivative checks of a gradient against a scalar function evaluated by the
 * student's own code: for each named input, along a random unit direction `u`,
 * `(f(p + h u) - f(p - h u)) / 2h` against `<grad, u>`.
 *
 * @returns null when every input agrees (relative error below 1e-5), else what disagrees
 */
async function ownLossDisagreement(
  inputs: Readonly<Record<string, Tensor>>,
  grads: Readonly<Record<string, Tensor>>,
  f: (name: string, value: Tensor) => Promise<number>,
  rng: Rng,
  what: string,
): Promise<string | null> {
  const h = 1e-5;
  for (const [name, p] of Object.entries(inputs)) {
    const u = rng.randn(p.shape);
    let norm = 0;
    for (const v of u.data) norm += v * v;
    norm = Math.sqrt(norm) || 1;
    const dir = u.map((v) => v / norm);
    const plus = await f(name, p.map((v, i) => v + h * dir.data[i]));
    const minus = await f(name, p.map((v, i) => v - h * dir.data[i]));
    const numeric = (plus - minus) / (2 * h);
    let analytic = 0;
    for (let i = 0; i < p.size; i++) analytic += grads[name].data[i] * dir.data[i];
    const rel = relDiff(numeric, analytic);
    if (rel > 1e-5 && Math.abs(numeric - analytic) > 1e-7) {
      return `d${name} disagrees with your own ${what}: along a random direction u, (f(${name} + h u) - f(${name} - h u)) / 2h = ${num(numeric)} but <d${name}, u> = ${num(analytic)} (relative error ${rel.toExponential(1)})`;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Stacked LSTM

interface StackCase {
  readonly N: number;
  readonly T: number;
  readonly D: number;
  readonly Hs: readonly number[];
  readonly seed: number;
  readonly label?: string;
}

const stackCases: fc.Arbitrary<StackCase> = fc.record({
  N: fc.integer({ min: 1, max: 3 }),
  T: fc.integer({ min: 1, max: 5 }),
  D: fc.integer({ min: 1, max: 4 }),
  Hs: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
  seed: fc.nat(),
});

function describeStack(c: StackCase): string {
  const s = `x [${c.N},${c.T},${c.D}], ${c.Hs.length} layer(s) of ${c.Hs.join(', ')} hidden units`;
  return c.label ? `${c.label}: ${s} (seed ${c.seed})` : `${s} (values: normal from seed ${c.seed})`;
}

function stackTensors(c: StackCase) {
  const rng = new Rng(c.seed);
  const layers = c.Hs.map((H, l) => lstmLayer(rng, l === 0 ? c.D : c.Hs[l - 1], H));
  const x = rng.randn([c.N, c.T, c.D]);
  const h0 = c.Hs.map((H) => rng.randn([c.N, H], 0.5));
  const c0 = c.Hs.map((H) => rng.randn([c.N, H], 0.5));
  const dh = rng.randn([c.N, c.T, c.Hs[c.Hs.length - 1]]);
  return { rng, layers, x, h0, c0, dh };
}

/** Reads the list `key` of `[N, H_l]` tensors from a stacked forward result. */
function tensorList(r: unknown, fn: string, key: string, shapes: readonly (readonly number[])[]): Tensor[] {
  let v: unknown;
  try {
    v = field(r, key, fn);
  } catch (e) {
    throw new TestFailure('failed', (e as Error).message);
  }
  if (!Array.isArray(v) || v.length !== shapes.length) throw new TestFailure('failed', `${fn}: ${key} must be a list of ${shapes.length} tensors, one per layer, got ${Array.isArray(v) ? `${v.length}` : typeof v}`);
  return shapes.map((s, l) => expectTensor(v[l], `${fn}: ${key}[${l}]`, s));
}

/** Null when a stacked forward result equals the reference's, else the first difference. */
function stackedForwardProblem(r: unknown, ref: ReturnType<typeof refStackedForward>, Hs: readonly number[], N: number): string | null {
  try {
    const h = expectField(r, 'stackedLstmForward', 'h', ref.h.shape);
    const c1 = compareTensors('stackedLstmForward: h', h, ref.h, { tol: TOL });
    if (!c1.ok) return c1.message;
    const shapes = Hs.map((H) => [N, H]);
    for (const key of ['hT', 'cT'] as const) {
      const got = tensorList(r, 'stackedLstmForward', key, shapes);
      for (let l = 0; l < Hs.length; l++) {
        const c = compareTensors(`stackedLstmForward: ${key}[${l}]`, got[l], ref[key][l], { tol: TOL });
        if (!c.ok) return c.message;
      }
    }
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

function stackedForwardTest(): SuiteTest {
  return {
    id: 'stacked-forward',
    name: 'stackedLstmForward: the top hidden sequence h and every layer\'s final hT, cT (1-3 layers)',
    points: 3,
    run: (ctx) =>
      checkProperty(
        ctx,
        stackCases,
        async (c) => {
          const s = stackTensors(c);
          const ref = refStackedForward('lstm', s.x, s.layers, { h0: s.h0, c0: s.c0 });
          const r = await ctx.call('stackedLstmForward', [s.x, s.layers, s.h0, s.c0], ['cache']);
          const problem = stackedForwardProblem(r, ref, c.Hs, c.N);
          if (!problem) return;
          let why = '';
          if (c.Hs.length > 1) {
            const first = refStackedForward('lstm', s.x, s.layers.slice(0, 1), { h0: s.h0, c0: s.c0 });
            try {
              const h = expectField(r, 'stackedLstmForward', 'h');
              if (h.shape.join() === first.h.shape.join() && compareTensors('', h, first.h, { tol: TOL }).ok) {
                why = ` Your h is the output of layer 0 alone: each layer l > 0 must read the hidden sequence of layer l - 1, and h is the top layer's.`;
              }
            } catch {
              /* the message above says what is malformed */
            }
          }
          throw new TestFailure('failed', `${problem}.${why}`);
        },
        { examples: [{ N: 2, T: 4, D: 3, Hs: [3, 2], seed: 121, label: '2 layers' }], describe: describeStack },
      ),
  };
}

function stackedBackwardTest(): SuiteTest {
  return {
    id: 'stacked-backward',
    name: 'stackedLstmBackward: dx, every layer\'s dWx, dWh, db, and dh0, dc0 (through depth and time)',
    points: 3,
    run: (ctx) =>
      checkProperty(
        ctx,
        stackCases,
        async (c) => {
          const s = stackTensors(c);
          const ref = refStackedForward('lstm', s.x, s.layers, { h0: s.h0, c0: s.c0 });
          const g = refStackedBackward(s.dh, ref.cache);
          const f = await ctx.call('stackedLstmForward', [s.x, s.layers, s.h0, s.c0], ['cache']);
          let cache: unknown;
          try {
            cache = field(f, 'cache', 'stackedLstmForward');
          } catch (e) {
            throw new TestFailure('failed', `${(e as Error).message}; stackedLstmBackward needs the cache of stackedLstmForward`);
          }
          const r = await ctx.call('stackedLstmBackward', [s.dh, cache]);
          const L = c.Hs.length;
          const got: Record<string, Tensor> = { x: expectField(r, 'stackedLstmBackward', 'dx', s.x.shape) };
          const want: Record<string, Tensor> = { x: g.dx };
          const inputs: Record<string, Tensor> = { x: s.x };
          let layers: unknown;
          try {
            layers = field(r, 'layers', 'stackedLstmBackward');
          } catch (e) {
            throw new TestFailure('failed', (e as Error).message);
          }
          if (!Array.isArray(layers) || layers.length !== L) throw new TestFailure('failed', `stackedLstmBackward: layers must be a list of ${L} objects { dWx, dWh, db }, one per layer, bottom first`);
          const h0s = tensorList(r, 'stackedLstmBackward', 'dh0', c.Hs.map((H) => [c.N, H]));
          const c0s = tensorList(r, 'stackedLstmBackward', 'dc0', c.Hs.map((H) => [c.N, H]));
          for (let l = 0; l < L; l++) {
            for (const k of ['Wx', 'Wh', 'b'] as const) {
              got[`layers[${l}].${k}`] = expectField(layers[l], `stackedLstmBackward: layers[${l}]`, `d${k}`, s.layers[l][k].shape);
              want[`layers[${l}].${k}`] = g.layers[l][`d${k}`];
              inputs[`layers[${l}].${k}`] = s.layers[l][k];
            }
            got[`h0[${l}]`] = h0s[l];
            want[`h0[${l}]`] = g.dh0[l];
            inputs[`h0[${l}]`] = s.h0[l];
            got[`c0[${l}]`] = c0s[l];
            want[`c0[${l}]`] = g.dc0[l];
            inputs[`c0[${l}]`] = s.c0[l];
          }
          const fwdProblem = stackedForwardProblem(f, ref, c.Hs, c.N);
          if (fwdProblem) {
            // One mistake costs once: grade the backward pass against the student's own forward.
            const own = async (name: string, value: Tensor): Promise<number> => {
              const x = name === 'x' ? value : s.x;
              const ls = s.layers.map((p, l) => ({ Wx: name === `layers[${l}].Wx` ? value : p.Wx, Wh: name === `layers[${l}].Wh` ? value : p.Wh, b: name === `layers[${l}].b` ? value : p.b }));
              const h0 = s.h0.map((t, l) => (name === `h0[${l}]` ? value : t));
              const c0 = s.c0.map((t, l) => (name === `c0[${l}]` ? value : t));
              const out = expectField(await ctx.call('stackedLstmForward', [x, ls, h0, c0]), 'stackedLstmForward', 'h', s.dh.shape);
              let sum = 0;
              for (let i = 0; i < out.size; i++) sum += out.data[i] * s.dh.data[i];
              return sum;
            };
            const why = await ownLossDisagreement(inputs, got, own, s.rng, 'stackedLstmForward');
            if (why) throw new TestFailure('failed', `Your stackedLstmForward is wrong for this input (${fwdProblem}), and your stackedLstmBackward does not match it either: ${why}.`);
            return;
          }
          for (const [k, w] of Object.entries(want)) {
            const cmp = compareTensors(`stackedLstmBackward: d${k}`, got[k], w, { tol: TOL });
            if (cmp.ok) continue;
            let why = '';
            if (L > 1 && k.startsWith('layers[') && Number(k[7]) < L - 1 && Array.from(got[k].data).every((v) => v === 0)) {
              why = ' Your gradients of the lower layers are zero: the dx that lstmBackward returns for layer l is the upstream dh of layer l - 1; pass it down.';
            }
            throw new TestFailure('failed', `${cmp.message}.${why}`);
          }
        },
        { examples: [{ N: 2, T: 4, D: 3, Hs: [3, 2], seed: 122, label: '2 layers' }], describe: describeStack },
      ),
  };
}

// ---------------------------------------------------------------------------------------------
// Many-to-one

interface ClassifierCase {
  readonly N: number;
  readonly T: number;
  readonly D: number;
  readonly H: number;
  readonly K: number;
  readonly pool: 'last' | 'mean';
  readonly seed: number;
  readonly label?: string;
}

const classifierCases: fc.Arbitrary<ClassifierCase> = fc.record({
  N: fc.integer({ min: 1, max: 4 }),
  T: fc.integer({ min: 2, max: 5 }),
  D: fc.integer({ min: 1, max: 3 }),
  H: fc.integer({ min: 1, max: 4 }),
  K: fc.integer({ min: 2, max: 5 }),
  pool: fc.constantFrom('last' as const, 'mean' as const),
  seed: fc.nat(),
});

function describeClassifier(c: ClassifierCase): string {
  const s = `x [${c.N},${c.T},${c.D}], H = ${c.H}, K = ${c.K} classes, pool '${c.pool}'`;
  return c.label ? `${c.label}: ${s} (seed ${c.seed})` : `${s} (values: normal from seed ${c.seed})`;
}

function classifierTensors(c: ClassifierCase) {
  const rng = new Rng(c.seed);
  const params = { ...lstmLayer(rng, c.D, c.H), Wy: rng.randn([c.H, c.K], 1.5 / Math.sqrt(c.H)), by: rng.randn([c.K], 0.3) };
  const x = rng.randn([c.N, c.T, c.D]);
  const y = Array.from({ length: c.N }, () => rng.int(0, c.K - 1));
  return { rng, params, x, y };
}

function manyToOneLossTest(): SuiteTest {
  return {
    id: 'many-to-one-loss',
    name: "manyToOneLoss: scores and loss, pool 'last' and 'mean'",
    points: 2,
    run: (ctx) =>
      checkProperty(
        ctx,
        classifierCases,
        async (c) => {
          const s = classifierTensors(c);
          const ref = refManyToOneLoss(s.x, s.params, s.y, { pool: c.pool });
          const r = await ctx.call('manyToOneLoss', [s.x, s.params, s.y, c.pool]);
          const scores = expectField(r, 'manyToOneLoss', 'scores', ref.scores.shape);
          const cmp = compareTensors('manyToOneLoss: scores', scores, ref.scores, { tol: TOL });
          if (!cmp.ok) {
            const other = c.pool === 'last' ? 'mean' : 'last';
            const swapped = compareTensors('', scores, refManyToOneLoss(s.x, s.params, s.y, { pool: other }).scores, { tol: TOL }).ok;
            const why = swapped
              ? ` With pool '${c.pool}' your scores are those of pool '${other}': 'last' reads h[:, T-1, :], 'mean' averages h[:, t, :] over the T steps.`
              : '';
            throw new TestFailure('failed', `${cmp.message}.${why}`);
          }
          const loss = numberField(r, 'manyToOneLoss', 'loss');
          if (relDiff(loss, ref.loss) > TOL) {
            let why = '';
            if (relDiff(loss, ref.loss * c.N) <= TOL) why = ` Your loss is N = ${c.N} times the expected one: average the cross-entropy over the batch (softmaxLoss divides by N).`;
            throw new TestFailure('failed', `manyToOneLoss: loss is ${num(loss)}, expected ${num(ref.loss)} (the mean over the batch of -log softmax(scores[n])[y[n]]).${why}`);
          }
        },
        {
          examples: [
            { N: 3, T: 4, D: 2, H: 3, K: 4, pool: 'last', seed: 123, label: 'last hidden state' },
            { N: 3, T: 4, D: 2, H: 3, K: 4, pool: 'mean', seed: 124, label: 'mean over time' },
          ],
          describe: describeClassifier,
        },
      ),
  };
}

/**
 * A gradients test of a loss function: against the reference when the student's loss is right,
 * else against the student's own loss (one mistake costs once).
 */
async function gradsAgainstLoss(
  ctx: TestContext,
  fn: string,
  args: (params: ModelParams, extra: Record<string, Tensor>) => unknown[],
  params: ModelParams,
  extra: Readonly<Record<string, { value: Tensor; key: string; want: Tensor }>>,
  ref: { loss: number; grads: ModelParams },
  rng: Rng,
  diagnose?: (key: string, got: Tensor) => string,
): Promise<void> {
  const inputs: Record<string, Tensor> = {};
  const extraValues: Record<string, Tensor> = {};
  for (const [k, e] of Object.entries(extra)) extraValues[k] = e.value;
  const r = await ctx.call(fn, args(params, extraValues));
  const got: Record<string, Tensor> = {};
  const want: Record<string, Tensor> = {};
  for (const k of Object.keys(params)) {
    got[k] = gradField(r, fn, k, params[k].shape);
    want[k] = ref.grads[k];
    inputs[k] = params[k];
  }
  for (const [k, e] of Object.entries(extra)) {
    got[k] = expectField(r, fn, e.key, e.value.shape);
    want[k] = e.want;
    inputs[k] = e.value;
  }
  const loss = numberField(r, fn, 'loss');
  if (relDiff(loss, ref.loss) > TOL) {
    const own = async (name: string, value: Tensor): Promise<number> => {
      const p = name in params ? { ...params, [name]: value } : params;
      const ex = name in extraValues ? { ...extraValues, [name]: value } : extraValues;
      return numberField(await ctx.call(fn, args(p, ex)), fn, 'loss');
    };
    const why = await ownLossDisagreement(inputs, got, own, rng, `${fn} loss`);
    if (why) throw new TestFailure('failed', `Your ${fn} loss is wrong for this input (${num(loss)}, expected ${num(ref.loss)}), and your gradients do not match it either: ${why}.`);
    return;
  }
  for (const [k, w] of Object.entries(want)) {
    const cmp = compareTensors(`${fn}: ${k in params ? `grads.${k}` : extra[k].key}`, got[k], w, { tol: TOL });
    if (cmp.ok) continue;
    const own = async (name: string, value: Tensor): Promise<number> => {
      const p = name in params ? { ...params, [name]: value } : params;
      const ex = name in extraValues ? { ...extraValues, [name]: value } : extraValues;
      return numberField(await ctx.call(fn, args(p, ex)), fn, 'loss');
    };
    const mismatch = await ownLossDisagreement({ [k]: inputs[k] }, { [k]: got[k] }, own, rng, `${fn} loss`);
    const check = mismatch ? ` Your loss is right, but your ${mismatch}.` : '';
    throw new TestFailure('failed', `${cmp.message}.${check}${diagnose ? diagnose(k, got[k]) : ''}`);
  }
}

function manyToOneGradsTest(): SuiteTest {
  return {
    id: 'many-to-one-grads',
    name: "manyToOneLoss: grads (Wx, Wh, b, Wy, by) and dx, pool 'last' and 'mean'",
    points: 3,
    run: (ctx) =>
      checkProperty(
        ctx,
        classifierCases,
        async (c) => {
          const s = classifierTensors(c);
          const ref = refManyToOneLoss(s.x, s.params, s.y, { pool: c.pool });
          await gradsAgainstLoss(ctx, 'manyToOneLoss', (p, e) => [e.x, p, s.y, c.pool], s.params, { x: { value: s.x, key: 'dx', want: ref.dx } }, ref, s.rng, (k) =>
            c.pool === 'mean' && k !== 'Wy' && k !== 'by' ? ' With the mean over time every h[:, t, :] receives dp / T, not only the last one.' : '',
          );
        },
        {
          examples: [
            { N: 3, T: 4, D: 2, H: 3, K: 4, pool: 'last', seed: 125, label: 'last hidden state' },
            { N: 3, T: 4, D: 2, H: 3, K: 4, pool: 'mean', seed: 126, label: 'mean over time' },
          ],
          describe: describeClassifier,
        },
      ),
  };
}

// ---------------------------------------------------------------------------------------------
// Captioning

interface CaptionCase {
  readonly N: number;
  readonly T: number;
  readonly F: number;
  readonly H: number;
  readonly V: number;
  readonly seed: number;
  readonly label?: string;
}

const captionCases: fc.Arbitrary<CaptionCase> = fc.record({
  N: fc.integer({ min: 1, max: 3 }),
  T: fc.integer({ min: 2, max: 5 }),
  F: fc.integer({ min: 1, max: 4 }),
  H: fc.integer({ min: 1, max: 4 }),
  V: fc.integer({ min: 4, max: 7 }),
  seed: fc.nat(),
});

function describeCaption(c: CaptionCase): string {
  const s = `features [${c.N},${c.F}], captions of ${c.T + 1} tokens with padding, H = ${c.H}, V = ${c.V} (0 <NULL>, 1 <START>, 2 <END>)`;
  return c.label ? `${c.label}: ${s} (seed ${c.seed})` : `${s} (values: normal from seed ${c.seed})`;
}

function captionTensors(c: CaptionCase) {
  const rng = new Rng(c.seed);
  const E = 3;
  const params: ModelParams = {
    Wproj: rng.randn([c.F, c.H], 1 / Math.sqrt(c.F)),
    bproj: rng.randn([c.H], 0.3),
    Wembed: rng.randn([c.V, E]),
    ...lstmLayer(rng, E, c.H),
    Wvocab: rng.randn([c.H, c.V], 2 / Math.sqrt(c.H)),
    bvocab: rng.randn([c.V], 0.3),
  };
  const features = rng.randn([c.N, c.F]);
  // Words 3 .. V-1, then <END>, then padding; the first caption is always padded (length < T).
  const captions = Array.from({ length: c.N }, (_, n) => {
    const words = n === 0 ? rng.int(0, c.T - 2) : rng.int(0, c.T - 1);
    const row = [START];
    for (let t = 0; t < words; t++) row.push(rng.int(3, c.V - 1));
    row.push(END);
    while (row.length < c.T + 1) row.push(NULL);
    return row;
  });
  return { rng, params, features, captions };
}

function captionLossTest(): SuiteTest {
  return {
    id: 'caption-loss',
    name: 'captionLoss: the loss of a caption with teacher forcing, padding masked, averaged over images',
    points: 3,
    run: (ctx) =>
      checkProperty(
        ctx,
        captionCases,
        async (c) => {
          const s = captionTensors(c);
          const ref = refCaptionLoss(s.features, s.captions, s.params, { nullId: NULL });
          const loss = numberField(await ctx.call('captionLoss', [s.features, s.captions, s.params, NULL]), 'captionLoss', 'loss');
          if (relDiff(loss, ref.loss) <= TOL) return;
          const same = (v: number): boolean => relDiff(loss, v) <= TOL;
          const counted = s.captions.reduce((a, r) => a + r.slice(1).filter((w) => w !== NULL).length, 0);
          let why = '';
          if (same(refCaptionLoss(s.features, s.captions, s.params, { nullId: -1 }).loss)) why = 'Your loss counts the padding: positions whose target is <NULL> must be masked out (mask = target != nullId).';
          else if (same((ref.loss * c.N) / counted)) why = `Your loss is divided by the number of counted words (${counted}); this exercise divides by the number of images N = ${c.N}.`;
          else if (same(ref.loss * c.N)) why = `Your loss is N = ${c.N} times the expected one: divide the sum by N.`;
          else if (same(refCaptionLoss(s.features, s.captions, { ...s.params, Wproj: Tensor.zeros(s.params.Wproj.shape), bproj: Tensor.zeros(s.params.bproj.shape) }, { nullId: NULL }).loss)) {
            why = 'Your loss does not depend on the image: the initial hidden state must be h0 = features Wproj + bproj, not zeros.';
          }
          throw new TestFailure('failed', `captionLoss: loss is ${num(loss)}, expected ${num(ref.loss)}.${why ? ` ${why}` : ''}`);
        },
        { examples: [{ N: 2, T: 4, F: 3, H: 3, V: 6, seed: 127, label: 'two captions, one padded' }], describe: describeCaption },
      ),
  };
}

function captionGradsTest(): SuiteTest {
  return {
    id: 'caption-grads',
    name: 'captionLoss: grads of all eight parameters and dfeatures',
    points: 3,
    run: (ctx) =>
      checkProperty(
        ctx,
        captionCases,
        async (c) => {
          const s = captionTensors(c);
          const ref = refCaptionLoss(s.features, s.captions, s.params, { nullId: NULL });
          await gradsAgainstLoss(ctx, 'captionLoss', (p, e) => [e.features, s.captions, p, NULL], s.params, { features: { value: s.features, key: 'dfeatures', want: ref.dfeatures } }, ref, s.rng, (k, got) => {
            if ((k === 'Wproj' || k === 'bproj' || k === 'features') && Array.from(got.data).every((v) => v === 0)) {
              return ' It is all zeros: the projection gets its gradient from dh0, the gradient the LSTM backward pass returns for its initial hidden state.';
            }
            return '';
          });
        },
        { examples: [{ N: 2, T: 4, F: 3, H: 3, V: 6, seed: 128, label: 'two captions, one padded' }], describe: describeCaption },
      ),
  };
}

/** Explains a wrong decoded row by comparing it with the reference row. */
function decodeDiagnosis(fn: string, got: number[][], want: number[][]): string {
  for (let n = 0; n < want.length; n++) {
    const g = got[n];
    const w = want[n];
    if (g.join() === w.join()) continue;
    const e = w.indexOf(END);
    if (e >= 0 && g.slice(0, e + 1).join() === w.slice(0, e + 1).join()) {
      return ` Row ${n} is right up to <END> (position ${e}), then it continues: once an example has chosen <END> (${END}) it is finished and its later positions hold <NULL> (${NULL}).`;
    }
    if (g[0] === START && g.slice(1).join() === w.slice(0, -1).join()) {
      return ` Row ${n} starts with the <START> token (${START}): the output holds the words chosen at steps 0 .. maxLength-1; <START> is only fed in.`;
    }
    return ` First difference: row ${n} is [${g.join(', ')}], expected [${w.join(', ')}].`;
  }
  return '';
}

function describeDecode(c: CaptionCase & { maxLength: number }): string {
  return `${describeCaption(c)}, maxLength ${c.maxLength}`;
}

const decodeCases = captionCases.chain((c) => fc.integer({ min: 1, max: 7 }).map((maxLength) => ({ ...c, maxLength })));

function captionGreedyTest(): SuiteTest {
  return {
    id: 'caption-greedy',
    name: 'captionGreedy: greedy decoding from the image, <NULL> after <END>',
    points: 2,
    run: (ctx) =>
      checkProperty(
        ctx,
        decodeCases,
        async (c) => {
          const s = captionTensors(c);
          const opts = { start: START, end: END, nullId: NULL, maxLength: c.maxLength };
          const want = refCaptionGreedy(s.features, s.params, opts);
          const got = expectIds(await ctx.call('captionGreedy', [s.features, s.params, opts]), 'captionGreedy', c.N, c.maxLength);
          if (got.map((r) => r.join()).join('|') !== want.map((r) => r.join()).join('|')) throw new TestFailure('failed', `captionGreedy: wrong tokens.${decodeDiagnosis('captionGreedy', got, want)}`);
        },
        { examples: [{ N: 3, T: 3, F: 3, H: 4, V: 6, seed: 129, maxLength: 6, label: 'three images' }], describe: describeDecode },
      ),
  };
}

function captionSampleTest(): SuiteTest {
  return {
    id: 'caption-sample',
    name: 'captionSample: inverse-CDF sampling from softmax(scores / temperature), temperatures 0.3-3',
    points: 2,
    run: (ctx) =>
      checkProperty(
        ctx,
        decodeCases.chain((c) => fc.constantFrom(0.3, 0.5, 1, 2, 3).map((temperature) => ({ ...c, temperature }))),
        async (c) => {
          const s = captionTensors(c);
          const uniforms = Tensor.zeros([c.N, c.maxLength]).map(() => s.rng.uniform());
          const base = { start: START, end: END, nullId: NULL, maxLength: c.maxLength };
          const want = refCaptionSample(s.features, s.params, { ...base, temperature: c.temperature, uniforms });
          const got = expectIds(await ctx.call('captionSample', [s.features, s.params, { ...base, temperature: c.temperature, uniforms }]), 'captionSample', c.N, c.maxLength);
          const key = (rows: number[][]): string => rows.map((r) => r.join()).join('|');
          if (key(got) === key(want)) return;
          let why = '';
          if (c.temperature !== 1 && key(got) === key(refCaptionSample(s.features, s.params, { ...base, temperature: 1 / c.temperature, uniforms }))) {
            why = ` Your captions are those of temperature ${num(1 / c.temperature)}: divide the scores by the temperature, p = softmax(scores / temperature).`;
          } else if (c.temperature !== 1 && key(got) === key(refCaptionSample(s.features, s.params, { ...base, temperature: 1, uniforms }))) {
            why = ` Your captions are those of temperature 1: the temperature is ignored.`;
          } else if (key(got) === key(refCaptionGreedy(s.features, s.params, base))) {
            why = ' Your captions are the greedy ones: draw each word with its uniform number u = uniforms[n, t], the smallest id whose cumulative probability exceeds u.';
          } else {
            why = decodeDiagnosis('captionSample', got, want);
          }
          throw new TestFailure('failed', `captionSample: wrong tokens at temperature ${c.temperature}.${why}`);
        },
        {
          examples: [
            { N: 3, T: 3, F: 3, H: 4, V: 6, seed: 130, maxLength: 6, temperature: 0.5, label: 'temperature 0.5' },
            { N: 3, T: 3, F: 3, H: 4, V: 6, seed: 131, maxLength: 6, temperature: 2, label: 'temperature 2' },
          ],
          describe: (c) => `${describeDecode(c)}, temperature ${c.temperature}, uniforms from seed ${c.seed}`,
        },
      ),
  };
}

// ---------------------------------------------------------------------------------------------
// Encoder-decoder

interface Seq2SeqCase {
  readonly N: number;
  readonly S: number;
  readonly T: number;
  readonly H: number;
  readonly V: number;
  readonly seed: number;
  readonly label?: string;
}

const seq2seqCases: fc.Arbitrary<Seq2SeqCase> = fc.record({
  N: fc.integer({ min: 1, max: 3 }),
  S: fc.integer({ min: 1, max: 5 }),
  T: fc.integer({ min: 2, max: 4 }),
  H: fc.integer({ min: 1, max: 4 }),
  V: fc.integer({ min: 4, max: 6 }),
  seed: fc.nat(),
});

function describeSeq2Seq(c: Seq2SeqCase): string {
  const s = `${c.N} source rows of ${c.S} ids, targets of ${c.T + 1} tokens with padding, H = ${c.H}, V = ${c.V}`;
  return c.label ? `${c.label}: ${s} (seed ${c.seed})` : `${s} (values: normal from seed ${c.seed})`;
}

function seq2seqTensors(c: Seq2SeqCase) {
  const rng = new Rng(c.seed);
  const E = 3;
  const enc = lstmLayer(rng, E, c.H);
  const dec = lstmLayer(rng, E, c.H);
  const params: ModelParams = {
    Wsrc: rng.randn([c.V, E]),
    encWx: enc.Wx,
    encWh: enc.Wh,
    encb: enc.b,
    Wtgt: rng.randn([c.V, E]),
    decWx: dec.Wx,
    decWh: dec.Wh,
    decb: dec.b,
    Wout: rng.randn([c.H, c.V], 2 / Math.sqrt(c.H)),
    bout: rng.randn([c.V], 0.3),
  };
  const src = Array.from({ length: c.N }, () => Array.from({ length: c.S }, () => rng.int(0, c.V - 1)));
  const tgt = Array.from({ length: c.N }, (_, n) => {
    const words = n === 0 ? rng.int(0, c.T - 2) : rng.int(0, c.T - 1);
    const row = [START];
    for (let t = 0; t < words; t++) row.push(rng.int(3, c.V - 1));
    row.push(END);
    while (row.length < c.T + 1) row.push(NULL);
    return row;
  });
  return { rng, params, src, tgt };
}

function seq2seqLossTest(): SuiteTest {
  return {
    id: 'seq2seq-loss',
    name: 'seq2seqLoss: the loss of a translation with teacher forcing, the decoder started by the encoder',
    points: 2,
    run: (ctx) =>
      checkProperty(
        ctx,
        seq2seqCases,
        async (c) => {
          const s = seq2seqTensors(c);
          const ref = refSeq2seqLoss(s.src, s.tgt, s.params, { nullId: NULL });
          const loss = numberField(await ctx.call('seq2seqLoss', [s.src, s.tgt, s.params, NULL]), 'seq2seqLoss', 'loss');
          if (relDiff(loss, ref.loss) <= TOL) return;
          const same = (v: number): boolean => relDiff(loss, v) <= TOL;
          const zero = (t: Tensor): Tensor => Tensor.zeros(t.shape);
          let why = '';
          if (same(refSeq2seqLoss(s.src, s.tgt, s.params, { nullId: -1 }).loss)) why = 'Your loss counts the padding: target positions holding <NULL> must be masked out.';
          else if (same(refSeq2seqLoss(s.src, s.tgt, { ...s.params, encWx: zero(s.params.encWx), encWh: zero(s.params.encWh), encb: zero(s.params.encb) }, { nullId: NULL }).loss)) {
            why = "Your loss does not depend on the source: the decoder must start from the encoder's final hidden state hT and cell state cT, not from zeros.";
          } else if (same(ref.loss * c.N)) why = `Your loss is N = ${c.N} times the expected one: divide the sum by N.`;
          throw new TestFailure('failed', `seq2seqLoss: loss is ${num(loss)}, expected ${num(ref.loss)}.${why ? ` ${why}` : ''}`);
        },
        { examples: [{ N: 2, S: 4, T: 3, H: 3, V: 6, seed: 132, label: 'two pairs, one padded' }], describe: describeSeq2Seq },
      ),
  };
}

function seq2seqGradsTest(): SuiteTest {
  return {
    id: 'seq2seq-grads',
    name: "seq2seqLoss: grads of the decoder's and the encoder's parameters",
    points: 3,
    run: (ctx) =>
      checkProperty(
        ctx,
        seq2seqCases,
        async (c) => {
          const s = seq2seqTensors(c);
          const ref = refSeq2seqLoss(s.src, s.tgt, s.params, { nullId: NULL });
          await gradsAgainstLoss(ctx, 'seq2seqLoss', (p) => [s.src, s.tgt, p, NULL], s.params, {}, ref, s.rng, (k, got) => {
            if ((k === 'Wsrc' || k.startsWith('enc')) && Array.from(got.data).every((v) => v === 0)) {
              return " It is all zeros: the encoder receives its gradient through the decoder's initial states; the decoder's dh0 and dc0 are the gradients of the encoder's hT and cT (dh at its last step, and its dcT).";
            }
            if (k.startsWith('enc') || k === 'Wsrc') return " The encoder's gradient comes from both of the decoder's initial states: dh = dh0 at the encoder's last step, and dcT = dc0.";
            return '';
          });
        },
        { examples: [{ N: 2, S: 4, T: 3, H: 3, V: 6, seed: 133, label: 'two pairs, one padded' }], describe: describeSeq2Seq },
      ),
  };
}

function seq2seqGreedyTest(): SuiteTest {
  return {
    id: 'seq2seq-greedy',
    name: "seq2seqGreedy: greedy decoding started from the encoder's final states",
    points: 2,
    run: (ctx) =>
      checkProperty(
        ctx,
        seq2seqCases.chain((c) => fc.integer({ min: 1, max: 7 }).map((maxLength) => ({ ...c, maxLength }))),
        async (c) => {
          const s = seq2seqTensors(c);
          const opts = { start: START, end: END, nullId: NULL, maxLength: c.maxLength };
          const want = refSeq2seqGreedy(s.src, s.params, opts);
          const got = expectIds(await ctx.call('seq2seqGreedy', [s.src, s.params, opts]), 'seq2seqGreedy', c.N, c.maxLength);
          if (got.map((r) => r.join()).join('|') === want.map((r) => r.join()).join('|')) return;
          throw new TestFailure('failed', `seq2seqGreedy: wrong tokens.${decodeDiagnosis('seq2seqGreedy', got, want)}`);
        },
        { examples: [{ N: 3, S: 4, T: 3, H: 4, V: 6, seed: 134, maxLength: 6, label: 'three sources' }], describe: (c) => `${describeSeq2Seq(c)}, maxLength ${c.maxLength}` },
      ),
  };
}

/** The tests of exercise 12, worth 28 points. */
export const rnnArchitecturesSuite: Suite = {
  id: '12-rnn-architectures',
  title: 'Recurrent architectures',
  modules: ['architectures.ts'],
  tests: [
    stackedForwardTest(),
    stackedBackwardTest(),
    manyToOneLossTest(),
    manyToOneGradsTest(),
    captionLossTest(),
    captionGradsTest(),
    captionGreedyTest(),
    captionSampleTest(),
    seq2seqLossTest(),
    seq2seqGradsTest(),
    seq2seqGreedyTest(),
  ],
};

