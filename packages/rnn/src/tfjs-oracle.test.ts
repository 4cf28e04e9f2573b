/**
 * TensorFlow.js as an independent oracle for the RNN and LSTM.
 *
 * TensorFlow.js 4.22 (pure JavaScript CPU backend) has its own LSTM cell, `tf.basicLSTMCell`,
 * and its own automatic differentiation (`tf.grads`), so agreement here is evidence from code
 * we did not write. The vanilla RNN is built from plain tfjs ops (`tanh(matMul + matMul + b)`).
 *
 * GATE MAPPING. `tf.basicLSTMCell(forgetBias, kernel, bias, data, c, h)` returns `[newC, newH]` and
 * computes `[i, j, f, o] = split(concat(data, h) kernel + bias, 4 column blocks)`,
 * `newC = c * sigmoid(f + forgetBias) + sigmoid(i) * tanh(j)`, `newH = tanh(newC) * sigmoid(o)`:
 *
 * | block of 4H columns | ours (PyTorch order)  | tfjs                            |
 * | ------------------- | --------------------- | ------------------------------- |
 * | 0: `[0, H)`         | i, input gate         | i, input gate                   |
 * | 1: `[H, 2H)`        | f, forget gate        | j, cell candidate (our g)       |
 * | 2: `[2H, 3H)`       | g, cell candidate     | f, forget gate (+ forgetBias)   |
 * | 3: `[3H, 4H)`       | o, output gate        | o, output gate                  |
 *
 * So tfjs block q holds our block `TF_BLOCK[q] = [0, 2, 1, 3][q]` (the swap of blocks 1 and 2 is
 * its own inverse); the kernel is `[Wx; Wh]` stacked row-wise (`[D + H, 4H]`, data rows first)
 * with its column blocks permuted; the bias is ours permuted, with `forgetBias` subtracted from
 * the forget block because tfjs adds it back. Gradients map back the same way.
 *
 * Precision: tfjs computes in float32, we in float64. Inputs are rounded to float32 first
 * (`Math.fround`), so both sides see identical numbers and only the arithmetic differs. Results
 * are compared with a relative tolerance of 1e-4, and absolute differences below
 * `1e-5 * (1 + max |expected|)` always pass (a float32 chain of up to 8 steps drifts by about
 * 1e-6 relative; a wrong gate order or gradient is off by O(1e-1)).
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareTensors, maxAbs, Rng, Tensor } from '@dlkata/tensor';
import { lstmBackward, lstmForward, lstmStepBackward, lstmStepForward } from './lstm.js';
import { rnnBackward, rnnForward, rnnStepBackward, rnnStepForward } from './rnn.js';
import { seqCases, seqName, type SeqCase } from './test-support.js';

const OPTS = { seed: 42, numRuns: 20 } as const;

/** tfjs column block q holds our block TF_BLOCK[q]: tfjs (i, j, f, o) <- ours (i, g, f, o). */
const TF_BLOCK = [0, 2, 1, 3] as const;

beforeAll(async () => {
  // Production mode only mutes tfjs' console warnings (among them the notice suggesting tfjs-node).
  tf.enableProdMode();
  await tf.setBackend('cpu');
  await tf.ready();
});

/** Rounds every element to float32, so both libraries start from the same numbers. */
const f32 = (t: Tensor): Tensor => t.map(Math.fround);

/** Flat float32 data (tfjs does not take a Float64Array). */
const flat32 = (t: Tensor): Float32Array => Float32Array.from(t.data);

/** Our `[R, 4H]` gate matrix (or `[4H]` bias, R = 1) with its column blocks in tfjs' order (i, j, f, o). */
function toTfColumns(t: Tensor, H: number): Float32Array {
  const R = t.ndim === 1 ? 1 : t.shape[0];
  const out = new Float32Array(t.size);
  for (let r = 0; r < R; r++)
    for (let q = 0; q < 4; q++)
      for (let j = 0; j < H; j++) out[r * 4 * H + q * H + j] = t.data[r * 4 * H + TF_BLOCK[q] * H + j];
  return out;
}

