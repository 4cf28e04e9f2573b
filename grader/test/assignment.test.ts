/**
 * Every exercise of the assignment counts, in every mode: a submission is graded out of the
 * assignment's maximum whatever it holds. A missing exercise folder, a missing module file or an
 * empty folder scores 0 of its points with "not submitted"; extra or misnamed folders are listed
 * as skipped, never graded or counted; a student who deletes the exercises they fail does not
 * report "pass". Checked for one submission, a folder of submissions, a class run (`--out`) and
 * the GitHub Classroom output of the command line (the Gradescope bundle: gradescope.test.ts).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { grade, gradeClass, missingReason, SUITES, toClassroom, toGradescope, toJunit, type ClassroomResult, type GradeReport, type SubmissionResult } from '../src/index.js';
import { cleanFixtures, fixtureRoot, makeSubmission, SEED } from './fixtures.js';

const EX = ['01-gradient-check', '03-pooling'];
/** The assignment's maximum, from the suites themselves. */
const MAX = SUITES.filter((s) => EX.includes(s.id)).reduce((m, s) => m + s.tests.reduce((a, t) => a + t.points, 0), 0);
const POOLING_MAX = SUITES.find((s) => s.id === '03-pooling')!.tests.reduce((a, t) => a + t.points, 0);
const BUG = { file: '03-pooling/pool.ts', find: 'let best = -Infinity;', replace: 'let best = 0;' };

let classDir: string;

/** The fixtures: one folder per way of leaving something out. */
function buildClass(): string {
  const dir = path.join(fixtureRoot(), 'class');
  const sub = (name: string, exercises: readonly string[], patches = [] as (typeof BUG)[]): string => {
    const d = makeSubmission(path.join('class', name), patches, exercises);
    mkdirSync(d, { recursive: true });
    return d;
  };
  sub('complete', EX);
  sub('missing-exercise', ['01-gradient-check']);
  rmSync(path.join(sub('missing-file', EX), '03-pooling', 'pool.ts'));
  const emptyFolder = sub('empty-folder', ['01-gradient-check']);
  mkdirSync(path.join(emptyFolder, '03-pooling'));
  const extra = sub('extra-folders', EX);
  mkdirSync(path.join(extra, '99-unknown'));
  writeFileSync(path.join(extra, '99-unknown', 'x.ts'), 'export const x = 1;\n');
  mkdirSync(path.join(extra, 'notes'));
  // A student who renamed the folder: it is not graded, and the hint names it.
  const misnamed = sub('misnamed', ['01-gradient-check', '03-pooling']);
  const from = path.join(misnamed, '03-pooling');
  const to = path.join(misnamed, '03-Pool');
  mkdirSync(to);
  for (const f of readdirSync(from)) writeFileSync(path.join(to, f), readFileSync(path.join(from, f)));
  rmSync(from, { recursive: true });
  // A student whose 03 is wrong deletes it, hoping the grader will not notice.
  sub('deleted-failing', ['01-gradient-check']);
  sub('kept-failing', EX, [BUG]);
  mkdirSync(path.join(dir, 'nothing'));
  return dir;
}

function byName(subs: readonly SubmissionResult[], name: string): SubmissionResult {
  const s = subs.find((x) => x.name === name);
  if (!s) throw new Error(`no submission ${name}`);
  return s;
}

function pooling(s: SubmissionResult): SubmissionResult['exercises'][number] {
  return s.exercises.find((e) => e.id === '03-pooling')!;
}

/** The checks every mode must pass on the same fixtures. */
function expectAssignment(subs: readonly SubmissionResult[]): void {
  expect(subs.map((s) => s.name).sort()).toEqual(['complete', 'deleted-failing', 'empty-folder', 'extra-folders', 'kept-failing', 'misnamed', 'missing-exercise', 'missing-file', 'nothing']);
  for (const s of subs) {
    expect(s.maxScore, s.name).toBe(MAX);
    expect(s.exercises.map((e) => e.id), s.name).toEqual(EX);
  }
  expect(byName(subs, 'complete').score).toBe(MAX);
  expect(byName(subs, 'extra-folders').score).toBe(MAX);
  expect(byName(subs, 'extra-folders').skipped).toEqual(['99-unknown']);
  for (const name of ['missing-exercise', 'missing-file', 'empty-folder', 'misnamed', 'deleted-failing']) {
    const s = byName(subs, name);
    const ex = pooling(s);
    expect(ex.missing, name).toBe(true);
    expect(ex.score, name).toBe(0);
    expect(ex.maxScore, name).toBe(POOLING_MAX);
    expect(s.score, name).toBe(MAX - POOLING_MAX);
    for (const t of ex.tests) expect(t.feedback, name).toMatch(/^not submitted: /);
  }
  expect(pooling(byName(subs, 'missing-file')).tests[0].feedback).toBe('not submitted: 03-pooling/pool.ts is missing');
  expect(pooling(byName(subs, 'misnamed')).tests[0].feedback).toContain('found 03-Pool; the folder must be named 03-pooling');
  expect(byName(subs, 'misnamed').skipped).toEqual(['03-Pool']);
  const nothing = byName(subs, 'nothing');
  expect(nothing.score).toBe(0);
  // Nothing submitted at all: every exercise "not submitted", not an error, in every mode.
  expect(nothing.error).toBeUndefined();
  expect(nothing.exercises.every((e) => e.missing && e.tests.every((t) => t.feedback.startsWith('not submitted: ') && t.feedback.includes('no exercise folders')))).toBe(true);
  // Deleting the exercise you fail is never better than a wrong answer that is kept... and never "complete".
  expect(byName(subs, 'deleted-failing').score).toBeLessThan(MAX);
  expect(byName(subs, 'kept-failing').maxScore).toBe(byName(subs, 'deleted-failing').maxScore);
}

