import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numericalGradient, Rng, Tensor } from '@dlkata/tensor';
import { captionGreedy, captionLoss, captionSample, layerKeys, manyToOneLoss, manyToOneScores, seq2seqGreedy, seq2seqLoss, type ModelParams } from './architectures.js';
import { lstmForward } from './lstm.js';
import { rnnForward } from './rnn.js';
import { stackedBackward, stackedForward, type RecurrentCell } from './stacked.js';
import { expectGradient, SMOOTH_H } from './test-support.js';

const OPTS = { seed: 7, numRuns: 12 } as const;
const cells: RecurrentCell[] = ['rnn', 'lstm'];

function layerParams(rng: Rng, D: number, H: number, cell: RecurrentCell) {
  const G = cell === 'lstm' ? 4 : 1;
  return { Wx: rng.randn([D, G * H], 1 / Math.sqrt(D)), Wh: rng.randn([H, G * H], 1 / Math.sqrt(H)), b: rng.randn([G * H], 0.5) };
}

function addLayer(p: ModelParams, prefix: string, l: number, q: { Wx: Tensor; Wh: Tensor; b: Tensor }): void {
  const k = layerKeys(prefix, l);
  p[k.Wx] = q.Wx;
  p[k.Wh] = q.Wh;
  p[k.b] = q.b;
}

/** Checks every gradient of a scalar loss of `params` against centered differences. */
function checkGrads(what: string, params: ModelParams, loss: (p: ModelParams) => number, grads: ModelParams): void {
  expect(Object.keys(grads).sort(), `${what}: gradient keys`).toEqual(Object.keys(params).sort());
  for (const k of Object.keys(params)) {
    const num = numericalGradient((t) => Tensor.from([loss({ ...params, [k]: t })]), params[k], Tensor.from([1]), SMOOTH_H);
    expectGradient(`${what}: d${k}`, grads[k], num);
  }
}

describe('stackedForward / stackedBackward', () => {
  it.each(cells)('%s, L = 1: the same as the single-layer sequence', (cell) => {
    const rng = new Rng(1);
    const x = rng.randn([2, 4, 3]);
    const p = layerParams(rng, 3, 5, cell);
    const h0 = rng.randn([2, 5]);
    const single = cell === 'rnn' ? rnnForward(x, h0, p.Wx, p.Wh, p.b).h : lstmForward(x, h0, p.Wx, p.Wh, p.b).h;
    expect(Array.from(stackedForward(cell, x, [p], { h0: [h0] }).h.data)).toEqual(Array.from(single.data));
  });

  it.each(cells)('%s, L = 3: h is the composition of the layers; hT[l] is layer l at t = T-1', (cell) => {
    const rng = new Rng(2);
    const x = rng.randn([2, 4, 3]);
    const layers = [layerParams(rng, 3, 4, cell), layerParams(rng, 4, 2, cell), layerParams(rng, 2, 3, cell)];
    const r = stackedForward(cell, x, layers);
    let input = x;
    layers.forEach((p, l) => {
      const H = p.Wh.shape[0];
      input = cell === 'rnn' ? rnnForward(input, Tensor.zeros([2, H]), p.Wx, p.Wh, p.b).h : lstmForward(input, Tensor.zeros([2, H]), p.Wx, p.Wh, p.b).h;
      expect(r.hT[l].shape).toEqual([2, H]);
      for (let n = 0; n < 2; n++) for (let j = 0; j < H; j++) expect(r.hT[l].get(n, j)).toBe(input.get(n, 3, j));
    });
    expect(Array.from(r.h.data)).toEqual(Array.from(input.data));
    expect(r.cT.length).toBe(cell === 'lstm' ? 3 : 0);
  });

  it.each(cells)('%s: random N, T, D, L, H_l: every gradient (dx, weights, dh0, dc0) of sum(h dh) + final-state terms matches the numerical gradient', (cell) => {
    fc.assert(
      fc.property(fc.record({ N: fc.integer({ min: 1, max: 2 }), T: fc.integer({ min: 1, max: 4 }), D: fc.integer({ min: 1, max: 3 }), L: fc.integer({ min: 1, max: 3 }), seed: fc.integer() }), (c) => {
        const rng = new Rng(c.seed);
        const Hs = Array.from({ length: c.L }, () => 1 + Math.floor(rng.uniform() * 3));
        const layers = Hs.map((H, l) => layerParams(rng, l === 0 ? c.D : Hs[l - 1], H, cell));
        const x = rng.randn([c.N, c.T, c.D]);
        const h0 = Hs.map((H) => rng.randn([c.N, H], 0.5));
        const c0 = Hs.map((H) => rng.randn([c.N, H], 0.5));
        const dh = rng.randn([c.N, c.T, Hs[c.L - 1]]);
        const dhT = Hs.map((H) => rng.randn([c.N, H]));
        const dcT = Hs.map((H) => rng.randn([c.N, H]));
        const loss = (xx: Tensor, ls: typeof layers, hh: Tensor[], cc: Tensor[]): number => {
          const r = stackedForward(cell, xx, ls, { h0: hh, c0: cell === 'lstm' ? cc : undefined });
          let s = 0;
          for (let i = 0; i < r.h.size; i++) s += r.h.data[i] * dh.data[i];
          r.hT.forEach((t, l) => t.data.forEach((v, i) => (s += v * dhT[l].data[i])));
          r.cT.forEach((t, l) => t.data.forEach((v, i) => (s += v * dcT[l].data[i])));
          return s;
        };
        const f = stackedForward(cell, x, layers, { h0, c0: cell === 'lstm' ? c0 : undefined });
        const g = stackedBackward(dh, f.cache, { dhT, dcT: cell === 'lstm' ? dcT : undefined });
        const one = Tensor.from([1]);
        expectGradient('dx', g.dx, numericalGradient((t) => Tensor.from([loss(t, layers, h0, c0)]), x, one, SMOOTH_H));
        layers.forEach((p, l) => {
          for (const k of ['Wx', 'Wh', 'b'] as const) {
            const num = numericalGradient((t) => Tensor.from([loss(x, layers.map((q, m) => (m === l ? { ...q, [k]: t } : q)), h0, c0)]), p[k], one, SMOOTH_H);
            expectGradient(`layer ${l} d${k}`, g.layers[l][`d${k}`], num);
          }
          expectGradient(`dh0[${l}]`, g.dh0[l], numericalGradient((t) => Tensor.from([loss(x, layers, h0.map((q, m) => (m === l ? t : q)), c0)]), h0[l], one, SMOOTH_H));
          if (cell === 'lstm') expectGradient(`dc0[${l}]`, g.dc0[l], numericalGradient((t) => Tensor.from([loss(x, layers, h0, c0.map((q, m) => (m === l ? t : q)))]), c0[l], one, SMOOTH_H));
        });
      }),
      OPTS,
    );
  });

  it('rejects a layer whose Wx does not take the hidden size below, naming both', () => {
    const rng = new Rng(3);
    expect(() => stackedForward('lstm', rng.randn([1, 2, 3]), [layerParams(rng, 3, 4, 'lstm'), layerParams(rng, 5, 2, 'lstm')])).toThrow(
      'stackedForward: layers[1].Wx must have 4 rows, the hidden size of layers[0] (Wh [4,16]), got Wx [5,8]',
    );
    expect(() => stackedForward('gru' as RecurrentCell, rng.randn([1, 2, 3]), [layerParams(rng, 3, 4, 'lstm')])).toThrow("cell must be 'rnn' or 'lstm', got gru");
    expect(() => stackedForward('lstm', rng.randn([1, 2, 3]), [])).toThrow('layers must be a non-empty array');
  });
});

