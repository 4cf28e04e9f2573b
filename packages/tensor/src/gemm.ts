/**
 * General matrix multiply on row-major `Float64Array`s, the workhorse under im2col
 * convolution and the affine layer.
 *
 * @module
 */
import { ShapeError } from './errors.js';
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
 * batch can be used without copying. Transposed operands are packed once, then an
 * i-k-j loop streams rows of B and C (unit stride in the innermost loop).
 *
 * @param M - rows of C
 * @param N - columns of C
 * @param K - inner dimension
 * @param a - A, `[M, K]` row-major (or `[K, M]` with `transA`), starting at `aOff`
 * @param b - B, `[K, N]` row-major (or `[N, K]` with `transB`), starting at `bOff`
 * @param c - C, `[M, N]` row-major, starting at `cOff`; written in place
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
  opts: GemmOptions = {},
): void {
  let A = a;
  let ao = aOff;
  if (opts.transA) {
    A = transpose(a, aOff, K, M);
    ao = 0;
  }
  let B = b;
  let bo = bOff;
  if (opts.transB) {
    B = transpose(b, bOff, N, K);
    bo = 0;
  }
  if (!opts.accumulate) c.fill(0, cOff, cOff + M * N);
  for (let i = 0; i < M; i++) {
    const cRow = cOff + i * N;
    const aRow = ao + i * K;
    for (let k = 0; k < K; k++) {
      const aik = A[aRow + k];
      if (aik === 0) continue;
      const bRow = bo + k * N;
      for (let j = 0; j < N; j++) c[cRow + j] += aik * B[bRow + j];
    }
  }
}

/**
 * Matrix product of two 2-D tensors: `[M, K] x [K, N] -> [M, N]`.
 *
 * @throws ShapeError `"matmul: inner dimensions differ; a [2,3], b [4,5]"`
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

/** Transpose of a 2-D tensor, `[M, N] -> [N, M]` (a copy). */
export function transpose2d(a: Tensor): Tensor {
  if (a.ndim !== 2) throw new ShapeError('transpose2d', `a must be 2-D, got ${formatShape(a.shape)}`);
  const [M, N] = a.shape;
  return new Tensor(transpose(a.data, 0, M, N), [N, M]);
}
