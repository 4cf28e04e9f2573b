/**
 * Safe unpacking of a submitted archive (`.zip` with yauzl; `.tar.gz`, `.tgz` or `.tar` with
 * tar's parser) into a fresh folder.
 *
 * A submission archive is untrusted input, so unpacking
 *
 * - writes only regular files and folders, each strictly inside the destination: a name that
 *   is absolute, contains `..`, a backslash or a NUL, or resolves outside fails the archive;
 * - refuses symbolic links, hard links, devices and FIFOs (a link could point anywhere);
 * - ignores the archive's owners and modes (files 0644, folders 0755) and never overwrites;
 * - stops at {@link ARCHIVE_LIMITS}: the archive's size, the unpacked bytes (counted as they are
 *   written, so a lying header does not help), the number of entries and the folder depth;
 * - skips macOS metadata (`__MACOSX/`, `._*`, `.DS_Store`).
 *
 * Any problem is an {@link ArchiveError} naming the entry and the rule, which the class grader
 * reports as that submission's error.
 *
 * @module
 */
import { createReadStream, createWriteStream, mkdirSync, statSync, type WriteStream } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import yauzl from 'yauzl';

/** Limits of one archive. */
export interface ArchiveLimits {
  /** Size of the archive file, bytes. */
  readonly archiveBytes: number;
  /** Bytes of all unpacked files together. */
  readonly unpackedBytes: number;
  /** Files and folders. */
  readonly entries: number;
  /** Folders deep (`a/b/c/file.ts` is 4). */
  readonly depth: number;
}

/** Default limits: a submission is source code, a few hundred kilobytes at most. */
export const ARCHIVE_LIMITS: ArchiveLimits = { archiveBytes: 20 * 2 ** 20, unpackedBytes: 50 * 2 ** 20, entries: 2000, depth: 16 };

/** A submission archive that cannot be unpacked safely; the message says which entry and why. */
export class ArchiveError extends Error {
  /** @param message - what is wrong, e.g. `"entry ../evil.ts: a path may not contain '..'"` */
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

/** The kinds of archive the grader unpacks. */
export type ArchiveKind = 'zip' | 'tar';

/** The archive kind a file name stands for, or null. */
export function archiveKind(fileName: string): ArchiveKind | null {
  const n = fileName.toLowerCase();
  if (n.endsWith('.zip')) return 'zip';
  if (n.endsWith('.tar.gz') || n.endsWith('.tgz') || n.endsWith('.tar')) return 'tar';
  return null;
}

/** The file name without its archive extension (`alice.tar.gz` -> `alice`). */
export function archiveBaseName(fileName: string): string {
  return fileName.replace(/\.(zip|tar\.gz|tgz|tar)$/i, '');
}

function skipped(name: string): boolean {
  const parts = name.split('/');
  return parts[0] === '__MACOSX' || parts.some((p) => p === '.DS_Store' || p.startsWith('._'));
}

/**
 * Checks an entry name and returns its normalised relative path (`a/b.ts`), or throws.
 *
 * @throws ArchiveError for an absolute name, `..`, a backslash, a NUL, too many levels
 */
export function safeEntryPath(name: string, limits: ArchiveLimits = ARCHIVE_LIMITS): string {
  const what = `entry ${JSON.stringify(name.slice(0, 200))}`;
  if (name.includes('\0')) throw new ArchiveError(`${what}: a NUL character in a name`);
  if (name.includes('\\')) throw new ArchiveError(`${what}: a backslash in a name (paths use /)`);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw new ArchiveError(`${what}: an absolute path`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new ArchiveError(`${what}: a path may not contain '..'`);
  if (parts.length === 0) throw new ArchiveError(`${what}: an empty name`);
  if (parts.length > limits.depth) throw new ArchiveError(`${what}: more than ${limits.depth} folders deep`);
  if (parts.some((p) => Buffer.byteLength(p) > 255)) throw new ArchiveError(`${what}: a name longer than 255 bytes`);
  return parts.join('/');
}

/** Where an entry goes, checked to lie strictly inside `dest`. */
function target(dest: string, rel: string): string {
  const p = path.resolve(dest, rel);
  if (!p.startsWith(dest + path.sep)) throw new ArchiveError(`entry ${JSON.stringify(rel)}: resolves outside the destination`);
  return p;
}

/** Counts entries and bytes against the limits. */
class Budget {
  entries = 0;
  bytes = 0;
  constructor(readonly limits: ArchiveLimits) {}
  entry(name: string): void {
    if (++this.entries > this.limits.entries) throw new ArchiveError(`more than ${this.limits.entries} entries (at ${JSON.stringify(name.slice(0, 200))})`);
  }
  add(n: number, name: string): void {
    this.bytes += n;
    if (this.bytes > this.limits.unpackedBytes) throw new ArchiveError(`unpacks to more than ${Math.round(this.limits.unpackedBytes / 2 ** 20)} MB (at ${JSON.stringify(name.slice(0, 200))})`);
  }
}

/** A transform that counts bytes against the budget for one file, failing the stream past the limit. */
function counter(budget: Budget, name: string): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      try {
        budget.add(chunk.length, name);
        cb(null, chunk);
      } catch (e) {
        cb(e as Error);
      }
    },
  });
}

