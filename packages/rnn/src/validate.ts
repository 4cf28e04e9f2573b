/**
 * Checks shared by the recurrent layers' public boundaries, and the small helpers that move
 * one time step in and out of a `[N, T, ...]` tensor. Internal: not re-exported from the package.
 *
 * @module
 * @internal
 */
import { assertFinite, assertNdim, formatShape, ShapeError, Tensor, ValueError } from '@dlkata/tensor';

/**
 * Throws unless `cache` is an object carrying every key a backward pass reads, so that passing
 * the wrong thing (`undefined`, the forward's output, another layer's cache) fails with a message
 * that names the op instead of a `TypeError` deep inside a loop.
 *
 * @throws ValueError `"rnnStepBackward: cache must be the cache returned by rnnStepForward (missing nextH), got an object"`
 */
export function assertCache(op: string, cache: unknown, keys: readonly string[], from: string): void {
  if (cache === null || typeof cache !== 'object') {
    throw new ValueError(op, `cache must be the cache returned by ${from}, got ${cache === null ? 'null' : typeof cache}`);
  }
  const missing = keys.filter((k) => !(k in cache));
  if (missing.length > 0) {
    throw new ValueError(op, `cache must be the cache returned by ${from} (missing ${missing.join(', ')}), got an object`);
  }
}

/** Sizes of one recurrent step: batch, input features, hidden units. */
export interface StepDims {
  readonly N: number;
  readonly D: number;
  readonly H: number;
}

/**
 * Validates the operands of a recurrent step or sequence before any work: dimensions, matching
 * sizes, at least one example / feature / hidden unit, finite values.
 *
 * @param op - op name for the messages
 * @param sequence - true if `x` is a sequence `[N, T, D]`, false for one step `[N, D]`
 * @param x - `[N, D]` (step) or `[N, T, D]` (sequence)
 * @param h - previous hidden state `[N, H]`; the hidden size H is read from it
 * @param Wx - `[D, G*H]`
 * @param Wh - `[H, G*H]`
 * @param b - `[G*H]`
 * @param gates - G: 1 for a vanilla RNN, 4 for an LSTM
 * @param hName - name of `h` in messages (`prevH` or `h0`)
 * @param extra - further `[N, H]` states to check the same way (an LSTM's `prevC` / `c0`)
 */
export function checkRecurrentOperands(
  op: string,
  sequence: boolean,
  x: Tensor,
  h: Tensor,
  Wx: Tensor,
  Wh: Tensor,
  b: Tensor,
  gates: 1 | 4,
  hName: string,
  extra: ReadonlyArray<readonly [string, Tensor]> = [],
): StepDims & { readonly T: number } {
  if (sequence) assertNdim(op, 'x', x, 3, '[N, T, D]');
  else assertNdim(op, 'x', x, 2, '[N, D]');
  assertNdim(op, hName, h, 2, '[N, H]');
  const G = gates === 1 ? 'H' : '4H';
  assertNdim(op, 'Wx', Wx, 2, `[D, ${G}]`);
  assertNdim(op, 'Wh', Wh, 2, `[H, ${G}]`);
  assertNdim(op, 'b', b, 1, `[${G}]`);
  const N = x.shape[0];
  const T = sequence ? x.shape[1] : 1;
  const D = x.shape[x.ndim - 1];
  const xs = `x ${formatShape(x.shape)}`;
  if (N < 1) throw new ShapeError(op, `x must have at least one example (N >= 1), got ${xs}`);
  if (T < 1) throw new ShapeError(op, `x must have at least one time step (T >= 1), got ${xs}`);
  if (D < 1) throw new ShapeError(op, `x must have at least one input feature (D >= 1), got ${xs}`);
  const [hN, H] = h.shape;
  const hs = `${hName} ${formatShape(h.shape)}`;
  if (hN !== N) throw new ShapeError(op, `${hName} has ${hN} rows but x has N = ${N} examples; ${xs}, ${hs}`);
  if (H < 1) throw new ShapeError(op, `hidden size H must be at least 1, got ${hs}`);
  for (const [name, s] of extra) {
    assertNdim(op, name, s, 2, '[N, H]');
    if (s.shape[0] !== N || s.shape[1] !== H) {
      throw new ShapeError(op, `${name} must have shape [N, H] = ${formatShape([N, H])} like ${hName}, got ${formatShape(s.shape)}`);
    }
  }
  const GH = gates * H;
  const hidden = `hidden size H = ${H} (from ${hs})`;
  const gateNote = gates === 4 ? ', 4H gate columns in the order i, f, g, o' : '';
  if (Wx.shape[0] !== D || Wx.shape[1] !== GH) {
    throw new ShapeError(op, `Wx must be [D, ${G}] = ${formatShape([D, GH])} for D = ${D} (from ${xs}) and ${hidden}${gateNote}, got ${formatShape(Wx.shape)}`);
  }
  if (Wh.shape[0] !== H || Wh.shape[1] !== GH) {
    throw new ShapeError(op, `Wh must be [H, ${G}] = ${formatShape([H, GH])} for ${hidden}${gateNote}, got ${formatShape(Wh.shape)}`);
  }
  if (b.shape[0] !== GH) {
    throw new ShapeError(op, `b must be [${G}] = ${formatShape([GH])} for ${hidden}${gateNote}, got ${formatShape(b.shape)}`);
  }
  assertFinite(op, 'x', x);
  assertFinite(op, hName, h);
  for (const [name, s] of extra) assertFinite(op, name, s);
  assertFinite(op, 'Wx', Wx);
  assertFinite(op, 'Wh', Wh);
  assertFinite(op, 'b', b);
  return { N, T, D, H };
}

