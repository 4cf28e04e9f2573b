import { expectTensor, forAll, GRAD_TOL, thrownBy } from '@dlkata/exercise-support';
import { numericalGradient, Rng, Tensor, ValueError } from '@dlkata/tensor';
import {
  analyze,
  createNetwork,
  lenet5,
  networkBackward,
  networkForward,
  Sgd,
  type LayerSpec,
  type Network,
  type ParamDict as ReferenceParams,
} from '@dlkata/layers';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { countParams, freeze, mlpBackward, mlpForward, replaceHead, sgdStep, type MlpLayer, type ParamDict } from './transfer.js';

/** Seed of the property-based tests; a failure prints it with the counterexample, so it replays exactly. */
const SEED = 20_240_108;

/** Deep copies of a parameter dictionary, to check later that a function did not modify its input. */
function copy(p: ParamDict): ParamDict {
  return Object.fromEntries(Object.entries(p).map(([k, t]) => [k, t.clone()]));
}

/** LeNet-5's parameters from the library: conv1, conv2, fc1, fc2, fc3 (61,706 numbers). */
function lenetParams(seed: number): ParamDict {
  return createNetwork(lenet5(), new Rng(seed)).params;
}

/**
 * A random multi-layer perceptron: `depth` affine layers `fc1..fcL` with ReLUs between them,
 * input `[N, D]`, and which affine layers are frozen.
 */
interface MlpCase {
  N: number;
  widths: number[];
  frozenLayers: boolean[];
  seed: number;
}
const mlpCases: fc.Arbitrary<MlpCase> = fc.integer({ min: 1, max: 4 }).chain((depth) =>
  fc.record({
    N: fc.integer({ min: 1, max: 3 }),
    widths: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: depth + 1, maxLength: depth + 1 }),
    frozenLayers: fc.array(fc.boolean(), { minLength: depth, maxLength: depth }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  }),
);

function mlpName(c: MlpCase): string {
  const layers = c.frozenLayers.map((f, i) => `fc${i + 1}${f ? '*' : ''}`).join('-');
  return `widths [${c.widths.join(',')}], layers ${layers} (* frozen), N=${c.N}, seed=${c.seed}`;
}

function mlp(c: MlpCase): { layers: MlpLayer[]; params: ParamDict; x: Tensor; dout: Tensor; frozen: string[] } {
  const rng = new Rng(c.seed);
  const layers: MlpLayer[] = [];
  const params: ParamDict = {};
  const frozen: string[] = [];
  for (let i = 0; i < c.widths.length - 1; i++) {
    if (i > 0) layers.push({ type: 'relu' });
    const name = `fc${i + 1}`;
    layers.push({ type: 'affine', name });
    params[`${name}.w`] = rng.randn([c.widths[i], c.widths[i + 1]]);
    params[`${name}.b`] = rng.randn([c.widths[i + 1]]);
    if (c.frozenLayers[i]) frozen.push(`${name}.w`, `${name}.b`);
  }
  const x = rng.randn([c.N, c.widths[0]]);
  const dout = rng.randn([c.N, c.widths[c.widths.length - 1]]);
  return { layers, params, x, dout, frozen };
}

/** The library's networkBackward on the same network: the reference gradients. */
function reference(layers: MlpLayer[], params: ParamDict, x: Tensor, dout: Tensor, frozen: string[]): { grads: ReferenceParams; dx: Tensor | null } {
  const specs: LayerSpec[] = layers.map((l, i) => (l.type === 'affine' ? { type: 'affine', units: params[`${l.name}.w`].shape[1], name: l.name } : { type: 'relu', name: `relu${i}` }));
  const spec = { name: 'mlp', inputShape: [x.shape[1]], layers: specs };
  const net: Network = { spec, info: analyze(spec), params };
  const { cache } = networkForward(net, x);
  return networkBackward(net, dout, cache, new Set(frozen));
}

describe('freeze', () => {
  test("LeNet-5, layers conv1 and conv2: their weights and biases, in the parameters' order", () => {
    expect(freeze(lenetParams(0), ['conv2', 'conv1']), 'freeze').toEqual(['conv1.w', 'conv1.b', 'conv2.w', 'conv2.b']);
  });

  test('no layers: nothing frozen; an unknown layer: ValueError', () => {
    const params = lenetParams(0);
    expect(freeze(params, []), 'freeze(params, [])').toEqual([]);
    expect(thrownBy(() => freeze(params, ['conv3'])), "freeze(params, ['conv3'])").toBeInstanceOf(ValueError);
  });

  test(`random networks and layer choices: every parameter of the chosen layers (seed ${SEED})`, () => {
    forAll(mlpCases, { seed: SEED, runs: 30 }, (c) => {
      const { params } = mlp(c);
      const layers = c.frozenLayers.map((f, i) => (f ? `fc${i + 1}` : '')).filter((l) => l !== '');
      const expected = Object.keys(params).filter((k) => layers.includes(k.split('.')[0]));
      expect(freeze(params, layers), `freeze (${mlpName(c)})`).toEqual(expected);
    });
  });
});

