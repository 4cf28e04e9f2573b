import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Adam } from '@dlkata/layers';
import { maxAbs, numericalGradient, relativeError, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { clipGradNorm } from './clip.js';
import { lstmBackward, lstmForward, lstmInitParams } from './lstm.js';
import { rnnBackward, rnnForward } from './rnn.js';
import { sliceTime, timeChunks, truncatedBptt, type TimeChunk } from './tbptt.js';
import { temporalAffineBackward, temporalAffineForward, temporalSoftmaxLoss } from './temporal.js';
import { expectAllClose, expectGradient, FC_OPTS, recurrentParams, SMOOTH_H } from './test-support.js';

type Cell = 'rnn' | 'lstm';

/** A linear loss `sum(h * G[:, s:e, :])` per chunk, so `dh` is the slice of G. */
const linearLoss = (G: Tensor) => (h: Tensor, chunk: TimeChunk) => {
  const dh = sliceTime(G, chunk.start, chunk.end);
  let loss = 0;
  for (let i = 0; i < h.size; i++) loss += h.data[i] * dh.data[i];
  return { loss, dh };
};

function setup(cell: Cell, N: number, T: number, D: number, H: number, seed: number) {
  const rng = new Rng(seed);
  const x = rng.randn([N, T, D]);
  const h0 = rng.randn([N, H], 0.5);
  const c0 = rng.randn([N, H]);
  const params = recurrentParams(rng, D, H, cell === 'lstm' ? 4 : 1);
  const G = rng.randn([N, T, H]);
  return { x, h0, c0: cell === 'lstm' ? c0 : undefined, params, G };
}

/** The whole sequence in one pass: forward and full BPTT. */
function full(cell: Cell, x: Tensor, h0: Tensor, c0: Tensor | undefined, p: { Wx: Tensor; Wh: Tensor; b: Tensor }, G: Tensor) {
  if (cell === 'lstm') {
    const f = lstmForward(x, h0, p.Wx, p.Wh, p.b, c0);
    return { h: f.h, cT: f.cT, ...lstmBackward(G, f.cache) };
  }
  const f = rnnForward(x, h0, p.Wx, p.Wh, p.b);
  return { h: f.h, cT: undefined, ...rnnBackward(G, f.cache) };
}

describe('timeChunks / sliceTime', () => {
  it('T=10 k=4: [0,4) [4,8) [8,10); k >= T: one chunk', () => {
    expect(timeChunks(10, 4)).toEqual([
      { index: 0, start: 0, end: 4 },
      { index: 1, start: 4, end: 8 },
      { index: 2, start: 8, end: 10 },
    ]);
    expect(timeChunks(3, 3)).toEqual([{ index: 0, start: 0, end: 3 }]);
    expect(timeChunks(3, 100)).toEqual([{ index: 0, start: 0, end: 3 }]);
  });

  it('bad T or k: ValueError', () => {
    expect(() => timeChunks(10, 0)).toThrow(new ValueError('timeChunks', 'k must be an integer >= 1, got 0'));
    expect(() => timeChunks(0, 2)).toThrow(new ValueError('timeChunks', 'T must be an integer >= 1, got 0'));
    expect(() => timeChunks(5, 1.5)).toThrow(new ValueError('timeChunks', 'k must be an integer >= 1, got 1.5'));
  });

  it('sliceTime x=[2,4,3] steps [1,3): x[:, 1:3, :]; works for 2-D [N, T] too', () => {
    const x = Tensor.fromArray(Array.from({ length: 24 }, (_, i) => i), [2, 4, 3]);
    const s = sliceTime(x, 1, 3);
    expect(s.shape).toEqual([2, 2, 3]);
    expect(s.toArray()).toEqual([[[3, 4, 5], [6, 7, 8]], [[15, 16, 17], [18, 19, 20]]]);
    expect(sliceTime(Tensor.from([[1, 2, 3], [4, 5, 6]]), 2, 3).toArray()).toEqual([[3], [6]]);
    expect(() => sliceTime(x, 3, 9)).toThrow(new ValueError('sliceTime', 'time range [3, 9) is not a non-empty integer range inside [0, 4) of x [2,4,3]'));
    expect(() => sliceTime(x, 2, 2)).toThrow(ValueError);
    expect(() => sliceTime(Tensor.zeros([5]), 0, 1)).toThrow(new ShapeError('sliceTime', 'x must be at least 2-D [N, T, ...], got [5]'));
  });
});

describe.each(['rnn', 'lstm'] as const)('truncatedBptt, cell %s', (cell) => {
  const cases = fc.record({
    N: fc.integer({ min: 1, max: 2 }),
    T: fc.integer({ min: 2, max: 9 }),
    D: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 3 }),
    k: fc.integer({ min: 1, max: 4 }),
    seed: fc.integer(),
  });

  it('random T=2-9 k=1-4: the forward values (h, hT, cT) are exactly those of one pass over the whole sequence', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const { x, h0, c0, params, G } = setup(cell, c.N, c.T, c.D, c.H, c.seed);
        const r = truncatedBptt(x, params, { cell, k: c.k, h0, c0, chunkLoss: linearLoss(G) });
        const f = full(cell, x, h0, c0, params, G);
        expect(r.h.data).toEqual(f.h.data);
        expect(r.hT.data).toEqual(sliceTime(f.h, c.T - 1, c.T).data);
        if (cell === 'lstm') expect(r.cT?.data).toEqual(f.cT?.data);
        else expect(r.cT).toBeUndefined();
        expect(r.chunks).toHaveLength(Math.ceil(c.T / c.k));
      }),
      FC_OPTS,
    );
  });

  it('k >= T: the gradients are full BPTT (dx, dWx, dWh, db equal rnnBackward / lstmBackward)', () => {
    const { x, h0, c0, params, G } = setup(cell, 2, 6, 3, 4, 1);
    const r = truncatedBptt(x, params, { cell, k: 6, h0, c0, chunkLoss: linearLoss(G) });
    const f = full(cell, x, h0, c0, params, G);
    for (const key of ['dx', 'dWx', 'dWh', 'db'] as const) expectAllClose(`k = T: ${key}`, r[key], f[key], 1e-13);
  });

  it('random T=2-9 k=1-4: dWx, dWh, db match the numerical gradient of the truncated objective (each chunk\'s incoming state held constant)', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const { x, h0, c0, params, G } = setup(cell, c.N, c.T, c.D, c.H, c.seed);
        const r = truncatedBptt(x, params, { cell, k: c.k, h0, c0, chunkLoss: linearLoss(G) });
        // The state entering each chunk, from one pass over the whole sequence: constants of the objective.
        const chunks = timeChunks(c.T, c.k);
        const starts = chunks.map((ch) => {
          if (ch.start === 0) return { h: h0, c: c0 };
          const pre = sliceTime(x, 0, ch.start);
          if (cell === 'lstm') {
            const f = lstmForward(pre, h0, params.Wx, params.Wh, params.b, c0);
            return { h: sliceTime(f.h, ch.start - 1, ch.start).reshape([c.N, c.H]), c: f.cT };
          }
          const f = rnnForward(pre, h0, params.Wx, params.Wh, params.b);
          return { h: sliceTime(f.h, ch.start - 1, ch.start).reshape([c.N, c.H]), c: undefined };
        });
        // All chunks' hidden states as one flat vector, each chunk started from its constant state.
        const truncated = (p: { Wx: Tensor; Wh: Tensor; b: Tensor }) => {
          const parts = chunks.map((ch, i) => {
            const xc = sliceTime(x, ch.start, ch.end);
            return cell === 'lstm' ? lstmForward(xc, starts[i].h, p.Wx, p.Wh, p.b, starts[i].c).h : rnnForward(xc, starts[i].h, p.Wx, p.Wh, p.b).h;
          });
          const out = Tensor.zeros([c.N, c.T, c.H]);
          chunks.forEach((ch, i) => {
            const L = ch.end - ch.start;
            for (let n = 0; n < c.N; n++) out.data.set(parts[i].data.subarray(n * L * c.H, (n + 1) * L * c.H), (n * c.T + ch.start) * c.H);
          });
          return out;
        };
        const { Wx, Wh, b } = params;
        const name = `truncatedBptt ${cell} N=${c.N} T=${c.T} D=${c.D} H=${c.H} k=${c.k}`;
        expectGradient(`${name}: dWx`, r.dWx, numericalGradient((t) => truncated({ Wx: t, Wh, b }), Wx, G, SMOOTH_H));
        expectGradient(`${name}: dWh`, r.dWh, numericalGradient((t) => truncated({ Wx, Wh: t, b }), Wh, G, SMOOTH_H));
        expectGradient(`${name}: db`, r.db, numericalGradient((t) => truncated({ Wx, Wh, b: t }), b, G, SMOOTH_H));
      }),
      { ...FC_OPTS, numRuns: 15 },
    );
  });

  it('T=8 k=3: the truncated gradient differs from full BPTT (the cut is real)', () => {
    const { x, h0, c0, params, G } = setup(cell, 2, 8, 3, 4, 2);
    const r = truncatedBptt(x, params, { cell, k: 3, h0, c0, chunkLoss: linearLoss(G) });
    const f = full(cell, x, h0, c0, params, G);
    expect(relativeError(r.dWh, f.dWh).error).toBeGreaterThan(1e-3);
  });

  it('T=8 k=3, loss on the last chunk only: no gradient reaches the inputs of earlier chunks (full BPTT would send some)', () => {
    const { x, h0, c0, params, G } = setup(cell, 2, 8, 3, 4, 3);
    for (let n = 0; n < 2; n++) for (let t = 0; t < 6; t++) for (let j = 0; j < 4; j++) G.set(0, n, t, j);
    const r = truncatedBptt(x, params, { cell, k: 3, h0, c0, chunkLoss: linearLoss(G) });
    expect(maxAbs(sliceTime(r.dx, 0, 6))).toBe(0);
    expect(maxAbs(sliceTime(r.dx, 6, 8))).toBeGreaterThan(1e-3);
    expect(maxAbs(sliceTime(full(cell, x, h0, c0, params, G).dx, 0, 6))).toBeGreaterThan(1e-3);
  });

  it('afterChunk runs once per chunk, in order, after its backward; weights it updates in place are used by the next chunk', () => {
    const { x, h0, c0, params, G } = setup(cell, 1, 7, 2, 3, 4);
    const seen: number[] = [];
    const p = { Wx: params.Wx.clone(), Wh: params.Wh.clone(), b: params.b.clone() };
    const r = truncatedBptt(x, p, {
      cell,
      k: 3,
      h0,
      c0,
      chunkLoss: linearLoss(G),
      afterChunk: (g, chunk) => {
        seen.push(chunk.index);
        expect(g.dx.shape).toEqual([1, chunk.end - chunk.start, 2]);
        if (chunk.index === 0) p.Wx.data.fill(0); // e.g. an optimiser step
      },
    });
    expect(seen).toEqual([0, 1, 2]);
    // Chunk 1 ran with Wx = 0: recompute it from the state carried out of chunk 0 (original weights).
    const first = full(cell, sliceTime(x, 0, 3), h0, c0, params, sliceTime(G, 0, 3));
    const state = sliceTime(first.h, 2, 3).reshape([1, 3]);
    const xc = sliceTime(x, 3, 6);
    const zeroWx = Tensor.zeros(params.Wx.shape);
    const want = cell === 'lstm' ? lstmForward(xc, state, zeroWx, params.Wh, params.b, first.cT).h : rnnForward(xc, state, zeroWx, params.Wh, params.b).h;
    expect(sliceTime(r.h, 3, 6).data).toEqual(want.data);
  });
});

