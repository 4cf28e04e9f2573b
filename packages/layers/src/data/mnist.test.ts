import { describe, expect, it } from 'vitest';
import { Rng } from '@dlkata/tensor';
import { Tensor } from '@dlkata/tensor';
import { batches, loadMnist, mnistSplit, randomShift } from './mnist.js';

describe('MNIST from the mnist package', () => {
  it('holds 10,000 real digits, 28x28, grey levels in [0, 1], every class present', () => {
    const { images, labels } = loadMnist();
    expect(images.shape).toEqual([10000, 1, 28, 28]);
    const counts = new Array(10).fill(0);
    for (const l of labels) counts[l]++;
    // Published counts of the package's files (MNIST test set): 863 fives to 1,127 ones.
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of images.data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBe(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(hi).toBeGreaterThan(0.9);
  });

  it('split seed=0: stratified 8,000 / 2,000, deterministic, normalised on train', () => {
    const a = mnistSplit({ seed: 0 });
    const b = mnistSplit({ seed: 0 });
    expect(a.train.images.shape[0] + a.test.images.shape[0]).toBe(10000);
    expect(a.test.images.shape[0]).toBeGreaterThanOrEqual(1990);
    expect(a.test.images.shape[0]).toBeLessThanOrEqual(2010);
    expect(Array.from(a.test.labels.slice(0, 50))).toEqual(Array.from(b.test.labels.slice(0, 50)));
    // each class keeps its share in the test set
    const counts = new Array(10).fill(0);
    for (const l of a.test.labels) counts[l]++;
    expect(counts[1]).toBe(Math.round(1127 * 0.2));
    expect(counts[5]).toBe(Math.round(863 * 0.2));
    // train pixels have mean 0 and std 1 after normalisation
    let s = 0;
    let s2 = 0;
    for (const v of a.train.images.data) {
      s += v;
      s2 += v * v;
    }
    const n = a.train.images.size;
    expect(Math.abs(s / n)).toBeLessThan(1e-9);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(1e-9);
    // a different seed gives a different split
    const c = mnistSplit({ seed: 1 });
    expect(Array.from(c.test.labels.slice(0, 50))).not.toEqual(Array.from(a.test.labels.slice(0, 50)));
  });

  it('digits=[0..4], pad=2, perClass=20: 32x32 images of those classes only', () => {
    const s = mnistSplit({ seed: 3, digits: [0, 1, 2, 3, 4], pad: 2, perClass: 20, normalize: false });
    expect(s.train.images.shape).toEqual([80, 1, 32, 32]);
    expect(s.test.images.shape).toEqual([20, 1, 32, 32]);
    expect(new Set(s.train.labels)).toEqual(new Set([0, 1, 2, 3, 4]));
    // the 2-pixel border is zero padding
    for (let j = 0; j < 32; j++) expect(s.train.images.get(0, 0, 0, j)).toBe(0);
  });

  it('batches of 32 cover the set once, last batch smaller', () => {
    const s = mnistSplit({ seed: 0, perClass: 10 });
    const seen: number[] = [];
    let count = 0;
    for (const { x, y } of batches(s.train, 32, new Rng(1))) {
      expect(x.shape.slice(1)).toEqual([1, 28, 28]);
      expect(x.shape[0]).toBe(y.length);
      seen.push(...y);
      count++;
    }
    expect(seen.length).toBe(80);
    expect(count).toBe(3);
  });

  it('bad options name the op and the value', () => {
    expect(() => mnistSplit({ seed: 0, testFraction: 1.5 })).toThrow('mnistSplit: testFraction must be in (0, 1), got 1.5');
    expect(() => mnistSplit({ seed: 0, digits: [10] })).toThrow('mnistSplit: digits must be integers 0-9, got 10');
    expect(() => [...batches(mnistSplit({ seed: 0, perClass: 5 }).train, 0)]).toThrow('batches: batchSize must be an integer >= 1, got 0');
  });
});

describe('randomShift augmentation', () => {
  it('x=[20,1,7,7] one lit pixel at (3,3), maxShift=2: it moves by at most 2 px, background fills in', () => {
    const x = Tensor.full([20, 1, 7, 7], -0.5);
    for (let n = 0; n < 20; n++) x.set(1, n, 0, 3, 3);
    const y = randomShift(x, 2, new Rng(9));
    const moves = new Set<string>();
    for (let n = 0; n < 20; n++) {
      const lit: number[][] = [];
      for (let h = 0; h < 7; h++) for (let w = 0; w < 7; w++) if (y.get(n, 0, h, w) === 1) lit.push([h, w]);
      expect(lit).toHaveLength(1);
      const [h, w] = lit[0];
      expect(Math.abs(h - 3)).toBeLessThanOrEqual(2);
      expect(Math.abs(w - 3)).toBeLessThanOrEqual(2);
      moves.add(`${h},${w}`);
      expect(y.data.slice(n * 49, (n + 1) * 49).filter((v) => v === -0.5)).toHaveLength(48);
    }
    expect(moves.size).toBeGreaterThan(5);
    expect(x.get(0, 0, 3, 3)).toBe(1); // input untouched
  });
  it('maxShift=0 is the identity; a negative shift is rejected', () => {
    const x = new Rng(1).randn([2, 1, 4, 4]);
    expect(Array.from(randomShift(x, 0, new Rng(1)).data)).toEqual(Array.from(x.data));
    expect(() => randomShift(x, -1, new Rng(1))).toThrow('randomShift: maxShift must be an integer >= 0, got -1');
  });
});
