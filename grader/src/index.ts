/**
 * `@dlkata/grader`: grades dlkata submissions. The submission runs in a sandboxed child
 * process (Node's permission model, memory and time limits, no network where the OS allows);
 * the grader sends inputs over IPC, receives raw outputs, and computes every comparison,
 * numerical gradient and point itself, against `@dlkata/layers` and `@dlkata/tensor`.
 *
 * - {@link grade}: grade a path, get a {@link GradeReport}; every exercise of the assignment counts
 * - seeds: {@link loadSecret} and {@link exerciseSeed}, per-exercise seeds from the instructor's secret
 * - {@link gradeClass}: grade a folder of submissions (folders or archives) into an output folder, resumably
 * - writers: {@link renderTable}, {@link toJson}, {@link toGradescope}, {@link toJunit}, {@link toCsv},
 *   {@link submissionMarkdown}, {@link summaryMarkdown}, {@link toClassroom}
 * - self-test: {@link runSelftest} grades the mutant catalogue ({@link loadMutants})
 * - suites: {@link SUITES} (one per exercise), built from {@link checkProperty} and friends
 * - sandbox: {@link bundleExercise}, {@link Sandbox}, {@link ExerciseSandbox}; the wire protocol in {@link decodeTensor} and friends
 *
 * @packageDocumentation
 */
export * from './results.js';
export {
  grade,
  gradeExercise,
  testSeed,
  randomSeed,
  failedExercise,
  missingExercise,
  missingReason,
  assignmentExercises,
  forbiddenImports,
  scrubPaths,
  submissionResult,
  sandboxInfo,
  pool,
  TOOL,
  VERSION,
  DEFAULT_NUM_RUNS,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_EXERCISE_TIMEOUT_MS,
  MAX_SEED,
} from './grade.js';
export type { GradeOptions, ExerciseOptions, ProgressEvent } from './grade.js';
export { discover, submissionRoot, UsageError, EXERCISE_DIR, isOneSubmission, isClassFolder } from './discover.js';
export { loadSecret, defaultSecretFile, secretId, folderDigest, exerciseSeed, newSecretText, SECRET_ENV, MIN_SECRET_LENGTH } from './seeds.js';
export type { GraderSecret, SecretOptions } from './seeds.js';
export { gradeClass, gradeSubmission, listClass, fingerprint, fileNameFor, recordJson, WORK_PREFIX, LINKED_SUBMISSION, escapeName, FINGERPRINT_FULL_BYTES } from './batch/class.js';
export type { ClassEntry, ClassManifest, ClassEvent, ClassOptions, ClassResult, SubmissionOptions, SubmissionRecord } from './batch/class.js';
export { unpackArchive, safeEntryPath, archiveKind, archiveBaseName, ArchiveError, ARCHIVE_LIMITS } from './batch/archive.js';
export type { ArchiveLimits, ArchiveKind } from './batch/archive.js';
export { writeFileAtomic, removeStaleTemporaries } from './batch/atomic.js';
export type { FoundSubmission } from './discover.js';
export * from './protocol.js';
export * from './fnspec.js';
export { bundleExercise, tensorEntry, RUNNER_SOURCE, FORBIDDEN_IMPORT_ERROR, TENSOR_EXPORTS, LAYERS_EXPORTS } from './sandbox/bundle.js';
export type { BundleResult, BundleOptions } from './sandbox/bundle.js';
export { Sandbox, OutputLog, childCommand, permissionFlag, readableByOthers, HEAP_LIMIT_MB, OUTPUT_CAP, OUTPUT_TAIL } from './sandbox/sandbox.js';
export { encodeFrame, decodePayload, FrameReader, WireFormatError, MAX_FRAME_BYTES, MAX_WIRE_DEPTH } from './sandbox/wire.js';
export { preflightSandbox, SandboxUnavailableError } from './sandbox/preflight.js';
export { snapshotExercise, refusalMessage, SNAPSHOT_LIMITS } from './sandbox/snapshot.js';
export type { SnapshotLimits, SnapshotResult, Refusal } from './sandbox/snapshot.js';
export { makeTempDir, removeTempDir, sweepStaleTempDirs, TEMP_KINDS, STALE_AFTER_MS } from './sandbox/tempdirs.js';
export type { SandboxOptions, StartOutcome, CallOutcome } from './sandbox/sandbox.js';
export { detectIsolation, cpuLimitSeconds, DATA_LIMIT_BYTES, NOBODY } from './sandbox/isolation.js';
export type { Isolation } from './sandbox/isolation.js';
export { ExerciseSandbox, budgetMessage, locateError, isTodo, todoText, startFailure } from './exercise-sandbox.js';
export type { ExerciseSandboxOptions } from './exercise-sandbox.js';
export { SUITES, suiteFor, gradientCheckSuite, convolutionSuite, poolingSuite } from './suites/index.js';
export { TestFailure } from './suites/types.js';
export type { Suite, SuiteTest, TestContext, TestOutcome, FailureStatus } from './suites/types.js';
export { checkProperty, expectTensor, expectField, expectNumber, expectClose, explainGradient, forwardProblem, gradeGradient, gradeGradients, jointRecord, InternalError, TOL } from './suites/harness.js';
export type { PropertyOptions, GradientQuestion, GradientGrading, GradientsGrading, JointField, JointOptions, JointValue } from './suites/harness.js';
export { renderTable, renderSummary, sandboxLine } from './writers/table.js';
export type { TableOptions } from './writers/table.js';
export { toJson } from './writers/json.js';
export { toGradescope } from './writers/gradescope.js';
export type { GradescopeResults, GradescopeTest, GradescopeOptions } from './writers/gradescope.js';
export { toJunit, xmlEscape } from './writers/junit.js';
export { toCsv, csvText } from './writers/csv.js';
export { submissionMarkdown, testMarkdown, replayCommand, casesLine, mdEscape, mdCode } from './writers/markdown.js';
export { summaryMarkdown, commonFailures, exerciseStats, messageKind } from './writers/summary.js';
export type { CommonFailure, ExerciseStats, SummaryOptions } from './writers/summary.js';
export { toClassroom, classroomOutputLine } from './writers/classroom.js';
export type { ClassroomResult, ClassroomTest } from './writers/classroom.js';
export { loadMutants, catalogueProblems, MUTANTS_DIR } from './selftest/catalogue.js';
export { applyMutant, MutantError } from './selftest/types.js';
export type { Mutant } from './selftest/types.js';
export { runSelftest, renderSelftest, renderExerciseTable, exerciseScores, withoutShrinking, selftestPassed, mutantFolder, SELFTEST_SEED } from './selftest/selftest.js';
export type { SelftestReport, SelftestOptions, MutantOutcome, ExerciseScore } from './selftest/selftest.js';
export { checkAgainstOwnForward, describeOwnForwardCheck } from './diagnose/gradient.js';
export type { OwnForwardCheck, OwnForwardQuestion } from './diagnose/gradient.js';