describe('truncatedBptt trains: an LSTM language model on a long periodic stream', () => {
  it('V=5 pattern 0 1 2 3 4 3 2 1 (the successor of 1, 2, 3 depends on the direction), T=96, k=12, Adam + clipGradNorm: loss per step falls from about log 5 to below 0.05 in 25 passes', () => {
    const V = 5;
    const H = 16;
    const N = 4;
    const T = 96;
    const pattern = [0, 1, 2, 3, 4, 3, 2, 1];
    const rng = new Rng(0);
    // Each stream starts at a different phase; input at t is the token at t (one-hot), target the token at t+1.
    const tokens = Array.from({ length: N }, (_, n) => Array.from({ length: T + 1 }, (_, t) => pattern[(t + 3 * n) % pattern.length]));
    const x = Tensor.zeros([N, T, V]);
    for (let n = 0; n < N; n++) for (let t = 0; t < T; t++) x.set(1, n, t, tokens[n][t]);
    const params = { ...lstmInitParams(V, H, rng), Wy: rng.randn([H, V], 1 / Math.sqrt(H)), by: Tensor.zeros([V]) };
    const adam = new Adam({ lr: 0.02 });
    const epoch = () => {
      let out: { dWy: Tensor; dby: Tensor } | null = null;
      const r = truncatedBptt(x, params, {
        cell: 'lstm',
        k: 12,
        chunkLoss: (h, chunk) => {
          const y = tokens.map((row) => row.slice(chunk.start + 1, chunk.end + 1));
          const aff = temporalAffineForward(h, params.Wy, params.by);
          const { loss, dscores } = temporalSoftmaxLoss(aff.out, y);
          const g = temporalAffineBackward(dscores, aff.cache);
          out = { dWy: g.dw, dby: g.db };
          return { loss, dh: g.dx };
        },
        afterChunk: (g) => {
          const { grads } = clipGradNorm({ Wx: g.dWx, Wh: g.dWh, b: g.db, Wy: out!.dWy, by: out!.dby }, 5);
          adam.step(params, grads);
        },
      });
      return r.loss / r.chunks.length; // mean over chunks of the per-chunk loss (sum over steps / N)
    };
    const first = epoch() / 12;
    let last = first;
    for (let e = 0; e < 25; e++) last = epoch() / 12;
    expect(first).toBeGreaterThan(1.3); // about log 5 = 1.61 per step at the start
    expect(last).toBeLessThan(0.05); // measured: 1.48 in the first pass, 0.0025 after 25
  });
});

