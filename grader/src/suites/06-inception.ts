/**
 * Grading suite of exercise 06, 1x1 convolutions and the inception module (`inception.ts`):
 * `conv1x1ReluForward` / `conv1x1ReluBackward`, `concatChannels` / `splitChannels`,
 * `inceptionForward` / `inceptionBackward`, `convMultiplies` and `inceptionMultiplies`, checked
 * against `@dlkata/layers` (`conv2dForward` + `reluForward`, `concatChannels`, `splitChannels`,
 * `inceptionForward`, `inceptionBackward`, `convMultiplies`, `inceptionMultiplies`; the same
 * parameter names and shapes).
 *
 * The tests are cut so that a realistic bug costs points in the test that names it and
 * nowhere else:
 *
 * - the module's output shape and its values are separate tests: branches concatenated in the
 *   wrong order keep the shape and lose the values; a pooling branch that changes the size
 *   cannot even be concatenated;
 * - the module's `dx` (the sum over the four branches) and its twelve parameter gradients are
 *   separate tests;
 * - the cost of one convolution, of each of the module's six convolutions, and their total
 *   are separate tests; the total passes when it is the sum of the submission's OWN six counts
 *   (a per-branch bug is charged to the per-branch test).
 *
 * A wrong module output is explained per branch: which channels differ, and whether they hold
 * another branch's output (the order).
 *
 * @module
 */
import fc from 'fast-check';
import {
  concatChannels as refConcat,
  conv2dBackward as refConvBackward,
  conv2dForward as refConv,
  convMultiplies as refConvMultiplies,
  inceptionBackward as refBackward,
  inceptionForward as refForward,
  inceptionMultiplies as refInceptionMultiplies,
  initInceptionParams,
  reluBackward as refReluBackward,
  reluForward as refRelu,
  splitChannels as refSplit,
  type InceptionCost,
  type InceptionGrads,
  type InceptionParams,
  type InceptionSpec,
} from '@dlkata/layers';
import { compareTensors, Rng, Tensor } from '@dlkata/tensor';
import { describeValue, field, isRecord } from '../protocol.js';
import { diagnoseInceptionForward } from '../diagnose/index.js';
import { carriesSignal, jointRecord, checkProperty, expectClose, expectField, expectNumber, expectTensor, forwardProblem, gradeGradient, shapeOf } from './harness.js';
import { TestFailure, type Suite, type SuiteTest, type TestContext } from './types.js';

const range = (lo: number, hi: number): fc.Arbitrary<number> => fc.integer({ min: lo, max: hi });

/** The lecture's 5x5 image (1x1 convolution worked example). */
const LECTURE_IMAGE = [
  [-5, 3, 2, -5, 3],
  [4, 3, 2, 1, -3],
  [1, 0, 3, 3, 5],
  [-2, 0, 1, 4, 4],
  [5, 6, 7, 9, -1],
];

/** Inception (3a) of GoogLeNet, Szegedy et al. 2015, Table 1. */
const INCEPTION_3A: InceptionSpec = { c1: 64, c3reduce: 96, c3: 128, c5reduce: 16, c5: 32, poolProj: 32 };

const SPEC_KEYS = ['c1', 'c3reduce', 'c3', 'c5reduce', 'c5', 'poolProj'] as const;

const specText = (s: InceptionSpec): string => `{ c1: ${s.c1}, c3reduce: ${s.c3reduce}, c3: ${s.c3}, c5reduce: ${s.c5reduce}, c5: ${s.c5}, poolProj: ${s.poolProj} }`;

// ---------------------------------------------------------------------------------------------
// 1x1 convolution + ReLU

/** A 1x1 convolution case: `x [N, C, H, W]`, `w [F, C, 1, 1]`, `b [F]`. */
interface Conv1x1Case {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly F: number;
  readonly seed: number;
  readonly label?: string;
  readonly fixed?: { readonly x: Tensor; readonly w: Tensor; readonly b: Tensor };
}

const conv1x1Cases: fc.Arbitrary<Conv1x1Case> = jointRecord({ N: [1, 2], C: [1, 6], H: [1, 5], W: [1, 5], F: [1, 6], seed: fc.nat() });

