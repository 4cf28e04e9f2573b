import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from './errors.js';
import { assertFinite, assertNdim, assertShape, formatShape, type NestedArray, shapesEqual, shapeSize, Tensor, tensor } from './tensor.js';

/** Random small shapes: 0..4 dimensions of size 1..4. */
const smallShape = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 });

/** Row-major offset written out for the test: sum of index[i] * prod(shape[i+1..]). */
function rowMajorOffset(shape: readonly number[], index: readonly number[]): number {
  let off = 0;
  for (let i = 0; i < shape.length; i++) {
    let stride = 1;
    for (let j = i + 1; j < shape.length; j++) stride *= shape[j];
    off += index[i] * stride;
  }
  return off;
}

/** Nested arrays of a given shape whose leaves are produced by `leaf(flatIndex)`. */
function nested(shape: readonly number[], leaf: (k: number) => number): NestedArray {
  let k = 0;
  const build = (d: number): NestedArray => (d === shape.length ? leaf(k++) : Array.from({ length: shape[d] }, () => build(d + 1)));
  return build(0);
}

describe('shape helpers', () => {
  it('formatShape [2,3,8,8] and [] ', () => {
    expect(formatShape([2, 3, 8, 8])).toBe('[2,3,8,8]');
    expect(formatShape([])).toBe('[]');
  });

  it('shapeSize [2,3,4] -> 24, [] -> 1, [3,0] -> 0', () => {
    expect(shapeSize([2, 3, 4])).toBe(24);
    expect(shapeSize([])).toBe(1);
    expect(shapeSize([3, 0])).toBe(0);
  });

  it('shapesEqual compares length and every size', () => {
    expect(shapesEqual([2, 3], [2, 3])).toBe(true);
    expect(shapesEqual([2, 3], [3, 2])).toBe(false);
    expect(shapesEqual([2, 3], [2, 3, 1])).toBe(false);
    expect(shapesEqual([], [])).toBe(true);
  });
});

