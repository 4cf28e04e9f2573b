import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numericalGradient, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { classIoU, confusion, meanIoU, pixelAccuracy, pixelSoftmaxCrossEntropy, predictPixels } from './segmentation.js';
import { expectClose, expectGradient, FC_OPTS } from './test-support.js';

/** The oracle: the per-pixel loss written out with exp and log, one pixel at a time, and its gradient (softmax - onehot) / M. */
function directPixelLoss(scores: Tensor, labels: ArrayLike<number>, ignore?: number): { loss: number; dscores: Tensor } {
  const [N, K, H, W] = scores.shape;
  let M = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== ignore) M++;
  let loss = 0;
  const d = Tensor.zeros(scores.shape);
  for (let n = 0; n < N; n++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++) {
        const y = labels[(n * H + h) * W + w];
        if (y === ignore) continue;
        const s = Array.from({ length: K }, (_, k) => scores.get(n, k, h, w));
        const m = Math.max(...s);
        const z = s.reduce((a, v) => a + Math.exp(v - m), 0);
        loss += -(s[y] - m - Math.log(z)) / M;
        for (let k = 0; k < K; k++) d.set((Math.exp(s[k] - m) / z - (k === y ? 1 : 0)) / M, n, k, h, w);
      }
  return { loss, dscores: d };
}

describe('pixelSoftmaxCrossEntropy', () => {
  const cases = fc.record({
    N: fc.integer({ min: 1, max: 3 }),
    K: fc.integer({ min: 1, max: 5 }),
    H: fc.integer({ min: 1, max: 4 }),
    W: fc.integer({ min: 1, max: 4 }),
    seed: fc.integer(),
  });

  it('scores=[1,4,2,2] all zero, labels [0,1,2,255] ignore 255: loss log 4 over 3 pixels, ignored pixel has zero gradient', () => {
    const { loss, dscores } = pixelSoftmaxCrossEntropy(Tensor.zeros([1, 4, 2, 2]), Int32Array.from([0, 1, 2, 255]), 255);
    expect(loss).toBeCloseTo(Math.log(4), 14);
    expect(dscores.shape).toEqual([1, 4, 2, 2]);
    // pixel 0 (h=0, w=0), label 0: (1/4 - 1) / 3 for class 0, (1/4) / 3 for the others
    expect(dscores.get(0, 0, 0, 0)).toBeCloseTo(-0.75 / 3, 15);
    expect(dscores.get(0, 1, 0, 0)).toBeCloseTo(0.25 / 3, 15);
    for (let k = 0; k < 4; k++) expect(dscores.get(0, k, 1, 1)).toBe(0);
  });

  it('random scores=[1-3,1-5,1-4,1-4] ~ N(0, 4), some pixels ignored: loss and dscores equal the per-pixel loops', () => {
    fc.assert(
      fc.property(cases, ({ N, K, H, W, seed }) => {
        const rng = new Rng(seed);
        const scores = rng.randn([N, K, H, W], 2);
        const labels = Int32Array.from({ length: N * H * W }, () => (rng.next() < 0.2 ? -100 : rng.int(0, K - 1)));
        const ours = pixelSoftmaxCrossEntropy(scores, labels, -100);
        const theirs = directPixelLoss(scores, labels, -100);
        const name = `pixelSoftmaxCrossEntropy scores=[${N},${K},${H},${W}]`;
        expect(Math.abs(ours.loss - theirs.loss), `${name}: loss`).toBeLessThanOrEqual(1e-12 * (1 + theirs.loss));
        expectClose(`${name}: dscores`, ours.dscores, theirs.dscores, 1e-10, 1e-14);
      }),
      FC_OPTS,
    );
  });

  it('random scores, some pixels ignored: dscores matches the numerical gradient of the loss (rel. error < 1e-6)', () => {
    fc.assert(
      fc.property(cases, ({ N, K, H, W, seed }) => {
        const rng = new Rng(seed);
        const scores = rng.randn([N, K, H, W], 2);
        const labels = Int32Array.from({ length: N * H * W }, () => (rng.next() < 0.2 ? 255 : rng.int(0, K - 1)));
        const { dscores } = pixelSoftmaxCrossEntropy(scores, labels, 255);
        const numeric = numericalGradient((s) => Tensor.fromArray([pixelSoftmaxCrossEntropy(s, labels, 255).loss]), scores, Tensor.ones([1]));
        // a smooth loss: round-off of about 1e-16 * loss / h needs a small absolute floor (see expectGradient)
        expectGradient(`pixelSoftmaxCrossEntropy scores=[${N},${K},${H},${W}]: dscores`, dscores, numeric, { atol: 1e-9 });
      }),
      FC_OPTS,
    );
  });

  it('scores at ignored pixels do not matter; every pixel ignored gives loss 0 and zero gradients', () => {
    const rng = new Rng(1);
    const scores = rng.randn([2, 3, 2, 2]);
    const labels = Int32Array.from([0, 1, 2, -1, -1, 2, 1, 0]);
    const a = pixelSoftmaxCrossEntropy(scores, labels, -1);
    const changed = scores.clone();
    changed.set(50, 0, 1, 1, 1); // pixel 3 is ignored
    expect(pixelSoftmaxCrossEntropy(changed, labels, -1).loss).toBe(a.loss);
    const none = pixelSoftmaxCrossEntropy(scores, new Int32Array(8).fill(-1), -1);
    expect(none.loss).toBe(0);
    expect(Math.max(...none.dscores.data.map(Math.abs))).toBe(0);
  });

  it('without ignoreIndex every label must be a class', () => {
    expect(() => pixelSoftmaxCrossEntropy(Tensor.zeros([1, 3, 2, 2]), [0, 1, 2, 255])).toThrow(
      new ValueError('pixelSoftmaxCrossEntropy', 'labels[3] = 255 is out of range [0, 3)'),
    );
  });

  it.each([
    ['scores 3-D', () => pixelSoftmaxCrossEntropy(Tensor.zeros([3, 4, 4]), []), ShapeError, 'pixelSoftmaxCrossEntropy: scores must be 4-D [N, K, H, W], got [3,4,4]'],
    ['labels length', () => pixelSoftmaxCrossEntropy(Tensor.zeros([1, 3, 4, 4]), new Int32Array(15)), ShapeError, 'pixelSoftmaxCrossEntropy: labels has 15 entries but scores [1,3,4,4] needs 16'],
    ['label 1.5', () => pixelSoftmaxCrossEntropy(Tensor.zeros([1, 2, 1, 2]), [0, 1.5]), ValueError, 'pixelSoftmaxCrossEntropy: labels[1] = 1.5 is not an integer'],
    ['ignoreIndex 0.5', () => pixelSoftmaxCrossEntropy(Tensor.zeros([1, 2, 1, 2]), [0, 1], 0.5), ValueError, 'pixelSoftmaxCrossEntropy: ignoreIndex must be an integer, got 0.5'],
    ['NaN score', () => pixelSoftmaxCrossEntropy(Tensor.zeros([1, 2, 1, 2]).map((_, i) => (i === 3 ? NaN : 0)), [0, 1]), ValueError, 'pixelSoftmaxCrossEntropy: scores contains NaN at [0,1,0,1]'],
    ['labels a Tensor', () => pixelSoftmaxCrossEntropy(Tensor.zeros([1, 2, 1, 2]), Tensor.zeros([2]) as unknown as number[]), ValueError, 'pixelSoftmaxCrossEntropy: labels must be an array of integers, got a Tensor [2] (pass its .data)'],
  ] as const)('%s', (_, fn, type, message) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(message);
  });
});

