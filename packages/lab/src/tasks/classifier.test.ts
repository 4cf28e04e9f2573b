import { describe, expect, it } from 'vitest';
import { numericalGradient, Rng, Tensor, ValueError } from '@dlkata/tensor';
import { expectGradient, SMOOTH_H } from '../test-support.js';
import { classifierLossAndGrads, createClassifier, evaluateClassifier, hiddenStateGradientNorms, trainClassifier } from './classifier.js';
import { runLongterm } from './longterm.js';
import { recallBatch, recallFeatures } from './recall.js';

describe('classifierLossAndGrads', () => {
  it.each(['rnn', 'lstm'] as const)('%s, N=3 T=4 D=5 H=3 K=4: every parameter gradient matches the numerical gradient of the loss', (cell) => {
    const rng = new Rng(7);
    const model = createClassifier(cell, 5, 3, 4, rng);
    const { x, y } = recallBatch({ T: 4, symbols: 4 }, 3, rng);
    const { grads } = classifierLossAndGrads(model, x, y);
    for (const name of ['Wx', 'Wh', 'b', 'Wy', 'by'] as const) {
      const p = model.params[name];
      const num = numericalGradient(
        (t) => {
          const saved = Float64Array.from(p.data);
          p.data.set(t.data);
          const loss = evaluateClassifier(model, x, y).loss;
          p.data.set(saved);
          return Tensor.from([loss]);
        },
        p.clone(),
        Tensor.from([1]),
        SMOOTH_H,
      );
      expectGradient(`${cell} d${name}`, grads[name], num);
    }
  });

  it('rejects an unknown cell', () => {
    expect(() => createClassifier('gru' as never, 2, 2, 2, new Rng(0))).toThrow(ValueError);
  });
});

describe('hiddenStateGradientNorms', () => {
  it('one norm per step; the last is ||dL/dh_{T-1}||, nonzero; an untrained RNN passes less gradient to t = 0 than the LSTM (forget bias 3) at T = 30', () => {
    const task = { T: 30, symbols: 4 };
    const { x, y } = recallBatch(task, 64, new Rng(1));
    const rnn = hiddenStateGradientNorms(createClassifier('rnn', recallFeatures(task), 16, 4, new Rng(2)), x, y);
    const lstm = hiddenStateGradientNorms(createClassifier('lstm', recallFeatures(task), 16, 4, new Rng(2), { forgetBias: 3 }), x, y);
    expect(rnn).toHaveLength(30);
    expect(rnn[29]).toBeGreaterThan(0);
    expect(rnn[0] / rnn[29]).toBeLessThan(lstm[0] / lstm[29]);
  });
});

describe('training on "recall the first symbol" (smoke runs)', () => {
  it.each(['rnn', 'lstm'] as const)(
    '%s, T = 5, H = 16, 150 Adam steps: held-out accuracy above 95% (chance 25%), loss falls',
    (cell) => {
      const task = { T: 5, symbols: 4 };
      const model = createClassifier(cell, recallFeatures(task), 16, 4, new Rng(0), { forgetBias: 3 });
      const data = new Rng(1);
      const losses = trainClassifier(model, { steps: 150, lr: 0.01, clip: 1, batch: () => recallBatch(task, 32, data) });
      const test = recallBatch(task, 400, new Rng(2));
      const ev = evaluateClassifier(model, test.x, test.y);
      expect(losses[0]).toBeGreaterThan(1);
      expect(ev.loss).toBeLessThan(0.2);
      expect(ev.accuracy).toBeGreaterThan(0.95);
    },
    30_000,
  );

  it('runLongterm is deterministic for a seed and reports one result per length and cell', () => {
    const opts = { lengths: [3], hidden: 4, symbols: 3, steps: 5, batch: 8, lr: 0.01, clip: 1, forgetBias: 3, testSize: 20, seed: 9 };
    const a = runLongterm(opts);
    const b = runLongterm(opts);
    expect(a.map((r) => [r.T, r.cell])).toEqual([[3, 'rnn'], [3, 'lstm']]);
    expect(b.map((r) => r.losses)).toEqual(a.map((r) => r.losses));
    expect(a[0].gradNormsInitial).toHaveLength(3);
  });
});
