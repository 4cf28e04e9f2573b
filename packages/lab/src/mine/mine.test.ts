import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { relativeError, Rng, Tensor, ValueError, type Conv2DParams } from '@dlkata/tensor';
import { ROOT } from '../root.js';
import { ADAPTERS, studentConvParams, studentPoolParams, type GroupName, type Impl } from './adapters.js';
import { compareRuns, formatComparison, formatSources, LIBRARY_IMPL, loadMine, MineMissingError, shortTodo } from './mine.js';

const ALL: GroupName[] = ['conv', 'pool', 'relu', 'residual', 'convTranspose', 'rnn', 'lstm', 'manyToOne', 'seq2seq', 'caption'];
const close = (what: string, a: Tensor, b: Tensor): void => {
  expect(a.shape, what).toEqual(b.shape);
  expect(relativeError(a, b).error, what).toBeLessThan(1e-9);
};

// The solutions are a second, independent implementation (naive loops): behind the adapters
// they must agree with the library on random inputs, which checks the adapters.
describe('adapters: the solutions behind the adapters agree with the library', async () => {
  const mine = await loadMine({ root: ROOT, dir: 'solutions', groups: ALL, run: 'test' });
  const S: Impl = mine.impl;
  const Lb: Impl = LIBRARY_IMPL;

  it('every group of the solutions is taken as "yours" and matches on the probe', () => {
    expect(mine.sources.map((s) => [s.group, s.from])).toEqual(ALL.map((g) => [g, 'yours']));
    for (const s of mine.sources) expect(s.probeError, s.group).toBeLessThan(1e-9);
  });

  it('conv2d, random shapes, strides, paddings (numbers, equal pairs, same): forward and all gradients', () => {
    fc.assert(
      fc.property(
        fc.record({ N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 3, max: 7 }), W: fc.integer({ min: 3, max: 7 }), F: fc.integer({ min: 1, max: 3 }), K: fc.constantFrom(1, 3), s: fc.integer({ min: 1, max: 2 }), p: fc.integer({ min: 0, max: 1 }), form: fc.constantFrom('number', 'pair', 'same'), seed: fc.integer() }),
        (c) => {
          const rng = new Rng(c.seed);
          const x = rng.randn([c.N, c.C, c.H, c.W]);
          const w = rng.randn([c.F, c.C, c.K, c.K]);
          const b = rng.randn([c.F]);
          const params: Conv2DParams = c.form === 'same' ? { pad: 'same' } : c.form === 'pair' ? { stride: [c.s, c.s], pad: [c.p, c.p], dilation: 1 } : { stride: c.s, pad: c.p };
          const a = S.conv2dForward(x, w, b, params);
          const l = Lb.conv2dForward(x, w, b, params);
          close('out', a.out, l.out);
          const dout = rng.randn(l.out.shape);
          const ga = S.conv2dBackward(dout, a.cache as never);
          const gl = Lb.conv2dBackward(dout, l.cache as never);
          close('dx', ga.dx, gl.dx);
          close('dw', ga.dw, gl.dw);
          close('db', ga.db, gl.db);
        },
      ),
      { seed: 1, numRuns: 30 },
    );
  });

  it('max pooling, random windows and strides: forward and gradient', () => {
    fc.assert(
      fc.property(fc.record({ H: fc.integer({ min: 2, max: 7 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }), seed: fc.integer() }), (c) => {
        fc.pre(c.k <= c.H);
        const rng = new Rng(c.seed);
        const x = rng.randn([2, 2, c.H, c.H + 1]);
        const a = S.maxPool2dForward(x, { kernel: c.k, stride: c.s });
        const l = Lb.maxPool2dForward(x, { kernel: [c.k, c.k], stride: c.s, pad: 0 });
        close('out', a.out, l.out);
        const dout = rng.randn(l.out.shape);
        close('dx', S.maxPool2dBackward(dout, a.cache as never).dx, Lb.maxPool2dBackward(dout, l.cache as never).dx);
      }),
      { seed: 2, numRuns: 30 },
    );
  });

  it('residual block, random channels and strides (identity and projection shortcuts)', () => {
    fc.assert(
      fc.property(fc.record({ C: fc.integer({ min: 1, max: 3 }), F: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }), seed: fc.integer() }), (c) => {
        const rng = new Rng(c.seed);
        const proj = c.C !== c.F || c.s !== 1;
        const p = { w1: rng.randn([c.F, c.C, 3, 3], 0.4), b1: rng.randn([c.F]), w2: rng.randn([c.F, c.F, 3, 3], 0.4), b2: rng.randn([c.F]), ...(proj ? { ws: rng.randn([c.F, c.C, 1, 1]), bs: rng.randn([c.F]) } : {}) };
        const x = rng.randn([2, c.C, 5, 4]);
        const a = S.residualBlockForward(x, p, { stride: c.s });
        const l = Lb.residualBlockForward(x, p, { stride: c.s });
        close('out', a.out, l.out);
        const dout = rng.randn(l.out.shape);
        const ga = S.residualBlockBackward(dout, a.cache as never);
        const gl = Lb.residualBlockBackward(dout, l.cache as never);
        for (const k of ['dx', 'dw1', 'db1', 'dw2', 'db2', ...(proj ? (['dws', 'dbs'] as const) : [])] as const) close(k, ga[k]!, gl[k]!);
      }),
      { seed: 3, numRuns: 20 },
    );
  });

  it('RNN and LSTM sequences, random sizes: outputs, gradients, step backward', () => {
    fc.assert(
      fc.property(fc.record({ N: fc.integer({ min: 1, max: 3 }), T: fc.integer({ min: 1, max: 5 }), D: fc.integer({ min: 1, max: 4 }), H: fc.integer({ min: 1, max: 4 }), seed: fc.integer() }), (c) => {
        const rng = new Rng(c.seed);
        const x = rng.randn([c.N, c.T, c.D]);
        const h0 = rng.randn([c.N, c.H]);
        const r = [rng.randn([c.D, c.H], 0.5), rng.randn([c.H, c.H], 0.5), rng.randn([c.H])] as const;
        const a = S.rnnForward(x, h0, ...r);
        const l = Lb.rnnForward(x, h0, ...r);
        close('h', a.h, l.h);
        const dh = rng.randn(l.h.shape);
        const ga = S.rnnBackward(dh, a.cache as never);
        const gl = Lb.rnnBackward(dh, l.cache as never);
        for (const k of ['dx', 'dh0', 'dWx', 'dWh', 'db'] as const) close(`rnn ${k}`, ga[k], gl[k]);
        const m = [rng.randn([c.D, 4 * c.H], 0.5), rng.randn([c.H, 4 * c.H], 0.5), rng.randn([4 * c.H])] as const;
        const la = S.lstmForward(x, h0, ...m);
        const ll = Lb.lstmForward(x, h0, ...m);
        close('lstm h', la.h, ll.h);
        close('lstm cT', la.cT, ll.cT);
        const lga = S.lstmBackward(dh, la.cache as never);
        const lgl = Lb.lstmBackward(dh, ll.cache as never);
        for (const k of ['dx', 'dh0', 'dc0', 'dWx', 'dWh', 'db'] as const) close(`lstm ${k}`, lga[k], lgl[k]);
      }),
      { seed: 4, numRuns: 20 },
    );
  });

  it("refuses, naming your function, what the exercise's signature cannot express", () => {
    const w = Tensor.zeros([1, 1, 3, 3]);
    expect(() => studentConvParams('conv2dForward', w, { stride: [1, 2] })).toThrow(new ValueError('conv2dForward (yours)', 'takes one stride for height and width; this run needs stride [1, 2]'));
    expect(() => studentConvParams('conv2dForward', w, { dilation: 2 })).toThrow(/conv2dForward \(yours\): has no dilation/);
    expect(() => studentConvParams('conv2dForward', Tensor.zeros([1, 1, 2, 2]), { pad: 'same' })).toThrow(/'same' padding needs an odd square kernel/);
    expect(studentConvParams('conv2dForward', Tensor.zeros([1, 1, 5, 5]), { pad: 'same' })).toEqual({ stride: 1, pad: 2 });
    expect(() => studentPoolParams('maxPool2dForward', { kernel: 2, pad: 1 })).toThrow(/maxPool2dForward \(yours\): has no padding/);
    expect(studentPoolParams('maxPool2dForward', { kernel: [3, 3] })).toEqual({ kernel: 3, stride: 3 });
  });
});

