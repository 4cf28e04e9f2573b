/**
 * TensorFlow.js as an independent oracle for the layers.
 *
 * TensorFlow.js 4.22 (pure JavaScript CPU backend) has its own convolution, pooling, matmul and
 * softmax kernels and its own hand-written gradients (Conv2DBackpropInput,
 * Conv2DBackpropFilter, MaxPoolGrad), so agreement here is evidence from code we did not write.
 *
 * Layout conversion (done by the helpers below, on flat arrays):
 * - images: ours NCHW `[N, C, H, W]` <-> tfjs NHWC `[N, H, W, C]`
 *   (`nhwc[((n*H + h)*W + w)*C + c] = nchw[((n*C + c)*H + h)*W + w]`)
 * - filters: ours `[F, C, KH, KW]` (PyTorch's) <-> tfjs `[KH, KW, C, F]` (inC, outC last)
 * - padding: our symmetric `[ph, pw]` becomes tfjs' explicit padding
 *   `[[0, 0], [ph, ph], [pw, pw], [0, 0]]` (per NHWC dimension, before and after)
 * - affine and softmax are 2-D `[N, D]` / `[N, C]` in both; our integer labels become one-hot rows
 *
 * Precision: tfjs computes in float32, we in float64. Inputs are rounded to float32 first
 * (`Math.fround`), so both sides see identical numbers and only the arithmetic differs. Results
 * are compared with a relative tolerance of 1e-4, and absolute differences below
 * `1e-5 * (1 + max |expected|)` always pass (float32 sums of up to ~100 terms of size ~1
 * round at about 1e-6 absolute; a real bug is off by O(1)).
 *
 * Ties in max pooling are avoided with distinct values (tfjs' tie rule is not part of what we
 * test here). tfjs' gradients do not support dilation, so dilation is only checked forward.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbs, Rng, Tensor } from '@dlkata/tensor';
import { affineBackward, affineForward } from './affine.js';
import { conv2dBackward, conv2dForward } from './conv2d.js';
import { maxPool2dBackward, maxPool2dForward } from './maxpool2d.js';
import { softmaxCrossEntropy } from './softmax.js';
import { asPair, convCases, convName, convParams, distinctTensor, expectClose, type ConvCase } from './test-support.js';

type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

const OPTS = { seed: 42, numRuns: 20 } as const;

beforeAll(async () => {
  // Production mode only mutes tfjs' console warnings (in 4.22 the PROD flag is read by its
  // log and warn helpers and nothing else), among them the one-time notice suggesting tfjs-node.
  tf.enableProdMode();
  await tf.setBackend('cpu');
  await tf.ready();
});

/** Rounds every element to float32, so both libraries start from the same numbers. */
const f32 = (t: Tensor): Tensor => t.map(Math.fround);

/** Flat float32 data of a tensor (tfjs does not take a Float64Array). */
const flat32 = (t: Tensor): Float32Array => Float32Array.from(t.data);

/** `[N, C, H, W]` -> NHWC float32 data. */
function toNhwc(t: Tensor): Float32Array {
  const [N, C, H, W] = t.shape;
  const out = new Float32Array(t.size);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) out[((n * H + h) * W + w) * C + c] = t.data[((n * C + c) * H + h) * W + w];
  return out;
}

/** NHWC data of shape `[N, H, W, C]` -> our `[N, C, H, W]`. */
function fromNhwc(data: ArrayLike<number>, [N, H, W, C]: readonly number[]): Tensor {
  const out = Tensor.zeros([N, C, H, W]);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) out.data[((n * C + c) * H + h) * W + w] = data[((n * H + h) * W + w) * C + c];
  return out;
}

/** Filters `[F, C, KH, KW]` -> tfjs `[KH, KW, C, F]` float32 data. */
function toHwio(t: Tensor): Float32Array {
  const [F, C, KH, KW] = t.shape;
  const out = new Float32Array(t.size);
  for (let f = 0; f < F; f++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < KH; i++) for (let j = 0; j < KW; j++) out[((i * KW + j) * C + c) * F + f] = t.data[((f * C + c) * KH + i) * KW + j];
  return out;
}

