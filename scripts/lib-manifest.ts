/**
 * `exercises/.generated.json`: the SHA-256 of every exercise file as `pnpm exercises:generate`
 * last wrote it. The generator uses it to tell a student's edited file from a stale stub (and
 * never overwrites the former); `pnpm progress` uses it to know an unedited stub without
 * running its tests.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The manifest's file name inside `exercises/`. */
export const MANIFEST = '.generated.json';

/** SHA-256 of a text (UTF-8), hex. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The manifest's hashes: path relative to `exercises/` (`05-residual/residual.ts`) -> SHA-256 as
 * last generated; `{}` when there is no manifest.
 *
 * @throws SyntaxError if the file is not JSON
 */
export function readManifest(exercisesDir: string): Record<string, string> {
  const file = path.join(exercisesDir, MANIFEST);
  if (!existsSync(file)) return {};
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { files?: Record<string, string> };
  return parsed.files ?? {};
}
