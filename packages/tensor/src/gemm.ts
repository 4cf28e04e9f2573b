/**
 * General matrix multiply on row-major `Float64Array`s, the workhorse under im2col
 * convolution and the affine layer.
 *
 * The implementation follows the structure of GotoBLAS / BLIS ("Anatomy of High-Performance
 * Matrix Multiplication", Goto and van de Geijn, 2008): the operands are cut into cache-sized
 * blocks, each block is packed into a contiguous buffer (this is also where transposes are
 * absorbed), and a 4x4 register-blocked micro-kernel keeps 16 entries of C in local variables
 * while it streams the packed panels.
 *
 * Every entry of C is still summed in the order `k = 0, 1, ..., K-1`, starting from 0 (or from
 * the old C with `accumulate`), one rounded multiply and one rounded add per term. JavaScript
 * has no fused multiply-add, so the result is bit-for-bit the same as the textbook loop
 * `for (k) c[i][j] += a[i][k] * b[k][j]`, whatever the blocking.
 *
 * The micro-kernel exists twice: `kernel4x4` below, plain TypeScript and the readable
 * reference, and a WebAssembly SIMD (f64x2) version of the same loops in
 * `wasm/gemm-kernel.wat`, about 3-4x faster on one core. Both do the same rounded multiplies
 * and adds in the same order, so they give identical results; {@link setGemmKernel} picks one.
 *
 * @module
 */
import { ShapeError, ValueError } from './errors.js';
import { GEMM_KERNEL_WASM_BASE64 } from './gemm-kernel.wasm.js';
import { checkOptions, NOT_IMPLEMENTED, type Refusals } from './options.js';
import { formatShape, Tensor } from './tensor.js';

/** Options of {@link gemm}. */
export interface GemmOptions {
  /** Read A as its transpose: A is stored `[K, M]`. Default false. */
  readonly transA?: boolean;
  /** Read B as its transpose: B is stored `[N, K]`. Default false. */
  readonly transB?: boolean;
  /** Add into C (`C += A B`) instead of overwriting it (`C = A B`). Default false. */
  readonly accumulate?: boolean;
}

const NO_OPTIONS: GemmOptions = Object.freeze({});
const GEMM_KEYS: readonly string[] = ['transA', 'transB', 'accumulate'];
const PACKED_KEYS: readonly string[] = ['transA', 'accumulate', 'rowBias'];
const PACKED_REFUSALS = Object.freeze({ ...NOT_IMPLEMENTED, transB: 'packB writes B in the packed layout itself, so there is no transpose to ask for' });

/** Options of {@link gemmPackedB}: {@link GemmOptions} without `transB`, and a bias per row. */
export interface GemmPackedOptions {
  /** Read A as its transpose: A is stored `[K, M]`. Default false. */
  readonly transA?: boolean;
  /** Add into C (`C += A B`) instead of overwriting it. Default false. */
  readonly accumulate?: boolean;
  /**
   * `M` values added to C's rows once each row's sum is complete: `C[i, j] = sum + rowBias[i]`
   * (`(C_old + sum) + rowBias[i]` with `accumulate`), the same additions, in the same order, as
   * a separate pass after the product, but made while the block of C is still in cache (a
   * convolution's bias, one per filter). Any array of `M` numbers, read once, before the
   * product (it may share memory with A or C). Default none.
   */
  readonly rowBias?: ArrayLike<number>;
}

/** Rows of C per micro-tile. */
const MR = 4;
/** Columns of C per micro-tile. */
const NR = 4;
/**
 * Width of one packed panel of B (columns of C per micro-tile): a {@link GemmBPacker} writes
 * its block of B as panels of this many columns.
 */
export const GEMM_PANEL_WIDTH = NR;
/** Depth of a packed block: one `KC x NR` panel of B (8 KiB) stays in L1 while A streams past it. */
const KC = 256;
/** Rows of A per packed block (`MC x KC` doubles = 256 KiB, sized for L2). Multiple of MR. */
const MC = 128;
/** Columns of B per packed block (`KC x NC` doubles = 1 MiB). Multiple of NR. */
const NC = 512;
/**
 * Up to this many multiply-adds (`M*N*K`) packing does not pay for itself and a plain loop
 * over the operands is used (measured: the two break even near 8x8x8). The plain loop is also
 * used for a single row or column of C, where a 4x4 tile would be three quarters padding.
 */
const SMALL = 512;

// Packing buffers, reused by every call and grown only when a larger block is needed (a block
// never exceeds MC x KC or KC x NC doubles, so together they stay below 1.3 MiB).
let packA = new Float64Array(0);
let packB = new Float64Array(0);
/** A 4x4 tile for the ragged right and bottom edges of C. */
const edge = new Float64Array(MR * NR);

