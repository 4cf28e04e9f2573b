/**
 * `pnpm progress` leaves no temporary folder behind when it is stopped with Ctrl-C (SIGINT to
 * its process group) or SIGTERM, and sweeps the folders of its own kind that an earlier run,
 * killed outright, left behind. Run with a private TMPDIR, on the solutions (read only).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(path.join(tmpdir(), 'dlkata-progress-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ENV = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: '1' };
for (const k of ['INIT_CWD', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID', 'NODE_ENV']) delete (ENV as Record<string, string | undefined>)[k];

function pidns(): string {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
}

const progressDirs = (dir: string): string[] => readdirSync(dir).filter((n) => n.startsWith('dlkata-progress-'));

interface Run {
  readonly child: ChildProcess;
  /** What it printed so far, stdout and stderr. */
  out(): string;
  /** How it ended. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `pnpm progress` on the solutions of exercise 03, through tsx, in its own process group, with TMPDIR `tmp`. */
function startProgress(tmp: string): Run {
  const child = spawn(path.join(REPO, 'node_modules/.bin/tsx'), [path.join(REPO, 'scripts/progress.ts'), 'solutions/03-pooling', '--no-points'], {
    cwd: REPO,
    env: { ...ENV, TMPDIR: tmp },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, out: () => out, closed };
}

/** Polls `found` every 50 ms until it is non-empty or `ms` have passed; returns its last value. */
async function waitFor<T>(found: () => T[], ms: number): Promise<T[]> {
  const deadline = Date.now() + ms;
  let v = found();
  while (v.length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    v = found();
  }
  return v;
}

/** Starts `pnpm progress`, waits for its temporary folder, sends `signal` to the group. */
function stopMidRun(tmp: string, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; seen: string[]; out: string }> {
  return new Promise((resolve, reject) => {
    const { child, out: printed, closed } = startProgress(tmp);
    let seen: string[] = [];
    const deadline = Date.now() + 180_000;
    const poll = setInterval(() => {
      seen = progressDirs(tmp).filter((n) => n.startsWith(`dlkata-progress-${child.pid}-`) || !n.includes('-999999-'));
      if (seen.length > 0) {
        clearInterval(poll);
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // already gone
        }
      } else if (Date.now() > deadline) {
        clearInterval(poll);
        process.kill(-child.pid!, 'SIGKILL');
        reject(new Error(`no dlkata-progress- folder appeared:\n${printed()}`));
      }
    }, 50);
    void closed.then(({ code, signal: sig }) => {
      clearInterval(poll);
      resolve({ code, signal: sig, seen, out: printed() });
    });
  });
}

/** Pids of running processes whose command line contains `needle` (Linux /proc; empty elsewhere). */
function pidsWith(needle: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const n of entries) {
    try {
      if (readFileSync(`/proc/${n}/cmdline`, 'utf8').includes(needle)) found.push(Number(n));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe('pnpm progress and its temporary folder', () => {
  test.runIf(existsSync('/proc/self/cmdline'))('Ctrl-C ends vitest before pnpm progress handles its own copy: it stops as interrupted (130), not "vitest did not run", and removes its folder', async () => {
    const tmp = path.join(work, 'vitest-first');
    mkdirSync(tmp);
    const run = startProgress(tmp);
    // The vitest run writes its results into this run's folder: its command line names it.
    const vitest = await waitFor(() => pidsWith(path.join(tmp, 'dlkata-progress-')).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('vitest')), 180_000);
    expect(vitest.length, run.out()).toBeGreaterThan(0);
    for (const pid of vitest) {
      try {
        process.kill(pid, 'SIGINT'); // the vitest process alone, as if it had handled the group's Ctrl-C first
      } catch {
        // already gone
      }
    }
    const r = await run.closed;
    expect(r.code === 130 || r.signal === 'SIGINT', `exit ${r.code} ${r.signal}: ${run.out()}`).toBe(true);
    expect(run.out()).not.toMatch(/vitest did not run/);
    expect(progressDirs(tmp), run.out()).toEqual([]);
  }, 240_000);

  test.runIf(existsSync('/proc/self/cmdline'))('SIGTERM to pnpm progress alone (not its group): vitest is stopped too, so no folder comes back after the run ends', async () => {
    const tmp = path.join(work, 'term-alone');
    mkdirSync(tmp);
    const run = startProgress(tmp);
    const running = () => pidsWith(path.join(tmp, 'dlkata-progress-'));
    expect((await waitFor(running, 180_000)).length, run.out()).toBeGreaterThan(0);
    process.kill(run.child.pid!, 'SIGTERM');
    const r = await run.closed;
    expect(r.code === 143 || r.signal === 'SIGTERM', `exit ${r.code} ${r.signal}: ${run.out()}`).toBe(true);
    // A vitest left running would finish its run and write results.json, making the folder again.
    const until = Date.now() + 15_000;
    while (running().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(running(), 'vitest still running').toEqual([]);
    expect(progressDirs(tmp), run.out()).toEqual([]);
  }, 240_000);

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    test(`stopped with ${signal} mid-run: the folder is removed; a stale one of an ended run is swept at start`, async () => {
      const tmp = path.join(work, signal);
      mkdirSync(tmp);
      // A folder left by a run killed outright (its pid no longer runs here), and one of another tool.
      const stale = path.join(tmp, 'dlkata-progress-999999-abcdef');
      mkdirSync(stale);
      writeFileSync(path.join(stale, '.owner'), `${JSON.stringify({ pid: 999999, host: hostname(), pidns: pidns() })}\n`);
      mkdirSync(path.join(tmp, 'someone-else-123'));
      const r = await stopMidRun(tmp, signal);
      expect(r.seen.length, r.out).toBeGreaterThan(0);
      expect(r.code === code || r.signal === signal, `exit ${r.code} ${r.signal}: ${r.out}`).toBe(true);
      expect(progressDirs(tmp), r.out).toEqual([]);
      expect(readdirSync(tmp)).toContain('someone-else-123');
    }, 240_000);
  }
});
