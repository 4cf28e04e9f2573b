/**
 * Grading suite of exercise 08, transfer learning (`transfer.ts`): `freeze`, `countParams`,
 * `sgdStep`, `replaceHead` and `mlpBackward` on dictionaries of parameters keyed
 * `<layer>.<name>`, checked against `@dlkata/layers`' `Sgd` (given only the trainable
 * gradients), its He initialisation of an affine layer, and `networkForward`/`networkBackward`
 * with a `frozen` set.
 *
 * Everything travels as plain data: dictionaries of tensors, lists of names, layer lists;
 * `mlpForward`'s cache stays in the sandbox as a handle.
 *
 * The tests are cut so that a realistic bug costs points in the test that names it and
 * nowhere else:
 *
 * - `sgd-step` has nothing frozen; `sgd-frozen` hands the optimiser gradients for frozen
 *   parameters too, so an optimiser that ignores the frozen list loses only `sgd-frozen`;
 * - `replace-head` checks the new head (size, values, zero biases), `replace-head-keeps` the
 *   other parameters and the key order, so a head of the old size costs only `replace-head`;
 * - `mlpBackward` without frozen layers, with the bottom layers frozen (no gradients for them,
 *   no `dx`), and with a frozen layer above a trainable one (the gradient must pass through
 *   it), each in its own test.
 *
 * @module
 */
import fc from 'fast-check';
import { analyze, networkBackward, networkForward, Sgd, type LayerSpec, type Network, type ParamDict } from '@dlkata/layers';
import { compareTensors, Rng, Tensor } from '@dlkata/tensor';
import { decodeTensor, describeValue, field, InvalidOutputError, isRecord } from '../protocol.js';
import { jointRecord, checkProperty, expectClose, expectField, expectNumber } from './harness.js';
import { TestFailure, type Suite, type SuiteTest, type TestContext } from './types.js';

const range = (lo: number, hi: number): fc.Arbitrary<number> => fc.integer({ min: lo, max: hi });

/** A layer of the exercise's multi-layer perceptron. */
type MlpLayer = { readonly type: 'affine'; readonly name: string } | { readonly type: 'relu' };

/** A random multi-layer perceptron: affine layers `fc1..fcL` (ReLUs between), which of them are frozen, and the value seed. */
export interface MlpCase {
  readonly N: number;
  /** Input width and the outputs of every affine layer: `L + 1` numbers. */
  readonly widths: readonly number[];
  /** Per affine layer, bottom first. */
  readonly frozen: readonly boolean[];
  readonly seed: number;
  readonly label?: string;
}

interface Mlp {
  readonly layers: MlpLayer[];
  readonly params: ParamDict;
  readonly frozen: string[];
  readonly x: Tensor;
  readonly dout: Tensor;
  readonly rng: Rng;
}

function mlp(c: MlpCase): Mlp {
  const rng = new Rng(c.seed);
  const layers: MlpLayer[] = [];
  const params: ParamDict = {};
  const frozen: string[] = [];
  for (let i = 0; i + 1 < c.widths.length; i++) {
    if (i > 0) layers.push({ type: 'relu' });
    const name = `fc${i + 1}`;
    layers.push({ type: 'affine', name });
    params[`${name}.w`] = rng.randn([c.widths[i], c.widths[i + 1]]);
    params[`${name}.b`] = rng.randn([c.widths[i + 1]]);
    if (c.frozen[i]) frozen.push(`${name}.w`, `${name}.b`);
  }
  return { layers, params, frozen, x: rng.randn([c.N, c.widths[0]]), dout: rng.randn([c.N, c.widths[c.widths.length - 1]]), rng };
}

/** The network in words: `fc1* [3->4], fc2 [4->2]` (* frozen). */
export function describeMlp(c: MlpCase): string {
  const layers = c.frozen.map((f, i) => `fc${i + 1}${f ? '*' : ''} [${c.widths[i]}->${c.widths[i + 1]}]`).join(', ');
  const what = `${layers} (* frozen), batch ${c.N}`;
  return c.label ? `${c.label}: ${what}` : `${what} (values: standard normal from seed ${c.seed})`;
}

