/**
 * Whatever one submission holds, a class run grades the others and gives it a row, and every
 * mode gives the same answer for the same folder:
 *
 * - a huge file (a sparse 3 GB file: read in chunks, never whole), a file or a submission folder
 *   whose name is not valid UTF-8, a symbolic link to a folder or to an archive: each is that
 *   submission's row (full marks when the code is right, else 0 with the reason), never the
 *   end of the run;
 * - nested (`bob/exercises/01-...`) and numbered (`01-alice/`) student folders: plain
 *   `grade(folder)` and `gradeClass` (`--out`) list and grade them alike;
 * - an empty submission: every exercise "not submitted", 0 of its points, not an error, in
 *   every mode (one submission, a folder, a class run, Gradescope's results);
 * - report files asked for are written even for a hostile archive graded on its own or a path
 *   that does not exist; the reproduce line carries every option that changes the result.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import yazl from 'yazl';
import { main, reproduceCommand } from '../src/cli.js';
import {
  escapeName,
  fingerprint,
  grade,
  gradeClass,
  gradeSubmission,
  LINKED_SUBMISSION,
  listClass,
  SUITES,
  toGradescope,
  type ClassManifest,
  type ClassroomResult,
  type GradeReport,
  type SubmissionResult,
} from '../src/index.js';
import { cleanFixtures, fixtureRoot, makeSubmission, SEED } from './fixtures.js';

/** One quick exercise keeps the runs short. */
const EX = ['01-gradient-check'];
const MAX = SUITES.find((s) => s.id === EX[0])!.tests.reduce((a, t) => a + t.points, 0);
const RUNS = 1;
const manifest: ClassManifest = { tool: 'x', version: 'x', seed: SEED, numRuns: RUNS, timeoutMs: 5000, exercises: EX };
/** A name that is not valid UTF-8, as a path string Node passes through as bytes. */
const ODD = Buffer.from([0x6e, 0x6f, 0x74, 0x65, 0x73, 0xfe, 0x2e, 0x6d, 0x64]); // notes\xFE.md

afterAll(cleanFixtures);

function byName(subs: readonly SubmissionResult[], name: string): SubmissionResult {
  const s = subs.find((x) => x.name === name);
  if (!s) throw new Error(`no submission ${name} among ${subs.map((x) => x.name).join(', ')}`);
  return s;
}

