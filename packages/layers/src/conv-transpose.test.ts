import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { dot, maxAbs, numericalGradient, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { conv2dBackward, conv2dForward } from './conv2d.js';
import {
  bilinearUpsampling,
  computeConvTranspose2DInfo,
  convTranspose2dBackward,
  convTranspose2dForward,
  type ConvTranspose2dCache,
  type ConvTranspose2DParams,
} from './conv-transpose.js';
import { asPair, expectClose, expectGradient, FC_OPTS, LINEAR_H } from './test-support.js';

/** A transposed-convolution configuration; `outputPadding < stride` unless stated otherwise. */
interface Case {
  readonly N: number;
  readonly C: number;
  readonly F: number;
  readonly H: number;
  readonly W: number;
  readonly K: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly pad: readonly [number, number];
  readonly outputPadding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly seed: number;
}

const outSize = (n: number, s: number, p: number, d: number, k: number, o: number): number => (n - 1) * s - 2 * p + d * (k - 1) + o + 1;

/** Random configurations with a positive output size; output padding below the stride. */
function cases(maxDilation = 2): fc.Arbitrary<Case> {
  const int = (min: number, max: number) => fc.integer({ min, max });
  const two = (min: number, max: number) => fc.tuple(int(min, max), int(min, max));
  return fc
    .record({
      N: int(1, 2),
      C: int(1, 3),
      F: int(1, 3),
      H: int(1, 5),
      W: int(1, 5),
      K: two(1, 4),
      stride: two(1, 3),
      pad: two(0, 2),
      outputPaddingFraction: fc.tuple(fc.double({ min: 0, max: 0.999, noNaN: true }), fc.double({ min: 0, max: 0.999, noNaN: true })),
      dilation: two(1, maxDilation),
      seed: fc.integer(),
    })
    .map(({ outputPaddingFraction: [a, b], ...c }) => ({
      ...c,
      outputPadding: [Math.floor(a * c.stride[0]), Math.floor(b * c.stride[1])] as const,
    }))
    .filter(
      (c) =>
        outSize(c.H, c.stride[0], c.pad[0], c.dilation[0], c.K[0], c.outputPadding[0]) >= 1 &&
        outSize(c.W, c.stride[1], c.pad[1], c.dilation[1], c.K[1], c.outputPadding[1]) >= 1,
    );
}

const paramsOf = (c: Case): ConvTranspose2DParams => ({
  stride: asPair(c.stride),
  pad: asPair(c.pad),
  outputPadding: asPair(c.outputPadding),
  dilation: asPair(c.dilation),
});

const nameOf = (c: Case): string =>
  `x=[${c.N},${c.C},${c.H},${c.W}] w=[${c.C},${c.F},${c.K}] s=[${c.stride}] p=[${c.pad}] op=[${c.outputPadding}] d=[${c.dilation}]`;

function data(c: Case) {
  const rng = new Rng(c.seed);
  return { x: rng.randn([c.N, c.C, c.H, c.W]), w: rng.randn([c.C, c.F, c.K[0], c.K[1]]), b: rng.randn([c.F]), rng };
}

/**
 * The oracle: the scatter definition written out, each input pixel adds its kernel times its
 * value into the output, positions that fall into the padding are dropped. Output size from
 * PyTorch's formula, written out here.
 */
function directConvTranspose(x: Tensor, w: Tensor, b: Tensor, c: Case): Tensor {
  const [N, C, H, W] = x.shape;
  const [, F, KH, KW] = w.shape;
  const OH = outSize(H, c.stride[0], c.pad[0], c.dilation[0], KH, c.outputPadding[0]);
  const OW = outSize(W, c.stride[1], c.pad[1], c.dilation[1], KW, c.outputPadding[1]);
  const out = Tensor.zeros([N, F, OH, OW]);
  for (let n = 0; n < N; n++)
    for (let f = 0; f < F; f++) for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) out.set(b.get(f), n, f, i, j);
  for (let n = 0; n < N; n++)
    for (let ch = 0; ch < C; ch++)
      for (let i = 0; i < H; i++)
        for (let j = 0; j < W; j++)
          for (let f = 0; f < F; f++)
            for (let a = 0; a < KH; a++)
              for (let e = 0; e < KW; e++) {
                const oi = i * c.stride[0] - c.pad[0] + a * c.dilation[0];
                const oj = j * c.stride[1] - c.pad[1] + e * c.dilation[1];
                if (oi >= 0 && oi < OH && oj >= 0 && oj < OW) out.set(out.get(n, f, oi, oj) + x.get(n, ch, i, j) * w.get(ch, f, a, e), n, f, oi, oj);
              }
  return out;
}

