#!/usr/bin/env tsx
/**
 * `pnpm grade:gradescope`: builds `autograder.zip` for a Gradescope programming assignment.
 *
 * Gradescope unzips the file into `/autograder/source` and runs `setup.sh` there once, then
 * copies `run_autograder` to `/autograder/run_autograder` and runs it for each submission
 * (Gradescope's "Autograder Specifications"). So everything sits at the zip's root, side by
 * side: `setup.sh`, `run_autograder`, the project's root files (`package.json`,
 * `pnpm-lock.yaml`, `pnpm-workspace.yaml`, `.npmrc`, `tsconfig.base.json`), the grader and the
 * workspace packages it depends on (`package.json`, `tsconfig.json` and `src/`, without tests),
 * the `package.json` of every other workspace project (so the lockfile matches),
 * `gradescope.json` with the assignment's settings and `grader-secret`, the secret each
 * submission's seeds are derived from. No solution is in it.
 *
 * ```
 * pnpm grade:gradescope                                   # every exercise, autograder.zip
 * pnpm grade:gradescope --exercises 02,03 --out hw2.zip   # the assignment: exercises 02 and 03
 * pnpm grade:gradescope --secret-file ~/.config/dlkata/grader-secret   # replay submissions locally
 * ```
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import yazl from 'yazl';
import { parseExercises } from '../cli.js';
import { UsageError } from '../discover.js';
import { loadSecret, newSecretText } from '../seeds.js';
import { SUITES } from '../suites/index.js';
import type { GradescopeConfig } from './run.js';

/** The repository this file belongs to. */
export const REPO_ROOT = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** Options of {@link buildAutograder}. */
export interface AutograderOptions {
  /** The repository (default {@link REPO_ROOT}). */
  readonly repo?: string;
  /** Where to write the zip. */
  readonly out: string;
  /** The assignment's settings, written to `gradescope.json` (default: every exercise). */
  readonly config?: GradescopeConfig;
  /** The grader secret's text, written to `grader-secret` (default: a fresh random one). */
  readonly secret?: string;
}

const EXCLUDED_DIRS = new Set(['node_modules', 'coverage', 'bench', 'test', 'dist', 'docs']);

function workspaceDirs(repo: string): string[] {
  const yaml = readFileSync(path.join(repo, 'pnpm-workspace.yaml'), 'utf8');
  const block = /^packages:\s*\n((?:\s+-\s+.+\n?)+)/m.exec(yaml)?.[1] ?? '';
  const patterns = [...block.matchAll(/-\s+['"]?([^'"\n]+)['"]?/g)].map((m) => m[1].trim());
  const dirs: string[] = [];
  for (const p of patterns) {
    if (p.endsWith('/*')) {
      const base = p.slice(0, -2);
      for (const d of readdirSync(path.join(repo, base), { withFileTypes: true })) {
        if (d.isDirectory() && existsSync(path.join(repo, base, d.name, 'package.json'))) dirs.push(`${base}/${d.name}`);
      }
    } else if (existsSync(path.join(repo, p, 'package.json'))) {
      dirs.push(p);
    }
  }
  return dirs.sort();
}

/** The workspace folders the grader needs at run time: itself and its `workspace:` dependencies, transitively. */
export function graderClosure(repo: string): string[] {
  const dirs = workspaceDirs(repo);
  const byName = new Map<string, string>();
  for (const d of dirs) byName.set((JSON.parse(readFileSync(path.join(repo, d, 'package.json'), 'utf8')) as { name: string }).name, d);
  const out = new Set<string>();
  const visit = (dir: string): void => {
    if (out.has(dir)) return;
    out.add(dir);
    const pkg = JSON.parse(readFileSync(path.join(repo, dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const [name, spec] of Object.entries(pkg.dependencies ?? {})) {
      const d = byName.get(name);
      if (spec.startsWith('workspace:') && d) visit(d);
    }
  };
  visit('grader');
  return [...out].sort();
}

function sourceFiles(repo: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const d of readdirSync(path.join(repo, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (d.name.startsWith('.')) continue;
      const r = `${rel}/${d.name}`;
      if (d.isDirectory()) {
        if (!EXCLUDED_DIRS.has(d.name)) walk(r);
      } else if (d.isFile() && !d.name.endsWith('.test.ts') && !d.name.includes('.tmp.')) {
        out.push(r);
      }
    }
  };
  walk(dir);
  return out;
}

/**
 * The files of the zip: `[path in the zip, path on disk or content, mode]`.
 */
export function autograderEntries(opts: Omit<AutograderOptions, 'out'> = {}): { name: string; file?: string; text?: string; mode: number }[] {
  const repo = opts.repo ?? REPO_ROOT;
  const here = path.join(repo, 'grader', 'src', 'gradescope');
  const entries: { name: string; file?: string; text?: string; mode: number }[] = [
    { name: 'setup.sh', file: path.join(here, 'setup.sh'), mode: 0o755 },
    { name: 'run_autograder', file: path.join(here, 'run_autograder'), mode: 0o755 },
  ];
  for (const f of ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', '.npmrc', 'tsconfig.base.json']) {
    if (existsSync(path.join(repo, f))) entries.push({ name: f, file: path.join(repo, f), mode: 0o644 });
  }
  const needed = graderClosure(repo);
  for (const d of workspaceDirs(repo)) {
    if (needed.includes(d)) {
      const files = [...['package.json', 'tsconfig.json'].filter((f) => existsSync(path.join(repo, d, f))).map((f) => `${d}/${f}`), ...sourceFiles(repo, `${d}/src`)];
      for (const f of files) entries.push({ name: f, file: path.join(repo, f), mode: statSync(path.join(repo, f)).mode & 0o111 ? 0o755 : 0o644 });
    } else {
      entries.push({ name: `${d}/package.json`, file: path.join(repo, d, 'package.json'), mode: 0o644 });
    }
  }
  const config: GradescopeConfig = opts.config ?? { exercises: SUITES.map((s) => s.id) };
  entries.push({ name: 'gradescope.json', text: `${JSON.stringify(config, null, 2)}\n`, mode: 0o644 });
  entries.push({ name: 'grader-secret', text: opts.secret ?? newSecretText(), mode: 0o600 });
  return entries;
}

/** Writes the zip; resolves with the number of files in it. */
export async function buildAutograder(opts: AutograderOptions): Promise<number> {
  const entries = autograderEntries(opts);
  const zip = new yazl.ZipFile();
  const mtime = new Date('2000-01-01T00:00:00Z');
  for (const e of entries) {
    const options = { mode: 0o100000 | e.mode, mtime };
    if (e.text !== undefined) zip.addBuffer(Buffer.from(e.text), e.name, options);
    else zip.addBuffer(readFileSync(e.file!), e.name, options);
  }
  zip.end();
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(opts.out);
    out.on('close', () => resolve());
    out.on('error', reject);
    zip.outputStream.on('error', reject);
    zip.outputStream.pipe(out);
  });
  return entries.length;
}

