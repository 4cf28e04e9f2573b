/**
 * Data-parallel training on worker threads: every mini-batch is cut into contiguous slices of
 * rows, one per thread; the main thread computes slice 0 while the workers compute the
 * others, and the slices' gradients are added in slice order. Parameters, inputs, labels,
 * dropout masks and the workers' gradients live in shared memory (`SharedArrayBuffer`); the
 * messages only say "go" and "done".
 *
 * Reproducibility: the batch order, the augmentation and the dropout masks are drawn on the
 * main thread from the seeded rng, exactly as on one thread. For a fixed number of threads a
 * seed gives bit-identical runs; between different numbers of threads only the order of the
 * floating-point sums changes (about 1e-16 relative per batch).
 *
 * @module
 */
import { Worker } from 'node:worker_threads';
import { Tensor, ValueError } from '@dlkata/tensor';
import type { Network } from './network.js';
import { softmaxCrossEntropy } from '../softmax.js';
import { assertLabels, sliceStep, type SliceResult } from './slice-step.js';

/** The most threads a {@link TrainingWorkers} pool runs (main thread included). */
export const MAX_TRAINING_WORKERS = 64;

const DEFAULT_ENTRY = new URL('./data-parallel-worker.mjs', import.meta.url);

/**
 * A training worker failed: it threw, could not start, or exited. The message names the
 * worker (1-based; the main thread is 0) and carries the worker's own message. The pool it
 * belonged to is closed: its threads are terminated.
 */
export class TrainingWorkerError extends Error {
  /**
   * @param worker - the worker's number, 1-based
   * @param reason - the worker's own message
   * @param workerStack - the stack trace inside the worker, when it sent one
   */
  constructor(
    readonly worker: number,
    readonly reason: string,
    readonly workerStack?: string,
  ) {
    super(`training worker ${worker} failed: ${reason}`);
    this.name = 'TrainingWorkerError';
  }
}

interface Pending {
  resolve: () => void;
  reject: (e: Error) => void;
}

interface Thread {
  readonly worker: Worker;
  pending: Pending | null;
  exited: Promise<void>;
  ready: Promise<void>;
}

/** Shared buffers for one network and a batch capacity. */
interface Binding {
  readonly net: Network;
  readonly capacity: number;
  readonly names: readonly string[];
  readonly offsets: readonly number[];
  readonly paramCount: number;
  /** Elements per example. */
  readonly inSize: number;
  /** Elements per example of each dropout mask. */
  readonly maskFeatures: readonly number[];
  readonly params: Float64Array;
  readonly x: Float64Array;
  readonly y: Int32Array;
  readonly masks: Float64Array;
  readonly grads: Float64Array;
  readonly stats: Float64Array;
  readonly control: Int32Array;
}

let liveThreads = 0;

/** What one batch contributes, all slices combined: see {@link TrainingWorkers.step}. */
export interface BatchStep {
  /** `false` when some score was NaN or infinite. */
  readonly finite: boolean;
  /** Mean loss over the batch. */
  readonly loss: number;
  /** Rows classified right. */
  readonly correct: number;
  /** Gradients of the mean loss, keyed like the parameters (empty when not finite). */
  readonly grads: Record<string, Tensor>;
}

function dropoutFeatures(net: Network): number[] {
  return net.info.layers.filter((l) => l.spec.type === 'dropout' && l.spec.p > 0).map((l) => l.inputShape.reduce((a, b) => a * b, 1));
}

/**
 * A reusable pool of training threads for {@link trainEpoch}'s `workers` option: create it
 * once, train many epochs with it, then {@link TrainingWorkers.close} it. Idle workers do not
 * keep the process alive, so a forgotten `close()` does not hang it; a failed worker closes
 * the whole pool and the next call throws its {@link TrainingWorkerError}.
 *
 * Workers run the library's layers only (a network whose `ops` replace them trains on one
 * thread). They load the TypeScript sources with `tsx`.
 *
 * @example
 * ```ts
 * const pool = new TrainingWorkers(2);
 * try {
 *   for (let e = 0; e < 10; e++) await trainEpoch(net, split.train, opt, { batchSize: 32, rng, workers: pool });
 * } finally {
 *   await pool.close();
 * }
 * ```
 */
