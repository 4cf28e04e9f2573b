/**
 * The Gradescope bundle, end to end, the way Gradescope uses it: `pnpm grade:gradescope` builds
 * autograder.zip; the test unzips it into `<root>/source` as Gradescope unzips into
 * `/autograder/source`, runs `bash setup.sh` there (the steps that need the internet are skipped,
 * with the reason printed; the dependencies install from the lockfile out of the local pnpm
 * store), copies `run_autograder` to `<root>/run_autograder`, and runs it on a correct, a buggy,
 * a hostile and an empty submission. Every `results/results.json` is checked against
 * Gradescope's documented schema (`schemas/gradescope-results.schema.json`, with ajv).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { buildAutograder, graderClosure, main as buildMain } from '../src/gradescope/build.js';
import { failureResults, gradescopePaths, readConfig, runGradescope } from '../src/gradescope/run.js';
import { grade, loadSecret, mdEscape, SUITES, type GradescopeResults } from '../src/index.js';
import { REPO } from './fixtures.js';

const EXERCISES = ['01-gradient-check', '03-pooling'];
/** Points of the two exercises (01: 6, 03: 7): the assignment's maximum. */
const MAX = 13;

const ajv = new Ajv({ allErrors: true });
const validate = ajv.compile(JSON.parse(readFileSync(path.join(REPO, 'grader/test/schemas/gradescope-results.schema.json'), 'utf8')) as object);

function expectValid(results: unknown): void {
  const ok = validate(results);
  expect(ok ? [] : validate.errors, 'results.json against Gradescope\'s schema').toEqual([]);
}

interface ZipItem {
  name: string;
  mode: number;
  data: Buffer;
}

async function readZip(file: string): Promise<ZipItem[]> {
  const z = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(file, { lazyEntries: true }, (e, f) => (e ? reject(e) : resolve(f))));
  const out: ZipItem[] = [];
  await new Promise<void>((resolve, reject) => {
    z.on('entry', (entry: yauzl.Entry) => {
      z.openReadStream(entry, (err, s) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('end', () => {
          out.push({ name: entry.fileName, mode: (entry.externalFileAttributes >>> 16) & 0o777, data: Buffer.concat(chunks) });
          z.readEntry();
        });
      });
    });
    z.on('end', () => resolve());
    z.on('error', reject);
    z.readEntry();
  });
  return out;
}

/** Unzips like Gradescope: every entry under `dest`, with its mode. */
function extract(items: readonly ZipItem[], dest: string): void {
  for (const it of items) {
    const file = path.join(dest, it.name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, it.data);
    chmodSync(file, it.mode || 0o644);
  }
}

let root: string;
let ag: string;
let items: ZipItem[];
let setupLog = '';
let setupStatus: number | null = null;

/** Runs /autograder/run_autograder on a fresh submission folder filled by `fill`. */
function runAutograder(fill: (dir: string) => void): { results: GradescopeResults; stdout: string; status: number | null; seeds: Record<string, string> } {
  const submission = path.join(ag, 'submission');
  rmSync(submission, { recursive: true, force: true });
  rmSync(path.join(ag, 'results'), { recursive: true, force: true });
  mkdirSync(submission, { recursive: true });
  fill(submission);
  const r = spawnSync('bash', [path.join(ag, 'run_autograder')], {
    cwd: ag,
    env: { ...process.env, DLKATA_TEST_AUTOGRADER_ROOT: ag },
    encoding: 'utf8',
    timeout: 300_000,
  });
  const stdout = `${r.stdout}${r.stderr}`;
  const seeds: Record<string, string> = {};
  for (const m of stdout.matchAll(/(\d\d-[\w-]+) (\d+|not run)/g)) seeds[m[1]] = m[2];
  return { results: JSON.parse(readFileSync(path.join(ag, 'results', 'results.json'), 'utf8')) as GradescopeResults, stdout, status: r.status, seeds };
}