/** tfjs-ordered `[R, 4H]` data back to our (i, f, g, o) order, shape `shape`. */
function fromTfColumns(data: ArrayLike<number>, shape: readonly number[], H: number): Tensor {
  const out = Tensor.zeros(shape);
  const R = out.size / (4 * H);
  for (let r = 0; r < R; r++)
    for (let q = 0; q < 4; q++)
      for (let j = 0; j < H; j++) out.data[r * 4 * H + TF_BLOCK[q] * H + j] = data[r * 4 * H + q * H + j];
  return out;
}

/** `concat([Wx; Wh])` in tfjs' column order: the `[D + H, 4H]` kernel of `tf.basicLSTMCell`. */
function tfKernel(Wx: Tensor, Wh: Tensor, H: number): Float32Array {
  const k = new Float32Array(Wx.size + Wh.size);
  k.set(toTfColumns(Wx, H));
  k.set(toTfColumns(Wh, H), Wx.size);
  return k;
}

/** Our bias in tfjs' order, with `forgetBias` taken out of the forget block (tfjs adds it back). */
function tfBias(b: Tensor, H: number, forgetBias: number): Float32Array {
  const out = toTfColumns(b, H);
  for (let j = 0; j < H; j++) out[2 * H + j] -= forgetBias;
  return out;
}

/** Compares at float32 precision: relative 1e-4, absolute floor 1e-5 * (1 + max |expected|). */
function expectF32Close(what: string, ours: Tensor, theirs: Tensor): void {
  expect(ours.shape, what).toEqual(theirs.shape);
  const c = compareTensors(what, ours, theirs, { tol: 1e-4, atol: 1e-5 * (1 + maxAbs(theirs)) });
  if (!c.ok) throw new Error(c.message);
}

function lstmData(c: SeqCase) {
  const rng = new Rng(c.seed);
  return {
    rng,
    x: f32(rng.randn([c.N, c.T, c.D])),
    h0: f32(rng.randn([c.N, c.H], 0.5)),
    c0: f32(rng.randn([c.N, c.H])),
    Wx: f32(rng.randn([c.D, 4 * c.H], 1 / Math.sqrt(c.D))),
    Wh: f32(rng.randn([c.H, 4 * c.H], 1 / Math.sqrt(c.H))),
    b: f32(rng.randn([4 * c.H], 0.5)),
  };
}

function rnnData(c: SeqCase) {
  const rng = new Rng(c.seed);
  return {
    rng,
    x: f32(rng.randn([c.N, c.T, c.D])),
    h0: f32(rng.randn([c.N, c.H], 0.5)),
    Wx: f32(rng.randn([c.D, c.H], 1 / Math.sqrt(c.D))),
    Wh: f32(rng.randn([c.H, c.H], 1 / Math.sqrt(c.H))),
    b: f32(rng.randn([c.H], 0.5)),
  };
}

/** `x[:, t, :]` of a `[N, T, D]` tfjs tensor as `[N, D]`. */
const stepOf = (x: tf.Tensor3D, t: number): tf.Tensor2D => tf.squeeze(tf.slice(x, [0, t, 0], [-1, 1, -1]), [1]) as tf.Tensor2D;

