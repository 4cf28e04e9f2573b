/**
 * One sandboxed child process running a bundled submission, and the parent's side of the
 * protocol: start, wait for `ready`, send calls with a wall-clock limit, kill.
 *
 * What the child is allowed (Node 20 permission model, plus {@link detectIsolation}):
 * read exactly its bundle file; no file writes, no child processes, no worker threads, no
 * native addons, no `eval`; a 256 MB V8 heap; a data-segment cap (prlimit) so typed arrays
 * cannot take the machine's memory; no network and no other processes to signal where
 * `unshare` works; an empty environment; a wall-clock limit per call, after which it is
 * killed with SIGKILL.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeValue, parseChildMessage, type ChildMessage, type ReadyMessage, type WireError } from '../protocol.js';
import { cpuLimitSeconds, detectIsolation } from './isolation.js';

/** Heap limit of a child, in MB (`--max-old-space-size`). */
export const HEAP_LIMIT_MB = 256;

/** Bytes of the child's stdout and stderr kept (the tail), each. */
export const OUTPUT_CAP = 16 * 1024;

/** Options of a {@link Sandbox}. */
export interface SandboxOptions {
  /** Wall-clock limit of one call, in ms. */
  readonly timeoutMs: number;
  /** Wall-clock limit for start-up and importing the modules, in ms (default `timeoutMs + 5000`). */
  readonly startTimeoutMs?: number;
}

/** How a start-up ended. */
export type StartOutcome =
  | { readonly kind: 'ready'; readonly ready: ReadyMessage }
  | { readonly kind: 'import-error'; readonly module: string; readonly error: WireError }
  | { readonly kind: 'timeout'; readonly ms: number }
  | { readonly kind: 'crashed'; readonly message: string };

/** How a call ended. Only `ok` carries a value, and that value is still unvalidated. */
export type CallOutcome =
  | { readonly kind: 'ok'; readonly value: unknown }
  | { readonly kind: 'threw'; readonly error: WireError }
  | { readonly kind: 'missing-export'; readonly message: string }
  | { readonly kind: 'protocol'; readonly message: string }
  | { readonly kind: 'timeout'; readonly ms: number }
  | { readonly kind: 'crashed'; readonly message: string };

interface Pending {
  readonly id: number;
  readonly fn: string;
  readonly resolve: (o: CallOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

/** Keeps the last `cap` characters of a stream. */
class Tail {
  private text = '';
  private dropped = 0;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > this.cap) {
      this.dropped += this.text.length - this.cap;
      this.text = this.text.slice(-this.cap);
    }
  }
  toString(): string {
    return this.dropped > 0 ? `[${this.dropped} characters dropped]\n${this.text}` : this.text;
  }
}

/** True if any user may read `file` (it and every folder above it are open to others). */
export function readableByOthers(file: string): boolean {
  try {
    if ((statSync(file).mode & 0o004) === 0) return false;
    for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) return false;
      if (path.dirname(dir) === dir) return true;
    }
  } catch {
    return false;
  }
}

/**
 * The flag that turns on Node's permission model for the Node running the grader (the child
 * runs the same binary): `--permission` where Node knows it (22.13+, 23.5+, 24+; Node 24 rejects
 * the old name), else `--experimental-permission` (Node 20, early 22). Found from the runtime's
 * own list of flags, not from its version number.
 */
export function permissionFlag(): '--permission' | '--experimental-permission' {
  return process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission';
}

/**
 * The command line that starts a child on `bundleFile`: isolation prefix, node, permission flags.
 *
 * @param timeoutMs - the per-call limit, from which the child's CPU-time cap is derived ({@link cpuLimitSeconds})
 */
export function childCommand(bundleFile: string, timeoutMs = 5000): { command: string; args: string[] } {
  const iso = detectIsolation();
  const prefix = iso.prefix.flatMap((a) => (a.startsWith('--data=') ? [a, `--cpu=${cpuLimitSeconds(timeoutMs)}`] : [a]));
  const nodeArgs = [
    permissionFlag(),
    `--allow-fs-read=${bundleFile}`,
    `--max-old-space-size=${HEAP_LIMIT_MB}`,
    '--disallow-code-generation-from-strings',
    '--enable-source-maps',
    '--no-warnings',
    bundleFile,
  ];
  if (prefix.length === 0) return { command: process.execPath, args: nodeArgs };
  return { command: prefix[0], args: [...prefix.slice(1), process.execPath, ...nodeArgs] };
}

