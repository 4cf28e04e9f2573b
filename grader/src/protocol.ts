/**
 * The wire protocol between the trusted grader process (the parent) and the sandboxed child
 * that runs a submission, and the parent's validation of everything the child sends.
 *
 * Messages travel over a private channel (the child's file descriptor 3) as frames of
 * `sandbox/wire.ts`'s binary format, so a `Float64Array` arrives as a `Float64Array`. Nothing in a
 * message is trusted: the child runs student code, which can write anything at any time. The
 * parent therefore
 *
 * - decodes every frame with bounds, and accepts only the reply to the request it is waiting
 *   for (matching `id`); anything else stops the child and fails the pending test;
 * - rebuilds every tensor itself from `{ shape, data }` after checking the shape, the type and
 *   length of `data`, and (where asked) that every element is finite;
 * - never interprets the child's stdout or stderr.
 *
 * Values on the wire ({@link WireValue}):
 *
 * | value | encoding |
 * | --- | --- |
 * | a tensor | `{ $tensor: 1, shape: number[], data: Float64Array }` |
 * | an object kept in the child (e.g. a forward pass's `cache`) | `{ $handle: number }` |
 * | a function the child must build from a spec (exercise 01) | `{ $fn: FnSpec }` |
 * | numbers, strings, booleans, null, arrays, plain objects | themselves, recursively |
 *
 * This module has no Node imports: the child's runner is bundled with it.
 *
 * @module
 */
import { formatShape, shapeSize, Tensor, type Shape } from '@dlkata/tensor';
import type { FnSpec } from './fnspec.js';

/** A tensor on the wire: its shape and its row-major elements. */
export interface WireTensor {
  /** Marker; always 1. */
  readonly $tensor: 1;
  /** Sizes, outermost first. */
  readonly shape: readonly number[];
  /** Row-major elements; `data.length` is the product of `shape`. */
  readonly data: Float64Array;
}

/** A reference to an object that stays in the child's handle table (opaque to the parent). */
export interface WireHandle {
  /** Index in the child's handle table. */
  readonly $handle: number;
}

/** A function the child builds from a description (the parent cannot send code). */
export interface WireFn {
  /** What the function computes; see {@link FnSpec}. */
  readonly $fn: FnSpec;
}

/** Any value the protocol carries. */
export type WireValue =
  | WireTensor
  | WireHandle
  | WireFn
  | number
  | string
  | boolean
  | null
  | undefined
  | readonly WireValue[]
  | { readonly [key: string]: WireValue };

/** An error thrown in the child, as plain data. */
export interface WireError {
  /** `error.name`, e.g. `"TypeError"` or `"NotImplementedError"`. */
  readonly name: string;
  /** `error.message`. */
  readonly message: string;
  /** `error.stack`, when there is one. */
  readonly stack?: string;
}

/** Parent to child: call the export `fn` with `args`. */
export interface CallRequest {
  readonly type: 'call';
  /** Request id; the reply carries the same id. Ids are random (unguessable) and never reused. */
  readonly id: number;
  /** Name of the exported function. */
  readonly fn: string;
  /** Arguments, encoded. */
  readonly args: readonly WireValue[];
  /** Keys of the returned object to keep in the child and return as {@link WireHandle}s (e.g. `["cache"]`). */
  readonly keep?: readonly string[];
}

/** Every message the parent sends. */
export type ParentMessage = CallRequest;

/** Child to parent, once after start-up: every module imported, these exports found. */
export interface ReadyMessage {
  readonly type: 'ready';
  /** Export names per module file. */
  readonly exports: Readonly<Record<string, readonly string[]>>;
  /** Exports that are the very functions of `@dlkata/tensor` (re-exported instead of written). */
  readonly reexports: readonly string[];
}

/** Child to parent, instead of `ready`: a module threw while being imported. */
export interface ImportErrorMessage {
  readonly type: 'import-error';
  /** The module file that failed, e.g. `"conv.ts"`. */
  readonly module: string;
  readonly error: WireError;
}

/** Child to parent: the call `id` returned `value`. */
export interface ResultMessage {
  readonly type: 'result';
  readonly id: number;
  readonly value: WireValue;
}

/**
 * Child to parent: the call `id` did not return a value. `kind` says why: the student's code
 * threw (`threw`), the module has no such export (`missing-export`), or the runner could not
 * decode the arguments or encode the result (`protocol`).
 */
