/**
 * Mutants of exercise 12 (recurrent architectures): the classic mistakes in the stacked LSTM,
 * the many-to-one classifier, the captioning model and the encoder-decoder, each with the tests
 * that must catch it. Several are forward-only mistakes whose backward pass is consistent with
 * the wrong forward: they must cost the value test only (one mistake costs once).
 *
 * @module
 */
import type { Mutant } from '../types.js';

const exercise = '12-rnn-architectures';
const file = 'architectures.ts';

/** The catalogue of exercise 12. */
export const mutants: readonly Mutant[] = [
  {
    id: 'final-hidden-state-at-t0',
    exercise,
    file,
    find: 'hT.push(timeStep(r.h, T - 1));',
    replace: 'hT.push(timeStep(r.h, 0));',
    expectFailIn: ['stacked-forward'],
    description: "each layer's final hidden state is read at t = 0 instead of t = T-1",
  },
  {
    id: 'lower-layers-get-no-gradient',
    exercise,
    file,
    find: '    upstream = g.dx;\n  }\n  return { dx: upstream, layers, dh0, dc0 };',
    replace: '  }\n  return { dx: upstream, layers, dh0, dc0 };',
    expectFailIn: ['stacked-backward'],
    description: 'every layer receives the top layer\'s dh: the dx of layer l is not passed down to layer l - 1',
  },
  {
    id: 'mean-pool-backward-not-divided-by-T',
    exercise,
    file,
    find: 'else for (let t = 0; t < T; t++) dh.data[(n * T + t) * H + j] = g / T;',
    replace: 'else for (let t = 0; t < T; t++) dh.data[(n * T + t) * H + j] = g;',
    expectFailIn: ['many-to-one-grads'],
    description: 'with mean pooling, every step receives dp instead of dp / T',
    expectFeedback: { 'many-to-one-grads': ['disagrees with your own manyToOneLoss loss'] },
  },
  {
    id: 'loss-summed-over-batch',
    exercise,
    file,
    find: 'return { loss, scores: scores.reshape([N, K]),',
    replace: 'return { loss: loss * N, scores: scores.reshape([N, K]),',
    expectFailIn: ['many-to-one-loss', 'many-to-one-grads'],
    description: 'the loss is summed over the batch, not averaged (the gradients are still those of the mean)',
    expectFeedback: { 'many-to-one-loss': ['average the cross-entropy over the batch'] },
  },
  {
    id: 'caption-padding-counted',
    exercise,
    file,
    find: 'const scores = affineForward(f.h, params.Wvocab, params.bvocab);\n  const { loss, dscores } = softmaxLoss(scores, target, mask);',
    replace: 'const scores = affineForward(f.h, params.Wvocab, params.bvocab);\n  const { loss, dscores } = softmaxLoss(scores, target, target.map((r) => r.map(() => true)));',
    expectFailIn: ['caption-loss'],
    description: 'the captioning loss counts the <NULL> padding (no mask); the gradients are those of that loss',
    expectFeedback: { 'caption-loss': ['counts the padding'] },
  },
  {
    id: 'caption-image-ignored',
    exercise,
    file,
    find: 'const f = lstmForward(x, h0, Tensor.zeros([N, H]), layer);',
    replace: 'const f = lstmForward(x, Tensor.zeros([N, H]), Tensor.zeros([N, H]), layer);',
    expectFailIn: ['caption-loss', 'caption-grads'],
    description: 'the LSTM starts from zeros instead of the projected image features (while the backward pass still trains the projection)',
    expectFeedback: { 'caption-loss': ['does not depend on the image'] },
  },
  {
    id: 'caption-projection-gets-no-gradient',
    exercise,
    file,
    find: 'const dp = affineBackward(g.dh0.reshape([N, 1, H]), feats, params.Wproj);',
    replace: 'const dp = affineBackward(Tensor.zeros([N, 1, H]), feats, params.Wproj);',
    expectFailIn: ['caption-grads'],
    description: 'the gradient of the initial hidden state (dh0) is not sent back into the image projection',
    expectFeedback: { 'caption-grads': ['from dh0'] },
  },
  {
    id: 'greedy-continues-after-end',
    exercise,
    file,
    find: '    const scores = affineForward(h.reshape([N, 1, H]), params.Wvocab, params.bvocab);\n    for (let n = 0; n < N; n++) {\n      if (done[n]) continue;\n      let best = 0;',
    replace: '    const scores = affineForward(h.reshape([N, 1, H]), params.Wvocab, params.bvocab);\n    for (let n = 0; n < N; n++) {\n      let best = 0;',
    expectFailIn: ['caption-greedy'],
    description: 'greedy decoding keeps generating after <END> instead of padding with <NULL>',
    expectFeedback: { 'caption-greedy': ['then it continues'] },
  },
  {
    id: 'temperature-multiplied',
    exercise,
    file,
    find: '(v) => v / temperature)',
    replace: '(v) => v * temperature)',
    expectFailIn: ['caption-sample'],
    description: 'the scores are multiplied by the temperature instead of divided',
    expectFeedback: { 'caption-sample': ['divide the scores by the temperature'] },
  },
  {
    id: 'sample-uniform-indexed-by-step-only',
    exercise,
    file,
    find: 'const u = uniforms.data[n * maxLength + t];',
    replace: 'const u = uniforms.data[t];',
    expectFailIn: ['caption-sample'],
    description: 'every example uses the uniform numbers of the first row',
  },
  {
    id: 'encoder-cell-gradient-dropped',
    exercise,
    file,
    find: 'const ge = lstmBackward(dhEnc, e.cache, gd.dc0);',
    replace: 'const ge = lstmBackward(dhEnc, e.cache);',
    expectFailIn: ['seq2seq-grads'],
    description: "the decoder's dc0 is not passed to the encoder as the gradient of its final cell state",
    expectFeedback: { 'seq2seq-grads': ['dcT = dc0'] },
  },
  {
    id: 'decoder-starts-from-zeros',
    exercise,
    file,
    find: 'const d = lstmForward(xt, hT, e.cT, dec);',
    replace: 'const d = lstmForward(xt, Tensor.zeros([N, H]), Tensor.zeros([N, H]), dec);',
    expectFailIn: ['seq2seq-loss', 'seq2seq-grads'],
    description: 'the decoder starts from zeros: the source never reaches it (the backward pass still trains the encoder)',
    expectFeedback: { 'seq2seq-loss': ['does not depend on the source'] },
  },
  {
    id: 'greedy-decoder-cell-from-zeros',
    exercise,
    file,
    find: '  let c = e.cT;',
    replace: '  let c = Tensor.zeros([N, H]);',
    expectFailIn: ['seq2seq-greedy'],
    description: "greedy translation starts the decoder with the encoder's hidden state but a zero cell state",
  },
];