describe('LSTM step against tf.basicLSTMCell (float32; gate blocks mapped i,f,g,o -> i,j,f,o)', () => {
  it.each([0, 1])('forgetBias %s: random N=1-3 D=1-4 H=1-4: nextH, nextC and all six gradients match tf.grads', (forgetBias) => {
    fc.assert(
      fc.property(seqCases(1), (c) => {
        const { x: x3, h0: prevH, c0: prevC, Wx, Wh, b, rng } = lstmData(c);
        const x = x3.reshape([c.N, c.D]);
        const { nextH, nextC, cache } = lstmStepForward(x, prevH, prevC, Wx, Wh, b);
        const dnextH = f32(rng.randn([c.N, c.H]));
        const dnextC = f32(rng.randn([c.N, c.H]));
        const ours = lstmStepBackward(dnextH, dnextC, cache);
        const theirs = tf.tidy(() => {
          const run = (xt: tf.Tensor, ht: tf.Tensor, ct: tf.Tensor, kt: tf.Tensor, bt: tf.Tensor) =>
            tf.basicLSTMCell(forgetBias, kt as tf.Tensor2D, bt as tf.Tensor1D, xt as tf.Tensor2D, ct as tf.Tensor2D, ht as tf.Tensor2D);
          const args = [
            tf.tensor2d(flat32(x), [c.N, c.D]),
            tf.tensor2d(flat32(prevH), [c.N, c.H]),
            tf.tensor2d(flat32(prevC), [c.N, c.H]),
            tf.tensor2d(tfKernel(Wx, Wh, c.H), [c.D + c.H, 4 * c.H]),
            tf.tensor1d(tfBias(b, c.H, forgetBias)),
          ] as const;
          const [newC, newH] = run(...args);
          const dh = tf.tensor2d(flat32(dnextH), [c.N, c.H]);
          const dc = tf.tensor2d(flat32(dnextC), [c.N, c.H]);
          const grads = tf.grads((a: tf.Tensor, hh: tf.Tensor, cc: tf.Tensor, k: tf.Tensor, bb: tf.Tensor) => {
            const [nc, nh] = run(a, hh, cc, k, bb);
            return tf.add(tf.sum(tf.mul(nh, dh)), tf.sum(tf.mul(nc, dc)));
          })([...args]);
          return { h: newH.dataSync(), c: newC.dataSync(), g: grads.map((g) => g.dataSync()) };
        });
        const name = `lstmStep ${seqName(c)} forgetBias=${forgetBias}`;
        expectF32Close(`${name}: nextH`, nextH, new Tensor(Float64Array.from(theirs.h), [c.N, c.H]));
        expectF32Close(`${name}: nextC`, nextC, new Tensor(Float64Array.from(theirs.c), [c.N, c.H]));
        const [gx, gh, gc, gk, gb] = theirs.g;
        const dK = fromTfColumns(gk, [c.D + c.H, 4 * c.H], c.H);
        expectF32Close(`${name}: dx`, ours.dx, new Tensor(Float64Array.from(gx), [c.N, c.D]));
        expectF32Close(`${name}: dprevH`, ours.dprevH, new Tensor(Float64Array.from(gh), [c.N, c.H]));
        expectF32Close(`${name}: dprevC`, ours.dprevC, new Tensor(Float64Array.from(gc), [c.N, c.H]));
        expectF32Close(`${name}: dWx`, ours.dWx, new Tensor(dK.data.slice(0, c.D * 4 * c.H), [c.D, 4 * c.H]));
        expectF32Close(`${name}: dWh`, ours.dWh, new Tensor(dK.data.slice(c.D * 4 * c.H), [c.H, 4 * c.H]));
        expectF32Close(`${name}: db`, ours.db, fromTfColumns(gb, [4 * c.H], c.H));
      }),
      OPTS,
    );
  });

  it('the mapping matters: feeding our columns to tfjs unpermuted gives a different nextC', () => {
    const c = { N: 2, T: 1, D: 3, H: 4, seed: 9 };
    const { x, h0, c0, Wx, Wh, b } = lstmData(c);
    const { nextC } = lstmStepForward(x.reshape([2, 3]), h0, c0, Wx, Wh, b);
    const naive = tf.tidy(() => {
      const k = new Float32Array(Wx.size + Wh.size);
      k.set(flat32(Wx));
      k.set(flat32(Wh), Wx.size);
      const [newC] = tf.basicLSTMCell(0, tf.tensor2d(k, [7, 16]), tf.tensor1d(flat32(b)), tf.tensor2d(flat32(x), [2, 3]), tf.tensor2d(flat32(c0), [2, 4]), tf.tensor2d(flat32(h0), [2, 4]));
      return newC.dataSync() as Float32Array;
    });
    expect(compareTensors('nextC', nextC, new Tensor(Float64Array.from(naive), [2, 4]), { tol: 1e-4 }).ok).toBe(false);
  });
});

