/**
 * End-to-end grading: real solutions, the untouched exercises, and submissions with one
 * planted bug each (built from the solutions by a string patch, see fixtures.ts). Each bug
 * must cost points in exactly the tests that should catch it and nowhere else.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deterministicPart, grade, type ExerciseResult, type GradeReport } from '../src/index.js';
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
    expect(sub.exercises.map((e) => e.id)).toEqual(['01-gradient-check', '02-convolution', '03-pooling', '04-cnn-architectures']);
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

describe.concurrent('one realistic bug costs points only where it should', () => {
  it('dw not summed over the batch: only backward-dw', async () => {
    const ex = await gradeBug('dw-batch', '02-convolution', [
      { file: '02-convolution/conv.ts', find: 'dw.data[dw.offset(f, c, kh, kw)] += g * xPad.get(n, c, r, s);', replace: 'if (n === 0) dw.data[dw.offset(f, c, kh, kw)] += g * xPad.get(n, c, r, s);' },
    ]);
    expectLosses(ex, ['backward-dw']);
    const dw = ex.tests.find((t) => t.id === 'backward-dw')!;
    expect(dw.status).toBe('failed');
    expect(dw.feedback).toMatch(/^conv2dBackward: dw differs at \[[\d,]+\]: got .* expected .*relative error/);
    expect(dw.feedback).toContain('Your conv2dBackward disagrees with your own conv2dForward');
    expect(dw.counterexample!.description).toMatch(/x \[[2-9]/); // needs a batch of at least 2
  });

  it('backward ignoring the stride: backward-dx and backward-dw', async () => {
    const ex = await gradeBug('bwd-stride', '02-convolution', [
      { file: '02-convolution/conv.ts', find: 'const r = i * stride + kh;', replace: 'const r = i + kh;' },
      { file: '02-convolution/conv.ts', find: 'const s = j * stride + kw;', replace: 'const s = j + kw;' },
    ]);
    expectLosses(ex, ['backward-dx', 'backward-dw']);
  });

  it('padding on one side only: forward-pad, and backward-dw (which reads the padded input)', async () => {
    const ex = await gradeBug('pad-one-side', '02-convolution', [
      { file: '02-convolution/conv.ts', find: 'xPad.set(x.get(n, c, h, col), n, c, h + pad, col + pad);', replace: 'xPad.set(x.get(n, c, h, col), n, c, h, col);' },
    ]);
    expectLosses(ex, ['forward-pad', 'backward-dw']);
    const fwd = ex.tests.find((t) => t.id === 'forward-pad')!;
    expect(fwd.feedback).toContain('conv2dForward: out differs at');
    const dw = ex.tests.find((t) => t.id === 'backward-dw')!;
    // forward and backward share the one-sided padding, so they agree with each other
    expect(dw.feedback).toContain('Your dw matches the gradient of your own conv2dForward');
    expect(dw.feedback).toContain('but your conv2dForward is wrong for this input');
  });

  it('forward ignoring the stride: only forward-stride', async () => {
    const ex = await gradeBug('fwd-stride', '02-convolution', [
      { file: '02-convolution/conv.ts', find: 'xPad.get(n, c, i * stride + kh, j * stride + kw);', replace: 'xPad.get(n, c, i + kh, j + kw);' },
    ]);
    expectLosses(ex, ['forward-stride']);
  });

  it('bias gradient missing: only backward-db', async () => {
    const ex = await gradeBug('no-db', '02-convolution', [{ file: '02-convolution/conv.ts', find: 'db.data[f] += g;', replace: '' }]);
    expectLosses(ex, ['backward-db']);
    expect(ex.tests.find((t) => t.id === 'backward-db')!.feedback).toContain('conv2dBackward: db differs at');
  });

  it('conv1x1 reading w as [C, F]: only conv1x1 (the lecture case alone would not catch it)', async () => {
    const ex = await gradeBug('1x1-transposed', '02-convolution', [
      { file: '02-convolution/conv.ts', find: 'w.data[f * C + c]', replace: 'w.data[c * F + f]' },
    ]);
    expectLosses(ex, ['conv1x1']);
    const t = ex.tests.find((x) => x.id === 'conv1x1')!;
    expect(t.counterexample!.description).not.toContain('the lecture');
  });

  it('a hard-coded answer (double the input) passes the lecture case but not the random ones', async () => {
    const ex = await gradeBug('hard-coded', '02-convolution', [
      { file: '02-convolution/conv.ts', find: 'const P = H * W; //', replace: 'return x.map((v) => 2 * v);\n  const P = H * W; //' },
    ]);
    expectLosses(ex, ['conv1x1']);
  });

  it('max-pool gradient to the last maximum of a tie: only backward-ties', async () => {
    const ex = await gradeBug('last-max', '03-pooling', [
      { file: '03-pooling/pool.ts', find: 'if (x.get(n, c, h, w) > x.get(n, c, bestH, bestW)) {', replace: 'if (x.get(n, c, h, w) >= x.get(n, c, bestH, bestW)) {' },
    ]);
    expectLosses(ex, ['backward-ties']);
    expect(ex.tests.find((t) => t.id === 'backward-ties')!.feedback).toContain('first in row-major order');
  });

  it('max-pool gradient overwritten (=) instead of added (+=): only backward-overlap', async () => {
    const ex = await gradeBug('pool-overwrite', '03-pooling', [
      { file: '03-pooling/pool.ts', find: 'dx.data[dx.offset(n, c, bestH, bestW)] += dout.get(n, c, i, j);', replace: 'dx.data[dx.offset(n, c, bestH, bestW)] = dout.get(n, c, i, j);' },
    ]);
    expectLosses(ex, ['backward-overlap']);
    const t = ex.tests.find((x) => x.id === 'backward-overlap')!;
    expect(t.feedback).toMatch(/^maxPool2dBackward: dx differs at \[[\d,]+\]: got .*, expected .* \(relative error/);
    expect(t.feedback).toContain('Your maxPool2dBackward disagrees with your own maxPool2dForward');
    expect(t.counterexample).toMatchObject({ fixed: false, path: expect.any(String) });
    expect(t.counterexample!.shrinks).toBeGreaterThan(0);
  });

  it('relative error without the 1e-8 floor (NaN for zeros): only relerr-zeros', async () => {
    const ex = await gradeBug('no-floor', '01-gradient-check', [
      { file: '01-gradient-check/gradient-check.ts', find: 'Math.max(1e-8, Math.abs(x) + Math.abs(y))', replace: '(Math.abs(x) + Math.abs(y))' },
    ]);
    expectLosses(ex, ['relerr-zeros']);
    expect(ex.tests.find((t) => t.id === 'relerr-zeros')!.feedback).toContain('NaN');
  });

  it('numerical gradient ignoring dout: both numericalGradient tests', async () => {
    const ex = await gradeBug('no-dout', '01-gradient-check', [
      { file: '01-gradient-check/gradient-check.ts', find: 's += (plus[j] - minus[j]) * dout.data[j];', replace: 's += plus[j] - minus[j];' },
    ]);
    expectLosses(ex, ['numgrad-elementwise', 'numgrad-general']);
  });

  it('numerical gradient not restoring x: only the non-elementwise test can see it', async () => {
    const ex = await gradeBug('no-restore', '01-gradient-check', [
      { file: '01-gradient-check/gradient-check.ts', find: 'x.data[i] = old; // restored even if f throws', replace: 'x.data[i] = old - h;' },
    ]);
    expectLosses(ex, ['numgrad-general']);
  });
});

describe.concurrent('code that misbehaves is graded without hanging', () => {
  it('an infinite loop times out, costs only its tests, and a fresh child grades the rest', async () => {
    const ex = await gradeBug(
      'infinite-loop',
      '01-gradient-check',
      [{ file: '01-gradient-check/gradient-check.ts', find: 'const dx = Tensor.zeros(x.shape);', replace: 'const dx = Tensor.zeros(x.shape);\n  for (;;) {}' }],
      1000,
    );
    expectLosses(ex, ['numgrad-elementwise', 'numgrad-general']);
    for (const id of ['numgrad-elementwise', 'numgrad-general']) {
      const t = ex.tests.find((x) => x.id === id)!;
      expect(t.status).toBe('timeout');
      expect(t.feedback).toBe('timed out after 1000 ms in numericalGradient');
    }
  });

  it('process.exit(0) in one function costs only the tests that call it', async () => {
    const ex = await gradeBug('exit', '02-convolution', [
      { file: '02-convolution/conv.ts', find: "assertShape('conv2dBackward', 'dout', dout, [N, F, Hout, Wout]);", replace: "assertShape('conv2dBackward', 'dout', dout, [N, F, Hout, Wout]);\n  process.exit(0);" },
    ]);
    expectLosses(ex, ['backward-dx', 'backward-dw', 'backward-db']);
    const t = ex.tests.find((x) => x.id === 'backward-dx')!;
    expect(t.status).toBe('error');
    expect(t.feedback).toContain('exited (code 0) during conv2dBackward');
  });

  it('a module that does not compile fails its exercise with the compiler message', async () => {
    const ex = await gradeBug('syntax-error', '02-convolution', [{ file: '02-convolution/conv.ts', find: 'const P = H * W; //', replace: 'const P = H * W +; //' }]);
    expectLosses(ex, ex.tests.map((t) => t.id));
    for (const t of ex.tests) {
      expect(t.status).toBe('error');
      expect(t.feedback).toMatch(/^the exercise does not compile: 02-convolution\/conv\.ts:\d+:\d+: /);
    }
  });

  it('importing something other than @dlkata/tensor fails the bundle', async () => {
    const ex = await gradeBug('imports-reference', '03-pooling', [
      { file: '03-pooling/pool.ts', find: "import { assertFinite,", replace: "import '@dlkata/layers';\nimport { assertFinite," },
    ]);
    expect(ex.score).toBe(0);
    expect(ex.tests[0].feedback).toContain('import of "@dlkata/layers" is not allowed');
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
    expect(ex.tests[0].feedback).toContain('re-exported');
  });
});
