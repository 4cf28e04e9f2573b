import { describe, expect, it } from 'vitest';
import { Rng, ValueError } from '@dlkata/tensor';
import { recallBatch, recallFeatures } from './recall.js';

describe('recallBatch', () => {
  const task = { T: 7, symbols: 4 };

  it('x [N, T, K+1]: one-hot symbols, the marker at t = 0 only; y is the first symbol', () => {
    const { x, ids, y } = recallBatch(task, 50, new Rng(1));
    expect(x.shape).toEqual([50, 7, 5]);
    expect(recallFeatures(task)).toBe(5);
    for (let n = 0; n < 50; n++) {
      expect(y[n]).toBe(ids[n * 7]);
      for (let t = 0; t < 7; t++) {
        const row = Array.from(x.data.subarray((n * 7 + t) * 5, (n * 7 + t + 1) * 5));
        const id = ids[n * 7 + t];
        expect(id).toBeGreaterThanOrEqual(0);
        expect(id).toBeLessThan(4);
        expect(row.slice(0, 4)).toEqual([0, 1, 2, 3].map((k) => (k === id ? 1 : 0)));
        expect(row[4], `marker at n=${n} t=${t}`).toBe(t === 0 ? 1 : 0);
      }
    }
  });

  it('deterministic: the same seed gives the same batch, another seed another', () => {
    const a = recallBatch(task, 20, new Rng(3));
    const b = recallBatch(task, 20, new Rng(3));
    const c = recallBatch(task, 20, new Rng(4));
    expect(Array.from(b.ids)).toEqual(Array.from(a.ids));
    expect(Array.from(b.x.data)).toEqual(Array.from(a.x.data));
    expect(Array.from(c.ids)).not.toEqual(Array.from(a.ids));
  });

  it('labels are balanced over 4000 sequences (each symbol 25% +- 3%), distractors from the same alphabet', () => {
    const { y, ids } = recallBatch({ T: 3, symbols: 4 }, 4000, new Rng(5));
    const counts = [0, 0, 0, 0];
    for (const v of y) counts[v]++;
    for (const c of counts) expect(Math.abs(c / 4000 - 0.25)).toBeLessThan(0.03);
    // later positions are just as uniform: the answer is not given away by the distractors
    const later = [0, 0, 0, 0];
    for (let n = 0; n < 4000; n++) later[ids[n * 3 + 2]]++;
    for (const c of later) expect(Math.abs(c / 4000 - 0.25)).toBeLessThan(0.03);
  });

  it('T = 1: the only symbol is the answer', () => {
    const { x, y } = recallBatch({ T: 1, symbols: 3 }, 5, new Rng(6));
    for (let n = 0; n < 5; n++) expect(x.data[n * 4 + y[n]]).toBe(1);
  });

  it('rejects sizes out of range, naming the argument', () => {
    expect(() => recallBatch({ T: 0, symbols: 4 }, 1, new Rng(0))).toThrow('recallBatch: T must be an integer >= 1, got 0');
    expect(() => recallBatch({ T: 3, symbols: 1 }, 1, new Rng(0))).toThrow(ValueError);
    expect(() => recallBatch({ T: 3, symbols: 2 }, 0, new Rng(0))).toThrow('recallBatch: N must be an integer >= 1, got 0');
  });
});
