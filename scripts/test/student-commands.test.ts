/**
 * No command loses a student's work, and every student command works from the repository root
 * and from inside an exercise folder (where it means that exercise).
 *
 * On a scratch copy of the repository (the files git knows, node_modules linked to this
 * checkout's), a student's answer is written into exercises/05-residual/residual.ts; then each
 * command is typed through pnpm, from the root and from the folder, and the answer must still
 * be there after every one of them. Finally the maintainers' generator must refuse to replace
 * it, and with --force keep a copy.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeScratch, REPO } from './scratch.js';

let scratch: string;
let folder: string;
let stubFile: string;
let answer: string;


/** Environment of a command typed by the student: pnpm must not reinstall into the linked node_modules. */
const ENV = { ...process.env, npm_config_verify_deps_before_run: 'false', NO_COLOR: '1', FORCE_COLOR: '0', CI: '1' };
delete (ENV as Record<string, string | undefined>).INIT_CWD;
delete (ENV as Record<string, string | undefined>).VITEST;
delete (ENV as Record<string, string | undefined>).VITEST_POOL_ID;
delete (ENV as Record<string, string | undefined>).VITEST_WORKER_ID;
delete (ENV as Record<string, string | undefined>).NODE_ENV;

function pnpm(cwd: string, ...args: string[]): SpawnSyncReturns<string> & { out: string } {
  const r = spawnSync('pnpm', args, { cwd, encoding: 'utf8', env: ENV, timeout: 300_000, maxBuffer: 1 << 26 });
  return Object.assign(r, { out: `${r.stdout}\n${r.stderr}` });
}

/** `pnpm test:watch ...` until its first run has reported, then stopped (it never exits by itself). */
function watchOnce(cwd: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('pnpm', ['test:watch', ...args], { cwd, env: ENV, detached: true });
    let out = '';
    const stop = (): void => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`test:watch did not report within 240 s:\n${out}`));
    }, 240_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (/Tests\s+.*\d+ (failed|passed)/.test(out)) {
        clearTimeout(timer);
        stop();
        resolve(out);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
  });
}

const current = (): string => readFileSync(stubFile, 'utf8');

