#!/usr/bin/env tsx
/**
 * `pnpm release:student OUT`: writes the students' edition of the repository into the new or
 * empty folder `OUT`: a standalone pnpm workspace with the exercises, the packages, the grader
 * (students grade themselves), the playground, the docs sources and a README written for
 * students. No `solutions/` and nothing derived from them, no maintainers' checks or tests
 * (nbgrader's and otter's "student version").
 *
 * What is left out or changed, and why:
 * - `solutions/`, and the maintainers' tools built on it: the exercise generator and its check,
 *   the grader's own tests (their fixtures are patched solutions), its mutation self-test (the
 *   mutants are patched solutions), its benchmark, the Gradescope autograder builder;
 * - the workspace entry, lockfile importer, vitest project and scripts that name them;
 * - README.md is replaced by `scripts/student-README.md` with the exercise table filled in.
 *
 * Then it proves the result clean: no file may contain a line of code from inside a solution's
 * `BEGIN SOLUTION` region (unless the stubs have that line too), no code may import from or
 * point into `solutions`, and no workspace or package file may name it. A leak fails the
 * release (exit 1) and lists each file.
 *
 * The files copied are the ones git tracks (the working-tree content), so build outputs and
 * local state (node_modules, hint state, scratch files) never travel.
 *
 * @module
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listExercises, ROOT } from './lib-docs.js';

/** Top-level entries that travel (files, or folders with everything git tracks in them). */
const INCLUDE = [
  '.gitignore',
  'package.json',
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
  'tsconfig.base.json',
  'turbo.json',
  'vitest.config.ts',
  'packages/',
  'grader/',
  'exercises/',
  'playground/',
  'docs/',
];

/** The scripts a student uses (and the docs build); the rest of scripts/ is the maintainers'. */
const STUDENT_SCRIPTS = [
  'test.mjs',
  'test-watch.mjs',
  'lib-test-args.mjs',
  'exercise-names.mjs',
  'exercise-names.d.mts',
  'run-root.mjs',
  'vitest.student.config.ts',
  'hint.ts',
  'progress.ts',
  'play.ts',
  'lib-docs.ts',
  'lib-manifest.ts',
  'docs-guides.ts',
  'figures.ts',
  'lib-figures.ts',
  'lib-heatmap.ts',
];

/** Paths left out although under an included folder (prefixes). */
const EXCLUDE = [
  'grader/test/',
  'grader/src/selftest/mutants/',
  'grader/src/selftest/cli.ts',
  'grader/src/bench/',
  'grader/src/gradescope/build.ts',
  'exercises/turbo.json',
  'packages/exercise-support/src/reporter-maintainers.test.ts',
];

/** Root scripts that are the maintainers' (they need solutions/ or the excluded tools). */
const MAINTAINER_SCRIPTS = ['exercises:generate', 'exercises:check', 'grade:selftest', 'grade:gradescope', 'bench:grader', 'release:student', 'test:coverage'];

const USAGE = `Usage: pnpm release:student OUT

Writes the students' edition (exercises, packages, grader, playground, docs, a student README;
no solutions/) into OUT, which must be a new or empty folder outside this repository.`;