function integer(name: string, min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

/**
 * Runs the command line.
 *
 * @returns the exit code
 */
export async function main(argv: readonly string[]): Promise<number> {
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const program = new Command()
    .name('pnpm grade:gradescope')
    .description("Build autograder.zip for a Gradescope assignment (setup.sh, run_autograder, the grader's source, the assignment's settings and a grader secret).")
    .option('--out <file>', 'the zip to write', 'autograder.zip')
    .option('--exercises <list>', "the assignment's exercises, e.g. 02, 01-04, 02-convolution or convolution,pooling (default: all); a missing one scores 0", (v) => parseExercises(v))
    .option('--secret-file <file>', 'bake this grader secret into the bundle (to replay its reports locally with --secret-file); default: a fresh random one, never printed')
    .option('--seed <n>', 'not accepted: every submission gets its own seeds from the bundle secret')
    .option('--timeout <ms>', 'wall-clock limit per call, in ms', integer('--timeout', 50, 600_000))
    .option('--runs <n>', 'random cases per test', integer('--runs', 1, 1000))
    .option('--total-timeout <s>', "wall-clock limit of one submission's whole run, in seconds (default 540); keep it below the assignment's autograder timeout on Gradescope", integer('--total-timeout', 10, 86_400))
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let opts: { out: string; exercises?: string[]; secretFile?: string; seed?: string; timeout?: number; runs?: number; totalTimeout?: number };
  try {
    program.parse(['node', 'gradescope', ...argv]);
    opts = program.opts();
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' ? 0 : 2;
    throw e;
  }
  if (opts.seed !== undefined) {
    process.stderr.write(
      'error: grade:gradescope takes no --seed: one seed for every submission would let students share and memoise the cases. Each submission gets its own seeds, derived from the bundle\'s secret and its files; pass --secret-file to bake your own secret and replay any report locally.\n',
    );
    return 2;
  }
  let secret: string | undefined;
  let secretNote = 'a fresh secret that exists only in the zip';
  if (opts.secretFile !== undefined) {
    try {
      const s = loadSecret({ file: path.resolve(cwd, opts.secretFile) });
      secret = `${s.key.toString('utf8')}\n`;
      secretNote = `the secret of ${opts.secretFile} (id ${s.id})`;
    } catch (e) {
      if (e instanceof UsageError) {
        process.stderr.write(`error: ${e.message}\n`);
        return 2;
      }
      throw e;
    }
  }
  const config: GradescopeConfig = {
    exercises: opts.exercises ?? SUITES.map((s) => s.id),
    ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}),
    ...(opts.runs !== undefined ? { numRuns: opts.runs } : {}),
    ...(opts.totalTimeout !== undefined ? { totalTimeoutMs: opts.totalTimeout * 1000 } : {}),
  };
  const out = path.resolve(cwd, opts.out);
  const n = await buildAutograder({ out, config, ...(secret ? { secret } : {}) });
  process.stdout.write(
    [
      `wrote ${out} (${n} files)`,
      `assignment: ${config.exercises.join(', ')} (every student is graded on all of them; a missing one scores 0)`,
      `seeds: per submission, derived from its files and ${secretNote}`,
      'Upload it as the autograder of a Gradescope programming assignment ("Zip file upload"), base image Ubuntu 22.04.',
      '',
    ].join('\n'),
  );
  return 0;
}

function invokedDirectly(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
