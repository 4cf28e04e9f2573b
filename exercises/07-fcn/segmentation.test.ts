import { expectNumber, expectTensor, forAll, GRAD_TOL, thrownBy } from '@dlkata/exercise-support';
import { numericalGradient, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import {
  classIoU as referenceClassIoU,
  confusion as referenceConfusion,
  meanIoU as referenceMeanIoU,
  pixelAccuracy as referencePixelAccuracy,
  pixelSoftmaxCrossEntropy as referenceLoss,
  predictPixels as referencePredict,
} from '@dlkata/layers';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { classIoU, confusion, meanIoU, pixelAccuracy, pixelSoftmaxCrossEntropy, predictPixels } from './segmentation.js';

/** Seed of the property-based tests; a failure prints it with the counterexample, so it replays exactly. */
const SEED = 20_240_107;

/** Random scores and labels: `[N, K, H, W]` and `N*H*W` classes. */
interface PixelCase {
  N: number;
  K: number;
  H: number;
  W: number;
  seed: number;
}
const pixelCases = fc.record({
  N: fc.integer({ min: 1, max: 2 }),
  K: fc.integer({ min: 1, max: 5 }),
  H: fc.integer({ min: 1, max: 4 }),
  W: fc.integer({ min: 1, max: 4 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});
const pixelName = (c: PixelCase): string => `scores=[${c.N},${c.K},${c.H},${c.W}] seed=${c.seed}`;

function scoresAndLabels(c: PixelCase): { scores: Tensor; labels: number[] } {
  const rng = new Rng(c.seed);
  const scores = rng.randn([c.N, c.K, c.H, c.W], 2);
  const labels = Array.from({ length: c.N * c.H * c.W }, () => rng.int(0, c.K - 1));
  return { scores, labels };
}

/** Random predictions and labels over K classes, some of them absent. */
interface MaskCase {
  P: number;
  K: number;
  used: number;
  seed: number;
}
const maskCases = fc.record({
  P: fc.integer({ min: 1, max: 40 }),
  K: fc.integer({ min: 1, max: 8 }),
  used: fc.integer({ min: 1, max: 8 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});
const maskName = (c: MaskCase): string => `P=${c.P} K=${c.K} (classes 0..${Math.min(c.used, c.K) - 1} used) seed=${c.seed}`;

/** Labels and predictions from the first `used` classes only, so the others are absent. */
function masks(c: MaskCase): { pred: number[]; labels: number[] } {
  const rng = new Rng(c.seed);
  const top = Math.min(c.used, c.K) - 1;
  const labels = Array.from({ length: c.P }, () => rng.int(0, top));
  // mostly right, sometimes wrong: a realistic prediction
  const pred = labels.map((l) => (rng.next() < 0.6 ? l : rng.int(0, top)));
  return { pred, labels };
}

/** The lecture-style worked example: 6 pixels, 4 classes, class 3 absent. */
const EXAMPLE = { pred: [0, 1, 1, 1, 2, 0], labels: [0, 0, 1, 1, 2, 2], K: 4 };

describe('pixelSoftmaxCrossEntropy', () => {
  test('scores=[1,4,2,2] all zero: loss = log 4, dscores = (1/4 - onehot) / 4', () => {
    const { loss, dscores } = pixelSoftmaxCrossEntropy(Tensor.zeros([1, 4, 2, 2]), [0, 1, 2, 3]);
    expectNumber('pixelSoftmaxCrossEntropy: loss', loss, Math.log(4));
    expect(dscores.shape, 'pixelSoftmaxCrossEntropy: shape of dscores').toEqual([1, 4, 2, 2]);
    // pixel (0, 0) has label 0: dscores[0, :, 0, 0] = ([0.25, 0.25, 0.25, 0.25] - [1, 0, 0, 0]) / 4
    expectTensor('pixelSoftmaxCrossEntropy: dscores[0, :, 0, 0]', Tensor.from([0, 1, 2, 3].map((k) => dscores.get(0, k, 0, 0))), Tensor.from([-0.1875, 0.0625, 0.0625, 0.0625]));
  });

  test('scores=[2,2,1,1]: the mean over all N*H*W pixels, one confident right and one confident wrong', () => {
    // image 0: scores (10, 0), label 0 -> loss ~ 4.5e-5; image 1: scores (10, 0), label 1 -> loss ~ 10
    const scores = Tensor.from([[[[10]], [[0]]], [[[10]], [[0]]]]);
    const { loss } = pixelSoftmaxCrossEntropy(scores, [0, 1]);
    const expected = (Math.log(1 + Math.exp(-10)) + (10 + Math.log(1 + Math.exp(-10)))) / 2;
    expectNumber('pixelSoftmaxCrossEntropy: loss', loss, expected);
  });

  test('scores=[1,3,1,1] = (1000, 0, -1000): no overflow, loss finite', () => {
    const { loss, dscores } = pixelSoftmaxCrossEntropy(Tensor.from([[[[1000]], [[0]], [[-1000]]]]), [2]);
    expectNumber('pixelSoftmaxCrossEntropy: loss', loss, 2000);
    expectTensor('pixelSoftmaxCrossEntropy: dscores', dscores, Tensor.from([[[[1]], [[0]], [[-1]]]]));
  });

  test('labels of the wrong length: ShapeError; a label >= K: ValueError; right labels: loss log 3', () => {
    const scores = Tensor.zeros([1, 3, 2, 2]);
    expectNumber('pixelSoftmaxCrossEntropy: loss', pixelSoftmaxCrossEntropy(scores, [0, 1, 2, 0]).loss, Math.log(3));
    expect(thrownBy(() => pixelSoftmaxCrossEntropy(scores, [0, 1, 2])), 'pixelSoftmaxCrossEntropy with 3 labels for 4 pixels').toBeInstanceOf(ShapeError);
    expect(thrownBy(() => pixelSoftmaxCrossEntropy(scores, [0, 1, 2, 3])), 'pixelSoftmaxCrossEntropy with label 3 of 3 classes').toBeInstanceOf(ValueError);
  });

  test(`random shapes: loss and dscores match the reference (seed ${SEED})`, () => {
    forAll(pixelCases, { seed: SEED, runs: 30 }, (c) => {
      const { scores, labels } = scoresAndLabels(c);
      const got = pixelSoftmaxCrossEntropy(scores, labels);
      const expected = referenceLoss(scores, labels);
      expectNumber(`pixelSoftmaxCrossEntropy: loss (${pixelName(c)})`, got.loss, expected.loss);
      expectTensor(`pixelSoftmaxCrossEntropy: dscores (${pixelName(c)})`, got.dscores, expected.dscores);
    });
  });

  test(`random shapes: dscores matches the numerical gradient of your loss (seed ${SEED})`, () => {
    forAll(pixelCases, { seed: SEED, runs: 15 }, (c) => {
      const { scores, labels } = scoresAndLabels(c);
      const { dscores } = pixelSoftmaxCrossEntropy(scores, labels);
      const numeric = numericalGradient((s) => Tensor.from([pixelSoftmaxCrossEntropy(s, labels).loss]), scores, Tensor.from([1]));
      expectTensor(`pixelSoftmaxCrossEntropy: dscores (${pixelName(c)})`, dscores, numeric, GRAD_TOL);
    });
  });
});

describe('predictPixels', () => {
  test('scores=[1,2,1,2]: the class with the larger score at each pixel', () => {
    expect(predictPixels(Tensor.from([[[[0, 5]], [[1, 2]]]])), 'predictPixels').toEqual([1, 0]);
  });

  test('scores=[1,3,1,1] with a tie between classes 1 and 2: the lower class wins', () => {
    expect(predictPixels(Tensor.from([[[[0]], [[7]], [[7]]]])), 'predictPixels').toEqual([1]);
  });

  test(`random shapes: equals the reference, pixel order [N, H, W] (seed ${SEED})`, () => {
    forAll(pixelCases, { seed: SEED, runs: 30 }, (c) => {
      const { scores } = scoresAndLabels(c);
      // round to 1 decimal so that ties happen
      const rounded = scores.map((v) => Math.round(v * 10) / 10);
      expect(predictPixels(rounded), `predictPixels (${pixelName(c)})`).toEqual(Array.from(referencePredict(rounded)));
    });
  });
});

describe('pixelAccuracy', () => {
  test('pred=[0,1,1,2] labels=[0,1,2,2]: 0.75', () => {
    expectNumber('pixelAccuracy', pixelAccuracy([0, 1, 1, 2], [0, 1, 2, 2]), 0.75);
  });

  test('9 background pixels and 1 digit pixel, all predicted background: 0.9 (why accuracy alone misleads)', () => {
    expectNumber('pixelAccuracy', pixelAccuracy(new Array(10).fill(0), [0, 0, 0, 0, 5, 0, 0, 0, 0, 0]), 0.9);
  });

  test(`random masks: equals the reference (seed ${SEED})`, () => {
    forAll(maskCases, { seed: SEED, runs: 30 }, (c) => {
      const { pred, labels } = masks(c);
      expectNumber(`pixelAccuracy (${maskName(c)})`, pixelAccuracy(pred, labels), referencePixelAccuracy(pred, labels));
    });
  });
});

describe('confusion', () => {
  test('pred=[0,1,1] labels=[0,0,1] K=2: [[1,1],[0,1]] (rows are the truth)', () => {
    expectTensor('confusion', confusion([0, 1, 1], [0, 0, 1], 2), Tensor.from([[1, 1], [0, 1]]));
  });

  test('a prediction >= K: ValueError; K = 3 fits: [[1,0,0],[0,0,0],[0,0,1]]', () => {
    expectTensor('confusion', confusion([0, 2], [0, 2], 3), Tensor.from([[1, 0, 0], [0, 0, 0], [0, 0, 1]]));
    expect(thrownBy(() => confusion([0, 3], [0, 1], 3)), 'confusion([0, 3], [0, 1], 3)').toBeInstanceOf(ValueError);
  });

  test(`random masks: equals the reference (seed ${SEED})`, () => {
    forAll(maskCases, { seed: SEED, runs: 30 }, (c) => {
      const { pred, labels } = masks(c);
      expectTensor(`confusion (${maskName(c)})`, confusion(pred, labels, c.K), referenceConfusion(pred, labels, c.K));
    });
  });
});

describe('classIoU and meanIoU', () => {
  test('the worked example, 6 pixels, K=4: IoU [1/3, 2/3, 1/2, NaN], mean 0.5 (class 3 absent)', () => {
    const iou = classIoU(EXAMPLE.pred, EXAMPLE.labels, EXAMPLE.K);
    expect(iou.length, 'classIoU: one entry per class').toBe(4);
    [1 / 3, 2 / 3, 1 / 2, NaN].forEach((v, k) => expectNumber(`classIoU[${k}]`, iou[k], v));
    expectNumber('meanIoU', meanIoU(EXAMPLE.pred, EXAMPLE.labels, EXAMPLE.K), 0.5);
  });

  test('a class predicted but never labelled is present, with IoU 0', () => {
    // labels all 0, one pixel predicted 1: IoU_0 = 3/4, IoU_1 = 0/1, class 2 absent
    const iou = classIoU([0, 0, 0, 1], [0, 0, 0, 0], 3);
    [0.75, 0, NaN].forEach((v, k) => expectNumber(`classIoU[${k}]`, iou[k], v));
    expectNumber('meanIoU', meanIoU([0, 0, 0, 1], [0, 0, 0, 0], 3), 0.375);
  });

  test('a perfect prediction of 2 of 11 classes: mean IoU 1, not 2/11', () => {
    const labels = [0, 0, 3, 3, 0];
    expectNumber('meanIoU', meanIoU(labels, labels, 11), 1);
  });

  test(`random masks with absent classes: classIoU and meanIoU equal the reference (seed ${SEED})`, () => {
    forAll(maskCases, { seed: SEED, runs: 40 }, (c) => {
      const { pred, labels } = masks(c);
      const iou = classIoU(pred, labels, c.K);
      const expected = referenceClassIoU(pred, labels, c.K);
      expect(iou.length, `classIoU: one entry per class (${maskName(c)})`).toBe(c.K);
      expected.forEach((v, k) => expectNumber(`classIoU[${k}] (${maskName(c)})`, iou[k], v));
      expectNumber(`meanIoU (${maskName(c)})`, meanIoU(pred, labels, c.K), referenceMeanIoU(pred, labels, c.K));
    });
  });
});