function classifierParams(rng: Rng, cell: RecurrentCell, D: number, Hs: number[], K: number): ModelParams {
  const p: ModelParams = {};
  Hs.forEach((H, l) => addLayer(p, '', l, layerParams(rng, l === 0 ? D : Hs[l - 1], H, cell)));
  p.Wy = rng.randn([Hs[Hs.length - 1], K], 1 / Math.sqrt(Hs[Hs.length - 1]));
  p.by = rng.randn([K], 0.1);
  return p;
}

describe('manyToOneLoss', () => {
  it.each([
    ['rnn', 'last', 1],
    ['lstm', 'last', 2],
    ['lstm', 'mean', 1],
    ['rnn', 'mean', 2],
  ] as const)('%s, pool %s, %s layer(s): gradients of the loss match numerical gradients, scores match manyToOneScores', (cell, pool, L) => {
    const rng = new Rng(4);
    const [N, T, D, K] = [3, 4, 2, 3];
    const params = classifierParams(rng, cell, D, L === 1 ? [3] : [3, 2], K);
    const x = rng.randn([N, T, D]);
    const y = [0, 2, 1];
    const r = manyToOneLoss(x, params, y, { cell, pool });
    expect(Array.from(r.scores.data)).toEqual(Array.from(manyToOneScores(x, params, { cell, pool }).data));
    checkGrads(`manyToOne ${cell} ${pool}`, params, (p) => manyToOneLoss(x, p, y, { cell, pool }).loss, r.grads);
    expectGradient('dx', r.dx, numericalGradient((t) => Tensor.from([manyToOneLoss(t, params, y, { cell, pool }).loss]), x, Tensor.from([1]), SMOOTH_H));
  });

  it('the loss is the mean cross-entropy of the scores: log K when Wy = 0 and by = 0', () => {
    const rng = new Rng(5);
    const params = classifierParams(rng, 'lstm', 2, [3], 4);
    params.Wy = Tensor.zeros([3, 4]);
    params.by = Tensor.zeros([4]);
    expect(manyToOneLoss(rng.randn([2, 3, 2]), params, [1, 3]).loss).toBeCloseTo(Math.log(4), 12);
  });

  it('rejects unknown options and parameters, naming them and the accepted ones', () => {
    const rng = new Rng(6);
    const params = classifierParams(rng, 'lstm', 2, [3], 4);
    const x = rng.randn([2, 3, 2]);
    expect(() => manyToOneLoss(x, params, [0, 1], { pooling: 'mean' } as never)).toThrow('manyToOneLoss: unknown option pooling in opts (accepted: cell, pool)');
    expect(() => manyToOneLoss(x, { ...params, Wz: Tensor.zeros([1]) }, [0, 1])).toThrow('unknown parameter(s) Wz');
    expect(() => manyToOneLoss(x, params, [0])).toThrow('y must hold N = 2 labels, got 1');
  });
});

