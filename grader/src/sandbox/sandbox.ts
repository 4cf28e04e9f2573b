/**
 * One sandboxed child process running a bundled submission, and the parent's side of the
 * protocol: start, wait for `ready`, send calls with a wall-clock limit, kill.
 *
 * What the child is allowed (Node's permission model, `--permission` or, on Node 20,
 * `--experimental-permission`; plus {@link detectIsolation}):
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
import { chmodSync, copyFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { CHANNEL_LOST_EXIT_CODE, describeValue, encodeValue, parseChildMessage, type ChildMessage, type ReadyMessage, type WireError } from '../protocol.js';
import { cpuLimitSeconds, detectIsolation } from './isolation.js';
import { makeTempDir, removeTempDir } from './tempdirs.js';
import { decodePayload, encodeFrame, FrameReader, MAX_FRAME_BYTES, WireFormatError } from './wire.js';

/** Heap limit of a child, in MB (`--max-old-space-size`). */
export const HEAP_LIMIT_MB = 256;

/** Bytes of the child's stdout and of its stderr kept per exercise (the first ones); the rest is counted and dropped. */
export const OUTPUT_CAP = 64 * 1024;

/** Bytes of the end of a stream kept besides, for the message when the child dies (an out-of-memory report comes last). */
export const OUTPUT_TAIL = 2 * 1024;

/** What V8 prints when a heap (or an allocation outside it) fails. */
const OOM_REPORT = /heap out of memory|Allocation failed|out of memory/i;
const OOM_REPORT_GLOBAL = new RegExp(OOM_REPORT.source, 'gi');
/** Characters kept between chunks for {@link OutputLog.oomReports}: longer than any report phrase. */
const OOM_CARRY = 64;

/** Options of a {@link Sandbox}. */
export interface SandboxOptions {
  /** Wall-clock limit of one call, in ms. */
  readonly timeoutMs: number;
  /** Wall-clock limit for start-up and importing the modules, in ms (default `timeoutMs + 5000`). */
  readonly startTimeoutMs?: number;
  /** Where the child's stdout goes (default: a log of its own); share one across restarts to cap an exercise's output. */
  readonly stdout?: OutputLog;
  /** Where the child's stderr goes (default: a log of its own). */
  readonly stderr?: OutputLog;
}

/** How a start-up ended. */
export type StartOutcome =
  | { readonly kind: 'ready'; readonly ready: ReadyMessage }
  | { readonly kind: 'import-error'; readonly module: string; readonly error: WireError }
  | { readonly kind: 'timeout'; readonly ms: number }
  | { readonly kind: 'crashed'; readonly message: string };

/**
 * How a call ended. Only `ok` carries a value, and that value is still unvalidated. `channel`:
 * the child sent something that is not a reply to this request (a malformed, oversized or
 * unsolicited frame), so the grader stopped it.
 */
export type CallOutcome =
  | { readonly kind: 'ok'; readonly value: unknown }
  | { readonly kind: 'threw'; readonly error: WireError }
  | { readonly kind: 'missing-export'; readonly message: string }
  | { readonly kind: 'protocol'; readonly message: string }
  | { readonly kind: 'channel'; readonly message: string }
  | { readonly kind: 'timeout'; readonly ms: number }
  | { readonly kind: 'crashed'; readonly message: string };

