import { Worker } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import { Rng, Tensor, ValueError } from '@dlkata/tensor';
import type { ImageDataset } from '../data/mnist.js';
import { TrainingWorkerError, TrainingWorkers, type BatchStep } from './data-parallel.js';
import { createNetwork, drawDropoutMasks, networkForward, type Network } from './network.js';
import { Adam } from './optim.js';
import type { ModelSpec } from './spec.js';
import { trainEpoch, type EpochResult } from './train.js';

/** Conv, ReLU, pooling, dropout and affine: every kind of layer the split has to get right. */
const tiny: ModelSpec = {
  name: 'tiny',
  inputShape: [1, 6, 6],
  layers: [
    { type: 'conv', filters: 3, kernel: 3, pad: 'same', name: 'c1' },
    { type: 'relu' },
    { type: 'maxpool', kernel: 2 },
    { type: 'flatten' },
    { type: 'dropout', p: 0.25 },
    { type: 'affine', units: 4, name: 'fc' },
  ],
};

function dataset(n: number, seed = 1): ImageDataset {
  const rng = new Rng(seed);
  return { images: rng.randn([n, 1, 6, 6]), labels: Int32Array.from({ length: n }, () => rng.int(0, 3)), classes: 4 };
}

interface Run {
  readonly epochs: EpochResult[];
  readonly params: Record<string, Float64Array>;
}

/** Two epochs from seed 7; `workers` undefined means the one-thread call without the option. */
async function run(workers: number | TrainingWorkers | undefined, n: number, batchSize: number): Promise<Run> {
  const rng = new Rng(7);
  const net = createNetwork(tiny, rng);
  const opt = new Adam({ lr: 1e-2 });
  const data = dataset(n);
  const epochs: EpochResult[] = [];
  for (let e = 0; e < 2; e++) {
    epochs.push(workers === undefined ? trainEpoch(net, data, opt, { batchSize, rng, shift: 1 }) : await trainEpoch(net, data, opt, { batchSize, rng, shift: 1, workers }));
  }
  return { epochs, params: Object.fromEntries(Object.entries(net.params).map(([k, t]) => [k, t.data.slice()])) };
}

function maxDiff(a: Run, b: Run): number {
  let d = 0;
  for (let e = 0; e < a.epochs.length; e++) d = Math.max(d, Math.abs(a.epochs[e].loss - b.epochs[e].loss), Math.abs(a.epochs[e].accuracy - b.epochs[e].accuracy));
  for (const k of Object.keys(a.params)) for (let i = 0; i < a.params[k].length; i++) d = Math.max(d, Math.abs(a.params[k][i] - b.params[k][i]));
  return d;
}

function bitIdentical(a: Run, b: Run): void {
  expect(a.epochs.map((e) => [e.loss, e.accuracy])).toEqual(b.epochs.map((e) => [e.loss, e.accuracy]));
  for (const k of Object.keys(a.params)) expect(Array.from(a.params[k]), k).toEqual(Array.from(b.params[k]));
}

/** A two-thread pool, the tiny net from `seed`, 8 images with their dropout masks; the pool is closed afterwards. */
async function withTwoThreads(
  seed: number,
  body: (t: {
    readonly pool: TrainingWorkers;
    readonly data: ImageDataset;
    /** One step of the 8 images, with these labels (default: the dataset's). */
    step(labels?: ArrayLike<number>): Promise<BatchStep>;
    /** The pool is open and trains the next batch. */
    expectUsable(): Promise<void>;
  }) => Promise<void>,
): Promise<void> {
  const pool = new TrainingWorkers(2);
  try {
    const rng = new Rng(seed);
    const net = createNetwork(tiny, rng);
    const data = dataset(8);
    const masks = drawDropoutMasks(net, 8, rng);
    const step = (labels: ArrayLike<number> = data.labels): Promise<BatchStep> => pool.step(net, data.images, labels, masks);
    await body({
      pool,
      data,
      step,
      async expectUsable() {
        expect(pool.closed).toBe(false);
        expect((await step()).finite).toBe(true);
      },
    });
  } finally {
    await pool.close();
  }
}

