/**
 * A mutant: one realistic bug planted in a reference solution, and the tests that must catch
 * it. The catalogue of mutants tests the grader's tests (mutation testing): every mutant should
 * lose points, exactly in the tests that name its bug, while the reference keeps full marks.
 *
 * @module
 */

/** One single-bug variant of a solution file. */
export interface Mutant {
  /** Short id, unique within its exercise, e.g. `"dw-not-summed-over-batch"`. */
  readonly id: string;
  /** The exercise folder, e.g. `"02-convolution"`. */
  readonly exercise: string;
  /** The file inside the exercise folder, e.g. `"conv.ts"`. */
  readonly file: string;
  /** Text that occurs exactly once in the solution file (it may span lines). */
  readonly find: string;
  /** What replaces it. */
  readonly replace: string;
  /** Further changes of the same file for a mistake that spans several places, applied in order. */
  readonly also?: readonly { readonly find: string; readonly replace: string }[];
  /** Ids of the tests that must lose their points; every other test of the exercise keeps them. */
  readonly expectFailIn: readonly string[];
  /** The mistake, as a student would make it. */
  readonly description: string;
  /**
   * The kind of mistake: `single` (one realistic bug), `interaction` (shows only when two
   * parameters are non-default together, e.g. stride > 1 and padding > 0), `constant` (returns
   * a constant whatever the input: 0, zeros, the input itself), `forward-only` (a forward bug
   * whose backward pass is right for it: the backward tests must keep their points). Default `single`.
   */
  readonly kind?: 'single' | 'interaction' | 'constant' | 'forward-only';
  /**
   * Optional checks of the feedback, per test id: each string must occur in it (a RegExp must
   * match it). Used by the grader's own tests to pin the diagnosis, not by the mutation score.
   */
  readonly expectFeedback?: Readonly<Record<string, readonly (string | RegExp)[]>>;
}

/** A mutant that cannot be applied (its `find` text does not occur exactly once). */
export class MutantError extends Error {
  /** @param message - which mutant and why */
  constructor(message: string) {
    super(message);
    this.name = 'MutantError';
  }
}

/**
 * Applies a mutant to the text of its file.
 *
 * @throws MutantError if `find` (or a `find` of `also`) does not occur exactly once (the solution changed: update the mutant)
 */
export function applyMutant(text: string, m: Mutant): string {
  let out = text;
  for (const p of [{ find: m.find, replace: m.replace }, ...(m.also ?? [])]) {
    const count = out.split(p.find).length - 1;
    if (count !== 1) {
      throw new MutantError(`mutant ${m.exercise}/${m.id}: expected its find text once in ${m.exercise}/${m.file}, found it ${count} times: ${JSON.stringify(p.find.slice(0, 120))}`);
    }
    const i = out.indexOf(p.find);
    out = out.slice(0, i) + p.replace + out.slice(i + p.find.length);
  }
  return out;
}
