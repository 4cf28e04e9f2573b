/**
 * Checks of the numeric options the runs take.
 *
 * @module
 */
import { ValueError } from '@dlkata/tensor';

/** Throws `ValueError` naming `op` and `name` unless `v` is a finite number with `ok(v)`; `what` says what was expected. */
export function checkNumber(op: string, name: string, v: unknown, ok: (v: number) => boolean, what: string): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
    throw new ValueError(op, `${name} must be ${what}, got ${typeof v === 'number' ? v : v === null ? 'null' : typeof v}`);
  }
}