describe('LSTM sequence against tf.basicLSTMCell unrolled over T steps (float32)', () => {
  it('random N=1-3 T=1-8 D=1-4 H=1-4: h, cT and dx, dh0, dc0, dWx, dWh, db of sum(h dh) + sum(cT dcT) match tf.grads', () => {
    fc.assert(
      fc.property(seqCases(8), (c) => {
        const { x, h0, c0, Wx, Wh, b, rng } = lstmData(c);
        const { h, cT, cache } = lstmForward(x, h0, Wx, Wh, b, c0);
        const dh = f32(rng.randn(h.shape));
        const dcT = f32(rng.randn([c.N, c.H]));
        const ours = lstmBackward(dh, cache, dcT);
        const theirs = tf.tidy(() => {
          const unroll = (xt: tf.Tensor, ht: tf.Tensor, ct: tf.Tensor, kt: tf.Tensor, bt: tf.Tensor) => {
            let hh = ht as tf.Tensor2D;
            let cc = ct as tf.Tensor2D;
            const hs: tf.Tensor2D[] = [];
            for (let t = 0; t < c.T; t++) {
              [cc, hh] = tf.basicLSTMCell(0, kt as tf.Tensor2D, bt as tf.Tensor1D, stepOf(xt as tf.Tensor3D, t), cc, hh);
              hs.push(hh);
            }
            return { h: tf.stack(hs, 1), c: cc };
          };
          const args = [
            tf.tensor3d(flat32(x), [c.N, c.T, c.D]),
            tf.tensor2d(flat32(h0), [c.N, c.H]),
            tf.tensor2d(flat32(c0), [c.N, c.H]),
            tf.tensor2d(tfKernel(Wx, Wh, c.H), [c.D + c.H, 4 * c.H]),
            tf.tensor1d(tfBias(b, c.H, 0)),
          ];
          const fwd = unroll(args[0], args[1], args[2], args[3], args[4]);
          const dhT = tf.tensor3d(flat32(dh), [c.N, c.T, c.H]);
          const dcTT = tf.tensor2d(flat32(dcT), [c.N, c.H]);
          const grads = tf.grads((a: tf.Tensor, hh: tf.Tensor, cc: tf.Tensor, k: tf.Tensor, bb: tf.Tensor) => {
            const r = unroll(a, hh, cc, k, bb);
            return tf.add(tf.sum(tf.mul(r.h, dhT)), tf.sum(tf.mul(r.c, dcTT)));
          })(args);
          return { h: fwd.h.dataSync(), c: fwd.c.dataSync(), g: grads.map((g) => g.dataSync()) };
        });
        const name = `lstm ${seqName(c)}`;
        expectF32Close(`${name}: h`, h, new Tensor(Float64Array.from(theirs.h), [c.N, c.T, c.H]));
        expectF32Close(`${name}: cT`, cT, new Tensor(Float64Array.from(theirs.c), [c.N, c.H]));
        const [gx, gh, gc, gk, gb] = theirs.g;
        const dK = fromTfColumns(gk, [c.D + c.H, 4 * c.H], c.H);
        expectF32Close(`${name}: dx`, ours.dx, new Tensor(Float64Array.from(gx), [c.N, c.T, c.D]));
        expectF32Close(`${name}: dh0`, ours.dh0, new Tensor(Float64Array.from(gh), [c.N, c.H]));
        expectF32Close(`${name}: dc0`, ours.dc0, new Tensor(Float64Array.from(gc), [c.N, c.H]));
        expectF32Close(`${name}: dWx`, ours.dWx, new Tensor(dK.data.slice(0, c.D * 4 * c.H), [c.D, 4 * c.H]));
        expectF32Close(`${name}: dWh`, ours.dWh, new Tensor(dK.data.slice(c.D * 4 * c.H), [c.H, 4 * c.H]));
        expectF32Close(`${name}: db`, ours.db, fromTfColumns(gb, [4 * c.H], c.H));
      }),
      OPTS,
    );
  });
});