interface Pending {
  readonly id: number;
  readonly fn: string;
  readonly resolve: (o: CallOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * A capped record of one output stream: the first {@link OUTPUT_CAP} bytes and the last
 * {@link OUTPUT_TAIL} bytes are kept, everything is counted. Memory stays bounded however much
 * the child writes; nothing in it is ever parsed for a grade.
 */
export class OutputLog {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tailBuf = Buffer.alloc(0);
  /** Bytes received in all. */
  total = 0;
  /**
   * How many times V8's out-of-memory report has been seen in this stream. Counted as the bytes
   * arrive, because the report can be followed by a native stack trace longer than the kept tail
   * (Node 22 prints one, and may then die of SIGSEGV rather than SIGABRT).
   */
  oomReports = 0;
  private scanCarry = '';

  /**
   * @param cap - bytes of the beginning kept
   * @param tailCap - bytes of the end kept
   */
  constructor(
    readonly cap = OUTPUT_CAP,
    readonly tailCap = OUTPUT_TAIL,
  ) {}

  /** Records a chunk. */
  push(chunk: Buffer): void {
    this.total += chunk.length;
    const scanned = this.scanCarry + chunk.toString('latin1');
    const hits = scanned.match(OOM_REPORT_GLOBAL);
    if (hits) this.oomReports += hits.length;
    // Keep a short overlap so a report split across two chunks is still seen, but never count one twice.
    const lastHit = hits ? scanned.lastIndexOf(hits[hits.length - 1]!) + hits[hits.length - 1]!.length : 0;
    this.scanCarry = scanned.slice(Math.max(lastHit, scanned.length - OOM_CARRY));
    if (this.headBytes < this.cap) {
      const part = chunk.subarray(0, this.cap - this.headBytes);
      this.head.push(Buffer.from(part));
      this.headBytes += part.length;
    }
    const joined = this.tailBuf.length + chunk.length <= this.tailCap ? Buffer.concat([this.tailBuf, chunk]) : Buffer.concat([this.tailBuf, chunk.subarray(Math.max(0, chunk.length - this.tailCap))]);
    this.tailBuf = Buffer.from(joined.subarray(Math.max(0, joined.length - this.tailCap)));
  }

  /** Bytes counted but not kept in {@link OutputLog.text}. */
  get dropped(): number {
    return this.total - this.headBytes;
  }

  /** The kept beginning, with a note of how much was dropped. */
  text(): string {
    const t = Buffer.concat(this.head).toString('utf8');
    return this.dropped > 0 ? `${t}\n[${this.dropped} more bytes dropped]` : t;
  }

  /** The last bytes written (up to {@link OUTPUT_TAIL}), for a crash message. */
  tail(): string {
    return this.tailBuf.toString('utf8');
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
 * own list of flags, not from its version number. `DLKATA_GRADER_PERMISSION_FLAG` overrides the
 * choice (for a Node build that names it differently, and to test the preflight).
 */
export function permissionFlag(): string {
  const forced = process.env.DLKATA_GRADER_PERMISSION_FLAG;
  if (forced) return forced;
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
 * of {@link Sandbox.call}s, {@link Sandbox.kill}. After a timeout, crash or broken channel it
 * is dead; start a new one.
 *
 * The channel is the child's file descriptor 3, a socket pair that carries frames of
 * {@link encodeFrame}'s format (not Node's IPC, whose serializer runs in the child's realm).
 * Every frame is decoded with bounds; anything that is not the reply to the pending request
 * (or `ready` at start-up) ends the child and fails what was pending, with the reason. No event
 * from the child (a frame, an error on a stream, an exit) can throw in the grader.
 */
export class Sandbox {
  private child: ChildProcess | undefined;
  private pending: Pending | undefined;
  private readonly usedIds = new Set<number>();
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private killedByUs = false;
  private broken: string | undefined;
  private onStartMessage: ((m: ChildMessage) => boolean) | undefined;
  private onStartBroken: ((reason: string) => void) | undefined;
  private readonly stdout: OutputLog;
  private readonly stderr: OutputLog;
  /** {@link OutputLog.oomReports} of stderr when this child was started (the log may outlive a child). */
  private oomReportsBefore = 0;
  private exitWaiters: (() => void)[] = [];
  private copyDir: string | undefined;
  private readonly frames = new FrameReader(MAX_FRAME_BYTES);
  /** Frames received that answered no pending request (each one ends the child). */
  unsolicited = 0;

  /**
   * @param bundleFile - absolute path of the bundle from {@link bundleExercise}
   * @param options - time limits, output logs
   */
  constructor(
    readonly bundleFile: string,
    readonly options: SandboxOptions,
  ) {
    this.stdout = options.stdout ?? new OutputLog();
    this.stderr = options.stderr ?? new OutputLog();
  }

  /** True while the child runs and has not been told to stop. */
  get alive(): boolean {
    return this.child !== undefined && this.exited === undefined && !this.killedByUs;
  }

  /** What the child wrote to stdout and stderr (capped, for diagnostics; never parsed). */
  output(): { stdout: string; stderr: string } {
    return { stdout: this.stdout.text(), stderr: this.stderr.text() };
  }

  /**
   * The file the child runs: the bundle itself, or, when the child runs as another user who
   * could not read it where it is, a copy in a folder of its own (removed when the child ends).
   */
  private runFile(): string {
    if (!detectIsolation().unprivileged || readableByOthers(this.bundleFile)) return this.bundleFile;
    this.copyDir = makeTempDir('dlkata-sandbox-');
    const copy = path.join(this.copyDir, path.basename(this.bundleFile));
    copyFileSync(this.bundleFile, copy);
    chmodSync(copy, 0o644);
    return copy;
  }

  private removeCopy(): void {
    if (this.copyDir) removeTempDir(this.copyDir);
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
        this.onStartMessage = undefined;
        this.onStartBroken = undefined;
        clearTimeout(timer);
        resolve(o);
      };
      const timer = setTimeout(() => {
        this.kill();
        done({ kind: 'timeout', ms: limit });
      }, limit);
      this.onStartMessage = (m) => {
        if (m.type === 'ready') done({ kind: 'ready', ready: m });
        else if (m.type === 'import-error') done({ kind: 'import-error', module: m.module, error: m.error });
        else return false;
        return true;
      };
      this.onStartBroken = (reason) => done({ kind: 'crashed', message: `the sandboxed process broke the protocol while importing the modules: ${reason}; the grader stopped it` });
      let child: ChildProcess;
      this.oomReportsBefore = this.stderr.oomReports;
      try {
        child = spawn(command, args, {
          cwd: path.dirname(file),
          env: {},
          stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
          // Its own session and process group: process.kill(0) or process.kill(process.ppid) in the
          // child (ppid is 0 in a PID namespace) must not reach the grader's process group.
          detached: true,
        });
      } catch (e) {
        this.exited = { code: null, signal: null };
        this.removeCopy();
        done({ kind: 'crashed', message: `could not start the sandbox: ${(e as Error).message}` });
        return;
      }
      this.child = child;
      child.stdout?.on('data', (d: Buffer) => this.stdout.push(d));
      child.stderr?.on('data', (d: Buffer) => this.stderr.push(d));
      child.stdout?.on('error', () => {});
      child.stderr?.on('error', () => {});
      const channel = child.stdio[3] as (Readable & Writable) | null | undefined;
      channel?.on('data', (d: Buffer) => this.onBytes(d));
      channel?.on('error', () => {});
      child.on('error', (e) => {
        this.exited ??= { code: null, signal: null };
        done({ kind: 'crashed', message: `could not start the sandbox: ${e.message}` });
        this.failPending();
      });
      child.on('exit', (code, signal) => {
        this.exited = { code, signal };
      });
      // 'close' comes after 'exit' once stdout, stderr and the channel are drained, so a reply
      // sent just before exiting is still seen, and stderr is complete for the message.
      child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.exited ??= { code, signal };
        this.removeCopy();
        done({ kind: 'crashed', message: this.broken ?? this.exitMessage('while importing the modules') });
        this.failPending();
        for (const w of this.exitWaiters) w();
        this.exitWaiters = [];
      });
    });
  }

