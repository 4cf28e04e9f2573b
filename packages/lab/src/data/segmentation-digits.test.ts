import { describe, expect, it } from 'vitest';
import { Rng, ValueError } from '@dlkata/tensor';
import { SEGMENTATION_CLASS_NAMES, SEGMENTATION_CLASSES, segmentationBatches, segmentationDigitsSplit } from './segmentation-digits.js';

describe('segmentationDigitsSplit', () => {
  const raw = segmentationDigitsSplit({ seed: 3, train: 40, test: 10, normalize: false });

  it('train=40 test=10: images [n,1,48,48], one label per pixel, 11 classes named background, 0..9', () => {
    expect(raw.train.images.shape).toEqual([40, 1, 48, 48]);
    expect(raw.test.images.shape).toEqual([10, 1, 48, 48]);
    expect(raw.train.labels.length).toBe(40 * 48 * 48);
    expect(raw.train.classes).toBe(SEGMENTATION_CLASSES);
    expect(SEGMENTATION_CLASS_NAMES).toEqual(['background', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(raw.mean).toBe(0);
    expect(raw.std).toBe(1);
  });

  it('every image shows its two digits: the labels are the background and exactly those digits, as thresholded ink', () => {
    const P = 48 * 48;
    for (const set of [raw.train, raw.test]) {
      set.digits.forEach((digits, n) => {
        expect(digits.length).toBe(2);
        const classes = new Set<number>();
        let wrong = 0;
        for (let p = 0; p < P; p++) {
          const label = set.labels[n * P + p];
          const v = set.images.data[n * P + p];
          classes.add(label);
          // ink above the threshold is labelled with its digit, everything else is background
          if ((label === 0 ? v > 0.5 : v <= 0.5) || v < 0 || v > 1) wrong++;
        }
        expect(wrong, `image ${n}: pixels whose label does not match their ink`).toBe(0);
        expect([...classes].sort((a, b) => a - b)).toEqual([...new Set([0, ...digits.map((d) => d + 1)])].sort((a, b) => a - b));
      });
    }
  });

  it('mostly background (as in real segmentation sets): 80-97% of the pixels', () => {
    let bg = 0;
    for (const l of raw.train.labels) if (l === 0) bg++;
    const frac = bg / raw.train.labels.length;
    expect(frac).toBeGreaterThan(0.8);
    expect(frac).toBeLessThan(0.97);
  });

  it('is deterministic in its seed; another seed gives other images', () => {
    const again = segmentationDigitsSplit({ seed: 3, train: 40, test: 10, normalize: false });
    expect(Array.from(again.train.labels)).toEqual(Array.from(raw.train.labels));
    expect(again.test.digits).toEqual(raw.test.digits);
    const other = segmentationDigitsSplit({ seed: 4, train: 40, test: 10, normalize: false });
    expect(Array.from(other.train.labels)).not.toEqual(Array.from(raw.train.labels));
  });

  it('normalises both sets with the training images\' mean and standard deviation', () => {
    const norm = segmentationDigitsSplit({ seed: 3, train: 40, test: 10 });
    let s = 0;
    let s2 = 0;
    for (const v of norm.train.images.data) {
      s += v;
      s2 += v * v;
    }
    const n = norm.train.images.size;
    expect(s / n).toBeCloseTo(0, 10);
    expect(s2 / n).toBeCloseTo(1, 8);
    expect(norm.test.images.data[0]).toBeCloseTo((raw.test.images.data[0] - norm.mean) / norm.std, 12);
    expect(Array.from(norm.test.labels)).toEqual(Array.from(raw.test.labels));
  });

  it('3 digits on 64x64, threshold 0.3: more ink labelled', () => {
    const s = segmentationDigitsSplit({ seed: 1, train: 5, test: 1, size: 64, digitsPerImage: 3, threshold: 0.3, normalize: false });
    expect(s.train.images.shape).toEqual([5, 1, 64, 64]);
    expect(s.train.digits.every((d) => d.length === 3)).toBe(true);
    let wrong = 0;
    for (let i = 0; i < s.train.labels.length; i++) if (s.train.labels[i] > 0 && !(s.train.images.data[i] > 0.3)) wrong++;
    expect(wrong).toBe(0);
  });

  it('rejects counts, sizes, thresholds and fractions out of range, and a canvas too small for the digits', () => {
    expect(() => segmentationDigitsSplit({ seed: 0, train: 0, test: 1 })).toThrow(ValueError);
    expect(() => segmentationDigitsSplit({ seed: 0, train: 1, test: 1, size: 20 })).toThrow('size must be an integer >= 28, got 20');
    expect(() => segmentationDigitsSplit({ seed: 0, train: 1, test: 1, threshold: 1 })).toThrow('threshold must be in (0, 1), got 1');
    expect(() => segmentationDigitsSplit({ seed: 0, train: 1, test: 1, testFraction: 0 })).toThrow('testFraction must be in (0, 1), got 0');
    expect(() => segmentationDigitsSplit({ seed: 0, train: 1, test: 1, size: 32 })).toThrow('segmentationDigitsSplit: a 32x32 canvas cannot hold 2 digits of up to 20x20 pixels apart; use a larger size');
  });
});

describe('segmentationBatches', () => {
  const { train } = segmentationDigitsSplit({ seed: 5, train: 7, test: 1, size: 32, digitsPerImage: 1, normalize: false });

  it('batch 3 over 7 images: 3, 3, 1, labels travel with their images', () => {
    const sizes: number[] = [];
    const P = 32 * 32;
    for (const { x, y } of segmentationBatches(train, 3, new Rng(0))) {
      sizes.push(x.shape[0]);
      expect(y.length).toBe(x.shape[0] * P);
      let wrong = 0;
      for (let i = 0; i < y.length; i++) if (y[i] > 0 !== x.data[i] > 0.5) wrong++;
      expect(wrong).toBe(0);
    }
    expect(sizes).toEqual([3, 3, 1]);
  });

  it('in order without an rng; rejects a batch size below 1', () => {
    const [first] = segmentationBatches(train, 7);
    expect(Array.from(first.y)).toEqual(Array.from(train.labels));
    expect(() => segmentationBatches(train, 0).next()).toThrow('batchSize must be an integer >= 1, got 0');
  });
});
