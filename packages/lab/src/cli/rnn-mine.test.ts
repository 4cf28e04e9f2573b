import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manyToOneLoss, seq2seqGreedy, seq2seqLoss } from '@dlkata/rnn';
import { relativeError, Rng } from '@dlkata/tensor';
import { LIBRARY_IMPL } from '../mine/mine.js';
import { ROOT } from '../root.js';
import { createSequenceClassifier, sequenceLossFrom } from '../tasks/seqmnist.js';
import { createTranslator, seq2seqFrom } from '../tasks/translate.js';

const train = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'packages/lab/src/cli/train.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, INIT_CWD: ROOT, NO_COLOR: '1' }, timeout: 600_000 });

interface MineMetrics {
  mine: { dir: string; sources: { group: string; from: string; problem?: string; file: string }[]; uses?: unknown };
  comparisons: { metric: string; same: boolean; yours: number; library: number }[];
}

const withOut = (prefix: string, body: (out: string) => void): void => {
  const out = mkdtempSync(path.join(tmpdir(), prefix));
  try {
    body(out);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
};

describe('sequenceLossFrom: a many-to-one loss from a sequence layer', () => {
  it.each(['rnn', 'lstm'] as const)('%s, with the library layers: the same loss, scores and gradients as manyToOneLoss', (cell) => {
    const rng = new Rng(3);
    const params = createSequenceClassifier(cell, 3, 5, 4, rng);
    const x = rng.randn([3, 6, 3]);
    const y = [0, 3, 2];
    const a = sequenceLossFrom(cell, LIBRARY_IMPL)(x, params, y);
    const b = manyToOneLoss(x, params, y, { cell });
    expect(a.loss).toBeCloseTo(b.loss, 12);
    expect(relativeError(a.scores, b.scores).error).toBeLessThan(1e-12);
    expect(Object.keys(a.grads).sort()).toEqual(Object.keys(b.grads).sort());
    for (const k of Object.keys(b.grads)) expect(relativeError(a.grads[k], b.grads[k]).error, k).toBeLessThan(1e-10);
  });
});

describe('seq2seqFrom: the encoder-decoder from an LSTM', () => {
  it('with the library LSTM: the same loss, gradients and greedy outputs as seq2seqLoss and seq2seqGreedy', () => {
    const rng = new Rng(4);
    const params = createTranslator(1, 5, 3, rng);
    for (const k of Object.keys(params)) params[k] = rng.randn(params[k].shape, 0.5);
    const Vs = params.Wsrc.shape[0];
    const Vt = params.Wout.shape[1];
    const src = [
      [0, 1, 2, Vs - 1],
      [3, 3, 0, 1],
      [2, 2, 2, 2],
    ];
    const tgt = [
      [1, 4, Vt - 1, 2, 0],
      [1, 5, 2, 0, 0],
      [1, 3, 3, 3, 2],
    ];
    const mine = seq2seqFrom(LIBRARY_IMPL);
    const a = mine.seq2seqLoss(src, tgt, params, { nullId: 0 });
    const b = seq2seqLoss(src, tgt, params, { nullId: 0 });
    expect(a.loss).toBeCloseTo(b.loss, 12);
    expect(Object.keys(a.grads).sort()).toEqual(Object.keys(b.grads).sort());
    for (const k of Object.keys(b.grads)) expect(relativeError(a.grads[k], b.grads[k]).error, k).toBeLessThan(1e-10);
    const opts = { start: 1, end: 2, nullId: 0, maxLength: 6 };
    expect(mine.seq2seqGreedy(src, params, opts)).toEqual(seq2seqGreedy(src, params, opts));
  });
});

describe('pnpm train seqmnist --mine', () => {
  it('on the untouched stubs: exit 1 and a message naming the three exercises and their tests', () => {
    const r = train(['seqmnist', '--mine', '--per-class', '2', '--hidden', '2']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('train seqmnist --mine needs your own rnn or lstm or manyToOne and cannot run without one of them');
    expect(r.stderr).toContain('rnnForward is still TODO');
    expect(r.stderr).toContain('manyToOneLoss is still TODO');
    expect(r.stderr).toContain('pnpm test exercises/12-rnn-architectures');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--mine solutions, 3 digits per class, H = 4: every function is yours, the same as the library on the same seed', () => {
    withOut('dlkata-seqmnist-mine-', (out) => {
      const r = train(['seqmnist', '--mine', 'solutions', '--per-class', '3', '--hidden', '4', '--out', out]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/yours {4}rnnForward, rnnBackward, rnnStepBackward .*solutions\/09-rnn\/rnn\.ts; matches the library/);
      expect(r.stdout).toMatch(/yours {4}manyToOneLoss .*solutions\/12-rnn-architectures\/architectures\.ts; matches the library/);
      expect(r.stdout).toContain('LSTM model: manyToOneLoss yours');
      expect(r.stdout).toContain('--mine: the exercises\' loops are slow, so this run is small unless given: 2 epoch(s), 3 digits per class, H = 4');
      expect(r.stdout).toMatch(/RNN test loss \(nats\): yours \d\.\d{4}, library \d\.\d{4} \(same seed and settings\): the same within noise/);
      const m = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as MineMetrics;
      expect(m.mine.dir).toBe('solutions');
      expect(m.mine.uses).toMatchObject({ rnn: expect.stringContaining('rnnForward, rnnBackward yours') as unknown, lstm: expect.stringContaining('manyToOneLoss yours') as unknown });
      expect(m.mine.sources.map((s) => [s.group, s.from])).toEqual([
        ['rnn', 'yours'],
        ['lstm', 'yours'],
        ['manyToOne', 'yours'],
      ]);
      expect(m.comparisons).toHaveLength(4);
      for (const c of m.comparisons) expect(c.same, c.metric).toBe(true);
    });
  });

  it('only exercise 09 done: the RNN is yours, the LSTM model falls back to the library with notices', () => {
    // Inside the package, so that the copies import the same @dlkata/tensor as the run.
    const dir = mkdtempSync(path.join(ROOT, 'packages/lab/.mine-partial-'));
    try {
      cpSync(path.join(ROOT, 'solutions/09-rnn'), path.join(dir, '09-rnn'), { recursive: true });
      cpSync(path.join(ROOT, 'exercises/12-rnn-architectures'), path.join(dir, '12-rnn-architectures'), { recursive: true });
      withOut('dlkata-seqmnist-mine-', (out) => {
        const r = train(['seqmnist', '--mine', dir, '--per-class', '2', '--hidden', '3', '--out', out]);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/yours {4}rnnForward, rnnBackward, rnnStepBackward/);
        expect(r.stdout).toMatch(/library {2}lstmForward, .*yours not found: .*11-lstm\/lstm\.ts/);
        expect(r.stdout).toMatch(/library {2}manyToOneLoss .*manyToOneLoss is still TODO/);
        expect(r.stdout).toContain("LSTM model: lstmForward, lstmBackward the library's");
        const m = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as MineMetrics;
        expect(m.mine.sources.map((s) => [s.group, s.from, s.problem])).toEqual([
          ['rnn', 'yours', undefined],
          ['lstm', 'library', 'missing'],
          ['manyToOne', 'library', 'todo'],
        ]);
        for (const c of m.comparisons) expect(c.same, c.metric).toBe(true);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pnpm train translate --mine', () => {
  it('on the untouched stubs: exit 1 and a message saying seq2seqLoss and the LSTM are TODO and how to check them', () => {
    const r = train(['translate', '--mine', '--train', '4', '--test', '2', '--hidden', '2']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('train translate --mine needs your own seq2seq or lstm and cannot run without one of them');
    expect(r.stderr).toContain('seq2seqLoss is still TODO');
    expect(r.stderr).toMatch(/lstm\w+ is still TODO/);
    expect(r.stderr).toContain('pnpm test exercises/11-lstm');
    expect(r.stderr).toContain('pnpm test exercises/12-rnn-architectures');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--mine with two layers: a clear message, no run', () => {
    const r = train(['translate', '--mine', 'solutions', '--layers', '1,2']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('has one LSTM layer per side; --layers 1,2 asks for more');
  });

  it('--mine solutions on 30 numbers, H = 6: the functions are yours, the same as the library on the same seed', () => {
    withOut('dlkata-translate-mine-', (out) => {
      const r = train(['translate', '--mine', 'solutions', '--train', '30', '--test', '10', '--hidden', '6', '--embed', '4', '--out', out]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/yours {4}seq2seqLoss, seq2seqGreedy .*solutions\/12-rnn-architectures\/architectures\.ts; matches the library/);
      expect(r.stdout).toMatch(/held-out exact match \(points\): yours \d+\.\d, library \d+\.\d \(same seed and settings\): the same within noise/);
      const m = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as MineMetrics & { options: { layers: number[] } };
      expect(m.options.layers).toEqual([1]);
      expect(m.mine.sources.map((s) => [s.group, s.from])).toEqual([
        ['seq2seq', 'yours'],
        ['lstm', 'yours'],
      ]);
      for (const c of m.comparisons) expect(c.same, c.metric).toBe(true);
    });
  });
});

describe('pnpm train translate --mine, exercise 12 still TODO', () => {
  it("only exercise 11 done: the student's LSTM inside the library's encoder-decoder, the same as the library", () => {
    const dir = mkdtempSync(path.join(ROOT, 'packages/lab/.mine-partial-'));
    try {
      cpSync(path.join(ROOT, 'solutions/11-lstm'), path.join(dir, '11-lstm'), { recursive: true });
      cpSync(path.join(ROOT, 'exercises/12-rnn-architectures'), path.join(dir, '12-rnn-architectures'), { recursive: true });
      withOut('dlkata-translate-mine-', (out) => {
        const r = train(['translate', '--mine', dir, '--train', '30', '--test', '10', '--hidden', '6', '--embed', '4', '--out', out]);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/library {2}seq2seqLoss, seq2seqGreedy .*seq2seqLoss is still TODO/);
        expect(r.stdout).toMatch(/yours {4}lstmForward, lstmBackward, lstmStepForward, lstmStepBackward .*11-lstm\/lstm\.ts; matches the library/);
        expect(r.stdout).toContain("encoder-decoder: lstmForward, lstmBackward, lstmStepForward yours");
        const m = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as MineMetrics;
        expect(m.mine.sources.map((s) => [s.group, s.from, s.problem])).toEqual([
          ['seq2seq', 'library', 'todo'],
          ['lstm', 'yours', undefined],
        ]);
        for (const c of m.comparisons) expect(c.same, c.metric).toBe(true);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pnpm train caption --mine', () => {
  it('on the untouched stubs: exit 1 and a message saying captionLoss is TODO and how to check it', () => {
    const r = train(['caption', '--mine', '--train', '2', '--test', '2', '--hidden', '2']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('train caption --mine needs your own caption and cannot run without it');
    expect(r.stderr).toContain('captionLoss is still TODO');
    expect(r.stderr).toContain('pnpm test exercises/12-rnn-architectures');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--mine solutions on 8 canvases, H = 6, no pre-training: the decoder is yours, the same as the library on the same seed', () => {
    withOut('dlkata-caption-mine-', (out) => {
      const r = train(['caption', '--mine', 'solutions', '--train', '8', '--test', '6', '--hidden', '6', '--embed', '4', '--batch', '4', '--pretrain-epochs', '0', '--out', out]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/yours {4}captionLoss, captionGreedy .*solutions\/12-rnn-architectures\/architectures\.ts; matches the library/);
      expect(r.stdout).toMatch(/train loss \(nats per caption\): yours \d+\.\d{4}, library \d+\.\d{4} \(same seed and settings\): the same within noise/);
      const m = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as MineMetrics;
      expect(m.mine.sources.map((s) => [s.group, s.from])).toEqual([['caption', 'yours']]);
      expect(m.comparisons).toHaveLength(2);
      for (const c of m.comparisons) expect(c.same, c.metric).toBe(true);
    });
  });
});
