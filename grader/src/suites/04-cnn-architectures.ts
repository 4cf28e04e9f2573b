/**
 * Grading suite of exercise 04, CNN architectures (`architectures.ts`): the per-layer
 * bookkeeping `layerOutputShape`, `layerParams`, `layerMacs`, the walk `analyzeModel`, and the
 * specs `vggBlock`, `lenet5`, `vgg16`, checked against `@dlkata/layers`' `layerInfo`,
 * `analyze`, `vggBlock`, `lenet5` and `vgg`, and against published counts.
 *
 * Layer specs and shapes are plain data, so they travel over IPC as they are; every number
 * the submission returns is validated and compared here.
 *
 * The tests are cut so that a realistic bug costs points in the test that names it and
 * nowhere else:
 *
 * - shapes: convolution (numeric padding, stride or its default 1), `'same'` padding, max
 *   pooling with an explicit stride, max pooling with the default stride (the window), the
 *   other layers, and rejecting a window that does not fit, each in its own test;
 * - parameters and multiply-adds of conv and affine layers separately, and the layers without
 *   either in one test. `layerMacs` needs the conv's output size; an answer that is right for
 *   the submission's OWN `layerOutputShape` passes (a shape bug is charged to the shape tests);
 * - `analyzeModel`'s shapes and totals pass when they equal the reference, or the walk of the
 *   submission's own per-layer functions (the walk is right; the per-layer bugs cost points
 *   in their own tests). Random networks use numeric padding and explicit pooling strides;
 * - `vgg16` passes when it is the reference VGG-16, or the five blocks of the submission's own
 *   `vggBlock` with the right classifier (a block bug is charged to `vgg-block`).
 *
 * @module
 */
import fc from 'fast-check';
import {
  analyze as refAnalyze,
  layerInfo as refLayerInfo,
  lenet5 as refLenet5,
  alexnet as refAlexnet,
  vgg as refVgg,
  vggBlock as refVggBlock,
  type LayerSpec,
  type ModelInfo,
  type ModelSpec,
} from '@dlkata/layers';
import { describeValue, isRecord } from '../protocol.js';
import { jointRecord, checkProperty, expectNumber } from './harness.js';
import { TestFailure, type Suite, type SuiteTest, type TestContext } from './types.js';

/** One layer applied to the shape of one input example. */
export interface LayerCase {
  readonly layer: LayerSpec;
  readonly input: readonly number[];
  /** Set for a fixed case; names it in the report. */
  readonly label?: string;
}

/** One sequential network. */
export interface ModelCase {
  readonly model: ModelSpec;
  readonly label?: string;
}

const range = (lo: number, hi: number): fc.Arbitrary<number> => fc.integer({ min: lo, max: hi });
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });

/** A copy of `o` without its undefined fields: a spec carries only the keys it sets. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** A layer in words: `conv f=6 k=5 s=2 p=same`. */
export function showLayer(layer: LayerSpec): string {
  const parts: string[] = [layer.type];
  if (layer.type === 'conv') parts.push(`f=${layer.filters}`);
  if (layer.type === 'conv' || layer.type === 'maxpool') {
    parts.push(`k=${layer.kernel}`);
    if (layer.stride !== undefined) parts.push(`s=${layer.stride}`);
    if (layer.pad !== undefined) parts.push(`p=${layer.pad}`);
  }
  if (layer.type === 'affine') parts.push(`units=${layer.units}`);
  if (layer.type === 'dropout') parts.push(`p=${layer.p}`);
  return parts.join(' ');
}

const fmt = (shape: readonly unknown[]): string => `[${shape.join(',')}]`;

/** The case in words, for the report: `conv f=6 k=5 on [1,32,32]`. */
export function describeLayerCase(c: LayerCase): string {
  const what = `${showLayer(c.layer)} on ${fmt(c.input)}`;
  return c.label ? `${c.label}: ${what}` : what;
}

/** The network in words, for the report. */
export function describeModelCase(c: ModelCase): string {
  if (c.label) return c.label;
  return `input ${fmt(c.model.inputShape)}: ${c.model.layers.map(showLayer).join(', ')}`;
}

/** Sizes `max(1, kernel - 2*pad) + extra`, so that the window always fits. */
const fitting = (kernel: number, pad: number): fc.Arbitrary<number> => range(0, 8).map((extra) => Math.max(1, kernel - 2 * pad) + extra);

