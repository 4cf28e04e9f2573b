/**
 * conv2d throughput across batch sizes and image sizes: the library's GFLOP/s should not depend
 * on how big the problem is (no allocation cliff once the batch's buffers pass some size).
 *
 * Points: N = 8, 16, 32, 64, 128 at 28x28, and 14x14, 28x28, 56x56, 112x112 at N = 32; always
 * C = 16, F = 32, 3x3 filters, stride 1, 'same' padding. The goal: the fastest point's GFLOP/s
 * within 20% of the slowest's (max / min <= 1.2), for forward and for forward+backward. It is
 * judged on the main thread's CPU time (Linux `/proc/thread-self/schedstat`; the process's CPU
 * time elsewhere): other processes on a shared machine inflate it less than wall time, and the
 * collector's helper threads, which the harness's full collection before each run leaves busy,
 * are not charged to the small points.
 *
 * The points are timed in rounds, one sample of each point per round, and each point keeps its
 * best round: on a virtual machine whose host is busy, a stretch of slow seconds (invisible to
 * the guest's CPU clocks) then slows one sample of every point rather than every sample of a
 * few, and the best round is the one least disturbed. The note of each row gives the share of
 * system time: the kernel's cost of handing out fresh pages for each call's new output tensor,
 * which the library cannot reuse (the caller owns it) and which is much larger on some hosts.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { Rng } from '@dlkata/tensor';
import { conv2dBackward, conv2dForward } from '../../src/index.js';
import { convBackwardLoops, convFlops, convForwardLoops, convShape, type ConvShape } from '../baselines.js';
import { collectGarbage, gflops, goal, median, timing, verify, type BenchCase, type BenchContext, type CaseResult, type Check, type Goal, type Timing } from '../harness.js';

/** Batch sizes at 28x28, then image sizes at N = 32 (28x28 at N = 32 is measured once). */
const POINTS: ReadonlyArray<{ N: number; H: number }> = [
  { N: 8, H: 28 },
  { N: 16, H: 28 },
  { N: 32, H: 28 },
  { N: 64, H: 28 },
  { N: 128, H: 28 },
  { N: 32, H: 14 },
  { N: 32, H: 56 },
  { N: 32, H: 112 },
];
/** Goal: max GFLOP/s / min GFLOP/s over the points. */
const GOAL_SPREAD = 1.2;
/**
 * Floating-point operations of one timed sample: small points repeat the call within a sample
 * until it does about this much work (about 0.2 s here). The main thread's CPU clock
 * (`/proc/thread-self/schedstat`) advances only at scheduler ticks while the thread runs
 * (4 ms on this machine), so a sample of one 5 ms call could read 1 or 9 ms; at 0.2 s the
 * error is at most 2%.
 */
const SAMPLE_FLOPS = 2.4e9;
/** Rounds over all points (each point keeps its best round; 1 with `--quick`). */
const ROUNDS = 5;

const LIB = 'library (im2col + GEMM)';

export const convSweepCase: BenchCase = {
  name: 'conv-sweep',
  title: 'conv2d GFLOP/s across N = 8..128 (28x28) and 14x14..112x112 (N = 32), C=16 F=32 3x3 same',
  run,
};

function shapeOf(p: { N: number; H: number }): ConvShape {
  return convShape({ N: p.N, C: 16, H: p.H, W: p.H, F: 32, KH: 3, KW: 3, stride: 1, pad: 1 });
}

/** Calls per timed sample for an operation of `flops`: about {@link SAMPLE_FLOPS}, at least 1. */
function repsFor(flops: number): number {
  return Math.max(1, Math.round(SAMPLE_FLOPS / flops));
}

/** CPU milliseconds of the calling thread so far, or undefined where Linux's schedstat is missing. */
function threadCpuMs(): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}

/** `max / min` of GFLOP/s from each point's best round (main-thread CPU time, or process CPU time without Linux's schedstat), extreme points named. */
function spread(name: string, rows: readonly Summary[]): Goal {
  const rates = rows.map((r) => ({ label: r.label, g: r.flops / r.bestMs / 1e6 }));
  const basis = rows.every((r) => r.onThread) ? 'main-thread CPU time' : 'process CPU time';
  const max = rates.reduce((a, b) => (b.g > a.g ? b : a));
  const min = rates.reduce((a, b) => (b.g < a.g ? b : a));
  const ratio = max.g / min.g;
  return goal(
    `${name} GFLOP/s spread over ${rows.length} sizes`,
    `max/min ${ratio.toFixed(2)} (${max.g.toFixed(2)} at ${max.label}, ${min.g.toFixed(2)} at ${min.label})`,
    `within 20% (<= ${GOAL_SPREAD})`,
    ratio <= GOAL_SPREAD,
    `GFLOP/s from ${basis}, each point's best round`,
  );
}

/**
 * A few untimed passes on the first (smallest) point, about a second in all, so that the JIT has
 * compiled the hot loops before the first point is timed (two warm-up runs of a small point are
 * not enough, and its GFLOP/s would measure the compiler instead).
 */