describe('truncatedBptt input validation', () => {
  const x = Tensor.zeros([2, 6, 3]);
  const rnnP = { Wx: Tensor.zeros([3, 4]), Wh: Tensor.zeros([4, 4]), b: Tensor.zeros([4]) };
  const lstmP = { Wx: Tensor.zeros([3, 16]), Wh: Tensor.zeros([4, 16]), b: Tensor.zeros([16]) };
  const ok = (h: Tensor) => ({ loss: 0, dh: Tensor.zeros(h.shape) });
  it.each([
    ['k = 0', () => truncatedBptt(x, rnnP, { cell: 'rnn', k: 0, chunkLoss: ok }), ValueError, 'truncatedBptt: k must be an integer >= 1, got 0'],
    ['unknown cell', () => truncatedBptt(x, rnnP, { cell: 'gru' as 'rnn', k: 2, chunkLoss: ok }), ValueError, `truncatedBptt: cell must be 'rnn' or 'lstm', got "gru"`],
    ['c0 with an rnn', () => truncatedBptt(x, rnnP, { cell: 'rnn', k: 2, c0: Tensor.zeros([2, 4]), chunkLoss: ok }), ValueError, "truncatedBptt: c0 is a cell state, only for cell 'lstm'; got c0 with cell 'rnn'"],
    ['no chunkLoss', () => truncatedBptt(x, rnnP, { cell: 'rnn', k: 2 } as never), ValueError, 'truncatedBptt: chunkLoss must be a function (h, chunk) => { loss, dh }, got undefined'],
    ['afterChunk not a function', () => truncatedBptt(x, rnnP, { cell: 'rnn', k: 2, chunkLoss: ok, afterChunk: 3 as never }), ValueError, 'truncatedBptt: afterChunk must be a function or undefined, got number'],
    ['empty sequence', () => truncatedBptt(Tensor.zeros([2, 0, 3]), rnnP, { cell: 'rnn', k: 2, chunkLoss: ok }), ShapeError, 'truncatedBptt: x must have at least one time step (T >= 1), got x [2,0,3]'],
    ['rnn weights for an lstm', () => truncatedBptt(x, rnnP, { cell: 'lstm', k: 2, chunkLoss: ok }), ShapeError, 'truncatedBptt: Wx must be [D, 4H] = [3,16] for D = 3 (from x [2,6,3]) and hidden size H = 4 (from h0 [2,4]), 4H gate columns in the order i, f, g, o, got [3,4]'],
    ['NaN in x', () => truncatedBptt(Tensor.full([2, 6, 3], NaN), lstmP, { cell: 'lstm', k: 2, chunkLoss: ok }), ValueError, 'truncatedBptt: x contains NaN at [0,0,0]'],
    ['dh of the wrong shape', () => truncatedBptt(x, rnnP, { cell: 'rnn', k: 4, chunkLoss: (h, ch) => ({ loss: 0, dh: ch.index === 1 ? Tensor.zeros([2, 3, 4]) : Tensor.zeros(h.shape) }) }), ShapeError, 'truncatedBptt: chunkLoss for chunk 1 (steps 4 to 5) returned dh [2,3,4], expected [2,2,4]'],
    ['NaN loss', () => truncatedBptt(x, rnnP, { cell: 'rnn', k: 4, chunkLoss: (h) => ({ loss: NaN, dh: Tensor.zeros(h.shape) }) }), ValueError, 'truncatedBptt: chunkLoss for chunk 0 (steps 0 to 3) returned loss NaN, expected a finite number'],
    ['NaN in dh', () => truncatedBptt(x, rnnP, { cell: 'rnn', k: 4, chunkLoss: (h) => ({ loss: 0, dh: Tensor.full(h.shape, NaN) }) }), ValueError, 'truncatedBptt: dh of chunk 0 contains NaN at [0,0,0]'],
  ])('%s: error naming truncatedBptt and the values', (_, fn, type, message) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(message);
  });
});
