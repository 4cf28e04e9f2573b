/**
 * The registry of grading suites, one per exercise folder name.
 *
 * @module
 */
import { gradientCheckSuite } from './01-gradient-check.js';
import { convolutionSuite } from './02-convolution.js';
import { poolingSuite } from './03-pooling.js';
import { cnnArchitecturesSuite } from './04-cnn-architectures.js';
import { residualSuite } from './05-residual.js';
import { inceptionSuite } from './06-inception.js';
import { fcnSuite } from './07-fcn.js';
import { transferLearningSuite } from './08-transfer-learning.js';
import { rnnSuite } from './09-rnn.js';
import { longTermSuite } from './10-long-term-dependencies.js';
import { lstmSuite } from './11-lstm.js';
import { rnnArchitecturesSuite } from './12-rnn-architectures.js';
import type { Suite } from './types.js';

/** Every suite the grader has, in exercise order. */
export const SUITES: readonly Suite[] = [
  gradientCheckSuite,
  convolutionSuite,
  poolingSuite,
  cnnArchitecturesSuite,
  residualSuite,
  inceptionSuite,
  fcnSuite,
  transferLearningSuite,
  rnnSuite,
  longTermSuite,
  lstmSuite,
  rnnArchitecturesSuite,
];

/** The suite for an exercise folder name (`"02-convolution"`), if the grader has one. */
export function suiteFor(exerciseId: string, suites: readonly Suite[] = SUITES): Suite | undefined {
  return suites.find((s) => s.id === exerciseId);
}

export { gradientCheckSuite, convolutionSuite, poolingSuite, cnnArchitecturesSuite, residualSuite, inceptionSuite, fcnSuite, transferLearningSuite, rnnSuite, longTermSuite, lstmSuite, rnnArchitecturesSuite };
export type { Suite, SuiteTest, TestContext, TestOutcome } from './types.js';
