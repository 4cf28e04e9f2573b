/**
 * Operating-system isolation around the sandboxed child, found once per grader process:
 *
 * - no network: `unshare -n` (or `unshare -rn` without root) gives the child an empty
 *   network namespace. Node 20's permission model does not restrict the network, so this is
 *   the only network barrier; where it is unavailable, grading still works and the report says so.
 * - no signals to other processes: `unshare -p --fork --kill-child` puts the child in its own
 *   PID namespace, where the grader and every other process are invisible. Node 20's permission
 *   model does not restrict `process.kill`, so without it a submission could kill the grader
 *   (never change a score, but end the run). `--kill-child` makes killing `unshare` kill the child.
 * - a memory cap for typed arrays: `prlimit --data` bounds the process's data segment (V8's heap
 *   and `ArrayBuffer`s). `--max-old-space-size` alone does not count `Float64Array` storage.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** How the child is wrapped, and what that enforces. */
export interface Isolation {
  /** Command and arguments placed before `node ...` (empty when nothing is available). */
  readonly prefix: readonly string[];
  /** `isolated` when the child runs in an empty network namespace. */
  readonly network: 'isolated' | 'not isolated';
  /** `isolated` when the child runs in its own PID namespace (cannot signal other processes). */
  readonly processes: 'isolated' | 'not isolated';
  /** The data-segment limit in bytes, or `null` when `prlimit` is unavailable. */
  readonly dataLimitBytes: number | null;
  /** One line per measure that could not be applied, for the report. */
  readonly notes: readonly string[];
}

/** Data-segment limit (V8 heap plus typed arrays) of a child: 1 GiB. */
export const DATA_LIMIT_BYTES = 1024 * 1024 * 1024;

function findExecutable(name: string): string | null {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/bin', '/usr/sbin', '/sbin']);
  for (const dir of dirs) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

function works(cmd: string, args: readonly string[]): boolean {
  const r = spawnSync(cmd, [...args, process.execPath, '-e', ''], { stdio: 'ignore', timeout: 10_000, env: {} });
  return r.status === 0;
}

let cached: Isolation | undefined;

/**
 * Finds which OS measures work on this machine (tried once, then cached).
 *
 * Set `DLKATA_GRADER_NO_OS_ISOLATION=1` to skip them (the permission model, heap limit and time
 * limits still apply).
 */
export function detectIsolation(): Isolation {
  if (cached) return cached;
  const notes: string[] = [];
  let prefix: string[] = [];
  let network: Isolation['network'] = 'not isolated';
  let processes: Isolation['processes'] = 'not isolated';
  let dataLimitBytes: number | null = null;
  if (process.env.DLKATA_GRADER_NO_OS_ISOLATION === '1') {
    notes.push('OS isolation disabled by DLKATA_GRADER_NO_OS_ISOLATION: the child has network access, can signal other processes, and has no typed-array memory cap');
  } else if (process.platform !== 'linux') {
    notes.push(`no network or process isolation and no typed-array memory cap on ${process.platform} (needs Linux unshare and prlimit)`);
  } else {
    const prlimit = findExecutable('prlimit');
    if (prlimit && works(prlimit, [`--data=${DATA_LIMIT_BYTES}`, '--'])) {
      prefix = [prlimit, `--data=${DATA_LIMIT_BYTES}`, '--'];
      dataLimitBytes = DATA_LIMIT_BYTES;
    } else {
      notes.push('prlimit unavailable: typed arrays in the child are not memory-capped (the V8 heap still is)');
    }
    const unshare = findExecutable('unshare');
    const pid = ['-p', '--fork', '--kill-child'];
    const variants = [['-n', ...pid], ['-r', '-n', ...pid], ['-n'], ['-r', '-n']];
    const withPrefix = (flags: string[]): [string, string[]] => (prefix.length ? [prefix[0], [...prefix.slice(1), unshare!, ...flags]] : [unshare!, flags]);
    const variant = unshare ? variants.find((flags) => works(...withPrefix(flags))) : undefined;
    if (unshare && variant) {
      prefix = [...prefix, unshare, ...variant];
      network = 'isolated';
      if (variant.includes('-p')) processes = 'isolated';
      else notes.push('no PID namespace: the child could signal other processes (e.g. kill the grader)');
    } else {
      notes.push('unshare unavailable (no permission to create namespaces): the child has network access and could signal other processes');
    }
  }
  cached = { prefix, network, processes, dataLimitBytes, notes };
  return cached;
}