describe('Tensor constructor and factories', () => {
  it('constructor keeps data without copying and freezes the shape', () => {
    const data = new Float64Array([1, 2, 3, 4, 5, 6]);
    const t = new Tensor(data, [2, 3]);
    expect(t.data).toBe(data);
    expect(t.shape).toEqual([2, 3]);
    expect(Object.isFrozen(t.shape)).toBe(true);
    expect(t.size).toBe(6);
    expect(t.ndim).toBe(2);
  });

  it('constructor shape [2,3] with 5 elements -> ShapeError naming both sizes', () => {
    expect(() => new Tensor(new Float64Array(5), [2, 3])).toThrow(ShapeError);
    expect(() => new Tensor(new Float64Array(5), [2, 3])).toThrow('Tensor: shape [2,3] needs 6 elements but data has 5');
  });

  it('constructor shape [2,-3] and [1.5] -> ShapeError', () => {
    expect(() => new Tensor(new Float64Array(0), [2, -3])).toThrow('Tensor: every dimension must be a non-negative integer; got shape [2,-3]');
    expect(() => new Tensor(new Float64Array(1), [1.5])).toThrow(ShapeError);
  });

  it('zeros [2,3], ones [4], full [2,2]=7, scalar shape []', () => {
    expect(Array.from(Tensor.zeros([2, 3]).data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(Tensor.ones([4]).data)).toEqual([1, 1, 1, 1]);
    const f = Tensor.full([2, 2], 7);
    expect(f.shape).toEqual([2, 2]);
    expect(Array.from(f.data)).toEqual([7, 7, 7, 7]);
    expect(Tensor.zeros([]).size).toBe(1);
  });

  it('zeros/full with a negative size -> ShapeError naming the factory', () => {
    expect(() => Tensor.zeros([-1])).toThrow('Tensor.zeros: every dimension');
    expect(() => Tensor.full([2, -1], 1)).toThrow('Tensor.full: every dimension');
  });

  it('fromArray [1,2,3,4] default shape [4], explicit shape [2,2], copies', () => {
    const src = [1, 2, 3, 4];
    expect(Tensor.fromArray(src).shape).toEqual([4]);
    const t = Tensor.fromArray(src, [2, 2]);
    expect(t.get(1, 0)).toBe(3);
    src[0] = 99;
    expect(t.get(0, 0)).toBe(1);
    expect(() => Tensor.fromArray(src, [3])).toThrow(ShapeError);
  });
});

describe('Tensor.from (nested arrays)', () => {
  it('from [[1,2,3],[4,5,6]] -> shape [2,3], row-major data', () => {
    const t = Tensor.from([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('from 3-D [2,2,2] -> last index fastest', () => {
    const t = Tensor.from([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8],
      ],
    ]);
    expect(t.shape).toEqual([2, 2, 2]);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('from 7 -> scalar shape [], from [] -> shape [0], from [[],[]] -> shape [2,0]', () => {
    const s = Tensor.from(7);
    expect(s.shape).toEqual([]);
    expect(s.data[0]).toBe(7);
    expect(Tensor.from([]).shape).toEqual([0]);
    expect(Tensor.from([[], []]).shape).toEqual([2, 0]);
  });

  it('from ragged [[1,2],[3]] -> ShapeError with index and lengths', () => {
    expect(() => Tensor.from([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => Tensor.from([[1, 2], [3]])).toThrow('Tensor.from: ragged nested array: expected length 2 at index [1], got 1');
  });

  it('from ragged [[1,2],3] (number where a row is expected) -> ShapeError', () => {
    expect(() => Tensor.from([[1, 2], 3])).toThrow('Tensor.from: ragged nested array: expected length 2 at index [1], got number');
  });

  it('from ragged [1,[2]] (array where a number is expected) -> ShapeError', () => {
    expect(() => Tensor.from([1, [2]])).toThrow('Tensor.from: expected a number at index [1], got an array');
  });

  it('from [1, "a"] (not a number) -> ShapeError "got string"', () => {
    expect(() => Tensor.from([1, 'a'] as unknown as NestedArray)).toThrow('Tensor.from: expected a number at index [1], got string');
  });

  it('from [[[1],[2]],[[3],[4,5]]] (ragged at depth 3) -> ShapeError at [1,1]', () => {
    expect(() => Tensor.from([[[1], [2]], [[3], [4, 5]]])).toThrow('expected length 1 at index [1,1], got 2');
  });

  it('tensor() is shorthand for Tensor.from', () => {
    const t = tensor([[1, 2]]);
    expect(t).toBeInstanceOf(Tensor);
    expect(t.shape).toEqual([1, 2]);
  });

  it('property: from(nested).toArray() deep-equals nested, and from(t.toArray()) equals t', () => {
    fc.assert(
      fc.property(smallShape, fc.integer(), (shape, seed) => {
        const leaf = (k: number) => ((k * 7919 + seed) % 1000) / 7;
        const arr = nested(shape, leaf);
        const t = Tensor.from(arr);
        expect(t.shape).toEqual(shape);
        expect(t.toArray()).toEqual(arr);
        const back = Tensor.from(t.toArray());
        expect(back.shape).toEqual(t.shape);
        expect(Array.from(back.data)).toEqual(Array.from(t.data));
      }),
      { seed: 1, numRuns: 50 },
    );
  });

  it('toArray of shape [] is a number, of shape [2,0] is [[],[]]', () => {
    expect(Tensor.full([], 3).toArray()).toBe(3);
    expect(Tensor.zeros([2, 0]).toArray()).toEqual([[], []]);
  });
});

describe('indexing', () => {
  it('strides of [2,3,4] -> [12,4,1], of [] -> []', () => {
    expect(Tensor.zeros([2, 3, 4]).strides).toEqual([12, 4, 1]);
    expect(Tensor.zeros([]).strides).toEqual([]);
  });

  it('offset(1,2,3) in [2,3,4] -> 23', () => {
    expect(Tensor.zeros([2, 3, 4]).offset(1, 2, 3)).toBe(23);
    expect(Tensor.zeros([]).offset()).toBe(0);
  });

  it('offset with 2 indices for [2,3,4] -> ShapeError', () => {
    expect(() => Tensor.zeros([2, 3, 4]).offset(1, 2)).toThrow('Tensor.offset: expected 3 indices for shape [2,3,4], got 2');
  });

  it('offset [1,3,0] / [-1,0,0] / [0.5,0,0] out of range for [2,3,4] -> ShapeError', () => {
    const t = Tensor.zeros([2, 3, 4]);
    expect(() => t.offset(1, 3, 0)).toThrow('Tensor.offset: index [1,3,0] is out of range for shape [2,3,4]');
    expect(() => t.offset(-1, 0, 0)).toThrow(ShapeError);
    expect(() => t.offset(0.5, 0, 0)).toThrow(ShapeError);
  });

  it('property: offset matches the row-major formula and unravel inverts it', () => {
    fc.assert(
      fc.property(
        smallShape.chain((shape) => fc.tuple(fc.constant(shape), fc.tuple(...shape.map((d) => fc.integer({ min: 0, max: d - 1 }))))),
        ([shape, index]) => {
          const t = Tensor.zeros(shape);
          const off = t.offset(...index);
          expect(off).toBe(rowMajorOffset(shape, index));
          expect(t.unravel(off)).toEqual(index);
        },
      ),
      { seed: 1, numRuns: 50 },
    );
  });

  it('property: unravel then offset is the identity on every flat offset', () => {
    fc.assert(
      fc.property(smallShape, (shape) => {
        const t = Tensor.zeros(shape);
        for (let k = 0; k < t.size; k++) expect(t.offset(...t.unravel(k))).toBe(k);
      }),
      { seed: 1, numRuns: 50 },
    );
  });

  it('unravel in a shape with a zero size gives zeros', () => {
    expect(Tensor.zeros([2, 0, 3]).unravel(0)).toEqual([0, 0, 0]);
  });

  it('get/set [2,3]: set(9, 1, 2) writes data[5]', () => {
    const t = Tensor.from([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.get(1, 2)).toBe(6);
    expect(t.get(0, 1)).toBe(2);
    t.set(9, 1, 2);
    expect(t.data[5]).toBe(9);
    expect(t.get(1, 2)).toBe(9);
    expect(() => t.set(1, 2, 0)).toThrow(ShapeError);
  });

  it('get/set/offset with 1 to 5 indices (the fixed-arity paths and the general one): row-major offsets, and the same errors for a bad index', () => {
    for (const shape of [[5], [2, 3], [2, 3, 4], [2, 1, 3, 2], [2, 1, 2, 1, 3]]) {
      const t = Tensor.zeros(shape);
      for (let k = 0; k < t.size; k++) {
        const index = t.unravel(k);
        expect(t.offset(...index)).toBe(k);
        t.set(k + 0.5, ...index);
        expect(t.data[k]).toBe(k + 0.5);
        expect(t.get(...index)).toBe(k + 0.5);
      }
      const n = shape.length;
      const msg = (index: unknown[]) => `Tensor.offset: index [${index.join(',')}] is out of range for shape ${formatShape(shape)}`;
      for (const bad of [-1, 0.5, NaN, shape[n - 1], 2 ** 32]) {
        const index = [...new Array<number>(n - 1).fill(0), bad];
        expect(() => t.offset(...index), `${formatShape(shape)} ${bad}`).toThrow(msg(index));
        expect(() => t.get(...index)).toThrow(msg(index));
        expect(() => t.set(1, ...index)).toThrow(msg(index));
      }
      expect(() => t.get(...new Array<number>(n + 1).fill(0))).toThrow(`Tensor.offset: expected ${n} indices for shape ${formatShape(shape)}, got ${n + 1}`);
      expect(() => t.set(1, ...new Array<number>(n - 1).fill(0))).toThrow(`Tensor.offset: expected ${n} indices for shape ${formatShape(shape)}, got ${n - 1}`);
    }
  });
});

describe('reshape, clone, map, toString', () => {
  const x = () => Tensor.fromArray(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);

  it('reshape [2,3,4] -> [6,4] shares data', () => {
    const t = x();
    const r = t.reshape([6, 4]);
    expect(r.shape).toEqual([6, 4]);
    expect(r.data).toBe(t.data);
    r.set(-1, 5, 3);
    expect(t.get(1, 2, 3)).toBe(-1);
  });

  it('reshape [2,3,4] -> [-1,4] infers 6, [4,-1] infers 6, [-1] infers 24', () => {
    expect(x().reshape([-1, 4]).shape).toEqual([6, 4]);
    expect(x().reshape([4, -1]).shape).toEqual([4, 6]);
    expect(x().reshape([-1]).shape).toEqual([24]);
    expect(x().reshape([2, -1, 3]).shape).toEqual([2, 4, 3]);
  });

  it('reshape [2,3,4] -> [5,-1] -> ShapeError naming both shapes', () => {
    expect(() => x().reshape([5, -1])).toThrow('reshape: cannot reshape [2,3,4] (24 elements) to [5,-1]');
  });

  it('reshape [2,3,4] -> [5,5] / [0,-1] / [-1,-1] / [-2,-12] -> ShapeError', () => {
    expect(() => x().reshape([5, 5])).toThrow('reshape: cannot reshape [2,3,4] (24 elements) to [5,5]');
    expect(() => x().reshape([0, -1])).toThrow(ShapeError);
    expect(() => x().reshape([-1, -1])).toThrow(ShapeError);
    expect(() => x().reshape([-2, -12])).toThrow(ShapeError);
  });

  it('clone is a deep copy', () => {
    const t = x();
    const c = t.clone();
    c.data[0] = 100;
    expect(t.data[0]).toBe(0);
    expect(c.shape).toEqual(t.shape);
  });

  it('map passes value and flat index, keeps shape, leaves the input alone', () => {
    const t = Tensor.from([
      [1, 2],
      [3, 4],
    ]);
    const m = t.map((v, i) => v * 10 + i);
    expect(m.shape).toEqual([2, 2]);
    expect(Array.from(m.data)).toEqual([10, 21, 32, 43]);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4]);
  });

  it('toString [2,2] lists values; 65 elements end with "..."', () => {
    expect(Tensor.from([[1, 2], [3, 1 / 3]]).toString()).toBe('Tensor[2,2] [1, 2, 3, 0.333333]');
    const s = Tensor.zeros([65]).toString();
    expect(s.startsWith('Tensor[65] [0, 0')).toBe(true);
    expect(s.endsWith(', ...]')).toBe(true);
    expect(s.split(',').length).toBe(64 + 1);
  });
});

describe('assertions', () => {
  it('assertNdim x [3,8,8] expected 4-D -> "conv2d: x must be 4-D [N, C, H, W], got [3,8,8]"', () => {
    expect(() => assertNdim('conv2d', 'x', Tensor.zeros([3, 8, 8]), 4, '[N, C, H, W]')).toThrow('conv2d: x must be 4-D [N, C, H, W], got [3,8,8]');
    expect(() => assertNdim('affine', 'w', Tensor.zeros([3]), 2)).toThrow('affine: w must be 2-D, got [3]');
    expect(() => assertNdim('conv2d', 'x', Tensor.zeros([1, 1, 1, 1]), 4)).not.toThrow();
  });

  it('assertNdim/assertShape with a non-tensor name what was passed', () => {
    expect(() => assertNdim('relu', 'x', null as unknown as Tensor, 2)).toThrow('relu: x must be a Tensor, got null');
    expect(() => assertNdim('relu', 'x', 'x' as unknown as Tensor, 2)).toThrow('relu: x must be a Tensor, got string');
    expect(() => assertShape('relu', 'x', [1, 2] as unknown as Tensor, [2])).toThrow('relu: x must be a Tensor, got object');
    expect(() => assertShape('relu', 'x', null as unknown as Tensor, [2])).toThrow('relu: x must be a Tensor, got null');
  });

  it('assertShape dout [2,4,7,7] expected [2,4,8,8] -> ShapeError', () => {
    expect(() => assertShape('conv2dBackward', 'dout', Tensor.zeros([2, 4, 7, 7]), [2, 4, 8, 8])).toThrow(
      'conv2dBackward: dout must have shape [2,4,8,8], got [2,4,7,7]',
    );
    expect(() => assertShape('op', 'x', Tensor.zeros([2]), [2])).not.toThrow();
  });

  it('assertFinite NaN at [0,1,2,3] -> ValueError naming the index', () => {
    const t = Tensor.zeros([1, 2, 3, 4]);
    expect(() => assertFinite('conv2d', 'x', t)).not.toThrow();
    t.set(NaN, 0, 1, 2, 3);
    expect(() => assertFinite('conv2d', 'x', t)).toThrow(ValueError);
    expect(() => assertFinite('conv2d', 'x', t)).toThrow('conv2d: x contains NaN at [0,1,2,3]');
    t.set(-Infinity, 0, 0, 0, 1);
    expect(() => assertFinite('conv2d', 'x', t)).toThrow('conv2d: x contains -Infinity at [0,0,0,1]');
  });
});

describe('formatTensor (NumPy-style printing)', () => {
  it('[2,2] with a fraction: decimal points aligned, trailing zeros dropped, shape last', () => {
    expect(Tensor.from([[1, -2.5], [3, 4]]).format()).toBe('Tensor([[ 1. , -2.5],\n        [ 3. ,  4. ]], shape=[2,2])');
  });

  it('[2,2,2] integers: "1." like NumPy, a blank line between 2-D blocks', () => {
    const t = Tensor.fromArray([0, 1, 2, 3, 4, 5, 6, 7], [2, 2, 2]);
    expect(t.format({ prefix: '' })).toBe('[[[0., 1.],\n  [2., 3.]],\n\n [[4., 5.],\n  [6., 7.]]]');
  });

  it('scalar, empty, NaN and infinities', () => {
    expect(Tensor.from(3.5).format()).toBe('Tensor(3.5, shape=[])');
    expect(Tensor.zeros([0, 3]).format()).toBe('Tensor([], shape=[0,3])');
    expect(Tensor.from([NaN, Infinity, -1]).format({ prefix: '' })).toBe('[nan, inf, -1.]');
  });

  it('values all below 1e-3 or above 1e8 switch to scientific notation', () => {
    expect(Tensor.from([1e-6, 2.5e-5]).format({ prefix: '' })).toBe('[1.0e-06, 2.5e-05]');
    expect(Tensor.from([1.5e9, 1]).format({ prefix: '' })).toBe('[1.5e+09, 1.0e+00]');
  });

  it('console.log and util.inspect use it, also inside objects', () => {
    const t = Tensor.from([[1, 2], [3, 4]]);
    expect(inspect(t)).toBe(t.format());
    expect(inspect({ out: t })).toContain('Tensor([[1., 2.],');
  });

  it('[2,3,40,40] (9600 > 1000 elements) is elided: 3 items at each end of each dimension', () => {
    const t = Tensor.fromArray(Array.from({ length: 9600 }, (_, i) => i), [2, 3, 40, 40]);
    const lines = t.format().split('\n');
    // every printed row has 3 + ... + 3 items; 2 x 3 blocks of 3 + "..." + 3 rows, blank lines between blocks
    const rows = lines.filter((l) => l.includes('...,') && /\d\.,/.test(l));
    expect(rows.length).toBe(2 * 3 * 6);
    for (const r of rows) expect(r.match(/\d+\./g)?.length).toBe(6);
    expect(lines.filter((l) => l.trim() === '...,').length).toBe(2 * 3);
    expect(t.format()).toContain('1599.'); // last element of the first [40,40] block
    expect(t.format()).not.toContain(' 100.,'); // an elided middle row
  });

  it('property: every line fits the line width (items are never split), and the numbers read back in order', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 30, max: 120 }), (vals, lineWidth) => {
        const t = Tensor.fromArray(vals);
        const s = t.format({ lineWidth, prefix: '', precision: 16 });
        for (const line of s.split('\n')) expect(line.length).toBeLessThanOrEqual(Math.max(lineWidth, s.split(',')[0].length + 2));
        const back = s.replace(/[[\]\s]/g, '').split(',').map(Number);
        expect(back.length).toBe(vals.length);
        back.forEach((v, i) => expect(Math.abs(v - vals[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(vals[i]))));
      }),
      { seed: 11, numRuns: 100 },
    );
  });

  it('bad options throw a ValueError naming formatTensor', () => {
    expect(() => Tensor.zeros([2]).format({ precision: -1 })).toThrow('formatTensor: precision must be an integer in [0, 16], got -1');
    expect(() => Tensor.zeros([2]).format({ edgeItems: 0 })).toThrow('formatTensor: edgeItems must be a positive integer, got 0');
  });
});
