import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from './errors.js';
import { batchChunks, col2im, col2imChunk, im2col, im2colChunk } from './im2col.js';
import { Rng } from './rng.js';
import { computeConv2DInfo } from './shape.js';
import { CHUNK_TARGET_BYTES, imagesPerChunk, WORKSPACE_MAX_BUFFER_BYTES, withWorkspace } from './workspace.js';

const FC = { seed: 7, numRuns: 60 } as const;

/** Fills every pooled buffer slot with NaN, so a reader that relies on zeros sees NaN. */
function poisonPool(): void {
  withWorkspace((ws) => {
    for (let i = 0; i < 4; i++) ws.take(WORKSPACE_MAX_BUFFER_BYTES / 8).fill(NaN);
  });
}

describe('withWorkspace', () => {
  it('take(n) has exactly n elements; the same memory comes back on the next call', () => {
    let first: Float64Array | undefined;
    withWorkspace((ws) => {
      first = ws.take(1000);
      expect(first.length).toBe(1000);
    });
    withWorkspace((ws) => {
      const again = ws.take(1000);
      expect(again.length).toBe(1000);
      expect(again.buffer).toBe(first!.buffer);
    });
  });

  it('two takes in one call, and nested calls, get different memory', () => {
    withWorkspace((ws) => {
      const a = ws.take(500);
      const b = ws.take(500);
      expect(a.buffer).not.toBe(b.buffer);
      withWorkspace((inner) => {
        const c = inner.take(500);
        expect(c.buffer).not.toBe(a.buffer);
        expect(c.buffer).not.toBe(b.buffer);
      });
    });
  });

  it('returns what fn returns; buffers go back to the pool when fn throws', () => {
    expect(withWorkspace(() => 42)).toBe(42);
    let inside: Float64Array | undefined;
    expect(() =>
      withWorkspace((ws) => {
        inside = ws.take(3000);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    withWorkspace((ws) => expect(ws.take(3000).buffer).toBe(inside!.buffer));
  });

  it('a request above the pooled size is served, and not kept', () => {
    const n = WORKSPACE_MAX_BUFFER_BYTES / 8 + 1;
    let big: Float64Array | undefined;
    withWorkspace((ws) => {
      big = ws.take(n);
      expect(big.length).toBe(n);
    });
    withWorkspace((ws) => expect(ws.take(n).buffer).not.toBe(big!.buffer));
  });

  it('take after the workspace closed, or with a bad length -> ValueError', () => {
    let kept: { take(n: number): Float64Array } | undefined;
    withWorkspace((ws) => {
      kept = ws;
      expect(() => ws.take(-1)).toThrow(new ValueError('withWorkspace', 'length must be an integer >= 0, got -1'));
      expect(() => ws.take(1.5)).toThrow(ValueError);
    });
    expect(() => kept!.take(1)).toThrow(new ValueError('withWorkspace', 'take called after the workspace was closed'));
  });

  it('contents are left over from the last borrower (so callers must write before reading)', () => {
    withWorkspace((ws) => ws.take(100).fill(7));
    withWorkspace((ws) => expect(ws.take(100)[0]).toBe(7));
  });
});

describe('imagesPerChunk', () => {
  it('targets 2 MiB per chunk; an image larger than that gets a chunk of its own', () => {
    expect(CHUNK_TARGET_BYTES).toBe(2 * 2 ** 20);
    expect(imagesPerChunk(144 * 784 * 8)).toBe(2); // C=16 3x3 at 28x28: 0.9 MB per image
    expect(imagesPerChunk(1)).toBe(CHUNK_TARGET_BYTES);
    expect(imagesPerChunk(CHUNK_TARGET_BYTES)).toBe(1);
    expect(imagesPerChunk(100 * CHUNK_TARGET_BYTES)).toBe(1);
  });

  it('0, negative, NaN or infinite bytes -> ValueError', () => {
    for (const b of [0, -1, NaN, Infinity]) expect(() => imagesPerChunk(b)).toThrow(ValueError);
  });
});

describe('batchChunks', () => {
  it('N=5 size=2 -> [0,2) [2,4) [4,5)', () => {
    expect(batchChunks(5, 2)).toEqual([
      { start: 0, count: 2 },
      { start: 2, count: 2 },
      { start: 4, count: 1 },
    ]);
    expect(batchChunks(0, 3)).toEqual([]);
  });

  it('property: the chunks tile [0, N) in order, all full but the last', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 40 }), (N, size) => {
        const chunks = batchChunks(N, size);
        let next = 0;
        chunks.forEach(({ start, count }, i) => {
          expect(start).toBe(next);
          expect(count).toBe(i < chunks.length - 1 ? size : N - start);
          expect(count).toBeGreaterThan(0);
          next += count;
        });
        expect(next).toBe(N);
      }),
      FC,
    );
  });

  it('negative N or size below 1 -> ShapeError', () => {
    expect(() => batchChunks(-1, 2)).toThrow(new ShapeError('batchChunks', 'N must be an integer >= 0, got -1'));
    expect(() => batchChunks(3, 0)).toThrow(new ShapeError('batchChunks', 'size must be an integer >= 1, got 0'));
  });
});

/** Random geometry (stride, padding, dilation per axis) and a chunk size. */
const chunked = fc
  .record({
    N: fc.integer({ min: 1, max: 7 }),
    C: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 9 }),
    W: fc.integer({ min: 1, max: 9 }),
    KH: fc.integer({ min: 1, max: 4 }),
    KW: fc.integer({ min: 1, max: 4 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    ph: fc.integer({ min: 0, max: 2 }),
    pw: fc.integer({ min: 0, max: 2 }),
    dh: fc.integer({ min: 1, max: 2 }),
    dw: fc.integer({ min: 1, max: 2 }),
    size: fc.integer({ min: 1, max: 8 }),
    seed: fc.integer(),
  })
  .filter((g) => g.dh * (g.KH - 1) + 1 <= g.H + 2 * g.ph && g.dw * (g.KW - 1) + 1 <= g.W + 2 * g.pw);

