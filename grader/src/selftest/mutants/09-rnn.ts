/**
 * Mutants of exercise 09 (RNNs and backprop through time): the step, the sequence and the
 * sums over time; forward-only bugs whose backward is right for them; interaction mutants
 * (flat indices that are right only when two sizes agree); constant answers.
 *
 * @module
 */
import type { Mutant } from '../types.js';

const exercise = '09-rnn';
const file = 'rnn.ts';

/** The catalogue of exercise 09. */
export const mutants: readonly Mutant[] = [
  {
    id: 'dwh-overwritten',
    exercise,
    file,
    find: 'for (let i = 0; i < H * H; i++) dWh.data[i] += g.dWh.data[i];',
    replace: 'for (let i = 0; i < H * H; i++) dWh.data[i] = g.dWh.data[i];',
    expectFailIn: ['backward-weights'],
    description: 'dWh overwritten instead of accumulated over time',
    expectFeedback: {
      'backward-weights': [
        /^rnnBackward: dWh differs at \[[\d,]+\]: got .* expected .*relative error/,
        'Step gradients right: your rnnStepBackward matches the reference at every time step',
        'Accumulation over t is missing: your dWh equals the gradient of time step t = 0 alone',
      ],
    },
  },
  {
    id: 'no-carry-through-time',
    exercise,
    file,
    find: '    for (let i = 0; i < N * H; i++) dnext.data[i] += dprev.data[i];\n',
    replace: '',
    expectFailIn: ['backward-dx', 'backward-weights'],
    description: 'the gradient from step t+1 is not added (no flow through time)',
    expectFeedback: { 'backward-dx': ['The gradient does not flow back through time'], 'backward-weights': ['Step gradients right', 'add the gradient coming back from step t+1 (dprevH)'] },
  },
  {
    id: 'tanh-derivative-1-minus-h',
    exercise,
    file,
    find: 'da.data[i] = dnextH.data[i] * (1 - h * h);',
    replace: 'da.data[i] = dnextH.data[i] * (1 - h);',
    expectFailIn: ['step-backward'],
    description: "tanh's derivative taken as 1 - h in the step: the step test loses; the sequence tests, which compose the student's own step right, keep their points",
    expectFeedback: { 'step-backward': ['Your rnnStepBackward disagrees with your own rnnStepForward'] },
  },
  {
    id: 'step-no-tanh-consistent',
    exercise,
    file,
    kind: 'forward-only',
    find: 'nextH.data[n * H + j] = Math.tanh(a);',
    replace: 'nextH.data[n * H + j] = a;',
    also: [{ find: 'da.data[i] = dnextH.data[i] * (1 - h * h);', replace: 'da.data[i] = dnextH.data[i] + 0 * h;' }],
    expectFailIn: ['step-forward'],
    description: "no tanh in the step, with the backward pass of that linear step: only the step's forward test loses; the sequence forward is the right composition of the student's steps and every backward is right for its forward",
    expectFeedback: { 'step-forward': ['apply tanh'] },
  },
  {
    id: 'forward-starts-from-zero',
    exercise,
    file,
    find: '  let prev = h0;',
    replace: '  let prev = h0.map(() => 0);',
    expectFailIn: ['forward', 'backward-dx'],
    description: "the sequence starts from zeros instead of h0: forward loses; dWx, dWh, db are right for that forward and keep their points; dh0 is not (that forward ignores h0, so its dh0 is 0), so backward-dx loses too",
  },
  // Interactions
  {
    id: 'step-x-row-stride-h',
    exercise,
    file,
    kind: 'interaction',
    find: '      for (let d = 0; d < D; d++) a += x.data[n * D + d] * Wx.data[d * H + j];',
    replace: '      for (let d = 0; d < D; d++) a += (x.data[n * H + d] ?? 0) * Wx.data[d * H + j];',
    expectFailIn: ['step-forward', 'step-backward'],
    description: 'x read with row length H instead of D in the step: wrong only with a second example AND D != H; the step backward is not the gradient of that forward, so it loses too; the sequences compose the steps right and keep their points',
  },
  {
    id: 'carry-loop-bound-h-squared',
    exercise,
    file,
    kind: 'interaction',
    find: '    for (let i = 0; i < N * H; i++) dnext.data[i] += dprev.data[i];',
    replace: '    for (let i = 0; i < H * H; i++) dnext.data[i] += dprev.data[i];',
    expectFailIn: ['backward-dx', 'backward-weights'],
    description: 'the carry loop runs to H*H instead of N*H: wrong only with N > H AND T > 1',
  },
  {
    id: 'dwx-sum-bound-h-squared',
    exercise,
    file,
    kind: 'interaction',
    find: '    for (let i = 0; i < D * H; i++) dWx.data[i] += g.dWx.data[i];',
    replace: '    for (let i = 0; i < H * H; i++) dWx.data[i] += g.dWx.data[i];',
    expectFailIn: ['backward-weights'],
    description: 'the dWx sum runs to H*H instead of D*H: wrong only with D > H',
  },
  {
    id: 'step-wx-read-transposed',
    exercise,
    file,
    kind: 'interaction',
    find: '      for (let d = 0; d < D; d++) a += x.data[n * D + d] * Wx.data[d * H + j];',
    replace: '      for (let d = 0; d < D; d++) a += x.data[n * D + d] * Wx.data[j * D + d];',
    expectFailIn: ['step-forward', 'step-backward'],
    description: 'Wx read as [H, D] in the step: wrong only with D > 1 AND H > 1 (the step backward, not its gradient, loses too; the sequences keep their points)',
  },
  // Constant answers
  {
    id: 'step-returns-prev',
    exercise,
    file,
    kind: 'constant',
    find: '  return { nextH, cache: { x, prevH, Wx, Wh, nextH } };',
    replace: '  return { nextH: prevH, cache: { x, prevH, Wx, Wh, nextH } };',
    expectFailIn: ['step-forward'],
    description: 'the step returns its input state (with the real cache): the step forward loses; the step backward equals the reference; the sequences are the right composition of these steps',
  },
  {
    id: 'backward-zeros',
    exercise,
    file,
    kind: 'constant',
    find: '  return { dx, dh0: dprev, dWx, dWh, db };',
    replace: '  return { dx: dx.map(() => 0), dh0: dprev.map(() => 0), dWx: dWx.map(() => 0), dWh: dWh.map(() => 0), db: db.map(() => 0) };',
    expectFailIn: ['backward-dx', 'backward-weights'],
    description: 'rnnBackward returns zeros',
  },
  {
    id: 'zero-step-forward-zero-step-backward',
    exercise,
    file,
    kind: 'constant',
    find: 'return { nextH, cache: { x, prevH, Wx, Wh, nextH } };',
    replace: 'return { nextH: nextH.map(() => 0), cache: { x, prevH, Wx, Wh, nextH } };',
    also: [{ find: 'return { dx, dprevH, dWx, dWh, db };', replace: 'return { dx: dx.map(() => 0), dprevH: dprevH.map(() => 0), dWx: dWx.map(() => 0), dWh: dWh.map(() => 0), db: db.map(() => 0) };' }],
    expectFailIn: ['step-forward', 'step-backward', 'forward', 'backward-dx', 'backward-weights'],
    description: 'a step of zeros and a step backward of zeros; the sequence functions built on them are the right composition, of nothing',
  },
];
