import { forAll, thrownBy } from '@dlkata/exercise-support';
import { ShapeError } from '@dlkata/tensor';
import {
  analyze as referenceAnalyze,
  layerInfo as referenceLayerInfo,
  lenet5 as referenceLenet5,
  vgg as referenceVgg,
  vggBlock as referenceVggBlock,
} from '@dlkata/layers';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  alexnet,
  analyzeModel,
  layerMacs,
  layerOutputShape,
  layerParams,
  lenet5,
  vgg16,
  vggBlock,
  type LayerSpec,
  type ModelSpec,
} from './architectures.js';

/** Seed of the property-based tests; a failure prints it with the counterexample, so it replays exactly. */
const SEED = 20_240_104;

/** A layer in words for test names and messages: `conv f=6 k=5 s=1 p=same`. */
function show(layer: LayerSpec): string {
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

/** Layer types in order, for structure checks. */
const typesOf = (m: ModelSpec): string[] => m.layers.map((l) => l.type);

// ---------------------------------------------------------------------------------------------
// Random layers that fit their input, drawn by fast-check.

/** A layer and the shape of one input example it is applied to. */
interface LayerCase {
  layer: LayerSpec;
  input: number[];
}

const int = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max });
const image = fc.tuple(int(1, 4), int(1, 12), int(1, 12)).map(([C, H, W]) => [C, H, W]);
const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });

/** Copies `o` without its undefined fields, so a spec has only the keys it sets. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const convCases: fc.Arbitrary<LayerCase> = fc.oneof(
  // numeric padding (or none), any stride (or the default)
  fc
    .record({ input: image, filters: int(1, 8), kernel: int(1, 5), stride: optional(int(1, 3)), pad: optional(int(0, 2)) })
    .map(({ input, ...f }) => ({ input, layer: defined({ type: 'conv' as const, ...f }) })),
  // 'same' padding: odd kernel, stride 1 (or the default)
  fc
    .record({ input: image, filters: int(1, 8), half: int(0, 3), stride: fc.constantFrom(1, undefined) })
    .map(({ input, filters, half, stride }) => ({ input, layer: defined({ type: 'conv' as const, filters, kernel: 2 * half + 1, stride, pad: 'same' as const }) })),
);
const poolCases: fc.Arbitrary<LayerCase> = int(1, 4).chain((kernel) =>
  fc
    .record({ input: image, stride: optional(int(1, 3)), pad: optional(int(0, Math.floor(kernel / 2))) })
    .map(({ input, ...f }) => ({ input, layer: defined({ type: 'maxpool' as const, kernel, ...f }) })),
);
const otherCases: fc.Arbitrary<LayerCase> = fc.oneof(
  fc.record({ input: image, layer: fc.constantFrom<LayerSpec>({ type: 'relu' }, { type: 'tanh' }, { type: 'dropout', p: 0.5 }, { type: 'flatten' }) }),
  fc.record({ input: int(1, 500).map((D) => [D]), layer: int(1, 100).map((units): LayerSpec => ({ type: 'affine', units })) }),
);

/** True if the reference accepts the case (the kernel or window fits the padded input). */
function fits(c: LayerCase): boolean {
  try {
    referenceLayerInfo(c.layer, c.input);
    return true;
  } catch {
    return false;
  }
}
const layerCases = fc.oneof(convCases, poolCases, otherCases).filter(fits);

const name = (c: LayerCase): string => `${show(c.layer)} on [${c.input.join(',')}]`;

// ---------------------------------------------------------------------------------------------

