/**
 * The grader's temporary folders (`dlkata-grade-*`, `dlkata-class-*`, `dlkata-sandbox-*`, ...):
 * made in one place, removed on every way out of the process, and swept when an earlier run
 * could not remove them.
 *
 * - Every folder made with {@link makeTempDir} is registered and removed by
 *   {@link removeTempDir}, and otherwise when the process exits: normally, through
 *   `process.exit`, after an uncaught exception, or on SIGINT, SIGTERM or SIGHUP (where the
 *   process then ends as the signal would have ended it, unless the program handles the signal
 *   itself). Only SIGKILL leaves folders behind.
 * - Names carry the owner's pid, `dlkata-grade-<pid>-XXXXXX`, and a `.owner` file its host and
 *   PID namespace. {@link sweepStaleTempDirs} removes folders of the grader's own kinds whose
 *   owner, on this host and in this PID namespace, is no longer running, and any of them not
 *   modified for {@link STALE_AFTER_MS} (an owner elsewhere, whose liveness cannot be checked).
 *
 * @module
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Kinds of temporary folder the grader makes (the prefixes it sweeps); `dlkata-progress-` is
 * `pnpm progress`'s, made and swept through this module too.
 */
export const TEMP_KINDS = ['dlkata-grade-', 'dlkata-class-', 'dlkata-sandbox-', 'dlkata-preflight-', 'dlkata-progress-'] as const;

/** A folder whose owner cannot be checked is stale after this long without a change: 6 hours, in ms. */
export const STALE_AFTER_MS = 6 * 60 * 60 * 1000;

const live = new Set<string>();
let hooked = false;

function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
}

/** Who owns a folder: enough to tell whether its process can be checked from here. */
interface Owner {
  readonly pid: number;
  readonly host: string;
  readonly pidns: string;
}

function me(): Owner {
  return { pid: process.pid, host: hostname(), pidns: pidNamespace() };
}

/** Functions to run on the way out, before the folders are removed (see {@link onTeardown}). */
const teardowns = new Set<() => void>();

/**
 * Runs `fn` when the process leaves by any of the ways that remove the folders (normal exit,
 * `process.exit`, SIGINT, SIGTERM, SIGHUP), just before they are removed: for example to stop a
 * child process that would otherwise outlive this one and write into a removed folder. It does
 * not add a signal listener of its own (the signals still end the process). Returns a function
 * that unregisters `fn` (call it once the child has ended).
 */
export function onTeardown(fn: () => void): () => void {
  hook();
  teardowns.add(fn);
  return () => {
    teardowns.delete(fn);
  };
}

function removeAllNow(): void {
  for (const fn of [...teardowns]) {
    try {
      fn();
    } catch {
      // best effort on the way out
    }
  }
  teardowns.clear();
  for (const dir of live) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort on the way out
    }
  }
  live.clear();
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', removeAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      removeAllNow();
      // Alone, this listener would stop the signal's default action (ending the process): when
      // nobody else handles the signal, end the process the way the signal would have.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

/**
 * Makes a fresh temporary folder `<tmpdir>/<prefix><pid>-XXXXXX`, readable by others (a child
 * may run as another user), removed when the process ends if not before.
 *
 * @param prefix - one of {@link TEMP_KINDS}
 * @returns its real path
 */
export function makeTempDir(prefix: (typeof TEMP_KINDS)[number]): string {
  hook();
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), `${prefix}${process.pid}-`)));
  live.add(dir);
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, '.owner'), `${JSON.stringify(me())}\n`);
  return dir;
}

/** Removes a folder made by {@link makeTempDir} (and forgets it). */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  live.delete(dir);
}

/** The folders made by {@link makeTempDir} and not removed yet. */
export function liveTempDirs(): string[] {
  return [...live];
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes stale temporary folders of the grader's kinds ({@link TEMP_KINDS}) from the system's
 * temporary folder: those whose owning process, on this host and in this PID namespace, has
 * ended, and those unchanged for `staleAfterMs` whose owner cannot be checked from here. Never
 * removes this process's folders or those of a running grader here.
 *
 * @param staleAfterMs - age after which an uncheckable folder is stale (default {@link STALE_AFTER_MS})
 * @param now - the current time, ms since the epoch
 * @returns the folders removed
 */
export function sweepStaleTempDirs(staleAfterMs = STALE_AFTER_MS, now = Date.now()): string[] {
  const removed: string[] = [];
  const self = me();
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return removed;
  }
  for (const name of names) {
    const kind = TEMP_KINDS.find((k) => name.startsWith(k));
    if (!kind) continue;
    const m = /^(\d+)-/.exec(name.slice(kind.length));
    if (!m) continue;
    const pid = Number(m[1]);
    const dir = path.join(tmpdir(), name);
    let owner: Partial<Owner> = {};
    let mtime: number;
    try {
      const st = statSync(dir);
      if (!st.isDirectory()) continue;
      mtime = st.mtimeMs;
      owner = JSON.parse(readFileSync(path.join(dir, '.owner'), 'utf8')) as Partial<Owner>;
    } catch {
      // no owner file (an older grader, or still being made): judged by age alone, unless the pid is ours
      try {
        mtime = statSync(dir).mtimeMs;
      } catch {
        continue;
      }
    }
    if (pid === self.pid && owner.host === self.host) continue;
    const checkable = owner.host === self.host && owner.pidns === self.pidns;
    const stale = checkable ? !pidAlive(pid) : now - mtime > staleAfterMs;
    if (!stale) continue;
    try {
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // another process's folder we may not remove; leave it
    }
  }
  return removed;
}
