/**
 * One submission must not take the compiler down for the others. esbuild runs as one service
 * process shared by every bundle of a run; a file that crashes it (nesting hundreds of
 * thousands deep overflows its parser's stack) used to fail every build in flight and every
 * build after it with "The service is no longer running".
 *
 * Two defences: files nested deeper than MAX_BRACKET_DEPTH are refused before esbuild reads
 * them (a clear compile error, no crash), and a build that meets a dead service restarts it and
 * retries alone, so only the submission that kills it even alone loses its points.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BuildOptions, BuildResult } from 'esbuild';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bracketDepth, BUNDLER_CRASHED, bundleExercise, buildSurvivingCrashes, MAX_BRACKET_DEPTH } from '../src/sandbox/bundle.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dlkata-bundler-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function bundle(source: string): Promise<{ ok: boolean; message?: string }> {
  const ex = path.join(dir, `sub${++n}`, '05-residual');
  mkdirSync(ex, { recursive: true });
  writeFileSync(path.join(ex, 'residual.ts'), source);
  const out = path.join(dir, `out${n}`);
  mkdirSync(out);
  const r = await bundleExercise(ex, ['residual.ts'], out);
  return r.ok ? { ok: true } : { ok: false, message: r.message };
}

describe('deep nesting is refused before the compiler reads it', () => {
  it.each([
    ['brackets', (d: number) => `export const deep = ${'['.repeat(d)}${']'.repeat(d)};\n`],
    ['parentheses', (d: number) => `export const deep = ${'('.repeat(d)}1${')'.repeat(d)};\n`],
    ['braces', (d: number) => `export const deep = ${'{a:'.repeat(d)}1${'}'.repeat(d)};\n`],
    ['mixed', (d: number) => `export const deep = ${'[({x:'.repeat(d / 3)}1${'})]'.repeat(d / 3)};\n`],
  ])('%s nested 300,000 deep: a compile error naming the file, the depth and the line; the next submission compiles', async (_, make) => {
    const r = await bundle(`// a comment\n${make(300_000)}`);
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(new RegExp(`residual\\.ts: brackets nested \\d+ deep \\(line 2\\); the grader compiles at most ${MAX_BRACKET_DEPTH} levels`));
    expect(await bundle('export const x = [[1, 2], [3, 4]];\n')).toEqual({ ok: true });
  });

  it('honest nesting compiles', async () => {
    expect(await bundle(`export const ok = ${'['.repeat(MAX_BRACKET_DEPTH - 1)}${']'.repeat(MAX_BRACKET_DEPTH - 1)};\n`)).toEqual({ ok: true });
  });

  it('bracketDepth is the deepest running count, for any sequence of brackets', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('(', '[', '{', ')', ']', '}', 'a', '\n')), (chars) => {
        let depth = 0;
        let max = 0;
        for (const c of chars) {
          if ('([{'.includes(c)) max = Math.max(max, ++depth);
          else if (')]}'.includes(c)) depth = Math.max(0, depth - 1);
        }
        expect(bracketDepth(chars.join('')).depth).toBe(max);
      }),
    );
  });
});

describe('a build that meets a dead service restarts it and retries alone', () => {
  /**
   * A fake esbuild: builds marked `poison` kill the "service", failing every build in flight
   * with esbuild's own message, until `restart` is called.
   */
  function fakeEsbuild() {
    let alive = true;
    let restarts = 0;
    const inFlight = new Set<(e: Error) => void>();
    const maxConcurrent = { now: 0, max: 0, duringRetry: [] as number[] };
    const run = (o: BuildOptions): Promise<BuildResult> =>
      new Promise<BuildResult>((resolve, reject) => {
        if (!alive) return reject(new Error('The service is no longer running'));
        maxConcurrent.now++;
        maxConcurrent.max = Math.max(maxConcurrent.max, maxConcurrent.now);
        const fail = (e: Error) => {
          maxConcurrent.now--;
          reject(e);
        };
        inFlight.add(fail);
        setTimeout(() => {
          if (!inFlight.delete(fail)) return;
          if (o.outfile === 'poison') {
            alive = false;
            const e = new Error('The service was stopped: write EPIPE');
            fail(e);
            for (const f of [...inFlight]) {
              inFlight.delete(f);
              f(e);
            }
            return;
          }
          maxConcurrent.now--;
          resolve({ errors: [], warnings: [] } as unknown as BuildResult);
        }, 5 + (o.outfile === 'poison' ? 0 : 10));
      });
    const restart = () => {
      restarts++;
      alive = true;
    };
    return { run, restart, stats: () => ({ restarts, max: maxConcurrent.max }) };
  }

  it('a poisoned build among many: only it fails, the others succeed, the service restarts', async () => {
    const { run, restart, stats } = fakeEsbuild();
    const names = ['a', 'b', 'poison', 'c', 'd', 'e', 'poison', 'f'];
    const results = await Promise.all(
      names.map((outfile) =>
        buildSurvivingCrashes({ outfile }, run, restart).then(
          () => 'ok',
          (e: Error) => e.message,
        ),
      ),
    );
    expect(results).toEqual(names.map((x) => (x === 'poison' ? BUNDLER_CRASHED : 'ok')));
    expect(stats().restarts).toBeGreaterThanOrEqual(2);
    // After the run the service is usable.
    await expect(buildSurvivingCrashes({ outfile: 'g' }, run, restart)).resolves.toBeDefined();
  });

  it('any order of poisoned and honest builds: exactly the poisoned ones fail', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }), async (poisoned) => {
        const { run, restart } = fakeEsbuild();
        const results = await Promise.all(
          poisoned.map((p, i) =>
            buildSurvivingCrashes({ outfile: p ? 'poison' : `ok${i}` }, run, restart).then(
              () => false,
              () => true,
            ),
          ),
        );
        expect(results).toEqual(poisoned);
      }),
      { numRuns: 30 },
    );
  });

  it('other errors are not retried', async () => {
    let calls = 0;
    const run = async (): Promise<BuildResult> => {
      calls++;
      throw new Error('Build failed with 1 error');
    };
    await expect(buildSurvivingCrashes({}, run, () => undefined)).rejects.toThrow('Build failed with 1 error');
    expect(calls).toBe(1);
  });
});
