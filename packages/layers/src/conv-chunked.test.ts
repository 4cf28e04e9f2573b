/**
 * conv2d's backward pass and both passes of convTranspose2d process the batch in chunks of about
 * 2 MiB of columns, in buffers borrowed from a pool that keeps whatever the last user left
 * there (conv2d's forward pass builds its columns panel by panel in GEMM's packing buffer
 * instead). These tests draw shapes that span several chunks (the batch not a multiple of the
 * chunk), single images larger than a chunk (conv2d's backward cuts those into bands of output
 * rows), poison the pool with NaN first, and compare with plain loops on flat arrays and with
 * the whole-batch im2col + GEMM computation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gemm, im2col, imagesPerChunk, Rng, Tensor, WORKSPACE_MAX_BUFFER_BYTES, withWorkspace, computeConv2DInfo } from '@dlkata/tensor';
import { conv2dBackward, conv2dForward } from './conv2d.js';
import { convTranspose2dBackward, convTranspose2dForward } from './conv-transpose.js';

const TOL = 1e-12;

/** Every pooled buffer filled with NaN: a chunk that reads before writing shows up as NaN. */
function poisonPool(): void {
  withWorkspace((ws) => {
    for (let i = 0; i < 4; i++) ws.take(WORKSPACE_MAX_BUFFER_BYTES / 8).fill(NaN);
  });
}

/** Max-norm relative error, `Infinity` on a length mismatch or NaN. */
function relErr(got: Float64Array, want: Float64Array): number {
  if (got.length !== want.length) return Infinity;
  let d = 0;
  let s = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    if (Number.isNaN(e)) return Infinity;
    d = Math.max(d, e);
    s = Math.max(s, Math.abs(want[i]));
  }
  return s === 0 ? d : d / s;
}

interface Geo {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly F: number;
  readonly K: number;
  readonly s: number;
  readonly p: number;
  readonly d: number;
  readonly seed: number;
}

const label = (g: Geo): string => `x=[${g.N},${g.C},${g.H},${g.W}] F=${g.F} k=${g.K} s=${g.s} p=${g.p} d=${g.d}`;
const outSize = (n: number, g: Geo): number => Math.floor((n + 2 * g.p - g.d * (g.K - 1) - 1) / g.s) + 1;

/** Plain loops for conv2d: `out`, and the gradients of `sum(out * dout)`. */
function convLoops(x: Float64Array, w: Float64Array, b: Float64Array, dout: Float64Array, g: Geo) {
  const { N, C, H, W, F, K } = g;
  const OH = outSize(H, g);
  const OW = outSize(W, g);
  const out = new Float64Array(N * F * OH * OW);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const db = new Float64Array(F);
  for (let n = 0; n < N; n++)
    for (let f = 0; f < F; f++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const o = ((n * F + f) * OH + oh) * OW + ow;
          let acc = b[f];
          db[f] += dout[o];
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < K; kh++) {
              const ih = oh * g.s - g.p + kh * g.d;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < K; kw++) {
                const iw = ow * g.s - g.p + kw * g.d;
                if (iw < 0 || iw >= W) continue;
                const xi = ((n * C + c) * H + ih) * W + iw;
                const wi = ((f * C + c) * K + kh) * K + kw;
                acc += x[xi] * w[wi];
                dx[xi] += dout[o] * w[wi];
                dw[wi] += dout[o] * x[xi];
              }
            }
          out[o] = acc;
        }
  return { out, dx, dw, db };
}

/**
 * Plain loops for the transposed convolution (`x [N, C, H, W]`, `w [C, F, K, K]`, output size
 * `(H - 1)*s - 2*p + d*(K - 1) + 1`): the scatter definition and its gradients.
 */