/** tfjs filters `[KH, KW, C, F]` -> our `[F, C, KH, KW]`. */
function fromHwio(data: ArrayLike<number>, [KH, KW, C, F]: readonly number[]): Tensor {
  const out = Tensor.zeros([F, C, KH, KW]);
  for (let f = 0; f < F; f++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < KH; i++) for (let j = 0; j < KW; j++) out.data[((f * C + c) * KH + i) * KW + j] = data[((i * KW + j) * C + c) * F + f];
  return out;
}

const explicitPad = ([ph, pw]: readonly [number, number]): ExplicitPadding => [[0, 0], [ph, ph], [pw, pw], [0, 0]];

/** Compares at float32 precision: relative 1e-4, absolute floor 1e-5 * (1 + max |expected|). */
function expectF32Close(what: string, ours: Tensor, theirs: Tensor): void {
  expect(ours.shape, what).toEqual(theirs.shape);
  expectClose(what, ours, theirs, 1e-4, 1e-5 * (1 + maxAbs(theirs)));
}

function convData(c: ConvCase) {
  const rng = new Rng(c.seed);
  const x = f32(rng.randn([c.N, c.C, c.H, c.W]));
  const w = f32(rng.randn([c.F, c.C, c.KH, c.KW]));
  const b = f32(rng.randn([c.F]));
  return { x, w, b, rng };
}

describe('conv2d against tf.conv2d (float32, NHWC)', () => {
  it('random x=[1-3,1-4,1-9,1-9] w=[1-4,C,1-5,1-5] s=1-3 p=0-2 d=1-2 (d>1 only with s=1, as tfjs requires): out matches', () => {
    const cases = convCases({ N: 3, C: 4, HW: 9, F: 4, K: 5, stride: 3, pad: 2, dilation: 2 }, (c) =>
      c.dilation.every((d) => d === 1) || c.stride.every((s) => s === 1),
    );
    fc.assert(
      fc.property(cases, (c) => {
        const { x, w, b } = convData(c);
        const { out } = conv2dForward(x, w, b, convParams(c));
        const theirs = tf.tidy(() => {
          const y = tf.add(
            tf.conv2d(
              tf.tensor4d(toNhwc(x), [c.N, c.H, c.W, c.C]),
              tf.tensor4d(toHwio(w), [c.KH, c.KW, c.C, c.F]),
              [c.stride[0], c.stride[1]],
              explicitPad(c.pad),
              'NHWC',
              [c.dilation[0], c.dilation[1]],
            ),
            tf.tensor1d(flat32(b)),
          );
          return { data: y.dataSync() as Float32Array, shape: y.shape };
        });
        expectF32Close(`conv2dForward ${convName(c)}: out`, out, fromNhwc(theirs.data, theirs.shape));
      }),
      OPTS,
    );
  });

  it('random x=[1-3,1-4,1-8,1-8] w=[1-4,C,1-4,1-4] s=1-3 p=0-2: dx, dw, db match tf.grads of sum((conv + b) * dout)', () => {
    fc.assert(
      fc.property(convCases({ N: 3, C: 4, HW: 8, F: 4, K: 4, stride: 3, pad: 2, dilation: 1 }), (c) => {
        const { x, w, b, rng } = convData(c);
        const { out, cache } = conv2dForward(x, w, b, convParams(c));
        const dout = f32(rng.randn(out.shape));
        const { dx, dw, db } = conv2dBackward(dout, cache);
        const [, , OH, OW] = out.shape;
        const theirs = tf.tidy(() => {
          const doutT = tf.tensor4d(toNhwc(dout), [c.N, OH, OW, c.F]);
          const loss = (xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) =>
            tf.sum(tf.mul(tf.add(tf.conv2d(xt as tf.Tensor4D, wt as tf.Tensor4D, [c.stride[0], c.stride[1]], explicitPad(c.pad)), bt), doutT));
          const [gx, gw, gb] = tf.grads(loss)([
            tf.tensor4d(toNhwc(x), [c.N, c.H, c.W, c.C]),
            tf.tensor4d(toHwio(w), [c.KH, c.KW, c.C, c.F]),
            tf.tensor1d(flat32(b)),
          ]);
          return { dx: gx.dataSync() as Float32Array, dw: gw.dataSync() as Float32Array, db: gb.dataSync() as Float32Array };
        });
        const name = `conv2dBackward ${convName(c)}`;
        expectF32Close(`${name}: dx`, dx, fromNhwc(theirs.dx, [c.N, c.H, c.W, c.C]));
        expectF32Close(`${name}: dw`, dw, fromHwio(theirs.dw, [c.KH, c.KW, c.C, c.F]));
        expectF32Close(`${name}: db`, db, Tensor.fromArray(theirs.db));
      }),
      OPTS,
    );
  });

  it("x=[2,3,9,9] w=[4,3,5,5] p=same: matches tf.conv2d with pad 'same'", () => {
    const rng = new Rng(1);
    const x = f32(rng.randn([2, 3, 9, 9]));
    const w = f32(rng.randn([4, 3, 5, 5]));
    const { out } = conv2dForward(x, w, Tensor.zeros([4]), { pad: 'same' });
    const theirs = tf.tidy(() => tf.conv2d(tf.tensor4d(toNhwc(x), [2, 9, 9, 3]), tf.tensor4d(toHwio(w), [5, 5, 3, 4]), 1, 'same').dataSync() as Float32Array);
    expectF32Close('conv2dForward: out', out, fromNhwc(theirs, [2, 9, 9, 4]));
  });
});

