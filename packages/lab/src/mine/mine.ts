/**
 * `--mine`: the student's own layers in the real runs.
 *
 * A run names the groups of functions it uses ({@link GroupName}: `conv`, `pool`, `relu`,
 * `residual`, `convTranspose`, `rnn`, `lstm`, and exercise 12's architectures `manyToOne`, `seq2seq`,
 * `caption`). {@link loadMine} imports each group's exercise
 * file from the student's folder (`exercises/` by default), wraps the student's functions in
 * adapters with the library's signatures ({@link adapters}), and probes them on a small random
 * input against the library. A group comes whole from one side, because a backward pass needs
 * the cache of its own forward pass: a group with a function still TODO (it throws
 * `NotImplementedError`), missing, or throwing on the probe is taken from the library with a
 * notice, unless the run marked it `required`, in which case the run stops with a message
 * naming what is missing and the test command that checks it.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { NotImplementedError, relativeError, Rng, Tensor } from '@dlkata/tensor';
import * as layers from '@dlkata/layers';
import * as rnn from '@dlkata/rnn';
import { ADAPTERS, type GroupName, type Impl } from './adapters.js';

export type { GroupName } from './adapters.js';

/** Where a group of functions came from. */
export interface GroupSource {
  readonly group: GroupName;
  /** The library functions this group stands for. */
  readonly functions: readonly string[];
  /** `yours`: the student's; `library`: the library's (see `reason`). */
  readonly from: 'yours' | 'library';
  /** The student's file, relative to the repository (or as given). */
  readonly file: string;
  /** Why the library's were used: the TODO message, the missing export, the error. */
  readonly reason?: string;
  /** Kind of the reason: `todo` (NotImplementedError), `missing` (no file or export), `error` (threw on the probe). */
  readonly problem?: 'todo' | 'missing' | 'error';
  /** The student's functions against the library's on the probe: the largest relative error over all outputs. */
  readonly probeError?: number;
  /** The test command that checks this group. */
  readonly test: string;
}

/** Which functions of a run came from the student: `metrics.json`'s `mine` under `--mine`. */
export interface MineRecord {
  /** The student's folder, relative to the repository (or as given). */
  readonly dir: string;
  /** One entry per group of functions: the student's or the library's, and why. */
  readonly sources: readonly GroupSource[];
}

/** The functions a run uses, chosen per group, and where each came from. */
export interface Mine {
  /** Library-shaped functions: the student's where they work, the library's otherwise. */
  readonly impl: Impl;
  readonly sources: readonly GroupSource[];
}

/** Thrown when a run cannot work without a group that is still TODO (or missing, or broken). */
export class MineMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MineMissingError';
  }
}

/** Options of {@link loadMine}. */
export interface LoadMineOptions {
  /** Folder with the exercise folders (`02-convolution`, ...): `exercises` by default, relative to `root`. */
  readonly dir?: string;
  /** The repository root; relative `dir` resolve against it. */
  readonly root: string;
  /** Groups the run uses. */
  readonly groups: readonly GroupName[];
  /** Groups without which the run is pointless: when one is not the student's, {@link loadMine} throws {@link MineMissingError}. */
  readonly required?: readonly GroupName[];
  /** Groups of which at least one must be the student's (else {@link MineMissingError}): a run that works with either. */
  readonly requireAny?: readonly GroupName[];
  /** Name of the run, for messages (`train lenet`). */
  readonly run: string;
}

/** The library's functions, in the shapes {@link Impl} names. */
export const LIBRARY_IMPL: Impl = {
  conv2dForward: layers.conv2dForward,
  conv2dBackward: layers.conv2dBackward as Impl['conv2dBackward'],
  maxPool2dForward: layers.maxPool2dForward,
  maxPool2dBackward: layers.maxPool2dBackward as Impl['maxPool2dBackward'],
  reluForward: layers.reluForward,
  reluBackward: layers.reluBackward as Impl['reluBackward'],
  residualBlockForward: layers.residualBlockForward,
  residualBlockBackward: layers.residualBlockBackward as Impl['residualBlockBackward'],
  convTranspose2dForward: layers.convTranspose2dForward,
  convTranspose2dBackward: layers.convTranspose2dBackward as Impl['convTranspose2dBackward'],
  rnnForward: rnn.rnnForward,
  rnnBackward: rnn.rnnBackward as Impl['rnnBackward'],
  rnnStepBackward: rnn.rnnStepBackward as Impl['rnnStepBackward'],
  lstmForward: rnn.lstmForward,
  lstmBackward: rnn.lstmBackward as Impl['lstmBackward'],
  lstmStepForward: rnn.lstmStepForward,
  lstmStepBackward: rnn.lstmStepBackward as Impl['lstmStepBackward'],
  manyToOneLoss: rnn.manyToOneLoss,
  seq2seqLoss: rnn.seq2seqLoss,
  seq2seqGreedy: rnn.seq2seqGreedy,
  captionLoss: rnn.captionLoss,
  captionGreedy: rnn.captionGreedy,
};

