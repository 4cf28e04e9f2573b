#!/usr/bin/env tsx
/**
 * `pnpm bench:grader`: how fast the grader is, against its goals.
 *
 * 1. One full submission (every exercise of `solutions/`), graded three times: seconds each,
 *    the median, and per exercise. Goal: under 15 s.
 * 2. A class of 20 submissions (copies of the solutions, some with a planted bug from the
 *    mutant catalogue), graded with the class runner at the default concurrency (the number of
 *    CPUs): submissions per minute. Goal: at least 8.
 *
 * A benchmark, not a test: it prints figures and exits 0. Other load on the machine shows in
 * the numbers, so the load average is printed with them.
 *
 * @module
 */
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gradeClass } from '../batch/class.js';
import { grade } from '../grade.js';
import { loadMutants } from '../selftest/catalogue.js';
import { applyMutant } from '../selftest/types.js';
import { SUITES } from '../suites/index.js';

/** Goals from the project's issue. */
export const GOALS = { oneSubmissionSeconds: 15, perMinute: 8 } as const;

const REPO = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The exercises the grader has a suite for and `solutions/` has every module file of. */
function gradable(): string[] {
  const has = (id: string, file: string): boolean => {
    try {
      return readFileSync(path.join(REPO, 'solutions', id, file)).length > 0;
    } catch {
      return false;
    }
  };
  return SUITES.filter((s) => s.modules.every((m) => has(s.id, m))).map((s) => s.id);
}

function copySubmission(dest: string, exercises: readonly string[]): void {
  for (const ex of exercises) {
    cpSync(path.join(REPO, 'solutions', ex), path.join(dest, ex), { recursive: true, filter: (f) => !f.endsWith('.test.ts') && !f.includes('node_modules') });
  }
}

async function main(): Promise<void> {
  const seed = 1;
  const exercises = gradable();
  const load = loadavg().map((l) => l.toFixed(1)).join(' ');
  process.stdout.write(`grader benchmark: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average ${load}, Node ${process.version}\n`);
  process.stdout.write(`exercises: ${exercises.join(', ')}; seed ${seed}, 15 random cases per test\n\n`);
  const root = mkdtempSync(path.join(tmpdir(), 'dlkata-bench-'));
  try {
    // 1. one full submission
    const one = path.join(root, 'one', 'submission');
    copySubmission(one, exercises);
    const times: number[] = [];
    let perExercise = new Map<string, number[]>();
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const r = await grade(one, { seed });
      times.push((performance.now() - t0) / 1000);
      if (r.submissions[0].score !== r.submissions[0].maxScore) throw new Error('the solutions did not get full marks; fix that before benchmarking');
      for (const e of r.run.exercises ?? []) perExercise.set(e.exercise, [...(perExercise.get(e.exercise) ?? []), e.durationMs / 1000]);
    }
    const m = median(times);
    process.stdout.write(`one full submission: ${times.map((t) => t.toFixed(1)).join(' s, ')} s; median ${m.toFixed(1)} s (goal < ${GOALS.oneSubmissionSeconds} s: ${(GOALS.oneSubmissionSeconds / m).toFixed(1)}x under)\n`);
    process.stdout.write(`  per exercise (median, two at a time): ${[...perExercise].map(([id, ts]) => `${id} ${median(ts).toFixed(1)} s`).join(', ')}\n`);
    perExercise = new Map();

    // 2. a class of 20
    const classDir = path.join(root, 'class');
    const mutants = (await loadMutants()).filter((x) => exercises.includes(x.exercise));
    for (let i = 0; i < 20; i++) {
      const dir = path.join(classDir, `student-${String(i + 1).padStart(2, '0')}`);
      copySubmission(dir, exercises);
      if (i % 3 === 2 && mutants.length > 0) {
        const mt = mutants[(i * 7) % mutants.length];
        const file = path.join(dir, mt.exercise, mt.file);
        writeFileSync(file, applyMutant(readFileSync(file, 'utf8'), mt));
      }
    }
    const t0 = performance.now();
    const r = await gradeClass(classDir, { out: path.join(root, 'out'), seed, exercises });
    const secs = (performance.now() - t0) / 1000;
    const perMinute = (20 / secs) * 60;
    process.stdout.write(
      `class of 20: ${secs.toFixed(1)} s with ${availableParallelism()} at a time: ${perMinute.toFixed(1)} submissions per minute (goal >= ${GOALS.perMinute}: ${(perMinute / GOALS.perMinute).toFixed(1)}x); ${(secs / 20).toFixed(2)} s per submission\n`,
    );
    const full = r.report.submissions.filter((s) => s.score === s.maxScore).length;
    process.stdout.write(`  ${full} with full marks, ${20 - full} with a planted bug\n`);
    process.stdout.write(`\nload average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function invokedDirectly(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