function conv1x1Tensors(c: Conv1x1Case): { x: Tensor; w: Tensor; b: Tensor; dout: Tensor; rng: Rng } {
  const rng = new Rng(c.seed);
  const x = c.fixed?.x ?? rng.randn([c.N, c.C, c.H, c.W]);
  const w = c.fixed?.w ?? rng.randn([c.F, c.C, 1, 1], 1 / Math.sqrt(c.C));
  const b = c.fixed?.b ?? rng.randn([c.F], 0.3);
  return { x, w, b, dout: rng.randn([c.N, c.F, c.H, c.W]), rng };
}

function describe1x1(c: Conv1x1Case): string {
  const shapes = `${shapeOf('x', [c.N, c.C, c.H, c.W])}, ${shapeOf('w', [c.F, c.C, 1, 1])}, ${shapeOf('b', [c.F])}`;
  return c.label ? `${c.label}: ${shapes}` : `${shapes} (values: seed ${c.seed})`;
}

const LECTURE_1X1: Conv1x1Case = {
  N: 1,
  C: 1,
  H: 5,
  W: 5,
  F: 1,
  seed: 1,
  label: "the lecture's 5x5 image and a 1x1 kernel of value 2, then the ReLU",
  fixed: { x: Tensor.from([[LECTURE_IMAGE]]), w: Tensor.from([[[[2]]]]), b: Tensor.from([0]) },
};
const LECTURE_SHRINK: Conv1x1Case = { N: 1, C: 200, H: 32, W: 32, F: 32, seed: 2, label: "the lecture's 32x32x200 -> 32x32x32" };

async function studentConv1x1(ctx: TestContext, x: Tensor, w: Tensor, b: Tensor, shape: readonly number[]): Promise<Tensor> {
  return expectField(await ctx.call('conv1x1ReluForward', [x, w, b], ['cache']), 'conv1x1ReluForward', 'out', shape);
}

const conv1x1Forward: SuiteTest = {
  id: 'conv1x1-forward',
  name: 'conv1x1ReluForward: 1x1 convolution (w [F, C, 1, 1]) + ReLU, the lecture 32x32x200 -> 32x32x32',
  points: 2,
  run: (ctx) =>
    checkProperty(
      ctx,
      conv1x1Cases,
      async (c) => {
        const { x, w, b } = conv1x1Tensors(c);
        const expected = refRelu(refConv(x, w, b).out).out;
        const out = await studentConv1x1(ctx, x, w, b, expected.shape);
        const noRelu = compareTensors('', out, refConv(x, w, b).out).ok;
        expectClose('conv1x1ReluForward: out', out, expected, noRelu ? 'Your output is the 1x1 convolution without the ReLU: apply max(0, .) to every output.' : '');
      },
      { examples: [LECTURE_1X1, LECTURE_SHRINK], describe: describe1x1 },
    ),
};

const conv1x1Backward: SuiteTest = {
  id: 'conv1x1-backward',
  name: 'conv1x1ReluBackward: dx, dw, db',
  points: 2,
  run: (ctx) =>
    checkProperty(
      ctx,
      conv1x1Cases,
      async (c) => {
        const { x, w, b, dout, rng } = conv1x1Tensors(c);
        const conv = refConv(x, w, b);
        const relu = refRelu(conv.out);
        const expected = refConvBackward(refReluBackward(dout, relu.cache).dx, conv.cache);
        const fwd = await ctx.call('conv1x1ReluForward', [x, w, b], ['cache']);
        let cache: unknown;
        try {
          cache = field(fwd, 'cache', 'conv1x1ReluForward');
        } catch (e) {
          throw new TestFailure('failed', `${(e as Error).message}; conv1x1ReluBackward needs the cache of conv1x1ReluForward`);
        }
        const grads = await ctx.call('conv1x1ReluBackward', [dout, cache]);
        const problem = forwardProblem(fwd, 'conv1x1ReluForward', relu.out);
        let note: string | undefined;
        for (const k of ['dx', 'dw', 'db'] as const) {
          const grad = expectField(grads, 'conv1x1ReluBackward', k, expected[k].shape);
          const input = k.slice(1) as 'x' | 'w' | 'b';
          const accepted = await gradeGradient({
            forward: 'conv1x1ReluForward',
            backward: 'conv1x1ReluBackward',
            input,
            point: { x, w, b }[input],
            grad,
            expected: expected[k],
            dout,
            forwardProblem: problem,
            rng,
            hint: 'With g = dout * (out > 0), every gradient is a sum over pixels and images.',
            studentForward: (p) => studentConv1x1(ctx, input === 'x' ? p : x, input === 'w' ? p : w, input === 'b' ? p : b, relu.out.shape),
          });
          note ??= accepted;
        }
        return note;
      },
      { examples: [{ ...LECTURE_1X1, label: "the lecture's 5x5 image, kernel 2: the ReLU blocks the negative pixels' gradients" }], describe: describe1x1 },
    ),
};

