/**
 * The registry of grading suites, one per exercise folder name.
 *
 * @module
 */
import { gradientCheckSuite } from './01-gradient-check.js';
import { convolutionSuite } from './02-convolution.js';
import { poolingSuite } from './03-pooling.js';
import { cnnArchitecturesSuite } from './04-cnn-architectures.js';
import type { Suite } from './types.js';

/** Every suite the grader has, in exercise order. */
export const SUITES: readonly Suite[] = [gradientCheckSuite, convolutionSuite, poolingSuite, cnnArchitecturesSuite];

/** The suite for an exercise folder name (`"02-convolution"`), if the grader has one. */
export function suiteFor(exerciseId: string, suites: readonly Suite[] = SUITES): Suite | undefined {
  return suites.find((s) => s.id === exerciseId);
}

export { gradientCheckSuite, convolutionSuite, poolingSuite, cnnArchitecturesSuite };
export type { Suite, SuiteTest, TestContext, TestOutcome } from './types.js';
