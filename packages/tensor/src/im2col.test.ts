import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShapeError } from './errors.js';
import { gemm, gemmPackedB, GEMM_PANEL_WIDTH } from './gemm.js';
import { col2im, im2col, im2colPanels } from './im2col.js';
import { Rng } from './rng.js';
import { computeConv2DInfo, type Conv2DInfo, type Conv2DParams } from './shape.js';
import { Tensor } from './tensor.js';

/** Direct convolution (cross-correlation, as in PyTorch's Conv2d) with seven plain loops. */
function directConv(x: Tensor, w: Tensor, info: Conv2DInfo): Tensor {
  const { N, C, H, W, F, KH, KW, strideH, strideW, padH, padW, dilationH, dilationW, OH, OW } = info;
  const out = Tensor.zeros([N, F, OH, OW]);
  for (let n = 0; n < N; n++)
    for (let f = 0; f < F; f++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let s = 0;
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const ih = oh * strideH - padH + kh * dilationH;
                const iw = ow * strideW - padW + kw * dilationW;
                if (ih >= 0 && ih < H && iw >= 0 && iw < W) s += x.data[((n * C + c) * H + ih) * W + iw] * w.data[((f * C + c) * KH + kh) * KW + kw];
              }
          out.data[((n * F + f) * OH + oh) * OW + ow] = s;
        }
  return out;
}

/** Convolution as one GEMM per image: out[n] = w_flat [F, C*KH*KW] x cols[n] [C*KH*KW, OH*OW]. */
function im2colConv(x: Tensor, w: Tensor, info: Conv2DInfo): Tensor {
  const { N, F, C, KH, KW, OH, OW } = info;
  const cols = im2col(x, info);
  const rows = C * KH * KW;
  const P = OH * OW;
  expect(cols.shape).toEqual([N, rows, P]);
  const out = Tensor.zeros([N, F, OH, OW]);
  for (let n = 0; n < N; n++) gemm(F, P, rows, w.data, 0, cols.data, n * rows * P, out.data, n * F * P);
  return out;
}

function innerProduct(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Random convolution geometries whose (dilated) kernel fits the padded input. */
const geometry = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 7 }),
    W: fc.integer({ min: 1, max: 7 }),
    F: fc.integer({ min: 1, max: 3 }),
    KH: fc.integer({ min: 1, max: 3 }),
    KW: fc.integer({ min: 1, max: 3 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    ph: fc.integer({ min: 0, max: 2 }),
    pw: fc.integer({ min: 0, max: 2 }),
    dh: fc.integer({ min: 1, max: 2 }),
    dw: fc.integer({ min: 1, max: 2 }),
    seed: fc.integer(),
  })
  .filter((g) => g.dh * (g.KH - 1) + 1 <= g.H + 2 * g.ph && g.dw * (g.KW - 1) + 1 <= g.W + 2 * g.pw);

function setup(g: { N: number; C: number; H: number; W: number; F: number; KH: number; KW: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; seed: number }) {
  const params: Conv2DParams = { stride: [g.sh, g.sw], pad: [g.ph, g.pw], dilation: [g.dh, g.dw] };
  const info = computeConv2DInfo('conv2d', [g.N, g.C, g.H, g.W], [g.F, g.C, g.KH, g.KW], params);
  const rng = new Rng(g.seed);
  return { info, rng, x: rng.randn([g.N, g.C, g.H, g.W]), w: rng.randn([g.F, g.C, g.KH, g.KW]) };
}

