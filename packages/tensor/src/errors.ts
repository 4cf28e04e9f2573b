/**
 * Errors thrown by dlkata. Every message names the op and the values involved, e.g.
 * `conv2d: input channels (3) must match filter channels (4); x [2,3,8,8], w [4,4,3,3]`.
 *
 * @module
 */

/**
 * A tensor has the wrong number of dimensions or a size that does not fit the op.
 *
 * @example
 * ```ts
 * throw new ShapeError('affine', 'x has 3 features but w expects 4; x [2,3], w [4,5]');
 * // message: "affine: x has 3 features but w expects 4; x [2,3], w [4,5]"
 * ```
 */
export class ShapeError extends Error {
  /** The op that rejected its input, e.g. `"conv2d"`. */
  readonly op: string;
  /**
   * @param op - name of the op, the first word of the message
   * @param detail - what is wrong, with the actual shapes
   */
  constructor(op: string, detail: string) {
    super(`${op}: ${detail}`);
    this.name = 'ShapeError';
    this.op = op;
  }
}

/**
 * A value is out of range: a stride of 0, a negative padding, a NaN in the data.
 */
export class ValueError extends Error {
  /** The op that rejected its input. */
  readonly op: string;
  /**
   * @param op - name of the op, the first word of the message
   * @param detail - what is wrong, with the actual values
   */
  constructor(op: string, detail: string) {
    super(`${op}: ${detail}`);
    this.name = 'ValueError';
    this.op = op;
  }
}

/**
 * Thrown by an exercise stub until the student writes the code. The message starts with
 * `TODO` and carries the task text from the solution's marked region.
 */
export class NotImplementedError extends Error {
  /**
   * @param todo - what the student has to do, e.g. `"conv2dForward: slide each filter over the padded input"`
   */
  constructor(todo: string) {
    super(`TODO: ${todo}`);
    this.name = 'NotImplementedError';
  }
}