// ---------------------------------------------------------------------------------------------
// Concatenation

/** Tensors `[N, C_i, H, W]` to concatenate, drawn from a seed. */
interface ConcatCase {
  readonly N: number;
  readonly H: number;
  readonly W: number;
  readonly channels: readonly number[];
  readonly seed: number;
  readonly label?: string;
}

const concatCases: fc.Arbitrary<ConcatCase> = jointRecord(
  { N: [1, 3], H: [1, 4], W: [1, 4], channels: fc.array(range(1, 4), { minLength: 1, maxLength: 4 }), seed: fc.nat() },
  { edge: { channels: fc.array(range(1, 4), { minLength: 3, maxLength: 4 }) } },
);

const describeConcat = (c: ConcatCase): string =>
  `${c.label ? `${c.label}: ` : ''}${c.channels.map((C, i) => shapeOf(`xs[${i}]`, [c.N, C, c.H, c.W])).join(', ')} (values: seed ${c.seed})`;

const INCEPTION_CONCAT: ConcatCase = { N: 2, H: 3, W: 3, channels: [2, 3, 1, 2], seed: 71, label: 'four branches of an inception module, two images' };

const concatTest: SuiteTest = {
  id: 'concat',
  name: 'concatChannels: tensors stacked along the channels, in order, per image',
  points: 1,
  run: (ctx) =>
    checkProperty(
      ctx,
      concatCases,
      async (c) => {
        const rng = new Rng(c.seed);
        const xs = c.channels.map((C) => rng.randn([c.N, C, c.H, c.W]));
        const expected = refConcat(xs);
        const out = expectTensor(await ctx.call('concatChannels', [xs]), 'concatChannels: out', expected.shape);
        expectClose('concatChannels: out', out, expected, 'For each image, the channels of xs[0] come first, then those of xs[1], ...');
      },
      { examples: [INCEPTION_CONCAT], describe: describeConcat },
    ),
};

const splitTest: SuiteTest = {
  id: 'split',
  name: 'splitChannels: consecutive groups of channels, the inverse of concatChannels',
  points: 1,
  run: (ctx) =>
    checkProperty(
      ctx,
      concatCases,
      async (c) => {
        const x = new Rng(c.seed).randn([c.N, c.channels.reduce((a, C) => a + C, 0), c.H, c.W]);
        const expected = refSplit(x, c.channels);
        const got = await ctx.call('splitChannels', [x, c.channels]);
        const call = `splitChannels(x [${x.shape.join(',')}], [${c.channels.join(', ')}])`;
        if (!Array.isArray(got)) throw new TestFailure('failed', `${call} must return an array of tensors, got ${describeValue(got)}`);
        if (got.length !== expected.length) throw new TestFailure('failed', `${call} returned ${got.length} tensors, expected ${expected.length}`);
        expected.forEach((e, i) => expectClose(`splitChannels: part ${i}`, expectTensor(got[i], `splitChannels: part ${i}`, e.shape), e));
      },
      { examples: [INCEPTION_CONCAT], describe: (c) => describeConcat(c).replace(/xs\[\d+\] /g, 'part ') },
    ),
};

// ---------------------------------------------------------------------------------------------
// The inception module

/** One inception module case: input `[N, C, H, W]`, filter counts, and the seed of the values. */
export interface ModuleCase {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly spec: InceptionSpec;
  readonly seed: number;
  readonly label?: string;
}

