/**
 * The byte format of the channel between the grader and a sandboxed child: length-prefixed
 * frames, each holding one value in a small tagged binary encoding.
 *
 * Why not Node's IPC channel: its serializer runs JavaScript in the child's realm
 * (`Buffer`, typed-array prototypes, `JSON`), which a submission can patch at import time so
 * that the parent's deserializer throws outside any handler; and its file descriptor is shared
 * with everything in the child. Here the child's runner encodes with intrinsics it captured
 * before any submission module ran, and the parent decodes every frame with explicit bounds:
 * a malformed, truncated, oversized or too deeply nested frame is a {@link WireFormatError},
 * never an uncaught exception.
 *
 * Frame: `u32` payload length (little-endian), then the payload, one encoded value.
 *
 * | tag | value | then |
 * | --- | --- | --- |
 * | 0 | `undefined` | |
 * | 1 | `null` | |
 * | 2 / 3 | `false` / `true` | |
 * | 4 | number | `f64` (NaN, infinities and -0 survive) |
 * | 5 | string | `u32` length in UTF-16 code units, then `u16` each |
 * | 6 | array | `u32` length, then the elements |
 * | 7 | plain object | `u32` key count, then (key as a tag-5 string, value) pairs |
 * | 8 | `Float64Array` | `u32` length, then the raw `f64`s (host byte order: both ends run on the same machine) |
 *
 * This module has no Node imports: the child's runner is bundled with it.
 *
 * @module
 */

/** Largest payload of one frame, in bytes (64 MiB: a few tensors at the protocol's size limit). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Deepest nesting of arrays and objects a decoder accepts. */
export const MAX_WIRE_DEPTH = 64;

/** A frame that cannot be encoded or decoded: what is wrong, and where. */
export class WireFormatError extends Error {
  /** @param message - what is wrong, e.g. `"frame of 99999999 bytes exceeds the limit of 67108864"` */
  constructor(message: string) {
    super(message);
    this.name = 'WireFormatError';
  }
}

// Intrinsics captured when this module is evaluated. In the child that is before any submission
// module runs (the runner imports this module first), so a submission that patches typed-array
// prototypes, DataView, String or Object later changes nothing here.
const U8 = Uint8Array;
const F64 = Float64Array;
const DV = DataView;
const apply = Reflect.apply;
const defineProperty = Object.defineProperty;
const objectKeys = Object.keys;
const isArray = Array.isArray;
const fromCharCode = String.fromCharCode;
const charCodeAt = String.prototype.charCodeAt;
const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const getter = (o: object, key: PropertyKey): ((this: unknown) => unknown) => Object.getOwnPropertyDescriptor(o, key)!.get! as (this: unknown) => unknown;
const taLength = getter(TypedArrayProto, 'length');
const taBuffer = getter(TypedArrayProto, 'buffer');
const taByteOffset = getter(TypedArrayProto, 'byteOffset');
const taTag = getter(TypedArrayProto, Symbol.toStringTag);
const taSet = (TypedArrayProto as { set: (this: unknown, src: ArrayLike<number>, offset?: number) => void }).set;
const dvGetU32 = DataView.prototype.getUint32;
const dvSetU32 = DataView.prototype.setUint32;
const dvGetU16 = DataView.prototype.getUint16;
const dvSetU16 = DataView.prototype.setUint16;
const dvGetF64 = DataView.prototype.getFloat64;
const dvSetF64 = DataView.prototype.setFloat64;
const dvGetU8 = DataView.prototype.getUint8;
const dvSetU8 = DataView.prototype.setUint8;

const T_UNDEFINED = 0;
const T_NULL = 1;
const T_FALSE = 2;
const T_TRUE = 3;
const T_NUMBER = 4;
const T_STRING = 5;
const T_ARRAY = 6;
const T_OBJECT = 7;
const T_F64 = 8;

/** True for a genuine `Float64Array` (a brand check no prototype patch or Proxy can fake). */
export function isFloat64Array(v: unknown): v is Float64Array {
  return apply(taTag, v, []) === 'Float64Array';
}

/** Sets an own data property, without running any setter on the prototype chain (`__proto__` included). */
function put(o: object, key: string | number, value: unknown): void {
  defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}

class Writer {
  private buf = new U8(1024);
  private view = new DV(apply(taBuffer, this.buf, []) as ArrayBuffer);
  pos = 4; // room for the frame header