function warmUp(s: ConvShape, params: { stride: number; pad: 'same' }): void {
  const rng = new Rng(1);
  const x = rng.randn([s.N, s.C, s.H, s.W]);
  const w = rng.randn([s.F, s.C, s.KH, s.KW]);
  const b = rng.randn([s.F]);
  const dout = rng.randn([s.N, s.F, s.OH, s.OW]);
  const t0 = performance.now();
  for (let i = 0; i < 20 && performance.now() - t0 < 1000; i++) conv2dBackward(dout, conv2dForward(x, w, b, params).cache);
}

/** One timed sample: per-call milliseconds of wall, process CPU (and its system part) and main-thread CPU time. */
interface Sample {
  readonly wall: number;
  readonly cpu: number;
  readonly sys: number;
  readonly thread: number | undefined;
}

function sample(fn: () => void, reps: number): Sample {
  collectGarbage();
  const th0 = threadCpuMs();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const th1 = threadCpuMs();
  return {
    wall: wall / reps,
    cpu: (c.user + c.system) / 1000 / reps,
    sys: c.system / 1000 / reps,
    thread: th0 === undefined || th1 === undefined ? undefined : (th1 - th0) / reps,
  };
}

/** What is timed at one size: the forward pass, or forward and backward. */
type Pass = 'forward' | 'forward+backward';

interface Point {
  readonly pass: Pass;
  readonly label: string;
  readonly flops: number;
  readonly run: () => void;
  readonly reps: number;
  readonly samples: Sample[];
}

/** A point's result: its timing row (medians, as elsewhere in the bench) and its best round, which the goal uses. */
interface Summary {
  readonly pass: Pass;
  readonly label: string;
  readonly flops: number;
  readonly t: Timing;
  readonly bestMs: number;
  readonly onThread: boolean;
}

function summarize(p: Point): Summary {
  const s = p.samples;
  const t = timing(`conv sweep ${p.pass} ${p.label}`, LIB, { ms: median(s.map((x) => x.wall)), cpuMs: median(s.map((x) => x.cpu)), runs: s.length }, (ms) => gflops(p.flops, ms));
  const threads = s.map((x) => x.thread);
  const onThread = threads.every((x) => x !== undefined);
  const bestMs = onThread ? Math.min(...(threads as number[])) : Math.min(...s.map((x) => x.cpu));
  const sysShare = median(s.map((x) => x.sys / x.cpu));
  const note = `CPU time: ${gflops(p.flops, t.cpuMs)}; best round${onThread ? ', main thread' : ''}: ${gflops(p.flops, bestMs)}; system ${(100 * sysShare).toFixed(0)}%`;
  return { pass: p.pass, label: p.label, flops: p.flops, t: { ...t, note }, bestMs, onThread };
}

async function run(ctx: BenchContext): Promise<CaseResult> {
  const params = { stride: 1, pad: 'same' } as const;
  const checks: Check[] = [];
  const points: Point[] = [];
  warmUp(shapeOf(POINTS[0]), params);
  for (const p of POINTS) {
    const s = shapeOf(p);
    const label = `N=${s.N} ${s.H}x${s.W}`;
    const rng = new Rng(s.N * 1000 + s.H);
    const x = rng.randn([s.N, s.C, s.H, s.W]);
    const w = rng.randn([s.F, s.C, s.KH, s.KW], Math.sqrt(2 / (s.C * s.KH * s.KW)));
    const b = rng.randn([s.F], 0.1);
    const dout = rng.randn([s.N, s.F, s.OH, s.OW]);
    if (s.N === 8) {
      // The smallest point is cheap enough for the plain-loop oracle.
      const f = conv2dForward(x, w, b, params);
      verify(checks, `conv sweep ${label}`, 'library out vs plain loops', f.out.data, convForwardLoops(x.data, w.data, b.data, s), 1e-12);
      const g = conv2dBackward(dout, f.cache);
      const ref = convBackwardLoops(dout.data, x.data, w.data, s);
      verify(checks, `conv sweep ${label}`, 'library dx vs plain loops', g.dx.data, ref.dx, 1e-12);
      verify(checks, `conv sweep ${label}`, 'library dw vs plain loops', g.dw.data, ref.dw, 1e-12);
    }
    const flops = convFlops(s);
    points.push(
      { pass: 'forward', label, flops, reps: repsFor(flops), samples: [], run: () => void conv2dForward(x, w, b, params) },
      { pass: 'forward+backward', label, flops: 3 * flops, reps: repsFor(3 * flops), samples: [], run: () => void conv2dBackward(dout, conv2dForward(x, w, b, params).cache) },
    );
  }
  const rounds = ctx.quick ? 1 : ROUNDS;
  for (let r = 0; r < rounds; r++) {
    for (const p of points) {
      ctx.progress(`conv sweep round ${r + 1}/${rounds}: ${p.pass} ${p.label}`);
      p.samples.push(sample(p.run, p.reps));
    }
  }
  const summaries = points.map(summarize);
  const goals = (['forward', 'forward+backward'] as const).map((pass) => spread(`conv2d ${pass}`, summaries.filter((s) => s.pass === pass)));
  return { timings: summaries.map((s) => s.t), comparisons: [], checks, goals };
}