/**
 * A TODO message shortened to the function and where to read about it:
 * `"TODO: conv2dForward: pad x ... (read: exercises/02-convolution/README.md, "Task 2"; guide: ...)"`
 * becomes `conv2dForward is still TODO (read: exercises/02-convolution/README.md, "Task 2")`.
 */
export function shortTodo(message: string): string {
  const name = /^(?:TODO: )?([A-Za-z_$][\w$]*(?: \([^)]*\))?): /.exec(message);
  if (!name) return message;
  const read = /\(read: [^;)]*/.exec(message);
  return `${name[1]} is still TODO${read ? ` ${read[0]})` : ''}`;
}

const isTodo = (e: unknown): boolean => e instanceof NotImplementedError || (e instanceof Error && e.name === 'NotImplementedError');
const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** Largest relative error between two lists of outputs (tensors compared element-wise). */
function worstError(a: readonly Tensor[], b: readonly Tensor[]): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (!(a[i] instanceof Tensor) || a[i].shape.join() !== b[i].shape.join()) return Infinity;
    const r = relativeError(a[i], b[i]).error;
    worst = Math.max(worst, Number.isNaN(r) ? Infinity : r);
  }
  return worst;
}

/**
 * Loads the student's functions for a run: imports, adapts, probes; falls back to the library
 * group by group. Prints nothing: {@link formatSources} says where each function came from.
 *
 * @throws MineMissingError if a `required` group is not the student's (still TODO, missing,
 *   or throwing on the probe), naming every such function, its file and the test to run
 */
export async function loadMine(opts: LoadMineOptions): Promise<Mine> {
  const base = path.resolve(opts.root, opts.dir ?? 'exercises');
  const impl: Record<string, unknown> = { ...LIBRARY_IMPL };
  const sources: GroupSource[] = [];
  const modules = new Map<string, Record<string, unknown> | Error>();
  for (const group of opts.groups) {
    const a = ADAPTERS[group];
    const abs = path.join(base, a.exercise, a.file);
    const file = path.relative(opts.root, abs) || abs;
    const test = `pnpm test ${path.relative(opts.root, path.join(base, a.exercise)) || base}`;
    const common = { group, functions: a.functions, file, test };
    let mod = modules.get(abs);
    if (mod === undefined) {
      try {
        if (!existsSync(abs)) throw new Error(`there is no ${file}`);
        mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
      } catch (e) {
        mod = e instanceof Error ? e : new Error(String(e));
      }
      modules.set(abs, mod);
    }
    if (mod instanceof Error) {
      sources.push({ ...common, from: 'library', problem: 'missing', reason: `could not load ${file}: ${firstLine(mod)}` });
      continue;
    }
    const absent = a.exports.filter((name) => typeof mod[name] !== 'function');
    if (absent.length) {
      sources.push({ ...common, from: 'library', problem: 'missing', reason: `${file} exports no function ${absent.join(', ')}` });
      continue;
    }
    const theirs = a.adapt(mod);
    try {
      const rng = new Rng(20240611);
      const mine = a.probe(theirs, new Rng(20240611));
      const lib = a.probe(LIBRARY_IMPL, rng);
      sources.push({ ...common, from: 'yours', probeError: worstError(mine, lib) });
      Object.assign(impl, theirs);
    } catch (e) {
      sources.push({ ...common, from: 'library', problem: isTodo(e) ? 'todo' : 'error', reason: isTodo(e) ? shortTodo(firstLine(e)) : firstLine(e) });
    }
  }
  const anyOf = sources.filter((s) => opts.requireAny?.includes(s.group));
  const noneOfAny = anyOf.length > 0 && anyOf.every((s) => s.from === 'library');
  const missing = sources.filter((s) => s.from === 'library' && (opts.required?.includes(s.group) || (noneOfAny && opts.requireAny?.includes(s.group))));
  if (missing.length) {
    const lines = missing.map((s) => `  - ${s.functions.join(', ')} (${s.file}): ${s.problem === 'todo' ? '' : s.problem === 'missing' ? 'not found: ' : 'fails: '}${s.reason}\n    check it with: ${s.test}`);
    throw new MineMissingError(
      `${opts.run} --mine needs your own ${missing.map((s) => s.group).join(noneOfAny ? ' or ' : ' and ')} and cannot run without ${missing.length === 1 ? 'it' : noneOfAny ? 'one of them' : 'them'}:\n${lines.join('\n')}\n` +
        `Finish ${missing.length === 1 ? 'that task' : 'those tasks'} (the tests above turn green), then run again. Without --mine the run uses the library's layers.`,
    );
  }
  return { impl: impl as unknown as Impl, sources };
}

