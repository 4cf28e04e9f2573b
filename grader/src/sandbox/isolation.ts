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
 * - a CPU-time cap (`prlimit --cpu`), and `setpriv --pdeathsig KILL`: a child never outlives the
 *   grader. If the grader is killed (even with SIGKILL), the kernel kills the wrapper, and
 *   `unshare --kill-child` the child; a child spinning in a loop nobody waits for any more stops
 *   after {@link cpuLimitSeconds} at the latest.
 *
 * - an unprivileged user: when the grader runs as root, the child runs as `nobody`
 *   (`setpriv --reuid`), so even without a PID namespace it cannot signal the grader, and file
 *   permissions back up Node's permission model.
 *
 * The child is also started in its own session and process group (`detached`), so that
 * `process.kill(0)` or `process.kill(process.ppid)` (`ppid` is 0 inside a PID namespace, and
 * `kill(0)` means "my process group") reaches only the child's own wrapper, never the grader.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
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
  /** True when the child is killed by the kernel as soon as the grader dies (`setpriv --pdeathsig`). */
  readonly diesWithGrader: boolean;
  /** True when the child runs as the unprivileged user `nobody` (the grader runs as root). */
  readonly unprivileged: boolean;
  /** One line per measure that could not be applied, for the report. */
  readonly notes: readonly string[];
}

/** The user and group id a child runs as when the grader is root (`nobody`). */
export const NOBODY = 65534;

/** Data-segment limit (V8 heap plus typed arrays) of a child: 1 GiB. */
export const DATA_LIMIT_BYTES = 1024 * 1024 * 1024;

/**
 * CPU seconds a child may use over its whole life (all the calls of one exercise): 20 times the
 * per-call limit, at least 60 s. A correct solution uses about a second; the cap only matters
 * for a child whose grader is gone, or one that burns CPU between calls.
 */
export function cpuLimitSeconds(timeoutMs: number): number {
  return Math.max(60, Math.ceil(timeoutMs / 1000) * 20);
}

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

/**
 * True if `cmd args... program` runs and exits 0. The probe program is `true` (cheap) while the
 * measures are tried one by one, and Node itself for the final check.
 */
function works(cmd: string, args: readonly string[], program: readonly string[] = [findExecutable('true') ?? process.execPath, ...(findExecutable('true') ? [] : ['-e', ''])]): boolean {
  const r = spawnSync(cmd, [...args, ...program], { stdio: 'ignore', timeout: 10_000, env: {}, cwd: tmpdir() });
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
  let diesWithGrader = false;
  let unprivileged = false;
  if (process.env.DLKATA_GRADER_NO_OS_ISOLATION === '1') {
    notes.push('OS isolation disabled by DLKATA_GRADER_NO_OS_ISOLATION: the child has network access, can signal other processes, and has no typed-array memory cap');
  } else if (process.platform !== 'linux') {
    notes.push(`no network or process isolation and no typed-array memory cap on ${process.platform} (needs Linux unshare and prlimit)`);
  } else {
    const setpriv = findExecutable('setpriv');
    // Each measure is tried with the ones before it, and kept only if a child still starts.
    const tryWith = (extra: string[]): boolean => {
      const all = [...prefix, ...extra];
      return works(all[0], all.slice(1));
    };
    if (setpriv && tryWith([setpriv, '--pdeathsig', 'KILL', '--'])) {
      prefix = [setpriv, '--pdeathsig', 'KILL', '--'];
      diesWithGrader = true;
    } else {
      notes.push('setpriv unavailable: a child whose grader was killed runs on until its CPU limit');
    }
    const prlimit = findExecutable('prlimit');
    if (prlimit && tryWith([prlimit, `--data=${DATA_LIMIT_BYTES}`, '--'])) {
      prefix = [...prefix, prlimit, `--data=${DATA_LIMIT_BYTES}`, '--'];
      dataLimitBytes = DATA_LIMIT_BYTES;
    } else {
      notes.push('prlimit unavailable: typed arrays in the child are not memory-capped (the V8 heap still is), and its CPU time is not capped');
    }
    const unshare = findExecutable('unshare');
    const pid = ['-p', '--fork', '--kill-child'];
    const variants = [['-n', ...pid], ['-r', '-n', ...pid], ['-n'], ['-r', '-n']];
    const variant = unshare ? variants.find((flags) => tryWith([unshare, ...flags])) : undefined;
    if (unshare && variant) {
      prefix = [...prefix, unshare, ...variant];
      network = 'isolated';
      if (variant.includes('-p')) processes = 'isolated';
    }
    // Run as nobody when the grader is root: the child can then neither signal the grader nor
    // read files that only root may read, even where namespaces are unavailable (a container).
    // Changing the user clears the parent-death signal that `unshare --kill-child` set, so it is
    // set again after the change: the child still dies with its wrapper.
    const drop = [setpriv!, `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--pdeathsig', 'KILL', '--'];
    if (setpriv && process.getuid?.() === 0 && tryWith(drop)) {
      prefix = [...prefix, ...drop];
      unprivileged = true;
    }
    // The whole chain must still start Node (it may be unreadable for nobody, for instance).
    if (prefix.length > 0 && !works(prefix[0], prefix.slice(1), [process.execPath, '-e', ''])) {
      notes.push(`the OS measures (${prefix.map((p) => path.basename(p)).filter((p) => !p.startsWith('-')).join(', ')}) do not start Node here; none is applied`);
      prefix = [];
      network = 'not isolated';
      processes = 'not isolated';
      dataLimitBytes = null;
      diesWithGrader = false;
      unprivileged = false;
    }
    if (network !== 'isolated') notes.push('unshare unavailable (no permission to create namespaces): the child has network access');
    if (processes !== 'isolated') {
      notes.push(
        unprivileged
          ? 'no PID namespace, but the child runs as an unprivileged user and cannot signal the grader'
          : 'no PID namespace: the child could signal other processes of the same user (e.g. kill the grader)',
      );
    }
  }
  cached = { prefix, network, processes, dataLimitBytes, diesWithGrader, unprivileged, notes };
  return cached;
}