function checkSize(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new ShapeError('gemm', `${name} must be an integer >= 0, got ${v}`);
}

function checkOperand(name: string, arr: Float64Array, off: number, n: number): void {
  if (!Number.isInteger(off) || off < 0) throw new ShapeError('gemm', `offset of ${name} must be an integer >= 0, got ${off}`);
  if (off + n > arr.length) {
    throw new ShapeError('gemm', `${name} needs ${n} elements from offset ${off} but the array has ${arr.length}`);
  }
}

function transpose(src: Float64Array, srcOff: number, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = srcOff + r * cols;
    for (let c = 0; c < cols; c++) t[c * rows + r] = src[base + c];
  }
  return t;
}

/**
 * `C[M, N] = op(A)[M, K] * op(B)[K, N]` (or `+=` with `accumulate`), row-major, in float64.
 *
 * Operands are flat arrays with an optional element offset, so one image's slice of a
 * batch can be used without copying. Transposed operands are read in place (small products)
 * or while packing (cache-blocked products), never copied whole. The semantics are
 * BLAS `dgemm` with `alpha = 1` and `beta = 0` (or 1 with `accumulate`), except that a zero
 * in A is not skipped: NaN and Infinity in B always propagate, as in NumPy's `matmul`.
 * `K = 0` gives `C = 0` (or leaves C unchanged with `accumulate`).
 *
 * Each entry of C is the left-to-right float64 sum over `k` (no reassociation), so results
 * equal the naive triple loop exactly. C must not overlap A or B. The micro-kernel of the
 * blocked path is TypeScript or WebAssembly SIMD, with identical results (see
 * {@link setGemmKernel}).
 *
 * @param M - rows of C, integer >= 0
 * @param N - columns of C, integer >= 0
 * @param K - inner dimension, integer >= 0
 * @param a - A, `[M, K]` row-major (or `[K, M]` with `transA`), starting at `aOff`
 * @param aOff - element offset of A in `a`, integer >= 0
 * @param b - B, `[K, N]` row-major (or `[N, K]` with `transB`), starting at `bOff`
 * @param bOff - element offset of B in `b`
 * @param c - C, `[M, N]` row-major, starting at `cOff`; written in place, nothing else is touched
 * @param cOff - element offset of C in `c`
 * @throws ShapeError if a size or offset is not a non-negative integer or an operand does not
 *   fit its array: `"gemm: A needs 6 elements from offset 2 but the array has 7"`
 * @throws ValueError for an unknown option (`"gemm: unknown option transb in opts (accepted:
 *   transA, transB, accumulate)"`), a flag that is not a boolean (`"gemm: transB must be true or
 *   false, got 1"`), or if the environment variable `DLKATA_GEMM` is set to
 *   something other than `ts`, `wasm` or `auto` and no kernel was chosen with
 *   {@link setGemmKernel} (checked by the first product large enough to be packed)
 * @throws ValueError if called from inside a {@link GemmBPacker} (see {@link gemmPackedB})
 * @see Goto and van de Geijn, "Anatomy of High-Performance Matrix Multiplication", ACM TOMS 34(3), 2008
 * @example
 * ```ts
 * const c = new Float64Array(4);
 * gemm(2, 2, 1, Float64Array.of(1, 2), 0, Float64Array.of(3, 4), 0, c, 0); // c = [3, 4, 6, 8]
 * ```
 */
export function gemm(
  M: number,
  N: number,
  K: number,
  a: Float64Array,
  aOff: number,
  b: Float64Array,
  bOff: number,
  c: Float64Array,
  cOff: number,
  opts: GemmOptions = NO_OPTIONS,
): void {
  checkSize('M', M);
  checkSize('N', N);
  checkSize('K', K);
  checkOperand('A', a, aOff, M * K);
  checkOperand('B', b, bOff, K * N);
  checkOperand('C', c, cOff, M * N);
  if (opts !== NO_OPTIONS) checkGemmOptions('gemm', opts, GEMM_KEYS);
  const accumulate = opts.accumulate === true;
  if (M === 0 || N === 0) return;
  if (K === 0) {
    if (!accumulate) c.fill(0, cOff, cOff + M * N);
    return;
  }
  // op(A)[i, k] = a[aOff + i*ars + k*acs], op(B)[k, j] = b[bOff + k*brs + j*bcs]
  const transA = opts.transA === true;
  const transB = opts.transB === true;
  const ars = transA ? 1 : K;
  const acs = transA ? M : 1;
  const brs = transB ? 1 : N;
  const bcs = transB ? K : 1;
  if (M === 1 || N === 1 || M * N * K <= SMALL) {
    smallGemm(M, N, K, a, aOff, ars, acs, b, bOff, brs, bcs, c, cOff, accumulate);
  } else {
    const packer: GemmBPacker = (k0, kc, j0, nc, out) => packPanelsB(kc, nc, b, bOff + k0 * brs + j0 * bcs, brs, bcs, out);
    blockedGemm(M, N, K, a, aOff, ars, acs, packer, c, cOff, accumulate);
  }
}