describe('countParams', () => {
  test("LeNet-5: 61,706 parameters; frozen up to fc2, only the head's 850 are trained", () => {
    const params = lenetParams(0);
    expect(countParams(params, []), 'countParams(lenet, [])').toEqual({ total: 61706, trainable: 61706 });
    const frozen = ['conv1', 'conv2', 'fc1', 'fc2'].flatMap((l) => [`${l}.w`, `${l}.b`]);
    expect(countParams(params, frozen), 'countParams(lenet, frozen up to fc2)').toEqual({ total: 61706, trainable: 84 * 10 + 10 });
  });
});

describe('sgdStep', () => {
  test('momentum 0, nothing frozen: p - lr * g', () => {
    const { params, velocity } = sgdStep({ 'fc1.w': Tensor.from([[1, 2]]) }, { 'fc1.w': Tensor.from([[10, -10]]) }, {}, { lr: 0.1, momentum: 0 }, []);
    expectTensor('sgdStep: fc1.w', params['fc1.w'], Tensor.from([[0, 3]]));
    expectTensor('sgdStep: velocity fc1.w', velocity['fc1.w'], Tensor.from([[10, -10]]));
  });

  test('a frozen parameter keeps its value and gets no velocity, even with a gradient', () => {
    const w = Tensor.from([[1, 2]]);
    const v = Tensor.from([3]);
    const grads = { 'fc1.w': Tensor.from([[10, -10]]), 'fc2.b': Tensor.from([1]) };
    const r = sgdStep({ 'fc1.w': w, 'fc2.b': v }, grads, {}, { lr: 0.1, momentum: 0.9 }, ['fc1.w']);
    expectTensor('sgdStep: frozen fc1.w', r.params['fc1.w'], Tensor.from([[1, 2]]));
    expect(Object.keys(r.velocity), 'sgdStep: velocity keys').toEqual(['fc2.b']);
    expectTensor('sgdStep: fc2.b', r.params['fc2.b'], Tensor.from([2.9]));
  });

  test('a parameter without a gradient keeps its value (the backward pass skipped a frozen layer)', () => {
    const r = sgdStep({ 'fc1.w': Tensor.from([5]), 'fc2.w': Tensor.from([7]) }, { 'fc2.w': Tensor.from([1]) }, {}, { lr: 1, momentum: 0.5 }, ['fc1.w']);
    expectTensor('sgdStep: fc1.w', r.params['fc1.w'], Tensor.from([5]));
    expectTensor('sgdStep: fc2.w', r.params['fc2.w'], Tensor.from([6]));
  });

  test(`LeNet-5, 3 steps, conv1 and conv2 frozen: equals the library's Sgd on the trainable gradients; inputs unchanged (seed ${SEED})`, () => {
    const rng = new Rng(SEED);
    const start = lenetParams(1);
    const frozen = freeze(start, ['conv1', 'conv2']);
    const opts = { lr: 0.05, momentum: 0.9 };
    const refParams = copy(start);
    const ref = new Sgd({ lr: opts.lr, momentum: opts.momentum });
    let params = start;
    let velocity: ParamDict = {};
    for (let step = 1; step <= 3; step++) {
      const grads: ParamDict = Object.fromEntries(Object.entries(start).map(([k, t]) => [k, rng.randn(t.shape)]));
      const before = copy(params);
      const r = sgdStep(params, grads, velocity, opts, frozen);
      for (const [k, t] of Object.entries(before)) expectTensor(`sgdStep must not modify its input params: ${k}`, params[k], t);
      params = r.params;
      velocity = r.velocity;
      ref.step(refParams, Object.fromEntries(Object.entries(grads).filter(([k]) => !frozen.includes(k))));
      expect(Object.keys(params), `sgdStep step ${step}: parameter names`).toEqual(Object.keys(start));
      for (const k of Object.keys(start)) expectTensor(`sgdStep step ${step}: ${k}`, params[k], refParams[k]);
    }
    for (const k of frozen) expectTensor(`frozen ${k} after 3 steps`, params[k], start[k]);
  });
});