  constructor(private readonly limit: number) {}

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= (apply(taLength, this.buf, []) as number)) return;
    if (need - 4 > this.limit) throw new WireFormatError(`message of more than ${this.limit} bytes exceeds the frame limit`);
    let cap = (apply(taLength, this.buf, []) as number) * 2;
    while (cap < need) cap *= 2;
    const next = new U8(cap);
    apply(taSet, next, [this.buf]);
    this.buf = next;
    this.view = new DV(apply(taBuffer, next, []) as ArrayBuffer);
  }

  u8(x: number): void {
    this.ensure(1);
    apply(dvSetU8, this.view, [this.pos, x]);
    this.pos += 1;
  }

  u32(x: number): void {
    this.ensure(4);
    apply(dvSetU32, this.view, [this.pos, x, true]);
    this.pos += 4;
  }

  f64(x: number): void {
    this.ensure(8);
    apply(dvSetF64, this.view, [this.pos, x, true]);
    this.pos += 8;
  }

  string(s: string): void {
    const n = s.length; // a primitive string's length is not patchable
    this.u32(n);
    this.ensure(2 * n);
    for (let i = 0; i < n; i++) apply(dvSetU16, this.view, [this.pos + 2 * i, apply(charCodeAt, s, [i]), true]);
    this.pos += 2 * n;
  }

  float64s(a: Float64Array): void {
    const n = apply(taLength, a, []) as number;
    this.u32(n);
    this.ensure(8 * n);
    const bytes = new U8(apply(taBuffer, a, []) as ArrayBuffer, apply(taByteOffset, a, []) as number, 8 * n);
    apply(taSet, this.buf, [bytes, this.pos]);
    this.pos += 8 * n;
  }

  value(v: unknown, depth: number): void {
    if (v === undefined) return this.u8(T_UNDEFINED);
    if (v === null) return this.u8(T_NULL);
    if (v === false) return this.u8(T_FALSE);
    if (v === true) return this.u8(T_TRUE);
    if (typeof v === 'number') {
      this.u8(T_NUMBER);
      return this.f64(v);
    }
    if (typeof v === 'string') {
      this.u8(T_STRING);
      return this.string(v);
    }
    if (depth >= MAX_WIRE_DEPTH) throw new WireFormatError(`value nested more than ${MAX_WIRE_DEPTH} levels deep`);
    if (typeof v !== 'object') throw new WireFormatError(`cannot encode a ${typeof v}`);
    if (isFloat64Array(v)) {
      this.u8(T_F64);
      return this.float64s(v);
    }
    if (isArray(v)) {
      const n = (v as unknown[]).length;
      this.u8(T_ARRAY);
      this.u32(n);
      for (let i = 0; i < n; i++) this.value((v as unknown[])[i], depth + 1);
      return;
    }
    const keys = objectKeys(v);
    const n = keys.length;
    this.u8(T_OBJECT);
    this.u32(n);
    for (let i = 0; i < n; i++) {
      this.string(keys[i]);
      this.value((v as Record<string, unknown>)[keys[i]], depth + 1);
    }
  }

  frame(): Uint8Array {
    apply(dvSetU32, this.view, [0, this.pos - 4, true]);
    // A view made with the captured constructor: `subarray` would consult the (patchable) species.
    return new U8(apply(taBuffer, this.buf, []) as ArrayBuffer, 0, this.pos);
  }
}

/**
 * Encodes one value as a complete frame (header included).
 *
 * @param v - primitives, `Float64Array`s, arrays and plain objects (own enumerable string keys), nested at most {@link MAX_WIRE_DEPTH} deep
 * @param limit - largest payload in bytes (default {@link MAX_FRAME_BYTES})
 * @returns the frame's bytes (a view on a fresh buffer)
 * @throws WireFormatError for a value too large, too deep, or of a kind the format cannot carry (function, symbol, bigint);
 *   anything a getter or Proxy in `v` throws propagates
 */
export function encodeFrame(v: unknown, limit = MAX_FRAME_BYTES): Uint8Array {
  const w = new Writer(limit);
  w.value(v, 0);
  return w.frame();
}

