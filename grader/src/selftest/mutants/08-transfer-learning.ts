/**
 * Mutants of exercise 08 (transfer learning): freezing, the optimiser and the backward pass
 * ignoring the frozen list, the new head; interaction mutants; constant answers.
 *
 * @module
 */
import type { Mutant } from '../types.js';

const exercise = '08-transfer-learning';
const file = 'transfer.ts';

/** The catalogue of exercise 08. */
export const mutants: readonly Mutant[] = [
  {
    id: 'frozen-still-updated',
    exercise,
    file,
    find: 'if (g === undefined || frozen.includes(name)) continue; // frozen: no update, no velocity',
    replace: 'if (g === undefined) continue;',
    expectFailIn: ['sgd-frozen'],
    description: 'the optimiser ignores the frozen list',
    expectFeedback: { 'sgd-frozen': [/is frozen: it must keep its value, even though a gradient for it was passed/] },
  },
  {
    id: 'head-old-size',
    exercise,
    file,
    find: 'next[`${head}.w`] = new Rng(seed).randn([D, classes], Math.sqrt(2 / D));\n  next[`${head}.b`] = Tensor.zeros([classes]);',
    replace: 'next[`${head}.w`] = new Rng(seed).randn([D, old.shape[1]], Math.sqrt(2 / D));\n  next[`${head}.b`] = Tensor.zeros([old.shape[1]]);',
    expectFailIn: ['replace-head'],
    description: 'the new head keeps the old number of classes',
    expectFeedback: { 'replace-head': ['the new head has one output per new class'] },
  },
  {
    id: 'head-kept',
    exercise,
    file,
    find: 'next[`${head}.w`] = new Rng(seed).randn([D, classes], Math.sqrt(2 / D));\n  next[`${head}.b`] = Tensor.zeros([classes]);',
    replace: 'void D;',
    expectFailIn: ['replace-head'],
    description: 'the head is not replaced at all (the other parameters are still right)',
  },
  {
    id: 'backward-stops-at-frozen',
    exercise,
    file,
    find: 'const trainable = !frozen.includes(`${c.name}.w`);',
    replace: 'const trainable = !frozen.includes(`${c.name}.w`);\n    if (!trainable) return { grads, dx: null };',
    expectFailIn: ['backward-frozen-middle'],
    description: 'the backward pass stops at the first frozen layer it meets',
    expectFeedback: { 'backward-frozen-middle': [/Missing: fc\d\.b, fc\d\.w/] },
  },
  {
    id: 'backward-ignores-frozen',
    exercise,
    file,
    find: "const lowest = layers.findIndex((l) => l.type === 'affine' && !frozen.includes(`${l.name}.w`));",
    replace: "const lowest = layers.findIndex((l) => l.type === 'affine');",
    also: [{ find: 'const trainable = !frozen.includes(`${c.name}.w`);', replace: 'const trainable = true;' }],
    expectFailIn: ['backward-frozen-bottom', 'backward-frozen-middle'],
    description: 'the backward pass ignores the frozen list (gradients for frozen layers, no early stop)',
    expectFeedback: { 'backward-frozen-bottom': ['must get no gradient'] },
  },
  // Interactions
  {
    id: 'momentum-ignored-after-first-step-for-frozen-nets',
    exercise,
    file,
    kind: 'interaction',
    find: 'const v = g.map((gi, i) => momentum * (old ? old.data[i] : 0) + gi);',
    replace: 'const v = g.map((gi, i) => (frozen.length > 0 ? 0 : momentum) * (old ? old.data[i] : 0) + gi);',
    expectFailIn: ['sgd-frozen'],
    description: 'the velocity is dropped when some parameters are frozen: wrong only with momentum > 0, a velocity from an earlier step AND a frozen parameter',
  },
  {
    id: 'trainable-count-skips-biases-when-frozen',
    exercise,
    file,
    kind: 'interaction',
    find: '    if (!frozen.includes(name)) trainable += p.size;',
    replace: '    if (!frozen.includes(name) && !(frozen.length > 0 && name.endsWith(\'.b\'))) trainable += p.size;',
    expectFailIn: ['count-params'],
    description: 'trainable leaves out the biases whenever something is frozen: wrong only with a frozen layer AND a trainable bias',
  },
  {
    id: 'freeze-order-of-layers-for-several',
    exercise,
    file,
    kind: 'interaction',
    find: '  return names.filter((name) => layers.includes(layerOf(name)));',
    replace: '  return layers.length > 1 ? layers.flatMap((l) => names.filter((name) => layerOf(name) === l)) : names.filter((name) => layers.includes(layerOf(name)));',
    expectFailIn: ['freeze'],
    description: 'freeze lists the names in the order of the layers asked, not of params: wrong only with two or more layers asked AND out of order',
  },
  {
    id: 'dx-kept-when-bottom-frozen-deep',
    exercise,
    file,
    kind: 'interaction',
    find: '  return { grads, dx: lowest === 0 ? d : null };',
    replace: '  return { grads, dx: lowest === 0 || layers.length < 5 ? d : null };',
    expectFailIn: ['backward-frozen-bottom'],
    description: 'dx returned although the first layer is frozen, in networks of fewer than 5 layers: wrong only with a frozen bottom AND a shallow network',
  },
  // Constant answers
  {
    id: 'count-params-zero',
    exercise,
    file,
    kind: 'constant',
    find: '  return { total, trainable };',
    replace: '  return { total: 0, trainable: 0 };',
    expectFailIn: ['count-params'],
    description: 'countParams returns zeros',
  },
  {
    id: 'sgd-returns-input',
    exercise,
    file,
    kind: 'constant',
    find: '  return { params: nextParams, velocity: nextVelocity };',
    replace: '  return { params, velocity };',
    expectFailIn: ['sgd-step', 'sgd-frozen'],
    description: 'sgdStep returns its inputs unchanged',
  },
];