describe('loadMine on the untouched stubs', () => {
  it('TODO groups fall back to the library with the function and where to read about it', async () => {
    const mine = await loadMine({ root: ROOT, groups: ['conv', 'rnn'], run: 'test' });
    expect(mine.sources.map((s) => [s.group, s.from, s.problem])).toEqual([
      ['conv', 'library', 'todo'],
      ['rnn', 'library', 'todo'],
    ]);
    expect(mine.sources[0].reason).toMatch(/^conv2dForward is still TODO \(read: exercises\/02-convolution\/README\.md, "Task \d: conv2dForward"\)$/);
    expect(mine.impl.conv2dForward).toBe(LIBRARY_IMPL.conv2dForward);
    expect(formatSources(mine.sources)).toMatch(/^ {2}library {2}conv2dForward, conv2dBackward\s+conv2dForward is still TODO/m);
  });

  it('a required group still TODO stops the run, naming the functions, the file and the test command', async () => {
    const err = await loadMine({ root: ROOT, groups: ['conv', 'pool'], required: ['conv'], run: 'train lenet' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MineMissingError);
    const msg = (err as Error).message;
    expect(msg).toContain('train lenet --mine needs your own conv and cannot run without it');
    expect(msg).toContain('conv2dForward, conv2dBackward (exercises/02-convolution/conv.ts)');
    expect(msg).toContain('check it with: pnpm test exercises/02-convolution');
    expect(msg).not.toContain('pool');
  });

  it('requireAny: stops only when none of the groups is yours', async () => {
    const err = await loadMine({ root: ROOT, groups: ['rnn', 'lstm'], requireAny: ['rnn', 'lstm'], run: 'run longterm' }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/needs your own rnn or lstm and cannot run without one of them/);
    const ok = await loadMine({ root: ROOT, dir: 'solutions', groups: ['rnn', 'lstm'], requireAny: ['rnn', 'lstm'], run: 'run longterm' });
    expect(ok.sources.every((s) => s.from === 'yours')).toBe(true);
  });
});

describe('loadMine on broken folders', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dlkata-mine-'));
  const lib = path.join(ROOT, 'packages/layers/src/index.ts').split(path.sep).join('/');
  const write = (rel: string, text: string): void => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  };
  // A conv that adds 1 to the library's output: runs, but computes something else.
  write('02-convolution/conv.ts', `import * as L from '${lib}';\nexport const conv2dForward = (x, w, b, p) => { const r = L.conv2dForward(x, w, b, p); return { out: r.out.map((v) => v + 1), cache: r.cache }; };\nexport const conv2dBackward = L.conv2dBackward;\n`);
  // A pooling module without its backward pass.
  write('03-pooling/pool.ts', `export const maxPool2dForward = () => { throw new Error('never called'); };\n`);
  // A residual block that crashes.
  write('05-residual/residual.ts', `export const residualBlockForward = (x) => x.nope.shape;\nexport const residualBlockBackward = () => 0;\nexport const reluForward = () => 0;\nexport const reluBackward = () => 0;\n`);

  it('a wrong function is still yours, flagged as differing from the library; missing and throwing ones fall back', async () => {
    try {
      const mine = await loadMine({ root: ROOT, dir, groups: ['conv', 'pool', 'residual', 'lstm'], run: 'test' });
      const by = Object.fromEntries(mine.sources.map((s) => [s.group, s]));
      expect(by.conv.from).toBe('yours');
      expect(by.conv.probeError).toBeGreaterThan(1e-3);
      expect(formatSources(mine.sources)).toMatch(/yours {4}conv2dForward, conv2dBackward .*DIFFERS from the library on a small input/);
      expect(by.pool).toMatchObject({ from: 'library', problem: 'missing' });
      expect(by.pool.reason).toContain('exports no function maxPool2dBackward');
      expect(by.residual).toMatchObject({ from: 'library', problem: 'error' });
      expect(by.residual.reason).toMatch(/Cannot read properties of undefined/);
      expect(by.lstm).toMatchObject({ from: 'library', problem: 'missing' });
      expect(by.lstm.reason).toMatch(/there is no .*11-lstm\/lstm\.ts/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("exercise 12's architectures behind the adapters", async () => {
  const mine = await loadMine({ root: ROOT, dir: 'solutions', groups: ['manyToOne', 'seq2seq', 'caption'], run: 'test' });
  const S: Impl = mine.impl;

  it('the solutions match the library on a larger input: manyToOneLoss, seq2seqLoss and seq2seqGreedy (ids as rows and as { data, shape })', () => {
    const rng = new Rng(7);
    const [N, T, D, H, K] = [4, 6, 3, 5, 3];
    const params = { Wx: rng.randn([D, 4 * H], 0.4), Wh: rng.randn([H, 4 * H], 0.4), b: rng.randn([4 * H]), Wy: rng.randn([H, K]), by: rng.randn([K]) };
    const x = rng.randn([N, T, D]);
    const a = S.manyToOneLoss(x, params, [0, 1, 2, 1], { pool: 'mean', cell: 'lstm' });
    const l = LIBRARY_IMPL.manyToOneLoss(x, params, [0, 1, 2, 1], { pool: 'mean', cell: 'lstm' });
    expect(a.loss).toBeCloseTo(l.loss, 10);
    close('dx', a.dx, l.dx);
    for (const k of Object.keys(params)) close(k, a.grads[k], l.grads[k]);
    const E = 3;
    const sp = { Wsrc: rng.randn([5, E]), encWx: rng.randn([E, 4 * H], 0.5), encWh: rng.randn([H, 4 * H], 0.5), encb: rng.randn([4 * H]), Wtgt: rng.randn([6, E]), decWx: rng.randn([E, 4 * H], 0.5), decWh: rng.randn([H, 4 * H], 0.5), decb: rng.randn([4 * H]), Wout: rng.randn([H, 6]), bout: rng.randn([6]) };
    const src = { data: [1, 2, 3, 4, 0, 1, 2, 2], shape: [2, 4] };
    const tgt = [
      [1, 3, 4, 2],
      [1, 5, 2, 0],
    ];
    const ls = S.seq2seqLoss(src, tgt, sp, { nullId: 0 });
    const ll = LIBRARY_IMPL.seq2seqLoss(src, tgt, sp, { nullId: 0 });
    expect(ls.loss).toBeCloseTo(ll.loss, 10);
    for (const k of Object.keys(sp)) close(k, ls.grads[k], ll.grads[k]);
    const opts = { start: 1, end: 2, nullId: 0, maxLength: 5 };
    expect(S.seq2seqGreedy(src, sp, opts)).toEqual(LIBRARY_IMPL.seq2seqGreedy(src, sp, opts));
  });

  it("what the exercise's one-layer LSTM cannot express is a ValueError naming the student's function", () => {
    const rng = new Rng(8);
    const params = { Wx: rng.randn([2, 3]), Wh: rng.randn([3, 3]), b: rng.randn([3]), Wy: rng.randn([3, 2]), by: rng.randn([2]) };
    expect(() => S.manyToOneLoss(rng.randn([1, 2, 2]), params, [0], { cell: 'rnn' })).toThrow(ValueError);
    expect(() => S.manyToOneLoss(rng.randn([1, 2, 2]), params, [0], { cell: 'rnn' })).toThrow(/manyToOneLoss \(yours\).*is built on an LSTM; this run needs cell 'rnn'/);
    expect(() => S.manyToOneLoss(rng.randn([1, 2, 2]), { ...params, Wx2: params.Wh }, [0])).toThrow(/manyToOneLoss \(yours\).*takes one LSTM layer .*also has Wx2/);
    expect(() => S.seq2seqGreedy([[1]], { Wsrc: params.Wx }, { start: 1, end: 2, nullId: 0, maxLength: 2 })).toThrow(/seq2seqGreedy \(yours\).*has no encWx/);
  });
});

describe('messages', () => {
  it('shortTodo keeps the function and the README pointer', () => {
    expect(shortTodo('TODO: rnnForward: loop over t (read: exercises/09-rnn/README.md, "Task 3: rnnForward"; guide: docs/x.html#y)')).toBe('rnnForward is still TODO (read: exercises/09-rnn/README.md, "Task 3: rnnForward")');
    expect(shortTodo('TODO: f: do it')).toBe('f is still TODO');
    expect(shortTodo('something else entirely')).toBe('something else entirely');
    // Semicolons and parentheses before the pointer (the stubs' messages have both).
    expect(shortTodo("TODO: g: the cache (H', W') it needs; zeroPad helps (read: exercises/02-convolution/README.md, \"Task 2: g\"; tests: pnpm test 02)")).toBe(
      'g is still TODO (read: exercises/02-convolution/README.md, "Task 2: g")',
    );
  });

  it('shortTodo keeps the README pointer of every stub message in exercises/', () => {
    const messages: string[] = [];
    for (const ex of readdirSync(path.join(ROOT, 'exercises'))) {
      const dir = path.join(ROOT, 'exercises', ex);
      if (!statSync(dir).isDirectory()) continue;
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))) {
        for (const m of readFileSync(path.join(dir, f), 'utf8').matchAll(/new NotImplementedError\('((?:[^'\\]|\\.)*)'\)/g)) messages.push(m[1].replace(/\\'/g, "'"));
      }
    }
    expect(messages.length).toBeGreaterThan(20);
    for (const m of messages.filter((x) => x.includes('(read: '))) expect(shortTodo(m)).toMatch(/^[\w$]+(?: \([^)]*\))? is still TODO \(read: exercises\/[^)]+README\.md, "Task \d+[^"]*"\)$/);
  });
  it('compareRuns: the same within the tolerance, not the same beyond it or for NaN', () => {
    expect(compareRuns('acc', 97.1, 97.4, 0.5).same).toBe(true);
    expect(compareRuns('acc', 96.8, 97.4, 0.5).same).toBe(false);
    expect(compareRuns('acc', NaN, 97.4, 0.5).same).toBe(false);
    expect(formatComparison(compareRuns('acc', 96.8, 97.4, 0.5), (v) => v.toFixed(1))).toMatch(/^acc: yours 96\.8, library 97\.4 .*NOT the same \(difference -0\.6, more than 0\.5\)/);
  });
  it('every group names its exercise file, and the file exists in exercises/ and solutions/', () => {
    for (const a of Object.values(ADAPTERS)) {
      for (const d of ['exercises', 'solutions']) expect(existsSync(path.join(ROOT, d, a.exercise, a.file)), `${d}/${a.exercise}/${a.file}`).toBe(true);
    }
  });
});

