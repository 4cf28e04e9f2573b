/**
 * Hostile submissions that try to exhaust time, memory, the stack or the output pipes, or to
 * keep the process alive.
 */
import { AT, before, type HostileFixture } from './fixture.js';

const G = AT.gradientCheck;
const P = AT.pooling;

export const resourceFixtures: readonly HostileFixture[] = [
  {
    name: 'infinite-loop',
    attack: 'numericalGradient never returns (for (;;) {})',
    exercise: '01-gradient-check',
    plants: [before(G.file, G.numgradStart, 'for (;;) {}')],
    expect: { lose: ['numgrad-elementwise', 'numgrad-general'], status: ['timeout'], feedback: [/^timed out after \d+ ms in numericalGradient$/] },
  },
  {
    name: 'infinite-loop-at-import',
    attack: 'the module loops forever while it is imported',
    exercise: '03-pooling',
    plants: [before(P.file, P.top, 'while (Date.now() > 0) {}')],
    expect: { lose: 'all', status: ['timeout'], feedback: ["importing the exercise's modules timed out"] },
  },
  {
    name: 'heap-bomb',
    attack: 'relativeError fills the heap with arrays until V8 runs out of memory',
    exercise: '01-gradient-check',
    plants: [before(G.file, G.relerrStart, 'const hoard: number[][] = []; for (;;) hoard.push(new Array(1e6).fill(1.5));')],
    expect: { lose: ['relerr-random', 'relerr-zeros'], status: ['error', 'timeout'], feedback: [/ran out of memory|timed out/] },
  },
  {
    name: 'typed-array-bomb',
    attack: 'numericalGradient allocates a 2.4 GB Float64Array (outside the V8 heap)',
    exercise: '01-gradient-check',
    plants: [before(G.file, G.numgradStart, 'const huge = new Float64Array(3e8); huge.fill(1); if (huge[7] === 1) throw new Error(`allocated ${huge.length}`);')],
    expect: { lose: ['numgrad-elementwise', 'numgrad-general'], status: ['error'], feedback: [/RangeError|out of memory|allocated/] },
  },
  {
    name: 'unbounded-recursion',
    attack: 'relativeError recurses until the stack overflows',
    exercise: '01-gradient-check',
    plants: [before(G.file, G.relerrStart, 'const deeper = (n: number): number => deeper(n + 1) + 1; deeper(0);')],
    expect: { lose: ['relerr-random', 'relerr-zeros'], status: ['error'], feedback: ['Maximum call stack size exceeded'] },
  },
  {
    name: 'keep-alive-timers',
    attack: 'timers and a SIGTERM handler that would keep the process alive forever (the answers are right)',
    exercise: '03-pooling',
    plants: [before(P.file, P.top, "setInterval(() => {}, 5); setTimeout(() => {}, 1e9); process.on('SIGTERM', () => {}); process.on('exit', () => { for (;;) {} });")],
    expect: { lose: [] },
  },
  {
    name: 'megabytes-of-output',
    attack: 'megabytes on stdout and stderr at import and in every forward call (the answers are right)',
    exercise: '03-pooling',
    plants: [
      before(P.file, P.top, "process.stdout.write('x'.repeat(4 * 2 ** 20)); process.stderr.write('y'.repeat(4 * 2 ** 20));"),
      before(P.file, P.forwardReturn, "process.stdout.write('z'.repeat(2 ** 20)); console.error('e'.repeat(2 ** 20));"),
    ],
    expect: { lose: [] },
  },
];
