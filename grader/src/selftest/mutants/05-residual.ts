/**
 * Mutants of exercise 05 (residual blocks): the skip connection misplaced or forgotten, the
 * projection without its stride, the skip path's gradient missing; interaction mutants that
 * show only for two settings together; constant answers.
 *
 * @module
 */
import type { Mutant } from '../types.js';

const exercise = '05-residual';
const file = 'residual.ts';

/** The catalogue of exercise 05. */
export const mutants: readonly Mutant[] = [
  {
    id: 'skip-after-relu',
    exercise,
    file,
    find: 'const sum = add(c2.out, skip);\n  const r2 = reluForward(sum);',
    replace: 'const r2 = reluForward(c2.out);',
    also: [{ find: 'return { out: r2.out, cache:', replace: 'return { out: add(r2.out, skip), cache:' }],
    expectFailIn: ['forward-identity', 'forward-projection', 'forward-stride', 'backward-dx', 'backward-projection'],
    description: "the skip added after the last ReLU (relu(main) + x) with the reference backward pass: dw1, db1, dw2, db2 are right for this forward and keep their points; the skip path's gradient (masked by the ReLU) is not",
    expectFeedback: { 'forward-identity': ['the skip must be added BEFORE the last ReLU'] },
  },
  {
    id: 'skip-after-relu-consistent',
    exercise,
    file,
    kind: 'forward-only',
    find: 'const sum = add(c2.out, skip);\n  const r2 = reluForward(sum);',
    replace: 'const r2 = reluForward(c2.out);',
    also: [
      { find: 'return { out: r2.out, cache:', replace: 'return { out: add(r2.out, skip), cache:' },
      // the backward pass of THAT forward: the skip's gradient is dout itself, the main path's dout masked by relu(main)
      { find: 'const g = reluBackward(dout, cache.relu2).dx;\n  const g2 = convBackward(g, cache.conv2);', replace: 'const g = dout;\n  const g2 = convBackward(reluBackward(dout, cache.relu2).dx, cache.conv2);' },
    ],
    expectFailIn: ['forward-identity', 'forward-projection', 'forward-stride'],
    description: "the skip after the last ReLU with the backward pass of that forward: only the forward tests lose; every backward test is graded against the student's own forward and keeps its points",
    expectFeedback: { 'forward-identity': ['the skip must be added BEFORE the last ReLU'] },
  },
  {
    id: 'projection-no-stride',
    exercise,
    file,
    find: 'convForward(x, ws, bs, { stride, pad: 0 })',
    replace: 'convForward(x, ws, bs, { stride: 1, pad: 0 })',
    expectFailIn: ['forward-stride', 'backward-projection'],
    description: 'the 1x1 projection without the stride (its output cannot be added: the forward pass throws)',
    expectFeedback: { 'forward-stride': [/residualBlockForward threw ShapeError/] },
  },
  {
    id: 'dx-no-skip',
    exercise,
    file,
    find: 'return { dx: add(g1.dx, g), dw1:',
    replace: 'return { dx: g1.dx, dw1:',
    expectFailIn: ['backward-dx'],
    description: 'dx with the identity shortcut misses the skip path gradient',
    expectFeedback: { 'backward-dx': [/^residualBlockBackward: dx differs at \[[\d,]+\]: got .* expected .*relative error/, 'Your residualBlockBackward disagrees with your own residualBlockForward'] },
  },
  {
    id: 'dx-no-projection',
    exercise,
    file,
    find: 'return { dx: add(g1.dx, gs.dx), dw1:',
    replace: 'return { dx: g1.dx, dw1:',
    expectFailIn: ['backward-projection'],
    description: "dx misses the projection's gradient",
  },
  {
    id: 'always-projection',
    exercise,
    file,
    find: 'return C !== F || stride !== 1;',
    replace: 'return true;',
    expectFailIn: ['needs-projection', 'forward-identity', 'backward-weights', 'backward-dx'],
    description: 'residualNeedsProjection always true (the forward pass then demands a ws for the identity)',
    expectFeedback: { 'forward-identity': ['projection'] },
  },
  {
    id: 'no-first-relu',
    exercise,
    file,
    kind: 'forward-only',
    find: 'const c2 = convForward(r1.out, w2, b2, { stride: 1, pad: pad2 });',
    replace: 'const c2 = convForward(c1.out, w2, b2, { stride: 1, pad: pad2 });',
    also: [{ find: 'const g1 = convBackward(reluBackward(g2.dx, cache.relu1).dx, cache.conv1);', replace: 'const g1 = convBackward(g2.dx, cache.conv1);' }],
    expectFailIn: ['forward-identity', 'forward-projection', 'forward-stride'],
    description: 'no ReLU between the two convolutions, forward and backward consistently: the forward tests lose, the backward tests keep their points',
    expectFeedback: { 'forward-identity': ['no ReLU between the two convolutions'] },
  },
  // Interactions: the bug shows only when two settings are non-default together.
  {
    id: 'projection-stride-only-when-channels-change',
    exercise,
    file,
    kind: 'interaction',
    find: 'convForward(x, ws, bs, { stride, pad: 0 })',
    replace: 'convForward(x, ws, bs, { stride: C !== F ? stride : 1, pad: 0 })',
    expectFailIn: ['forward-stride', 'backward-projection'],
    description: 'the projection takes the stride only when the channels change: wrong for stride 2 with C = F',
  },
  {
    id: 'projection-dx-dropped-for-batches-of-wide-blocks',
    exercise,
    file,
    kind: 'interaction',
    find: 'return { dx: add(g1.dx, gs.dx), dw1:',
    replace: 'return { dx: dout.shape[0] > 1 && dout.shape[1] > 2 ? g1.dx : add(g1.dx, gs.dx), dw1:',
    expectFailIn: ['backward-projection'],
    description: "a batched special case for F > 2 that forgets the projection's dx: wrong only with several images AND more than 2 filters",
  },
  {
    id: 'dw2-first-image-on-non-square-input',
    exercise,
    file,
    kind: 'interaction',
    find: 'const g2 = convBackward(g, cache.conv2);',
    replace: 'const g2 = dout.shape[0] > 1 && dout.shape[2] !== dout.shape[3] ? { ...convBackward(g, cache.conv2), dw: convBackward(g.map((v, i) => (i < g.size / dout.shape[0] ? v : 0)), cache.conv2).dw } : convBackward(g, cache.conv2);',
    expectFailIn: ['backward-weights'],
    description: 'dw2 from the first image only, in a code path for non-square inputs: wrong only with several images AND H != W',
  },
  {
    id: 'skip-dropped-for-batches-of-many-channels',
    exercise,
    file,
    kind: 'interaction',
    find: 'const sum = add(c2.out, skip);',
    replace: 'const sum = x.shape[0] > 1 && C > 2 ? c2.out : add(c2.out, skip);',
    expectFailIn: ['forward-identity', 'forward-projection', 'forward-stride', 'backward-dx', 'backward-projection'],
    description: 'the skip left out in a batched code path for inputs of more than 2 channels: wrong only with N > 1 AND C > 2',
  },
  // Constant answers
  {
    id: 'forward-returns-input',
    exercise,
    file,
    kind: 'constant',
    find: 'return { out: r2.out, cache:',
    replace: 'return { out: skip, cache:',
    expectFailIn: ['forward-identity', 'forward-projection', 'forward-stride'],
    description: "the forward pass returns the shortcut (the input for the identity), whatever the weights; its cache is the real one, so the backward pass equals the reference and keeps its points",
  },
  {
    id: 'backward-returns-zeros',
    exercise,
    file,
    kind: 'constant',
    find: 'return { dx: add(g1.dx, g), dw1: g1.dw, db1: g1.db, dw2: g2.dw, db2: g2.db };',
    replace: 'return { dx: g1.dx.map(() => 0), dw1: g1.dw.map(() => 0), db1: g1.db.map(() => 0), dw2: g2.dw.map(() => 0), db2: g2.db.map(() => 0) };',
    expectFailIn: ['backward-weights', 'backward-dx'],
    description: 'the identity backward pass returns zeros for every gradient',
  },
  {
    id: 'needs-projection-false',
    exercise,
    file,
    kind: 'constant',
    find: 'return C !== F || stride !== 1;',
    replace: 'return false;',
    expectFailIn: ['needs-projection'],
    description: 'residualNeedsProjection always false',
  },
  {
    id: 'zero-forward-zero-backward',
    exercise,
    file,
    kind: 'constant',
    find: 'return { out: r2.out, cache:',
    replace: 'return { out: r2.out.map(() => 0), cache:',
    also: [
      { find: 'return { dx: add(g1.dx, g), dw1: g1.dw, db1: g1.db, dw2: g2.dw, db2: g2.db };', replace: 'return { dx: g1.dx.map(() => 0), dw1: g1.dw.map(() => 0), db1: g1.db.map(() => 0), dw2: g2.dw.map(() => 0), db2: g2.db.map(() => 0) };' },
      {
        find: 'return { dx: add(g1.dx, gs.dx), dw1: g1.dw, db1: g1.db, dw2: g2.dw, db2: g2.db, dws: gs.dw, dbs: gs.db };',
        replace: 'return { dx: g1.dx.map(() => 0), dw1: g1.dw.map(() => 0), db1: g1.db.map(() => 0), dw2: g2.dw.map(() => 0), db2: g2.db.map(() => 0), dws: gs.dw.map(() => 0), dbs: gs.db.map(() => 0) };',
      },
    ],
    expectFailIn: ['forward-identity', 'forward-projection', 'forward-stride', 'backward-weights', 'backward-dx', 'backward-projection'],
    description: 'the block returns zeros and its backward pass returns zeros: consistent, and worth nothing',
  },
];
