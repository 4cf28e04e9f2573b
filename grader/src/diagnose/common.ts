/**
 * Small helpers shared by the diagnoses: closeness at the grader's tolerance, time slicing of
 * `[N, T, F]` sequences, sums of tensor lists.
 *
 * @module
 */
import { compareTensors, Tensor } from '@dlkata/tensor';

/** The tolerance of every diagnosis: the grader's elementwise relative error (1e-6). */
export const DIAGNOSIS_TOL = 1e-6;

/**
 * True when `got` has `want`'s shape and every element within {@link DIAGNOSIS_TOL}.
 * Anything that is not a Tensor is never close.
 */
export function close(got: unknown, want: Tensor, tol = DIAGNOSIS_TOL): boolean {
  return got instanceof Tensor && compareTensors('', got, want, { tol }).ok;
}

/** Time step `t` of a `[N, T, F]` sequence, as `[N, F]`. */
export function stepOf(seq: Tensor, t: number): Tensor {
  const [N, T, F] = seq.shape;
  const out = Tensor.zeros([N, F]);
  for (let n = 0; n < N; n++) out.data.set(seq.data.subarray((n * T + t) * F, (n * T + t + 1) * F), n * F);
  return out;
}

/** Stacks `T` tensors `[N, F]` into a `[N, T, F]` sequence. */
export function seqOf(list: readonly Tensor[]): Tensor {
  const [N, F] = list[0].shape;
  const T = list.length;
  const out = Tensor.zeros([N, T, F]);
  list.forEach((s, t) => {
    for (let n = 0; n < N; n++) out.data.set(s.data.subarray(n * F, (n + 1) * F), (n * T + t) * F);
  });
  return out;
}

/** Elementwise sum of tensors of one shape (a new tensor). */
export function sumOf(list: readonly Tensor[]): Tensor {
  const out = Tensor.zeros(list[0].shape);
  for (const t of list) for (let i = 0; i < out.size; i++) out.data[i] += t.data[i];
  return out;
}

/** The first `n` items of the batch (axis 0) of a tensor. */
export function firstOfBatch(t: Tensor, n = 1): Tensor {
  const per = t.size / t.shape[0];
  return new Tensor(t.data.slice(0, n * per), [n, ...t.shape.slice(1)]);
}
