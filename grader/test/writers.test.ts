/**
 * The class writers (CSV, JUnit XML, Markdown feedback, class summary, GitHub Classroom) on a
 * hand-made report, including text a submission controls (quotes, markup, control characters).
 */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import {
  commonFailures,
  csvText,
  exerciseStats,
  mdCode,
  mdEscape,
  messageKind,
  replayCommand,
  submissionMarkdown,
  summaryMarkdown,
  toClassroom,
  classroomOutputLine,
  toCsv,
  toJunit,
  xmlEscape,
  type ExerciseResult,
  type GradeReport,
  type SubmissionResult,
  type TestResult,
} from '../src/index.js';

function test(id: string, status: TestResult['status'], points: number, max: number, feedback = ''): TestResult {
  return { id, name: `${id} name`, points, maxPoints: max, status, feedback, seed: 7 };
}

function exercise(id: string, tests: TestResult[], extra: Partial<ExerciseResult> = {}): ExerciseResult {
  return { id, title: id, score: tests.reduce((s, t) => s + t.points, 0), maxScore: tests.reduce((s, t) => s + t.maxPoints, 0), tests, ...extra };
}

function sub(name: string, exercises: ExerciseResult[], error?: string): SubmissionResult {
  return { name, path: `class/${name}`, score: exercises.reduce((s, e) => s + e.score, 0), maxScore: exercises.reduce((s, e) => s + e.maxScore, 0), exercises, skipped: [], ...(error ? { error } : {}) };
}

const evil = 'conv threw Error: <script>alert(1)</script> "quoted", a | pipe, *stars* and \u0007 bell\nnew line';

const subs: SubmissionResult[] = [
  sub('alice', [exercise('01-a', [test('t1', 'passed', 2, 2), test('t2', 'passed', 1, 1)]), exercise('02-b', [test('u1', 'passed', 3, 3)])]),
  sub('=bob,"x"', [exercise('01-a', [test('t1', 'failed', 0, 2, 'dx differs at [0,1]: got 1.5, expected 2'), test('t2', 'error', 0, 1, evil)]), exercise('02-b', [test('u1', 'timeout', 0, 3, 'timed out after 5000 ms in f')])]),
  sub('carol', [exercise('01-a', [test('t1', 'failed', 0, 2, 'dx differs at [3,2]: got 0.25, expected 7'), test('t2', 'todo', 0, 1, 'TODO: t2 (not implemented yet)')]), exercise('02-b', [test('u1', 'error', 0, 3, 'not submitted')], { missing: true })]),
  sub('dave', [exercise('01-a', [test('t1', 'error', 0, 2, 'broken'), test('t2', 'error', 0, 1, 'broken')]), exercise('02-b', [test('u1', 'error', 0, 3, 'broken')])], 'the archive dave.zip could not be unpacked: entry "../x": a path may not contain \'..\''),
];

const report: GradeReport = {
  tool: '@dlkata/grader',
  version: '0.0.0',
  seed: 42,
  numRuns: 15,
  sandbox: { fsRead: 'bundle only', heapLimitMb: 256, dataLimitBytes: null, network: 'isolated', processes: 'isolated', timeoutMs: 5000, notes: [] },
  submissions: subs,
  run: { startedAt: '2024-01-01T00:00:00.000Z', durationMs: 1500, exercises: [{ submission: 'alice', exercise: '01-a', durationMs: 250 }] },
};

describe('CSV', () => {
  it('one row per submission with points per exercise and the total, RFC 4180 quoting, formulas neutralised', () => {
    const text = toCsv(subs, ['01-a', '02-b']);
    expect(text.split('\r\n')[0]).toBe('submission,01-a,02-b,total,max_total,error');
    const rows = parse(text) as string[][];
    expect(rows).toHaveLength(5);
    expect(rows[1]).toEqual(['alice', '3', '3', '6', '6', '']);
    expect(rows[2]).toEqual(["'=bob,\"x\"", '0', '0', '0', '6', '']);
    expect(rows[4][5]).toContain('could not be unpacked');
    expect(csvText('-1')).toBe("'-1");
    expect(csvText('alice')).toBe('alice');
  });
});

describe('JUnit XML', () => {
  const xml = toJunit(report);
  it('one testsuite per submission and exercise, one testcase per test, failures and errors by status', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')).toBe(true);
    expect(xml.match(/<testsuite /g)).toHaveLength(8);
    expect(xml.match(/<testcase /g)).toHaveLength(12);
    expect(xml).toMatch(/<testsuites name="@dlkata\/grader 0\.0\.0 seed 42" tests="12" failures="4" errors="5"/);
    expect(xml).toContain('<failure type="todo"');
    expect(xml).toContain('<error type="timeout"');
    expect(xml).toContain('<property name="points" value="2"/>');
    expect(xml).toContain('time="0.250"');
  });

  it('escapes markup and replaces characters XML cannot hold', () => {
    expect(xml).not.toContain('<script>');
    expect(xml).toContain('&lt;script&gt;');
    expect(xml).not.toContain('\u0007');
    expect(xmlEscape('a & b < "c" \u0000')).toBe('a &amp; b &lt; &quot;c&quot; \uFFFD');
    // every tag that opens closes
    for (const tag of ['testsuites', 'testsuite', 'testcase']) {
      expect(xml.match(new RegExp(`<${tag}[ >]`, 'g'))?.length).toBe(xml.match(new RegExp(`</${tag}>`, 'g'))?.length);
    }
  });
});

