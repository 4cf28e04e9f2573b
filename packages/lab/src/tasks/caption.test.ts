import { describe, expect, it } from 'vitest';
import { mnistSplit } from '@dlkata/layers';
import { directionalCheck, Rng, Tensor } from '@dlkata/tensor';
import { bleu1, captionerLossAndGrads, captionIds, captionText, createCaptioner, END, makeCanvases, NULL, runCaption, START } from './caption.js';

describe('captioning data', () => {
  it('caption ids: <start>, digit names, <end>, padding; captionText reads them back up to <end>', () => {
    expect(captionIds([7, 2])).toEqual([START, 10, 5, END, NULL]);
    expect(captionText(captionIds([7, 2]).slice(1))).toBe('seven two');
    expect(captionText([3, END, 4])).toBe('zero');
    expect(captionIds([1], 1)).toEqual([START, 4, END]);
  });

  it('canvases: 1-3 digits in consecutive slots, the ink of each digit lies in its slot (up to the 2-pixel shift), empty slots stay background', () => {
    const split = mnistSplit({ seed: 0, perClass: 20, normalize: false });
    const set = makeCanvases(split.train, 30, 3, new Rng(1), 0);
    expect(set.images.shape).toEqual([30, 1, 28, 84]);
    const counts = new Set(set.digits.map((d) => d.length));
    expect([...counts].sort()).toEqual([1, 2, 3]);
    for (let i = 0; i < 30; i++) {
      let ink = 0;
      for (let k = 0; k < 28 * 84; k++) ink += set.images.data[i * 28 * 84 + k];
      expect(ink, `canvas ${i}`).toBeGreaterThan(30 * set.digits[i].length);
    }
    expect(() => makeCanvases(split.train, 1, 4, new Rng(0), 0)).toThrow('makeCanvases: maxDigits must be an integer from 1 to slots = 3, got 4');
  });

  it('BLEU-1: 1 for exact captions, clipped counts, brevity penalty for short ones', () => {
    expect(bleu1(['seven two', 'one'], ['seven two', 'one'])).toBe(1);
    expect(bleu1(['two two two'], ['two seven one'])).toBeCloseTo(1 / 3, 12);
    expect(bleu1(['seven'], ['seven two'])).toBeCloseTo(Math.exp(1 - 2), 12);
    expect(bleu1([''], ['one'])).toBe(0);
  });
});

describe('captioning model', () => {
  it('the CNN is trained through the decoder: gradients of conv1.w, conv2.w and Wproj pass a directional check of the loss', () => {
    const split = mnistSplit({ seed: 0, perClass: 10 });
    const rng = new Rng(3);
    const set = makeCanvases(split.train, 3, 1, rng, -split.mean / split.std, 1);
    const params = createCaptioner({ filters: [2, 3], hidden: 4, embed: 3 }, rng, 1);
    const { grads } = captionerLossAndGrads(params, set.images, set.digits);
    for (const k of ['conv1.w', 'conv2.w', 'conv2.b', 'Wproj', 'Wx']) {
      const f = (t: Tensor): Tensor => Tensor.from([captionerLossAndGrads({ ...params, [k]: t }, set.images, set.digits).loss]);
      const c = directionalCheck(f, params[k], grads[k], Tensor.from([1]), rng);
      expect(c.relError, `${k}: numeric ${c.numeric}, analytic ${c.analytic}`).toBeLessThan(1e-6);
    }
  });

  it('a small run (one-digit canvases, 3 epochs of 800, the encoder pre-trained for 3 epochs, cosine decay): the loss falls and held-out captions are exact far above chance (10%)', () => {
    const r = runCaption({ size: { filters: [6, 12], hidden: 32, embed: 8 }, trainCanvases: 800, testCanvases: 100, epochs: 3, batch: 16, lr: 0.004, clip: 5, seed: 0, perClass: 100, slots: 1, maxDigits: 1 });
    expect(r.pretrain.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(r.pretrain[2].trainLoss).toBeLessThan(r.pretrain[0].trainLoss);
    expect(r.pretrain[2].testAccuracy).toBeGreaterThan(0.5);
    expect(r.epochs[2].trainLoss).toBeLessThan(r.epochs[0].trainLoss);
    expect(r.epochs[2].trainLoss).toBeLessThan(r.initialTestLoss / 2);
    expect(r.evaluation.exact).toBeGreaterThan(0.3);
    expect(r.evaluation.bleu1).toBeGreaterThan(0.3);
  });

  it('options: pretrainEpochs must be an integer >= 0 and cosine a boolean; 0 epochs skips pre-training', () => {
    const base = { size: { filters: [2, 2] as const, hidden: 4, embed: 2 }, trainCanvases: 2, testCanvases: 2, epochs: 1, batch: 2, lr: 1e-3, clip: 1, seed: 0, perClass: 5, slots: 1, maxDigits: 1 };
    expect(() => runCaption({ ...base, pretrainEpochs: -1 })).toThrow('runCaption: pretrainEpochs must be an integer >= 0, got -1');
    expect(() => runCaption({ ...base, pretrainEpochs: 1.5 })).toThrow('runCaption: pretrainEpochs must be an integer >= 0, got 1.5');
    expect(() => runCaption({ ...base, cosine: 'yes' as unknown as boolean })).toThrow('runCaption: cosine must be true or false, got yes');
    expect(runCaption({ ...base, pretrainEpochs: 0, cosine: false }).pretrain).toEqual([]);
  });
});