export class TrainingWorkers {
  /** Threads per batch, the main thread included: `count - 1` worker threads run. */
  readonly size: number;
  private readonly threads: Thread[] = [];
  private binding: Binding | null = null;
  private failure: Error | null = null;
  private closing = false;
  /** Set while a {@link TrainingWorkers.step} is running: the shared buffers hold its batch. */
  private stepping = false;

  /**
   * Starts `count - 1` worker threads (none for 1).
   *
   * @param count - threads per batch, main thread included: an integer from 1 to {@link MAX_TRAINING_WORKERS}
   * @param entry - the worker's entry module (default: the library's); tests pass a failing one
   * @throws ValueError if `count` is not an integer in range: "TrainingWorkers: workers must be an integer from 1 to 64, got 0"
   */
  constructor(count: number, entry: URL = DEFAULT_ENTRY) {
    if (!Number.isInteger(count) || count < 1 || count > MAX_TRAINING_WORKERS) {
      throw new ValueError('TrainingWorkers', `workers must be an integer from 1 to ${MAX_TRAINING_WORKERS}, got ${String(count)}`);
    }
    this.size = count;
    for (let i = 0; i < count - 1; i++) this.threads.push(this.spawn(i, entry));
  }

  /** Worker threads running in all pools of this process (0 once every pool is closed). */
  static get liveThreads(): number {
    return liveThreads;
  }

  /** Whether {@link TrainingWorkers.close} was called or a worker failed. */
  get closed(): boolean {
    return this.closing;
  }

  private spawn(i: number, entry: URL): Thread {
    const worker = new Worker(entry);
    liveThreads++;
    const thread: Thread = { worker, pending: null, exited: Promise.resolve(), ready: Promise.resolve() };
    thread.exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const fail = (reason: string, stack?: string): void => this.fail(new TrainingWorkerError(i + 1, reason, stack));
    worker.on('message', (m: { type: string; message?: string; stack?: string }) => {
      if (m.type === 'error') {
        fail(m.message ?? 'unknown error', m.stack);
        return;
      }
      const p = thread.pending;
      thread.pending = null;
      worker.unref();
      p?.resolve();
    });
    worker.on('error', (e: Error) => fail(e.message, e.stack));
    worker.on('exit', (code) => {
      liveThreads--;
      if (!this.closing) fail(`exited with code ${code} while the pool was open`);
    });
    // The worker reports 'ready' once it has loaded; until then it keeps the process alive.
    thread.ready = this.expect(thread);
    thread.ready.catch(() => {});
    return thread;
  }