describe('Markdown', () => {
  it('escapes what a submission controls', () => {
    expect(mdEscape('a *b* [c](d) <i>|')).toBe('a \\*b\\* \\[c\\](d) &lt;i&gt;\\|');
    expect(mdEscape('# heading')).toBe('\\# heading');
    expect(mdCode('a `b` c')).toBe('``a `b` c``');
  });

  it('feedback file: total, a table per exercise, each failed test with feedback, seed and replay command', () => {
    const md = submissionMarkdown(report, subs[1]);
    expect(md).toContain('# Feedback: =bob,"x"');
    expect(md).toContain('**Total: 0/6 points (0%)**');
    expect(md).toContain('| t1 name | 0/2 | failed |');
    expect(md).toContain('**failed**: dx differs at \\[0,1\\]');
    expect(md).toContain('&lt;script&gt;');
    expect(md).not.toContain('<script>');
    expect(md).toContain("Replay: `pnpm grade 'class/=bob,\"x\"' --replay 01-a/t1 --seed 42`");
    expect(md).toContain('with seed 42');
  });

  it('replay command quotes paths and adds the counterexample path', () => {
    expect(replayCommand('class/alice', '02-b', { ...test('u1', 'failed', 0, 3), counterexample: { description: 'x', fixed: false, shrinks: 2, path: '1:2' } }, 9)).toBe(
      'pnpm grade class/alice --replay 02-b/u1 --seed 9 --path 1:2',
    );
    expect(replayCommand("it's here", '02-b', test('u1', 'failed', 0, 3), 9)).toBe("pnpm grade 'it'\\''s here' --replay 02-b/u1 --seed 9");
    expect(replayCommand('a', '02-b', test('u1', 'failed', 0, 3), 9, 5)).toBe('pnpm grade a --replay 02-b/u1 --seed 9 --runs 5');
  });
});

describe('class summary', () => {
  it('groups failures by test, most common first, with a typical message; leaves out missing exercises and broken submissions', () => {
    const f = commonFailures(subs);
    expect(f.map((x) => `${x.exercise}/${x.test}:${x.count}`)).toEqual(['01-a/t1:2', '01-a/t2:1', '02-b/u1:1']);
    expect(f[0].typicalCount).toBe(2);
    expect(f[0].typical).toMatch(/^dx differs at/);
    expect(messageKind('dx differs at [0,1]: got 1.5, expected 2')).toBe(messageKind('dx differs at [3,2]: got 0.25, expected 7'));
  });

  it('per-exercise statistics and a deterministic Markdown summary', () => {
    const stats = exerciseStats(subs);
    expect(stats[0]).toMatchObject({ exercise: '01-a', maxScore: 3, full: 1, zero: 3, submitted: 3 });
    expect(stats[1]).toMatchObject({ exercise: '02-b', submitted: 2 });
    const md = summaryMarkdown(subs, { seed: 42, tool: 'g' });
    expect(summaryMarkdown([...subs].reverse(), { seed: 42, tool: 'g' })).toBe(md);
    expect(md).toContain('| 1 | 01-a/t1: t1 name | 2 | failed 2 |');
    expect(md).toContain('## Submissions that could not be graded');
    expect(md).toContain('Not implemented (TODO) in some submissions: `01-a/t2` 1.');
  });
});

describe('GitHub Classroom', () => {
  it("the reporter's runner format: a test per test, points as score, base64 on a result= line", () => {
    const one: GradeReport = { ...report, submissions: [subs[1]] };
    const r = toClassroom(one);
    expect(r).toMatchObject({ version: 1, status: 'fail', max_score: 6 });
    expect(r.tests.map((t) => [t.name, t.status, t.score])).toEqual([
      ['01-a: t1 name', 'fail', 0],
      ['01-a: t2 name', 'error', 0],
      ['02-b: u1 name', 'error', 0],
    ]);
    const line = classroomOutputLine({ ...report, submissions: [subs[0]] });
    expect(line.startsWith('result=')).toBe(true);
    const decoded = JSON.parse(Buffer.from(line.slice('result='.length).trim(), 'base64').toString('utf8'));
    expect(decoded).toMatchObject({ status: 'pass', max_score: 6 });
    expect(decoded.tests.reduce((s: number, t: { score: number }) => s + t.score, 0)).toBe(6);
  });
});