describe('layerOutputShape', () => {
  test.each<[string, LayerSpec, number[], number[]]>([
    ["conv f=6 k=5 on [1,32,32]: [6,28,28] (LeNet-5's first layer)", { type: 'conv', filters: 6, kernel: 5 }, [1, 32, 32], [6, 28, 28]],
    ["conv f=64 k=11 s=4 p=2 on [3,224,224]: [64,55,55] (AlexNet's first layer)", { type: 'conv', filters: 64, kernel: 11, stride: 4, pad: 2 }, [3, 224, 224], [64, 55, 55]],
    ['conv f=32 k=1 on [200,32,32]: [32,32,32] (the lecture: a 1x1 conv shrinks 200 channels to 32)', { type: 'conv', filters: 32, kernel: 1 }, [200, 32, 32], [32, 32, 32]],
    ["conv f=64 k=3 s=1 p=same on [3,224,224]: [64,224,224] (VGG keeps height and width)", { type: 'conv', filters: 64, kernel: 3, stride: 1, pad: 'same' }, [3, 224, 224], [64, 224, 224]],
    ["conv f=92 k=5 p=same on [16,32,32]: [92,32,32] ('same' pads 2 for a 5x5 kernel)", { type: 'conv', filters: 92, kernel: 5, pad: 'same' }, [16, 32, 32], [92, 32, 32]],
    ['conv f=2 k=3 s=2 on [1,7,6]: [2,3,2] (rounded down)', { type: 'conv', filters: 2, kernel: 3, stride: 2 }, [1, 7, 6], [2, 3, 2]],
    ['conv f=1 k=5 p=1 on [1,3,3]: [1,1,1] (the kernel exactly fits the padded input)', { type: 'conv', filters: 1, kernel: 5, pad: 1 }, [1, 3, 3], [1, 1, 1]],
  ])('%s', (_, layer, input, expected) => {
    expect(layerOutputShape(layer, input), `layerOutputShape(${show(layer)}, [${input}])`).toEqual(expected);
  });

  test.each<[string, LayerSpec, number[], number[]]>([
    ['maxpool k=2 s=2 on [6,28,28]: [6,14,14] (halves H and W, keeps the channels)', { type: 'maxpool', kernel: 2, stride: 2 }, [6, 28, 28], [6, 14, 14]],
    ['maxpool k=2 on [16,10,10]: [16,5,5] (the stride defaults to the window, as in PyTorch)', { type: 'maxpool', kernel: 2 }, [16, 10, 10], [16, 5, 5]],
    ["maxpool k=3 s=2 on [64,55,55]: [64,27,27] (AlexNet's overlapping pooling)", { type: 'maxpool', kernel: 3, stride: 2 }, [64, 55, 55], [64, 27, 27]],
    ['maxpool k=3 s=2 p=1 on [4,5,6]: [4,3,3] (padding)', { type: 'maxpool', kernel: 3, stride: 2, pad: 1 }, [4, 5, 6], [4, 3, 3]],
    ['maxpool k=2 s=2 on [512,7,7]: [512,3,3] (an odd size is rounded down)', { type: 'maxpool', kernel: 2, stride: 2 }, [512, 7, 7], [512, 3, 3]],
  ])('%s', (_, layer, input, expected) => {
    expect(layerOutputShape(layer, input), `layerOutputShape(${show(layer)}, [${input}])`).toEqual(expected);
  });

  test.each<[string, LayerSpec, number[], number[]]>([
    ['relu on [6,28,28]: unchanged', { type: 'relu' }, [6, 28, 28], [6, 28, 28]],
    ['tanh on [84]: unchanged', { type: 'tanh' }, [84], [84]],
    ['dropout p=0.5 on [4096]: unchanged', { type: 'dropout', p: 0.5 }, [4096], [4096]],
    ['flatten on [16,5,5]: [400]', { type: 'flatten' }, [16, 5, 5], [400]],
    ['affine units=120 on [400]: [120]', { type: 'affine', units: 120 }, [400], [120]],
  ])('%s', (_, layer, input, expected) => {
    expect(layerOutputShape(layer, input), `layerOutputShape(${show(layer)}, [${input}])`).toEqual(expected);
  });

  test('returns a new array, not the input (relu on [3,4,4])', () => {
    const input = [3, 4, 4];
    const out = layerOutputShape({ type: 'relu' }, input);
    expect(out).toEqual(input);
    expect(out, 'layerOutputShape(relu) must return a copy: the caller may change it').not.toBe(input);
  });

  test.each<[string, LayerSpec, number[]]>([
    ['conv k=5 on [1,3,3]', { type: 'conv', filters: 1, kernel: 5 }, [1, 3, 3]],
    ['conv k=5 p=1 on [1,2,9] (too short, wide enough)', { type: 'conv', filters: 1, kernel: 5, pad: 1 }, [1, 2, 9]],
    ['maxpool k=3 on [1,2,2]', { type: 'maxpool', kernel: 3 }, [1, 2, 2]],
    ['maxpool k=2 s=2 on [512,8,1] (too narrow)', { type: 'maxpool', kernel: 2, stride: 2 }, [512, 8, 1]],
  ])('%s does not fit: ShapeError', (_, layer, input) => {
    const err = thrownBy(() => layerOutputShape(layer, input));
    expect(err, `layerOutputShape(${show(layer)}, [${input}]) should throw a ShapeError`).toBeInstanceOf(ShapeError);
  });

  test(`random layers: the output shape of the reference layerInfo (seed ${SEED})`, () => {
    forAll(layerCases, { seed: SEED, runs: 300 }, (c) => {
      expect(layerOutputShape(c.layer, c.input), `layerOutputShape: ${name(c)}`).toEqual([...referenceLayerInfo(c.layer, c.input).outputShape]);
    });
  });
});

