/**
 * What a grading suite is: a list of tests for one exercise folder, each worth points and
 * each run against the submission through a {@link TestContext}.
 *
 * @module
 */
import type { Counterexample, TestStatus, Visibility } from '../results.js';

/** What a test's `run` returns. */
export interface TestOutcome {
  readonly status: TestStatus;
  /** Empty when passed. */
  readonly feedback: string;
  readonly counterexample?: Counterexample;
}

/**
 * What a test can do: call the submission's exports in the sandbox, and read its seed.
 * Everything a test returns is decided in the trusted process from the raw values `call`
 * returns.
 */
export interface TestContext {
  /** This test's fast-check seed (derived from the run's seed and the test id). */
  readonly seed: number;
  /** Generated cases per property (fixed cases come on top). */
  readonly numRuns: number;
  /**
   * A fast-check replay path (a failing test's `counterexample.path`): when set, the property
   * runs only that generated case, without shrinking and without the fixed cases.
   */
  readonly replayPath?: string;
  /**
   * Whether a failing generated case is shrunk to a smallest one (default true). The mutation
   * self-test's quick mode turns it off: it needs to know THAT a test fails, not the smallest case.
   */
  readonly shrink?: boolean;
  /**
   * Calls the export `fn` of the submission in the sandbox.
   *
   * @param args - Tensors, numbers, plain objects, handles from earlier results, function specs (`{ $fn }`)
   * @param keep - keys of the returned object to keep in the sandbox as handles (e.g. `["cache"]`)
   * @returns the raw, unvalidated value (decode it with the protocol's validators)
   * @throws TestFailure when the call threw, timed out, crashed, or the export is missing
   */
  call(fn: string, args: readonly unknown[], keep?: readonly string[]): Promise<unknown>;
}

/** One graded test. */
export interface SuiteTest {
  /** Stable id within the suite, e.g. `"forward-stride"`; part of the test's seed. */
  readonly id: string;
  /** Name shown in reports, encoding the configuration, e.g. `"conv2dForward: stride 2-3, no padding"`. */
  readonly name: string;
  /** Points for passing. */
  readonly points: number;
  /**
   * When the student sees the test on Gradescope (default `visible`); other writers show every
   * test. `hidden` tests still count.
   */
  readonly visibility?: Visibility;
  /** Runs the test; never throws for anything the submission does. */
  run(ctx: TestContext): Promise<TestOutcome>;
}

/** The tests of one exercise. */
export interface Suite {
  /** The exercise folder name, e.g. `"02-convolution"`. */
  readonly id: string;
  /** Human title, e.g. `"Convolution"`. */
  readonly title: string;
  /** Module files the tests call into, relative to the exercise folder, e.g. `["conv.ts"]`. */
  readonly modules: readonly string[];
  readonly tests: readonly SuiteTest[];
  /**
   * Exports of `@dlkata/tensor` the exercise asks students to write themselves: a submission
   * that imports one gets a stand-in that throws, and the tests that reach it fail with a
   * message saying so. Default: every name the exercise's modules export that `@dlkata/tensor`
   * also exports. (`@dlkata/layers`, the reference, is never usable.)
   */
  readonly forbiddenImports?: readonly string[];
}

/** A failure status: everything but `passed`. */
export type FailureStatus = Exclude<TestStatus, 'passed'>;

/**
 * Thrown inside a test to end a case with a status and feedback. `fatal` failures (timeouts,
 * crashes, TODO stubs, missing exports) end the whole test at once, without shrinking: every
 * further case would fail the same way, slowly.
 */
export class TestFailure extends Error {
  /**
   * @param status - how the test ends
   * @param message - the feedback shown to the student
   * @param fatal - stop the test now (no more cases, no shrinking)
   */
  constructor(
    readonly status: FailureStatus,
    message: string,
    readonly fatal = false,
  ) {
    super(message);
    this.name = 'TestFailure';
  }
}