/** Convolutions with numeric padding (or none) and any stride (or the default 1), drawn jointly ({@link jointRecord}). */
const convNumeric: fc.Arbitrary<LayerCase> = jointRecord(
  { C: [1, 4], filters: [1, 8], kernel: [1, 5], stride: maybe(range(1, 3)), pad: maybe(range(0, 2)) },
  // the edge: explicit stride > 1 AND padding > 0 together (with several channels and a kernel > 1)
  { edge: { stride: range(2, 3), pad: range(1, 2) } },
)
  .chain((f) =>
    fc.tuple(fitting(f.kernel, f.pad ?? 0), fitting(f.kernel, f.pad ?? 0)).map(([H, W]): LayerCase => ({
      input: [f.C, H, W],
      layer: defined({ type: 'conv', filters: f.filters, kernel: f.kernel, stride: f.stride, pad: f.pad }),
    })),
  );

/** Convolutions with `'same'` padding: odd kernel, stride 1 or the default. */
const convSame: fc.Arbitrary<LayerCase> = fc
  .record({ C: range(1, 4), H: range(1, 12), W: range(1, 12), filters: range(1, 8), half: range(0, 3), stride: fc.constantFrom(1, undefined) })
  .map((f): LayerCase => ({ input: [f.C, f.H, f.W], layer: defined({ type: 'conv', filters: f.filters, kernel: 2 * f.half + 1, stride: f.stride, pad: 'same' }) }));

/** Max pools; `explicitStride` decides whether the spec sets `stride` or leaves the default (the window). */
function pools(explicitStride: boolean): fc.Arbitrary<LayerCase> {
  return range(1, 4).chain((kernel) =>
    fc
      .record({ C: range(1, 4), stride: explicitStride ? range(1, 3) : fc.constant(undefined), pad: maybe(range(0, Math.floor(kernel / 2))) })
      .chain((f) =>
        fc.tuple(fitting(kernel, f.pad ?? 0), fitting(kernel, f.pad ?? 0)).map(([H, W]): LayerCase => ({
          input: [f.C, H, W],
          layer: defined({ type: 'maxpool', kernel, stride: f.stride, pad: f.pad }),
        })),
      ),
  );
}

const imageShape = fc.tuple(range(1, 16), range(1, 16), range(1, 16)).map(([C, H, W]) => [C, H, W]);
const anyShape = fc.oneof(imageShape, range(1, 5000).map((D) => [D]));
const elementwise = fc.constantFrom<LayerSpec>({ type: 'relu' }, { type: 'tanh' }, { type: 'dropout', p: 0.5 }, { type: 'dropout', p: 0 });

/** Layers whose shape is not a sliding window: elementwise, flatten, affine. */
const otherLayers: fc.Arbitrary<LayerCase> = fc.oneof(
  fc.record({ layer: elementwise, input: anyShape }),
  fc.record({ layer: fc.constant<LayerSpec>({ type: 'flatten' }), input: imageShape }),
  fc.record({ layer: range(1, 5000).map((units): LayerSpec => ({ type: 'affine', units })), input: range(1, 5000).map((D) => [D]) }),
);

/** Affine layers, up to VGG's sizes. */
const affineLayers: fc.Arbitrary<LayerCase> = fc
  .record({ D: range(1, 30_000), units: range(1, 5000) })
  .map(({ D, units }): LayerCase => ({ layer: { type: 'affine', units }, input: [D] }));

/** Layers without weights: max pool, ReLU, tanh, dropout, flatten. */
const weightless: fc.Arbitrary<LayerCase> = fc.oneof(pools(true), pools(false), fc.record({ layer: elementwise, input: anyShape }), fc.record({ layer: fc.constant<LayerSpec>({ type: 'flatten' }), input: imageShape }));

/** A conv or pool whose window is larger than the padded input along at least one axis. */
const notFitting: fc.Arbitrary<LayerCase> = fc
  .record({ conv: fc.boolean(), kernel: range(2, 7), C: range(1, 3), stride: maybe(range(1, 2)), which: fc.constantFrom('height', 'width', 'both'), seedH: fc.nat(), seedW: fc.nat() })
  .chain((f) =>
    range(0, Math.floor((f.kernel - 2) / 2)).map((pad): LayerCase => {
      const tooSmall = (s: number): number => 1 + (s % (f.kernel - 2 * pad - 1)); // 1 .. kernel - 2*pad - 1
      const fits = (s: number): number => f.kernel + (s % 5);
      const H = f.which === 'width' ? fits(f.seedH) : tooSmall(f.seedH);
      const W = f.which === 'height' ? fits(f.seedW) : tooSmall(f.seedW);
      const layer: LayerSpec = f.conv
        ? defined({ type: 'conv', filters: 2, kernel: f.kernel, stride: f.stride, pad: pad || undefined })
        : defined({ type: 'maxpool', kernel: f.kernel, stride: f.stride, pad: pad || undefined });
      return { layer, input: [f.C, H, W] };
    }),
  );