export interface CallErrorMessage {
  readonly type: 'error';
  readonly id: number;
  readonly kind: 'threw' | 'missing-export' | 'protocol';
  readonly error: WireError;
}

/** Every message a well-behaved child sends. */
export type ChildMessage = ReadyMessage | ImportErrorMessage | ResultMessage | CallErrorMessage;

/**
 * Exit code of a child whose runner could no longer write to the channel (the submission closed
 * or replaced its descriptor); the parent reports it as a lost channel.
 */
export const CHANNEL_LOST_EXIT_CODE = 75;

/** Largest number of elements the parent sends or accepts in one tensor. */
export const MAX_TENSOR_SIZE = 1 << 22;

/** Largest number of dimensions accepted in a tensor. */
export const MAX_NDIM = 8;

/** Thrown by the parent's validation when a value from the child is not what was asked for. */
export class InvalidOutputError extends Error {
  /**
   * @param message - what is wrong, naming the function and output, e.g.
   *   `"conv2dBackward: dx must be a Tensor, got a plain array of length 4"`
   */
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOutputError';
  }
}

/** True for a plain object (not an array, not null, not a typed array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** True when `v` is a {@link WireHandle}. */
export function isWireHandle(v: unknown): v is WireHandle {
  return isRecord(v) && typeof v.$handle === 'number' && Number.isInteger(v.$handle);
}

/** Encodes a tensor for the wire (copies the data, so later changes on either side do not leak). */
export function encodeTensor(t: Tensor): WireTensor {
  return { $tensor: 1, shape: [...t.shape], data: Float64Array.from(t.data) };
}

/**
 * Encodes a value for the wire: tensors become {@link WireTensor}s, arrays and plain objects
 * are encoded element by element, handles and function specs pass through.
 *
 * @throws TypeError for values the protocol cannot carry (functions, symbols, bigints, class instances)
 */
export function encodeValue(v: unknown): WireValue {
  if (v instanceof Tensor) return encodeTensor(v);
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(encodeValue);
  if (isRecord(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
    if (isWireHandle(v) || '$fn' in v) return v as WireValue;
    const out: Record<string, WireValue> = {};
    for (const [k, x] of Object.entries(v)) out[k] = encodeValue(x);
    return out;
  }
  throw new TypeError(`encodeValue: cannot send ${describeValue(v)}`);
}

/**
 * A short description of an untrusted value for feedback, without calling any of its code
 * (no `toString`, no getters): `"a plain array of length 4"`, `"an object with keys dx, dw"`.
 */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `a plain array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${Object.prototype.toString.call(v).slice(8, -1)}`;
  if (typeof v === 'object') {
    if ('$handle' in v) return 'an opaque object (kept in the sandbox)';
    const keys = Object.keys(v);
    if ('$unsupported' in v) return `a value the grader cannot read (${String((v as { $unsupported: unknown }).$unsupported).slice(0, 40)})`;
    if (keys.length === 0) return 'an empty object';
    const shown = keys.slice(0, 6).join(', ');
    return `an object with keys ${shown}${keys.length > 6 ? ', ...' : ''}`;
  }
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  return `a ${typeof v}`;
}

/** Options of {@link decodeTensor}. */
export interface DecodeTensorOptions {
  /** The shape the output must have; a different shape is an error. */
  readonly shape?: Shape;
  /** Reject NaN and infinite elements (default true). */
  readonly finite?: boolean;
}

/**
 * Validates an untrusted value received from the child and rebuilds it as a parent-side
 * {@link Tensor} (with a fresh copy of the data). This is the only way a number computed by a
 * submission enters a comparison.
 *
 * Checks, in order: a tensor record (`{ $tensor, shape, data }` from the runner); `shape` an
 * array of at most {@link MAX_NDIM} non-negative integers; `data` a `Float64Array` whose length
 * is the product of `shape`; the expected shape; every element finite.
 *
 * @param v - the value from the child
 * @param what - names the function and output for messages, e.g. `"conv2dForward: out"`
 * @returns a new Tensor owned by the parent
 * @throws InvalidOutputError naming `what` and the problem, e.g.
 *   `"conv2dForward: out has shape [2,3,4,4], expected [2,3,5,5]"`,
 *   `"maxPool2dBackward: dx contains NaN at [0,0,1,2]"`
 */