/**
 * Writes the block `B[k0 : k0+kc, j0 : j0+nc]` of a {@link gemmPackedB} operand into `out`,
 * from element 0, as consecutive panels of {@link GEMM_PANEL_WIDTH} (4) columns: panel `q`
 * holds columns `j0 + 4q .. j0 + 4q + 3`, stored `kc` rows of 4 values (the 4 values of one row
 * `k` together), so `out[(q*kc + k)*4 + s] = B[k0 + k, j0 + 4q + s]`. The last panel is
 * padded with zeros when `nc` is not a multiple of 4. Every one of the `kc * 4*ceil(nc/4)`
 * elements must be written: the buffer holds the previous block. A packer must not call
 * {@link gemm} or {@link gemmPackedB} itself (they share the packing buffers; either throws a
 * `ValueError` if it does).
 */
export type GemmBPacker = (k0: number, kc: number, j0: number, nc: number, out: Float64Array) => void;

/**
 * `C[M, N] = op(A)[M, K] * B[K, N]` (or `+=` with `accumulate`), exactly as {@link gemm}
 * computes it (same blocking, same kernels, the same bits), for a B that is never stored whole:
 * `packB` writes each block of B straight into the packed layout the micro-kernel reads. The
 * im2col convolution uses it to build its columns in the packing buffer itself, which saves
 * writing the whole column matrix and reading it back (see `im2colPanels`).
 *
 * @param M - rows of C, integer >= 0
 * @param N - columns of C, integer >= 0
 * @param K - inner dimension, integer >= 0
 * @param a - A, `[M, K]` row-major (or `[K, M]` with `transA`), starting at `aOff`
 * @param aOff - element offset of A in `a`, integer >= 0
 * @param packB - writes blocks of B, at most 256 rows by 512 columns each (see {@link GemmBPacker})
 * @param c - C, `[M, N]` row-major, starting at `cOff`; must not overlap A
 * @param cOff - element offset of C in `c`
 * @param opts - `transA` and `accumulate` as for {@link gemm}; `rowBias`, `M` values added to
 *   C's rows after their sums (see {@link GemmPackedOptions})
 *
 * Unlike {@link gemm}, this always takes the packed (blocked) path, however small the product,
 * and every block of B is asked of `packB`. If `packB` throws, the error propagates and C holds
 * partial sums. Errors are named `gemm:` or `gemmPackedB:` as for {@link gemm}.
 *
 * @throws ShapeError as {@link gemm} for sizes, offsets and arrays that are too short, and for a
 *   `rowBias` that is not an array of `M` numbers
 *   (`"gemmPackedB: rowBias must be an array of M = 3 numbers, got length 2"`, `"..., got
 *   rowBias[1] = x (string)"`)
 * @throws ValueError for an unknown option, `transB` included (B's layout is the packer's
 *   business), for a flag that is not a boolean, for a `packB` that is not a function, when `packB` itself calls {@link gemm} or
 *   `gemmPackedB` (they share the packing buffers), and for a bad `DLKATA_GEMM` as {@link gemm}
 * @example
 * ```ts
 * // C = A x B with B[k, j] = k + j, never stored
 * const packB: GemmBPacker = (k0, kc, j0, nc, out) => {
 *   for (let q = 0; q * 4 < nc; q++) {
 *     for (let k = 0; k < kc; k++) {
 *       for (let s = 0; s < 4; s++) out[(q * kc + k) * 4 + s] = 4 * q + s < nc ? k0 + k + j0 + 4 * q + s : 0;
 *     }
 *   }
 * };
 * gemmPackedB(2, 3, 2, Float64Array.of(1, 0, 0, 1), 0, packB, new Float64Array(6), 0); // identity A: C = B
 * ```
 */
export function gemmPackedB(
  M: number,
  N: number,
  K: number,
  a: Float64Array,
  aOff: number,
  packB: GemmBPacker,
  c: Float64Array,
  cOff: number,
  opts: GemmPackedOptions = NO_OPTIONS,
): void {
  checkSize('M', M);
  checkSize('N', N);
  checkSize('K', K);
  checkOperand('A', a, aOff, M * K);
  checkOperand('C', c, cOff, M * N);
  if (typeof packB !== 'function') throw new ValueError('gemmPackedB', `packB must be a function, got ${packB === null ? 'null' : typeof packB}`);
  if (opts !== NO_OPTIONS) checkGemmOptions('gemmPackedB', opts, PACKED_KEYS, PACKED_REFUSALS);
  const bias = rowBiasOf(opts.rowBias, M);
  const accumulate = opts.accumulate === true;
  if (M === 0 || N === 0) return;
  if (K === 0) {
    if (!accumulate) c.fill(0, cOff, cOff + M * N);
    if (bias) addRowBias(c, cOff, N, 0, M, 0, N, bias);
    return;
  }
  const transA = opts.transA === true;
  blockedGemm(M, N, K, a, aOff, transA ? 1 : K, transA ? M : 1, packB, c, cOff, accumulate, bias);
}

