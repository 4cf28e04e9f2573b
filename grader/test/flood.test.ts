/**
 * Output floods cannot change a grade: the same submission graded with the same seed gives
 * byte-identical results whether or not it prints 100 MB, and the grader keeps only a bounded
 * part of what it prints.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grade, type GradeReport } from '../src/index.js';
import { cleanFixtures, fixtureRoot, REPO, SEED } from './fixtures.js';

const EXERCISE = '03-pooling';
const MB = 1024 * 1024;

/** Planted at the top of pool.ts: 100 MB on stdout and 8 MB on stderr while being imported, from one reused 1 MB string. */
const FLOOD_AT_IMPORT = "const megabyte = 'flood '.repeat(MB / 6).padEnd(MB, '!');\nfor (let i = 0; i < 100; i++) process.stdout.write(megabyte);\nfor (let i = 0; i < 8; i++) process.stderr.write(megabyte);\n";
/** Planted in every forward call: 64 KB on each stream. */
const FLOOD_PER_CALL = "process.stdout.write(megabyte.slice(0, 65536)); process.stderr.write(megabyte.slice(0, 65536));\n";

let quiet: GradeReport;
let loud: GradeReport;

function submission(name: string, flood: boolean): string {
  const dir = path.join(fixtureRoot(), name);
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(REPO, 'solutions', EXERCISE), path.join(dir, EXERCISE), { recursive: true, filter: (f) => !f.endsWith('.test.ts') });
  if (flood) {
    const file = path.join(dir, EXERCISE, 'pool.ts');
    const text = readFileSync(file, 'utf8');
    const top = 'export interface PoolParams {';
    const ret = 'return { out, cache: { x, params: { kernel, stride } } };';
    expect(text.split(top)).toHaveLength(2);
    expect(text.split(ret)).toHaveLength(2);
    writeFileSync(file, text.replace(top, `const MB = ${MB};\n${FLOOD_AT_IMPORT}${top}`).replace(ret, `${FLOOD_PER_CALL}${ret}`));
  }
  return dir;
}

beforeAll(async () => {
  const a = submission('quiet', false);
  const b = submission('loud', true);
  // generous limits: the flood costs time on a busy machine, and a time-out would be a different grade
  quiet = await grade(a, { seed: SEED, timeoutMs: 30_000 });
  loud = await grade(b, { seed: SEED, timeoutMs: 30_000 });
}, 300_000);

afterAll(() => cleanFixtures());

describe('an output flood', () => {
  it('gives byte-identical results to the same submission without it, at full marks', () => {
    const results = (r: GradeReport): string => JSON.stringify(r.submissions[0].exercises);
    expect(results(loud)).toBe(results(quiet));
    const pooling = loud.submissions[0].exercises.find((e) => e.id === EXERCISE)!;
    expect(pooling.maxScore).toBeGreaterThan(0);
    expect(pooling.score).toBe(pooling.maxScore);
  });
});
