/**
 * Seeds students cannot farm: each exercise's seed is an HMAC of the instructor's secret and
 * the exercise's files. The instructor replays any report exactly with the secret; a student
 * cannot predict the cases of another run (a memoising edit changes the files, hence the
 * seed), and nothing a student reads holds a seed.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import {
  deterministicPart,
  exerciseSeed,
  folderDigest,
  grade,
  loadSecret,
  MAX_SEED,
  renderTable,
  secretId,
  submissionMarkdown,
  testSeed,
  toClassroom,
  toGradescope,
  toJunit,
  UsageError,
  type GradeReport,
  type GraderSecret,
} from '../src/index.js';
import { cleanFixtures, makeSubmission, REPO } from './fixtures.js';

const work = mkdtempSync(path.join(tmpdir(), 'dlkata-seeds-test-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  cleanFixtures();
});

function secretOf(text: string): GraderSecret {
  const file = path.join(work, `secret-${secretId(Buffer.from(text))}`);
  writeFileSync(file, text);
  return loadSecret({ file });
}

describe('the grader secret', () => {
  it('comes from --secret-file, else $DLKATA_GRADER_SECRET, else a file created on first use (0600) in the config folder', () => {
    const file = path.join(work, 'given');
    writeFileSync(file, '  0123456789abcdef0123  \n');
    const given = loadSecret({ file, env: { DLKATA_GRADER_SECRET: 'from the environment, long enough' } });
    expect(given).toMatchObject({ source: file, created: false });
    expect(given.key.toString()).toBe('0123456789abcdef0123');
    expect(given.id).toMatch(/^[0-9a-f]{12}$/);

    const env = loadSecret({ env: { DLKATA_GRADER_SECRET: 'from the environment, long enough', XDG_CONFIG_HOME: path.join(work, 'cfg') } });
    expect(env).toMatchObject({ source: '$DLKATA_GRADER_SECRET', created: false });
    expect(existsSync(path.join(work, 'cfg'))).toBe(false);

    const cfg = { XDG_CONFIG_HOME: path.join(work, 'cfg') };
    const first = loadSecret({ env: cfg });
    const expectedFile = path.join(work, 'cfg', 'dlkata', 'grader-secret');
    expect(first).toMatchObject({ source: expectedFile, created: true });
    expect(statSync(expectedFile).mode & 0o777).toBe(0o600);
    expect(first.key.toString()).toMatch(/^[0-9a-f]{64}$/);
    const again = loadSecret({ env: cfg });
    expect(again).toMatchObject({ created: false, id: first.id });
    expect(() => loadSecret({ env: { XDG_CONFIG_HOME: path.join(work, 'cfg2') }, create: false })).toThrow(UsageError);
  });

  it('refuses a short or unreadable secret, naming the source', () => {
    const short = path.join(work, 'short');
    writeFileSync(short, 'abc\n');
    expect(() => loadSecret({ file: short })).toThrow(`the grader secret in ${short} is too short (3 characters; at least 16)`);
    expect(() => loadSecret({ file: path.join(work, 'nope') })).toThrow('cannot read the secret file');
    expect(() => loadSecret({ env: { DLKATA_GRADER_SECRET: 'short' } })).toThrow('$DLKATA_GRADER_SECRET is too short');
  });
});

describe('folderDigest and exerciseSeed', () => {
  const base = path.join(work, 'digest');
  const fresh = (name: string): string => {
    const d = path.join(base, name);
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, 'pool.ts'), 'export const a = 1;\n');
    return d;
  };

  it('every file of the folder counts, wherever the folder is', () => {
    const a = folderDigest(fresh('a'));
    expect(folderDigest(fresh('elsewhere/a'))).toBe(a);
    const edited = fresh('edited');
    writeFileSync(path.join(edited, 'pool.ts'), 'export const a = 1; \n');
    const memo = fresh('memo');
    writeFileSync(path.join(memo, 'memo.ts'), 'export const answers = [1, 2, 3];\n');
    const hidden = fresh('hidden');
    mkdirSync(path.join(hidden, '.cache'));
    writeFileSync(path.join(hidden, '.cache', 'x.json'), '{}');
    const renamed = path.join(base, 'renamed');
    mkdirSync(renamed);
    writeFileSync(path.join(renamed, 'pool2.ts'), 'export const a = 1;\n');
    const linked = fresh('linked');
    symlinkSync('/etc/hostname', path.join(linked, 'data.ts'));
    const digests = [a, folderDigest(edited), folderDigest(memo), folderDigest(hidden), folderDigest(renamed), folderDigest(linked), folderDigest(path.join(base, 'missing'))];
    expect(new Set(digests).size).toBe(digests.length);
  });

  it('the seed is a 31-bit function of secret, exercise and files: any change gives another seed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 48 }), fc.uint8Array({ minLength: 16, maxLength: 48 }), fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')), fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')), (k1, k2, digest, other) => {
        const s1 = exerciseSeed(Buffer.from(k1), '02-convolution', digest);
        expect(Number.isInteger(s1) && s1 >= 0 && s1 <= MAX_SEED).toBe(true);
        expect(exerciseSeed(Buffer.from(k1), '02-convolution', digest)).toBe(s1);
        if (!Buffer.from(k1).equals(Buffer.from(k2))) expect(exerciseSeed(Buffer.from(k2), '02-convolution', digest)).not.toBe(s1);
        expect(exerciseSeed(Buffer.from(k1), '03-pooling', digest)).not.toBe(s1);
        if (other !== digest) expect(exerciseSeed(Buffer.from(k1), '02-convolution', other)).not.toBe(s1);
      }),
      { seed: 20240611, numRuns: 200 },
    );
  });
});

describe('grading with the secret', () => {
  const bug = { file: '03-pooling/pool.ts', find: 'let best = -Infinity;', replace: 'let best = 0;' };
  const A = secretOf('instructor secret A, long enough');
  const B = secretOf('instructor secret B, long enough');
  let first: GradeReport;

  it('the same secret and files replay the report exactly; the report names the secret, not a run seed', async () => {
    const dir = makeSubmission('secret-bug', [bug], ['03-pooling']);
    first = await grade(dir, { secret: A, exercises: ['03-pooling'] });
    const again = await grade(dir, { secret: A, exercises: ['03-pooling'] });
    expect(deterministicPart(again)).toEqual(deterministicPart(first));
    expect(first).toMatchObject({ seed: null, secretId: A.id });
    const ex = first.submissions[0].exercises[0];
    expect(ex.seed).toBe(exerciseSeed(A.key, '03-pooling', folderDigest(path.join(dir, '03-pooling'))));
    expect(ex.tests.map((t) => t.seed)).toEqual(ex.tests.map((t) => testSeed(ex.seed!, '03-pooling', t.id)));
    expect(ex.tests.find((t) => t.id === 'forward')!.status).toBe('failed');
    // The same files elsewhere, under another name: the same cases.
    const copy = path.join(work, 'copy', 'bob');
    cpSync(dir, copy, { recursive: true });
    const moved = await grade(copy, { secret: A, exercises: ['03-pooling'] });
    expect(moved.submissions[0].exercises[0].seed).toBe(ex.seed);
    expect(moved.submissions[0].exercises[0].tests.map((t) => t.feedback)).toEqual(ex.tests.map((t) => t.feedback));
  });

  it('another secret, or a memoising edit of the files, gives other cases', async () => {
    const dir = makeSubmission('secret-memo', [bug], ['03-pooling']);
    const other = await grade(dir, { secret: B, exercises: ['03-pooling'] });
    const seedA = first.submissions[0].exercises[0].seed;
    expect(other.submissions[0].exercises[0].seed).not.toBe(seedA);
    writeFileSync(path.join(dir, '03-pooling', 'memo.ts'), 'export const seen = [];\n');
    const memo = await grade(dir, { secret: A, exercises: ['03-pooling'] });
    expect(memo.submissions[0].exercises[0].seed).not.toBe(seedA);
  });

  it('what students read holds no seed; an explicit --seed report still shows its seed', async () => {
    const seeds = first.submissions[0].exercises.flatMap((e) => [e.seed!, ...e.tests.map((t) => t.seed!)]).map(String);
    const texts = {
      gradescope: JSON.stringify(toGradescope(first)),
      feedback: submissionMarkdown(first, first.submissions[0]),
      classroom: JSON.stringify(toClassroom(first)),
      table: renderTable(first, { color: false, width: 200, command: 'pnpm grade x' }),
      junit: toJunit(first),
    };
    for (const [name, text] of Object.entries(texts)) {
      for (const s of seeds) expect(text, `${name} shows seed ${s}`).not.toMatch(new RegExp(`\\b${s}\\b`));
      expect(text, name).not.toMatch(/--seed|Test seed/);
    }
    expect(texts.gradescope).toContain('Counterexample');
    expect(texts.table).toContain(`grader secret ${A.id}`);
    const fixed = await grade(makeSubmission('fixed-seed', [bug], ['03-pooling']), { seed: 99, exercises: ['03-pooling'] });
    expect(fixed.seed).toBe(99);
    expect(JSON.stringify(toGradescope(fixed))).toContain('--seed 99');
  });

  it('the command line replays one failing test with the same secret, no --seed needed; a secret inside the submission is refused', async () => {
    const dir = makeSubmission('secret-cli', [bug], ['03-pooling']);
    const json = path.join(work, 'cli', 'r.json');
    const out: string[] = [];
    const err: string[] = [];
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
    const secretFile = path.join(work, 'cli-secret');
    writeFileSync(secretFile, 'the instructor secret of the cli test\n');
    try {
      expect(await main([dir, '--exercises', '03', '--secret-file', secretFile, '--json', json, '--no-color'])).toBe(0);
      const report = JSON.parse(readFileSync(json, 'utf8')) as GradeReport;
      const forward = report.submissions[0].exercises[0].tests.find((t) => t.id === 'forward')!;
      expect(await main([dir, '--secret-file', secretFile, '--replay', '03-pooling/forward', '--path', forward.counterexample!.path!, '--json', json, '--no-color'])).toBe(0);
      const replayed = (JSON.parse(readFileSync(json, 'utf8')) as GradeReport).submissions[0].exercises[0].tests;
      expect(replayed.map((t) => [t.id, t.seed, t.feedback, t.counterexample?.description])).toEqual([['forward', forward.seed, forward.feedback, forward.counterexample!.description]]);
      expect(out.join('')).toContain(`replayed 03-pooling/forward with seeds from the grader secret ${loadSecret({ file: secretFile }).id}`);

      const inside = path.join(dir, 'grader-secret');
      writeFileSync(inside, 'a secret the student could have planted\n');
      expect(await main([dir, '--secret-file', inside])).toBe(2);
      expect(err.join('')).toContain('lies inside the submission');
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  });
});

describe('the class run and the solutions keep working in secret mode', () => {
  it('a class run records the secret id in its manifest and refuses to resume with another secret', async () => {
    const { gradeClass } = await import('../src/index.js');
    const classDir = path.join(work, 'class');
    cpSync(path.join(REPO, 'solutions', '03-pooling'), path.join(classDir, 'ann', '03-pooling'), { recursive: true, filter: (f) => !f.endsWith('.test.ts') });
    const out = path.join(work, 'class-out');
    const A = secretOf('class secret A, long enough');
    const r = await gradeClass(classDir, { out, secret: A, exercises: ['03-pooling'] });
    expect(r.manifest).toMatchObject({ seed: null, secretId: A.id });
    expect(r.report.submissions[0]).toMatchObject({ score: 7, maxScore: 7 });
    const feedback = readFileSync(path.join(out, 'feedback', 'ann.md'), 'utf8');
    expect(feedback).toContain('drawn afresh for each submission');
    await expect(gradeClass(classDir, { out, secret: secretOf('class secret B, long enough'), exercises: ['03-pooling'] })).rejects.toThrow(`secretId ${A.id} -> `);
    const resumed = await gradeClass(classDir, { out, secret: A, exercises: ['03-pooling'] });
    expect(resumed.resumed).toEqual(['ann']);
  });
});