/**
 * The options of {@link gemm} and {@link gemmPackedB}: known keys only ({@link checkOptions}) and
 * flags that are booleans (a truthy `1` would otherwise read as false). Allocates nothing when
 * they pass: gemm is called in inner loops.
 */
function checkGemmOptions(op: string, opts: object, keys: readonly string[], refusals?: Refusals): void {
  checkOptions(op, 'opts', opts, keys, refusals);
  const o = opts as Record<string, unknown>;
  for (const flag of FLAG_KEYS) {
    const v = o[flag];
    if (v !== undefined && typeof v !== 'boolean') {
      const got = typeof v === 'string' ? JSON.stringify(v) : v !== null && typeof v === 'object' ? `an object (${Object.prototype.toString.call(v)})` : String(v);
      throw new ValueError(op, `${flag} must be true or false, got ${got}`);
    }
  }
}

const FLAG_KEYS = ['transA', 'transB', 'accumulate'] as const;

/**
 * The row bias copied, by index, into a `Float64Array` the kernels can read: `M` numbers, read
 * once before the product (so a bias that shares memory with C or A, or one that a packer
 * changes, gives the same result as a separate pass would with the values it had at the call).
 */
function rowBiasOf(bias: ArrayLike<number> | undefined, M: number): Float64Array | undefined {
  if (bias === undefined) return undefined;
  const length = bias !== null && typeof bias === 'object' ? bias.length : undefined;
  if (length !== M) {
    const got = bias === null ? 'null' : typeof bias !== 'object' ? typeof bias : typeof length === 'number' ? `length ${length}` : 'an object without a length';
    throw new ShapeError('gemmPackedB', `rowBias must be an array of M = ${M} numbers, got ${got}`);
  }
  const out = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    const v = bias[i];
    if (typeof v !== 'number') throw new ShapeError('gemmPackedB', `rowBias must be an array of M = ${M} numbers, got rowBias[${i}] = ${String(v)} (${typeof v})`);
    out[i] = v;
  }
  return out;
}

/** `C[i, j] += bias[i]` for rows `i0 .. i0+mc-1` and columns `j0 .. j0+nc-1` of C (row length ldc). */
function addRowBias(c: Float64Array, cOff: number, ldc: number, i0: number, mc: number, j0: number, nc: number, bias: Float64Array): void {
  for (let r = i0; r < i0 + mc; r++) {
    const bi = bias[r];
    const row = cOff + r * ldc;
    for (let j = row + j0; j < row + j0 + nc; j++) c[j] += bi;
  }
}

/** Unpacked loops for small products: i-k-j when B's rows are contiguous, dot products otherwise. */
function smallGemm(
  M: number,
  N: number,
  K: number,
  a: Float64Array,
  aOff: number,
  ars: number,
  acs: number,
  b: Float64Array,
  bOff: number,
  brs: number,
  bcs: number,
  c: Float64Array,
  cOff: number,
  accumulate: boolean,
): void {
  if (bcs === 1) {
    if (!accumulate) c.fill(0, cOff, cOff + M * N);
    for (let i = 0; i < M; i++) {
      const cRow = cOff + i * N;
      let ai = aOff + i * ars;
      let bRow = bOff;
      for (let k = 0; k < K; k++, ai += acs, bRow += brs) {
        const aik = a[ai];
        for (let j = 0; j < N; j++) c[cRow + j] += aik * b[bRow + j];
      }
    }
    return;
  }
  for (let i = 0; i < M; i++) {
    const aRow = aOff + i * ars;
    const cRow = cOff + i * N;
    for (let j = 0; j < N; j++) {
      let s = accumulate ? c[cRow + j] : 0;
      let ai = aRow;
      let bi = bOff + j * bcs;
      for (let k = 0; k < K; k++, ai += acs, bi += brs) s += a[ai] * b[bi];
      c[cRow + j] = s;
    }
  }
}

/** Set while a {@link GemmBPacker} runs: a packer that calls back into the blocked path would overwrite the packing buffers in use. */
let inPacker = false;

