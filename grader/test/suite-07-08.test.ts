/**
 * End-to-end grading of exercises 07 (FCN) and 08 (transfer learning): the solutions get full
 * marks, the untouched stubs get 0 with a TODO per test, and submissions with one planted,
 * realistic bug each (a string patch of the solutions, see fixtures.ts) lose points in
 * exactly the tests that should catch it and keep every other point.
 *
 * The suites are passed explicitly, so these tests do not depend on the registry.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { grade, type ExerciseResult } from '../src/index.js';
import { fcnSuite } from '../src/suites/07-fcn.js';
import { transferLearningSuite } from '../src/suites/08-transfer-learning.js';
import { cleanFixtures, makeSubmission, REPO, SEED, type Patch } from './fixtures.js';

afterAll(cleanFixtures);

const SUITES = [fcnSuite, transferLearningSuite];
const FCN = '07-fcn';
const TRANSFER = '08-transfer-learning';

function failedIds(ex: ExerciseResult): string[] {
  return ex.tests.filter((t) => t.status !== 'passed').map((t) => t.id);
}

/** Asserts that exactly `failing` tests lost their points and every other test has full points. */
function expectLosses(ex: ExerciseResult, failing: readonly string[]): void {
  expect(failedIds(ex).sort()).toEqual([...failing].sort());
  for (const t of ex.tests) {
    if (failing.includes(t.id)) {
      expect(t.points, t.id).toBe(0);
      expect(t.feedback, t.id).not.toBe('');
    } else {
      expect(t.points, `${t.id}: ${t.feedback}`).toBe(t.maxPoints);
    }
  }
}

async function gradeBug(name: string, ex: string, patches: readonly Patch[]): Promise<ExerciseResult> {
  const dir = makeSubmission(name, patches, [ex]);
  const report = await grade(path.join(dir, ex), { seed: SEED, suites: SUITES });
  const result = report.submissions[0].exercises.find((e) => e.id === ex);
  if (!result) throw new Error(`no exercise ${ex} in the report`);
  return result;
}

const test = (ex: ExerciseResult, id: string) => ex.tests.find((t) => t.id === id)!;

describe('exercises 07 and 08: solutions and stubs', () => {
  it('gives the solutions full marks: 25 points for 07, 15 for 08', async () => {
    const report = await grade(makeSubmission('correct-07-08', [], [FCN, TRANSFER]), { seed: SEED, suites: SUITES, exercises: [FCN, TRANSFER] });
    const sub = report.submissions[0];
    expect(sub.exercises.map((e) => e.id)).toEqual([FCN, TRANSFER]);
    for (const ex of sub.exercises) {
      for (const t of ex.tests) expect(t.status, `${ex.id}/${t.id}: ${t.feedback}`).toBe('passed');
    }
    expect(sub.exercises.map((e) => e.maxScore)).toEqual([25, 15]);
    expect(sub.score).toBe(sub.maxScore);
  });

  it('gives the untouched exercises 0 points, every test a TODO naming its function', async () => {
    for (const ex of [FCN, TRANSFER]) {
      const report = await grade(path.join(REPO, 'exercises', ex), { seed: SEED, cwd: REPO, suites: SUITES });
      const result = report.submissions[0].exercises[0];
      expect(result.id).toBe(ex);
      expect(result.score).toBe(0);
      for (const t of result.tests) {
        expect(t.status, `${ex}/${t.id}`).toBe('todo');
        expect(t.feedback).toMatch(/^TODO: \w+.*\(not implemented yet\)$/);
      }
    }
  });
});

