/**
 * The grader's temporary folders: removed on every way out of a process (normal end, exit,
 * uncaught exception, SIGINT, SIGTERM), and stale ones of its kinds swept by the next run,
 * never a live grader's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveTempDirs, makeTempDir, removeTempDir, STALE_AFTER_MS, sweepStaleTempDirs } from '../src/sandbox/tempdirs.js';
import { REPO } from './fixtures.js';

const MODULE = path.join(REPO, 'grader/src/sandbox/tempdirs.ts');

/** A pid that was used and has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

/** Runs `body` in a fresh Node process that made a temporary folder first; returns the folder and how the process ended. */
async function inChild(body: string, signal?: NodeJS.Signals): Promise<{ dir: string; code: number | null; signal: NodeJS.Signals | null }> {
  const script = `import { makeTempDir } from ${JSON.stringify(MODULE)};\nconst dir = makeTempDir('dlkata-grade-');\nprocess.stdout.write(dir + '\\n');\n${body}\n`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  const dir = await new Promise<string>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.on('exit', () => resolve(out.split('\n')[0]));
  });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
  if (signal) child.kill(signal);
  return { dir, ...(await ended) };
}

describe('temporary folders', () => {
  it('are named after their kind and owner, recorded, and removed on request', () => {
    const dir = makeTempDir('dlkata-grade-');
    expect(path.basename(dir)).toMatch(new RegExp(`^dlkata-grade-${process.pid}-`));
    expect(liveTempDirs()).toContain(dir);
    expect(existsSync(path.join(dir, '.owner'))).toBe(true);
    removeTempDir(dir);
    expect(existsSync(dir)).toBe(false);
    expect(liveTempDirs()).not.toContain(dir);
  });

  it('are removed when the process ends normally, exits, throws, or gets SIGINT or SIGTERM', async () => {
    const cases: [string, NodeJS.Signals | undefined][] = [
      ['', undefined],
      ['process.exit(3);', undefined],
      ["setTimeout(() => { throw new Error('uncaught'); }, 10);", undefined],
      ['setInterval(() => {}, 1000);', 'SIGINT'],
      ['setInterval(() => {}, 1000);', 'SIGTERM'],
    ];
    for (const [body, signal] of cases) {
      const r = await inChild(body, signal);
      expect(r.dir, body).toMatch(/dlkata-grade-/);
      expect(existsSync(r.dir), `${body} ${signal ?? ''}`).toBe(false);
      // a signal still ends the process the way it would have without the cleanup
      if (signal) expect(r.signal).toBe(signal);
    }
  }, 120_000);

  it('teardown functions run on the same ways out, before the folders go, without stopping a signal from ending the process', async () => {
    const cases: [string, NodeJS.Signals | undefined][] = [
      ['process.exit(3);', undefined],
      ['setInterval(() => {}, 1000);', 'SIGTERM'],
      ['setInterval(() => {}, 1000);', 'SIGHUP'],
    ];
    for (const [body, signal] of cases) {
      // The teardown writes a marker beside the folder (whose parent outlives it) while the folder still exists.
      const marker = path.join(tmpdir(), `dlkata-teardown-test-${process.pid}-${signal ?? 'exit'}`);
      rmSync(marker, { force: true });
      const setup = `import { onTeardown } from ${JSON.stringify(MODULE)};\nimport { existsSync, writeFileSync } from 'node:fs';\nonTeardown(() => writeFileSync(${JSON.stringify(marker)}, String(existsSync(dir))));\nconst off = onTeardown(() => writeFileSync(${JSON.stringify(marker)}, 'unregistered ran'));\noff();\n`;
      const r = await inChild(setup + body, signal);
      expect(existsSync(r.dir), `${body} ${signal ?? ''}`).toBe(false);
      expect(readFileSync(marker, 'utf8'), `${body} ${signal ?? ''}: the folder existed when the teardown ran`).toBe('true');
      if (signal) expect(r.signal).toBe(signal);
      else expect(r.code).toBe(3);
      rmSync(marker, { force: true });
    }
  }, 120_000);

  it('stale ones are swept: a dead owner here, or no change for hours where the owner cannot be checked; live ones stay', () => {
    const made: string[] = [];
    const fake = (kind: string, pid: number, owner: object | null, ageMs = 0): string => {
      const dir = path.join(tmpdir(), `${kind}${pid}-test${made.length}${process.pid}`);
      mkdirSync(dir);
      if (owner) writeFileSync(path.join(dir, '.owner'), JSON.stringify(owner));
      if (ageMs > 0) {
        const t = (Date.now() - ageMs) / 1000;
        utimesSync(dir, t, t);
      }
      made.push(dir);
      return dir;
    };
    const dead = deadPid();
    const here = (pid: number): object => ({ pid, host: hostname(), pidns: readNs() });
    const deadHere = fake('dlkata-grade-', dead, here(dead));
    const deadClass = fake('dlkata-class-', dead, here(dead));
    const liveHere = fake('dlkata-grade-', process.ppid, here(process.ppid), 2 * STALE_AFTER_MS);
    const elsewhereRecent = fake('dlkata-sandbox-', dead, { pid: dead, host: 'another-host', pidns: 'x' });
    const elsewhereOld = fake('dlkata-sandbox-', dead, { pid: dead, host: 'another-host', pidns: 'x' }, STALE_AFTER_MS + 60_000);
    const notOurs = fake('dlkata-grader-test-', dead, null, 2 * STALE_AFTER_MS);
    try {
      const removed = sweepStaleTempDirs();
      expect(removed).toEqual(expect.arrayContaining([deadHere, deadClass, elsewhereOld]));
      for (const d of [liveHere, elsewhereRecent, notOurs]) expect(removed, d).not.toContain(d);
      expect(existsSync(liveHere) && existsSync(elsewhereRecent) && existsSync(notOurs)).toBe(true);
      expect(existsSync(deadHere) || existsSync(deadClass) || existsSync(elsewhereOld)).toBe(false);
    } finally {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    }
    expect(readdirSync(tmpdir()).filter((d) => d.includes(`test0${process.pid}`))).toEqual([]);
  });
});

function readNs(): string {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
}