  /** Bytes from the channel: split into frames, decoded, dispatched; any fault breaks the channel. */
  private onBytes(chunk: Buffer): void {
    if (this.broken !== undefined || this.killedByUs) return;
    try {
      const { frames, error } = this.frames.push(chunk);
      for (const payload of frames) {
        let raw: unknown;
        try {
          raw = decodePayload(payload);
        } catch (e) {
          throw new WireFormatError(`a malformed frame (${(e as Error).message})`);
        }
        const m = parseChildMessage(raw);
        if (!m) throw new WireFormatError(`a message that is not part of the protocol (${describeValue(raw)})`);
        if (this.onStartMessage) {
          if (!this.onStartMessage(m)) {
            this.unsolicited++;
            throw new WireFormatError(`an unsolicited ${m.type} message before the modules were imported`);
          }
          continue;
        }
        this.onMessage(m);
        if (this.broken !== undefined) return;
      }
      if (error) throw error;
    } catch (e) {
      this.breakChannel(e instanceof WireFormatError ? e.message : `an unreadable message (${(e as Error).message})`);
    }
  }

  /** The child sent something it should not have: stop it, and fail whatever was waiting. */
  private breakChannel(reason: string): void {
    if (this.broken !== undefined) return;
    this.broken = reason;
    const onStart = this.onStartBroken;
    this.kill();
    onStart?.(reason);
    const p = this.pending;
    if (p) {
      this.settle({
        kind: 'channel',
        message: `the sandboxed process broke the protocol during ${p.fn}: it sent ${reason}; only the grader's runner may write to the channel, so the grader stopped the process`,
      });
    }
  }

