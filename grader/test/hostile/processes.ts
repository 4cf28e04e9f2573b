/**
 * Hostile submissions that go after processes: exit in the middle of a test, signal the
 * grader, start other programs, leave promises and exceptions behind.
 */
import { AT, before, type HostileFixture } from './fixture.js';

const G = AT.gradientCheck;
const P = AT.pooling;

export const processFixtures: readonly HostileFixture[] = [
  {
    name: 'exit-mid-test',
    attack: 'maxPool2dBackward calls process.exit(0), as if the tests had passed',
    exercise: '03-pooling',
    plants: [before(P.file, P.backwardStart, 'process.exit(0);')],
    expect: { lose: ['backward-basic', 'backward-overlap', 'backward-ties'], status: ['error'], feedback: ['exited (code 0) during maxPool2dBackward'] },
  },
  {
    name: 'kill-parent',
    attack: 'maxPool2dBackward sends SIGKILL to its parent, its process group and every process it can see, then answers 0',
    exercise: '03-pooling',
    requires: 'signals',
    plants: [
      before(
        P.file,
        P.backwardReturn,
        "for (const pid of [process.ppid, 0, -1, -process.pid]) { try { process.kill(pid, 'SIGKILL'); } catch {} }\n  return { dx: Tensor.zeros(x.shape) };",
      ),
    ],
    expect: { lose: ['backward-basic', 'backward-overlap', 'backward-ties'] },
  },
  {
    name: 'spawn-process',
    attack: 'relativeError tries execSync, spawnSync and a worker thread to write a file outside the sandbox',
    exercise: '01-gradient-check',
    plants: [
      { file: G.file, find: G.imports, replace: `${G.imports}\nimport { execSync, spawnSync } from 'node:child_process';\nimport { Worker } from 'node:worker_threads';` },
      before(
        G.file,
        G.relerrStart,
        [
          'const codes: string[] = [];',
          "const code = (e: unknown): string => String((e as { code?: string }).code ?? (e as Error).message);",
          "try { execSync('touch __CANARY__/spawned'); codes.push('exec ran'); } catch (e) { codes.push(code(e)); }",
          "try { const r = spawnSync('touch', ['__CANARY__/spawned2']); codes.push(r.error ? code(r.error) : 'spawn ran'); } catch (e) { codes.push(code(e)); }",
          "try { new Worker('require(\"fs\").writeFileSync(\"__CANARY__/worker\", \"x\")', { eval: true }); codes.push('worker started'); } catch (e) { codes.push(code(e)); }",
          "throw new Error(`spawn attempts: ${codes.join(', ')}`);",
        ].join('\n'),
      ),
    ],
    expect: { lose: ['relerr-random', 'relerr-zeros'], status: ['error'], feedback: ['spawn attempts: ERR_ACCESS_DENIED, ERR_ACCESS_DENIED, ERR_ACCESS_DENIED'] },
  },
  {
    name: 'unhandled-rejection',
    attack: 'every forward call leaves a rejected promise and a timer that throws (the answers are right)',
    exercise: '03-pooling',
    plants: [before(P.file, P.forwardReturn, "Promise.reject(new Error('nobody catches me')); setTimeout(() => { throw new Error('thrown later'); }, 0);")],
    expect: { lose: [] },
  },
  {
    name: 'eval-code',
    attack: 'numericalGradient builds code from a string (eval, new Function)',
    exercise: '01-gradient-check',
    plants: [before(G.file, G.numgradStart, "const run = new Function('return 42'); if (run() === 42) return Tensor.zeros(x.shape);")],
    expect: { lose: ['numgrad-elementwise', 'numgrad-general'], status: ['error'], feedback: ['EvalError'] },
  },
];