/** Networks of `depth` affine layers with a frozen pattern from `frozen(depth)`; batch and widths drawn jointly ({@link jointRecord}). */
function mlpCases(depth: [number, number], frozen: (L: number) => fc.Arbitrary<boolean[]>): fc.Arbitrary<MlpCase> {
  return range(depth[0], depth[1]).chain((L) =>
    jointRecord(
      { N: [1, 3], widths: fc.array(range(1, 5), { minLength: L + 1, maxLength: L + 1 }), frozen: frozen(L), seed: fc.nat() },
      { edge: { widths: fc.array(range(2, 5), { minLength: L + 1, maxLength: L + 1 }) } },
    ),
  );
}

const noneFrozen = (L: number): fc.Arbitrary<boolean[]> => fc.constant(new Array<boolean>(L).fill(false));
const anyFrozen = (L: number): fc.Arbitrary<boolean[]> => fc.array(fc.boolean(), { minLength: L, maxLength: L });
/** The lowest k layers frozen, 1 <= k <= L (all of them possibly). */
const bottomFrozen = (L: number): fc.Arbitrary<boolean[]> => range(1, L).map((k) => Array.from({ length: L }, (_, i) => i < k));
/** Some frozen layer above the lowest trainable one (L >= 2). */
const frozenAboveTrainable = (L: number): fc.Arbitrary<boolean[]> =>
  anyFrozen(L).filter((f) => {
    const lowest = f.indexOf(false);
    return lowest >= 0 && f.some((x, i) => x && i > lowest);
  });

// ---------------------------------------------------------------------------------------------
// Reading what the submission returns

function asFailure<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InvalidOutputError) throw new TestFailure('failed', e.message);
    throw e;
  }
}

/** Validates a returned dictionary of tensors (any keys); returns it with parent-side tensors, in its key order. */
function expectParams(v: unknown, what: string): ParamDict {
  if (!isRecord(v) || v.$tensor !== undefined) throw new TestFailure('failed', `${what} must be a dictionary of tensors keyed like the parameters, got ${describeValue(v)}`);
  const out: ParamDict = {};
  for (const [k, t] of Object.entries(v)) out[k] = asFailure(() => decodeTensor(t, `${what}["${k}"]`));
  return out;
}

function expectNames(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new TestFailure('failed', `${what} must return a list of parameter names, got ${describeValue(v)}`);
  return v as string[];
}

const list = (names: readonly string[]): string => (names.length === 0 ? 'none' : names.join(', '));

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Fails unless the parameters equal the expected ones, key for key (in any order); tensors within `tol`. */
function expectSameParams(what: string, got: ParamDict, expected: ParamDict, hint = ''): void {
  const missing = Object.keys(expected).filter((k) => !(k in got));
  const extra = Object.keys(got).filter((k) => !(k in expected));
  if (missing.length + extra.length > 0) {
    throw new TestFailure('failed', `${what} has the keys ${list(Object.keys(got))}, expected ${list(Object.keys(expected))} (missing: ${list(missing)}; unexpected: ${list(extra)}).${hint ? ` ${hint}` : ''}`);
  }
  for (const [k, t] of Object.entries(expected)) {
    if (got[k].shape.length !== t.shape.length || got[k].shape.some((d, i) => d !== t.shape[i])) {
      throw new TestFailure('failed', `${what}["${k}"] has shape [${got[k].shape.join(',')}], expected [${t.shape.join(',')}].${hint ? ` ${hint}` : ''}`);
    }
    expectClose(`${what}["${k}"]`, got[k], t, hint);
  }
}

// ---------------------------------------------------------------------------------------------
// The references

/** The library's `networkBackward` on the same network and frozen set. */
function referenceBackward(m: Mlp): { grads: ParamDict; dx: Tensor | null } {
  const layers: LayerSpec[] = m.layers.map((l, i) => (l.type === 'affine' ? { type: 'affine', units: m.params[`${l.name}.w`].shape[1], name: l.name } : { type: 'relu', name: `relu${i}` }));
  const spec = { name: 'mlp', inputShape: [m.x.shape[1]], layers };
  const net: Network = { spec, info: analyze(spec), params: m.params };
  const { cache } = networkForward(net, m.x);
  return networkBackward(net, m.dout, cache, new Set(m.frozen));
}

/** The head `createNetwork` would draw for an affine layer `[D, classes]` (He initialisation), with zero biases. */
function referenceHead(D: number, classes: number, seed: number): { w: Tensor; b: Tensor } {
  return { w: new Rng(seed).randn([D, classes], Math.sqrt(2 / D)), b: Tensor.zeros([classes]) };
}

