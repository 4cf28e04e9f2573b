/**
 * The overall limit of a Gradescope run: `run.ts` stops itself at `totalTimeoutMs` and writes a
 * results file that says so, and `run_autograder` kills a run that has not ended a little later
 * and writes one itself, so Gradescope's own timeout never leaves the submission without
 * `results.json`. Run on a temporary folder standing for `/autograder`, without building the zip.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOTAL_TIMEOUT_MS, readConfig, timeLimitResults, totalLimitMs, withTimeLimit } from '../src/gradescope/run.js';
import { newSecretText } from '../src/seeds.js';
import type { GradescopeResults } from '../src/index.js';
import { cleanFixtures, fixtureRoot, makeSubmission, REPO } from './fixtures.js';

afterAll(cleanFixtures);

const ajv = new Ajv({ allErrors: true });
const validate = ajv.compile(JSON.parse(readFileSync(path.join(REPO, 'grader/test/schemas/gradescope-results.schema.json'), 'utf8')) as object);

/** A `/autograder` stand-in with the settings and a secret in `source/`. */
function autograderRoot(name: string, settings: object): string {
  const root = path.join(fixtureRoot(), name);
  mkdirSync(path.join(root, 'source'), { recursive: true });
  writeFileSync(path.join(root, 'source', 'gradescope.json'), JSON.stringify(settings));
  writeFileSync(path.join(root, 'source', 'grader-secret'), newSecretText(), { mode: 0o600 });
  return root;
}

function readResults(root: string): GradescopeResults {
  return JSON.parse(readFileSync(path.join(root, 'results', 'results.json'), 'utf8')) as GradescopeResults;
}

describe("a Gradescope run's overall limit", () => {
  it('withTimeLimit: the work when it ends in time, the fallback when it does not', async () => {
    expect(await withTimeLimit(Promise.resolve('done'), 1000, () => 'late')).toBe('done');
    expect(await withTimeLimit(new Promise<string>(() => {}), 20, () => 'late')).toBe('late');
    await expect(withTimeLimit(Promise.reject(new Error('boom')), 1000, () => 'late')).rejects.toThrow('boom');
  });

  it('totalTimeoutMs is read from gradescope.json and checked; the default otherwise', () => {
    const root = autograderRoot('settings', { exercises: ['03-pooling'], totalTimeoutMs: 4000 });
    const file = path.join(root, 'source', 'gradescope.json');
    expect(readConfig(file).totalTimeoutMs).toBe(4000);
    expect(totalLimitMs(file)).toBe(4000);
    writeFileSync(file, JSON.stringify({ exercises: ['03-pooling'], totalTimeoutMs: -5 }));
    expect(() => readConfig(file)).toThrow('"totalTimeoutMs" must be a positive integer');
    expect(totalLimitMs(file)).toBe(DEFAULT_TOTAL_TIMEOUT_MS);
    const r = timeLimitResults(4000);
    expect(validate(r) ? [] : validate.errors).toEqual([]);
    expect(r.output).toContain('more than 4 s in total');
  });

  it('run.ts stops a slow submission at the limit and still writes a schema-valid results.json', () => {
    const root = autograderRoot('slow', { exercises: ['03-pooling'], timeoutMs: 2000, totalTimeoutMs: 4000 });
    // Every forward call sleeps 1 s, under the per-call limit: without the overall limit this would run for minutes.
    makeSubmission('slow/submission', [
      {
        file: '03-pooling/pool.ts',
        find: "  const [Hout, Wout] = poolOutputShape('maxPool2dForward', x, params);",
        replace: "  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);\n  const [Hout, Wout] = poolOutputShape('maxPool2dForward', x, params);",
      },
    ], ['03-pooling']);
    const t0 = Date.now();
    const r = spawnSync(path.join(REPO, 'node_modules/.bin/tsx'), [path.join(REPO, 'grader/src/gradescope/run.ts')], {
      cwd: REPO,
      env: { ...process.env, DLKATA_TEST_AUTOGRADER_ROOT: root },
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(60_000);
    const results = readResults(root);
    expect(validate(results) ? [] : validate.errors).toEqual([]);
    expect(results.score).toBe(0);
    expect(results.output).toContain('more than 4 s in total');
  }, 120_000);

  it('run_autograder kills a grader that does not stop and writes the results itself', () => {
    const root = autograderRoot('hung', { exercises: ['03-pooling'], totalTimeoutMs: 1000 });
    const bin = path.join(root, 'source', 'node_modules', '.bin');
    mkdirSync(bin, { recursive: true });
    // A stand-in for the grader that never ends and never writes results.json.
    writeFileSync(path.join(bin, 'tsx'), '#!/usr/bin/env bash\nsleep 600\n');
    chmodSync(path.join(bin, 'tsx'), 0o755);
    copyFileSync(path.join(REPO, 'grader/src/gradescope/run_autograder'), path.join(root, 'run_autograder'));
    const t0 = Date.now();
    const r = spawnSync('bash', [path.join(root, 'run_autograder')], { cwd: root, env: { ...process.env, DLKATA_TEST_AUTOGRADER_ROOT: root }, encoding: 'utf8', timeout: 90_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(60_000); // the limit (1 s) plus the backstop's margin (20 s)
    const results = readResults(root);
    expect(validate(results) ? [] : validate.errors).toEqual([]);
    expect(results.score).toBe(0);
    expect(results.output).toContain('took more than 21 s in total');
  }, 120_000);
});