describe('convTranspose2dForward: output size (PyTorch ConvTranspose2d)', () => {
  it.each([
    // [x, w, params, out]: OH = (H-1)*s - 2p + d(K-1) + op + 1
    [[1, 3, 4, 4], [3, 2, 3, 3], {}, [1, 2, 6, 6]],
    [[1, 3, 4, 4], [3, 2, 3, 3], { stride: 2, pad: 1 }, [1, 2, 7, 7]],
    [[1, 3, 4, 4], [3, 2, 3, 3], { stride: 2, pad: 1, outputPadding: 1 }, [1, 2, 8, 8]],
    [[2, 21, 8, 8], [21, 21, 4, 4], { stride: 2, pad: 1 }, [2, 21, 16, 16]],
    [[1, 2, 1, 1], [2, 2, 64, 64], { stride: 32 }, [1, 2, 64, 64]], // FCN-32s upsampling: kernel 64, stride 32
    [[1, 1, 3, 5], [1, 1, 2, 3], { stride: [2, 3], pad: [0, 1], outputPadding: [1, 2], dilation: [1, 2] }, [1, 1, 7, 17]],
    [[1, 1, 3, 3], [1, 1, 3, 3], { dilation: 3, outputPadding: 2 }, [1, 1, 11, 11]],
  ] as const)('x=%j w=%j %j: out %j', (xs, ws, params, expected) => {
    const info = computeConvTranspose2DInfo('convTranspose2d', xs, ws, params as ConvTranspose2DParams);
    expect(info.outShape).toEqual(expected);
    const rng = new Rng(1);
    const { out } = convTranspose2dForward(rng.randn([...xs]), rng.randn([...ws]), rng.randn([ws[1]]), params as ConvTranspose2DParams);
    expect(out.shape).toEqual(expected);
  });

  it('x=[1,1,2,2] w=[1,1,2,2] s=2: each pixel stamps its kernel into its own 2x2 block', () => {
    const x = Tensor.from([[[[1, 2], [3, 4]]]]);
    const w = Tensor.from([[[[1, 10], [100, 1000]]]]);
    const { out } = convTranspose2dForward(x, w, Tensor.from([0.5]), { stride: 2 });
    expect(out.shape).toEqual([1, 1, 4, 4]);
    expect(out.toArray()).toEqual([[[
      [1.5, 10.5, 2.5, 20.5],
      [100.5, 1000.5, 200.5, 2000.5],
      [3.5, 30.5, 4.5, 40.5],
      [300.5, 3000.5, 400.5, 4000.5],
    ]]]);
  });

  it('random x=[1-2,1-3,1-5,1-5] w=[C,1-3,1-4,1-4] s=1-3 p=0-2 op<s d=1-2: GEMM + col2im equals the scatter loops', () => {
    fc.assert(
      fc.property(cases(), (c) => {
        const { x, w, b } = data(c);
        const { out } = convTranspose2dForward(x, w, b, paramsOf(c));
        const expected = directConvTranspose(x, w, b, c);
        expect(out.shape, nameOf(c)).toEqual(expected.shape);
        expectClose(`convTranspose2dForward ${nameOf(c)}: out`, out, expected, 1e-12, 1e-12);
      }),
      FC_OPTS,
    );
  });

  it('x=[1,1,2,2] w=[1,1,2,2] d=3 op=2 (op >= stride, < dilation): the extra rows and columns hold the bias only, as in PyTorch', () => {
    const c: Case = { N: 1, C: 1, F: 1, H: 2, W: 2, K: [2, 2], stride: [1, 1], pad: [0, 0], outputPadding: [2, 2], dilation: [3, 3], seed: 3 };
    const { x, w, b } = data(c);
    const { out } = convTranspose2dForward(x, w, b, paramsOf(c));
    expect(out.shape).toEqual([1, 1, 7, 7]);
    expectClose('out', out, directConvTranspose(x, w, b, c), 1e-12, 1e-12);
    for (let j = 0; j < 7; j++) expect(out.get(0, 0, 6, j)).toBe(b.get(0));
  });
});