/** Goto/BLIS loop nest: N in NC blocks, K in KC blocks (pack B), M in MC blocks (pack A), micro-tiles. */
function blockedGemm(
  M: number,
  N: number,
  K: number,
  a: Float64Array,
  aOff: number,
  ars: number,
  acs: number,
  packer: GemmBPacker,
  c: Float64Array,
  cOff: number,
  accumulate: boolean,
  rowBias?: Float64Array,
): void {
  if (inPacker) {
    throw new ValueError('gemm', 'called from inside a gemmPackedB packer: the packer must only write its block of B (gemm and gemmPackedB share the packing buffers)');
  }
  const kcMax = K < KC ? K : KC;
  const ncMax = N < NC ? N : NC;
  const wasm = activeKernel() === 'wasm' ? wasmKernel : undefined;
  if (!wasm) {
    const needB = kcMax * (Math.ceil(ncMax / NR) * NR);
    if (packB.length < needB) packB = new Float64Array(needB);
    const needA = kcMax * (Math.ceil((M < MC ? M : MC) / MR) * MR);
    if (packA.length < needA) packA = new Float64Array(needA);
  }
  const pA = packA;
  const pB = packB;
  // Every micro-tile adds into C, so C starts at 0 (or at its old value when accumulating) and
  // each K block continues from the partial sums the previous one stored: the sum over k runs
  // left to right exactly as in the textbook loop.
  // (The wasm path starts its copy of a C block from zeros instead, on the first K block.)
  if (!accumulate && !wasm) c.fill(0, cOff, cOff + M * N);
  for (let jc = 0; jc < N; jc += NC) {
    const nc = N - jc < NC ? N - jc : NC;
    for (let pc = 0; pc < K; pc += KC) {
      const kc = K - pc < KC ? K - pc : KC;
      inPacker = true;
      try {
        packer(pc, kc, jc, nc, wasm ? wasm.packB : pB);
      } finally {
        inPacker = false;
      }
      for (let ic = 0; ic < M; ic += MC) {
        const mc = M - ic < MC ? M - ic : MC;
        packPanelsA(mc, kc, a, aOff + ic * ars + pc * acs, ars, acs, wasm ? wasm.packA : pA);
        // On the last K block the sums are complete: the row bias goes in while the block is in cache.
        const bias = rowBias && pc + kc === K ? rowBias.subarray(ic, ic + mc) : undefined;
        if (wasm) wasmMacroKernel(wasm, mc, nc, kc, c, cOff + ic * N + jc, N, !accumulate && pc === 0, bias);
        else {
          macroKernel(mc, nc, kc, pA, pB, c, cOff + ic * N + jc, N);
          if (bias) addRowBias(c, cOff + ic * N, N, 0, mc, jc, nc, bias);
        }
      }
    }
  }
}

/**
 * Packs op(B)[k0 : k0+kc, j0 : j0+nc] as consecutive `kc x NR` panels, each stored k-major
 * (the NR values of one k together), zero-padding the last panel.
 */
function packPanelsB(kc: number, nc: number, b: Float64Array, off: number, brs: number, bcs: number, out: Float64Array): void {
  let o = 0;
  for (let j = 0; j < nc; j += NR) {
    const w = nc - j;
    const col = off + j * bcs;
    if (w >= NR) {
      if (bcs === 1) {
        for (let k = 0, src = col; k < kc; k++, src += brs, o += NR) {
          out[o] = b[src];
          out[o + 1] = b[src + 1];
          out[o + 2] = b[src + 2];
          out[o + 3] = b[src + 3];
        }
      } else {
        for (let k = 0, src = col; k < kc; k++, src += brs, o += NR) {
          out[o] = b[src];
          out[o + 1] = b[src + bcs];
          out[o + 2] = b[src + 2 * bcs];
          out[o + 3] = b[src + 3 * bcs];
        }
      }
    } else {
      for (let k = 0, src = col; k < kc; k++, src += brs, o += NR) {
        for (let s = 0; s < NR; s++) out[o + s] = s < w ? b[src + s * bcs] : 0;
      }
    }
  }
}

/**
 * Packs op(A)[i0 : i0+mc, k0 : k0+kc] as consecutive `MR x kc` panels, each stored k-major
 * (the MR values of one k together), zero-padding the last panel.
 */
