/**
 * An exercise sandbox: the parent's handle on "the submission's exercise, running in a
 * sandbox". It keeps one child alive across tests, replaces it after a timeout or crash, and
 * maps every way a call can end to a value or a {@link TestFailure} with feedback.
 *
 * @module
 */
import path from 'node:path';
import type { ReadyMessage, WireError } from './protocol.js';
import { FORBIDDEN_IMPORT_ERROR } from './sandbox/bundle.js';
import { OutputLog, Sandbox, type StartOutcome } from './sandbox/sandbox.js';
import { TestFailure } from './suites/types.js';

/** Options of an {@link ExerciseSandbox}. */
export interface ExerciseSandboxOptions {
  /** Wall-clock limit per call, ms. */
  readonly timeoutMs: number;
  /**
   * Wall-clock budget of the whole exercise, ms: start-ups and calls together, counted from the
   * first start. Once spent, the child is killed and every further call fails with
   * {@link budgetMessage}. Default: no budget.
   */
  readonly budgetMs?: number;
}

/** Seconds, for a message: `"120 s"`, `"2.5 s"`. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/**
 * The feedback of a test stopped or left out because the exercise spent its wall-clock budget.
 *
 * @param budgetMs - the exercise's budget
 * @param timeoutMs - the per-call limit
 */
export function budgetMessage(budgetMs: number, timeoutMs: number): string {
  return (
    `the exercise took more than ${seconds(budgetMs)} in total (the grader's time budget per exercise); ` +
    `each call may have stayed under the per-call limit of ${timeoutMs} ms, but together they took too long, ` +
    `so the grader stopped the exercise and this test did not finish. Make the code faster (a sleep, a busy wait or needless work in every call adds up)`
  );
}

/**
 * The first `file:line:column` of a stack that lies in the submission, relative to its root:
 * `"02-convolution/conv.ts:41:13"`. Frames of the grader and of `@dlkata/tensor` are skipped.
 */
export function locateError(stack: string | undefined, submissionRoot: string): string | null {
  if (!stack) return null;
  const root = submissionRoot.endsWith(path.sep) ? submissionRoot : submissionRoot + path.sep;
  for (const line of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!m) continue;
    const file = m[1].replace(/^file:\/\//, '');
    if (file.startsWith(root)) return `${path.relative(submissionRoot, file).split(path.sep).join('/')}:${m[2]}:${m[3]}`;
  }
  return null;
}

/** True for the exercise stubs' `NotImplementedError` (its message starts with `TODO`). */
export function isTodo(error: WireError): boolean {
  return error.name === 'NotImplementedError' || /^TODO\b/.test(error.message);
}

/** The feedback of a TODO: `"TODO: <message> (not implemented yet)"`. */
export function todoText(error: WireError): string {
  const msg = error.message.startsWith('TODO') ? error.message : `TODO: ${error.message}`;
  return `${msg} (not implemented yet)`;
}

/** Turns a failed start-up into the failure every affected test reports. */
export function startFailure(o: Exclude<StartOutcome, { kind: 'ready' }>, submissionRoot: string): TestFailure {
  switch (o.kind) {
    case 'import-error': {
      if (isTodo(o.error)) return new TestFailure('todo', todoText(o.error), true);
      if (o.error.name === FORBIDDEN_IMPORT_ERROR) return new TestFailure('failed', `${o.module} could not be imported: ${o.error.message}`, true);
      const at = locateError(o.error.stack, submissionRoot);
      return new TestFailure('error', `${o.module} threw ${o.error.name} while being imported: ${o.error.message}${at ? ` (at ${at})` : ''}`, true);
    }
    case 'timeout':
      return new TestFailure('timeout', `importing the exercise's modules timed out after ${o.ms} ms`, true);
    case 'crashed':
      return new TestFailure('error', o.message, true);
  }
}

/**
 * One exercise of one submission, in a sandbox. Calls are serial.
 */
export class ExerciseSandbox {
  private sandbox: Sandbox | undefined;
  private ready: ReadyMessage | undefined;
  /** Children started so far (1 unless a timeout or crash forced a restart). */
  starts = 0;
  /** The exercise's stdout, over all its children: the first 64 KB kept, the rest counted. */
  readonly stdout = new OutputLog();
  /** The exercise's stderr, likewise. */
  readonly stderr = new OutputLog();
  /** When the budget runs out (`Date.now()` ms), set at the first start. */
  private deadline: number | undefined;

