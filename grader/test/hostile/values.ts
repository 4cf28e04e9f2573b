/**
 * Hostile submissions that return or throw what a careless grader would choke on: non-Error
 * throws, wrong shapes, NaN, Infinity, plain arrays, getters that throw.
 */
import { AT, before, instead, type HostileFixture } from './fixture.js';

const G = AT.gradientCheck;
const P = AT.pooling;

export const valueFixtures: readonly HostileFixture[] = [
  {
    name: 'throws-non-errors',
    attack: 'numericalGradient throws a string, relativeError a Proxy whose every trap throws',
    exercise: '01-gradient-check',
    plants: [
      before(G.file, G.numgradStart, "throw 'a string, not an Error';"),
      before(G.file, G.relerrStart, "throw new Proxy({}, { get() { throw new Error('trap'); }, getPrototypeOf() { throw new Error('trap'); }, has() { throw new Error('trap'); }, ownKeys() { throw new Error('trap'); } });"),
    ],
    expect: { lose: 'all', status: ['error'], feedback: ['threw thrown value'] },
  },
  {
    name: 'throws-null',
    attack: 'maxPool2dBackward throws null',
    exercise: '03-pooling',
    plants: [before(P.file, P.backwardStart, 'throw null;')],
    expect: { lose: ['backward-basic', 'backward-overlap', 'backward-ties'], status: ['error'], feedback: ['threw thrown value: object null'] },
  },
  {
    name: 'wrong-shape',
    attack: 'maxPool2dForward returns out with the input shape',
    exercise: '03-pooling',
    plants: [instead(P.file, P.forwardReturn, 'return { out: x.map((v) => v), cache: { x, params: { kernel, stride } } };')],
    expect: { lose: ['forward'], status: ['failed'], feedback: [/maxPool2dForward: out has shape \[[\d,]+\], expected \[[\d,]+\]/] },
  },
  {
    name: 'returns-nan',
    attack: 'relativeError returns NaN',
    exercise: '01-gradient-check',
    plants: [instead(G.file, G.relerrReturn, 'return NaN;')],
    expect: { lose: ['relerr-random', 'relerr-zeros'], status: ['failed'], feedback: ['must be a finite number, got the number NaN'] },
  },
  {
    name: 'returns-infinity',
    attack: 'numericalGradient returns a tensor of Infinity',
    exercise: '01-gradient-check',
    plants: [instead(G.file, G.numgradReturn, 'return dx.map(() => Infinity);')],
    expect: { lose: ['numgrad-elementwise', 'numgrad-general'], status: ['failed'], feedback: ['contains Infinity at'] },
  },
  {
    name: 'returns-plain-array',
    attack: 'maxPool2dBackward returns dx as a plain array of numbers',
    exercise: '03-pooling',
    plants: [instead(P.file, P.backwardReturn, 'return { dx: Array.from(dx.data) as unknown as Tensor };')],
    expect: { lose: ['backward-basic', 'backward-overlap', 'backward-ties'], status: ['failed'], feedback: ['must be a Tensor', 'got a plain array'] },
  },
  {
    name: 'throwing-getters',
    attack: 'maxPool2dForward returns an object whose getters throw',
    exercise: '03-pooling',
    plants: [instead(P.file, P.forwardReturn, "return { get out(): Tensor { throw new Error('gotcha'); }, get cache(): PoolCache { throw new Error('gotcha'); } };")],
    expect: { lose: 'all', status: ['failed'], feedback: ['could not read what maxPool2dForward returned'] },
  },
  {
    name: 'returns-promise-and-function',
    attack: 'relativeError returns a Promise, numericalGradient a function',
    exercise: '01-gradient-check',
    plants: [
      instead(G.file, G.relerrReturn, 'return Promise.resolve(worst) as unknown as number;'),
      instead(G.file, G.numgradReturn, 'return (() => dx) as unknown as Tensor;'),
    ],
    expect: { lose: 'all', status: ['failed'] },
  },
];