function captionParams(rng: Rng, cell: RecurrentCell, F: number, V: number, E: number, Hs: number[]): ModelParams {
  const H = Hs[0];
  const p: ModelParams = { Wproj: rng.randn([F, H], 1 / Math.sqrt(F)), bproj: rng.randn([H], 0.1), Wembed: rng.randn([V, E]), Wvocab: rng.randn([Hs[Hs.length - 1], V], 1 / Math.sqrt(H)), bvocab: rng.randn([V], 0.1) };
  Hs.forEach((Hl, l) => addLayer(p, '', l, layerParams(rng, l === 0 ? E : Hs[l - 1], Hl, cell)));
  return p;
}

describe('captionLoss, captionGreedy, captionSample', () => {
  const NULL = 0;
  const START = 1;
  const END = 2;
  const captions = [
    [START, 4, 5, 3, END, NULL],
    [START, 3, END, NULL, NULL, NULL],
  ];

  it.each([
    ['lstm', [4]],
    ['rnn', [4]],
    ['lstm', [3, 2]],
  ] as const)('%s, hidden sizes %j: every gradient (and dfeatures) matches the numerical gradient of the masked loss', (cell, Hs) => {
    const rng = new Rng(7);
    const params = captionParams(rng, cell, 3, 6, 2, [...Hs]);
    const features = rng.randn([2, 3]);
    const r = captionLoss(features, captions, params, { nullId: NULL, cell });
    checkGrads(`captionLoss ${cell}`, params, (p) => captionLoss(features, captions, p, { nullId: NULL, cell }).loss, r.grads);
    expectGradient('dfeatures', r.dfeatures, numericalGradient((t) => Tensor.from([captionLoss(t, captions, params, { nullId: NULL, cell }).loss]), features, Tensor.from([1]), SMOOTH_H));
  });

  it('padding does not count: changing the words after the end token (padding positions) leaves the loss unchanged only when they are NULL targets', () => {
    const rng = new Rng(8);
    const params = captionParams(rng, 'lstm', 3, 6, 2, [4]);
    const features = rng.randn([2, 3]);
    const base = captionLoss(features, captions, params, { nullId: NULL }).loss;
    // Extending the padding: same loss.
    const longer = captions.map((r) => [...r, NULL, NULL]);
    expect(captionLoss(features, longer, params, { nullId: NULL }).loss).toBeCloseTo(base, 12);
    // With a zero vocabulary layer every counted step costs log V: 4 + 2 counted targets, over N = 2.
    const flat = { ...params, Wvocab: Tensor.zeros([4, 6]), bvocab: Tensor.zeros([6]) };
    expect(captionLoss(features, captions, flat, { nullId: NULL }).loss).toBeCloseTo((6 * Math.log(6)) / 2, 12);
  });

  it('greedy decoding agrees with teacher forcing: at every step the chosen word has the lowest loss among all words after the same prefix', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rng = new Rng(seed);
        const params = captionParams(rng, 'lstm', 3, 7, 3, [5]);
        params.Wvocab = params.Wvocab.map((v) => 3 * v);
        const features = rng.randn([1, 3]);
        const out = captionGreedy(features, params, { start: START, end: END, nullId: NULL, maxLength: 4 })[0];
        for (let t = 0; t < out.length && (t === 0 || out[t - 1] !== END); t++) {
          const lossWith = (w: number): number => captionLoss(features, [[START, ...out.slice(0, t), w]], params, { nullId: -1 }).loss;
          const chosen = lossWith(out[t]);
          for (let w = 0; w < 7; w++) expect(chosen).toBeLessThanOrEqual(lossWith(w) + 1e-12);
        }
        const e = out.indexOf(END);
        if (e >= 0) expect(out.slice(e + 1).every((w) => w === NULL)).toBe(true);
      }),
      OPTS,
    );
  });

  it('sampling: a tiny temperature gives the greedy caption; uniforms near 0 pick the first word with any probability; the same uniforms give the same caption', () => {
    const rng = new Rng(9);
    const params = captionParams(rng, 'lstm', 3, 7, 3, [5]);
    const features = rng.randn([3, 3]);
    const o = { start: START, end: END, nullId: NULL, maxLength: 5 };
    const u = Tensor.zeros([3, 5]).map(() => rng.uniform());
    expect(captionSample(features, params, { ...o, temperature: 1e-4, uniforms: u })).toEqual(captionGreedy(features, params, o));
    expect(captionSample(features, params, { ...o, temperature: 1, uniforms: Tensor.zeros([3, 5]) }).map((r) => r[0])).toEqual([0, 0, 0]);
    expect(captionSample(features, params, { ...o, temperature: 2, uniforms: u })).toEqual(captionSample(features, params, { ...o, temperature: 2, uniforms: u }));
    expect(() => captionSample(features, params, { ...o, temperature: 0, uniforms: u })).toThrow('temperature must be a finite number > 0, got 0');
    expect(() => captionSample(features, params, { ...o, temperature: 1, uniforms: Tensor.zeros([3, 4]) })).toThrow('uniforms must be a [N, maxLength] = [3,5] Tensor, got [3,4]');
  });
});