describe('maxPool2d against tf.maxPool (float32, NHWC)', () => {
  const poolCases = fc
    .record({
      N: fc.integer({ min: 1, max: 2 }),
      C: fc.integer({ min: 1, max: 3 }),
      H: fc.integer({ min: 1, max: 8 }),
      W: fc.integer({ min: 1, max: 8 }),
      kernel: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
      stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      padded: fc.boolean(),
      seed: fc.integer(),
    })
    .map(({ padded, ...c }) => ({ ...c, pad: (padded ? [c.kernel[0] >> 1, c.kernel[1] >> 1] : [0, 0]) as [number, number] }))
    .filter((c) => c.kernel[0] <= c.H + 2 * c.pad[0] && c.kernel[1] <= c.W + 2 * c.pad[1]);

  it('random x=[1-2,1-3,1-8,1-8] k=1-4 s=1-3 p=0 or k/2, distinct values: out and dx match tf.maxPool and its gradient', () => {
    fc.assert(
      fc.property(poolCases, (c) => {
        const rng = new Rng(c.seed);
        const x = f32(distinctTensor(rng, [c.N, c.C, c.H, c.W]));
        const { out, cache } = maxPool2dForward(x, { kernel: asPair(c.kernel), stride: asPair(c.stride), pad: asPair(c.pad) });
        const dout = f32(rng.randn(out.shape));
        const { dx } = maxPool2dBackward(dout, cache);
        const [, , OH, OW] = out.shape;
        const theirs = tf.tidy(() => {
          const pool = (t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, c.kernel, c.stride, explicitPad(c.pad));
          const xt = tf.tensor4d(toNhwc(x), [c.N, c.H, c.W, c.C]);
          const y = pool(xt);
          const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pool(t), tf.tensor4d(toNhwc(dout), [c.N, OH, OW, c.C]))))(xt);
          return { out: y.dataSync() as Float32Array, outShape: y.shape, dx: g.dataSync() as Float32Array };
        });
        const name = `maxPool2d x=[${c.N},${c.C},${c.H},${c.W}] k=[${c.kernel}] s=[${c.stride}] p=[${c.pad}]`;
        expectF32Close(`${name}: out`, out, fromNhwc(theirs.out, theirs.outShape));
        expectF32Close(`${name}: dx`, dx, fromNhwc(theirs.dx, [c.N, c.H, c.W, c.C]));
      }),
      OPTS,
    );
  });
});