describe('convTranspose2d is the adjoint of conv2d', () => {
  it('random configurations, shared w: <conv2d(y), x> = <y, convTranspose2d(x)> (zero biases), and the forward equals conv2d\'s dx', () => {
    fc.assert(
      fc.property(cases(), (c) => {
        const { x, w, rng } = data(c);
        const params = paramsOf(c);
        const { out } = convTranspose2dForward(x, w, Tensor.zeros([c.F]), params);
        const y = rng.randn(out.shape);
        // conv2d with the same tensor: filters [C_out_conv = C, C_in_conv = F, KH, KW], from [N, F, OH, OW] to [N, C, H, W]
        const conv = conv2dForward(y, w, Tensor.zeros([c.C]), { stride: params.stride, pad: params.pad, dilation: params.dilation });
        expect(conv.out.shape, nameOf(c)).toEqual(x.shape);
        const lhs = dot(conv.out, x);
        const rhs = dot(y, out);
        expect(Math.abs(lhs - rhs), `${nameOf(c)}: ${lhs} vs ${rhs}`).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(lhs)));
        expectClose(`${nameOf(c)}: convTranspose2d(x) vs conv2dBackward(x).dx`, out, conv2dBackward(x, conv.cache).dx, 1e-12, 1e-12);
      }),
      FC_OPTS,
    );
  });

  it('x=[1,2,5,5] conv 3x3 s=2 p=1 -> [1,4,3,3]; the transpose with output padding 0 returns to 5x5, 1 would give 6x6', () => {
    const rng = new Rng(4);
    const w = rng.randn([4, 2, 3, 3]);
    const { out } = conv2dForward(rng.randn([1, 2, 5, 5]), w, Tensor.zeros([4]), { stride: 2, pad: 1 });
    expect(out.shape).toEqual([1, 4, 3, 3]);
    expect(convTranspose2dForward(out, w, Tensor.zeros([2]), { stride: 2, pad: 1 }).out.shape).toEqual([1, 2, 5, 5]);
    expect(convTranspose2dForward(out, w, Tensor.zeros([2]), { stride: 2, pad: 1, outputPadding: 1 }).out.shape).toEqual([1, 2, 6, 6]);
  });
});

describe('convTranspose2dBackward', () => {
  it('random configurations incl. output padding and dilation: dx, dw, db match numerical gradients (rel. error < 1e-6)', () => {
    fc.assert(
      fc.property(cases(), (c) => {
        const { x, w, b, rng } = data(c);
        const params = paramsOf(c);
        const { out, cache } = convTranspose2dForward(x, w, b, params);
        const dout = rng.randn(out.shape);
        const { dx, dw, db } = convTranspose2dBackward(dout, cache);
        const name = `convTranspose2dBackward ${nameOf(c)}`;
        expect(dx.shape, name).toEqual(x.shape);
        expect(dw.shape, name).toEqual(w.shape);
        expect(db.shape, name).toEqual(b.shape);
        expectGradient(`${name}: dx`, dx, numericalGradient((t) => convTranspose2dForward(t, w, b, params).out, x, dout, LINEAR_H));
        expectGradient(`${name}: dw`, dw, numericalGradient((t) => convTranspose2dForward(x, t, b, params).out, w, dout, LINEAR_H));
        expectGradient(`${name}: db`, db, numericalGradient((t) => convTranspose2dForward(x, w, t, params).out, b, dout, LINEAR_H));
      }),
      FC_OPTS,
    );
  });

  it('dx is the conv2d of dout with the same weights (the transpose of the transpose)', () => {
    const rng = new Rng(5);
    const x = rng.randn([2, 3, 4, 4]);
    const w = rng.randn([3, 2, 3, 3]);
    const params = { stride: 2, pad: 1, outputPadding: 1 };
    const { out, cache } = convTranspose2dForward(x, w, rng.randn([2]), params);
    const dout = rng.randn(out.shape);
    expectClose('dx', convTranspose2dBackward(dout, cache).dx, conv2dForward(dout, w, Tensor.zeros([3]), { stride: 2, pad: 1 }).out, 1e-12, 1e-12);
  });
});

