import { describe, expect, it } from 'vitest';
import { germanWord } from '../data/number-words.js';
import { BOS, decodeGerman, EOS, numberSplit, PAD, runTranslate, sourceIds, SOURCE_LENGTH, SOURCE_VOCAB, targetIds, TARGET_LENGTH, TARGET_VOCAB } from './translate.js';

describe('translate: data', () => {
  it('sources are padded at the front, targets run <s> ... </s> then padding; decoding the target ids gives the German word', () => {
    expect(SOURCE_LENGTH).toBe(6);
    expect(TARGET_LENGTH).toBe(7);
    expect(sourceIds(312).map((i) => SOURCE_VOCAB[i])).toEqual(['<pad>', '<pad>', '<pad>', 'three', 'hundred', 'twelve']);
    const t = targetIds(21);
    expect(t.map((i) => TARGET_VOCAB[i])).toEqual(['<s>', 'ein', 'und', 'zwanzig', '</s>', '<pad>', '<pad>', '<pad>', '<pad>']);
    for (const n of [1, 21, 101, 312, 1001, 7777, 9999]) expect(decodeGerman(targetIds(n).slice(1))).toBe(germanWord(n));
    expect(decodeGerman([TARGET_VOCAB.indexOf('drei'), EOS, TARGET_VOCAB.indexOf('zwei')])).toBe('drei');
    expect([PAD, BOS, EOS]).toEqual([0, 1, 2]);
  });

  it('the split is seeded and disjoint: no held-out number is in the training set', () => {
    const a = numberSplit(5, 2000, 1000);
    expect(a).toEqual(numberSplit(5, 2000, 1000));
    expect(a.train.length).toBe(2000);
    expect(a.test.length).toBe(1000);
    const train = new Set(a.train);
    expect(a.test.some((n) => train.has(n))).toBe(false);
    expect(() => numberSplit(0, 9000, 1000)).toThrow('numberSplit: trainSize and testSize must be integers >= 1 with a sum of at most 9999, got 9000 and 1000');
  });
});

describe('translate: a small run', () => {
  it("1 layer, 600 training numbers, 7 epochs: the loss falls and held-out numbers are translated exactly far above chance (about 0)", () => {
    const r = runTranslate({ layers: [1], hidden: 32, embed: 16, epochs: 7, batch: 16, lr: 0.01, clip: 5, seed: 0, trainSize: 600, testSize: 200 });
    const m = r.models[0];
    expect(m.epochs[6].trainLoss).toBeLessThan(m.epochs[0].trainLoss / 4);
    expect(m.test.accuracy).toBeGreaterThan(0.2);
    expect(Object.keys(m.test.byLength).length).toBeGreaterThanOrEqual(4);
  });
});
