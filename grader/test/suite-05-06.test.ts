/**
 * The grading suites of exercises 05 (residual blocks) and 06 (1x1 convolutions and the
 * inception module), end to end: the reference solutions get full marks, the untouched stubs
 * get 0 with a TODO per test, and submissions with one realistic planted bug each (built from
 * the solutions by a string patch, see fixtures.ts) lose points in exactly the tests that
 * should catch the bug and keep every other point.
 *
 * The suites are passed to `grade` explicitly, so these tests do not depend on the registry.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { grade, type ExerciseResult, type GradeReport } from '../src/index.js';
import { residualSuite } from '../src/suites/05-residual.js';
import { inceptionSuite } from '../src/suites/06-inception.js';
import { cleanFixtures, makeSubmission, REPO, SEED, type Patch } from './fixtures.js';

afterAll(cleanFixtures);

const SUITES = [residualSuite, inceptionSuite];
const RESIDUAL = '05-residual';
const INCEPTION = '06-inception';

function exercise(report: GradeReport, id: string): ExerciseResult {
  const ex = report.submissions[0].exercises.find((e) => e.id === id);
  if (!ex) throw new Error(`no exercise ${id} in the report`);
  return ex;
}

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
  return exercise(report, ex);
}

const feedbackOf = (ex: ExerciseResult, id: string): string => ex.tests.find((t) => t.id === id)!.feedback;

describe('grading the reference solutions and the stubs of 05 and 06', () => {
  it('gives the solutions full marks: 14 points for 05, 19 for 06', async () => {
    const report = await grade(makeSubmission('correct-05-06', [], [RESIDUAL, INCEPTION]), { seed: SEED, suites: SUITES, exercises: [RESIDUAL, INCEPTION] });
    const sub = report.submissions[0];
    expect(sub.exercises.map((e) => e.id)).toEqual([RESIDUAL, INCEPTION]);
    for (const ex of sub.exercises) {
      for (const t of ex.tests) expect(t.status, `${ex.id}/${t.id}: ${t.feedback}`).toBe('passed');
    }
    expect(exercise(report, RESIDUAL).maxScore).toBe(14);
    expect(exercise(report, INCEPTION).maxScore).toBe(19);
    expect(sub.score).toBe(sub.maxScore);
  });

  it('gives the untouched exercises 0 points, every test a TODO naming its task', async () => {
    for (const id of [RESIDUAL, INCEPTION]) {
      const report = await grade(path.join(REPO, 'exercises', id), { seed: SEED, cwd: REPO, suites: SUITES });
      const ex = exercise(report, id);
      expect(ex.score).toBe(0);
      for (const t of ex.tests) {
        expect(t.status, `${id}/${t.id}`).toBe('todo');
        expect(t.feedback).toMatch(/^TODO: \w+.*\(not implemented yet\)$/);
      }
    }
  });
});

describe.concurrent('05-residual: one realistic bug costs points only where it should', () => {
  it('the skip added after the last ReLU: every forward and backward test, and the feedback says so', async () => {
    const ex = await gradeBug('skip-after-relu', RESIDUAL, [
      { file: '05-residual/residual.ts', find: 'const sum = add(c2.out, skip);\n  const r2 = reluForward(sum);', replace: 'const r2 = reluForward(c2.out);' },
      { file: '05-residual/residual.ts', find: 'return { out: r2.out, cache:', replace: 'return { out: add(r2.out, skip), cache:' },
    ]);
    expectLosses(ex, ['forward-identity', 'forward-projection', 'forward-stride', 'backward-weights', 'backward-dx', 'backward-projection']);
    expect(feedbackOf(ex, 'forward-identity')).toContain('the skip must be added BEFORE the last ReLU');
  });

  it('the projection without its stride: only forward-stride and backward-projection', async () => {
    const ex = await gradeBug('projection-no-stride', RESIDUAL, [
      { file: '05-residual/residual.ts', find: 'convForward(x, ws, bs, { stride, pad: 0 })', replace: 'convForward(x, ws, bs, { stride: 1, pad: 0 })' },
    ]);
    expectLosses(ex, ['forward-stride', 'backward-projection']);
    expect(feedbackOf(ex, 'forward-stride')).toMatch(/residualBlockForward threw ShapeError/);
  });

  it('dx missing the skip-path gradient (identity): only backward-dx', async () => {
    const ex = await gradeBug('dx-no-skip', RESIDUAL, [
      { file: '05-residual/residual.ts', find: 'return { dx: add(g1.dx, g), dw1:', replace: 'return { dx: g1.dx, dw1:' },
    ]);
    expectLosses(ex, ['backward-dx']);
    expect(feedbackOf(ex, 'backward-dx')).toMatch(/^residualBlockBackward: dx differs at \[[\d,]+\]: got .* expected .*relative error/);
    expect(feedbackOf(ex, 'backward-dx')).toContain('Your residualBlockBackward disagrees with your own residualBlockForward');
  });

  it("dx missing the projection's gradient: only backward-projection", async () => {
    const ex = await gradeBug('dx-no-projection', RESIDUAL, [
      { file: '05-residual/residual.ts', find: 'return { dx: add(g1.dx, gs.dx), dw1:', replace: 'return { dx: g1.dx, dw1:' },
    ]);
    expectLosses(ex, ['backward-projection']);
  });

  it('residualNeedsProjection always true: needs-projection and every test with an identity shortcut (the forward pass then demands a ws)', async () => {
    const ex = await gradeBug('always-projection', RESIDUAL, [{ file: '05-residual/residual.ts', find: 'return C !== F || stride !== 1;', replace: 'return true;' }]);
    expectLosses(ex, ['needs-projection', 'forward-identity', 'backward-weights', 'backward-dx']);
    expect(feedbackOf(ex, 'forward-identity')).toContain('projection');
  });
});

describe.concurrent('06-inception: one realistic bug costs points only where it should', () => {
  it('branches concatenated in the wrong order (1x1 | 5x5 | 3x3 | pool): only forward, and the feedback names the branches', async () => {
    const ex = await gradeBug('wrong-order', INCEPTION, [
      { file: '06-inception/inception.ts', find: 'concatChannels([b1.out, b3.out, b5.out, bp.out])', replace: 'concatChannels([b1.out, b5.out, b3.out, bp.out])' },
    ]);
    expectLosses(ex, ['forward']);
    expect(feedbackOf(ex, 'forward')).toContain('should be branch 2 (1x1 -> 3x3) and are not. They hold branch 3 (1x1 -> 5x5)');
  });

  it('the pooling branch with stride 2: the module cannot be concatenated, its shape, values and gradients fail', async () => {
    const ex = await gradeBug('pool-stride-2', INCEPTION, [
      { file: '06-inception/inception.ts', find: 'maxPoolForward(x, { kernel: 3, stride: 1, pad: 1 })', replace: 'maxPoolForward(x, { kernel: 3, stride: 2, pad: 1 })' },
    ]);
    expectLosses(ex, ['forward-shape', 'forward', 'backward-dx', 'backward-params']);
    expect(feedbackOf(ex, 'forward-shape')).toMatch(/concatChannels/);
  });

  it('the total leaving out the 1x1 reductions: only cost-total', async () => {
    const ex = await gradeBug('total-no-reductions', INCEPTION, [
      { file: '06-inception/inception.ts', find: 'const total = cost.c1 + cost.c3reduce + cost.c3 + cost.c5reduce + cost.c5 + cost.poolProj;', replace: 'const total = cost.c1 + cost.c3 + cost.c5 + cost.poolProj;' },
    ]);
    expectLosses(ex, ['cost-total']);
    expect(feedbackOf(ex, 'cost-total')).toContain('the 1x1 reductions too');
  });

  it('the 5x5 cost counted on the input channels (no bottleneck): only cost-branches, the total of its own counts still passes', async () => {
    const ex = await gradeBug('cost-no-bottleneck', INCEPTION, [
      { file: '06-inception/inception.ts', find: "c5: convMultiplies([spec.c5reduce, H, W], spec.c5, 5, 1, 'same'),", replace: "c5: convMultiplies([C, H, W], spec.c5, 5, 1, 'same')," },
    ]);
    expectLosses(ex, ['cost-branches']);
  });

  it("dx without the pooling branch's gradient: only backward-dx", async () => {
    const ex = await gradeBug('dx-no-pool', INCEPTION, [
      { file: '06-inception/inception.ts', find: 'const dx = add(add(g1.dx, g3r.dx), add(g5r.dx, gpool.dx));', replace: 'const dx = add(add(g1.dx, g3r.dx), g5r.dx);' },
    ]);
    expectLosses(ex, ['backward-dx']);
  });

  it('the 1x1 convolution without its ReLU: conv1x1-forward and the module tests that use it (its backward, masked by out > 0, stays right)', async () => {
    const ex = await gradeBug('no-relu-1x1', INCEPTION, [
      { file: '06-inception/inception.ts', find: 'out.data[(n * F + f) * P + p] = Math.max(0, s);', replace: 'out.data[(n * F + f) * P + p] = s;' },
    ]);
    expectLosses(ex, ['conv1x1-forward', 'forward', 'backward-dx', 'backward-params']);
    expect(feedbackOf(ex, 'conv1x1-forward')).toContain('without the ReLU');
  });
});
