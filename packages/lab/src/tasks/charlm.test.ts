import { describe, expect, it } from 'vitest';
import { numericalGradient, Rng, Tensor, ValueError } from '@dlkata/tensor';
import { expectGradient, SMOOTH_H } from '../test-support.js';
import {
  buildVocabulary,
  charLmChunk,
  createCharLm,
  decodeIds,
  encodeText,
  evaluateCharLm,
  loadCorpus,
  makeStreams,
  sampleText,
  trainCharLm,
  unigramCrossEntropy,
} from './charlm.js';

describe('the bundled corpus', () => {
  it('is Genesis 1-3 of the King James Version: about 10 KB of plain ASCII, 80 verses', () => {
    const text = loadCorpus();
    expect(text.startsWith('In the beginning God created the heaven and the earth.\n')).toBe(true);
    expect(text.trimEnd().endsWith('to keep the way of the tree of life.')).toBe(true);
    expect(text.length).toBeGreaterThan(10_000);
    expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
    expect(text.split('\n').filter((l) => l.trim() !== '').length).toBe(80);
  });
});

describe('vocabulary, encoding, streams', () => {
  it('buildVocabulary: distinct characters sorted; encode and decode round-trip', () => {
    const vocab = buildVocabulary('hello, world');
    expect(vocab.chars).toEqual([' ', ',', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    const ids = encodeText('hello', vocab);
    expect(Array.from(ids)).toEqual([4, 3, 5, 5, 6]);
    expect(decodeIds(ids, vocab)).toBe('hello');
    expect(() => encodeText('hi!', vocab)).toThrow('encodeText: character "i" at 1 is not in the vocabulary (V = 9)');
    expect(() => buildVocabulary('')).toThrow(ValueError);
  });

  it('makeStreams: N contiguous streams, targets are the next characters', () => {
    const ids = Int32Array.from({ length: 11 }, (_, i) => i);
    const { inputs, targets, L } = makeStreams(ids, 2);
    expect(L).toBe(5);
    expect(Array.from(inputs)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(targets)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(() => makeStreams(Int32Array.from([1, 2]), 3)).toThrow(ValueError);
  });

  it('unigramCrossEntropy: add-one smoothed frequencies, nats per character', () => {
    // train "aab" with V = 2: p(a) = 3/5, p(b) = 2/5
    expect(unigramCrossEntropy([0, 0, 1], [0, 1], 2)).toBeCloseTo(-(Math.log(3 / 5) + Math.log(2 / 5)) / 2, 14);
  });
});

describe('charLmChunk', () => {
  it('N=2 L=3 V=5 E=3 H=3: the gradient of the mean loss per character matches the numerical gradient for every parameter', () => {
    const rng = new Rng(4);
    const model = createCharLm(5, 3, 3, rng);
    const inputs = Int32Array.from([0, 1, 2, 3, 4, 0]);
    const targets = Int32Array.from([1, 2, 3, 4, 0, 1]);
    const h = rng.randn([2, 3], 0.5);
    const c = rng.randn([2, 3], 0.5);
    const r = charLmChunk(model, inputs, targets, 2, h, c, true);
    for (const name of ['embed', 'Wx', 'Wh', 'b', 'Wy', 'by']) {
      const p = model.params[name];
      const num = numericalGradient(
        (t) => {
          const saved = Float64Array.from(p.data);
          p.data.set(t.data);
          const loss = charLmChunk(model, inputs, targets, 2, h, c, false).loss;
          p.data.set(saved);
          return Tensor.from([loss]);
        },
        p.clone(),
        Tensor.from([1]),
        SMOOTH_H,
      );
      expectGradient(`d${name}`, r.grads![name], num);
    }
  });

  it('an untrained model costs about ln V per character', () => {
    const text = loadCorpus().slice(0, 2000);
    const vocab = buildVocabulary(text);
    const model = createCharLm(vocab.chars.length, 8, 16, new Rng(0));
    expect(Math.abs(evaluateCharLm(model, encodeText(text, vocab)) - Math.log(vocab.chars.length))).toBeLessThan(0.5);
  });
});

describe('trainCharLm (smoke run)', () => {
  it(
    'Genesis 1 (first 3,000 characters), H = 32, 4 epochs: validation loss falls below the unigram baseline; deterministic for a seed',
    () => {
      const opts = { text: loadCorpus().slice(0, 3000), epochs: 4, hidden: 32, embed: 8, streams: 8, bptt: 25, lr: 0.01, seed: 3, sampleLength: 30 };
      const run = trainCharLm(opts);
      const last = run.epochs[run.epochs.length - 1];
      expect(run.initialLoss).toBeGreaterThan(run.unigramTrain);
      expect(last.trainLoss).toBeLessThan(run.epochs[0].trainLoss);
      expect(last.validationLoss).toBeLessThan(run.unigramValidation);
      expect(last.sample.startsWith(opts.text.slice(0, 12))).toBe(true);
      expect(last.sample).toHaveLength(12 + 30);
      const again = trainCharLm({ ...opts, epochs: 1 });
      expect(again.epochs[0].trainLoss).toBe(run.epochs[0].trainLoss);
      expect(again.epochs[0].sample).toBe(run.epochs[0].sample);
    },
    30_000,
  );

  it('sampleText: temperature near 0 picks the most likely character; rejects a bad temperature', () => {
    const vocab = buildVocabulary('ab');
    const model = createCharLm(2, 2, 2, new Rng(1));
    model.params.by.data.set([5, -5]); // 'a' far more likely whatever the state
    model.params.Wy.data.fill(0);
    expect(sampleText(model, vocab, 'b', 5, 0.01, new Rng(2))).toBe('baaaaa');
    expect(() => sampleText(model, vocab, 'b', 5, 0, new Rng(2))).toThrow(ValueError);
  });
});
