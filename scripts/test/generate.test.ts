import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { EditedFilesError, generateAll, lintExercises, lintHints, lintTodo, MANIFEST, planWrite, readManifest, sha256, writeExercises } from '../lib-exercises.js';

// A made-up solutions/ with two exercises; exercises/ is generated into a temporary folder.
let tmp: string;
let sol: string;
let ex: string;

const SOLUTION = `import { Tensor } from '@dlkata/tensor';

export function double(x: Tensor): Tensor {
  // BEGIN SOLUTION: double: compute 2x, same shape as x
  return x.map((v) => 2 * v);
  // END SOLUTION
}
`;

function exercise(id: string, file: string): void {
  mkdirSync(path.join(sol, id), { recursive: true });
  writeFileSync(path.join(sol, id, file), SOLUTION);
  writeFileSync(path.join(sol, id, 'README.md'), `# Exercise\n\n## Task 1: double\n`);
  writeFileSync(path.join(sol, id, 'HINTS.md'), `# Hints\n\n## Task 1: double\n\n1. nudge\n`);
  writeFileSync(path.join(sol, id, `${file.replace('.ts', '')}.test.ts`), `import { double } from './${file.replace('.ts', '.js')}';\n`);
}

beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'dlkata-gen-'));
  sol = path.join(tmp, 'solutions');
  ex = path.join(tmp, 'exercises');
  mkdirSync(ex);
  exercise('01-double', 'double.ts');
  exercise('12-new-topic', 'topic.ts');
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const read = (p: string): string => readFileSync(path.join(ex, p), 'utf8');
const edit = (p: string, text: string): void => writeFileSync(path.join(ex, p), text);

describe('exercises:generate never loses a student\'s work', () => {
  test('a first run writes every exercise (found on disk, 12 included), its package.json and the manifest', () => {
    const { written } = writeExercises(generateAll(sol), ex);
    expect(written).toContain('12-new-topic/topic.ts');
    expect(written).toContain('12-new-topic/package.json');
    expect(read('01-double/double.ts')).toContain("throw new NotImplementedError('double: compute 2x, same shape as x");
    const pkg = JSON.parse(read('01-double/package.json')) as { scripts: Record<string, string> };
    expect(Object.keys(pkg.scripts).sort()).toEqual(['grade', 'hint', 'play', 'progress', 'test', 'test:watch']);
    const manifest = readManifest(ex);
    expect(manifest['01-double/double.ts']).toBe(sha256(read('01-double/double.ts')));
  });

  test.each([
    ['an edited stub', '01-double/double.ts'],
    ['an edited README', '12-new-topic/README.md'],
    ['an edited test file', '01-double/double.test.ts'],
  ])('%s is not overwritten when the solution changes: the run refuses, lists it and writes nothing', (_what, file) => {
    writeExercises(generateAll(sol), ex);
    edit(file, 'my answer\n');
    // The maintainers change every solution file meanwhile.
    for (const id of ['01-double', '12-new-topic']) for (const f of readdirSync(path.join(sol, id))) writeFileSync(path.join(sol, id, f), `${readFileSync(path.join(sol, id, f), 'utf8')}\n// v2\n`);
    let err: unknown;
    try {
      writeExercises(generateAll(sol), ex);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EditedFilesError);
    expect((err as EditedFilesError).files).toEqual([file]);
    expect((err as Error).message).toContain(`exercises/${file}`);
    expect(read(file)).toBe('my answer\n');
    // Nothing else was written either.
    expect(read('12-new-topic/topic.ts')).not.toContain('// v2');
  });

  test('--force overwrites an edited file only after copying it to exercises/.backup/<time>/', () => {
    writeExercises(generateAll(sol), ex);
    edit('01-double/double.ts', 'my answer\n');
    writeFileSync(path.join(sol, '01-double', 'double.ts'), `${SOLUTION}// v2\n`);
    const r = writeExercises(generateAll(sol), ex, { force: true, now: new Date('2026-01-02T03:04:05Z') });
    expect(r.backedUp).toEqual(['01-double/double.ts']);
    expect(readFileSync(path.join(r.backupDir!, '01-double', 'double.ts'), 'utf8')).toBe('my answer\n');
    expect(read('01-double/double.ts')).toContain('// v2');
  });

  test('a stale but unedited stub is updated without --force', () => {
    writeExercises(generateAll(sol), ex);
    writeFileSync(path.join(sol, '01-double', 'README.md'), '# Exercise\n\n## Task 1: double\n\nMore text.\n');
    const r = writeExercises(generateAll(sol), ex);
    expect(r.written).toEqual(['01-double/README.md']);
  });

  test('files it did not generate are never removed; unedited ones no longer generated are', () => {
    writeExercises(generateAll(sol), ex);
    edit('01-double/notes.md', 'my notes\n');
    edit('01-double/.hints.json', '{}');
    rmSync(path.join(sol, '12-new-topic', 'README.md'));
    const plan = planWrite(generateAll(sol), ex);
    expect(plan.remove).toEqual(['12-new-topic/README.md']);
    expect(plan.kept).toEqual(['01-double/notes.md']);
    writeExercises(generateAll(sol), ex);
    expect(read('01-double/notes.md')).toBe('my notes\n');
    expect(existsSync(path.join(ex, '01-double', '.hints.json'))).toBe(true);
    expect(existsSync(path.join(ex, '12-new-topic', 'README.md'))).toBe(false);
  });

  test('without a manifest (an older checkout), any file that differs counts as edited', () => {
    writeExercises(generateAll(sol), ex);
    rmSync(path.join(ex, MANIFEST));
    edit('01-double/double.ts', 'old stub or answer\n');
    expect(planWrite(generateAll(sol), ex).conflicts).toEqual(['01-double/double.ts']);
  });
});