describe.concurrent('07-fcn: one realistic bug costs points only where it should', () => {
  it('output size without outputPadding (off by one): output-size-outpad and forward-outpad', async () => {
    const ex = await gradeBug('ct-no-outpad', FCN, [
      { file: '07-fcn/conv-transpose.ts', find: 'const out = (size - 1) * stride - 2 * pad + kernel + outputPadding;', replace: 'const out = (size - 1) * stride - 2 * pad + kernel;' },
    ]);
    expectLosses(ex, ['output-size-outpad', 'forward-outpad']);
    expect(test(ex, 'output-size-outpad').feedback).toMatch(/^convTransposeOutputSize\(\d+, \d+, \d+, \d+, [12]\) returned \d+, expected \d+/);
    expect(test(ex, 'forward-outpad').feedback).toMatch(/convTranspose2dForward: out has shape \[[\d,]+\], expected \[[\d,]+\]/);
  });

  it('mean IoU averaged over absent classes too: only mean-iou', async () => {
    const ex = await gradeBug('iou-absent', FCN, [
      {
        file: '07-fcn/segmentation.ts',
        find: 'if (Number.isNaN(v)) continue; // absent class: no IoU',
        replace: 'if (Number.isNaN(v)) {\n      present++; // an absent class counted as IoU 0\n      continue;\n    }',
      },
    ]);
    expectLosses(ex, ['mean-iou']);
    expect(test(ex, 'mean-iou').feedback).toContain('absent classes have no IoU and are left out');
  });

  it('loss averaged over images instead of pixels: loss and loss-grad, the gradient consistent with the wrong loss', async () => {
    const ex = await gradeBug('loss-per-image', FCN, [{ file: '07-fcn/segmentation.ts', find: 'const M = N * H * W;', replace: 'const M = N;' }]);
    expectLosses(ex, ['loss', 'loss-grad']);
    expect(test(ex, 'loss').feedback).toContain('averaged over all N*H*W pixels');
    expect(test(ex, 'loss-grad').feedback).toContain('Your dscores matches the gradient of your own pixelSoftmaxCrossEntropy loss');
  });

  it('argmax ties to the highest class: only predict', async () => {
    const ex = await gradeBug('ties-last', FCN, [
      { file: '07-fcn/segmentation.ts', find: 'if (scores.get(n, k, h, w) > scores.get(n, best, h, w)) best = k;', replace: 'if (scores.get(n, k, h, w) >= scores.get(n, best, h, w)) best = k;' },
    ]);
    expectLosses(ex, ['predict']);
    expect(test(ex, 'predict').feedback).toContain('a tie goes to the lowest class');
  });

  it('dw overwritten (=) instead of accumulated (+=): only backward-dw', async () => {
    const ex = await gradeBug('ct-dw-overwrite', FCN, [
      { file: '07-fcn/conv-transpose.ts', find: 'dw.data[dw.offset(c, f, kh, kw)] += g * v;', replace: 'dw.data[dw.offset(c, f, kh, kw)] = g * v;' },
    ]);
    expectLosses(ex, ['backward-dw']);
    expect(test(ex, 'backward-dw').feedback).toContain('Your convTranspose2dBackward disagrees with your own convTranspose2dForward');
  });

  it('db of the first image only: only backward-db', async () => {
    const ex = await gradeBug('ct-db-batch', FCN, [
      { file: '07-fcn/conv-transpose.ts', find: 'for (let s = 0; s < Wout; s++) db.data[f] += dout.get(n, f, r, s);', replace: 'for (let s = 0; s < Wout; s++) if (n === 0) db.data[f] += dout.get(n, f, r, s);' },
    ]);
    expectLosses(ex, ['backward-db']);
    expect(test(ex, 'backward-db').counterexample!.description).toMatch(/x \[2,/);
  });
});

describe.concurrent('08-transfer-learning: one realistic bug costs points only where it should', () => {
  it('optimiser ignoring the frozen list (frozen layer still updated): only sgd-frozen', async () => {
    const ex = await gradeBug('frozen-updated', TRANSFER, [
      { file: '08-transfer-learning/transfer.ts', find: 'if (g === undefined || frozen.includes(name)) continue; // frozen: no update, no velocity', replace: 'if (g === undefined) continue;' },
    ]);
    expectLosses(ex, ['sgd-frozen']);
    expect(test(ex, 'sgd-frozen').feedback).toMatch(/is frozen: it must keep its value, even though a gradient for it was passed/);
  });

  it('new head with the old number of classes: only replace-head', async () => {
    const ex = await gradeBug('head-old-size', TRANSFER, [
      {
        file: '08-transfer-learning/transfer.ts',
        find: 'next[`${head}.w`] = new Rng(seed).randn([D, classes], Math.sqrt(2 / D));\n  next[`${head}.b`] = Tensor.zeros([classes]);',
        replace: 'next[`${head}.w`] = new Rng(seed).randn([D, old.shape[1]], Math.sqrt(2 / D));\n  next[`${head}.b`] = Tensor.zeros([old.shape[1]]);',
      },
    ]);
    expectLosses(ex, ['replace-head']);
    expect(test(ex, 'replace-head').feedback).toContain('the new head has one output per new class');
  });

  it('head not replaced at all: replace-head only (the other parameters are still right)', async () => {
    const ex = await gradeBug('head-kept', TRANSFER, [
      {
        file: '08-transfer-learning/transfer.ts',
        find: 'next[`${head}.w`] = new Rng(seed).randn([D, classes], Math.sqrt(2 / D));\n  next[`${head}.b`] = Tensor.zeros([classes]);',
        replace: 'void D;',
      },
    ]);
    expectLosses(ex, ['replace-head']);
  });

  it('backward stopping at the first frozen layer it meets: only backward-frozen-middle', async () => {
    const ex = await gradeBug('stops-at-frozen', TRANSFER, [
      {
        file: '08-transfer-learning/transfer.ts',
        find: 'const trainable = !frozen.includes(`${c.name}.w`);',
        replace: 'const trainable = !frozen.includes(`${c.name}.w`);\n    if (!trainable) return { grads, dx: null };',
      },
    ]);
    expectLosses(ex, ['backward-frozen-middle']);
    expect(test(ex, 'backward-frozen-middle').feedback).toContain('Missing: fc1.b, fc1.w');
  });

  it('backward ignoring the frozen list (gradients for frozen layers, no early stop): both frozen backward tests', async () => {
    const ex = await gradeBug('backward-ignores-frozen', TRANSFER, [
      {
        file: '08-transfer-learning/transfer.ts',
        find: "const lowest = layers.findIndex((l) => l.type === 'affine' && !frozen.includes(`${l.name}.w`));",
        replace: "const lowest = layers.findIndex((l) => l.type === 'affine');",
      },
      { file: '08-transfer-learning/transfer.ts', find: 'const trainable = !frozen.includes(`${c.name}.w`);', replace: 'const trainable = true;' },
    ]);
    expectLosses(ex, ['backward-frozen-bottom', 'backward-frozen-middle']);
    expect(test(ex, 'backward-frozen-bottom').feedback).toContain('must get no gradient');
  });
});