function fixed(label: string, layer: LayerSpec, input: number[]): LayerCase {
  return { label, layer, input };
}

// -------------------------------------------------------------------------------------------
// Reading what the submission returns

/** Validates a returned shape: an array of at most 8 finite numbers (compared afterwards). */
function expectShape(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || v.length > 8 || !v.every((d) => typeof d === 'number' && Number.isFinite(d))) {
    throw new TestFailure('failed', `${what} must return a shape, a list of integers such as [6,28,28]; got ${describeValue(v)}`);
  }
  return v as number[];
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Reads a key of a returned object, failing the case if it is missing. */
function expectKey(v: unknown, key: string, fn: string): unknown {
  if (!isRecord(v) || !Object.prototype.hasOwnProperty.call(v, key) || v[key] === undefined) {
    throw new TestFailure('failed', `${fn} must return an object with ${key}, got ${describeValue(v)}`);
  }
  return v[key];
}

async function studentShape(ctx: TestContext, c: { layer: LayerSpec; input: readonly number[] }): Promise<number[]> {
  return expectShape(await ctx.call('layerOutputShape', [c.layer, c.input]), `layerOutputShape(${showLayer(c.layer)}, ${fmt(c.input)})`);
}

/**
 * Runs `f`, returning null instead of a non-fatal failure (the submission threw or returned
 * something malformed); fatal failures (TODO, timeout, crash) end the test as usual.
 */
async function unlessFailed<T>(f: () => Promise<T>): Promise<T | null> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof TestFailure && !e.fatal) return null;
    throw e;
  }
}

// -------------------------------------------------------------------------------------------
// Tests

function shapeTest(id: string, name: string, points: number, arb: fc.Arbitrary<LayerCase>, examples: LayerCase[], hint: string): SuiteTest {
  return {
    id,
    name,
    points,
    run: (ctx) =>
      checkProperty(
        ctx,
        arb,
        async (c) => {
          const expected = [...refLayerInfo(c.layer, c.input).outputShape];
          const got = await studentShape(ctx, c);
          if (!sameShape(got, expected)) {
            throw new TestFailure('failed', `layerOutputShape(${showLayer(c.layer)}, ${fmt(c.input)}) returned ${fmt(got)}, expected ${fmt(expected)}. ${hint}`);
          }
        },
        { examples, describe: describeLayerCase },
      ),
  };
}

function countTest(id: string, name: string, points: number, fn: 'layerParams' | 'layerMacs', arb: fc.Arbitrary<LayerCase>, examples: LayerCase[], hint: string): SuiteTest {
  return {
    id,
    name,
    points,
    run: (ctx) =>
      checkProperty(
        ctx,
        arb,
        async (c) => {
          const ref = refLayerInfo(c.layer, c.input);
          const expected = fn === 'layerParams' ? ref.params : ref.macs;
          const call = `${fn}(${showLayer(c.layer)}, ${fmt(c.input)})`;
          const got = expectNumber(await ctx.call(fn, [c.layer, c.input]), call);
          if (got === expected) return;
          let note = '';
          if (fn === 'layerMacs' && c.layer.type === 'conv') {
            // The cost needs H' x W'. Right for the submission's own output size: the shape bug
            // is charged to the shape tests, not here.
            const own = await unlessFailed(() => studentShape(ctx, c));
            if (own && !sameShape(own, ref.outputShape) && own.length === 3) {
              const { filters, kernel } = c.layer;
              if (got === filters * c.input[0] * kernel * kernel * own[1] * own[2]) return;
              note = ` (Your layerOutputShape gives ${fmt(own)} here, expected ${fmt(ref.outputShape)}; fix it too.)`;
            }
          }
          throw new TestFailure('failed', `${call} returned ${got}, expected ${expected}. ${hint}${note}`);
        },
        { examples, describe: describeLayerCase },
      ),
  };
}

/** What `analyzeModel` returns, read and validated. */
interface Counts {
  readonly shapes: number[][];
  readonly params: number;
  readonly macs: number;
}

async function studentAnalyze(ctx: TestContext, model: ModelSpec): Promise<Counts> {
  const r = await ctx.call('analyzeModel', [model]);
  const shapes = expectKey(r, 'shapes', 'analyzeModel');
  if (!Array.isArray(shapes)) throw new TestFailure('failed', `analyzeModel: shapes must be a list of shapes, one per layer; got ${describeValue(shapes)}`);
  return {
    shapes: shapes.map((s, i) => expectShape(s, `analyzeModel: shapes[${i}]`)),
    params: expectNumber(expectKey(r, 'params', 'analyzeModel'), 'analyzeModel: params'),
    macs: expectNumber(expectKey(r, 'macs', 'analyzeModel'), 'analyzeModel: macs'),
  };
}