describe('trainEpoch with workers (data-parallel batches)', () => {
  it('workers: 1 gives exactly the one-thread result (same rng draws: batch order, shifts, dropout)', async () => {
    bitIdentical(await run(1, 20, 8), await run(undefined, 20, 8));
  });

  it('tiny net, 20 images, batch 8 (last batch 4): 2 workers give the 1-worker loss and parameters within 1e-10', async () => {
    const one = await run(1, 20, 8);
    const two = await run(2, 20, 8);
    expect(maxDiff(one, two)).toBeLessThan(1e-10);
    // the split really changed the arithmetic, or this test would prove nothing about the sums
    expect(one.epochs[0].loss).toBeGreaterThan(0);
  }, 60_000);

  it('a fixed worker count is bit-reproducible: 2 workers twice, and 3 workers twice on one reused pool', async () => {
    bitIdentical(await run(2, 20, 8), await run(2, 20, 8));
    const pool = new TrainingWorkers(3);
    try {
      bitIdentical(await run(pool, 20, 8), await run(pool, 20, 8));
      expect(maxDiff(await run(pool, 20, 8), await run(1, 20, 8))).toBeLessThan(1e-10);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('odd batches smaller than the worker count: 7 images, batch 3 (last batch 1), 4 workers', async () => {
    const pool = new TrainingWorkers(4);
    try {
      const four = await run(pool, 7, 3);
      expect(maxDiff(four, await run(1, 7, 3))).toBeLessThan(1e-10);
      bitIdentical(four, await run(pool, 7, 3));
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('frozen parameters stay put and the rest matches one thread', async () => {
    const go = async (workers: number): Promise<Network> => {
      const rng = new Rng(3);
      const net = createNetwork(tiny, rng);
      await trainEpoch(net, dataset(12), new Adam({ lr: 1e-2 }), { batchSize: 6, rng, frozen: new Set(['c1.w', 'c1.b']), workers });
      return net;
    };
    const before = createNetwork(tiny, new Rng(3));
    const [one, two] = [await go(1), await go(2)];
    expect(Array.from(two.params['c1.w'].data)).toEqual(Array.from(before.params['c1.w'].data));
    for (let i = 0; i < one.params['fc.w'].size; i++) expect(Math.abs(one.params['fc.w'].data[i] - two.params['fc.w'].data[i])).toBeLessThan(1e-10);
  }, 60_000);

  it('a diverging run on two threads stops with the one-thread message (NaN scores in the worker\'s slice too)', async () => {
    const rng = new Rng(0);
    const net = createNetwork(tiny, rng);
    net.params['fc.w'].data.fill(1e308);
    const error = await trainEpoch(net, dataset(8), new Adam({ lr: 1e-3 }), { batchSize: 4, rng, workers: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValueError);
    expect((error as Error).message).toMatch(/^trainEpoch: scores are not finite at batch 1 of 2: training diverged; try a smaller learning rate/);
    expect(TrainingWorkers.liveThreads).toBe(0);
  }, 60_000);

  it('a pool started and closed by trainEpoch leaves no thread behind', async () => {
    await run(2, 8, 4);
    expect(TrainingWorkers.liveThreads).toBe(0);
  }, 60_000);
});

describe('the pool', () => {
  it('close() terminates the threads; a closed pool is refused with a clear message', async () => {
    const pool = new TrainingWorkers(3);
    expect(TrainingWorkers.liveThreads).toBe(2);
    await run(pool, 8, 4);
    await pool.close();
    await pool.close();
    expect(pool.closed).toBe(true);
    expect(TrainingWorkers.liveThreads).toBe(0);
    const rng = new Rng(0);
    expect(() => trainEpoch(createNetwork(tiny, rng), dataset(4), new Adam({ lr: 1e-3 }), { batchSize: 4, rng, workers: pool })).toThrow(
      'trainEpoch: workers: the TrainingWorkers pool is closed; create a new one',
    );
  }, 60_000);

  it.each<[string, unknown, RegExp]>([
    ['0', 0, /trainEpoch: workers must be an integer from 1 to 64 or a TrainingWorkers pool, got 0/],
    ['1.5', 1.5, /got 1\.5/],
    ['65', 65, /got 65/],
    ['"2"', '2', /got string/],
  ])('workers = %s is refused, naming the option and the value', (_, workers, message) => {
    const rng = new Rng(0);
    let error: unknown;
    try {
      void trainEpoch(createNetwork(tiny, rng), dataset(4), new Adam({ lr: 1e-3 }), { batchSize: 4, rng, workers: workers as number });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValueError);
    expect((error as Error).message).toMatch(message);
    expect(() => new TrainingWorkers(workers as number)).toThrow(/TrainingWorkers: workers must be an integer from 1 to 64/);
  });

  it('the threads run together: every worker has its rows before the main thread starts on its own', async () => {
    // Were the tasks posted after an await, they would leave only once the main thread had
    // finished its slice, and the threads would take turns (as slow as one thread, or slower).
    const pool = new TrainingWorkers(3);
    const events: string[] = [];
    const original = Worker.prototype.postMessage;
    vi.spyOn(Worker.prototype, 'postMessage').mockImplementation(function (this: Worker, m: unknown) {
      events.push(`post ${(m as { type: string }).type}`);
      original.call(this, m);
    });
    try {
      const rng = new Rng(3);
      const net = createNetwork(tiny, rng);
      const data = dataset(9);
      const y = Int32Array.from(data.labels);
      // The main thread takes its rows (slice 0) with y.subarray; record when it does.
      Object.defineProperty(y, 'subarray', {
        value: (a: number, b: number) => {
          events.push('main thread takes its rows');
          return Int32Array.prototype.subarray.call(y, a, b);
        },
      });
      for (let round = 0; round < 2; round++) {
        events.length = 0;
        const r = await pool.step(net, data.images, y, drawDropoutMasks(net, 9, rng));
        expect(r.finite).toBe(true);
        const main = events.indexOf('main thread takes its rows');
        expect(main, events.join(', ')).toBeGreaterThan(-1);
        expect(events.slice(0, main).filter((e) => e === 'post task'), events.join(', ')).toHaveLength(2);
      }
    } finally {
      vi.restoreAllMocks();
      await pool.close();
    }
  }, 60_000);

  it('a second step before the first has finished is refused (they would share one batch buffer); the first completes and the pool goes on', async () => {
    await withTwoThreads(4, async (t) => {
      const first = t.step();
      await expect(t.step()).rejects.toThrow(/TrainingWorkers: step called while another step on this pool is still running: await each step/);
      expect((await first).finite).toBe(true);
      await t.expectUsable();
    });
  }, 60_000);

  it('a bad label in a worker\'s rows: the one-thread message with its index in the batch, before any thread starts; the pool stays open', async () => {
    await withTwoThreads(5, async (t) => {
      const outOfRange = Int32Array.from(t.data.labels);
      outOfRange[6] = 4; // rows 4..7 are the worker's
      await expect(t.step(outOfRange)).rejects.toThrow(ValueError);
      await expect(t.step(outOfRange)).rejects.toThrow('softmaxCrossEntropy: labels[6] = 4 is out of range [0, 4); scores [8,4]');
      // a fraction would be truncated by the shared Int32Array if it got that far
      const fraction = [...t.data.labels];
      fraction[5] = 1.5;
      await expect(t.step(fraction)).rejects.toThrow('softmaxCrossEntropy: labels[5] = 1.5 is not an integer');
      await expect(t.step(t.data.labels.subarray(0, 7))).rejects.toThrow('softmaxCrossEntropy: got 7 labels for 8 examples');
      await t.expectUsable();
    });
  }, 60_000);

  it('labels as a plain array train as on one thread; a network whose scores are not one row per image gets the one-thread error and the pool stays open', async () => {
    await withTwoThreads(6, async (t) => {
      const typed = await t.step();
      const plain = await t.step([...t.data.labels]);
      expect(plain.loss).toBe(typed.loss);
      expect(Object.keys(plain.grads).length).toBeGreaterThan(0);
      for (const k of Object.keys(typed.grads)) expect(Array.from(plain.grads[k].data), k).toEqual(Array.from(typed.grads[k].data));
      const convOut: ModelSpec = { name: 'maps', inputShape: [1, 6, 6], layers: [{ type: 'conv', filters: 3, kernel: 3, pad: 'same', name: 'c1' }] };
      const maps = createNetwork(convOut, new Rng(1));
      const oneThread = (() => {
        try {
          trainEpoch(maps, t.data, new Adam({ lr: 1e-3 }), { batchSize: 8, rng: new Rng(2) });
        } catch (e) {
          return (e as Error).message;
        }
        return 'no error';
      })();
      expect(oneThread).toMatch(/^softmaxCrossEntropy: scores must be 2-D/);
      await expect(t.pool.step(maps, t.data.images, t.data.labels, [])).rejects.toThrow(oneThread);
      await t.expectUsable();
    });
  }, 60_000);

  it('a network with replaced layers (a student\'s ops) is refused on several threads', () => {
    const rng = new Rng(0);
    const net: Network = { ...createNetwork(tiny, rng), ops: { reluForward: (x: Tensor) => ({ out: x, cache: null }) } };
    expect(() => trainEpoch(net, dataset(4), new Adam({ lr: 1e-3 }), { batchSize: 4, rng, workers: 2 })).toThrow(/workers run the library's layers only; this network replaces reluForward/);
  });
});

describe('a failing worker', () => {
  it('an error thrown in a worker reaches the caller as TrainingWorkerError with its message, and the pool is closed', async () => {
    const pool = new TrainingWorkers(2, new URL('./fixtures/failing-worker.mjs', import.meta.url));
    const rng = new Rng(0);
    const error = await trainEpoch(createNetwork(tiny, rng), dataset(8), new Adam({ lr: 1e-3 }), { batchSize: 4, rng, workers: pool }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingWorkerError);
    expect((error as TrainingWorkerError).message).toBe('training worker 1 failed: out of coffee at rows 2..4');
    expect((error as TrainingWorkerError).workerStack).toBe('Error: out of coffee');
    expect(pool.closed).toBe(true);
    await pool.close();
    expect(TrainingWorkers.liveThreads).toBe(0);
  }, 60_000);

  it('a worker that cannot start: the load error is reported, no thread is left', async () => {
    const pool = new TrainingWorkers(3, new URL('./fixtures/crashing-worker.mjs', import.meta.url));
    const rng = new Rng(0);
    const error = await trainEpoch(createNetwork(tiny, rng), dataset(8), new Adam({ lr: 1e-3 }), { batchSize: 4, rng, workers: pool }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingWorkerError);
    expect((error as Error).message).toMatch(/^training worker [12] failed: cannot load the layers/);
    await pool.close();
    expect(TrainingWorkers.liveThreads).toBe(0);
  }, 60_000);
});

describe('drawDropoutMasks', () => {
  it('takes the same numbers from the rng as a training forward pass without masks', () => {
    const net = createNetwork(tiny, new Rng(0));
    const x = new Rng(1).randn([5, 1, 6, 6]);
    const a = networkForward(net, x, { train: true, rng: new Rng(9) }).out;
    const masks = drawDropoutMasks(net, 5, new Rng(9));
    expect(masks.map((m) => m.length)).toEqual([5 * 27]);
    const b = networkForward(net, x, { train: true, dropoutMasks: masks }).out;
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });

  it('a mask of the wrong length is refused', () => {
    const net = createNetwork(tiny, new Rng(0));
    expect(() => networkForward(net, Tensor.zeros([2, 1, 6, 6]), { train: true, dropoutMasks: [new Float64Array(3)] })).toThrow('tiny: dropoutMasks[0] must have 54 entries for layer');
  });
});
