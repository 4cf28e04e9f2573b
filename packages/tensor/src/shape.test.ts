import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from './errors.js';
import { computeConv2DInfo, computePool2DInfo, convOutputSize, pair, samePadding } from './shape.js';

/** PyTorch's Conv2d / MaxPool2d output size (docs of torch.nn.Conv2d), written out independently. */
function torchOut(H: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((H + 2 * p - d * (k - 1) - 1) / s + 1);
}

describe('convOutputSize: published cases', () => {
  // name, H, k, s, p, d, published output size
  const cases: [string, number, number, number, number, number, number][] = [
    ['LeNet-5 C1', 32, 5, 1, 0, 1, 28],
    ['LeNet-5 S2 (2x2 pool)', 28, 2, 2, 0, 1, 14],
    ['LeNet-5 C3', 14, 5, 1, 0, 1, 10],
    ['AlexNet conv1', 227, 11, 4, 0, 1, 55],
    ['AlexNet overlapping pool', 55, 3, 2, 0, 1, 27],
    ['VGG conv3x3 same padding', 224, 3, 1, 1, 1, 224],
    ['VGG 2x2 pool', 224, 2, 2, 0, 1, 112],
    ['ResNet conv1 7x7/2', 224, 7, 2, 3, 1, 112],
    ['ResNet 3x3/2 max pool', 112, 3, 2, 1, 1, 56],
    ['1x1 conv', 28, 1, 1, 0, 1, 28],
    ['dilated 3x3, dilation 2, pad 2', 32, 3, 1, 2, 2, 32],
  ];
  for (const [name, H, k, s, p, d, expected] of cases) {
    it(`convOutputSize H=${H} k=${k} s=${s} p=${p} d=${d} -> ${expected} (${name})`, () => {
      expect(torchOut(H, k, s, p, d)).toBe(expected);
      expect(convOutputSize(H, k, s, p, d)).toBe(expected);
    });
  }

  it('convOutputSize H=7 k=3 s=2 p=0 -> 3 (floor: last column dropped)', () => {
    expect(convOutputSize(7, 3, 2)).toBe(3);
    expect(convOutputSize(8, 3, 2)).toBe(3);
  });

  it('convOutputSize H=5 k=5 -> 1 (kernel exactly fits)', () => {
    expect(convOutputSize(5, 5)).toBe(1);
  });

  it('property: convOutputSize equals PyTorch formula or throws ShapeError exactly when it is < 1', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        (H, k, s, p, d) => {
          const expected = torchOut(H, k, s, p, d);
          if (expected >= 1) expect(convOutputSize(H, k, s, p, d)).toBe(expected);
          else expect(() => convOutputSize(H, k, s, p, d)).toThrow(ShapeError);
        },
      ),
      { seed: 1, numRuns: 200 },
    );
  });
});

describe('convOutputSize: errors', () => {
  it('convOutputSize H=3 k=5 p=0 -> ShapeError naming the op and values', () => {
    expect(() => convOutputSize(3, 5)).toThrow(ShapeError);
    expect(() => convOutputSize(3, 5)).toThrow('convOutputSize: kernel 5 (dilation 1) does not fit input 3 with padding 0');
  });

  it('convOutputSize H=3 k=5 p=1 op=conv2d -> message starts with the given op', () => {
    expect(() => convOutputSize(3, 5, 1, 0, 1, 'conv2d')).toThrow(/^conv2d: kernel 5/);
    expect(convOutputSize(3, 5, 1, 1)).toBe(1);
  });

  it('convOutputSize H=5 k=3 d=3 -> ShapeError (dilated span 7 > 5)', () => {
    expect(() => convOutputSize(5, 3, 1, 0, 3)).toThrow('kernel 3 (dilation 3) does not fit input 5 with padding 0');
  });

  it('convOutputSize s=0 -> ValueError "stride must be an integer >= 1, got 0"', () => {
    expect(() => convOutputSize(8, 3, 0)).toThrow(ValueError);
    expect(() => convOutputSize(8, 3, 0)).toThrow('convOutputSize: stride must be an integer >= 1, got 0');
  });

  it('convOutputSize p=-1 -> ValueError "pad must be an integer >= 0, got -1"', () => {
    expect(() => convOutputSize(8, 3, 1, -1)).toThrow('convOutputSize: pad must be an integer >= 0, got -1');
  });

  it('convOutputSize H=0 / k=0 / s=1.5 / d=0 -> ValueError', () => {
    expect(() => convOutputSize(0, 3)).toThrow('convOutputSize: size must be an integer >= 1, got 0');
    expect(() => convOutputSize(8, 0)).toThrow('convOutputSize: kernel must be an integer >= 1, got 0');
    expect(() => convOutputSize(8, 3, 1.5)).toThrow('convOutputSize: stride must be an integer >= 1, got 1.5');
    expect(() => convOutputSize(8, 3, 1, 0, 0)).toThrow('convOutputSize: dilation must be an integer >= 1, got 0');
  });
});

