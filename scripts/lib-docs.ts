/**
 * Shared code of the student-facing scripts (`pnpm hint`, `pnpm progress`) and the docs
 * build (`scripts/docs-guides.ts`): finding the exercises and reading their README and
 * HINTS.
 *
 * Exercises are found on disk, never listed by hand: every folder `exercises/NN-topic`
 * (two digits, a dash, a topic) is one, so a new exercise shows up in the guides, in
 * `pnpm hint` and in `pnpm progress` as soon as it is generated.
 *
 * ## HINTS.md
 *
 * ```md
 * # Hints for exercise 02
 *
 * Read one hint at a time; each one is more concrete than the one before.
 *
 * ## Task 1: convOutputSize
 *
 * 1. First hint (a list item; continuation lines are indented).
 * 2. Second, more concrete hint.
 * ```
 *
 * A task's *levels* are the items under its heading, in order: each top-level list item
 * (`1.`, `-`, `*`) is one level, and so is each plain paragraph between them. Fenced code
 * stays with the item it belongs to.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The student exercises (generated from `solutions/`). */
export const EXERCISES_DIR = path.join(ROOT, 'exercises');

/** An exercise folder name: two digits, a dash, a topic (`02-convolution`). */
export const EXERCISE_NAME = /^(\d\d)-([a-z0-9-]+)$/;

/** One task of HINTS.md: its number, its title and its hints from vague to concrete. */
export interface HintTask {
  /** 1-based task number from the heading `## Task N: ...`. */
  readonly num: number;
  /** The heading after `Task N:`, e.g. `convOutputSize`. */
  readonly title: string;
  /** The hints, one markdown snippet per level, list markers removed. */
  readonly levels: readonly string[];
}

/** A parsed HINTS.md. */
export interface Hints {
  /** The text between the `#` title and the first task. */
  readonly intro: string;
  readonly tasks: readonly HintTask[];
}

/** One exercise folder and what it says about itself. */
export interface Exercise {
  /** Folder name, e.g. `02-convolution`. */
  readonly id: string;
  /** The two digits, e.g. `02`. */
  readonly num: string;
  /** The README's `#` heading without `Exercise NN:`, e.g. `Convolution`; else the topic. */
  readonly title: string;
  /** Absolute path of the folder. */
  readonly dir: string;
  /** README.md text ('' if missing). */
  readonly readme: string;
  /** HINTS.md text ('' if missing). */
  readonly hintsText: string;
}

function read(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').replace(/\r\n/g, '\n') : '';
}

/** Every exercise under `dir` (default `exercises/`), in number order. */
export function listExercises(dir = EXERCISES_DIR): Exercise[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && EXERCISE_NAME.test(d.name))
    .map((d) => d.name)
    .sort()
    .map((id) => {
      const exDir = path.join(dir, id);
      const readme = read(path.join(exDir, 'README.md'));
      const heading = /^#\s+(.+)$/m.exec(readme)?.[1].trim();
      const title = heading?.replace(/^Exercise\s+\d+\s*[:.-]\s*/i, '') ?? id.slice(3).replace(/-/g, ' ');
      return { id, num: id.slice(0, 2), title, dir: exDir, readme, hintsText: read(path.join(exDir, 'HINTS.md')) };
    });
}

/**
 * Finds an exercise from what a student types: `05`, `5`, `05-residual`, `residual`, or a
 * path such as `exercises/05-residual`.
 *
 * @returns the exercise, or a message that lists the exercises there are
 */
export function findExercise(arg: string, all: readonly Exercise[] = listExercises()): Exercise | string {
  const base = path.basename(arg.replace(/[\\/]+$/, ''));
  const hit =
    all.find((e) => e.id === base) ??
    (/^\d{1,2}$/.test(base) ? all.find((e) => Number(e.num) === Number(base)) : undefined) ??
    all.find((e) => e.id.slice(3) === base) ??
    all.find((e) => e.id.includes(base.toLowerCase()));
  if (hit) return hit;
  return `No exercise "${arg}". Exercises: ${all.map((e) => e.id).join(', ') || '(none found in exercises/)'}`;
}

