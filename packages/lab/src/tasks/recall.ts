/**
 * A synthetic long-term dependency: "recall the first symbol". A sequence of `T` symbols drawn
 * uniformly from an alphabet of `K` is read one symbol per step; the first one is marked. After
 * the last step the network must name the first symbol. The `T - 1` later symbols are
 * distractors from the same alphabet: they enter through the same input weights as the answer
 * did, so they cannot simply be ignored; the model has to store the first symbol and protect it
 * from what follows. Only the first step carries the answer, so a model that cannot carry
 * information (and gradient) over `T - 1` steps scores about chance, `1 / K`.
 *
 * In the lecture's words (item 18): the answer depends on something far back.
 *
 * Inputs are one-hot over the alphabet plus one marker channel that is 1 at `t = 0` only:
 * `D = K + 1` features per step.
 *
 * @module
 */
import { Tensor, ValueError, type Rng } from '@dlkata/tensor';
import { checkNumber } from '../validate.js';

/** Sizes of a recall task. */
export interface RecallTask {
  /** Sequence length, integer >= 1 (the answer is `T - 1` steps back from the last input). */
  readonly T: number;
  /** Alphabet size K (the classes), integer >= 2; symbols `0 .. K-1`. */
  readonly symbols: number;
}

/** A batch of recall sequences. */
export interface RecallBatch {
  /** Inputs `[N, T, K + 1]`: one-hot symbol, then the marker channel (1 at `t = 0`). */
  readonly x: Tensor;
  /** The symbols, row-major `[N, T]`, each in `[0, K)`. */
  readonly ids: Int32Array;
  /** Labels, `[N]`: the first symbol of each sequence. */
  readonly y: Int32Array;
}

/** The number of input features of a task, `D = K + 1` (one-hot symbol and the marker). */
export function recallFeatures(task: RecallTask): number {
  return task.symbols + 1;
}

function checkTask(op: string, task: RecallTask): void {
  if (task === null || typeof task !== 'object') throw new ValueError(op, `task must be { T, symbols }, got ${String(task)}`);
  checkNumber(op, 'T', task.T, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  checkNumber(op, 'symbols', task.symbols, (v) => Number.isInteger(v) && v >= 2, 'an integer >= 2');
}

/**
 * Draws `N` sequences of a recall task: every symbol uniform over the `K` symbols, the marker at
 * `t = 0`, and the label the first symbol.
 *
 * Deterministic: the same task, `N` and generator state give the same batch (the generator is
 * advanced by `N * T` draws).
 *
 * Dimensions: N sequences, T steps, K symbols, D = K + 1 features.
 *
 * @param task - `T` and `symbols` K
 * @param N - sequences, integer >= 1
 * @param rng - source of the symbols
 * @returns `x` `[N, T, K + 1]`, the symbols `ids` `[N * T]` and the labels `y` `[N]`
 * @throws ValueError for sizes out of range: `"recallBatch: symbols must be an integer >= 2, got 1"`
 * @example
 * ```ts
 * const { ids, y, x } = recallBatch({ T: 4, symbols: 3 }, 2, new Rng(0));
 * // y[n] = ids[n * 4]; x[n, 0, 3] = 1 (the marker), x[n, t, 3] = 0 for t > 0
 * ```
 */
export function recallBatch(task: RecallTask, N: number, rng: Rng): RecallBatch {
  const op = 'recallBatch';
  checkTask(op, task);
  checkNumber(op, 'N', N, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const { T, symbols: K } = task;
  const D = K + 1;
  const ids = new Int32Array(N * T);
  const y = new Int32Array(N);
  const x = Tensor.zeros([N, T, D]);
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < T; t++) {
      const id = rng.int(0, K - 1);
      ids[n * T + t] = id;
      x.data[(n * T + t) * D + id] = 1;
    }
    x.data[n * T * D + K] = 1;
    y[n] = ids[n * T];
  }
  return { x, ids, y };
}
