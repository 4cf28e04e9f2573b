/**
 * Hostile submissions that go after the channel between the sandboxed child and the grader:
 * patched intrinsics in the child's realm (the serializer's typed arrays, JSON, Map, Promise,
 * DataView, Buffer), raw bytes, forged, oversized, deeply nested or flooding frames written to
 * the channel's descriptor, a closed descriptor, an exit while being imported, endless
 * microtasks and timers that write between calls. Each must cost at most the tests it
 * reaches, with a reason, and never the grader, another exercise or another submission.
 */
import { AT, before, type HostileFixture } from './fixture.js';

const G = AT.gradientCheck;
const P = AT.pooling;

/** Source of a function `frame(bytes: number[]): Buffer` that wraps a payload in a frame header (u32 little-endian length). */
const FRAME = 'const frame = (payload: number[]): Buffer => { const b = Buffer.alloc(4 + payload.length); b.writeUInt32LE(payload.length, 0); Buffer.from(payload).copy(b, 4); return b; };';
/** Payload bytes of a string value (tag 5, u32 length, UTF-16 units), and of an object key (the same without the tag). */
const STR =
  'const key = (s: string): number[] => { const out = [s.length & 255, (s.length >> 8) & 255, 0, 0]; for (const ch of s) out.push(ch.charCodeAt(0) & 255, ch.charCodeAt(0) >> 8); return out; };\n' +
  'const str = (s: string): number[] => [5, ...key(s)];';
const FS = "import { closeSync, openSync, writeSync } from 'node:fs';";