describe('layerParams', () => {
  test.each<[string, LayerSpec, number[], number]>([
    ["conv f=6 k=5 on [1,32,32]: 6*1*5*5 + 6 = 156 (LeNet-5's first layer)", { type: 'conv', filters: 6, kernel: 5 }, [1, 32, 32], 156],
    ['conv f=16 k=5 on [6,14,14]: 16*6*5*5 + 16 = 2,416 (each filter spans all 6 channels)', { type: 'conv', filters: 16, kernel: 5 }, [6, 14, 14], 2416],
    ['conv f=32 k=1 on [200,32,32]: 32*200 + 32 = 6,432 (the lecture 1x1 conv)', { type: 'conv', filters: 32, kernel: 1 }, [200, 32, 32], 6432],
    ['affine units=120 on [400]: 400*120 + 120 = 48,120', { type: 'affine', units: 120 }, [400], 48_120],
    ["affine units=4096 on [25088]: 102,764,544 (VGG-16's first fully connected layer)", { type: 'affine', units: 4096 }, [25_088], 102_764_544],
  ])('%s', (_, layer, input, expected) => {
    expect(layerParams(layer, input), `layerParams(${show(layer)}, [${input}])`).toBe(expected);
  });

  test('maxpool, relu, tanh, dropout, flatten: no parameters', () => {
    const free: LayerSpec[] = [{ type: 'maxpool', kernel: 2, stride: 2 }, { type: 'relu' }, { type: 'tanh' }, { type: 'dropout', p: 0.5 }, { type: 'flatten' }];
    for (const layer of free) expect(layerParams(layer, [16, 10, 10]), `layerParams(${show(layer)}, [16,10,10])`).toBe(0);
  });

  test(`random layers: the parameters of the reference layerInfo (seed ${SEED})`, () => {
    forAll(layerCases, { seed: SEED, runs: 300 }, (c) => {
      expect(layerParams(c.layer, c.input), `layerParams: ${name(c)}`).toBe(referenceLayerInfo(c.layer, c.input).params);
    });
  });
});

