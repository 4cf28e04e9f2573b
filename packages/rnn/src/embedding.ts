/**
 * Word embedding: integer token ids to vectors by table lookup, and the gradient of the table.
 *
 * @module
 */
import { assertFinite, assertNdim, formatShape, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { assertCache, checkUpstream, readIds, type IdGrid } from './validate.js';

/** What {@link wordEmbeddingBackward} needs from {@link wordEmbeddingForward}: the ids and the sizes (not the table). */
export interface WordEmbeddingCache {
  /** The token ids, row-major `(N, T)`, each in `[0, V)`. */
  readonly ids: Int32Array;
  /** Batch size. */
  readonly N: number;
  /** Sequence length. */
  readonly T: number;
  /** Vocabulary size, rows of `W`. */
  readonly V: number;
  /** Embedding size, columns of `W`. */
  readonly D: number;
}

/**
 * Word embedding, forward pass: `out[n, t, :] = W[ids[n][t], :]`.
 *
 * Dimensions: N batch, T time steps, V vocabulary size, D embedding size.
 *
 * Equivalent to multiplying a one-hot row vector of length V by `W` (PyTorch's `nn.Embedding`,
 * whose `weight` is `W`).
 *
 * @param ids - token ids, `(N, T)` integers in `[0, V)`: `number[][]`, `Int32Array[]`, or a flat
 *   row-major array with its shape, `{ data: Int32Array, shape: [N, T] }` (see {@link IdGrid})
 * @param W - the embedding table, `[V, D]`, finite
 * @returns `out`, `[N, T, D]` (copies of rows of `W`), and the `cache` for {@link wordEmbeddingBackward}
 * @throws ShapeError if `W` is not 2-D or empty, or `ids` is not a rectangular `(N, T)` grid
 *   with N, T >= 1 (`"wordEmbedding: ids must have at least one time step (T >= 1), got N = 2, T = 0"`)
 * @throws ValueError for an id that is not an integer or lies outside the vocabulary, naming the
 *   id, its position and V (`"wordEmbedding: token id 12 at [1,3] is outside the vocabulary [0, 10) (V = 10); W [10,4]"`),
 *   or a NaN/infinite entry of `W`; all checks run before any work
 * @see CS231n `word_embedding_forward`; PyTorch `torch.nn.Embedding`
 * @example
 * ```ts
 * const W = Tensor.from([[0, 0], [1, 1], [2, 4]]); // V = 3, D = 2
 * wordEmbeddingForward([[2, 1], [0, 2]], W).out.toArray();
 * // [[[2, 4], [1, 1]], [[0, 0], [2, 4]]]
 * ```
 */
export function wordEmbeddingForward(ids: IdGrid, W: Tensor): { out: Tensor; cache: WordEmbeddingCache } {
  const op = 'wordEmbedding';
  assertNdim(op, 'W', W, 2, '[V, D]');
  const [V, D] = W.shape;
  if (V < 1 || D < 1) throw new ShapeError(op, `W must have at least one row and one column [V, D], got ${formatShape(W.shape)}`);
  const { N, T, values } = readIds(op, 'ids', ids);
  for (let k = 0; k < values.length; k++) {
    const id = values[k];
    if (id < 0 || id >= V) {
      throw new ValueError(op, `token id ${id} at [${Math.floor(k / T)},${k % T}] is outside the vocabulary [0, ${V}) (V = ${V}); W ${formatShape(W.shape)}`);
    }
  }
  assertFinite(op, 'W', W);
  const idArr = Int32Array.from(values);
  const out = Tensor.zeros([N, T, D]);
  for (let k = 0; k < idArr.length; k++) out.data.set(W.data.subarray(idArr[k] * D, (idArr[k] + 1) * D), k * D);
  return { out, cache: { ids: idArr, N, T, V, D } };
}

/**
 * Word embedding, backward pass: the gradient of the table.
 *
 * Dimensions as in {@link wordEmbeddingForward}: N batch, T time steps, V vocabulary, D embedding size.
 *
 * `dW[v, :] = sum of dout[n, t, :] over every position (n, t) with ids[n][t] = v`: a token that
 * occurs several times collects every occurrence's gradient (`+=`, NumPy's `np.add.at`); rows of
 * tokens that do not occur are 0. The ids are not differentiable, so there is no `dx`.
 *
 * @param dout - upstream gradient, `[N, T, D]`, finite
 * @param cache - the `cache` returned by {@link wordEmbeddingForward}
 * @returns `dW`, `[V, D]`, the gradient of `sum(out * dout)`
 * @throws ShapeError if `dout` is not `[N, T, D]` (`"wordEmbeddingBackward: dout must have shape [2,3,4], got [2,3,5]"`)
 * @throws ValueError for a NaN/infinite element of `dout` or a `cache` that is not an embedding cache
 * @see CS231n `word_embedding_backward`
 * @example
 * ```ts
 * const { cache } = wordEmbeddingForward([[1, 1]], Tensor.zeros([3, 2]));
 * wordEmbeddingBackward(Tensor.from([[[1, 2], [10, 20]]]), cache).dW.toArray();
 * // [[0, 0], [11, 22], [0, 0]]: id 1 occurs twice, its gradients add up
 * ```
 */
export function wordEmbeddingBackward(dout: Tensor, cache: WordEmbeddingCache): { dW: Tensor } {
  const op = 'wordEmbeddingBackward';
  assertCache(op, cache, ['ids', 'N', 'T', 'V', 'D'], 'wordEmbeddingForward');
  const { ids, N, T, V, D } = cache;
  checkUpstream(op, 'dout', dout, [N, T, D]);
  const dW = Tensor.zeros([V, D]);
  const g = dW.data;
  const d = dout.data;
  for (let k = 0; k < ids.length; k++) {
    const row = ids[k] * D;
    for (let j = 0; j < D; j++) g[row + j] += d[k * D + j];
  }
  return { dW };
}
