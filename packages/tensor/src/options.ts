/**
 * One check for every options object that crosses a public boundary: an unknown key is an
 * error that names it and the accepted keys, never silently ignored (a silently ignored
 * `groups: 2` or `bias: false` gives wrong results that look right).
 *
 * @module
 */
import { ValueError } from './errors.js';

/** Why some keys are refused: key -> a sentence shown after the error (e.g. what to do instead). */
export type Refusals = Readonly<Record<string, string>>;

/**
 * Options that other libraries accept and this one does not implement, with what to do
 * instead. {@link checkOptions} adds the sentence to its error when one of these keys appears.
 */
export const NOT_IMPLEMENTED: Refusals = Object.freeze({
  ceilMode: 'ceil mode (PyTorch ceil_mode=True) is not implemented here: pad the input so the windows fit, or give the spatial size explicitly',
  groups: 'grouped and depthwise convolutions (PyTorch groups) are not implemented here',
  paddingMode: "only zero padding is implemented (PyTorch padding_mode='zeros')",
  padding_mode: "only zero padding is implemented (PyTorch padding_mode='zeros')",
  ceil_mode: 'ceil mode (PyTorch ceil_mode=True) is not implemented here',
  countIncludePad: 'average pooling here always counts the padded zeros (PyTorch count_include_pad=True)',
  returnIndices: 'the cache of a pooling layer keeps what its backward pass needs; there are no separate indices',
});

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

/** Whether `key`, found on `value` by `for...in`, is outside `accepted` and the caller's: own, or inherited from a prototype other than `Object.prototype`. */
function foreignKey(value: object, key: string, accepted: readonly string[]): boolean {
  return !accepted.includes(key) && (Object.prototype.hasOwnProperty.call(value, key) || !(key in Object.prototype));
}

/**
 * Throws a `ValueError` if `value` is not a plain options object or has a key outside
 * `accepted`, its own or inherited from its prototype (keys every object inherits from an
 * enumerable addition to `Object.prototype` are not the caller's and pass). `undefined` passes
 * (options are usually optional). A passing check allocates nothing, so it can sit in inner
 * loops (GEMM checks its options on every call).
 *
 * @param op - the public function, e.g. `"conv2d"`
 * @param what - the argument's name, e.g. `"params"` or `"layer 3 (conv)"`
 * @param value - the options object
 * @param accepted - every key the function reads
 * @param refusals - explanations for keys that are known but not implemented (default {@link NOT_IMPLEMENTED})
 * @throws ValueError `"conv2d: unknown option groups in params (accepted: stride, pad, dilation): grouped and depthwise convolutions (PyTorch groups) are not implemented here"`
 * @example
 * ```ts
 * checkOptions('maxPool2d', 'params', { kernel: 2, ceilMode: true }, ['kernel', 'stride', 'pad']); // throws, naming ceilMode
 * ```
 */
export function checkOptions(op: string, what: string, value: unknown, accepted: readonly string[], refusals: Refusals = NOT_IMPLEMENTED): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValueError(op, `${what} must be an object { ${accepted.join(', ')} }, got ${describe(value)}`);
  }
  let found = false;
  for (const k in value) {
    if (foreignKey(value, k, accepted)) {
      found = true;
      break;
    }
  }
  if (!found) return;
  const unknown = Object.keys(value).filter((k) => !accepted.includes(k));
  if (unknown.length === 0) {
    const inherited: string[] = [];
    for (const k in value) if (foreignKey(value, k, accepted)) inherited.push(k);
    throw new ValueError(op, `unknown ${inherited.length === 1 ? 'option' : 'options'} ${inherited.join(', ')} in ${what}, inherited from its prototype (accepted: ${accepted.length ? accepted.join(', ') : 'none'})`);
  }
  const why = unknown.map((k) => refusals[k]).filter((s): s is string => s !== undefined);
  throw new ValueError(
    op,
    `unknown ${unknown.length === 1 ? 'option' : 'options'} ${unknown.join(', ')} in ${what} (accepted: ${accepted.length ? accepted.join(', ') : 'none'})${why.length ? `: ${why.join('; ')}` : ''}`,
  );
}

/**
 * The keys of an options type `T`, checked by the compiler to be complete: listing a key that
 * `T` does not have, or leaving one out, is a type error. Pass the result to {@link checkOptions}.
 *
 * @example
 * ```ts
 * interface Opts { lr: number; momentum?: number }
 * const OPTS = optionKeys<Opts>()('lr', 'momentum'); // ['lr', 'momentum']
 * // optionKeys<Opts>()('lr');                       // type error: momentum is missing
 * ```
 */
export function optionKeys<T>() {
  return <const K extends readonly (keyof T & string)[]>(...keys: K & ([Exclude<keyof T & string, K[number]>] extends [never] ? unknown : { readonly missing: Exclude<keyof T & string, K[number]> })): readonly (keyof T & string)[] =>
    keys;
}
