/**
 * A class of 20 mixed submissions (correct, buggy, hostile, two poison pills that once crashed
 * the grader, archives, broken archives, stubs, an empty folder) graded by `pnpm grade <class> --out DIR`: the grader is killed mid-run,
 * rerun, and must end with every result exactly once, the finished ones untouched, and the
 * class outputs (CSV, feedback, summary, JUnit) complete. The same seed gives byte-identical
 * results.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { applyMutant, fileNameFor, gradeClass, loadMutants, type ClassManifest } from '../src/index.js';
import { REPO } from './fixtures.js';

/** One exercise keeps the run short; `pam` submits another one instead, to show "not submitted". */
const EXERCISES = ['03-pooling'];
const SEED = 77;
const FULL = 7;

let root: string;
let classDir: string;
let out: string;
let killedPid: number;
let afterKill: Map<string, string>;
let rerun: { status: number | null; stdout: string; stderr: string };

function copy(exercise: string, dest: string, from = 'solutions'): void {
  cpSync(path.join(REPO, from, exercise), path.join(dest, exercise), { recursive: true, filter: (f) => !f.endsWith('.test.ts') });
}

function patch(file: string, find: string, replace: string): void {
  const text = readFileSync(file, 'utf8');
  if (text.split(find).length !== 2) throw new Error(`patch: ${find} not found once in ${file}`);
  writeFileSync(file, text.replace(find, () => replace));
}

async function zipFolder(dir: string, prefix: string, target: string): Promise<void> {
  const zip = new yazl.ZipFile();
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name), `${rel}${e.name}/`);
      else zip.addBuffer(readFileSync(path.join(d, e.name)), `${prefix}${rel}${e.name}`);
    }
  };
  walk(dir, '');
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  writeFileSync(target, Buffer.concat(chunks));
}

/** Builds the class: 20 submissions, with the expected total of each. */
async function buildClass(): Promise<Record<string, number | 'lost' | 'error'>> {
  const expected: Record<string, number | 'lost' | 'error'> = {};
  const solved = (name: string): string => {
    const d = path.join(classDir, name);
    for (const ex of EXERCISES) copy(ex, d);
    return d;
  };
  for (const name of ['alice', 'bob', 'carol', 'dave']) {
    solved(name);
    expected[name] = FULL;
  }
  // poison pills: each once made the grader itself throw (exit 1, no report, every rerun dying on it)
  const pool = (name: string): string => path.join(solved(name), '03-pooling', 'pool.ts');
  patch(pool('erin'), "import {", "import { writeSync } from 'node:fs';\nimport {");
  patch(path.join(classDir, 'erin', '03-pooling', 'pool.ts'), 'const dx = Tensor.zeros(x.shape);', "writeSync(3, 'raw bytes into the channel');\n  const dx = Tensor.zeros(x.shape);");
  expected.erin = FULL - 5;
  patch(pool('frank'), 'export interface PoolParams {', "Object.defineProperty(Object.getPrototypeOf(Uint8Array).prototype, 'length', { get() { return 0; } });\nexport interface PoolParams {");
  expected.frank = 0;
  const mutants = await loadMutants();
  const bugs: [string, string, string][] = [
    ['gina', '03-pooling', 'ties-to-last-maximum'],
    ['hank', '03-pooling', 'gradient-to-every-tied-maximum'],
    ['ivan', '03-pooling', 'max-starts-at-zero'],
    ['judy', '03-pooling', 'overlap-overwritten-not-accumulated'],
  ];
  for (const [name, ex, id] of bugs) {
    const d = solved(name);
    const m = mutants.find((x) => x.exercise === ex && x.id === id)!;
    const f = path.join(d, ex, m.file);
    writeFileSync(f, applyMutant(readFileSync(f, 'utf8'), m));
    expected[name] = 'lost';
  }
  patch(path.join(solved('kim'), '03-pooling', 'pool.ts'), 'const dx = Tensor.zeros(x.shape);', 'process.exit(0);\n  const dx = Tensor.zeros(x.shape);');
  expected.kim = FULL - 5;
  patch(path.join(solved('leo'), '03-pooling', 'pool.ts'), 'const dx = Tensor.zeros(x.shape);', 'throw null;\n  const dx = Tensor.zeros(x.shape);');
  expected.leo = FULL - 5;
  patch(path.join(solved('mia'), '03-pooling', 'pool.ts'), 'return { out, cache: { x, params: { kernel, stride } } };', 'return { out: x, cache: { x, params: { kernel, stride } } };');
  expected.mia = FULL - 2;
  // archives
  const staging = path.join(root, 'staging');
  for (const ex of EXERCISES) copy(ex, path.join(staging, 'nina'));
  await zipFolder(path.join(staging, 'nina'), 'exercises/', path.join(classDir, 'nina.zip'));
  expected.nina = FULL;
  copy('01-gradient-check', path.join(staging, 'pam'));
  await zipFolder(path.join(staging, 'pam'), '', path.join(classDir, 'pam.zip'));
  expected.pam = 0; // 01 is not graded in this run, 03 is missing
  writeFileSync(path.join(classDir, 'quinn.zip'), 'PK\u0003\u0004 certainly not a zip');
  expected.quinn = 'error';
  writeFileSync(path.join(classDir, 'rob.tar.gz'), gzipSync(Buffer.alloc(700, 7)));
  expected.rob = 'error';
  // a buggy tarball, made with tar's own packer
  const oscar = path.join(staging, 'oscar');
  for (const ex of EXERCISES) copy(ex, oscar);
  patch(path.join(oscar, '03-pooling', 'pool.ts'), 'let best = -Infinity;', 'let best = 0;');
  const { c: tarCreate } = await import('tar');
  await tarCreate({ gzip: true, file: path.join(classDir, 'oscar.tar.gz'), cwd: staging, portable: true }, ['oscar']);
  expected.oscar = FULL - 2;
  const sara = path.join(classDir, 'sara');
  for (const ex of EXERCISES) copy(ex, sara, 'exercises');
  expected.sara = 0;
  mkdirSync(path.join(classDir, 'tom', 'notes'), { recursive: true });
  writeFileSync(path.join(classDir, 'tom', 'notes', 'readme.txt'), 'nothing to see');
  // No exercise folder at all: every exercise "not submitted", 0 of its points, not an error.
  expected.tom = 0;
  return expected;
}

