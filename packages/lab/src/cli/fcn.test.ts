import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { numericalGradient, Rng, Tensor } from '@dlkata/tensor';
import { pixelSoftmaxCrossEntropy } from '@dlkata/layers';
import { expectGradient } from '../test-support.js';
import { createFcn, evaluateFcn, fcnBackward, fcnForward, maskGridSvg, runFcn, type FcnConfig } from './fcn.js';

const SMALL: FcnConfig = { classes: 3, channels: [2, 3, 2, 3] };

describe('createFcn', () => {
  it('K=11, channels 8-16-32-64: the parameter shapes; skip scores start at 0, upsampling bilinear', () => {
    const p = createFcn({ classes: 11, channels: [8, 16, 32, 64] }, new Rng(0));
    const shapes = Object.fromEntries(Object.entries(p).map(([k, t]) => [k, t.shape]));
    expect(shapes).toMatchObject({
      'conv1.w': [8, 1, 3, 3],
      'conv2.w': [16, 8, 3, 3],
      'conv3.w': [32, 16, 3, 3],
      'conv4.w': [64, 32, 3, 3],
      'score8.w': [11, 64, 1, 1],
      'score4.w': [11, 16, 1, 1],
      'score2.w': [11, 8, 1, 1],
      'score1.w': [11, 8, 1, 1],
      'up8.w': [1, 1, 4, 4],
      'up2.b': [1],
    });
    expect(p['score4.w'].data.every((v) => v === 0)).toBe(true);
    expect(Array.from(p['up8.w'].data.subarray(0, 4))).toEqual([0.0625, 0.1875, 0.1875, 0.0625]);
  });
});

describe('fcnForward / fcnBackward', () => {
  it('x=[2,1,16,16]: scores [2,3,16,16]', () => {
    const rng = new Rng(1);
    const { scores } = fcnForward(createFcn(SMALL, rng), rng.randn([2, 1, 16, 16]));
    expect(scores.shape).toEqual([2, 3, 16, 16]);
  });

  it('x=[2,1,16,16]: every parameter gradient of the per-pixel loss matches its numerical gradient', () => {
    const rng = new Rng(2);
    const params = createFcn(SMALL, rng);
    // non-zero skip scores, so that their paths carry gradient too
    for (const k of ['score4.w', 'score2.w', 'score1.w']) params[k] = rng.randn(params[k].shape, 0.5);
    const x = rng.randn([2, 1, 16, 16]);
    const labels = Array.from({ length: 2 * 16 * 16 }, () => rng.int(0, 2));
    const { scores, cache } = fcnForward(params, x);
    const grads = fcnBackward(pixelSoftmaxCrossEntropy(scores, labels).dscores, cache);
    expect(Object.keys(grads).sort()).toEqual(Object.keys(params).sort());
    const loss = (): Tensor => Tensor.from([pixelSoftmaxCrossEntropy(fcnForward(params, x).scores, labels).loss]);
    for (const [k, p] of Object.entries(params)) {
      expectGradient(`fcn: d${k}`, grads[k], numericalGradient(loss, p, Tensor.from([1])), { tol: 1e-5, atol: 1e-8 });
    }
  });
});

describe('maskGridSvg', () => {
  it('two 4x4 examples: an SVG with a row per example, runs of a class in one rect, a legend, escaped text', () => {
    const image = new Array(16).fill(0).map((_, i) => i / 15);
    const truth = [0, 1, 1, 1, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0];
    const svg = maskGridSvg(
      [
        { image, truth, pred: truth, caption: 'a < b & c' },
        { image, truth, pred: new Array(16).fill(1) },
      ],
      4,
      ['background', 'one', 'two'],
      'title',
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('a &lt; b &amp; c');
    // the run of three 1s in the first row of the truth is one 12-pixel-wide rect
    expect(svg).toContain('width="12" height="4" fill="#4e79a7"');
    // the all-1 prediction: four full-width runs
    expect(svg.match(/width="16" height="4" fill="#4e79a7"/g)?.length).toBe(4);
    for (const name of ['background', 'one', 'two']) expect(svg).toContain(`>${name}</text>`);
  });
});

describe('runFcn', () => {
  it('a tiny run writes metrics.json and masks.svg and reports the metrics it measured', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'dlkata-fcn-'));
    try {
      const lines: string[] = [];
      const r = runFcn({ epochs: 1, batch: 4, lr: 3e-3, seed: 0, train: 8, test: 3, size: 48, digits: 2, examples: 2, out, channels: [2, 2, 2, 2], progress: false, log: (l) => lines.push(l) });
      expect(r.files.map((f) => path.basename(f))).toEqual(['metrics.json', 'masks.svg']);
      const metrics = JSON.parse(readFileSync(r.files[0], 'utf8'));
      expect(metrics.test.meanIoU).toBe(r.test.meanIoU);
      expect(metrics.test.pixelAccuracy).toBeGreaterThan(0);
      expect(metrics.data.classes).toHaveLength(11);
      expect(metrics.epochs).toHaveLength(1);
      expect(readFileSync(r.files[1], 'utf8')).toContain('predicted mask');
      expect(lines.some((l) => l.includes('mean IoU'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('evaluateFcn on blank images: scores 0 everywhere, every pixel background, loss log 11', () => {
    const params = createFcn({ classes: 11, channels: [2, 2, 2, 2] }, new Rng(0));
    const data = { images: Tensor.zeros([2, 1, 16, 16]), labels: new Int32Array(2 * 256), classes: 11, digits: [[], []] };
    const ev = evaluateFcn(params, data, 1);
    expect(ev.pred.length).toBe(512);
    // all-zero images and zero biases give all-zero scores: uniform over 11 classes, ties to background
    expect(ev.pred.every((v) => v === 0)).toBe(true);
    expect(ev.pixelAccuracy).toBe(1);
    expect(ev.meanIoU).toBe(1);
    expect(ev.loss).toBeCloseTo(Math.log(11), 12);
  });
});
