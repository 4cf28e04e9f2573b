/**
 * Grading a class: a folder whose entries (subfolders, or `.zip`/`.tar.gz` archives) are the
 * submissions, several graded at once, each result written as soon as it is done.
 *
 * Output folder (`--out`):
 *
 * | file | what |
 * | --- | --- |
 * | `manifest.json` | grader version, seed, cases per test, time limit, exercises: fixed at the first run, reused when resuming |
 * | `results/<name>.json` | one submission's result ({@link SubmissionRecord}): deterministic, written atomically when it is done |
 * | `feedback/<name>.md` | the student's feedback |
 * | `gradescope/<name>.json` | the submission's Gradescope `results.json` (without `execution_time`) |
 * | `grades.csv` | one row per submission: points per exercise, total |
 * | `summary.md` | per-exercise statistics and the most common failures |
 * | `class.json` | every submission's result in one report (deterministic) |
 * | `run.json` | when, how long, which submissions were graded or resumed (not deterministic) |
 *
 * Resuming: a result is reused when its file exists, the submission's fingerprint (a hash of
 * its files or of the archive) is unchanged and it was graded with the manifest's settings.
 * Results are written with temp-file-and-rename, so killing the grader loses at most the
 * submissions in flight, and a rerun grades exactly those (and any new or changed ones).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, rmSync, statSync, type Dirent } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { EXERCISE_DIR, isClassFolder, isOneSubmission, submissionRoot, UsageError } from '../discover.js';
import {
  DEFAULT_NUM_RUNS,
  DEFAULT_TIMEOUT_MS,
  failedExercise,
  gradeExercise,
  makeWorkDir,
  MAX_SEED,
  missingExercise,
  missingReason,
  pool,
  runInfo,
  sandboxInfo,
  submissionResult,
  TOOL,
  VERSION,
} from '../grade.js';
import type { ExerciseResult, GradeReport, SandboxInfo, SubmissionResult } from '../results.js';
import { SUITES } from '../suites/index.js';
import type { Suite } from '../suites/types.js';
import { loadSecret, type GraderSecret } from '../seeds.js';
import { toCsv } from '../writers/csv.js';
import { toGradescope } from '../writers/gradescope.js';
import { toJunit } from '../writers/junit.js';
import { submissionMarkdown } from '../writers/markdown.js';
import { summaryMarkdown } from '../writers/summary.js';
import { ArchiveError, archiveBaseName, archiveKind, ARCHIVE_LIMITS, unpackArchive, type ArchiveLimits } from './archive.js';
import { removeStaleTemporaries, writeFileAtomic } from './atomic.js';
import { preflightSandbox } from '../sandbox/preflight.js';
import { removeTempDir, sweepStaleTempDirs } from '../sandbox/tempdirs.js';

/** One entry of the class folder. */
export interface ClassEntry {
  /** The submission's name: the folder name, or the archive's name without extension. */
  readonly name: string;
  /** Absolute path of the folder or archive. */
  readonly file: string;
  readonly kind: 'dir' | 'zip' | 'tar';
  /**
   * Why the entry cannot be graded at all (a symbolic link, a name that is not valid UTF-8):
   * the submission then scores 0 with this reason.
   */
  readonly problem?: string;
}

/** The reason a symbolic link in a class folder scores 0. */
export const LINKED_SUBMISSION = 'a symbolic link; submissions must be regular folders or archives' as const;

/**
 * A file name read as bytes, for messages: the name itself when it is valid UTF-8, else each
 * byte outside printable ASCII as `\xNN` (`notes\xFE.md`).
 */
