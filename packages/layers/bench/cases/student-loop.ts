/**
 * The student's loop, end to end, as a student types it: `pnpm test 05` on one exercise (the
 * edit-test loop) and `pnpm progress` (every exercise's visible tests and a quick grade).
 * Each command runs in a child process, exactly as the root `package.json` starts it, from
 * the repository root; nothing is asserted about time in the test suite, it is measured here.
 *
 * - `test loop`: `node scripts/test.mjs exercises/05-residual` (the student configuration:
 *   one project, worker threads, a persistent transform cache) against the same tests through
 *   the root configuration's seven projects (`vitest run exercises/05-residual`), and
 *   against the 3 s the loop must stay under on a quiet machine.
 * - `progress`: `tsx scripts/progress.ts` on the stubs (`exercises`, a student's first day)
 *   and on the solutions (every exercise done: all tests run to the end, the worst case),
 *   against the 10 s it must stay under.
 *
 * Before timing, one run of each is checked: the loop must report the exercise's tests (all
 * failing with their TODO on the stubs), progress must list every exercise, the solutions
 * with full points.
 *
 * CPU ms is the children's user + system time (Linux `/proc/self/stat`), NaN elsewhere.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchCheckError, compare, type BenchCase, type BenchContext, type CaseResult, type Check, type Sample, type Timing } from '../harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const EXERCISE = '05-residual';
const LOOP = 'test loop: pnpm test 05 (one exercise)';
const PROGRESS = 'pnpm progress (11+ exercises, quick grade)';
const LOOP_BUDGET_MS = 3000;
const PROGRESS_BUDGET_MS = 10_000;

export const studentLoopCase: BenchCase = {
  name: 'student-loop',
  title: `the student's loop: pnpm test on exercises/${EXERCISE}, pnpm progress`,
  run,
};

/** Children's CPU time so far, ms (fields 16-17 of /proc/self/stat: cutime, cstime in clock ticks). */
function childCpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: field 3 is index 0, so cutime (16) and cstime (17) are 13 and 14.
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs a command `runs` times after `warmup` untimed runs; medians of wall and children's CPU time. */
function timeCommand(argv: readonly string[], warmup: number, runs: number): Sample {
  const once = (): void => {
    const r = spawnSync(argv[0], argv.slice(1), { cwd: ROOT, stdio: 'ignore', env: { ...process.env, INIT_CWD: ROOT, CI: '1' } });
    if (r.error) throw r.error;
  };
  for (let i = 0; i < warmup; i++) once();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = childCpuMs();
    const t0 = performance.now();
    once();
    wall.push(performance.now() - t0);
    cpu.push(childCpuMs() - c0);
  }
  return { ms: median(wall), cpuMs: median(cpu), runs };
}

function row(bench: string, impl: string, s: Sample, note?: string): Timing {
  return { bench, impl, ms: s.ms, cpuMs: s.cpuMs, runs: s.runs, throughput: `${(s.ms / 1000).toFixed(2)} s`, ...(note ? { note } : {}) };
}

/** A target time as a row, so that the ratio "target / measured" reads as "met" at >= 1. */
function budget(bench: string, ms: number): Timing {
  return { bench, impl: `target (${ms / 1000} s)`, ms, cpuMs: ms, runs: 0, throughput: `${ms / 1000} s`, note: 'the goal, not a measurement' };
}

/** A yes/no check in the harness's table: error 0 when it holds, else 1 (and the case stops). */
function check(checks: Check[], bench: string, what: string, ok: boolean, detail: string): void {
  const c: Check = { bench, what: ok ? what : `${what}: ${detail}`, error: ok ? 0 : 1, tolerance: 0 };
  checks.push(c);
  if (!ok) throw new BenchCheckError(c);
}

interface VitestJson {
  numTotalTests: number;
  numFailedTests: number;
  testResults: { assertionResults: { status: string; failureMessages?: string[] }[] }[];
}

async function run(ctx: BenchContext): Promise<CaseResult> {
  const checks: Check[] = [];
  const node = process.execPath;
  const vitest = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  const exercises = readdirSync(path.join(ROOT, 'exercises')).filter((d) => /^\d\d-/.test(d));

  // Checks first: the loop runs the exercise's tests (all TODO on the stub).
  ctx.progress('checking pnpm test 05 and pnpm progress');
  const tmp = mkdtempSync(path.join(tmpdir(), 'dlkata-bench-loop-'));
  try {
    const out = path.join(tmp, 'r.json');
    spawnSync(node, ['scripts/test.mjs', EXERCISE.slice(0, 2), '--reporter=json', `--outputFile=${out}`], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, INIT_CWD: ROOT } });
    const r = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as VitestJson) : undefined;
    const todo = r?.testResults.flatMap((f) => f.assertionResults).filter((a) => (a.failureMessages ?? []).some((m) => m.includes('NotImplementedError'))).length ?? 0;
    check(checks, LOOP, `pnpm test 05 ran the exercise's ${r?.numTotalTests ?? 0} tests, each failing with its TODO on the stub`, !!r && r.numTotalTests > 0 && todo === r.numTotalTests, `report: ${JSON.stringify({ total: r?.numTotalTests, todo })}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const prog = spawnSync(tsx, ['scripts/progress.ts', 'solutions'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, INIT_CWD: ROOT, NO_COLOR: '1' } });
  const listed = exercises.filter((e) => prog.stdout.includes(e)).length;
  const full = /(\d+) of \1 exercises done; (\d+) \/ \2 points/.test(prog.stdout);
  check(checks, PROGRESS, `pnpm progress solutions lists all ${exercises.length} exercises, all done with full points`, listed === exercises.length && full, prog.stdout.slice(-400));

  const runs = ctx.quick ? 3 : 7;
  ctx.progress(`timing pnpm test 05 (${runs} runs, two configurations)`);
  const lean = row(LOOP, 'student config (scripts/test.mjs)', timeCommand([node, 'scripts/test.mjs', EXERCISE.slice(0, 2)], 1, runs));
  const rootCfg = row(LOOP, 'root config, 7 projects', timeCommand([node, vitest, 'run', `exercises/${EXERCISE}`], 1, runs), 'how pnpm test ran before');
  const pruns = ctx.quick ? 1 : 3;
  ctx.progress(`timing pnpm progress (${pruns} run(s) each on the stubs and the solutions)`);
  const progStubs = row(PROGRESS, 'on the stubs (exercises)', timeCommand([tsx, 'scripts/progress.ts'], 0, pruns));
  const progDone = row(PROGRESS, 'all done (solutions)', timeCommand([tsx, 'scripts/progress.ts', 'solutions'], 0, pruns), 'worst case: every test runs to the end');
  const loopBudget = budget(LOOP, LOOP_BUDGET_MS);
  const progBudget = budget(PROGRESS, PROGRESS_BUDGET_MS);
  return {
    timings: [lean, rootCfg, loopBudget, progStubs, progDone, progBudget],
    comparisons: [compare(lean, rootCfg), compare(lean, loopBudget, 1), compare(progStubs, progBudget, 1), compare(progDone, progBudget, 1)],
    checks,
  };
}
