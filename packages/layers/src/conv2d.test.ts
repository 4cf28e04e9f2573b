import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numericalGradient, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { conv2dBackward, conv2dForward, type Conv2dCache } from './conv2d.js';
import { reluForward } from './relu.js';
import { convCases, convName, convParams, expectClose, expectGradient, FC_OPTS, LINEAR_H, type ConvCase } from './test-support.js';

/**
 * The oracle: a direct convolution, seven nested loops (n, f, oh, ow, c, kh, kw), no im2col, no
 * GEMM, output size from PyTorch's formula written out here rather than taken from the tensor
 * package. Padding is handled by skipping taps that fall outside the input.
 */
function directConv(
  x: Tensor,
  w: Tensor,
  b: Tensor,
  [sh, sw]: readonly [number, number],
  [ph, pw]: readonly [number, number],
  [dh, dw]: readonly [number, number] = [1, 1],
): Tensor {
  const [N, C, H, W] = x.shape;
  const [F, , KH, KW] = w.shape;
  const OH = Math.floor((H + 2 * ph - dh * (KH - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + 2 * pw - dw * (KW - 1) - 1) / sw) + 1;
  const out = Tensor.zeros([N, F, OH, OW]);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let acc = b.get(f);
          for (let c = 0; c < C; c++) {
            for (let kh = 0; kh < KH; kh++) {
              for (let kw = 0; kw < KW; kw++) {
                const ih = oh * sh - ph + kh * dh;
                const iw = ow * sw - pw + kw * dw;
                if (ih >= 0 && ih < H && iw >= 0 && iw < W) acc += x.get(n, c, ih, iw) * w.get(f, c, kh, kw);
              }
            }
          }
          out.set(acc, n, f, oh, ow);
        }
      }
    }
  }
  return out;
}

function caseData(c: ConvCase) {
  const rng = new Rng(c.seed);
  return {
    x: rng.randn([c.N, c.C, c.H, c.W]),
    w: rng.randn([c.F, c.C, c.KH, c.KW]),
    b: rng.randn([c.F]),
    rng,
  };
}

/** The lecture's 5x5 image for the 1x1 convolution example. */
const LECTURE_IMAGE = [
  [-5, 3, 2, -5, 3],
  [4, 3, 2, 1, -3],
  [1, 0, 3, 3, 5],
  [-2, 0, 1, 4, 4],
  [5, 6, 7, 9, -1],
];