const moduleCases: fc.Arbitrary<ModuleCase> = jointRecord({
  N: [1, 2],
  C: [1, 3],
  H: [1, 5],
  W: [1, 5],
  spec: fc.record({ c1: range(1, 3), c3reduce: range(1, 3), c3: range(1, 3), c5reduce: range(1, 3), c5: range(1, 3), poolProj: range(1, 3) }),
  seed: fc.nat(),
});

const MODULE_EXAMPLES: ModuleCase[] = [
  { N: 2, C: 3, H: 5, W: 4, spec: { c1: 2, c3reduce: 2, c3: 3, c5reduce: 1, c5: 2, poolProj: 1 }, seed: 81, label: 'every branch a different width' },
  { N: 1, C: 16, H: 4, W: 4, spec: { c1: 4, c3reduce: 6, c3: 8, c5reduce: 2, c5: 4, poolProj: 4 }, seed: 82, label: 'inception (3a) with every count divided by 16' },
];

interface ModuleTensors {
  readonly x: Tensor;
  readonly params: InceptionParams;
  readonly dout: Tensor;
  readonly rng: Rng;
}

function moduleTensors(c: ModuleCase): ModuleTensors {
  const rng = new Rng(c.seed);
  const p = { ...initInceptionParams(c.C, c.spec, rng) } as Record<keyof InceptionParams, Tensor>;
  for (const k of Object.keys(p) as (keyof InceptionParams)[]) if (p[k].ndim === 1) p[k] = rng.randn(p[k].shape, 0.3);
  const x = rng.randn([c.N, c.C, c.H, c.W]);
  const out = c.spec.c1 + c.spec.c3 + c.spec.c5 + c.spec.poolProj;
  return { x, params: p, dout: rng.randn([c.N, out, c.H, c.W]), rng };
}

/** The case in words, for the report. */
export function describeModule(c: ModuleCase): string {
  const what = `${shapeOf('x', [c.N, c.C, c.H, c.W])}, spec ${specText(c.spec)}`;
  return c.label ? `${c.label}: ${what} (seed ${c.seed})` : `${what} (values: seed ${c.seed})`;
}

async function studentModule(ctx: TestContext, x: Tensor, params: InceptionParams, spec: InceptionSpec): Promise<unknown> {
  return ctx.call('inceptionForward', [x, params, spec], ['cache']);
}

/**
 * The inception module composed from the student's OWN helpers (`conv1x1ReluForward`,
 * `convSameForward`, `reluForward`, `maxPoolForward`, `concatChannels`), every call in the
 * sandbox, wired as the module is: what a right `inceptionForward` returns when those helpers
 * are what they are. One mistake costs once: a wrong helper costs in the helper's tests, and a
 * module that composes it right keeps the module's points.
 *
 * @returns the composed `out` and the helpers' caches (handles), or null when a helper call fails
 */
async function ownModuleForward(ctx: TestContext, x: Tensor, p: InceptionParams): Promise<{ out: Tensor; caches: Record<string, unknown> } | null> {
  try {
    const call = async (fn: string, args: readonly unknown[]): Promise<{ out: Tensor; cache: unknown }> => {
      const r = await ctx.call(fn, args, ['cache']);
      return { out: expectField(r, fn, 'out'), cache: field(r, 'cache', fn) };
    };
    const b1 = await call('conv1x1ReluForward', [x, p.w1, p.b1]);
    const r3 = await call('conv1x1ReluForward', [x, p.w3reduce, p.b3reduce]);
    const c3 = await call('convSameForward', [r3.out, p.w3, p.b3]);
    const b3 = await call('reluForward', [c3.out]);
    const r5 = await call('conv1x1ReluForward', [x, p.w5reduce, p.b5reduce]);
    const c5 = await call('convSameForward', [r5.out, p.w5, p.b5]);
    const b5 = await call('reluForward', [c5.out]);
    const pool = await call('maxPoolForward', [x, { kernel: 3, stride: 1, pad: 1 }]);
    const bp = await call('conv1x1ReluForward', [pool.out, p.wPoolProj, p.bPoolProj]);
    const out = expectTensor(await ctx.call('concatChannels', [[b1.out, b3.out, b5.out, bp.out]]), 'concatChannels');
    return { out, caches: { b1: b1.cache, r3: r3.cache, c3: c3.cache, b3: b3.cache, r5: r5.cache, c5: c5.cache, b5: b5.cache, pool: pool.cache, bp: bp.cache } };
  } catch (e) {
    if (e instanceof TestFailure && e.fatal) throw e;
    return null;
  }
}

