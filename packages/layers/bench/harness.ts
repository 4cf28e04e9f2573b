/**
 * The benchmark harness: what a case is, how it is timed, how its answers are checked.
 *
 * A case ({@link BenchCase}) verifies every implementation against its oracle first
 * ({@link verify} throws on a wrong answer, so no wrong answer is ever reported), then times them
 * ({@link measure}) and returns {@link Timing} rows and {@link Comparison}s against the
 * baselines it measured in the same run. `run.ts` prints them as tables.
 *
 * @module
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** What a case learns about the run it is part of. */
export interface BenchContext {
  /** `--quick`: fewer repetitions and a smaller batch for the slowest baseline. */
  readonly quick: boolean;
  /** Progress line on stderr (the tables go to stdout). */
  progress(message: string): void;
}

/** One implementation's time on one benchmark. */
export interface Timing {
  /** Benchmark, e.g. `"conv2d forward"`. */
  readonly bench: string;
  /** Implementation, e.g. `"library (im2col + GEMM)"`. */
  readonly impl: string;
  /** Median wall-clock milliseconds per run, already multiplied by `scale`. */
  readonly ms: number;
  /** Median process CPU milliseconds per run (user + system), times `scale`. */
  readonly cpuMs: number;
  /** Timed runs (after warm-up). */
  readonly runs: number;
  /** Throughput column, e.g. `"3.12 GFLOP/s"`; derived from `ms`. */
  readonly throughput: string;
  /** Anything the reader must know to read the number, e.g. `"measured at N=4, time x8"`. */
  readonly note?: string;
}

/** `subject` against `baseline` on one benchmark: `ratio = baseline time / subject time`. */
export interface Comparison {
  readonly bench: string;
  readonly subject: string;
  readonly baseline: string;
  /** Wall-clock ratio; above 1 means the subject is faster. */
  readonly ratio: number;
  /** The same ratio from CPU time, which other processes on a shared machine do not inflate. */
  readonly cpuRatio: number;
  /** The goal the subject should reach, as a ratio (e.g. 2 for "at least 2x faster"). */
  readonly goal?: number;
}

/** A correctness check made before timing. */
export interface Check {
  readonly bench: string;
  /** What was compared, e.g. `"library dx vs plain loops"`. */
  readonly what: string;
  /** Max-norm relative error `max|got - want| / max|want|`. */
  readonly error: number;
  readonly tolerance: number;
}

/**
 * A goal of a performance issue and whether this run met it, e.g. name `"conv2d peak memory"`,
 * measured `"0.37 GiB"`, target `"< 0.5 GiB"`. `run.ts` lists every case's goals in one table at
 * the end (together with the {@link Comparison}s that carry a `goal`).
 */
export interface Goal {
  readonly name: string;
  /** What this run measured, with its unit. */
  readonly measured: string;
  /** What it should be, e.g. `">= 1x"`, `"within 20%"`. */
  readonly target: string;
  readonly met: boolean;
  /** How it was measured, when the reader needs to know (e.g. `"CPU time"`). */
  readonly note?: string;
}

/** A {@link Goal} row. */
export function goal(name: string, measured: string, target: string, met: boolean, note?: string): Goal {
  return { name, measured, target, met, ...(note ? { note } : {}) };
}

/** The {@link Goal} a {@link Comparison} with a `goal` stands for (met on the wall-clock ratio, as in the ratio table). */
export function comparisonGoal(c: Comparison): Goal | undefined {
  if (c.goal === undefined) return undefined;
  return goal(`${c.bench}: ${c.subject} vs ${c.baseline}`, `${formatRatio(c.ratio)} (CPU time: ${formatRatio(c.cpuRatio)})`, `>= ${c.goal}x`, c.ratio >= c.goal, 'wall-clock ratio');
}

/** What a case hands back. */
export interface CaseResult {
  readonly timings: Timing[];
  readonly comparisons: Comparison[];
  readonly checks: Check[];
  /** Goals that are not speed ratios (memory, flatness, ...); optional. */
  readonly goals?: Goal[];
}

/** A named benchmark; `run.ts` keeps a list of these. */
export interface BenchCase {
  /** Short id for `--only`, e.g. `"conv2d"`. */
  readonly name: string;
  /** One line for the header. */
  readonly title: string;
  run(ctx: BenchContext): Promise<CaseResult>;
}

/** A wrong answer found by {@link verify}: the case stops and reports no timings. */
export class BenchCheckError extends Error {
  constructor(readonly check: Check) {
    super(`${check.bench}: ${check.what}: relative error ${check.error.toExponential(2)} exceeds ${check.tolerance.toExponential(0)}`);
    this.name = 'BenchCheckError';
  }
}

/**
 * Max-norm relative error `max_i |got_i - want_i| / max_i |want_i|`: how far an answer is,
 * measured against the size of the true answer (an elementwise error would blow up on
 * entries that are nearly 0 by cancellation, which float32 cannot resolve).
 * Returns `Infinity` for a length mismatch and for any NaN.
 */
export function maxRelError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (Number.isNaN(d)) return Infinity;
    if (d > diff) diff = d;
    const s = Math.abs(want[i]);
    if (s > scale) scale = s;
  }
  return scale === 0 ? diff : diff / scale;
}

