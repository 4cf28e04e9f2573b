/**
 * Hostile submissions (see `hostile/`): each is a real solution with one attack planted in it.
 * They are graded together in one class run, next to a correct submission, and each must get
 * exactly its expected outcome: no points for the attacked tests, every other test graded as
 * usual, the run finished in bounded time, no file outside the temporary folders changed, and
 * the correct submission untouched by its neighbours.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectIsolation, gradeClass, type ClassResult, type ExerciseResult } from '../src/index.js';
import { REPO, SEED } from './fixtures.js';
import { HOSTILE, type HostileFixture } from './hostile/index.js';

const EXERCISES = ['01-gradient-check', '03-pooling'];
const TIMEOUT_MS = 3000; // per call: long enough for honest work on a busy machine, short enough for the loops
const iso = detectIsolation();
/** The fixtures this machine can run safely (see `HostileFixture.requires`). */
const RUNNABLE = HOSTILE.filter((f) => f.requires !== 'signals' || iso.processes === 'isolated' || iso.unprivileged);

let root: string;
let canary: string;
let server: Server;
let port: number;
let connections = 0;
let result: ClassResult;
let elapsedMs: number;
let before: { submissions: string; canary: string; solutions: string };

/** sha256 over a folder's files and links (names, contents, link targets), recursively. */
function treeHash(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      h.update(`${rel}/${e.name}\0`);
      if (e.isDirectory()) walk(p, `${rel}/${e.name}`);
      else if (e.isFile()) h.update(readFileSync(p));
    }
  };
  walk(dir, '');
  return h.digest('hex');
}

function fill(text: string): string {
  return text.replaceAll('__REPO__', REPO).replaceAll('__CANARY__', canary).replaceAll('__PORT__', String(port));
}

function copySolution(exercise: string, dest: string): void {
  cpSync(path.join(REPO, 'solutions', exercise), path.join(dest, exercise), { recursive: true, filter: (f) => !f.endsWith('.test.ts') });
}

function build(f: HostileFixture, classDir: string): void {
  const dir = path.join(classDir, f.name);
  copySolution(f.exercise, dir);
  for (const p of f.plants) {
    const file = path.join(dir, f.exercise, p.file);
    const text = readFileSync(file, 'utf8');
    const n = text.split(p.find).length - 1;
    if (n !== 1) throw new Error(`hostile fixture ${f.name}: the anchor occurs ${n} times in ${f.exercise}/${p.file}: ${JSON.stringify(p.find)}`);
    writeFileSync(file, text.replace(p.find, () => fill(p.replace)));
  }
  for (const [name, content] of Object.entries(f.files ?? {})) {
    const target = path.join(dir, f.exercise, name);
    rmSync(target, { force: true });
    if (content.startsWith('symlink:')) symlinkSync(fill(content.slice('symlink:'.length)), target);
    else if (content.startsWith('hardlink:')) linkSync(fill(content.slice('hardlink:'.length)), target);
    else if (content === 'fifo:') execFileSync('mkfifo', [target]);
    else writeFileSync(target, fill(content));
  }
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'dlkata-hostile-'));
  canary = path.join(root, 'canary');
  mkdirSync(canary);
  writeFileSync(path.join(canary, 'existing.txt'), 'original');
  server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  const classDir = path.join(root, 'class');
  for (const ex of EXERCISES) copySolution(ex, path.join(classDir, 'control'));
  for (const f of RUNNABLE) build(f, classDir);
  before = {
    submissions: treeHash(classDir),
    canary: treeHash(canary),
    solutions: treeHash(path.join(REPO, 'solutions', '01-gradient-check')) + treeHash(path.join(REPO, 'solutions', '03-pooling')),
  };
  const t0 = Date.now();
  result = await gradeClass(classDir, { out: path.join(root, 'out'), seed: SEED, timeoutMs: TIMEOUT_MS, exercises: EXERCISES, jobs: 2 });
  elapsedMs = Date.now() - t0;
}, 300_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (root) rmSync(root, { recursive: true, force: true });
});

function exerciseOf(name: string, id: string): ExerciseResult {
  const sub = result.report.submissions.find((s) => s.name === name);
  if (!sub) throw new Error(`no submission ${name}`);
  const ex = sub.exercises.find((e) => e.id === id);
  if (!ex) throw new Error(`no exercise ${id} in ${name}`);
  return ex;
}

