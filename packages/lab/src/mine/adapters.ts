/**
 * Adapters from the exercises' signatures to the library's.
 *
 * The exercises teach with simpler signatures than the library's: one `stride` and one `pad`
 * for both dimensions, a square pooling window, no dilation. An adapter takes the library's
 * arguments, checks that the student's function can express them (else it throws a
 * `ValueError` that names the student's function and the argument), and calls the student's
 * function. Caches pass through untouched: a backward adapter hands the student's backward
 * exactly the cache the student's forward returned.
 *
 * Each group also has a probe: a small random forward and backward pass whose outputs
 * {@link loadMine} compares with the library's.
 *
 * @module
 */
import { Rng, Tensor, ValueError, type Conv2DParams, type Pair, type Pool2DParams } from '@dlkata/tensor';
import type { ConvTranspose2DParams, ResidualBlockOptions, ResidualBlockParams } from '@dlkata/layers';
import type { CaptionLossOptions, DecodeOptions, IdGrid, ManyToOneOptions, ModelParams, RecurrentCell, Seq2SeqLossOptions } from '@dlkata/rnn';

/** A forward pass in the library's shape: its arguments, and `{ out, cache }` back. */
export type Fwd<A extends unknown[]> = (...args: A) => { out: Tensor; cache: unknown };

/** The functions a run can take from the student, in the library's signatures (caches opaque). */
export interface Impl {
  /** Convolution forward, as `@dlkata/layers`' `conv2dForward` (NCHW). */
  readonly conv2dForward: Fwd<[x: Tensor, w: Tensor, b: Tensor, params: Conv2DParams]>;
  /** Convolution backward: `dx`, `dw`, `db` from `dout` and the forward's cache. */
  readonly conv2dBackward: (dout: Tensor, cache: never) => { dx: Tensor; dw: Tensor; db: Tensor };
  /** Max pooling forward, as `@dlkata/layers`' `maxPool2dForward`. */
  readonly maxPool2dForward: Fwd<[x: Tensor, params: Pool2DParams]>;
  /** Max pooling backward: `dx` from `dout` and the forward's cache. */
  readonly maxPool2dBackward: (dout: Tensor, cache: never) => { dx: Tensor };
  /** ReLU forward. */
  readonly reluForward: Fwd<[x: Tensor]>;
  /** ReLU backward: `dx` from `dout` and the forward's cache. */
  readonly reluBackward: (dout: Tensor, cache: never) => { dx: Tensor };
  /** Residual block forward (skip added before the last ReLU). */
  readonly residualBlockForward: Fwd<[x: Tensor, params: ResidualBlockParams, opts?: ResidualBlockOptions]>;
  /** Residual block backward: gradients of the input and of every weight. */
  readonly residualBlockBackward: (dout: Tensor, cache: never) => { dx: Tensor; dw1: Tensor; db1: Tensor; dw2: Tensor; db2: Tensor; dws?: Tensor; dbs?: Tensor };
  /** Transposed convolution forward (PyTorch layout). */
  readonly convTranspose2dForward: Fwd<[x: Tensor, w: Tensor, b: Tensor, params: ConvTranspose2DParams]>;
  /** Transposed convolution backward: `dx`, `dw`, `db`. */
  readonly convTranspose2dBackward: (dout: Tensor, cache: never) => { dx: Tensor; dw: Tensor; db: Tensor };
  /** Vanilla RNN over a sequence `x` `[N, T, D]` from `h0` `[N, H]`. */
  readonly rnnForward: (x: Tensor, h0: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor) => { h: Tensor; cache: unknown };
  /** Backprop through time of `rnnForward`. */
  readonly rnnBackward: (dh: Tensor, cache: never) => { dx: Tensor; dh0: Tensor; dWx: Tensor; dWh: Tensor; db: Tensor };
  /** Takes one step cache of `rnnForward`'s cache (`cache.steps[t]`). */
  readonly rnnStepBackward: (dnextH: Tensor, cache: never) => { dx: Tensor; dprevH: Tensor; dWx: Tensor; dWh: Tensor; db: Tensor };
  /** LSTM over a sequence (gate order i, f, g, o), from `h0` and optional `c0`. */
  readonly lstmForward: (x: Tensor, h0: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor, c0?: Tensor) => { h: Tensor; cT: Tensor; cache: unknown };
  /** Backprop through time of `lstmForward`, with the optional gradient `dcT` of the last cell state. */
  readonly lstmBackward: (dh: Tensor, cache: never, dcT?: Tensor) => { dx: Tensor; dh0: Tensor; dc0: Tensor; dWx: Tensor; dWh: Tensor; db: Tensor };
  /** One LSTM step (gate order i, f, g, o). */
  readonly lstmStepForward: (x: Tensor, prevH: Tensor, prevC: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor) => { nextH: Tensor; nextC: Tensor; cache: unknown };
  /** Takes one step cache of `lstmForward`'s cache (`cache.steps[t]`). */
  readonly lstmStepBackward: (dnextH: Tensor, dnextC: Tensor, cache: never) => { dx: Tensor; dprevH: Tensor; dprevC: Tensor; dWx: Tensor; dWh: Tensor; db: Tensor };
  /** Many-to-one classifier loss, as `@dlkata/rnn`'s `manyToOneLoss` (parameters `Wx`, `Wh`, `b`, `Wy`, `by`). */
  readonly manyToOneLoss: (x: Tensor, params: ModelParams, y: ArrayLike<number>, opts?: ManyToOneOptions) => { loss: number; scores: Tensor; grads: ModelParams; dx: Tensor };
  /** Encoder-decoder loss with teacher forcing, as `@dlkata/rnn`'s `seq2seqLoss`. */
  readonly seq2seqLoss: (src: IdGrid, tgt: IdGrid, params: ModelParams, opts: Seq2SeqLossOptions) => { loss: number; grads: ModelParams };
  /** Encoder-decoder greedy decoding, as `@dlkata/rnn`'s `seq2seqGreedy`. */
  readonly seq2seqGreedy: (src: IdGrid, params: ModelParams, opts: DecodeOptions) => number[][];
  /** Captioning loss with teacher forcing, as `@dlkata/rnn`'s `captionLoss`. */
  readonly captionLoss: (features: Tensor, captions: IdGrid, params: ModelParams, opts: CaptionLossOptions) => { loss: number; grads: ModelParams; dfeatures: Tensor };
  /** Captioning greedy decoding, as `@dlkata/rnn`'s `captionGreedy`. */
  readonly captionGreedy: (features: Tensor, params: ModelParams, opts: DecodeOptions) => number[][];
}