/**
 * A child process running one exercise's bundle. Use once: {@link Sandbox.start}, any number
 * of {@link Sandbox.call}s, {@link Sandbox.kill}. After a timeout or crash it is dead; start a
 * new one.
 */
export class Sandbox {
  private child: ChildProcess | undefined;
  private pending: Pending | undefined;
  private readonly usedIds = new Set<number>();
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private killedByUs = false;
  private readonly stdout = new Tail(OUTPUT_CAP);
  private readonly stderr = new Tail(OUTPUT_CAP);
  private exitWaiters: (() => void)[] = [];
  private copyDir: string | undefined;
  /** Messages received that answered no pending request (ignored, counted). */
  unsolicited = 0;

  /**
   * @param bundleFile - absolute path of the bundle from {@link bundleExercise}
   * @param options - time limits
   */
  constructor(
    readonly bundleFile: string,
    readonly options: SandboxOptions,
  ) {}

  /** True while the child runs and has not been told to stop. */
  get alive(): boolean {
    return this.child !== undefined && this.exited === undefined && !this.killedByUs;
  }

  /** What the child wrote to stdout and stderr (tails, for diagnostics; never parsed). */
  output(): { stdout: string; stderr: string } {
    return { stdout: this.stdout.toString(), stderr: this.stderr.toString() };
  }

  /**
   * The file the child runs: the bundle itself, or, when the child runs as another user who
   * could not read it where it is, a copy in a folder of its own (removed when the child ends).
   */
  private runFile(): string {
    if (!detectIsolation().unprivileged || readableByOthers(this.bundleFile)) return this.bundleFile;
    this.copyDir = mkdtempSync(path.join(tmpdir(), 'dlkata-sandbox-'));
    chmodSync(this.copyDir, 0o755);
    const copy = path.join(this.copyDir, path.basename(this.bundleFile));
    copyFileSync(this.bundleFile, copy);
    chmodSync(copy, 0o644);
    return copy;
  }

  private removeCopy(): void {
    if (this.copyDir) rmSync(this.copyDir, { recursive: true, force: true });
    this.copyDir = undefined;
  }

