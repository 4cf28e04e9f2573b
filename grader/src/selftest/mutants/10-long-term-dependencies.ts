/**
 * Mutants of exercise 10 (long-term dependencies): the recurrences, the gradient norms through
 * time and the two clippings; interaction mutants; constant answers.
 *
 * @module
 */
import type { Mutant } from '../types.js';

const exercise = '10-long-term-dependencies';
const file = 'longterm.ts';

/** The catalogue of exercise 10. */
export const mutants: readonly Mutant[] = [
  {
    id: 'clip-per-tensor',
    exercise,
    file,
    find: 'return { grads: grads.map((g) => g.map((v) => v * scale)), totalNorm };',
    replace: 'return { grads: grads.map((g) => { const n = Math.hypot(...g.data); return g.map((v) => (n > maxNorm ? (v * maxNorm) / (n + 1e-6) : v)); }), totalNorm };',
    expectFailIn: ['clip-norm'],
    description: 'each tensor clipped by its own norm where the global norm was asked',
    expectFeedback: { 'clip-norm': ['Each tensor was clipped by its own norm (per tensor), but the GLOBAL norm over all tensors was asked'] },
  },
  {
    id: 'norms-no-tanh-derivative',
    exercise,
    file,
    find: "const da = activation === 'tanh' ? g[n * H + j] * (1 - ht * ht) : g[n * H + j];",
    replace: 'const da = g[n * H + j];',
    expectFailIn: ['grad-norms-tanh'],
    description: "tanh's derivative forgotten in the gradient norms (the linear test cannot see it)",
    expectFeedback: { 'grad-norms-tanh': [/^gradientNormsThroughTime differs at \[\d+\]/] },
  },
  {
    id: 'eigen-untransposed',
    exercise,
    file,
    find: 's += Q.data[i * H + k] * A0.data[i];',
    replace: 's += Q.data[k * H + i] * A0.data[i];',
    expectFailIn: ['eigen'],
    description: 'Q A0 instead of Q^T A0 in the eigendecomposition',
    expectFeedback: { eigen: ['Your result is Q diag(lambda^t) Q A0'] },
  },
  {
    id: 'recurrence-theta-transposed',
    exercise,
    file,
    find: 'for (let j = 0; j < H; j++) s += theta.data[i * H + j] * out.data[(t - 1) * H + j];',
    replace: 'for (let j = 0; j < H; j++) s += theta.data[j * H + i] * out.data[(t - 1) * H + j];',
    expectFailIn: ['recurrence'],
    description: 'theta^T A instead of theta A (the tests draw non-symmetric theta)',
  },
  // Interactions
  {
    id: 'norms-batch-index-without-time',
    exercise,
    file,
    kind: 'interaction',
    find: 'const ht = h.data[(n * T + t) * H + j];',
    replace: 'const ht = h.data[(n + t) * H + j];',
    expectFailIn: ['grad-norms-tanh'],
    description: 'the hidden state read at row n + t instead of n * T + t: wrong only with tanh, N > 1 AND T > 1',
  },
  {
    id: 'clip-value-only-first-tensor-when-several',
    exercise,
    file,
    kind: 'interaction',
    find: 'return { grads: grads.map((g) => g.map((v) => Math.min(clipValue, Math.max(-clipValue, v)))) };',
    replace: 'return { grads: grads.map((g, k) => (k > 0 && g.size > 1 ? g.clone() : g.map((v) => Math.min(clipValue, Math.max(-clipValue, v))))) };',
    expectFailIn: ['clip-value'],
    description: 'only the first tensor is clipped by value when later tensors have several elements: wrong only with two or more tensors AND a later one of size > 1 with a large element',
  },
  {
    id: 'clip-norm-scale-without-epsilon-when-many',
    exercise,
    file,
    kind: 'interaction',
    find: 'const scale = totalNorm > maxNorm ? maxNorm / (totalNorm + 1e-6) : 1;',
    replace: 'const scale = totalNorm > maxNorm ? (grads.length > 2 ? maxNorm / totalNorm ** 2 : maxNorm / (totalNorm + 1e-6)) : 1;',
    expectFailIn: ['clip-norm'],
    description: 'a wrong scale (maxNorm / norm^2) in a branch for three or more tensors: wrong only with 3+ tensors AND a norm above maxNorm',
  },
  {
    id: 'eigen-power-only-first-for-long-horizons',
    exercise,
    file,
    kind: 'interaction',
    find: '    z[k] = s * lambda.data[k] ** t;',
    replace: '    z[k] = s * lambda.data[t > 3 && H > 2 ? 0 : k] ** t;',
    expectFailIn: ['eigen'],
    description: 'every component raised with the first eigenvalue for t > 3: wrong only with t > 3 AND H > 2',
  },
  // Constant answers
  {
    id: 'norms-constant',
    exercise,
    file,
    kind: 'constant',
    find: '    out.data[t] = Math.sqrt(g.reduce((s, v) => s + v * v, 0));',
    replace: '    out.data[t] = Math.sqrt(Array.from(dhT.data).reduce((s, v) => s + v * v, 0));',
    expectFailIn: ['grad-norms-linear', 'grad-norms-tanh'],
    description: 'every norm is the last one, ||dhT|| (no decay through time)',
  },
  {
    id: 'clip-value-returns-input',
    exercise,
    file,
    kind: 'constant',
    find: 'return { grads: grads.map((g) => g.map((v) => Math.min(clipValue, Math.max(-clipValue, v)))) };',
    replace: 'return { grads: grads.map((g) => g.clone()) };',
    expectFailIn: ['clip-value'],
    description: 'clipGradValue returns its input unchanged',
  },
];