describe('vanilla RNN against plain tfjs ops, tanh(matMul(x, Wx) + matMul(h, Wh) + b) (float32)', () => {
  const rnnStepTf = (xt: tf.Tensor, ht: tf.Tensor, wx: tf.Tensor, wh: tf.Tensor, bt: tf.Tensor) =>
    tf.tanh(tf.add(tf.add(tf.matMul(xt as tf.Tensor2D, wx as tf.Tensor2D), tf.matMul(ht as tf.Tensor2D, wh as tf.Tensor2D)), bt));

  it('step, random N=1-3 D=1-4 H=1-4: nextH and dx, dprevH, dWx, dWh, db match tf.grads', () => {
    fc.assert(
      fc.property(seqCases(1), (c) => {
        const { x: x3, h0: prevH, Wx, Wh, b, rng } = rnnData(c);
        const x = x3.reshape([c.N, c.D]);
        const { nextH, cache } = rnnStepForward(x, prevH, Wx, Wh, b);
        const dnextH = f32(rng.randn([c.N, c.H]));
        const ours = rnnStepBackward(dnextH, cache);
        const theirs = tf.tidy(() => {
          const args = [
            tf.tensor2d(flat32(x), [c.N, c.D]),
            tf.tensor2d(flat32(prevH), [c.N, c.H]),
            tf.tensor2d(flat32(Wx), [c.D, c.H]),
            tf.tensor2d(flat32(Wh), [c.H, c.H]),
            tf.tensor1d(flat32(b)),
          ];
          const out = rnnStepTf(args[0], args[1], args[2], args[3], args[4]);
          const d = tf.tensor2d(flat32(dnextH), [c.N, c.H]);
          const grads = tf.grads((a: tf.Tensor, hh: tf.Tensor, wx: tf.Tensor, wh: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(rnnStepTf(a, hh, wx, wh, bb), d)))(args);
          return { h: out.dataSync(), g: grads.map((g) => g.dataSync()) };
        });
        const name = `rnnStep ${seqName(c)}`;
        const T = (data: ArrayLike<number>, shape: number[]) => new Tensor(Float64Array.from(data), shape);
        expectF32Close(`${name}: nextH`, nextH, T(theirs.h, [c.N, c.H]));
        const [gx, gh, gwx, gwh, gb] = theirs.g;
        expectF32Close(`${name}: dx`, ours.dx, T(gx, [c.N, c.D]));
        expectF32Close(`${name}: dprevH`, ours.dprevH, T(gh, [c.N, c.H]));
        expectF32Close(`${name}: dWx`, ours.dWx, T(gwx, [c.D, c.H]));
        expectF32Close(`${name}: dWh`, ours.dWh, T(gwh, [c.H, c.H]));
        expectF32Close(`${name}: db`, ours.db, T(gb, [c.H]));
      }),
      OPTS,
    );
  });

  it('sequence, random N=1-3 T=1-8 D=1-4 H=1-4: h and dx, dh0, dWx, dWh, db match tf.grads of the unrolled net', () => {
    fc.assert(
      fc.property(seqCases(8), (c) => {
        const { x, h0, Wx, Wh, b, rng } = rnnData(c);
        const { h, cache } = rnnForward(x, h0, Wx, Wh, b);
        const dh = f32(rng.randn(h.shape));
        const ours = rnnBackward(dh, cache);
        const theirs = tf.tidy(() => {
          const unroll = (xt: tf.Tensor, ht: tf.Tensor, wx: tf.Tensor, wh: tf.Tensor, bt: tf.Tensor) => {
            let hh = ht;
            const hs: tf.Tensor[] = [];
            for (let t = 0; t < c.T; t++) hs.push((hh = rnnStepTf(stepOf(xt as tf.Tensor3D, t), hh, wx, wh, bt)));
            return tf.stack(hs, 1);
          };
          const args = [
            tf.tensor3d(flat32(x), [c.N, c.T, c.D]),
            tf.tensor2d(flat32(h0), [c.N, c.H]),
            tf.tensor2d(flat32(Wx), [c.D, c.H]),
            tf.tensor2d(flat32(Wh), [c.H, c.H]),
            tf.tensor1d(flat32(b)),
          ];
          const out = unroll(args[0], args[1], args[2], args[3], args[4]);
          const d = tf.tensor3d(flat32(dh), [c.N, c.T, c.H]);
          const grads = tf.grads((a: tf.Tensor, hh: tf.Tensor, wx: tf.Tensor, wh: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(unroll(a, hh, wx, wh, bb), d)))(args);
          return { h: out.dataSync(), g: grads.map((g) => g.dataSync()) };
        });
        const name = `rnn ${seqName(c)}`;
        const T = (data: ArrayLike<number>, shape: number[]) => new Tensor(Float64Array.from(data), shape);
        expectF32Close(`${name}: h`, h, T(theirs.h, [c.N, c.T, c.H]));
        const [gx, gh, gwx, gwh, gb] = theirs.g;
        expectF32Close(`${name}: dx`, ours.dx, T(gx, [c.N, c.T, c.D]));
        expectF32Close(`${name}: dh0`, ours.dh0, T(gh, [c.N, c.H]));
        expectF32Close(`${name}: dWx`, ours.dWx, T(gwx, [c.D, c.H]));
        expectF32Close(`${name}: dWh`, ours.dWh, T(gwh, [c.H, c.H]));
        expectF32Close(`${name}: db`, ours.db, T(gb, [c.H]));
      }),
      OPTS,
    );
  });
});
