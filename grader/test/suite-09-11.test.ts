/**
 * End-to-end grading of exercises 09-11 (RNN, long-term dependencies, LSTM): the real
 * solutions, the untouched exercises, and submissions with one planted bug each (built from the
 * solutions by string patches, see fixtures.ts). Each bug must cost points in exactly the tests
 * that should catch it, with feedback that names the cause.
 *
 * The suites are passed to `grade` explicitly, so this file does not depend on the registry.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { grade, type ExerciseResult } from '../src/index.js';
import { rnnSuite } from '../src/suites/09-rnn.js';
import { longTermSuite } from '../src/suites/10-long-term-dependencies.js';
import { lstmSuite } from '../src/suites/11-lstm.js';
import { cleanFixtures, makeSubmission, REPO, SEED, type Patch } from './fixtures.js';

afterAll(cleanFixtures);

const SUITES = [rnnSuite, longTermSuite, lstmSuite];
const IDS = SUITES.map((s) => s.id);

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

function feedback(ex: ExerciseResult, id: string): string {
  const t = ex.tests.find((x) => x.id === id);
  if (!t) throw new Error(`no test ${id} in ${ex.id}`);
  return t.feedback;
}

async function gradeBug(name: string, ex: string, patches: readonly Patch[]): Promise<ExerciseResult> {
  const dir = makeSubmission(name, patches, [ex]);
  const report = await grade(path.join(dir, ex), { seed: SEED, suites: SUITES });
  return report.submissions[0].exercises[0];
}

describe('exercises 09-11: solutions and stubs', () => {
  it('gives the solutions full marks (09: 12, 10: 12, 11: 15 points)', async () => {
    const report = await grade(makeSubmission('rnn-correct', [], IDS), { seed: SEED, suites: SUITES, exercises: IDS });
    const sub = report.submissions[0];
    expect(sub.exercises.map((e) => e.id)).toEqual(IDS);
    for (const ex of sub.exercises) {
      for (const t of ex.tests) expect(t.status, `${ex.id}/${t.id}: ${t.feedback}`).toBe('passed');
    }
    expect(sub.exercises.map((e) => e.maxScore)).toEqual([12, 12, 15]);
    expect(sub.score).toBe(sub.maxScore);
  });

  it('gives the untouched exercises 0 points, every test a TODO naming its function', async () => {
    const report = await grade(path.join(REPO, 'exercises'), { seed: SEED, cwd: REPO, suites: SUITES });
    const sub = report.submissions[0];
    expect(sub.exercises.map((e) => e.id)).toEqual(IDS);
    expect(sub.score).toBe(0);
    for (const ex of sub.exercises) {
      for (const t of ex.tests) {
        expect(t.status, `${ex.id}/${t.id}`).toBe('todo');
        expect(t.feedback).toMatch(/^TODO: \w+.*\(not implemented yet\)$/);
      }
    }
    const lstm = sub.exercises.find((e) => e.id === '11-lstm')!;
    expect(feedback(lstm, 'step-forward')).toContain('TODO: lstmStepForward');
  });
});

describe.concurrent('09-rnn: one realistic bug costs points only where it should', () => {
  it('dWh overwritten instead of accumulated over time: only backward-weights, "step gradients right; accumulation over t is missing"', async () => {
    const ex = await gradeBug('rnn-overwrite', '09-rnn', [
      { file: '09-rnn/rnn.ts', find: 'for (let i = 0; i < H * H; i++) dWh.data[i] += g.dWh.data[i];', replace: 'for (let i = 0; i < H * H; i++) dWh.data[i] = g.dWh.data[i];' },
    ]);
    expectLosses(ex, ['backward-weights']);
    const f = feedback(ex, 'backward-weights');
    expect(f).toMatch(/^rnnBackward: dWh differs at \[[\d,]+\]: got .* expected .*relative error/);
    expect(f).toContain('Step gradients right: your rnnStepBackward matches the reference at every time step');
    expect(f).toContain('Accumulation over t is missing: your dWh equals the gradient of time step t = 0 alone');
  });

  it('the gradient from step t+1 not added (no flow through time): backward-dx and backward-weights, named', async () => {
    const ex = await gradeBug('rnn-no-carry', '09-rnn', [{ file: '09-rnn/rnn.ts', find: '    for (let i = 0; i < N * H; i++) dnext.data[i] += dprev.data[i];\n', replace: '' }]);
    expectLosses(ex, ['backward-dx', 'backward-weights']);
    expect(feedback(ex, 'backward-dx')).toContain('The gradient does not flow back through time');
    expect(feedback(ex, 'backward-weights')).toContain('Step gradients right');
    expect(feedback(ex, 'backward-weights')).toContain('add the gradient coming back from step t+1 (dprevH)');
  });

  it("tanh's derivative taken as 1 - h: the step and both sequence backward tests, which point at the step", async () => {
    const ex = await gradeBug('rnn-tanh-derivative', '09-rnn', [{ file: '09-rnn/rnn.ts', find: 'da.data[i] = dnextH.data[i] * (1 - h * h);', replace: 'da.data[i] = dnextH.data[i] * (1 - h);' }]);
    expectLosses(ex, ['step-backward', 'backward-dx', 'backward-weights']);
    expect(feedback(ex, 'backward-weights')).toMatch(/Your rnnStepBackward is wrong at time step t = \d+ of this sequence/);
  });
});

describe.concurrent('10-long-term-dependencies: one realistic bug costs points only where it should', () => {
  it('clipping each tensor by its own norm where the global norm was asked: only clip-norm, named', async () => {
    const ex = await gradeBug('clip-per-tensor', '10-long-term-dependencies', [
      {
        file: '10-long-term-dependencies/longterm.ts',
        find: 'return { grads: grads.map((g) => g.map((v) => v * scale)), totalNorm };',
        replace: 'return { grads: grads.map((g) => { const n = Math.hypot(...g.data); return g.map((v) => (n > maxNorm ? (v * maxNorm) / (n + 1e-6) : v)); }), totalNorm };',
      },
    ]);
    expectLosses(ex, ['clip-norm']);
    expect(feedback(ex, 'clip-norm')).toContain('Each tensor was clipped by its own norm (per tensor), but the GLOBAL norm over all tensors was asked');
  });

  it("tanh's derivative forgotten in the gradient norms: only grad-norms-tanh (the linear test cannot see it)", async () => {
    const ex = await gradeBug('norms-no-tanh-derivative', '10-long-term-dependencies', [
      { file: '10-long-term-dependencies/longterm.ts', find: "const da = activation === 'tanh' ? g[n * H + j] * (1 - ht * ht) : g[n * H + j];", replace: 'const da = g[n * H + j];' },
    ]);
    expectLosses(ex, ['grad-norms-tanh']);
    expect(feedback(ex, 'grad-norms-tanh')).toMatch(/^gradientNormsThroughTime differs at \[\d+\]/);
  });

  it('Q A0 instead of Q^T A0 in the eigendecomposition: only eigen, named', async () => {
    const ex = await gradeBug('eigen-untransposed', '10-long-term-dependencies', [
      { file: '10-long-term-dependencies/longterm.ts', find: 's += Q.data[i * H + k] * A0.data[i];', replace: 's += Q.data[k * H + i] * A0.data[i];' },
    ]);
    expectLosses(ex, ['eigen']);
    expect(feedback(ex, 'eigen')).toContain('Your result is Q diag(lambda^t) Q A0');
  });
});

describe.concurrent('11-lstm: one realistic bug costs points only where it should', () => {
  it('the gradient of the final cell state dropped: only backward-final-cell, named', async () => {
    const ex = await gradeBug('lstm-no-dcT', '11-lstm', [
      { file: '11-lstm/lstm.ts', find: 'let dprevC = dcT === undefined ? Tensor.zeros([N, H]) : dcT.clone();', replace: 'let dprevC = Tensor.zeros([N, H]);' },
    ]);
    expectLosses(ex, ['backward-final-cell']);
    expect(feedback(ex, 'backward-final-cell')).toContain('the gradient of the final cell state is dropped');
  });

  it("gates in CS231n's order i, f, o, g (consistently, forward and backward): everything but the carry test, with the order named", async () => {
    const f = '11-lstm/lstm.ts';
    const ex = await gradeBug('lstm-ifog', '11-lstm', [
      { file: f, find: 'const g = Math.tanh(a[r + 2 * H + j]);\n      const o = sigmoid(a[r + 3 * H + j]);', replace: 'const g = Math.tanh(a[r + 3 * H + j]);\n      const o = sigmoid(a[r + 2 * H + j]);' },
      { file: f, find: 'gates.data[r + 2 * H + j] = g;\n      gates.data[r + 3 * H + j] = o;', replace: 'gates.data[r + 2 * H + j] = o;\n      gates.data[r + 3 * H + j] = g;' },
      { file: f, find: 'const g = gates.data[r + 2 * H + j];\n      const o = gates.data[r + 3 * H + j];', replace: 'const o = gates.data[r + 2 * H + j];\n      const g = gates.data[r + 3 * H + j];' },
      {
        file: f,
        find: 'da[r + 2 * H + j] = dc * i * (1 - g * g);\n      da[r + 3 * H + j] = dnextH.data[k] * tc * o * (1 - o);',
        replace: 'da[r + 3 * H + j] = dc * i * (1 - g * g);\n      da[r + 2 * H + j] = dnextH.data[k] * tc * o * (1 - o);',
      },
    ]);
    // The carry test sets only the input and forget gates (blocks 0 and 1), which this order keeps.
    expectLosses(ex, ['step-forward', 'step-backward', 'forward', 'backward-dx', 'backward-weights', 'backward-final-cell']);
    expect(feedback(ex, 'step-forward')).toContain('Your lstmStepForward reads the four gate blocks in the order i, f, o, g');
    expect(feedback(ex, 'forward')).toContain('Your lstmForward reads the four gate blocks in the order i, f, o, g');
  });

  it('dWh overwritten instead of accumulated: the two tests that check dWh of a sequence, "accumulation over t is missing"', async () => {
    const ex = await gradeBug('lstm-overwrite', '11-lstm', [
      { file: '11-lstm/lstm.ts', find: 'for (let i = 0; i < H * G; i++) dWh.data[i] += g.dWh.data[i];', replace: 'for (let i = 0; i < H * G; i++) dWh.data[i] = g.dWh.data[i];' },
    ]);
    expectLosses(ex, ['backward-weights', 'backward-final-cell']);
    expect(feedback(ex, 'backward-weights')).toContain('Accumulation over t is missing: your dWh equals the gradient of time step t = 0 alone');
  });

  it("the forget gate's derivative without prevC: the step backward and the sequence backward tests, which point at the step", async () => {
    const ex = await gradeBug('lstm-forget-derivative', '11-lstm', [
      { file: '11-lstm/lstm.ts', find: 'da[r + H + j] = dc * prevC.data[k] * f * (1 - f);', replace: 'da[r + H + j] = dc * f * (1 - f);' },
    ]);
    expectLosses(ex, ['step-backward', 'backward-dx', 'backward-weights', 'backward-final-cell']);
    expect(feedback(ex, 'backward-dx')).toMatch(/Your lstmStepBackward is wrong at time step t = \d+ of this sequence/);
  });
});
