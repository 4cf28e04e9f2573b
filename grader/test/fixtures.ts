/**
 * Test fixtures: submissions built from the real `solutions/` with one string patch each, so
 * they stay in sync with the solutions. A patch whose `find` text no longer occurs exactly
 * once fails loudly: update the patch when the solution changes.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The fixed seed of the grader's own tests. */
export const SEED = 20240611;

/** One textual change to a solution file. */
export interface Patch {
  /** Path inside the submission, e.g. `"02-convolution/conv.ts"`. */
  readonly file: string;
  /** Text that must occur exactly once in the solution. */
  readonly find: string;
  /** What replaces it. */
  readonly replace: string;
}

let root: string | undefined;

/** A temporary folder for all fixtures of a test file; remove it with {@link cleanFixtures}. */
export function fixtureRoot(): string {
  root ??= mkdtempSync(path.join(tmpdir(), 'dlkata-grader-test-'));
  return root;
}

/** Removes every fixture made by this test file. */
export function cleanFixtures(): void {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
}

/**
 * Copies `solutions/NN-topic` folders (without their `*.test.ts` files) into a fresh
 * submission folder and applies the patches.
 *
 * @param name - the submission's folder name
 * @param patches - the bug(s) to plant
 * @param exercises - which exercise folders to copy (default: all of solutions/)
 * @returns the submission's absolute path
 */
export function makeSubmission(name: string, patches: readonly Patch[] = [], exercises?: readonly string[]): string {
  const dir = path.join(fixtureRoot(), name);
  const src = path.join(REPO, 'solutions');
  const wanted = exercises ?? readdirSync(src).filter((d) => /^\d\d-/.test(d));
  for (const ex of wanted) {
    cpSync(path.join(src, ex), path.join(dir, ex), {
      recursive: true,
      filter: (f) => !f.endsWith('.test.ts') && !f.includes('node_modules'),
    });
  }
  for (const p of patches) {
    const file = path.join(dir, p.file);
    const text = readFileSync(file, 'utf8');
    const count = text.split(p.find).length - 1;
    if (count !== 1) {
      throw new Error(`fixture ${name}: expected the patch text to occur once in solutions/${p.file}, found ${count} times: ${JSON.stringify(p.find)}`);
    }
    writeFileSync(file, text.replace(p.find, p.replace));
  }
  return dir;
}