function packPanelsA(mc: number, kc: number, a: Float64Array, off: number, ars: number, acs: number, out: Float64Array): void {
  let o = 0;
  for (let i = 0; i < mc; i += MR) {
    const h = mc - i;
    const row = off + i * ars;
    if (h >= MR) {
      if (ars === 1) {
        for (let k = 0, src = row; k < kc; k++, src += acs, o += MR) {
          out[o] = a[src];
          out[o + 1] = a[src + 1];
          out[o + 2] = a[src + 2];
          out[o + 3] = a[src + 3];
        }
      } else {
        const r1 = ars;
        const r2 = 2 * ars;
        const r3 = 3 * ars;
        for (let k = 0, src = row; k < kc; k++, src += acs, o += MR) {
          out[o] = a[src];
          out[o + 1] = a[src + r1];
          out[o + 2] = a[src + r2];
          out[o + 3] = a[src + r3];
        }
      }
    } else {
      for (let k = 0, src = row; k < kc; k++, src += acs, o += MR) {
        for (let r = 0; r < MR; r++) out[o + r] = r < h ? a[src + r * ars] : 0;
      }
    }
  }
}

/** Runs the micro-kernel over every MR x NR tile of one `mc x nc` block of C. */
function macroKernel(
  mc: number,
  nc: number,
  kc: number,
  pA: Float64Array,
  pB: Float64Array,
  c: Float64Array,
  cOff: number,
  ldc: number,
): void {
  for (let j = 0; j < nc; j += NR) {
    const w = nc - j < NR ? nc - j : NR;
    const bi = j * kc;
    for (let i = 0; i < mc; i += MR) {
      const h = mc - i < MR ? mc - i : MR;
      const ai = i * kc;
      const ci = cOff + i * ldc + j;
      if (h === MR && w === NR) {
        kernel4x4(kc, pA, ai, pB, bi, c, ci, ldc);
      } else {
        // Ragged edge: run the full kernel on a 4x4 scratch tile (the packed panels are
        // zero-padded), then copy back only the h x w entries that exist.
        for (let r = 0; r < MR; r++) {
          for (let s = 0; s < NR; s++) edge[r * NR + s] = r < h && s < w ? c[ci + r * ldc + s] : 0;
        }
        kernel4x4(kc, pA, ai, pB, bi, edge, 0, NR);
        for (let r = 0; r < h; r++) {
          for (let s = 0; s < w; s++) c[ci + r * ldc + s] = edge[r * NR + s];
        }
      }
    }
  }
}

/**
 * The micro-kernel: C[0:4, 0:4] += Apanel[4 x kc] * Bpanel[kc x 4], with the 16 entries of
 * C held in local variables (registers or stack slots, never boxed). It has no branches
 * besides its loop, so the optimizing compiler sees every path on the first calls and never
 * has to throw the compiled code away.
 */
