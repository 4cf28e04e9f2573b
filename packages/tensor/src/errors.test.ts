import { describe, expect, it } from 'vitest';
import { NotImplementedError, ShapeError, ValueError } from './errors.js';
import * as api from './index.js';

describe('errors', () => {
  it('ShapeError("affine", ...) -> message "affine: ...", name and op set', () => {
    const e = new ShapeError('affine', 'x has 3 features but w expects 4; x [2,3], w [4,5]');
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe('affine: x has 3 features but w expects 4; x [2,3], w [4,5]');
    expect(e.name).toBe('ShapeError');
    expect(e.op).toBe('affine');
  });

  it('ValueError("conv2d", ...) -> message "conv2d: ...", name and op set', () => {
    const e = new ValueError('conv2d', 'stride must be an integer >= 1, got 0');
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(ShapeError);
    expect(e.message).toBe('conv2d: stride must be an integer >= 1, got 0');
    expect(e.name).toBe('ValueError');
    expect(e.op).toBe('conv2d');
  });

  it('NotImplementedError -> message starts with "TODO: "', () => {
    const e = new NotImplementedError('conv2dForward: slide each filter over the padded input');
    expect(e.message).toBe('TODO: conv2dForward: slide each filter over the padded input');
    expect(e.name).toBe('NotImplementedError');
  });
});

describe('package entry point', () => {
  it('index re-exports every public name', () => {
    const names = [
      'ShapeError', 'ValueError', 'NotImplementedError',
      'Tensor', 'tensor', 'formatShape', 'shapeSize', 'shapesEqual', 'assertNdim', 'assertShape', 'assertFinite',
      'pair', 'convOutputSize', 'samePadding', 'computeConv2DInfo', 'computePool2DInfo',
      'Rng',
      'add', 'sub', 'mul', 'scale', 'axpy', 'sum', 'dot', 'norm', 'maxAbs', 'sumAxes', 'pad2d',
      'gemm', 'matmul', 'transpose2d',
      'im2col', 'col2im',
      'DEFAULT_H', 'numericalGradient', 'relativeError', 'directionalCheck', 'randomDirection', 'compareTensors',
    ];
    for (const n of names) expect(api, n).toHaveProperty(n);
  });
});