describe('predictPixels', () => {
  it('scores=[2,3,1,2]: argmax over classes per pixel, ties to the lowest class', () => {
    const scores = Tensor.from([
      [[[0, 5]], [[1, 5]], [[1, 2]]],
      [[[3, -1]], [[2, -2]], [[1, -1]]],
    ]);
    expect([...predictPixels(scores)]).toEqual([1, 0, 0, 0]);
  });
});

describe('segmentation metrics (hand-computed)', () => {
  // labels 0 0 1 1 2 2, pred 0 1 1 1 2 0, K = 4 (class 3 absent)
  // confusion (rows truth, columns prediction): [[1,1,0,0],[0,2,0,0],[1,0,1,0],[0,0,0,0]]
  // IoU_0 = 1 / (2 + 2 - 1) = 1/3, IoU_1 = 2 / (2 + 3 - 2) = 2/3, IoU_2 = 1 / (2 + 1 - 1) = 1/2, IoU_3 = 0/0
  const labels = [0, 0, 1, 1, 2, 2];
  const pred = [0, 1, 1, 1, 2, 0];

  it('confusion: rows are the truth, columns the prediction', () => {
    const m = confusion(pred, labels, 4);
    expect(m.shape).toEqual([4, 4]);
    expect(m.toArray()).toEqual([
      [1, 1, 0, 0],
      [0, 2, 0, 0],
      [1, 0, 1, 0],
      [0, 0, 0, 0],
    ]);
  });

  it('classIoU = [1/3, 2/3, 1/2, NaN]; meanIoU = 1/2, the mean over the three present classes', () => {
    const iou = classIoU(pred, labels, 4);
    expect(iou[0]).toBeCloseTo(1 / 3, 15);
    expect(iou[1]).toBeCloseTo(2 / 3, 15);
    expect(iou[2]).toBeCloseTo(1 / 2, 15);
    expect(iou[3]).toBeNaN();
    expect(meanIoU(pred, labels, 4)).toBeCloseTo(0.5, 15);
    expect(meanIoU(pred, labels, 3)).toBeCloseTo(0.5, 15);
  });

  it('pixelAccuracy = 4/6', () => {
    expect(pixelAccuracy(pred, labels)).toBeCloseTo(4 / 6, 15);
  });

  it('a class only predicted (never labelled) counts with IoU 0: labels [0,0,0,0], pred [0,0,1,1] -> IoU [1/2, 0], mean 1/4', () => {
    expect([...classIoU([0, 0, 1, 1], [0, 0, 0, 0], 2)]).toEqual([0.5, 0]);
    expect(meanIoU([0, 0, 1, 1], [0, 0, 0, 0], 2)).toBe(0.25);
    expect(meanIoU([0, 0, 1, 1], [0, 0, 0, 0], 3)).toBe(0.25); // class 2 absent: left out, not counted as 0 or 1
  });

  it('a perfect prediction: IoU 1 for every present class, accuracy 1', () => {
    const y = [2, 0, 2, 2, 1];
    expect(meanIoU(y, y, 5)).toBe(1);
    expect(pixelAccuracy(y, y)).toBe(1);
  });

  it('ignoreIndex 255: ignored pixels count nowhere, whatever is predicted there', () => {
    // labels 0 1 255 255 1, pred 0 1 0 1 0: labelled pixels 0, 1, 4
    // confusion [[1,0],[1,1]]: IoU_0 = 1 / (1 + 2 - 1) = 1/2, IoU_1 = 1 / (2 + 1 - 1) = 1/2
    const y = [0, 1, 255, 255, 1];
    const p = [0, 1, 0, 1, 0];
    expect(confusion(p, y, 2, 255).toArray()).toEqual([[1, 0], [1, 1]]);
    expect([...classIoU(p, y, 2, 255)]).toEqual([0.5, 0.5]);
    expect(meanIoU(p, y, 2, 255)).toBe(0.5);
    expect(pixelAccuracy(p, y, 255)).toBeCloseTo(2 / 3, 15);
    expect(pixelAccuracy([0, 1], [255, 255], 255)).toBeNaN();
    expect(meanIoU([0, 1], [255, 255], 2, 255)).toBeNaN();
  });

  it('random labels and predictions: confusion rows sum to the label counts, columns to the prediction counts; IoU by definition', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 40 }), fc.integer(), (K, P, seed) => {
        const rng = new Rng(seed);
        const y = Array.from({ length: P }, () => rng.int(0, K - 1));
        const p = Array.from({ length: P }, () => rng.int(0, K - 1));
        const m = confusion(p, y, K);
        const iou = classIoU(p, y, K);
        for (let k = 0; k < K; k++) {
          let row = 0;
          let col = 0;
          for (let j = 0; j < K; j++) {
            row += m.get(k, j);
            col += m.get(j, k);
          }
          expect(row).toBe(y.filter((v) => v === k).length);
          expect(col).toBe(p.filter((v) => v === k).length);
          const inter = y.filter((v, i) => v === k && p[i] === k).length;
          const union = y.filter((v, i) => v === k || p[i] === k).length;
          if (union === 0) expect(iou[k]).toBeNaN();
          else expect(iou[k]).toBeCloseTo(inter / union, 15);
        }
        const present = [...iou].filter((v) => !Number.isNaN(v));
        expect(meanIoU(p, y, K)).toBeCloseTo(present.reduce((a, v) => a + v, 0) / present.length, 14);
        expect(pixelAccuracy(p, y)).toBeCloseTo(y.filter((v, i) => v === p[i]).length / P, 15);
      }),
      FC_OPTS,
    );
  });

  it('errors name the op and the entry', () => {
    expect(() => confusion([0, 1, 3], [0, 1, 2], 3)).toThrow(new ValueError('confusion', 'pred[2] = 3 is out of range [0, 3)'));
    expect(() => confusion([0, 1, 2], [0, 1, 7], 3, 255)).toThrow(new ValueError('confusion', 'labels[2] = 7 is out of range [0, 3) and is not the ignore index 255'));
    expect(() => confusion([0], [0], 0)).toThrow(new ValueError('confusion', 'K must be an integer >= 1, got 0'));
    expect(() => meanIoU([0, 1], [0, 1, 1], 2)).toThrow(new ShapeError('confusion', 'pred has 2 entries but labels needs 3'));
    expect(() => pixelAccuracy([0, 1, 1], [0, 1, 2, 2])).toThrow(new ShapeError('pixelAccuracy', 'pred has 3 entries but labels needs 4'));
    expect(() => pixelAccuracy([0, -1], [0, 1])).toThrow(new ValueError('pixelAccuracy', 'pred[1] = -1 is not a class index (an integer >= 0)'));
  });
});