describe('im2col', () => {
  const x33 = () => Tensor.fromArray([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);

  it('x=[1,1,3,3] k=2 s=1 p=0 -> cols [1,4,4], one receptive field per column', () => {
    const info = computeConv2DInfo('conv2d', [1, 1, 3, 3], [1, 1, 2, 2]);
    const cols = im2col(x33(), info);
    expect(cols.shape).toEqual([1, 4, 4]);
    // Rows are (kh, kw) = (0,0), (0,1), (1,0), (1,1); columns are output positions row-major.
    expect(cols.toArray()).toEqual([
      [
        [1, 2, 4, 5],
        [2, 3, 5, 6],
        [4, 5, 7, 8],
        [5, 6, 8, 9],
      ],
    ]);
  });

  it('x=[1,1,3,3] k=3 s=2 p=1 -> cols [1,9,4] with zeros on the padding', () => {
    const info = computeConv2DInfo('conv2d', [1, 1, 3, 3], [1, 1, 3, 3], { stride: 2, pad: 1 });
    const cols = im2col(x33(), info);
    expect(cols.shape).toEqual([1, 9, 4]);
    // Output position (0,0) sees the padded window rows -1..1, cols -1..1.
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((r) => cols.get(0, r, 0))).toEqual([0, 0, 0, 0, 1, 2, 0, 4, 5]);
    // Output position (1,1) sees rows 1..3, cols 1..3.
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((r) => cols.get(0, r, 3))).toEqual([5, 6, 0, 8, 9, 0, 0, 0, 0]);
  });

  it('x=[1,2,2,2] k=1 -> cols are the channels flattened (1x1 conv)', () => {
    const x = Tensor.fromArray([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    const info = computeConv2DInfo('conv2d', [1, 2, 2, 2], [1, 2, 1, 1]);
    expect(im2col(x, info).toArray()).toEqual([
      [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ],
    ]);
  });

  it('x=[1,1,5,5] k=3 d=2 -> one column, the dilated taps', () => {
    const x = Tensor.fromArray(Array.from({ length: 25 }, (_, i) => i), [1, 1, 5, 5]);
    const info = computeConv2DInfo('conv2d', [1, 1, 5, 5], [1, 1, 3, 3], { dilation: 2 });
    expect(Array.from(im2col(x, info).data)).toEqual([0, 2, 4, 10, 12, 14, 20, 22, 24]);
  });

  it('property: im2col + GEMM equals a 7-loop direct convolution (random N,C,H,W,F,K, stride, pad, dilation)', () => {
    fc.assert(
      fc.property(geometry, (g) => {
        const { info, x, w } = setup(g);
        const want = directConv(x, w, info);
        const got = im2colConv(x, w, info);
        expect(got.shape).toEqual(want.shape);
        for (let i = 0; i < want.size; i++) expect(Math.abs(got.data[i] - want.data[i])).toBeLessThanOrEqual(1e-12);
      }),
      { seed: 1, numRuns: 50 },
    );
  });

  it('im2col x=[1,1,4,4] for info of [1,1,3,3] -> ShapeError', () => {
    const info = computeConv2DInfo('conv2d', [1, 1, 3, 3], [1, 1, 2, 2]);
    expect(() => im2col(Tensor.zeros([1, 1, 4, 4]), info)).toThrow(ShapeError);
    expect(() => im2col(Tensor.zeros([1, 1, 4, 4]), info)).toThrow('im2col: x must have shape [1,1,3,3], got [1,1,4,4]');
  });
});

describe('col2im', () => {
  it('col2im(ones) x=[1,1,3,3] k=2 s=1 -> overlap counts [[1,2,1],[2,4,2],[1,2,1]]', () => {
    const info = computeConv2DInfo('conv2d', [1, 1, 3, 3], [1, 1, 2, 2]);
    const img = col2im(Tensor.ones([1, 4, 4]), info);
    expect(img.shape).toEqual([1, 1, 3, 3]);
    expect(img.toArray()).toEqual([
      [
        [
          [1, 2, 1],
          [2, 4, 2],
          [1, 2, 1],
        ],
      ],
    ]);
  });

  it('col2im(ones) x=[1,1,3,3] k=3 s=1 p=1 -> 9 minus the taps that fall on padding', () => {
    const info = computeConv2DInfo('conv2d', [1, 1, 3, 3], [1, 1, 3, 3], { pad: 1 });
    expect(col2im(Tensor.ones([1, 9, 9]), info).toArray()).toEqual([
      [
        [
          [4, 6, 4],
          [6, 9, 6],
          [4, 6, 4],
        ],
      ],
    ]);
  });

  it('col2im(im2col(x)) for non-overlapping k=2 s=2 windows gives x back', () => {
    const info = computeConv2DInfo('conv2d', [2, 3, 4, 6], [1, 3, 2, 2], { stride: 2 });
    const x = new Rng(2).randn([2, 3, 4, 6]);
    expect(Array.from(col2im(im2col(x, info), info).data)).toEqual(Array.from(x.data));
  });

  it('property: col2im is the adjoint of im2col, <im2col(x), y> == <x, col2im(y)> within 1e-10 relative', () => {
    fc.assert(
      fc.property(geometry, (g) => {
        const { info, rng, x } = setup(g);
        const cols = im2col(x, info);
        const y = rng.randn(cols.shape);
        const back = col2im(y, info);
        expect(back.shape).toEqual(x.shape);
        const lhs = innerProduct(cols.data, y.data);
        const rhs = innerProduct(x.data, back.data);
        expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(lhs) + Math.abs(rhs)));
      }),
      { seed: 1, numRuns: 50 },
    );
  });

  it('col2im cols=[1,4,3] for a geometry needing [1,4,4] -> ShapeError', () => {
    const info = computeConv2DInfo('conv2d', [1, 1, 3, 3], [1, 1, 2, 2]);
    expect(() => col2im(Tensor.zeros([1, 4, 3]), info)).toThrow('col2im: cols must have shape [1,4,4], got [1,4,3]');
  });
});

/** Geometries wide enough for whole panels of 4 positions in one output row as well as across rows. */
const wideGeometry = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 9 }),
    W: fc.integer({ min: 1, max: 14 }),
    F: fc.integer({ min: 1, max: 5 }),
    KH: fc.integer({ min: 1, max: 3 }),
    KW: fc.integer({ min: 1, max: 4 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    ph: fc.integer({ min: 0, max: 2 }),
    pw: fc.integer({ min: 0, max: 3 }),
    dh: fc.integer({ min: 1, max: 2 }),
    dw: fc.integer({ min: 1, max: 2 }),
    seed: fc.integer(),
    // where the block starts and how long it is, as fractions of what is left
    u: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }),
  })
  .filter((g) => g.dh * (g.KH - 1) + 1 <= g.H + 2 * g.ph && g.dw * (g.KW - 1) + 1 <= g.W + 2 * g.pw);