function copySolution(exercise: string, dest: string): void {
  cpSync(path.join(REPO, 'solutions', exercise), path.join(dest, exercise), { recursive: true, filter: (f) => !f.endsWith('.test.ts') });
}

/** What a student reads must not let them predict another run: no seed of this run in it. */
function expectNoSeeds(results: GradescopeResults, seeds: Record<string, string>): void {
  const studentText = JSON.stringify({ output: results.output, tests: results.tests });
  for (const [ex, seed] of Object.entries(seeds)) if (seed !== 'not run') expect(studentText, `${ex}'s seed ${seed}`).not.toContain(seed);
  expect(studentText).not.toMatch(/--seed|Test seed|test seed/);
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'dlkata-gradescope-test-'));
  const zip = path.join(root, 'autograder.zip');
  await buildAutograder({ out: zip, config: { exercises: EXERCISES, timeoutMs: 3000 } });
  items = await readZip(zip);
  // Gradescope: unzip into /autograder/source, run setup.sh there once, copy run_autograder.
  ag = path.join(root, 'autograder');
  extract(items, path.join(ag, 'source'));
  const setup = spawnSync('bash', ['setup.sh'], { cwd: path.join(ag, 'source'), env: { ...process.env, DLKATA_TEST_OFFLINE: '1' }, encoding: 'utf8', timeout: 300_000 });
  setupStatus = setup.status;
  setupLog = `${setup.stdout}${setup.stderr}`;
  for (const line of setupLog.split('\n')) if (line.includes('SKIPPED')) process.stdout.write(`gradescope.test: ${line.replace(/^== setup\.sh: /, 'setup.sh step ')}\n`);
  copyFileSync(path.join(ag, 'source', 'run_autograder'), path.join(ag, 'run_autograder'));
  chmodSync(path.join(ag, 'run_autograder'), 0o755);
}, 300_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('autograder.zip', () => {
  it("has Gradescope's layout: setup.sh and run_autograder at the root, executable, the project beside them", () => {
    const names = items.map((e) => e.name);
    expect(items.find((e) => e.name === 'setup.sh')?.mode).toBe(0o755);
    expect(items.find((e) => e.name === 'run_autograder')?.mode).toBe(0o755);
    for (const f of ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', '.npmrc', 'grader/package.json', 'grader/src/cli.ts', 'grader/src/gradescope/run.ts', 'packages/tensor/src/index.ts', 'packages/layers/src/index.ts']) {
      expect(names, f).toContain(f);
    }
    expect(names.filter((n) => n.startsWith('source/'))).toEqual([]);
    expect(JSON.parse(items.find((e) => e.name === 'gradescope.json')!.data.toString('utf8'))).toEqual({ exercises: EXERCISES, timeoutMs: 3000 });
  });

  it('holds no solution, no tests and no node_modules; other workspace projects only as package.json', () => {
    const names = items.map((e) => e.name);
    expect(names.filter((n) => n.startsWith('solutions/'))).toEqual(['solutions/package.json']);
    expect(names.filter((n) => n.startsWith('exercises/'))).toEqual(['exercises/package.json']);
    expect(names.filter((n) => n.includes('node_modules') || n.endsWith('.test.ts') || n.includes('/test/'))).toEqual([]);
    expect(graderClosure(REPO)).toEqual(expect.arrayContaining(['grader', 'packages/tensor', 'packages/layers']));
  });

  it('bakes a fresh secret (root-only) into every bundle, or the one given with --secret-file; refuses --seed', async () => {
    const secret = items.find((e) => e.name === 'grader-secret')!;
    expect(secret.mode).toBe(0o600);
    expect(secret.data.toString('utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    const other = await readZip(await (async () => {
      const f = path.join(root, 'other.zip');
      await buildAutograder({ out: f, config: { exercises: EXERCISES } });
      return f;
    })());
    expect(other.find((e) => e.name === 'grader-secret')!.data.equals(secret.data)).toBe(false);

    const mine = path.join(root, 'my-secret');
    writeFileSync(mine, 'an instructor secret of enough length\n');
    const out = path.join(root, 'cli.zip');
    const err: string[] = [];
    const write = process.stdout.write;
    const ewrite = process.stderr.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
    try {
      expect(await buildMain(['--out', out, '--exercises', '01,pooling', '--timeout', '2000', '--runs', '9', '--secret-file', mine])).toBe(0);
      expect(await buildMain(['--out', path.join(root, 'seeded.zip'), '--seed', '42'])).toBe(2);
    } finally {
      process.stdout.write = write;
      process.stderr.write = ewrite;
    }
    expect(err.join('')).toContain('takes no --seed');
    expect(existsSync(path.join(root, 'seeded.zip'))).toBe(false);
    const built = await readZip(out);
    expect(JSON.parse(built.find((e) => e.name === 'gradescope.json')!.data.toString('utf8'))).toEqual({ exercises: EXERCISES, timeoutMs: 2000, numRuns: 9 });
    expect(built.find((e) => e.name === 'grader-secret')!.data.toString('utf8')).toBe('an instructor secret of enough length\n');
  });
});

