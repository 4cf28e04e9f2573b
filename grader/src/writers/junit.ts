/**
 * JUnit XML writer, for CI systems (GitLab, Jenkins, GitHub checks): one `<testsuite>` per
 * submission and exercise, one `<testcase>` per test. A failed or TODO test is a `<failure>`,
 * an error or a time-out an `<error>`; points go into `<properties>` (as pytest's
 * `record_property` writes them).
 *
 * Text from a submission (its error messages) is escaped, and characters XML 1.0 cannot hold
 * are replaced, so the file always parses.
 *
 * @module
 */
import { failureText, seedsShown, type GradeReport, type TestResult } from '../results.js';

/** Escapes text for an XML attribute or element; replaces characters XML 1.0 forbids with U+FFFD. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function attrs(a: Record<string, string | number>): string {
  return Object.entries(a)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function testcase(classname: string, t: TestResult, showSeed: boolean, missing: boolean): string {
  const seed = showSeed && t.seed !== undefined ? `<property name="seed"${attrs({ value: t.seed })}/>` : '';
  const props = `<properties><property name="points"${attrs({ value: t.points })}/><property name="max_points"${attrs({ value: t.maxPoints })}/>${seed}</properties>`;
  const open = `    <testcase${attrs({ classname, name: `${t.id}: ${t.name}`, time: '0' })}>`;
  if (t.status === 'passed') return `${open}${props}</testcase>`;
  const tag = !missing && (t.status === 'error' || t.status === 'timeout') ? 'error' : 'failure';
  const text = failureText(t, showSeed);
  return `${open}${props}<${tag}${attrs({ type: missing ? 'not-submitted' : t.status, message: text.length > 500 ? `${text.slice(0, 497)}...` : text })}>${xmlEscape(text)}</${tag}></testcase>`;
}

/**
 * The report as JUnit XML.
 *
 * @returns the document, ending with a newline
 */
export function toJunit(report: GradeReport): string {
  const time = new Map((report.run.exercises ?? []).map((e) => [`${e.submission}\u0000${e.exercise}`, e.durationMs]));
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  const showSeed = seedsShown(report);
  for (const sub of report.submissions) {
    for (const ex of sub.exercises) {
      // A test that is not submitted is a failure (the student's), not an error.
      const f = ex.missing ? ex.tests.length : ex.tests.filter((t) => t.status === 'failed' || t.status === 'todo').length;
      const e = ex.missing ? 0 : ex.tests.filter((t) => t.status === 'error' || t.status === 'timeout').length;
      tests += ex.tests.length;
      failures += f;
      errors += e;
      const classname = `${sub.name}.${ex.id}`;
      const ms = time.get(`${sub.name}\u0000${ex.id}`) ?? 0;
      suites.push(
        [
          `  <testsuite${attrs({ name: `${sub.name}/${ex.id}`, tests: ex.tests.length, failures: f, errors: e, skipped: 0, time: seconds(ms) })}>`,
          `    <properties><property name="score"${attrs({ value: ex.score })}/><property name="max_score"${attrs({ value: ex.maxScore })}/>${showSeed && ex.seed !== undefined ? `<property name="seed"${attrs({ value: ex.seed })}/>` : ''}</properties>`,
          ...ex.tests.map((t) => testcase(classname, t, showSeed, ex.missing === true)),
          '  </testsuite>',
        ].join('\n'),
      );
    }
  }
  const seeding = report.seed === null ? `seeds from secret ${report.secretId ?? '?'}` : `seed ${report.seed}`;
  const head = `<testsuites${attrs({ name: `${report.tool} ${report.version} ${seeding}`, tests, failures, errors, time: seconds(report.run.durationMs) })}>`;
  return ['<?xml version="1.0" encoding="UTF-8"?>', head, ...suites, '</testsuites>', ''].join('\n');
}
