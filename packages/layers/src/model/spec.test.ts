import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '@dlkata/tensor';
import { inceptionMultiplies, inceptionParamShapes } from '../inception.js';
import { initResidualBlockParams } from '../residual.js';
import { avgPool2dLike, maxPool2dForward } from './spec-test-oracles.js';
import { analyze, layerInfo, summary, type LayerSpec, type ModelSpec } from './spec.js';
import { alexnet, googlenet, lenet5, resnet, vgg, vggBlock } from './zoo.js';

// Oracles: parameter counts published by torchvision's model documentation and the
// LeNet-5 literature, and the lecture's inception-cost example. Not computed by this code.
describe('published parameter counts', () => {
  it('LeNet-5, 32x32 input, full C3: 61,706 parameters (the lecture: about 60k)', () => {
    const info = analyze(lenet5());
    expect(info.params).toBe(61_706);
    expect(info.outputShape).toEqual([10]);
    // width and height shrink while the number of filters grows
    expect(info.layers.filter((l) => l.spec.type !== 'relu').slice(0, 6).map((l) => l.outputShape)).toEqual([
      [6, 28, 28],
      [6, 14, 14],
      [16, 10, 10],
      [16, 5, 5],
      [400],
      [120],
    ]);
  });

  it('AlexNet (torchvision), 3x224x224: 61,100,840 parameters, 1000 classes', () => {
    const info = analyze(alexnet());
    expect(info.params).toBe(61_100_840);
    expect(info.outputShape).toEqual([1000]);
    expect(info.layers[0].outputShape).toEqual([64, 55, 55]);
  });

  it('VGG-16: 138,357,544 parameters; VGG-19: 143,667,240', () => {
    expect(analyze(vgg(16)).params).toBe(138_357_544);
    expect(analyze(vgg(19)).params).toBe(143_667_240);
    expect(analyze(vgg(16)).layers.filter((l) => l.params > 0)).toHaveLength(16);
    expect(analyze(vgg(19)).layers.filter((l) => l.params > 0)).toHaveLength(19);
  });

  it("VGG-16 multiply-adds: 15.47 G per 224x224 image (torchvision's 15.47 GFLOPS, counted as MACs)", () => {
    expect(analyze(vgg(16)).macs / 1e9).toBeCloseTo(15.47, 2);
  });
});

describe('the lecture: inception cost of a 1x1 bottleneck', () => {
  it('32x32x200 -> 1x1 conv 16 -> 5x5 conv 92: 40,960,000 multiplications vs 471,040,000 direct', () => {
    const bottleneck: ModelSpec = {
      name: 'bottleneck',
      inputShape: [200, 32, 32],
      layers: [
        { type: 'conv', filters: 16, kernel: 1 },
        { type: 'relu' },
        { type: 'conv', filters: 92, kernel: 5, pad: 'same' },
        { type: 'relu' },
      ],
    };
    const direct: ModelSpec = { name: 'direct', inputShape: [200, 32, 32], layers: [{ type: 'conv', filters: 92, kernel: 5, pad: 'same' }] };
    expect(analyze(bottleneck).macs).toBe(1 * 1 * 200 * 32 * 32 * 16 + 5 * 5 * 16 * 32 * 32 * 92);
    expect(analyze(bottleneck).macs).toBe(40_960_000);
    expect(analyze(direct).macs).toBe(471_040_000);
    expect(analyze(bottleneck).outputShape).toEqual([92, 32, 32]);
  });
});