/** Code that imports from or points into `solutions/`. */
const CODE_REF = [
  /\bfrom\s+['"][^'"]*\bsolutions\b[^'"]*['"]/,
  /\bimport\(\s*['"][^'"]*\bsolutions\b[^'"]*['"]/,
  /['"`](\.{1,2}\/)*solutions\/[^'"`]*['"`]/,
  /@dlkata\/solutions/,
];

/** Files git tracks, relative, `/`-separated. */
function trackedFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return out.split('\0').filter((f) => f !== '' && existsSync(path.join(ROOT, f)));
}

/**
 * Whether a repository path goes into the edition. A test file that uses `solutions/` (runs with
 * `--mine solutions`, say) stays behind too, whatever its folder: it could not run without them.
 */
export function shipped(file: string, text: (f: string) => string = (f) => readFileSync(path.join(ROOT, f), 'utf8')): boolean {
  if (EXCLUDE.some((e) => file === e || file.startsWith(e))) return false;
  const byPath = file.startsWith('scripts/') ? STUDENT_SCRIPTS.includes(file.slice('scripts/'.length)) : INCLUDE.some((i) => (i.endsWith('/') ? file.startsWith(i) : file === i));
  if (!byPath) return false;
  return !(/\.test\.[cm]?[jt]s$/.test(file) && text(file).split('\n').some((l) => CODE_REF.some((r) => r.test(l))));
}

/** The edition's version of a file's text, or `null` to copy it byte for byte. */
function transform(file: string, text: () => string): string | null {
  switch (file) {
    case 'package.json': {
      const pkg = JSON.parse(text()) as { scripts: Record<string, string>; description?: string };
      for (const s of MAINTAINER_SCRIPTS) delete pkg.scripts[s];
      pkg.description = "Deep-learning exercises in TypeScript (students' edition): visible tests, hints and the grader.";
      return `${JSON.stringify(pkg, null, 2)}\n`;
    }
    case 'grader/package.json': {
      const pkg = JSON.parse(text()) as { scripts: Record<string, string> };
      delete pkg.scripts.test; // the grader's tests are the maintainers'
      return `${JSON.stringify(pkg, null, 2)}\n`;
    }
    case 'exercises/package.json': {
      const pkg = JSON.parse(text()) as { scripts: Record<string, string>; devDependencies?: Record<string, string>; description?: string };
      delete pkg.scripts.check;
      if (pkg.devDependencies) delete pkg.devDependencies['@dlkata/solutions'];
      pkg.description = 'Your exercises. Inside an exercise folder, pnpm test, test:watch, grade, hint, progress and play mean that exercise.';
      return `${JSON.stringify(pkg, null, 2)}\n`;
    }
    case 'pnpm-workspace.yaml':
      return text()
        .split('\n')
        .filter((l) => !/^\s*-\s*solutions\s*$/.test(l))
        .join('\n');
    case 'vitest.config.ts':
      // The maintainers' projects whose tests are not shipped.
      return text()
        .split('\n')
        .filter((l) => !/name: '(solutions|grader|scripts)'/.test(l))
        .map((l) => (/^\s*(\*|\/\/)/.test(l) ? l.replace(/ or `solutions\/`/, '') : l))
        .join('\n');
    default:
      return null;
  }
}

/** The student README: the template with one row per exercise. */
function studentReadme(): string {
  const rows = listExercises()
    .map((e) => `| \`exercises/${e.id}\` | ${e.title} |`)
    .join('\n');
  return readFileSync(path.join(ROOT, 'scripts', 'student-README.md'), 'utf8').replace('@@EXERCISES@@', rows);
}

/** Every file under `dir` (relative, `/`-separated), skipping node_modules. */
function walk(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const full = path.join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(full).isDirectory()) out.push(...walk(full, rel));
    else out.push(rel);
  }
  return out;
}

/**
 * Lines of solution code (inside `BEGIN SOLUTION` regions) that a student must not receive:
 * trimmed, at least 24 characters, and present neither in a stub (given code is not secret)
 * nor in the reference library `packages/` or the grader's suites, which ship on purpose (the
 * grader trusts the library; a solution mirrors it in its own words).
 */
export function secretLines(shippedFiles: readonly string[] = trackedFiles().filter((f) => shipped(f))): Set<string> {
  const secret = new Set<string>();
  const stubLines = new Set<string>();
  for (const f of shippedFiles) {
    if (!/^(exercises|packages|grader\/src\/suites)\/.*\.ts$/.test(f)) continue;
    for (const l of readFileSync(path.join(ROOT, f), 'utf8').split('\n')) stubLines.add(l.trim());
  }
  const solDir = path.join(ROOT, 'solutions');
  for (const f of existsSync(solDir) ? walk(solDir) : []) {
    if (!f.endsWith('.ts')) continue;
    let inside = false;
    for (const line of readFileSync(path.join(solDir, f), 'utf8').split('\n')) {
      if (/\/\/ BEGIN SOLUTION/.test(line)) inside = true;
      else if (/\/\/ END SOLUTION/.test(line)) inside = false;
      else if (inside) {
        const t = line.trim();
        if (t.length >= 24 && !t.startsWith('//') && !stubLines.has(t)) secret.add(t);
      }
    }
  }
  return secret;
}


/** Problems in a written edition: leaked solution lines and references to solutions. */
export function scanEdition(out: string, secret: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const f of walk(out)) {
    if (f.split('/').includes('solutions')) {
      problems.push(`${f}: a solutions folder`);
      continue;
    }
    const buf = readFileSync(path.join(out, f));
    if (buf.includes(0)) continue; // binary
    const text = buf.toString('utf8');
    const lines = text.split('\n').map((l) => l.trim());
    const leaked = lines.find((l) => secret.has(l));
    if (leaked) problems.push(`${f}: contains solution code: ${leaked.slice(0, 100)}`);
    if (/\.(ts|mts|mjs|js|json)$/.test(f)) {
      const code = text.split('\n').filter((l) => !/^\s*(\*|\/\/|\/\*)/.test(l));
      const ref = code.find((l) => CODE_REF.some((r) => r.test(l)));
      if (ref) problems.push(`${f}: refers to solutions: ${ref.trim().slice(0, 120)}`);
    }
    if (/(^|\/)(pnpm-workspace\.yaml|pnpm-lock\.yaml|turbo\.json)$/.test(f) && /\bsolutions\b/.test(text)) {
      problems.push(`${f}: names solutions`);
    }
  }
  return problems;
}