function convTransposeLoops(x: Float64Array, w: Float64Array, b: Float64Array, dout: Float64Array, g: Geo) {
  const { N, C, H, W, F, K } = g;
  const OH = (H - 1) * g.s - 2 * g.p + g.d * (K - 1) + 1;
  const OW = (W - 1) * g.s - 2 * g.p + g.d * (K - 1) + 1;
  const out = new Float64Array(N * F * OH * OW);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const db = new Float64Array(F);
  for (let n = 0; n < N; n++)
    for (let f = 0; f < F; f++)
      for (let q = 0; q < OH * OW; q++) {
        out[(n * F + f) * OH * OW + q] = b[f];
        db[f] += dout[(n * F + f) * OH * OW + q];
      }
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < H; i++)
        for (let j = 0; j < W; j++) {
          const xi = ((n * C + c) * H + i) * W + j;
          for (let f = 0; f < F; f++)
            for (let a = 0; a < K; a++) {
              const oi = i * g.s - g.p + a * g.d;
              if (oi < 0 || oi >= OH) continue;
              for (let e = 0; e < K; e++) {
                const oj = j * g.s - g.p + e * g.d;
                if (oj < 0 || oj >= OW) continue;
                const o = ((n * F + f) * OH + oi) * OW + oj;
                const wi = ((c * F + f) * K + a) * K + e;
                out[o] += x[xi] * w[wi];
                dx[xi] += dout[o] * w[wi];
                dw[wi] += dout[o] * x[xi];
              }
            }
        }
  return { out, dx, dw, db };
}

/** How many chunks a batch of `N` images of `colsPerImage` column elements is split into. */
const chunkCount = (N: number, colsPerImage: number): number => Math.ceil(N / imagesPerChunk(colsPerImage * 8));

/** Shapes whose columns need at least two chunks, stride/padding/dilation included. */
function geos(colsPerImage: (g: Geo) => number, valid: (g: Geo) => boolean): fc.Arbitrary<Geo> {
  const int = (min: number, max: number) => fc.integer({ min, max });
  return fc
    .record({ N: int(2, 6), C: int(4, 16), H: int(20, 48), W: int(20, 48), F: int(1, 3), K: int(1, 5), s: int(1, 2), p: int(0, 2), d: int(1, 2), seed: fc.integer() })
    .filter((g) => valid(g) && chunkCount(g.N, colsPerImage(g)) >= 2);
}

const convCols = (g: Geo): number => g.C * g.K * g.K * outSize(g.H, g) * outSize(g.W, g);
const convValid = (g: Geo): boolean => outSize(g.H, g) >= 1 && outSize(g.W, g) >= 1;
const tOut = (n: number, g: Geo): number => (n - 1) * g.s - 2 * g.p + g.d * (g.K - 1) + 1;
// The transposed op's columns are [F*K*K, H*W] per image.
const tCols = (g: Geo): number => g.F * g.K * g.K * g.H * g.W;
const tValid = (g: Geo): boolean => tOut(g.H, g) >= 1 && tOut(g.W, g) >= 1;

function checkConv(g: Geo): void {
  const rng = new Rng(g.seed);
  const x = rng.randn([g.N, g.C, g.H, g.W]);
  const w = rng.randn([g.F, g.C, g.K, g.K]);
  const b = rng.randn([g.F]);
  const params = { stride: g.s, pad: g.p, dilation: g.d };
  poisonPool();
  const { out, cache } = conv2dForward(x, w, b, params);
  const dout = rng.randn(out.shape);
  poisonPool();
  const { dx, dw, db } = conv2dBackward(dout, cache);
  const ref = convLoops(x.data, w.data, b.data, dout.data, g);
  expect(relErr(out.data, ref.out), `${label(g)} out`).toBeLessThanOrEqual(TOL);
  expect(relErr(dx.data, ref.dx), `${label(g)} dx`).toBeLessThanOrEqual(TOL);
  expect(relErr(dw.data, ref.dw), `${label(g)} dw`).toBeLessThanOrEqual(TOL);
  expect(relErr(db.data, ref.db), `${label(g)} db`).toBeLessThanOrEqual(TOL);
  // The whole batch's columns stored at once, one plain GEMM per image, bias added after: bit for bit the same.
  const info = computeConv2DInfo('conv2d', x.shape, w.shape, params);
  const cols = im2col(x, info);
  const K = g.C * g.K * g.K;
  const P = info.OH * info.OW;
  const whole = new Float64Array(out.size);
  for (let n = 0; n < g.N; n++) {
    gemm(g.F, P, K, w.data, 0, cols.data, n * K * P, whole, n * g.F * P);
    for (let f = 0; f < g.F; f++) for (let p = 0; p < P; p++) whole[(n * g.F + f) * P + p] += b.data[f];
  }
  expect(out.data).toEqual(whole);
}