/**
 * The walk `analyzeModel` should do, made with the submission's OWN per-layer functions; null
 * when one of them throws or returns something malformed.
 */
async function ownWalk(ctx: TestContext, model: ModelSpec): Promise<Counts | null> {
  return unlessFailed(async () => {
    let shape: readonly number[] = model.inputShape;
    const shapes: number[][] = [];
    let params = 0;
    let macs = 0;
    for (const layer of model.layers) {
      const out = await studentShape(ctx, { layer, input: shape });
      params += expectNumber(await ctx.call('layerParams', [layer, shape]), 'layerParams');
      macs += expectNumber(await ctx.call('layerMacs', [layer, shape]), 'layerMacs');
      shapes.push(out);
      shape = out;
    }
    return { shapes, params, macs };
  });
}

/** Null if the shapes agree, else the first difference in words. */
function shapesProblem(got: readonly (readonly number[])[], model: ModelSpec, ref: ModelInfo): string | null {
  if (got.length !== ref.layers.length) {
    return `analyzeModel returned ${got.length} shapes for ${ref.layers.length} layers; shapes has one entry per layer, the output of that layer (the input shape is not in it)`;
  }
  const i = ref.layers.findIndex((l, k) => !sameShape(got[k], l.outputShape));
  if (i < 0) return null;
  return `analyzeModel: shapes[${i}], the output of layer ${i + 1} (${showLayer(model.layers[i])}), is ${fmt(got[i])}, expected ${fmt(ref.layers[i].outputShape)}`;
}

function analyzeTest(id: string, name: string, points: number, part: 'shapes' | 'totals'): SuiteTest {
  return {
    id,
    name,
    points,
    run: (ctx) =>
      checkProperty(
        ctx,
        randomModels,
        async (c) => {
          const ref = refAnalyze(c.model);
          const got = await studentAnalyze(ctx, c.model);
          const problem =
            part === 'shapes'
              ? shapesProblem(got.shapes, c.model, ref)
              : got.params !== ref.params
                ? `analyzeModel: params is ${got.params}, expected ${ref.params} (the sum over the layers)`
                : got.macs !== ref.macs
                  ? `analyzeModel: macs is ${got.macs}, expected ${ref.macs} (the sum over the layers)`
                  : null;
          if (problem === null) return;
          // Right for the submission's own per-layer answers? Then the walk is right.
          const own = await ownWalk(ctx, c.model);
          if (own) {
            const agrees =
              part === 'shapes'
                ? got.shapes.length === own.shapes.length && got.shapes.every((s, i) => sameShape(s, own.shapes[i]))
                : got.params === own.params && got.macs === own.macs;
            if (agrees) return;
          }
          throw new TestFailure('failed', `${problem}.${part === 'totals' ? ' Add up layerParams and layerMacs of every layer, each on its own input shape (the previous layer\'s output).' : ' Each layer\'s input is the previous layer\'s output.'}`);
        },
        { examples: MODEL_EXAMPLES, describe: describeModelCase },
      ),
  };
}

/** Random networks: convolutions (numeric padding), pools (explicit stride), activations, then flatten and affine layers. */
const randomModels: fc.Arbitrary<ModelCase> = fc
  .record({
    input: fc.tuple(range(1, 3), range(4, 20), range(4, 20)),
    features: fc.array(
      fc.oneof(
        fc.record({ filters: range(1, 8), kernel: range(1, 3), stride: maybe(range(1, 2)), pad: maybe(range(0, 1)) }).map((f): LayerSpec => defined({ type: 'conv', ...f })),
        fc.record({ kernel: range(1, 3), stride: range(1, 2) }).map((f): LayerSpec => ({ type: 'maxpool', ...f })),
        elementwise,
      ),
      { maxLength: 7 },
    ),
    units: fc.array(range(1, 64), { minLength: 1, maxLength: 3 }),
  })
  .map(({ input, features, units }): ModelCase => {
    // keep the feature layers that fit, in order, so that every network is valid
    const layers: LayerSpec[] = [];
    let shape: readonly number[] = input;
    for (const l of features) {
      try {
        shape = refLayerInfo(l, shape).outputShape;
        layers.push(l);
      } catch {
        // does not fit: leave it out
      }
    }
    layers.push({ type: 'flatten' }, ...units.flatMap((u, i): LayerSpec[] => (i < units.length - 1 ? [{ type: 'affine', units: u }, { type: 'relu' }] : [{ type: 'affine', units: u }])));
    return { model: { name: 'random', inputShape: input, layers } };
  });

