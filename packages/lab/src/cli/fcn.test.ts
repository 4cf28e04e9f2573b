import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { numericalGradient, Rng, Tensor } from '@dlkata/tensor';
import { pixelSoftmaxCrossEntropy } from '@dlkata/layers';
import { loadMine } from '../mine/mine.js';
import { ROOT } from '../root.js';
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

describe('the student\'s layers in the FCN (--mine)', () => {
  const FOUR = ['conv', 'pool', 'relu', 'convTranspose'] as const;

  it('x=[2,1,16,16] with the solutions\' layers: the same scores and gradients as the library\'s (every backward gets its own forward\'s cache)', async () => {
    const mine = await loadMine({ root: ROOT, dir: 'solutions', groups: FOUR, run: 'test' });
    expect(mine.sources.map((s) => [s.group, s.from])).toEqual(FOUR.map((g) => [g, 'yours']));
    const rng = new Rng(3);
    const params = createFcn(SMALL, rng);
    for (const k of ['score4.w', 'score2.w', 'score1.w']) params[k] = rng.randn(params[k].shape, 0.5);
    const x = rng.randn([2, 1, 16, 16]);
    const dscores = rng.randn([2, 3, 16, 16]);
    const lib = fcnForward(params, x);
    const yours = fcnForward(params, x, mine.impl);
    expect(yours.cache.ops.conv2dForward).toBe(mine.impl.conv2dForward);
    expect(yours.scores.shape).toEqual([2, 3, 16, 16]);
    expectGradient('fcn --mine: scores', yours.scores, lib.scores, { tol: 1e-9, atol: 1e-12 });
    const gl = fcnBackward(dscores, lib.cache);
    const gy = fcnBackward(dscores, yours.cache);
    for (const k of Object.keys(params)) expectGradient(`fcn --mine: d${k}`, gy[k], gl[k], { tol: 1e-9, atol: 1e-12 });
  });

  it('runFcn with the solutions\' layers and a record of them: metrics.json says where each function came from, and the metrics equal the library\'s run', async () => {
    const mine = await loadMine({ root: ROOT, dir: 'solutions', groups: FOUR, run: 'test' });
    const out = mkdtempSync(path.join(tmpdir(), 'dlkata-fcn-mine-'));
    try {
      const base = { epochs: 1, batch: 4, lr: 3e-3, seed: 0, train: 4, test: 2, size: 32, digits: 1, examples: 1, channels: [2, 2, 2, 2] as const, progress: false, log: () => {} };
      const yours = runFcn({ ...base, out, ops: mine.impl, mine: { dir: 'solutions', sources: mine.sources } });
      const lib = runFcn({ ...base, out: path.join(out, 'library') });
      expect(yours.test.meanIoU).toBeCloseTo(lib.test.meanIoU, 9);
      expect(yours.test.loss).toBeCloseTo(lib.test.loss, 9);
      const metrics = JSON.parse(readFileSync(yours.files[0], 'utf8')) as { mine: { dir: string; sources: { group: string; from: string; functions: string[]; file: string }[] } };
      expect(metrics.mine.dir).toBe('solutions');
      expect(metrics.mine.sources.map((s) => [s.group, s.from])).toEqual(FOUR.map((g) => [g, 'yours']));
      expect(metrics.mine.sources[3]).toMatchObject({ functions: ['convTranspose2dForward', 'convTranspose2dBackward'], file: 'solutions/07-fcn/conv-transpose.ts' });
      expect(JSON.parse(readFileSync(lib.files[0], 'utf8')).mine).toBeUndefined();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  const train = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'packages/lab/src/cli/train.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, INIT_CWD: ROOT, NO_COLOR: '1' }, timeout: 600_000 });

  it('pnpm train fcn --mine on the untouched stubs: exit 1 and a message naming what is missing and the tests that check it', () => {
    const r = train(['fcn', '--mine']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('train fcn --mine needs your own conv or convTranspose and cannot run without one of them');
    expect(r.stderr).toContain('convTranspose2dForward is still TODO');
    expect(r.stderr).toContain('pnpm test exercises/07-fcn');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('pnpm train fcn --mine solutions, 4 images of 32x32, 1 epoch: says where each function came from, compares with the library, records both in metrics.json', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'dlkata-fcn-mine-cli-'));
    try {
      const stdout = execFileSync(process.execPath, ['--import', 'tsx', 'packages/lab/src/cli/train.ts', 'fcn', '--mine', 'solutions', '--train', '4', '--test', '2', '--epochs', '1', '--size', '32', '--digits', '1', '--examples', '1', '--out', out], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, INIT_CWD: ROOT, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(stdout).toMatch(/yours {4}convTranspose2dForward, convTranspose2dBackward +solutions\/07-fcn\/conv-transpose\.ts; matches the library/);
      expect(stdout).toMatch(/test mean IoU \(points\): yours \d+\.\d\d, library \d+\.\d\d \(same seed and settings\): the same within noise/);
      const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as { mine: { sources: { from: string }[] }; comparison: { same: boolean }; library: { test: { meanIoU: number } }; test: { meanIoU: number } };
      expect(metrics.mine.sources.every((s) => s.from === 'yours')).toBe(true);
      expect(metrics.comparison.same).toBe(true);
      expect(metrics.library.test.meanIoU).toBeCloseTo(metrics.test.meanIoU, 9);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
