// One name for an exercise, everywhere: what `pnpm test`, `pnpm test:watch`, `pnpm grade`,
// `pnpm hint` and `pnpm play` accept for "exercise 05", and what "here" means when a command
// is typed inside an exercise folder.
//
// Accepted, for exercises/05-residual:
//   05   5   05-residual   residual   Residual   exercises/05-residual   exercises/05-residual/
//   exercises/05-residual/residual.ts (any file in it)   residual.ts (a file name found in one exercise)
// A path is relative to the folder the command was typed in (pnpm runs scripts from the
// package's folder and passes that folder as INIT_CWD).
//
// Plain JavaScript (no build step, no TypeScript loader) so that `node scripts/test.mjs`
// starts fast; the types are in exercise-names.d.mts.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { distance } from 'fastest-levenshtein';

/** Repository root (the folder above scripts/). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** An exercise folder name: two digits, a dash, a topic (`05-residual`). */
export const EXERCISE_ID = /^(\d\d)-([a-z0-9-]+)$/;

/** The exercise folders under `dir` (default `exercises/` of the repository), sorted. */
export function exerciseIds(dir = path.join(ROOT, 'exercises')) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && EXERCISE_ID.test(d.name))
    .map((d) => d.name)
    .sort();
}

/**
 * The exercise folder that contains `absPath` (the folder itself or anything below it), if
 * `absPath` lies inside a `NN-topic` folder directly under `exercisesDir`.
 */
export function exerciseContaining(absPath, exercisesDir = path.join(ROOT, 'exercises')) {
  const rel = path.relative(exercisesDir, absPath);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const first = rel.split(path.sep)[0];
  return EXERCISE_ID.test(first) && existsSync(path.join(exercisesDir, first)) ? first : undefined;
}

/** The exercise the user stands in (INIT_CWD, else the process's folder), if any. */
export function exerciseHere(exercisesDir = path.join(ROOT, 'exercises'), cwd = userCwd()) {
  return exerciseContaining(path.resolve(cwd), exercisesDir);
}

/** Where the user typed the command: pnpm's INIT_CWD, else the process's folder. */
export function userCwd() {
  return process.env.INIT_CWD ?? process.cwd();
}

/**
 * Up to `n` exercise ids closest to `name` (Levenshtein distance to the id, to its topic and to
 * its number), best first. Used for "did you mean" lists.
 */
export function closestExercises(name, ids, n = 3) {
  const q = name.toLowerCase().replace(/[\\/]+$/, '');
  const scored = ids.map((id) => {
    const topic = id.slice(3);
    const d = Math.min(distance(q, id), distance(q, topic), distance(q, id.slice(0, 2)) + 1, topic.includes(q) && q.length >= 3 ? 0 : Infinity);
    return { id, d };
  });
  scored.sort((a, b) => a.d - b.d || a.id.localeCompare(b.id));
  const cutoff = Math.max(2, Math.ceil(q.length / 2));
  const close = scored.filter((s) => s.d <= cutoff).slice(0, n);
  return close.map((s) => s.id);
}

/**
 * Resolves what a user typed to an exercise.
 *
 * @param {string} arg - a number, id, topic, path or file name (see the module comment)
 * @param {{ exercisesDir?: string, cwd?: string }} [opts]
 * @returns `{ id, dir, file? }` (`file`: the absolute path when `arg` named a file inside the
 *   exercise), or `{ error }` with a message that lists the closest exercises and all of them
 */