/**
 * Compares an answer with its oracle and records the check; throws {@link BenchCheckError}
 * when it is off by more than `tolerance`.
 */
export function verify(checks: Check[], bench: string, what: string, got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number): void {
  const check: Check = { bench, what, error: maxRelError(got, want), tolerance };
  checks.push(check);
  if (!(check.error <= tolerance)) throw new BenchCheckError(check);
}

/** Result of {@link measure}, per run. */
export interface Sample {
  readonly ms: number;
  readonly cpuMs: number;
  readonly runs: number;
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Untimed runs first (JIT compilation, caches). Default 2. */
  readonly warmup?: number;
  /** Timed runs. Default 7. */
  readonly runs: number;
  /** Stop adding timed runs after this much wall time (at least 3 runs are kept). Default 15 s. */
  readonly budgetMs?: number;
}

/** `global.gc`, exposed at run time (the bench is started by plain `tsx`, without `--expose-gc`). */
const gc: (() => void) | undefined = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
})();

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** A full garbage collection where the bench could expose one (as {@link measure} runs before each timed run). */
export function collectGarbage(): void {
  gc?.();
}

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Times `fn`: `warmup` untimed runs, then up to `runs` timed ones; returns the medians of
 * wall-clock and CPU time. A full garbage collection runs before each timed run, so that
 * garbage from one run is not charged to the next (the run's own collections still count).
 */
export function measure(fn: () => void, opts: MeasureOptions): Sample {
  const warmup = opts.warmup ?? 2;
  const budget = opts.budgetMs ?? 15_000;
  for (let i = 0; i < warmup; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  const start = performance.now();
  for (let i = 0; i < opts.runs; i++) {
    gc?.();
    const c0 = cpuNow();
    const t0 = performance.now();
    fn();
    const t1 = performance.now();
    const c1 = cpuNow();
    wall.push(t1 - t0);
    cpu.push(c1 - c0);
    if (i >= 2 && t1 - start > budget) break;
  }
  return { ms: median(wall), cpuMs: median(cpu), runs: wall.length };
}

/**
 * Times two functions that are to be compared, their runs interleaved (a, b, a, b, ...) rather
 * than all of `a`'s and then all of `b`'s: on a shared machine the load then falls on both
 * alike, and their ratio stays meaningful. Otherwise as {@link measure} (warm-up of each first,
 * a full collection before every timed run, medians).
 */
export function measurePair(a: () => void, b: () => void, opts: MeasureOptions): [Sample, Sample] {
  const warmup = opts.warmup ?? 2;
  const budget = opts.budgetMs ?? 15_000;
  for (let i = 0; i < warmup; i++) {
    a();
    b();
  }
  const wall: [number[], number[]] = [[], []];
  const cpu: [number[], number[]] = [[], []];
  const start = performance.now();
  for (let i = 0; i < opts.runs; i++) {
    // Alternate which goes first, so neither always runs right after the other's garbage.
    const order = i % 2 === 0 ? [0, 1] : [1, 0];
    for (const j of order) {
      gc?.();
      const c0 = cpuNow();
      const t0 = performance.now();
      (j === 0 ? a : b)();
      const t1 = performance.now();
      cpu[j].push(cpuNow() - c0);
      wall[j].push(t1 - t0);
    }
    if (i >= 2 && performance.now() - start > budget) break;
  }
  const sample = (j: 0 | 1): Sample => ({ ms: median(wall[j]), cpuMs: median(cpu[j]), runs: wall[j].length });
  return [sample(0), sample(1)];
}

/** `"3.12 GFLOP/s"` for `flops` floating-point operations in `ms` milliseconds. */
export function gflops(flops: number, ms: number): string {
  return `${(flops / ms / 1e6).toFixed(2)} GFLOP/s`;
}

/** `"250 Melem/s"` for `count` elements processed in `ms` milliseconds. */
export function melems(count: number, ms: number): string {
  return `${(count / ms / 1e3).toFixed(0)} Melem/s`;
}

/** A {@link Timing} row from a {@link Sample}; `scale` multiplies times measured on a smaller problem. */
export function timing(bench: string, impl: string, s: Sample, throughput: (ms: number) => string, note?: string, scale = 1): Timing {
  const ms = s.ms * scale;
  return { bench, impl, ms, cpuMs: s.cpuMs * scale, runs: s.runs, throughput: throughput(ms), ...(note ? { note } : {}) };
}

/** `subject` vs `baseline` from two rows of the same run. */
export function compare(subject: Timing, baseline: Timing, goal?: number): Comparison {
  return {
    bench: subject.bench,
    subject: subject.impl,
    baseline: baseline.impl,
    ratio: baseline.ms / subject.ms,
    cpuRatio: baseline.cpuMs / subject.cpuMs,
    ...(goal !== undefined ? { goal } : {}),
  };
}

/** `"12.3x faster"` / `"1.25x slower"`. */
export function formatRatio(r: number): string {
  if (!Number.isFinite(r) || r <= 0) return 'n/a';
  const digits = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  return r >= 1 ? `${digits(r)}x faster` : `${digits(1 / r)}x slower`;
}

/** Milliseconds with sensible precision. */
export function formatMs(ms: number): string {
  return ms >= 1000 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3);
}
