/**
 * What a hostile fixture is: a submission built from a real solution with one attack planted
 * in it, and the outcome the grader must produce. Placeholders in the planted code are filled in
 * when the fixture is built: `__REPO__` (the repository), `__CANARY__` (a folder the attack
 * tries to write into), `__PORT__` (a port on 127.0.0.1 where the test listens).
 */
import type { TestStatus } from '../../src/index.js';

/** Where the attack goes in a solution file. */
export interface Plant {
  /** File inside the exercise folder, e.g. `"pool.ts"`. */
  readonly file: string;
  /** Text that occurs exactly once in the solution file. */
  readonly find: string;
  /** What replaces it (usually the attack followed or preceded by `find`). */
  readonly replace: string;
}

/** A hostile submission and its expected outcome. */
export interface HostileFixture {
  /** Folder name of the submission. */
  readonly name: string;
  /** What the submission tries, in words. */
  readonly attack: string;
  /** The exercise it is built on (a copy of the solution with the plants). */
  readonly exercise: '01-gradient-check' | '03-pooling';
  readonly plants: readonly Plant[];
  /**
   * What the machine must enforce for the attack to be safe to run: `signals` needs a PID
   * namespace or an unprivileged child (else `process.kill(process.ppid)` would stop the test
   * run itself). Without it the fixture is skipped, and the README says what is then exposed.
   */
  readonly requires?: 'signals';
  /**
   * Extra files in the exercise folder (name -> content), replacing a file of the same name:
   * `symlink:<target>` makes a symbolic link, `hardlink:<target>` a hard link, `fifo:` a FIFO.
   */
  readonly files?: Readonly<Record<string, string>>;
  /** The outcome. */
  readonly expect: {
    /** Tests that get no points; every other test of the exercise keeps its points. */
    readonly lose: readonly string[] | 'all';
    /** The status of the lost tests (any of these). */
    readonly status?: readonly TestStatus[];
    /** Text each lost test's feedback contains (or matches). */
    readonly feedback?: readonly (string | RegExp)[];
    /** Text no feedback of the submission may contain (what the attack tried to smuggle out). */
    readonly notInFeedback?: readonly (string | RegExp)[];
  };
}

/** Anchors in the solutions where attacks are planted. */
export const AT = {
  gradientCheck: {
    file: 'gradient-check.ts',
    imports: "import { formatShape, ShapeError, shapesEqual, Tensor } from '@dlkata/tensor';",
    numgradStart: 'const dx = Tensor.zeros(x.shape);',
    numgradReturn: 'return dx;',
    relerrStart: 'let worst = 0;',
    relerrReturn: 'return worst;',
    top: 'export function numericalGradient(',
  },
  pooling: {
    file: 'pool.ts',
    imports: "import { assertFinite, assertNdim, assertShape, ShapeError, Tensor, ValueError } from '@dlkata/tensor';",
    forwardReturn: 'return { out, cache: { x, params: { kernel, stride } } };',
    backwardStart: 'const dx = Tensor.zeros(x.shape);',
    backwardReturn: 'return { dx };',
    top: 'export interface PoolParams {',
  },
} as const;

/** Plants `code` just before the anchor `find` of `file`. */
export function before(file: string, find: string, code: string): Plant {
  return { file, find, replace: `${code}\n${find}` };
}

/** Replaces the anchor `find` of `file` with `code`. */
export function instead(file: string, find: string, code: string): Plant {
  return { file, find, replace: code };
}
