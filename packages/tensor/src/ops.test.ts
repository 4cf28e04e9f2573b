import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from './errors.js';
import { add, axpy, dot, maxAbs, mul, norm, pad2d, scale, sub, sum, sumAxes } from './ops.js';
import { Rng } from './rng.js';
import { Tensor } from './tensor.js';

const a = () => Tensor.from([
  [1, 2, 3],
  [4, 5, 6],
]);
const b = () => Tensor.from([
  [0.5, -1, 2],
  [10, 0, -3],
]);

describe('elementwise ops', () => {
  it('add [2,3] + [2,3]', () => {
    const out = add(a(), b());
    expect(out.shape).toEqual([2, 3]);
    expect(out.toArray()).toEqual([
      [1.5, 1, 5],
      [14, 5, 3],
    ]);
  });

  it('sub [2,3] - [2,3]', () => {
    expect(sub(a(), b()).toArray()).toEqual([
      [0.5, 3, 1],
      [-6, 5, 9],
    ]);
  });

  it('mul [2,3] * [2,3]', () => {
    expect(mul(a(), b()).toArray()).toEqual([
      [0.5, -2, 6],
      [40, 0, -18],
    ]);
  });

  it('scale [2,3] by -2', () => {
    expect(scale(a(), -2).toArray()).toEqual([
      [-2, -4, -6],
      [-8, -10, -12],
    ]);
  });

  it('axpy a + 0.5 b', () => {
    expect(axpy(a(), 0.5, b()).toArray()).toEqual([
      [1.25, 1.5, 4],
      [9, 5, 4.5],
    ]);
  });

  it('ops return new tensors and leave their inputs unchanged', () => {
    const x = a();
    const y = b();
    for (const out of [add(x, y), sub(x, y), mul(x, y), scale(x, 3), axpy(x, 2, y)]) {
      expect(out).not.toBe(x);
      expect(out.data).not.toBe(x.data);
    }
    expect(Array.from(x.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(y.data)).toEqual([0.5, -1, 2, 10, 0, -3]);
  });

  for (const [name, op] of [
    ['add', add],
    ['sub', sub],
    ['mul', mul],
    ['dot', dot],
  ] as const) {
    it(`${name} a=[2,3] b=[3,2] -> ShapeError "${name}: shapes must match; a [2,3], b [3,2]"`, () => {
      expect(() => op(a(), a().reshape([3, 2]))).toThrow(ShapeError);
      expect(() => op(a(), a().reshape([3, 2]))).toThrow(`${name}: shapes must match; a [2,3], b [3,2]`);
    });
  }

  it('axpy a=[2,3] b=[6] -> ShapeError naming axpy', () => {
    expect(() => axpy(a(), 1, a().reshape([6]))).toThrow('axpy: shapes must match; a [2,3], b [6]');
  });
});

describe('reductions', () => {
  it('sum [[1,2,3],[4,5,6]] -> 21, sum of empty -> 0', () => {
    expect(sum(a())).toBe(21);
    expect(sum(Tensor.zeros([0]))).toBe(0);
  });

  it('dot a.b -> 0.5 - 2 + 6 + 40 + 0 - 18 = 26.5', () => {
    expect(dot(a(), b())).toBe(26.5);
  });

  it('norm [3,4] -> 5, norm [[1,2],[2,4]] -> 5 (Frobenius)', () => {
    expect(norm(Tensor.from([3, 4]))).toBe(5);
    expect(norm(Tensor.from([
      [1, 2],
      [2, 4],
    ]))).toBe(5);
    expect(norm(Tensor.zeros([0]))).toBe(0);
  });

  it('maxAbs [-7, 3, 5] -> 7; empty -> 0; NaN propagates', () => {
    expect(maxAbs(Tensor.from([-7, 3, 5]))).toBe(7);
    expect(maxAbs(Tensor.zeros([0]))).toBe(0);
    expect(maxAbs(Tensor.from([1, NaN, 2]))).toBeNaN();
  });
});

/** Plain-loop oracle for sumAxes: walks every element with its own index arithmetic. */
function sumAxesOracle(x: Tensor, axes: readonly number[]): { shape: number[]; data: number[] } {
  const shape = x.shape.filter((_, i) => !axes.includes(i));
  const out = new Map<string, number>();
  for (let flat = 0; flat < x.size; flat++) {
    let r = flat;
    const idx: number[] = [];
    for (let d = x.ndim - 1; d >= 0; d--) {
      idx.unshift(r % x.shape[d]);
      r = Math.floor(r / x.shape[d]);
    }
    const key = idx.filter((_, i) => !axes.includes(i)).join(',');
    out.set(key, (out.get(key) ?? 0) + x.data[flat]);
  }
  // Enumerate the kept index space in row-major order.
  const data: number[] = [];
  const n = shape.reduce((p, d) => p * d, 1);
  for (let k = 0; k < n; k++) {
    let r = k;
    const idx: number[] = [];
    for (let d = shape.length - 1; d >= 0; d--) {
      idx.unshift(r % shape[d]);
      r = Math.floor(r / shape[d]);
    }
    data.push(out.get(idx.join(',')) ?? 0);
  }
  return { shape, data };
}

describe('sumAxes', () => {
  const x = () => Tensor.fromArray(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);

  it('sumAxes x=[2,3,4] axes=[0,2] -> [3] = [60, 92, 124]', () => {
    // Channel j: sum over n, w of (12n + 4j + w) = 2*4*4j + 4*12 + 2*6 = 32j + 60.
    const out = sumAxes(x(), [0, 2]);
    expect(out.shape).toEqual([3]);
    expect(Array.from(out.data)).toEqual([60, 92, 124]);
  });

  it('sumAxes x=[2,3,4] axes=[1] -> [2,4]', () => {
    const out = sumAxes(x(), [1]);
    expect(out.shape).toEqual([2, 4]);
    expect(out.toArray()).toEqual([
      [12, 15, 18, 21],
      [48, 51, 54, 57],
    ]);
  });

  it('sumAxes axes=[] -> copy; all axes -> shape [] with the total', () => {
    const same = sumAxes(x(), []);
    expect(same.shape).toEqual([2, 3, 4]);
    expect(Array.from(same.data)).toEqual(Array.from(x().data));
    const all = sumAxes(x(), [2, 0, 1]);
    expect(all.shape).toEqual([]);
    expect(all.data[0]).toBe(276);
  });

  it('sumAxes x=[N,F,H,W] axes=[0,2,3] -> [F] (conv bias gradient)', () => {
    const dout = new Rng(1).randn([2, 3, 4, 5]);
    const db = sumAxes(dout, [0, 2, 3]);
    expect(db.shape).toEqual([3]);
    for (let f = 0; f < 3; f++) {
      let s = 0;
      for (let n = 0; n < 2; n++) for (let h = 0; h < 4; h++) for (let w = 0; w < 5; w++) s += dout.get(n, f, h, w);
      expect(db.data[f]).toBeCloseTo(s, 12);
    }
  });

  it('sumAxes axis 3 / -1 / 0.5 for [2,3,4] -> ShapeError', () => {
    expect(() => sumAxes(x(), [3])).toThrow('sumAxes: axis 3 is out of range for shape [2,3,4]');
    expect(() => sumAxes(x(), [-1])).toThrow(ShapeError);
    expect(() => sumAxes(x(), [0.5])).toThrow(ShapeError);
  });

  it('property: sumAxes equals a plain-loop oracle for random shapes and axis subsets', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        fc.integer(),
        (shape, pick, seed) => {
          const t = new Rng(seed).randn(shape);
          const axes = shape.map((_, i) => i).filter((i) => pick[i]);
          const got = sumAxes(t, axes);
          const want = sumAxesOracle(t, axes);
          expect(got.shape).toEqual(want.shape);
          for (let i = 0; i < want.data.length; i++) expect(Math.abs(got.data[i] - want.data[i])).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(want.data[i])));
        },
      ),
      { seed: 1, numRuns: 50 },
    );
  });
});

