/**
 * The mutant catalogue: every `mutants/NN-topic.ts` file exporting `mutants`, found by listing
 * the folder (so adding an exercise's mutants needs no registration), and the checks that keep
 * the catalogue in step with the solutions and the suites.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Suite } from '../suites/types.js';
import { applyMutant, MutantError, type Mutant } from './types.js';

/** The folder of the catalogue's files. */
export const MUTANTS_DIR = fileURLToPath(new URL('./mutants/', import.meta.url));

/**
 * Loads every mutant of the catalogue, in file (exercise) order.
 *
 * @param dir - the folder to read (default {@link MUTANTS_DIR})
 * @throws Error if a file exports no `mutants` array
 */
export async function loadMutants(dir: string = MUTANTS_DIR): Promise<Mutant[]> {
  const files = readdirSync(dir)
    .filter((f) => /^\d\d-[\w.-]+\.ts$/.test(f) && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .sort();
  const all: Mutant[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as { mutants?: unknown };
    if (!Array.isArray(mod.mutants)) throw new Error(`${path.join(dir, f)} must export \`mutants\`, an array of Mutant`);
    all.push(...(mod.mutants as Mutant[]));
  }
  return all;
}

/**
 * What is wrong with the catalogue: mutants of exercises without a suite, tests that do not
 * exist, duplicate ids, solution files that are missing, `find` texts that do not occur exactly
 * once. Mutants of exercises without a solution folder are skipped (not yet written).
 *
 * @param solutions - the solutions folder (`solutions/`)
 * @returns one line per problem; empty when the catalogue is sound
 */
export function catalogueProblems(mutants: readonly Mutant[], suites: readonly Suite[], solutions: string): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const m of mutants) {
    const key = `${m.exercise}/${m.id}`;
    if (seen.has(key)) problems.push(`${key}: duplicate id`);
    seen.add(key);
    const suite = suites.find((s) => s.id === m.exercise);
    if (!suite) {
      problems.push(`${key}: the grader has no suite for ${m.exercise}`);
      continue;
    }
    if (m.expectFailIn.length === 0) problems.push(`${key}: expectFailIn is empty (a mutant must cost points somewhere)`);
    for (const t of m.expectFailIn) if (!suite.tests.some((x) => x.id === t)) problems.push(`${key}: expectFailIn names ${t}, which ${m.exercise} has not (it has ${suite.tests.map((x) => x.id).join(', ')})`);
    for (const t of Object.keys(m.expectFeedback ?? {})) if (!m.expectFailIn.includes(t)) problems.push(`${key}: expectFeedback names ${t}, which is not in expectFailIn`);
    if (!existsSync(path.join(solutions, m.exercise))) continue;
    const file = path.join(solutions, m.exercise, m.file);
    if (!existsSync(file)) {
      problems.push(`${key}: ${m.exercise}/${m.file} does not exist in the solutions`);
      continue;
    }
    try {
      applyMutant(readFileSync(file, 'utf8'), m);
    } catch (e) {
      if (e instanceof MutantError) problems.push(e.message);
      else throw e;
    }
  }
  return problems;
}
