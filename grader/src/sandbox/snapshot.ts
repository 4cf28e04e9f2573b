/**
 * A submission's exercise folder reduced to its own regular files, copied into a fresh folder
 * before anything (the bundler, the import guard, the grader's own checks) reads it.
 *
 * Refused, with a message that names the path inside the submission:
 *
 * - a symbolic link, to a file or to a folder, wherever it points (even inside the folder);
 * - a file with more than one hard link, unless every one of its links is inside the folder
 *   (a hard link to a file elsewhere would copy that file's bytes);
 * - a device, FIFO or socket;
 * - more than {@link SNAPSHOT_LIMITS} allows (files, bytes, depth).
 *
 * Files are read through a descriptor opened with `O_NOFOLLOW | O_NONBLOCK` and checked with
 * `fstat` to be the regular file `lstat` saw (same device and inode), so a file swapped for a
 * link, a FIFO or another file between the two steps is refused, not followed. Folders and
 * files whose names start with a dot, and `node_modules`, are left out (nothing in them is
 * graded); a link among them is not refused.
 *
 * @module
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, writeFileSync, type Stats } from 'node:fs';
import path from 'node:path';

/** Limits of one exercise folder's copy. */
export interface SnapshotLimits {
  /** Files at most. */
  readonly maxFiles: number;
  /** Bytes over all files at most. */
  readonly maxBytes: number;
  /** Folder levels below the exercise folder at most. */
  readonly maxDepth: number;
}

/** Default limits: 500 files, 20 MB, 8 levels (an exercise has a handful of small files). */
export const SNAPSHOT_LIMITS: SnapshotLimits = { maxFiles: 500, maxBytes: 20 * 1024 * 1024, maxDepth: 8 };

/** Why an exercise folder was refused: its path inside the submission, and what it is. */
export interface Refusal {
  /** The path as the student sees it, e.g. `"03-pooling/pool.ts"`. */
  readonly path: string;
  /** What is wrong, e.g. `"is a symbolic link"`. */
  readonly reason: string;
}

/** The outcome of {@link snapshotExercise}. */
export type SnapshotResult = {
  readonly ok: true;
  readonly dir: string;
  readonly files: number;
  readonly bytes: number;
  /** Paths left out because their names are not valid UTF-8 (no code can import them), escaped (`05-residual/notes\\xFE.md`). */
  readonly ignored: readonly string[];
} | { readonly ok: false; readonly refusals: readonly Refusal[] };

function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return 'is a symbolic link';
  if (st.isFIFO()) return 'is a FIFO (named pipe)';
  if (st.isSocket()) return 'is a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'is a device';
  if (st.isDirectory()) return 'is a folder';
  if (st.isFile()) return 'is a regular file';
  return 'is not a regular file';
}

/** The message an exercise gets when its folder is refused: every refused path, at most 5. */
export function refusalMessage(refusals: readonly Refusal[]): string {
  const shown = refusals.slice(0, 5).map((r) => `${r.path} ${r.reason}`);
  const more = refusals.length > 5 ? `, and ${refusals.length - 5} more` : '';
  return `the submission was refused: ${shown.join('; ')}${more}. A submission must consist of regular files inside its own folder (no symbolic links, hard links to other files, devices or pipes)`;
}

