/**
 * Mutants of exercise 11 (LSTM): the gate order, the final cell state's gradient, sums over
 * time, the gates' derivatives; forward-only bugs whose backward is right for them; interaction
 * mutants; constant answers.
 *
 * @module
 */
import type { Mutant } from '../types.js';

const exercise = '11-lstm';
const file = 'lstm.ts';

/** The catalogue of exercise 11. */
export const mutants: readonly Mutant[] = [
  {
    id: 'final-cell-gradient-dropped',
    exercise,
    file,
    find: 'let dprevC = dcT === undefined ? Tensor.zeros([N, H]) : dcT.clone();',
    replace: 'let dprevC = Tensor.zeros([N, H]);',
    expectFailIn: ['backward-final-cell'],
    description: 'the gradient of the final cell state dropped',
    expectFeedback: { 'backward-final-cell': ['the gradient of the final cell state is dropped'] },
  },
  {
    id: 'cs231n-gate-order',
    exercise,
    file,
    kind: 'forward-only',
    find: 'const g = Math.tanh(a[r + 2 * H + j]);\n      const o = sigmoid(a[r + 3 * H + j]);',
    replace: 'const g = Math.tanh(a[r + 3 * H + j]);\n      const o = sigmoid(a[r + 2 * H + j]);',
    also: [
      { find: 'gates.data[r + 2 * H + j] = g;\n      gates.data[r + 3 * H + j] = o;', replace: 'gates.data[r + 2 * H + j] = o;\n      gates.data[r + 3 * H + j] = g;' },
      { find: 'const g = gates.data[r + 2 * H + j];\n      const o = gates.data[r + 3 * H + j];', replace: 'const o = gates.data[r + 2 * H + j];\n      const g = gates.data[r + 3 * H + j];' },
      { find: 'da[r + 2 * H + j] = dc * i * (1 - g * g);\n      da[r + 3 * H + j] = dnextH.data[k] * tc * o * (1 - o);', replace: 'da[r + 3 * H + j] = dc * i * (1 - g * g);\n      da[r + 2 * H + j] = dnextH.data[k] * tc * o * (1 - o);' },
    ],
    expectFailIn: ['step-forward'],
    description: "CS231n's gate order i, f, o, g, consistently forward and backward: only the step's forward test loses; the sequence is the right composition of the student's steps, every backward is right for its forward, and the carry test sets only i and f",
    expectFeedback: { 'step-forward': ["Your lstmStepForward reads the four gate blocks in the order i, f, o, g (CS231n's order)"] },
  },
  {
    id: 'dwh-overwritten',
    exercise,
    file,
    find: 'for (let i = 0; i < H * G; i++) dWh.data[i] += g.dWh.data[i];',
    replace: 'for (let i = 0; i < H * G; i++) dWh.data[i] = g.dWh.data[i];',
    expectFailIn: ['backward-weights', 'backward-final-cell'],
    description: 'dWh overwritten instead of accumulated over time (both tests that check dWh of a sequence)',
    expectFeedback: { 'backward-weights': ['Accumulation over t is missing: your dWh equals the gradient of time step t = 0 alone'] },
  },
  {
    id: 'forget-derivative-without-prevc',
    exercise,
    file,
    find: 'da[r + H + j] = dc * prevC.data[k] * f * (1 - f);',
    replace: 'da[r + H + j] = dc * f * (1 - f);',
    expectFailIn: ['step-backward'],
    description: "the forget gate's derivative without prevC in the step: the step test loses; the sequences compose the student's own step right and keep their points",
  },
  {
    id: 'no-output-gate',
    exercise,
    file,
    kind: 'forward-only',
    find: '      nextH.data[k] = o * tanhC.data[k];',
    replace: '      nextH.data[k] = tanhC.data[k] + 0 * o;',
    also: [
      { find: 'const dc = dnextC.data[k] + dnextH.data[k] * o * (1 - tc * tc);', replace: 'const dc = dnextC.data[k] + dnextH.data[k] * (1 - tc * tc);' },
      { find: 'da[r + 3 * H + j] = dnextH.data[k] * tc * o * (1 - o);', replace: 'da[r + 3 * H + j] = 0;' },
    ],
    expectFailIn: ['step-forward'],
    description: 'no output gate (nextH = tanh(nextC)), with the backward of that forward: only the step forward test loses',
  },
  // Interactions
  {
    id: 'carry-loop-bound-h-squared',
    exercise,
    file,
    kind: 'interaction',
    find: '    for (let i = 0; i < N * H; i++) dnextH.data[i] += dprevH.data[i];',
    replace: '    for (let i = 0; i < H * H; i++) dnextH.data[i] += dprevH.data[i];',
    expectFailIn: ['backward-dx', 'backward-weights', 'backward-final-cell'],
    description: 'the carry of dprevH runs to H*H instead of N*H: wrong only with N > H AND T > 1',
  },
  {
    id: 'step-prevh-row-stride-d',
    exercise,
    file,
    kind: 'interaction',
    find: '      for (let k = 0; k < H; k++) s += prevH.data[n * H + k] * Wh.data[k * G + q];',
    replace: '      for (let k = 0; k < H; k++) s += (prevH.data[n * D + k] ?? 0) * Wh.data[k * G + q];',
    expectFailIn: ['step-forward', 'step-backward'],
    description: 'prevH read with row length D instead of H: wrong only with a second example AND D != H (the step backward, not its gradient, loses too; the sequences keep their points)',
  },
  {
    id: 'dwx-sum-bound',
    exercise,
    file,
    kind: 'interaction',
    find: '    for (let i = 0; i < D * G; i++) dWx.data[i] += g.dWx.data[i];',
    replace: '    for (let i = 0; i < H * G; i++) dWx.data[i] += g.dWx.data[i];',
    expectFailIn: ['backward-weights', 'backward-final-cell'],
    description: 'the dWx sum runs to H*G instead of D*G: wrong only with D > H',
  },
  // Constant answers
  {
    id: 'step-returns-prev-state',
    exercise,
    file,
    kind: 'constant',
    find: '  return { nextH, nextC, cache: { x, prevH, prevC, Wx, Wh, gates, nextC, tanhC } };',
    replace: '  return { nextH: prevH, nextC: prevC, cache: { x, prevH, prevC, Wx, Wh, gates, nextC, tanhC } };',
    expectFailIn: ['step-forward'],
    description: 'the step returns its input state (with the real cache): only the step forward loses; the sequences are the right composition of these steps',
  },
  {
    id: 'backward-zeros',
    exercise,
    file,
    kind: 'constant',
    find: '  return { dx, dh0: dprevH, dc0: dprevC, dWx, dWh, db };',
    replace: '  return { dx: dx.map(() => 0), dh0: dprevH.map(() => 0), dc0: dprevC.map(() => 0), dWx: dWx.map(() => 0), dWh: dWh.map(() => 0), db: db.map(() => 0) };',
    expectFailIn: ['backward-dx', 'backward-weights', 'backward-final-cell'],
    description: 'lstmBackward returns zeros',
  },
  {
    id: 'zero-step-forward-zero-step-backward',
    exercise,
    file,
    kind: 'constant',
    find: 'return { nextH, nextC, cache: { x, prevH, prevC, Wx, Wh, gates, nextC, tanhC } };',
    replace: 'return { nextH: nextH.map(() => 0), nextC: nextC.map(() => 0), cache: { x, prevH, prevC, Wx, Wh, gates, nextC, tanhC } };',
    also: [
      {
        find: 'return { dx, dprevH, dprevC, dWx, dWh, db };',
        replace: 'return { dx: dx.map(() => 0), dprevH: dprevH.map(() => 0), dprevC: dprevC.map(() => 0), dWx: dWx.map(() => 0), dWh: dWh.map(() => 0), db: db.map(() => 0) };',
      },
    ],
    expectFailIn: ['step-forward', 'step-backward', 'forward', 'carry', 'backward-dx', 'backward-weights', 'backward-final-cell'],
    description: 'a step of zeros and a step backward of zeros; the sequence functions built on them are the right composition, of nothing',
  },
];
