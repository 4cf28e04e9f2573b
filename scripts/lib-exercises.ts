/**
 * Shared code of `generate-exercises.ts` and `check-exercises.ts`: how `exercises/` is made
 * from `solutions/`.
 *
 * ## Marking what the student writes
 *
 * In a solution's `.ts` file, the code the student has to write sits between two comment
 * lines (nbgrader's idea):
 *
 * ```ts
 * export function relu(x: Tensor): Tensor {
 *   // BEGIN SOLUTION: relu: return max(0, x) elementwise
 *   return x.map((v) => Math.max(0, v));
 *   // END SOLUTION
 * }
 * ```
 *
 * In the exercise, the two marker lines and everything between them become one line with the
 * BEGIN line's indentation:
 *
 * ```ts
 *   throw new NotImplementedError('relu: return max(0, x) elementwise');
 * ```
 *
 * and `NotImplementedError` is added to the file's import from `@dlkata/tensor` if missing.
 * Everything else (signatures, types, docstrings, given code, tests, README, hints) is copied
 * unchanged, so exercise and solution have the same paths and the same exports. Each exercise
 * folder also gets a `package.json` of its own (see {@link exercisePackageJson}) so that
 * `pnpm test` typed inside it means that exercise.
 *
 * ## Never overwriting a student's work
 *
 * `exercises/.generated.json` records the SHA-256 of every file as last generated.
 * {@link planWrite} compares each file on disk with it: a file that differs from both the new
 * content and the recorded one was edited by someone (a student's answer), and
 * {@link writeExercises} refuses to touch it unless forced, and even then copies it to
 * `exercises/.backup/<time>/` first. Files the manifest does not know are never removed.
 *
 * Rules, checked with errors that name the file and the line:
 * - the TODO text after `BEGIN SOLUTION:` is required and fits on that line;
 * - every BEGIN has an END with the same indentation; regions do not nest;
 * - a line that mentions `BEGIN SOLUTION` or `END SOLUTION` in any other form is an error
 *   (a typo would otherwise leak the solution);
 * - markers are only allowed in `.ts` files.
 *
 * @module
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { headingAnchor } from './lib-docs.js';

/** Repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where the solutions live, the source of the exercises. */
export const SOLUTIONS_DIR = path.join(ROOT, 'solutions');
/** Where the generated exercises live. */
export const EXERCISES_DIR = path.join(ROOT, 'exercises');

/** An exercise folder: two digits, a dash, a topic (`02-convolution`). Only these are generated. */
export const EXERCISE_DIR_PATTERN = /^\d\d-[a-z0-9-]+$/;

const BEGIN = /^([ \t]*)\/\/ BEGIN SOLUTION(?::(.*))?\s*$/;
const END = /^([ \t]*)\/\/ END SOLUTION\s*$/;
const ANY_MARKER = /(BEGIN|END) SOLUTION/;

/** A malformed marker; the message starts with `file:line`. */
export class MarkerError extends Error {
  constructor(file: string, line: number, detail: string) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'MarkerError';
  }
}

/** One replaced region. */
export interface Region {
  /** 1-based line of `BEGIN SOLUTION` in the solution file. */
  readonly begin: number;
  /** 1-based line of `END SOLUTION`. */
  readonly end: number;
  /** The TODO text. */
  readonly todo: string;
}

/** The exercise version of one solution file. */
export interface Transformed {
  readonly text: string;
  readonly regions: readonly Region[];
}

/**
 * Turns a solution source file into its exercise stub.
 *
 * @param source - the solution file's text
 * @param file - its path, for error messages (e.g. `solutions/02-convolution/conv.ts`)
 * @throws MarkerError for a malformed, unclosed or nested marker
 */