/** A name read as bytes, for messages: printable ASCII kept, every other byte as `\\xNN`. */
export function escapeBytes(name: Buffer): string {
  return [...name].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/**
 * Copies the regular files of `exerciseDir` into `dest` (created), or refuses the folder.
 *
 * @param exerciseDir - the exercise folder in the submission (absolute)
 * @param dest - where the copy goes (absolute; must not exist yet)
 * @param shownAs - how the folder is named in messages, e.g. `"03-pooling"`
 * @param limits - see {@link SNAPSHOT_LIMITS}
 * @returns the copy's folder, or every refusal found
 */
export function snapshotExercise(exerciseDir: string, dest: string, shownAs: string, limits: SnapshotLimits = SNAPSHOT_LIMITS): SnapshotResult {
  const refusals: Refusal[] = [];
  const shown = (rel: string): string => (rel === '' ? shownAs : `${shownAs}/${rel}`);
  let top: Stats;
  try {
    top = lstatSync(exerciseDir);
  } catch (e) {
    return { ok: false, refusals: [{ path: shownAs, reason: `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` }] };
  }
  if (!top.isDirectory()) return { ok: false, refusals: [{ path: shownAs, reason: `${kindOf(top)}, not a folder` }] };

  // 1. Walk with lstat: which entries are there, and what they are.
  const files: { rel: string; st: Stats }[] = [];
  const dirs: string[] = [];
  // Names that are not valid UTF-8 cannot be reached by a string path, nor imported: left out, and named.
  const ignored: string[] = [];
  let bytes = 0;
  const walk = (rel: string, depth: number): void => {
    let raw: Buffer[];
    try {
      raw = readdirSync(path.join(exerciseDir, rel), { encoding: 'buffer' });
    } catch (e) {
      refusals.push({ path: shown(rel), reason: `cannot be listed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
      return;
    }
    const names: string[] = [];
    for (const b of raw) {
      const name = b.toString('utf8');
      if (Buffer.from(name, 'utf8').equals(b)) names.push(name);
      else if (b[0] !== 0x2e) ignored.push(shown(rel === '' ? escapeBytes(b) : `${rel}/${escapeBytes(b)}`));
    }
    names.sort();
    for (const name of names) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const r = rel === '' ? name : `${rel}/${name}`;
      let st: Stats;
      try {
        st = lstatSync(path.join(exerciseDir, r));
      } catch (e) {
        refusals.push({ path: shown(r), reason: `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
        continue;
      }
      if (st.isDirectory()) {
        if (depth >= limits.maxDepth) refusals.push({ path: shown(r), reason: `is more than ${limits.maxDepth} folders deep` });
        else {
          dirs.push(r);
          walk(r, depth + 1);
        }
      } else if (st.isFile()) {
        files.push({ rel: r, st });
        bytes += st.size;
      } else {
        refusals.push({ path: shown(r), reason: kindOf(st) });
      }
    }
  };
  walk('', 0);
  if (files.length > limits.maxFiles) refusals.push({ path: shownAs, reason: `holds ${files.length} files, more than the limit of ${limits.maxFiles}` });
  if (bytes > limits.maxBytes) refusals.push({ path: shownAs, reason: `holds ${bytes} bytes, more than the limit of ${limits.maxBytes}` });

  // 2. Hard links: a file with n links is accepted only if all n are inside the folder.
  const seen = new Map<string, number>();
  for (const f of files) if (f.st.nlink > 1) seen.set(`${f.st.dev}:${f.st.ino}`, (seen.get(`${f.st.dev}:${f.st.ino}`) ?? 0) + 1);
  for (const f of files) {
    if (f.st.nlink > 1 && (seen.get(`${f.st.dev}:${f.st.ino}`) ?? 0) < f.st.nlink) {
      refusals.push({ path: shown(f.rel), reason: `is a hard link to a file outside the folder (${f.st.nlink} links)` });
    }
  }
  if (refusals.length > 0) return { ok: false, refusals };

  // 3. Copy through descriptors that cannot follow a link or block on a FIFO, checking each is still what lstat saw.
  mkdirSync(dest, { recursive: true, mode: 0o755 });
  for (const d of dirs) mkdirSync(path.join(dest, d), { mode: 0o755 });
  for (const f of files) {
    let fd: number;
    try {
      fd = openSync(path.join(exerciseDir, f.rel), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      refusals.push({ path: shown(f.rel), reason: code === 'ELOOP' ? 'is a symbolic link' : `cannot be read (${code ?? (e as Error).message})` });
      continue;
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.dev !== f.st.dev || st.ino !== f.st.ino) {
        refusals.push({ path: shown(f.rel), reason: `changed while being copied (now it ${kindOf(st)})` });
        continue;
      }
      if (st.size > limits.maxBytes) {
        refusals.push({ path: shown(f.rel), reason: `is larger than the limit of ${limits.maxBytes} bytes` });
        continue;
      }
      const buf = Buffer.alloc(st.size);
      let got = 0;
      while (got < st.size) {
        const k = readSync(fd, buf, got, st.size - got, got);
        if (k === 0) break;
        got += k;
      }
      writeFileSync(path.join(dest, f.rel), buf.subarray(0, got), { mode: 0o644, flag: 'wx' });
    } finally {
      closeSync(fd);
    }
  }
  if (refusals.length > 0) return { ok: false, refusals };
  return { ok: true, dir: dest, files: files.length, bytes, ignored: ignored.sort() };
}