function mkdirInside(dest: string, rel: string): void {
  mkdirSync(target(dest, rel), { recursive: true, mode: 0o755 });
}

/** Opens a new file for writing; fails if anything already exists there (never follows a link). */
async function newFile(dest: string, rel: string): Promise<WriteStream> {
  const p = target(dest, rel);
  mkdirSync(path.dirname(p), { recursive: true, mode: 0o755 });
  const out = createWriteStream(p, { flags: 'wx', mode: 0o644 });
  await new Promise<void>((resolve, reject) => {
    out.once('open', () => resolve());
    out.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EEXIST' ? new ArchiveError(`entry ${JSON.stringify(rel)} appears twice`) : e));
  });
  return out;
}

function unixMode(entry: yauzl.Entry): number {
  return (entry.externalFileAttributes >>> 16) & 0xffff;
}

async function unzip(file: string, dest: string, limits: ArchiveLimits): Promise<void> {
  const budget = new Budget(limits);
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: true, decodeStrings: true, validateEntrySizes: true, strictFileNames: false }, (err, z) => (err ? reject(err) : resolve(z)));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (e: unknown): void => {
        if (failed) return;
        failed = true;
        reject(e);
      };
      zip.on('error', fail);
      zip.on('end', () => {
        if (!failed) resolve();
      });
      zip.on('entry', (entry: yauzl.Entry) => {
        void (async () => {
          const raw = entry.fileName;
          budget.entry(raw);
          if (skipped(raw)) return;
          const isDir = raw.endsWith('/');
          const rel = safeEntryPath(raw, limits);
          const type = unixMode(entry) & 0o170000;
          if (type !== 0 && type !== 0o100000 && type !== 0o040000) {
            throw new ArchiveError(`entry ${JSON.stringify(rel)}: ${type === 0o120000 ? 'a symbolic link' : 'a special file'}; submissions must hold plain files only`);
          }
          if (entry.isEncrypted()) throw new ArchiveError(`entry ${JSON.stringify(rel)} is encrypted`);
          if (isDir || type === 0o040000) {
            mkdirInside(dest, rel);
            return;
          }
          if (entry.uncompressedSize > limits.unpackedBytes) throw new ArchiveError(`entry ${JSON.stringify(rel)} is larger than ${Math.round(limits.unpackedBytes / 2 ** 20)} MB`);
          const out = await newFile(dest, rel);
          const input = await new Promise<NodeJS.ReadableStream>((res, rej) => zip.openReadStream(entry, (err, s) => (err ? rej(err) : res(s))));
          await new Promise<void>((res, rej) => {
            const c = counter(budget, rel);
            const done = (e?: Error | null): void => {
              if (e) {
                out.destroy();
                (input as unknown as { destroy?: () => void }).destroy?.();
                rej(e);
              }
            };
            input.on('error', done);
            c.on('error', done);
            out.on('error', done);
            out.on('finish', () => res());
            input.pipe(c).pipe(out);
          });
        })().then(
          () => {
            if (!failed) zip.readEntry();
          },
          (e: unknown) => {
            fail(e);
            zip.close();
          },
        );
      });
      zip.readEntry();
    });
  } finally {
    if (zip.isOpen) zip.close();
  }
}