export function transformSource(source: string, file: string, ctx?: SeeAlsoContext): Transformed {
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const lines = source.split(/\r?\n/);
  const out: string[] = [];
  const regions: Region[] = [];
  let open: { line: number; indent: string; todo: string } | null = null;
  lines.forEach((text, i) => {
    const line = i + 1;
    const begin = BEGIN.exec(text);
    const end = END.exec(text);
    if (begin) {
      if (open) throw new MarkerError(file, line, `BEGIN SOLUTION inside the region opened at line ${open.line}; regions do not nest`);
      const todo = (begin[2] ?? '').trim();
      if (todo === '') throw new MarkerError(file, line, 'BEGIN SOLUTION needs the TODO text shown to the student: `// BEGIN SOLUTION: <what to do>`');
      open = { line, indent: begin[1], todo };
    } else if (end) {
      if (!open) throw new MarkerError(file, line, 'END SOLUTION without a BEGIN SOLUTION before it');
      if (end[1] !== open.indent) {
        throw new MarkerError(file, line, `END SOLUTION is indented differently from its BEGIN SOLUTION at line ${open.line}`);
      }
      out.push(`${open.indent}throw new NotImplementedError(${quote(open.todo + seeAlso(open.todo, ctx))});`);
      regions.push({ begin: open.line, end: line, todo: open.todo });
      open = null;
    } else if (ANY_MARKER.test(text)) {
      throw new MarkerError(file, line, 'malformed marker; write `// BEGIN SOLUTION: <TODO text>` or `// END SOLUTION` on a line of its own');
    } else if (!open) {
      out.push(text);
    }
  });
  if (open) {
    const { line } = open as { line: number };
    throw new MarkerError(file, line, 'BEGIN SOLUTION has no matching END SOLUTION');
  }
  let text = out.join(eol);
  if (regions.length > 0) text = ensureNotImplementedImport(text, eol);
  return { text, regions };
}

/** A TypeScript string literal: single quotes, or double quotes if that avoids escaping (as Prettier does). */
function quote(s: string): string {
  const escaped = s.replace(/\\/g, '\\\\');
  if (s.includes("'") && !s.includes('"')) return `"${escaped}"`;
  return `'${escaped.replace(/'/g, "\\'")}'`;
}

const TENSOR_IMPORT = /import\s*\{([^}]*)\}\s*from\s*'@dlkata\/tensor';/;

/** Adds `NotImplementedError` to the file's value import from `@dlkata/tensor` (or adds that import). */
function ensureNotImplementedImport(text: string, eol: string): string {
  const m = TENSOR_IMPORT.exec(text);
  if (m) {
    const body = m[1];
    const names = body
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (names.includes('NotImplementedError')) return text;
    // Insert in case-insensitive order among the value names (type-only names stay last).
    const key = (s: string): string => s.toLowerCase();
    let at = names.findIndex((n) => !n.startsWith('type ') && key(n) > key('NotImplementedError'));
    if (at < 0) {
      at = names.findIndex((n) => n.startsWith('type '));
      if (at < 0) at = names.length;
    }
    names.splice(at, 0, 'NotImplementedError');
    const multiline = body.includes('\n');
    const rebuilt = multiline
      ? `import {${eol}${names.map((n) => `  ${n},`).join(eol)}${eol}} from '@dlkata/tensor';`
      : `import { ${names.join(', ')} } from '@dlkata/tensor';`;
    return text.slice(0, m.index) + rebuilt + text.slice(m.index + m[0].length);
  }
  // No value import from @dlkata/tensor: add one after the last import statement.
  const importLine = `import { NotImplementedError } from '@dlkata/tensor';`;
  const lines = text.split(eol);
  let last = -1;
  for (let i = 0; i < lines.length; i++) {
    if (/^import\s/.test(lines[i])) {
      let j = i;
      while (j < lines.length && !/;\s*$/.test(lines[j])) j++;
      last = j;
      i = j;
    }
  }
  if (last >= 0) {
    lines.splice(last + 1, 0, importLine);
  } else {
    // After the leading module comment, if any.
    let at = 0;
    if (lines[0]?.startsWith('/**')) {
      while (at < lines.length && !lines[at].includes('*/')) at++;
      at++;
    }
    lines.splice(at, 0, importLine);
  }
  return lines.join(eol);
}

/** One generated file, keyed by its path relative to `exercises/` with `/` separators. */
export interface GeneratedFile {
  readonly content: string;
  /** Regions replaced in it (empty for copied files). */
  readonly regions: readonly Region[];
}

/** The exercise folders under a directory, sorted. */
export function exerciseDirs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => EXERCISE_DIR_PATTERN.test(d) && statSync(path.join(dir, d)).isDirectory())
    .sort();
}

/** Files under `dir` (relative, `/`-separated, sorted), skipping `node_modules` and dot-entries. */
export function listFiles(dir: string, prefix = ''): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = path.join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(full).isDirectory()) files.push(...listFiles(full, rel));
    else files.push(rel);
  }
  return files;
}

