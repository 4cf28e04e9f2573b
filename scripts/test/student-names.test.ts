/**
 * The student's commands take the same names wherever they are typed: `pnpm play residual.ts`
 * from the root (as `pnpm test residual.ts` does), `pnpm hint 05` inside another exercise's
 * folder (exercise 05, as `pnpm test 05` there), a bare task number for the exercise one is in,
 * and `pnpm test` typed in exercises/ itself runs the student's visible tests, never the
 * maintainers' suite. On a scratch copy of the repository (the files git knows, node_modules
 * linked), through pnpm.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeScratch, REPO } from './scratch.js';

let scratch: string;


const ENV = { ...process.env, npm_config_verify_deps_before_run: 'false', NO_COLOR: '1', FORCE_COLOR: '0', CI: '1' };
// Not inside the maintainers' run (test.mjs sets DLKATA_NODE_VERSION, turbo TURBO_HASH): a student's shell.
for (const k of ['INIT_CWD', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID', 'NODE_ENV', 'DLKATA_NODE_VERSION', 'TURBO_HASH']) delete (ENV as Record<string, string | undefined>)[k];

function pnpm(cwd: string, ...args: string[]): SpawnSyncReturns<string> & { out: string } {
  const r = spawnSync('pnpm', args, { cwd, encoding: 'utf8', env: ENV, timeout: 300_000, maxBuffer: 1 << 26 });
  return Object.assign(r, { out: `${r.stdout}\n${r.stderr}` });
}

beforeAll(() => {
  scratch = makeScratch();
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.sequential('one name for an exercise, wherever a command is typed', () => {
  test('pnpm play residual.ts at the root: exercise 05 (its scratch file), as pnpm test residual.ts', () => {
    const r = pnpm(scratch, 'play', 'residual.ts', '--once');
    expect(r.out).not.toContain('No file residual.ts');
    expect(r.out).toContain('Running playground/05-residual.ts');
    expect(existsSync(path.join(scratch, 'playground', '05-residual.ts'))).toBe(true);
    const none = pnpm(scratch, 'play', 'no-such-file.ts', '--once');
    expect(none.status).toBe(2);
    expect(none.out).toContain('No file no-such-file.ts');
  });

  test('pnpm hint inside exercises/02-convolution: 05 and residual are exercise 05; 2 and task3 are its own tasks', () => {
    const folder = path.join(scratch, 'exercises', '02-convolution');
    for (const name of ['05', 'residual', '../05-residual']) {
      const r = pnpm(folder, 'hint', name);
      expect(r.status, r.out).toBe(0);
      expect(r.out).toContain('Hints for exercise 05');
      expect(r.out).not.toContain('has no task');
    }
    let r = pnpm(folder, 'hint', '2');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/Exercise 02, task 2:/);
    r = pnpm(folder, 'hint', 'task3');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/Exercise 02, task 3:/);
    // 12 is no task of exercise 02: exercise 12.
    r = pnpm(folder, 'hint', '12');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('Hints for exercise 12');
    r = pnpm(folder, 'hint', '--help');
    expect(r.out).toContain('A name is an exercise first');
  });

  test('pnpm test typed in exercises/ runs every exercise\'s visible tests, not the maintainers\' suite', () => {
    const r = pnpm(path.join(scratch, 'exercises'), 'test');
    expect(r.out).toContain('Running the visible tests of every exercise');
    expect(r.out).toContain('residual.test.ts');
    expect(r.out).toContain('conv.test.ts');
    expect(r.out).not.toMatch(/turbo|Tasks:\s+\d+/);
    expect(r.out).not.toContain('the exercises check ran');
    // As a task of the maintainers' turbo run (exercises/ is a workspace package): nothing to run.
    const t = spawnSync('pnpm', ['test'], { cwd: path.join(scratch, 'exercises'), encoding: 'utf8', env: { ...ENV, TURBO_HASH: 'x' }, timeout: 120_000 });
    expect(t.status, t.stdout + t.stderr).toBe(0);
    expect(t.stdout).toContain("no tests of the maintainers' suite here");
  });
});
