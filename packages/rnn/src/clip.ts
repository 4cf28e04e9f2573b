/**
 * Gradient clipping, the lecture's remedy for exploding gradients: rescale all gradients
 * together when their global norm is too large (PyTorch's `clip_grad_norm_`), or clamp every
 * element (`clip_grad_value_`).
 *
 * @module
 */
import { assertFinite, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { checkNumber } from './validate.js';

/** Gradients to clip: a list of tensors, or tensors by parameter name (`{ Wx, Wh, b }`). */
export type Grads = readonly Tensor[] | Readonly<Record<string, Tensor>>;

/** Added to the total norm before dividing, as PyTorch does, so a tiny norm cannot blow up the ratio. */
const EPS = 1e-6;

/** Checks the container and every tensor; returns `[name, tensor]` pairs in order. */
function entries(op: string, grads: unknown): Array<[string, Tensor]> {
  let list: Array<[string, unknown]>;
  if (Array.isArray(grads)) {
    list = grads.map((g, i) => [`grads[${i}]`, g]);
  } else if (grads !== null && typeof grads === 'object' && !(grads instanceof Tensor) && !ArrayBuffer.isView(grads)) {
    list = Object.entries(grads).map(([k, g]) => [`grads.${k}`, g]);
  } else {
    const got = grads instanceof Tensor ? 'a single Tensor (wrap it in a list)' : grads === null ? 'null' : typeof grads;
    throw new ValueError(op, `grads must be a list of Tensors or an object of Tensors by name, got ${got}`);
  }
  for (const [name, g] of list) {
    if (!(g instanceof Tensor)) throw new ShapeError(op, `${name} must be a Tensor, got ${g === null ? 'null' : typeof g}`);
  }
  const checked = list as Array<[string, Tensor]>;
  for (const [name, g] of checked) assertFinite(op, name, g);
  return checked;
}

/** Rebuilds the caller's container kind (list or object) from new tensors in the same order. */
function rebuild<G extends Grads>(grads: G, out: readonly Tensor[]): G {
  if (Array.isArray(grads)) return [...out] as unknown as G;
  const obj: Record<string, Tensor> = {};
  Object.keys(grads).forEach((k, i) => (obj[k] = out[i]));
  return obj as G;
}

/**
 * Euclidean norm of all elements of all tensors together, `sqrt(sum over tensors, elements of g^2)`,
 * without overflow or underflow: values beyond `1e150` or below `1e-150` in magnitude are scaled
 * by the largest one first (as LAPACK's `dnrm2`), so gradients of `1e200` give `1e200`, not
 * `Infinity`.
 */
function globalNorm(tensors: readonly Tensor[]): number {
  let big = 0;
  for (const t of tensors) for (let i = 0; i < t.size; i++) big = Math.max(big, Math.abs(t.data[i]));
  if (big === 0) return 0;
  const scale = big > 1e150 || big < 1e-150 ? big : 1;
  let s = 0;
  for (const t of tensors) {
    for (let i = 0; i < t.size; i++) {
      const v = t.data[i] / scale;
      s += v * v;
    }
  }
  return Math.sqrt(s) * scale;
}

/**
 * Clips gradients by their GLOBAL norm, like PyTorch's `torch.nn.utils.clip_grad_norm_`.
 *
 * $\mathrm{totalNorm} = \sqrt{\sum g^2}$, the sum over all tensors and their elements: one norm over every gradient, as
 * if they were concatenated into one vector. If `totalNorm > maxNorm`, every tensor is
 * multiplied by the same factor $\mathrm{maxNorm} / (\mathrm{totalNorm} + 10^{-6})$, so the clipped gradients keep
 * their direction and have global norm just below `maxNorm`; otherwise they are returned
 * unchanged (as copies). Clipping each tensor by its own norm is a different operation (it
 * changes the direction); it is not what this does.
 *
 * Difference from PyTorch: PyTorch always multiplies by `min(1, maxNorm / (totalNorm + 1e-6))`,
 * which also shrinks gradients whose norm lies within `1e-6` below `maxNorm` (by a factor within
 * `1e-6 / maxNorm` of 1); here nothing is scaled unless `totalNorm > maxNorm`.
 *
 * @param grads - a list of tensors, or tensors by name (`{ Wx, Wh, b }`), any shapes, finite;
 *   not modified
 * @param maxNorm - largest allowed global norm, a finite number > 0
 * @returns `grads`, new tensors in a container of the same kind (list or object with the same
 *   keys in the same order); `totalNorm`, the global norm before clipping (as PyTorch returns it);
 *   `scale`, the factor applied (1 if not clipped)
 * @throws ValueError for a `maxNorm` that is not a finite positive number
 *   (`"clipGradNorm: maxNorm must be a finite number > 0, got 0"`), a NaN/infinite gradient
 *   element (`"clipGradNorm: grads.Wx contains NaN at [0,1]"`) or a container that is neither a
 *   list nor an object
 * @throws ShapeError for an entry that is not a Tensor (`"clipGradNorm: grads[1] must be a Tensor, got object"`)
 * @see the lecture, item 20 (exploding gradients, gradient clipping); Pascanu, Mikolov & Bengio,
 *   "On the difficulty of training recurrent neural networks", ICML 2013; PyTorch
 *   `torch.nn.utils.clip_grad_norm_`
 * @example
 * ```ts
 * const { grads, totalNorm } = clipGradNorm([Tensor.from([3, 4]), Tensor.from([6, 8])], 1);
 * // totalNorm = sqrt(125) ≈ 11.18; grads ≈ [[0.268, 0.358], [0.537, 0.716]]
 * ```
 */
export function clipGradNorm<G extends Grads>(grads: G, maxNorm: number): { grads: G; totalNorm: number; scale: number } {
  const op = 'clipGradNorm';
  checkNumber(op, 'maxNorm', maxNorm, (v) => v > 0, 'a finite number > 0');
  const list = entries(op, grads);
  const tensors = list.map(([, t]) => t);
  const totalNorm = globalNorm(tensors);
  const scale = totalNorm > maxNorm ? maxNorm / (totalNorm + EPS) : 1;
  const out = tensors.map((t) => (scale === 1 ? t.clone() : t.map((v) => v * scale)));
  return { grads: rebuild(grads, out), totalNorm, scale };
}

/**
 * Clips every gradient element to `[-clipValue, clipValue]`, like PyTorch's
 * `torch.nn.utils.clip_grad_value_`. Unlike {@link clipGradNorm} this changes the direction of
 * the gradient whenever some, but not all, elements are clipped.
 *
 * @param grads - a list of tensors, or tensors by name, finite; not modified
 * @param clipValue - a finite number > 0
 * @returns `grads`, new tensors in a container of the same kind
 * @throws ValueError for a `clipValue` that is not a finite positive number
 *   (`"clipGradValue: clipValue must be a finite number > 0, got -1"`) or a NaN/infinite element
 * @throws ShapeError for an entry that is not a Tensor
 * @see PyTorch `torch.nn.utils.clip_grad_value_`
 * @example
 * ```ts
 * clipGradValue({ b: Tensor.from([-3, 0.5, 2]) }, 1).grads.b.toArray(); // [-1, 0.5, 1]
 * ```
 */
export function clipGradValue<G extends Grads>(grads: G, clipValue: number): { grads: G } {
  const op = 'clipGradValue';
  checkNumber(op, 'clipValue', clipValue, (v) => v > 0, 'a finite number > 0');
  const list = entries(op, grads);
  const out = list.map(([, t]) => t.map((v) => Math.min(clipValue, Math.max(-clipValue, v))));
  return { grads: rebuild(grads, out) };
}