/** VGG-16 with `pad: 1` for `'same'` (the analyze tests leave `'same'` to its own test). */
function vgg16NumericPad(): ModelSpec {
  const m = refVgg(16);
  return { ...m, layers: m.layers.map((l) => (l.type === 'conv' && l.pad === 'same' ? { ...l, pad: (l.kernel - 1) / 2 } : l)) };
}

const MODEL_EXAMPLES: ModelCase[] = [
  { label: 'LeNet-5 (the library spec): 61,706 parameters', model: refLenet5() },
  {
    label: "AlexNet (torchvision's): 61,100,840 parameters",
    model: {
      name: 'AlexNet',
      inputShape: [3, 224, 224],
      layers: [
        { type: 'conv', filters: 64, kernel: 11, stride: 4, pad: 2 },
        { type: 'relu' },
        { type: 'maxpool', kernel: 3, stride: 2 },
        { type: 'conv', filters: 192, kernel: 5, pad: 2 },
        { type: 'relu' },
        { type: 'maxpool', kernel: 3, stride: 2 },
        { type: 'conv', filters: 384, kernel: 3, pad: 1 },
        { type: 'relu' },
        { type: 'conv', filters: 256, kernel: 3, pad: 1 },
        { type: 'relu' },
        { type: 'conv', filters: 256, kernel: 3, pad: 1 },
        { type: 'relu' },
        { type: 'maxpool', kernel: 3, stride: 2 },
        { type: 'flatten' },
        { type: 'dropout', p: 0.5 },
        { type: 'affine', units: 4096 },
        { type: 'relu' },
        { type: 'dropout', p: 0.5 },
        { type: 'affine', units: 4096 },
        { type: 'relu' },
        { type: 'affine', units: 1000 },
      ],
    },
  },
  { label: 'VGG-16 (pad 1 for "same"): 138,357,544 parameters', model: vgg16NumericPad() },
];

// -------------------------------------------------------------------------------------------
// Specs written by the submission

/**
 * A returned layer in a canonical form, defaults filled in (`'same'` as its number), so that
 * equivalent specs compare equal: `conv f=64 k=3 s=1 p=1`. Never throws: anything that is not
 * a layer becomes `"not a layer (...)"`.
 */
export function canonicalLayer(v: unknown): string {
  if (!isRecord(v) || typeof v.type !== 'string') return `not a layer (${describeValue(v)})`;
  const num = (x: unknown): string => (typeof x === 'number' ? String(x) : describeValue(x));
  switch (v.type) {
    case 'conv': {
      const k = v.kernel;
      const pad = v.pad === 'same' && typeof k === 'number' ? (k - 1) / 2 : (v.pad ?? 0);
      return `conv f=${num(v.filters)} k=${num(k)} s=${num(v.stride ?? 1)} p=${num(pad)}`;
    }
    case 'maxpool':
      return `maxpool k=${num(v.kernel)} s=${num(v.stride ?? v.kernel)} p=${num(v.pad ?? 0)}`;
    case 'affine':
      return `affine units=${num(v.units)}`;
    case 'dropout':
      return `dropout p=${num(v.p)}`;
    default:
      return v.type.slice(0, 40);
  }
}

/** Validates a returned list of layers. */
function expectLayers(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new TestFailure('failed', `${what} must be a list of layers, got ${describeValue(v)}`);
  return v;
}

/** Validates a returned model spec just enough to hand it to the reference `analyze`. */
function expectModel(v: unknown, fn: string): ModelSpec {
  const inputShape = expectKey(v, 'inputShape', fn);
  if (!Array.isArray(inputShape) || !inputShape.every((d) => typeof d === 'number')) {
    throw new TestFailure('failed', `${fn}: inputShape must be a list of numbers, got ${describeValue(inputShape)}`);
  }
  expectLayers(expectKey(v, 'layers', fn), `${fn}: layers`);
  return v as ModelSpec;
}

/** The reference `analyze` of a returned spec; a spec it rejects fails the case. */
function analyzeReturned(model: ModelSpec, fn: string): ModelInfo {
  try {
    return refAnalyze(model);
  } catch (e) {
    throw new TestFailure('failed', `the library's analyze rejects your ${fn}(): ${(e as Error)?.message ?? String(e)}`);
  }
}

/** Null if the two layer lists are the same up to defaults, else the first difference. */
function layersProblem(got: readonly unknown[], expected: readonly LayerSpec[], what: string): string | null {
  const g = got.map(canonicalLayer);
  const e = expected.map(canonicalLayer);
  const i = e.findIndex((x, k) => g[k] !== x);
  if (i < 0 && g.length === e.length) return null;
  if (i < 0) return `${what} has ${g.length} layers, expected ${e.length}: the extra ones start with ${g[e.length]}`;
  const all = e.length <= 12 ? ` (all layers expected: ${e.join(', ')})` : '';
  return `${what}: layer ${i + 1} is ${g[i] ?? 'missing'}, expected ${e[i]}${all}`;
}

