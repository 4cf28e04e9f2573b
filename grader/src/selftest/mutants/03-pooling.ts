/**
 * Mutants of exercise 03 (max pooling): the classic mistakes in `maxPool2dForward` and
 * `maxPool2dBackward`, each with the tests that must catch it.
 *
 * @module
 */
import type { Mutant } from '../types.js';

const exercise = '03-pooling';
const file = 'pool.ts';

/** The catalogue of exercise 03. */
export const mutants: readonly Mutant[] = [
  {
    id: 'ties-to-last-maximum',
    exercise,
    file,
    find: 'if (x.get(n, c, h, w) > x.get(n, c, bestH, bestW)) {',
    replace: 'if (x.get(n, c, h, w) >= x.get(n, c, bestH, bestW)) {',
    expectFailIn: ['backward-ties'],
    description: 'on a tie the gradient goes to the last maximum, not the first',
    expectFeedback: { 'backward-ties': ['first in row-major order'] },
  },
  {
    id: 'overlap-overwritten-not-accumulated',
    exercise,
    file,
    find: 'dx.data[dx.offset(n, c, bestH, bestW)] += dout.get(n, c, i, j);',
    replace: 'dx.data[dx.offset(n, c, bestH, bestW)] = dout.get(n, c, i, j);',
    expectFailIn: ['backward-overlap'],
    description: '= instead of += where overlapping windows share their maximum',
    expectFeedback: {
      'backward-overlap': [/^maxPool2dBackward: dx differs at \[[\d,]+\]: got .*, expected .* \(relative error/, 'Your maxPool2dBackward disagrees with your own maxPool2dForward'],
    },
  },
  {
    id: 'gradient-to-every-tied-maximum',
    exercise,
    file,
    find: '          dx.data[dx.offset(n, c, bestH, bestW)] += dout.get(n, c, i, j);',
    replace: [
      '          const top = x.get(n, c, bestH, bestW);',
      '          for (let kh = 0; kh < kernel; kh++) {',
      '            for (let kw = 0; kw < kernel; kw++) {',
      '              const h = i * stride + kh;',
      '              const w = j * stride + kw;',
      '              if (x.get(n, c, h, w) === top) dx.data[dx.offset(n, c, h, w)] += dout.get(n, c, i, j);',
      '            }',
      '          }',
    ].join('\n'),
    expectFailIn: ['backward-ties'],
    description: 'the gradient goes to every element that ties for the maximum',
  },
  {
    id: 'max-starts-at-zero',
    exercise,
    file,
    find: 'let best = -Infinity;',
    replace: 'let best = 0;',
    expectFailIn: ['forward'],
    description: 'the running maximum starts at 0, so a window of negative numbers gives 0',
  },
  {
    id: 'forward-ignores-stride',
    exercise,
    file,
    find: 'best = Math.max(best, x.get(n, c, i * stride + kh, j * stride + kw));',
    replace: 'best = Math.max(best, x.get(n, c, i + kh, j + kw));',
    expectFailIn: ['forward'],
    description: 'the forward pass slides the window by 1 whatever the stride',
  },
  {
    id: 'backward-ignores-stride',
    exercise,
    file,
    find: '              const h = i * stride + kh;\n              const w = j * stride + kw;',
    replace: '              const h = i + kh;\n              const w = j + kw;',
    expectFailIn: ['backward-basic', 'backward-overlap', 'backward-ties'],
    description: 'the backward pass searches windows that slide by 1 whatever the stride',
  },
  // Interactions
  {
    id: 'backward-row-length-h',
    exercise,
    file,
    kind: 'interaction',
    find: '          dx.data[dx.offset(n, c, bestH, bestW)] += dout.get(n, c, i, j);',
    replace: '          dx.data[((n * x.shape[1] + c) * x.shape[2] + bestH) * x.shape[2] + bestW] += dout.get(n, c, i, j);',
    expectFailIn: ['backward-basic', 'backward-overlap', 'backward-ties'],
    description: 'dx written with H as the row length: wrong only with H != W AND a maximum below the first row',
  },
  {
    id: 'forward-image-offset-without-channels',
    exercise,
    file,
    kind: 'interaction',
    find: '          out.set(best, n, c, i, j);',
    replace: '          out.data[((n + c) * Hout + i) * Wout + j] = best;',
    expectFailIn: ['forward'],
    description: 'out written at image offset n (not n * C): wrong only with several images AND several channels',
  },
  {
    id: 'overlap-reset-for-later-images',
    exercise,
    file,
    kind: 'interaction',
    find: '          dx.data[dx.offset(n, c, bestH, bestW)] += dout.get(n, c, i, j);',
    replace: '          dx.data[dx.offset(n, c, bestH, bestW)] = (n > 0 && params.stride < params.kernel ? 0 : dx.data[dx.offset(n, c, bestH, bestW)]) + dout.get(n, c, i, j);',
    expectFailIn: ['backward-overlap'],
    description: 'the sum over overlapping windows is reset for images after the first: wrong only with N > 1 AND overlapping windows',
  },
  // Constant answers
  {
    id: 'forward-returns-window-corner',
    exercise,
    file,
    kind: 'constant',
    find: '          out.set(best, n, c, i, j);',
    replace: '          out.set(x.get(n, c, i * stride, j * stride), n, c, i, j);',
    expectFailIn: ['forward'],
    description: "the forward pass returns each window's first element (subsampling, no max)",
  },
  {
    id: 'backward-zeros',
    exercise,
    file,
    kind: 'constant',
    find: '  return { dx };',
    replace: '  return { dx: dx.map(() => 0) };',
    expectFailIn: ['backward-basic', 'backward-overlap', 'backward-ties'],
    description: 'maxPool2dBackward returns zeros',
  },
  {
    id: 'zero-forward-zero-backward',
    exercise,
    file,
    kind: 'constant',
    find: '  return { out, cache: { x, params: { kernel, stride } } };',
    replace: '  return { out: out.map(() => 0), cache: { x, params: { kernel, stride } } };',
    also: [{ find: '  return { dx };', replace: '  return { dx: dx.map(() => 0) };' }],
    expectFailIn: ['forward', 'backward-basic', 'backward-overlap', 'backward-ties'],
    description: 'a forward pass of zeros and a backward pass of zeros: zero IS the gradient of a constant forward, but it shows nothing and earns nothing',
    expectFeedback: { 'backward-basic': ['hardly depends on x', 'fix the forward pass first'] },
  },
];