/**
 * The module's backward pass composed from the student's OWN helpers' backward passes
 * (`splitChannels`, `conv1x1ReluBackward`, `convSameBackward`, `reluBackward`,
 * `maxPoolBackward`) on the caches of {@link ownModuleForward}, summing `dx` over the four
 * branches here.
 *
 * @returns every gradient of {@link InceptionGrads}, or null when a helper call fails
 */
async function ownModuleBackward(ctx: TestContext, dout: Tensor, spec: InceptionSpec, caches: Record<string, unknown>): Promise<Record<string, Tensor> | null> {
  try {
    const grads = async (fn: string, args: readonly unknown[], keys: readonly string[]): Promise<Record<string, Tensor>> => {
      const r = await ctx.call(fn, args);
      return Object.fromEntries(keys.map((k) => [k, expectField(r, fn, k)]));
    };
    const parts = await ctx.call('splitChannels', [dout, [spec.c1, spec.c3, spec.c5, spec.poolProj]]);
    if (!Array.isArray(parts) || parts.length !== 4) return null;
    const [d1, d3, d5, dp] = parts.map((t, i) => expectTensor(t, `splitChannels: part ${i}`));
    const conv = ['dx', 'dw', 'db'];
    const g1 = await grads('conv1x1ReluBackward', [d1, caches.b1], conv);
    const g3 = await grads('convSameBackward', [(await grads('reluBackward', [d3, caches.b3], ['dx'])).dx, caches.c3], conv);
    const g3r = await grads('conv1x1ReluBackward', [g3.dx, caches.r3], conv);
    const g5 = await grads('convSameBackward', [(await grads('reluBackward', [d5, caches.b5], ['dx'])).dx, caches.c5], conv);
    const g5r = await grads('conv1x1ReluBackward', [g5.dx, caches.r5], conv);
    const gp = await grads('conv1x1ReluBackward', [dp, caches.bp], conv);
    const gpool = await grads('maxPoolBackward', [gp.dx, caches.pool], ['dx']);
    const branches = [g1.dx, g3r.dx, g5r.dx, gpool.dx];
    if (branches.some((t) => t.size !== g1.dx.size)) return null;
    const dx = g1.dx.map((v, i) => v + g3r.dx.data[i] + g5r.dx.data[i] + gpool.dx.data[i]);
    return {
      dx,
      dw1: g1.dw,
      db1: g1.db,
      dw3reduce: g3r.dw,
      db3reduce: g3r.db,
      dw3: g3.dw,
      db3: g3.db,
      dw5reduce: g5r.dw,
      db5reduce: g5r.db,
      dw5: g5.dw,
      db5: g5.db,
      dwPoolProj: gp.dw,
      dbPoolProj: gp.db,
    };
  } catch (e) {
    if (e instanceof TestFailure && e.fatal) throw e;
    return null;
  }
}

const sameTensor = (a: Tensor, b: Tensor): boolean => a.size === b.size && a.shape.every((d, i) => d === b.shape[i]) && compareTensors('', a, b).ok;

const HELPERS_NOTE =
  'the right composition of your own helpers (conv1x1ReluForward/Backward, concatChannels/splitChannels, convSame, relu, maxPool), and a helper is what is wrong: this test keeps its points; the helper\'s tests cost its bug.';

const forwardShape: SuiteTest = {
  id: 'forward-shape',
  name: 'inceptionForward: out [N, c1 + c3 + c5 + poolProj, H, W] (every branch keeps H x W)',
  points: 1,
  run: (ctx) =>
    checkProperty(
      ctx,
      moduleCases,
      async (c) => {
        const { x, params } = moduleTensors(c);
        const out = expectField(await studentModule(ctx, x, params, c.spec), 'inceptionForward', 'out');
        const want = [c.N, c.spec.c1 + c.spec.c3 + c.spec.c5 + c.spec.poolProj, c.H, c.W];
        if (out.shape.length !== 4 || out.shape.some((d, i) => d !== want[i])) {
          throw new TestFailure('failed', `inceptionForward: out has shape [${out.shape.join(',')}], expected [${want.join(',')}]. Every branch is "same" and the pooling has stride 1 and padding 1, so H and W are kept.`);
        }
      },
      { examples: MODULE_EXAMPLES, describe: describeModule },
    ),
};