/** The command line, relative to the test's folder (INIT_CWD), as a user would type it there. */
function cliArgs(seed = SEED): string[] {
  return ['--import', 'tsx', path.join(REPO, 'grader/src/cli.ts'), 'class', '--out', 'out', '--seed', String(seed), '--exercises', '03', '--jobs', '2', '--no-progress', '--junit', 'out/junit.xml', '--timeout', '3000'];
}

/** Runs the CLI from the repository (where tsx resolves) with the paths relative to the test's folder. */
function cliEnv(): NodeJS.ProcessEnv {
  return { ...process.env, INIT_CWD: root, NO_COLOR: '1' };
}

function resultFiles(): Map<string, string> {
  const dir = path.join(out, 'results');
  const m = new Map<string, string>();
  if (!existsSync(dir)) return m;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) m.set(f, readFileSync(path.join(dir, f), 'utf8'));
  return m;
}

/** Processes whose command line names the class run's temporary folder (Linux's /proc; elsewhere none are found). */
function childrenOf(pid: number): string[] {
  const mark = `dlkata-class-${pid}-`;
  if (!existsSync('/proc')) return [];
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(mark);
      } catch {
        return false;
      }
    });
}

let expected: Record<string, number | 'lost' | 'error'>;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'dlkata-batch-test-'));
  classDir = path.join(root, 'class');
  out = path.join(root, 'out');
  mkdirSync(classDir);
  expected = await buildClass();
  // 1. start the grader and kill it (SIGKILL: no chance to clean up) once a few results are in
  const child = spawn(process.execPath, cliArgs(), { cwd: REPO, env: cliEnv(), stdio: 'ignore' });
  killedPid = child.pid!;
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const t0 = Date.now();
  while (resultFiles().size < 3 && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 25));
  child.kill('SIGKILL');
  await exited;
  afterKill = resultFiles();
  // 2. run it again with the same command
  const r = spawnSync(process.execPath, cliArgs(), { cwd: REPO, env: cliEnv(), encoding: 'utf8', timeout: 240_000 });
  rerun = { status: r.status, stdout: r.stdout, stderr: r.stderr };
}, 300_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('a class of 20, killed mid-run and resumed', () => {
  it('the kill left complete results only, and no sandboxed child running', async () => {
    expect(afterKill.size).toBeGreaterThanOrEqual(3);
    expect(afterKill.size).toBeLessThan(20);
    for (const [f, text] of afterKill) expect(() => JSON.parse(text), f).not.toThrow();
    const t0 = Date.now();
    while (childrenOf(killedPid).length > 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 100));
    expect(childrenOf(killedPid)).toEqual([]);
  });

  it('the rerun graded exactly the rest, kept the finished results byte for byte, and cleaned up after the killed run', () => {
    expect(rerun.stderr).not.toContain('internal error');
    expect(rerun.status).toBe(0);
    const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as { graded: string[]; resumed: string[] };
    const resumedFiles = run.resumed.map((n) => `${fileNameFor(n)}.json`).sort();
    expect(resumedFiles).toEqual([...afterKill.keys()].sort());
    expect(run.graded.length + run.resumed.length).toBe(20);
    expect(new Set([...run.graded, ...run.resumed]).size).toBe(20);
    const now = resultFiles();
    expect(now.size).toBe(20);
    for (const [f, text] of afterKill) expect(now.get(f), f).toBe(text);
    expect(readdirSync(tmpdir()).filter((d) => d.startsWith(`dlkata-class-${killedPid}-`))).toEqual([]);
    expect(existsSync(path.join(out, '.lock'))).toBe(false);
    expect(readdirSync(path.join(out, 'results')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(rerun.stderr).toMatch(/20 submissions: \d+ to grade, \d+ already graded \(resumed\)/);
  });

  it('every submission got the expected points', () => {
    const csv = readFileSync(path.join(out, 'grades.csv'), 'utf8').trim().split('\r\n');
    expect(csv[0]).toBe('submission,03-pooling,total,max_total,error');
    expect(csv).toHaveLength(21);
    const rows = new Map(csv.slice(1).map((l) => [l.split(',')[0], l.split(',')]));
    expect([...rows.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [name, want] of Object.entries(expected)) {
      const total = Number(rows.get(name)![2]);
      expect(Number(rows.get(name)![3]), name).toBe(FULL);
      if (want === 'lost') expect(total, name).toBeLessThan(FULL);
      else if (want === 'error') {
        expect(total, name).toBe(0);
        expect(rows.get(name)!.slice(4).join(','), name).not.toBe('');
      } else expect(total, name).toBe(want);
    }
  });

  it('writes the feedback, Gradescope results, the summary and JUnit XML for all of them', () => {
    expect(readdirSync(path.join(out, 'feedback')).filter((f) => f.endsWith('.md'))).toHaveLength(20);
    const gs = JSON.parse(readFileSync(path.join(out, 'gradescope', 'ivan.json'), 'utf8')) as { score: number; max_score: number; output_format: string; tests: { status: string }[] };
    expect(gs).toMatchObject({ extra_data: { max_score: FULL }, output_format: 'md' });
    expect(gs.score).toBeLessThan(FULL);
    expect(gs.tests).toHaveLength(4);
    expect(readFileSync(path.join(out, 'feedback', 'gina.md'), 'utf8')).toContain('first in row-major order');
    const summary = readFileSync(path.join(out, 'summary.md'), 'utf8');
    expect(summary).toContain('20 submissions');
    expect(summary).toContain('## Most common failures');
    expect(summary).toContain('quinn: the archive quinn.zip could not be unpacked');
    const junit = readFileSync(path.join(out, 'junit.xml'), 'utf8');
    expect(junit.match(/<testsuite /g)).toHaveLength(20);
    const pam = JSON.parse(readFileSync(path.join(out, 'results', 'pam.json'), 'utf8')) as { submission: { skipped: string[]; exercises: { missing?: boolean }[] } };
    expect(pam.submission.skipped).toEqual(['01-gradient-check']);
    expect(pam.submission.exercises[0].missing).toBe(true);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as ClassManifest;
    expect(manifest).toMatchObject({ seed: SEED, exercises: EXERCISES });
  });

  it('the same seed gives byte-identical results (timing lives in run.json only)', async () => {
    const names = ['alice', 'gina', 'nina', 'quinn'];
    const again = mkdtempSync(path.join(tmpdir(), 'dlkata-batch-again-'));
    try {
      for (const n of names) {
        const src = ['nina', 'quinn'].includes(n) ? `${n}.zip` : n;
        cpSync(path.join(classDir, src), path.join(again, 'class', src), { recursive: true });
      }
      await gradeClass('class', { out: 'out', cwd: again, seed: SEED, exercises: EXERCISES, jobs: 2, timeoutMs: 3000 });
      for (const n of names) {
        const a = readFileSync(path.join(out, 'results', `${n}.json`), 'utf8');
        expect(readFileSync(path.join(again, 'out', 'results', `${n}.json`), 'utf8'), n).toBe(a);
        expect(readFileSync(path.join(again, 'out', 'gradescope', `${n}.json`), 'utf8'), n).toBe(readFileSync(path.join(out, 'gradescope', `${n}.json`), 'utf8'));
        expect(readFileSync(path.join(again, 'out', 'feedback', `${n}.md`), 'utf8'), n).toBe(readFileSync(path.join(out, 'feedback', `${n}.md`), 'utf8'));
        expect(a).not.toMatch(/durationMs|startedAt/);
      }
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  }, 120_000);

  it('a rerun with another seed is refused unless forced', async () => {
    await expect(gradeClass('class', { out: 'out', cwd: root, seed: SEED + 1, exercises: EXERCISES })).rejects.toThrow('graded with other settings (seed 77 -> 78)');
    expect(resultFiles().size).toBe(20);
  });
});
