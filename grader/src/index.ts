/**
 * `@dlkata/grader`: grades dlkata submissions. The submission runs in a sandboxed child
 * process (Node's permission model, memory and time limits, no network where the OS allows);
 * the grader sends inputs over IPC, receives raw outputs, and computes every comparison,
 * numerical gradient and point itself, against `@dlkata/layers` and `@dlkata/tensor`.
 *
 * - {@link grade}: grade a path, get a {@link GradeReport}
 * - writers: {@link renderTable}, {@link toJson}, {@link toGradescope}
 * - suites: {@link SUITES} (one per exercise), built from {@link checkProperty} and friends
 * - sandbox: {@link bundleExercise}, {@link Sandbox}, {@link ExerciseSandbox}; the wire protocol in {@link decodeTensor} and friends
 *
 * @packageDocumentation
 */
export * from './results.js';
export { grade, gradeExercise, testSeed, randomSeed, TOOL, VERSION, DEFAULT_NUM_RUNS, DEFAULT_TIMEOUT_MS, MAX_SEED } from './grade.js';
export type { GradeOptions, ExerciseOptions, ProgressEvent } from './grade.js';
export { discover, UsageError, EXERCISE_DIR } from './discover.js';
export type { FoundSubmission } from './discover.js';
export * from './protocol.js';
export * from './fnspec.js';
export { bundleExercise, tensorEntry, RUNNER_SOURCE } from './sandbox/bundle.js';
export type { BundleResult } from './sandbox/bundle.js';
export { Sandbox, childCommand, HEAP_LIMIT_MB, OUTPUT_CAP } from './sandbox/sandbox.js';
export type { SandboxOptions, StartOutcome, CallOutcome } from './sandbox/sandbox.js';
export { detectIsolation, DATA_LIMIT_BYTES } from './sandbox/isolation.js';
export type { Isolation } from './sandbox/isolation.js';
export { ExerciseSandbox, locateError, isTodo, todoText, startFailure } from './exercise-sandbox.js';
export type { ExerciseSandboxOptions } from './exercise-sandbox.js';
export { SUITES, suiteFor, gradientCheckSuite, convolutionSuite, poolingSuite } from './suites/index.js';
export { TestFailure } from './suites/types.js';
export type { Suite, SuiteTest, TestContext, TestOutcome, FailureStatus } from './suites/types.js';
export { checkProperty, expectTensor, expectField, expectNumber, expectClose, explainGradient, forwardProblem, InternalError, TOL } from './suites/harness.js';
export type { PropertyOptions, GradientQuestion } from './suites/harness.js';
export { renderTable, renderSummary, sandboxLine } from './writers/table.js';
export type { TableOptions } from './writers/table.js';
export { toJson } from './writers/json.js';
export { toGradescope } from './writers/gradescope.js';
export type { GradescopeResults, GradescopeTest } from './writers/gradescope.js';
