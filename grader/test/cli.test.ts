/**
 * The command line (as `pnpm grade` runs it) and the report writers.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main, parseExercises } from '../src/cli.js';
import { failureText, renderTable, toGradescope, toJson, type GradeReport } from '../src/index.js';
import { cleanFixtures, makeSubmission, REPO } from './fixtures.js';

const work = mkdtempSync(path.join(tmpdir(), 'dlkata-cli-test-'));
// Runs without --seed derive their seeds from a grader secret: a fixed one here, so the tests
// never create one in the home folder.
process.env.DLKATA_GRADER_SECRET = 'grader tests: a fixed secret, not for real use';
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  cleanFixtures();
});

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(path.join(REPO, 'node_modules/.bin/tsx'), [path.join(REPO, 'grader/src/cli.ts'), ...args], {
    cwd: REPO,
    env: { ...process.env, INIT_CWD: REPO, NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('pnpm grade', () => {
  it('grades an exercise folder, prints the table and the seed, writes JSON and Gradescope files, exits 0', () => {
    const json = path.join(work, 'out', 'report.json');
    const gs = path.join(work, 'out', 'results.json');
    const r = cli('solutions/03-pooling', '--seed', '5', '--json', json, '--gradescope', gs, '--no-color');
    expect(r.stderr).not.toContain('internal error');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Total solutions: 7/7 points (100%)');
    expect(r.stdout).toContain('seed 5 (reproduce: pnpm grade solutions/03-pooling --seed 5)');
    expect(r.stdout).toMatch(/sandbox: reads only its bundle, heap 256 MB/);
    const report = JSON.parse(readFileSync(json, 'utf8')) as GradeReport;
    expect(report).toMatchObject({ tool: '@dlkata/grader', seed: 5, submissions: [{ name: 'solutions', path: 'solutions', score: 7, maxScore: 7 }] });
    expect(report.submissions[0].exercises[0].tests.every((t) => t.status === 'passed')).toBe(true);
    const g = JSON.parse(readFileSync(gs, 'utf8'));
    expect(g).toMatchObject({ score: 7, extra_data: { max_score: 7, seed: 5 }, visibility: 'visible' });
    expect(g.tests).toHaveLength(4);
    expect(g).toMatchObject({ output_format: 'md', test_output_format: 'md' });
    expect(g.tests[0]).toEqual({
      name: '03-pooling: maxPool2dForward: kernel 1-3, stride 1-3',
      number: '3.1',
      score: 2,
      max_score: 2,
      status: 'passed',
      output: '',
      output_format: 'md',
      tags: ['03-pooling', 'passed'],
      visibility: 'visible',
    });
  });

  it('exits 2 on usage errors, with a message', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      errors.push(String(s));
      return true;
    });
    try {
      expect(await main([path.join(work, 'no/such/folder')])).toBe(2);
      expect(errors.join('')).toContain('error: no such folder');
      expect(await main(['solutions', '--seed', 'abc'])).toBe(2);
      expect(errors.join('')).toContain('--seed must be an integer');
      expect(await main([])).toBe(2);
      const unknown = path.join(work, 'sub', '99-unknown');
      mkdirSync(unknown, { recursive: true });
      expect(await main([unknown])).toBe(2);
      expect(errors.join('')).toContain('the grader has no suite for 99-unknown');
      mkdirSync(path.join(work, 'class', 'a', '03-pooling'), { recursive: true });
      mkdirSync(path.join(work, 'class', 'b', '03-pooling'), { recursive: true });
      expect(await main([path.join(work, 'class'), '--gradescope', path.join(work, 'g.json')])).toBe(2);
      expect(errors.join('')).toContain('--gradescope needs exactly one submission');
    } finally {
      spy.mockRestore();
    }
  });
});

const report: GradeReport = {
  tool: '@dlkata/grader',
  version: '0.0.0',
  seed: 42,
  numRuns: 15,
  sandbox: { fsRead: 'bundle only', heapLimitMb: 256, dataLimitBytes: null, network: 'not isolated', processes: 'not isolated', timeoutMs: 5000, notes: ['unshare unavailable'] },
  submissions: [
    {
      name: 'alice',
      path: 'alice',
      score: 2,
      maxScore: 6,
      skipped: ['05-residual'],
      exercises: [
        {
          id: '02-convolution',
          title: 'Convolution',
          score: 2,
          maxScore: 6,
          tests: [
            { id: 'forward-basic', name: 'conv2dForward: stride 1, no padding', points: 2, maxPoints: 2, status: 'passed', feedback: '', seed: 1 },
            {
              id: 'backward-dw',
              name: 'conv2dBackward: dw',
              points: 0,
              maxPoints: 3,
              status: 'failed',
              feedback: 'conv2dBackward: dw differs at [0,0,1,1]: got 0.5, expected 1 (relative error 3.3e-1, tolerance 1e-6)',
              seed: 77,
              counterexample: { description: 'x [2,1,3,3], w [1,1,2,2], b [1], stride 1, pad 0', fixed: false, shrinks: 4, path: '3:1:1' },
            },
            { id: 'conv1x1', name: 'conv1x1', points: 0, maxPoints: 1, status: 'todo', feedback: 'TODO: conv1x1: ... (not implemented yet)', seed: 9 },
          ],
        },
      ],
    },
  ],
  run: { startedAt: '2024-01-01T00:00:00.000Z', durationMs: 1234 },
};

describe('writers', () => {
  it('failureText: feedback, counterexample with its shrinking, and the test seed; a TODO alone', () => {
    const [, dw, todo] = report.submissions[0].exercises[0].tests;
    expect(failureText(dw)).toBe(
      'conv2dBackward: dw differs at [0,0,1,1]: got 0.5, expected 1 (relative error 3.3e-1, tolerance 1e-6). Counterexample (shrunk in 4 steps): x [2,1,3,3], w [1,1,2,2], b [1], stride 1, pad 0. Test seed 77.',
    );
    expect(failureText(todo)).toBe('TODO: conv1x1: ... (not implemented yet)');
  });

  it('the table shows points, feedback, totals, skipped exercises, seed and sandbox notes', () => {
    const text = renderTable(report, { color: false, width: 200, command: 'pnpm grade alice' });
    expect(text).toContain('0/3');
    expect(text).toContain('Counterexample (shrunk in 4 steps)');
    expect(text).toContain('Total alice: 2/6 points (33%)');
    expect(text).toContain('not graded (not part of the assignment): 05-residual');
    expect(text).toContain('seed 42 (reproduce: pnpm grade alice --seed 42)');
    expect(text).toContain('network NOT isolated');
  });

  it('Gradescope: one entry per test, failed ones with their feedback', () => {
    const g = toGradescope(report);
    expect(g.score).toBe(2);
    expect(g.extra_data.max_score).toBe(6);
    expect(g.tests.map((t) => t.status)).toEqual(['passed', 'failed', 'failed']);
    expect(g.tests[1].output).toContain('Counterexample');
    expect(g.tests[1].output).toContain('Replay: `pnpm grade alice --replay 02-convolution/backward-dw --seed 42 --path 3:1:1`');
    expect(g.tests[2].output).toBe('**TODO**: TODO: conv1x1: ... (not implemented yet)');
    expect(g.output).toContain('Not graded (not part of the assignment): 05-residual');
    expect(() => toGradescope({ ...report, submissions: [...report.submissions, ...report.submissions] })).toThrow('one submission');
  });

  it('JSON is the report itself', () => {
    expect(JSON.parse(toJson(report))).toEqual(report);
  });
});

describe('pnpm grade: one test again, CI outputs, archives', () => {
  const capture = async (argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    const out: string[] = [];
    const err: string[] = [];
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
    // Paths are resolved like `pnpm grade` typed at the repository root, whichever folder
    // the test runner was started from (turbo starts it in grader/ with INIT_CWD set there).
    const initCwd = process.env.INIT_CWD;
    process.env.INIT_CWD = REPO;
    try {
      return { code: await main(argv), out: out.join(''), err: err.join('') };
    } finally {
      if (initCwd === undefined) delete process.env.INIT_CWD;
      else process.env.INIT_CWD = initCwd;
      o.mockRestore();
      e.mockRestore();
    }
  };

  it('--exercises takes numbers, ranges, ids and topics', () => {
    const ids = ['01-a', '02-b', '03-c', '10-d-e'];
    expect(parseExercises('01-03', ids)).toEqual(['01-a', '02-b', '03-c']);
    expect(parseExercises('10,2', ids)).toEqual(['02-b', '10-d-e']);
    expect(parseExercises('03-c, 01', ids)).toEqual(['01-a', '03-c']);
    expect(parseExercises('b,D-E,03', ids)).toEqual(['02-b', '03-c', '10-d-e']);
    expect(parseExercises('02,02-convolution,convolution')).toEqual(['02-convolution']);
    expect(() => parseExercises('07', ids)).toThrow('no exercise numbered 07');
    expect(() => parseExercises('nope', ids)).toThrow('no exercise nope');
  });

  it('refuses options that need another one', async () => {
    expect((await capture(['solutions', '--force'])).err).toContain('--force needs --out');
    expect((await capture(['solutions', '--seed', '1', '--secret-file', 'x'])).err).toContain('--seed and --secret-file exclude each other');
    expect((await capture(['solutions/03-pooling', '--exercises', '02,03'])).err).toContain('give the submission folder that holds them');
    expect((await capture(['solutions', '--path', '1:2'])).code).toBe(2);
    expect((await capture(['solutions', '--out', path.join(work, 'o'), '--gradescope', 'g.json'])).err).toContain('does not go with --out');
    expect((await capture(['solutions/03-pooling', '--replay', '03-pooling/nope', '--seed', '1'])).err).toContain('03-pooling has no test nope');
  });

  it('replays one failing test from the report, down to the same shrunk case, and writes JUnit and Classroom outputs', async () => {
    const dir = makeSubmission('cli-replay', [{ file: '03-pooling/pool.ts', find: 'let best = -Infinity;', replace: 'let best = 0;' }], ['03-pooling']);
    const json = path.join(work, 'replay', 'report.json');
    const junit = path.join(work, 'replay', 'junit.xml');
    const classroom = path.join(work, 'replay', 'github_output');
    const first = await capture([dir, '--exercises', 'pooling', '--seed', '11', '--json', json, '--junit', junit, '--classroom', classroom, '--no-color']);
    expect(first.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as GradeReport;
    expect(report.submissions[0].exercises.map((e) => e.id)).toEqual(['03-pooling']);
    const forward = report.submissions[0].exercises[0].tests.find((t) => t.id === 'forward')!;
    expect(forward.status).toBe('failed');
    expect(readFileSync(junit, 'utf8')).toContain('<failure type="failed"');
    expect(readFileSync(classroom, 'utf8')).toMatch(/^result=[A-Za-z0-9+/=]+\n$/);
    const again = await capture([dir, '--seed', '11', '--replay', '03-pooling/forward', '--path', forward.counterexample!.path!, '--json', json, '--no-color']);
    expect(again.out).toContain(`replayed 03-pooling/forward with seed 11, path ${forward.counterexample!.path}: failed`);
    const replayed = (JSON.parse(readFileSync(json, 'utf8')) as GradeReport).submissions[0].exercises[0].tests;
    expect(replayed).toHaveLength(1);
    expect(replayed[0].feedback).toBe(forward.feedback);
    expect(replayed[0].counterexample!.description).toBe(forward.counterexample!.description);
  });
});
