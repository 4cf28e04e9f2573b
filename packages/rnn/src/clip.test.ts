import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { norm, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { clipGradNorm, clipGradValue } from './clip.js';
import { FC_OPTS } from './test-support.js';

const round3 = (t: Tensor) => Array.from(t.data, (v) => Math.round(v * 1000) / 1000);

describe('clipGradNorm (global norm, PyTorch clip_grad_norm_)', () => {
  it('g1 = [3, 4], g2 = [6, 8], maxNorm 1: one global norm sqrt(125); g1 -> [0.268, 0.358], g2 -> [0.537, 0.716]', () => {
    const { grads, totalNorm, scale } = clipGradNorm([Tensor.from([3, 4]), Tensor.from([6, 8])], 1);
    expect(totalNorm).toBeCloseTo(Math.sqrt(125), 14);
    expect(scale).toBeCloseTo(1 / (Math.sqrt(125) + 1e-6), 15);
    expect(round3(grads[0])).toEqual([0.268, 0.358]);
    expect(round3(grads[1])).toEqual([0.537, 0.716]);
    // Clipping each tensor by its own norm would give [0.6, 0.8] twice: the global result is not that.
    expect(round3(grads[0])).not.toEqual([0.6, 0.8]);
    expect(round3(grads[1])).not.toEqual([0.6, 0.8]);
    // The direction is kept: g2 is still twice g1.
    expect(grads[1].get(0) / grads[0].get(0)).toBeCloseTo(2, 14);
  });

  it('an object { Wx, Wh, b } keeps its keys and their order; the inputs are not modified', () => {
    const g = { Wx: Tensor.from([[3]]), Wh: Tensor.from([[4]]), b: Tensor.from([0]) };
    const { grads, totalNorm } = clipGradNorm(g, 2.5);
    expect(Object.keys(grads)).toEqual(['Wx', 'Wh', 'b']);
    expect(totalNorm).toBe(5);
    expect(grads.Wx.get(0, 0)).toBeCloseTo(1.5, 6);
    expect(grads.Wh.get(0, 0)).toBeCloseTo(2, 6);
    expect(g.Wx.get(0, 0)).toBe(3);
  });

  it('total norm <= maxNorm: unchanged values in new tensors, scale 1 (no 1e-6 shrink at the boundary)', () => {
    const g = [Tensor.from([3, 4])];
    for (const maxNorm of [5, 10]) {
      const { grads, totalNorm, scale } = clipGradNorm(g, maxNorm);
      expect(totalNorm).toBe(5);
      expect(scale).toBe(1);
      expect(grads[0]).not.toBe(g[0]);
      expect(grads[0].toArray()).toEqual([3, 4]);
    }
  });

  it('random lists of 1-4 tensors, maxNorm 0.1-10: clipped global norm <= maxNorm, each tensor = scale * original, totalNorm = norm of the concatenation', () => {
    const cases = fc.record({
      sizes: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 }),
      maxNorm: fc.double({ min: 0.1, max: 10, noNaN: true }),
      std: fc.double({ min: 0.01, max: 10, noNaN: true }),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(cases, (c) => {
        const rng = new Rng(c.seed);
        const g = c.sizes.map((s) => rng.randn([s], c.std));
        const { grads, totalNorm, scale } = clipGradNorm(g, c.maxNorm);
        const concat = Tensor.fromArray(g.flatMap((t) => Array.from(t.data)));
        expect(totalNorm).toBeCloseTo(norm(concat), 10);
        const after = norm(Tensor.fromArray(grads.flatMap((t) => Array.from(t.data))));
        expect(after).toBeLessThanOrEqual(Math.max(c.maxNorm, totalNorm) * (1 + 1e-12));
        if (totalNorm > c.maxNorm) expect(after).toBeCloseTo(c.maxNorm, 5);
        grads.forEach((t, i) => t.data.forEach((v, j) => expect(v).toBe(scale === 1 ? g[i].data[j] : g[i].data[j] * scale)));
      }),
      FC_OPTS,
    );
  });

  it('huge and tiny gradients: the norm neither overflows nor underflows', () => {
    expect(clipGradNorm([Tensor.from([1e200, 1e200])], 1).totalNorm).toBeCloseTo(Math.SQRT2 * 1e200, -186);
    const huge = clipGradNorm([Tensor.from([3e200]), Tensor.from([4e200])], 1);
    expect(huge.grads[0].get(0)).toBeCloseTo(0.6, 6);
    expect(clipGradNorm([Tensor.from([3e-200, 4e-200])], 1).totalNorm / 5e-200).toBeCloseTo(1, 12);
    expect(clipGradNorm([Tensor.zeros([3])], 1).totalNorm).toBe(0);
    expect(clipGradNorm([], 1)).toEqual({ grads: [], totalNorm: 0, scale: 1 });
  });

  it.each([0, -1, NaN, Infinity])('maxNorm %s: ValueError before any work', (maxNorm) => {
    expect(() => clipGradNorm([Tensor.from([1])], maxNorm)).toThrow(new ValueError('clipGradNorm', `maxNorm must be a finite number > 0, got ${maxNorm}`));
  });

  it('NaN or Infinity in a gradient, a non-tensor entry, a bare Tensor: errors naming the entry', () => {
    expect(() => clipGradNorm({ Wx: Tensor.from([[0, NaN]]) }, 1)).toThrow(new ValueError('clipGradNorm', 'grads.Wx contains NaN at [0,1]'));
    expect(() => clipGradNorm([Tensor.from([1]), Tensor.from([Infinity])], 1)).toThrow(new ValueError('clipGradNorm', 'grads[1] contains Infinity at [0]'));
    expect(() => clipGradNorm([Tensor.from([1]), [1, 2] as unknown as Tensor], 1)).toThrow(new ShapeError('clipGradNorm', 'grads[1] must be a Tensor, got object'));
    expect(() => clipGradNorm(Tensor.from([1]) as unknown as Tensor[], 1)).toThrow(
      new ValueError('clipGradNorm', 'grads must be a list of Tensors or an object of Tensors by name, got a single Tensor (wrap it in a list)'),
    );
    expect(() => clipGradNorm(null as unknown as Tensor[], 1)).toThrow(new ValueError('clipGradNorm', 'grads must be a list of Tensors or an object of Tensors by name, got null'));
  });
});