describe('pad2d', () => {
  it('pad2d x=[1,1,2,2] p=1 -> [1,1,4,4] with a zero border', () => {
    const x = Tensor.from([[[
      [1, 2],
      [3, 4],
    ]]]);
    const out = pad2d(x, 1);
    expect(out.shape).toEqual([1, 1, 4, 4]);
    expect(out.toArray()).toEqual([[[
      [0, 0, 0, 0],
      [0, 1, 2, 0],
      [0, 3, 4, 0],
      [0, 0, 0, 0],
    ]]]);
  });

  it('pad2d x=[1,1,1,2] ph=0 pw=2 -> [1,1,1,6]', () => {
    expect(pad2d(Tensor.from([[[[5, 6]]]]), 0, 2).toArray()).toEqual([[[[0, 0, 5, 6, 0, 0]]]]);
  });

  it('property: pad2d matches a plain-loop oracle for random N, C, H, W, ph, pw', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer(),
        ([N, C, H, W], ph, pw, seed) => {
          const x = new Rng(seed).randn([N, C, H, W]);
          const out = pad2d(x, ph, pw);
          expect(out.shape).toEqual([N, C, H + 2 * ph, W + 2 * pw]);
          const wrong: string[] = [];
          for (let n = 0; n < N; n++)
            for (let c = 0; c < C; c++)
              for (let i = 0; i < H + 2 * ph; i++)
                for (let j = 0; j < W + 2 * pw; j++) {
                  const inside = i >= ph && i < H + ph && j >= pw && j < W + pw;
                  if (out.get(n, c, i, j) !== (inside ? x.get(n, c, i - ph, j - pw) : 0)) wrong.push(`[${n},${c},${i},${j}]`);
                }
          expect(wrong).toEqual([]);
        },
      ),
      { seed: 1, numRuns: 50 },
    );
  });

  it('pad2d x=[3,8,8] -> ShapeError "must be 4-D"', () => {
    expect(() => pad2d(Tensor.zeros([3, 8, 8]), 1)).toThrow('pad2d: x must be 4-D [N, C, H, W], got [3,8,8]');
  });

  it('pad2d p=-1 / pw=1.5 -> ValueError naming the padding', () => {
    expect(() => pad2d(Tensor.zeros([1, 1, 4, 4]), -1)).toThrow(ValueError);
    expect(() => pad2d(Tensor.zeros([1, 1, 4, 4]), -1)).toThrow('pad2d: padH must be an integer >= 0, got -1');
    expect(() => pad2d(Tensor.zeros([1, 1, 4, 4]), 0, 1.5)).toThrow('pad2d: padW must be an integer >= 0, got 1.5');
  });
});
