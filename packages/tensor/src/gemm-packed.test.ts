import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from './errors.js';
import { GEMM_PANEL_WIDTH, gemm, gemmPackedB, setGemmKernel, type GemmBPacker, type GemmKernelName, type GemmOptions, type GemmPackedOptions } from './gemm.js';
import { FLAGS, spreadArray, spreadOperands } from './gemm-cases.test-support.js';
import { Rng } from './rng.js';

afterEach(() => setGemmKernel('auto'));

/**
 * A packer over a stored `B [K, N]`, written from the layout's definition
 * (`out[(q*kc + k)*4 + s] = B[k0 + k, j0 + 4q + s]`, zeros past the last column); it also
 * records every block it was asked for.
 */
function storedPacker(b: Float64Array, N: number, calls: Array<[number, number, number, number]>): GemmBPacker {
  return (k0, kc, j0, nc, out) => {
    calls.push([k0, kc, j0, nc]);
    const R = GEMM_PANEL_WIDTH;
    for (let q = 0; q * R < nc; q++) {
      for (let k = 0; k < kc; k++) {
        for (let s = 0; s < R; s++) out[(q * kc + k) * R + s] = q * R + s < nc ? b[(k0 + k) * N + j0 + q * R + s] : 0;
      }
    }
  };
}

const KERNELS: readonly GemmKernelName[] = ['ts', 'wasm'];

/** `C[i, j] += bias[i]` over an `[M, N]` C at `cOff`: the bias as a pass of its own after the product. */
function addBias(c: Float64Array, cOff: number, M: number, N: number, bias: ArrayLike<number>): void {
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) c[cOff + i * N + j] += bias[i];
}

/** The textbook loop, `C (+)= op(A) B`, each entry summed over k = 0..K-1 in order. */
function textbook(M: number, N: number, K: number, a: Float64Array, aOff: number, transA: boolean, b: Float64Array, c: Float64Array, cOff: number, accumulate: boolean): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = accumulate ? c[cOff + i * N + j] : 0;
      for (let k = 0; k < K; k++) s += (transA ? a[aOff + k * M + i] : a[aOff + i * K + k]) * b[k * N + j];
      c[cOff + i * N + j] = s;
    }
  }
}

interface Case {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly aOff: number;
  readonly cOff: number;
  readonly seed: number;
}

/** gemmPackedB against the textbook loop with every kernel and flag: bit for bit, nothing else touched. */
function check(t: Case): void {
  const { M, N, K, aOff, cOff } = t;
  for (const kernel of KERNELS) {
    for (const [transA, accumulate, withBias] of FLAGS.flatMap((x) => FLAGS.flatMap((y) => FLAGS.map((z) => [x, y, z] as const)))) {
      const rng = new Rng(t.seed);
      const a = spreadArray(rng, aOff + M * K + 2);
      const b = spreadArray(rng, K * N);
      const c = spreadArray(rng, cOff + M * N + 2);
      const rowBias = withBias ? spreadArray(rng, M) : undefined;
      const want = c.slice();
      textbook(M, N, K, a, aOff, transA, b, want, cOff, accumulate);
      if (rowBias) addBias(want, cOff, M, N, rowBias);
      const calls: Array<[number, number, number, number]> = [];
      setGemmKernel(kernel);
      gemmPackedB(M, N, K, a, aOff, storedPacker(b, N, calls), c, cOff, { transA, accumulate, ...(rowBias ? { rowBias } : {}) });
      const label = `M=${M} N=${N} K=${K} offsets ${aOff},${cOff} ${kernel}${transA ? ' transA' : ''}${accumulate ? ' accumulate' : ''}${withBias ? ' rowBias' : ''}`;
      let same = true;
      for (let i = 0; i < c.length; i++) if (!Object.is(c[i], want[i])) same = false;
      expect(same, `${label}: equals the textbook loop bit for bit, C's array outside the product untouched`).toBe(true);
      // every block asked for lies inside B, at most 256 x 512, and together they cover B exactly once
      for (const [k0, kc, j0, nc] of calls) {
        expect(k0 >= 0 && kc >= 1 && k0 + kc <= K && kc <= 256, label).toBe(true);
        expect(j0 >= 0 && nc >= 1 && j0 + nc <= N && nc <= 512, label).toBe(true);
      }
      if (M > 0 && N > 0 && K > 0) expect(calls.reduce((s, [, kc, , nc]) => s + kc * nc, 0), label).toBe(K * N);
    }
  }
}