  /** A promise for the thread's next answer; the worker keeps the process alive until then. */
  private expect(thread: Thread): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new ValueError('TrainingWorkers', 'the pool is closed'));
    return new Promise<void>((resolve, reject) => {
      thread.pending = { resolve, reject };
      thread.worker.ref();
    });
  }

  private async request(thread: Thread, message: unknown): Promise<void> {
    await thread.ready;
    return this.send(thread, message);
  }

  /**
   * Posts `message` now, synchronously, to a thread that has reported ready. (Posting after an
   * `await` would defer the message to a microtask, that is, until the main thread has finished
   * its own slice, and the threads would take turns instead of running together.)
   */
  private send(thread: Thread, message: unknown): Promise<void> {
    const answer = this.expect(thread);
    thread.worker.postMessage(message);
    return answer;
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.closing = true;
    for (const t of this.threads) {
      const p = t.pending;
      t.pending = null;
      p?.reject(e);
      void t.worker.terminate();
    }
  }

  /** Terminates the worker threads; safe to call more than once. Resolves once they have exited. */
  async close(): Promise<void> {
    this.closing = true;
    const err = this.failure ?? new ValueError('TrainingWorkers', 'the pool was closed while a batch was running');
    for (const t of this.threads) {
      const p = t.pending;
      t.pending = null;
      p?.reject(err);
      void t.worker.terminate();
    }
    await Promise.all(this.threads.map((t) => t.exited));
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.closing) throw new ValueError('TrainingWorkers', 'the pool is closed; create a new one');
  }

  private async bind(net: Network, capacity: number): Promise<Binding> {
    const b = this.binding;
    if (b && b.net === net && b.capacity >= capacity) return b;
    const names = Object.keys(net.params);
    const offsets: number[] = [];
    let paramCount = 0;
    for (const name of names) {
      offsets.push(paramCount);
      paramCount += net.params[name].size;
    }
    const inSize = net.spec.inputShape.reduce((a, c) => a * c, 1);
    const maskFeatures = dropoutFeatures(net);
    const maskSize = capacity * maskFeatures.reduce((a, c) => a + c, 0);
    const f64 = (n: number): Float64Array => new Float64Array(new SharedArrayBuffer(8 * Math.max(1, n)));
    const binding: Binding = {
      net,
      capacity,
      names,
      offsets,
      paramCount,
      inSize,
      maskFeatures,
      params: f64(paramCount),
      x: f64(capacity * inSize),
      y: new Int32Array(new SharedArrayBuffer(4 * capacity)),
      masks: f64(maskSize),
      grads: f64(this.threads.length * paramCount),
      stats: f64(this.threads.length * 3),
      control: new Int32Array(new SharedArrayBuffer(4)),
    };
    const shapes = names.map((n) => net.params[n].shape);
    await Promise.all(
      this.threads.map((t, i) =>
        this.request(t, {
          type: 'setup',
          slot: i,
          spec: net.spec,
          names,
          shapes,
          offsets,
          paramCount,
          maskFeatures,
          buffers: { params: binding.params.buffer, x: binding.x.buffer, y: binding.y.buffer, masks: binding.masks.buffer, grads: binding.grads.buffer, stats: binding.stats.buffer, control: binding.control.buffer },
        }),
      ),
    );
    this.binding = binding;
    return binding;
  }

  /**
   * Forward and backward passes of one batch split across the pool's threads: rows
   * `[floor(s*N/k), floor((s+1)*N/k))` go to thread `s` of `k = min(size, N)`, slice 0 to
   * the calling thread. The gradients of the batch's mean loss are summed in slice order.
   * Does not update the parameters.
   *
   * @param x - the batch `[N, ...inputShape]`
   * @param y - its labels, `N` integers in `[0, classes)` (an `Int32Array` or any array of numbers)
   * @param masks - dropout masks of the whole batch from `drawDropoutMasks` (empty without dropout)
   * @param frozen - parameters whose gradients are not needed
   * @throws TrainingWorkerError if a worker fails (the pool is closed then)
   * @throws ValueError if the network replaces the library's layers (`net.ops`) and the pool has
   *   workers, if the pool is closed, if another `step` on this pool has not finished (await
   *   each one before the next: the threads share one batch buffer), or for a bad label, with
   *   the message and batch index one thread gives (`"softmaxCrossEntropy: labels[17] = 10 is out
   *   of range [0, 10); scores [32,10]"`), checked before any thread starts
   */
  async step(net: Network, x: Tensor, y: Int32Array | ArrayLike<number>, masks: readonly Float64Array[], frozen?: ReadonlySet<string>): Promise<BatchStep> {
    this.check();
    if (this.stepping) {
      throw new ValueError('TrainingWorkers', 'step called while another step on this pool is still running: await each step before starting the next (the threads share one batch buffer)');
    }
    const N = x.shape[0];
    const k = Math.min(this.size, N);
    if (k <= 1) return combine([sliceStep(net, x, y, masks, N, frozen)], N);
    if (net.ops && Object.keys(net.ops).length > 0) {
      throw new ValueError('TrainingWorkers', `workers run the library's layers only; this network replaces ${Object.keys(net.ops).join(', ')} (net.ops): train it with workers: 1`);
    }
    checkLabels(net, y, N);
    // Checked integers: an Int32Array of them is the same labels (the main thread slices it).
    const labels = y instanceof Int32Array ? y : Int32Array.from(y);
    this.stepping = true;
    try {
      return await this.parallelStep(net, x, labels, masks, N, k, frozen);
    } finally {
      this.stepping = false;
    }
  }

  private async parallelStep(net: Network, x: Tensor, y: Int32Array, masks: readonly Float64Array[], N: number, k: number, frozen: ReadonlySet<string> | undefined): Promise<BatchStep> {
    const b = await this.bind(net, N);
    for (let i = 0; i < b.names.length; i++) {
      const p = net.params[b.names[i]];
      if (!p || p.size !== (i + 1 < b.names.length ? b.offsets[i + 1] : b.paramCount) - b.offsets[i]) {
        throw new ValueError('TrainingWorkers', `parameter ${b.names[i]} changed size or disappeared since the pool first saw this network`);
      }
      b.params.set(p.data, b.offsets[i]);
    }
    b.x.set(x.data);
    b.y.set(y);
    let off = 0;
    for (const m of masks) {
      b.masks.set(m, off);
      off += m.length;
    }
    Atomics.add(b.control, 0, 1);
    const bound = (s: number): number => Math.floor((s * N) / k);
    const frozenList = frozen && frozen.size > 0 ? [...frozen] : null;
    const answers = Promise.all(Array.from({ length: k - 1 }, (_, i) => this.send(this.threads[i], { type: 'task', N, n0: bound(i + 1), n1: bound(i + 2), frozen: frozenList })));
    answers.catch(() => {});
    let r0: SliceResult;
    try {
      const n1 = bound(1);
      const rest = x.shape.slice(1);
      const x0 = new Tensor(x.data.subarray(0, n1 * b.inSize), [n1, ...rest]);
      const m0 = masks.map((m, j) => m.subarray(0, n1 * b.maskFeatures[j]));
      r0 = sliceStep(net, x0, y.subarray(0, n1), m0, N, frozen);
    } catch (e) {
      // Let the workers finish with the shared buffers before the caller reuses them.
      await answers.catch(() => {});
      throw e;
    }
    await answers;
    Atomics.load(b.control, 0);
    const results: SliceResult[] = [r0];
    for (let s = 1; s < k; s++) {
      const st = b.stats.subarray((s - 1) * 3, s * 3);
      const finite = st[2] === 1;
      let grads: Record<string, Tensor> | null = null;
      if (finite && r0.grads) {
        grads = {};
        for (const name of Object.keys(r0.grads)) {
          const i = b.names.indexOf(name);
          const start = (s - 1) * b.paramCount + b.offsets[i];
          grads[name] = new Tensor(b.grads.subarray(start, start + r0.grads[name].size), r0.grads[name].shape);
        }
      }
      results.push({ finite, lossSum: st[0], correct: st[1], grads });
    }
    return combine(results, N);
  }
}