const ITEM = /^(\d+[.)]|[-*+])\s+/;
const FENCE = /^\s*(```|~~~)/;

/** Splits one task's body into levels (see the module comment). */
export function splitLevels(body: string): string[] {
  const levels: string[][] = [];
  let current: string[] | null = null;
  let inFence = false;
  let blank = false;
  for (const line of body.split('\n')) {
    if (inFence) {
      current?.push(line);
      if (FENCE.test(line)) inFence = false;
      continue;
    }
    if (line.trim() === '') {
      blank = true;
      current?.push('');
      continue;
    }
    const item = ITEM.exec(line);
    const startsParagraph = blank && !/^\s/.test(line);
    if (item || startsParagraph || current === null) {
      current = [item ? line.slice(item[0].length) : line];
      levels.push(current);
    } else {
      current.push(line);
    }
    blank = false;
    if (FENCE.test(line)) inFence = true;
  }
  return levels.map((l) => dedent(l.join('\n').trim())).filter((s) => s !== '');
}

/** Removes the common indentation of continuation lines (the first line has none). */
function dedent(text: string): string {
  const lines = text.split('\n');
  const rest = lines.slice(1).filter((l) => l.trim() !== '');
  const indent = Math.min(...rest.map((l) => /^\s*/.exec(l)![0].length));
  if (!Number.isFinite(indent) || indent === 0) return text;
  return [lines[0], ...lines.slice(1).map((l) => l.slice(Math.min(indent, /^\s*/.exec(l)![0].length)))].join('\n');
}

/** Parses HINTS.md: the intro and one {@link HintTask} per `## Task N: title` heading. */
export function parseHints(text: string): Hints {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const intro: string[] = [];
  const tasks: { num: number; title: string; body: string[] }[] = [];
  let inFence = false;
  for (const line of lines) {
    if (FENCE.test(line)) inFence = !inFence;
    const h = inFence ? null : /^##\s+Task\s+(\d+)\s*[:.-]?\s*(.*)$/i.exec(line);
    if (h) {
      tasks.push({ num: Number(h[1]), title: h[2].trim(), body: [] });
    } else if (!inFence && /^#\s/.test(line)) {
      continue;
    } else if (tasks.length > 0) {
      tasks[tasks.length - 1].body.push(line);
    } else {
      intro.push(line);
    }
  }
  return {
    intro: intro.join('\n').trim(),
    tasks: tasks.map((t) => ({ num: t.num, title: t.title, levels: splitLevels(t.body.join('\n')) })),
  };
}

/** The `## Task N: title` headings of a README, in order. */
export function readmeTasks(readme: string): { num: number; title: string }[] {
  return [...readme.matchAll(/^##\s+Task\s+(\d+)\s*[:.-]?\s*(.*)$/gim)].map((m) => ({ num: Number(m[1]), title: m[2].trim() }));
}

/**
 * The anchor typedoc 0.28 gives the first markdown heading with this text in a page (its
 * `Slugger`: punctuation removed, each white-space character becomes `-`, the first run of
 * dashes is merged, lower case). Code spans count by their text.
 */
export function headingAnchor(heading: string): string {
  const text = heading.replace(/`([^`]*)`/g, '$1').replace(/[*_]{1,2}([^*_]+)[*_]{1,2}/g, '$1');
  const slug = text
    .trim()
    .replace(/[\u2000-\u206F\u2E00-\u2E7F\\'!"#$%&()*+,./:;<=>?@[\]^`{|}~]/g, '')
    .replace(/\s/g, '-')
    .replace(/--+/, '-');
  return (slug || '_').toLocaleLowerCase();
}

/** pnpm's own commands that may appear in the docs besides the project's scripts. */
export const PNPM_BUILTINS = new Set(['install', 'i', 'add', 'remove', 'exec', 'dlx', 'run', 'update', 'why', 'list', 'store', 'approve-builds', 'docs']);

/**
 * The `pnpm <command>` invocations in markdown (in code spans and fenced blocks) that name
 * neither a script of `scripts` nor one of pnpm's own commands; `pnpm run X` is checked
 * for X. `pnpm docs` counts as unknown: it is pnpm's built-in that opens a home page, so the
 * docs must say `pnpm run docs`, except on a line that warns about exactly that (a line that
 * says "built-in" is not checked).
 *
 * @returns one `"pnpm X"` string per unknown command, in order of appearance, without repeats
 */
export function unknownPnpmCommands(markdown: string, scripts: ReadonlySet<string>): string[] {
  const code: string[] = [];
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) code.push(line.replace(/#.*$/, ''));
    else if (!/built-in/i.test(line)) for (const m of line.matchAll(/`([^`]+)`/g)) code.push(m[1]);
  }
  const bad: string[] = [];
  for (const c of code) {
    for (const m of c.matchAll(/(?:^|[\s;&|(])pnpm\s+(?:-[^\s]+\s+)*(run\s+)?([a-z][\w:.-]*)/g)) {
      const [, run, name] = m;
      const ok = run ? scripts.has(name) : scripts.has(name) || (PNPM_BUILTINS.has(name) && name !== 'docs');
      const cmd = `pnpm ${run ? 'run ' : ''}${name}`;
      if (!ok && !bad.includes(cmd)) bad.push(cmd);
    }
  }
  return bad;
}
