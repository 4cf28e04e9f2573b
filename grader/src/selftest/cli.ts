#!/usr/bin/env tsx
/**
 * `pnpm grade:selftest`: grades every mutant of the catalogue and the reference solutions, and
 * prints the mutation score.
 *
 * ```
 * pnpm grade:selftest                       # all exercises, the fixed self-test seed
 * pnpm grade:selftest --exercises 02 --seed 7
 * pnpm grade:selftest --quick               # no shrinking: same verdicts, faster (CI, the grader's tests)
 * ```
 *
 * It prints one line per mutant, then a table per exercise: mutants, how many lose points, how
 * many lose them exactly in the tests that name their bug, how many are interaction, constant
 * and forward-only mutants, and the reference solution's score.
 *
 * Exit code 0 when the reference has full marks and every mutant loses points exactly in the
 * tests it names; 1 otherwise; 2 for a usage error.
 *
 * @module
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { parseExercises } from '../cli.js';
import { MAX_SEED } from '../grade.js';
import { renderSelftest, runSelftest, SELFTEST_SEED, selftestPassed } from './selftest.js';

function integer(name: string, min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

/**
 * Runs the self-test command line.
 *
 * @returns the exit code
 */
export async function main(argv: readonly string[]): Promise<number> {
  const repo = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
  const program = new Command()
    .name('pnpm grade:selftest')
    .description('Mutation testing of the grader: every planted bug must lose points in the test that names it.')
    .option('--solutions <dir>', 'the reference solutions', path.join(repo, 'solutions'))
    .option('--exercises <list>', 'only these exercises, e.g. 01-04 or 02-convolution', (v) => parseExercises(v))
    .option('--seed <n>', `seed of the random cases (default ${SELFTEST_SEED})`, integer('--seed', 0, MAX_SEED))
    .option('--jobs <n>', 'submissions graded at once (default: the number of CPUs)', integer('--jobs', 1, 256))
    .option('--no-reference', 'do not grade the reference solutions')
    .option('--quick', 'do not shrink failing cases (same verdicts, several times faster; the counterexamples are not the smallest)')
    .exitOverride();
  let opts: { solutions: string; exercises?: string[]; seed?: number; jobs?: number; reference: boolean; quick?: boolean };
  try {
    program.parse(['node', 'selftest', ...argv]);
    opts = program.opts();
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' ? 0 : 2;
    throw e;
  }
  const tty = process.stderr.isTTY === true;
  const report = await runSelftest({
    solutions: path.resolve(process.env.INIT_CWD ?? process.cwd(), opts.solutions),
    reference: opts.reference,
    ...(opts.quick ? { quick: true } : {}),
    ...(opts.exercises ? { exercises: opts.exercises } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.jobs !== undefined ? { jobs: opts.jobs } : {}),
    onProgress: (done, total, name) => {
      if (tty) process.stderr.write(`\rgrading ${done}/${total}: ${name}`.padEnd(80).slice(0, 80) + (done === total ? '\n' : ''));
    },
  });
  process.stdout.write(`${renderSelftest(report)}\n`);
  return selftestPassed(report) ? 0 : 1;
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
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
