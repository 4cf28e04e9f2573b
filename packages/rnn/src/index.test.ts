import { describe, expect, it } from 'vitest';
import { numericalGradient, Rng, Tensor } from '@dlkata/tensor';
import * as rnn from './index.js';
import { expectGradient, SMOOTH_H } from './test-support.js';

describe('@dlkata/rnn entry point', () => {
  it.each([
    'rnnStepForward',
    'rnnStepBackward',
    'rnnForward',
    'rnnBackward',
    'rnnInitParams',
    'lstmStepForward',
    'lstmStepBackward',
    'lstmForward',
    'lstmBackward',
    'lstmInitParams',
    'wordEmbeddingForward',
    'wordEmbeddingBackward',
    'temporalAffineForward',
    'temporalAffineBackward',
    'temporalSoftmaxLoss',
    'clipGradNorm',
    'clipGradValue',
    'truncatedBptt',
    'timeChunks',
    'sliceTime',
  ])('exports %s', (name) => {
    expect(typeof (rnn as Record<string, unknown>)[name]).toBe('function');
  });

  it('exports LSTM_GATE_ORDER = i, f, g, o', () => {
    expect([...rnn.LSTM_GATE_ORDER]).toEqual(['i', 'f', 'g', 'o']);
  });

  it.each(['rnn', 'lstm'] as const)(
    'a captioning-style model, embedding -> %s -> temporal affine -> masked softmax loss: the composed backward matches the numerical gradient of the loss in W_embed, Wh and W_vocab',
    (cell) => {
      const rng = new Rng(12);
      const [N, T, V, D, H] = [2, 5, 6, 3, 4];
      const G = cell === 'lstm' ? 4 : 1;
      const ids = Array.from({ length: N }, () => Array.from({ length: T }, () => rng.int(0, V - 1)));
      const y = Array.from({ length: N }, () => Array.from({ length: T }, () => rng.int(0, V - 1)));
      const mask = [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]];
      const p = {
        We: rng.randn([V, D]),
        Wx: rng.randn([D, G * H], 1 / Math.sqrt(D)),
        Wh: rng.randn([H, G * H], 1 / Math.sqrt(H)),
        b: rng.randn([G * H], 0.5),
        Wv: rng.randn([H, V], 1 / Math.sqrt(H)),
        bv: rng.randn([V], 0.1),
      };
      const h0 = rng.randn([N, H], 0.5);
      const forward = (q: typeof p) => {
        const emb = rnn.wordEmbeddingForward(ids, q.We);
        const rec = cell === 'lstm' ? rnn.lstmForward(emb.out, h0, q.Wx, q.Wh, q.b) : rnn.rnnForward(emb.out, h0, q.Wx, q.Wh, q.b);
        const aff = rnn.temporalAffineForward(rec.h, q.Wv, q.bv);
        const { loss, dscores } = rnn.temporalSoftmaxLoss(aff.out, y, mask);
        return { loss, dscores, emb, rec, aff };
      };
      const f = forward(p);
      const da = rnn.temporalAffineBackward(f.dscores, f.aff.cache);
      const dr =
        cell === 'lstm'
          ? rnn.lstmBackward(da.dx, (f.rec as ReturnType<typeof rnn.lstmForward>).cache)
          : rnn.rnnBackward(da.dx, (f.rec as ReturnType<typeof rnn.rnnForward>).cache);
      const { dW } = rnn.wordEmbeddingBackward(dr.dx, f.emb.cache);
      const lossIn = (key: keyof typeof p) => (t: Tensor) => Tensor.from([forward({ ...p, [key]: t }).loss]);
      const one = Tensor.ones([1]);
      expectGradient(`${cell} model: dW_embed`, dW, numericalGradient(lossIn('We'), p.We, one, SMOOTH_H));
      expectGradient(`${cell} model: dWh`, dr.dWh, numericalGradient(lossIn('Wh'), p.Wh, one, SMOOTH_H));
      expectGradient(`${cell} model: dW_vocab`, da.dw, numericalGradient(lossIn('Wv'), p.Wv, one, SMOOTH_H));
    },
  );

  it('docstring examples give what they say', () => {
    // lstmStepForward: input gate shut, forget gate open.
    const { nextC } = rnn.lstmStepForward(Tensor.from([[5]]), Tensor.zeros([1, 1]), Tensor.from([[0.7]]), Tensor.zeros([1, 4]), Tensor.zeros([1, 4]), Tensor.from([-20, 20, 0, 20]));
    expect(nextC.get(0, 0)).toBeCloseTo(0.7, 8);
    // lstmInitParams
    expect(Array.from(rnn.lstmInitParams(3, 2, new Rng(0)).b.data)).toEqual([0, 0, 1, 1, 0, 0, 0, 0]);
    // rnnBackward: a loss on the last state only reaches every step.
    const r = new Rng(0);
    const { h, cache } = rnn.rnnForward(r.randn([2, 5, 3]), Tensor.zeros([2, 4]), r.randn([3, 4], 0.5), r.randn([4, 4], 0.5), Tensor.zeros([4]));
    const dh = Tensor.zeros(h.shape);
    for (let n = 0; n < 2; n++) for (let j = 0; j < 4; j++) dh.set(1, n, 4, j);
    const { dx } = rnn.rnnBackward(dh, cache);
    expect(dx.shape).toEqual([2, 5, 3]);
    for (let t = 0; t < 5; t++) expect(Math.abs(dx.get(0, t, 0)) + Math.abs(dx.get(1, t, 1))).toBeGreaterThan(0);
    // timeChunks
    expect(rnn.timeChunks(10, 4).map((c) => [c.start, c.end])).toEqual([[0, 4], [4, 8], [8, 10]]);
    // temporalSoftmaxLoss
    expect(rnn.temporalSoftmaxLoss(Tensor.zeros([2, 3, 4]), [[0, 1, 2], [3, 0, 1]], [[1, 1, 1], [1, 0, 0]]).loss).toBeCloseTo(2 * Math.log(4), 14);
  });
});