  /** Starts the child and waits until it has imported the modules. */
  start(): Promise<StartOutcome> {
    let file: string;
    try {
      file = this.runFile();
    } catch (e) {
      return Promise.resolve({ kind: 'crashed', message: `could not start the sandbox: ${(e as Error).message}` });
    }
    const { command, args } = childCommand(file, this.options.timeoutMs);
    const limit = this.options.startTimeoutMs ?? this.options.timeoutMs + 5000;
    return new Promise<StartOutcome>((resolve) => {
      let settled = false;
      const done = (o: StartOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(o);
      };
      const timer = setTimeout(() => {
        this.kill();
        done({ kind: 'timeout', ms: limit });
      }, limit);
      const child = spawn(command, args, {
        cwd: path.dirname(file),
        env: {},
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        serialization: 'advanced',
        // Its own session and process group: process.kill(0) or process.kill(process.ppid) in the
        // child (ppid is 0 in a PID namespace) must not reach the grader's process group.
        detached: true,
      });
      this.child = child;
      child.stdout?.on('data', (d: Buffer) => this.stdout.push(d));
      child.stderr?.on('data', (d: Buffer) => this.stderr.push(d));
      child.on('error', (e) => {
        this.exited ??= { code: null, signal: null };
        done({ kind: 'crashed', message: `could not start the sandbox: ${e.message}` });
        this.failPending();
      });
      child.on('exit', (code, signal) => {
        this.exited = { code, signal };
      });
      // 'close' comes after 'exit' once stdout, stderr and the IPC channel are drained, so a
      // reply sent just before exiting is still seen, and stderr is complete for the message.
      child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.exited ??= { code, signal };
        this.removeCopy();
        done({ kind: 'crashed', message: this.exitMessage('while importing the modules') });
        this.failPending();
        for (const w of this.exitWaiters) w();
        this.exitWaiters = [];
      });
      child.on('message', (raw: unknown) => {
        const m = parseChildMessage(raw);
        if (!settled) {
          if (m?.type === 'ready') return done({ kind: 'ready', ready: m });
          if (m?.type === 'import-error') return done({ kind: 'import-error', module: m.module, error: m.error });
          this.unsolicited++;
          return;
        }
        this.onMessage(m);
      });
    });
  }

  private exitMessage(during: string): string {
    const { code, signal } = this.exited ?? { code: null, signal: null };
    const err = this.stderr.toString();
    const oom = /heap out of memory|Allocation failed|out of memory/i.test(err);
    let what: string;
    if (oom) what = `ran out of memory (heap limit ${HEAP_LIMIT_MB} MB) ${during}`;
    else if (signal === 'SIGKILL' && this.killedByUs) what = `was stopped by the grader ${during}`;
    else if (signal) what = `was killed by ${signal} ${during}`;
    else if (code === 0) what = `exited (code 0) ${during}; does the code call process.exit()?`;
    else what = `exited with code ${code} ${during}`;
    const tail = err
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-3)
      .join(' | ')
      .slice(-300);
    return `the sandboxed process ${what}${tail && !oom ? `; stderr: ${tail}` : ''}`;
  }

  private onMessage(m: ChildMessage | null): void {
    const p = this.pending;
    if (!m || !p || (m.type !== 'result' && m.type !== 'error') || m.id !== p.id) {
      this.unsolicited++;
      return;
    }
    if (m.type === 'result') return this.settle({ kind: 'ok', value: m.value });
    if (m.kind === 'threw') return this.settle({ kind: 'threw', error: m.error });
    if (m.kind === 'missing-export') return this.settle({ kind: 'missing-export', message: `the submission does not export a function ${p.fn}` });
    return this.settle({ kind: 'protocol', message: `${p.fn}: ${m.error.message}` });
  }

  private settle(o: CallOutcome): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    p.resolve(o);
  }

  private failPending(): void {
    const p = this.pending;
    if (!p) return;
    this.settle({ kind: 'crashed', message: this.exitMessage(`during ${p.fn}`) });
  }

  /**
   * Calls the export `fn` in the child. Arguments are encoded with {@link encodeValue}
   * (tensors are copied onto the wire). One call at a time.
   *
   * @param fn - export name, e.g. `"conv2dForward"`
   * @param args - arguments: Tensors, numbers, plain objects, handles from earlier results
   * @param keep - keys of the returned object to keep in the child as handles (e.g. `["cache"]`)
   * @returns how the call ended; on `timeout` the child has been killed
   */
  call(fn: string, args: readonly unknown[], keep?: readonly string[]): Promise<CallOutcome> {
    if (this.pending) throw new Error('Sandbox.call: a call is already pending');
    if (!this.alive) return Promise.resolve({ kind: 'crashed', message: `the sandboxed process is not running (${fn})` });
    // A random id: the child cannot forge a reply to a request it has not seen yet (forged
    // replies for guessed future ids would otherwise race with the real one).
    let id = randomInt(1, 2 ** 47);
    while (this.usedIds.has(id)) id = randomInt(1, 2 ** 47);
    this.usedIds.add(id);
    const ms = this.options.timeoutMs;
    const wireArgs = args.map(encodeValue);
    return new Promise<CallOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.settle({ kind: 'timeout', ms });
        this.kill();
      }, ms);
      this.pending = { id, fn, resolve, timer };
      try {
        this.child!.send({ type: 'call', id, fn, args: wireArgs, ...(keep ? { keep } : {}) });
      } catch (e) {
        this.settle({ kind: 'crashed', message: `could not send the call to the sandbox: ${(e as Error).message}` });
      }
    });
  }

  /** Kills the child (SIGKILL). Safe to call more than once. */
  kill(): void {
    if (this.child && !this.exited) {
      this.killedByUs = true;
      this.child.kill('SIGKILL');
    }
  }

  /** Kills the child and waits until it has exited. */
  async close(): Promise<void> {
    if (!this.child || this.exited) return;
    const exited = new Promise<void>((r) => this.exitWaiters.push(r));
    this.kill();
    await exited;
  }
}
