/**
 * Grading suite of exercise 05, residual blocks (`residual.ts`): `residualNeedsProjection`,
 * `residualBlockForward` and `residualBlockBackward`, checked against `@dlkata/layers`'
 * `residualBlockForward` / `residualBlockBackward` (same parameter names and shapes).
 *
 * The tests are cut so that a realistic bug costs points in the test that names it and
 * nowhere else:
 *
 * - the forward pass with the identity shortcut, with a projection at stride 1, and at stride
 *   2, each in its own test (a projection that forgets its stride fails only the last);
 * - the backward pass: the four weight and bias gradients of the main path (stride 1), `dx`
 *   through the identity (the skip path's gradient), and `dx`, `dws`, `dbs` with a projection
 *   at stride 1-2.
 *
 * A wrong forward output is explained when it equals a known mistake computed here with the
 * library's layers (the skip added after the last ReLU, or no skip at all).
 *
 * @module
 */
import fc from 'fast-check';
import {
  initResidualBlockParams,
  residualBlockBackward as refBackward,
  residualBlockForward as refForward,
  residualNeedsProjection as refNeedsProjection,
  type ResidualBlockGrads,
  type ResidualBlockParams,
} from '@dlkata/layers';
import { compareTensors, Rng, Tensor } from '@dlkata/tensor';
import { describeValue, field } from '../protocol.js';
import { diagnoseResidualForward } from '../diagnose/index.js';
import { checkProperty, expectClose, expectField, explainGradient, forwardProblem, shapeOf } from './harness.js';
import { TestFailure, type Suite, type SuiteTest, type TestContext } from './types.js';

/** One residual block case: input `[N, C, H, W]`, `F` filters (3x3), the stride, the shortcut, and the seed of the values. */
export interface BlockCase {
  readonly N: number;
  readonly C: number;
  readonly F: number;
  readonly H: number;
  readonly W: number;
  readonly stride: number;
  /** A 1x1 projection shortcut `ws`, `bs` (required when `C != F` or stride > 1). */
  readonly projection: boolean;
  /** Seed of x, the parameters and dout. */
  readonly seed: number;
  /** Set for a fixed case; names it in the report. */
  readonly label?: string;
  /** Changes the drawn parameters, e.g. zeroes the main path. */
  readonly tweak?: 'zero-main' | 'zero-w2';
}

const range = (lo: number, hi: number): fc.Arbitrary<number> => fc.integer({ min: lo, max: hi });

/** Random cases; the shortcut is a projection when `projection` says so or the shapes require it. */
export function blockCases(opts: { stride: [number, number]; channels: 'same' | 'any'; projection: 'never' | 'always' | 'maybe' }): fc.Arbitrary<BlockCase> {
  return fc
    .record({
      N: range(1, 2),
      C: range(1, 4),
      F: range(1, 4),
      H: range(1, 7),
      W: range(1, 7),
      stride: range(opts.stride[0], opts.stride[1]),
      projection: opts.projection === 'maybe' ? fc.boolean() : fc.constant(opts.projection === 'always'),
      seed: fc.nat(),
    })
    .map((c) => {
      const F = opts.channels === 'same' ? c.C : c.F;
      return { ...c, F, projection: c.projection || refNeedsProjection(c.C, F, c.stride) };
    });
}

interface BlockTensors {
  readonly x: Tensor;
  readonly params: ResidualBlockParams;
  readonly opts: { readonly stride: number };
  readonly dout: Tensor;
  readonly rng: Rng;
}

function tensors(c: BlockCase): BlockTensors {
  const rng = new Rng(c.seed);
  const p = initResidualBlockParams(c.C, c.F, rng, { stride: c.stride, projection: c.projection });
  let params: ResidualBlockParams = { ...p, b1: rng.randn([c.F], 0.3), b2: rng.randn([c.F], 0.3), ...(p.bs ? { bs: rng.randn([c.F], 0.3) } : {}) };
  if (c.tweak === 'zero-main') params = { ...params, w1: Tensor.zeros(params.w1.shape), b1: Tensor.zeros([c.F]), w2: Tensor.zeros(params.w2.shape), b2: Tensor.zeros([c.F]) };
  if (c.tweak === 'zero-w2') params = { ...params, w2: Tensor.zeros(params.w2.shape), b2: Tensor.zeros([c.F]) };
  const x = rng.randn([c.N, c.C, c.H, c.W]);
  const OH = Math.floor((c.H - 1) / c.stride) + 1;
  const OW = Math.floor((c.W - 1) / c.stride) + 1;
  return { x, params, opts: { stride: c.stride }, dout: rng.randn([c.N, c.F, OH, OW]), rng };
}

