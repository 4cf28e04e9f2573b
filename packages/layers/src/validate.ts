/**
 * Checks shared by the layers' public boundaries. Internal: not re-exported from the package.
 *
 * @module
 * @internal
 */
import { ShapeError, Tensor, ValueError } from '@dlkata/tensor';

/**
 * Throws unless `cache` is an object carrying every key a backward pass reads, so that passing
 * the wrong thing (`undefined`, the forward's `out`, another layer's cache) fails with a message
 * that names the op instead of a `TypeError` deep inside a loop.
 *
 * @param op - backward op name, e.g. `"conv2dBackward"`
 * @param cache - what the caller passed
 * @param keys - fields the backward pass needs
 * @param from - the forward function that makes such a cache, e.g. `"conv2dForward"`
 * @throws ValueError `"conv2dBackward: cache must be the cache returned by conv2dForward (missing info), got an object"`
 */
export function assertCache(op: string, cache: unknown, keys: readonly string[], from: string): void {
  if (cache === null || typeof cache !== 'object') {
    throw new ValueError(op, `cache must be the cache returned by ${from}, got ${cache === null ? 'null' : typeof cache}`);
  }
  const missing = keys.filter((k) => !(k in cache));
  if (missing.length > 0) {
    throw new ValueError(op, `cache must be the cache returned by ${from} (missing ${missing.join(', ')}), got an object`);
  }
}

/**
 * Throws unless `t` is a {@link Tensor} (any shape); the shape-free sibling of `assertNdim`.
 *
 * @throws ShapeError `"relu: x must be a Tensor, got undefined"`
 */
export function assertTensor(op: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) {
    throw new ShapeError(op, `${name} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  }
}
