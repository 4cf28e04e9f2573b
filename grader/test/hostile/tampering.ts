/**
 * Hostile submissions that try to fake a result instead of computing it: patched globals,
 * a polluted Object.prototype, fake score lines and JSON on stdout, forged IPC replies, and the
 * library's own implementation of the function the exercise asks for.
 */
import { AT, before, instead, type HostileFixture } from './fixture.js';

const G = AT.gradientCheck;
const P = AT.pooling;

const zeroGradient = 'return { dx: Tensor.zeros(x.shape) };';

export const tamperingFixtures: readonly HostileFixture[] = [
  {
    name: 'monkeypatch-globals',
    attack: 'patches Math.abs, Number.isFinite, JSON, Array.prototype and Float64Array.prototype so an in-process checker would see equal answers; the backward pass answers 0',
    exercise: '03-pooling',
    plants: [
      before(
        P.file,
        P.top,
        [
          'Math.abs = () => 0;',
          'Number.isFinite = () => true;',
          "JSON.stringify = () => '{\"score\":7,\"max_score\":7}';",
          'JSON.parse = () => ({ score: 7, max_score: 7 });',
          'Array.prototype.every = function () { return true; };',
          'Array.prototype.some = function () { return false; };',
          'Array.isArray = () => true;',
          'Object.keys = () => [];',
          'Float64Array.prototype.slice = function () { return new Float64Array(this.length); };',
        ].join('\n'),
      ),
      instead(P.file, P.backwardReturn, zeroGradient),
    ],
    expect: { lose: ['backward-basic', 'backward-overlap', 'backward-ties'], status: ['failed'] },
  },
  {
    name: 'prototype-pollution',
    attack: "pollutes Object.prototype (keep, $handle, status, points, score) and returns an own __proto__ key; the backward pass answers 0",
    exercise: '03-pooling',
    plants: [
      before(
        P.file,
        P.top,
        [
          "Object.defineProperty(Object.prototype, 'keep', { value: ['out'], writable: true, configurable: true });",
          "Object.defineProperty(Object.prototype, '$handle', { value: 1, writable: true, configurable: true });",
          "Object.assign(Object.prototype, { status: 'passed', points: 100, score: 100 });",
        ].join('\n'),
      ),
      instead(P.file, P.backwardReturn, "return Object.assign(JSON.parse('{\"__proto__\": {\"status\": \"passed\", \"points\": 100}}'), { dx: Tensor.zeros(x.shape) });"),
    ],
    expect: { lose: ['backward-basic', 'backward-overlap', 'backward-ties'], status: ['failed'] },
  },
  {
    name: 'fake-score-output',
    attack: 'prints fake score lines, a fake report and a fake Gradescope results.json, then answers 0',
    exercise: '01-gradient-check',
    plants: [
      before(
        G.file,
        G.top,
        [
          "const fake = ['Total alice: 6/6 points (100%)', JSON.stringify({ score: 6, max_score: 6, tests: [] }), '{\"type\":\"result\",\"id\":1,\"value\":0}', '\\u001b[2J\\u001b[32mALL TESTS PASSED\\u001b[0m'];",
          "for (const line of fake) { console.log(line); console.error(line); }",
        ].join('\n'),
      ),
      before(G.file, G.numgradStart, "console.log('numgrad-elementwise: passed 2/2'); return Tensor.zeros(x.shape);"),
    ],
    expect: { lose: ['numgrad-elementwise', 'numgrad-general'], status: ['failed'], notInFeedback: ['ALL TESTS PASSED', '6/6 points'] },
  },
  {
    name: 'forged-ipc-replies',
    attack: 'sends forged result messages for the next request ids and replaces process.send, then answers 0',
    exercise: '01-gradient-check',
    plants: [
      before(
        G.file,
        G.numgradStart,
        [
          'for (let id = 0; id < 2000; id++) process.send?.({ type: \'result\', id, value: { $tensor: 1, shape: x.shape, data: new Float64Array(x.size) } });',
          'process.send = (() => true) as typeof process.send;',
          'return Tensor.zeros(x.shape);',
        ].join('\n'),
      ),
    ],
    expect: { lose: ['numgrad-elementwise', 'numgrad-general'], status: ['failed'] },
  },
  {
    name: 'import-library-function',
    attack: "relativeError calls @dlkata/tensor's own relativeError, the very function the exercise asks for",
    exercise: '01-gradient-check',
    plants: [
      { file: G.file, find: G.imports, replace: `${G.imports}\nimport { relativeError as libraryRelativeError } from '@dlkata/tensor';` },
      before(G.file, G.relerrStart, 'return libraryRelativeError(a, b);'),
    ],
    expect: { lose: ['relerr-random', 'relerr-zeros'], status: ['failed'], feedback: ["relativeError is @dlkata/tensor's own relativeError; exercise 01-gradient-check asks you to write relativeError yourself"] },
  },
  {
    name: 'import-reference-layers',
    attack: "maxPool2dForward calls the grader's reference implementation from @dlkata/layers",
    exercise: '03-pooling',
    plants: [
      { file: P.file, find: P.imports, replace: `${P.imports}\nimport { maxPool2dForward as referenceForward } from '@dlkata/layers';` },
      before(P.file, P.forwardReturn, 'return referenceForward(x, params) as never;'),
    ],
    expect: { lose: 'all', status: ['failed'], feedback: ['maxPool2dForward comes from @dlkata/layers, the reference implementation the grader checks against'] },
  },
];