function setup(g: { N: number; C: number; H: number; W: number; KH: number; KW: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; seed: number }) {
  const info = computeConv2DInfo('conv2d', [g.N, g.C, g.H, g.W], [1, g.C, g.KH, g.KW], { stride: [g.sh, g.sw], pad: [g.ph, g.pw], dilation: [g.dh, g.dw] });
  const rng = new Rng(g.seed);
  return { info, rng, x: rng.randn([g.N, g.C, g.H, g.W]), perImage: g.C * g.KH * g.KW * info.OH * info.OW };
}

describe('im2colChunk / col2imChunk', () => {
  it('property: chunk by chunk into a NaN-poisoned buffer equals im2col exactly (any chunk size, N not a multiple of it)', () => {
    fc.assert(
      fc.property(chunked, (g) => {
        const { info, x, perImage } = setup(g);
        const whole = im2col(x, info).data;
        const buf = new Float64Array(g.size * perImage + 3);
        for (const { start, count } of batchChunks(g.N, g.size)) {
          buf.fill(NaN);
          im2colChunk(x.data, info, start, count, buf);
          expect(buf.subarray(0, count * perImage)).toEqual(whole.subarray(start * perImage, (start + count) * perImage));
        }
      }),
      FC,
    );
  });

  it('property: col2imChunk over the chunks adds up to col2im exactly', () => {
    fc.assert(
      fc.property(chunked, (g) => {
        const { info, rng, perImage } = setup(g);
        const cols = rng.randn([g.N, perImage / (info.OH * info.OW), info.OH * info.OW]);
        const dx = new Float64Array(g.N * g.C * g.H * g.W);
        for (const { start, count } of batchChunks(g.N, g.size)) {
          col2imChunk(cols.data.slice(start * perImage, (start + count) * perImage), info, start, count, dx);
        }
        expect(dx).toEqual(col2im(cols, info).data);
      }),
      FC,
    );
  });

  it('property: bands of output rows (any split) equal the matching columns of im2col; col2im of the bands adds up', () => {
    fc.assert(
      fc.property(chunked, fc.nat(), (g, cut) => {
        const { info, x, rng, perImage } = setup(g);
        const { OH, OW } = info;
        const K = perImage / (OH * OW);
        const whole = im2col(x, info).data;
        const dcols = rng.randn([g.N, K, OH * OW]);
        const dx = new Float64Array(x.size);
        const n = g.N - 1;
        const bands = [0, cut % (OH + 1), OH]; // two bands, one possibly empty
        for (let b = 0; b < 2; b++) {
          const [from, to] = [bands[b], bands[b + 1]];
          const L = (to - from) * OW;
          const buf = new Float64Array(K * L).fill(NaN);
          im2colChunk(x.data, info, n, 1, buf, from, to);
          for (let k = 0; k < K; k++) {
            const row = n * perImage + k * OH * OW;
            expect(buf.subarray(k * L, (k + 1) * L)).toEqual(whole.subarray(row + from * OW, row + to * OW));
            buf.set(dcols.data.subarray(row + from * OW, row + to * OW), k * L);
          }
          col2imChunk(buf, info, n, 1, dx, from, to);
        }
        // The bands add into a pixel in another order than col2im does: equal up to rounding.
        const per = g.C * g.H * g.W;
        const want = col2im(dcols, info).data.subarray(n * per);
        dx.subarray(n * per).forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(want[i]))));
      }),
      FC,
    );
  });

  it('inside a workspace whose pool was poisoned with NaN, the columns have no NaN', () => {
    poisonPool();
    const g = { N: 3, C: 2, H: 6, W: 5, KH: 3, KW: 3, sh: 1, sw: 2, ph: 1, pw: 2, dh: 1, dw: 1, seed: 3 };
    const { info, x, perImage } = setup(g);
    const got = withWorkspace((ws) => {
      const buf = ws.take(perImage);
      expect(Number.isNaN(buf[0])).toBe(true); // really poisoned
      im2colChunk(x.data, info, 1, 1, buf);
      return buf.slice();
    });
    expect(got).toEqual(im2col(x, info).data.slice(perImage, 2 * perImage));
  });

  it('an image range outside the batch, or a buffer too short -> ShapeError naming the sizes', () => {
    const { info, x, perImage } = setup({ N: 2, C: 1, H: 3, W: 3, KH: 2, KW: 2, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, seed: 1 });
    expect(() => im2colChunk(x.data, info, 1, 2, new Float64Array(2 * perImage))).toThrow(
      new ShapeError('im2colChunk', 'images [1, 1 + 2) must lie in the batch [0, 2)'),
    );
    expect(() => im2colChunk(x.data, info, 0, 2, new Float64Array(perImage))).toThrow(
      new ShapeError('im2colChunk', 'the column buffer needs 32 elements (2 images of [4,4]), got 16'),
    );
    expect(() => im2colChunk(x.data, info, 0, 1, new Float64Array(perImage), 1, 3)).toThrow(new ShapeError('im2colChunk', 'output rows [1, 3) must lie in [0, 2)'));
    expect(() => col2imChunk(new Float64Array(perImage), info, 0, 1, new Float64Array(9))).toThrow(
      new ShapeError('col2imChunk', 'the image array needs 18 elements ([2,1,3,3]), got 9'),
    );
  });
});
