/**
 * Diagnoses of sequence gradients (exercises 09 and 11): how a sequence backward that is wrong
 * although its steps are right combines the steps.
 *
 * @module
 */
import type { Tensor } from '@dlkata/tensor';
import { close, sumOf } from './common.js';

/** What {@link diagnoseStepCombination} compares with. */
export interface StepGradients {
  /** Each step's reference gradients, computed with the right upstream gradients, `steps[t][name]`. */
  readonly steps: readonly Readonly<Record<string, Tensor>>[];
  /**
   * The sequence gradients when no gradient is carried from step `t+1` to step `t` (each step's
   * upstream gradient is its own `dh[:, t, :]` only).
   */
  readonly noCarry: Readonly<Record<string, Tensor>>;
}

/**
 * Explains a wrong sequence gradient whose steps are right: one step's contribution alone
 * (accumulation over t missing: `=` instead of `+=`), or the contributions without the
 * gradient carried back through time.
 *
 * @param backward - the sequence backward's name, e.g. `"rnnBackward"`
 * @param stepBackward - the step backward's name, e.g. `"rnnStepBackward"`
 * @param name - the gradient, e.g. `"dWh"`
 * @param got - the student's value
 * @param shared - true for a weight gradient (summed over the steps)
 * @returns a sentence, or undefined when no known mistake matches
 */
export function diagnoseStepCombination(backward: string, stepBackward: string, name: string, got: Tensor, ref: StepGradients, shared: boolean): string | undefined {
  const T = ref.steps.length;
  if (T < 2) return undefined;
  if (shared) {
    for (let t = 0; t < T; t++) {
      if (close(got, ref.steps[t][name])) {
        return `Accumulation over t is missing: your ${name} equals the gradient of time step t = ${t} alone; the weights are shared by every step, so ${name} must be the SUM over t of the steps' ${name} (+=, not =).`;
      }
    }
    if (close(got, ref.noCarry[name])) {
      return `Your ${name} is the sum over the steps, but each step received only its own dh[:, t, :]: add the gradient coming back from step t+1 (dprevH) to it before calling ${stepBackward}.`;
    }
    if (!close(got, sumOf(ref.steps.map((s) => s[name])))) return undefined;
  } else if (close(got, ref.noCarry[name])) {
    return `The gradient does not flow back through time in your ${backward}: each step received only its own dh[:, t, :]; add the gradient coming back from step t+1 (dprevH) to it before calling ${stepBackward}.`;
  }
  return undefined;
}