const forwardValues: SuiteTest = {
  id: 'forward',
  name: 'inceptionForward: out, branches 1x1 | 3x3 | 5x5 | pool concatenated in that order',
  points: 3,
  run: (ctx) =>
    checkProperty(
      ctx,
      moduleCases,
      async (c) => {
        const { x, params } = moduleTensors(c);
        const expected = refForward(x, params, c.spec).out;
        const out = expectField(await studentModule(ctx, x, params, c.spec), 'inceptionForward', 'out', expected.shape);
        const cmp = compareTensors('inceptionForward: out', out, expected);
        if (cmp.ok) return;
        const own = await ownModuleForward(ctx, x, params);
        if (own !== null && !sameTensor(own.out, expected) && carriesSignal(own.out, expected) && sameTensor(out, own.out)) return `Your inceptionForward differs from the reference, but it is ${HELPERS_NOTE}`;
        throw new TestFailure('failed', `${cmp.message}. ${diagnoseInceptionForward(out, expected, c.spec) ?? ''}`.trim());
      },
      { examples: MODULE_EXAMPLES, describe: describeModule },
    ),
};

type ModuleGradKey = keyof InceptionGrads;

function moduleBackwardTest(id: string, name: string, points: number, keys: readonly ModuleGradKey[], hint: string): SuiteTest {
  return {
    id,
    name,
    points,
    run: (ctx) =>
      checkProperty(
        ctx,
        moduleCases,
        async (c) => {
          const t = moduleTensors(c);
          const ref = refForward(t.x, t.params, c.spec);
          const expected = refBackward(t.dout, ref.cache);
          const fwd = await studentModule(ctx, t.x, t.params, c.spec);
          let cache: unknown;
          try {
            cache = field(fwd, 'cache', 'inceptionForward');
          } catch (e) {
            throw new TestFailure('failed', `${(e as Error).message}; inceptionBackward needs the cache of inceptionForward`);
          }
          const grads = await ctx.call('inceptionBackward', [t.dout, cache]);
          const problem = forwardProblem(fwd, 'inceptionForward', ref.out);
          let note: string | undefined;
          let own: Promise<Record<string, Tensor> | null> | undefined;
          for (const k of keys) {
            const grad = expectField(grads, 'inceptionBackward', k, expected[k].shape);
            if (!compareTensors('', grad, expected[k]).ok && carriesSignal(grad, expected[k])) {
              // a wrong helper costs in the helper's tests: a module backward that composes the student's own helpers right keeps its points
              own ??= ownModuleForward(ctx, t.x, t.params).then((f) => (f === null ? null : ownModuleBackward(ctx, t.dout, c.spec, f.caches)));
              const comp = await own;
              if (comp !== null && comp[k] !== undefined && !sameTensor(comp[k], expected[k]) && sameTensor(grad, comp[k])) {
                note ??= `Your inceptionBackward differs from the reference, but it is ${HELPERS_NOTE}`;
                continue;
              }
            }
            const input = k.slice(1) as 'x' | keyof InceptionParams;
            const accepted = await gradeGradient({
              forward: 'inceptionForward',
              backward: 'inceptionBackward',
              input,
              point: input === 'x' ? t.x : t.params[input],
              grad,
              expected: expected[k],
              dout: t.dout,
              forwardProblem: problem,
              rng: t.rng,
              hint,
              studentForward: async (p) =>
                expectField(
                  await studentModule(ctx, input === 'x' ? p : t.x, input === 'x' ? t.params : { ...t.params, [input]: p }, c.spec),
                  'inceptionForward',
                  'out',
                  ref.out.shape,
                ),
            });
            note ??= accepted;
          }
          return note;
        },
        { examples: MODULE_EXAMPLES, describe: describeModule },
      ),
  };
}

