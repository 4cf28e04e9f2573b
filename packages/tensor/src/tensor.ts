/**
 * The {@link Tensor}: a row-major `Float64Array` with a shape.
 *
 * @module
 */
import { ShapeError, ValueError } from './errors.js';
import { checkOptions, optionKeys } from './options.js';

/** A shape: one non-negative integer size per dimension, outermost first (row-major). */
export type Shape = readonly number[];

/** Nested arrays of numbers, as written in a test: `[[1, 2], [3, 4]]`. */
export type NestedArray = number | readonly NestedArray[];

/** Formats a shape the way error messages print it: `[2,3,8,8]` (no spaces; `[]` for a scalar). */
export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** Number of elements of a shape: the product of its sizes (1 for the scalar shape `[]`, 0 if a size is 0). */
export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** True when two shapes have the same number of dimensions and the same size in each. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(op, `every dimension must be a non-negative integer; got shape ${formatShape(shape)}`);
    }
  }
}

/** An integer index in `[0, size)` (the fast paths' test; NaN, fractions and negatives fail it). */
function inRange(i: number, size: number): boolean {
  return (i >>> 0) === i && i < size;
}

/**
 * An n-dimensional array of float64 numbers stored row-major (the last index varies
 * fastest), like a C-contiguous NumPy array or a PyTorch tensor.
 *
 * Images are NCHW: `[N, C, H, W]` = batch, channels, height, width (PyTorch's layout).
 *
 * A tensor does not copy on construction: `data` is used as given. Ops in dlkata return new
 * tensors and never modify their inputs unless their name says so.
 *
 * @example
 * ```ts
 * const x = Tensor.from([[1, 2, 3], [4, 5, 6]]); // shape [2, 3]
 * x.get(1, 2); // 6
 * ```
 */
export class Tensor {
  /** The elements, row-major. `data.length === size`. */
  readonly data: Float64Array;
  /** The size of each dimension, outermost first. */
  readonly shape: readonly number[];

