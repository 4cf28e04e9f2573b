import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { isStudentRun } from './reporter.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('isStudentRun: which command lines get the compact reporter', () => {
  test.each([
    [['run', 'exercises/02-convolution'], true],
    [['run', 'exercises/02-convolution', '-t', 'conv forward'], true],
    [['watch', 'exercises/05-residual'], true],
    [['run', '--project', 'exercises'], true],
    [['run'], false],
    [['run', '--project', 'grader'], false],
    [['run', 'exercises/02-convolution', 'packages/tensor'], false],
    [['run', 'exercises/02-convolution', '--reporter=json'], false],
    [['run', '-t', 'exercises'], false],
  ])('%j -> %s', (argv, expected) => {
    expect(isStudentRun(argv, {})).toBe(expected);
  });

  test('DLKATA_REPORTER forces either way', () => {
    expect(isStudentRun(['run'], { DLKATA_REPORTER: 'compact' })).toBe(true);
    expect(isStudentRun(['run', 'exercises/02-convolution'], { DLKATA_REPORTER: 'default' })).toBe(false);
  });
});

describe('the compact reporter on a stub with two TODOs and two planted bugs', () => {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'packages/exercise-support/fixtures/vitest.config.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', DLKATA_REPORTER: '' },
    timeout: 300_000,
  });
  const out = `${run.stdout}${run.stderr}`;

  test('fails (exit code 1) and says how many passed', () => {
    expect(run.status, out).toBe(1);
    expect(out).toContain('stub.fixture.ts: 1 of 16 passed');
  });

  test('each TODO once, with how many tests wait for it and where it is', () => {
    expect(out.split('taskOne: return the answer').length - 1).toBe(1);
    expect(out.split('taskTwo: return the other answer').length - 1).toBe(1);
    expect(out).toContain('TODO (8 tests wait for it)');
    expect(out).toContain('TODO (5 tests wait for it)');
    expect(out).toMatch(/at stub\.ts:6\b/);
  });

  test('one block per bug, forward before backward, with diagnosis, case and replay command', () => {
    const forward = out.indexOf('affineForward: out [2,2] wrong at [0,0]: got 1, expected 2');
    const backward = out.indexOf('squareBackward: dx [1] wrong at [0]: got 1, expected 2');
    expect(forward).toBeGreaterThan(0);
    expect(backward).toBeGreaterThan(forward);
    expect(out).toContain('diagnosis: the bias b is left out');
    expect(out).toContain('case: n=1 (the smallest failing case found; seed 5)');
    expect(out).toMatch(/replay: DLKATA_SEED=5 DLKATA_PATH=[\d:]+ pnpm test packages\/exercise-support\/fixtures -t 'random x: dx = 2 x dout'/);
  });

  test('no cause chain, no frames of fast-check, vitest or Node', () => {
    expect(out).not.toContain('Caused by');
    expect(out).not.toMatch(/node_modules|node:internal|fast-check\.js/);
  });

  test('notes of passing tests and console output (a tensor printed NumPy-style) are shown; the whole report is short', () => {
    expect(out).toContain('note: checked against your own forward');
    expect(out).toContain('Tensor([[1., 2.],');
    expect(out.trim().split('\n').length).toBeLessThan(45);
  });
});