/**
 * Throws unless `t` is a finite tensor of exactly `shape`; the upstream-gradient check of every
 * backward pass.
 *
 * @throws ShapeError `"rnnBackward: dh must have shape [2,5,4], got [2,4,4]"`
 * @throws ValueError `"rnnBackward: dh contains NaN at [0,1,2]"`
 */
export function checkUpstream(op: string, name: string, t: Tensor, shape: readonly number[]): void {
  if (!(t instanceof Tensor)) throw new ShapeError(op, `${name} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (t.ndim !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(op, `${name} must have shape ${formatShape(shape)}, got ${formatShape(t.shape)}`);
  }
  assertFinite(op, name, t);
}

/** Copies time step `t` of `seq` `[N, T, F]` into a new `[N, F]` tensor. */
export function timeStep(seq: Tensor, t: number): Tensor {
  const [N, T, F] = seq.shape;
  const out = new Float64Array(N * F);
  for (let n = 0; n < N; n++) out.set(seq.data.subarray((n * T + t) * F, (n * T + t + 1) * F), n * F);
  return new Tensor(out, [N, F]);
}

/** Writes `step` `[N, F]` into time step `t` of `seq` `[N, T, F]`, in place. */
export function setTimeStep(seq: Tensor, t: number, step: Tensor): void {
  const [N, T, F] = seq.shape;
  for (let n = 0; n < N; n++) seq.data.set(step.data.subarray(n * F, (n + 1) * F), (n * T + t) * F);
}

/** `acc += t`, elementwise, in place (same sizes, unchecked). */
export function addInto(acc: Tensor, t: Tensor): void {
  const a = acc.data;
  const d = t.data;
  for (let i = 0; i < a.length; i++) a[i] += d[i];
}

/**
 * Throws unless `v` is a finite number satisfying `ok`, naming the op, the argument and the value.
 *
 * @throws ValueError `"clipGradNorm: maxNorm must be a finite number > 0, got 0"`
 */
export function checkNumber(op: string, name: string, v: unknown, ok: (v: number) => boolean, what: string): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
    throw new ValueError(op, `${name} must be ${what}, got ${typeof v === 'number' ? v : v === null ? 'null' : typeof v}`);
  }
}

/**
 * Integer token ids of shape `(N, T)`: N rows of T ids (`number[][]`, `Int32Array[]`), or a flat
 * row-major array with its shape (`{ data: Int32Array, shape: [N, T] }`; a `[N, T]` Tensor of
 * integral values qualifies).
 */
export type IdGrid = ReadonlyArray<ArrayLike<number>> | { readonly data: ArrayLike<number>; readonly shape: readonly number[] };

/**
 * A mask of shape `(N, T)`: booleans or the numbers 0 and 1, as rows or as `{ data, shape }`
 * (see {@link IdGrid}).
 */
export type MaskGrid = ReadonlyArray<ArrayLike<number | boolean>> | { readonly data: ArrayLike<number | boolean>; readonly shape: readonly number[] };

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return `a flat ${v.constructor.name} of length ${(v as unknown as ArrayLike<unknown>).length}`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v;
}

/**
 * Reads an `(N, T)` grid of rows or `{ data, shape }` into a flat row-major list, checking that it
 * is rectangular, non-empty, and that every element passes `check` (which returns an error
 * detail, or null).
 */
function readGrid<V>(
  op: string,
  name: string,
  grid: unknown,
  what: string,
  check: (v: unknown) => string | null,
  convert: (v: unknown) => V,
): { N: number; T: number; values: V[] } {
  const usage = `${name} must be N rows of T ${what} (e.g. number[][] or Int32Array[]) or { data, shape: [N, T] }`;
  let N: number;
  let T: number;
  let at: (n: number, t: number) => unknown;
  if (grid !== null && typeof grid === 'object' && !Array.isArray(grid) && !ArrayBuffer.isView(grid) && 'data' in grid && 'shape' in grid) {
    const { data, shape } = grid as { data: ArrayLike<unknown>; shape: readonly number[] };
    if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ShapeError(op, `${name}.shape must be [N, T], got ${Array.isArray(shape) ? formatShape(shape) : describeValue(shape)}`);
    }
    if (data === null || typeof data !== 'object' || typeof data.length !== 'number' || data.length !== shape[0] * shape[1]) {
      throw new ShapeError(op, `${name}.data must hold N * T = ${shape[0] * shape[1]} values for shape ${formatShape(shape)}, got ${describeValue(data)}`);
    }
    [N, T] = shape;
    at = (n, t) => data[n * T + t];
  } else if (Array.isArray(grid)) {
    N = grid.length;
    const row0 = grid[0] as unknown;
    if (N > 0 && (row0 === null || typeof row0 !== 'object' || typeof (row0 as ArrayLike<unknown>).length !== 'number')) {
      throw new ShapeError(op, `${usage}; ${name}[0] is ${describeValue(row0)}`);
    }
    T = N > 0 ? (row0 as ArrayLike<unknown>).length : 0;
    for (let n = 1; n < N; n++) {
      const row = grid[n] as unknown;
      if (row === null || typeof row !== 'object' || (row as ArrayLike<unknown>).length !== T) {
        throw new ShapeError(op, `${name} must be rectangular (N, T): ${name}[0] has ${T} entries but ${name}[${n}] is ${describeValue(row)}`);
      }
    }
    at = (n, t) => (grid[n] as ArrayLike<unknown>)[t];
  } else {
    throw new ShapeError(op, `${usage}, got ${describeValue(grid)}`);
  }
  if (N < 1) throw new ShapeError(op, `${name} must have at least one sequence (N >= 1), got N = ${N}, T = ${T}`);
  if (T < 1) throw new ShapeError(op, `${name} must have at least one time step (T >= 1), got N = ${N}, T = ${T}`);
  const values: V[] = new Array(N * T);
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < T; t++) {
      const v = at(n, t);
      const bad = check(v);
      if (bad !== null) throw new ValueError(op, `${name} at [${n},${t}] is ${bad}`);
      values[n * T + t] = convert(v);
    }
  }
  return { N, T, values };
}

/**
 * Reads token ids (see {@link IdGrid}) into a flat row-major list of integers.
 *
 * @throws ShapeError if the grid is not rectangular or has N = 0 or T = 0
 * @throws ValueError for an element that is not an integer: `"wordEmbedding: ids at [1,2] is 1.5, not an integer"`
 */
export function readIds(op: string, name: string, ids: unknown): { N: number; T: number; values: number[] } {
  return readGrid(
    op,
    name,
    ids,
    'integers',
    (v) => (typeof v === 'number' && Number.isInteger(v) ? null : `${typeof v === 'number' ? v : describeValue(v)}, not an integer`),
    (v) => v as number,
  );
}

/**
 * Reads a mask (see {@link MaskGrid}) into a flat row-major list of booleans.
 *
 * @throws ValueError for an element that is neither a boolean nor 0 or 1: `"temporalSoftmaxLoss: mask at [0,3] is 0.5, not a boolean or 0/1"`
 */
export function readMask(op: string, name: string, mask: unknown): { N: number; T: number; values: boolean[] } {
  return readGrid(
    op,
    name,
    mask,
    'booleans (or 0/1)',
    (v) => (typeof v === 'boolean' || v === 0 || v === 1 ? null : `${typeof v === 'number' ? v : describeValue(v)}, not a boolean or 0/1`),
    (v) => v === true || v === 1,
  );
}