  /**
   * @param data - elements in row-major order; not copied
   * @param shape - sizes; their product must equal `data.length`
   * @throws ShapeError if a size is negative or not an integer, or the sizes do not multiply to `data.length`
   */
  constructor(data: Float64Array, shape: Shape) {
    checkShape('Tensor', shape);
    const n = shapeSize(shape);
    if (n !== data.length) {
      throw new ShapeError('Tensor', `shape ${formatShape(shape)} needs ${n} elements but data has ${data.length}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  /**
   * A tensor of zeros.
   *
   * @throws ShapeError if a size is negative or not an integer: `"Tensor.zeros: every dimension must be a non-negative integer; got shape [-1]"`
   */
  static zeros(shape: Shape): Tensor {
    checkShape('Tensor.zeros', shape);
    return new Tensor(new Float64Array(shapeSize(shape)), shape);
  }

  /**
   * A tensor of ones.
   *
   * @throws ShapeError if a size is negative or not an integer
   */
  static ones(shape: Shape): Tensor {
    return Tensor.full(shape, 1);
  }

  /**
   * A tensor with every element equal to `value` (any number, NaN included).
   *
   * @throws ShapeError if a size is negative or not an integer
   */
  static full(shape: Shape, value: number): Tensor {
    checkShape('Tensor.full', shape);
    return new Tensor(new Float64Array(shapeSize(shape)).fill(value), shape);
  }

  /**
   * A tensor from nested arrays; the shape is read from the nesting.
   *
   * The shape is read along the first elements (`[]` gives shape `[0]`, `[[], []]` gives
   * `[2, 0]`); every other element must then match it. Values are copied.
   *
   * @param nested - a number (scalar, shape `[]`) or rectangular nested arrays
   * @throws ShapeError if the arrays are ragged, naming the first bad index:
   *   `"Tensor.from: ragged nested array: expected length 2 at index [1], got 1"` for `[[1, 2], [3]]`,
   *   `"Tensor.from: expected a number at index [1], got an array"` for `[1, [2]]`
   */
  static from(nested: NestedArray): Tensor {
    const shape: number[] = [];
    let level: NestedArray = nested;
    while (Array.isArray(level)) {
      shape.push(level.length);
      level = (level as readonly NestedArray[])[0] as NestedArray;
      if (level === undefined) break;
    }
    const data = new Float64Array(shapeSize(shape));
    let k = 0;
    const walk = (v: NestedArray, depth: number, path: number[]): void => {
      if (depth === shape.length) {
        if (typeof v !== 'number') {
          throw new ShapeError('Tensor.from', `expected a number at index [${path.join(',')}], got ${Array.isArray(v) ? 'an array' : typeof v}`);
        }
        data[k++] = v;
        return;
      }
      if (!Array.isArray(v) || v.length !== shape[depth]) {
        throw new ShapeError(
          'Tensor.from',
          `ragged nested array: expected length ${shape[depth]} at index [${path.join(',')}], got ${Array.isArray(v) ? v.length : typeof v}`,
        );
      }
      (v as readonly NestedArray[]).forEach((child, i) => walk(child, depth + 1, [...path, i]));
    };
    walk(nested, 0, []);
    return new Tensor(data, shape);
  }

  /**
   * A tensor from a flat list of numbers (copied), 1-D `[values.length]` unless `shape` is given.
   *
   * @param values - elements in row-major order
   * @param shape - optional shape; its sizes must multiply to `values.length`
   * @throws ShapeError if `shape` does not match the number of values
   */
  static fromArray(values: ArrayLike<number>, shape?: Shape): Tensor {
    return new Tensor(Float64Array.from(values), shape ?? [values.length]);
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Row-major strides in elements: `strides[i]` is the distance between neighbours along dimension i. */
  get strides(): number[] {
    const s = new Array<number>(this.shape.length);
    let acc = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= this.shape[i];
    }
    return s;
  }

  /**
   * Flat offset of a multi-index: `sum_i index[i] * strides[i]`, in `[0, size)`.
   *
   * @param index - one integer per dimension, `0 <= index[i] < shape[i]`
   * @throws ShapeError if the number of indices differs from `ndim`
   *   (`"Tensor.offset: expected 3 indices for shape [2,3,4], got 2"`) or one is out of range
   *   or not an integer (`"Tensor.offset: index [1,3,0] is out of range for shape [2,3,4]"`)
   */
  offset(...index: number[]): number;
  offset(): number {
    // Fixed-arity fast paths read `arguments` (no rest array is allocated per call); anything
    // else, including every invalid index, goes through the general path and its errors.
    const s = this.shape;
    const n = arguments.length;
    if (n === s.length) {
      if (n === 4) {
        const a: number = arguments[0], b: number = arguments[1], c: number = arguments[2], d: number = arguments[3];
        if (inRange(a, s[0]) && inRange(b, s[1]) && inRange(c, s[2]) && inRange(d, s[3])) return ((a * s[1] + b) * s[2] + c) * s[3] + d;
      } else if (n === 2) {
        const a: number = arguments[0], b: number = arguments[1];
        if (inRange(a, s[0]) && inRange(b, s[1])) return a * s[1] + b;
      } else if (n === 3) {
        const a: number = arguments[0], b: number = arguments[1], c: number = arguments[2];
        if (inRange(a, s[0]) && inRange(b, s[1]) && inRange(c, s[2])) return (a * s[1] + b) * s[2] + c;
      } else if (n === 1) {
        const a: number = arguments[0];
        if (inRange(a, s[0])) return a;
      }
    }
    return this.offsetOf(Array.prototype.slice.call(arguments) as number[]);
  }

  /** {@link Tensor.offset} of an index array: the general path, with the errors. */
  private offsetOf(index: readonly number[]): number {
    if (index.length !== this.shape.length) {
      throw new ShapeError('Tensor.offset', `expected ${this.shape.length} indices for shape ${formatShape(this.shape)}, got ${index.length}`);
    }
    let off = 0;
    for (let i = 0; i < index.length; i++) {
      const v = index[i];
      if (!Number.isInteger(v) || v < 0 || v >= this.shape[i]) {
        throw new ShapeError('Tensor.offset', `index [${index.join(',')}] is out of range for shape ${formatShape(this.shape)}`);
      }
      off = off * this.shape[i] + v;
    }
    return off;
  }

  /**
   * Multi-index of a flat offset (inverse of {@link Tensor.offset}).
   *
   * @param offset - an integer in `[0, size)`; not range-checked (out-of-range offsets wrap
   *   around in every dimension but the first)
   * @returns `ndim` indices
   */
  unravel(offset: number): number[] {
    const idx = new Array<number>(this.shape.length);
    let r = offset;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      const d = this.shape[i];
      idx[i] = d === 0 ? 0 : r % d;
      r = d === 0 ? 0 : Math.floor(r / d);
    }
    return idx;
  }

  /**
   * The element at a multi-index, e.g. `x.get(n, c, h, w)`.
   *
   * @throws ShapeError as {@link Tensor.offset} does for a bad index
   */
  get(...index: number[]): number;
  get(): number {
    const s = this.shape;
    const n = arguments.length;
    if (n === s.length) {
      if (n === 4) {
        const a: number = arguments[0], b: number = arguments[1], c: number = arguments[2], d: number = arguments[3];
        if (inRange(a, s[0]) && inRange(b, s[1]) && inRange(c, s[2]) && inRange(d, s[3])) return this.data[((a * s[1] + b) * s[2] + c) * s[3] + d];
      } else if (n === 2) {
        const a: number = arguments[0], b: number = arguments[1];
        if (inRange(a, s[0]) && inRange(b, s[1])) return this.data[a * s[1] + b];
      } else if (n === 3) {
        const a: number = arguments[0], b: number = arguments[1], c: number = arguments[2];
        if (inRange(a, s[0]) && inRange(b, s[1]) && inRange(c, s[2])) return this.data[(a * s[1] + b) * s[2] + c];
      } else if (n === 1) {
        const a: number = arguments[0];
        if (inRange(a, s[0])) return this.data[a];
      }
    }
    return this.data[this.offsetOf(Array.prototype.slice.call(arguments) as number[])];
  }

  /**
   * Sets the element at a multi-index in place: `x.set(value, n, c, h, w)`.
   *
   * @throws ShapeError as {@link Tensor.offset} does for a bad index
   */
  set(value: number, ...index: number[]): void;
  set(value: number): void {
    const s = this.shape;
    const n = arguments.length - 1;
    if (n === s.length) {
      if (n === 4) {
        const a: number = arguments[1], b: number = arguments[2], c: number = arguments[3], d: number = arguments[4];
        if (inRange(a, s[0]) && inRange(b, s[1]) && inRange(c, s[2]) && inRange(d, s[3])) {
          this.data[((a * s[1] + b) * s[2] + c) * s[3] + d] = value;
          return;
        }
      } else if (n === 2) {
        const a: number = arguments[1], b: number = arguments[2];
        if (inRange(a, s[0]) && inRange(b, s[1])) {
          this.data[a * s[1] + b] = value;
          return;
        }
      } else if (n === 3) {
        const a: number = arguments[1], b: number = arguments[2], c: number = arguments[3];
        if (inRange(a, s[0]) && inRange(b, s[1]) && inRange(c, s[2])) {
          this.data[(a * s[1] + b) * s[2] + c] = value;
          return;
        }
      } else if (n === 1) {
        const a: number = arguments[1];
        if (inRange(a, s[0])) {
          this.data[a] = value;
          return;
        }
      }
    }
    this.data[this.offsetOf(Array.prototype.slice.call(arguments, 1) as number[])] = value;
  }

  /**
   * The same elements with another shape; shares `data` (no copy), like a contiguous view.
   *
   * One dimension may be `-1` and is inferred, as in NumPy and PyTorch.
   *
   * @example
   * ```ts
   * Tensor.zeros([2, 3, 4]).reshape([-1, 4]).shape; // [6, 4]
   * ```
   * @throws ShapeError if the sizes do not match, a size is negative other than one `-1`, or
   *   `-1` cannot be inferred: `"reshape: cannot reshape [2,3,4] (24 elements) to [5,-1]"`
   */
  reshape(shape: Shape): Tensor {
    const s = [...shape];
    const inferred = s.indexOf(-1);
    if (inferred >= 0) {
      const rest = s.reduce((a, d, i) => (i === inferred ? a : a * d), 1);
      if (rest === 0 || this.size % rest !== 0) {
        throw new ShapeError('reshape', `cannot reshape ${formatShape(this.shape)} (${this.size} elements) to ${formatShape(shape)}`);
      }
      s[inferred] = this.size / rest;
    }
    checkShape('reshape', s);
    if (shapeSize(s) !== this.size) {
      throw new ShapeError('reshape', `cannot reshape ${formatShape(this.shape)} (${this.size} elements) to ${formatShape(shape)}`);
    }
    return new Tensor(this.data, s);
  }

  /** A deep copy. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** A new tensor of the same shape with `fn(value, flatIndex)` applied to every element. */
  map(fn: (v: number, i: number) => number): Tensor {
    const out = new Float64Array(this.size);
    for (let i = 0; i < out.length; i++) out[i] = fn(this.data[i], i);
    return new Tensor(out, this.shape);
  }

  /** Nested plain arrays with the tensor's shape (a number for shape `[]`); inverse of {@link Tensor.from}. */
  toArray(): NestedArray {
    const build = (depth: number, off: number): NestedArray => {
      if (depth === this.shape.length) return this.data[off];
      const stride = shapeSize(this.shape.slice(depth + 1));
      return Array.from({ length: this.shape[depth] }, (_, i) => build(depth + 1, off + i * stride));
    };
    return build(0, 0);
  }

  /** `Tensor[2,3] [1, 2, 3, 4, 5, 6]`: the shape, then at most 64 values to 6 significant digits, on one line. */
  toString(): string {
    const vals = Array.from(this.data.subarray(0, 64), (v) => Number(v.toPrecision(6)));
    return `Tensor${formatShape(this.shape)} [${vals.join(', ')}${this.size > 64 ? ', ...' : ''}]`;
  }

  /**
   * The tensor laid out like NumPy prints an array: nested brackets, one row per line, columns
   * aligned, large tensors elided in the middle. See {@link formatTensor} for the options.
   *
   * @example
   * ```ts
   * Tensor.from([[1, -2.5], [3, 4]]).format();
   * // Tensor([[ 1. , -2.5],
   * //         [ 3. ,  4. ]], shape=[2,2])
   * ```
   */
  format(options: FormatOptions = {}): string {
    return formatTensor(this, options);
  }

  /** `console.log(t)` and `util.inspect(t)` print {@link Tensor.format}'s layout. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return formatTensor(this);
  }
}

/** Options of {@link formatTensor}; the defaults are NumPy's (`np.set_printoptions`). */
export interface FormatOptions {
  /** Digits after the decimal point, at most (trailing zeros are dropped). Default 4. */
  readonly precision?: number;
  /** Elide when the tensor has more elements than this. Default 1000 (NumPy's `threshold`). */
  readonly threshold?: number;
  /** When eliding, items kept at each end of every dimension. Default 3 (NumPy's `edgeitems`). */
  readonly edgeItems?: number;
  /** Rows longer than this many characters wrap. Default 75 (NumPy's `linewidth`). */
  readonly lineWidth?: number;
  /** Text before the opening bracket; continuation lines are indented to match. Default `"Tensor("`. */
  readonly prefix?: string;
  /** Text after the closing bracket. Default `", shape=[...])"` when the prefix is the default, else `""`. */
  readonly suffix?: string;
}

const ELLIPSIS = '...';
const FORMAT_KEYS = optionKeys<FormatOptions>()('precision', 'threshold', 'edgeItems', 'lineWidth', 'prefix', 'suffix');

/**
 * Lays a tensor out the way NumPy prints an array (`numpy.array2string`): nested brackets,
 * one innermost row per line, every element right-aligned to one width, a blank line
 * between 2-D blocks, and, for tensors larger than `threshold`, only `edgeItems` items at
 * each end of each dimension with `...` between.
 *
 * Number style, chosen once for the whole tensor (like NumPy): integers as `3.`; if the
 * largest magnitude is in [1e-3, 1e8), fixed point with up to `precision` decimals (trailing
 * zeros dropped, decimal points aligned); else scientific notation (`1.2346e-05`).
 * NaN and infinities print as `nan`, `inf`, `-inf`.
 *
 * @param t - the tensor (any shape, including `[]` and shapes with a 0)
 * @param options - see {@link FormatOptions}
 * @returns the text, several lines for a tensor of 2 or more dimensions
 * @throws ValueError if `precision` is not an integer in [0, 16], `edgeItems` is not a positive integer, or
 *   `options` has a key not listed in {@link FormatOptions}
 * @see https://numpy.org/doc/stable/reference/generated/numpy.array2string.html
 */
export function formatTensor(t: Tensor, options: FormatOptions = {}): string {
  checkOptions('formatTensor', 'options', options, FORMAT_KEYS);
  const precision = options.precision ?? 4;
  const threshold = options.threshold ?? 1000;
  const edge = options.edgeItems ?? 3;
  const lineWidth = options.lineWidth ?? 75;
  const prefix = options.prefix ?? 'Tensor(';
  const suffix = options.suffix ?? (options.prefix === undefined ? `, shape=${formatShape(t.shape)})` : '');
  if (!Number.isInteger(precision) || precision < 0 || precision > 16) {
    throw new ValueError('formatTensor', `precision must be an integer in [0, 16], got ${precision}`);
  }
  if (!Number.isInteger(edge) || edge < 1) throw new ValueError('formatTensor', `edgeItems must be a positive integer, got ${edge}`);
  const summarize = t.size > threshold;
  const shape = t.shape;
  if (t.size === 0) return `${prefix}[]${suffix}`;

  // Which indices are shown along each dimension (-1 marks the "..." gap).
  const shown = shape.map((d) => (summarize && d > 2 * edge ? [...range(0, edge), -1, ...range(d - edge, d)] : range(0, d)));
  const strides = shape.map((_, i) => shapeSize(shape.slice(i + 1)));
  const values: number[] = [];
  const collect = (depth: number, off: number): void => {
    if (depth === shape.length) {
      values.push(t.data[off]);
      return;
    }
    for (const i of shown[depth]) if (i >= 0) collect(depth + 1, off + i * strides[depth]);
  };
  collect(0, 0);
  const fmt = numberFormatter(values, precision);
  const width = Math.max(...values.map((v) => fmt(v).length));
  const pad = (s: string): string => s.padStart(width);
  const indentOf = (depth: number): string => ' '.repeat(prefix.length + depth + 1);

  const render = (depth: number, off: number): string => {
    const idx = shown[depth];
    if (depth === shape.length - 1) {
      const items = idx.map((i) => (i < 0 ? ELLIPSIS : pad(fmt(t.data[off + i]))));
      return `[${wrap(items, indentOf(depth), lineWidth - 1)}]`;
    }
    const sep = `,${'\n'.repeat(shape.length - depth - 1)}${indentOf(depth)}`;
    const parts = idx.map((i) => (i < 0 ? ELLIPSIS : render(depth + 1, off + i * strides[depth])));
    return `[${parts.join(sep)}]`;
  };
  const body = shape.length === 0 ? fmt(t.data[0]) : render(0, 0);
  return `${prefix}${body}${suffix}`;
}

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}

/** Joins row items with `, `, breaking lines before an item that would pass `width` (first line included). */
function wrap(items: string[], indent: string, width: number): string {
  let out = '';
  let line = indent.length;
  items.forEach((item, i) => {
    const piece = i === 0 ? item : `, ${item}`;
    if (i > 0 && line + piece.length > width) {
      out += `,\n${indent}${item}`;
      line = indent.length + item.length;
    } else {
      out += piece;
      line += piece.length;
    }
  });
  return out;
}

/** One number style for all shown values (NumPy's `FloatingFormat` in its default `maxprec` mode, simplified). */
function numberFormatter(values: readonly number[], precision: number): (v: number) => string {
  const finite = values.filter((v) => Number.isFinite(v));
  const special = (v: number): string | undefined => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : undefined);
  if (finite.every((v) => Number.isInteger(v)) && finite.every((v) => Math.abs(v) < 1e8)) {
    return (v) => special(v) ?? `${Object.is(v, -0) ? '-0' : v.toFixed(0)}.`;
  }
  const abs = finite.map(Math.abs).filter((v) => v > 0);
  const max = abs.length ? Math.max(...abs) : 0;
  if (max >= 1e8 || (max > 0 && max < 1e-3)) {
    // Scientific: as many mantissa digits as the most precise value needs, at most `precision`.
    const digits = Math.max(0, ...finite.map((v) => trimZeros(v.toExponential(precision).split('e')[0]).split('.')[1]?.length ?? 0));
    return (v) => special(v) ?? v.toExponential(digits).replace(/e([+-])(\d)$/, 'e$10$2');
  }
  // Fixed point: drop trailing zeros, then pad each value's fraction to the longest one.
  const fracLen = Math.max(0, ...finite.map((v) => trimZeros(v.toFixed(precision)).split('.')[1]?.length ?? 0));
  return (v) => {
    const s = special(v);
    if (s !== undefined) return s;
    const [int, frac = ''] = trimZeros(v.toFixed(precision)).split('.');
    return `${int}.${frac.padEnd(fracLen)}`;
  };
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '') : s;
}

/** Shorthand for {@link Tensor.from}. @throws ShapeError for ragged arrays */
export function tensor(nested: NestedArray): Tensor {
  return Tensor.from(nested);
}

/**
 * Throws unless `t` is a {@link Tensor} with exactly `ndim` dimensions.
 *
 * @param op - op name for the message
 * @param name - argument name for the message, e.g. `"x"`
 * @param t - the value to check (anything: inputs may be untrusted)
 * @param ndim - required number of dimensions
 * @param dims - legend used in the message, e.g. `"[N, C, H, W]"`
 * @throws ShapeError `"conv2d: x must be 4-D [N, C, H, W], got [3,8,8]"`, or
 *   `"conv2d: x must be a Tensor, got object"` for anything that is not a Tensor
 */
export function assertNdim(op: string, name: string, t: Tensor, ndim: number, dims?: string): void {
  if (!(t instanceof Tensor)) {
    throw new ShapeError(op, `${name} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  }
  if (t.ndim !== ndim) {
    throw new ShapeError(op, `${name} must be ${ndim}-D${dims ? ` ${dims}` : ''}, got ${formatShape(t.shape)}`);
  }
}

/**
 * Throws unless `t` is a {@link Tensor} of exactly the given shape.
 *
 * @throws ShapeError `"conv2dBackward: dout must have shape [2,4,8,8], got [2,4,7,7]"`, or
 *   `"... must be a Tensor, got ..."` for anything that is not a Tensor
 */
export function assertShape(op: string, name: string, t: Tensor, shape: Shape): void {
  if (!(t instanceof Tensor)) {
    throw new ShapeError(op, `${name} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  }
  if (!shapesEqual(t.shape, shape)) {
    throw new ShapeError(op, `${name} must have shape ${formatShape(shape)}, got ${formatShape(t.shape)}`);
  }
}

/**
 * Throws if any element is NaN or infinite, naming the first bad index.
 *
 * @throws ValueError `"conv2d: x contains NaN at [0,1,2,3]"`
 */
export function assertFinite(op: string, name: string, t: Tensor): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      throw new ValueError(op, `${name} contains ${d[i]} at [${t.unravel(i).join(',')}]`);
    }
  }
}
