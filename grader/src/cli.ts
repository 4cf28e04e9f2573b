#!/usr/bin/env tsx
/**
 * `pnpm grade <path>`: grades an exercise folder, a submission (a folder laid out like
 * `exercises/`), or a folder of submissions, and prints a table of points and feedback.
 *
 * ```
 * pnpm grade exercises/02-convolution
 * pnpm grade solutions --seed 42 --json results/solutions.json
 * pnpm grade alice --exercises 02,03 --gradescope results.json     # the assignment: 02 and 03
 * pnpm grade class/ --out results/ --junit results/junit.xml        # a class, resumable
 * pnpm grade alice --replay 02-convolution/backward-dw              # one failing test again (same secret)
 * ```
 *
 * Seeds: by default each exercise's seed is derived from the grader secret (`--secret-file`,
 * `$DLKATA_GRADER_SECRET`, or `~/.config/dlkata/grader-secret`, created on first use) and the
 * exercise's files; `--seed` sets one seed for every exercise instead (an explicit replay).
 *
 * Exit code 0 when grading completed (whatever the score), 2 for a usage error (bad path or
 * option), 1 for an internal error of the grader, 130/143 when interrupted.
 *
 * @module
 */
import { appendFileSync, existsSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
// One name for an exercise everywhere (05, residual, a file being edited; none inside an exercise folder).
import { gradeTarget } from '../../scripts/exercise-names.mjs';
import { gradeClass, removeOwnWork, type ClassEvent, type ClassResult } from './batch/class.js';
import { discover, UsageError } from './discover.js';
import { defaultSecretFile, loadSecret, SECRET_ENV, type GraderSecret } from './seeds.js';
import { absentReport, DEFAULT_EXERCISE_TIMEOUT_MS, DEFAULT_NUM_RUNS, DEFAULT_TIMEOUT_MS, grade, MAX_SEED, VERSION } from './grade.js';
import { SUITES } from './suites/index.js';
import { classroomOutputLine } from './writers/classroom.js';
import { toGradescope } from './writers/gradescope.js';
import { toJson } from './writers/json.js';
import { toJunit } from './writers/junit.js';
import { renderSummary, renderTable, sandboxLine } from './writers/table.js';

function integer(name: string, min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/**
 * Parses `--exercises` (the exercises of the assignment): numbers, ids or topics,
 * comma-separated, with ranges of numbers: `02`, `2`, `01-04`, `02-convolution`,
 * `convolution`, `02,pooling`. Matched against the suites the grader has.
 *
 * @returns the ids, sorted, without duplicates
 * @throws InvalidArgumentError for a number, id or topic the grader has no suite for
 */
export function parseExercises(v: string, ids: readonly string[] = SUITES.map((s) => s.id)): string[] {
  const out = new Set<string>();
  for (const part of v.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const range = /^(\d{1,2})(?:-(\d{1,2}))?$/.exec(part);
    const topic = ids.find((id) => id.slice(3).toLowerCase() === part.toLowerCase());
    if (range) {
      const lo = Number(range[1]);
      const hi = range[2] === undefined ? lo : Number(range[2]);
      const hits = ids.filter((id) => Number.parseInt(id, 10) >= lo && Number.parseInt(id, 10) <= hi);
      if (hits.length === 0) throw new InvalidArgumentError(`--exercises: no exercise numbered ${part}; the grader has ${ids.join(', ')}`);
      hits.forEach((h) => out.add(h));
    } else if (ids.includes(part)) {
      out.add(part);
    } else if (topic) {
      out.add(topic);
    } else {
      throw new InvalidArgumentError(`--exercises: no exercise ${part}; the grader has ${ids.join(', ')}`);
    }
  }
  if (out.size === 0) throw new InvalidArgumentError('--exercises: name at least one exercise');
  return [...out].sort();
}

/** True when `file` is `dir` or lies under it. */
function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function fmt(p: number): string {
  return Number.isInteger(p) ? String(p) : p.toFixed(1);
}

/**
 * The command that grades the same assignment the same way: the path and every option that
 * changes the result (`--exercises`, `--runs`, `--timeout`, `--exercise-timeout`); the seed is added where it is shown.
 */
export function reproduceCommand(target: string, opts: { exercises?: readonly string[]; runs?: number; timeout?: number; exerciseTimeout?: number }): string {
  const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const parts = ['pnpm grade', quote(target)];
  if (opts.exercises?.length) parts.push('--exercises', opts.exercises.join(','));
  if (opts.runs !== undefined && opts.runs !== DEFAULT_NUM_RUNS) parts.push('--runs', String(opts.runs));
  if (opts.timeout !== undefined && opts.timeout !== DEFAULT_TIMEOUT_MS) parts.push('--timeout', String(opts.timeout));
  if (opts.exerciseTimeout !== undefined && opts.exerciseTimeout * 1000 !== DEFAULT_EXERCISE_TIMEOUT_MS) parts.push('--exercise-timeout', String(opts.exerciseTimeout));
  return parts.join(' ');
}

interface Options {
  seed?: number;
  secretFile?: string;
  json?: string;
  gradescope?: string;
  junit?: string;
  classroom?: string;
  out?: string;
  force?: boolean;
  jobs?: number;
  exercises?: string[];
  replay?: string;
  path?: string;
  timeout: number;
  exerciseTimeout: number;
  runs: number;
  quiet?: boolean;
  color: boolean;
  progress: boolean;
}

/** The class table printed at the end of a class run: one row per submission. */
function classTable(r: ClassResult): string {
  const t = new Table({ head: ['submission', ...r.manifest.exercises.map((e) => e.slice(0, 2)), 'total', 'note'], style: { head: [], border: [] } });
  for (const s of r.report.submissions) {
    t.push([s.name, ...r.manifest.exercises.map((id) => fmt(s.exercises.find((e) => e.id === id)?.score ?? 0)), `${fmt(s.score)}/${fmt(s.maxScore)}`, s.error ? s.error.slice(0, 60) : '']);
  }
  return t.toString();
}

/**
 * Progress of a class run on stderr: the plan (unless `quiet`), then a bar with ETA on a
 * terminal or one line per submission otherwise (unless `!enabled`).
 */
function classProgress(enabled: boolean, quiet: boolean): { onEvent: (e: ClassEvent) => void; stop: () => void } {
  const tty = enabled && process.stderr.isTTY === true;
  let bar: SingleBar | undefined;
  let done = 0;
  let total = 0;
  return {
    onEvent: (e) => {
      if (e.type === 'plan' && !quiet) {
        const seeding = e.manifest.seed === null ? `seeds from the grader secret ${e.manifest.secretId ?? '?'}` : `seed ${e.manifest.seed}`;
        process.stderr.write(`${e.total} submissions: ${e.todo} to grade, ${e.resumed} already graded (resumed); ${e.jobs} at a time; ${seeding}\n`);
      }
      if (!enabled) return;
      if (e.type === 'plan') {
        total = e.todo;
        if (tty && e.todo > 0) {
          bar = new SingleBar({
            format: 'grading [{bar}] {value}/{total} | {percentage}% | ETA {eta_formatted} | {last}',
            stream: process.stderr,
            hideCursor: true,
            etaBuffer: 8,
            fps: 5,
          });
          bar.start(e.todo, 0, { last: '' });
        }
      } else if (e.type === 'done') {
        done++;
        const line = `${e.name}: ${fmt(e.result.score)}/${fmt(e.result.maxScore)} (${(e.durationMs / 1000).toFixed(1)} s)`;
        if (bar) bar.increment(1, { last: line });
        else process.stderr.write(`[${done}/${total}] ${line}\n`);
      }
    },
    stop: () => bar?.stop(),
  };
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
    .argument('[path]', 'an exercise (05, residual, exercises/05-residual; default inside an exercise folder: that one), an exercise folder (02-convolution), exercises/ or solutions/, a submission folder, or a folder of submissions')
    .option('--seed <n>', `one seed (0-${MAX_SEED}) for every exercise, for an explicit replay; default: each exercise's seed derived from the grader secret and its files`, integer('--seed', 0, MAX_SEED))
    .option('--secret-file <file>', `the grader secret seeds are derived from (default: $${SECRET_ENV}, else ${defaultSecretFile().replace(homedir(), '~')}, created on first use)`)
    .option('--json <file>', 'also write the full report as JSON')
    .option('--gradescope <file>', "also write Gradescope's results.json (one submission)")
    .option('--junit <file>', 'also write JUnit XML (for CI systems)')
    .option('--classroom <file>', "append GitHub Classroom's runner result (`result=<base64>`) to this file, e.g. \"$GITHUB_OUTPUT\"")
    .option('--out <dir>', 'grade a class: every subfolder or archive is a submission; results, feedback, CSV and summary go here (resumable)')
    .option('--force', 'with --out: regrade every submission, even those already graded')
    .option('--jobs <n>', 'with --out: submissions graded at once (default and maximum: the number of CPUs)', integer('--jobs', 1, 256))
    .option('--exercises <list>', "the assignment's exercises, e.g. 02, 01-04, 02-convolution or convolution,pooling: a missing one scores 0 (default: every exercise; for an exercise folder, itself)", (v) => parseExercises(v))
    .option('--replay <exercise/test>', 'rerun one test (e.g. 02-convolution/backward-dw) with the same secret, or the --seed of the report')
    .option('--path <path>', "with --replay: fast-check's path of the counterexample, to rerun exactly that case")
    .option('--timeout <ms>', 'wall-clock limit per call, in ms', integer('--timeout', 50, 600_000), DEFAULT_TIMEOUT_MS)
    .option(
      '--exercise-timeout <s>',
      'wall-clock budget per exercise, in seconds (all its calls together; when spent, its remaining tests fail and the next exercise is graded)',
      integer('--exercise-timeout', 1, 86_400),
      DEFAULT_EXERCISE_TIMEOUT_MS / 1000,
    )
    .option('--runs <n>', 'random cases per test', integer('--runs', 1, 1000), DEFAULT_NUM_RUNS)
    .option('--quiet', 'print only the totals and the seed')
    .option('--no-color', 'no ANSI colours')
    .option('--no-progress', 'with --out: no progress bar or lines')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let opts: Options;
  let target: string;
  try {
    program.parse(['node', 'grade', ...argv]);
    opts = program.opts<Options>();
    const resolved = gradeTarget(program.args[0], cwd);
    if ('error' in resolved) {
      process.stderr.write(`error: ${resolved.error}\n`);
      return 2;
    }
    target = resolved.target;
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    throw e;
  }
  const explicit = (name: string): boolean => program.getOptionValueSource(name) === 'cli';
  try {
    if (opts.seed !== undefined && opts.secretFile !== undefined) throw new UsageError('--seed and --secret-file exclude each other: --seed fixes every seed, the secret derives them');
    const secret = opts.seed === undefined ? loadSecret(opts.secretFile !== undefined ? { file: path.resolve(cwd, opts.secretFile) } : {}) : undefined;
    if (secret?.created) process.stderr.write(`created the grader secret ${secret.source} (id ${secret.id}); keep it to replay reports, and keep it out of submissions\n`);
    if (secret && secret.source !== `$${SECRET_ENV}` && isInside(path.resolve(secret.source), path.resolve(cwd, target))) {
      throw new UsageError(`the grader secret ${secret.source} lies inside the submission ${target}; keep it outside submissions`);
    }
    if (opts.out) return await classMain(target, opts, cwd, explicit, secret);
    for (const [flag, set] of [['--force', opts.force], ['--jobs', opts.jobs !== undefined]] as const) {
      if (set) throw new UsageError(`${flag} needs --out (a class run)`);
    }
    if (opts.gradescope) {
      let n = 1;
      try {
        n = discover(path.resolve(cwd, target)).length;
      } catch {
        // an archive, or a path grade() reports
      }
      if (n !== 1) throw new UsageError(`--gradescope needs exactly one submission; ${target} holds ${n}`);
    }
    let only: { exercise: string; test?: string } | undefined;
    if (opts.replay) {
      const m = /^([^/]+)(?:\/(.+))?$/.exec(opts.replay);
      if (!m) throw new UsageError(`--replay takes <exercise>/<test>, e.g. 02-convolution/backward-dw; got ${opts.replay}`);
      only = { exercise: m[1], ...(m[2] ? { test: m[2] } : {}) };
    } else if (opts.path) {
      throw new UsageError('--path needs --replay <exercise>/<test>');
    }
    const reports = [opts.json, opts.gradescope, opts.junit, opts.classroom].some((f) => f !== undefined);
    const absent = reports && !only && !existsSync(path.resolve(cwd, target));
    // A report file was asked for (CI, Classroom): a missing path is graded as nothing submitted, and the files are written.
    if (absent) process.stderr.write(`warning: ${target} does not exist; every exercise scores 0 (not submitted)\n`);
    const report = absent
      ? absentReport(target, { cwd, ...(opts.seed !== undefined ? { seed: opts.seed } : { secret }), ...(opts.exercises ? { exercises: opts.exercises } : {}), timeoutMs: opts.timeout, numRuns: opts.runs })
      : await grade(target, {
      cwd,
      ...(opts.seed !== undefined ? { seed: opts.seed } : { secret }),
      ...(opts.exercises ? { exercises: opts.exercises } : {}),
      timeoutMs: opts.timeout,
      exerciseTimeoutMs: opts.exerciseTimeout * 1000,
      numRuns: opts.runs,
      ...(only ? { only } : {}),
      ...(opts.path ? { replayPath: opts.path } : {}),
      onProgress: opts.quiet
        ? undefined
        : (e) => {
            if (e.type === 'done') process.stderr.write(`graded ${e.submission}/${e.exercise.id}: ${e.exercise.score}/${e.exercise.maxScore}\n`);
          },
    });
    if (opts.json) write(path.resolve(cwd, opts.json), toJson(report));
    if (opts.gradescope) write(path.resolve(cwd, opts.gradescope), `${JSON.stringify(toGradescope(report, { submissionPath: target }), null, 2)}\n`);
    if (opts.junit) write(path.resolve(cwd, opts.junit), toJunit(report));
    if (opts.classroom) appendFileSync(path.resolve(cwd, opts.classroom), classroomOutputLine(report));
    const command = reproduceCommand(target, opts);
    process.stdout.write(`${opts.quiet ? renderSummary(report) : renderTable(report, { color: opts.color ? undefined : false, command })}\n`);
    if (only?.test && !opts.quiet) {
      const t = report.submissions[0]?.exercises[0]?.tests[0];
      const how = report.seed === null ? `seeds from the grader secret ${report.secretId}` : `seed ${report.seed}`;
      if (t) process.stdout.write(`replayed ${only.exercise}/${only.test} with ${how}${opts.path ? `, path ${opts.path}` : ''}: ${t.status}\n`);
    }
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

async function classMain(target: string, opts: Options, cwd: string, explicit: (name: string) => boolean, secret: GraderSecret | undefined): Promise<number> {
  for (const [flag, set] of [['--gradescope', opts.gradescope], ['--replay', opts.replay], ['--path', opts.path], ['--classroom', opts.classroom]] as const) {
    if (set) throw new UsageError(`${flag} grades one submission; it does not go with --out`);
  }
  if (explicit('exerciseTimeout')) throw new UsageError(`--exercise-timeout does not go with --out yet: a class run uses the default budget of ${DEFAULT_EXERCISE_TIMEOUT_MS / 1000} s per exercise`);
  const out = path.resolve(cwd, opts.out!);
  const progress = classProgress(opts.progress && !opts.quiet, opts.quiet === true);
  // Stopped with Ctrl-C or kill: the finished results are on disk; say how to resume. The
  // children die with this process (setpriv --pdeathsig); the lock and work folder go too.
  const onSignal = (signal: NodeJS.Signals): void => {
    progress.stop();
    removeOwnWork();
    rmSync(path.join(out, '.lock'), { force: true });
    process.stderr.write(`\n${signal}: stopped; finished results are kept in ${out}. Run the same command again to grade the rest.\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const r = await gradeClass(target, {
      out,
      cwd,
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...(secret ? { secret } : {}),
      ...(explicit('timeout') ? { timeoutMs: opts.timeout } : {}),
      ...(explicit('runs') ? { numRuns: opts.runs } : {}),
      ...(opts.jobs !== undefined ? { jobs: opts.jobs } : {}),
      ...(opts.exercises ? { exercises: opts.exercises } : {}),
      ...(opts.force ? { force: true } : {}),
      ...(opts.junit ? { junit: path.resolve(cwd, opts.junit) } : {}),
      onEvent: progress.onEvent,
    });
    progress.stop();
    if (opts.json) write(path.resolve(cwd, opts.json), toJson(r.report));
    if (!opts.quiet) process.stdout.write(`${classTable(r)}\n`);
    process.stdout.write(
      [
        `${r.report.submissions.length} submissions (${r.graded.length} graded now, ${r.resumed.length} resumed); ${r.manifest.seed === null ? `seeds from the grader secret ${r.manifest.secretId}` : `seed ${r.manifest.seed}`}, ${r.manifest.numRuns} random cases per test; assignment ${r.manifest.exercises.join(', ')}`,
        `grades: ${r.files.csv}`,
        `summary: ${r.files.summary}`,
        `feedback: ${path.join(out, 'feedback')}/<submission>.md; results: ${path.join(out, 'results')}/<submission>.json; Gradescope: ${path.join(out, 'gradescope')}/<submission>.json`,
        ...(r.files.junit ? [`JUnit: ${r.files.junit}`] : []),
        sandboxLine(r.report),
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    progress.stop();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
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