function kernel4x4(
  kc: number,
  pA: Float64Array,
  ai: number,
  pB: Float64Array,
  bi: number,
  c: Float64Array,
  ci: number,
  ldc: number,
): void {
  const c0 = ci;
  const c1 = ci + ldc;
  const c2 = c1 + ldc;
  const c3 = c2 + ldc;
  let c00 = c[c0], c01 = c[c0 + 1], c02 = c[c0 + 2], c03 = c[c0 + 3];
  let c10 = c[c1], c11 = c[c1 + 1], c12 = c[c1 + 2], c13 = c[c1 + 3];
  let c20 = c[c2], c21 = c[c2 + 1], c22 = c[c2 + 2], c23 = c[c2 + 3];
  let c30 = c[c3], c31 = c[c3 + 1], c32 = c[c3 + 2], c33 = c[c3 + 3];
  const end = ai + kc * MR;
  for (; ai < end; ai += MR, bi += NR) {
    const a0 = pA[ai], a1 = pA[ai + 1], a2 = pA[ai + 2], a3 = pA[ai + 3];
    const b0 = pB[bi], b1 = pB[bi + 1], b2 = pB[bi + 2], b3 = pB[bi + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  c[c0] = c00; c[c0 + 1] = c01; c[c0 + 2] = c02; c[c0 + 3] = c03;
  c[c1] = c10; c[c1 + 1] = c11; c[c1 + 2] = c12; c[c1 + 3] = c13;
  c[c2] = c20; c[c2 + 1] = c21; c[c2 + 2] = c22; c[c2 + 3] = c23;
  c[c3] = c30; c[c3 + 1] = c31; c[c3 + 2] = c32; c[c3 + 3] = c33;
}

// ---------------------------------------------------------------------------------------------
// The WebAssembly SIMD micro-kernel and the choice between the two kernels.

/** Which micro-kernel {@link gemm} runs: see {@link setGemmKernel}. */
export type GemmKernelChoice = 'auto' | 'ts' | 'wasm';

/** The micro-kernel in use, as reported by {@link gemmKernel}. */
export type GemmKernelName = 'ts' | 'wasm';

const CHOICES: readonly GemmKernelChoice[] = ['auto', 'ts', 'wasm'];

/** Byte layout of the wasm module's 2 MiB memory (fixed size; it never grows, so views stay valid). */
const WASM_PACK_A = 0; // MC x KC doubles = 256 KiB
const WASM_PACK_B = WASM_PACK_A + MC * KC * 8; // KC x NC doubles = 1 MiB
const WASM_C = WASM_PACK_B + KC * NC * 8; // MC x NC doubles = 512 KiB

interface WasmKernel {
  /** `macro(mc, nc, kc, pA, pB, pC, ldc)`: see wasm/gemm-kernel.wat; sizes padded to multiples of 4, addresses in bytes. */
  readonly macro: (mc: number, nc: number, kc: number, pA: number, pB: number, pC: number, ldc: number) => void;
  /** Packed A, `MC x KC` doubles, in the module's memory. */
  readonly packA: Float64Array;
  /** Packed B, `KC x NC` doubles, in the module's memory. */
  readonly packB: Float64Array;
  /** One zero-padded `MC x NC` block of C, in the module's memory. */
  readonly cBlock: Float64Array;
}

/** The choice made with setGemmKernel; undefined until then (DLKATA_GEMM, then 'auto'). */
let choice: GemmKernelChoice | undefined;
/** The resolved kernel; undefined until first needed or after setGemmKernel. */
let active: GemmKernelName | undefined;
/** The instantiated module, null if this runtime cannot run it, undefined until first tried. */
let wasmKernel: WasmKernel | null | undefined;

/** The part of the WebAssembly JS API used here (the project compiles without the DOM lib). */
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Instantiates the kernel once; null when WebAssembly or its SIMD extension is missing. */
function loadWasmKernel(): WasmKernel | null {
  if (wasmKernel !== undefined) return wasmKernel;
  wasmKernel = null;
  const wa = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (typeof wa !== 'object' || typeof wa.validate !== 'function') return null;
  try {
    const bytes = decodeBase64(GEMM_KERNEL_WASM_BASE64);
    // validate() is false on a runtime without SIMD (the module uses v128), true otherwise.
    if (!wa.validate(bytes)) return null;
    // Synchronous compile: the module is well under the 4 KiB browsers allow on the main thread.
    const instance = new wa.Instance(new wa.Module(bytes), {});
    const memory = instance.exports.memory as { readonly buffer: ArrayBuffer };
    wasmKernel = {
      macro: instance.exports.macro as WasmKernel['macro'],
      packA: new Float64Array(memory.buffer, WASM_PACK_A, MC * KC),
      packB: new Float64Array(memory.buffer, WASM_PACK_B, KC * NC),
      cBlock: new Float64Array(memory.buffer, WASM_C, MC * NC),
    };
  } catch {
    wasmKernel = null;
  }
  return wasmKernel;
}

function envChoice(): GemmKernelChoice {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.DLKATA_GEMM;
  if (env === undefined || env === '') return 'auto';
  if ((CHOICES as readonly string[]).includes(env)) return env as GemmKernelChoice;
  throw new ValueError('gemm', `environment variable DLKATA_GEMM must be one of ${CHOICES.join(', ')}, got ${JSON.stringify(env)}`);
}

function activeKernel(): GemmKernelName {
  if (active !== undefined) return active;
  let want = choice ?? 'auto';
  if (want === 'auto') want = envChoice();
  if (want === 'wasm' && loadWasmKernel() === null) {
    throw new ValueError('gemm', 'DLKATA_GEMM=wasm, but this runtime has no WebAssembly SIMD (f64x2); use ts or auto');
  }
  active = want === 'ts' || loadWasmKernel() === null ? 'ts' : 'wasm';
  return active;
}

/**
 * Chooses the micro-kernel of {@link gemm} for the whole process. Both kernels give the same
 * results bit for bit; they differ only in speed.
 *
 * - `'ts'`: the TypeScript 4x4 micro-kernel, the readable reference (about 3-4 GFLOP/s on one
 *   core for 256^3).
 * - `'wasm'`: the same micro-kernel in WebAssembly SIMD (f64x2), `wasm/gemm-kernel.wat`
 *   (about 3-4x faster).
 * - `'auto'` (the default): the environment variable `DLKATA_GEMM` (`ts`, `wasm` or `auto`) if
 *   it is set, else `'wasm'` when the runtime validates the module (WebAssembly with SIMD, as in
 *   Node >= 16.4 and current browsers) and `'ts'` otherwise.
 *
 * Products small enough to skip packing (`M*N*K <= 512`, one row or one column) use plain
 * loops whatever the choice.
 *
 * @param kernel - `'auto'`, `'ts'` or `'wasm'`
 * @throws ValueError if `kernel` is none of these: `'setGemmKernel: kernel must be one of auto, ts, wasm, got "simd"'`,
 *   or if `'wasm'` is asked for on a runtime without WebAssembly SIMD
 * @see {@link gemmKernel} for the kernel in use
 * @example
 * ```ts
 * setGemmKernel('ts'); // the reference kernel, e.g. to compare timings
 * gemmKernel(); // 'ts'
 * setGemmKernel('auto');
 * ```
 */
export function setGemmKernel(kernel: GemmKernelChoice): void {
  if (typeof kernel !== 'string' || !(CHOICES as readonly string[]).includes(kernel)) {
    const shown = typeof kernel === 'string' ? JSON.stringify(kernel) : String(kernel);
    throw new ValueError('setGemmKernel', `kernel must be one of ${CHOICES.join(', ')}, got ${shown}`);
  }
  if (kernel === 'wasm' && loadWasmKernel() === null) {
    throw new ValueError('setGemmKernel', "kernel 'wasm' needs WebAssembly with SIMD (f64x2), which this runtime lacks; use 'ts' or 'auto'");
  }
  choice = kernel;
  active = undefined;
}

/**
 * The micro-kernel {@link gemm} uses now: `'wasm'` or `'ts'`, after resolving `'auto'` (see
 * {@link setGemmKernel}).
 *
 * @returns `'wasm'` (WebAssembly SIMD) or `'ts'` (TypeScript)
 * @throws ValueError if the environment variable `DLKATA_GEMM` has a value other than `ts`,
 *   `wasm`, `auto` or empty (and the kernel was not chosen with {@link setGemmKernel})
 */
export function gemmKernel(): GemmKernelName {
  return activeKernel();
}

/**
 * One `mc x nc` block of C through the wasm macro-kernel: copy the block into the module's
 * memory, zero-padded to whole 4x4 tiles (or start from zeros when `fromZero`: the first K
 * block of a product without `accumulate`), add packed A times packed B, copy it back (adding
 * `bias[r]` to row `r` on the way when given: the last K block of a product with a row bias).
 */
function wasmMacroKernel(
  w: WasmKernel,
  mc: number,
  nc: number,
  kc: number,
  c: Float64Array,
  cOff: number,
  ldc: number,
  fromZero: boolean,
  bias: Float64Array | undefined,
): void {
  const mcPad = Math.ceil(mc / MR) * MR;
  const ncPad = Math.ceil(nc / NR) * NR;
  const blk = w.cBlock;
  if (fromZero) {
    blk.fill(0, 0, mcPad * ncPad);
  } else {
    for (let r = 0; r < mc; r++) {
      const src = cOff + r * ldc;
      const dst = r * ncPad;
      blk.set(c.subarray(src, src + nc), dst);
      for (let s = nc; s < ncPad; s++) blk[dst + s] = 0;
    }
    blk.fill(0, mc * ncPad, mcPad * ncPad);
  }
  w.macro(mcPad, ncPad, kc, WASM_PACK_A, WASM_PACK_B, WASM_C, ncPad * 8);
  for (let r = 0; r < mc; r++) {
    const src = r * ncPad;
    if (bias) {
      const bi = bias[r];
      const dst = cOff + r * ldc;
      for (let j = 0; j < nc; j++) c[dst + j] = blk[src + j] + bi;
    } else {
      c.set(blk.subarray(src, src + nc), cOff + r * ldc);
    }
  }
}

/**
 * Matrix product of two 2-D tensors: `[M, K] x [K, N] -> [M, N]` (NumPy's `a @ b` for matrices).
 *
 * @param a - `[M, K]`
 * @param b - `[K, N]`
 * @returns a new tensor `[M, N]`
 * @throws ShapeError if an operand is not 2-D (`"matmul: both operands must be 2-D; a [2], b [2,2]"`)
 *   or `"matmul: inner dimensions differ; a [2,3], b [4,5]"`
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2 || b.ndim !== 2) {
    throw new ShapeError('matmul', `both operands must be 2-D; a ${formatShape(a.shape)}, b ${formatShape(b.shape)}`);
  }
  const [M, K] = a.shape;
  const [K2, N] = b.shape;
  if (K !== K2) throw new ShapeError('matmul', `inner dimensions differ; a ${formatShape(a.shape)}, b ${formatShape(b.shape)}`);
  const out = Tensor.zeros([M, N]);
  gemm(M, N, K, a.data, 0, b.data, 0, out.data, 0);
  return out;
}

/**
 * Transpose of a 2-D tensor, `[M, N] -> [N, M]` (a copy).
 *
 * @throws ShapeError if `a` is not 2-D: `"transpose2d: a must be 2-D, got [2,3,4]"`
 */
export function transpose2d(a: Tensor): Tensor {
  if (a.ndim !== 2) throw new ShapeError('transpose2d', `a must be 2-D, got ${formatShape(a.shape)}`);
  const [M, N] = a.shape;
  return new Tensor(transpose(a.data, 0, M, N), [N, M]);
}
