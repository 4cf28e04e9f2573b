/**
 * Mutants of exercise 01 (gradient checking): realistic bugs in `numericalGradient` and
 * `relativeError`, each with the tests that must catch it.
 *
 * @module
 */
import type { Mutant } from '../types.js';

const exercise = '01-gradient-check';
const file = 'gradient-check.ts';

/** The catalogue of exercise 01. */
export const mutants: readonly Mutant[] = [
  {
    id: 'relerr-no-floor',
    exercise,
    file,
    find: 'Math.max(1e-8, Math.abs(x) + Math.abs(y))',
    replace: '(Math.abs(x) + Math.abs(y))',
    expectFailIn: ['relerr-zeros'],
    description: 'relative error without the 1e-8 floor: 0/0 gives NaN where both tensors are 0',
    expectFeedback: { 'relerr-zeros': ['NaN'] },
  },
  {
    id: 'numgrad-ignores-dout',
    exercise,
    file,
    find: 's += (plus[j] - minus[j]) * dout.data[j];',
    replace: 's += plus[j] - minus[j];',
    expectFailIn: ['numgrad-elementwise', 'numgrad-general'],
    description: 'numerical gradient sums f(x+h) - f(x-h) without weighting by dout',
  },
  {
    id: 'numgrad-no-restore',
    exercise,
    file,
    find: 'x.data[i] = old; // restored even if f throws',
    replace: 'x.data[i] = old - h;',
    expectFailIn: ['numgrad-general'],
    description: 'x[i] is left perturbed after its difference (only visible when outputs depend on several inputs)',
  },
  {
    id: 'numgrad-forward-difference',
    exercise,
    file,
    find: '      x.data[i] = old - h;\n      minus = evaluate();',
    replace: '      x.data[i] = old;\n      minus = evaluate();',
    expectFailIn: ['numgrad-elementwise', 'numgrad-general'],
    description: 'one-sided difference (f(x+h) - f(x)) divided by 2h, as if it were centred',
  },
  {
    id: 'numgrad-divides-by-h',
    exercise,
    file,
    find: 'dx.data[i] = s / (2 * h);',
    replace: 'dx.data[i] = s / h;',
    expectFailIn: ['numgrad-elementwise', 'numgrad-general'],
    description: 'centred difference divided by h instead of 2h',
  },
  {
    id: 'relerr-mean-not-max',
    exercise,
    file,
    find: 'worst = Math.max(worst, e);',
    replace: 'worst += e / a.size;',
    expectFailIn: ['relerr-random', 'relerr-zeros'],
    description: 'the mean relative error instead of the largest one',
  },
  {
    id: 'relerr-max-denominator',
    exercise,
    file,
    find: 'e = Math.abs(x - y) / Math.max(1e-8, Math.abs(x) + Math.abs(y));',
    replace: 'e = Math.abs(x - y) / Math.max(1e-8, Math.max(Math.abs(x), Math.abs(y)));',
    expectFailIn: ['relerr-random', 'relerr-zeros'],
    description: 'denominator max(|a|, |b|) instead of |a| + |b|',
  },
  // Interactions: the bug shows only when two settings are non-default together.
  {
    id: 'numgrad-restore-only-1d',
    exercise,
    file,
    kind: 'interaction',
    find: '      x.data[i] = old; // restored even if f throws',
    replace: '      if (x.ndim === 1) x.data[i] = old; // restored even if f throws',
    expectFailIn: ['numgrad-general'],
    description: 'x is restored only when it is 1-D: wrong only for a multi-dimensional x AND an f where every output depends on every input (elementwise f cannot tell)',
  },
  {
    id: 'numgrad-dout-ignored-for-other-shapes',
    exercise,
    file,
    kind: 'interaction',
    find: '    for (let j = 0; j < dout.size; j++) s += (plus[j] - minus[j]) * dout.data[j];',
    replace: '    for (let j = 0; j < dout.size; j++) s += (plus[j] - minus[j]) * (dout.size === x.size ? dout.data[j] : 1);',
    expectFailIn: ['numgrad-general'],
    description: 'dout is used only when f keeps the size of x: wrong only when f changes the size AND dout is not all ones',
  },
  {
    id: 'relerr-last-element-for-matrices',
    exercise,
    file,
    kind: 'interaction',
    find: '    worst = Math.max(worst, e);',
    replace: '    worst = a.ndim > 1 ? e : Math.max(worst, e);',
    expectFailIn: ['relerr-random', 'relerr-zeros'],
    description: 'for matrices the last element\'s error is returned, not the largest: wrong only with ndim > 1 AND the worst element not last',
  },
  // Constant answers
  {
    id: 'relerr-zero',
    exercise,
    file,
    kind: 'constant',
    find: '  return worst;',
    replace: '  return 0;',
    expectFailIn: ['relerr-random', 'relerr-zeros'],
    description: 'relativeError returns 0',
  },
  {
    id: 'numgrad-zeros',
    exercise,
    file,
    kind: 'constant',
    find: '  return dx;\n  // END SOLUTION',
    replace: '  return dx.map(() => 0);\n  // END SOLUTION',
    expectFailIn: ['numgrad-elementwise', 'numgrad-general'],
    description: 'numericalGradient returns zeros',
  },
];