export function resolveExercise(arg, opts = {}) {
  const exercisesDir = opts.exercisesDir ?? path.join(ROOT, 'exercises');
  const cwd = opts.cwd ?? userCwd();
  const ids = exerciseIds(exercisesDir);
  const found = (id, file) => ({ id, dir: path.join(exercisesDir, id), ...(file ? { file } : {}) });

  // 1. A path that exists, relative to where the command was typed.
  const abs = path.resolve(cwd, arg);
  if (existsSync(abs)) {
    const id = exerciseContaining(abs, exercisesDir);
    if (id) return found(id, statSync(abs).isFile() ? abs : undefined);
  }
  // 2. A name.
  const name = arg.replace(/[\\/]+$/, '');
  const base = path.basename(name).toLowerCase();
  const byNumber = /^\d{1,2}$/.test(base) ? ids.filter((id) => Number(id.slice(0, 2)) === Number(base)) : [];
  const exact = ids.filter((id) => id === base || id.slice(3) === base);
  if (exact.length === 1) return found(exact[0]);
  if (byNumber.length === 1) return found(byNumber[0]);
  // `exercises/05-residual/residual.ts` typed from elsewhere, or just `residual.ts`.
  const parent = path.basename(path.dirname(name)).toLowerCase();
  if (ids.includes(parent) && existsSync(path.join(exercisesDir, parent, path.basename(name)))) {
    return found(parent, path.join(exercisesDir, parent, path.basename(name)));
  }
  if (/\.[a-z]+$/.test(base)) {
    const holders = ids.filter((id) => existsSync(path.join(exercisesDir, id, path.basename(name))));
    if (holders.length === 1) return found(holders[0], path.join(exercisesDir, holders[0], path.basename(name)));
  }
  const partial = base.length >= 3 ? ids.filter((id) => id.slice(3).includes(base)) : [];
  if (partial.length === 1) return found(partial[0]);

  const list = ids.length > 0 ? ids.join(', ') : '(none: no NN-topic folders in exercises/)';
  if (partial.length > 1) return { error: `"${arg}" matches several exercises: ${partial.join(', ')}. Type its number, e.g. ${partial[0].slice(0, 2)}.` };
  const near = closestExercises(base, ids);
  return {
    error: `No exercise "${arg}".${near.length > 0 ? ` Did you mean ${near.join(' or ')}?` : ''}\nExercises: ${list}`,
  };
}

/**
 * A case-insensitive version of a test-name pattern for vitest's `-t` (a JavaScript regular
 * expression without flags): each letter outside a character class and not escaped becomes
 * `[xX]`. `forward dx` matches `Forward dX`.
 */
export function caseInsensitivePattern(pattern) {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      out += c + (pattern[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else if (c.toLowerCase() !== c.toUpperCase()) {
      out += `[${c.toLowerCase()}${c.toUpperCase()}]`;
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * What `pnpm grade` grades for what the user typed: an exercise name or a file inside an
 * exercise becomes that exercise's folder; no argument inside an exercise folder means that
 * exercise; any other existing path (a submission, a class folder, `exercises`, `solutions`,
 * an archive) is kept as typed.
 *
 * @param {string | undefined} arg
 * @param {string} [cwd] - where the command was typed (default INIT_CWD)
 * @returns `{ target }` (a path relative to `cwd`) or `{ error }`
 */
export function gradeTarget(arg, cwd = userCwd()) {
  const exercisesDir = path.join(ROOT, 'exercises');
  const shown = (dir) => path.relative(cwd, dir).split(path.sep).join('/') || '.';
  if (arg === undefined || arg === '') {
    const here = exerciseHere(exercisesDir, cwd);
    if (here) return { target: shown(path.join(exercisesDir, here)) };
    return { error: `name what to grade: an exercise (05, residual, exercises/05-residual), exercises, or a submission folder` };
  }
  const abs = path.resolve(cwd, arg);
  if (existsSync(abs)) {
    const id = exerciseContaining(abs, exercisesDir);
    return { target: id && statSync(abs).isFile() ? shown(path.join(exercisesDir, id)) : arg };
  }
  const r = resolveExercise(arg, { exercisesDir, cwd });
  if (!('error' in r)) return { target: shown(r.dir) };
  // A path that does not exist (it has a separator): the grader's own "no such folder" says it best.
  return /[\\/]/.test(arg) ? { target: arg } : { error: r.error };
}
