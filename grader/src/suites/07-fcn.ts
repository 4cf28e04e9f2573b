/**
 * Grading suite of exercise 07, semantic segmentation with a fully convolutional network:
 * `conv-transpose.ts` (`convTransposeOutputSize`, `convTranspose2dForward`,
 * `convTranspose2dBackward`, `bilinearUpsampling`) and `segmentation.ts`
 * (`pixelSoftmaxCrossEntropy`, `predictPixels`, `pixelAccuracy`, `confusion`, `classIoU`,
 * `meanIoU`), checked against `@dlkata/layers`' `convTranspose2dForward`/`Backward`,
 * `bilinearUpsampling` and `segmentation.ts`.
 *
 * The tests are cut so that a realistic bug costs points in the test that names it and
 * nowhere else:
 *
 * - the output size without and with output padding in two tests, and the forward pass with
 *   stride only, padding only and output padding in their own tests (an output size that
 *   forgets `outputPadding` costs the two output-padding tests: the forward pass's output then
 *   has the wrong shape); the backward pass separately for `dx`, `dw`, `db`, with no output
 *   padding;
 * - the loss value and its gradient separately (a wrong gradient is checked against the
 *   submission's own loss, to say which one is wrong);
 * - `classIoU` and `meanIoU` on masks where some classes are absent, in separate tests, so
 *   averaging over absent classes costs only `mean-iou`.
 *
 * Labels and predictions travel as plain arrays of numbers; `classIoU`'s NaN (absent class)
 * is compared as "no value".
 *
 * @module
 */
import fc from 'fast-check';
import {
  bilinearUpsampling as refBilinear,
  classIoU as refClassIoU,
  confusion as refConfusion,
  convTranspose2dBackward as refBackward,
  convTranspose2dForward as refForward,
  meanIoU as refMeanIoU,
  pixelAccuracy as refPixelAccuracy,
  pixelSoftmaxCrossEntropy as refLoss,
  predictPixels as refPredict,
} from '@dlkata/layers';
import { compareTensors, Rng, Tensor } from '@dlkata/tensor';
import { describeValue, field, isRecord } from '../protocol.js';
import { diagnoseConvTransposeForward } from '../diagnose/index.js';
import { jointRecord, checkProperty, expectClose, expectField, expectNumber, expectTensor, forwardProblem, gradeGradient, shapeOf } from './harness.js';
import { TestFailure, type Suite, type SuiteTest, type TestContext } from './types.js';

const range = (lo: number, hi: number): fc.Arbitrary<number> => fc.integer({ min: lo, max: hi });

// ---------------------------------------------------------------------------------------------
// Transposed convolution

/** One transposed convolution: input `[N, C, H, W]`, weights `[C, F, KH, KW]`, stride, padding, output padding, value seed. */
export interface ConvTransposeCase {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly F: number;
  readonly KH: number;
  readonly KW: number;
  readonly stride: number;
  readonly pad: number;
  readonly outputPadding: number;
  readonly seed: number;
  readonly label?: string;
  readonly fixed?: { readonly x: Tensor; readonly w: Tensor; readonly b: Tensor };
}

/** The smallest input size whose output is at least 1: `(H - 1)*s - 2p + K + op >= 1`. */
function minSize(kernel: number, stride: number, pad: number, outputPadding: number): number {
  return 1 + Math.max(0, Math.ceil((2 * pad + 1 - kernel - outputPadding) / stride));
}

/**
 * Random transposed convolutions with strides, paddings and output paddings in the given
 * ranges (`outputPadding` is clipped below the stride), drawn jointly ({@link jointRecord}: a
 * third of the cases have every setting non-default at once). Heights and widths differ and kernels
 * are not square, so swapped axes show; the output is never empty.
 */
