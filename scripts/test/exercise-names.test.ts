import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { caseInsensitivePattern, closestExercises, exerciseContaining, exerciseIds, resolveExercise } from '../exercise-names.mjs';

// A made-up exercises/ folder: the names are discovered on disk, so a new exercise (here 12)
// is found without any list to update.
let root: string;
let ex: string;
const IDS = ['01-alpha-check', '05-residual', '07-fcn', '11-lstm', '12-attention'];

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'dlkata-names-'));
  ex = path.join(root, 'exercises');
  for (const id of IDS) {
    mkdirSync(path.join(ex, id), { recursive: true });
    writeFileSync(path.join(ex, id, `${id.slice(3)}.ts`), '// stub\n');
  }
  writeFileSync(path.join(ex, '05-residual', 'residual.test.ts'), '');
  mkdirSync(path.join(ex, 'not-an-exercise'));
  mkdirSync(path.join(root, 'solutions', '05-residual'), { recursive: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const resolve = (arg: string, cwd = root) => resolveExercise(arg, { exercisesDir: ex, cwd });

describe('resolveExercise: one name for an exercise', () => {
  test('exercise folders are discovered (NN-topic only), including a new one', () => {
    expect(exerciseIds(ex)).toEqual(IDS);
  });

  test.each([
    ['05'],
    ['5'],
    ['05-residual'],
    ['residual'],
    ['RESIDUAL'],
    ['exercises/05-residual'],
    ['exercises/05-residual/'],
    ['exercises/05-residual/residual.ts'],
    ['residual.ts'],
    ['resid'],
  ])('%s -> 05-residual', (arg) => {
    const r = resolve(arg);
    expect(r).toMatchObject({ id: '05-residual', dir: path.join(ex, '05-residual') });
  });

  test('a file of the exercise is reported as the file', () => {
    expect(resolve('exercises/05-residual/residual.test.ts')).toMatchObject({ id: '05-residual', file: path.join(ex, '05-residual', 'residual.test.ts') });
  });

  test('paths are relative to where the command was typed', () => {
    const inside = path.join(ex, '05-residual');
    expect(resolve('.', inside)).toMatchObject({ id: '05-residual' });
    expect(resolve('../11-lstm', inside)).toMatchObject({ id: '11-lstm' });
    expect(resolve('12', inside)).toMatchObject({ id: '12-attention' });
  });

  test('the folder an absolute path lies in', () => {
    expect(exerciseContaining(path.join(ex, '07-fcn', 'deep', 'file.ts'), ex)).toBe('07-fcn');
    expect(exerciseContaining(ex, ex)).toBeUndefined();
    expect(exerciseContaining(path.join(root, 'solutions', '05-residual'), ex)).toBeUndefined();
  });

  test.each([
    ['resdiual', '05-residual'],
    ['lstn', '11-lstm'],
    ['atention', '12-attention'],
    ['alpha-chek', '01-alpha-check'],
  ])('unknown %s: the error names the closest exercise %s and lists them all', (arg, near) => {
    const r = resolve(arg);
    expect(r).toHaveProperty('error');
    const msg = (r as { error: string }).error;
    expect(msg).toContain(`No exercise "${arg}"`);
    expect(msg).toContain(`Did you mean ${near}`);
    for (const id of IDS) expect(msg).toContain(id);
  });

  test('nothing close: no suggestion, still the list', () => {
    const msg = (resolve('zzzzzzzz') as { error: string }).error;
    expect(msg).not.toContain('Did you mean');
    expect(msg).toContain('05-residual');
  });

  test('closestExercises ranks by edit distance', () => {
    expect(closestExercises('residul', IDS)[0]).toBe('05-residual');
    expect(closestExercises('fnc', IDS)[0]).toBe('07-fcn');
  });
});

describe('caseInsensitivePattern (-t)', () => {
  test('matches a test name whatever the case of either side', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zA-Z0-9 =,\-]{1,30}$/), fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }), (name, flips) => {
        const escaped = name.replace(/[-]/g, '\\-');
        const re = new RegExp(caseInsensitivePattern(escaped));
        const other = [...name].map((c, i) => (flips[i] ? c.toUpperCase() : c.toLowerCase())).join('');
        expect(re.test(other)).toBe(true);
      }),
      { seed: 11, numRuns: 200 },
    );
  });

  test('escapes and character classes keep their meaning', () => {
    const re = new RegExp(`^${caseInsensitivePattern('dx\\d [a-c]+')}$`);
    expect(re.test('DX3 abc')).toBe(true);
    expect(re.test('dX3 ABC')).toBe(false); // [a-c] stays as written
    expect(re.test('dxd abc')).toBe(false); // \d stays a digit
  });
});
