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
  return subdirs(dir)
    .filter((n) => EXERCISE_DIR.test(n))
    .map((id) => ({ id, dir: path.join(dir, id) }));
}

/**
 * Finds the submissions under `target`:
 *
 * 1. `target` is an exercise folder (`.../02-convolution`): one submission (named after the
 *    parent folder) with that exercise;
 * 2. `target` has exercise folders: one submission with all of them;
 * 3. `target`'s subfolders have exercise folders: a class, one submission per subfolder, those
 *    without exercise folders included (they score 0, they are not dropped);
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
  if (EXERCISE_DIR.test(base)) {
    const parent = path.dirname(target);
    return [{ name: path.basename(parent), dir: parent, exercises: [{ id: base, dir: target }] }];
  }
  const own = exerciseDirs(target);
  if (own.length > 0) return [{ name: base, dir: target, exercises: own }];
  const subs = subdirs(target).map((name) => ({ name, dir: path.join(target, name), exercises: exerciseDirs(path.join(target, name)) }));
  if (subs.some((s) => s.exercises.length > 0)) return subs;
  return [{ name: base, dir: target, exercises: [] }];
}