describe('bilinearUpsampling (FCN initialisation)', () => {
  it.each([1, 2, 3, 4])('factor %i: out is factor x larger; a linear image a*i + b*j + c is interpolated exactly (align_corners=False) away from the border', (factor) => {
    const H = 4;
    const W = 5;
    const { w, params } = bilinearUpsampling(2, factor);
    const K = 2 * factor - (factor % 2);
    expect(w.shape).toEqual([2, 2, K, K]);
    const x = Tensor.zeros([1, 2, H, W]).map((_, k) => {
      const [, ch, i, j] = [0, Math.floor(k / (H * W)), Math.floor(k / W) % H, k % W];
      return ch === 0 ? 3 : 0.5 * i - 2 * j + 1;
    });
    const { out } = convTranspose2dForward(x, w, Tensor.zeros([2]), params);
    expect(out.shape).toEqual([1, 2, factor * H, factor * W]);
    // output pixel r sits at input coordinate (r + 0.5) / factor - 0.5
    const at = (r: number) => (r + 0.5) / factor - 0.5;
    let checked = 0;
    for (let r = 0; r < factor * H; r++)
      for (let s = 0; s < factor * W; s++) {
        const u = at(r);
        const v = at(s);
        if (u < 0 || u > H - 1 || v < 0 || v > W - 1) continue;
        checked++;
        expect(out.get(0, 0, r, s)).toBeCloseTo(3, 12);
        expect(out.get(0, 1, r, s)).toBeCloseTo(0.5 * u - 2 * v + 1, 12);
      }
    expect(checked).toBeGreaterThanOrEqual((factor * (H - 1)) * (factor * (W - 1)));
  });

  it('errors', () => {
    expect(() => bilinearUpsampling(0, 2)).toThrow(new ValueError('bilinearUpsampling', 'channels must be an integer >= 1, got 0'));
    expect(() => bilinearUpsampling(3, 1.5)).toThrow(new ValueError('bilinearUpsampling', 'factor must be an integer >= 1, got 1.5'));
  });
});