describe('layerMacs', () => {
  test("the lecture's inception cost: 1x1x200x32x32x16 + 5x5x16x32x32x92 = 40,960,000, about a tenth of the direct 5x5 conv's 471,040,000", () => {
    const bottleneck = layerMacs({ type: 'conv', filters: 16, kernel: 1 }, [200, 32, 32]);
    const conv5 = layerMacs({ type: 'conv', filters: 92, kernel: 5, pad: 'same' }, [16, 32, 32]);
    const direct = layerMacs({ type: 'conv', filters: 92, kernel: 5, pad: 'same' }, [200, 32, 32]);
    expect(bottleneck, 'layerMacs: 1x1 conv, 16 filters on [200,32,32]').toBe(1 * 1 * 200 * 32 * 32 * 16);
    expect(conv5, "layerMacs: 5x5 'same' conv, 92 filters on [16,32,32]").toBe(5 * 5 * 16 * 32 * 32 * 92);
    expect(bottleneck + conv5, 'the lecture: "about 40 million"').toBe(40_960_000);
    expect(direct, "layerMacs: 5x5 'same' conv, 92 filters on [200,32,32]").toBe(471_040_000);
  });

  test.each<[string, LayerSpec, number[], number]>([
    ['conv f=6 k=5 on [1,32,32]: 6*1*5*5 * 28*28 = 117,600 (LeNet-5)', { type: 'conv', filters: 6, kernel: 5 }, [1, 32, 32], 117_600],
    ['conv f=2 k=3 s=2 on [3,7,6]: 2*3*3*3 * 3*2 = 324 (stride: fewer positions)', { type: 'conv', filters: 2, kernel: 3, stride: 2 }, [3, 7, 6], 324],
    ['affine units=120 on [400]: 48,000 (the bias adds are not counted)', { type: 'affine', units: 120 }, [400], 48_000],
  ])('%s', (_, layer, input, expected) => {
    expect(layerMacs(layer, input), `layerMacs(${show(layer)}, [${input}])`).toBe(expected);
  });

  test('maxpool, relu, tanh, dropout, flatten: 0', () => {
    const free: LayerSpec[] = [{ type: 'maxpool', kernel: 2, stride: 2 }, { type: 'relu' }, { type: 'tanh' }, { type: 'dropout', p: 0.5 }, { type: 'flatten' }];
    for (const layer of free) expect(layerMacs(layer, [16, 10, 10]), `layerMacs(${show(layer)}, [16,10,10])`).toBe(0);
  });

  test(`random layers: the multiply-adds of the reference layerInfo (seed ${SEED})`, () => {
    forAll(layerCases, { seed: SEED, runs: 300 }, (c) => {
      expect(layerMacs(c.layer, c.input), `layerMacs: ${name(c)}`).toBe(referenceLayerInfo(c.layer, c.input).macs);
    });
  });
});

/** A random sequential network that fits: a few conv/pool/activation layers, flatten, then affine layers. */
const modelCases: fc.Arbitrary<ModelSpec> = fc
  .record({
    input: fc.tuple(int(1, 3), int(4, 16), int(4, 16)),
    features: fc.array(
      fc.oneof(
        fc.record({ filters: int(1, 8), kernel: int(1, 3), stride: optional(int(1, 2)), pad: optional(fc.constantFrom<number | 'same'>(0, 1, 'same')) }).map((f): LayerSpec =>
          f.pad === 'same' ? defined({ type: 'conv', filters: f.filters, kernel: 3, pad: 'same' }) : defined({ type: 'conv', ...f }),
        ),
        fc.record({ kernel: int(1, 3), stride: optional(int(1, 2)) }).map((f): LayerSpec => defined({ type: 'maxpool', ...f })),
        fc.constantFrom<LayerSpec>({ type: 'relu' }, { type: 'tanh' }, { type: 'dropout', p: 0.25 }),
      ),
      { maxLength: 6 },
    ),
    units: fc.array(int(1, 64), { minLength: 1, maxLength: 3 }),
  })
  .map(({ input, features, units }): ModelSpec => ({
    name: 'random',
    inputShape: input,
    layers: [...features, { type: 'flatten' }, ...units.flatMap((u): LayerSpec[] => [{ type: 'affine', units: u }, { type: 'relu' }])],
  }))
  .filter((m) => {
    try {
      referenceAnalyze(m);
      return true;
    } catch {
      return false;
    }
  });

