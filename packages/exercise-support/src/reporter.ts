/**
 * The compact reporter of a student's loop (`pnpm test exercises/02-convolution`): quiet
 * output in the order a student should read it (rustlings' "the first failure first").
 *
 * - One line per test file: how many tests pass.
 * - Each TODO (`NotImplementedError`) once, with how many tests wait for it, where it is, and
 *   the README task it points to; not one copy per test.
 * - One short block per real failure, in file order (forward describe blocks come before
 *   backward ones in every test file): the test, the failure's own message (which names the
 *   function, the tensors, the worst index, expected vs got, the diagnosis and the replay
 *   command), and one `at file:line`, the first frame in the student's or the test's code.
 *   No cause chain, no frames of fast-check, vitest or Node internals.
 * - Notes attached to passing tests (a backward checked against the student's own forward).
 * - After a few full blocks, further failures get one line each.
 *
 * `vitest.config.ts` picks this reporter when every path on the command line is under
 * `exercises/` or `solutions/` (see {@link isStudentRun}); `DLKATA_REPORTER=default` turns it off.
 *
 * @module
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UserConsoleLog } from 'vitest';
import type { Reporter, SerializedError, TestCase, TestModule, TestRunEndReason, TestSpecification, Vitest } from 'vitest/node';

/** This package's own sources: its frames are never the place to look. */
const SUPPORT_SRC = path.dirname(fileURLToPath(import.meta.url));

/** Full failure blocks printed per run; the rest get one line each. */
const FULL_BLOCKS = 6;

/** Colour helpers that respect NO_COLOR / FORCE_COLOR and a non-terminal stdout. */
function colours(): { red: (s: string) => string; green: (s: string) => string; dim: (s: string) => string; bold: (s: string) => string; yellow: (s: string) => string } {
  const on = process.env.FORCE_COLOR !== undefined ? process.env.FORCE_COLOR !== '0' : !process.env.NO_COLOR && process.stdout.isTTY === true;
  const wrap = (a: number, b: number) => (s: string) => (on ? `\u001b[${a}m${s}\u001b[${b}m` : s);
  return { red: wrap(31, 39), green: wrap(32, 39), dim: wrap(2, 22), bold: wrap(1, 22), yellow: wrap(33, 39) };
}

/** Flags of vitest's CLI that take a value as the next argument (so that value is not a path). */
const FLAGS_WITH_VALUE = new Set(['-t', '--testNamePattern', '--project', '-r', '--root', '--config', '-c', '--reporter', '--outputFile', '--seed', '--shard', '--maxWorkers', '--pool', '--environment', '--dir']);

/**
 * True when a vitest command line runs only exercise or solution tests: every path argument is
 * under `exercises/` or `solutions/` (at least one is given), or `--project exercises` alone.
 * `DLKATA_REPORTER=compact` forces it, `DLKATA_REPORTER=default` turns it off.
 *
 * @param argv - the arguments after `vitest` (e.g. `['run', 'exercises/02-convolution', '-t', 'forward']`)
 */
export function isStudentRun(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.DLKATA_REPORTER === 'compact') return true;
  if (env.DLKATA_REPORTER === 'default') return false;
  const paths: string[] = [];
  const projects: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('-')) {
      if (a.startsWith('--reporter')) return false; // the caller chose a reporter
      if (FLAGS_WITH_VALUE.has(a)) {
        if (a === '--project') projects.push(argv[i + 1] ?? '');
        i++;
      } else if (a.startsWith('--project=')) projects.push(a.slice('--project='.length));
      continue;
    }
    if (i === 0 && ['run', 'watch', 'dev', 'related'].includes(a)) continue;
    paths.push(a);
  }
  const student = (p: string): boolean => /^(\.\/)?(exercises|solutions)(\/|$)/.test(p.split(path.sep).join('/'));
  if (paths.length > 0) return paths.every(student);
  return projects.length > 0 && projects.every((p) => p === 'exercises' || p === 'solutions');
}