function seq2seqParams(rng: Rng, cell: RecurrentCell, Vs: number, Vt: number, E: number, Hs: number[]): ModelParams {
  const p: ModelParams = { Wsrc: rng.randn([Vs, E]), Wtgt: rng.randn([Vt, E]), Wout: rng.randn([Hs[Hs.length - 1], Vt], 1 / Math.sqrt(Hs[0])), bout: rng.randn([Vt], 0.1) };
  Hs.forEach((H, l) => {
    addLayer(p, 'enc', l, layerParams(rng, l === 0 ? E : Hs[l - 1], H, cell));
    addLayer(p, 'dec', l, layerParams(rng, l === 0 ? E : Hs[l - 1], H, cell));
  });
  return p;
}

describe('seq2seqLoss, seq2seqGreedy', () => {
  const src = [
    [0, 3, 4, 2],
    [5, 5, 1, 3],
  ];
  const tgt = [
    [1, 3, 4, 2, 0],
    [1, 5, 2, 0, 0],
  ];

  it.each([
    ['lstm', [3]],
    ['rnn', [3]],
    ['lstm', [3, 2]],
    ['rnn', [2, 3]],
  ] as const)('%s, hidden sizes %j: every gradient, encoder included, matches the numerical gradient', (cell, Hs) => {
    const rng = new Rng(10);
    const params = seq2seqParams(rng, cell, 6, 6, 2, [...Hs]);
    const r = seq2seqLoss(src, tgt, params, { nullId: 0, cell });
    checkGrads(`seq2seq ${cell}`, params, (p) => seq2seqLoss(src, tgt, p, { nullId: 0, cell }).loss, r.grads);
  });

  it('the source matters: the encoder state reaches the decoder (changing one source word changes the loss)', () => {
    const rng = new Rng(11);
    const params = seq2seqParams(rng, 'lstm', 6, 6, 2, [3]);
    const a = seq2seqLoss(src, tgt, params, { nullId: 0 }).loss;
    const b = seq2seqLoss([[0, 3, 4, 5], src[1]], tgt, params, { nullId: 0 }).loss;
    expect(Math.abs(a - b)).toBeGreaterThan(1e-6);
  });

  it('greedy decoding agrees with teacher forcing at the first step, and pads after the end token', () => {
    const rng = new Rng(12);
    const params = seq2seqParams(rng, 'lstm', 6, 6, 2, [3, 3]);
    params.Wout = params.Wout.map((v) => 4 * v);
    const out = seq2seqGreedy(src, params, { start: 1, end: 2, nullId: 0, maxLength: 5 });
    expect(out.map((r) => r.length)).toEqual([5, 5]);
    src.forEach((s, n) => {
      const lossWith = (w: number): number => seq2seqLoss([s], [[1, w]], params, { nullId: -1 }).loss;
      for (let w = 0; w < 6; w++) expect(lossWith(out[n][0])).toBeLessThanOrEqual(lossWith(w) + 1e-12);
      const e = out[n].indexOf(2);
      if (e >= 0) expect(out[n].slice(e + 1).every((w) => w === 0)).toBe(true);
    });
  });

  it('rejects stacks of different depths or sizes', () => {
    const rng = new Rng(13);
    const params = seq2seqParams(rng, 'lstm', 6, 6, 2, [3, 2]);
    delete params.decWx2;
    delete params.decWh2;
    delete params.decb2;
    expect(() => seq2seqLoss(src, tgt, params, { nullId: 0 })).toThrow('the encoder has 2 layer(s) but the decoder 1');
  });
});