describe('hostile submissions', () => {
  it(`there are at least 15 of them (${HOSTILE.length})`, () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(15);
    expect(new Set(HOSTILE.map((f) => f.name)).size).toBe(HOSTILE.length);
  });

  it('the correct submission graded next to them gets full marks', () => {
    const control = result.report.submissions.find((s) => s.name === 'control')!;
    for (const ex of control.exercises) for (const t of ex.tests) expect(t.status, `${ex.id}/${t.id}: ${t.feedback}`).toBe('passed');
    expect(control.score).toBe(control.maxScore);
  });

  for (const f of HOSTILE) {
    it.skipIf(!RUNNABLE.includes(f))(`${f.name}: ${f.attack}`, () => {
      const ex = exerciseOf(f.name, f.exercise);
      const lose = f.expect.lose === 'all' ? ex.tests.map((t) => t.id) : f.expect.lose;
      for (const t of ex.tests) {
        if (lose.includes(t.id)) {
          expect(t.points, `${t.id} must get no points`).toBe(0);
          if (f.expect.status) expect(f.expect.status, `${t.id}: ${t.status}: ${t.feedback}`).toContain(t.status);
          for (const m of f.expect.feedback ?? []) {
            if (typeof m === 'string') expect(t.feedback, t.id).toContain(m);
            else expect(t.feedback, t.id).toMatch(m);
          }
        } else {
          expect(t.status, `${t.id} must be graded as usual: ${t.feedback}`).toBe('passed');
          expect(t.points).toBe(t.maxPoints);
        }
      }
      const text = JSON.stringify(ex);
      for (const m of f.expect.notInFeedback ?? []) {
        if (typeof m === 'string') expect(text).not.toContain(m);
        else expect(text).not.toMatch(m);
      }
    });
  }
});

describe('the grader under attack', () => {
  it('finishes in bounded time, every submission in its own bounded time', () => {
    expect(result.graded.length).toBe(RUNNABLE.length + 1);
    expect(elapsedMs).toBeLessThan(240_000);
    const run = JSON.parse(readFileSync(path.join(root, 'out', 'run.json'), 'utf8')) as { timings: { submission: string; durationMs: number }[] };
    for (const t of run.timings) expect(t.durationMs, t.submission).toBeLessThan(60_000);
  });

  it('no file outside the temporary folders changed: not the submissions, not the canary folder, not the solutions', () => {
    expect(treeHash(path.join(root, 'class'))).toBe(before.submissions);
    expect(treeHash(canary)).toBe(before.canary);
    expect(readFileSync(path.join(canary, 'existing.txt'), 'utf8')).toBe('original');
    expect(treeHash(path.join(REPO, 'solutions', '01-gradient-check')) + treeHash(path.join(REPO, 'solutions', '03-pooling'))).toBe(before.solutions);
    expect(existsSync(path.join(REPO, 'grader', '.hostile-canary'))).toBe(false);
    expect(existsSync('/tmp/.dlkata-hostile-canary')).toBe(false);
  });

  it.runIf(iso.network === 'isolated')('no connection reached a server on 127.0.0.1', () => {
    expect(connections).toBe(0);
  });

  it("the grader's own globals are untouched by the children's patches", () => {
    expect(({} as Record<string, unknown>).points).toBeUndefined();
    expect(({} as Record<string, unknown>).keep).toBeUndefined();
    expect(Math.abs(-2)).toBe(2);
    expect(JSON.stringify({ a: 1 })).toBe('{"a":1}');
    expect([1, 2].every((x) => x > 1)).toBe(false);
  });

  it.runIf(process.platform === 'linux')('no child process is left running', () => {
    const mine = `dlkata-class-${process.pid}-`;
    const left = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(mine);
        } catch {
          return false;
        }
      });
    expect(left).toEqual([]);
  });

  it('the class outputs list every submission once', () => {
    const csv = readFileSync(result.files.csv, 'utf8').trim().split('\r\n');
    expect(csv).toHaveLength(RUNNABLE.length + 2);
    expect(readFileSync(result.files.summary, 'utf8')).toContain('## Most common failures');
  });
});
