/**
 * Class summary: how each exercise went across a class, and the most common failures (which
 * test, how many submissions, the statuses, a typical message), so an instructor sees at a
 * glance what the class got wrong.
 *
 * Deterministic: the same results give the same summary, whatever order they finished in.
 *
 * @module
 */
import type { SubmissionResult, TestStatus } from '../results.js';
import { mdCode, mdEscape, STATUS_LABEL } from './markdown.js';

/** One failing test across the class. */
export interface CommonFailure {
  readonly exercise: string;
  readonly test: string;
  readonly name: string;
  /** Submissions that lost this test's points. */
  readonly count: number;
  /** How many of them per status. */
  readonly statuses: Readonly<Partial<Record<TestStatus, number>>>;
  /** The most frequent message (numbers ignored when grouping), as one submission got it. */
  readonly typical: string;
  /** How many submissions got a message of that kind. */
  readonly typicalCount: number;
}

/** Per-exercise statistics. */
export interface ExerciseStats {
  readonly exercise: string;
  readonly title: string;
  readonly maxScore: number;
  readonly mean: number;
  readonly median: number;
  /** Submissions with full marks. */
  readonly full: number;
  /** Submissions with 0 points. */
  readonly zero: number;
  /** Submissions that had a folder for the exercise (and could be unpacked). */
  readonly submitted: number;
}