describe('convTranspose2d input validation', () => {
  const x = Tensor.zeros([1, 3, 4, 4]);
  const w = Tensor.zeros([3, 2, 3, 3]);
  const b = Tensor.zeros([2]);

  it.each([
    [
      'channels',
      () => convTranspose2dForward(x, Tensor.zeros([4, 3, 3, 3]), Tensor.zeros([3])),
      ShapeError,
      "convTranspose2d: input channels (3) must match w's first dimension (4); w is [C_in, C_out, KH, KW] (PyTorch's ConvTranspose2d layout); x [1,3,4,4], w [4,3,3,3]",
    ],
    ['bias', () => convTranspose2dForward(x, w, Tensor.zeros([3])), ShapeError, 'convTranspose2d: b must have shape [2], got [3]'],
    ['w 3-D', () => convTranspose2dForward(x, Tensor.zeros([3, 2, 3]), b), ShapeError, 'convTranspose2d: w must be 4-D [C_in, C_out, KH, KW], got [3,2,3]'],
    [
      'no output',
      () => convTranspose2dForward(Tensor.zeros([1, 1, 1, 1]), Tensor.zeros([1, 1, 3, 3]), Tensor.zeros([1]), { pad: 2 }),
      ShapeError,
      'convTranspose2d: output height (1 - 1)*1 - 2*2 + 1*(3 - 1) + 0 + 1 = -1 is not positive; x [1,1,1,1], w [1,1,3,3]',
    ],
    [
      'output padding',
      () => convTranspose2dForward(x, w, b, { stride: 2, outputPadding: 2 }),
      ValueError,
      'convTranspose2d: outputPadding (2) must be smaller than the stride (2) or the dilation (1) in height',
    ],
    ['stride 0', () => convTranspose2dForward(x, w, b, { stride: 0 }), ValueError, 'convTranspose2d: stride must be an integer >= 1, got 0'],
    ['NaN', () => convTranspose2dForward(x, w.map((v, i) => (i === 17 ? NaN : v)), b), ValueError, 'convTranspose2d: w contains NaN at [0,1,2,2]'],
    ['params null', () => convTranspose2dForward(x, w, b, null as unknown as ConvTranspose2DParams), ValueError, 'convTranspose2d: params must be an object'],
  ] as const)('%s', (_, fn, type, message) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(message);
  });

  it('convTranspose2dBackward: dout of the wrong shape or a foreign cache', () => {
    const { cache } = convTranspose2dForward(x, w, b, { stride: 2, pad: 1, outputPadding: 1 });
    expect(() => convTranspose2dBackward(Tensor.zeros([1, 2, 7, 7]), cache)).toThrow(
      new ShapeError('convTranspose2dBackward', 'dout must have shape [1,2,8,8], got [1,2,7,7]'),
    );
    expect(() => convTranspose2dBackward(Tensor.zeros([1, 2, 8, 8]), { x } as unknown as ConvTranspose2dCache)).toThrow(
      'convTranspose2dBackward: cache must be the cache returned by convTranspose2dForward (missing w, b, info), got an object',
    );
  });
});

/**
 * TensorFlow.js as an independent oracle (float32, NHWC), as in `tfjs-oracle.test.ts`.
 *
 * Layout mapping: our x `[N, C, H, W]` <-> tfjs `[N, H, W, C]`; our weights `[C_in, C_out, KH, KW]`
 * (PyTorch's ConvTranspose2d) <-> tfjs' conv2dTranspose filter `[KH, KW, C_out, C_in]`, with
 * `filter[kh, kw, f, c] = w[c, f, kh, kw]` (no flip: both define the op as conv2d's input
 * gradient). Our symmetric `pad` is tfjs' explicit padding `[[0, 0], [ph, ph], [pw, pw], [0, 0]]`
 * of the forward convolution; the output padding is carried by tfjs' explicit `outputShape`.
 * tfjs' conv2dTranspose has no dilation. Inputs are rounded to float32 first; tolerance relative
 * 1e-4, absolute 1e-5 * (1 + max |expected|).
 */
