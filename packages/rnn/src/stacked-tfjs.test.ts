/**
 * TensorFlow.js as an independent oracle for the stacked LSTM: `tf.multiRNNCell` over
 * `tf.basicLSTMCell`s, unrolled over T steps, differentiated by `tf.grads`.
 *
 * The gate mapping is the one documented in `tfjs-oracle.test.ts`: tfjs' column blocks
 * (i, j, f, o) hold our blocks (i, g, f, o), the kernel is `[Wx; Wh]` stacked row-wise, and
 * tfjs adds `forgetBias` (0 here) to the forget block. Float32 on their side, float64 on ours:
 * inputs are rounded to float32 first and results compared at relative 1e-4.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareTensors, maxAbs, Rng, Tensor } from '@dlkata/tensor';
import { stackedBackward, stackedForward } from './stacked.js';

const TF_BLOCK = [0, 2, 1, 3] as const;

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
  await tf.ready();
});

const f32 = (t: Tensor): Tensor => t.map(Math.fround);

function toTf(t: Tensor, H: number): Float32Array {
  const R = t.ndim === 1 ? 1 : t.shape[0];
  const out = new Float32Array(t.size);
  for (let r = 0; r < R; r++) for (let q = 0; q < 4; q++) for (let j = 0; j < H; j++) out[r * 4 * H + q * H + j] = t.data[r * 4 * H + TF_BLOCK[q] * H + j];
  return out;
}

function fromTf(data: ArrayLike<number>, shape: readonly number[], H: number): Tensor {
  const out = Tensor.zeros(shape);
  const R = out.size / (4 * H);
  for (let r = 0; r < R; r++) for (let q = 0; q < 4; q++) for (let j = 0; j < H; j++) out.data[r * 4 * H + TF_BLOCK[q] * H + j] = data[r * 4 * H + q * H + j];
  return out;
}

function expectClose(what: string, ours: Tensor, theirs: Tensor): void {
  const c = compareTensors(what, ours, theirs, { tol: 1e-4, atol: 1e-5 * (1 + maxAbs(theirs)) });
  if (!c.ok) throw new Error(c.message);
}

describe('stacked LSTM against tf.multiRNNCell of tf.basicLSTMCell (float32)', () => {
  it('random N = 1-2, T = 1-5, D = 1-3, L = 2-3 layers of H = 1-3: h, every hT and cT, dx and every layer\'s dWx, dWh, db match tf.grads', () => {
    fc.assert(
      fc.property(fc.record({ N: fc.integer({ min: 1, max: 2 }), T: fc.integer({ min: 1, max: 5 }), D: fc.integer({ min: 1, max: 3 }), L: fc.integer({ min: 2, max: 3 }), seed: fc.integer() }), (c) => {
        const rng = new Rng(c.seed);
        const Hs = Array.from({ length: c.L }, () => 1 + Math.floor(rng.uniform() * 3));
        const layers = Hs.map((H, l) => {
          const D = l === 0 ? c.D : Hs[l - 1];
          return { Wx: f32(rng.randn([D, 4 * H], 1 / Math.sqrt(D))), Wh: f32(rng.randn([H, 4 * H], 1 / Math.sqrt(H))), b: f32(rng.randn([4 * H], 0.5)) };
        });
        const x = f32(rng.randn([c.N, c.T, c.D]));
        const top = Hs[c.L - 1];
        const dh = f32(rng.randn([c.N, c.T, top]));
        const ours = stackedForward('lstm', x, layers);
        const g = stackedBackward(dh, ours.cache);
        const theirs = tf.tidy(() => {
          const run = (xt: tf.Tensor, ...params: tf.Tensor[]) => {
            const cells = Hs.map((_, l) => (data: tf.Tensor2D, cc: tf.Tensor2D, hh: tf.Tensor2D) => tf.basicLSTMCell(0, params[2 * l] as tf.Tensor2D, params[2 * l + 1] as tf.Tensor1D, data, cc, hh));
            let cs = Hs.map((H) => tf.zeros([c.N, H]) as tf.Tensor2D);
            let hs = Hs.map((H) => tf.zeros([c.N, H]) as tf.Tensor2D);
            const outs: tf.Tensor2D[] = [];
            for (let t = 0; t < c.T; t++) {
              const xs = tf.squeeze(tf.slice(xt, [0, t, 0], [-1, 1, -1]), [1]) as tf.Tensor2D;
              [cs, hs] = tf.multiRNNCell(cells, xs, cs, hs) as [tf.Tensor2D[], tf.Tensor2D[]];
              outs.push(hs[c.L - 1]);
            }
            return { h: tf.stack(outs, 1), cs, hs };
          };
          const params = layers.flatMap((p, l) => {
            const k = new Float32Array(p.Wx.size + p.Wh.size);
            k.set(toTf(p.Wx, Hs[l]));
            k.set(toTf(p.Wh, Hs[l]), p.Wx.size);
            return [tf.tensor2d(k, [p.Wx.shape[0] + Hs[l], 4 * Hs[l]]), tf.tensor1d(toTf(p.b, Hs[l]))];
          });
          const xt = tf.tensor3d(Float32Array.from(x.data), [c.N, c.T, c.D]);
          const r = run(xt, ...params);
          const dht = tf.tensor3d(Float32Array.from(dh.data), [c.N, c.T, top]);
          const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(run(a[0], ...a.slice(1)).h, dht)))([xt, ...params]);
          return { h: r.h.dataSync(), cs: r.cs.map((t) => t.dataSync()), hs: r.hs.map((t) => t.dataSync()), grads: grads.map((t) => t.dataSync()) };
        });
        expectClose('h', ours.h, new Tensor(Float64Array.from(theirs.h), [c.N, c.T, top]));
        Hs.forEach((H, l) => {
          expectClose(`hT[${l}]`, ours.hT[l], new Tensor(Float64Array.from(theirs.hs[l]), [c.N, H]));
          expectClose(`cT[${l}]`, ours.cT[l], new Tensor(Float64Array.from(theirs.cs[l]), [c.N, H]));
          const D = layers[l].Wx.shape[0];
          const dK = fromTf(theirs.grads[1 + 2 * l], [D + H, 4 * H], H);
          expectClose(`layer ${l} dWx`, g.layers[l].dWx, new Tensor(dK.data.slice(0, D * 4 * H), [D, 4 * H]));
          expectClose(`layer ${l} dWh`, g.layers[l].dWh, new Tensor(dK.data.slice(D * 4 * H), [H, 4 * H]));
          expectClose(`layer ${l} db`, g.layers[l].db, fromTf(theirs.grads[2 + 2 * l], [4 * H], H));
        });
        expectClose('dx', g.dx, new Tensor(Float64Array.from(theirs.grads[0]), [c.N, c.T, c.D]));
        expect(ours.hT.length).toBe(c.L);
      }),
      { seed: 11, numRuns: 10 },
    );
  });
});