describe('affine and softmaxCrossEntropy against tf.matMul and tf.losses.softmaxCrossEntropy', () => {
  const dims = fc.record({ N: fc.integer({ min: 1, max: 6 }), D: fc.integer({ min: 1, max: 12 }), M: fc.integer({ min: 1, max: 8 }), seed: fc.integer() });

  it('random x=[1-6,1-12] w=[D,1-8]: out, dx, dw, db match tf.grads of sum((x w + b) * dout)', () => {
    fc.assert(
      fc.property(dims, ({ N, D, M, seed }) => {
        const rng = new Rng(seed);
        const [x, w, b] = [f32(rng.randn([N, D])), f32(rng.randn([D, M])), f32(rng.randn([M]))];
        const dout = f32(rng.randn([N, M]));
        const { out, cache } = affineForward(x, w, b);
        const { dx, dw, db } = affineBackward(dout, cache);
        const theirs = tf.tidy(() => {
          const f = (xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) => tf.add(tf.matMul(xt as tf.Tensor2D, wt as tf.Tensor2D), bt);
          const args = [tf.tensor2d(flat32(x), [N, D]), tf.tensor2d(flat32(w), [D, M]), tf.tensor1d(flat32(b))];
          const y = f(args[0], args[1], args[2]);
          const [gx, gw, gb] = tf.grads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => tf.sum(tf.mul(f(a, c, e), tf.tensor2d(flat32(dout), [N, M]))))(args);
          return { out: y.dataSync() as Float32Array, dx: gx.dataSync() as Float32Array, dw: gw.dataSync() as Float32Array, db: gb.dataSync() as Float32Array };
        });
        const name = `affine x=[${N},${D}] w=[${D},${M}]`;
        expectF32Close(`${name}: out`, out, Tensor.fromArray(theirs.out, [N, M]));
        expectF32Close(`${name}: dx`, dx, Tensor.fromArray(theirs.dx, [N, D]));
        expectF32Close(`${name}: dw`, dw, Tensor.fromArray(theirs.dw, [D, M]));
        expectF32Close(`${name}: db`, db, Tensor.fromArray(theirs.db, [M]));
      }),
      OPTS,
    );
  });

  it('random scores=[1-6,2-8] ~ N(0, 9): loss and dscores match tf.losses.softmaxCrossEntropy (mean) and its gradient', () => {
    // tf.oneHot needs at least 2 classes
    const classes = fc.record({ N: fc.integer({ min: 1, max: 6 }), C: fc.integer({ min: 2, max: 8 }), seed: fc.integer() });
    fc.assert(
      fc.property(classes, ({ N, C, seed }) => {
        const rng = new Rng(seed);
        const scores = f32(rng.randn([N, C], 3));
        const labels = Array.from({ length: N }, () => rng.int(0, C - 1));
        const { loss, dscores } = softmaxCrossEntropy(scores, labels);
        const theirs = tf.tidy(() => {
          const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), C);
          const s = tf.tensor2d(flat32(scores), [N, C]);
          const f = (t: tf.Tensor) => tf.losses.softmaxCrossEntropy(onehot, t);
          return { loss: f(s).dataSync() as Float32Array, dscores: tf.grad(f)(s).dataSync() as Float32Array };
        });
        const name = `softmaxCrossEntropy scores=[${N},${C}]`;
        expect(Math.abs(loss - theirs.loss[0]), `${name}: loss ${loss} vs ${theirs.loss[0]}`).toBeLessThanOrEqual(1e-5 * (1 + loss));
        expectF32Close(`${name}: dscores`, dscores, Tensor.fromArray(theirs.dscores, [N, C]));
      }),
      OPTS,
    );
  });
});
