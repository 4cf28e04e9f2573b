/**
 * The channel's frame format: every value the protocol carries survives a round trip exactly,
 * any byte string decodes to a value or a WireFormatError (never another exception, never a
 * hang), and a stream split at any points yields the same frames. Also the capped output log.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePayload, encodeFrame, FrameReader, MAX_WIRE_DEPTH, WireFormatError } from '../src/sandbox/wire.js';
import { OutputLog } from '../src/sandbox/sandbox.js';

/** Values of the protocol: primitives (NaN, -0, infinities included), Float64Arrays, arrays, plain objects. */
const wireValue = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.string({ unit: 'binary' }),
    fc.array(fc.double(), { maxLength: 20 }).map((a) => Float64Array.from(a)),
  ),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 5 }), fc.dictionary(fc.string({ unit: 'binary' }), tie('node'), { maxKeys: 5, noNullPrototype: true })),
})).node;

const payloadOf = (frame: Uint8Array): Uint8Array => frame.subarray(4);

describe('wire format', () => {
  it('round-trips every protocol value exactly (NaN, -0, lone surrogates, __proto__ keys included)', () => {
    fc.assert(
      fc.property(wireValue, (v) => {
        const frame = encodeFrame(v);
        expect(new DataView(frame.buffer, frame.byteOffset).getUint32(0, true)).toBe(frame.length - 4);
        expect(decodePayload(payloadOf(frame))).toStrictEqual(v);
      }),
      { numRuns: 300 },
    );
    const tricky = { ['__proto__']: { polluted: true }, constructor: 'x', s: '\ud800', n: -0 };
    const back = decodePayload(payloadOf(encodeFrame(JSON.parse(JSON.stringify(tricky)) as unknown))) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(back, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.is(decodePayload(payloadOf(encodeFrame(-0))), -0)).toBe(true);
  });

  it('decodes any byte string to a value or a WireFormatError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodePayload(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(WireFormatError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects every truncation of a valid frame, and bytes left over', () => {
    fc.assert(
      fc.property(wireValue, fc.nat(), (v, cut) => {
        const payload = payloadOf(encodeFrame(v));
        if (payload.length > 1) expect(() => decodePayload(payload.subarray(0, cut % payload.length))).toThrow(WireFormatError);
        const longer = new Uint8Array(payload.length + 1);
        longer.set(payload);
        expect(() => decodePayload(longer)).toThrow('stray bytes');
      }),
      { numRuns: 200 },
    );
  });

  it('bounds nesting on both sides, and sizes against the bytes actually there', () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_WIRE_DEPTH + 1; i++) deep = [deep];
    expect(() => encodeFrame(deep)).toThrow(`nested more than ${MAX_WIRE_DEPTH} levels deep`);
    const nested = new Uint8Array(5 * 100_000 + 1).fill(0);
    for (let i = 0; i < 100_000; i++) nested.set([6, 1, 0, 0, 0], 5 * i);
    nested[nested.length - 1] = 1;
    expect(() => decodePayload(nested)).toThrow(`nested more than ${MAX_WIRE_DEPTH} levels deep`);
    // an array announcing 2^32-1 elements in 5 bytes allocates nothing
    expect(() => decodePayload(Uint8Array.from([6, 255, 255, 255, 255]))).toThrow('truncated array');
    expect(() => decodePayload(Uint8Array.from([8, 255, 255, 255, 255]))).toThrow('truncated Float64Array');
    expect(() => encodeFrame('x'.repeat(1000), 100)).toThrow('exceeds the frame limit');
    expect(() => encodeFrame(() => 1)).toThrow('cannot encode a function');
  });

  it('splits a stream cut at any points into the same frames', () => {
    fc.assert(
      fc.property(fc.array(wireValue, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 10 }), (values, cuts) => {
        const frames = values.map((v) => encodeFrame(v));
        const stream = new Uint8Array(frames.reduce((s, f) => s + f.length, 0));
        let at = 0;
        for (const f of frames) {
          stream.set(f, at);
          at += f.length;
        }
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const reader = new FrameReader();
        const got: unknown[] = [];
        let prev = 0;
        for (const p of [...points, stream.length]) {
          const { frames, error } = reader.push(stream.subarray(prev, p));
          expect(error).toBeUndefined();
          for (const payload of frames) got.push(decodePayload(payload));
          prev = p;
        }
        expect(got).toStrictEqual(values);
        expect(reader.pending).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a header that announces more than the limit, before buffering it', () => {
    const reader = new FrameReader(1000);
    const ok = encodeFrame('first');
    const both = new Uint8Array(ok.length + 8);
    both.set(ok);
    both.set([0xe9, 0x03, 0, 0, 1, 2, 3, 4], ok.length);
    const r = reader.push(both);
    expect(r.frames.map(decodePayload)).toEqual(['first']);
    expect(r.error?.message).toBe('a frame header announcing 1001 bytes, more than the limit of 1000');
    expect(reader.pending).toBe(0);
    expect(reader.push(Uint8Array.from([0, 0, 0, 0])).error).toBe(r.error);
  });
});

describe('output log', () => {
  it('keeps the first bytes and the last bytes, counts all, and holds bounded memory whatever arrives', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 40 }), fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 200 }), (chunks, cap, tailCap) => {
        const log = new OutputLog(cap, tailCap);
        for (const c of chunks) log.push(Buffer.from(c));
        const all = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        expect(log.total).toBe(all.length);
        expect(log.dropped).toBe(Math.max(0, all.length - cap));
        const head = all.subarray(0, cap).toString('utf8');
        expect(log.text()).toBe(all.length > cap ? `${head}\n[${all.length - cap} more bytes dropped]` : head);
        expect(log.tail()).toBe(all.subarray(Math.max(0, all.length - tailCap)).toString('utf8'));
      }),
      { numRuns: 300 },
    );
  });

  it('100 MB in 64 KB chunks keeps 64 KB', () => {
    const log = new OutputLog();
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (let i = 0; i < 1600; i++) log.push(chunk);
    expect(log.total).toBe(1600 * 64 * 1024);
    expect(log.text().length).toBeLessThan(64 * 1024 + 100);
    expect(log.tail().length).toBe(2048);
  });

  it('counts an out-of-memory report once, wherever the chunks split it and however long the stack trace after it', () => {
    const report = 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n';
    const trace = Array.from({ length: 200 }, (_, i) => ` ${i}: 0x188bbad v8::internal::Runtime_NewArray(int, unsigned long*)\n`).join('');
    fc.assert(
      fc.property(fc.string({ maxLength: 3000 }).filter((s) => !/memory|allocation failed/i.test(s)), fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 30 }), (noise, cuts) => {
        const text = Buffer.from(noise + report + trace, 'latin1');
        const log = new OutputLog(64, 256);
        let at = 0;
        for (let k = 0; at < text.length; k++) {
          const n = cuts[k % cuts.length]!;
          log.push(text.subarray(at, at + n));
          at += n;
        }
        expect(log.oomReports).toBeGreaterThanOrEqual(1);
        // "Allocation failed" and "heap out of memory" are two phrases of the one report; never more.
        expect(log.oomReports).toBeLessThanOrEqual(2);
        expect(log.tail()).not.toMatch(/out of memory/);
      }),
      { numRuns: 200 },
    );
    const quiet = new OutputLog();
    quiet.push(Buffer.from(trace));
    expect(quiet.oomReports).toBe(0);
  });
});
