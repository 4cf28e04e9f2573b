/**
 * `pnpm release:student OUT`: the students' edition is built into a temporary folder, checked
 * for anything of solutions/, and its README's two commands are run there as a student would
 * on a fresh machine: the first installs (offline, from the store) and grades the untouched
 * exercises (0 points), the second runs a visible test that is red with its TODO.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { scanEdition, secretLines, shipped } from '../release-student.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let tmp: string;
let out: string;

const ENV = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: '1', npm_config_offline: 'true' };
for (const k of ['INIT_CWD', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID', 'NODE_ENV']) delete (ENV as Record<string, string | undefined>)[k];
// A student's shell has none of what `pnpm exec` / `pnpm test` put around this test: pnpm's own
// settings (e.g. verify-deps-before-run off, which would skip the edition's first install) and
// this repository's node_modules/.bin on PATH (which would run this repository's tsx).
for (const k of Object.keys(ENV)) if (/^(pnpm|npm)_(config|package|lifecycle)_/i.test(k) && k !== 'npm_config_offline') delete (ENV as Record<string, string | undefined>)[k];
ENV.PATH = (process.env.PATH ?? '')
  .split(path.delimiter)
  .filter((d) => !d.startsWith(path.join(REPO, 'node_modules')) && !d.includes(`${path.sep}node_modules${path.sep}.bin`))
  .join(path.delimiter);

function pnpm(cwd: string, args: string[], env: NodeJS.ProcessEnv = ENV): { status: number | null; out: string } {
  const r = spawnSync('pnpm', args, { cwd, encoding: 'utf8', env, timeout: 480_000, maxBuffer: 1 << 26 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'dlkata-edition-'));
  out = path.join(tmp, 'students');
  // In this repository pnpm must not reinstall (node_modules is shared with other runs).
  const r = pnpm(REPO, ['release:student', out], { ...ENV, npm_config_verify_deps_before_run: 'false' });
  expect(r.status, r.out).toBe(0);
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("the students' edition", () => {
  test('holds the exercises, packages, grader, playground and docs, and nothing of solutions/', () => {
    for (const p of ['exercises/05-residual/residual.ts', 'exercises/05-residual/package.json', 'packages/tensor/src/index.ts', 'grader/src/cli.ts', 'playground/scratch.ts', 'docs/typedoc.json', 'scripts/hint.ts']) {
      expect(existsSync(path.join(out, p)), p).toBe(true);
    }
    for (const p of ['solutions', 'grader/test', 'grader/src/selftest/mutants', 'scripts/generate-exercises.ts', 'scripts/check-exercises.ts', 'exercises/turbo.json']) {
      expect(existsSync(path.join(out, p)), p).toBe(false);
    }
    const pkg = JSON.parse(readFileSync(path.join(out, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(Object.keys(pkg.scripts)).not.toContain('exercises:generate');
    expect(Object.keys(pkg.scripts)).not.toContain('grade:selftest');
    for (const f of ['pnpm-workspace.yaml', 'pnpm-lock.yaml', 'vitest.config.ts', 'exercises/package.json']) {
      expect(readFileSync(path.join(out, f), 'utf8'), f).not.toMatch(/\bsolutions\b/);
    }
    expect(scanEdition(out, secretLines())).toEqual([]);
  });

  test('the scan catches solution code that slipped in, and references to solutions', () => {
    const fake = path.join(tmp, 'fake');
    mkdirSync(path.join(fake, 'grader'), { recursive: true });
    const secret = [...secretLines()];
    expect(secret.length).toBeGreaterThan(20);
    writeFileSync(path.join(fake, 'grader', 'mutant.ts'), `// a patched copy\n    ${secret[7]}\n`);
    writeFileSync(path.join(fake, 'grader', 'fixture.ts'), "import { x } from '../solutions/05-residual/residual.js';\n");
    writeFileSync(path.join(fake, 'pnpm-workspace.yaml'), 'packages:\n  - solutions\n');
    const problems = scanEdition(fake, new Set(secret));
    expect(problems.some((p) => p.startsWith('grader/mutant.ts: contains solution code'))).toBe(true);
    expect(problems.some((p) => p.startsWith('grader/fixture.ts: refers to solutions'))).toBe(true);
    expect(problems.some((p) => p.startsWith('pnpm-workspace.yaml: names solutions'))).toBe(true);
  });

  test('what ships is decided by path: maintainers\' tools stay behind', () => {
    expect(shipped('exercises/05-residual/residual.ts')).toBe(true);
    expect(shipped('scripts/hint.ts')).toBe(true);
    expect(shipped('scripts/release-student.ts')).toBe(false);
    expect(shipped('scripts/test/release-student.test.ts')).toBe(false);
    expect(shipped('solutions/05-residual/residual.ts')).toBe(false);
    expect(shipped('grader/test/fixtures.ts')).toBe(false);
  });

  test("a test that uses solutions/ stays behind wherever it lives (it could not run without them); others ship", () => {
    const uses = (): string => "  const r = run(['--mine', 'solutions/07-fcn']);\n";
    const plain = (): string => "import { x } from './x.js';\n// solutions are not needed here\n";
    expect(shipped('packages/lab/src/cli/fcn.test.ts', uses)).toBe(false);
    expect(shipped('packages/lab/src/cli/fcn.test.ts', plain)).toBe(true);
    expect(shipped('packages/lab/src/cli/fcn.ts', uses)).toBe(true); // not a test: the scan judges it
    expect(shipped('grader/src/x.test.mts', () => "import { s } from '../../solutions/05-residual/residual.js';\n")).toBe(false);
  });

  test('refuses to write into a folder that is not empty, and touches nothing there', () => {
    const busy = path.join(tmp, 'busy');
    mkdirSync(busy);
    writeFileSync(path.join(busy, 'mine.txt'), 'keep');
    const r = pnpm(REPO, ['release:student', busy], { ...ENV, npm_config_verify_deps_before_run: 'false' });
    expect(r.status).toBe(2);
    expect(r.out).toContain('not an empty folder');
    expect(readFileSync(path.join(busy, 'mine.txt'), 'utf8')).toBe('keep');
    expect(existsSync(path.join(busy, 'package.json'))).toBe(false);
  });

  test("its README's two commands work on a fresh copy: install + grade (0 points), a red visible test", () => {
    const readme = readFileSync(path.join(out, 'README.md'), 'utf8');
    const block = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme);
    expect(block, 'a Quick start with a sh block').not.toBeNull();
    const commands = block![1]
      .split('\n')
      .map((l) => l.replace(/#.*$/, '').trim())
      .filter((l) => l !== '');
    expect(commands).toEqual(['pnpm grade exercises', 'pnpm test 01']);
    expect(existsSync(path.join(out, 'node_modules'))).toBe(false);

    const grade = pnpm(out, commands[0].split(' ').slice(1).concat(['--runs', '1']));
    expect(grade.status, grade.out).toBe(0);
    expect(existsSync(path.join(out, 'node_modules')), 'the first command installed').toBe(true);
    expect(grade.out).toMatch(/Total exercises: 0\/\d+ points \(0%\)/);

    const t = pnpm(out, commands[1].split(' ').slice(1));
    expect(t.status).not.toBe(0);
    expect(t.out).toContain('gradient-check.test.ts');
    expect(t.out).toContain('TODO');
    expect(t.out).toMatch(/Tests\s+\d+ failed/);
  });
});