async function studentBackward(ctx: TestContext, m: Mlp): Promise<{ grads: ParamDict; dx: Tensor | null }> {
  const fwd = await ctx.call('mlpForward', [m.layers, m.params, m.x], ['cache']);
  let cache: unknown;
  try {
    cache = field(fwd, 'cache', 'mlpForward');
  } catch (e) {
    throw new TestFailure('failed', `${(e as Error).message}; mlpBackward needs the cache of mlpForward`);
  }
  const r = await ctx.call('mlpBackward', [m.layers, cache, m.dout, m.frozen]);
  if (!isRecord(r)) throw new TestFailure('failed', `mlpBackward must return { grads, dx }, got ${describeValue(r)}`);
  const grads = expectParams(field(r, 'grads', 'mlpBackward'), 'mlpBackward: grads');
  const dx = r.dx === null ? null : expectField(r, 'mlpBackward', 'dx', m.x.shape);
  return { grads, dx };
}

function backwardTest(id: string, name: string, points: number, arb: fc.Arbitrary<MlpCase>, examples: MlpCase[], hint: string): SuiteTest {
  return {
    id,
    name,
    points,
    run: (ctx) =>
      checkProperty(
        ctx,
        arb,
        async (c) => {
          const m = mlp(c);
          const expected = referenceBackward(m);
          const got = await studentBackward(ctx, m);
          const want = Object.keys(expected.grads).sort();
          const have = Object.keys(got.grads).sort();
          if (!sameList(have, want)) {
            const frozenGot = have.filter((k) => m.frozen.includes(k));
            const missing = want.filter((k) => !have.includes(k));
            const why = frozenGot.length > 0 ? ` ${list(frozenGot)} ${frozenGot.length === 1 ? 'is' : 'are'} frozen and must get no gradient.` : '';
            const miss = missing.length > 0 ? ` Missing: ${list(missing)}.` : '';
            throw new TestFailure('failed', `mlpBackward returned gradients for ${list(have)}, expected ${list(want)} (frozen: ${list(m.frozen)}).${why}${miss} ${hint}`.trim());
          }
          for (const k of want) {
            const cmp = compareTensors(`mlpBackward: grads["${k}"]`, got.grads[k], expected.grads[k]);
            if (!cmp.ok) throw new TestFailure('failed', `${cmp.message}. ${hint}`);
          }
          if (expected.dx === null && got.dx !== null) {
            throw new TestFailure('failed', `mlpBackward returned a dx, expected null: the lowest trainable layer is not the first layer (frozen: ${list(m.frozen)}), so the pass ends above it and the input's gradient is never computed.`);
          }
          if (expected.dx !== null) {
            if (got.dx === null) throw new TestFailure('failed', `mlpBackward returned dx null, expected the input's gradient: the first layer is trainable, so the pass goes all the way down.`);
            const cmp = compareTensors('mlpBackward: dx', got.dx, expected.dx);
            if (!cmp.ok) throw new TestFailure('failed', `${cmp.message}. ${hint}`);
          }
        },
        { examples, describe: describeMlp },
      ),
  };
}

// ---------------------------------------------------------------------------------------------
// Optimiser cases

/** Several SGD steps on a random network, with random gradients (some missing) and a frozen pattern. */
export interface SgdCase {
  readonly net: MlpCase;
  readonly steps: number;
  readonly lr: number;
  readonly momentum: number;
  /** Probability that a parameter has a gradient at a step (trainable ones), in `[0, 1]`. */
  readonly gradP: number;
  /** Whether frozen parameters get a gradient too (from a backward pass that computed everything). */
  readonly frozenGrads: boolean;
  readonly label?: string;
}

function describeSgd(c: SgdCase): string {
  const what = `${c.steps} step(s), lr ${c.lr}, momentum ${c.momentum}, ${describeMlp(c.net)}${c.frozenGrads ? ', gradients for the frozen parameters too' : ''}${c.gradP < 1 ? ', some gradients missing' : ''}`;
  return c.label ? `${c.label}: ${what}` : what;
}

function sgdCases(frozen: (L: number) => fc.Arbitrary<boolean[]>, partial: boolean): fc.Arbitrary<SgdCase> {
  return fc.record({
    net: mlpCases([1, 4], frozen),
    steps: range(1, 3),
    lr: fc.constantFrom(0.01, 0.1, 0.5),
    momentum: fc.constantFrom(0, 0.5, 0.9),
    gradP: partial ? fc.constantFrom(0.6, 1) : fc.constant(1),
    frozenGrads: partial ? fc.boolean() : fc.constant(false),
  });
}