/** Groups of functions that come together from one side (a backward needs its own forward's cache). */
export type GroupName = 'conv' | 'pool' | 'relu' | 'residual' | 'convTranspose' | 'rnn' | 'lstm' | 'manyToOne' | 'seq2seq' | 'caption';

/** How to take one group from an exercise. */
export interface GroupAdapter {
  /** Exercise folder, e.g. `02-convolution`. */
  readonly exercise: string;
  /** File inside it, e.g. `conv.ts`. */
  readonly file: string;
  /** The student's export names the group needs. */
  readonly exports: readonly string[];
  /** The library functions the group provides. */
  readonly functions: readonly (keyof Impl)[];
  /** Library-shaped functions around the student's module. */
  adapt(mod: Record<string, unknown>): Partial<Impl>;
  /** A small forward and backward pass with `impl`; returns every output, in a fixed order. */
  probe(impl: Partial<Impl>, rng: Rng): Tensor[];
}

type AnyFn = (...args: unknown[]) => unknown;
const fn = (mod: Record<string, unknown>, name: string): AnyFn => mod[name] as AnyFn;
const pairOf = (p: Pair): [number, number] => (typeof p === 'number' ? [p, p] : [p[0], p[1]]);

/** One number for both dimensions, or a ValueError naming the student's function. */
function single(op: string, name: string, p: Pair): number {
  const [a, b] = pairOf(p);
  if (a !== b) throw new ValueError(`${op} (yours)`, `takes one ${name} for height and width; this run needs ${name} [${a}, ${b}]`);
  return a;
}

