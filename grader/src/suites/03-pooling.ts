/**
 * Grading suite of exercise 03, max pooling (`pool.ts`): `maxPool2dForward` and
 * `maxPool2dBackward`, checked against `@dlkata/layers`.
 *
 * The backward pass is graded in three tests so each classic mistake shows in one place:
 * non-overlapping windows with distinct values (the plain case), overlapping windows with
 * distinct values (gradients must add, `+=`), and ties in non-overlapping windows (the
 * gradient goes to the first maximum in row-major order, as in PyTorch's CPU kernel).
 *
 * @module
 */
import fc from 'fast-check';
import { maxPool2dBackward as refBackward, maxPool2dForward as refForward } from '@dlkata/layers';
import { compareTensors, Rng, Tensor } from '@dlkata/tensor';
import { field } from '../protocol.js';
import { diagnosePoolBackward } from '../diagnose/index.js';
import { checkProperty, expectClose, expectField, explainGradient, forwardProblem, shapeOf } from './harness.js';
import { TestFailure, type Suite, type SuiteTest, type TestContext } from './types.js';

/** How the values of a pooling case are drawn. */
export type PoolValues = 'normal' | 'distinct' | 'ties';

/** One pooling case: input `[N, C, H, W]`, a `kernel x kernel` window, the stride, and how the values are drawn. */
export interface PoolCase {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly kernel: number;
  readonly stride: number;
  /** `normal`: standard normal; `distinct`: well separated values; `ties`: integers 0..2, so windows tie. */
  readonly values: PoolValues;
  readonly seed: number;
  /** Set for a fixed case; names it in the report. */
  readonly label?: string;
  /** Fixed input (and upstream gradient) instead of random ones. */
  readonly fixed?: { readonly x: Tensor; readonly dout?: Tensor };
}

const range = (lo: number, hi: number): fc.Arbitrary<number> => fc.integer({ min: lo, max: hi });

/**
 * Random pooling cases; `stride` is drawn from `strideOf(kernel)`, so a test can ask for
 * non-overlapping (`stride = kernel`) or overlapping (`stride < kernel`) windows.
 */
export function poolCases(kernel: [number, number], strideOf: (k: number) => fc.Arbitrary<number>, values: PoolValues): fc.Arbitrary<PoolCase> {
  return range(kernel[0], kernel[1]).chain((k) =>
    fc
      .record({ N: range(1, 2), C: range(1, 3), extraH: range(0, 4), extraW: range(0, 4), stride: strideOf(k), seed: fc.nat() })
      .map(({ extraH, extraW, ...r }) => ({ ...r, kernel: k, H: k + extraH, W: k + extraW, values })),
  );
}

function input(c: PoolCase, rng: Rng): Tensor {
  if (c.fixed) return c.fixed.x;
  const shape = [c.N, c.C, c.H, c.W];
  if (c.values === 'normal') return rng.randn(shape);
  if (c.values === 'ties') return Tensor.zeros(shape).map(() => rng.int(0, 2));
  // distinct: a random permutation of a grid with spacing 0.37, plus jitter below 0.1, so
  // values differ by at least 0.17 and a small perturbation never changes a window's winner
  const n = c.N * c.C * c.H * c.W;
  const p = rng.permutation(n);
  return new Tensor(Float64Array.from(p, (v) => (v - n / 2) * 0.37 + rng.uniform(-0.1, 0.1)), shape);
}

function tensors(c: PoolCase): { x: Tensor; dout: Tensor; rng: Rng; params: { kernel: number; stride: number } } {
  const rng = new Rng(c.seed);
  const x = input(c, rng);
  const params = { kernel: c.kernel, stride: c.stride };
  const [N, C, H, W] = x.shape;
  const OH = Math.floor((H - c.kernel) / c.stride) + 1;
  const OW = Math.floor((W - c.kernel) / c.stride) + 1;
  const dout = c.fixed?.dout ?? rng.randn([N, C, OH, OW]);
  return { x, dout, rng, params };
}

/** The case in words, for the report. */
export function describePool(c: PoolCase): string {
  const shapes = `${shapeOf('x', [c.N, c.C, c.H, c.W])}, kernel ${c.kernel}, stride ${c.stride}`;
  if (c.label) return `${c.label}: ${shapes}`;
  const what = { normal: 'standard normal', distinct: 'distinct values', ties: 'integers 0-2 (ties)' }[c.values];
  return `${shapes} (values: ${what} from seed ${c.seed})`;
}

/**
 * A fixed case. `values` says whether every window has a single maximum (`distinct`, so the
 * gradient can be checked against the student's own forward) or may tie (`ties`).
 */
function fixed(label: string, x: number[][], kernel: number, stride: number, values: PoolValues, dout?: number[][]): PoolCase {
  const t = Tensor.from([[x]]);
  const [, , H, W] = t.shape;
  return { N: 1, C: 1, H, W, kernel, stride, values, seed: 1, label, fixed: { x: t, dout: dout ? Tensor.from([[dout]]) : undefined } };
}

const LECTURE_OVERLAP = fixed('overlapping windows share their maximum (x = [1, 3, 2] in 2-D form, dout ones, dx = [0, 2, 0])', [[1, 3, 2], [0, 0, 0]], 2, 1, 'distinct', [[1, 1]]);
const VGG = [[1, 2, 0, -1], [3, 4, -2, -3], [0, 0, 5, 1], [-1, 2, 1.5, 1]];