describe('replaceHead', () => {
  test("LeNet-5's fc3 [84,10] for 5 new classes: fc3.w [84,5] from Rng(seed), fc3.b zeros [5]", () => {
    const params = lenetParams(0);
    const next = replaceHead(params, 'fc3', 5, 42);
    expect(next['fc3.w'].shape, 'replaceHead: shape of fc3.w').toEqual([84, 5]);
    expectTensor('replaceHead: fc3.w', next['fc3.w'], new Rng(42).randn([84, 5], Math.sqrt(2 / 84)));
    expectTensor('replaceHead: fc3.b', next['fc3.b'], Tensor.zeros([5]));
  });

  test('every other parameter is the same tensor, in the same order; the input is not modified', () => {
    const params = lenetParams(0);
    const oldHead = params['fc3.w'];
    const next = replaceHead(params, 'fc3', 3, 1);
    expect(Object.keys(next), 'replaceHead: parameter names').toEqual(Object.keys(params));
    for (const k of Object.keys(params)) if (!k.startsWith('fc3.')) expect(next[k], `replaceHead: ${k}`).toBe(params[k]);
    expect(params['fc3.w'], "replaceHead must not modify its input's fc3.w").toBe(oldHead);
    expect(params['fc3.w'].shape, "the input's fc3.w").toEqual([84, 10]);
  });

  test(`random networks: the last layer replaced for 1-12 classes (seed ${SEED})`, () => {
    forAll(fc.record({ c: mlpCases, classes: fc.integer({ min: 1, max: 12 }), seed: fc.nat() }), { seed: SEED, runs: 30 }, ({ c, classes, seed }) => {
      const { params } = mlp(c);
      const head = `fc${c.widths.length - 1}`;
      const D = c.widths[c.widths.length - 2];
      const next = replaceHead(params, head, classes, seed);
      expectTensor(`replaceHead: ${head}.w (${mlpName(c)}, ${classes} classes)`, next[`${head}.w`], new Rng(seed).randn([D, classes], Math.sqrt(2 / D)));
      expectTensor(`replaceHead: ${head}.b (${mlpName(c)}, ${classes} classes)`, next[`${head}.b`], Tensor.zeros([classes]));
    });
  });
});

describe('mlpBackward', () => {
  const twoLayers = (): { layers: MlpLayer[]; params: ParamDict; x: Tensor; dout: Tensor } => {
    const rng = new Rng(3);
    const params = { 'fc1.w': rng.randn([4, 3]), 'fc1.b': rng.randn([3]), 'fc2.w': rng.randn([3, 2]), 'fc2.b': rng.randn([2]) };
    return { layers: [{ type: 'affine', name: 'fc1' }, { type: 'relu' }, { type: 'affine', name: 'fc2' }], params, x: rng.randn([2, 4]), dout: rng.randn([2, 2]) };
  };

  test('fc1-relu-fc2, nothing frozen: grads of all four parameters and dx [2,4]', () => {
    const { layers, params, x, dout } = twoLayers();
    const { grads, dx } = mlpBackward(layers, mlpForward(layers, params, x).cache, dout, []);
    expect(Object.keys(grads).sort(), 'mlpBackward: gradient names').toEqual(['fc1.b', 'fc1.w', 'fc2.b', 'fc2.w']);
    expect(dx?.shape, 'mlpBackward: shape of dx').toEqual([2, 4]);
  });

  test('fc1 frozen: only fc2 has gradients, and the pass stops above fc1 (dx null)', () => {
    const { layers, params, x, dout } = twoLayers();
    const { grads, dx } = mlpBackward(layers, mlpForward(layers, params, x).cache, dout, ['fc1.w', 'fc1.b']);
    expect(Object.keys(grads).sort(), 'mlpBackward: gradient names').toEqual(['fc2.b', 'fc2.w']);
    expect(dx, 'mlpBackward: dx').toBeNull();
  });

  test('everything frozen: no gradient at all, dx null', () => {
    const { layers, params, x, dout } = twoLayers();
    const { grads, dx } = mlpBackward(layers, mlpForward(layers, params, x).cache, dout, ['fc1.w', 'fc1.b', 'fc2.w', 'fc2.b']);
    expect(grads, 'mlpBackward: grads').toEqual({});
    expect(dx, 'mlpBackward: dx').toBeNull();
  });

  test(`random networks, nothing frozen: grads and dx match numerical gradients (seed ${SEED})`, () => {
    forAll(mlpCases, { seed: SEED, runs: 15 }, (c) => {
      const { layers, params, x, dout } = mlp(c);
      const { grads, dx } = mlpBackward(layers, mlpForward(layers, params, x).cache, dout, []);
      const forward = (): Tensor => mlpForward(layers, params, x).out;
      expectTensor(`mlpBackward: dx (${mlpName(c)})`, dx!, numericalGradient((t) => mlpForward(layers, params, t).out, x, dout), GRAD_TOL);
      for (const [k, p] of Object.entries(params)) expectTensor(`mlpBackward: ${k} (${mlpName(c)})`, grads[k], numericalGradient(forward, p, dout), GRAD_TOL);
    });
  });

  test(`random networks and frozen layers: the gradients and dx of the library's networkBackward (seed ${SEED})`, () => {
    forAll(mlpCases, { seed: SEED, runs: 40 }, (c) => {
      const { layers, params, x, dout, frozen } = mlp(c);
      const got = mlpBackward(layers, mlpForward(layers, params, x).cache, dout, frozen);
      const expected = reference(layers, params, x, dout, frozen);
      expect(Object.keys(got.grads).sort(), `mlpBackward: gradient names (${mlpName(c)})`).toEqual(Object.keys(expected.grads).sort());
      for (const [k, g] of Object.entries(expected.grads)) expectTensor(`mlpBackward: ${k} (${mlpName(c)})`, got.grads[k], g);
      if (expected.dx === null) expect(got.dx, `mlpBackward: dx (${mlpName(c)})`).toBeNull();
      else expectTensor(`mlpBackward: dx (${mlpName(c)})`, got.dx!, expected.dx);
    });
  });
});
