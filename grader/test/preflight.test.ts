/**
 * Environment faults are not students' zeros: when the sandbox cannot start even a known-good
 * module (here, a permission flag this Node rejects, as Node 24 rejects Node 20's), the grader
 * stops before grading anyone, with one error that names the cause, and exits non-zero.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { permissionFlag } from '../src/sandbox/sandbox.js';
import { preflightSandbox } from '../src/sandbox/preflight.js';
import { REPO } from './fixtures.js';

describe('the sandbox preflight', () => {
  it('passes on this machine with the flag this Node accepts', async () => {
    expect(permissionFlag()).toBe(process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission');
    await expect(preflightSandbox()).resolves.toBeUndefined();
  }, 60_000);

  it('stops `pnpm grade` before anyone is graded when the sandbox cannot start, naming the cause', () => {
    const r = spawnSync(path.join(REPO, 'node_modules/.bin/tsx'), [path.join(REPO, 'grader/src/cli.ts'), path.join(REPO, 'solutions/03-pooling'), '--seed', '1'], {
      cwd: REPO,
      env: { ...process.env, DLKATA_GRADER_PERMISSION_FLAG: '--no-such-permission-flag', NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('the sandbox cannot start on this machine, so nothing was graded');
    expect(r.stderr).toContain('--no-such-permission-flag');
    expect(r.stderr).toMatch(/bad option|not allowed|unknown/i);
    expect(r.stderr).toContain(`Node ${process.version}`);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).not.toMatch(/points|0\/\d+/);
  }, 130_000);
});
