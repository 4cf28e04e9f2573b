/**
 * End-to-end grading: real solutions, the untouched exercises, and submissions with one
 * planted bug each (built from the solutions by a string patch, see fixtures.ts). Each bug
 * must cost points in exactly the tests that should catch it and nowhere else.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deterministicPart, forbiddenImports, grade, scrubPaths, SUITES, type ExerciseResult, type GradeReport } from '../src/index.js';
import { cleanFixtures, makeSubmission, REPO, SEED, type Patch } from './fixtures.js';

afterAll(cleanFixtures);

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

async function gradeBug(name: string, ex: string, patches: readonly Patch[], timeoutMs?: number): Promise<ExerciseResult> {
  const dir = makeSubmission(name, patches, [ex]);
  const report = await grade(path.join(dir, ex), { seed: SEED, timeoutMs });
  return exercise(report, ex);
}

describe('grading the reference solutions and the stubs', () => {
  it('gives the solutions full marks', async () => {
    const report = await grade(makeSubmission('correct'), { seed: SEED });
    const sub = report.submissions[0];
    for (const ex of sub.exercises) {
      for (const t of ex.tests) expect(t.status, `${ex.id}/${t.id}: ${t.feedback}`).toBe('passed');
    }
    expect(sub.score).toBe(sub.maxScore);
    expect(sub.exercises.map((e) => e.id)).toEqual(['01-gradient-check', '02-convolution', '03-pooling', '04-cnn-architectures', '05-residual', '06-inception', '07-fcn', '08-transfer-learning', '09-rnn', '10-long-term-dependencies', '11-lstm', '12-rnn-architectures']);
  });

  it('gives the untouched exercises 0 points, every test a TODO naming its task', async () => {
    const report = await grade(path.join(REPO, 'exercises'), { seed: SEED, cwd: REPO });
    const sub = report.submissions[0];
    expect(sub.path).toBe('exercises');
    expect(sub.score).toBe(0);
    for (const ex of sub.exercises) {
      for (const t of ex.tests) {
        expect(t.status, `${ex.id}/${t.id}`).toBe('todo');
        expect(t.feedback).toMatch(/^TODO: \w+.*\(not implemented yet\)$/);
      }
    }
    const conv = exercise(report, '02-convolution');
    expect(conv.tests.find((t) => t.id === 'conv1x1')!.feedback).toContain('TODO: conv1x1');
    expect(conv.tests.find((t) => t.id === 'output-size')!.feedback).toContain('TODO: convOutputSize');
  });

  it('reproduces the report exactly from the seed', async () => {
    const dir = makeSubmission('determinism', [
      { file: '02-convolution/conv.ts', find: 'db.data[f] += g;', replace: 'db.data[f] += g * 0.5;' },
    ], ['02-convolution']);
    const a = await grade(dir, { seed: 7 });
    const b = await grade(dir, { seed: 7 });
    expect(deterministicPart(b)).toEqual(deterministicPart(a));
    const db = exercise(a, '02-convolution').tests.find((t) => t.id === 'backward-db')!;
    expect(db.status).toBe('failed');
    const c = await grade(dir, { seed: 8 });
    expect(exercise(c, '02-convolution').tests[0].seed).not.toBe(exercise(a, '02-convolution').tests[0].seed);
  });
});

// One realistic bug per submission, costing points only where it should: see the mutant
// catalogue (src/selftest/mutants/) and mutants.test.ts.

describe.concurrent('code that misbehaves is graded without hanging', () => {
  it('a module that does not compile fails its exercise with the compiler message', async () => {
    const ex = await gradeBug('syntax-error', '02-convolution', [{ file: '02-convolution/conv.ts', find: 'const P = H * W; //', replace: 'const P = H * W +; //' }]);
    expectLosses(ex, ex.tests.map((t) => t.id));
    for (const t of ex.tests) {
      expect(t.status).toBe('error');
      expect(t.feedback).toMatch(/^the exercise does not compile: 02-convolution\/conv\.ts:\d+:\d+: /);
    }
  });

  it('importing a package other than @dlkata/tensor (or @dlkata/layers) fails the bundle', async () => {
    const ex = await gradeBug('imports-package', '03-pooling', [
      { file: '03-pooling/pool.ts', find: "import { assertFinite,", replace: "import 'fast-check';\nimport { assertFinite," },
    ]);
    expect(ex.score).toBe(0);
    expect(ex.tests[0].feedback).toContain('import of "fast-check" is not allowed');
  });

  it('a module that throws at import fails every test of its exercise with that reason', async () => {
    const ex = await gradeBug('throws-at-import', '03-pooling', [
      { file: '03-pooling/pool.ts', find: 'export interface PoolParams {', replace: "throw new Error('boom at import');\n\nexport interface PoolParams {" },
    ]);
    expectLosses(ex, ex.tests.map((t) => t.id));
    for (const t of ex.tests) {
      expect(t.status).toBe('error');
      expect(t.feedback).toMatch(/^pool\.ts threw Error while being imported: boom at import \(at 03-pooling\/pool\.ts:\d+:\d+\)$/);
    }
  });

  it('re-exporting the library function instead of writing it earns nothing', async () => {
    const ex = await gradeBug('reexport', '02-convolution', [
      { file: '02-convolution/conv.ts', find: 'export function convOutputSize(', replace: "export { convOutputSize } from '@dlkata/tensor';\nfunction convOutputSize(" },
    ]);
    expectLosses(ex, ['output-size']);
    expect(ex.tests[0].feedback).toContain("convOutputSize is @dlkata/tensor's own convOutputSize; exercise 02-convolution asks you to write convOutputSize yourself");
  });
});

describe('what a report may contain', () => {
  it('no machine-specific path: temporary folders and the submission folder are scrubbed from feedback', () => {
    expect(scrubPaths('at /tmp/sub/02-convolution/conv.ts:4:2, /tmp/subway, /tmp/w1/bundle.cjs:3, file:///tmp/sub/x.ts', '/tmp/sub', '/tmp/w1')).toBe(
      'at 02-convolution/conv.ts:4:2, /tmp/subway, <grader-temp>/bundle.cjs:3, x.ts',
    );
  });

  it('the library functions an exercise forbids: its own exports that @dlkata/tensor also has, unless the suite says', () => {
    const dir = makeSubmission('forbidden', [], ['01-gradient-check']);
    const suite = SUITES.find((s) => s.id === '01-gradient-check')!;
    expect(forbiddenImports({ ...suite, forbiddenImports: undefined }, path.join(dir, '01-gradient-check'))).toEqual(['numericalGradient', 'relativeError']);
    expect(forbiddenImports({ ...suite, forbiddenImports: ['im2col'] }, path.join(dir, '01-gradient-check'))).toEqual(['im2col']);
  });
});