describe('pnpm train lenet --mine (the command line)', () => {
  const tsx = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'packages/lab/src/cli/train.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, INIT_CWD: ROOT, NO_COLOR: '1' }, timeout: 600_000 });

  it('on the untouched stubs: exit 1 and a message saying what is missing and how to check it', () => {
    const r = tsx(['lenet', '--mine']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('train lenet --mine needs your own conv and cannot run without it');
    expect(r.stderr).toContain('conv2dForward is still TODO');
    expect(r.stderr).toContain('pnpm test exercises/02-convolution');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('--mine solutions on 3 digits per class, 1 epoch: says where each function came from, compares with the library, draws the filters', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'dlkata-lenet-mine-'));
    try {
      const stdout = execFileSync(process.execPath, ['--import', 'tsx', 'packages/lab/src/cli/train.ts', 'lenet', '--mine', 'solutions', '--per-class', '3', '--epochs', '1', '--out', out], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, INIT_CWD: ROOT, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(stdout).toMatch(/yours {4}conv2dForward, conv2dBackward .*solutions\/02-convolution\/conv\.ts; matches the library/);
      expect(stdout).toMatch(/yours {4}maxPool2dForward, maxPool2dBackward/);
      expect(stdout).toMatch(/test accuracy \(points\): yours \d+\.\d\d, library \d+\.\d\d \(same seed and settings\): the same within noise/);
      const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as { test: { accuracy: number }; library: { test: { accuracy: number } }; comparison: { same: boolean } };
      expect(metrics.comparison.same).toBe(true);
      expect(Math.abs(metrics.test.accuracy - metrics.library.test.accuracy)).toBeLessThanOrEqual(0.005);
      for (const f of ['filters.svg', 'feature-maps.svg', 'curves.svg']) expect(readFileSync(path.join(out, f), 'utf8')).toMatch(/^<svg/);
      expect(readFileSync(path.join(out, 'filters.svg'), 'utf8')).toContain('your LeNet-5 first-layer filters');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