describe('analyzeModel', () => {
  test('LeNet-5 (the library spec): 32 -> 28 -> 14 -> 10 -> 5 while the filters grow 1 -> 6 -> 16; 61,706 parameters, 416,520 multiply-adds', () => {
    const info = analyzeModel(referenceLenet5());
    expect(info.shapes, 'analyzeModel(LeNet-5): shapes').toEqual([
      [6, 28, 28], [6, 28, 28], [6, 14, 14],
      [16, 10, 10], [16, 10, 10], [16, 5, 5],
      [400], [120], [120], [84], [84], [10],
    ]);
    expect(info.params, 'analyzeModel(LeNet-5): params').toBe(61_706);
    // 6*25*28*28 + 16*6*25*10*10 + 400*120 + 120*84 + 84*10
    expect(info.macs, 'analyzeModel(LeNet-5): macs').toBe(117_600 + 240_000 + 48_000 + 10_080 + 840);
  });

  test('AlexNet (given alexnet()): 61,100,840 parameters (torchvision), 0.71 G multiply-adds (torchvision: "GFLOPS 0.71"), [256,6,6] before the classifier', () => {
    const info = analyzeModel(alexnet());
    expect(info.params, 'analyzeModel(AlexNet): params').toBe(61_100_840);
    expect(Math.round(info.macs / 1e7) / 100, 'analyzeModel(AlexNet): macs in billions, 2 decimals').toBe(0.71);
    expect(info.shapes[12], 'analyzeModel(AlexNet): shape after the last pooling').toEqual([256, 6, 6]);
    expect(info.shapes.at(-1), 'analyzeModel(AlexNet): softmax over 1000 classes').toEqual([1000]);
  });

  test('VGG-16 (the library spec): 138,357,544 parameters (the lecture: "138M"), 15.47 G multiply-adds (torchvision: "GFLOPS 15.47")', () => {
    const info = analyzeModel(referenceVgg(16));
    expect(info.params, 'analyzeModel(VGG-16): params').toBe(138_357_544);
    expect(Math.round(info.macs / 1e7) / 100, 'analyzeModel(VGG-16): macs in billions, 2 decimals').toBe(15.47);
  });

  test('one shape per layer, the input shape not included (flatten then affine on [2,3,3])', () => {
    const info = analyzeModel({ name: 'tiny', inputShape: [2, 3, 3], layers: [{ type: 'flatten' }, { type: 'affine', units: 4 }] });
    expect(info).toEqual({ shapes: [[18], [4]], params: 18 * 4 + 4, macs: 18 * 4 });
  });

  test('LeNet-5 without its flatten layer: ShapeError (an affine layer needs a flat input)', () => {
    const spec = referenceLenet5();
    const broken: ModelSpec = { ...spec, layers: spec.layers.filter((l) => l.type !== 'flatten') };
    expect(thrownBy(() => analyzeModel(broken)), 'analyzeModel should throw a ShapeError').toBeInstanceOf(ShapeError);
  });

  test(`random networks: shapes, params and macs of the reference analyze (seed ${SEED})`, () => {
    forAll(modelCases, { seed: SEED, runs: 100 }, (m) => {
      const ref = referenceAnalyze(m);
      const expected = { shapes: ref.layers.map((l) => [...l.outputShape]), params: ref.params, macs: ref.macs };
      expect(analyzeModel(m), `analyzeModel: ${m.layers.map(show).join(', ')} on [${m.inputShape.join(',')}]`).toEqual(expected);
    });
  });
});