function main(argv: string[]): number {
  const args = argv.filter((a) => a !== '--');
  if (args.length !== 1 || args[0].startsWith('-')) {
    console.error(USAGE);
    return args.includes('--help') || args.includes('-h') ? 0 : 2;
  }
  const out = path.resolve(process.env.INIT_CWD ?? process.cwd(), args[0]);
  const relToRoot = path.relative(ROOT, out);
  if (!relToRoot.startsWith('..') && !path.isAbsolute(relToRoot)) {
    console.error(`release:student: ${out} is inside this repository; choose a folder outside it.`);
    return 2;
  }
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
    console.error(`release:student: ${out} exists and is not an empty folder; nothing was written.`);
    return 2;
  }

  const files = trackedFiles().filter((f) => shipped(f));
  mkdirSync(out, { recursive: true });
  for (const f of files) {
    const src = path.join(ROOT, f);
    const dest = path.join(out, f);
    mkdirSync(path.dirname(dest), { recursive: true });
    const t = transform(f, () => readFileSync(src, 'utf8'));
    if (t === null) copyFileSync(src, dest);
    else writeFileSync(dest, t);
  }
  writeFileSync(path.join(out, 'README.md'), studentReadme());

  // The lockfile, pruned to the edition's workspace (no network: everything is in the store).
  // pnpm 12 is a native program; older ones are a JavaScript file run by node.
  const pnpm = process.env.npm_execpath ?? 'pnpm';
  const argvPnpm = /\.[cm]?js$/.test(pnpm) ? [process.execPath, pnpm] : [pnpm];
  const lock = spawnSync(argvPnpm[0], [...argvPnpm.slice(1), 'install', '--lockfile-only', '--offline', '--ignore-scripts'], {
    cwd: out,
    encoding: 'utf8',
    env: { ...process.env, INIT_CWD: out },
  });
  if (lock.status !== 0) {
    console.error(`release:student: could not update the lockfile in ${out}:\n${(lock.stderr || lock.stdout || String(lock.error)).trim()}`);
    return 1;
  }

  const problems = scanEdition(out, secretLines(files));
  if (problems.length > 0) {
    console.error(`release:student: the edition in ${out} is NOT clean (${problems.length} problem(s)); do not hand it out:\n  ${problems.join('\n  ')}`);
    return 1;
  }
  const exercises = listExercises(path.join(out, 'exercises')).length;
  console.log(`Students' edition written to ${out}: ${files.length + 1} files, ${exercises} exercises, no solutions (checked).`);
  console.log(`Next: cd ${out} && git init && git add -A && git commit -m "Exercises"`);
  console.log(`Students start with the two commands of its README: pnpm grade exercises, pnpm test 01.`);
  return 0;
}

// Run as a command (not when a test imports the scan).
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) process.exit(main(process.argv.slice(2)));