class Reader {
  private pos = 0;
  private readonly view: DataView;
  private readonly end: number;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DV(apply(taBuffer, bytes, []) as ArrayBuffer, apply(taByteOffset, bytes, []) as number, apply(taLength, bytes, []) as number);
    this.end = apply(taLength, bytes, []) as number;
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) throw new WireFormatError(`truncated ${what} at byte ${this.pos} of ${this.end}`);
  }

  u8(): number {
    this.need(1, 'tag');
    return apply(dvGetU8, this.view, [this.pos++]) as number;
  }

  u32(what: string): number {
    this.need(4, what);
    const x = apply(dvGetU32, this.view, [this.pos, true]) as number;
    this.pos += 4;
    return x;
  }

  string(): string {
    const n = this.u32('string length');
    this.need(2 * n, 'string');
    let s = '';
    for (let i = 0; i < n; i++) s += apply(fromCharCode, undefined, [apply(dvGetU16, this.view, [this.pos + 2 * i, true])]) as string;
    this.pos += 2 * n;
    return s;
  }

  value(depth: number): unknown {
    const tag = this.u8();
    switch (tag) {
      case T_UNDEFINED:
        return undefined;
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_NUMBER: {
        this.need(8, 'number');
        const x = apply(dvGetF64, this.view, [this.pos, true]) as number;
        this.pos += 8;
        return x;
      }
      case T_STRING:
        return this.string();
      default:
        break;
    }
    if (depth >= MAX_WIRE_DEPTH) throw new WireFormatError(`value nested more than ${MAX_WIRE_DEPTH} levels deep`);
    if (tag === T_F64) {
      const n = this.u32('array length');
      this.need(8 * n, 'Float64Array');
      const out = new F64(n);
      const src = new U8(apply(taBuffer, this.bytes, []) as ArrayBuffer, (apply(taByteOffset, this.bytes, []) as number) + this.pos, 8 * n);
      apply(taSet, new U8(apply(taBuffer, out, []) as ArrayBuffer), [src]);
      this.pos += 8 * n;
      return out;
    }
    if (tag === T_ARRAY) {
      const n = this.u32('array length');
      this.need(n, 'array'); // every element takes at least one byte
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) put(out, i, this.value(depth + 1));
      return out;
    }
    if (tag === T_OBJECT) {
      const n = this.u32('key count');
      this.need(5 * n, 'object'); // every entry takes at least five bytes
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const key = this.string();
        put(out, key, this.value(depth + 1));
      }
      return out;
    }
    throw new WireFormatError(`unknown tag ${tag} at byte ${this.pos - 1}`);
  }

  finish(): void {
    if (this.pos !== this.end) throw new WireFormatError(`${this.end - this.pos} stray bytes after the value`);
  }
}

/**
 * Decodes one frame's payload (without its header).
 *
 * @returns the value; objects are plain, with own properties only (a `__proto__` key is an
 *   ordinary own key, never a prototype)
 * @throws WireFormatError for a truncated payload, an unknown tag, nesting beyond
 *   {@link MAX_WIRE_DEPTH}, or bytes left over
 */
export function decodePayload(payload: Uint8Array): unknown {
  const r = new Reader(payload);
  const v = r.value(0);
  r.finish();
  return v;
}

/**
 * Splits a byte stream into frame payloads, holding at most one frame's bytes at a time. Used
 * by the parent on the child's channel.
 */
export class FrameReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private expected = -1;
  private failed: WireFormatError | undefined;

  /** @param limit - largest payload accepted, in bytes */
  constructor(private readonly limit = MAX_FRAME_BYTES) {}

  /** Bytes received but not yet returned as a frame. */
  get pending(): number {
    return this.buffered;
  }

  /**
   * Adds bytes from the stream.
   *
   * @returns the payloads completed by them, in order, and the fault that ends the stream if
   *   one was met after them (a header announcing more than the limit: nothing after it can be
   *   trusted, and the reader takes no more bytes)
   */
  push(chunk: Uint8Array): { frames: Uint8Array[]; error?: WireFormatError } {
    const frames: Uint8Array[] = [];
    if (this.failed) return { frames, error: this.failed };
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < 4) break;
        const head = this.take(4);
        this.expected = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
        if (this.expected > this.limit) {
          this.failed = new WireFormatError(`a frame header announcing ${this.expected} bytes, more than the limit of ${this.limit}`);
          this.chunks = [];
          this.buffered = 0;
          return { frames, error: this.failed };
        }
      }
      if (this.buffered < this.expected) break;
      frames.push(this.take(this.expected));
      this.expected = -1;
    }
    return { frames };
  }

  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const k = Math.min(n - filled, c.length);
      out.set(c.subarray(0, k), filled);
      filled += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }
}