describe('gemmPackedB: a B that is packed by the caller', () => {
  // The blocking's edges: ragged tiles, one block and one more (129, 513, 257), several K blocks.
  const edges: Array<[number, number, number]> = [
    [0, 5, 5],
    [5, 0, 5],
    [5, 5, 0],
    [1, 1, 1],
    [1, 9, 7],
    [6, 1, 7],
    [5, 7, 257],
    [32, 784, 144],
    [129, 6, 9],
    [7, 513, 21],
    [33, 40, 520],
  ];
  for (const [M, N, K] of edges) {
    it(`M=${M} N=${N} K=${K}: equals the textbook loop bit for bit (ts and wasm kernels, transA, accumulate)`, () => {
      check({ M, N, K, aOff: 3, cOff: 2, seed: M * 1000 + N * 10 + K });
    });
  }

  it('property: random M, N, K up to 140 x 600 x 300 and offsets (seed 20261207)', () => {
    fc.assert(
      fc.property(
        fc.record({
          M: fc.integer({ min: 1, max: 140 }),
          N: fc.integer({ min: 1, max: 600 }),
          K: fc.integer({ min: 1, max: 300 }),
          aOff: fc.integer({ min: 0, max: 4 }),
          cOff: fc.integer({ min: 0, max: 4 }),
          seed: fc.integer(),
        }),
        check,
      ),
      { seed: 20261207, numRuns: 12 },
    );
  });

  it('transB and unknown keys are refused, naming the key and the accepted ones; so is a packer that is not a function', () => {
    const c = new Float64Array(4);
    const noop: GemmBPacker = () => {};
    const call = (opts: unknown) => () => gemmPackedB(2, 2, 2, new Float64Array(4), 0, noop, c, 0, opts as GemmPackedOptions);
    expect(call({ transB: true })).toThrow(ValueError);
    expect(call({ transB: false })).toThrow(/gemmPackedB: unknown option transB in opts \(accepted: transA, accumulate, rowBias\): packB writes B in the packed layout/);
    expect(call({ accumulte: true })).toThrow(/gemmPackedB: unknown option accumulte in opts \(accepted: transA, accumulate, rowBias\)$/);
    expect(call({ bias: Float64Array.of(1, 2) })).toThrow(/unknown option bias/);
    expect(call(null)).toThrow(/gemmPackedB: opts must be an object/);
    expect(() => gemmPackedB(2, 2, 2, new Float64Array(4), 0, null as unknown as GemmBPacker, c, 0)).toThrow(/gemmPackedB: packB must be a function, got null/);
  });

  it('gemm refuses unknown keys too (a misspelt transB would otherwise give a wrong product that looks right)', () => {
    const c = new Float64Array(4);
    expect(() => gemm(2, 2, 2, new Float64Array(4), 0, new Float64Array(4), 0, c, 0, { transb: true } as GemmOptions)).toThrow(ValueError);
    expect(() => gemm(2, 2, 2, new Float64Array(4), 0, new Float64Array(4), 0, c, 0, { transb: true } as GemmOptions)).toThrow(
      /^gemm: unknown option transb in opts \(accepted: transA, transB, accumulate\)$/,
    );
    gemm(2, 2, 2, Float64Array.of(1, 2, 3, 4), 0, Float64Array.of(1, 0, 0, 1), 0, c, 0, { transA: false, transB: false, accumulate: false });
    expect([...c]).toEqual([1, 2, 3, 4]);
  });

  it('flags must be booleans and keys on a prototype count: a truthy 1 or "yes" would otherwise be read as false', () => {
    const c = new Float64Array(4);
    const a = new Float64Array(4);
    const b = new Float64Array(4);
    const noop: GemmBPacker = () => {};
    expect(() => gemm(2, 2, 2, a, 0, b, 0, c, 0, { transB: 1 } as unknown as GemmOptions)).toThrow(/^gemm: transB must be true or false, got 1$/);
    expect(() => gemm(2, 2, 2, a, 0, b, 0, c, 0, { accumulate: 'yes' } as unknown as GemmOptions)).toThrow(/^gemm: accumulate must be true or false, got "yes"$/);
    expect(() => gemmPackedB(2, 2, 2, a, 0, noop, c, 0, { transA: null } as unknown as GemmPackedOptions)).toThrow(/^gemmPackedB: transA must be true or false, got null$/);
    expect(() => gemm(2, 2, 2, a, 0, b, 0, c, 0, Object.create({ transb: true }) as GemmOptions)).toThrow(ValueError);
    expect(() => gemm(2, 2, 2, a, 0, b, 0, c, 0, Object.create({ transb: true }) as GemmOptions)).toThrow(/^gemm: unknown option transb in opts, inherited from its prototype \(accepted: transA, transB, accumulate\)$/);
    expect(() => gemm(2, 2, 2, a, 0, b, 0, c, 0, { transA: new Boolean(false) } as unknown as GemmOptions)).toThrow(/^gemm: transA must be true or false, got an object \(\[object Boolean\]\)$/);
    // known keys through a prototype are read as options, as they always were
    gemm(2, 2, 2, Float64Array.of(1, 2, 3, 4), 0, Float64Array.of(1, 0, 0, 1), 0, c, 0, Object.create({ transA: true }) as GemmOptions);
    expect([...c]).toEqual([1, 3, 2, 4]);
  });

  it('rowBias entries that are not numbers are refused, naming the index (no silent NaN)', () => {
    const c = new Float64Array(4);
    const noop: GemmBPacker = () => {};
    const call = (rowBias: unknown) => () => gemmPackedB(2, 2, 2, new Float64Array(4), 0, noop, c, 0, { rowBias: rowBias as Float64Array });
    expect(call(['1', 'x'])).toThrow('gemmPackedB: rowBias must be an array of M = 2 numbers, got rowBias[0] = 1 (string)');
    expect(call({ length: 2 })).toThrow('gemmPackedB: rowBias must be an array of M = 2 numbers, got rowBias[0] = undefined (undefined)');
    expect(call(BigInt64Array.of(1n, 2n))).toThrow(ShapeError);
    expect(call(BigInt64Array.of(1n, 2n))).toThrow('got rowBias[0] = 1 (bigint)');
    // other numeric typed arrays are fine
    gemmPackedB(2, 2, 2, Float64Array.of(1, 0, 0, 1), 0, storedPacker(Float64Array.of(1, 2, 3, 4), 2, []), c, 0, { rowBias: Int32Array.of(10, 20) });
    expect([...c]).toEqual([11, 12, 23, 24]);
  });

  it('a rowBias of the wrong length or type: ShapeError naming M and what came', () => {
    const c = new Float64Array(4);
    const noop: GemmBPacker = () => {};
    const call = (rowBias: unknown) => () => gemmPackedB(2, 2, 2, new Float64Array(4), 0, noop, c, 0, { rowBias: rowBias as Float64Array });
    expect(call(new Float64Array(3))).toThrow(ShapeError);
    expect(call(new Float64Array(3))).toThrow('gemmPackedB: rowBias must be an array of M = 2 numbers, got length 3');
    expect(call(null)).toThrow('gemmPackedB: rowBias must be an array of M = 2 numbers, got null');
    expect(call(2)).toThrow('gemmPackedB: rowBias must be an array of M = 2 numbers, got number');
    expect(call({})).toThrow('gemmPackedB: rowBias must be an array of M = 2 numbers, got an object without a length');
  });

  it('rowBias in any form, read once before the product, gives the textbook loop plus the bias: a plain array, another realm\'s Float64Array, a view of C inside the rows it writes, C\'s memory through a twin SharedArrayBuffer, a bias the packer changes', () => {
    const M = 6;
    const N = 600; // two column blocks: C's first rows are written before the last block's bias goes in
    const K = 9;
    const { a, b } = spreadOperands(new Rng(5), M, N, K);
    const bias = Float64Array.of(1, -2, 3.5, 4, 0, 1e-3);
    const want = new Float64Array(M * N);
    textbook(M, N, K, a, 0, false, b, want, 0, false);
    addBias(want, 0, M, N, bias);
    const fresh = () => new Float64Array(M * N);
    const variants: Array<[string, () => { c: Float64Array; rowBias: ArrayLike<number>; packB: GemmBPacker }]> = [
      ['a plain array', () => ({ c: fresh(), rowBias: [...bias], packB: storedPacker(b, N, []) })],
      [
        'another realm',
        () => {
          const foreign = runInNewContext('Float64Array.from(values)', { values: [...bias] }) as Float64Array;
          expect(foreign instanceof Float64Array, 'the other realm\'s Float64Array is not this one\'s').toBe(false);
          return { c: fresh(), rowBias: foreign, packB: storedPacker(b, N, []) };
        },
      ],
      [
        'a view of C',
        () => {
          const c = fresh();
          c.set(bias, 3 * N);
          return { c, rowBias: c.subarray(3 * N, 3 * N + M), packB: storedPacker(b, N, []) };
        },
      ],
      [
        'a twin SharedArrayBuffer',
        () => {
          // the same memory as two different SharedArrayBuffer objects: not detectable by identity
          const shared = new SharedArrayBuffer(8 * M * N);
          const c = new Float64Array(shared);
          c.set(bias);
          const twin = structuredClone(shared);
          expect(twin === shared).toBe(false);
          return { c, rowBias: new Float64Array(twin, 0, M), packB: storedPacker(b, N, []) };
        },
      ],
      [
        'changed by the packer',
        () => {
          const live = bias.slice();
          const inner = storedPacker(b, N, []);
          return { c: fresh(), rowBias: live, packB: (k0, kc, j0, nc, out) => (live.fill(1000), inner(k0, kc, j0, nc, out)) };
        },
      ],
    ];
    for (const kernel of KERNELS) {
      setGemmKernel(kernel);
      for (const [what, make] of variants) {
        const { c, rowBias, packB } = make();
        gemmPackedB(M, N, K, a, 0, packB, c, 0, { rowBias });
        expect([...c], `${kernel}: ${what}`).toEqual([...want]);
      }
    }
  });

  it('a packer that calls gemm or gemmPackedB gets a ValueError, and the next product is right', () => {
    const M = 8;
    const N = 64;
    const K = 16;
    const { a, b } = spreadOperands(new Rng(9), M, N, K);
    const scratch = new Float64Array(M * N);
    for (const kernel of KERNELS) {
      setGemmKernel(kernel);
      const inner = storedPacker(b, N, []);
      const callsGemm: GemmBPacker = (k0, kc, j0, nc, out) => {
        gemm(M, N, K, a, 0, b, 0, scratch, 0);
        inner(k0, kc, j0, nc, out);
      };
      const callsPacked: GemmBPacker = (k0, kc, j0, nc, out) => {
        gemmPackedB(M, N, K, a, 0, inner, scratch, 0);
        inner(k0, kc, j0, nc, out);
      };
      for (const packer of [callsGemm, callsPacked]) {
        expect(() => gemmPackedB(M, N, K, a, 0, packer, new Float64Array(M * N), 0)).toThrow(ValueError);
        expect(() => gemmPackedB(M, N, K, a, 0, packer, new Float64Array(M * N), 0)).toThrow(/^gemm: called from inside a gemmPackedB packer/);
      }
      // a packer that throws leaves the module usable
      expect(() => gemmPackedB(M, N, K, a, 0, () => { throw new Error('boom'); }, new Float64Array(M * N), 0)).toThrow('boom');
      const c = new Float64Array(M * N);
      const want = new Float64Array(M * N);
      gemmPackedB(M, N, K, a, 0, inner, c, 0);
      textbook(M, N, K, a, 0, false, b, want, 0, false);
      expect([...c], kernel).toEqual([...want]);
    }
  });

  it('sizes and offsets are checked as in gemm: "gemm: A needs 6 elements from offset 2 but the array has 7"', () => {
    const noop: GemmBPacker = () => {};
    expect(() => gemmPackedB(2, 2, 3, new Float64Array(7), 2, noop, new Float64Array(4), 0)).toThrow(ShapeError);
    expect(() => gemmPackedB(2, 2, 3, new Float64Array(7), 2, noop, new Float64Array(4), 0)).toThrow('gemm: A needs 6 elements from offset 2 but the array has 7');
    expect(() => gemmPackedB(2, 3, 1, new Float64Array(2), 0, noop, new Float64Array(5), 0)).toThrow('gemm: C needs 6 elements from offset 0 but the array has 5');
    expect(() => gemmPackedB(-1, 2, 1, new Float64Array(2), 0, noop, new Float64Array(5), 0)).toThrow('gemm: M must be an integer >= 0, got -1');
  });
});