describe('setup.sh and run_autograder, laid out as on Gradescope', () => {
  it('setup.sh installs the dependencies from the lockfile at the zip root and the grader loads', () => {
    expect(setupStatus, setupLog).toBe(0);
    expect(setupLog).toContain(`grader ready: ${SUITES.length} suites`);
    expect(existsSync(path.join(ag, 'source', 'node_modules', '.bin', 'tsx'))).toBe(true);
    expect(statSync(path.join(ag, 'source', 'grader-secret')).mode & 0o777).toBe(0o600);
  });

  it('a correct submission (the whole exercises/ folder): full marks, schema-valid', () => {
    const { results, seeds, status } = runAutograder((dir) => {
      for (const ex of EXERCISES) copySolution(ex, path.join(dir, 'exercises'));
    });
    expect(status).toBe(0);
    expectValid(results);
    expect(results.score).toBe(MAX);
    expect(results.extra_data).toMatchObject({ max_score: MAX, exercises: EXERCISES, not_submitted: [], seed: null });
    expect(results.tests.reduce((s, t) => s + (t.max_score ?? 0), 0)).toBe(MAX);
    expect(results.tests.every((t) => t.status === 'passed' && t.score === t.max_score)).toBe(true);
    expect(Object.keys(seeds).sort()).toEqual(EXERCISES);
    expectNoSeeds(results, seeds);
  });

  it('a buggy submission: loses the points of the bug only, with its shrunk counterexample and no seed; the instructor replays it exactly', async () => {
    const fill = (dir: string): void => {
      for (const ex of EXERCISES) copySolution(ex, dir);
      const f = path.join(dir, '03-pooling', 'pool.ts');
      writeFileSync(f, readFileSync(f, 'utf8').replace('let best = -Infinity;', 'let best = 0;'));
    };
    const { results, seeds } = runAutograder(fill);
    expectValid(results);
    expect(results.extra_data.max_score).toBe(MAX);
    const failed = results.tests.filter((t) => t.status === 'failed');
    expect(failed.map((t) => t.name)).toEqual(['03-pooling: maxPool2dForward: kernel 1-3, stride 1-3']);
    expect(results.score).toBe(MAX - failed[0].max_score);
    expect(failed[0].output).toMatch(/^\*\*failed\*\*: maxPool2dForward: out differs at/);
    expect(failed[0].output).toMatch(/Counterexample|Fixed case/);
    expectNoSeeds(results, seeds);

    // The instructor, with the bundle's secret and a copy of the files, gets the same seeds and the same result.
    const copy = path.join(root, 'replay', 'student');
    fill(copy);
    const report = await grade(copy, { secret: loadSecret({ file: path.join(ag, 'source', 'grader-secret') }), exercises: EXERCISES, timeoutMs: 3000 });
    const sub = report.submissions[0];
    expect(Object.fromEntries(sub.exercises.map((e) => [e.id, String(e.seed)]))).toEqual(seeds);
    const forward = sub.exercises[1].tests[0];
    expect(forward.status).toBe('failed');
    expect(failed[0].output).toContain(mdEscape(forward.counterexample!.description));
  });

  it('a hostile submission that deletes the exercise it fails, forges results.json and exits mid-test gets neither "pass" nor its forgery', () => {
    const forged = JSON.stringify({ score: 1000, tests: [] });
    const { results, seeds } = runAutograder((dir) => {
      copySolution('03-pooling', dir);
      const f = path.join(dir, '03-pooling', 'pool.ts');
      const attack = [
        "import { writeFileSync as __w } from 'node:fs';",
        `for (const p of ['${path.join(ag, 'results', 'results.json')}', '/autograder/results/results.json']) { try { __w(p, '${forged}'); } catch {} }`,
        `console.log('${forged}');`,
        '',
      ].join('\n');
      const text = readFileSync(f, 'utf8');
      writeFileSync(f, attack + text.replace('export function maxPool2dBackward(', 'export function maxPool2dBackward(...a: unknown[]): never { process.exit(0); }\nexport function unusedBackward('));
    });
    expectValid(results);
    expect(results.score).toBeLessThan(MAX);
    expect(results.extra_data).toMatchObject({ max_score: MAX, not_submitted: ['01-gradient-check'] });
    expect(results.tests.filter((t) => t.name.startsWith('01-')).every((t) => t.score === 0 && t.output.startsWith('**not submitted**'))).toBe(true);
    expect(results.tests.find((t) => t.name.startsWith('03-pooling: maxPool2dForward'))!.status).toBe('passed');
    expect(results.tests.filter((t) => t.name.startsWith('03-pooling: maxPool2dBackward')).every((t) => t.status === 'failed')).toBe(true);
    expect(results.output).toContain('**Not submitted**');
    expectNoSeeds(results, seeds);
  });

  it('an empty submission: 0 of the full maximum, every test "not submitted", schema-valid', () => {
    const { results } = runAutograder(() => {});
    expectValid(results);
    expect(results.score).toBe(0);
    expect(results.extra_data.max_score).toBe(MAX);
    expect(results.tests).toHaveLength(8); // 01: 4 tests, 03: 4 tests
    expect(results.tests.every((t) => t.score === 0)).toBe(true);
    expect(results.output).not.toContain('could not be graded');
    expect(results.extra_data).toMatchObject({ not_submitted: ['01-gradient-check', '03-pooling'] });
    expect(results.tests.every((t) => t.tags?.includes('not-submitted'))).toBe(true);
  });

  it('without its dependencies, or with broken settings, run_autograder still writes a schema-valid error result', async () => {
    const bare = path.join(root, 'bare');
    mkdirSync(path.join(bare, 'submission'), { recursive: true });
    const r = spawnSync('bash', [path.join(ag, 'run_autograder')], { cwd: bare, env: { ...process.env, DLKATA_TEST_AUTOGRADER_ROOT: bare }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const results = JSON.parse(readFileSync(path.join(bare, 'results', 'results.json'), 'utf8')) as GradescopeResults;
    expectValid(results);
    expect(results).toMatchObject({ score: 0, tests: [] });
    expect(results.output).toContain('tell your instructor');

    const paths = gradescopePaths(path.join(root, 'broken'));
    mkdirSync(paths.source, { recursive: true });
    writeFileSync(paths.config, JSON.stringify({ exercises: ['99-nope'] }));
    expect(() => readConfig(paths.config)).toThrow('"exercises" must list');
    await expect(runGradescope(paths)).rejects.toThrow('"exercises" must list');
    expectValid(failureResults('x'));
  });
});