describe('clipGradValue (PyTorch clip_grad_value_)', () => {
  it('b = [-3, 0.5, 2], clipValue 1: [-1, 0.5, 1]; other tensors untouched; inputs not modified', () => {
    const g = { b: Tensor.from([-3, 0.5, 2]), w: Tensor.from([[0.1, -0.2]]) };
    const { grads } = clipGradValue(g, 1);
    expect(grads.b.toArray()).toEqual([-1, 0.5, 1]);
    expect(grads.w.toArray()).toEqual([[0.1, -0.2]]);
    expect(g.b.toArray()).toEqual([-3, 0.5, 2]);
  });

  it('a list keeps its order; clipping per element changes the direction (unlike clipGradNorm)', () => {
    const { grads } = clipGradValue([Tensor.from([10, 1])], 2);
    expect(grads[0].toArray()).toEqual([2, 1]);
  });

  it.each([0, -1, NaN])('clipValue %s: ValueError', (v) => {
    expect(() => clipGradValue([Tensor.from([1])], v)).toThrow(new ValueError('clipGradValue', `clipValue must be a finite number > 0, got ${v}`));
  });

  it('NaN in a gradient: ValueError naming the entry', () => {
    expect(() => clipGradValue({ Wh: Tensor.from([NaN]) }, 1)).toThrow(new ValueError('clipGradValue', 'grads.Wh contains NaN at [0]'));
  });
});