// ---------------------------------------------------------------------------------------------
// Cost

/** A `convMultiplies` case. */
interface ConvCostCase {
  readonly input: readonly [number, number, number];
  readonly filters: number;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number | 'same';
  readonly label?: string;
}

const convCostCases: fc.Arbitrary<ConvCostCase> = fc
  .record({ C: range(1, 256), H: range(1, 64), W: range(1, 64), filters: range(1, 256), kernel: range(1, 7), stride: range(1, 4), pad: fc.oneof(range(0, 3), fc.constant('same' as const)) })
  .map((c) => ({ ...c, kernel: c.pad === 'same' ? c.kernel | 1 : c.kernel, stride: c.pad === 'same' ? 1 : c.stride }))
  .filter((c) => {
    const p = c.pad === 'same' ? (c.kernel - 1) / 2 : c.pad;
    return c.kernel <= c.H + 2 * p && c.kernel <= c.W + 2 * p;
  })
  .map(({ C, H, W, ...r }) => ({ ...r, input: [C, H, W] as const }));

const convCostText = (c: ConvCostCase): string => `convMultiplies([${c.input.join(', ')}], ${c.filters}, ${c.kernel}, ${c.stride}, ${JSON.stringify(c.pad)})`;

/** An `inceptionMultiplies` case. */
interface ModuleCostCase {
  readonly input: readonly [number, number, number];
  readonly spec: InceptionSpec;
  readonly label?: string;
}

const moduleCostCases: fc.Arbitrary<ModuleCostCase> = fc.record({
  input: fc.tuple(range(1, 512), range(1, 64), range(1, 64)),
  spec: fc.record({ c1: range(1, 256), c3reduce: range(1, 192), c3: range(1, 384), c5reduce: range(1, 64), c5: range(1, 128), poolProj: range(1, 128) }),
});

const LECTURE_MODULE: ModuleCostCase = {
  input: [200, 32, 32],
  spec: { c1: 32, c3reduce: 32, c3: 64, c5reduce: 16, c5: 92, poolProj: 32 },
  label: "the lecture's 32x32x200 volume, 5x5 branch 200 -> 16 -> 92 (40,960,000)",
};
const GOOGLENET_3A: ModuleCostCase = { input: [192, 28, 28], spec: INCEPTION_3A, label: 'GoogLeNet inception (3a) (Table 1: 128M)' };

const describeModuleCost = (c: ModuleCostCase): string => `${c.label ? `${c.label}: ` : ''}inceptionMultiplies([${c.input.join(', ')}], ${specText(c.spec)})`;

/** Reads the returned cost object: six integer counts, `total`, `outputShape`. */
function expectCost(v: unknown, call: string): { counts: Record<(typeof SPEC_KEYS)[number], number>; total: unknown; outputShape: unknown } {
  if (!isRecord(v)) throw new TestFailure('failed', `${call} must return an object { c1, c3reduce, c3, c5reduce, c5, poolProj, total, outputShape }, got ${describeValue(v)}`);
  const counts = {} as Record<(typeof SPEC_KEYS)[number], number>;
  for (const k of SPEC_KEYS) counts[k] = expectNumber(v[k], `${call}.${k}`, true);
  return { counts, total: v.total, outputShape: v.outputShape };
}

const fmt = (n: number): string => n.toLocaleString('en-US');

const costConv: SuiteTest = {
  id: 'cost-conv',
  name: 'convMultiplies: F*C*K*K*H\'*W\' (stride, padding, \'same\')',
  points: 1,
  run: (ctx) =>
    checkProperty(
      ctx,
      convCostCases,
      async (c) => {
        const expected = refConvMultiplies(c.input, c.filters, c.kernel, c.stride, c.pad);
        const got = expectNumber(await ctx.call('convMultiplies', [c.input, c.filters, c.kernel, c.stride, c.pad]), convCostText(c), true);
        if (got !== expected) throw new TestFailure('failed', `${convCostText(c)} returned ${fmt(got)}, expected ${fmt(expected)}`);
      },
      {
        examples: [
          { input: [200, 32, 32], filters: 16, kernel: 1, stride: 1, pad: 0, label: 'the lecture: 1x1x200x32x32x16 = 3,276,800' },
          { input: [16, 32, 32], filters: 92, kernel: 5, stride: 1, pad: 'same', label: 'the lecture: 5x5x16x32x32x92 = 37,683,200' },
          { input: [200, 32, 32], filters: 92, kernel: 5, stride: 1, pad: 'same', label: 'the lecture: 5x5x200x32x32x92 = 471,040,000' },
        ],
        describe: (c) => `${c.label ? `${c.label}: ` : ''}${convCostText(c)}`,
      },
    ),
};