export const channelFixtures: readonly HostileFixture[] = [
  {
    name: 'typed-array-length-patched',
    attack: "at import, makes every typed array's length 0 (the instance that once crashed the grader with 'Unable to deserialize cloned data')",
    exercise: '01-gradient-check',
    plants: [before(G.file, G.top, "Object.defineProperty(Object.getPrototypeOf(Uint8Array).prototype, 'length', { get() { return 0; } });")],
    // the student's own tensors break in its own realm; the grader only reports it
    expect: { lose: 'all' },
  },
  {
    name: 'buffer-length-patched',
    attack: "at import, makes the length and byteLength of every Uint8Array (Buffer, the serializer's bytes) 0, leaving Float64Array intact (the answers are right)",
    exercise: '03-pooling',
    plants: [
      before(
        P.file,
        P.top,
        [
          'const TA = Object.getPrototypeOf(Uint8Array).prototype;',
          "for (const key of ['length', 'byteLength'] as const) {",
          '  const original = Object.getOwnPropertyDescriptor(TA, key)!.get!;',
          '  Object.defineProperty(TA, key, { get() { return this instanceof Uint8Array ? 0 : original.call(this); } });',
          '}',
        ].join('\n'),
      ),
    ],
    expect: { lose: [] },
  },
  {
    name: 'serializer-intrinsics-patched',
    attack: 'at import, replaces JSON, Map, Set, Promise.then, String.fromCharCode, charCodeAt, DataView, ArrayBuffer.slice, Uint8Array.set/subarray, Buffer, Reflect.apply and Object.defineProperty with functions that throw (the answers are right)',
    exercise: '03-pooling',
    plants: [
      before(
        P.file,
        P.top,
        [
          "const boom = (): never => { throw new Error('patched by the submission'); };",
          'JSON.stringify = boom; JSON.parse = boom;',
          'Map.prototype.get = boom; Map.prototype.set = boom; Map.prototype.has = boom; Set.prototype.has = boom; Set.prototype.add = boom;',
          'Promise.prototype.then = boom; Promise.resolve = boom;',
          'String.fromCharCode = boom; String.prototype.charCodeAt = boom;',
          "for (const k of ['getUint8', 'setUint8', 'getUint16', 'setUint16', 'getUint32', 'setUint32', 'getFloat64', 'setFloat64'] as const) (DataView.prototype as unknown as Record<string, unknown>)[k] = boom;",
          'ArrayBuffer.prototype.slice = boom; Uint8Array.prototype.set = boom; Uint8Array.prototype.subarray = boom;',
          'Buffer.from = boom as never; Buffer.alloc = boom as never; Buffer.concat = boom as never;',
          'Reflect.apply = boom; Object.defineProperty = boom;',
        ].join('\n'),
      ),
    ],
    expect: { lose: [] },
  },
  {
    name: 'raw-bytes-into-channel',
    attack: 'relativeError writes raw bytes into the channel descriptor (fs.writeSync(3, ...)), then answers right',
    exercise: '01-gradient-check',
    plants: [
      { file: G.file, find: G.imports, replace: `${G.imports}\n${FS}` },
      before(G.file, G.relerrStart, "writeSync(3, Buffer.from([1, 0, 0, 0, 200, 0xff, 0xfe, 7, 7, 7, 7, 7]));"),
    ],
    expect: { lose: ['relerr-random', 'relerr-zeros'], status: ['error'], feedback: [/broke the protocol during relativeError: it sent .*unknown tag 200/] },
  },
  {
    name: 'raw-bytes-at-import',
    attack: 'writes random bytes into the channel descriptor while being imported',
    exercise: '03-pooling',
    plants: [
      { file: P.file, find: P.imports, replace: `${P.imports}\n${FS}` },
      before(P.file, P.top, "writeSync(3, 'garbage, not a frame\\n'.repeat(1000));"),
    ],
    expect: { lose: 'all', status: ['error'], feedback: ['broke the protocol while importing the modules'] },
  },
  {
    name: 'forged-ready-at-import',
    attack: "writes a well-formed 'ready' frame with no exports and no re-exports before the runner's own",
    exercise: '01-gradient-check',
    plants: [
      { file: G.file, find: G.imports, replace: `${G.imports}\n${FS}` },
      before(
        G.file,
        G.top,
        [FRAME, STR, "writeSync(3, frame([7, 3, 0, 0, 0, ...key('type'), ...str('ready'), ...key('exports'), 7, 0, 0, 0, 0, ...key('reexports'), 6, 0, 0, 0, 0]));"].join('\n'),
      ),
    ],
    expect: { lose: 'all', status: ['error'], feedback: [/broke the protocol .*unsolicited ready message/] },
  },
  {
    name: 'oversized-frame',
    attack: 'numericalGradient announces a 2 GB frame on the channel',
    exercise: '01-gradient-check',
    plants: [
      { file: G.file, find: G.imports, replace: `${G.imports}\n${FS}` },
      before(G.file, G.numgradStart, 'const head = Buffer.alloc(4); head.writeUInt32LE(0x7fffffff, 0); writeSync(3, head);'),
    ],
    expect: { lose: ['numgrad-elementwise', 'numgrad-general'], status: ['error'], feedback: [/frame header announcing 2147483647 bytes, more than the limit/] },
  },
  {
    name: 'deeply-nested-frame',
    attack: 'relativeError writes a well-formed frame of 200,000 nested arrays',
    exercise: '01-gradient-check',
    plants: [
      { file: G.file, find: G.imports, replace: `${G.imports}\n${FS}` },
      before(G.file, G.relerrStart, [FRAME, 'const deep: number[] = []; for (let i = 0; i < 200_000; i++) deep.push(6, 1, 0, 0, 0); deep.push(1);', 'writeSync(3, frame(deep));'].join('\n')),
    ],
    expect: { lose: ['relerr-random', 'relerr-zeros'], status: ['error'], feedback: [/nested more than 64 levels deep/] },
  },
  {
    name: 'frame-flood',
    attack: 'numericalGradient writes 20,000 well-formed result frames (unsolicited replies) before answering',
    exercise: '01-gradient-check',
    plants: [
      { file: G.file, find: G.imports, replace: `${G.imports}\n${FS}` },
      before(
        G.file,
        G.numgradStart,
        [FRAME, STR, "const forged = frame([7, 3, 0, 0, 0, ...key('type'), ...str('result'), ...key('id'), 4, 0, 0, 0, 0, 0, 0, 240, 63, ...key('value'), 1]);", 'for (let i = 0; i < 20_000; i++) writeSync(3, forged);'].join('\n'),
      ),
    ],
    expect: { lose: ['numgrad-elementwise', 'numgrad-general'], status: ['error'], feedback: [/broke the protocol during numericalGradient: it sent a result message that does not answer the pending request/] },
  },
  {
    name: 'channel-closed',
    attack: 'relativeError closes the channel descriptor and opens its own bundle in its place',
    exercise: '01-gradient-check',
    plants: [
      { file: G.file, find: G.imports, replace: `${G.imports}\n${FS}` },
      before(G.file, G.relerrStart, "(process as { disconnect?: () => void }).disconnect?.(); closeSync(3); try { openSync(__filename, 'r'); } catch {}"),
    ],
    expect: { lose: ['relerr-random', 'relerr-zeros'], status: ['error'], feedback: ['lost its channel to the grader during relativeError'] },
  },
  {
    name: 'exit-at-import',
    attack: 'calls process.exit(0) while being imported',
    exercise: '03-pooling',
    plants: [before(P.file, P.top, 'process.exit(0);')],
    expect: { lose: 'all', status: ['error'], feedback: ['exited (code 0) while importing the modules without answering the grader; possible causes: the code calls process.exit(), or it changed built-ins'] },
  },
  {
    name: 'array-iterator-at-import',
    attack: 'replaces Array.prototype[Symbol.iterator] with one that throws, while being imported (it never calls process.exit)',
    exercise: '03-pooling',
    plants: [before(P.file, P.top, "Array.prototype[Symbol.iterator] = function () { throw new Error('no iteration'); };")],
    expect: { lose: 'all', status: ['error'], feedback: ['exited (code 0) while importing the modules without answering the grader; possible causes: the code calls process.exit(), or it changed built-ins the grader\'s runner relies on'] },
  },
  {
    name: 'endless-microtasks',
    attack: 'starts an endless chain of microtasks at import and in every forward call (the answers are right)',
    exercise: '03-pooling',
    plants: [
      before(P.file, P.top, 'const spin = (): void => { void Promise.resolve().then(spin); };\nspin();'),
      before(P.file, P.forwardReturn, 'spin();'),
    ],
    expect: { lose: [] },
  },
  {
    name: 'timers-write-channel',
    attack: 'a timer and an interval set at import write forged frames into the channel between calls (the answers are right)',
    exercise: '03-pooling',
    plants: [
      { file: P.file, find: P.imports, replace: `${P.imports}\n${FS}` },
      before(P.file, P.top, "const scribble = (): void => { try { writeSync(3, 'forged between calls'); } catch {} };\nsetInterval(scribble, 1); setTimeout(scribble, 0); setImmediate(scribble);"),
    ],
    expect: { lose: [] },
  },
];