/** The case in words, for the report. */
export function describeBlock(c: BlockCase): string {
  const shortcut = c.projection ? `projection ${shapeOf('ws', [c.F, c.C, 1, 1])}` : 'identity shortcut';
  const what = `${shapeOf('x', [c.N, c.C, c.H, c.W])}, F = ${c.F} (3x3), stride ${c.stride}, ${shortcut}`;
  return c.label ? `${c.label}: ${what} (seed ${c.seed})` : `${what} (values: seed ${c.seed})`;
}

function fixed(label: string, shape: [number, number, number, number], F: number, stride: number, projection: boolean, seed: number, tweak?: BlockCase['tweak']): BlockCase {
  const [N, C, H, W] = shape;
  return { N, C, H, W, F, stride, projection: projection || refNeedsProjection(C, F, stride), seed, label, ...(tweak ? { tweak } : {}) };
}

async function studentForward(ctx: TestContext, t: BlockTensors, params: ResidualBlockParams, x: Tensor, shape: readonly number[]): Promise<Tensor> {
  const r = await ctx.call('residualBlockForward', [x, params, t.opts], ['cache']);
  return expectField(r, 'residualBlockForward', 'out', shape);
}

function forwardTest(id: string, name: string, points: number, cases: fc.Arbitrary<BlockCase>, examples: BlockCase[], hint: string): SuiteTest {
  return {
    id,
    name,
    points,
    run: (ctx) =>
      checkProperty(
        ctx,
        cases,
        async (c) => {
          const t = tensors(c);
          const expected = refForward(t.x, t.params, t.opts).out;
          const out = await studentForward(ctx, t, t.params, t.x, expected.shape);
          const cmp = compareTensors('residualBlockForward: out', out, expected);
          if (cmp.ok) return;
          throw new TestFailure('failed', `${cmp.message}. ${diagnoseResidualForward(t.x, t.params, t.opts, out) ?? hint}`.trim());
        },
        { examples, describe: describeBlock },
      ),
  };
}

type GradKey = keyof ResidualBlockGrads;

/** The input a gradient belongs to: `dw1` -> `w1`. */
const inputOf = (k: GradKey): 'x' | keyof ResidualBlockParams => k.slice(1) as 'x' | keyof ResidualBlockParams;

function backwardTest(id: string, name: string, points: number, keys: readonly GradKey[], cases: fc.Arbitrary<BlockCase>, examples: BlockCase[], hint: string): SuiteTest {
  return {
    id,
    name,
    points,
    run: (ctx) =>
      checkProperty(
        ctx,
        cases,
        async (c) => {
          const t = tensors(c);
          const ref = refForward(t.x, t.params, t.opts);
          const expected = refBackward(t.dout, ref.cache);
          const fwd = await ctx.call('residualBlockForward', [t.x, t.params, t.opts], ['cache']);
          let cache: unknown;
          try {
            cache = field(fwd, 'cache', 'residualBlockForward');
          } catch (e) {
            throw new TestFailure('failed', `${(e as Error).message}; residualBlockBackward needs the cache of residualBlockForward`);
          }
          const grads = await ctx.call('residualBlockBackward', [t.dout, cache]);
          for (const k of keys) {
            const want = expected[k];
            if (want === undefined) throw new Error(`grader bug: the reference has no ${k} for ${describeBlock(c)}`);
            const grad = expectField(grads, 'residualBlockBackward', k, want.shape);
            const cmp = compareTensors(`residualBlockBackward: ${k}`, grad, want);
            if (cmp.ok) continue;
            const input = inputOf(k);
            const point = input === 'x' ? t.x : t.params[input]!;
            const diagnosis = await explainGradient({
              forward: 'residualBlockForward',
              backward: 'residualBlockBackward',
              input,
              point,
              grad,
              dout: t.dout,
              forwardProblem: forwardProblem(fwd, 'residualBlockForward', ref.out),
              rng: t.rng,
              studentForward: (p) => (input === 'x' ? studentForward(ctx, t, t.params, p, ref.out.shape) : studentForward(ctx, t, { ...t.params, [input]: p }, t.x, ref.out.shape)),
            });
            throw new TestFailure('failed', `${cmp.message}. ${hint} ${diagnosis}`.trim());
          }
        },
        { examples, describe: describeBlock },
      ),
  };
}

/** A `residualNeedsProjection` case. */
interface ProjectionCase {
  readonly C: number;
  readonly F: number;
  readonly stride: number;
  readonly label?: string;
}

