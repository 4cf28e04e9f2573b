/**
 * Finds what to grade under a path: one exercise folder, one submission (a folder laid out
 * like `exercises/`), or a folder of submissions.
 *
 * @module
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** An exercise folder name: two digits, a dash, a topic (`02-convolution`). */
export const EXERCISE_DIR = /^\d\d-[A-Za-z0-9._-]+$/;

/** A usage problem (bad path, nothing to grade): the CLI prints it and exits with code 2. */
export class UsageError extends Error {
  /** @param message - what is wrong and what was expected */
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A submission found on disk. */
export interface FoundSubmission {
  /** Folder name, e.g. `"exercises"` or a student's id. */
  readonly name: string;
  /** Absolute path of the submission folder. */
  readonly dir: string;
  /** Exercise folders in it, sorted by name, with absolute paths. */
  readonly exercises: readonly { readonly id: string; readonly dir: string }[];
}

function subdirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && d.name !== 'node_modules')
    .map((d) => d.name)
    .sort();
}

function hasExerciseDirs(dir: string): boolean {
  try {
    return readdirSync(dir, { withFileTypes: true }).some((d) => d.isDirectory() && EXERCISE_DIR.test(d.name));
  } catch {
    return false;
  }
}

/**
 * The folder of a submission that holds its exercise folders: the folder itself, or the
 * shallowest subfolder (up to 3 levels, first by name) that does, as when a student zips
 * `exercises/` or a folder named after themselves.
 *
 * @returns the folder, or null if there is none
 */
export function submissionRoot(dir: string, depth = 3): string | null {
  let level = [dir];
  for (let d = 0; d <= depth && level.length > 0; d++) {
    for (const p of level) if (hasExerciseDirs(p)) return p;
    level = level.flatMap((p) => {
      try {
        return readdirSync(p, { withFileTypes: true })
          .filter((x) => x.isDirectory() && !x.name.startsWith('.') && x.name !== 'node_modules' && x.name !== '__MACOSX')
          .map((x) => x.name)
          .sort()
          .map((n) => path.join(p, n));
      } catch {
        return [];
      }
    });
  }
  return null;
}

function exerciseDirs(dir: string): { id: string; dir: string }[] {
  return subdirsOf(dir)
    .filter((n) => EXERCISE_DIR.test(n))
    .map((id) => ({ id, dir: path.join(dir, id) }));
}

/** Archive names a class folder may hold as submissions. */
const ARCHIVE_NAME = /\.(zip|tar|tgz|tar\.gz)$/i;

/**
 * Whether `folder` is one submission itself (it holds exercise folders, and none of its
 * subfolders does), rather than a class of submissions. The one rule every mode uses: plain
 * `pnpm grade <folder>`, `--out` and the class listing agree on it.
 */
export function isOneSubmission(folder: string): boolean {
  return hasExerciseDirs(folder) && !subdirsOf(folder).some((d) => hasExerciseDirs(path.join(folder, d)));
}

/**
 * Whether `folder` is a class: not one submission ({@link isOneSubmission}), and some entry of
 * it is a submission: a subfolder with exercise folders at most three levels down
 * (`bob/exercises/05-residual`, `01-alice/05-residual`), an archive, or a symbolic link (listed,
 * to be reported). A folder that is neither is one submission without exercise folders.
 */
export function isClassFolder(folder: string): boolean {
  if (isOneSubmission(folder)) return false;
  let names: import('node:fs').Dirent[];
  try {
    names = readdirSync(folder, { withFileTypes: true });
  } catch {
    return false;
  }
  return names.some(
    (d) =>
      !d.name.startsWith('.') &&
      d.name !== 'node_modules' &&
      d.name !== '__MACOSX' &&
      (d.isSymbolicLink() || (d.isFile() && ARCHIVE_NAME.test(d.name)) || (d.isDirectory() && submissionRoot(path.join(folder, d.name)) !== null)),
  );
}

function subdirsOf(dir: string): string[] {
  try {
    return subdirs(dir);
  } catch {
    return [];
  }
}

/**
 * Finds the submissions under `target`:
 *
 * 1. `target` is an exercise folder (`.../02-convolution`, holding no exercise folders itself):
 *    one submission (named after the parent folder) with that exercise;
 * 2. `target` is one submission ({@link isOneSubmission}): all its exercise folders;
 * 3. `target` is a class ({@link isClassFolder}): one submission per subfolder, its exercise
 *    folders found where {@link submissionRoot} finds them, those without exercise folders
 *    included (they score 0, they are not dropped); archives and links are listed by
 *    `listClass` (class.ts), which grading a class uses;
 * 4. otherwise `target` is one submission without exercise folders (it scores 0).
 *
 * @param target - absolute path
 * @throws UsageError if `target` does not exist or is not a folder
 */
export function discover(target: string): FoundSubmission[] {
  let st;
  try {
    st = statSync(target);
  } catch {
    throw new UsageError(`no such folder: ${target}`);
  }
  if (!st.isDirectory()) throw new UsageError(`not a folder: ${target} (give an exercise folder, exercises/, or a submission folder)`);
  const base = path.basename(target);
  if (EXERCISE_DIR.test(base) && !hasExerciseDirs(target)) {
    const parent = path.dirname(target);
    return [{ name: path.basename(parent), dir: parent, exercises: [{ id: base, dir: target }] }];
  }
  if (isOneSubmission(target)) return [{ name: base, dir: target, exercises: exerciseDirs(target) }];
  if (isClassFolder(target)) {
    return subdirsOf(target).map((name) => {
      const dir = path.join(target, name);
      const root = submissionRoot(dir) ?? dir;
      return { name, dir: root, exercises: exerciseDirs(root) };
    });
  }
  return [{ name: base, dir: target, exercises: [] }];
}
