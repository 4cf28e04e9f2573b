/**
 * Hostile submissions that reach for files (the solutions, the grader, the system) or the
 * network.
 */
import { AT, before, type HostileFixture } from './fixture.js';

const G = AT.gradientCheck;
const P = AT.pooling;

const readAll = [
  "const code = (e: unknown): string => String((e as { code?: string }).code ?? (e as Error).message);",
  'const found: string[] = [];',
  "for (const f of ['__REPO__/solutions/01-gradient-check/gradient-check.ts', '__REPO__/grader/src/grade.ts', '__REPO__/packages/layers/src/index.ts', '__REPO__/packages/tensor/src/gradcheck.ts', '/etc/passwd', '/proc/self/environ']) {",
  "  try { found.push(readFileSync(f, 'utf8').slice(0, 80)); } catch (e) { found.push(code(e)); }",
  '}',
  "try { found.push(readdirSync('__REPO__').join(',')); } catch (e) { found.push(code(e)); }",
  "throw new Error(`read attempts: ${found.join(' | ')}`);",
].join('\n');

const writeAll = [
  "const code = (e: unknown): string => String((e as { code?: string }).code ?? (e as Error).message);",
  'const results: string[] = [];',
  "for (const f of ['__CANARY__/written', '__CANARY__/existing.txt', '__REPO__/grader/.hostile-canary', '/tmp/.dlkata-hostile-canary', __filename]) {",
  "  try { writeFileSync(f, 'pwned'); results.push('written'); } catch (e) { results.push(code(e)); }",
  '}',
  "try { mkdirSync('__CANARY__/dir'); results.push('made a folder'); } catch (e) { results.push(code(e)); }",
  "try { rmSync('__CANARY__/existing.txt'); results.push('removed'); } catch (e) { results.push(code(e)); }",
  "throw new Error(`write attempts: ${results.join(', ')}`);",
].join('\n');

export const fileNetworkFixtures: readonly HostileFixture[] = [
  {
    name: 'read-files',
    attack: "relativeError reads the solution, the grader's and the library's sources, /etc/passwd and the environment, and throws them back as its message",
    exercise: '01-gradient-check',
    plants: [
      { file: G.file, find: G.imports, replace: `${G.imports}\nimport { readdirSync, readFileSync } from 'node:fs';` },
      before(G.file, G.relerrStart, readAll),
    ],
    expect: {
      lose: ['relerr-random', 'relerr-zeros'],
      status: ['error'],
      feedback: [/^relativeError threw Error: read attempts: ERR_ACCESS_DENIED \| ERR_ACCESS_DENIED \| ERR_ACCESS_DENIED \| ERR_ACCESS_DENIED \| ERR_ACCESS_DENIED \| ERR_ACCESS_DENIED \| ERR_ACCESS_DENIED/],
      notInFeedback: ['export function', 'root:', 'import {'],
    },
  },
  {
    name: 'write-files',
    attack: 'numericalGradient writes, overwrites and deletes files outside the sandbox (and its own bundle)',
    exercise: '01-gradient-check',
    plants: [
      { file: G.file, find: G.imports, replace: `${G.imports}\nimport { mkdirSync, rmSync, writeFileSync } from 'node:fs';` },
      before(G.file, G.numgradStart, writeAll),
    ],
    expect: {
      lose: ['numgrad-elementwise', 'numgrad-general'],
      status: ['error'],
      feedback: ['write attempts: ERR_ACCESS_DENIED, ERR_ACCESS_DENIED, ERR_ACCESS_DENIED, ERR_ACCESS_DENIED, ERR_ACCESS_DENIED, ERR_ACCESS_DENIED, ERR_ACCESS_DENIED'],
    },
  },
  {
    name: 'network',
    attack: 'connects to a server on 127.0.0.1 at import and in every backward call, and answers 0',
    exercise: '03-pooling',
    plants: [
      { file: P.file, find: P.imports, replace: `${P.imports}\nimport { connect } from 'node:net';` },
      before(P.file, P.top, "const phone = (): void => { const s = connect(__PORT__, '127.0.0.1'); s.on('error', () => {}); s.on('connect', () => s.write('stolen')); };\nphone();"),
      before(P.file, P.backwardReturn, 'phone();\n  return { dx: Tensor.zeros(x.shape) };'),
    ],
    expect: { lose: ['backward-basic', 'backward-overlap', 'backward-ties'] },
  },
  {
    name: 'import-solution-via-symlink',
    attack: "a symbolic link in the exercise folder points at the reference solution, and the module imports it",
    exercise: '01-gradient-check',
    files: { 'answer.ts': 'symlink:__REPO__/solutions/01-gradient-check/gradient-check.ts' },
    plants: [{ file: G.file, find: G.imports, replace: `${G.imports}\nexport { relativeError as borrowed } from './answer';` }],
    expect: { lose: 'all', status: ['error'], feedback: ['01-gradient-check/answer.ts is a symbolic link'] },
  },
];