/** The tests of exercise 05, worth 14 points. */
export const residualSuite: Suite = {
  id: '05-residual',
  title: 'Residual blocks',
  modules: ['residual.ts'],
  tests: [
    {
      id: 'needs-projection',
      name: 'residualNeedsProjection: true when C != F or stride != 1',
      points: 1,
      run: (ctx) =>
        checkProperty(
          ctx,
          fc.oneof(
            fc.record({ C: range(1, 512), F: range(1, 512), stride: range(1, 3) }),
            range(1, 512).chain((C) => fc.record({ C: fc.constant(C), F: fc.constant(C), stride: range(1, 3) })),
          ),
          async (c: ProjectionCase) => {
            const expected = refNeedsProjection(c.C, c.F, c.stride);
            const got = await ctx.call('residualNeedsProjection', [c.C, c.F, c.stride]);
            if (typeof got !== 'boolean') throw new TestFailure('failed', `residualNeedsProjection(${c.C}, ${c.F}, ${c.stride}) must return true or false, got ${describeValue(got)}`);
            if (got !== expected) throw new TestFailure('failed', `residualNeedsProjection(${c.C}, ${c.F}, ${c.stride}) returned ${got}, expected ${expected}`);
          },
          {
            examples: [
              { C: 64, F: 64, stride: 1, label: 'a ResNet stage: identity' },
              { C: 64, F: 128, stride: 2, label: 'between two ResNet stages' },
              { C: 4, F: 4, stride: 2, label: 'stride 2 alone' },
            ],
            describe: (c) => `${c.label ? `${c.label}: ` : ''}C = ${c.C}, F = ${c.F}, stride ${c.stride}`,
          },
        ),
    },
    forwardTest(
      'forward-identity',
      'residualBlockForward: identity shortcut (C = F, stride 1)',
      2,
      blockCases({ stride: [1, 1], channels: 'same', projection: 'never' }),
      [
        fixed('the identity is easy to learn: zero weights and biases give relu(x)', [2, 4, 5, 5], 4, 1, false, 51, 'zero-main'),
        fixed('two images, 3 channels', [2, 3, 6, 5], 3, 1, false, 52),
      ],
      'out = relu(conv2(relu(conv1(x))) + x), both convolutions 3x3 with padding 1.',
    ),
    forwardTest(
      'forward-projection',
      'residualBlockForward: 1x1 projection shortcut, stride 1',
      2,
      blockCases({ stride: [1, 1], channels: 'any', projection: 'always' }),
      [fixed('3 -> 4 channels', [2, 3, 5, 6], 4, 1, true, 53), fixed('a projection although the identity would do', [1, 3, 4, 4], 3, 1, true, 54)],
      'With ws given, the shortcut is the 1x1 convolution ws x + bs, added before the last ReLU.',
    ),
    forwardTest(
      'forward-stride',
      'residualBlockForward: stride 2 (conv1 and the projection)',
      2,
      blockCases({ stride: [2, 2], channels: 'any', projection: 'always' }),
      [
        fixed('a ResNet stage change: twice the channels, half the size', [1, 3, 7, 8], 6, 2, true, 55),
        fixed('zero main path: relu of the projection read at every second pixel', [1, 2, 5, 5], 3, 2, true, 56, 'zero-main'),
      ],
      'The stride applies to the first convolution AND to the projection (both read every second pixel); the second convolution has stride 1.',
    ),
    backwardTest(
      'backward-weights',
      'residualBlockBackward: dw1, db1, dw2, db2 (stride 1)',
      3,
      ['dw1', 'db1', 'dw2', 'db2'],
      blockCases({ stride: [1, 1], channels: 'any', projection: 'maybe' }),
      [fixed('3 -> 4 channels', [2, 3, 5, 5], 4, 1, true, 61), fixed('identity shortcut', [2, 2, 4, 5], 2, 1, false, 62)],
      'The main path: g = dout * (sum > 0) back through conv2, the first ReLU and conv1.',
    ),
    backwardTest(
      'backward-dx',
      'residualBlockBackward: dx with the identity shortcut (main path + skip path)',
      2,
      ['dx'],
      blockCases({ stride: [1, 1], channels: 'same', projection: 'never' }),
      [fixed('w2 = 0: the gradient reaches x through the skip alone', [1, 3, 4, 4], 3, 1, false, 63, 'zero-w2'), fixed('two images', [2, 4, 5, 5], 4, 1, false, 64)],
      'x is used twice, so dx = (main-path dx) + g, where the identity passes g = dout * (sum > 0) to x unchanged.',
    ),
    backwardTest(
      'backward-projection',
      'residualBlockBackward: dx, dws, dbs with a projection (stride 1-2)',
      2,
      ['dx', 'dws', 'dbs'],
      blockCases({ stride: [1, 2], channels: 'any', projection: 'always' }),
      [fixed('stride 2, 3 -> 4 channels', [2, 3, 7, 6], 4, 2, true, 65)],
      'The skip path sends g = dout * (sum > 0) back through the projection (its dx, dws, dbs); dx adds the main path\'s.',
    ),
  ],
};