describe('conv2dForward', () => {
  it('x=[2,3,7,7] w=[4,3,3,3] s=2 p=1: shape [2,4,4,4], values equal the direct oracle', () => {
    const rng = new Rng(1);
    const x = rng.randn([2, 3, 7, 7]);
    const w = rng.randn([4, 3, 3, 3]);
    const b = rng.randn([4]);
    const { out } = conv2dForward(x, w, b, { stride: 2, pad: 1 });
    expect(out.shape).toEqual([2, 4, 4, 4]);
    expectClose('conv2dForward: out', out, directConv(x, w, b, [2, 2], [1, 1]), 1e-12, 1e-12);
  });

  it('x=[1,2,6,5] w=[3,2,3,2] s=[2,1] p=[1,0] d=[1,2]: rectangular stride, padding and dilation', () => {
    const rng = new Rng(2);
    const x = rng.randn([1, 2, 6, 5]);
    const w = rng.randn([3, 2, 3, 2]);
    const b = rng.randn([3]);
    const { out } = conv2dForward(x, w, b, { stride: [2, 1], pad: [1, 0], dilation: [1, 2] });
    // OH = floor((6 + 2 - 2 - 1) / 2) + 1 = 3, OW = floor((5 + 0 - 2 - 1) / 1) + 1 = 3
    expect(out.shape).toEqual([1, 3, 3, 3]);
    expectClose('conv2dForward: out', out, directConv(x, w, b, [2, 1], [1, 0], [1, 2]), 1e-12, 1e-12);
  });

  it('random x=[1-3,1-4,1-9,1-9] w=[1-4,C,1-5,1-5] s=1-3 p=0-2: im2col + GEMM equals the 7-loop oracle within 1e-12', () => {
    fc.assert(
      fc.property(convCases({ N: 3, C: 4, HW: 9, F: 4, K: 5, stride: 3, pad: 2, dilation: 1 }), (c) => {
        const { x, w, b } = caseData(c);
        const { out } = conv2dForward(x, w, b, convParams(c));
        const expected = directConv(x, w, b, c.stride, c.pad, c.dilation);
        expect(out.shape, convName(c)).toEqual(expected.shape);
        expectClose(`conv2dForward ${convName(c)}: out`, out, expected, 1e-12, 1e-12);
      }),
      FC_OPTS,
    );
  });

  it('random x=[1-2,1-3,1-9,1-9] w=[1-3,C,1-4,1-4] s=1-2 p=0-2 d=1-3: dilated convolution equals the oracle', () => {
    fc.assert(
      fc.property(convCases({ N: 2, C: 3, HW: 9, F: 3, K: 4, stride: 2, pad: 2, dilation: 3 }), (c) => {
        const { x, w, b } = caseData(c);
        const { out } = conv2dForward(x, w, b, convParams(c));
        const expected = directConv(x, w, b, c.stride, c.pad, c.dilation);
        expect(out.shape, convName(c)).toEqual(expected.shape);
        expectClose(`conv2dForward ${convName(c)}: out`, out, expected, 1e-12, 1e-12);
      }),
      FC_OPTS,
    );
  });

  it('x=[1,1,5,5] w=[1,1,1,1]=2 (the lecture\'s 1x1 example): keeps 5x5 and doubles every value', () => {
    const x = Tensor.from([[LECTURE_IMAGE]]);
    const { out } = conv2dForward(x, Tensor.full([1, 1, 1, 1], 2), Tensor.zeros([1]));
    expect(out.shape).toEqual([1, 1, 5, 5]);
    const rows = (out.toArray() as number[][][][])[0][0];
    expect(rows[0]).toEqual([-10, 6, 4, -10, 6]);
    expect(rows[4]).toEqual([10, 12, 14, 18, -2]);
    expect(rows).toEqual(LECTURE_IMAGE.map((r) => r.map((v) => 2 * v)));
  });

  it('x=[1,200,32,32] w=[32,200,1,1] + ReLU (the lecture\'s channel reduction): [1,32,32,32]', () => {
    const rng = new Rng(3);
    const x = rng.randn([1, 200, 32, 32]);
    const w = rng.randn([32, 200, 1, 1], 0.1);
    const b = rng.randn([32]);
    const { out } = conv2dForward(x, w, b);
    expect(out.shape).toEqual([1, 32, 32, 32]);
    // A 1x1 convolution is a per-pixel dot product over channels.
    for (const [f, i, j] of [
      [0, 0, 0],
      [17, 5, 30],
      [31, 31, 31],
    ]) {
      let acc = b.get(f);
      for (let c = 0; c < 200; c++) acc += w.get(f, c, 0, 0) * x.get(0, c, i, j);
      expect(out.get(0, f, i, j)).toBeCloseTo(acc, 12);
    }
    const { out: act } = reluForward(out);
    expect(act.shape).toEqual([1, 32, 32, 32]);
    expect(Math.min(...act.data)).toBe(0);
  });

  it.each([1, 3, 5, 7].map((k) => [k, k]))('x=[2,3,9,8] w=[4,3,%i,%i] s=1 p=same: keeps H and W, equals the oracle with p=(k-1)/2', (k) => {
    const rng = new Rng(10 + k);
    const x = rng.randn([2, 3, 9, 8]);
    const w = rng.randn([4, 3, k, k]);
    const b = rng.randn([4]);
    const { out } = conv2dForward(x, w, b, { pad: 'same' });
    expect(out.shape).toEqual([2, 4, 9, 8]);
    const p = (k - 1) / 2;
    expectClose('conv2dForward: out', out, directConv(x, w, b, [1, 1], [p, p]), 1e-12, 1e-12);
  });

  it('x=[1,1,3,3] w=[1,1,3,3] s=1 p=0: a single window gives [1,1,1,1] = sum(x * w) + b', () => {
    const x = Tensor.from([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
    const w = Tensor.from([[[[1, 0, -1], [1, 0, -1], [1, 0, -1]]]]);
    const { out } = conv2dForward(x, w, Tensor.from([0.5]));
    expect(out.shape).toEqual([1, 1, 1, 1]);
    expect(out.data[0]).toBe(1 + 4 + 7 - 3 - 6 - 9 + 0.5);
  });

  it('a bias whose data is a plain array or a Float64Array of another realm (a sandbox): the same output as a Float64Array bias', () => {
    const rng = new Rng(6);
    const x = rng.randn([2, 3, 9, 9]);
    const w = rng.randn([5, 3, 3, 3]);
    const b = rng.randn([5]);
    const want = conv2dForward(x, w, b, { pad: 1 }).out.data;
    const plain = new Tensor([...b.data] as unknown as Float64Array, [5]);
    const foreign = new Tensor(runInNewContext('Float64Array.from(v)', { v: [...b.data] }) as Float64Array, [5]);
    expect(foreign.data instanceof Float64Array).toBe(false);
    expect([...conv2dForward(x, w, plain, { pad: 1 }).out.data]).toEqual([...want]);
    expect([...conv2dForward(x, w, foreign, { pad: 1 }).out.data]).toEqual([...want]);
    // and the bias still equals the direct oracle's
    expectClose('conv2d with a foreign bias vs the oracle', conv2dForward(x, w, foreign, { pad: 1 }).out, directConv(x, w, b, [1, 1], [1, 1]), 1e-12);
  });

  it('x=[2,2,4,4] w=[3,2,3,3]: does not modify x, w or b', () => {
    const rng = new Rng(4);
    const x = rng.randn([2, 2, 4, 4]);
    const w = rng.randn([3, 2, 3, 3]);
    const b = rng.randn([3]);
    const [x0, w0, b0] = [x.clone(), w.clone(), b.clone()];
    const { out, cache } = conv2dForward(x, w, b, { pad: 1 });
    conv2dBackward(Tensor.ones(out.shape), cache);
    expect(x.data).toEqual(x0.data);
    expect(w.data).toEqual(w0.data);
    expect(b.data).toEqual(b0.data);
  });
});

describe('conv2dBackward', () => {
  it('random x=[1-2,1-3,1-7,1-7] w=[1-3,C,1-4,1-4] s=1-3 p=0-2 d=1-2: dx, dw, db match numerical gradients (rel. error < 1e-6)', () => {
    fc.assert(
      fc.property(convCases({ N: 2, C: 3, HW: 7, F: 3, K: 4, stride: 3, pad: 2, dilation: 2 }), (c) => {
        const { x, w, b, rng } = caseData(c);
        const params = convParams(c);
        const { out, cache } = conv2dForward(x, w, b, params);
        const dout = rng.randn(out.shape);
        const { dx, dw, db } = conv2dBackward(dout, cache);
        expect(dx.shape, convName(c)).toEqual(x.shape);
        expect(dw.shape, convName(c)).toEqual(w.shape);
        expect(db.shape, convName(c)).toEqual(b.shape);
        const name = `conv2dBackward ${convName(c)}`;
        expectGradient(`${name}: dx`, dx, numericalGradient((t) => conv2dForward(t, w, b, params).out, x, dout, LINEAR_H));
        expectGradient(`${name}: dw`, dw, numericalGradient((t) => conv2dForward(x, t, b, params).out, w, dout, LINEAR_H));
        expectGradient(`${name}: db`, db, numericalGradient((t) => conv2dForward(x, w, t, params).out, b, dout, LINEAR_H));
      }),
      FC_OPTS,
    );
  });

  it('x=[1,1,1,3] w=[1,1,1,2]=1 s=1 dout=1: the middle pixel, read by both windows, accumulates dx=2', () => {
    const { out, cache } = conv2dForward(Tensor.from([[[[1, 3, 2]]]]), Tensor.ones([1, 1, 1, 2]), Tensor.zeros([1]));
    expect(out.shape).toEqual([1, 1, 1, 2]);
    expect([...out.data]).toEqual([4, 5]);
    const { dx, dw, db } = conv2dBackward(Tensor.ones([1, 1, 1, 2]), cache);
    expect([...dx.data]).toEqual([1, 2, 1]);
    expect([...dw.data]).toEqual([1 + 3, 3 + 2]);
    expect([...db.data]).toEqual([2]);
  });

  it('x=[2,3,5,5] w=[4,3,3,3] p=same: db is dout summed over N, H and W', () => {
    const rng = new Rng(5);
    const { out, cache } = conv2dForward(rng.randn([2, 3, 5, 5]), rng.randn([4, 3, 3, 3]), Tensor.zeros([4]), { pad: 'same' });
    const dout = rng.randn(out.shape);
    const { db } = conv2dBackward(dout, cache);
    for (let f = 0; f < 4; f++) {
      let s = 0;
      for (let n = 0; n < 2; n++) for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) s += dout.get(n, f, i, j);
      expect(db.get(f)).toBeCloseTo(s, 12);
    }
  });
});

describe('conv2d input validation', () => {
  const x = Tensor.zeros([2, 3, 8, 8]);
  const w = Tensor.zeros([4, 3, 3, 3]);
  const b = Tensor.zeros([4]);

  it.each([
    ['channels differ', () => conv2dForward(x, Tensor.zeros([4, 4, 3, 3]), b), 'conv2d: input channels (3) must match filter channels (4); x [2,3,8,8], w [4,4,3,3]'],
    ['bias length', () => conv2dForward(x, w, Tensor.zeros([3])), 'conv2d: bias length (3) must match the number of filters (4); b [3], w [4,3,3,3]'],
    ['x 3-D', () => conv2dForward(Tensor.zeros([3, 8, 8]), w, b), 'conv2d: x must be 4-D [N, C, H, W], got [3,8,8]'],
    ['w 2-D', () => conv2dForward(x, Tensor.zeros([4, 27]), b), 'conv2d: w must be 4-D [F, C, KH, KW], got [4,27]'],
    ['b 2-D', () => conv2dForward(x, w, Tensor.zeros([4, 1])), 'conv2d: b must be 1-D [F], got [4,1]'],
    ['x not a Tensor', () => conv2dForward([1, 2] as unknown as Tensor, w, b), 'conv2d: x must be a Tensor, got object'],
    [
      'kernel too large',
      () => conv2dForward(Tensor.zeros([1, 1, 3, 3]), Tensor.zeros([1, 1, 5, 5]), Tensor.zeros([1])),
      'conv2d: kernel height 5 does not fit input height 3 with padding 0; x [1,1,3,3], w [1,1,5,5]',
    ],
  ])('%s: ShapeError naming conv2d and the shapes', (_, fn, message) => {
    expect(fn).toThrow(ShapeError);
    expect(fn).toThrow(message);
  });

  it.each([
    ['stride 0', { stride: 0 }, 'conv2d: stride must be an integer >= 1, got 0'],
    ['pad -1', { pad: -1 }, 'conv2d: pad must be an integer >= 0, got -1'],
    ['pad 0.5', { pad: [0.5, 1] as const }, 'conv2d: pad must be an integer >= 0, got [0.5, 1]'],
    ['dilation 0', { dilation: 0 }, 'conv2d: dilation must be an integer >= 1, got 0'],
    ["'same' with stride 2", { pad: 'same' as const, stride: 2 }, "conv2d: padding 'same' needs stride 1 (as in PyTorch), got stride 2"],
  ])('%s: ValueError naming conv2d and the value', (_, params, message) => {
    const fn = () => conv2dForward(x, w, b, params);
    expect(fn).toThrow(ValueError);
    expect(fn).toThrow(message);
  });

  it('params null: ValueError', () => {
    const fn = () => conv2dForward(x, w, b, null as unknown as object);
    expect(fn).toThrow(ValueError);
    expect(fn).toThrow('conv2d: params must be an object { stride?, pad?, dilation? }, got null');
  });

  it("'same' with an even kernel: ValueError", () => {
    const fn = () => conv2dForward(x, Tensor.zeros([4, 3, 2, 2]), b, { pad: 'same' });
    expect(fn).toThrow(ValueError);
    expect(fn).toThrow("conv2d: padding 'same' needs an odd kernel, got 2");
  });

  it.each([
    ['x', 'NaN', [0, 1, 2, 3], 'conv2d: x contains NaN at [0,1,2,3]'],
    ['w', 'Infinity', [3, 2, 0, 1], 'conv2d: w contains Infinity at [3,2,0,1]'],
    ['b', '-Infinity', [2], 'conv2d: b contains -Infinity at [2]'],
  ] as const)('%s with %s: ValueError naming the tensor and the index, thrown before any work', (name, value, index, message) => {
    const args = { x: x.clone(), w: w.clone(), b: b.clone() };
    args[name].set(Number(value), ...index);
    const fn = () => conv2dForward(args.x, args.w, args.b);
    expect(fn).toThrow(ValueError);
    expect(fn).toThrow(message);
  });

  it('conv2dBackward: dout of the wrong shape, a NaN in dout, or a foreign cache', () => {
    const { cache } = conv2dForward(x, w, b, { pad: 'same' });
    expect(() => conv2dBackward(Tensor.zeros([2, 4, 7, 7]), cache)).toThrow(ShapeError);
    expect(() => conv2dBackward(Tensor.zeros([2, 4, 7, 7]), cache)).toThrow('conv2dBackward: dout must have shape [2,4,8,8], got [2,4,7,7]');
    const bad = Tensor.zeros([2, 4, 8, 8]);
    bad.set(NaN, 1, 3, 7, 7);
    expect(() => conv2dBackward(bad, cache)).toThrow(new ValueError('conv2dBackward', 'dout contains NaN at [1,3,7,7]'));
    expect(() => conv2dBackward(bad, undefined as unknown as Conv2dCache)).toThrow(
      'conv2dBackward: cache must be the cache returned by conv2dForward, got undefined',
    );
    expect(() => conv2dBackward(bad, { x, w } as unknown as Conv2dCache)).toThrow(
      'conv2dBackward: cache must be the cache returned by conv2dForward (missing b, info), got an object',
    );
  });
});
