import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng, Tensor, ValueError } from '@dlkata/tensor';
import { createNetwork, lenet5 } from '@dlkata/layers';
import { loadMine, networkOps } from '../mine/mine.js';
import { ROOT } from '../root.js';
import { firstPerClass, freezeLayers, runTransfer, withNewHead } from './transfer.js';

describe('freezeLayers', () => {
  it("LeNet-5, everything but the head: conv1, conv2, fc1, fc2's weights and biases", () => {
    const net = createNetwork(lenet5(), new Rng(0));
    expect([...freezeLayers(net.params, ['conv1', 'conv2', 'fc1', 'fc2'])]).toEqual(['conv1.w', 'conv1.b', 'conv2.w', 'conv2.b', 'fc1.w', 'fc1.b', 'fc2.w', 'fc2.b']);
    expect(() => freezeLayers(net.params, ['conv3'])).toThrow(ValueError);
  });
});

describe('withNewHead', () => {
  it('LeNet-5 with 5 classes from a 10-class one: fc3 [84,5] from Rng(seed), zero biases; the rest copied, the source untouched', () => {
    const source = createNetwork(lenet5(), new Rng(0));
    const before = source.params['conv1.w'].clone();
    const net = withNewHead(source, 5, 7);
    expect(net.spec.layers.at(-1)).toMatchObject({ type: 'affine', units: 5 });
    expect(net.info.outputShape).toEqual([5]);
    expect(Array.from(net.params['fc3.w'].data)).toEqual(Array.from(new Rng(7).randn([84, 5], Math.sqrt(2 / 84)).data));
    expect(Array.from(net.params['fc3.b'].data)).toEqual([0, 0, 0, 0, 0]);
    expect(net.params['conv1.w']).not.toBe(source.params['conv1.w']);
    expect(Array.from(net.params['conv1.w'].data)).toEqual(Array.from(before.data));
    net.params['conv1.w'].data[0] += 1;
    expect(source.params['conv1.w'].data[0]).toBe(before.data[0]);
  });
});

describe('firstPerClass', () => {
  it('2 per class of labels [0,1,0,0,1,2,1]: the first two of each, in order', () => {
    const images = new Tensor(Float64Array.from({ length: 7 }, (_, i) => i), [7, 1, 1, 1]);
    const small = firstPerClass({ images, labels: Int32Array.from([0, 1, 0, 0, 1, 2, 1]), classes: 3 }, 2);
    expect(Array.from(small.labels)).toEqual([0, 1, 0, 1, 2]);
    expect(Array.from(small.images.data)).toEqual([0, 1, 2, 4, 5]);
    expect(small.images.shape).toEqual([5, 1, 1, 1]);
  });
});

describe('runTransfer', () => {
  it('a tiny run with conv1, conv2, fc1 frozen: three variants, the first trains only fc2 and the new head; writes metrics.json and accuracy.svg', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'dlkata-transfer-'));
    try {
      const lines: string[] = [];
      const r = await runTransfer({ seed: 0, pretrainEpochs: 1, pretrainPerClass: 30, perClass: 5, targetPerClass: 20, freeze: ['conv1', 'conv2', 'fc1'], epochs: 2, batch: 10, lr: 1e-3, out, progress: false, log: (l) => lines.push(l) });
      expect(r.runs.map((x) => x.name)).toEqual(['frozen features + new head', 'fine-tuning all layers', 'from scratch']);
      // LeNet-5 with a 5-way head: 61,706 - 850 + 425 = 61,281 numbers; fc2 (10,164) and the head (425) stay trainable
      expect(r.runs.map((x) => x.trainableParams)).toEqual([10164 + 425, 61281, 61281]);
      expect(r.runs[0].frozenLayers).toEqual(['conv1', 'conv2', 'fc1']);
      for (const x of r.runs) {
        expect(x.testAccuracy).toBeGreaterThanOrEqual(0);
        expect(x.testAccuracy).toBeLessThanOrEqual(1);
      }
      const metrics = JSON.parse(readFileSync(r.files[0], 'utf8'));
      expect(metrics.runs).toHaveLength(3);
      expect(metrics.data.targetTrainImages).toBe(25);
      expect(readFileSync(r.files[1], 'utf8')).toContain('<svg');
      expect(lines.some((l) => l.startsWith('frozen features + new head |'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('runTransfer with the student\'s layers (--mine)', () => {
  it('the solutions\' convolution, pooling and ReLU, tiny sizes: metrics.json records where each function came from, and the accuracies equal the library\'s run', async () => {
    const mine = await loadMine({ root: ROOT, dir: 'solutions', groups: ['conv', 'pool', 'relu'], run: 'test' });
    const out = mkdtempSync(path.join(tmpdir(), 'dlkata-transfer-mine-'));
    try {
      const base = { seed: 0, pretrainEpochs: 1, pretrainPerClass: 8, perClass: 2, targetPerClass: 6, epochs: 1, batch: 10, lr: 1e-3, progress: false, log: () => {} };
      const yours = await runTransfer({ ...base, out, ops: networkOps(mine.impl), mine: { dir: 'solutions', sources: mine.sources } });
      const lib = await runTransfer({ ...base, out: path.join(out, 'library') });
      expect(yours.runs.map((r) => r.testAccuracy)).toEqual(lib.runs.map((r) => r.testAccuracy));
      const metrics = JSON.parse(readFileSync(yours.files[0], 'utf8')) as { mine: { dir: string; sources: { group: string; from: string; functions: string[]; file: string; probeError: number }[] } };
      expect(metrics.mine.dir).toBe('solutions');
      expect(metrics.mine.sources.map((s) => [s.group, s.from, s.file])).toEqual([
        ['conv', 'yours', 'solutions/02-convolution/conv.ts'],
        ['pool', 'yours', 'solutions/03-pooling/pool.ts'],
        ['relu', 'yours', 'solutions/05-residual/residual.ts'],
      ]);
      expect(metrics.mine.sources[0].functions).toEqual(['conv2dForward', 'conv2dBackward']);
      for (const s of metrics.mine.sources) expect(s.probeError).toBeLessThan(1e-9);
      expect(JSON.parse(readFileSync(lib.files[0], 'utf8')).mine).toBeUndefined();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
