/**
 * Unit tests of the parent's validation of everything the child sends, of function specs,
 * and of the small pure helpers (seeds, error locations, discovery).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { numericalGradient, Tensor } from '@dlkata/tensor';
import {
  decodeNumber,
  decodeTensor,
  describeSpec,
  describeValue,
  discover,
  encodeValue,
  field,
  InvalidOutputError,
  isTodo,
  locateError,
  MAX_TENSOR_SIZE,
  parseChildMessage,
  specToFunction,
  testSeed,
  UsageError,
} from '../src/index.js';

const wire = (shape: unknown, data: unknown): unknown => ({ $tensor: 1, shape, data });

describe('decodeTensor: untrusted tensors from the child', () => {
  it('rebuilds a valid tensor with its own copy of the data', () => {
    const data = new Float64Array([1, 2, 3, 4, 5, 6]);
    const t = decodeTensor(wire([2, 3], data), 'f: out', { shape: [2, 3] });
    expect(t).toBeInstanceOf(Tensor);
    expect(t.shape).toEqual([2, 3]);
    data[0] = 99;
    expect(t.data[0]).toBe(1);
  });

  it.each([
    ['null', null, 'f: out must be a Tensor, got null'],
    ['a number', 3, 'f: out must be a Tensor, got the number 3'],
    ['a plain array', [1, 2], 'f: out must be a Tensor, got a plain array of length 2'],
    ['an object without the marker', { shape: [2], data: new Float64Array(2) }, 'f: out must be a Tensor, got an object with keys shape, data'],
    ['a typed array', new Float64Array(2), 'f: out must be a Tensor, got a Float64Array'],
  ])('rejects %s', (_what, v, message) => {
    expect(() => decodeTensor(v, 'f: out')).toThrow(new InvalidOutputError(message));
  });

  it.each([
    ['a shape that is not an array', wire('2,3', new Float64Array(6)), 'has an invalid shape'],
    ['a negative dimension', wire([-1, 2], new Float64Array(0)), 'has an invalid shape'],
    ['a fractional dimension', wire([1.5, 2], new Float64Array(3)), 'has an invalid shape'],
    ['a string dimension', wire(['2'], new Float64Array(2)), 'has an invalid shape'],
    ['too many dimensions', wire([1, 1, 1, 1, 1, 1, 1, 1, 1], new Float64Array(1)), 'has an invalid shape'],
    ['data in a plain array', wire([2], [1, 2]), 'must hold its numbers in a Float64Array, got a plain array of length 2'],
    ['data in a Float32Array', wire([2], new Float32Array(2)), 'must hold its numbers in a Float64Array, got a Float32Array'],
    ['too few numbers', wire([2, 3], new Float64Array(5)), 'has shape [2,3] (6 elements) but 5 numbers'],
    ['too many numbers', wire([2], new Float64Array(3)), 'has shape [2] (2 elements) but 3 numbers'],
    ['an absurd size', wire([MAX_TENSOR_SIZE, 2], new Float64Array(1)), 'numbers'],
  ])('rejects %s', (_what, v, message) => {
    expect(() => decodeTensor(v, 'f: out')).toThrow(message);
  });

  it('checks the expected shape, then that every element is finite', () => {
    expect(() => decodeTensor(wire([3, 2], new Float64Array(6)), 'conv2dForward: out', { shape: [2, 3] })).toThrow(
      'conv2dForward: out has shape [3,2], expected [2,3]',
    );
    expect(() => decodeTensor(wire([2, 2], new Float64Array([0, 1, NaN, 3])), 'f: dx')).toThrow('f: dx contains NaN at [1,0]');
    expect(() => decodeTensor(wire([2], new Float64Array([Infinity, 0])), 'f: dx')).toThrow('f: dx contains Infinity at [0]');
    expect(decodeTensor(wire([1], new Float64Array([NaN])), 'f', { finite: false }).data[0]).toBeNaN();
  });

  it('accepts the scalar shape and empty tensors', () => {
    expect(decodeTensor(wire([], new Float64Array([5])), 'f').data[0]).toBe(5);
    expect(decodeTensor(wire([0, 3], new Float64Array(0)), 'f').size).toBe(0);
  });
});

describe('field and decodeNumber', () => {
  it('reads a field of a returned object, naming what is missing', () => {
    expect(field({ dx: 1 }, 'dx', 'g')).toBe(1);
    expect(() => field({ dx: 1, dw: 2 }, 'db', 'conv2dBackward')).toThrow('conv2dBackward must return an object with db, got an object with keys dx, dw');
    expect(() => field({ db: undefined }, 'db', 'g')).toThrow(InvalidOutputError);
    expect(() => field(null, 'db', 'g')).toThrow('got null');
    expect(() => field([1], '0', 'g')).toThrow('got a plain array of length 1');
  });

  it('does not find inherited properties', () => {
    expect(() => field({}, 'toString', 'g')).toThrow(InvalidOutputError);
  });

  it('accepts only finite numbers (and integers when asked)', () => {
    expect(decodeNumber(2.5, 'r')).toBe(2.5);
    expect(() => decodeNumber(NaN, 'relativeError')).toThrow('relativeError must be a finite number, got the number NaN');
    expect(() => decodeNumber('3', 'r')).toThrow('got the string "3"');
    expect(() => decodeNumber(2.5, 'convOutputSize', true)).toThrow('convOutputSize must be an integer, got 2.5');
  });
});

describe('describeValue never runs the code of the value', () => {
  it('describes an object with a throwing getter by its keys', () => {
    const evil = Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('gotcha'); } });
    expect(describeValue(evil)).toBe('an object with keys x');
    expect(describeValue({ $handle: 1 })).toBe('an opaque object (kept in the sandbox)');
    expect(describeValue({ $unsupported: 'a Promise' })).toContain('a Promise');
  });
});

describe('parseChildMessage: the structure of IPC messages', () => {
  it('accepts well-formed messages', () => {
    expect(parseChildMessage({ type: 'ready', exports: { 'a.ts': ['f'] }, reexports: [] })).not.toBeNull();
    expect(parseChildMessage({ type: 'import-error', module: 'a.ts', error: { name: 'Error', message: 'x' } })).not.toBeNull();
    expect(parseChildMessage({ type: 'result', id: 3, value: null })).not.toBeNull();
    expect(parseChildMessage({ type: 'error', id: 3, kind: 'threw', error: { name: 'E', message: 'm', stack: 's' } })).not.toBeNull();
  });

  it.each([
    ['a string', 'result'],
    ['null', null],
    ['an unknown type', { type: 'score', points: 100 }],
    ['a result without id', { type: 'result', value: 1 }],
    ['a result with a fractional id', { type: 'result', id: 1.5, value: 1 }],
    ['a result without value', { type: 'result', id: 1 }],
    ['an error of unknown kind', { type: 'error', id: 1, kind: 'passed', error: { name: 'E', message: 'm' } }],
    ['an error without message', { type: 'error', id: 1, kind: 'threw', error: { name: 'E' } }],
    ['ready with non-string exports', { type: 'ready', exports: { 'a.ts': [1] }, reexports: [] }],
    ['ready without reexports', { type: 'ready', exports: {} }],
  ])('rejects %s', (_what, m) => {
    expect(parseChildMessage(m)).toBeNull();
  });
});

describe('encodeValue: what the parent sends', () => {
  it('encodes tensors (copied), nested objects, handles and function specs', () => {
    const t = Tensor.from([[1, 2]]);
    const e = encodeValue({ x: t, params: { stride: 2 }, h: { $handle: 4 }, f: { $fn: { kind: 'poly', coeffs: [1] } } }) as Record<string, any>;
    expect(e.x).toEqual({ $tensor: 1, shape: [1, 2], data: new Float64Array([1, 2]) });
    expect(e.x.data).not.toBe(t.data);
    expect(e.params).toEqual({ stride: 2 });
    expect(e.h).toEqual({ $handle: 4 });
    expect(e.f).toEqual({ $fn: { kind: 'poly', coeffs: [1] } });
  });

  it('refuses values that cannot cross the process boundary', () => {
    expect(() => encodeValue(() => 1)).toThrow(TypeError);
    expect(() => encodeValue(new Map())).toThrow(TypeError);
  });
});

describe('function specs (exercise 01)', () => {
  it('evaluates a polynomial elementwise', () => {
    const f = specToFunction({ kind: 'poly', coeffs: [1, -2, 0, 0.5] });
    expect(Array.from(f(Tensor.from([0, 2])).data)).toEqual([1, 1 - 4 + 4]);
    expect(describeSpec({ kind: 'poly', coeffs: [1, -2, 0, 0.5] })).toBe('f(x) = 1 - 2 x + 0.5 x^3 (elementwise)');
  });

  it('evaluates tanh(A x + b) with an output shaped unlike x, reading x afresh on every call', () => {
    const A = { shape: [2, 3], data: new Float64Array([1, 0, 0, 0, 1, 1]) };
    const b = { shape: [2], data: new Float64Array([0, -1]) };
    const f = specToFunction({ kind: 'tanh-affine', A, b });
    const x = Tensor.from([[0.5, 1, 2]]);
    expect(Array.from(f(x).data)).toEqual([Math.tanh(0.5), Math.tanh(2)]);
    const g = numericalGradient(f, x, Tensor.from([1, 1]));
    expect(g.shape).toEqual([1, 3]);
    expect(() => f(Tensor.zeros([2]))).toThrow('expected a tensor with 3 elements');
  });
});

describe('small helpers', () => {
  it('derives distinct, stable seeds per test', () => {
    expect(testSeed(1, '02-convolution', 'backward-dw')).toBe(testSeed(1, '02-convolution', 'backward-dw'));
    expect(testSeed(1, '02-convolution', 'backward-dw')).not.toBe(testSeed(1, '02-convolution', 'backward-dx'));
    expect(testSeed(1, '02-convolution', 'backward-dw')).not.toBe(testSeed(2, '02-convolution', 'backward-dw'));
    expect(testSeed(123, 'a', 'b')).toBeGreaterThanOrEqual(0);
    expect(testSeed(123, 'a', 'b')).toBeLessThanOrEqual(0x7fffffff);
  });

  it('locates an error in the submission, skipping library frames', () => {
    const stack = [
      'ShapeError: Tensor.offset: index [0,0,9,9] is out of range',
      '    at Tensor.offset (/repo/packages/tensor/src/tensor.ts:170:13)',
      '    at conv2dBackward (/submissions/alice/02-convolution/conv.ts:41:13)',
      '    at onMessage (/repo/grader/src/sandbox/runner.ts:120:5)',
    ].join('\n');
    expect(locateError(stack, '/submissions/alice')).toBe('02-convolution/conv.ts:41:13');
    expect(locateError('Error: x\n    at file:///submissions/alice/03-pooling/pool.ts:5:9', '/submissions/alice')).toBe('03-pooling/pool.ts:5:9');
    expect(locateError(stack, '/elsewhere')).toBeNull();
    expect(locateError(undefined, '/submissions/alice')).toBeNull();
  });

  it('recognises the NotImplementedError of the stubs', () => {
    expect(isTodo({ name: 'NotImplementedError', message: 'TODO: conv1x1: ...' })).toBe(true);
    expect(isTodo({ name: 'Error', message: 'TODO: later' })).toBe(true);
    expect(isTodo({ name: 'TypeError', message: 'x is undefined' })).toBe(false);
  });
});

describe('discover: what a path holds', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'dlkata-discover-test-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const mk = (...parts: string[]): string => {
    const d = path.join(root, ...parts);
    mkdirSync(d, { recursive: true });
    return d;
  };
  mk('class', 'alice', '01-gradient-check');
  mk('class', 'alice', '02-convolution');
  mk('class', 'bob', '03-pooling');
  mk('class', 'notes');
  writeFileSync(path.join(root, 'file.txt'), 'x');

  it('an exercise folder: one submission named after its parent', () => {
    const found = discover(path.join(root, 'class', 'alice', '02-convolution'));
    expect(found).toEqual([{ name: 'alice', dir: path.join(root, 'class', 'alice'), exercises: [{ id: '02-convolution', dir: path.join(root, 'class', 'alice', '02-convolution') }] }]);
  });

  it('a submission folder: its exercises in order', () => {
    expect(discover(path.join(root, 'class', 'alice'))[0].exercises.map((e) => e.id)).toEqual(['01-gradient-check', '02-convolution']);
  });

  it('a folder of submissions: one per subfolder, those without exercises included (they score 0)', () => {
    expect(discover(path.join(root, 'class')).map((s) => [s.name, s.exercises.length])).toEqual([['alice', 2], ['bob', 1], ['notes', 0]]);
  });

  it('anything else is a usage error', () => {
    expect(() => discover(path.join(root, 'missing'))).toThrow(UsageError);
    expect(() => discover(path.join(root, 'file.txt'))).toThrow('not a folder');
  });

  it('a folder without exercise folders is one empty submission, not an error', () => {
    expect(discover(path.join(root, 'class', 'notes'))).toEqual([{ name: 'notes', dir: path.join(root, 'class', 'notes'), exercises: [] }]);
  });
});
