/**
 * Atomic file writes: the text goes to a temporary file next to the target, is flushed to
 * disk, and is renamed over the target. A reader (or a grader killed half-way) sees the old
 * file or the new one, never a part of either.
 *
 * @module
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Marks the temporary files of {@link writeFileAtomic} (`.<name>.<pid>.<n>.tmp`). */
const TMP = /^\..+\.\d+\.\d+\.tmp$/;

let counter = 0;

/**
 * Writes `text` to `file` atomically (temporary file, fsync, rename), creating the folder.
 *
 * @param file - absolute path of the target
 * @param text - the whole content
 */
export function writeFileAtomic(file: string, text: string): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${counter++}.tmp`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Removes temporary files that a killed writer left in `dir` (not recursive). */
export function removeStaleTemporaries(dir: string): number {
  let n = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (TMP.test(name)) {
      rmSync(path.join(dir, name), { force: true });
      n++;
    }
  }
  return n;
}
