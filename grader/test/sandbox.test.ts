/**
 * The sandbox from the outside: what a hostile module can and cannot do, and that nothing it
 * sends except a reply to the pending request is taken as an answer.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tensor } from '@dlkata/tensor';
import { bundleExercise, decodeTensor, detectIsolation, ExerciseSandbox, InvalidOutputError, NOBODY, Sandbox, TestFailure } from '../src/index.js';
import { REPO } from './fixtures.js';

const HOSTILE = `
import { readFileSync, writeFileSync, writeSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { NotImplementedError, Tensor } from '@dlkata/tensor';
import { helper } from './helper';

const code = (e: unknown): string => (e as { code?: string }).code ?? (e as Error).name;

export function readFile(p: string): string {
  try { return readFileSync(p === 'self' ? __filename : p, 'utf8').slice(0, 20); } catch (e) { return code(e); }
}
export function writeFile(p: string): string {
  try { writeFileSync(p, 'x'); return 'written'; } catch (e) { return code(e); }
}
export function spawnProcess(): string {
  try { execSync('true'); return 'spawned'; } catch (e) { return code(e); }
}
export function interfaces(): string[] { return Object.keys(networkInterfaces()); }
export function signal(pid: number): string {
  try { process.kill(pid, 0); return 'can signal'; } catch (e) { return code(e); }
}
export function heapBomb(): number { const a: number[][] = []; for (;;) a.push([Math.random(), 1, 2, 3]); }
export function environment(): string[] { return Object.keys(process.env); }
export function whoami(): number { return process.getuid ? process.getuid() : -1; }
export function killGroup(): string {
  const r: string[] = [];
  for (const pid of [0, process.ppid, -1]) { try { process.kill(pid, 'SIGTERM'); r.push('sent'); } catch (e) { r.push(code(e)); } }
  return r.join(',');
}
export function evaluate(): string {
  try { return String(eval('1 + 1')); } catch (e) { return code(e); }
}
export function bigArray(): number {
  const a = new Float64Array(2e8); // 1.6 GB
  a.fill(1);
  return a.length;
}
export function forge(): string {
  writeSync(3, 'not a frame at all');
  return 'real';
}
export function patchIntrinsics(): string {
  const fs = require('node:fs');
  fs.writeSync = () => 0;
  fs.readSync = () => 0;
  Object.defineProperty(Object.getPrototypeOf(Uint8Array).prototype, 'length', { get() { return 0; } });
  DataView.prototype.setUint32 = function () {};
  DataView.prototype.getUint32 = function () { return 0; };
  JSON.stringify = () => '{}';
  return 'patched';
}
export function echo(x: unknown): unknown { return x; }
export function zeros(n: number): Tensor { return Tensor.zeros([n]); }
export function fakeTensor(): unknown { return { $tensor: 1, shape: [2], data: [1, 2] }; }
export function wrongData(): Tensor { return new Tensor([1, 2] as unknown as Float64Array, [2]); }
export function throwsString(): never { throw 'a string'; }
export function todo(): never { throw new NotImplementedError('write todo'); }
export function sleepy(): number { const end = Date.now() + 60_000; while (Date.now() < end) {} return 1; }
export function useHelper(): number { return helper(); }
export function keepIt(): { value: Tensor; secret: { n: number } } { return { value: Tensor.ones([1]), secret: { n: 42 } }; }
export function readSecret(s: { n: number }): number { return s.n; }
`;

let dir: string;
let bundle: string;
let sandbox: Sandbox;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dlkata-sandbox-test-'));
  const ex = path.join(dir, 'sub', '01-hostile');
  mkdirSync(ex, { recursive: true });
  writeFileSync(path.join(ex, 'hostile.ts'), HOSTILE);
  writeFileSync(path.join(ex, 'helper.ts'), 'export const helper = (): number => 7;\n');
  mkdirSync(path.join(dir, 'out'));
  const b = await bundleExercise(ex, ['hostile.ts'], path.join(dir, 'out'));
  if (!b.ok) throw new Error(b.message);
  bundle = b.file;
  sandbox = new Sandbox(bundle, { timeoutMs: 3000 });
  const started = await sandbox.start();
  expect(started.kind).toBe('ready');
});

afterAll(async () => {
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function value(fn: string, ...args: unknown[]): Promise<unknown> {
  const o = await sandbox.call(fn, args);
  if (o.kind !== 'ok') throw new Error(`${fn}: ${JSON.stringify(o)}`);
  return o.value;
}

describe('what the child may do', () => {
  it('reads its own bundle but no other file (not the solutions, not the grader)', async () => {
    expect(await value('readFile', 'self')).not.toBe('ERR_ACCESS_DENIED');
    expect(await value('readFile', path.join(REPO, 'solutions/02-convolution/conv.ts'))).toBe('ERR_ACCESS_DENIED');
    expect(await value('readFile', path.join(REPO, 'grader/src/grade.ts'))).toBe('ERR_ACCESS_DENIED');
    expect(await value('readFile', '/etc/passwd')).toBe('ERR_ACCESS_DENIED');
  });

  it('cannot write files, start processes, evaluate strings as code, or see the environment', async () => {
    expect(await value('writeFile', path.join(dir, 'pwned'))).toBe('ERR_ACCESS_DENIED');
    expect(await value('spawnProcess')).toBe('ERR_ACCESS_DENIED');
    expect(await value('evaluate')).toBe('EvalError');
    expect(await value('environment')).toEqual([]);
  });

  it.runIf(detectIsolation().network === 'isolated')('has no network interfaces', async () => {
    expect(await value('interfaces')).toEqual([]);
  });

  it.runIf(detectIsolation().processes === 'isolated')('cannot signal the grader (or any process outside its PID namespace)', async () => {
    expect(await value('signal', process.pid)).toBe('ESRCH');
  });

  it.runIf(detectIsolation().unprivileged)('runs as nobody when the grader is root', async () => {
    expect(await value('whoami')).toBe(NOBODY);
  });

  it('cannot reach the grader with process.kill(0), process.kill(ppid) or process.kill(-1)', async () => {
    let signalled = 0;
    const onTerm = (): void => {
      signalled++;
    };
    process.on('SIGTERM', onTerm);
    try {
      await sandbox.call('killGroup', []);
      await new Promise((r) => setTimeout(r, 200));
      expect(signalled).toBe(0);
    } finally {
      process.off('SIGTERM', onTerm);
    }
    // the child may have ended itself; the next test gets a fresh one if so
    if (!sandbox.alive) {
      sandbox = new Sandbox(bundle, { timeoutMs: 3000 });
      expect((await sandbox.start()).kind).toBe('ready');
    }
  });

  it.runIf(detectIsolation().dataLimitBytes !== null)('cannot allocate typed arrays beyond the memory cap', async () => {
    const o = await sandbox.call('bigArray', []);
    expect(o.kind).toBe('threw');
    expect(o.kind === 'threw' && o.error.name).toBe('RangeError');
  });

  it('bundles files of its own exercise folder', async () => {
    expect(await value('useHelper')).toBe(7);
  });
});

describe('what the parent accepts', () => {
  it('keeps answering after the module patches the functions and intrinsics the channel uses', async () => {
    const own = new Sandbox(bundle, { timeoutMs: 3000 });
    try {
      expect((await own.start()).kind).toBe('ready');
      expect((await own.call('patchIntrinsics', [])).kind).toBe('ok');
      for (const x of ['still here', -0, Number.NaN, { deep: [1, 'two', null, { three: true }] }]) {
        const o = await own.call('echo', [x]);
        expect(o).toEqual({ kind: 'ok', value: x });
      }
    } finally {
      await own.close();
    }
  });

  it('stops a child that writes to the channel itself, and says so', async () => {
    const o = await sandbox.call('forge', []);
    expect(o.kind).toBe('channel');
    expect(o.kind === 'channel' && o.message).toMatch(/broke the protocol during forge: it sent a frame header announcing \d+ bytes, more than the limit/);
    expect(sandbox.alive).toBe(false);
    sandbox = new Sandbox(bundle, { timeoutMs: 3000 });
    expect((await sandbox.start()).kind).toBe('ready');
  });

  it('receives tensors as raw records, validated only by the parent', async () => {
    const t = decodeTensor(await value('zeros', 3), 'zeros', { shape: [3] });
    expect(t).toBeInstanceOf(Tensor);
    await expect(value('fakeTensor').then((v) => decodeTensor(v, 'fakeTensor: out'))).rejects.toThrow(InvalidOutputError);
    await expect(value('fakeTensor').then((v) => decodeTensor(v, 'fakeTensor: out'))).rejects.toThrow('must hold its numbers in a Float64Array');
    await expect(value('wrongData').then((v) => decodeTensor(v, 'wrongData: out'))).rejects.toThrow('must hold its numbers in a Float64Array, got a plain array of length 2');
  });

  it('keeps opaque objects in the child and passes handles back', async () => {
    const o = await sandbox.call('keepIt', [], ['secret']);
    expect(o.kind).toBe('ok');
    const v = (o as { value: { secret: unknown; value: unknown } }).value;
    expect(v.secret).toEqual({ $handle: expect.any(Number) });
    expect(await value('readSecret', v.secret)).toBe(42);
    const bad = await sandbox.call('readSecret', [{ $handle: 99999 }]);
    expect(bad.kind).toBe('protocol');
  });

  it('reports throws, missing exports and non-functions without crashing', async () => {
    const s = await sandbox.call('throwsString', []);
    expect(s).toMatchObject({ kind: 'threw', error: { name: 'thrown value', message: 'string a string' } });
    expect(await sandbox.call('nope', [])).toMatchObject({ kind: 'missing-export' });
    const todo = await sandbox.call('todo', []);
    expect(todo).toMatchObject({ kind: 'threw', error: { name: 'NotImplementedError', message: 'TODO: write todo' } });
  });
});

describe('an exercise sandbox maps outcomes to test failures', () => {
  it('a TODO, a throw, a missing export and a timeout each become the right status', async () => {
    const exercise = new ExerciseSandbox(bundle, path.join(dir, 'sub'), { timeoutMs: 500 });
    try {
      const failure = async (fn: string): Promise<TestFailure> => {
        try {
          await exercise.call(fn, []);
        } catch (e) {
          if (e instanceof TestFailure) return e;
          throw e;
        }
        throw new Error(`${fn} did not fail`);
      };
      expect(await failure('todo')).toMatchObject({ status: 'todo', message: 'TODO: write todo (not implemented yet)', fatal: true });
      expect(await failure('throwsString')).toMatchObject({ status: 'error', fatal: false });
      expect(await failure('missing')).toMatchObject({ status: 'error', fatal: true });
      const t0 = Date.now();
      expect(await failure('sleepy')).toMatchObject({ status: 'timeout', message: 'timed out after 500 ms in sleepy', fatal: true });
      expect(Date.now() - t0).toBeLessThan(5000);
      // the next call starts a fresh child
      expect(await exercise.call('echo', [1])).toBe(1);
      expect(exercise.starts).toBe(2);
    } finally {
      await exercise.close();
    }
  });
});
