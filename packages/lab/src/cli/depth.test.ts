import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { numericalGradient, Rng, Tensor } from '@dlkata/tensor';
import { softmaxCrossEntropy } from '@dlkata/layers';
import { createStack, downsample, formatDepthTable, lossAndGrads, stackBackward, stackForward, type DepthRow, type StackOptions } from './depth.js';
import { expectGradient } from '../test-support.js';

const small: StackOptions = { channels: 2, size: 4, classes: 3, init: 'xavier', seed: 5 };

describe('depth experiment: the stacks', () => {
  it('plain and residual stacks of one depth share the stem, the classifier and every 3x3 weight', () => {
    const plain = createStack('plain', 6, small);
    const res = createStack('residual', 6, small);
    for (const k of ['stem.w', 'fc.w']) expect([...res.params[k].data]).toEqual([...plain.params[k].data]);
    for (let j = 1; j <= 3; j++) {
      expect([...res.params[`block${j}.w1`].data]).toEqual([...plain.params[`conv${2 * j - 1}.w`].data]);
      expect([...res.params[`block${j}.w2`].data]).toEqual([...plain.params[`conv${2 * j}.w`].data]);
    }
    const count = (p: Record<string, Tensor>): number => Object.values(p).reduce((a, t) => a + t.size, 0);
    expect(count(res.params)).toBe(count(plain.params));
  });

  it('an odd depth is rejected (a residual block holds two convolutions)', () => {
    expect(() => createStack('residual', 3, small)).toThrow('depth must be an even integer >= 2');
  });

  it.each(['plain', 'residual'] as const)('%s stack, depth 4, x=[3,1,4,4]: every gradient matches the numerical gradient of the loss', (kind) => {
    const stack = createStack(kind, 4, { ...small, init: 'he' });
    const rng = new Rng(11);
    for (const t of Object.values(stack.params)) if (t.ndim === 1) t.data.set(rng.randn(t.shape, 0.1).data);
    const x = rng.randn([3, 1, 4, 4]);
    const y = [0, 2, 1];
    const { scores, cache } = stackForward(stack, x);
    const { dscores } = softmaxCrossEntropy(scores, y);
    const grads = stackBackward(stack, dscores, cache);
    expect(Object.keys(grads).sort()).toEqual(Object.keys(stack.params).sort());
    for (const [k, p] of Object.entries(stack.params)) {
      const numeric = numericalGradient((t) => stackForward({ ...stack, params: { ...stack.params, [k]: t } }, x).scores, p, dscores, 1e-6);
      expectGradient(`${kind} depth 4: d${k}`, grads[k], numeric, { atol: 1e-9 });
    }
  });

  it('Xavier init, depth 16 on 7x7 images: the gradient at the first layer is at least 100 times larger with the skips', () => {
    const opts: StackOptions = { channels: 4, size: 7, classes: 10, init: 'xavier', seed: 0 };
    const rng = new Rng(1);
    const x = rng.randn([8, 1, 7, 7]);
    const y = Array.from({ length: 8 }, (_, i) => i);
    const norm = (t: Tensor): number => Math.sqrt(t.data.reduce((a, v) => a + v * v, 0));
    const plain = norm(lossAndGrads(createStack('plain', 16, opts), x, y).grads['stem.w']);
    const residual = norm(lossAndGrads(createStack('residual', 16, opts), x, y).grads['stem.w']);
    expect(residual / plain).toBeGreaterThan(100);
  });

  it('downsample averages 2x2 blocks', () => {
    const images = Tensor.from([[[[1, 2, 3, 4], [5, 6, 7, 8], [0, 0, 1, 1], [0, 4, 1, 1]]]]);
    const out = downsample({ images, labels: Int32Array.from([0]), classes: 10 }, 2);
    expect(out.images.shape).toEqual([1, 1, 2, 2]);
    expect([...out.images.data]).toEqual([3.5, 5.5, 1, 1]);
  });

  it('formatDepthTable: one line per depth, plain and residual side by side, the ratio of their gradients', () => {
    const row = (kind: 'plain' | 'residual', depth: number, gradFirst: number, finalLoss: number): DepthRow => ({
      kind,
      depth,
      convLayers: depth + 1,
      params: 0,
      gradFirst,
      gradLast: 1,
      initialLoss: 2.3,
      finalLoss,
      finalAccuracy: 0.5,
      stepLosses: [],
      seconds: 1,
    });
    const table = formatDepthTable([row('plain', 4, 0.05, 0.2), row('residual', 4, 0.5, 0.1), row('plain', 32, 1e-6, NaN), row('residual', 32, 2, 0.5)], 100);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('loss after 100 steps');
    expect(lines[2]).toMatch(/^4\s+5\.00e-2\s+5\.00e-1\s+10\.0x\s+0\.200\s+0\.100$/);
    expect(lines[3]).toMatch(/^32\s+1\.00e-6\s+2\.00e\+0\s+2\.00e\+6x\s+diverged\s+0\.500$/);
  });
});

describe('pnpm run depth', () => {
  it('--depths 2 --steps 2 on 7x7 digits: prints the table and writes depth.json and depth.svg into --out', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'dlkata-depth-'));
    try {
      const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
      const stdout = execFileSync(
        process.execPath,
        ['--import', 'tsx', 'packages/lab/src/cli/depth.ts', '--depths', '2', '--steps', '2', '--images', '20', '--channels', '2', '--size', '7', '--out', out],
        { cwd: root, encoding: 'utf8', env: { ...process.env, INIT_CWD: root, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      expect(stdout).toMatch(/^2\s+\S+e-?\d+\s+\S+e[-+]\d+\s+\S+x\s+\d\.\d{3}\s+\d\.\d{3}$/m);
      const report = JSON.parse(readFileSync(path.join(out, 'depth.json'), 'utf8')) as { rows: { kind: string; depth: number; stepLosses: number[] }[] };
      expect(report.rows.map((r) => `${r.kind} ${r.depth}`)).toEqual(['plain 2', 'residual 2']);
      expect(report.rows[0].stepLosses).toHaveLength(2);
      expect(existsSync(path.join(out, 'depth.svg'))).toBe(true);
      expect(readFileSync(path.join(out, 'depth.svg'), 'utf8')).toMatch(/^<svg/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