export function decodeTensor(v: unknown, what: string, opts: DecodeTensorOptions = {}): Tensor {
  if (!isRecord(v) || v.$tensor !== 1) {
    throw new InvalidOutputError(`${what} must be a Tensor${opts.shape ? ` of shape ${formatShape(opts.shape)}` : ''}, got ${describeValue(v)}`);
  }
  const { shape, data } = v;
  if (!Array.isArray(shape) || shape.length > MAX_NDIM || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
    throw new InvalidOutputError(`${what} has an invalid shape (${describeValue(shape)}); a shape is a list of non-negative integers`);
  }
  if (!(data instanceof Float64Array)) {
    throw new InvalidOutputError(`${what} must hold its numbers in a Float64Array, got ${describeValue(data)}`);
  }
  const n = shapeSize(shape);
  if (n > MAX_TENSOR_SIZE || data.length !== n) {
    throw new InvalidOutputError(`${what} has shape ${formatShape(shape)} (${n} elements) but ${data.length} numbers`);
  }
  if (opts.shape && (shape.length !== opts.shape.length || shape.some((d, i) => d !== opts.shape![i]))) {
    throw new InvalidOutputError(`${what} has shape ${formatShape(shape)}, expected ${formatShape(opts.shape)}`);
  }
  const t = new Tensor(Float64Array.from(data), shape);
  if (opts.finite ?? true) {
    for (let i = 0; i < t.size; i++) {
      if (!Number.isFinite(t.data[i])) throw new InvalidOutputError(`${what} contains ${t.data[i]} at [${t.unravel(i).join(',')}]`);
    }
  }
  return t;
}

/**
 * Reads one field of an untrusted returned object, e.g. `dx` of `{ dx, dw, db }`.
 *
 * @param v - the value from the child
 * @param key - the field to read
 * @param fn - the function that returned `v`, for messages
 * @throws InvalidOutputError `"conv2dBackward must return an object with db, got an object with keys dx, dw"`
 */
export function field(v: unknown, key: string, fn: string): unknown {
  if (!isRecord(v) || !Object.prototype.hasOwnProperty.call(v, key) || v[key] === undefined) {
    throw new InvalidOutputError(`${fn} must return an object with ${key}, got ${describeValue(v)}`);
  }
  return v[key];
}

/**
 * Validates an untrusted number.
 *
 * @throws InvalidOutputError unless `v` is a finite number (and an integer if `integer` is set)
 */
export function decodeNumber(v: unknown, what: string, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidOutputError(`${what} must be a finite number, got ${describeValue(v)}`);
  if (integer && !Number.isInteger(v)) throw new InvalidOutputError(`${what} must be an integer, got ${v}`);
  return v;
}

function isWireError(v: unknown): v is WireError {
  return isRecord(v) && typeof v.name === 'string' && typeof v.message === 'string' && (v.stack === undefined || typeof v.stack === 'string');
}

/**
 * Checks that an untrusted IPC message has the structure of a {@link ChildMessage}. Whether it
 * is expected (a reply to a pending request) is the caller's decision.
 *
 * @returns the message, typed, or `null` if it is malformed
 */
export function parseChildMessage(m: unknown): ChildMessage | null {
  if (!isRecord(m) || typeof m.type !== 'string') return null;
  switch (m.type) {
    case 'ready':
      if (!isRecord(m.exports) || !Array.isArray(m.reexports) || !m.reexports.every((x) => typeof x === 'string')) return null;
      for (const names of Object.values(m.exports)) {
        if (!Array.isArray(names) || !names.every((x) => typeof x === 'string')) return null;
      }
      return m as unknown as ReadyMessage;
    case 'import-error':
      return typeof m.module === 'string' && isWireError(m.error) ? (m as unknown as ImportErrorMessage) : null;
    case 'result':
      return typeof m.id === 'number' && Number.isInteger(m.id) && 'value' in m ? (m as unknown as ResultMessage) : null;
    case 'error':
      return typeof m.id === 'number' &&
        Number.isInteger(m.id) &&
        (m.kind === 'threw' || m.kind === 'missing-export' || m.kind === 'protocol') &&
        isWireError(m.error)
        ? (m as unknown as CallErrorMessage)
        : null;
    default:
      return null;
  }
}