describe('VGG block: 3x3 stride 1 same convs, 2x2 max pool stride 2', () => {
  it('vggBlock(2, 128) on [64, 56, 56] -> [128, 28, 28]', () => {
    const info = analyze({ name: 'block', inputShape: [64, 56, 56], layers: vggBlock(2, 128) });
    expect(info.layers.map((l) => l.outputShape)).toEqual([
      [128, 56, 56],
      [128, 56, 56],
      [128, 56, 56],
      [128, 56, 56],
      [128, 28, 28],
    ]);
    expect(info.params).toBe(64 * 128 * 9 + 128 + 128 * 128 * 9 + 128);
  });
  it('rejects zero convs or filters with the op name', () => {
    expect(() => vggBlock(0, 64)).toThrow('vggBlock: convs must be an integer >= 1, got 0');
    expect(() => vggBlock(2, 0)).toThrow('vggBlock: filters must be an integer >= 1, got 0');
  });
});

describe('errors name the layer and the shape', () => {
  it('affine on an unflattened image', () => {
    expect(() => layerInfo({ type: 'affine', units: 10 }, [16, 5, 5], 'fc1')).toThrow(
      'fc1 (affine): needs a flat input [D], got [16,5,5]; add a flatten layer before it',
    );
  });
  it('a kernel larger than the input', () => {
    expect(() => analyze({ name: 'tiny', inputShape: [1, 4, 4], layers: [{ type: 'conv', filters: 2, kernel: 5 }] })).toThrow(/Conv2d-1 \(conv\): kernel height 5 does not fit input height 4/);
  });
  it('unknown layer type', () => {
    expect(() => layerInfo({ type: 'softmax' } as never, [10])).toThrow('layerInfo: unknown layer type "softmax"');
  });
  it.each<[string, Record<string, unknown>, string]>([
    ['groups on a conv', { type: 'conv', filters: 4, kernel: 3, groups: 2 }, 'groups'],
    ['paddingMode on a conv', { type: 'conv', filters: 4, kernel: 3, paddingMode: 'reflect' }, 'paddingMode'],
    ['dilation on a max pool', { type: 'maxpool', kernel: 2, dilation: 2 }, 'dilation'],
    ['a misspelt bias', { type: 'conv', filters: 4, kernel: 3, biases: false }, 'biases'],
    ['units on a relu', { type: 'relu', units: 3 }, 'units'],
    ['expansion on a residual stage', { type: 'residual', block: 'basic', filters: 4, blocks: 1, expansion: 2 }, 'expansion'],
  ])('an unknown key is an error naming it and the accepted ones: %s', (_, layer, key) => {
    expect(() => layerInfo(layer as unknown as LayerSpec, [3, 8, 8], 'l')).toThrow(new RegExp(`l \\(\\w+\\): unknown option ${key} in layer \\(accepted: type, `));
  });
  it('an unknown key on the model itself', () => {
    expect(() => analyze({ ...lenet5(), input: [1, 32, 32] } as ModelSpec)).toThrow('analyze: unknown option input in model (accepted: name, inputShape, layers)');
  });
});

describe('summary()', () => {
  it('prints one row per layer with output shape, params and mult-adds, then totals', () => {
    const text = summary(lenet5());
    const lines = text.split('\n');
    expect(lines[0]).toBe('LeNet-5, input [1,32,32]');
    expect(text).toMatch(/conv1\s+\[6,28,28\]\s+156\s+117,600/);
    expect(text).toMatch(/fc1\s+\[120\]\s+48,120\s+48,000/);
    expect(text).toContain('Total params: 61,706');
    expect(lines.filter((l) => /^(conv|relu|pool|flatten|fc)\d?/.test(l))).toHaveLength(12);
  });
});

