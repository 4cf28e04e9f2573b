/**
 * What a wrong answer most likely means: pure functions over Tensors, shared by the grader's
 * suites and the exercises' visible tests, so both give the same explanation ("the skip added
 * after the ReLU", "gate order i, f, o, g", "missing += where windows overlap", "dw not summed
 * over the batch").
 *
 * Every `diagnose*` function takes the inputs of a case and the student's (wrong) value and
 * returns one teaching sentence, or `undefined` when the value matches no known mistake. They
 * recompute each known mistake with the reference layers of `@dlkata/layers` and `@dlkata/rnn`
 * and compare at the grader's tolerance (elementwise relative error 1e-6); they never throw
 * for a student's value of the wrong shape or type (it simply matches nothing).
 *
 * {@link checkAgainstOwnForward} asks whether a gradient is the gradient of the student's own
 * forward pass (a directional finite-difference check); the grader uses it so that a wrong
 * forward pass does not cost the backward tests as well.
 *
 * Import as `@dlkata/grader/diagnose`: this entry point loads no sandbox, no Node API.
 *
 * @example
 * ```ts
 * import { diagnoseResidualForward } from '@dlkata/grader/diagnose';
 * const why = diagnoseResidualForward(x, params, { stride: 1 }, out);
 * if (why) console.log(why); // "Your output is relu(main path) + shortcut: ..."
 * ```
 *
 * @module
 */
export { close, DIAGNOSIS_TOL, firstOfBatch, seqOf, stepOf, sumOf } from './common.js';
export { checkAgainstOwnForward, describeOwnForwardCheck, type OwnForwardCheck, type OwnForwardQuestion } from './gradient.js';
export { diagnoseConvBackward, diagnoseConvForward, diagnosePoolBackward, type ConvParams, type PoolParams } from './conv.js';
export { diagnoseResidualForward, type ResidualOptions } from './residual.js';
export { diagnoseInceptionForward } from './inception.js';
export { diagnoseStepCombination, type StepGradients } from './sequence.js';
export { diagnoseLstmGateOrder, diagnoseLstmStepGateOrder, diagnoseRnnStep, permuteGates, WRONG_GATE_ORDERS, type Gate } from './recurrent.js';