/** The exercise's `{ stride, pad }` for the library's conv parameters; `'same'` becomes `(K - 1) / 2` (odd square kernel, stride 1). */
export function studentConvParams(op: string, w: Tensor, p: Conv2DParams = {}): { stride: number; pad: number } {
  const stride = single(op, 'stride', p.stride ?? 1);
  if (single(op, 'dilation', p.dilation ?? 1) !== 1) throw new ValueError(`${op} (yours)`, `has no dilation; this run needs dilation ${String(p.dilation)}`);
  let pad: number;
  if (p.pad === 'same') {
    const [KH, KW] = [w.shape[2], w.shape[3]];
    if (KH !== KW || KH % 2 === 0 || stride !== 1) {
      throw new ValueError(`${op} (yours)`, `'same' padding needs an odd square kernel at stride 1 to be one pad; got kernel ${KH}x${KW}, stride ${stride}`);
    }
    pad = (KH - 1) / 2;
  } else {
    pad = single(op, 'pad', p.pad ?? 0);
  }
  return { stride, pad };
}

/** The exercise's `{ kernel, stride }` for the library's pooling parameters (square window, no padding). */
export function studentPoolParams(op: string, p: Pool2DParams): { kernel: number; stride: number } {
  const kernel = single(op, 'kernel', p.kernel);
  const stride = single(op, 'stride', p.stride ?? p.kernel);
  if (single(op, 'pad', p.pad ?? 0) !== 0) throw new ValueError(`${op} (yours)`, `has no padding; this run needs pad ${String(p.pad)}`);
  return { kernel, stride };
}

function studentTransposeParams(op: string, p: ConvTranspose2DParams): { stride: number; pad: number; outputPadding: number } {
  if (single(op, 'dilation', p.dilation ?? 1) !== 1) throw new ValueError(`${op} (yours)`, `has no dilation; this run needs dilation ${String(p.dilation)}`);
  return { stride: single(op, 'stride', p.stride ?? 1), pad: single(op, 'pad', p.pad ?? 0), outputPadding: single(op, 'outputPadding', p.outputPadding ?? 0) };
}

/** The exercise's architectures are one LSTM layer: a ValueError naming the student's function for another cell. */
function lstmOnly(op: string, cell: RecurrentCell | undefined): void {
  if ((cell ?? 'lstm') !== 'lstm') throw new ValueError(`${op} (yours)`, `is built on an LSTM; this run needs cell '${String(cell)}'`);
}

/** The exercise's architectures take exactly these parameters (one recurrent layer): else a ValueError naming the student's function. */
function exactKeys(op: string, params: ModelParams, keys: readonly string[]): void {
  const extra = Object.keys(params).filter((k) => !keys.includes(k));
  const absent = keys.filter((k) => !(params[k] instanceof Tensor));
  if (extra.length || absent.length) {
    throw new ValueError(`${op} (yours)`, `takes one LSTM layer with parameters ${keys.join(', ')}; this run ${extra.length ? `also has ${extra.join(', ')}` : `has no ${absent.join(', ')}`}`);
  }
}

/** Token ids as rows of numbers (the exercise's `Ids`), from the library's rows or `{ data, shape }`. */
export function idRows(ids: IdGrid): number[][] {
  if (Array.isArray(ids)) return (ids as ArrayLike<number>[]).map((r) => Array.from(r));
  const g = ids as { readonly data: ArrayLike<number>; readonly shape: readonly number[] };
  const [N, T] = g.shape;
  return Array.from({ length: N }, (_, n) => Array.from({ length: T }, (_, t) => g.data[n * T + t]));
}

const decodeOpts = (o: DecodeOptions) => ({ start: o.start, end: o.end, nullId: o.nullId, maxLength: o.maxLength });
const MANY_TO_ONE_KEYS = ['Wx', 'Wh', 'b', 'Wy', 'by'];
const SEQ2SEQ_KEYS = ['Wsrc', 'encWx', 'encWh', 'encb', 'Wtgt', 'decWx', 'decWh', 'decb', 'Wout', 'bout'];
const CAPTION_KEYS = ['Wproj', 'bproj', 'Wembed', 'Wx', 'Wh', 'b', 'Wvocab', 'bvocab'];