export function convTransposeCases(stride: [number, number], pad: [number, number], outputPadding: [number, number]): fc.Arbitrary<ConvTransposeCase> {
  return jointRecord({ N: [1, 2], C: [1, 3], F: [1, 3], KH: [1, 4], KW: [1, 4], extraH: [0, 3], extraW: [0, 3], stride, pad, op: outputPadding, seed: fc.nat() })
    .map(({ extraH, extraW, op, ...r }) => {
      const outputPadding = Math.min(op, r.stride - 1);
      return {
        ...r,
        outputPadding,
        H: minSize(r.KH, r.stride, r.pad, outputPadding) + extraH,
        W: minSize(r.KW, r.stride, r.pad, outputPadding) + extraW,
      };
    });
}

interface ConvTransposeTensors {
  readonly x: Tensor;
  readonly w: Tensor;
  readonly b: Tensor;
  readonly dout: Tensor;
  readonly params: { readonly stride: number; readonly pad: number; readonly outputPadding: number };
  readonly rng: Rng;
}

function ctTensors(c: ConvTransposeCase): ConvTransposeTensors {
  const rng = new Rng(c.seed);
  const x = c.fixed?.x ?? rng.randn([c.N, c.C, c.H, c.W]);
  const w = c.fixed?.w ?? rng.randn([c.C, c.F, c.KH, c.KW]);
  const b = c.fixed?.b ?? rng.randn([c.F]);
  const OH = (c.H - 1) * c.stride - 2 * c.pad + c.KH + c.outputPadding;
  const OW = (c.W - 1) * c.stride - 2 * c.pad + c.KW + c.outputPadding;
  const dout = rng.randn([c.N, c.F, OH, OW]);
  return { x, w, b, dout, params: { stride: c.stride, pad: c.pad, outputPadding: c.outputPadding }, rng };
}

/** The case in words, for the report. */
export function describeConvTranspose(c: ConvTransposeCase): string {
  const shapes = `${shapeOf('x', [c.N, c.C, c.H, c.W])}, ${shapeOf('w', [c.C, c.F, c.KH, c.KW])}, ${shapeOf('b', [c.F])}, stride ${c.stride}, pad ${c.pad}, outputPadding ${c.outputPadding}`;
  return c.label ? `${c.label}: ${shapes}` : `${shapes} (values: standard normal from seed ${c.seed})`;
}

function fixedCase(label: string, x: Tensor, w: Tensor, b: Tensor, stride: number, pad: number, outputPadding = 0): ConvTransposeCase {
  const [N, C, H, W] = x.shape;
  const [, F, KH, KW] = w.shape;
  return { N, C, H, W, F, KH, KW, stride, pad, outputPadding, seed: 1, label, fixed: { x, w, b } };
}

function randomFixed(label: string, x: number[], w: number[], stride: number, pad: number, outputPadding: number, seed: number): ConvTransposeCase {
  const rng = new Rng(seed);
  return fixedCase(label, rng.randn(x), rng.randn(w), rng.randn([w[1]]), stride, pad, outputPadding);
}

const BLOCKS = fixedCase('a 2x2 kernel of ones with stride 2 turns every pixel into a 2x2 block', Tensor.from([[[[1, 2], [3, 4]]]]), Tensor.ones([1, 1, 2, 2]), Tensor.from([0]), 2, 0);
const OVERLAP = fixedCase('overlapping copies add up: [1, 2] scattered with kernel [1, 1, 1], bias 10', Tensor.from([[[[1, 2]]]]), Tensor.from([[[[1, 1, 1]]]]), Tensor.from([10]), 1, 0);

async function studentForwardOut(ctx: TestContext, t: ConvTransposeTensors, x: Tensor, w: Tensor, b: Tensor, shape: readonly number[]): Promise<Tensor> {
  const r = await ctx.call('convTranspose2dForward', [x, w, b, t.params], ['cache']);
  return expectField(r, 'convTranspose2dForward', 'out', shape);
}