const someFrozen = (L: number): fc.Arbitrary<boolean[]> => anyFrozen(L).filter((f) => f.some((x) => x));

async function checkSgd(ctx: TestContext, c: SgdCase): Promise<void> {
  const m = mlp(c.net);
  const gradRng = new Rng(c.net.seed + 1);
  const ref = new Sgd({ lr: c.lr, momentum: c.momentum });
  const refParams: ParamDict = Object.fromEntries(Object.entries(m.params).map(([k, t]) => [k, t.clone()]));
  let params = m.params;
  let velocity: ParamDict = {};
  const updated = new Set<string>();
  for (let step = 1; step <= c.steps; step++) {
    const grads: ParamDict = {};
    for (const [k, t] of Object.entries(m.params)) {
      const isFrozen = m.frozen.includes(k);
      const has = isFrozen ? c.frozenGrads : gradRng.next() < c.gradP;
      const g = gradRng.randn(t.shape);
      if (has) grads[k] = g;
    }
    const trainable: ParamDict = Object.fromEntries(Object.entries(grads).filter(([k]) => !m.frozen.includes(k)));
    for (const k of Object.keys(trainable)) updated.add(k);
    ref.step(refParams, trainable);
    const r = await ctx.call('sgdStep', [params, grads, velocity, { lr: c.lr, momentum: c.momentum }, m.frozen]);
    if (!isRecord(r)) throw new TestFailure('failed', `sgdStep must return { params, velocity }, got ${describeValue(r)}`);
    const got = expectParams(field(r, 'params', 'sgdStep'), `sgdStep (step ${step}): params`);
    const vel = expectParams(field(r, 'velocity', 'sgdStep'), `sgdStep (step ${step}): velocity`);
    for (const k of m.frozen) {
      if (!(k in got)) continue; // reported below, with the key sets
      const cmp = compareTensors(`sgdStep (step ${step}): frozen params["${k}"]`, got[k], m.params[k], { tol: 0, atol: 0 });
      if (!cmp.ok) {
        throw new TestFailure('failed', `${cmp.message}. ${k} is frozen: it must keep its value${grads[k] ? ', even though a gradient for it was passed' : ''}.`);
      }
    }
    expectSameParams(`sgdStep (step ${step}): params`, got, refParams, 'p = p - lr * v with v = momentum * v + g, for every parameter that has a gradient and is not frozen.');
    const frozenVel = Object.keys(vel).filter((k) => m.frozen.includes(k));
    if (frozenVel.length > 0) throw new TestFailure('failed', `sgdStep (step ${step}) returned velocities for the frozen ${list(frozenVel)}; a frozen parameter gets no velocity.`);
    const wantVel = [...updated].sort();
    if (!sameList(Object.keys(vel).sort(), wantVel)) {
      throw new TestFailure('failed', `sgdStep (step ${step}) returned velocities for ${list(Object.keys(vel).sort())}, expected ${list(wantVel)}: the parameters updated so far.`);
    }
    params = got;
    velocity = vel;
  }
}

