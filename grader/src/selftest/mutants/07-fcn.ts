/**
 * Mutants of exercise 07 (fully convolutional networks): the transposed convolution's size,
 * overlap and gradients; the per-pixel loss and the segmentation metrics; interaction mutants;
 * constant answers.
 *
 * @module
 */
import type { Mutant } from '../types.js';

const exercise = '07-fcn';
const ct = 'conv-transpose.ts';
const seg = 'segmentation.ts';

/** The catalogue of exercise 07. */
export const mutants: readonly Mutant[] = [
  {
    id: 'size-without-output-padding',
    exercise,
    file: ct,
    find: 'const out = (size - 1) * stride - 2 * pad + kernel + outputPadding;',
    replace: 'const out = (size - 1) * stride - 2 * pad + kernel;',
    expectFailIn: ['output-size-outpad', 'forward-outpad'],
    description: 'the output size without outputPadding (off by one)',
    expectFeedback: {
      'output-size-outpad': [/^convTransposeOutputSize\(\d+, \d+, \d+, \d+, [123]\) returned \d+, expected \d+/],
      'forward-outpad': [/convTranspose2dForward: out has shape \[[\d,]+\], expected \[[\d,]+\]/],
    },
  },
  {
    id: 'iou-averaged-over-absent-classes',
    exercise,
    file: seg,
    find: 'if (Number.isNaN(v)) continue; // absent class: no IoU',
    replace: 'if (Number.isNaN(v)) {\n      present++; // an absent class counted as IoU 0\n      continue;\n    }',
    expectFailIn: ['mean-iou'],
    description: 'mean IoU averaged over absent classes too',
    expectFeedback: { 'mean-iou': ['absent classes have no IoU and are left out'] },
  },
  {
    id: 'loss-per-image',
    exercise,
    file: seg,
    kind: 'forward-only',
    find: 'const M = N * H * W;',
    replace: 'const M = N;',
    expectFailIn: ['loss'],
    description: 'the loss averaged over images instead of pixels; dscores is consistent with that loss, so loss-grad keeps its points',
    expectFeedback: { loss: ['averaged over all N*H*W pixels'] },
  },
  {
    id: 'argmax-ties-to-last',
    exercise,
    file: seg,
    find: 'if (scores.get(n, k, h, w) > scores.get(n, best, h, w)) best = k;',
    replace: 'if (scores.get(n, k, h, w) >= scores.get(n, best, h, w)) best = k;',
    expectFailIn: ['predict'],
    description: 'argmax ties go to the highest class',
    expectFeedback: { predict: ['a tie goes to the lowest class'] },
  },
  {
    id: 'dw-overwritten',
    exercise,
    file: ct,
    find: 'dw.data[dw.offset(c, f, kh, kw)] += g * v;',
    replace: 'dw.data[dw.offset(c, f, kh, kw)] = g * v;',
    expectFailIn: ['backward-dw'],
    description: 'dw overwritten (=) instead of accumulated (+=)',
    expectFeedback: { 'backward-dw': ['Your convTranspose2dBackward disagrees with your own convTranspose2dForward'] },
  },
  {
    id: 'db-first-image',
    exercise,
    file: ct,
    find: 'for (let s = 0; s < Wout; s++) db.data[f] += dout.get(n, f, r, s);',
    replace: 'for (let s = 0; s < Wout; s++) if (n === 0) db.data[f] += dout.get(n, f, r, s);',
    expectFailIn: ['backward-db'],
    description: 'db of the first image only',
  },
  {
    id: 'forward-overlap-overwritten',
    exercise,
    file: ct,
    find: 'out.data[out.offset(n, f, r, s)] += v * w.get(c, f, kh, kw);',
    replace: 'out.data[out.offset(n, f, r, s)] = v * w.get(c, f, kh, kw);',
    expectFailIn: ['forward-basic', 'forward-stride', 'forward-pad', 'forward-outpad'],
    description: 'the forward pass overwrites where kernels overlap (= instead of +=), and across input channels',
    expectFeedback: { 'forward-basic': ['Missing += where contributions meet'] },
  },
  // Interactions
  {
    id: 'pad-cut-only-on-unit-stride',
    exercise,
    file: ct,
    kind: 'interaction',
    find: '              const r = i * stride - pad + kh;\n              if (r < 0 || r >= Hout) continue; // cut by the padding',
    replace: '              const r = i * stride - (stride > 1 && pad > 0 ? 0 : pad) + kh;\n              if (r < 0 || r >= Hout) continue; // cut by the padding',
    expectFailIn: ['forward-pad', 'forward-outpad'],
    description: 'the rows are not shifted by the padding when the stride is above 1: wrong only with stride > 1 AND pad > 0 (the backward pass, right, keeps its points)',
  },
  {
    id: 'backward-dx-offset-without-channels',
    exercise,
    file: ct,
    kind: 'interaction',
    find: '                dx.data[dx.offset(n, c, i, j)] += g * w.get(c, f, kh, kw);',
    replace: '                dx.data[(n + c) * H * W + i * W + j] += g * w.get(c, f, kh, kw);',
    expectFailIn: ['backward-dx'],
    description: 'dx written at the image offset n * H * W (without the channels): wrong only with several images AND several channels',
  },
  {
    id: 'confusion-transposed-for-many-classes',
    exercise,
    file: seg,
    kind: 'interaction',
    find: 'for (let i = 0; i < labels.length; i++) m.data[labels[i] * K + pred[i]] += 1;',
    replace: 'for (let i = 0; i < labels.length; i++) m.data[K > 2 ? pred[i] * K + labels[i] : labels[i] * K + pred[i]] += 1;',
    expectFailIn: ['confusion'],
    description: 'rows and columns of the confusion matrix swapped when there are more than two classes (IoU is symmetric, so only confusion can see it): wrong only with K > 2 AND a wrong prediction',
  },
  {
    id: 'loss-label-index-square-images',
    exercise,
    file: seg,
    kind: 'interaction',
    find: 'const y = labels[(n * H + h) * W + w];',
    replace: 'const y = labels[(n * H + h) * H + w];',
    expectFailIn: ['loss', 'loss-grad'],
    description: 'the label index uses H for the row length: wrong only with H != W AND (a second row or a second image)',
  },
  // Constant answers
  {
    id: 'output-size-constant',
    exercise,
    file: ct,
    kind: 'constant',
    find: '  return out;\n  // END SOLUTION',
    replace: '  return size * stride;\n  // END SOLUTION',
    expectFailIn: ['output-size', 'output-size-outpad', 'forward-basic', 'forward-stride', 'forward-pad', 'forward-outpad', 'backward-dx', 'backward-dw', 'backward-db'],
    description: 'convTransposeOutputSize returns size * stride, the "upsampling factor" guess',
  },
  {
    id: 'pixel-accuracy-one',
    exercise,
    file: seg,
    kind: 'constant',
    find: '  return correct / labels.length;',
    replace: '  return 1;',
    expectFailIn: ['pixel-accuracy'],
    description: 'pixelAccuracy returns 1',
  },
];
