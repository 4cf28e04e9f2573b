/**
 * Scratch buffers that are reused from one call to the next.
 *
 * Why: a convolution needs a column buffer (`im2col`) of `C*KH*KW*OH*OW` floats per image. One
 * buffer for the whole batch is hundreds of MiB at realistic sizes; allocating it fresh on every
 * call means fresh pages from the operating system, which are zeroed on first touch, and
 * throughput falls by about 2x once the buffer passes a few tens of MiB. Instead the ops process
 * the batch in chunks of about {@link CHUNK_TARGET_BYTES} ({@link imagesPerChunk}) and borrow
 * the chunk buffers from a small pool ({@link withWorkspace}), so the memory is already mapped
 * and usually still in cache.
 *
 * A borrowed buffer holds whatever the previous borrower left in it: code that borrows one must
 * write every element it later reads (the tests poison the pool with NaN to prove it).
 *
 * @module
 */
import { ValueError } from './errors.js';

/** Size a chunk of images aims at: 2 MiB, small enough to stay in a core's L2/L3 cache. */
export const CHUNK_TARGET_BYTES = 2 * 2 ** 20;

/** Largest buffer the pool keeps: 16 MiB. A larger request is allocated and dropped after use. */
export const WORKSPACE_MAX_BUFFER_BYTES = 16 * 2 ** 20;

/** Most buffers the pool keeps between calls. */
export const WORKSPACE_MAX_BUFFERS = 4;

const MAX_ELEMS = WORKSPACE_MAX_BUFFER_BYTES / Float64Array.BYTES_PER_ELEMENT;
/** Smallest capacity allocated (64 KiB), so tiny requests do not fill the pool with tiny buffers. */
const MIN_ELEMS = 8192;

/** Free buffers, smallest first. */
const pool: Float64Array[] = [];

/** Borrows scratch buffers inside {@link withWorkspace}. */
export interface Workspace {
  /**
   * A `Float64Array` of exactly `length` elements, valid until the enclosing
   * {@link withWorkspace} returns. Its contents are unspecified (left over from an earlier
   * borrower), not zero. Each call borrows another buffer, held until the workspace closes:
   * take a chunk's buffers once, before the loop over the chunks, not inside it.
   *
   * @param length - number of float64 elements, integer >= 0
   * @throws ValueError for a negative or non-integer length, or after the workspace was closed
   */
  take(length: number): Float64Array;
}

function acquire(length: number): Float64Array {
  if (length > MAX_ELEMS) return new Float64Array(length); // too big to keep: not pooled
  for (let i = 0; i < pool.length; i++) {
    if (pool[i].length >= length) return pool.splice(i, 1)[0];
  }
  // Round the capacity up to a power of two so that slowly growing requests reuse buffers.
  let cap = MIN_ELEMS;
  while (cap < length) cap *= 2;
  return new Float64Array(Math.min(cap, MAX_ELEMS));
}

function release(buf: Float64Array): void {
  if (buf.length > MAX_ELEMS) return;
  let i = 0;
  while (i < pool.length && pool[i].length < buf.length) i++;
  pool.splice(i, 0, buf);
  if (pool.length > WORKSPACE_MAX_BUFFERS) pool.shift(); // drop the smallest
}

/**
 * Runs `fn` with a {@link Workspace} whose buffers come from (and go back to) a small pool of at
 * most {@link WORKSPACE_MAX_BUFFERS} buffers of at most {@link WORKSPACE_MAX_BUFFER_BYTES}. Calls
 * may nest: an inner call borrows different buffers. The buffers return to the pool when `fn`
 * returns or throws; `fn` must not keep them (or subarrays of them) afterwards.
 *
 * @param fn - the work; its return value is passed through
 * @returns what `fn` returns
 * @example
 * ```ts
 * const total = withWorkspace((ws) => {
 *   const buf = ws.take(1024); // contents unspecified: fill before reading
 *   buf.fill(1);
 *   return buf.reduce((s, v) => s + v, 0);
 * }); // 1024
 * ```
 */
export function withWorkspace<T>(fn: (ws: Workspace) => T): T {
  const taken: Float64Array[] = [];
  let open = true;
  const ws: Workspace = {
    take(length: number): Float64Array {
      if (!open) throw new ValueError('withWorkspace', 'take called after the workspace was closed');
      if (!Number.isInteger(length) || length < 0) throw new ValueError('withWorkspace', `length must be an integer >= 0, got ${length}`);
      if (length === 0) return new Float64Array(0); // nothing to lend
      const buf = acquire(length);
      taken.push(buf);
      return buf.length === length ? buf : buf.subarray(0, length);
    },
  };
  try {
    return fn(ws);
  } finally {
    open = false;
    for (const buf of taken) release(buf);
  }
}

/**
 * How many images to process at once so that a chunk's scratch buffer is about
 * {@link CHUNK_TARGET_BYTES}: `max(1, floor(CHUNK_TARGET_BYTES / bytesPerImage))`. An image
 * larger than the target gets a chunk of its own.
 *
 * @param bytesPerImage - scratch bytes one image needs, > 0
 * @returns images per chunk, integer >= 1
 * @throws ValueError if `bytesPerImage` is not a positive finite number
 * @example
 * ```ts
 * imagesPerChunk(144 * 784 * 8); // 2: a 16-channel 28x28 image's 3x3 columns are 0.9 MB
 * ```
 */
export function imagesPerChunk(bytesPerImage: number): number {
  if (!(bytesPerImage > 0) || !Number.isFinite(bytesPerImage)) {
    throw new ValueError('imagesPerChunk', `bytesPerImage must be a positive number, got ${bytesPerImage}`);
  }
  return Math.max(1, Math.floor(CHUNK_TARGET_BYTES / bytesPerImage));
}
