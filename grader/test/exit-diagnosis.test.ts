/**
 * What the grader says when the sandboxed process ends with exit code 0 without answering: it
 * cannot tell a `process.exit()` from built-ins broken under the runner, so it names both and
 * asserts neither.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { grade } from '../src/index.js';
import { cleanFixtures, makeSubmission, SEED } from './fixtures.js';
import path from 'node:path';

afterAll(cleanFixtures);

const TOP = 'export interface PoolParams {';

async function feedbacks(name: string, plant: string): Promise<string[]> {
  const dir = makeSubmission(name, [{ file: '03-pooling/pool.ts', find: TOP, replace: `${plant}\n\n${TOP}` }], ['03-pooling']);
  const report = await grade(path.join(dir, '03-pooling'), { seed: SEED, timeoutMs: 2000 });
  return report.submissions[0].exercises[0].tests.map((t) => `${t.status}: ${t.feedback}`);
}

describe('a child that exits with code 0 without answering', () => {
  it('a patched Array.prototype[Symbol.iterator] (no process.exit in the code): both possible causes, neither asserted', async () => {
    const fb = await feedbacks('array-iterator', "Array.prototype[Symbol.iterator] = function () { throw new Error('no iteration'); };");
    expect(fb.length).toBeGreaterThan(0);
    for (const f of fb) {
      expect(f).toMatch(/^error: the sandboxed process exited \(code 0\) while importing the modules without answering the grader; possible causes: the code calls process\.exit\(\), or it changed built-ins the grader's runner relies on/);
      expect(f).not.toMatch(/does the code call process\.exit/);
    }
  }, 120_000);

  it('process.exit(0) at import gets the same, accurate message', async () => {
    const fb = await feedbacks('exit-at-import', 'process.exit(0);');
    for (const f of fb) expect(f).toMatch(/exited \(code 0\) while importing the modules without answering the grader; possible causes: the code calls process\.exit\(\)/);
  }, 120_000);
});
