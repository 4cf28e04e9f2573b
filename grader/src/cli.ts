#!/usr/bin/env tsx
/**
 * `pnpm grade <path>`: grades an exercise folder, a submission (a folder laid out like
 * `exercises/`), or a folder of submissions, and prints a table of points and feedback.
 *
 * ```
 * pnpm grade exercises/02-convolution
 * pnpm grade solutions --seed 42 --json results/solutions.json
 * pnpm grade submission --gradescope /autograder/results/results.json
 * ```
 *
 * Exit code 0 when grading completed (whatever the score), 2 for a usage error (bad path or
 * option), 1 for an internal error of the grader.
 *
 * @module
 */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { discover, UsageError } from './discover.js';
import { DEFAULT_NUM_RUNS, DEFAULT_TIMEOUT_MS, grade, MAX_SEED, VERSION } from './grade.js';
import { toGradescope } from './writers/gradescope.js';
import { toJson } from './writers/json.js';
import { renderSummary, renderTable } from './writers/table.js';

function integer(name: string, min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/**
 * Runs the command line.
 *
 * @param argv - arguments after the script name
 * @returns the exit code
 */
export async function main(argv: readonly string[]): Promise<number> {
  // pnpm runs scripts from the repository root; paths are relative to where the user typed them.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const program = new Command()
    .name('pnpm grade')
    .description('Grade dlkata exercises in a sandbox: points and feedback per test.')
    .version(VERSION)
    .argument('<path>', 'an exercise folder (02-convolution), exercises/ or solutions/, a submission folder, or a folder of submissions')
    .option('--seed <n>', `seed of the random cases (0-${MAX_SEED}); default: a fresh one, printed`, integer('--seed', 0, MAX_SEED))
    .option('--json <file>', 'also write the full report as JSON')
    .option('--gradescope <file>', "also write Gradescope's results.json (one submission)")
    .option('--timeout <ms>', 'wall-clock limit per call, in ms', integer('--timeout', 50, 600_000), DEFAULT_TIMEOUT_MS)
    .option('--runs <n>', 'random cases per test', integer('--runs', 1, 1000), DEFAULT_NUM_RUNS)
    .option('--quiet', 'print only the totals and the seed')
    .option('--no-color', 'no ANSI colours')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let opts: { seed?: number; json?: string; gradescope?: string; timeout: number; runs: number; quiet?: boolean; color: boolean };
  let target: string;
  try {
    program.parse(['node', 'grade', ...argv]);
    opts = program.opts();
    target = program.args[0];
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    throw e;
  }
  try {
    if (opts.gradescope) {
      const n = discover(path.resolve(cwd, target)).length;
      if (n !== 1) throw new UsageError(`--gradescope needs exactly one submission; ${target} holds ${n}`);
    }
    const report = await grade(target, {
      cwd,
      seed: opts.seed,
      timeoutMs: opts.timeout,
      numRuns: opts.runs,
      onProgress: opts.quiet
        ? undefined
        : (e) => {
            if (e.type === 'done') process.stderr.write(`graded ${e.submission}/${e.exercise.id}: ${e.exercise.score}/${e.exercise.maxScore}\n`);
          },
    });
    if (opts.json) write(path.resolve(cwd, opts.json), toJson(report));
    if (opts.gradescope) write(path.resolve(cwd, opts.gradescope), `${JSON.stringify(toGradescope(report), null, 2)}\n`);
    const command = `pnpm grade ${target}`;
    process.stdout.write(`${opts.quiet ? renderSummary(report) : renderTable(report, { color: opts.color ? undefined : false, command })}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`internal error of the grader: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
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
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`internal error of the grader: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