// Oracles: torchvision's published parameter counts and GFLOPS (multiply-adds) of its model
// documentation; not computed by this code.
describe('ResNet and GoogLeNet: torchvision\'s published counts', () => {
  it.each([
    [18, 11_689_512, 1.81],
    [34, 21_797_672, 3.66],
    [50, 25_557_032, 4.09],
    [101, 44_549_160, 7.8],
    [152, 60_192_808, 11.51],
  ] as const)('ResNet-%i: %i parameters, %f G multiply-adds per 224x224 image', (depth, params, gmacs) => {
    const info = analyze(resnet(depth));
    expect(info.params).toBe(params);
    expect(info.macs / 1e9).toBeCloseTo(gmacs, 2);
    expect(info.outputShape).toEqual([1000]);
  });
  it('ResNet-18 stage shapes: 56, 28, 14, 7 with 64, 128, 256, 512 channels', () => {
    const stages = analyze(resnet(18)).layers.filter((l) => l.spec.type === 'residual');
    expect(stages.map((l) => l.outputShape)).toEqual([
      [64, 56, 56],
      [128, 28, 28],
      [256, 14, 14],
      [512, 7, 7],
    ]);
  });
  it('GoogLeNet (torchvision, no auxiliary classifiers): 6,624,904 parameters, 1.50 G multiply-adds, inception (3a) 256 channels at 28x28', () => {
    const info = analyze(googlenet());
    expect(info.params).toBe(6_624_904);
    expect(info.macs / 1e9).toBeCloseTo(1.5, 2);
    expect(info.layers.find((l) => l.name === 'inception3a')!.outputShape).toEqual([256, 28, 28]);
    expect(info.layers.find((l) => l.name === 'inception5b')!.outputShape).toEqual([1024, 7, 7]);
  });
  it('a hand-composed ResNet-18 with biases in its convolutions counts 11,689,512 + the 4,800 biases it should not have', () => {
    const withBias = resnet(18).layers.map((l) => (l.type === 'conv' ? { ...l, bias: true } : l));
    // conv1's 64 biases only: the stages' convolutions are bias-free by their norm setting.
    expect(analyze({ ...resnet(18), layers: withBias }).params).toBe(11_689_512 + 64);
  });
});