describe('convTranspose2d against tf.conv2dTranspose (float32, NHWC)', () => {
  beforeAll(async () => {
    tf.enableProdMode();
    await tf.setBackend('cpu');
    await tf.ready();
  });

  const f32 = (t: Tensor): Tensor => t.map(Math.fround);

  function toNhwc(t: Tensor): Float32Array {
    const [N, C, H, W] = t.shape;
    const out = new Float32Array(t.size);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) out[((n * H + h) * W + w) * C + c] = t.data[((n * C + c) * H + h) * W + w];
    return out;
  }

  function fromNhwc(data: ArrayLike<number>, [N, H, W, C]: readonly number[]): Tensor {
    const out = Tensor.zeros([N, C, H, W]);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) out.data[((n * C + c) * H + h) * W + w] = data[((n * H + h) * W + w) * C + c];
    return out;
  }

  /** Our `[C, F, KH, KW]` -> tfjs `[KH, KW, F, C]`. */
  function toFilter(t: Tensor): Float32Array {
    const [C, F, KH, KW] = t.shape;
    const out = new Float32Array(t.size);
    for (let c = 0; c < C; c++)
      for (let f = 0; f < F; f++) for (let i = 0; i < KH; i++) for (let j = 0; j < KW; j++) out[((i * KW + j) * F + f) * C + c] = t.data[((c * F + f) * KH + i) * KW + j];
    return out;
  }

  /** tfjs `[KH, KW, F, C]` -> our `[C, F, KH, KW]`. */
  function fromFilter(data: ArrayLike<number>, [KH, KW, F, C]: readonly number[]): Tensor {
    const out = Tensor.zeros([C, F, KH, KW]);
    for (let c = 0; c < C; c++)
      for (let f = 0; f < F; f++) for (let i = 0; i < KH; i++) for (let j = 0; j < KW; j++) out.data[((c * F + f) * KH + i) * KW + j] = data[((i * KW + j) * F + f) * C + c];
    return out;
  }

  function expectF32Close(what: string, ours: Tensor, theirs: Tensor): void {
    expect(ours.shape, what).toEqual(theirs.shape);
    expectClose(what, ours, theirs, 1e-4, 1e-5 * (1 + maxAbs(theirs)));
  }

  it('random x=[1-2,1-3,1-5,1-5] w=[C,1-3,1-4,1-4] s=1-3 p=0-2 op<s: out, dx, dw, db match tf.conv2dTranspose and tf.grads', () => {
    const tfCases = cases(1);
    fc.assert(
      fc.property(tfCases, (c) => {
        const rng = new Rng(c.seed);
        const x = f32(rng.randn([c.N, c.C, c.H, c.W]));
        const w = f32(rng.randn([c.C, c.F, c.K[0], c.K[1]]));
        const b = f32(rng.randn([c.F]));
        const { out, cache } = convTranspose2dForward(x, w, b, paramsOf(c));
        const dout = f32(rng.randn(out.shape));
        const { dx, dw, db } = convTranspose2dBackward(dout, cache);
        const [N, F, OH, OW] = out.shape;
        const theirs = tf.tidy(() => {
          const f = (xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) =>
            tf.add(
              tf.conv2dTranspose(xt as tf.Tensor4D, wt as tf.Tensor4D, [N, OH, OW, F], [c.stride[0], c.stride[1]], [[0, 0], [c.pad[0], c.pad[0]], [c.pad[1], c.pad[1]], [0, 0]]),
              bt,
            );
          const args = [tf.tensor4d(toNhwc(x), [c.N, c.H, c.W, c.C]), tf.tensor4d(toFilter(w), [c.K[0], c.K[1], c.F, c.C]), tf.tensor1d(Float32Array.from(b.data))];
          const y = f(args[0], args[1], args[2]);
          const doutT = tf.tensor4d(toNhwc(dout), [N, OH, OW, F]);
          const [gx, gw, gb] = tf.grads((a: tf.Tensor, e: tf.Tensor, g: tf.Tensor) => tf.sum(tf.mul(f(a, e, g), doutT)))(args);
          return { out: y.dataSync() as Float32Array, dx: gx.dataSync() as Float32Array, dw: gw.dataSync() as Float32Array, db: gb.dataSync() as Float32Array };
        });
        const name = `convTranspose2d ${nameOf(c)}`;
        expectF32Close(`${name}: out`, out, fromNhwc(theirs.out, [N, OH, OW, F]));
        expectF32Close(`${name}: dx`, dx, fromNhwc(theirs.dx, [c.N, c.H, c.W, c.C]));
        expectF32Close(`${name}: dw`, dw, fromFilter(theirs.dw, [c.K[0], c.K[1], c.F, c.C]));
        expectF32Close(`${name}: db`, db, Tensor.fromArray(theirs.db));
      }),
      { seed: 42, numRuns: 20 },
    );
  });
});