/** VGG-16's blocks: convolutions and filters. */
const VGG16_BLOCKS: readonly (readonly [number, number])[] = [
  [2, 64],
  [2, 128],
  [3, 256],
  [3, 512],
  [3, 512],
];

/** The tests of exercise 04, worth 26 points. */
export const cnnArchitecturesSuite: Suite = {
  id: '04-cnn-architectures',
  title: 'CNN architectures',
  modules: ['architectures.ts'],
  // the library's shape math would answer layerOutputShape for the student
  forbiddenImports: ['convOutputSize', 'computeConv2DInfo', 'computePool2DInfo'],
  tests: [
    shapeTest(
      'shape-conv',
      'layerOutputShape: conv, stride 1-3 (or the default 1), padding 0-2',
      2,
      convNumeric,
      [
        fixed("LeNet-5's first convolution", { type: 'conv', filters: 6, kernel: 5 }, [1, 32, 32]),
        fixed("AlexNet's first convolution", { type: 'conv', filters: 64, kernel: 11, stride: 4, pad: 2 }, [3, 224, 224]),
        fixed('the lecture: a 1x1 conv shrinks 200 channels to 32', { type: 'conv', filters: 32, kernel: 1 }, [200, 32, 32]),
        fixed('the kernel exactly fits the padded input', { type: 'conv', filters: 1, kernel: 5, pad: 1 }, [1, 3, 3]),
      ],
      "H' = floor((H + 2*pad - K) / stride) + 1, likewise W'; a conv has F output channels; its stride defaults to 1 and its pad to 0.",
    ),
    shapeTest(
      'shape-same',
      "layerOutputShape: conv with pad 'same' (odd kernel 1-7, stride 1)",
      1,
      convSame,
      [fixed("VGG's 3x3 'same' convolution", { type: 'conv', filters: 64, kernel: 3, stride: 1, pad: 'same' }, [3, 224, 224])],
      "pad 'same' is (K - 1) / 2 zeros on each side, so H' = H and W' = W.",
    ),
    shapeTest(
      'shape-pool',
      'layerOutputShape: maxpool with a stride (1-3), padding 0 to kernel/2',
      2,
      pools(true),
      [
        fixed("VGG's 2x2 pooling, stride 2", { type: 'maxpool', kernel: 2, stride: 2 }, [64, 224, 224]),
        fixed("AlexNet's overlapping 3x3 pooling, stride 2", { type: 'maxpool', kernel: 3, stride: 2 }, [64, 55, 55]),
        fixed('an odd size is rounded down', { type: 'maxpool', kernel: 2, stride: 2 }, [512, 7, 7]),
      ],
      "A max pool keeps the channels; H' = floor((H + 2*pad - K) / stride) + 1, likewise W'.",
    ),
    shapeTest(
      'shape-pool-default-stride',
      'layerOutputShape: maxpool without a stride moves by its window (PyTorch)',
      1,
      pools(false),
      [fixed('2x2 window, no stride given', { type: 'maxpool', kernel: 2 }, [16, 10, 10])],
      "A max pool's stride defaults to its window size (PyTorch's MaxPool2d), not to 1.",
    ),
    shapeTest(
      'shape-other',
      'layerOutputShape: relu, tanh, dropout keep the shape; flatten; affine',
      1,
      otherLayers,
      [fixed('LeNet-5 before its classifier', { type: 'flatten' }, [16, 5, 5]), fixed("LeNet-5's first fully connected layer", { type: 'affine', units: 120 }, [400])],
      'ReLU, tanh and dropout keep the shape; flatten gives [C*H*W]; affine gives [units].',
    ),
    {
      id: 'shape-rejects',
      name: 'layerOutputShape: throws when a kernel or window does not fit the padded input',
      points: 1,
      run: (ctx) =>
        checkProperty(
          ctx,
          notFitting,
          async (c) => {
            let returned: unknown;
            try {
              returned = await ctx.call('layerOutputShape', [c.layer, c.input]);
            } catch (e) {
              if (e instanceof TestFailure && e.status === 'error' && !e.fatal) return; // it threw: right
              throw e;
            }
            throw new TestFailure(
              'failed',
              `layerOutputShape(${showLayer(c.layer)}, ${fmt(c.input)}) returned ${Array.isArray(returned) ? fmt(returned) : describeValue(returned)}, but the window does not fit the padded input (K > H + 2*pad or K > W + 2*pad): throw a ShapeError.`,
            );
          },
          {
            examples: [
              fixed('a 5x5 kernel on a 3x3 image', { type: 'conv', filters: 1, kernel: 5 }, [1, 3, 3]),
              fixed('a 3x3 window on a 2x2 image', { type: 'maxpool', kernel: 3 }, [1, 2, 2]),
              fixed('too narrow, tall enough', { type: 'maxpool', kernel: 2, stride: 2 }, [512, 8, 1]),
            ],
            describe: describeLayerCase,
          },
        ),
    },
    countTest(
      'params-conv',
      'layerParams: conv, F*C*K*K weights + F biases',
      2,
      'layerParams',
      convNumeric,
      [
        fixed("LeNet-5's first convolution", { type: 'conv', filters: 6, kernel: 5 }, [1, 32, 32]),
        fixed("LeNet-5's second convolution: each filter spans all 6 channels", { type: 'conv', filters: 16, kernel: 5 }, [6, 14, 14]),
      ],
      'A filter has C*K*K weights (it spans all C input channels) and one bias.',
    ),
    countTest(
      'params-affine',
      'layerParams: affine, D*units weights + units biases',
      1,
      'layerParams',
      affineLayers,
      [fixed("VGG-16's first fully connected layer", { type: 'affine', units: 4096 }, [25_088])],
      'An affine layer [D] -> [units] has a [D, units] weight matrix and one bias per unit.',
    ),
    countTest(
      'macs-conv',
      'layerMacs: conv, F*C*K*K per output position',
      2,
      'layerMacs',
      convNumeric,
      [
        fixed("the lecture's inception bottleneck, 1x1x200x32x32x16", { type: 'conv', filters: 16, kernel: 1 }, [200, 32, 32]),
        fixed("the lecture's inception 5x5 conv (pad 2 = 'same'), 5x5x16x32x32x92", { type: 'conv', filters: 92, kernel: 5, pad: 2 }, [16, 32, 32]),
        fixed("the lecture's direct 5x5 conv, 471,040,000", { type: 'conv', filters: 92, kernel: 5, pad: 2 }, [200, 32, 32]),
      ],
      "Each of the F*H'*W' outputs is a sum of C*K*K products.",
    ),
    countTest(
      'macs-affine',
      'layerMacs: affine, D*units',
      1,
      'layerMacs',
      affineLayers,
      [fixed("LeNet-5's first fully connected layer", { type: 'affine', units: 120 }, [400])],
      'An affine layer multiplies each of its D inputs by each of its units weights; bias additions are not counted.',
    ),
    {
      id: 'params-macs-none',
      name: 'layerParams and layerMacs: 0 for maxpool, relu, tanh, dropout, flatten',
      points: 1,
      run: (ctx) =>
        checkProperty(
          ctx,
          weightless,
          async (c) => {
            for (const fn of ['layerParams', 'layerMacs'] as const) {
              const call = `${fn}(${showLayer(c.layer)}, ${fmt(c.input)})`;
              const got = expectNumber(await ctx.call(fn, [c.layer, c.input]), call);
              if (got !== 0) {
                throw new TestFailure('failed', `${call} returned ${got}, expected 0: pooling, activations, dropout and flatten have no weights, and only multiply-adds with weights are counted.`);
              }
              // A function that answers 0 to everything is right here by accident: it must tell a
              // layer with weights apart (the value itself is graded by the params-/macs- tests).
              const weighted: LayerSpec = c.input.length === 3 ? { type: 'conv', filters: 2, kernel: 1 } : { type: 'affine', units: 2 };
              const other = `${fn}(${showLayer(weighted)}, ${fmt(c.input)})`;
              if (expectNumber(await ctx.call(fn, [weighted, c.input]), other) === 0) {
                throw new TestFailure('failed', `${other} returned 0: a layer with weights has parameters and multiply-adds. This test gives its point for telling weightless layers (0) from weighted ones (not 0).`);
              }
            }
          },
          { examples: [fixed("VGG's 2x2 pooling", { type: 'maxpool', kernel: 2, stride: 2 }, [64, 224, 224])], describe: describeLayerCase },
        ),
    },
    analyzeTest('analyze-shapes', 'analyzeModel: shapes, one output shape per layer', 1, 'shapes'),
    analyzeTest('analyze-totals', 'analyzeModel: params and macs, summed over the layers', 2, 'totals'),
    {
      id: 'vgg-block',
      name: "vggBlock: convs x (3x3 conv stride 1 'same' + ReLU), then 2x2 max pool stride 2",
      points: 2,
      run: (ctx) =>
        checkProperty(
          ctx,
          fc.record({ convs: range(1, 4), filters: range(1, 512) }),
          async ({ convs, filters }) => {
            const fn = `vggBlock(${convs}, ${filters})`;
            const got = expectLayers(await ctx.call('vggBlock', [convs, filters]), fn);
            const problem = layersProblem(got, refVggBlock(convs, filters), fn);
            if (problem) throw new TestFailure('failed', `${problem}.`);
          },
          {
            examples: [
              { convs: 2, filters: 64, label: "VGG-16's first block" },
              { convs: 3, filters: 256, label: "VGG-16's third block" },
            ],
            describe: (c: { convs: number; filters: number; label?: string }) => `${c.label ? `${c.label}: ` : ''}vggBlock(${c.convs}, ${c.filters})`,
          },
        ),
    },
    {
      id: 'lenet5-params',
      name: 'lenet5: 61,706 parameters, [1,32,32] -> [10]',
      points: 2,
      run: (ctx) =>
        checkProperty(
          ctx,
          fc.constant({ label: 'lenet5()' }),
          async () => {
            const model = expectModel(await ctx.call('lenet5', []), 'lenet5');
            if (!sameShape(model.inputShape, [1, 32, 32])) throw new TestFailure('failed', `lenet5: inputShape is ${fmt(model.inputShape)}, expected [1,32,32] (a 32x32 grey digit)`);
            const info = analyzeReturned(model, 'lenet5');
            if (!sameShape(info.outputShape, [10])) throw new TestFailure('failed', `lenet5: the output shape is ${fmt(info.outputShape)}, expected [10] (10 digit classes)`);
            if (info.params !== 61_706) {
              const rows = info.layers.map((l) => `${canonicalLayer(l.spec)}: ${l.params}`).join(', ');
              throw new TestFailure('failed', `lenet5 has ${info.params} parameters, expected 61,706. Per layer: ${rows}`);
            }
          },
          { describe: (c) => c.label },
        ),
    },
    {
      id: 'lenet5-layers',
      name: 'lenet5: conv 6@5x5, ReLU, pool, conv 16@5x5, ReLU, pool, flatten, 120, ReLU, 84, ReLU, 10',
      points: 1,
      run: (ctx) =>
        checkProperty(
          ctx,
          fc.constant({ label: 'lenet5()' }),
          async () => {
            const layers = expectLayers(expectKey(await ctx.call('lenet5', []), 'layers', 'lenet5'), 'lenet5: layers');
            const problem = layersProblem(layers, refLenet5().layers, 'lenet5');
            if (problem) throw new TestFailure('failed', `${problem}.`);
          },
          { describe: (c) => c.label },
        ),
    },
    {
      id: 'vgg16',
      name: 'vgg16: five vggBlocks (2-2-3-3-3 convs, 64-128-256-512-512 filters) and the classifier, 138,357,544 parameters; the given alexnet() unchanged',
      points: 3,
      run: (ctx) =>
        checkProperty(
          ctx,
          fc.constant({ label: 'vgg16()' }),
          async () => {
            // alexnet() is given in the stub, graded all the same (here, so an untouched stub earns
            // nothing): an edited AlexNet, a stride or padding changed while experimenting, must not go unseen.
            const alex = expectModel(await ctx.call('alexnet', []), 'alexnet');
            const alexProblem = sameShape(alex.inputShape, [3, 224, 224]) ? layersProblem(alex.layers, refAlexnet().layers, 'alexnet') : `alexnet: inputShape is ${fmt(alex.inputShape)}, expected [3,224,224]`;
            if (alexProblem) throw new TestFailure('failed', `${alexProblem}. alexnet() is given in the exercise: restore it (torchvision's AlexNet, 61,100,840 parameters).`);
            const model = expectModel(await ctx.call('vgg16', []), 'vgg16');
            if (!sameShape(model.inputShape, [3, 224, 224])) throw new TestFailure('failed', `vgg16: inputShape is ${fmt(model.inputShape)}, expected [3,224,224]`);
            const reference = refVgg(16);
            const problem = layersProblem(model.layers, reference.layers, 'vgg16');
            if (problem === null) return;
            // Built right from the submission's own vggBlock? Then a block bug is vgg-block's.
            const own = await unlessFailed(async () => {
              const blocks: unknown[] = [];
              for (const [convs, filters] of VGG16_BLOCKS) blocks.push(...expectLayers(await ctx.call('vggBlock', [convs, filters]), 'vggBlock'));
              return blocks;
            });
            if (own !== null && layersProblem(model.layers, [...(own as LayerSpec[]), ...reference.layers.slice(-8)], 'vgg16') === null) return;
            let count = '';
            try {
              count = ` Your vgg16() has ${refAnalyze(model).params.toLocaleString('en-US')} parameters.`;
            } catch {
              // the spec does not even fit together; the layer difference says enough
            }
            throw new TestFailure('failed', `${problem}.${count}`);
          },
          { describe: (c) => c.label },
        ),
    },
  ],
};