  /**
   * @param bundleFile - the exercise's bundle
   * @param submissionRoot - the submission folder, to show error locations relative to it
   * @param options - time limit per call
   */
  constructor(
    readonly bundleFile: string,
    readonly submissionRoot: string,
    readonly options: ExerciseSandboxOptions,
  ) {}

  /**
   * Starts a child if none is running.
   *
   * @returns null when ready, else the failure (import error, crash, time-out at import)
   */
  async ensureStarted(): Promise<TestFailure | null> {
    if (this.budgetSpent) {
      await this.close();
      return this.budgetFailure();
    }
    if (this.sandbox?.alive && this.ready) return null;
    await this.sandbox?.close();
    const { budgetMs, timeoutMs } = this.options;
    if (budgetMs !== undefined) this.deadline ??= Date.now() + budgetMs;
    const left = this.remainingMs();
    const startLimit = timeoutMs + 5000;
    this.sandbox = new Sandbox(this.bundleFile, { timeoutMs, startTimeoutMs: Math.max(1, Math.min(startLimit, left)), stdout: this.stdout, stderr: this.stderr });
    this.ready = undefined;
    this.starts++;
    const o = await this.sandbox.start();
    if (o.kind === 'timeout' && left < startLimit) {
      await this.close();
      return this.budgetFailure();
    }
    if (o.kind !== 'ready') return startFailure(o, this.submissionRoot);
    this.ready = o.ready;
    return null;
  }

  /**
   * Calls an export of the submission and returns its raw value.
   *
   * @throws TestFailure `todo` (stub), `error` (threw, crashed, exited, missing export),
   *   `timeout` (killed after the limit), `failed` (result could not be transferred, or the
   *   export is `@dlkata/tensor`'s own function re-exported)
   */
  async call(fn: string, args: readonly unknown[], keep?: readonly string[]): Promise<unknown> {
    const failure = await this.ensureStarted();
    if (failure) throw failure;
    if (this.ready!.reexports.includes(fn)) {
      throw new TestFailure('failed', `${fn} is @dlkata/tensor's own ${fn}, re-exported; the exercise asks you to write it yourself`, true);
    }
    const left = this.remainingMs();
    const o = await this.sandbox!.call(fn, args, keep, Math.min(this.options.timeoutMs, left));
    if (o.kind === 'timeout' && left < this.options.timeoutMs) {
      await this.close();
      throw this.budgetFailure();
    }
    switch (o.kind) {
      case 'ok':
        return o.value;
      case 'threw': {
        if (isTodo(o.error)) throw new TestFailure('todo', todoText(o.error), true);
        if (o.error.name === FORBIDDEN_IMPORT_ERROR) throw new TestFailure('failed', `${fn}: ${o.error.message}`, true);
        const at = locateError(o.error.stack, this.submissionRoot);
        throw new TestFailure('error', `${fn} threw ${o.error.name}: ${o.error.message}${at ? ` (at ${at})` : ''}`);
      }
      case 'missing-export':
        throw new TestFailure('error', `${o.message} (exports found: ${Object.values(this.ready!.exports).flat().join(', ') || 'none'})`, true);
      case 'protocol':
        throw new TestFailure('failed', `the grader could not read what ${fn} returned: ${o.message}`);
      case 'channel':
        throw new TestFailure('error', o.message, true);
      case 'timeout':
        throw new TestFailure('timeout', `timed out after ${o.ms} ms in ${fn}`, true);
      case 'crashed':
        throw new TestFailure('error', o.message, true);
    }
  }

  /** Ms left of the exercise's budget (Infinity without one, or before the first start). */
  remainingMs(): number {
    return this.deadline === undefined ? Infinity : Math.max(0, this.deadline - Date.now());
  }

  /** True once the exercise's budget is spent: no further call runs. */
  get budgetSpent(): boolean {
    return this.deadline !== undefined && Date.now() >= this.deadline;
  }

  /** The failure of a test stopped or left out for the spent budget (fatal). */
  budgetFailure(): TestFailure {
    return new TestFailure('timeout', budgetMessage(this.options.budgetMs ?? 0, this.options.timeoutMs), true);
  }

  /** Stops the child, if any. */
  async close(): Promise<void> {
    await this.sandbox?.close();
    this.sandbox = undefined;
  }
}
