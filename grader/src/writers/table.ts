/**
 * Terminal writer: one table per submission (exercise, test, points, feedback), the total,
 * how to reproduce the run, and what the sandbox enforced. Seeds derived from the grader
 * secret are not printed (a GitHub Classroom log is the student's to read); the secret's
 * public id is.
 *
 * @module
 */
import Table from 'cli-table3';
import pc from 'picocolors';
import { failureText, seedsShown, totals, type GradeReport, type SubmissionResult, type TestStatus } from '../results.js';

/** Options of {@link renderTable}. */
export interface TableOptions {
  /** Use ANSI colours (default: picocolors' detection of the terminal). */
  readonly color?: boolean;
  /** Width to fit, in characters (default: the terminal's, or 120). */
  readonly width?: number;
  /** The command that reproduces the run, shown next to the seed (e.g. `"pnpm grade solutions"`). */
  readonly command?: string;
}

function colors(enabled: boolean): ReturnType<typeof pc.createColors> {
  return pc.createColors(enabled);
}

const MARK: Record<TestStatus, string> = { passed: 'ok', failed: 'FAIL', error: 'ERROR', timeout: 'TIMEOUT', todo: 'TODO' };

function fmtPoints(p: number): string {
  return Number.isInteger(p) ? String(p) : p.toFixed(1);
}

/** The one-line sandbox summary: `sandbox: reads only its bundle, heap 256 MB, ...`. */
export function sandboxLine(report: GradeReport): string {
  const s = report.sandbox;
  const mem = s.dataLimitBytes ? `, memory ${Math.round(s.dataLimitBytes / 2 ** 20)} MB` : '';
  const net = s.network === 'isolated' ? 'no network' : 'network NOT isolated';
  const procs = s.processes === 'isolated' ? 'own PID namespace' : 'processes NOT isolated';
  const user = s.user === 'nobody' ? ', runs as nobody' : '';
  return `sandbox: reads only its bundle, heap ${s.heapLimitMb} MB${mem}, ${net}, ${procs}${user}, ${s.timeoutMs} ms per call${s.notes.length ? ` (${s.notes.join('; ')})` : ''}`;
}

function submissionTable(sub: SubmissionResult, c: ReturnType<typeof colors>, width: number, color: boolean, showSeed: boolean): string {
  const w0 = 20;
  const w1 = Math.max(24, Math.min(52, Math.floor(width * 0.32)));
  const w2 = 9;
  const w3 = Math.max(30, width - w0 - w1 - w2 - 5);
  const table = new Table({
    head: ['Exercise', 'Test', 'Points', 'Feedback'],
    colWidths: [w0, w1, w2, w3],
    wordWrap: true,
    wrapOnWordBoundary: true,
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    style: color ? { head: ['bold'], border: ['grey'] } : { head: [], border: [] },
  });
  for (const ex of sub.exercises) {
    if (ex.missing) {
      table.push([ex.id, `${ex.tests.length} tests`, `0/${fmtPoints(ex.maxScore)}`, c.red(`MISSING ${ex.tests[0]?.feedback ?? 'not submitted'}`)]);
      continue;
    }
    ex.tests.forEach((t, i) => {
      const mark = MARK[t.status];
      const status = t.status === 'passed' ? c.green(mark) : t.status === 'todo' ? c.yellow(mark) : c.red(mark);
      table.push([
        i === 0 ? ex.id : '',
        t.name,
        `${fmtPoints(t.points)}/${fmtPoints(t.maxPoints)}`,
        t.status === 'passed' ? status : t.status === 'todo' ? c.yellow(failureText(t)) : `${status} ${failureText(t, showSeed)}`,
      ]);
    });
    table.push(['', c.bold(`subtotal ${ex.title}`), c.bold(`${fmtPoints(ex.score)}/${fmtPoints(ex.maxScore)}`), '']);
  }
  return table.toString();
}

/**
 * Renders a report for the terminal.
 *
 * @returns the text to print, ending with the total and the seed line
 */
export function renderTable(report: GradeReport, opts: TableOptions = {}): string {
  const color = opts.color ?? pc.isColorSupported;
  const c = colors(color);
  const width = Math.max(80, opts.width ?? (process.stdout.columns || 120));
  const out: string[] = [];
  for (const sub of report.submissions) {
    out.push(c.bold(`${sub.name} (${sub.path})`));
    out.push(submissionTable(sub, c, width, color, seedsShown(report)));
    if (sub.error) out.push(c.red(`${sub.name}: ${sub.error}`));
    const missing = sub.exercises.filter((e) => e.missing).map((e) => e.id);
    if (missing.length) out.push(`not submitted (0 points each, counted in the maximum): ${missing.join(', ')}`);
    if (sub.skipped.length) out.push(`not graded (not part of the assignment): ${sub.skipped.join(', ')}`);
    const pct = sub.maxScore ? Math.round((100 * sub.score) / sub.maxScore) : 0;
    out.push(c.bold(`Total ${sub.name}: ${fmtPoints(sub.score)}/${fmtPoints(sub.maxScore)} points (${pct}%)`));
    out.push('');
  }
  if (report.submissions.length > 1) {
    const { score, maxScore } = totals(report);
    out.push(c.bold(`Total over ${report.submissions.length} submissions: ${fmtPoints(score)}/${fmtPoints(maxScore)} points`));
  }
  const time = `${report.numRuns} random cases per test; ${(report.run.durationMs / 1000).toFixed(1)} s`;
  if (report.seed !== null) out.push(`seed ${report.seed}${opts.command ? ` (reproduce: ${opts.command} --seed ${report.seed})` : ''}; ${time}`);
  else out.push(`seeds: one per exercise, from the grader secret ${report.secretId ?? '?'} and the exercise's files (the same secret and files reproduce this run); ${time}`);
  const failing = report.submissions.some((s) => s.exercises.some((e) => !e.missing && e.tests.some((t) => t.status === 'failed' || t.status === 'error')));
  if (opts.command && failing) {
    const seed = report.seed === null ? '' : ` --seed ${report.seed}`;
    out.push(`replay one failing test: ${opts.command} --replay <exercise>/<test>${seed} (with --path <counterexample path> from --json for exactly its case)`);
  }
  out.push(sandboxLine(report));
  return out.join('\n');
}

/** One summary line per submission and the seed (or the secret's id), for `--quiet`. */
export function renderSummary(report: GradeReport): string {
  const lines = report.submissions.map((s) => `${s.name}: ${fmtPoints(s.score)}/${fmtPoints(s.maxScore)}`);
  lines.push(report.seed === null ? `seeds from the grader secret ${report.secretId ?? '?'}` : `seed ${report.seed}`);
  return lines.join('\n');
}