async function studentForward(ctx: TestContext, x: Tensor, params: { kernel: number; stride: number }, shape: readonly number[]): Promise<Tensor> {
  return expectField(await ctx.call('maxPool2dForward', [x, params], ['cache']), 'maxPool2dForward', 'out', shape);
}

function backwardTest(id: string, name: string, points: number, arb: fc.Arbitrary<PoolCase>, examples: PoolCase[], hint: string): SuiteTest {
  return {
    id,
    name,
    points,
    run: (ctx) =>
      checkProperty(
        ctx,
        arb,
        async (c) => {
          const t = tensors(c);
          const ref = refForward(t.x, t.params);
          const expected = refBackward(t.dout, ref.cache).dx;
          const fwd = await ctx.call('maxPool2dForward', [t.x, t.params], ['cache']);
          let cache: unknown;
          try {
            cache = field(fwd, 'cache', 'maxPool2dForward');
          } catch (e) {
            throw new TestFailure('failed', `${(e as Error).message}; maxPool2dBackward needs the cache of maxPool2dForward`);
          }
          const dx = expectField(await ctx.call('maxPool2dBackward', [t.dout, cache]), 'maxPool2dBackward', 'dx', expected.shape);
          const cmp = compareTensors('maxPool2dBackward: dx', dx, expected);
          if (cmp.ok) return;
          let diagnosis = diagnosePoolBackward(t.x, t.params, t.dout, dx) ?? hint;
          if (c.values === 'distinct') {
            // Away from ties max pooling is locally linear, so the student's own forward gives a
            // directional derivative to compare with.
            diagnosis = await explainGradient({
              forward: 'maxPool2dForward',
              backward: 'maxPool2dBackward',
              input: 'x',
              point: t.x,
              grad: dx,
              dout: t.dout,
              forwardProblem: forwardProblem(fwd, 'maxPool2dForward', ref.out),
              rng: t.rng,
              h: 1e-5,
              studentForward: (p) => studentForward(ctx, p, t.params, ref.out.shape),
            });
            diagnosis = `${diagnosePoolBackward(t.x, t.params, t.dout, dx) ?? hint} ${diagnosis}`.trim();
          }
          throw new TestFailure('failed', `${cmp.message}.${diagnosis ? ` ${diagnosis}` : ''}`);
        },
        { examples, describe: describePool },
      ),
  };
}

/** The tests of exercise 03, worth 7 points. */
export const poolingSuite: Suite = {
  id: '03-pooling',
  title: 'Max pooling',
  modules: ['pool.ts'],
  forbiddenImports: ['computePool2DInfo'],
  tests: [
    {
      id: 'forward',
      name: 'maxPool2dForward: kernel 1-3, stride 1-3',
      points: 2,
      run: (ctx) =>
        checkProperty(
          ctx,
          poolCases([1, 3], () => range(1, 3), 'normal'),
          async (c) => {
            const { x, params } = tensors(c);
            const expected = refForward(x, params).out;
            const out = await studentForward(ctx, x, params, expected.shape);
            expectClose('maxPool2dForward: out', out, expected);
          },
          {
            examples: [
              fixed("VGG's 2x2 pooling, stride 2", VGG, 2, 2, 'distinct'),
              fixed('a window of negative numbers has a negative maximum', [[-3, -2], [-5, -4]], 2, 2, 'distinct'),
              LECTURE_OVERLAP,
            ],
            describe: describePool,
          },
        ),
    },
    backwardTest(
      'backward-basic',
      'maxPool2dBackward: stride = kernel, distinct values',
      2,
      poolCases([1, 3], (k) => fc.constant(k), 'distinct'),
      [fixed("VGG's 2x2 pooling, stride 2", VGG, 2, 2, 'distinct')],
      'Each window sends its dout to the position of its maximum; all other positions get 0.',
    ),
    backwardTest(
      'backward-overlap',
      'maxPool2dBackward: overlapping windows (stride < kernel) add their gradients',
      2,
      poolCases([2, 3], (k) => range(1, k - 1), 'distinct'),
      [
        LECTURE_OVERLAP,
        fixed(
          '3x3 windows with stride 2: the centre (35) is the maximum of two windows',
          [
            [9, 1, 2, 3, 30],
            [4, 5, 6, 7, 8],
            [10, 11, 35, 13, 14],
            [15, 16, 17, 18, 19],
            [40, 20, 21, 22, 50],
          ],
          3,
          2,
          'distinct',
          [[1, 2], [3, 4]],
        ),
      ],
      'Where windows overlap, an element can be the maximum of several windows; its gradient is the sum (+=) of theirs.',
    ),
    backwardTest(
      'backward-ties',
      'maxPool2dBackward: ties go to the first maximum in row-major order',
      1,
      poolCases([2, 3], (k) => fc.constant(k), 'ties'),
      [
        fixed('all four values tie: the first (top-left) one wins', [[1, 1], [1, 1]], 2, 2, 'ties', [[5]]),
        fixed('two maxima tie: the first in row-major order wins', [[0, 2], [2, 0]], 2, 2, 'ties', [[5]]),
      ],
      'When several elements of a window share the maximum, the gradient goes to the first in row-major order only (as PyTorch does).',
    ),
  ],
};