describe('im2colPanels (columns written in the packed layout of gemmPackedB)', () => {
  it('x=[1,1,3,3] k=2: rows 1-2 of the four positions are [2,3,5,6] and [4,5,7,8], panel after panel', () => {
    const info = computeConv2DInfo('conv2d', [1, 1, 3, 3], [1, 1, 2, 2]);
    const out = new Float64Array(8);
    im2colPanels(Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), info, 0, 1, 2, 0, 4, out);
    expect(Array.from(out)).toEqual([2, 3, 5, 6, 4, 5, 7, 8]);
  });

  it('property: every block (image, rows k0..k0+kc, positions p0..p0+np) equals im2col in panels of 4, zero-padded; nothing past it is written', () => {
    fc.assert(
      fc.property(wideGeometry, (g) => {
        const { info, x } = setup(g);
        const K = g.C * g.KH * g.KW;
        const P = info.OH * info.OW;
        const cols = im2col(x, info).data;
        const n = Math.min(g.N - 1, Math.floor(g.u[0] * g.N));
        const k0 = Math.min(K - 1, Math.floor(g.u[1] * K));
        const kc = 1 + Math.min(K - k0 - 1, Math.floor(g.u[2] * (K - k0)));
        const p0 = Math.min(P - 1, Math.floor(g.u[3] * P));
        const np = 1 + Math.min(P - p0 - 1, Math.floor(g.u[4] * (P - p0)));
        const R = GEMM_PANEL_WIDTH;
        const need = kc * R * Math.ceil(np / R);
        const out = new Float64Array(need + 3).fill(NaN); // any contents beforehand
        im2colPanels(x.data, info, n, k0, kc, p0, np, out);
        for (let q = 0; q * R < np; q++) {
          for (let k = 0; k < kc; k++) {
            for (let s = 0; s < R; s++) {
              const want = q * R + s < np ? cols[(n * K + k0 + k) * P + p0 + q * R + s] : 0;
              const got = out[(q * kc + k) * R + s];
              if (!Object.is(got, want)) throw new Error(`n=${n} k=${k0 + k} p=${p0 + q * R + s}: got ${got}, im2col ${want}`);
            }
          }
        }
        expect(Array.from(out.subarray(need))).toEqual([NaN, NaN, NaN]);
      }),
      { seed: 20261207, numRuns: 400 },
    );
  });

  it('property: gemmPackedB over im2colPanels gives the im2col + gemm convolution bit for bit, and the 7-loop one within 1e-12', () => {
    fc.assert(
      fc.property(wideGeometry, (g) => {
        const { info, x, w } = setup(g);
        const { N, F, OH, OW } = info;
        const K = g.C * g.KH * g.KW;
        const P = OH * OW;
        const out = Tensor.zeros([N, F, OH, OW]);
        for (let n = 0; n < N; n++) {
          gemmPackedB(F, P, K, w.data, 0, (k0, kc, p0, np, panels) => im2colPanels(x.data, info, n, k0, kc, p0, np, panels), out.data, n * F * P);
        }
        expect(Array.from(out.data)).toEqual(Array.from(im2colConv(x, w, info).data));
        const direct = directConv(x, w, info);
        const scale = Math.max(1, ...Array.from(direct.data, Math.abs));
        for (let i = 0; i < out.size; i++) expect(Math.abs(out.data[i] - direct.data[i]) / scale).toBeLessThanOrEqual(1e-12);
      }),
      { seed: 20261208, numRuns: 150 },
    );
  });

  it('a block outside the geometry or a short buffer: ShapeError naming im2colPanels and the range', () => {
    const info = computeConv2DInfo('conv2d', [2, 1, 3, 3], [1, 1, 2, 2]); // K = 4, P = 4
    const x = new Float64Array(18);
    const out = new Float64Array(64);
    expect(() => im2colPanels(x, info, 2, 0, 4, 0, 4, out)).toThrow('im2colPanels: image [2, 2 + 1) must lie in [0, 2)');
    expect(() => im2colPanels(x, info, 0, 1, 4, 0, 4, out)).toThrow('im2colPanels: rows [1, 1 + 4) must lie in [0, 4)');
    expect(() => im2colPanels(x, info, 0, 0, 4, 3, 2, out)).toThrow('im2colPanels: positions [3, 3 + 2) must lie in [0, 4)');
    expect(() => im2colPanels(x, info, 0, 0, 4, 0, 4, new Float64Array(15))).toThrow('im2colPanels: the panel buffer needs 16 elements, got 15');
    expect(() => im2colPanels(new Float64Array(17), info, 0, 0, 4, 0, 4, out)).toThrow(ShapeError);
  });
});