describe("samePadding ('same')", () => {
  for (const k of [1, 3, 5, 7, 11]) {
    it(`samePadding k=${k} s=1 -> ${(k - 1) / 2}, keeps H`, () => {
      const p = samePadding(k);
      expect(p).toBe((k - 1) / 2);
      for (const H of [k, 13, 224]) expect(torchOut(H, k, 1, p, 1)).toBe(H);
    });
  }

  it('samePadding k=3 d=2 -> 2 (dilated span 5)', () => {
    expect(samePadding(3, 1, 2)).toBe(2);
    expect(torchOut(10, 3, 1, 2, 2)).toBe(10);
  });

  it('samePadding k=4 -> ValueError "needs an odd kernel, got 4"', () => {
    expect(() => samePadding(4)).toThrow(ValueError);
    expect(() => samePadding(4)).toThrow("samePadding: padding 'same' needs an odd kernel, got 4");
  });

  it('samePadding k=3 s=2 -> ValueError "needs stride 1 ..., got stride 2"', () => {
    expect(() => samePadding(3, 2)).toThrow("samePadding: padding 'same' needs stride 1 (as in PyTorch), got stride 2");
  });

  it('property: convOutputSize(H, k, 1, samePadding(k)) == H for odd k', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 5 }), (H, half) => {
        const k = 2 * half + 1;
        expect(convOutputSize(H, k, 1, samePadding(k))).toBe(H);
      }),
      { seed: 1, numRuns: 50 },
    );
  });
});

describe('pair', () => {
  it('pair 3 -> [3,3], [2,1] -> [2,1]', () => {
    expect(pair('conv2d', 'stride', 3, 1)).toEqual([3, 3]);
    expect(pair('conv2d', 'stride', [2, 1], 1)).toEqual([2, 1]);
    expect(pair('conv2d', 'pad', 0, 0)).toEqual([0, 0]);
  });

  it('pair stride 0 -> "conv2d: stride must be an integer >= 1, got 0"', () => {
    expect(() => pair('conv2d', 'stride', 0, 1)).toThrow('conv2d: stride must be an integer >= 1, got 0');
  });

  it('pair pad [1,-1] / 1.5 -> ValueError showing the value', () => {
    expect(() => pair('conv2d', 'pad', [1, -1], 0)).toThrow('conv2d: pad must be an integer >= 0, got [1, -1]');
    expect(() => pair('conv2d', 'pad', 1.5, 0)).toThrow('got 1.5');
  });

  it('pair null / "2" / [1,2,3] / [1] -> ValueError "must be a number or [h, w]"', () => {
    expect(() => pair('conv2d', 'stride', null as unknown as number, 1)).toThrow('conv2d: stride must be a number or [h, w], got null');
    expect(() => pair('conv2d', 'stride', '2' as unknown as number, 1)).toThrow(ValueError);
    expect(() => pair('conv2d', 'stride', [1, 2, 3] as unknown as [number, number], 1)).toThrow('got [1, 2, 3]');
    expect(() => pair('conv2d', 'stride', [1] as unknown as [number, number], 1)).toThrow('got [1]');
    expect(() => pair('conv2d', 'stride', ['1', 2] as unknown as [number, number], 1)).toThrow(ValueError);
  });
});