/** A message with its numbers, shapes and quoted values blurred, to group messages of one kind. */
export function messageKind(message: string): string {
  return message
    .replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/gi, '#')
    .replace(/\[[#,\s]*\]/g, '[..]')
    .replace(/"[^"]*"/g, '"..."')
    .slice(0, 200);
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Statistics per exercise, in exercise order. */
export function exerciseStats(subs: readonly SubmissionResult[]): ExerciseStats[] {
  const ids = [...new Set(subs.flatMap((s) => s.exercises.map((e) => e.id)))].sort();
  return ids.map((id) => {
    const results = subs.flatMap((s) => s.exercises.filter((e) => e.id === id));
    const scores = results.map((e) => e.score);
    const maxScore = Math.max(0, ...results.map((e) => e.maxScore));
    return {
      exercise: id,
      title: results[0]?.title ?? id,
      maxScore,
      mean: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : 0,
      median: median(scores),
      full: results.filter((e) => e.score === e.maxScore).length,
      zero: results.filter((e) => e.score === 0).length,
      submitted: subs.filter((s) => !s.error && s.exercises.some((e) => e.id === id && !e.missing)).length,
    };
  });
}

/**
 * The failing tests across the class, most common first (ties by exercise and test id).
 * Exercises that were not submitted, and submissions that could not be graded at all (a broken
 * archive), are left out: they are listed separately.
 *
 * @param includeTodo - count TODO stubs too (default false: an unstarted exercise is not a bug)
 */
export function commonFailures(subs: readonly SubmissionResult[], includeTodo = false): CommonFailure[] {
  const groups = new Map<string, { exercise: string; test: string; name: string; items: { sub: string; status: TestStatus; feedback: string }[] }>();
  for (const s of [...subs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (s.error) continue;
    for (const ex of s.exercises) {
      if (ex.missing) continue;
      for (const t of ex.tests) {
        if (t.status === 'passed' || (t.status === 'todo' && !includeTodo)) continue;
        const key = `${ex.id}/${t.id}`;
        let g = groups.get(key);
        if (!g) groups.set(key, (g = { exercise: ex.id, test: t.id, name: t.name, items: [] }));
        g.items.push({ sub: s.name, status: t.status, feedback: t.feedback });
      }
    }
  }
  const out: CommonFailure[] = [];
  for (const g of groups.values()) {
    const statuses: Partial<Record<TestStatus, number>> = {};
    for (const i of g.items) statuses[i.status] = (statuses[i.status] ?? 0) + 1;
    const kinds = new Map<string, { count: number; example: string }>();
    for (const i of g.items) {
      const k = messageKind(i.feedback);
      const e = kinds.get(k);
      if (e) e.count++;
      else kinds.set(k, { count: 1, example: i.feedback });
    }
    let best: { kind: string; count: number; example: string } | undefined;
    for (const [kind, v] of kinds) {
      if (!best || v.count > best.count || (v.count === best.count && kind < best.kind)) best = { kind, ...v };
    }
    out.push({ exercise: g.exercise, test: g.test, name: g.name, count: g.items.length, statuses, typical: best?.example ?? '', typicalCount: best?.count ?? 0 });
  }
  return out.sort((a, b) => b.count - a.count || (a.exercise < b.exercise ? -1 : a.exercise > b.exercise ? 1 : a.test < b.test ? -1 : a.test > b.test ? 1 : 0));
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

/** Options of {@link summaryMarkdown}. */
export interface SummaryOptions {
  /** The run's `--seed`, printed so the class run can be reproduced; null when seeds came from the grader secret. */
  readonly seed: number | null;
  /** The grader secret's public id, when the seeds came from it. */
  readonly secretId?: string;
  /** Grader name and version. */
  readonly tool: string;
  /** How many failures to list (default 20). */
  readonly top?: number;
}

/**
 * The class summary in Markdown: totals, a table per exercise (mean, median, full marks,
 * zero), the most common failures with a typical message, and submissions that could not be
 * graded.
 */
export function summaryMarkdown(subs: readonly SubmissionResult[], opts: SummaryOptions): string {
  const n = subs.length;
  const totals = subs.map((s) => s.score);
  const max = Math.max(0, ...subs.map((s) => s.maxScore));
  const lines = [
    '# Class summary',
    '',
    `${n} submission${n === 1 ? '' : 's'}, graded by ${mdEscape(opts.tool)} ${opts.seed === null ? `with seeds from the grader secret ${mdEscape(opts.secretId ?? '?')}` : `with seed ${opts.seed}`}. Total: mean ${fmt(n ? totals.reduce((a, b) => a + b, 0) / n : 0)}, median ${fmt(median(totals))} of ${fmt(max)} points; ${subs.filter((s) => s.score === s.maxScore && s.maxScore > 0).length} with full marks.`,
    '',
    '| exercise | max | submitted | mean | median | full marks | zero |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const e of exerciseStats(subs)) lines.push(`| ${mdEscape(e.exercise)} | ${fmt(e.maxScore)} | ${e.submitted} | ${fmt(e.mean)} | ${fmt(e.median)} | ${e.full} | ${e.zero} |`);
  const failures = commonFailures(subs).slice(0, opts.top ?? 20);
  lines.push('', '## Most common failures', '');
  if (failures.length === 0) {
    lines.push('None: every test that was attempted passed.');
  } else {
    lines.push('| # | test | submissions | statuses | typical message |', '| --- | --- | --- | --- | --- |');
    failures.forEach((f, i) => {
      const statuses = Object.entries(f.statuses)
        .map(([s, c]) => `${STATUS_LABEL[s as TestStatus]} ${c}`)
        .join(', ');
      const typical = f.typical.length > 300 ? `${f.typical.slice(0, 297)}...` : f.typical;
      lines.push(`| ${i + 1} | ${mdEscape(`${f.exercise}/${f.test}`)}: ${mdEscape(f.name)} | ${f.count} | ${statuses} | ${mdEscape(typical)} (${f.typicalCount} like this) |`);
    });
  }
  const todo = commonFailures(subs, true).filter((f) => (f.statuses.todo ?? 0) > 0);
  if (todo.length) {
    lines.push('', `Not implemented (TODO) in some submissions: ${todo.map((f) => `${mdCode(`${f.exercise}/${f.test}`)} ${f.statuses.todo}`).join(', ')}.`);
  }
  const broken = subs.filter((s) => s.error);
  if (broken.length) {
    lines.push('', '## Submissions that could not be graded', '');
    for (const s of broken) lines.push(`- ${mdEscape(s.name)}: ${mdEscape(s.error!)}`);
  }
  lines.push('');
  return lines.join('\n');
}