function forwardTest(id: string, name: string, points: number, arb: fc.Arbitrary<ConvTransposeCase>, examples: ConvTransposeCase[], hint: string): SuiteTest {
  return {
    id,
    name,
    points,
    run: (ctx) =>
      checkProperty(
        ctx,
        arb,
        async (c) => {
          const t = ctTensors(c);
          const expected = refForward(t.x, t.w, t.b, t.params).out;
          const out = await studentForwardOut(ctx, t, t.x, t.w, t.b, expected.shape);
          const cmp = compareTensors('convTranspose2dForward: out', out, expected);
          if (!cmp.ok) throw new TestFailure('failed', `${cmp.message}. ${diagnoseConvTransposeForward(t.x, t.w, t.b, t.params, out) ?? hint}`.trim());
        },
        { examples, describe: describeConvTranspose },
      ),
  };
}

function backwardTest(id: string, points: number, which: 'dx' | 'dw' | 'db', examples: ConvTransposeCase[]): SuiteTest {
  const input = which.slice(1) as 'x' | 'w' | 'b';
  return {
    id,
    name: `convTranspose2dBackward: ${which} (stride 1-2, padding 0-1)`,
    points,
    run: (ctx) =>
      checkProperty(
        ctx,
        convTransposeCases([1, 2], [0, 1], [0, 0]),
        async (c) => {
          const t = ctTensors(c);
          const ref = refForward(t.x, t.w, t.b, t.params);
          const expected = refBackward(t.dout, ref.cache)[which];
          const fwd = await ctx.call('convTranspose2dForward', [t.x, t.w, t.b, t.params], ['cache']);
          let cache: unknown;
          try {
            cache = field(fwd, 'cache', 'convTranspose2dForward');
          } catch (e) {
            throw new TestFailure('failed', `${(e as Error).message}; convTranspose2dBackward needs the cache of convTranspose2dForward`);
          }
          const grads = await ctx.call('convTranspose2dBackward', [t.dout, cache]);
          const grad = expectField(grads, 'convTranspose2dBackward', which, expected.shape);
          return gradeGradient({
            forward: 'convTranspose2dForward',
            backward: 'convTranspose2dBackward',
            input,
            point: t[input],
            grad,
            expected,
            dout: t.dout,
            forwardProblem: forwardProblem(fwd, 'convTranspose2dForward', ref.out),
            rng: t.rng,
            studentForward: (p) => studentForwardOut(ctx, t, input === 'x' ? p : t.x, input === 'w' ? p : t.w, input === 'b' ? p : t.b, ref.out.shape),
          });
        },
        { examples, describe: describeConvTranspose },
      ),
  };
}

/** A `convTransposeOutputSize` case. */
interface SizeCase {
  readonly size: number;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number;
  readonly outputPadding: number;
  readonly label?: string;
}

function sizeCases(stride: [number, number], withOutputPadding: boolean): fc.Arbitrary<SizeCase> {
  return fc
    .record({ kernel: range(1, 8), stride: range(stride[0], stride[1]), pad: range(0, 3), op: range(1, 3), extra: range(0, 20) })
    .map(({ kernel, stride: s, pad, op, extra }) => {
      const outputPadding = withOutputPadding ? 1 + ((op - 1) % (s - 1)) : 0;
      return { kernel, stride: s, pad, outputPadding, size: minSize(kernel, s, pad, outputPadding) + extra };
    });
}

function sizeTest(id: string, name: string, arb: fc.Arbitrary<SizeCase>, examples: SizeCase[], hint: string): SuiteTest {
  return {
    id,
    name,
    points: 1,
    run: (ctx) =>
      checkProperty(
        ctx,
        arb,
        async (c) => {
          const expected = (c.size - 1) * c.stride - 2 * c.pad + c.kernel + c.outputPadding;
          const call = `convTransposeOutputSize(${c.size}, ${c.kernel}, ${c.stride}, ${c.pad}, ${c.outputPadding})`;
          const got = expectNumber(await ctx.call('convTransposeOutputSize', [c.size, c.kernel, c.stride, c.pad, c.outputPadding]), call, true);
          if (got !== expected) throw new TestFailure('failed', `${call} returned ${got}, expected ${expected}. ${hint}`);
        },
        {
          examples,
          describe: (c) => `${c.label ? `${c.label}: ` : ''}size ${c.size}, kernel ${c.kernel}, stride ${c.stride}, pad ${c.pad}, outputPadding ${c.outputPadding}`,
        },
      ),
  };
}