describe('computeConv2DInfo', () => {
  it('x=[2,3,32,32] w=[6,3,5,5] s=1 p=0 -> out [2,6,28,28] (LeNet C1 on RGB)', () => {
    const info = computeConv2DInfo('conv2d', [2, 3, 32, 32], [6, 3, 5, 5]);
    expect(info.outShape).toEqual([2, 6, 28, 28]);
    expect(info).toMatchObject({ N: 2, C: 3, H: 32, W: 32, F: 6, KH: 5, KW: 5, strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, OH: 28, OW: 28 });
  });

  it('x=[1,3,227,227] w=[96,3,11,11] s=4 -> out [1,96,55,55] (AlexNet conv1)', () => {
    expect(computeConv2DInfo('conv2d', [1, 3, 227, 227], [96, 3, 11, 11], { stride: 4 }).outShape).toEqual([1, 96, 55, 55]);
  });

  it('x=[1,64,224,224] w=[64,64,3,3] p=same -> out [1,64,224,224] (VGG)', () => {
    const info = computeConv2DInfo('conv2d', [1, 64, 224, 224], [64, 64, 3, 3], { pad: 'same' });
    expect(info.outShape).toEqual([1, 64, 224, 224]);
    expect([info.padH, info.padW]).toEqual([1, 1]);
  });

  it('x=[1,4,4,1] w=[3,4,1,1] s=2 p=0 -> out [1,3,2,1] (1x1 conv, stride 2)', () => {
    expect(computeConv2DInfo('conv2d', [1, 4, 4, 1], [3, 4, 1, 1], { stride: 2 }).outShape).toEqual([1, 3, 2, 1]);
  });

  it('x=[1,1,9,8] w=[1,1,3,5] s=[2,1] p=[1,2] d=[2,1] -> per-axis sizes', () => {
    const info = computeConv2DInfo('conv2d', [1, 1, 9, 8], [1, 1, 3, 5], { stride: [2, 1], pad: [1, 2], dilation: [2, 1] });
    expect([info.strideH, info.strideW, info.padH, info.padW, info.dilationH, info.dilationW]).toEqual([2, 1, 1, 2, 2, 1]);
    expect(info.OH).toBe(torchOut(9, 3, 2, 1, 2));
    expect(info.OW).toBe(torchOut(8, 5, 1, 2, 1));
    expect([info.OH, info.OW]).toEqual([4, 8]);
  });

  it('x=[1,1,5,7] w=[1,1,3,5] p=same -> pads [1,2], keeps 5x7', () => {
    const info = computeConv2DInfo('conv2d', [1, 1, 5, 7], [1, 1, 3, 5], { pad: 'same' });
    expect([info.padH, info.padW, info.OH, info.OW]).toEqual([1, 2, 5, 7]);
  });

  it('x=[2,3,8,8] w=[4,4,3,3] -> channel mismatch message', () => {
    expect(() => computeConv2DInfo('conv2d', [2, 3, 8, 8], [4, 4, 3, 3])).toThrow(ShapeError);
    expect(() => computeConv2DInfo('conv2d', [2, 3, 8, 8], [4, 4, 3, 3])).toThrow(
      'conv2d: input channels (3) must match filter channels (4); x [2,3,8,8], w [4,4,3,3]',
    );
  });

  it('x=[3,8,8] or w=[4,3,3] -> "must be 4-D"', () => {
    expect(() => computeConv2DInfo('conv2d', [3, 8, 8], [4, 3, 3, 3])).toThrow('conv2d: x must be 4-D [N, C, H, W], got [3,8,8]');
    expect(() => computeConv2DInfo('conv2d', [1, 3, 8, 8], [4, 3, 3])).toThrow('conv2d: w must be 4-D [F, C, KH, KW], got [4,3,3]');
  });

  it('x=[1,1,3,8] w=[1,1,5,5] p=0 -> kernel height does not fit, names x and w', () => {
    expect(() => computeConv2DInfo('conv2d', [1, 1, 3, 8], [1, 1, 5, 5])).toThrow(
      'conv2d: kernel height 5 does not fit input height 3 with padding 0; x [1,1,3,8], w [1,1,5,5]',
    );
  });

  it('x=[1,1,8,4] w=[1,1,3,3] d=2 -> kernel width (dilation 2) does not fit', () => {
    expect(() => computeConv2DInfo('conv2d', [1, 1, 8, 4], [1, 1, 3, 3], { dilation: 2 })).toThrow(
      'conv2d: kernel width 3 (dilation 2) does not fit input width 4 with padding 0',
    );
  });

  it('x=[1,1,0,4] w=[1,1,1,1] -> ShapeError for an empty image', () => {
    expect(() => computeConv2DInfo('conv2d', [1, 1, 0, 4], [1, 1, 1, 1])).toThrow(ShapeError);
  });

  it('stride 0 / pad -1 / pad [1,-1] -> ValueError naming conv2d', () => {
    const x = [1, 1, 8, 8];
    const w = [1, 1, 3, 3];
    expect(() => computeConv2DInfo('conv2d', x, w, { stride: 0 })).toThrow('conv2d: stride must be an integer >= 1, got 0');
    expect(() => computeConv2DInfo('conv2d', x, w, { pad: -1 })).toThrow('conv2d: pad must be an integer >= 0, got -1');
    expect(() => computeConv2DInfo('conv2d', x, w, { pad: [1, -1] })).toThrow(ValueError);
    expect(() => computeConv2DInfo('conv2d', x, w, { dilation: 0 })).toThrow('conv2d: dilation must be an integer >= 1, got 0');
  });

  it("p=same with s=2 or k=4 -> ValueError naming conv2d", () => {
    expect(() => computeConv2DInfo('conv2d', [1, 1, 8, 8], [1, 1, 3, 3], { pad: 'same', stride: 2 })).toThrow(
      "conv2d: padding 'same' needs stride 1 (as in PyTorch), got stride 2",
    );
    expect(() => computeConv2DInfo('conv2d', [1, 1, 8, 8], [1, 1, 3, 3], { pad: 'same', stride: [1, 2] })).toThrow('got stride 2');
    expect(() => computeConv2DInfo('conv2d', [1, 1, 8, 8], [1, 1, 4, 3], { pad: 'same' })).toThrow(
      "conv2d: padding 'same' needs an odd kernel, got 4",
    );
  });

  it('property: OH, OW follow the PyTorch formula for random shapes and parameters', () => {
    fc.assert(
      fc.property(
        fc.record({
          H: fc.integer({ min: 1, max: 20 }),
          W: fc.integer({ min: 1, max: 20 }),
          KH: fc.integer({ min: 1, max: 5 }),
          KW: fc.integer({ min: 1, max: 5 }),
          sh: fc.integer({ min: 1, max: 3 }),
          sw: fc.integer({ min: 1, max: 3 }),
          ph: fc.integer({ min: 0, max: 2 }),
          pw: fc.integer({ min: 0, max: 2 }),
          dh: fc.integer({ min: 1, max: 3 }),
          dw: fc.integer({ min: 1, max: 3 }),
        }),
        ({ H, W, KH, KW, sh, sw, ph, pw, dh, dw }) => {
          const oh = torchOut(H, KH, sh, ph, dh);
          const ow = torchOut(W, KW, sw, pw, dw);
          const run = () => computeConv2DInfo('conv2d', [2, 3, H, W], [4, 3, KH, KW], { stride: [sh, sw], pad: [ph, pw], dilation: [dh, dw] });
          if (oh >= 1 && ow >= 1) expect(run().outShape).toEqual([2, 4, oh, ow]);
          else expect(run).toThrow(ShapeError);
        },
      ),
      { seed: 1, numRuns: 200 },
    );
  });
});