/**
 * Checks the batch's labels on the calling thread, before they are copied into the shared
 * `Int32Array` (which would truncate 1.5 to 1) and split among threads (whose errors would
 * count rows from their slice and close the pool): a bad label gets the message, and the index
 * in the batch, that training on one thread gives.
 */
function checkLabels(net: Network, y: ArrayLike<number>, N: number): void {
  const out = net.info.outputShape;
  // Scores other than one row per image: the loss's own message, as on one thread.
  if (out.length !== 1) {
    softmaxCrossEntropy(Tensor.zeros([N, ...out]), y);
    throw new ValueError('TrainingWorkers', `workers train classifiers with one score per class; this network's output per image is ${JSON.stringify(out)}`);
  }
  assertLabels(y, N, out[0]);
}

function combine(results: readonly SliceResult[], N: number): BatchStep {
  const first = results[0];
  let finite = true;
  let lossSum = 0;
  let correct = 0;
  for (const r of results) {
    finite &&= r.finite;
    lossSum += r.lossSum;
    correct += r.correct;
  }
  if (!finite || !first.grads) return { finite: false, loss: NaN, correct, grads: {} };
  const grads = first.grads;
  for (let s = 1; s < results.length; s++) {
    const g = results[s].grads!;
    for (const name of Object.keys(grads)) {
      const into = grads[name].data;
      const from = g[name].data;
      for (let i = 0; i < into.length; i++) into[i] += from[i];
    }
  }
  return { finite: true, loss: lossSum / N, correct, grads };
}
