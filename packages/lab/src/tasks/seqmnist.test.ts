import { describe, expect, it } from 'vitest';
import { Rng, Tensor } from '@dlkata/tensor';
import { createSequenceClassifier, evaluateSequences, mnistRows, runSeqMnist } from './seqmnist.js';

describe('sequential MNIST', () => {
  it('mnistRows: time step t of image n is row t of that image', () => {
    const img = new Rng(1).rand([2, 1, 3, 4]);
    const x = mnistRows(img);
    expect(x.shape).toEqual([2, 3, 4]);
    for (let t = 0; t < 3; t++) for (let d = 0; d < 4; d++) expect(x.get(1, t, d)).toBe(img.get(1, 0, t, d));
    expect(() => mnistRows(Tensor.zeros([2, 3, 4]))).toThrow('mnistRows: images must be [n, 1, H, W], got [2,3,4]');
  });

  it('an untrained classifier is at chance: its loss is near ln 10 and its accuracy near 10%', () => {
    const rng = new Rng(2);
    const params = createSequenceClassifier('lstm', 28, 16, 10, rng);
    const x = rng.randn([200, 28, 28]);
    const y = Int32Array.from({ length: 200 }, (_, i) => i % 10);
    const r = evaluateSequences(params, 'lstm', x, y);
    expect(Math.abs(r.loss - Math.log(10))).toBeLessThan(0.3);
    expect(r.accuracy).toBeLessThan(0.25);
  });

  it('a small run (40 digits per class, 3 epochs, H = 24): both models learn, the loss falls and the LSTM beats chance (10%) by a wide margin', () => {
    const r = runSeqMnist({ epochs: 3, hidden: 24, batch: 16, lr: 0.01, clip: 1, seed: 0, perClass: 40 });
    expect(r.models.map((m) => m.cell)).toEqual(['rnn', 'lstm']);
    for (const m of r.models) {
      expect(m.epochs[m.epochs.length - 1].testLoss, `${m.cell}: test loss after training < before`).toBeLessThan(m.initialTestLoss);
      expect(m.epochs[m.epochs.length - 1].trainLoss, `${m.cell}: training loss falls`).toBeLessThan(m.epochs[0].trainLoss);
    }
    expect(r.models[1].testAccuracy, 'LSTM test accuracy').toBeGreaterThan(0.4);
    // Deterministic for a seed.
    const again = runSeqMnist({ epochs: 1, hidden: 8, batch: 16, lr: 0.01, clip: 1, seed: 3, perClass: 10, cells: ['lstm'] });
    const twice = runSeqMnist({ epochs: 1, hidden: 8, batch: 16, lr: 0.01, clip: 1, seed: 3, perClass: 10, cells: ['lstm'] });
    expect(twice.models[0].epochs[0].testLoss).toBe(again.models[0].epochs[0].testLoss);
  });
});