// ---------------------------------------------------------------------------------------------
// Loss and metrics

/** Scores `[N, K, H, W]` and labels, for the loss and `predictPixels`. */
export interface PixelCase {
  readonly N: number;
  readonly K: number;
  readonly H: number;
  readonly W: number;
  readonly seed: number;
  readonly label?: string;
  readonly fixed?: { readonly scores: Tensor; readonly labels: number[] };
}

const pixelCases: fc.Arbitrary<PixelCase> = jointRecord({ N: [1, 3], K: [1, 6], H: [1, 5], W: [1, 5], seed: fc.nat() });

function pixelTensors(c: PixelCase): { scores: Tensor; labels: number[]; rng: Rng } {
  const rng = new Rng(c.seed);
  if (c.fixed) return { ...c.fixed, rng };
  const scores = rng.randn([c.N, c.K, c.H, c.W], 2);
  const labels = Array.from({ length: c.N * c.H * c.W }, () => rng.int(0, c.K - 1));
  return { scores, labels, rng };
}

function describePixels(c: PixelCase): string {
  const what = `${shapeOf('scores', [c.N, c.K, c.H, c.W])}, ${c.N * c.H * c.W} labels`;
  return c.label ? `${c.label}: ${what}` : `${what} (scores: normal with std 2, labels uniform, from seed ${c.seed})`;
}

/** Predicted and true class masks over K classes, some classes absent from both. */
export interface MaskCase {
  readonly K: number;
  /** Classes that occur in the labels. */
  readonly present: readonly number[];
  readonly P: number;
  readonly seed: number;
  readonly label?: string;
  readonly fixed?: { readonly pred: number[]; readonly labels: number[] };
}

/**
 * Masks of P pixels: labels drawn from a random subset of the K classes (so the others are
 * absent), predictions mostly right, sometimes another present class, rarely a class that is
 * never labelled (predicted but absent from the truth: present with IoU 0).
 */
const maskCases: fc.Arbitrary<MaskCase> = range(1, 8).chain((K) =>
  fc.record({
    K: fc.constant(K),
    present: fc.subarray(Array.from({ length: K }, (_, k) => k), { minLength: 1 }),
    P: range(1, 60),
    seed: fc.nat(),
  }),
);

function masks(c: MaskCase): { pred: number[]; labels: number[] } {
  if (c.fixed) return c.fixed;
  const rng = new Rng(c.seed);
  const pick = (): number => c.present[rng.int(0, c.present.length - 1)];
  const labels = Array.from({ length: c.P }, pick);
  const pred = labels.map((l) => {
    const u = rng.next();
    if (u < 0.6) return l;
    if (u < 0.9) return pick();
    return rng.int(0, c.K - 1);
  });
  return { pred, labels };
}

function describeMasks(c: MaskCase): string {
  const what = `K ${c.K}, ${c.P} pixels`;
  return c.label ? `${c.label}: ${what}` : `${what}, labels from classes [${c.present.join(',')}] (seed ${c.seed})`;
}

const WORKED: MaskCase = { K: 4, present: [0, 1, 2], P: 6, seed: 1, label: 'the worked example: pred [0,1,1,1,2,0], labels [0,0,1,1,2,2], class 3 absent', fixed: { pred: [0, 1, 1, 1, 2, 0], labels: [0, 0, 1, 1, 2, 2] } };
const DIGITS: MaskCase = {
  K: 11,
  present: [0, 3, 7],
  P: 12,
  seed: 1,
  label: 'a digit canvas: background, a 3 and a 7 of 11 classes, one 7 pixel predicted as 1',
  fixed: { pred: [0, 0, 0, 0, 3, 3, 3, 0, 7, 7, 1, 0], labels: [0, 0, 0, 0, 3, 3, 3, 3, 7, 7, 7, 0] },
};

