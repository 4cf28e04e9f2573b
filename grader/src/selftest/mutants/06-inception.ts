/**
 * Mutants of exercise 06 (1x1 convolutions and the inception module): branches in the wrong
 * order, the pooling branch with a stride, costs without the bottleneck, gradients missing a
 * branch; interaction mutants; constant answers.
 *
 * @module
 */
import type { Mutant } from '../types.js';

const exercise = '06-inception';
const file = 'inception.ts';

/** The catalogue of exercise 06. */
export const mutants: readonly Mutant[] = [
  {
    id: 'wrong-branch-order',
    exercise,
    file,
    find: 'concatChannels([b1.out, b3.out, b5.out, bp.out])',
    replace: 'concatChannels([b1.out, b5.out, b3.out, bp.out])',
    expectFailIn: ['forward'],
    description: 'branches concatenated 1x1 | 5x5 | 3x3 | pool (the backward pass splits in the right order, so forward-shape passes and the backward tests are right for... the reference order)',
    expectFeedback: { forward: ['should be branch 2 (1x1 -> 3x3) and are not. They hold branch 3 (1x1 -> 5x5)'] },
  },
  {
    id: 'pool-stride-2',
    exercise,
    file,
    find: 'maxPoolForward(x, { kernel: 3, stride: 1, pad: 1 })',
    replace: 'maxPoolForward(x, { kernel: 3, stride: 2, pad: 1 })',
    expectFailIn: ['forward-shape', 'forward', 'backward-dx', 'backward-params'],
    description: 'the pooling branch with stride 2: the module cannot be concatenated (it throws), so nothing downstream can be graded',
    expectFeedback: { 'forward-shape': [/concatChannels/] },
  },
  {
    id: 'total-no-reductions',
    exercise,
    file,
    find: 'const total = cost.c1 + cost.c3reduce + cost.c3 + cost.c5reduce + cost.c5 + cost.poolProj;',
    replace: 'const total = cost.c1 + cost.c3 + cost.c5 + cost.poolProj;',
    expectFailIn: ['cost-total'],
    description: 'the total leaves out the 1x1 reductions',
    expectFeedback: { 'cost-total': ['the 1x1 reductions too'] },
  },
  {
    id: 'cost-no-bottleneck',
    exercise,
    file,
    find: "c5: convMultiplies([spec.c5reduce, H, W], spec.c5, 5, 1, 'same'),",
    replace: "c5: convMultiplies([C, H, W], spec.c5, 5, 1, 'same'),",
    expectFailIn: ['cost-branches'],
    description: 'the 5x5 cost counted on the input channels (no bottleneck); the total of its own counts still passes',
  },
  {
    id: 'dx-no-pool-branch',
    exercise,
    file,
    find: 'const dx = add(add(g1.dx, g3r.dx), add(g5r.dx, gpool.dx));',
    replace: 'const dx = add(add(g1.dx, g3r.dx), g5r.dx);',
    expectFailIn: ['backward-dx'],
    description: "dx without the pooling branch's gradient",
  },
  {
    id: 'conv1x1-no-relu',
    exercise,
    file,
    find: 'out.data[(n * F + f) * P + p] = Math.max(0, s);',
    replace: 'out.data[(n * F + f) * P + p] = s;',
    kind: 'forward-only',
    expectFailIn: ['conv1x1-forward'],
    description:
      "the 1x1 convolution without its ReLU: one mistake, costed once, in conv1x1-forward; the module's forward and backward are the right composition of the student's own helpers and keep their points",
    expectFeedback: { 'conv1x1-forward': ['without the ReLU'] },
  },
  // Interactions
  {
    id: 'conv1x1-batch-offset-without-channels',
    exercise,
    file,
    kind: 'interaction',
    find: 'for (let c = 0; c < C; c++) s += w.data[f * C + c] * x.data[(n * C + c) * P + p];',
    replace: 'for (let c = 0; c < C; c++) s += w.data[f * C + c] * x.data[(n + c) * P + p];',
    expectFailIn: ['conv1x1-forward', 'conv1x1-backward'],
    description:
      "the image offset n * P instead of n * C * P: wrong only with several images AND several channels; the helper's tests cost it, the module (the right composition of the helpers) keeps its points",
  },
  {
    id: 'concat-offset-per-image',
    exercise,
    file,
    kind: 'interaction',
    find: '          for (let q = 0; q < W; q++) out.set(x.get(n, c, h, q), n, at + c, h, q);',
    replace: '          for (let q = 0; q < W; q++) out.set(x.get(n, c, h, q), n, n > 0 && xs.length > 2 ? c : at + c, h, q);',
    expectFailIn: ['concat'],
    description: 'the channel offset restarts for images after the first when there are more than two tensors: wrong only with N > 1 AND three or more tensors (the backward pass splits right and keeps its points)',
  },
  {
    id: 'split-reuses-first-group-for-later-images',
    exercise,
    file,
    kind: 'interaction',
    find: 'for (let q = 0; q < W; q++) part.set(x.get(n, at + c, h, q), n, c, h, q);',
    replace: 'for (let q = 0; q < W; q++) part.set(x.get(n, n > 0 && sizes.length > 2 ? c : at + c, h, q), n, c, h, q);',
    expectFailIn: ['split'],
    description: 'splitChannels reads the first group for images after the first when there are more than two groups: wrong only with N > 1 AND three or more groups',
  },
  {
    id: 'conv1x1-dw-single-pixel-row',
    exercise,
    file,
    kind: 'interaction',
    find: '          dw.data[f * C + c] += g * x.data[i];',
    replace: '          if (n === 0 || H * W === 1) dw.data[f * C + c] += g * x.data[i];',
    expectFailIn: ['conv1x1-backward', 'backward-params'],
    description: 'dw of the 1x1 convolution from the first image only unless the image is a single pixel: wrong only with N > 1 AND H*W > 1',
  },
  // Constant answers
  {
    id: 'conv-multiplies-zero',
    exercise,
    file,
    kind: 'constant',
    find: '  return filters * C * kernel * kernel * OH * OW;',
    replace: '  return 0;',
    expectFailIn: ['cost-conv', 'cost-branches'],
    description: 'convMultiplies returns 0 (cost-total, the sum of its own counts, keeps its point)',
  },
  {
    id: 'conv1x1-forward-returns-zeros',
    exercise,
    file,
    kind: 'constant',
    find: '  return { out, cache: { x, w, out } };',
    replace: '  return { out: Tensor.zeros(out.shape), cache: { x, w, out } };',
    expectFailIn: ['conv1x1-forward', 'forward', 'backward-params'],
    description:
      'conv1x1ReluForward returns zeros of the right shape (its cache is the real one): the module composed of it can be all zeros, which earns nothing on a second look; dx still equals the reference',
  },
];
