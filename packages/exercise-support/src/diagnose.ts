/**
 * Diagnoses for the visible tests: does a wrong answer equal a known wrong variant?
 *
 * The grader's diagnosis module names the mistakes per exercise; this file holds the generic
 * matcher the visible tests use to ask it. A candidate is a wrong variant computed with the
 * reference library (never the answer itself): "skip added after the ReLU" is
 * `relu(main) + skip`, which says nothing about how to compute `relu(main + skip)`.
 *
 * @module
 */
import { compareTensors, NotImplementedError, type Tensor } from '@dlkata/tensor';

/** A known wrong variant: what it means, and the tensor it gives. */
export interface Candidate {
  /** The diagnosis shown when the student's answer equals this variant. */
  readonly says: string;
  /** The variant's output for the same inputs. */
  readonly value: () => Tensor | undefined;
}

/**
 * The first candidate whose value the student's answer equals (within `tol`), else undefined.
 * A candidate that throws is skipped.
 *
 * @param got - the student's (wrong) answer
 * @param candidates - known wrong variants, most specific first
 */
export function diagnoseByCandidates(got: unknown, candidates: readonly Candidate[], tol = 1e-7): string | undefined {
  for (const c of candidates) {
    let v: Tensor | undefined;
    try {
      v = c.value();
    } catch (e) {
      if (e instanceof NotImplementedError) return undefined;
      continue;
    }
    if (v !== undefined && compareTensors('', got as Tensor, v, { tol, atol: 1e-9 }).ok) return c.says;
  }
  return undefined;
}