  private exitMessage(during: string): string {
    const { code, signal } = this.exited ?? { code: null, signal: null };
    const err = this.stderr.tail();
    const oom = this.stderr.oomReports > this.oomReportsBefore || OOM_REPORT.test(err);
    let what: string;
    if (oom) what = `ran out of memory (heap limit ${HEAP_LIMIT_MB} MB) ${during}`;
    else if (signal === 'SIGKILL' && this.killedByUs) what = `was stopped by the grader ${during}`;
    else if (signal) what = `was killed by ${signal} ${during}`;
    // Exit code 0 without an answer: the runner never exits on its own while it has work, so the
    // code ended the process or broke the runner; which one is not known here, so say both.
    else if (code === 0) what = `exited (code 0) ${during} without answering the grader; possible causes: the code calls process.exit(), or it changed built-ins the grader's runner relies on (such as Array.prototype[Symbol.iterator] or other prototype methods), so the runner could not go on`;
    else if (code === CHANNEL_LOST_EXIT_CODE) what = `lost its channel to the grader ${during}; does the code close or replace file descriptor 3?`;
    else what = `exited with code ${code} ${during}`;
    const tail = err
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-3)
      .join(' | ')
      .slice(-300);
    return `the sandboxed process ${what}${tail && !oom ? `; stderr: ${tail}` : ''}`;
  }

  private onMessage(m: ChildMessage): void {
    const p = this.pending;
    if (m.type === 'ready' || m.type === 'import-error') {
      this.unsolicited++;
      this.breakChannel(`an unsolicited ${m.type} message after the modules were imported`);
      return;
    }
    if (!p || m.id !== p.id) {
      this.unsolicited++;
      this.breakChannel(p ? `a ${m.type} message that does not answer the pending request` : `an unsolicited ${m.type} message while no request was pending`);
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
    if (this.broken !== undefined) {
      this.settle({ kind: 'channel', message: `the sandboxed process broke the protocol during ${p.fn}: it sent ${this.broken}` });
      return;
    }
    this.settle({ kind: 'crashed', message: this.exitMessage(`during ${p.fn}`) });
  }

  /**
   * Calls the export `fn` in the child. Arguments are encoded with {@link encodeValue}
   * (tensors are copied onto the wire). One call at a time.
   *
   * @param fn - export name, e.g. `"conv2dForward"`
   * @param args - arguments: Tensors, numbers, plain objects, handles from earlier results
   * @param keep - keys of the returned object to keep in the child as handles (e.g. `["cache"]`)
   * @param limitMs - wall-clock limit of this call (default {@link SandboxOptions.timeoutMs}; a
   *   caller with less time left in a larger budget passes less)
   * @returns how the call ended; on `timeout` and `channel` the child has been killed
   */
  call(fn: string, args: readonly unknown[], keep?: readonly string[], limitMs?: number): Promise<CallOutcome> {
    if (this.pending) throw new Error('Sandbox.call: a call is already pending');
    if (this.broken !== undefined) return Promise.resolve({ kind: 'channel', message: `the sandboxed process broke the protocol before ${fn} was called: it sent ${this.broken}; the grader stopped it` });
    if (!this.alive) return Promise.resolve({ kind: 'crashed', message: `the sandboxed process is not running (${fn})` });
    // A random id: a reply cannot be prepared for a request before it is sent.
    let id = randomInt(1, 2 ** 47);
    while (this.usedIds.has(id)) id = randomInt(1, 2 ** 47);
    this.usedIds.add(id);
    const ms = Math.max(1, Math.min(limitMs ?? this.options.timeoutMs, this.options.timeoutMs));
    const frame = encodeFrame({ type: 'call', id, fn, args: args.map(encodeValue), ...(keep ? { keep } : {}) });
    return new Promise<CallOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.settle({ kind: 'timeout', ms });
        this.kill();
      }, ms);
      this.pending = { id, fn, resolve, timer };
      try {
        const channel = this.child!.stdio[3] as Writable | null | undefined;
        if (!channel) throw new Error('the channel is closed');
        channel.write(frame);
      } catch (e) {
        this.settle({ kind: 'crashed', message: `could not send the call to the sandbox: ${(e as Error).message}` });
      }
    });
  }

  /** Kills the child (SIGKILL). Safe to call more than once. */
  kill(): void {
    if (this.child && !this.exited) {
      this.killedByUs = true;
      try {
        this.child.kill('SIGKILL');
      } catch {
        // already gone
      }
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
