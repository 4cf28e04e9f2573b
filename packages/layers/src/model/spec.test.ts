import { describe, expect, it } from 'vitest';
import { analyze, layerInfo, summary, type ModelSpec } from './spec.js';
import { alexnet, lenet5, vgg, vggBlock } from './zoo.js';

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