function bytesPath(dir: string, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${dir}/`), name]);
}

async function zipOf(files: Record<string, string>, target: string): Promise<void> {
  const zip = new yazl.ZipFile();
  // yazl refuses `../`: such a name is written as `xx/` and patched in the bytes (same length; the CRC is of the content).
  const safe = (name: string): string => name.replace(/^\.\.\//, 'xx/');
  for (const [name, text] of Object.entries(files)) zip.addBuffer(Buffer.from(text), safe(name), { compress: false });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  let bytes = Buffer.concat(chunks);
  for (const name of Object.keys(files).filter((n) => safe(n) !== n)) {
    const from = Buffer.from(safe(name));
    for (let i = bytes.indexOf(from); i >= 0; i = bytes.indexOf(from, i + 1)) Buffer.from(name).copy(bytes, i);
  }
  bytes = Buffer.from(bytes);
  writeFileSync(target, bytes);
}

/** Runs the command line quietly; returns its exit code. */
async function cli(args: string[]): Promise<number> {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return await main(args);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('one odd submission never ends a class run', () => {
  const root = (): string => path.join(fixtureRoot(), 'odd');
  const cls = (): string => path.join(root(), 'class');
  const elsewhere = (): string => path.join(root(), 'elsewhere');

  it('builds the class', async () => {
    makeSubmission('odd/class/alice', [], EX);
    // A 3 GB sparse file beside the exercises (the instance: weights.bin).
    const big = makeSubmission('odd/class/bigguy', [], EX);
    writeFileSync(path.join(big, 'weights.bin'), '');
    truncateSync(path.join(big, 'weights.bin'), 3 * 1024 ** 3);
    // A stray notes file whose name is not UTF-8, inside the exercise folder (graded in full).
    const notes = makeSubmission('odd/class/notes', [], EX);
    writeFileSync(bytesPath(path.join(notes, EX[0]), ODD), 'my notes\n');
    // A folder whose name is not UTF-8.
    const oddDir = bytesPath(cls(), Buffer.from([0x62, 0x61, 0x64, 0xff])); // bad\xFF
    mkdirSync(oddDir);
    // Symbolic links to a folder and to an archive elsewhere, and a dangling one.
    const linked = makeSubmission('odd/elsewhere/alice', [], EX);
    symlinkSync(linked, path.join(cls(), 'linked'));
    await zipOf({ [`${EX[0]}/x.ts`]: 'export {};\n' }, path.join(elsewhere(), 'zipped.zip'));
    symlinkSync(path.join(elsewhere(), 'zipped.zip'), path.join(cls(), 'zipped.zip'));
    symlinkSync(path.join(elsewhere(), 'gone'), path.join(cls(), 'dangling'));
  });

  it('listClass lists every entry, links and odd names with their reason', () => {
    const entries = listClass(cls());
    expect(entries.map((e) => e.name)).toEqual(['alice', 'bad\\xFF', 'bigguy', 'dangling', 'linked', 'notes', 'zipped']);
    expect(entries.find((e) => e.name === 'linked')?.problem).toBe(LINKED_SUBMISSION);
    expect(entries.find((e) => e.name === 'zipped')?.problem).toBe(LINKED_SUBMISSION);
    expect(entries.find((e) => e.name === 'dangling')?.problem).toBe(LINKED_SUBMISSION);
    expect(entries.find((e) => e.name === 'bad\\xFF')?.problem).toContain('not valid UTF-8');
    expect(escapeName(ODD)).toBe('notes\\xFE.md');
  });

  it('fingerprint reads a 3 GB file in chunks, odd names as bytes, and notices changes', () => {
    const entries = listClass(cls());
    const big = entries.find((e) => e.name === 'bigguy')!;
    const t0 = Date.now();
    const a = fingerprint(big);
    expect(Date.now() - t0).toBeLessThan(5000);
    truncateSync(path.join(big.file, 'weights.bin'), 3 * 1024 ** 3 + 1);
    expect(fingerprint(big)).not.toBe(a);
    const notes = entries.find((e) => e.name === 'notes')!;
    const b = fingerprint(notes);
    writeFileSync(bytesPath(path.join(notes.file, EX[0]), ODD), 'other notes\n');
    expect(fingerprint(notes)).not.toBe(b);
    for (const e of entries) expect(() => fingerprint(e), e.name).not.toThrow();
  });

  let classReport: GradeReport;
  it('a class run (--out) grades everyone: right code full marks, the rest 0 with the reason', async () => {
    const r = await gradeClass(cls(), { out: path.join(root(), 'out'), seed: SEED, numRuns: RUNS, exercises: EX, jobs: 2 });
    classReport = r.report;
    const subs = r.report.submissions;
    for (const name of ['alice', 'bigguy', 'notes']) expect(byName(subs, name).score, name).toBe(MAX);
    for (const name of ['linked', 'zipped', 'dangling']) {
      expect(byName(subs, name).score).toBe(0);
      expect(byName(subs, name).error).toBe(`${name} is ${LINKED_SUBMISSION}`);
    }
    expect(byName(subs, 'bad\\xFF').error).toContain('not valid UTF-8');
    const notes = byName(subs, 'notes').exercises[0];
    expect(notes.ignored).toEqual([`${EX[0]}/notes\\xFE.md`]);
    const csv = readFileSync(r.files.csv, 'utf8');
    expect(csv).toContain(`linked,0,0,${MAX},linked is a symbolic link; submissions must be regular folders or archives`);
    expect(readFileSync(path.join(root(), 'out', 'feedback', 'notes.md'), 'utf8')).toContain('notes\\\\xFE.md');
  });

  it('plain grade(folder) gives the same rows', async () => {
    const plain = await grade(cls(), { seed: SEED, numRuns: RUNS, exercises: EX });
    expect(plain.submissions.map((s) => [s.name, s.score, s.error ?? ''])).toEqual(classReport.submissions.map((s) => [s.name, s.score, s.error ?? '']));
  });

  it('one submission (as Gradescope grades it): a stray oddly named file does not cost the correct solution', async () => {
    const notes = path.join(cls(), 'notes');
    const r = await gradeSubmission({ name: 'submission', file: notes, kind: 'dir' }, manifest);
    expect(r.score).toBe(MAX);
    const one = await grade(notes, { seed: SEED, numRuns: RUNS, exercises: EX });
    expect(one.submissions[0].score).toBe(MAX);
  });
});

describe('one discovery for every mode', () => {
  const build = (name: string, students: Record<string, string>): string => {
    for (const [student, where] of Object.entries(students)) makeSubmission(path.join(name, student, where), [], EX);
    return path.join(fixtureRoot(), name);
  };

  for (const [label, students] of [
    ['nested layouts', { alice: '', bob: 'exercises', carol: 'carol/exercises' }],
    ['numbered student folders', { '01-alice': '', '02-bob': '' }],
    ['numbered and nested', { '01-alice': 'exercises', '02-bob': '' }],
  ] as const) {
    it(`${label}: grade(folder) and gradeClass agree, everyone full marks`, async () => {
      const dir = build(`disc-${label.replace(/ /g, '-')}`, students);
      const plain = await grade(dir, { seed: SEED, numRuns: RUNS, exercises: EX });
      const cls = await gradeClass(dir, { out: path.join(fixtureRoot(), `out-${label.replace(/ /g, '-')}`), seed: SEED, numRuns: RUNS, exercises: EX });
      const rows = (subs: readonly SubmissionResult[]): [string, number][] => subs.map((s) => [s.name, s.score]);
      expect(rows(plain.submissions)).toEqual(Object.keys(students).sort().map((n) => [n, MAX]));
      expect(rows(cls.report.submissions)).toEqual(rows(plain.submissions));
    });
  }
});

describe('an empty submission is "not submitted" in every mode', () => {
  const expectNothing = (s: SubmissionResult): void => {
    expect(s.error).toBeUndefined();
    expect(s).toMatchObject({ score: 0, maxScore: MAX });
    for (const e of s.exercises) {
      expect(e.missing).toBe(true);
      for (const t of e.tests) expect(t.feedback).toMatch(/^not submitted: /);
    }
  };

  it('one submission, a folder of submissions, a class run, Gradescope', async () => {
    const empty = path.join(fixtureRoot(), 'empties', 'class', 'empty');
    mkdirSync(empty, { recursive: true });
    makeSubmission('empties/class/full', [], EX);
    const one = await grade(empty, { seed: SEED, numRuns: RUNS, exercises: EX });
    expectNothing(one.submissions[0]);
    const folder = await grade(path.dirname(empty), { seed: SEED, numRuns: RUNS, exercises: EX });
    expectNothing(byName(folder.submissions, 'empty'));
    const cls = await gradeClass(path.dirname(empty), { out: path.join(fixtureRoot(), 'empties', 'out'), seed: SEED, numRuns: RUNS, exercises: EX });
    expectNothing(byName(cls.report.submissions, 'empty'));
    const sub = await gradeSubmission({ name: 'submission', file: empty, kind: 'dir' }, manifest);
    expectNothing(sub);
    const gs = toGradescope({ ...one, submissions: [sub] });
    expect(gs.extra_data).toMatchObject({ not_submitted: EX });
    expect(gs.extra_data).not.toHaveProperty('error');
    expect(gs.output).not.toContain('could not be graded');
  });
});

describe('report files are always written', () => {
  it('a hostile archive graded on its own: --json and --classroom written, exit 0, 0 with the reason', async () => {
    const dir = path.join(fixtureRoot(), 'reports');
    mkdirSync(dir, { recursive: true });
    await zipOf({ '../slip.txt': 'x', [`${EX[0]}/a.ts`]: 'export {};\n' }, path.join(dir, 'slip.zip'));
    const json = path.join(dir, 'r.json');
    const gh = path.join(dir, 'gh.out');
    expect(await cli([path.join(dir, 'slip.zip'), '--exercises', EX[0], '--seed', String(SEED), '--runs', '1', '--json', json, '--classroom', gh])).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as GradeReport;
    expect(report.submissions[0]).toMatchObject({ name: 'slip', score: 0, maxScore: MAX });
    expect(report.submissions[0].error).toContain('could not be unpacked');
    const result = JSON.parse(Buffer.from(readFileSync(gh, 'utf8').trim().replace(/^result=/, ''), 'base64').toString('utf8')) as ClassroomResult;
    expect(result.max_score).toBe(MAX);
    expect(existsSync(path.join(dir, 'slip.txt'))).toBe(false);
  });

  it('a deleted or renamed exercises/ in the Classroom workflow: the result line is written, every exercise not submitted', async () => {
    const dir = path.join(fixtureRoot(), 'reports-gone');
    mkdirSync(dir, { recursive: true });
    const gh = path.join(dir, 'gh.out');
    const junit = path.join(dir, 'junit.xml');
    expect(await cli([path.join(dir, 'submission', 'exercises'), '--exercises', EX[0], '--seed', String(SEED), '--classroom', gh, '--junit', junit])).toBe(0);
    const result = JSON.parse(Buffer.from(readFileSync(gh, 'utf8').trim().replace(/^result=/, ''), 'base64').toString('utf8')) as ClassroomResult;
    expect(result).toMatchObject({ status: 'fail', max_score: MAX });
    expect(result.tests.every((t) => t.score === 0 && t.message.startsWith('not submitted'))).toBe(true);
    expect(readFileSync(junit, 'utf8')).toContain('not-submitted');
    // Without a report file asked for, a typo is still a usage error.
    expect(await cli([path.join(dir, 'typo', 'exercises'), '--seed', String(SEED)])).toBe(2);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('the reproduce line', () => {
  it('keeps every option that changes the result', () => {
    expect(reproduceCommand('class', {})).toBe('pnpm grade class');
    expect(reproduceCommand('class', { exercises: ['05-residual'], runs: 1, timeout: 800 })).toBe('pnpm grade class --exercises 05-residual --runs 1 --timeout 800');
    expect(reproduceCommand('my class', { runs: 15, timeout: 5000, exerciseTimeout: 120 })).toBe("pnpm grade 'my class'");
    expect(reproduceCommand('alice', { exerciseTimeout: 30 })).toBe('pnpm grade alice --exercise-timeout 30');
  });

  it('in the printed table', async () => {
    const sub = makeSubmission('repro/alice', [], EX);
    const lines: string[] = [];
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (lines.push(String(s)), true));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main([sub, '--exercises', '01', '--runs', '1', '--timeout', '4000', '--seed', '1'])).toBe(0);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    expect(lines.join('')).toContain(`(reproduce: pnpm grade ${sub} --exercises 01-gradient-check --runs 1 --timeout 4000 --seed 1)`);
  });
});
