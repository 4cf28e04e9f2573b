/**
 * Peak memory of conv2d forward+backward at a large shape, measured in a child process: the
 * goal is that the batch's column buffers (`im2col`, `KH*KW` times the input) are never all
 * held at once, so the peak is the tensors themselves plus a few MiB of chunk buffers.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { goal, type BenchCase, type BenchContext, type CaseResult } from '../harness.js';

/** The issue's shape: N=128, C=16, 56x56, F=32, 3x3, stride 1, 'same' padding. */
const SHAPE = { N: 128, C: 16, H: 56, W: 56, F: 32 } as const;
/** Goal: peak resident set size of the whole process below 0.5 GiB (it was 1.24 GiB). */
const GOAL_BYTES = 0.5 * 2 ** 30;

const GIB = 2 ** 30;
const BENCH = `conv2d forward+backward peak memory, x=[${SHAPE.N},${SHAPE.C},${SHAPE.H},${SHAPE.W}] w=[${SHAPE.F},${SHAPE.C},3,3] same`;

export const convMemoryCase: BenchCase = {
  name: 'conv-memory',
  title: BENCH,
  run,
};

/** Tensors that must exist whatever the implementation: x, out, dout, dx (float64). */
function tensorBytes(): number {
  const { N, C, H, W, F } = SHAPE;
  return 8 * (2 * N * C * H * W + 2 * N * F * H * W);
}

async function run(ctx: BenchContext): Promise<CaseResult> {
  ctx.progress(`${BENCH}: child process`);
  const child = fileURLToPath(new URL('./conv-memory-child.ts', import.meta.url));
  const { N, C, H, W, F } = SHAPE;
  // The same Node flags as this process: under tsx they load its TypeScript loader.
  const res = spawnSync(process.execPath, [...process.execArgv, child, String(N), String(C), String(H), String(W), String(F)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (res.status !== 0) throw new Error(`conv-memory child failed (exit ${res.status ?? res.signal}): ${res.stderr.trim().slice(-2000)}`);
  const line = res.stdout.trim().split('\n').pop() ?? '';
  const r = JSON.parse(line) as { peakBytes: number | null; inputsBytes: number | null; ms: number };
  const gib = (b: number): string => `${(b / GIB).toFixed(2)} GiB`;
  const note = `VmHWM of a child process; x, out, dout and dx alone are ${gib(tensorBytes())}${r.inputsBytes !== null ? `; ${gib(r.inputsBytes)} before the pass` : ''}; pass took ${(r.ms / 1000).toFixed(1)} s`;
  if (r.peakBytes === null) {
    return { timings: [], comparisons: [], checks: [], goals: [goal('conv2d forward+backward peak memory', 'n/a (no /proc/self/status)', `< ${gib(GOAL_BYTES)}`, false, note)] };
  }
  return {
    timings: [],
    comparisons: [],
    checks: [],
    goals: [goal('conv2d forward+backward peak memory (N=128, 56x56)', gib(r.peakBytes), `< ${gib(GOAL_BYTES)}`, r.peakBytes < GOAL_BYTES, note)],
  };
}