const costBranches: SuiteTest = {
  id: 'cost-branches',
  name: 'inceptionMultiplies: each of the six convolutions (3x3 on c3reduce, 5x5 on c5reduce channels) and the output shape',
  points: 2,
  run: (ctx) =>
    checkProperty(
      ctx,
      moduleCostCases,
      async (c) => {
        const expected: InceptionCost = refInceptionMultiplies(c.input, c.spec);
        const call = describeModuleCost({ input: c.input, spec: c.spec });
        const got = expectCost(await ctx.call('inceptionMultiplies', [c.input, c.spec]), call);
        for (const k of SPEC_KEYS) {
          if (got.counts[k] !== expected[k]) throw new TestFailure('failed', `${call}.${k} is ${fmt(got.counts[k])}, expected ${fmt(expected[k])}`);
        }
        const shape = got.outputShape;
        if (!Array.isArray(shape) || shape.length !== 3 || shape.some((d, i) => d !== expected.outputShape[i])) {
          throw new TestFailure('failed', `${call}.outputShape is ${Array.isArray(shape) ? `[${shape.join(',')}]` : describeValue(shape)}, expected [${expected.outputShape.join(',')}]`);
        }
      },
      { examples: [LECTURE_MODULE, GOOGLENET_3A], describe: describeModuleCost },
    ),
};

const costTotal: SuiteTest = {
  id: 'cost-total',
  name: 'inceptionMultiplies: total, the sum of all six convolutions (the 1x1 reductions included)',
  points: 1,
  run: (ctx) =>
    checkProperty(
      ctx,
      moduleCostCases,
      async (c) => {
        const expected = refInceptionMultiplies(c.input, c.spec);
        const call = describeModuleCost({ input: c.input, spec: c.spec });
        const got = expectCost(await ctx.call('inceptionMultiplies', [c.input, c.spec]), call);
        const total = expectNumber(got.total, `${call}.total`, true);
        const own = SPEC_KEYS.reduce((a, k) => a + got.counts[k], 0);
        // Right, or right for the submission's own six counts (a per-branch bug is cost-branches').
        if (total === expected.total || total === own) return;
        throw new TestFailure('failed', `${call}.total is ${fmt(total)}, but your six counts add up to ${fmt(own)} (expected ${fmt(expected.total)}): the total counts every convolution, the 1x1 reductions too`);
      },
      { examples: [LECTURE_MODULE, GOOGLENET_3A], describe: describeModuleCost },
    ),
};

/** The tests of exercise 06, worth 19 points. */
export const inceptionSuite: Suite = {
  id: '06-inception',
  title: '1x1 convolutions and the inception module',
  modules: ['inception.ts'],
  tests: [
    conv1x1Forward,
    conv1x1Backward,
    concatTest,
    splitTest,
    forwardShape,
    forwardValues,
    moduleBackwardTest('backward-dx', 'inceptionBackward: dx, the sum of the four branches\' dx', 2, ['dx'], 'All four branches read x, so dx = dx_1x1 + dx_3x3 + dx_5x5 + dx_pool.'),
    moduleBackwardTest(
      'backward-params',
      'inceptionBackward: the twelve weight and bias gradients',
      3,
      ['dw1', 'db1', 'dw3reduce', 'db3reduce', 'dw3', 'db3', 'dw5reduce', 'db5reduce', 'dw5', 'db5', 'dwPoolProj', 'dbPoolProj'],
      'dout is split into the branches\' channels in the order 1x1 | 3x3 | 5x5 | pool, and each part goes back through its own branch.',
    ),
    costConv,
    costBranches,
    costTotal,
  ],
};
