/**
 * Functions described by data, for exercise 01 (`numericalGradient(f, x, dout)` takes a
 * function, and code cannot cross the process boundary). The parent sends a {@link FnSpec};
 * the child's runner turns it into a function with {@link specToFunction}; the parent
 * evaluates the same spec with the same code for the reference, so both sides differentiate
 * exactly the same function.
 *
 * This module has no Node imports: the child's runner is bundled with it.
 *
 * @module
 */
import { formatShape, ShapeError, Tensor } from '@dlkata/tensor';

/** A tensor inside a spec: shape and row-major data. */
export interface SpecTensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/**
 * A function of one tensor, as data.
 *
 * - `poly`: elementwise polynomial, `f(x)_i = sum_k coeffs[k] * x_i^k`; output shaped like `x`.
 * - `tanh-affine`: `f(x) = tanh(A · vec(x) + b)`, `A` of shape `[M, D]` with `D = x.size`, `b` of
 *   shape `[M]`; output of shape `[M]` (a different shape from `x`, and every output depends on
 *   every input).
 */
export type FnSpec =
  | { readonly kind: 'poly'; readonly coeffs: readonly number[] }
  | { readonly kind: 'tanh-affine'; readonly A: SpecTensor; readonly b: SpecTensor };

/**
 * Builds the function a spec describes.
 *
 * @returns a function that reads its argument afresh on every call (so in-place perturbation
 *   of `x` works) and returns a new Tensor
 * @throws ShapeError (from the returned function) if the argument is not a Tensor of the size the spec needs
 * @example
 * ```ts
 * const f = specToFunction({ kind: 'poly', coeffs: [0, 0, 1] }); // x^2
 * f(Tensor.from([1, 2])); // Tensor [1, 4]
 * ```
 */
export function specToFunction(spec: FnSpec): (x: Tensor) => Tensor {
  if (spec.kind === 'poly') {
    const coeffs = [...spec.coeffs];
    return (x: Tensor) => {
      if (!(x instanceof Tensor)) throw new ShapeError('f', `expected a Tensor argument, got ${x === null ? 'null' : typeof x}`);
      return x.map((v) => {
        let s = 0;
        for (let k = coeffs.length - 1; k >= 0; k--) s = s * v + coeffs[k];
        return s;
      });
    };
  }
  const A = Float64Array.from(spec.A.data);
  const b = Float64Array.from(spec.b.data);
  const [M, D] = spec.A.shape;
  return (x: Tensor) => {
    if (!(x instanceof Tensor)) throw new ShapeError('f', `expected a Tensor argument, got ${x === null ? 'null' : typeof x}`);
    if (x.size !== D) throw new ShapeError('f', `expected a tensor with ${D} elements, got ${formatShape(x.shape)}`);
    const out = new Float64Array(M);
    for (let m = 0; m < M; m++) {
      let s = b[m];
      for (let d = 0; d < D; d++) s += A[m * D + d] * x.data[d];
      out[m] = Math.tanh(s);
    }
    return new Tensor(out, [M]);
  };
}

/** Human-readable form of a spec for feedback: `"f(x) = 0.5 - 1.2 x + 0.3 x^3 (elementwise)"`. */
export function describeSpec(spec: FnSpec): string {
  if (spec.kind === 'poly') {
    const terms = spec.coeffs
      .map((c, k) => (c === 0 ? '' : `${Number(c.toPrecision(3))}${k === 0 ? '' : k === 1 ? ' x' : ` x^${k}`}`))
      .filter((t) => t !== '');
    return `f(x) = ${terms.length ? terms.join(' + ').replace(/\+ -/g, '- ') : '0'} (elementwise)`;
  }
  return `f(x) = tanh(A x + b), A ${formatShape(spec.A.shape)}, b ${formatShape(spec.b.shape)}`;
}
