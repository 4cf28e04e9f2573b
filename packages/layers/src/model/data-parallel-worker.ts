/**
 * The worker side of data-parallel training (see `data-parallel.ts`): on `setup` it builds
 * the network over the shared parameter buffer; on `task` it runs its rows of the batch with
 * the same `sliceStep` as the main thread and writes its gradients, loss sum, correct count
 * and finiteness into its own region of the shared buffers, then answers `done`. Any error
 * is sent back as `{ type: 'error', message, stack }`.
 *
 * Internal: not exported from the package.
 *
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { Tensor } from '@dlkata/tensor';
import { analyze, type ModelSpec } from './spec.js';
import type { Network, ParamDict } from './network.js';
import { sliceStep } from './slice-step.js';

interface Setup {
  readonly type: 'setup';
  readonly slot: number;
  readonly spec: ModelSpec;
  readonly names: readonly string[];
  readonly shapes: readonly (readonly number[])[];
  readonly offsets: readonly number[];
  readonly paramCount: number;
  readonly maskFeatures: readonly number[];
  readonly buffers: Record<'params' | 'x' | 'y' | 'masks' | 'grads' | 'stats' | 'control', SharedArrayBuffer>;
}

interface Task {
  readonly type: 'task';
  readonly N: number;
  readonly n0: number;
  readonly n1: number;
  readonly frozen: readonly string[] | null;
}

interface State {
  readonly setup: Setup;
  readonly net: Network;
  readonly inSize: number;
  readonly params: Float64Array;
  readonly x: Float64Array;
  readonly y: Int32Array;
  readonly masks: Float64Array;
  readonly grads: Float64Array;
  readonly stats: Float64Array;
  readonly control: Int32Array;
}

let state: State | null = null;

function setup(m: Setup): State {
  const params = new Float64Array(m.buffers.params);
  const dict: ParamDict = {};
  m.names.forEach((name, i) => {
    const size = m.shapes[i].reduce((a, b) => a * b, 1);
    dict[name] = new Tensor(params.subarray(m.offsets[i], m.offsets[i] + size), m.shapes[i]);
  });
  const net: Network = { spec: m.spec, info: analyze(m.spec), params: dict };
  return {
    setup: m,
    net,
    inSize: m.spec.inputShape.reduce((a, b) => a * b, 1),
    params,
    x: new Float64Array(m.buffers.x),
    y: new Int32Array(m.buffers.y),
    masks: new Float64Array(m.buffers.masks),
    grads: new Float64Array(m.buffers.grads),
    stats: new Float64Array(m.buffers.stats),
    control: new Int32Array(m.buffers.control),
  };
}

function task(s: State, m: Task): void {
  Atomics.load(s.control, 0);
  const { N, n0, n1 } = m;
  const n = n1 - n0;
  const x = new Tensor(s.x.subarray(n0 * s.inSize, n1 * s.inSize), [n, ...s.net.spec.inputShape]);
  const masks: Float64Array[] = [];
  let off = 0;
  for (const f of s.setup.maskFeatures) {
    masks.push(s.masks.subarray(off + n0 * f, off + n1 * f));
    off += N * f;
  }
  const r = sliceStep(s.net, x, s.y.subarray(n0, n1), masks, N, m.frozen ? new Set(m.frozen) : undefined);
  const slot = s.setup.slot;
  s.stats[slot * 3] = r.lossSum;
  s.stats[slot * 3 + 1] = r.correct;
  s.stats[slot * 3 + 2] = r.finite ? 1 : 0;
  if (r.grads) {
    const base = slot * s.setup.paramCount;
    s.setup.names.forEach((name, i) => {
      const g = r.grads![name];
      if (g) s.grads.set(g.data, base + s.setup.offsets[i]);
    });
  }
  Atomics.add(s.control, 0, 0);
}

const port = parentPort;
if (!port) throw new Error('data-parallel-worker must run in a worker thread');
port.on('message', (m: Setup | Task) => {
  try {
    if (m.type === 'setup') state = setup(m);
    else if (!state) throw new Error('task before setup');
    else task(state, m);
    port.postMessage({ type: m.type === 'setup' ? 'ready' : 'done' });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    port.postMessage({ type: 'error', message: err.message, stack: err.stack });
  }
});
port.postMessage({ type: 'ready' });