/** The tests of exercise 08, worth 15 points. */
export const transferLearningSuite: Suite = {
  id: '08-transfer-learning',
  title: 'Transfer learning',
  modules: ['transfer.ts'],
  tests: [
    {
      id: 'freeze',
      name: 'freeze: every parameter of the chosen layers, in the order of the parameters',
      points: 1,
      run: (ctx) =>
        checkProperty(
          ctx,
          fc.record({ net: mlpCases([1, 5], anyFrozen), order: fc.nat() }),
          async ({ net, order }) => {
            const m = mlp(net);
            const chosen = [...new Set(m.frozen.map((k) => k.split('.')[0]))];
            if (order % 2 === 1) chosen.reverse();
            const expected = Object.keys(m.params).filter((k) => chosen.includes(k.split('.')[0]));
            const got = expectNames(await ctx.call('freeze', [m.params, chosen]), 'freeze');
            if (!sameList(got, expected)) {
              throw new TestFailure('failed', `freeze(params, [${chosen.join(', ')}]) returned [${got.join(', ')}], expected [${expected.join(', ')}]: the names of all parameters of those layers, in the order of the parameters.`);
            }
          },
          {
            examples: [{ net: { N: 1, widths: [4, 3, 3, 2], frozen: [true, true, false], seed: 3, label: 'fc1 and fc2 of three layers' }, order: 1 }],
            describe: ({ net, order }) => `${describeMlp(net)}${order % 2 === 1 ? ', layers asked top first' : ''}`,
            isFixed: ({ net }) => net.label !== undefined,
          },
        ),
    },
    {
      id: 'freeze-unknown',
      name: 'freeze: a layer without parameters is an error',
      points: 1,
      run: (ctx) =>
        checkProperty(
          ctx,
          fc.record({ net: mlpCases([1, 3], noneFrozen), extra: range(1, 9) }),
          async ({ net, extra }) => {
            const m = mlp(net);
            const unknown = `fc${net.widths.length - 1 + extra}`;
            let returned: unknown;
            try {
              returned = await ctx.call('freeze', [m.params, ['fc1', unknown]]);
            } catch (e) {
              if (e instanceof TestFailure && e.status === 'error' && !e.fatal) return; // it threw: right
              throw e;
            }
            throw new TestFailure('failed', `freeze(params, [fc1, ${unknown}]) returned ${describeValue(returned)}, but ${unknown} has no parameters: throw a ValueError (a typo must not silently freeze nothing).`);
          },
          { describe: ({ net, extra }) => `${describeMlp(net)}, asking for fc${net.widths.length - 1 + extra}` },
        ),
    },
    {
      id: 'count-params',
      name: 'countParams: total and trainable numbers of parameters',
      points: 1,
      run: (ctx) =>
        checkProperty(
          ctx,
          mlpCases([1, 5], anyFrozen),
          async (c) => {
            const m = mlp(c);
            const total = Object.values(m.params).reduce((s, t) => s + t.size, 0);
            const trainable = Object.entries(m.params).reduce((s, [k, t]) => s + (m.frozen.includes(k) ? 0 : t.size), 0);
            const r = await ctx.call('countParams', [m.params, m.frozen]);
            const gotTotal = expectNumber(isRecord(r) ? r.total : r, 'countParams: total', true);
            const gotTrainable = expectNumber(isRecord(r) ? r.trainable : r, 'countParams: trainable', true);
            if (gotTotal !== total || gotTrainable !== trainable) {
              throw new TestFailure('failed', `countParams returned { total: ${gotTotal}, trainable: ${gotTrainable} }, expected { total: ${total}, trainable: ${trainable} } (frozen: ${list(m.frozen)}).`);
            }
          },
          { describe: describeMlp },
        ),
    },
    {
      id: 'sgd-step',
      name: 'sgdStep: momentum SGD as the library Sgd, nothing frozen',
      points: 2,
      run: (ctx) =>
        checkProperty(ctx, sgdCases(noneFrozen, false), (c) => checkSgd(ctx, c), {
          examples: [{ net: { N: 1, widths: [3, 4, 2], frozen: [false, false], seed: 5 }, steps: 3, lr: 0.1, momentum: 0.9, gradP: 1, frozenGrads: false, label: 'three steps with momentum 0.9' }],
          describe: describeSgd,
        }),
    },
    {
      id: 'sgd-frozen',
      name: 'sgdStep: frozen parameters keep their values (even with a gradient) and get no velocity',
      points: 2,
      run: (ctx) =>
        checkProperty(ctx, sgdCases(someFrozen, true), (c) => checkSgd(ctx, c), {
          examples: [
            {
              net: { N: 1, widths: [3, 4, 4, 2], frozen: [true, true, false], seed: 6 },
              steps: 2,
              lr: 0.1,
              momentum: 0.9,
              gradP: 1,
              frozenGrads: true,
              label: 'fc1, fc2 frozen, their gradients passed anyway',
            },
          ],
          describe: describeSgd,
        }),
    },
    {
      id: 'replace-head',
      name: 'replaceHead: the head becomes [D, classes] from Rng(seed) (He), biases 0',
      points: 2,
      run: (ctx) =>
        checkProperty(
          ctx,
          fc.record({ net: mlpCases([1, 4], noneFrozen), classes: range(1, 12), seed: fc.nat() }),
          async ({ net, classes, seed }) => {
            const m = mlp(net);
            const head = `fc${net.widths.length - 1}`;
            const D = net.widths[net.widths.length - 2];
            const ref = referenceHead(D, classes, seed);
            const got = expectParams(await ctx.call('replaceHead', [m.params, head, classes, seed]), 'replaceHead');
            for (const [k, t] of [[`${head}.w`, ref.w], [`${head}.b`, ref.b]] as const) {
              if (!(k in got)) throw new TestFailure('failed', `replaceHead returned no ${k}`);
              if (got[k].shape.length !== t.shape.length || got[k].shape.some((d, i) => d !== t.shape[i])) {
                throw new TestFailure('failed', `replaceHead(params, "${head}", ${classes}, ${seed}): ${k} has shape [${got[k].shape.join(',')}], expected [${t.shape.join(',')}]: the new head has one output per new class, ${classes}.`);
              }
              expectClose(`replaceHead: ${k}`, got[k], t, `The new weights are new Rng(seed).randn([D, classes], Math.sqrt(2 / D)) with D = ${D}; the biases are 0.`);
            }
          },
          {
            examples: [{ net: { N: 1, widths: [6, 5, 4], frozen: [false, false], seed: 7, label: 'a 4-way head replaced by a 9-way one' }, classes: 9, seed: 42 }],
            describe: ({ net, classes, seed }) => `${describeMlp(net)}, head fc${net.widths.length - 1} -> ${classes} classes, seed ${seed}`,
            isFixed: ({ net }) => net.label !== undefined,
          },
        ),
    },
    {
      id: 'replace-head-keeps',
      name: 'replaceHead: every other parameter kept, same keys in the same order',
      points: 1,
      run: (ctx) =>
        checkProperty(
          ctx,
          fc.record({ net: mlpCases([1, 4], noneFrozen), classes: range(1, 12), seed: fc.nat() }),
          async ({ net, classes, seed }) => {
            const m = mlp(net);
            const head = `fc${net.widths.length - 1}`;
            const got = expectParams(await ctx.call('replaceHead', [m.params, head, classes, seed]), 'replaceHead');
            if (!sameList(Object.keys(got), Object.keys(m.params))) {
              throw new TestFailure('failed', `replaceHead returned the keys ${list(Object.keys(got))}, expected ${list(Object.keys(m.params))} in this order: only the head's values change.`);
            }
            for (const [k, t] of Object.entries(m.params)) {
              if (k.startsWith(`${head}.`)) continue;
              const cmp = compareTensors(`replaceHead: ${k}`, got[k], t, { tol: 0, atol: 0 });
              if (!cmp.ok) throw new TestFailure('failed', `${cmp.message}. Only the head ${head} is replaced; the other layers are the features to transfer and stay as they are.`);
            }
          },
          { describe: ({ net, classes, seed }) => `${describeMlp(net)}, head fc${net.widths.length - 1} -> ${classes} classes, seed ${seed}` },
        ),
    },
    backwardTest(
      'backward',
      'mlpBackward: nothing frozen, the gradients of every parameter and dx',
      2,
      mlpCases([1, 4], noneFrozen),
      [{ N: 2, widths: [4, 3, 2], frozen: [false, false], seed: 8, label: 'fc1-relu-fc2' }],
      'Walk the layers from the top: reluBackward for a ReLU, affineBackward for an affine layer, each turning d into the gradient of its input.',
    ),
    backwardTest(
      'backward-frozen-bottom',
      'mlpBackward: bottom layers frozen, no gradients for them, dx null',
      2,
      mlpCases([1, 4], bottomFrozen),
      [
        { N: 2, widths: [4, 3, 3, 2], frozen: [true, true, false], seed: 9, label: 'fc1, fc2 frozen: only the head is trained' },
        { N: 1, widths: [3, 2], frozen: [true], seed: 10, label: 'everything frozen: no gradient at all' },
      ],
      'Frozen layers get no dw, db; the pass ends after the lowest trainable layer, and dx is null unless that is the first layer.',
    ),
    backwardTest(
      'backward-frozen-middle',
      'mlpBackward: a frozen layer above a trainable one passes the gradient through',
      1,
      mlpCases([2, 4], frozenAboveTrainable),
      [{ N: 2, widths: [4, 3, 3, 2], frozen: [false, true, false], seed: 11, label: 'fc2 frozen between the trainable fc1 and fc3' }],
      'A frozen layer above the lowest trainable layer computes no dw, db but must still pass dx down: the layers below need it.',
    ),
  ],
};
