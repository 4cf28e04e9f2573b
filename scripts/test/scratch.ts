/**
 * A scratch copy of this repository for tests that drive the student's commands: every file git
 * knows (tracked, or new and not ignored), with the node_modules folders linked, so nothing is
 * installed and the real checkout is never touched.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Makes the scratch copy in a new temporary folder and returns its path (the caller removes it). */
export function makeScratch(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dlkata-scratch-'));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: REPO, encoding: 'utf8', maxBuffer: 1 << 28 })
    .split('\0')
    .filter((f) => f !== '' && existsSync(path.join(REPO, f)));
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    cpSync(path.join(REPO, f), path.join(dir, f));
  }
  const withModules = ['.', 'grader', 'exercises', 'solutions', 'playground', ...readdirSync(path.join(REPO, 'packages')).map((p) => `packages/${p}`)];
  for (const d of withModules) {
    const nm = path.join(REPO, d, 'node_modules');
    if (existsSync(nm) && existsSync(path.join(dir, d))) symlinkSync(nm, path.join(dir, d, 'node_modules'), 'dir');
  }
  return dir;
}