describe('new layers against independent formulas', () => {
  const arb = fc.record({ C: fc.integer({ min: 1, max: 6 }), H: fc.integer({ min: 1, max: 20 }), W: fc.integer({ min: 1, max: 20 }), k: fc.integer({ min: 1, max: 5 }), s: fc.integer({ min: 1, max: 3 }), p: fc.integer({ min: 0, max: 2 }) });

  it('max pooling without ceilMode: the same output shape as maxPool2dForward (the runtime) on random sizes', () => {
    fc.assert(
      fc.property(arb, ({ C, H, W, k, s, p }) => {
        fc.pre(2 * p <= k && k <= H + 2 * p && k <= W + 2 * p);
        const x = new Rng(0).randn([1, C, H, W]);
        const runtime = maxPool2dForward(x, { kernel: k, stride: s, pad: p }).out.shape.slice(1);
        expect(layerInfo({ type: 'maxpool', kernel: k, stride: s, pad: p }, [C, H, W]).outputShape).toEqual(runtime);
        expect(layerInfo({ type: 'avgpool', kernel: k, stride: s, pad: p }, [C, H, W]).outputShape).toEqual(runtime);
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it('ceilMode: the windows a plain loop can place (each starting inside the input or its left padding)', () => {
    fc.assert(
      fc.property(arb, ({ C, H, W, k, s, p }) => {
        fc.pre(2 * p <= k && k <= H + 2 * p && k <= W + 2 * p);
        expect(layerInfo({ type: 'maxpool', kernel: k, stride: s, pad: p, ceilMode: true }, [C, H, W]).outputShape).toEqual([C, avgPool2dLike(H, k, s, p), avgPool2dLike(W, k, s, p)]);
      }),
      { seed: 8, numRuns: 200 },
    );
  });

  it('GoogLeNet\'s pools with ceilMode: 112 -> 56, 56 -> 28, 28 -> 14 (3x3, stride 2), 14 -> 7 (2x2)', () => {
    expect(layerInfo({ type: 'maxpool', kernel: 3, stride: 2, ceilMode: true }, [64, 112, 112]).outputShape).toEqual([64, 56, 56]);
    expect(layerInfo({ type: 'maxpool', kernel: 3, stride: 2 }, [64, 112, 112]).outputShape).toEqual([64, 55, 55]);
    expect(layerInfo({ type: 'maxpool', kernel: 2, stride: 2, ceilMode: true }, [832, 14, 14]).outputShape).toEqual([832, 7, 7]);
  });

  it('batch norm: 2C parameters (scale and shift), shape kept; adaptive average pooling to [OH, OW]', () => {
    expect(layerInfo({ type: 'batchnorm' }, [7, 5, 3])).toMatchObject({ params: 14, macs: 0, outputShape: [7, 5, 3] });
    expect(layerInfo({ type: 'adaptiveavgpool', output: 1 }, [512, 7, 7]).outputShape).toEqual([512, 1, 1]);
    expect(layerInfo({ type: 'adaptiveavgpool', output: [2, 3] }, [4, 9, 9]).outputShape).toEqual([4, 2, 3]);
  });

  it('bias: false removes exactly F parameters and no multiply-adds', () => {
    const a = layerInfo({ type: 'conv', filters: 5, kernel: 3, pad: 1 }, [2, 6, 6]);
    const b = layerInfo({ type: 'conv', filters: 5, kernel: 3, pad: 1, bias: false }, [2, 6, 6]);
    expect(a.params - b.params).toBe(5);
    expect(a.macs).toBe(b.macs);
  });

  it("a residual stage without norm counts what initResidualBlockParams allocates (the runtime's block)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), (C, F, stride, blocks) => {
        const info = layerInfo({ type: 'residual', block: 'basic', filters: F, blocks, stride, norm: 'none' }, [C, 8, 8]);
        let expected = 0;
        for (let b = 0; b < blocks; b++) {
          const p = initResidualBlockParams(b === 0 ? C : F, F, new Rng(0), { stride: b === 0 ? stride : 1 });
          expected += Object.values(p).reduce((a, t) => a + (t ? t.size : 0), 0);
        }
        expect(info.params).toBe(expected);
        expect(info.outputShape).toEqual([F, Math.floor((8 - 1) / stride) + 1, Math.floor((8 - 1) / stride) + 1]);
      }),
      { seed: 9, numRuns: 60 },
    );
  });

  it("an inception module without norm counts what the library's inception block has and costs (inceptionParamShapes, inceptionMultiplies)", () => {
    const spec = { c1: 64, c3reduce: 96, c3: 128, c5reduce: 16, c5: 32, poolProj: 32 };
    const info = layerInfo({ type: 'inception', ...spec }, [192, 28, 28]);
    const shapes = Object.values(inceptionParamShapes(192, spec));
    expect(info.params).toBe(shapes.reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0));
    expect(info.macs).toBe(inceptionMultiplies([192, 28, 28], spec).total);
    expect(info.macs).toBe(128_049_152); // the paper's Table 1: 128M for inception (3a)
    expect(info.outputShape).toEqual([256, 28, 28]);
  });

  it('summary() lists a stage and its blocks, and an inception module and its convolutions', () => {
    const text = summary(resnet(18));
    expect(text).toMatch(/^layer2\s+\[128,28,28\]\s+525,568\s+411,041,792$/m);
    expect(text).toMatch(/^ {2}layer2\.0\s+\[128,28,28\]\s+230,144/m);
    expect(text).toContain('Total params: 11,689,512');
  });
});

describe('the runtime refuses what it can only count', () => {
  it.each<[string, LayerSpec]>([
    ['batch norm', { type: 'batchnorm' }],
    ['a residual stage', { type: 'residual', block: 'basic', filters: 1, blocks: 1 }],
    ['a bias-free conv', { type: 'conv', filters: 1, kernel: 1, bias: false }],
    ['ceilMode', { type: 'maxpool', kernel: 2, ceilMode: true }],
  ])('%s', async (_, layer) => {
    const { createNetwork } = await import('./network.js');
    expect(() => createNetwork({ name: 'm', inputShape: [1, 4, 4], layers: [layer] }, new Rng(0))).toThrow(/createNetwork \(m\): layer .* can be counted/);
  });
});