function checkConvTranspose(g: Geo): void {
  const rng = new Rng(g.seed);
  const x = rng.randn([g.N, g.C, g.H, g.W]);
  const w = rng.randn([g.C, g.F, g.K, g.K]);
  const b = rng.randn([g.F]);
  poisonPool();
  const { out, cache } = convTranspose2dForward(x, w, b, { stride: g.s, pad: g.p, dilation: g.d });
  const dout = rng.randn(out.shape);
  poisonPool();
  const { dx, dw, db } = convTranspose2dBackward(dout, cache);
  const ref = convTransposeLoops(x.data, w.data, b.data, dout.data, g);
  expect(relErr(out.data, ref.out), `${label(g)} out`).toBeLessThanOrEqual(TOL);
  expect(relErr(dx.data, ref.dx), `${label(g)} dx`).toBeLessThanOrEqual(TOL);
  expect(relErr(dw.data, ref.dw), `${label(g)} dw`).toBeLessThanOrEqual(TOL);
  expect(relErr(db.data, ref.db), `${label(g)} db`).toBeLessThanOrEqual(TOL);
}

describe('conv2d: forward from packed panels, backward in chunks (pool poisoned with NaN)', () => {
  it('property: several backward chunks, N not a multiple of the chunk; equals plain loops, and the forward equals the whole-batch im2col + GEMM bit for bit', () => {
    fc.assert(fc.property(geos(convCols, convValid), checkConv), { seed: 11, numRuns: 8 });
  });

  it('x=[5,8,40,40] F=2 k=3 s=1 p=1: backward in 2 images per chunk, chunks 2+2+1', () => {
    const g = { N: 5, C: 8, H: 40, W: 40, F: 2, K: 3, s: 1, p: 1, d: 1, seed: 1 };
    expect(imagesPerChunk(convCols(g) * 8)).toBe(2);
    checkConv(g);
  });

  it('x=[2,16,48,48] F=2 k=3 p=1: one image (2.6 MB of columns) is bigger than a block: backward in bands of 37 + 11 output rows', () => {
    const g = { N: 2, C: 16, H: 48, W: 48, F: 2, K: 3, s: 1, p: 1, d: 1, seed: 2 };
    expect(convCols(g) * 8).toBeGreaterThan(2 * 2 ** 20);
    checkConv(g);
  });

  it('x=[1,64,64,64] F=2 k=3 p=1: one image (18.9 MB of columns, more than a pooled buffer): backward in bands of 7 rows, the last of 1', () => {
    const g = { N: 1, C: 64, H: 64, W: 64, F: 2, K: 3, s: 1, p: 1, d: 1, seed: 3 };
    expect(convCols(g) * 8).toBeGreaterThan(WORKSPACE_MAX_BUFFER_BYTES);
    checkConv(g);
  });

  it('the cache holds no columns: x, w, b and the shapes only', () => {
    const rng = new Rng(4);
    const { cache } = conv2dForward(rng.randn([3, 2, 5, 5]), rng.randn([2, 2, 3, 3]), Tensor.zeros([2]), { pad: 'same' });
    expect(Object.keys(cache).sort()).toEqual(['b', 'info', 'w', 'x']);
  });
});

describe('convTranspose2d in chunks (pool poisoned with NaN)', () => {
  it('property: several chunks, N not a multiple of the chunk, equals plain loops', () => {
    fc.assert(fc.property(geos(tCols, tValid), checkConvTranspose), { seed: 12, numRuns: 6 });
  });

  it('x=[3,3,26,26] w=[3,48,3,3] s=2 p=1: one image (2.3 MB of columns) is bigger than a chunk', () => {
    const g = { N: 3, C: 3, H: 26, W: 26, F: 48, K: 3, s: 2, p: 1, d: 1, seed: 5 };
    expect(tCols(g) * 8).toBeGreaterThan(2 * 2 ** 20);
    checkConvTranspose(g);
  });
});