/** A `bilinearUpsampling` case. */
interface BilinearCase {
  readonly channels: number;
  readonly factor: number;
  readonly label?: string;
}

/** Validates a returned list of class indices of the given length. */
function expectClasses(v: unknown, what: string, length: number): number[] {
  let arr: unknown[] | null = null;
  if (Array.isArray(v)) arr = v;
  else if (v instanceof Float64Array) arr = Array.from(v);
  if (!arr || arr.length !== length || !arr.every((x) => typeof x === 'number' && Number.isInteger(x))) {
    throw new TestFailure('failed', `${what} must return a plain array of ${length} integers (one class per pixel), got ${describeValue(v)}`);
  }
  return arr as number[];
}

/** Validates a returned list of K numbers (NaN allowed: an absent class). */
function expectNumbers(v: unknown, what: string, length: number): number[] {
  let arr: unknown[] | null = null;
  if (Array.isArray(v)) arr = v;
  else if (v instanceof Float64Array) arr = Array.from(v);
  if (!arr || arr.length !== length || !arr.every((x) => typeof x === 'number' && !(x === Infinity || x === -Infinity))) {
    throw new TestFailure('failed', `${what} must return a plain array of ${length} numbers (one per class), got ${describeValue(v)}`);
  }
  return arr as number[];
}

function close(a: number, b: number, tol = 1e-9): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= tol * Math.max(1e-8, Math.abs(a) + Math.abs(b)) || Math.abs(a - b) < 1e-12;
}

const show = (v: number): string => (Number.isNaN(v) ? 'NaN' : Number(v.toPrecision(6)).toString());

function maskTest(id: string, name: string, points: number, examples: MaskCase[], check: (ctx: TestContext, c: MaskCase, pred: number[], labels: number[]) => Promise<void>): SuiteTest {
  return {
    id,
    name,
    points,
    run: (ctx) =>
      checkProperty(
        ctx,
        maskCases,
        async (c) => {
          const { pred, labels } = masks(c);
          await check(ctx, c, pred, labels);
        },
        { examples, describe: describeMasks },
      ),
  };
}

