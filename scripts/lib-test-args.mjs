// Shared by scripts/test.mjs and scripts/test-watch.mjs: turns what the user typed into
// vitest's arguments.
//
// - Exercise names in every form exercise-names.mjs accepts (`05`, `residual`,
//   `exercises/05-residual`, the file being edited) become that exercise's folder (a test
//   file stays a test file); other existing paths are made relative to the repository root.
// - No name, typed inside an exercise folder: that exercise.
// - `-t <pattern>` / `--testNamePattern <pattern>` match test names case-insensitively.
// - Other flags pass through to vitest.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { caseInsensitivePattern, exerciseHere, resolveExercise, ROOT, userCwd } from './exercise-names.mjs';

/** vitest flags that take a value (the next argument is never a path). */
const VALUE_FLAGS = new Set([
  '-t',
  '--testNamePattern',
  '--reporter',
  '--outputFile',
  '--project',
  '-c',
  '--config',
  '-r',
  '--root',
  '--dir',
  '--shard',
  '--seed',
  '--retry',
  '--bail',
  '--maxWorkers',
  '--minWorkers',
  '--testTimeout',
  '--hookTimeout',
  '--pool',
  '--environment',
  '--mode',
  '--exclude',
  '--project',
]);
const PATTERN_FLAGS = new Set(['-t', '--testNamePattern']);

const rel = (abs) => path.relative(ROOT, abs).split(path.sep).join('/') || '.';

/**
 * @param {string[]} args - the arguments after the script name
 * @returns `{ targets, flags, student }`: `targets` relative to the root (empty: none given and
 *   not inside an exercise), `flags` for vitest, `student` when every target lies in
 *   exercises/ or solutions/ (the student's fast configuration applies); or `{ error }`
 */
export function vitestArgs(args) {
  const cwd = userCwd();
  const targets = [];
  const flags = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') continue;
    if (a.startsWith('-')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(0, eq) : a;
      if (PATTERN_FLAGS.has(name)) {
        const value = eq > 0 ? a.slice(eq + 1) : args[++i];
        if (value === undefined) return { error: `${name} needs a pattern, e.g. ${name} forward` };
        flags.push(name, caseInsensitivePattern(value));
      } else if (VALUE_FLAGS.has(name) && eq < 0) {
        flags.push(a);
        if (args[i + 1] !== undefined) flags.push(args[++i]);
      } else {
        flags.push(a);
      }
      continue;
    }
    const r = resolveExercise(a, { cwd });
    const abs = path.resolve(cwd, a);
    if (!('error' in r) && !(existsSync(abs) && r.file !== abs && rel(abs) !== `exercises/${r.id}`)) {
      // An exercise: its folder, or the test file named.
      targets.push(r.file && /\.test\.ts$/.test(r.file) ? rel(r.file) : `exercises/${r.id}`);
    } else if (existsSync(abs)) {
      targets.push(rel(abs)); // another path, e.g. solutions/05-residual or packages/tensor
    } else {
      return { error: r.error };
    }
  }
  if (targets.length === 0) {
    const here = exerciseHere(path.join(ROOT, 'exercises'), cwd);
    if (here) targets.push(`exercises/${here}`);
  }
  const student = targets.length > 0 && targets.every((t) => /^(exercises|solutions)(\/|$)/.test(t));
  return { targets, flags, student };
}

/** The vitest configuration for a student run (see vitest.student.config.ts). */
export const STUDENT_CONFIG = path.join(ROOT, 'scripts', 'vitest.student.config.ts');