/** The primitives of a `@dlkata/layers` network (`Network.ops`) out of a run's functions. */
export function networkOps(impl: Impl): Pick<Impl, 'conv2dForward' | 'conv2dBackward' | 'maxPool2dForward' | 'maxPool2dBackward' | 'reluForward' | 'reluBackward'> {
  const { conv2dForward, conv2dBackward, maxPool2dForward, maxPool2dBackward, reluForward, reluBackward } = impl;
  return { conv2dForward, conv2dBackward, maxPool2dForward, maxPool2dBackward, reluForward, reluBackward };
}

/** Below this relative error on the probe, the student's functions agree with the library's (float64 round-off). */
export const PROBE_TOL = 1e-6;

/**
 * Where each function of a run came from, one line per group, e.g.
 * `yours    conv2dForward, conv2dBackward  (exercises/02-convolution/conv.ts; matches the library on a small input, rel. error 2e-16)`.
 */
export function formatSources(sources: readonly GroupSource[]): string {
  const width = Math.max(...sources.map((s) => s.functions.join(', ').length));
  const lines = sources.map((s) => {
    const fns = s.functions.join(', ').padEnd(width);
    if (s.from === 'yours') {
      const e = s.probeError ?? 0;
      const agree = e < PROBE_TOL ? `matches the library on a small input (rel. error ${e.toExponential(0)})` : `DIFFERS from the library on a small input (rel. error ${Number.isFinite(e) ? e.toExponential(1) : 'inf'}): expect other numbers; ${s.test} shows where`;
      return `  yours    ${fns}  ${s.file}; ${agree}`;
    }
    const why = s.problem === 'todo' ? '' : s.problem === 'missing' ? 'yours not found: ' : 'yours throws: ';
    return `  library  ${fns}  ${why}${s.reason}`;
  });
  return lines.join('\n');
}

/** Verdict of a student's run against the library's on the same seed and settings. */
export interface Comparison {
  readonly metric: string;
  readonly yours: number;
  readonly library: number;
  /** `yours - library`, in the metric's units (points for a percentage). */
  readonly difference: number;
  /** Largest difference still called "the same". */
  readonly tolerance: number;
  readonly same: boolean;
}

/**
 * Compares a student's metric with the library's on the same seed: "the same within noise"
 * when `|yours - library| <= tolerance`.
 */
export function compareRuns(metric: string, yours: number, library: number, tolerance: number): Comparison {
  const difference = yours - library;
  return { metric, yours, library, difference, tolerance, same: Number.isFinite(difference) && Math.abs(difference) <= tolerance };
}

/** One line for a {@link Comparison}, with `fmt` for the values. */
export function formatComparison(c: Comparison, fmt: (v: number) => string = (v) => v.toFixed(4)): string {
  const verdict = c.same
    ? `the same within noise (|difference| ${fmt(Math.abs(c.difference))} <= ${fmt(c.tolerance)})`
    : `NOT the same (difference ${fmt(c.difference)}, more than ${fmt(c.tolerance)}): a function of yours computes something else; run the tests of the exercises marked "yours" above`;
  return `${c.metric}: yours ${fmt(c.yours)}, library ${fmt(c.library)} (same seed and settings): ${verdict}`;
}
