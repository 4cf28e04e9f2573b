/**
 * Grading suite of exercise 02, convolution (`conv.ts`): `convOutputSize`, `conv2dForward`,
 * `conv2dBackward` and `conv1x1`, checked against `@dlkata/layers`' im2col convolution.
 *
 * The tests are cut so that a realistic bug costs points in the test that names it and
 * nowhere else: the forward pass is checked without padding or stride, with padding only and
 * with stride only; the backward pass separately for `dx`, `dw` and `db`.
 *
 * @module
 */
import fc from 'fast-check';
import { conv2dBackward as refBackward, conv2dForward as refForward } from '@dlkata/layers';
import { compareTensors, convOutputSize as refOutputSize, Rng, Tensor } from '@dlkata/tensor';
import { field } from '../protocol.js';
import { diagnoseConvBackward, diagnoseConvForward } from '../diagnose/index.js';
import { checkProperty, expectClose, expectField, expectNumber, expectTensor, explainGradient, forwardProblem, shapeOf } from './harness.js';
import { TestFailure, type Suite, type SuiteTest, type TestContext } from './types.js';

/**
 * One convolution case: input `[N, C, H, W]`, filters `[F, C, HH, WW]`, biases `[F]`, stride,
 * padding, and the seed of the values.
 */
export interface ConvCase {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly F: number;
  readonly HH: number;
  readonly WW: number;
  readonly stride: number;
  readonly pad: number;
  /** Seed of x, w, b and dout (standard normal). */
  readonly seed: number;
  /** Set for a fixed case; names it in the report. */
  readonly label?: string;
  /** Fixed values instead of random ones. */
  readonly fixed?: { readonly x: Tensor; readonly w: Tensor; readonly b: Tensor };
}

/** The lecture's 5x5 image (1x1 convolution worked example). */
export const LECTURE_IMAGE = [
  [-5, 3, 2, -5, 3],
  [4, 3, 2, 1, -3],
  [1, 0, 3, 3, 5],
  [-2, 0, 1, 4, 4],
  [5, 6, 7, 9, -1],
];

const range = (lo: number, hi: number): fc.Arbitrary<number> => fc.integer({ min: lo, max: hi });

/**
 * Random convolution cases with strides and paddings in the given ranges. Heights and widths
 * differ (so swapped axes show), kernels are not square, and the kernel always fits.
 */
export function convCases(stride: [number, number], pad: [number, number]): fc.Arbitrary<ConvCase> {
  return fc
    .record({
      N: range(1, 3),
      C: range(1, 3),
      F: range(1, 3),
      HH: range(1, 3),
      WW: range(1, 3),
      extraH: range(0, 4),
      extraW: range(0, 4),
      stride: range(stride[0], stride[1]),
      pad: range(pad[0], pad[1]),
      seed: fc.nat(),
    })
    .map(({ extraH, extraW, ...r }) => ({
      ...r,
      H: Math.max(1, r.HH - 2 * r.pad) + extraH,
      W: Math.max(1, r.WW - 2 * r.pad) + extraW,
    }));
}

interface ConvTensors {
  readonly x: Tensor;
  readonly w: Tensor;
  readonly b: Tensor;
  readonly dout: Tensor;
  readonly params: { readonly stride: number; readonly pad: number };
  readonly rng: Rng;
}

function tensors(c: ConvCase): ConvTensors {
  const rng = new Rng(c.seed);
  const x = c.fixed?.x ?? rng.randn([c.N, c.C, c.H, c.W]);
  const w = c.fixed?.w ?? rng.randn([c.F, c.C, c.HH, c.WW]);
  const b = c.fixed?.b ?? rng.randn([c.F]);
  const OH = refOutputSize(c.H, c.HH, c.stride, c.pad);
  const OW = refOutputSize(c.W, c.WW, c.stride, c.pad);
  const dout = rng.randn([c.N, c.F, OH, OW]);
  return { x, w, b, dout, params: { stride: c.stride, pad: c.pad }, rng };
}

/** The case in words, for the report. */
export function describeConv(c: ConvCase): string {
  const shapes = `${shapeOf('x', [c.N, c.C, c.H, c.W])}, ${shapeOf('w', [c.F, c.C, c.HH, c.WW])}, ${shapeOf('b', [c.F])}, stride ${c.stride}, pad ${c.pad}`;
  return c.label ? `${c.label}: ${shapes}` : `${shapes} (values: standard normal from seed ${c.seed})`;
}

function fixedCase(label: string, x: Tensor, w: Tensor, b: Tensor, stride: number, pad: number): ConvCase {
  const [N, C, H, W] = x.shape;
  const [F, , HH, WW] = w.shape;
  return { N, C, H, W, F, HH, WW, stride, pad, seed: 1, label, fixed: { x, w, b } };
}