describe('TODOs and hints that make the student think', () => {
  test.each([
    ['conv2dBackward: loop over n, f, i, j and add g to db[f]', 'a loop'],
    ['rnnBackward: dWh += the step gradients', 'an accumulation'],
    ['block: conv1 -> ReLU -> conv2', 'an arrow'],
    ['pool: first find the maximum, then copy it', 'a sequence of steps'],
    ['conv: the pixel xPad[n, c, i * stride + kh, j * stride + kw]', 'index arithmetic'],
    ['relu: return x.map((v) => Math.max(0, v))', 'code'],
  ])('a recipe is refused: %s', (todo, what) => {
    const problems = lintTodo('solutions/x.ts:1', todo);
    expect(problems.join('\n')).toContain(what);
  });

  test.each([
    'conv2dForward: the convolution of x [N, C, H, W] with w [F, C, HH, WW] plus b [F]: out [N, F, H\', W\'] (H + 2 * pad in the README)',
    'maxPool2dBackward: dx [N, C, H, W] (ties: the first maximum in row-major order)',
  ])('a statement of what to compute passes: %s', (todo) => {
    expect(lintTodo('solutions/x.ts:1', todo)).toEqual([]);
  });

  test('hints: three levels at least, code only in the last', () => {
    const hints = [
      '# Hints',
      '',
      '## Task 1: a',
      '',
      '1. Nudge with math `y = W x + b`.',
      '2. Idea: `const y = matmul(W, x);`',
      '3. Key equation.',
      '',
      '## Task 2: b',
      '',
      '1. Nudge.',
      '2. Idea.',
      '',
      '## Task 3: c',
      '',
      '1. Nudge.',
      '2. Idea, with a fence:',
      '   ```ts',
      '   x.data[i] += 1',
      '   ```',
      '3. Key equation `dx = da Wx^T`.',
      '4. Code is allowed last: `dx.data[i] += g;`',
    ].join('\n');
    const problems = lintHints('HINTS.md', hints);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('Task 1, hint 2: code before the last level');
    expect(problems[1]).toContain('Task 2: 2 hint level(s)');
    expect(problems[2]).toContain('Task 3, hint 2: code before the last level');
  });

  test("the repository's own solutions pass both checks", () => {
    const problems = lintExercises(generateAll()).filter((p) => /TODO spells out|hint level|code before the last level|characters; keep it/.test(p));
    expect(problems).toEqual([]);
  });
});