interface Failure {
  test: TestCase;
  error: SerializedError;
}

/** The compact reporter; see the module documentation. */
export default class ExerciseReporter implements Reporter {
  private ctx!: Vitest;
  private started = 0;
  private readonly c = colours();
  private readonly logs = new Map<string, string[]>();

  onInit(ctx: Vitest): void {
    this.ctx = ctx;
  }

  onTestRunStart(_specs: ReadonlyArray<TestSpecification>): void {
    this.started = performance.now();
    this.logs.clear();
  }

  onUserConsoleLog(log: UserConsoleLog): void {
    const key = log.taskId ?? '';
    const list = this.logs.get(key) ?? [];
    list.push(log.content.replace(/\n$/, ''));
    this.logs.set(key, list);
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<SerializedError>, _reason: TestRunEndReason): void {
    const out: string[] = [''];
    const { red, green, dim, bold, yellow } = this.c;
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const failures: Failure[] = [];
    const notes = new Map<string, string[]>();
    for (const m of modules) {
      const tests = [...m.children.allTests()];
      let ok = 0;
      let ran = 0;
      let notRun = 0;
      for (const t of tests) {
        const r = t.result();
        if (r.state === 'passed') {
          ok++;
          ran++;
          for (const a of t.annotations()) notes.set(a.message, [...(notes.get(a.message) ?? []), shortName(t)]);
        } else if (r.state === 'failed') {
          ran++;
          failures.push({ test: t, error: r.errors?.[0] ?? { message: 'failed without an error' } });
        } else notRun++;
      }
      skipped += notRun;
      passed += ok;
      failed += ran - ok;
      const errors = m.errors();
      const mark = errors.length > 0 || ok < ran ? red('✗') : green('✓');
      out.push(` ${mark} ${this.relative(m.moduleId)}: ${ok} of ${ran} passed${notRun ? dim(` (${notRun} not run)`) : ''}`);
      for (const e of errors) out.push('', ...this.block(red('the test file does not load'), e));
    }
    for (const l of this.logs.get('') ?? []) out.push(dim(l));

    // TODOs once each, at the place of their first test; real failures in file order.
    const todos = new Map<string, { first: Failure; count: number }>();
    const order: Array<{ todo: string } | Failure> = [];
    for (const f of failures) {
      if (f.error.name === 'NotImplementedError') {
        const key = f.error.message;
        const t = todos.get(key);
        if (t) t.count++;
        else {
          todos.set(key, { first: f, count: 1 });
          order.push({ todo: key });
        }
      } else order.push(f);
    }
    let full = 0;
    const brief: string[] = [];
    const diagnosed = new Map<string, number>();
    for (const item of order) {
      if ('todo' in item) {
        const t = todos.get(item.todo)!;
        const waits = t.count === 1 ? '1 test waits for it' : `${t.count} tests wait for it`;
        out.push('', ` ${yellow('TODO')} ${dim(`(${waits})`)}`, ...indent(item.todo.replace(/^TODO: /, '')));
        const at = this.frame(t.first.error);
        if (at) out.push(dim(`   at ${at}`));
      } else {
        const diagnosis = /^\s*diagnosis: (.*)$/m.exec(item.error.message)?.[1];
        if (diagnosis !== undefined && diagnosed.has(diagnosis)) {
          diagnosed.set(diagnosis, diagnosed.get(diagnosis)! + 1);
          brief.push(`   ${red('✗')} ${shortName(item.test)} ${dim('(same diagnosis)')}`);
        } else if (full < FULL_BLOCKS) {
          full++;
          if (diagnosis !== undefined) diagnosed.set(diagnosis, 1);
          out.push('', ...this.block(`${red('✗')} ${bold(shortName(item.test))}`, item.error, item.test));
        } else brief.push(`   ${red('✗')} ${shortName(item.test)}`);
      }
    }
    if (brief.length > 0) out.push('', ` ${brief.length} more failing test${brief.length > 1 ? 's' : ''}; fix the ones above first, these may follow:`, ...brief);
    for (const e of unhandled) out.push('', ...this.block(red('error outside any test'), e));
    for (const [message, tests] of notes) {
      out.push('', ` ${dim('note:')} ${message}`, ...tests.slice(0, 3).map((t) => dim(`   ${t}`)), ...(tests.length > 3 ? [dim(`   and ${tests.length - 3} more`)] : []));
    }
    for (const [id, lines] of this.logs) {
      if (id === '') continue;
      const t = this.ctx.state.idMap.get(id);
      out.push('', dim(` console output of ${t ? t.name : 'a test'}:`), ...lines.flatMap((l) => l.split('\n')).map((l) => `   ${l}`));
    }
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1);
    const summary = [failed ? red(`${failed} failed`) : '', passed ? green(`${passed} passed`) : '', skipped ? dim(`${skipped} skipped`) : ''].filter(Boolean).join(', ');
    out.push('', ` Tests: ${summary || 'none ran'} (${seconds} s)${todos.size ? `; ${todos.size} TODO${todos.size > 1 ? 's' : ''} left` : ''}`);
    if (failed === 0 && passed > 0 && unhandled.length === 0) out.push(` ${green('All visible tests pass.')} Next: pnpm grade ${this.firstDir(modules)}`);
    this.ctx.logger.log(out.join('\n'));
  }

  /** A failure block: title, the message (indented), one `at` line. */
  private block(title: string, error: SerializedError, test?: TestCase): string[] {
    const name = error.name && !['CheckFailure', 'AssertionError', 'Error'].includes(error.name) ? `${error.name}: ` : '';
    const lines = [` ${title}`, ...indent(`${name}${error.message}`)];
    if (error.name === 'AssertionError' && typeof error.expected === 'string' && typeof error.actual === 'string' && !error.message.includes('\n')) {
      lines.push(...indent(`expected ${oneLine(error.expected)}\ngot      ${oneLine(error.actual)}`));
    }
    const at = this.frame(error, test);
    if (at) lines.push(this.c.dim(`   at ${at}`));
    return lines;
  }

  /** The first stack frame in the project's own code (the student's file first, then the test file). */
  private frame(error: SerializedError, _test?: TestCase): string | undefined {
    const frames = (error.stacks ?? []).filter((f) => f.file && !/node_modules|^node:|\/@vitest\/|\/vitest\//.test(f.file) && !(f.file.startsWith(SUPPORT_SRC) && !f.file.endsWith('.test.ts')));
    // The student's code if the error comes from there, else the test's own line (the last
    // frame in the test file: the test body, not a helper it called).
    const own = frames.find((f) => !f.file.endsWith('.test.ts')) ?? frames.filter((f) => f.file.endsWith('.test.ts')).at(-1);
    return own ? `${this.relative(own.file)}:${own.line}` : undefined;
  }

  private relative(file: string): string {
    return path.relative(this.ctx?.config.root ?? process.cwd(), file).split(path.sep).join('/');
  }

  /** The folder all test files share (an exercise, or `exercises` for several). */
  private firstDir(modules: ReadonlyArray<TestModule>): string {
    const dirs = [...new Set(modules.map((m) => path.dirname(this.relative(m.moduleId))))];
    return dirs.length === 1 ? dirs[0] : (dirs[0]?.split('/')[0] ?? '');
  }
}

/** `describe > test`, without the seed suffix the test names carry. */
function shortName(t: TestCase): string {
  return t.fullName.replace(/ \(seed \d+\)$/, '');
}

function indent(text: string): string[] {
  return text.split('\n').map((l) => `   ${l.replace(/^ {2}/, '')}`);
}

function oneLine(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 160 ? `${t.slice(0, 157)}...` : t;
}
