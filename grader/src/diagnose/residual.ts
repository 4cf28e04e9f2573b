/**
 * Diagnoses of exercise 05 (residual blocks): the classic misplacements of the skip connection.
 *
 * @module
 */
import { conv2dForward, reluForward, type ResidualBlockParams } from '@dlkata/layers';
import { add, type Tensor } from '@dlkata/tensor';
import { close } from './common.js';

/** The residual block's options as the exercise takes them. */
export interface ResidualOptions {
  readonly stride: number;
}

/**
 * Explains a wrong `residualBlockForward` output.
 *
 * Recognised: the skip added after the last ReLU (`relu(main) + shortcut`), the skip left out
 * (`relu(main)`), the last ReLU left out (`main + shortcut`), the first ReLU left out.
 *
 * @param x - `[N, C, H, W]`
 * @param params - `w1`, `b1`, `w2`, `b2` and, for a projection shortcut, `ws`, `bs`
 * @param got - the student's `out`
 * @returns a sentence, or undefined when no known mistake matches
 * @example
 * ```ts
 * diagnoseResidualForward(x, params, { stride: 1 }, add(relu(main), x));
 * // "Your output is relu(main path) + shortcut: the skip must be added BEFORE the last ReLU, ..."
 * ```
 */
export function diagnoseResidualForward(x: Tensor, params: ResidualBlockParams, opts: ResidualOptions, got: Tensor): string | undefined {
  const p = params;
  const c1 = conv2dForward(x, p.w1, p.b1, { stride: opts.stride, pad: 1 }).out;
  const main = conv2dForward(reluForward(c1).out, p.w2, p.b2, { pad: 1 }).out;
  const skip = p.ws && p.bs ? conv2dForward(x, p.ws, p.bs, { stride: opts.stride }).out : x;
  if (skip.shape.join() !== main.shape.join()) return undefined;
  if (close(got, add(reluForward(main).out, skip))) return 'Your output is relu(main path) + shortcut: the skip must be added BEFORE the last ReLU, out = relu(main path + shortcut).';
  if (close(got, reluForward(main).out)) return 'Your output is relu(main path) without the shortcut: add the skip connection before the last ReLU.';
  if (close(got, add(main, skip))) return 'Your output is main path + shortcut without the last ReLU: out = relu(main path + shortcut).';
  const noFirstRelu = conv2dForward(c1, p.w2, p.b2, { pad: 1 }).out;
  if (close(got, reluForward(add(noFirstRelu, skip)).out)) return 'Your main path has no ReLU between the two convolutions: main path = conv2(relu(conv1(x))).';
  return undefined;
}