async function untar(file: string, dest: string, limits: ArchiveLimits): Promise<void> {
  const budget = new Budget(limits);
  const fd = await openFile(file, 'r');
  const magic = Buffer.alloc(2);
  await fd.read(magic, 0, 2, 0);
  await fd.close();
  const gzipped = magic[0] === 0x1f && magic[1] === 0x8b;
  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const writes: Promise<void>[] = [];
    const source = createReadStream(file);
    const fail = (e: unknown): void => {
      if (failed) return;
      failed = true;
      source.destroy();
      reject(e instanceof ArchiveError ? e : new ArchiveError(`not a valid tar archive: ${(e as Error).message}`));
    };
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        if (failed) {
          entry.resume();
          return;
        }
        try {
          budget.entry(entry.path);
          if (skipped(entry.path)) {
            entry.resume();
            return;
          }
          const rel = safeEntryPath(entry.path, limits);
          if (entry.type === 'Directory') {
            mkdirInside(dest, rel);
            entry.resume();
            return;
          }
          if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') {
            const kind = entry.type === 'SymbolicLink' ? 'a symbolic link' : entry.type === 'Link' ? 'a hard link' : `a ${entry.type} entry`;
            throw new ArchiveError(`entry ${JSON.stringify(rel)}: ${kind}; submissions must hold plain files only`);
          }
          if (entry.size > limits.unpackedBytes) throw new ArchiveError(`entry ${JSON.stringify(rel)} is larger than ${Math.round(limits.unpackedBytes / 2 ** 20)} MB`);
          entry.pause();
          writes.push(
            (async () => {
              const out = await newFile(dest, rel);
              await new Promise<void>((res, rej) => {
                const c = counter(budget, rel);
                c.on('error', (e) => {
                  out.destroy();
                  rej(e);
                });
                out.on('error', rej);
                out.on('finish', () => res());
                c.pipe(out);
                entry.on('data', (chunk: Buffer) => {
                  if (!c.write(chunk)) {
                    entry.pause();
                    c.once('drain', () => entry.resume());
                  }
                });
                entry.on('end', () => c.end());
                entry.resume();
              });
            })().catch((e: unknown) => {
              fail(e);
            }),
          );
        } catch (e) {
          entry.resume();
          fail(e);
        }
      },
    });
    parser.on('error', fail);
    parser.on('warn', (code: string, message: string | Error) => fail(new ArchiveError(`not a valid tar archive: ${typeof message === 'string' ? message : message.message} (${code})`)));
    parser.on('end', () => {
      void Promise.all(writes).then(() => {
        if (!failed) resolve();
      });
    });
    source.on('error', fail);
    let stream: NodeJS.ReadableStream = source;
    if (gzipped) {
      const gunzip = createGunzip();
      gunzip.on('error', (e) => fail(new ArchiveError(`not a valid gzip file: ${e.message}`)));
      stream = source.pipe(gunzip);
    }
    stream.on('data', (chunk: Buffer) => {
      if (failed) return;
      if (!parser.write(chunk)) {
        stream.pause();
        parser.once('drain', () => stream.resume());
      }
    });
    stream.on('end', () => {
      if (!failed) parser.end();
    });
  });
}

/**
 * Unpacks `file` into `dest` (which must exist and be empty).
 *
 * @param file - the archive, `.zip`, `.tar.gz`, `.tgz` or `.tar`
 * @param dest - an empty folder
 * @throws ArchiveError for anything that is not a valid, safe archive within the limits
 */
export async function unpackArchive(file: string, dest: string, limits: ArchiveLimits = ARCHIVE_LIMITS): Promise<void> {
  const kind = archiveKind(file);
  if (!kind) throw new ArchiveError(`${path.basename(file)} is not a .zip, .tar.gz, .tgz or .tar file`);
  const size = statSync(file).size;
  if (size > limits.archiveBytes) throw new ArchiveError(`the archive is larger than ${Math.round(limits.archiveBytes / 2 ** 20)} MB`);
  try {
    if (kind === 'zip') await unzip(file, dest, limits);
    else await untar(file, dest, limits);
  } catch (e) {
    if (e instanceof ArchiveError) throw e;
    throw new ArchiveError(`not a valid ${kind === 'zip' ? 'zip' : 'tar'} archive: ${(e as Error).message}`);
  }
}
