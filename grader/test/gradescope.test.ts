/**
 * Gradescope: `pnpm grade:gradescope` builds autograder.zip (setup.sh, run_autograder and the
 * grader's source, no solutions), and `run_autograder`, run against a temporary folder laid
 * out like Gradescope's `/autograder`, writes results.json with Markdown output.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { buildAutograder, graderClosure, main as buildMain } from '../src/gradescope/build.js';
import { gradescopePaths, runGradescope } from '../src/gradescope/run.js';
import type { GradescopeResults } from '../src/index.js';
import { REPO } from './fixtures.js';

let root: string;
let zip: string;
let entries: { name: string; mode: number; data?: string }[];

async function readZip(file: string): Promise<{ name: string; mode: number; data?: string }[]> {
  const z = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(file, { lazyEntries: true }, (e, f) => (e ? reject(e) : resolve(f))));
  const out: { name: string; mode: number; data?: string }[] = [];
  await new Promise<void>((resolve, reject) => {
    z.on('entry', (entry: yauzl.Entry) => {
      const item = { name: entry.fileName, mode: (entry.externalFileAttributes >>> 16) & 0o777 } as { name: string; mode: number; data?: string };
      out.push(item);
      if (entry.fileName === 'source/gradescope.json') {
        z.openReadStream(entry, (err, s) => {
          if (err) return reject(err);
          const chunks: Buffer[] = [];
          s.on('data', (c: Buffer) => chunks.push(c));
          s.on('end', () => {
            item.data = Buffer.concat(chunks).toString('utf8');
            z.readEntry();
          });
        });
      } else z.readEntry();
    });
    z.on('end', () => resolve());
    z.on('error', reject);
    z.readEntry();
  });
  return out;
}

/** Runs run_autograder on a fresh /autograder-like folder holding `submission` (files relative to it). */
function runAutograder(name: string, files: (dir: string) => void): { results: GradescopeResults; status: number | null; stdout: string } {
  const ag = path.join(root, name, 'autograder');
  mkdirSync(path.join(ag, 'submission'), { recursive: true });
  files(path.join(ag, 'submission'));
  const r = spawnSync('bash', [path.join(REPO, 'grader/src/gradescope/run_autograder')], {
    env: { ...process.env, AUTOGRADER_ROOT: ag, DLKATA_SOURCE: REPO, DLKATA_GRADESCOPE_CONFIG: path.join(root, 'gradescope.json') },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { results: JSON.parse(readFileSync(path.join(ag, 'results', 'results.json'), 'utf8')) as GradescopeResults, status: r.status, stdout: r.stdout + r.stderr };
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'dlkata-gradescope-test-'));
  zip = path.join(root, 'autograder.zip');
  await buildAutograder({ out: zip, config: { exercises: ['03-pooling'], seed: 5 } });
  entries = await readZip(zip);
  writeFileSync(path.join(root, 'gradescope.json'), entries.find((e) => e.name === 'source/gradescope.json')!.data!);
}, 60_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('autograder.zip', () => {
  it("has Gradescope's layout: setup.sh and run_autograder at the root, executable; the source under source/", () => {
    const names = entries.map((e) => e.name);
    expect(entries.find((e) => e.name === 'setup.sh')?.mode).toBe(0o755);
    expect(entries.find((e) => e.name === 'run_autograder')?.mode).toBe(0o755);
    for (const f of ['source/package.json', 'source/pnpm-lock.yaml', 'source/pnpm-workspace.yaml', 'source/grader/src/cli.ts', 'source/grader/src/gradescope/run.ts', 'source/packages/tensor/src/index.ts', 'source/packages/layers/src/index.ts']) {
      expect(names, f).toContain(f);
    }
    expect(JSON.parse(entries.find((e) => e.name === 'source/gradescope.json')!.data!)).toEqual({ exercises: ['03-pooling'], seed: 5 });
  });

  it('holds no solution, no tests and no node_modules; other workspace projects only as package.json', () => {
    const names = entries.map((e) => e.name);
    expect(names.filter((n) => n.startsWith('source/solutions/'))).toEqual(['source/solutions/package.json']);
    expect(names.filter((n) => n.startsWith('source/exercises/'))).toEqual(['source/exercises/package.json']);
    expect(names.filter((n) => n.includes('node_modules') || n.endsWith('.test.ts') || n.includes('/test/'))).toEqual([]);
    expect(graderClosure(REPO)).toEqual(expect.arrayContaining(['grader', 'packages/tensor', 'packages/layers']));
  });

  it('pnpm grade:gradescope writes it with the settings given', async () => {
    const out = path.join(root, 'cli.zip');
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      expect(await buildMain(['--out', out, '--exercises', '01-02', '--timeout', '2000', '--runs', '9'])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    const config = (await readZip(out)).find((e) => e.name === 'source/gradescope.json')!.data!;
    expect(JSON.parse(config)).toEqual({ exercises: ['01-gradient-check', '02-convolution'], timeoutMs: 2000, numRuns: 9 });
  });
});

describe('run_autograder', () => {
  it('grades the files a student uploaded for a one-exercise assignment, and writes Markdown results', () => {
    const { results, status } = runAutograder('loose', (dir) => {
      cpSync(path.join(REPO, 'solutions/03-pooling/pool.ts'), path.join(dir, 'pool.ts'));
      const f = path.join(dir, 'pool.ts');
      writeFileSync(f, readFileSync(f, 'utf8').replace('let best = -Infinity;', 'let best = 0;'));
    });
    expect(status).toBe(0);
    expect(results).toMatchObject({ score: 5, max_score: 7, output_format: 'md', test_output_format: 'md', visibility: 'visible' });
    expect(results.output).toContain('seed 5');
    expect(results.tests).toHaveLength(4);
    const forward = results.tests[0];
    expect(forward).toMatchObject({ name: '03-pooling: maxPool2dForward: kernel 1-3, stride 1-3', number: '3.1', score: 0, max_score: 2, status: 'failed', output_format: 'md', visibility: 'visible' });
    expect(forward.output).toMatch(/^\*\*failed\*\*: maxPool2dForward: out differs at/);
    expect(forward.output).toContain('Replay: `pnpm grade exercises --replay 03-pooling/forward --seed 5');
    expect(results.tests.slice(1).every((t) => t.status === 'passed' && t.score === t.max_score)).toBe(true);
  });

  it('grades an uploaded exercises/ folder', () => {
    const { results } = runAutograder('nested', (dir) => {
      cpSync(path.join(REPO, 'solutions/03-pooling'), path.join(dir, 'exercises', '03-pooling'), { recursive: true, filter: (f) => !f.endsWith('.test.ts') });
    });
    expect(results).toMatchObject({ score: 7, max_score: 7 });
  });

  it('gives 0 points, saying why, for a configured exercise that is missing, and says what to upload when nothing is configured', async () => {
    const ag = path.join(root, 'empty', 'autograder');
    mkdirSync(path.join(ag, 'submission'), { recursive: true });
    writeFileSync(path.join(ag, 'submission', 'notes.txt'), 'oops');
    const paths = gradescopePaths({ AUTOGRADER_ROOT: ag, DLKATA_SOURCE: REPO, DLKATA_GRADESCOPE_CONFIG: path.join(root, 'gradescope.json') });
    expect(paths.results).toBe(path.join(ag, 'results', 'results.json'));
    const configured = await runGradescope(paths, {});
    expect(configured).toMatchObject({ score: 0, max_score: 7 });
    expect(configured.output).toContain('could not be graded');
    expect(configured.tests.every((t) => t.score === 0 && t.output.includes('no 03-pooling folder (or its files: pool.ts) in the submission'))).toBe(true);
    const open = await runGradescope({ ...paths, config: path.join(root, 'no-such-config.json') }, {});
    expect(open).toMatchObject({ score: 0, max_score: 0, tests: [] });
    expect(open.output).toContain('Upload your exercise folders');
  });
});