function randomFixed(label: string, shapes: { x: number[]; w: number[] }, stride: number, pad: number, seed: number): ConvCase {
  const rng = new Rng(seed);
  return fixedCase(label, rng.randn(shapes.x), rng.randn(shapes.w), rng.randn([shapes.w[0]]), stride, pad);
}

const LECTURE_1X1 = fixedCase('the lecture: a 1x1 kernel of value 2 doubles the 5x5 image', Tensor.from([[LECTURE_IMAGE]]), Tensor.from([[[[2]]]]), Tensor.from([0]), 1, 0);

async function studentForwardOut(ctx: TestContext, x: Tensor, w: Tensor, b: Tensor, params: ConvTensors['params'], shape: readonly number[]): Promise<Tensor> {
  const r = await ctx.call('conv2dForward', [x, w, b, params], ['cache']);
  return expectField(r, 'conv2dForward', 'out', shape);
}

function forwardTest(id: string, name: string, points: number, stride: [number, number], pad: [number, number], examples: ConvCase[], hint: string): SuiteTest {
  return {
    id,
    name,
    points,
    run: (ctx) =>
      checkProperty(
        ctx,
        convCases(stride, pad),
        async (c) => {
          const { x, w, b, params } = tensors(c);
          const expected = refForward(x, w, b, params).out;
          const out = await studentForwardOut(ctx, x, w, b, params, expected.shape);
          const cmp = compareTensors('conv2dForward: out', out, expected);
          if (!cmp.ok) throw new TestFailure('failed', `${cmp.message}. ${diagnoseConvForward(x, w, b, params, out) ?? hint}`.trim());
        },
        { examples, describe: describeConv },
      ),
  };
}

type GradName = 'dx' | 'dw' | 'db';

function backwardTest(id: string, points: number, which: GradName, examples: ConvCase[]): SuiteTest {
  const input = which.slice(1) as 'x' | 'w' | 'b';
  return {
    id,
    name: `conv2dBackward: ${which} (stride 1-2, padding 0-1)`,
    points,
    run: (ctx) =>
      checkProperty(
        ctx,
        convCases([1, 2], [0, 1]),
        async (c) => {
          const t = tensors(c);
          const ref = refForward(t.x, t.w, t.b, t.params);
          const expected = refBackward(t.dout, ref.cache)[which];
          const fwd = await ctx.call('conv2dForward', [t.x, t.w, t.b, t.params], ['cache']);
          let cache: unknown;
          try {
            cache = field(fwd, 'cache', 'conv2dForward');
          } catch (e) {
            throw new TestFailure('failed', `${(e as Error).message}; conv2dBackward needs the cache of conv2dForward`);
          }
          const grads = await ctx.call('conv2dBackward', [t.dout, cache]);
          const grad = expectField(grads, 'conv2dBackward', which, expected.shape);
          const cmp = compareTensors(`conv2dBackward: ${which}`, grad, expected);
          if (cmp.ok) return;
          // Diagnose: is the student's gradient that of their own forward pass?
          const point = t[input];
          const diagnosis = await explainGradient({
            forward: 'conv2dForward',
            backward: 'conv2dBackward',
            input,
            point,
            grad,
            dout: t.dout,
            forwardProblem: forwardProblem(fwd, 'conv2dForward', ref.out),
            rng: t.rng,
            studentForward: (p) =>
              studentForwardOut(ctx, input === 'x' ? p : t.x, input === 'w' ? p : t.w, input === 'b' ? p : t.b, t.params, ref.out.shape),
          });
          const known = diagnoseConvBackward(which, t.x, t.w, t.b, t.params, t.dout, grad);
          throw new TestFailure('failed', `${cmp.message}. ${known ? `${known} ` : ''}${diagnosis}`.trim());
        },
        { examples, describe: describeConv },
      ),
  };
}

/** A `convOutputSize` case. */
interface SizeCase {
  readonly size: number;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number;
  readonly label?: string;
}

/** A 1x1 convolution case: `w` is `[F, C]`. */
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

const conv1x1Cases: fc.Arbitrary<Conv1x1Case> = fc.record({ N: range(1, 2), C: range(1, 4), H: range(1, 5), W: range(1, 5), F: range(1, 4), seed: fc.nat() });

function describe1x1(c: Conv1x1Case): string {
  const shapes = `${shapeOf('x', [c.N, c.C, c.H, c.W])}, ${shapeOf('w', [c.F, c.C])}, ${shapeOf('b', [c.F])}`;
  return c.label ? `${c.label}: ${shapes}` : `${shapes} (values: standard normal from seed ${c.seed})`;
}