beforeAll(() => {
  scratch = makeScratch();
  folder = path.join(scratch, 'exercises', '05-residual');
  stubFile = path.join(folder, 'residual.ts');
  const stub = readFileSync(stubFile, 'utf8');
  const line = stub.split('\n').find((l) => l.includes('throw new NotImplementedError') && l.includes('residualNeedsProjection'));
  expect(line, 'the stub of residualNeedsProjection').toBeDefined();
  // The student's answer to task 1 (and a comment of theirs).
  answer = stub.replace(line!, '  return C !== F || stride !== 1; // my answer to task 1');
  writeFileSync(stubFile, answer);
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.sequential("a student's answer survives every command, typed at the root and in the exercise folder", () => {
  test('pnpm test: root `pnpm test 05`, folder `pnpm test` run exactly that exercise, the answer counts', () => {
    for (const [cwd, args] of [
      [scratch, ['test', '05']],
      [scratch, ['test', 'residual', '-t', 'RESIDUALNEEDSPROJECTION']],
      [folder, ['test']],
      [folder, ['test', 'residual.ts']],
    ] as const) {
      const r = pnpm(cwd, ...args);
      expect(r.out, `pnpm ${args.join(' ')} in ${path.relative(scratch, cwd) || '.'}`).toContain('residual.test.ts');
      expect(r.out).toMatch(/Tests\s+.*\d+ passed/); // the answer to task 1 passes its tests
      expect(r.out).not.toMatch(/exercises\/ (is not|differs)/); // never the maintainers' check
      expect(r.out).not.toContain('exercises:generate');
      expect(current()).toBe(answer);
    }
  });

  test('a misspelt name lists the closest exercise', () => {
    const r = pnpm(scratch, 'test', 'resdiual');
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('Did you mean 05-residual');
  });

  test('pnpm test:watch, from the root and from the folder', async () => {
    for (const [cwd, args] of [
      [scratch, ['05']],
      [folder, []],
    ] as const) {
      const out = await watchOnce(cwd, ...args);
      expect(out).toContain('residual.test.ts');
      expect(current()).toBe(answer);
    }
  });

  test('pnpm grade: `pnpm grade 05` at the root, `pnpm grade` in the folder; the answer earns points', () => {
    for (const [cwd, args] of [
      [scratch, ['grade', '05', '--runs', '1', '--seed', '1']],
      [folder, ['grade', '--runs', '1', '--seed', '1']],
    ] as const) {
      const r = pnpm(cwd, ...args);
      expect(r.status, r.out).toBe(0);
      const total = /Total [^:]*: ([\d.]+)\/14 points/.exec(r.out);
      expect(total, r.out).not.toBeNull();
      expect(Number(total![1])).toBeGreaterThan(0);
      expect(current()).toBe(answer);
    }
  });

  test('pnpm hint: status alone reveals nothing; `hint 05 2` then `hint 2` in the folder reveal task 2 level by level', () => {
    const state = path.join(folder, '.hints.json');
    const seen = (): Record<string, number> => (existsSync(state) ? (JSON.parse(readFileSync(state, 'utf8')) as { seen: Record<string, number> }).seen : {});
    let r = pnpm(scratch, 'hint', '05');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('Task 2');
    expect(seen()).toEqual({});
    r = pnpm(scratch, 'hint', '05', '2');
    expect(r.out).toContain('Hint 1 of');
    expect(seen()).toEqual({ 2: 1 });
    r = pnpm(folder, 'hint', '2');
    expect(r.out).toContain('Hint 2 of');
    expect(seen()).toEqual({ 2: 2 });
    r = pnpm(folder, 'hint');
    expect(r.out).toMatch(/Task 2: \S+\s+\d+ hints, 2 of \d+ seen/);
    expect(seen()).toEqual({ 2: 2 });
    expect(current()).toBe(answer);
  });

  test('pnpm progress: every exercise at the root, this one in the folder', () => {
    let r = pnpm(scratch, 'progress', '--no-points');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/05-residual\s*│ in progress/);
    expect(r.out).toMatch(/01-gradient-check.*│ not started/);
    r = pnpm(folder, 'progress', '--runs', '1');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/05-residual.*│ in progress/);
    expect(r.out).not.toContain('01-gradient-check');
    expect(current()).toBe(answer);
  });

  test('pnpm play: a scratch file that imports the exercise, made once and never overwritten', () => {
    let r = pnpm(scratch, 'play', '05', '--once');
    expect(r.status, r.out).toBe(0);
    const file = path.join(scratch, 'playground', '05-residual.ts');
    expect(readFileSync(file, 'utf8')).toContain("from '../exercises/05-residual/residual.js'");
    expect(r.out).toContain('residualNeedsProjection');
    writeFileSync(file, "import { residualNeedsProjection } from '../exercises/05-residual/residual.js';\nconsole.log('mine', residualNeedsProjection(3, 4, 1));\n");
    r = pnpm(folder, 'play', '--once');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('mine true');
    expect(current()).toBe(answer);
  });

  test('the maintainers\' generator refuses to replace the answer, and with --force keeps a copy', () => {
    let r = pnpm(scratch, 'exercises:generate');
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('exercises/05-residual/residual.ts');
    expect(r.out).toContain('Nothing was written');
    expect(current()).toBe(answer);
    r = pnpm(scratch, 'exercises:generate', '--force');
    expect(r.status, r.out).toBe(0);
    const backups = path.join(scratch, 'exercises', '.backup');
    const [stamp] = readdirSync(backups);
    expect(readFileSync(path.join(backups, stamp, '05-residual', 'residual.ts'), 'utf8')).toBe(answer);
    expect(current()).not.toBe(answer);
  });
});