beforeAll(() => {
  classDir = buildClass();
});
afterAll(cleanFixtures);

describe('the maximum is the assignment\'s, in every mode', () => {
  it('missingReason names a near miss', () => {
    expect(missingReason('03-pooling', ['01-gradient-check'])).toBe('not submitted: no 03-pooling folder');
    expect(missingReason('03-pooling', ['03-pool', '07-pooling', '04-x'])).toBe('not submitted: no 03-pooling folder (found 03-pool, 07-pooling; the folder must be named 03-pooling)');
  });

  let folderReport: GradeReport;
  it('grading a folder of submissions (no --out) with --exercises', async () => {
    folderReport = await grade(classDir, { seed: SEED, exercises: EX, timeoutMs: 5000 });
    expectAssignment(folderReport.submissions);
  });

  it('one submission at a time, and its Gradescope, JUnit and GitHub Classroom outputs', async () => {
    const r = await grade(path.join(classDir, 'deleted-failing'), { seed: SEED, exercises: EX });
    expect(r.submissions).toHaveLength(1);
    expectAssignment([...folderReport.submissions.filter((s) => s.name !== 'deleted-failing'), r.submissions[0]]);
    const classroom = toClassroom(r);
    expect(classroom.max_score).toBe(MAX);
    expect(classroom.status).not.toBe('pass');
    expect(classroom.tests.filter((t) => t.name.startsWith('03-pooling')).every((t) => t.status === 'fail' && t.score === 0)).toBe(true);
    const gs = toGradescope(r);
    expect(gs.extra_data).toMatchObject({ max_score: MAX, not_submitted: ['03-pooling'] });
    expect(gs.tests.reduce((m, t) => m + t.max_score, 0)).toBe(MAX);
    expect(toJunit(r)).toContain('<failure type="not-submitted"');
  });

  it('without --exercises a submission is graded on every exercise the grader has, an exercise folder on itself', async () => {
    const all = SUITES.reduce((m, s) => m + s.tests.reduce((a, t) => a + t.points, 0), 0);
    const r = await grade(path.join(classDir, 'missing-exercise'), { seed: SEED });
    expect(r.submissions[0].maxScore).toBe(all);
    expect(r.submissions[0].exercises.filter((e) => e.missing).map((e) => e.id)).toEqual(SUITES.map((s) => s.id).filter((id) => id !== '01-gradient-check'));
    const one = await grade(path.join(classDir, 'complete', '03-pooling'), { seed: SEED });
    expect(one.submissions[0]).toMatchObject({ score: POOLING_MAX, maxScore: POOLING_MAX });
    await expect(grade(path.join(classDir, 'complete', '03-pooling'), { seed: SEED, exercises: EX })).rejects.toThrow('give the submission folder');
  });

  it('a class run (--out): every row of grades.csv out of the same maximum', async () => {
    const out = path.join(fixtureRoot(), 'out');
    const r = await gradeClass(classDir, { out, seed: SEED, exercises: EX, jobs: 2 });
    expectAssignment(r.report.submissions);
    const rows = parse(readFileSync(r.files.csv, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => x.max_total)).toEqual(rows.map(() => String(MAX)));
    expect(readFileSync(path.join(out, 'feedback', 'missing-file.md'), 'utf8')).toContain('03-pooling: Max pooling (0/7) (not submitted)');
  });

  it('the GitHub Classroom command: --exercises in the workflow, max_score is the assignment\'s, deleting is not "pass"', async () => {
    const ghOutput = path.join(fixtureRoot(), 'github_output');
    const write = process.stdout.write;
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      expect(await main([path.join(classDir, 'deleted-failing'), '--exercises', '01,pooling', '--seed', String(SEED), '--classroom', ghOutput])).toBe(0);
    } finally {
      process.stdout.write = write;
      spy.mockRestore();
    }
    const line = readFileSync(ghOutput, 'utf8').trim();
    const result = JSON.parse(Buffer.from(line.replace(/^result=/, ''), 'base64').toString('utf8')) as ClassroomResult;
    expect(result.max_score).toBe(MAX);
    expect(result.status).toBe('fail');
    expect(result.tests.reduce((m, t) => m + t.score, 0)).toBe(MAX - POOLING_MAX);
  });
});