/** The tests of exercise 02, worth 16 points. */
export const convolutionSuite: Suite = {
  id: '02-convolution',
  title: 'Convolution',
  modules: ['conv.ts'],
  // the library's convolution helpers: the output size, the im2col lowering
  forbiddenImports: ['convOutputSize', 'computeConv2DInfo', 'im2col', 'col2im'],
  tests: [
    {
      id: 'output-size',
      name: 'convOutputSize: floor((size + 2*pad - kernel) / stride) + 1',
      points: 1,
      run: (ctx) =>
        checkProperty(
          ctx,
          fc
            .record({ size: range(1, 32), pad: range(0, 3), stride: range(1, 4), k: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }) })
            .map(({ size, pad, stride, k }): SizeCase => ({ size, pad, stride, kernel: 1 + Math.floor(k * (size + 2 * pad)) })),
          async (c) => {
            const expected = refOutputSize(c.size, c.kernel, c.stride, c.pad);
            const got = expectNumber(await ctx.call('convOutputSize', [c.size, c.kernel, c.stride, c.pad]), 'convOutputSize', true);
            if (got !== expected) {
              throw new TestFailure('failed', `convOutputSize(${c.size}, ${c.kernel}, ${c.stride}, ${c.pad}) returned ${got}, expected ${expected}`);
            }
          },
          {
            examples: [
              { size: 32, kernel: 5, stride: 1, pad: 0, label: "LeNet's first convolution" },
              { size: 28, kernel: 2, stride: 2, pad: 0, label: '2x2 pooling, stride 2' },
              { size: 7, kernel: 3, stride: 2, pad: 1, label: 'stride 2 with padding, rounded down' },
              { size: 224, kernel: 3, stride: 1, pad: 1, label: "VGG's 'same' 3x3 convolution" },
            ],
            describe: (c) => `${c.label ? `${c.label}: ` : ''}size ${c.size}, kernel ${c.kernel}, stride ${c.stride}, pad ${c.pad}`,
          },
        ),
    },
    forwardTest('forward-basic', 'conv2dForward: stride 1, no padding', 2, [1, 1], [0, 0], [LECTURE_1X1, randomFixed('3x3 kernel on 4x5 input, 2 images', { x: [2, 2, 4, 5], w: [3, 2, 3, 3] }, 1, 0, 11)], ''),
    forwardTest(
      'forward-pad',
      'conv2dForward: stride 1, padding 1-2',
      2,
      [1, 1],
      [1, 2],
      [randomFixed("'same' 3x3 convolution (pad 1)", { x: [1, 2, 4, 4], w: [2, 2, 3, 3] }, 1, 1, 12)],
      'Padding adds pad zeros on every side: top, bottom, left and right.',
    ),
    forwardTest(
      'forward-stride',
      'conv2dForward: stride 2-3, no padding',
      2,
      [2, 3],
      [0, 0],
      [randomFixed('3x3 kernel, stride 2 on 5x6', { x: [1, 1, 5, 6], w: [2, 1, 3, 3] }, 2, 0, 13)],
      'With stride s, out[i, j] reads the window starting at row i*s, column j*s.',
    ),
    backwardTest('backward-dx', 3, 'dx', [randomFixed('2 images, stride 2, pad 1', { x: [2, 2, 5, 5], w: [2, 2, 3, 3] }, 2, 1, 21)]),
    backwardTest('backward-dw', 3, 'dw', [randomFixed('2 images, stride 2, pad 1', { x: [2, 2, 5, 5], w: [2, 2, 3, 3] }, 2, 1, 22)]),
    backwardTest('backward-db', 1, 'db', [randomFixed('2 images, stride 2, pad 1', { x: [2, 2, 5, 5], w: [2, 2, 3, 3] }, 2, 1, 23)]),
    {
      id: 'conv1x1',
      name: 'conv1x1: w [F, C], the lecture 1x1 example',
      points: 2,
      run: (ctx) =>
        checkProperty(
          ctx,
          conv1x1Cases,
          async (c) => {
            const rng = new Rng(c.seed);
            const x = c.fixed?.x ?? rng.randn([c.N, c.C, c.H, c.W]);
            const w = c.fixed?.w ?? rng.randn([c.F, c.C]);
            const b = c.fixed?.b ?? rng.randn([c.F]);
            const expected = refForward(x, w.reshape([c.F, c.C, 1, 1]), b, { stride: 1, pad: 0 }).out;
            const out = expectTensor(await ctx.call('conv1x1', [x, w, b]), 'conv1x1: out', expected.shape);
            expectClose('conv1x1: out', out, expected);
          },
          {
            examples: [
              { N: 1, C: 1, H: 5, W: 5, F: 1, seed: 1, label: 'the lecture: a 1x1 kernel of value 2 doubles the 5x5 image', fixed: { x: Tensor.from([[LECTURE_IMAGE]]), w: Tensor.from([[2]]), b: Tensor.from([0]) } },
              { N: 1, C: 3, H: 2, W: 2, F: 2, seed: 31, label: '3 channels to 2 (shrinking the channels)' },
            ],
            describe: describe1x1,
          },
        ),
    },
  ],
};