export function escapeName(name: Buffer): string {
  const s = name.toString('utf8');
  if (Buffer.from(s, 'utf8').equals(name)) return s;
  return [...name].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** True when a name read as bytes is valid UTF-8 (so a string path reaches it). */
export function isUtf8Name(name: Buffer): boolean {
  return Buffer.from(name.toString('utf8'), 'utf8').equals(name);
}

/** The settings a class run is graded with, fixed in `manifest.json`. */
export interface ClassManifest {
  readonly tool: string;
  readonly version: string;
  /** The `--seed` used for every exercise, or null: each exercise's seed derived from the grader secret and its files. */
  readonly seed: number | null;
  /** Public id of the grader secret, when `seed` is null. */
  readonly secretId?: string;
  readonly numRuns: number;
  readonly timeoutMs: number;
  /** The exercises every submission is graded on (columns of the CSV). */
  readonly exercises: readonly string[];
}

/** What `results/<name>.json` holds: the settings, the submission's fingerprint and its result. */
export interface SubmissionRecord extends ClassManifest {
  /** sha256 of the submission's files (a folder) or bytes (an archive), to notice a changed submission. */
  readonly fingerprint: string;
  readonly sandbox: SandboxInfo;
  readonly submission: SubmissionResult;
}

/** Progress of a class run. */
export type ClassEvent =
  | { readonly type: 'plan'; readonly total: number; readonly todo: number; readonly resumed: number; readonly jobs: number; readonly manifest: ClassManifest }
  | { readonly type: 'start'; readonly name: string }
  | { readonly type: 'done'; readonly name: string; readonly result: SubmissionResult; readonly durationMs: number };

/** Options of {@link gradeClass}. */
export interface ClassOptions {
  /** The output folder (created if needed). */
  readonly out: string;
  /** One seed for every submission (an explicit replay); default: the manifest's when resuming, else seeds derived from the grader secret. */
  readonly seed?: number;
  /** The grader secret (default: `loadSecret()`), used when there is no seed. */
  readonly secret?: GraderSecret;
  /** Per-call time limit, ms (default {@link DEFAULT_TIMEOUT_MS}, or the manifest's). */
  readonly timeoutMs?: number;
  /** Random cases per test (default {@link DEFAULT_NUM_RUNS}, or the manifest's). */
  readonly numRuns?: number;
  /** Submissions graded at once (default and maximum: the number of CPUs). */
  readonly jobs?: number;
  /** Regrade every submission, and start a new manifest. */
  readonly force?: boolean;
  /** Exercise ids to grade (default: every suite's, or the manifest's). */
  readonly exercises?: readonly string[];
  /** The suites (default {@link SUITES}). */
  readonly suites?: readonly Suite[];
  /** Paths in the report are shown relative to this folder (default `process.cwd()`). */
  readonly cwd?: string;
  /** Also write the class's JUnit XML here. */
  readonly junit?: string;
  /** Archive limits (default {@link ARCHIVE_LIMITS}). */
  readonly limits?: ArchiveLimits;
  /** Called as submissions are planned, started and finished. */
  readonly onEvent?: (e: ClassEvent) => void;
}

/** What a class run did. */
export interface ClassResult {
  /** Every submission of the folder (graded now or resumed), by name. */
  readonly report: GradeReport;
  /** Submissions graded in this run. */
  readonly graded: readonly string[];
  /** Submissions whose earlier result was reused. */
  readonly resumed: readonly string[];
  /** The settings used. */
  readonly manifest: ClassManifest;
  /** Absolute paths of the files written. */
  readonly files: { readonly csv: string; readonly summary: string; readonly classJson: string; readonly junit?: string };
}

/** A file name for a submission name: letters, digits, `.`, `_`, `-` kept, the rest `%XX`. */
export function fileNameFor(name: string): string {
  const s = [...Buffer.from(name, 'utf8')].map((b) => (/[A-Za-z0-9._-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
  return s.startsWith('.') ? `%2E${s.slice(1)}` : s;
}

/**
 * The submissions in a class folder: its subfolders and archives, sorted by name (see
 * {@link isOneSubmission} for a folder that is one submission itself). Nothing in the folder
 * is dropped silently: a symbolic link, or an entry whose name is not valid UTF-8, is listed
 * with its {@link ClassEntry.problem} (it then scores 0 with that reason).
 *
 * @throws UsageError if the folder does not exist or holds no submissions
 */
export function listClass(folder: string): ClassEntry[] {
  let st;
  try {
    st = statSync(folder);
  } catch {
    throw new UsageError(`no such folder: ${folder}`);
  }
  if (!st.isDirectory()) throw new UsageError(`not a folder: ${folder}`);
  const self: ClassEntry[] = [{ name: path.basename(folder), file: folder, kind: 'dir' }];
  if (isOneSubmission(folder)) return self;
  const entries: ClassEntry[] = [];
  const taken = new Set<string>();
  const byName = (a: { name: Buffer }, b: { name: Buffer }): number => Buffer.compare(a.name, b.name);
  const dirents = (readdirSync(folder, { withFileTypes: true, encoding: 'buffer' }) as Dirent<Buffer>[])
    .map((d) => ({ d, name: d.name, text: escapeName(d.name), utf8: isUtf8Name(d.name) }))
    .filter((e) => !e.text.startsWith('.') && e.text !== 'node_modules' && e.text !== '__MACOSX')
    .sort(byName);
  const isLink = (e: (typeof dirents)[number]): boolean => e.d.isSymbolicLink();
  const looksLike = (e: (typeof dirents)[number]): 'dir' | 'zip' | 'tar' | null => {
    if (e.d.isDirectory()) return 'dir';
    if (isLink(e)) {
      try {
        const t = statSync(Buffer.concat([Buffer.from(`${folder}/`), e.name]));
        if (t.isDirectory()) return 'dir';
        if (t.isFile()) return archiveKind(e.text);
      } catch {
        // a dangling link: listed if it is named like an archive
      }
      return archiveKind(e.text) ?? 'dir';
    }
    return e.d.isFile() ? archiveKind(e.text) : null;
  };
  // Folders first claim their names; an archive with the same base name keeps its extension.
  for (const e of dirents) {
    if (looksLike(e) !== 'dir') continue;
    const problem = isLink(e) ? LINKED_SUBMISSION : !e.utf8 ? 'a folder whose name is not valid UTF-8; rename it' : undefined;
    entries.push({ name: e.text, file: path.join(folder, e.text), kind: 'dir', ...(problem ? { problem } : {}) });
    taken.add(e.text);
  }
  for (const e of dirents) {
    const kind = looksLike(e);
    if (kind === null || kind === 'dir') continue;
    const base = archiveBaseName(e.text);
    const name = taken.has(base) || base === '' ? e.text : base;
    taken.add(name);
    const problem = isLink(e) ? LINKED_SUBMISSION : !e.utf8 ? 'an archive whose name is not valid UTF-8; rename it' : undefined;
    entries.push({ name, file: path.join(folder, e.text), kind, ...(problem ? { problem } : {}) });
  }
  if (entries.length === 0) throw new UsageError(`no submissions in ${folder}: expected subfolders, .zip or .tar.gz files`);
  // Subfolders, none of them with exercise folders, and no archive: one submission without exercises (as plain mode grades it).
  if (!isClassFolder(folder)) return self;
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Files up to this size are hashed whole (read in chunks); larger ones by size, time and their first and last MiB. */
export const FINGERPRINT_FULL_BYTES = 64 * 1024 * 1024;

const CHUNK = 1024 * 1024;

/** Hashes a file's bytes through a descriptor, a chunk at a time (never the whole file in memory). */
function hashFile(h: ReturnType<typeof createHash>, file: string | Buffer): void {
  const fd = openSync(file, 'r');
  try {
    const st = fstatSync(fd);
    const buf = Buffer.allocUnsafe(CHUNK);
    const span = (from: number, to: number): void => {
      let pos = from;
      while (pos < to) {
        const k = readSync(fd, buf, 0, Math.min(CHUNK, to - pos), pos);
        if (k === 0) break;
        h.update(buf.subarray(0, k));
        pos += k;
      }
    };
    if (st.size <= FINGERPRINT_FULL_BYTES) {
      span(0, st.size);
    } else {
      h.update(`large\0${st.size}\0${st.mtimeMs}\0`);
      span(0, CHUNK);
      span(st.size - CHUNK, st.size);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * sha256 over a folder's files (relative path and content, in byte order of the names; dot
 * files and node_modules left out) or an archive's bytes; a symbolic link hashes as its target.
 * Names are read as bytes, so any name works; files are read in chunks, so any size works
 * (above {@link FINGERPRINT_FULL_BYTES}, by size, time and both ends).
 *
 * @throws for an unreadable file (the caller makes it the submission's error)
 */
export function fingerprint(entry: ClassEntry): string {
  const h = createHash('sha256');
  // An entry that is not graded (a link, a name that is not UTF-8) is its name and reason.
  if (entry.problem) return h.update(`problem\0${entry.name}\0${entry.problem}`).digest('hex');
  const top = Buffer.from(entry.file);
  if (lstatSync(top).isSymbolicLink()) {
    h.update(`link\0${readlinkSync(top)}`);
    return h.digest('hex');
  }
  if (entry.kind !== 'dir') {
    hashFile(h, top);
    return h.digest('hex');
  }
  const walk = (dir: Buffer, rel: Buffer): void => {
    const ds = (readdirSync(dir, { withFileTypes: true, encoding: 'buffer' }) as Dirent<Buffer>[]).sort((a, b) => Buffer.compare(a.name, b.name));
    for (const d of ds) {
      if (d.name[0] === 0x2e || d.name.equals(Buffer.from('node_modules'))) continue;
      const abs = Buffer.concat([dir, Buffer.from('/'), d.name]);
      const r = rel.length > 0 ? Buffer.concat([rel, Buffer.from('/'), d.name]) : d.name;
      if (d.isDirectory()) walk(abs, r);
      else if (d.isFile()) {
        h.update(r);
        h.update('\0');
        hashFile(h, abs);
        h.update('\0');
      } else if (d.isSymbolicLink()) {
        h.update(r);
        h.update(`\0link\0${readlinkSync(abs, { encoding: 'buffer' }).toString('hex')}\0`);
      }
    }
  };
  walk(top, Buffer.alloc(0));
  return h.digest('hex');
}

function displayPath(p: string, cwd: string): string {
  const rel = path.relative(cwd, p);
  if (rel === '') return '.';
  if (rel.startsWith('..') || path.isAbsolute(rel)) return p;
  return rel.split(path.sep).join('/');
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

function sameSettings(a: ClassManifest, b: ClassManifest): boolean {
  return a.tool === b.tool && a.version === b.version && a.seed === b.seed && (a.secretId ?? null) === (b.secretId ?? null) && a.numRuns === b.numRuns && a.timeoutMs === b.timeoutMs && a.exercises.join(',') === b.exercises.join(',');
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `out/.lock` for this process; throws if a live grader holds it. */
function lock(out: string): () => void {
  const file = path.join(out, '.lock');
  const held = Number.parseInt(readJson<{ pid?: number }>(file)?.pid?.toString() ?? '', 10);
  if (Number.isInteger(held) && held !== process.pid && pidAlive(held)) {
    throw new UsageError(`another grader (pid ${held}) is writing to ${out}; wait for it or stop it`);
  }
  writeFileAtomic(file, `${JSON.stringify({ pid: process.pid })}\n`);
  return () => rmSync(file, { force: true });
}

/** Prefix of a class run's temporary folder: `dlkata-class-<pid>-XXXXXX` in the system's temp folder. */
export const WORK_PREFIX = 'dlkata-class-' as const;

/**
 * Removes temporary folders of earlier grader runs that could not clean up (killed with
 * SIGKILL): see {@link sweepStaleTempDirs}.
 */
export function removeStaleWork(): void {
  sweepStaleTempDirs();
}

/** Removes this process's class-run temporary folders (when interrupted). */
export function removeOwnWork(): void {
  for (const name of readdirSync(tmpdir())) {
    if (name.startsWith(`${WORK_PREFIX}${process.pid}-`)) rmSync(path.join(tmpdir(), name), { recursive: true, force: true });
  }
}

/** The settings of this run: the options, else the manifest being resumed, else defaults. */
function settle(opts: ClassOptions, suites: readonly Suite[], previous: ClassManifest | null, secret: () => GraderSecret): ClassManifest {
  const exercises = opts.exercises ? [...opts.exercises] : (previous?.exercises ? [...previous.exercises] : suites.map((s) => s.id));
  for (const id of exercises) if (!suites.some((s) => s.id === id)) throw new UsageError(`the grader has no suite for ${id}; it grades ${suites.map((s) => s.id).join(', ')}`);
  exercises.sort();
  const seed = opts.seed ?? (previous && !opts.force ? previous.seed : null);
  const wanted: ClassManifest = {
    tool: TOOL,
    version: VERSION,
    seed,
    ...(seed === null ? { secretId: secret().id } : {}),
    numRuns: opts.numRuns ?? previous?.numRuns ?? DEFAULT_NUM_RUNS,
    timeoutMs: opts.timeoutMs ?? previous?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    exercises,
  };
  if (wanted.seed !== null && (!Number.isInteger(wanted.seed) || wanted.seed < 0 || wanted.seed > MAX_SEED)) throw new UsageError(`the seed must be an integer from 0 to ${MAX_SEED}, got ${wanted.seed}`);
  if (previous && !opts.force && !sameSettings(previous, wanted)) {
    const diff = (['version', 'seed', 'secretId', 'numRuns', 'timeoutMs', 'exercises'] as const)
      .filter((k) => String(previous[k]) !== String(wanted[k]))
      .map((k) => `${k} ${String(previous[k])} -> ${String(wanted[k])}`)
      .join(', ');
    throw new UsageError(`the output folder was graded with other settings (${diff}); grade into another folder, or pass --force to regrade everything`);
  }
  return wanted;
}

/** A folder (the submission itself, or up to two levels down) holding every module file of `suite`, or null. */
function looseExerciseDir(dir: string, suite: Suite): string | null {
  let level = [dir];
  for (let d = 0; d <= 2 && level.length > 0; d++) {
    for (const p of level) if (suite.modules.every((m) => existsSync(path.join(p, m)))) return p;
    level = level.flatMap((p) => {
      try {
        return readdirSync(p, { withFileTypes: true })
          .filter((x) => x.isDirectory() && !x.name.startsWith('.') && x.name !== '__MACOSX' && x.name !== 'node_modules')
          .map((x) => path.join(p, x.name))
          .sort();
      } catch {
        return [];
      }
    });
  }
  return null;
}

/** Options of {@link gradeSubmission}. */
export interface SubmissionOptions {
  /** The suites (default {@link SUITES}). */
  readonly suites?: readonly Suite[];
  /** Paths in the result are shown relative to this folder (default `process.cwd()`). */
  readonly cwd?: string;
  /** Archive limits (default {@link ARCHIVE_LIMITS}). */
  readonly limits?: ArchiveLimits;
  /** A fresh folder for unpacking and bundles (default: a temporary one, removed afterwards). */
  readonly workDir?: string;
  /** The grader secret's bytes: needed when `manifest.seed` is null. */
  readonly secret?: Buffer;
  /** Wall-clock budget per exercise, in ms (default: gradeExercise's). */
  readonly exerciseTimeoutMs?: number;
}

/**
 * Grades one submission (a folder or an archive) on every exercise of `manifest`, one after the
 * other. An exercise without a folder gets 0 points ("not submitted"), every exercise of a
 * submission without exercise folders too; a broken archive, a symbolic link or a name that is
 * not valid UTF-8 ({@link ClassEntry.problem}) gets 0 points with that reason as its `error`. A
 * submission for a single exercise may also be its files alone (`conv.ts` at the top, as
 * uploaded to Gradescope).
 *
 * Never throws for anything the submission holds.
 */
export async function gradeSubmission(entry: ClassEntry, manifest: ClassManifest, opts: SubmissionOptions = {}): Promise<SubmissionResult> {
  const suites = opts.suites ?? SUITES;
  const own = opts.workDir === undefined;
  await preflightSandbox();
  const workDir = opts.workDir ?? makeWorkDir();
  try {
    if (manifest.seed === null && opts.secret === undefined) throw new Error('gradeSubmission: a manifest without a seed needs the grader secret');
    return await gradeIn(entry, manifest, suites, workDir, opts.cwd ?? process.cwd(), opts.limits ?? ARCHIVE_LIMITS, opts.secret, opts.exerciseTimeoutMs);
  } finally {
    if (own) removeTempDir(workDir);
  }
}

async function gradeIn(entry: ClassEntry, manifest: ClassManifest, suites: readonly Suite[], workDir: string, cwd: string, limits: ArchiveLimits, secret: Buffer | undefined, exerciseTimeoutMs?: number): Promise<SubmissionResult> {
  const chosen = manifest.exercises.map((id) => {
    const suite = suites.find((s) => s.id === id);
    if (!suite) throw new UsageError(`the grader has no suite for ${id}`);
    return suite;
  });
  const shown = displayPath(entry.file, cwd);
  const failAll = (message: string): SubmissionResult =>
    submissionResult(entry.name, shown, chosen.map((s) => failedExercise(s, 'error', message)), [], message);
  if (entry.problem) return failAll(`${entry.name} is ${entry.problem}`);
  mkdirSync(workDir, { recursive: true });
  let dir = entry.file;
  if (entry.kind !== 'dir') {
    dir = path.join(workDir, 'unpacked');
    mkdirSync(dir);
    try {
      await unpackArchive(entry.file, dir, limits);
    } catch (e) {
      if (e instanceof ArchiveError) return failAll(`the archive ${path.basename(entry.file)} could not be unpacked: ${e.message}`);
      throw e;
    }
  }
  let root = submissionRoot(dir);
  const located = new Map<string, string>();
  if (root) {
    for (const d of readdirSync(root, { withFileTypes: true })) if (d.isDirectory() && EXERCISE_DIR.test(d.name)) located.set(d.name, path.join(root, d.name));
  } else if (chosen.length === 1) {
    const loose = looseExerciseDir(dir, chosen[0]);
    if (loose) {
      located.set(chosen[0].id, loose);
      root = loose;
    }
  }
  if (!root) {
    // Nothing submitted: every exercise "not submitted", 0 of its points (not an error of the grader or the submission).
    const none = chosen.length === 1 ? `(nor its files: ${chosen[0].modules.join(', ')})` : '(the submission has no exercise folders, named like 02-convolution)';
    return submissionResult(entry.name, shown, chosen.map((s) => missingExercise(s, `${missingReason(s.id, [])} ${none}`)), []);
  }
  const exercises: ExerciseResult[] = [];
  for (const [i, suite] of chosen.entries()) {
    const exDir = located.get(suite.id);
    if (!exDir) {
      exercises.push(missingExercise(suite, missingReason(suite.id, [...located.keys()])));
      continue;
    }
    const bundleDir = path.join(workDir, `bundle-${i}`);
    mkdirSync(bundleDir);
    exercises.push(await gradeExercise(suite, exDir, root, { ...(manifest.seed !== null ? { seed: manifest.seed } : { secret }), timeoutMs: manifest.timeoutMs, ...(exerciseTimeoutMs !== undefined ? { exerciseTimeoutMs } : {}), numRuns: manifest.numRuns, workDir: bundleDir }));
  }
  const skipped = [...located.keys()].filter((id) => !manifest.exercises.includes(id)).sort();
  return submissionResult(entry.name, shown, exercises, skipped);
}

/** An error's message without a machine's paths: its code and message. */
function errorText(e: unknown): string {
  const errno = e as NodeJS.ErrnoException;
  if (e instanceof Error && errno.syscall) return `${errno.code ?? 'error'} (${errno.syscall})`;
  if (e instanceof Error) return errno.code ? `${errno.code}: ${e.message}` : e.message;
  return String(e);
}

/** A submission that could not be graded at all: every exercise 0 with `message`, which is also its error. */
export function errorSubmission(entry: ClassEntry, manifest: Pick<ClassManifest, 'exercises'>, suites: readonly Suite[], cwd: string, message: string): SubmissionResult {
  const chosen = manifest.exercises.map((id) => suites.find((s) => s.id === id)).filter((s): s is Suite => s !== undefined);
  return submissionResult(entry.name, displayPath(entry.file, cwd), chosen.map((s) => failedExercise(s, 'error', message)), [], message);
}

/** Serialises a record: the same result gives the same bytes. */
export function recordJson(record: SubmissionRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/**
 * Grades every submission of a class folder into `opts.out` (see the module comment for the
 * files), resuming an earlier run into the same folder.
 *
 * @param folder - the class folder (absolute, or relative to `opts.cwd`)
 * @throws UsageError for a bad folder, settings that differ from the folder being resumed, or
 *   another grader writing to the same output folder
 */
export async function gradeClass(folder: string, opts: ClassOptions): Promise<ClassResult> {
  const started = Date.now();
  const cwd = opts.cwd ?? process.cwd();
  const suites = opts.suites ?? SUITES;
  const limits = opts.limits ?? ARCHIVE_LIMITS;
  const entries = listClass(path.resolve(cwd, folder));
  const out = path.resolve(cwd, opts.out);
  mkdirSync(out, { recursive: true });
  let secret: GraderSecret | undefined = opts.secret;
  const getSecret = (): GraderSecret => (secret ??= loadSecret());
  const unlock = lock(out);
  removeStaleWork();
  let work: string;
  try {
    // An environment fault stops the run before anyone is graded (see preflightSandbox).
    await preflightSandbox();
    work = makeWorkDir(WORK_PREFIX);
  } catch (e) {
    unlock();
    throw e;
  }
  try {
    const resultsDir = path.join(out, 'results');
    const feedbackDir = path.join(out, 'feedback');
    const gradescopeDir = path.join(out, 'gradescope');
    for (const d of [resultsDir, feedbackDir, gradescopeDir]) {
      mkdirSync(d, { recursive: true });
      removeStaleTemporaries(d);
    }
    removeStaleTemporaries(out);
    const previous = readJson<ClassManifest>(path.join(out, 'manifest.json'));
    const manifest = settle(opts, suites, previous, getSecret);
    const secretKey = manifest.seed === null ? getSecret().key : undefined;
    writeFileAtomic(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const sandbox = sandboxInfo(manifest.timeoutMs);

    const records = new Map<string, SubmissionRecord>();
    const todo: { entry: ClassEntry; fp: string }[] = [];
    const resumed: string[] = [];
    for (const e of entries) {
      let entry = e;
      let fp: string;
      try {
        fp = fingerprint(entry);
      } catch (err) {
        // One unreadable file is that submission's problem, not the run's.
        fp = `unreadable:${errorText(err)}`;
        entry = { ...entry, problem: entry.problem ?? `a submission that could not be read: ${errorText(err)}` };
      }
      const old = opts.force ? null : readJson<SubmissionRecord>(path.join(resultsDir, `${fileNameFor(entry.name)}.json`));
      if (old && old.fingerprint === fp && old.submission?.name === entry.name && sameSettings(old, manifest)) {
        records.set(entry.name, old);
        resumed.push(entry.name);
      } else {
        todo.push({ entry, fp });
      }
    }
    const jobs = Math.max(1, Math.min(opts.jobs ?? availableParallelism(), availableParallelism(), Math.max(1, todo.length)));
    opts.onEvent?.({ type: 'plan', total: entries.length, todo: todo.length, resumed: resumed.length, jobs, manifest });
    const timings: { submission: string; durationMs: number }[] = [];
    await pool(
      todo.map(({ entry, fp }, i) => async () => {
        opts.onEvent?.({ type: 'start', name: entry.name });
        const t0 = Date.now();
        const workDir = path.join(work, String(i));
        let result: SubmissionResult;
        try {
          result = await gradeSubmission(entry, manifest, { suites, cwd, limits, workDir, ...(secretKey ? { secret: secretKey } : {}) });
        } catch (err) {
          // Whatever went wrong with this submission is its error row, never the run's end.
          result = errorSubmission(entry, manifest, suites, cwd, `could not be graded: ${errorText(err)}`);
        } finally {
          rmSync(workDir, { recursive: true, force: true });
        }
        const record: SubmissionRecord = { ...manifest, fingerprint: fp, sandbox, submission: result };
        const base = fileNameFor(entry.name);
        writeFileAtomic(path.join(feedbackDir, `${base}.md`), submissionMarkdown(manifest, result));
        const one: GradeReport = { tool: TOOL, version: VERSION, seed: manifest.seed, ...(manifest.secretId ? { secretId: manifest.secretId } : {}), numRuns: manifest.numRuns, sandbox, submissions: [result], run: runInfo(t0) };
        writeFileAtomic(path.join(gradescopeDir, `${base}.json`), `${JSON.stringify(toGradescope(one, { executionTime: false }), null, 2)}\n`);
        writeFileAtomic(path.join(resultsDir, `${base}.json`), recordJson(record));
        records.set(entry.name, record);
        const durationMs = Date.now() - t0;
        timings.push({ submission: entry.name, durationMs });
        opts.onEvent?.({ type: 'done', name: entry.name, result, durationMs });
      }),
      jobs,
    );
    const submissions = entries.map((e) => records.get(e.name)!.submission);
    const run = runInfo(started);
    const report: GradeReport = { tool: TOOL, version: VERSION, seed: manifest.seed, ...(manifest.secretId ? { secretId: manifest.secretId } : {}), numRuns: manifest.numRuns, sandbox, submissions, run };
    const files = {
      csv: path.join(out, 'grades.csv'),
      summary: path.join(out, 'summary.md'),
      classJson: path.join(out, 'class.json'),
      ...(opts.junit ? { junit: path.resolve(cwd, opts.junit) } : {}),
    };
    writeFileAtomic(files.csv, toCsv(submissions, manifest.exercises));
    writeFileAtomic(files.summary, summaryMarkdown(submissions, { seed: manifest.seed, ...(manifest.secretId ? { secretId: manifest.secretId } : {}), tool: `${TOOL} ${VERSION}` }));
    const { run: _run, ...deterministic } = report;
    void _run;
    writeFileAtomic(files.classJson, `${JSON.stringify({ ...deterministic, exercises: manifest.exercises }, null, 2)}\n`);
    if (files.junit) writeFileAtomic(files.junit, toJunit(report));
    writeFileAtomic(
      path.join(out, 'run.json'),
      `${JSON.stringify({ startedAt: run.startedAt, durationMs: run.durationMs, jobs, graded: timings.map((t) => t.submission), resumed, timings }, null, 2)}\n`,
    );
    return { report, graded: timings.map((t) => t.submission), resumed, manifest, files };
  } finally {
    removeTempDir(work);
    unlock();
  }
}
