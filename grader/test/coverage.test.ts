/**
 * Every graded function is graded: each function a stub leaves for the student to write (its
 * body throws NotImplementedError) must be called, directly, by at least one test of its
 * exercise's suite, and every function a suite calls must exist in the stub. The mechanism,
 * not a list: the functions are read from the stubs in exercises/, the calls are recorded while
 * the reference solutions are graded through a context that logs every call. A function added
 * to a stub without a test, or a test calling a function the stub does not export, fails here.
 *
 * The same file checks the shape of the mutant catalogue: every exercise with a suite has
 * mutants, at least three of them interaction mutants (a bug that shows only when two settings
 * are non-default together) and at least one a constant answer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grade, loadMutants, SUITES, type Mutant, type Suite, type TestContext } from '../src/index.js';
import { cleanFixtures, makeSubmission, REPO, SEED } from './fixtures.js';

afterAll(cleanFixtures);

/** The exported functions of a stub file, and which of them are left to the student (their body throws NotImplementedError). */
export function stubFunctions(text: string): { name: string; todo: boolean }[] {
  const decls = [...text.matchAll(/^export (?:async )?function (\w+)/gm)];
  return decls.map((m, i) => {
    const end = i + 1 < decls.length ? decls[i + 1].index! : text.length;
    // the body runs to the next top-level declaration or docstring
    const rest = text.slice(m.index! + m[0].length, end);
    const stop = rest.search(/^(?:\/\*\*|export |function |const |let |class |interface |type )/m);
    const body = stop < 0 ? rest : rest.slice(0, stop);
    return { name: m[1], todo: /\bNotImplementedError\b/.test(body) };
  });
}

const exercisesDir = path.join(REPO, 'exercises');
const exerciseIds = readdirSync(exercisesDir).filter((d) => /^\d\d-/.test(d) && SUITES.some((s) => s.id === d)).sort();

function todoFunctions(id: string): Map<string, string> {
  const out = new Map<string, string>(); // function -> file
  for (const f of readdirSync(path.join(exercisesDir, id)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))) {
    for (const fn of stubFunctions(readFileSync(path.join(exercisesDir, id, f), 'utf8'))) if (fn.todo) out.set(fn.name, f);
  }
  return out;
}

function exportedFunctions(id: string): Set<string> {
  const out = new Set<string>();
  for (const f of readdirSync(path.join(exercisesDir, id)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    for (const fn of stubFunctions(readFileSync(path.join(exercisesDir, id, f), 'utf8'))) out.add(fn.name);
  }
  return out;
}

/** Calls made by each test, `exercise -> test -> functions`. */
const calls = new Map<string, Map<string, Set<string>>>();

function recording(suite: Suite): Suite {
  return {
    ...suite,
    tests: suite.tests.map((t) => ({
      ...t,
      run: (ctx: TestContext) => {
        const log = calls.get(suite.id) ?? new Map<string, Set<string>>();
        calls.set(suite.id, log);
        const mine = log.get(t.id) ?? new Set<string>();
        log.set(t.id, mine);
        const spy = Object.assign(Object.create(ctx) as TestContext, {
          call: (fn: string, args: readonly unknown[], keep?: readonly string[]) => {
            mine.add(fn);
            return ctx.call(fn, args, keep);
          },
        });
        return t.run(spy);
      },
    })),
  };
}

beforeAll(async () => {
  const sub = makeSubmission('coverage-reference', [], exerciseIds);
  const report = await grade(sub, { seed: SEED, suites: SUITES.filter((s) => exerciseIds.includes(s.id)).map(recording), numRuns: 2 });
  // the recorded calls are those of a passing run: the reference must have full marks
  expect(report.submissions[0].score).toBe(report.submissions[0].maxScore);
}, 600_000);

describe('every function a stub leaves to the student is graded', () => {
  it('finds the TODO functions of every exercise with a suite (the parser sees real stubs)', () => {
    expect(exerciseIds.length).toBeGreaterThanOrEqual(11);
    for (const id of exerciseIds) expect(todoFunctions(id).size, id).toBeGreaterThan(0);
    // the parser itself: a given helper is not a TODO, a stubbed one is
    const parsed = stubFunctions('export function a(): number {\n  return 1;\n}\n\n/** doc */\nexport function b(): number {\n  throw new NotImplementedError("b");\n}\n');
    expect(parsed).toEqual([{ name: 'a', todo: false }, { name: 'b', todo: true }]);
  });

  it.each(exerciseIds)('%s: each TODO function is called by some test of its suite', (id) => {
    const called = new Set([...(calls.get(id)?.values() ?? [])].flatMap((s) => [...s]));
    const missing = [...todoFunctions(id).keys()].filter((fn) => !called.has(fn));
    expect(missing, `${id}: functions the student writes that no test calls`).toEqual([]);
  });

  it.each(exerciseIds)('%s: every function the suite calls is exported by the stub', (id) => {
    const exported = exportedFunctions(id);
    const called = [...new Set([...(calls.get(id)?.values() ?? [])].flatMap((s) => [...s]))];
    expect(called.filter((fn) => !exported.has(fn)), id).toEqual([]);
  });

  it.each(exerciseIds)('%s: every test calls the submission (no test can pass without it)', (id) => {
    const log = calls.get(id)!;
    const suite = SUITES.find((s) => s.id === id)!;
    for (const t of suite.tests) expect(log.get(t.id)?.size ?? 0, `${id}/${t.id}`).toBeGreaterThan(0);
  });
});

describe('the mutant catalogue covers every exercise', () => {
  let all: Mutant[];
  beforeAll(async () => {
    all = await loadMutants();
  });

  it.each(exerciseIds)('%s: mutants, at least 3 interaction mutants and a constant answer', (id) => {
    const mine = all.filter((m) => m.exercise === id);
    expect(mine.length, id).toBeGreaterThanOrEqual(5);
    expect(mine.filter((m) => m.kind === 'interaction').length, `${id}: interaction mutants`).toBeGreaterThanOrEqual(3);
    expect(mine.filter((m) => m.kind === 'constant').length, `${id}: constant mutants`).toBeGreaterThanOrEqual(1);
  });

  it('has forward-only mutants (a forward bug with a backward right for it) for the exercises with backward passes', () => {
    for (const id of ['02-convolution', '05-residual', '09-rnn', '11-lstm']) {
      expect(all.some((m) => m.exercise === id && m.kind === 'forward-only'), id).toBe(true);
    }
  });
});
