/**
 * Seeds students cannot farm: each exercise of each submission draws its cases from a seed
 * derived, with HMAC-SHA256, from the instructor's secret and the submission's identity (the
 * exercise and the bytes of every file in its folder).
 *
 * - The instructor replays any report exactly: the same secret and the same files give the
 *   same seed, hence the same cases (`pnpm grade alice --replay 02-convolution/backward-dw`).
 * - A student cannot predict the cases: without the secret the seed is unpredictable, and any
 *   change to the exercise's files (memoised answers included) gives a fresh seed.
 * - Byte-identical exercise folders get the same cases wherever they are and whatever the
 *   submission is called, so a submission downloaded from Gradescope, unpacked from an archive
 *   or checked out from GitHub replays the same.
 *
 * Where the secret comes from, first match wins: `--secret-file <file>`, the environment
 * variable `DLKATA_GRADER_SECRET` (the secret itself, e.g. a CI secret), else the file
 * {@link defaultSecretFile} (created on first use with 32 random bytes, mode 0600).
 *
 * @module
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { UsageError } from './discover.js';

/** Largest seed (fast-check seeds are 32-bit; the grader keeps them non-negative). */
const MAX_SEED = 0x7fffffff;

/** Shortest secret accepted, in characters: 16 hex digits are 64 bits. */
export const MIN_SECRET_LENGTH = 16;

/** Environment variable that may hold the secret itself. */
export const SECRET_ENV = 'DLKATA_GRADER_SECRET';

/** The instructor's secret, loaded. */
export interface GraderSecret {
  /** The secret's bytes (the text of the file or variable, without surrounding white space). */
  readonly key: Buffer;
  /**
   * A public name of the secret: the first 12 hex digits of its SHA-256. Reports carry it so
   * the instructor knows which secret replays them; it reveals nothing about the secret.
   */
  readonly id: string;
  /** Where it came from: a file path, or `$DLKATA_GRADER_SECRET`. */
  readonly source: string;
  /** True when this call created the file (first use). */
  readonly created: boolean;
}

/** Options of {@link loadSecret}. */
export interface SecretOptions {
  /** A file holding the secret (`--secret-file`). */
  readonly file?: string;
  /** The environment (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Create {@link defaultSecretFile} when no secret is found (default true). */
  readonly create?: boolean;
}

/**
 * The default secret file: `$XDG_CONFIG_HOME/dlkata/grader-secret`, or
 * `~/.config/dlkata/grader-secret`. It lives in the instructor's configuration, never in a
 * submission or in the repository.
 */
export function defaultSecretFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(env.HOME || homedir(), '.config');
  return path.join(base, 'dlkata', 'grader-secret');
}

/** The public name of a secret (see {@link GraderSecret.id}). */
export function secretId(key: Buffer): string {
  return createHash('sha256').update('dlkata-grader-secret-id\0').update(key).digest('hex').slice(0, 12);
}

function fromText(text: string, source: string, created: boolean): GraderSecret {
  const t = text.trim();
  if (t.length < MIN_SECRET_LENGTH) throw new UsageError(`the grader secret in ${source} is too short (${t.length} characters; at least ${MIN_SECRET_LENGTH})`);
  const key = Buffer.from(t, 'utf8');
  return { key, id: secretId(key), source, created };
}

/** A new secret's text: 32 random bytes in hex. */
export function newSecretText(): string {
  return `${randomBytes(32).toString('hex')}\n`;
}

/**
 * Loads the instructor's secret (see the module comment for the order).
 *
 * @throws UsageError if the given file cannot be read, or a secret is shorter than {@link MIN_SECRET_LENGTH}
 */
export function loadSecret(opts: SecretOptions = {}): GraderSecret {
  const env = opts.env ?? process.env;
  if (opts.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read the secret file ${opts.file}: ${(e as Error).message}`);
    }
    return fromText(text, opts.file, false);
  }
  const fromEnv = env[SECRET_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromText(fromEnv, `$${SECRET_ENV}`, false);
  const file = defaultSecretFile(env);
  try {
    return fromText(readFileSync(file, 'utf8'), file, false);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || opts.create === false) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`cannot read the grader secret ${file}: ${(e as Error).message}`);
    }
  }
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const text = newSecretText();
  try {
    writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  } catch (e) {
    // Another grader created it first: use theirs.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return fromText(readFileSync(file, 'utf8'), file, false);
    throw new UsageError(`cannot create the grader secret ${file}: ${(e as Error).message}`);
  }
  return fromText(text, file, true);
}

/**
 * SHA-256 over a folder's entries, without following links: each regular file's relative
 * path and bytes, each symbolic link's path and target, each folder's path, in byte order of
 * the names. Every file counts (a file the module imports may hold memoised answers).
 *
 * @param dir - absolute path of the folder (an exercise folder)
 * @returns 64 hex digits; a folder that does not exist hashes like an empty one, with a marker
 */
export function folderDigest(dir: string): string {
  const h = createHash('sha256');
  const walk = (abs: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(abs).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    } catch {
      h.update(`unreadable\0${rel}\0`);
      return;
    }
    for (const name of names) {
      const p = path.join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      if (st.isSymbolicLink()) h.update(`l\0${r}\0${readlinkSync(p)}\0`);
      else if (st.isDirectory()) {
        h.update(`d\0${r}\0`);
        walk(p, r);
      } else if (st.isFile()) {
        const bytes = readFileSync(p);
        h.update(`f\0${r}\0${bytes.length}\0`);
        h.update(bytes);
      } else h.update(`o\0${r}\0`);
    }
  };
  try {
    if (!lstatSync(dir).isDirectory()) h.update('not a folder\0');
    else walk(dir, '');
  } catch {
    h.update('missing\0');
  }
  return h.digest('hex');
}

/**
 * The seed of one exercise of one submission: the first 31 bits of
 * `HMAC-SHA256(secret, "dlkata-grader/exercise-seed/v1" NUL exercise NUL digest)`, where
 * `digest` is {@link folderDigest} of the exercise folder. Each test's seed is then derived
 * from it and the test's id (`testSeed`).
 *
 * @param secret - the instructor's secret bytes
 * @param exercise - the exercise id, e.g. `"02-convolution"`
 * @param digest - {@link folderDigest} of the exercise folder
 * @returns an integer in [0, 2^31 - 1]
 */
export function exerciseSeed(secret: Buffer, exercise: string, digest: string): number {
  const mac = createHmac('sha256', secret).update(`dlkata-grader/exercise-seed/v1\0${exercise}\0${digest}`).digest();
  return mac.readUInt32BE(0) & MAX_SEED;
}