/** Gradients in a fixed order (the parameters' keys sorted), then the rest of a probe's outputs. */
const sortedGrads = (g: ModelParams): Tensor[] => Object.keys(g).sort().map((k) => g[k]);
const idTensor = (rows: number[][]): Tensor => Tensor.fromArray(rows.flat(), [rows.length, rows[0]?.length ?? 0]);
const randomIds = (rng: Rng, N: number, T: number, lo: number, hi: number): number[][] => Array.from({ length: N }, () => Array.from({ length: T }, () => lo + Math.floor(rng.uniform() * (hi - lo))));

const req = <K extends keyof Impl>(impl: Partial<Impl>, k: K): Impl[K] => impl[k] as Impl[K];

/** The groups, by name. */
export const ADAPTERS: Readonly<Record<GroupName, GroupAdapter>> = {
  conv: {
    exercise: '02-convolution',
    file: 'conv.ts',
    exports: ['conv2dForward', 'conv2dBackward'],
    functions: ['conv2dForward', 'conv2dBackward'],
    adapt: (mod) => ({
      conv2dForward: (x, w, b, params) => fn(mod, 'conv2dForward')(x, w, b, studentConvParams('conv2dForward', w, params)) as { out: Tensor; cache: unknown },
      conv2dBackward: (dout, cache) => fn(mod, 'conv2dBackward')(dout, cache) as { dx: Tensor; dw: Tensor; db: Tensor },
    }),
    probe: (impl, rng) => {
      const x = rng.randn([2, 3, 7, 6]);
      const w = rng.randn([4, 3, 3, 3]);
      const b = rng.randn([4]);
      const a = req(impl, 'conv2dForward')(x, w, b, { stride: 2, pad: 1 });
      const s = req(impl, 'conv2dForward')(x, w, b, { pad: 'same' });
      const ga = req(impl, 'conv2dBackward')(rng.randn(a.out.shape), a.cache as never);
      return [a.out, s.out, ga.dx, ga.dw, ga.db];
    },
  },
  pool: {
    exercise: '03-pooling',
    file: 'pool.ts',
    exports: ['maxPool2dForward', 'maxPool2dBackward'],
    functions: ['maxPool2dForward', 'maxPool2dBackward'],
    adapt: (mod) => ({
      maxPool2dForward: (x, params) => fn(mod, 'maxPool2dForward')(x, studentPoolParams('maxPool2dForward', params)) as { out: Tensor; cache: unknown },
      maxPool2dBackward: (dout, cache) => fn(mod, 'maxPool2dBackward')(dout, cache) as { dx: Tensor },
    }),
    probe: (impl, rng) => {
      const x = rng.randn([2, 3, 6, 7]);
      const a = req(impl, 'maxPool2dForward')(x, { kernel: 2 });
      const o = req(impl, 'maxPool2dForward')(x, { kernel: 3, stride: 2 });
      const g = req(impl, 'maxPool2dBackward')(rng.randn(o.out.shape), o.cache as never);
      return [a.out, o.out, g.dx];
    },
  },
  relu: {
    exercise: '05-residual',
    file: 'residual.ts',
    exports: ['reluForward', 'reluBackward'],
    functions: ['reluForward', 'reluBackward'],
    adapt: (mod) => ({
      reluForward: (x) => fn(mod, 'reluForward')(x) as { out: Tensor; cache: unknown },
      reluBackward: (dout, cache) => fn(mod, 'reluBackward')(dout, cache) as { dx: Tensor },
    }),
    probe: (impl, rng) => {
      const x = rng.randn([2, 3, 4]).map((v) => (v < 0 ? v - 0.01 : v + 0.01));
      const r = req(impl, 'reluForward')(x);
      return [r.out, req(impl, 'reluBackward')(rng.randn(x.shape), r.cache as never).dx];
    },
  },
  residual: {
    exercise: '05-residual',
    file: 'residual.ts',
    exports: ['residualBlockForward', 'residualBlockBackward'],
    functions: ['residualBlockForward', 'residualBlockBackward'],
    adapt: (mod) => ({
      residualBlockForward: (x, params, opts) => fn(mod, 'residualBlockForward')(x, params, opts === undefined ? {} : { stride: opts.stride ?? 1 }) as { out: Tensor; cache: unknown },
      residualBlockBackward: (dout, cache) => fn(mod, 'residualBlockBackward')(dout, cache) as ReturnType<Impl['residualBlockBackward']>,
    }),
    probe: (impl, rng) => {
      const x = rng.randn([2, 3, 5, 5]);
      const p = { w1: rng.randn([4, 3, 3, 3], 0.3), b1: rng.randn([4]), w2: rng.randn([4, 4, 3, 3], 0.3), b2: rng.randn([4]), ws: rng.randn([4, 3, 1, 1]), bs: rng.randn([4]) };
      const f = req(impl, 'residualBlockForward')(x, p, { stride: 2 });
      const g = req(impl, 'residualBlockBackward')(rng.randn(f.out.shape), f.cache as never);
      const xi = rng.randn([1, 4, 4, 4]);
      const pi = { w1: rng.randn([4, 4, 3, 3], 0.3), b1: rng.randn([4]), w2: rng.randn([4, 4, 3, 3], 0.3), b2: rng.randn([4]) };
      const fi = req(impl, 'residualBlockForward')(xi, pi);
      const gi = req(impl, 'residualBlockBackward')(rng.randn(fi.out.shape), fi.cache as never);
      return [f.out, g.dx, g.dw1, g.db1, g.dw2, g.db2, g.dws!, g.dbs!, fi.out, gi.dx, gi.dw1, gi.dw2];
    },
  },
  convTranspose: {
    exercise: '07-fcn',
    file: 'conv-transpose.ts',
    exports: ['convTranspose2dForward', 'convTranspose2dBackward'],
    functions: ['convTranspose2dForward', 'convTranspose2dBackward'],
    adapt: (mod) => ({
      convTranspose2dForward: (x, w, b, params) => fn(mod, 'convTranspose2dForward')(x, w, b, studentTransposeParams('convTranspose2dForward', params)) as { out: Tensor; cache: unknown },
      convTranspose2dBackward: (dout, cache) => fn(mod, 'convTranspose2dBackward')(dout, cache) as { dx: Tensor; dw: Tensor; db: Tensor },
    }),
    probe: (impl, rng) => {
      const x = rng.randn([2, 3, 3, 4]);
      const w = rng.randn([3, 2, 4, 4]);
      const b = rng.randn([2]);
      const f = req(impl, 'convTranspose2dForward')(x, w, b, { stride: 2, pad: 1 });
      const g = req(impl, 'convTranspose2dBackward')(rng.randn(f.out.shape), f.cache as never);
      return [f.out, g.dx, g.dw, g.db];
    },
  },
  rnn: {
    exercise: '09-rnn',
    file: 'rnn.ts',
    exports: ['rnnForward', 'rnnBackward', 'rnnStepBackward'],
    functions: ['rnnForward', 'rnnBackward', 'rnnStepBackward'],
    adapt: (mod) => ({
      rnnForward: (x, h0, Wx, Wh, b) => fn(mod, 'rnnForward')(x, h0, Wx, Wh, b) as { h: Tensor; cache: unknown },
      rnnBackward: (dh, cache) => fn(mod, 'rnnBackward')(dh, cache) as ReturnType<Impl['rnnBackward']>,
      rnnStepBackward: (dnextH, cache) => fn(mod, 'rnnStepBackward')(dnextH, cache) as ReturnType<Impl['rnnStepBackward']>,
    }),
    probe: (impl, rng) => {
      const [N, T, D, H] = [2, 4, 3, 5];
      const f = req(impl, 'rnnForward')(rng.randn([N, T, D]), rng.randn([N, H]), rng.randn([D, H], 0.5), rng.randn([H, H], 0.5), rng.randn([H]));
      const g = req(impl, 'rnnBackward')(rng.randn(f.h.shape), f.cache as never);
      const steps = (f.cache as { steps: unknown[] }).steps;
      const s = req(impl, 'rnnStepBackward')(rng.randn([N, H]), steps[T - 1] as never);
      return [f.h, g.dx, g.dh0, g.dWx, g.dWh, g.db, s.dx, s.dprevH, s.dWx];
    },
  },
  lstm: {
    exercise: '11-lstm',
    file: 'lstm.ts',
    exports: ['lstmForward', 'lstmBackward', 'lstmStepForward', 'lstmStepBackward'],
    functions: ['lstmForward', 'lstmBackward', 'lstmStepForward', 'lstmStepBackward'],
    adapt: (mod) => ({
      lstmForward: (x, h0, Wx, Wh, b, c0) => fn(mod, 'lstmForward')(x, h0, Wx, Wh, b, c0) as ReturnType<Impl['lstmForward']>,
      lstmBackward: (dh, cache, dcT) => fn(mod, 'lstmBackward')(dh, cache, dcT) as ReturnType<Impl['lstmBackward']>,
      lstmStepForward: (x, prevH, prevC, Wx, Wh, b) => fn(mod, 'lstmStepForward')(x, prevH, prevC, Wx, Wh, b) as ReturnType<Impl['lstmStepForward']>,
      lstmStepBackward: (dnextH, dnextC, cache) => fn(mod, 'lstmStepBackward')(dnextH, dnextC, cache) as ReturnType<Impl['lstmStepBackward']>,
    }),
    probe: (impl, rng) => {
      const [N, T, D, H] = [2, 4, 3, 5];
      const Wx = rng.randn([D, 4 * H], 0.5);
      const Wh = rng.randn([H, 4 * H], 0.5);
      const b = rng.randn([4 * H]);
      const f = req(impl, 'lstmForward')(rng.randn([N, T, D]), rng.randn([N, H]), Wx, Wh, b, rng.randn([N, H]));
      const g = req(impl, 'lstmBackward')(rng.randn(f.h.shape), f.cache as never, rng.randn([N, H]));
      const st = req(impl, 'lstmStepForward')(rng.randn([N, D]), rng.randn([N, H]), rng.randn([N, H]), Wx, Wh, b);
      const sb = req(impl, 'lstmStepBackward')(rng.randn([N, H]), rng.randn([N, H]), st.cache as never);
      return [f.h, f.cT, g.dx, g.dh0, g.dc0, g.dWx, g.dWh, g.db, st.nextH, st.nextC, sb.dx, sb.dprevH, sb.dprevC, sb.dWx, sb.dWh, sb.db];
    },
  },
  manyToOne: {
    exercise: '12-rnn-architectures',
    file: 'architectures.ts',
    exports: ['manyToOneLoss'],
    functions: ['manyToOneLoss'],
    adapt: (mod) => ({
      manyToOneLoss: (x, params, y, opts = {}) => {
        lstmOnly('manyToOneLoss', opts.cell);
        exactKeys('manyToOneLoss', params, MANY_TO_ONE_KEYS);
        return fn(mod, 'manyToOneLoss')(x, params, Array.from(y), opts.pool ?? 'last') as ReturnType<Impl['manyToOneLoss']>;
      },
    }),
    probe: (impl, rng) => {
      const [N, T, D, H, K] = [3, 4, 3, 5, 4];
      const params = { Wx: rng.randn([D, 4 * H], 0.5), Wh: rng.randn([H, 4 * H], 0.5), b: rng.randn([4 * H]), Wy: rng.randn([H, K], 0.5), by: rng.randn([K]) };
      const x = rng.randn([N, T, D]);
      const y = [0, 3, 1];
      const last = req(impl, 'manyToOneLoss')(x, params, y);
      const mean = req(impl, 'manyToOneLoss')(x, params, y, { pool: 'mean' });
      return [Tensor.fromArray([last.loss, mean.loss]), last.scores, last.dx, ...sortedGrads(last.grads), mean.dx, ...sortedGrads(mean.grads)];
    },
  },
  seq2seq: {
    exercise: '12-rnn-architectures',
    file: 'architectures.ts',
    exports: ['seq2seqLoss', 'seq2seqGreedy'],
    functions: ['seq2seqLoss', 'seq2seqGreedy'],
    adapt: (mod) => ({
      seq2seqLoss: (src, tgt, params, opts) => {
        lstmOnly('seq2seqLoss', opts.cell);
        exactKeys('seq2seqLoss', params, SEQ2SEQ_KEYS);
        return fn(mod, 'seq2seqLoss')(idRows(src), idRows(tgt), params, opts.nullId) as ReturnType<Impl['seq2seqLoss']>;
      },
      seq2seqGreedy: (src, params, opts) => {
        lstmOnly('seq2seqGreedy', opts.cell);
        exactKeys('seq2seqGreedy', params, SEQ2SEQ_KEYS);
        return fn(mod, 'seq2seqGreedy')(idRows(src), params, decodeOpts(opts)) as number[][];
      },
    }),
    probe: (impl, rng) => {
      const [N, S, T, Vs, Vt, E, H] = [3, 4, 5, 6, 7, 3, 4];
      const params = {
        Wsrc: rng.randn([Vs, E]),
        encWx: rng.randn([E, 4 * H], 0.5),
        encWh: rng.randn([H, 4 * H], 0.5),
        encb: rng.randn([4 * H]),
        Wtgt: rng.randn([Vt, E]),
        decWx: rng.randn([E, 4 * H], 0.5),
        decWh: rng.randn([H, 4 * H], 0.5),
        decb: rng.randn([4 * H]),
        Wout: rng.randn([H, Vt], 1.5),
        bout: rng.randn([Vt]),
      };
      const src = randomIds(rng, N, S, 0, Vs);
      const tgt = randomIds(rng, N, T, 0, Vt).map((r) => [1, ...r.slice(1, -1), 2]);
      tgt[0][T - 2] = 0;
      const l = req(impl, 'seq2seqLoss')(src, tgt, params, { nullId: 0 });
      const g = req(impl, 'seq2seqGreedy')(src, params, { start: 1, end: 2, nullId: 0, maxLength: 6 });
      return [Tensor.fromArray([l.loss]), ...sortedGrads(l.grads), idTensor(g)];
    },
  },
  caption: {
    exercise: '12-rnn-architectures',
    file: 'architectures.ts',
    exports: ['captionLoss', 'captionGreedy'],
    functions: ['captionLoss', 'captionGreedy'],
    adapt: (mod) => ({
      captionLoss: (features, captions, params, opts) => {
        lstmOnly('captionLoss', opts.cell);
        exactKeys('captionLoss', params, CAPTION_KEYS);
        return fn(mod, 'captionLoss')(features, idRows(captions), params, opts.nullId) as ReturnType<Impl['captionLoss']>;
      },
      captionGreedy: (features, params, opts) => {
        lstmOnly('captionGreedy', opts.cell);
        exactKeys('captionGreedy', params, CAPTION_KEYS);
        return fn(mod, 'captionGreedy')(features, params, decodeOpts(opts)) as number[][];
      },
    }),
    probe: (impl, rng) => {
      const [N, F, T, V, E, H] = [3, 5, 5, 7, 3, 4];
      const params = {
        Wproj: rng.randn([F, H], 0.5),
        bproj: rng.randn([H]),
        Wembed: rng.randn([V, E]),
        Wx: rng.randn([E, 4 * H], 0.5),
        Wh: rng.randn([H, 4 * H], 0.5),
        b: rng.randn([4 * H]),
        Wvocab: rng.randn([H, V], 1.5),
        bvocab: rng.randn([V]),
      };
      const features = rng.randn([N, F]);
      const captions = randomIds(rng, N, T, 3, V).map((r) => [1, ...r.slice(1, -1), 2]);
      captions[1][T - 2] = 0;
      const l = req(impl, 'captionLoss')(features, captions, params, { nullId: 0 });
      const g = req(impl, 'captionGreedy')(features, params, { start: 1, end: 2, nullId: 0, maxLength: 6 });
      return [Tensor.fromArray([l.loss]), l.dfeatures, ...sortedGrads(l.grads), idTensor(g)];
    },
  },
};