/**
 * The `package.json` of one exercise folder: its scripts run the root's student commands
 * through `scripts/run-root.mjs`, which keeps the folder the command was typed in, so that
 * `pnpm test` (and `test:watch`, `grade`, `hint`, `progress`, `play`) typed in
 * `exercises/05-residual` mean exercise 05. The folder is not a workspace package.
 */
export function exercisePackageJson(exercise: string): string {
  const run = (script: string): string => `node ../../scripts/run-root.mjs ${script}`;
  const pkg = {
    private: true,
    type: 'module',
    description: `Exercise ${exercise}: the commands below, typed in this folder, mean this exercise (see ../../README.md).`,
    scripts: Object.fromEntries(STUDENT_COMMANDS.map((c) => [c, run(c)])),
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** The root scripts a student types; each works from the root and from an exercise folder. */
export const STUDENT_COMMANDS = ['test', 'test:watch', 'grade', 'hint', 'progress', 'play'] as const;

/**
 * Computes every exercise file from `solutions/`: `.ts` files with their marked regions
 * replaced, all other files copied byte for byte.
 *
 * @returns a map from path relative to `exercises/` (e.g. `02-convolution/conv.ts`) to its content
 * @throws MarkerError for a malformed marker, or a marker in a file that is not `.ts`
 */
export function generateAll(solutionsDir = SOLUTIONS_DIR): Map<string, GeneratedFile> {
  const result = new Map<string, GeneratedFile>();
  for (const ex of exerciseDirs(solutionsDir)) {
    for (const rel of listFiles(path.join(solutionsDir, ex))) {
      const key = `${ex}/${rel}`;
      const shown = `solutions/${key}`;
      const source = readFileSync(path.join(solutionsDir, ex, rel), 'utf8');
      if (rel.endsWith('.ts')) {
        const readmePath = path.join(solutionsDir, ex, 'README.md');
        const readme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : '';
        const tests = listFiles(path.join(solutionsDir, ex))
          .filter((f) => f.endsWith('.test.ts'))
          .map((f) => readFileSync(path.join(solutionsDir, ex, f), 'utf8'))
          .join('\n');
        const { text, regions } = transformSource(source, shown, { exercise: ex, readme, tests });
        result.set(key, { content: text, regions });
      } else {
        const i = source.split(/\r?\n/).findIndex((l) => ANY_MARKER.test(l));
        if (i >= 0) throw new MarkerError(shown, i + 1, 'solution markers are only allowed in .ts files');
        result.set(key, { content: source, regions: [] });
      }
    }
    const pkg = `${ex}/package.json`;
    if (result.has(pkg)) throw new MarkerError(`solutions/${pkg}`, 1, 'an exercise package.json is generated; remove this file');
    result.set(pkg, { content: exercisePackageJson(ex), regions: [] });
  }
  return result;
}

/** The current exercise files on disk, as a map like {@link generateAll}'s. */
export function readExercises(exercisesDir = EXERCISES_DIR): Map<string, string> {
  const result = new Map<string, string>();
  for (const ex of exerciseDirs(exercisesDir)) {
    for (const rel of listFiles(path.join(exercisesDir, ex))) {
      result.set(`${ex}/${rel}`, readFileSync(path.join(exercisesDir, ex, rel), 'utf8'));
    }
  }
  return result;
}

/** How the exercises on disk differ from the generated ones. */
export interface ExerciseDiff {
  /** Generated but absent from `exercises/`. */
  readonly missing: string[];
  /** In `exercises/` but not generated (a stale file or folder). */
  readonly extra: string[];
  /** Present in both with different content: the path and the first differing line. */
  readonly changed: { path: string; line: number; expected: string; actual: string }[];
}

/** Compares generated files with the files on disk. */
export function diffExercises(generated: Map<string, GeneratedFile>, actual: Map<string, string>): ExerciseDiff {
  const missing: string[] = [];
  const extra: string[] = [];
  const changed: ExerciseDiff['changed'] = [];
  for (const [p, g] of generated) {
    const a = actual.get(p);
    if (a === undefined) {
      missing.push(p);
    } else if (a !== g.content) {
      const el = g.content.split('\n');
      const al = a.split('\n');
      let i = 0;
      while (i < el.length && i < al.length && el[i] === al[i]) i++;
      changed.push({ path: p, line: i + 1, expected: el[i] ?? '<end of file>', actual: al[i] ?? '<end of file>' });
    }
  }
  for (const p of actual.keys()) if (!generated.has(p)) extra.push(p);
  return { missing, extra, changed };
}

import { MANIFEST, readManifest, sha256 } from './lib-manifest.js';
export { MANIFEST, readManifest, sha256 };

/** The manifest text for a set of generated files. */
export function manifestText(generated: Map<string, GeneratedFile>): string {
  const files = Object.fromEntries([...generated.keys()].sort().map((p) => [p, sha256(generated.get(p)!.content)]));
  return `${JSON.stringify({ about: 'SHA-256 of each exercise file as pnpm exercises:generate last wrote it; a file that differs was edited and is never overwritten without --force.', files }, null, 2)}\n`;
}

/** What {@link writeExercises} would do. */
export interface WritePlan {
  /** New or changed generated files whose current copy is unedited (or absent). */
  readonly write: string[];
  /** Files no longer generated, unedited since generated: removed. */
  readonly remove: string[];
  /** Files that would be overwritten but were edited since generated (or were never generated). */
  readonly conflicts: string[];
  /** Files no longer generated (or never generated) that are left alone because they were edited or are unknown. */
  readonly kept: string[];
}

/** Compares generated files, the manifest and the files on disk (see the module comment). */
export function planWrite(generated: Map<string, GeneratedFile>, exercisesDir = EXERCISES_DIR): WritePlan {
  const actual = readExercises(exercisesDir);
  const manifest = readManifest(exercisesDir);
  const write: string[] = [];
  const remove: string[] = [];
  const conflicts: string[] = [];
  const kept: string[] = [];
  for (const [p, g] of generated) {
    const a = actual.get(p);
    if (a === g.content) continue;
    if (a === undefined || manifest[p] === sha256(a)) write.push(p);
    else conflicts.push(p);
  }
  for (const [p, a] of actual) {
    if (generated.has(p)) continue;
    if (manifest[p] === sha256(a)) remove.push(p);
    else kept.push(p);
  }
  return { write, remove, conflicts, kept };
}

/** `exercises:generate` would overwrite files that were edited since they were generated. */
export class EditedFilesError extends Error {
  constructor(readonly files: readonly string[]) {
    super(
      `${files.length} file(s) under exercises/ differ from what was last generated (someone's work, e.g. a student's answers):\n` +
        files.map((f) => `    exercises/${f}`).join('\n') +
        '\nNothing was written. To replace them anyway, run again with --force: each is first copied to exercises/.backup/<time>/.',
    );
    this.name = 'EditedFilesError';
  }
}

/**
 * Writes the generated files into `exercisesDir`, removes generated files that are no longer
 * generated (if unedited), and records the new hashes in the manifest. Leaves everything
 * outside the `NN-topic` folders alone (`package.json`, `tsconfig.json`, `node_modules`), and
 * every dot-file (a student's hint state).
 *
 * @param opts.force - overwrite edited files too, after copying each to `exercises/.backup/<time>/`
 * @returns the paths written, removed, backed up (with the backup folder) and kept
 * @throws EditedFilesError when files would be overwritten that were edited since generated, unless `force`
 */
export function writeExercises(
  generated: Map<string, GeneratedFile>,
  exercisesDir = EXERCISES_DIR,
  opts: { force?: boolean; now?: Date } = {},
): { written: string[]; removed: string[]; backedUp: string[]; backupDir: string | null; kept: string[] } {
  const plan = planWrite(generated, exercisesDir);
  if (plan.conflicts.length > 0 && !opts.force) throw new EditedFilesError(plan.conflicts);
  let backupDir: string | null = null;
  if (plan.conflicts.length > 0) {
    backupDir = path.join(exercisesDir, '.backup', (opts.now ?? new Date()).toISOString().replace(/[:.]/g, '-'));
    for (const p of plan.conflicts) {
      const to = path.join(backupDir, ...p.split('/'));
      mkdirSync(path.dirname(to), { recursive: true });
      copyFileSync(path.join(exercisesDir, ...p.split('/')), to);
    }
  }
  const written = [...plan.write, ...plan.conflicts].sort();
  for (const p of written) {
    const full = path.join(exercisesDir, ...p.split('/'));
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, generated.get(p)!.content);
  }
  for (const p of plan.remove) rmSync(path.join(exercisesDir, ...p.split('/')));
  // Drop folders left empty (a removed exercise, or a removed sub-folder).
  const exercises = new Set([...generated.keys()].map((p) => p.split('/')[0]));
  for (const ex of exerciseDirs(exercisesDir)) {
    if (!exercises.has(ex) && listFiles(path.join(exercisesDir, ex)).length === 0 && readdirSync(path.join(exercisesDir, ex)).length === 0) {
      rmSync(path.join(exercisesDir, ex), { recursive: true, force: true });
    }
  }
  writeFileSync(path.join(exercisesDir, MANIFEST), manifestText(generated));
  return { written, removed: plan.remove, backedUp: plan.conflicts, backupDir, kept: plan.kept };
}

/** `## Task N: ...` headings of a markdown file, in order. */
export function taskHeadings(markdown: string): string[] {
  return markdown
    .split(/\r?\n/)
    .filter((l) => /^## Task \d+:/.test(l))
    .map((l) => l.trim());
}

/**
 * Words and signs that make a TODO a recipe (how) rather than a statement of what to compute:
 * assignments and accumulation, arrows, loops, step sequences, index arithmetic such as
 * `i * stride + kh`. A TODO says what comes in and goes out (shapes), where the README explains
 * it and which helpers exist; the test command is added by the generator.
 */
const RECIPE: readonly [RegExp, string][] = [
  [/\+=|-=|\*=/, 'an accumulation (+=)'],
  [/=>|->/, 'an arrow (a pipeline of steps)'],
  [/\bloops?\b|\bfor each\b|\bfor t = |\bdown to\b/i, 'a loop'],
  [/\bthen\b|\bfirst,|\bfirst (\w+ )?(compute|make|find|get|build|call|pad|check|loop)\b|\bstep \d/i, 'a sequence of steps'],
  [/\b[a-z]\w* \* [a-z]\w* [+-] [a-z]\w*/, 'index arithmetic'],
  [/\b(const|let|return)\s+[\w{[]/, 'code'],
];

/** Problems of one TODO text (see {@link RECIPE}); `where` is `file:line`. */
export function lintTodo(where: string, todo: string): string[] {
  const problems: string[] = [];
  for (const [re, what] of RECIPE) {
    const m = re.exec(todo);
    if (m) problems.push(`${where}: the TODO spells out how (${what}: "${m[0]}"); say what to compute, with shapes, and where the README explains it`);
  }
  if (todo.length > 360) problems.push(`${where}: the TODO is ${todo.length} characters; keep it under 360 (the README has the details)`);
  return problems;
}

/** Code in an inline code span: a statement or an API call rather than math. */
const CODE_IN_SPAN = /;|\bconst |\blet |\breturn |=>|\+=|\bfor \(|\bnew [A-Z]|\.(map|push|data|get|set|offset)\b/;

/** The first piece of code in a hint: a fenced block, or an inline code span that holds code. */
function codeIn(level: string): string | undefined {
  if (/```|~~~/.test(level)) return '```';
  for (const m of level.matchAll(/`([^`]*)`/g)) if (CODE_IN_SPAN.test(m[1])) return m[0];
  return undefined;
}

/**
 * Problems of a HINTS.md: each task has at least three levels (a nudge, the idea, the key
 * equation), and no level but the last holds code.
 */
export function lintHints(file: string, text: string): string[] {
  const problems: string[] = [];
  for (const t of parseHintTasks(text)) {
    if (t.levels.length < 3) problems.push(`${file}, Task ${t.num}: ${t.levels.length} hint level(s); write at least three (a nudge, the idea, the key equation)`);
    t.levels.slice(0, -1).forEach((level, i) => {
      const code = codeIn(level);
      if (code) problems.push(`${file}, Task ${t.num}, hint ${i + 1}: code before the last level (${code.slice(0, 60)}); describe the idea, keep code (if any) for the last hint`);
    });
  }
  return problems;
}

/** The `## Task N:` sections of a HINTS.md and their top-level list items (the levels). */
function parseHintTasks(text: string): { num: number; levels: string[] }[] {
  const tasks: { num: number; levels: string[] }[] = [];
  let fence = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    const h = fence ? null : /^## Task (\d+):/.exec(line);
    if (h) {
      tasks.push({ num: Number(h[1]), levels: [] });
      continue;
    }
    const cur = tasks[tasks.length - 1];
    if (!cur) continue;
    if (!fence && /^(\d+[.)]|[-*+])\s+/.test(line)) cur.levels.push(line);
    else if (cur.levels.length > 0) cur.levels[cur.levels.length - 1] += `\n${line}`;
  }
  return tasks;
}

/**
 * Structural checks of the solutions that the generator itself does not need: each exercise
 * has a README.md with numbered tasks, a HINTS.md whose task headings are the README's (with
 * levels that teach: {@link lintHints}), at least one test file and at least one marked
 * region, whose TODO says what, not how ({@link lintTodo}).
 *
 * @returns one message per problem (empty if none)
 */
export function lintExercises(generated: Map<string, GeneratedFile>): string[] {
  const problems: string[] = [];
  const byExercise = new Map<string, string[]>();
  for (const p of generated.keys()) {
    const ex = p.split('/')[0];
    byExercise.set(ex, [...(byExercise.get(ex) ?? []), p]);
  }
  for (const [ex, files] of byExercise) {
    const readme = generated.get(`${ex}/README.md`)?.content;
    const hints = generated.get(`${ex}/HINTS.md`)?.content;
    if (readme === undefined) problems.push(`solutions/${ex}: no README.md`);
    if (hints === undefined) problems.push(`solutions/${ex}: no HINTS.md`);
    if (readme !== undefined && hints !== undefined) {
      const tasks = taskHeadings(readme);
      if (tasks.length === 0) problems.push(`solutions/${ex}/README.md: no "## Task 1: ..." headings`);
      const hinted = taskHeadings(hints);
      const differ = tasks.length !== hinted.length || tasks.some((t, i) => t !== hinted[i]);
      if (differ) {
        problems.push(`solutions/${ex}/HINTS.md: task headings must be the README's:\n    README: ${tasks.join(' | ')}\n    HINTS:  ${hinted.join(' | ')}`);
      }
    }
    if (hints !== undefined) problems.push(...lintHints(`solutions/${ex}/HINTS.md`, hints));
    for (const f of files) for (const r of generated.get(f)?.regions ?? []) problems.push(...lintTodo(`solutions/${f}:${r.begin}`, r.todo));
    if (!files.some((f) => f.endsWith('.test.ts'))) problems.push(`solutions/${ex}: no *.test.ts file`);
    if (!files.some((f) => (generated.get(f)?.regions.length ?? 0) > 0)) problems.push(`solutions/${ex}: no BEGIN SOLUTION region`);
    for (const f of files) {
      if (f.endsWith('.test.ts') && (generated.get(f)?.regions.length ?? 0) > 0) {
        problems.push(`solutions/${f}: tests must not contain BEGIN SOLUTION regions`);
      }
    }
  }
  return problems;
}

/** What {@link seeAlso} reads: the exercise's id, README and visible tests' source. */
export interface SeeAlsoContext {
  readonly exercise: string;
  readonly readme: string;
  /** The exercise's test files, concatenated ('' if none). */
  readonly tests?: string;
}

/**
 * Where a stub's TODO sends the student: the README task that names the function, the same
 * section of the exercise's guide in the docs site, and the command that runs the visible
 * tests of that function (when a `describe`/`test` title names it).
 */
function seeAlso(todo: string, ctx?: SeeAlsoContext): string {
  if (!ctx) return '';
  const fn = /^([A-Za-z_$][\w$]*)\s*[:(]/.exec(todo)?.[1];
  const tested = fn !== undefined && new RegExp(`\\b(describe|test|it)\\b[\\w.]*\\(\\s*['"\`][^'"\`\\n]*\\b${fn}\\b`).test(ctx.tests ?? '');
  const check = tested ? `; tests: pnpm test ${ctx.exercise.slice(0, 2)} -t ${fn}` : '';
  const task = fn ? ctx.readme.split(/\r?\n(?=## )/).find((sec) => /^## Task \d+:/.test(sec) && new RegExp(`\\b${fn}\\b`).test(sec)) : undefined;
  if (!task) return ` (see exercises/${ctx.exercise}/README.md${check})`;
  const title = task.split(/\r?\n/)[0].replace(/^##\s+/, '').trim();
  return ` (read: exercises/${ctx.exercise}/README.md, "${title}"; guide: docs/site/documents/${ctx.exercise}.html#${headingAnchor(title)}${check})`;
}