describe('computePool2DInfo', () => {
  it('x=[1,6,28,28] k=2 (stride defaults to 2) -> out [1,6,14,14] (LeNet S2)', () => {
    const info = computePool2DInfo('maxPool2d', [1, 6, 28, 28], { kernel: 2 });
    expect(info.outShape).toEqual([1, 6, 14, 14]);
    expect(info).toMatchObject({ N: 1, C: 6, H: 28, W: 28, KH: 2, KW: 2, strideH: 2, strideW: 2, padH: 0, padW: 0, OH: 14, OW: 14 });
  });

  it('x=[1,96,55,55] k=3 s=2 -> out [1,96,27,27] (AlexNet overlapping pool)', () => {
    expect(computePool2DInfo('maxPool2d', [1, 96, 55, 55], { kernel: 3, stride: 2 }).outShape).toEqual([1, 96, 27, 27]);
  });

  it('x=[1,64,112,112] k=3 s=2 p=1 -> out [1,64,56,56] (ResNet max pool)', () => {
    expect(computePool2DInfo('maxPool2d', [1, 64, 112, 112], { kernel: 3, stride: 2, pad: 1 }).outShape).toEqual([1, 64, 56, 56]);
  });

  it('x=[1,1,7,6] k=[3,2] s=[2,1] -> out [1,1,3,5]', () => {
    const info = computePool2DInfo('avgPool2d', [1, 1, 7, 6], { kernel: [3, 2], stride: [2, 1] });
    expect([info.OH, info.OW]).toEqual([torchOut(7, 3, 2, 0, 1), torchOut(6, 2, 1, 0, 1)]);
    expect(info.outShape).toEqual([1, 1, 3, 5]);
  });

  it('x=[1,1,2,2] k=3 -> "maxPool2d: window 3x3 does not fit input 2x2"', () => {
    expect(() => computePool2DInfo('maxPool2d', [1, 1, 2, 2], { kernel: 3 })).toThrow(ShapeError);
    expect(() => computePool2DInfo('maxPool2d', [1, 1, 2, 2], { kernel: 3 })).toThrow('maxPool2d: window 3x3 does not fit input 2x2');
  });

  it('x=[1,1,1,5] k=4 p=[1,2] -> window does not fit, message names the padding', () => {
    expect(() => computePool2DInfo('maxPool2d', [1, 1, 1, 5], { kernel: 4, pad: [1, 2] })).toThrow(
      'maxPool2d: window 4x4 does not fit input 1x5 with padding [1, 2]',
    );
  });

  it('k=2 p=2 -> ValueError "pad should be at most half the window"', () => {
    expect(() => computePool2DInfo('maxPool2d', [1, 1, 8, 8], { kernel: 2, pad: 2 })).toThrow(ValueError);
    expect(() => computePool2DInfo('maxPool2d', [1, 1, 8, 8], { kernel: 2, pad: 2 })).toThrow(
      "maxPool2d: pad should be at most half the window (PyTorch's rule); got pad [2, 2] for window 2x2",
    );
  });

  it('x=[8,8] / k=0 / s=0 -> errors naming maxPool2d', () => {
    expect(() => computePool2DInfo('maxPool2d', [8, 8], { kernel: 2 })).toThrow('maxPool2d: x must be 4-D [N, C, H, W], got [8,8]');
    expect(() => computePool2DInfo('maxPool2d', [1, 1, 8, 8], { kernel: 0 })).toThrow('maxPool2d: kernel must be an integer >= 1, got 0');
    expect(() => computePool2DInfo('maxPool2d', [1, 1, 8, 8], { kernel: 2, stride: 0 })).toThrow('maxPool2d: stride must be an integer >= 1, got 0');
  });

  it('property: pool output follows the PyTorch formula (dilation 1)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 2 }),
        (H, k, s, p) => {
          fc.pre(2 * p <= k);
          const expected = torchOut(H, k, s, p, 1);
          const run = () => computePool2DInfo('maxPool2d', [1, 1, H, H], { kernel: k, stride: s, pad: p });
          if (expected >= 1) expect(run().outShape).toEqual([1, 1, expected, expected]);
          else expect(run).toThrow(ShapeError);
        },
      ),
      { seed: 1, numRuns: 100 },
    );
  });
});