describe('vggBlock', () => {
  test('vggBlock(2, 64): conv 3x3 s=1 same, relu, conv 3x3 s=1 same, relu, maxpool 2 s=2 (the library block)', () => {
    expect(vggBlock(2, 64)).toEqual(referenceVggBlock(2, 64));
  });

  test(`random blocks on random images: H and W halve (rounded down), the channels become the filters (seed ${SEED})`, () => {
    const cases = fc.record({ convs: int(1, 4), filters: int(1, 64), C: int(1, 16), H: int(2, 40), W: int(2, 40) });
    forAll(cases, { seed: SEED, runs: 100 }, ({ convs, filters, C, H, W }) => {
      const layers = vggBlock(convs, filters);
      const what = `vggBlock(${convs}, ${filters}) on [${C},${H},${W}]`;
      expect(layers.map((l) => l.type), `${what}: layer types`).toEqual([...Array.from({ length: convs }, () => ['conv', 'relu']).flat(), 'maxpool']);
      // the library's analyze as the oracle of what the block computes
      const info = referenceAnalyze({ name: 'block', inputShape: [C, H, W], layers });
      for (let i = 0; i < 2 * convs; i++) expect(info.layers[i].outputShape, `${what}: layer ${i} keeps H and W`).toEqual([filters, H, W]);
      expect(info.outputShape, `${what}: output`).toEqual([filters, Math.floor(H / 2), Math.floor(W / 2)]);
      expect(info.params, `${what}: params (3x3 kernels)`).toBe(9 * C * filters + filters + (convs - 1) * (9 * filters * filters + filters));
    });
  });

  test('VGG-19 built from your vggBlock (2, 2, 4, 4, 4 convs): 143,667,240 parameters (torchvision)', () => {
    const layers: LayerSpec[] = [
      ...vggBlock(2, 64),
      ...vggBlock(2, 128),
      ...vggBlock(4, 256),
      ...vggBlock(4, 512),
      ...vggBlock(4, 512),
      ...referenceVgg(19).layers.slice(-8), // flatten and the classifier
    ];
    expect(referenceAnalyze({ name: 'VGG-19', inputShape: [3, 224, 224], layers }).params).toBe(143_667_240);
  });
});

describe('lenet5', () => {
  test('61,706 parameters (the lecture: "about 60k"), input [1,32,32], 10 classes', () => {
    const spec = lenet5();
    expect(spec.name).toBe('LeNet-5');
    expect(spec.inputShape).toEqual([1, 32, 32]);
    const info = referenceAnalyze(spec);
    expect(info.params, 'parameters of your lenet5()').toBe(61_706);
    expect(info.outputShape, 'output of your lenet5()').toEqual([10]);
  });

  test('conv, ReLU, max pool, twice; flatten; fully connected 120, 84, 10 with ReLU in between', () => {
    const spec = lenet5();
    expect(typesOf(spec)).toEqual(['conv', 'relu', 'maxpool', 'conv', 'relu', 'maxpool', 'flatten', 'affine', 'relu', 'affine', 'relu', 'affine']);
    const shapes = referenceAnalyze(spec).layers.map((l) => l.outputShape);
    expect(shapes, 'output shapes of your lenet5()').toEqual(referenceAnalyze(referenceLenet5()).layers.map((l) => l.outputShape));
  });
});

describe('vgg16', () => {
  test('138,357,544 parameters (the lecture: "138M"), input [3,224,224], 1000 classes', () => {
    const spec = vgg16();
    expect(spec.name).toBe('VGG-16');
    expect(spec.inputShape).toEqual([3, 224, 224]);
    const info = referenceAnalyze(spec);
    expect(info.params, 'parameters of your vgg16()').toBe(138_357_544);
    expect(info.outputShape, 'output of your vgg16()').toEqual([1000]);
  });

  test('16 layers with weights (13 conv + 3 fully connected); 224 -> 112 -> 56 -> 28 -> 14 -> 7 with 64-128-256-512-512 filters', () => {
    const spec = vgg16();
    expect(spec.layers.filter((l) => l.type === 'conv' || l.type === 'affine').length, 'layers with weights').toBe(16);
    const info = referenceAnalyze(spec);
    const afterPools = info.layers.filter((l) => l.spec.type === 'maxpool').map((l) => l.outputShape);
    expect(afterPools, 'shape after each block').toEqual([[64, 112, 112], [128, 56, 56], [256, 28, 28], [512, 14, 14], [512, 7, 7]]);
    expect(typesOf(spec).slice(-8), 'the classifier').toEqual(['flatten', 'affine', 'relu', 'dropout', 'affine', 'relu', 'dropout', 'affine']);
  });
});