/** The tests of exercise 07, worth 25 points. */
export const fcnSuite: Suite = {
  id: '07-fcn',
  title: 'Semantic segmentation (FCN)',
  modules: ['conv-transpose.ts', 'segmentation.ts'],
  tests: [
    sizeTest(
      'output-size',
      'convTransposeOutputSize: (size - 1)*stride - 2*pad + kernel',
      sizeCases([1, 4], false),
      [
        { size: 8, kernel: 4, stride: 2, pad: 1, outputPadding: 0, label: "FCN's x2 upsampling" },
        { size: 5, kernel: 3, stride: 1, pad: 0, outputPadding: 0, label: 'stride 1 grows by kernel - 1' },
        { size: 1, kernel: 16, stride: 8, pad: 4, outputPadding: 0, label: 'x8 upsampling of one pixel' },
      ],
      'The output size of a transposed convolution is (size - 1)*stride - 2*pad + kernel + outputPadding (PyTorch, dilation 1).',
    ),
    sizeTest(
      'output-size-outpad',
      'convTransposeOutputSize: + outputPadding (stride 2-4)',
      sizeCases([2, 4], true),
      [{ size: 4, kernel: 3, stride: 2, pad: 1, outputPadding: 1, label: 'outputPadding 1 picks the even size 8' }],
      'outputPadding adds rows at the bottom and columns at the right: + outputPadding.',
    ),
    forwardTest('forward-basic', 'convTranspose2dForward: stride 1, no padding', 2, convTransposeCases([1, 1], [0, 0], [0, 0]), [OVERLAP, randomFixed('3x3 kernel, 2 images, 2 channels to 3', [2, 2, 3, 4], [2, 3, 3, 3], 1, 0, 0, 11)], 'Every input pixel adds x[n, c, i, j] * w[c, f, kh, kw] to out[n, f, i + kh, j + kw], then b[f] is added once per output pixel.'),
    forwardTest(
      'forward-stride',
      'convTranspose2dForward: stride 2-3, no padding',
      2,
      convTransposeCases([2, 3], [0, 0], [0, 0]),
      [BLOCKS, randomFixed('4x4 kernel, stride 2 (overlapping copies)', [1, 2, 3, 2], [2, 2, 4, 4], 2, 0, 0, 12)],
      'With stride s, input pixel (i, j) scatters its kernel to rows i*s + kh and columns j*s + kw of the output.',
    ),
    forwardTest(
      'forward-pad',
      'convTranspose2dForward: stride 1-2, padding 1-2',
      2,
      convTransposeCases([1, 2], [1, 2], [0, 0]),
      [randomFixed("FCN's x2 upsampling: kernel 4, stride 2, pad 1", [1, 2, 3, 3], [2, 2, 4, 4], 2, 1, 0, 13)],
      'Padding cuts pad rows and columns from each side of the output: the target of tap (kh, kw) is (i*s - pad + kh, j*s - pad + kw), dropped when outside the output.',
    ),
    forwardTest(
      'forward-outpad',
      'convTranspose2dForward: output padding 1-2 (stride 2-3, padding 0-1)',
      1,
      convTransposeCases([2, 3], [0, 1], [1, 2]),
      [randomFixed('kernel 3, stride 2, pad 1, outputPadding 1: 3x3 -> 6x6', [1, 2, 3, 3], [2, 3, 3, 3], 2, 1, 1, 14)],
      'outputPadding adds rows at the bottom and columns at the right of the output; they receive the bias and whatever taps reach them.',
    ),
    backwardTest('backward-dx', 2, 'dx', [randomFixed('2 images, kernel 4, stride 2, pad 1', [2, 2, 3, 3], [2, 2, 4, 4], 2, 1, 0, 21)]),
    backwardTest('backward-dw', 2, 'dw', [randomFixed('2 images, kernel 4, stride 2, pad 1', [2, 2, 3, 3], [2, 2, 4, 4], 2, 1, 0, 22)]),
    backwardTest('backward-db', 1, 'db', [randomFixed('2 images, kernel 4, stride 2, pad 1', [2, 2, 3, 3], [2, 2, 4, 4], 2, 1, 0, 23)]),
    {
      id: 'bilinear',
      name: 'bilinearUpsampling: tent kernel on the channel diagonal, stride factor, pad ceil((factor-1)/2)',
      points: 1,
      run: (ctx) =>
        checkProperty(
          ctx,
          fc.record({ channels: range(1, 4), factor: range(1, 5) }) as fc.Arbitrary<BilinearCase>,
          async ({ channels, factor }) => {
            const fn = `bilinearUpsampling(${channels}, ${factor})`;
            const expected = refBilinear(channels, factor);
            const got = await ctx.call('bilinearUpsampling', [channels, factor]);
            const w = expectField(got, fn, 'w', expected.w.shape);
            expectClose(`${fn}: w`, w, expected.w);
            const params = isRecord(got) ? got.params : undefined;
            const ok = isRecord(params) && params.stride === expected.params.stride && params.pad === expected.params.pad;
            if (!ok) throw new TestFailure('failed', `${fn} returned params ${describeValue(params)}, expected { stride: ${expected.params.stride}, pad: ${expected.params.pad} }`);
          },
          {
            examples: [
              { channels: 1, factor: 2, label: 'x2, one channel' },
              { channels: 3, factor: 3, label: 'x3 (odd kernel), three channels' },
            ],
            describe: (c) => `${c.label ? `${c.label}: ` : ''}channels ${c.channels}, factor ${c.factor}`,
          },
        ),
    },
    {
      id: 'loss',
      name: 'pixelSoftmaxCrossEntropy: loss, the mean over all N*H*W pixels',
      points: 2,
      run: (ctx) =>
        checkProperty(
          ctx,
          pixelCases,
          async (c) => {
            const { scores, labels } = pixelTensors(c);
            const expected = refLoss(scores, labels).loss;
            const got = expectNumber(lossField(await ctx.call('pixelSoftmaxCrossEntropy', [scores, labels]), 'loss'), 'pixelSoftmaxCrossEntropy: loss');
            if (!close(got, expected)) {
              throw new TestFailure(
                'failed',
                `pixelSoftmaxCrossEntropy: loss is ${show(got)}, expected ${show(expected)} (ratio ${show(got / expected)}). The loss is -log softmax(scores at the pixel)[label], averaged over all N*H*W pixels.`,
              );
            }
          },
          {
            examples: [
              { N: 1, K: 4, H: 2, W: 2, seed: 1, label: 'all scores 0: log 4', fixed: { scores: Tensor.zeros([1, 4, 2, 2]), labels: [0, 1, 2, 3] } },
              { N: 1, K: 3, H: 1, W: 1, seed: 1, label: 'scores 1000, 0, -1000 (no overflow)', fixed: { scores: Tensor.from([[[[1000]], [[0]], [[-1000]]]]), labels: [2] } },
            ],
            describe: describePixels,
          },
        ),
    },
    {
      id: 'loss-grad',
      name: 'pixelSoftmaxCrossEntropy: dscores = (softmax - onehot) / (N*H*W)',
      points: 2,
      run: (ctx) =>
        checkProperty(
          ctx,
          pixelCases,
          async (c) => {
            const { scores, labels, rng } = pixelTensors(c);
            const ref = refLoss(scores, labels);
            const got = await ctx.call('pixelSoftmaxCrossEntropy', [scores, labels]);
            const dscores = expectField(got, 'pixelSoftmaxCrossEntropy', 'dscores', scores.shape);
            if (compareTensors('', dscores, ref.dscores).ok) return;
            const studentLoss = async (s: Tensor): Promise<Tensor> => Tensor.from([expectNumber(lossField(await ctx.call('pixelSoftmaxCrossEntropy', [s, labels]), 'loss'), 'pixelSoftmaxCrossEntropy: loss')]);
            const own = (await studentLoss(scores)).data[0];
            return gradeGradient({
              forward: 'pixelSoftmaxCrossEntropy (loss)',
              backward: 'pixelSoftmaxCrossEntropy',
              input: 'scores',
              point: scores,
              grad: dscores,
              expected: ref.dscores,
              dout: Tensor.from([1]),
              forwardProblem: close(own, ref.loss) ? null : `loss ${show(own)}, expected ${show(ref.loss)}`,
              rng,
              studentForward: studentLoss,
            });
          },
          { examples: [{ N: 2, K: 3, H: 2, W: 2, seed: 5, label: '2 images of 2x2 pixels, 3 classes' }], describe: describePixels },
        ),
    },
    {
      id: 'predict',
      name: 'predictPixels: argmax over classes, ties to the lowest class, [N, H, W] order',
      points: 1,
      run: (ctx) =>
        checkProperty(
          ctx,
          pixelCases,
          async (c) => {
            const { scores: raw } = pixelTensors(c);
            const scores = c.fixed ? raw : raw.map((v) => Math.round(v)); // integers: ties happen
            const expected = Array.from(refPredict(scores));
            const got = expectClasses(await ctx.call('predictPixels', [scores]), 'predictPixels', expected.length);
            const i = got.findIndex((v, k) => v !== expected[k]);
            if (i >= 0) {
              const [N, K, H, W] = scores.shape;
              const n = Math.floor(i / (H * W));
              const h = Math.floor((i % (H * W)) / W);
              const w = i % W;
              const s = Array.from({ length: K }, (_, k) => show(scores.get(n, k, h, w)));
              throw new TestFailure('failed', `predictPixels: pixel ${i} (n ${n}, h ${h}, w ${w}; scores [${s.join(', ')}]) is ${got[i]}, expected ${expected[i]}. Pixels are in row-major [N, H, W] order; a tie goes to the lowest class.`);
            }
          },
          {
            examples: [{ N: 1, K: 3, H: 1, W: 2, seed: 1, label: 'a tie between classes 1 and 2', fixed: { scores: Tensor.from([[[[0, 1]], [[7, 0]], [[7, 0]]]]), labels: [0, 0] } }],
            describe: (c) => (c.fixed ? describePixels(c) : `${shapeOf('scores', [c.N, c.K, c.H, c.W])} (integer scores from seed ${c.seed}, ties likely)`),
          },
        ),
    },
    maskTest('pixel-accuracy', 'pixelAccuracy: fraction of pixels right', 1, [DIGITS], async (ctx, c, pred, labels) => {
      const expected = refPixelAccuracy(pred, labels);
      const got = expectNumber(await ctx.call('pixelAccuracy', [pred, labels]), 'pixelAccuracy');
      if (!close(got, expected)) throw new TestFailure('failed', `pixelAccuracy returned ${show(got)}, expected ${show(expected)}: the number of pixels with pred = label, divided by the number of pixels.`);
    }),
    maskTest('confusion', 'confusion: counts [K, K], rows the truth, columns the prediction', 1, [WORKED], async (ctx, c, pred, labels) => {
      const expected = refConfusion(pred, labels, c.K);
      const got = expectTensor(await ctx.call('confusion', [pred, labels, c.K]), 'confusion', expected.shape);
      expectClose('confusion', got, expected, 'confusion[i, j] counts the pixels labelled i and predicted j.');
    }),
    maskTest('class-iou', 'classIoU: TP / (TP + FP + FN) per class, NaN for absent classes', 1, [WORKED, DIGITS], async (ctx, c, pred, labels) => {
      const expected = Array.from(refClassIoU(pred, labels, c.K));
      const got = expectNumbers(await ctx.call('classIoU', [pred, labels, c.K]), 'classIoU', c.K);
      const k = got.findIndex((v, i) => !close(v, expected[i]));
      if (k >= 0) {
        const absent = Number.isNaN(expected[k]) ? ' Class k is absent from both masks: its IoU is NaN (0 / 0), not a number.' : '';
        throw new TestFailure('failed', `classIoU[${k}] is ${show(got[k])}, expected ${show(expected[k])}: (pixels labelled and predicted ${k}) / (pixels labelled or predicted ${k}).${absent}`);
      }
    }),
    maskTest('mean-iou', 'meanIoU: the mean over the classes present in labels or predictions', 2, [WORKED, DIGITS], async (ctx, c, pred, labels) => {
      const expected = refMeanIoU(pred, labels, c.K);
      const got = expectNumber(await ctx.call('meanIoU', [pred, labels, c.K]), 'meanIoU');
      if (!close(got, expected)) {
        const present = Array.from(refClassIoU(pred, labels, c.K)).filter((v) => !Number.isNaN(v)).length;
        throw new TestFailure('failed', `meanIoU returned ${show(got)}, expected ${show(expected)}: the mean over the ${present} classes present in the labels or the predictions (of K = ${c.K}); absent classes have no IoU and are left out.`);
      }
    }),
  ],
};

/** Reads `key` of a returned object, failing the case (not the grader) if it is missing. */
function lossField(v: unknown, key: string): unknown {
  if (!isRecord(v) || !Object.prototype.hasOwnProperty.call(v, key) || v[key] === undefined) {
    throw new TestFailure('failed', `pixelSoftmaxCrossEntropy must return an object with ${key}, got ${describeValue(v)}`);
  }
  return v[key];
}
