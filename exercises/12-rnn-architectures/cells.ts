/**
 * Exercise 12, the given building blocks: what exercises 09 and 11 built, in plain loops, so
 * that this exercise depends on nothing you may not have finished. Read them; do not change them.
 *
 * Dimensions: N batch, T time steps, D input features, H hidden units, V vocabulary, E
 * embedding size, M outputs. LSTM gate order i, f, g, o (PyTorch's), as in exercise 11.
 *
 * - {@link lstmStepForward}, {@link lstmForward} / {@link lstmBackward}: the LSTM of exercise 11
 * - {@link embeddingForward} / {@link embeddingBackward}: token ids to vectors (rows of a table)
 * - {@link affineForward} / {@link affineBackward}: `x w + b` at every time step
 * - {@link softmaxLoss}: masked softmax cross-entropy over a sequence, summed over steps, over N
 * - {@link timeStep}, {@link setTimeStep}: one time step of `[N, T, F]` in and out
 *
 * @module
 */
import { Tensor } from '@dlkata/tensor';

/** Token ids: N rows of T integers. */
export type Ids = readonly (readonly number[])[];

/** The weights of one LSTM layer: `Wx [D, 4H]`, `Wh [H, 4H]`, `b [4H]`. */
export interface LstmLayer {
  readonly Wx: Tensor;
  readonly Wh: Tensor;
  readonly b: Tensor;
}

/** What {@link lstmBackward} needs from {@link lstmForward}. */
export interface LstmCache {
  readonly x: Tensor;
  readonly layer: LstmLayer;
  /** Per step, oldest first: inputs, previous states, activated gates `[N, 4H]`, new cell. */
  readonly steps: readonly { readonly x: Tensor; readonly prevH: Tensor; readonly prevC: Tensor; readonly gates: Tensor; readonly nextC: Tensor }[];
}

/** The logistic function, without overflow. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Time step `t` of `[N, T, F]`, as a new `[N, F]` tensor. */
export function timeStep(seq: Tensor, t: number): Tensor {
  const [N, T, F] = seq.shape;
  const out = Tensor.zeros([N, F]);
  for (let n = 0; n < N; n++) for (let f = 0; f < F; f++) out.data[n * F + f] = seq.data[(n * T + t) * F + f];
  return out;
}

/** Writes `step` `[N, F]` into time step `t` of `seq` `[N, T, F]`, in place. */
export function setTimeStep(seq: Tensor, t: number, step: Tensor): void {
  const [N, T, F] = seq.shape;
  for (let n = 0; n < N; n++) for (let f = 0; f < F; f++) seq.data[(n * T + t) * F + f] = step.data[n * F + f];
}

/**
 * One LSTM step (exercise 11): `x [N, D]`, `prevH`, `prevC` `[N, H]` to `nextH`, `nextC` `[N, H]`;
 * `gates` `[N, 4H]` holds the activated i, f, g, o.
 */
export function lstmStepForward(x: Tensor, prevH: Tensor, prevC: Tensor, layer: LstmLayer): { nextH: Tensor; nextC: Tensor; gates: Tensor } {
  const { Wx, Wh, b } = layer;
  const [N, D] = x.shape;
  const H = prevH.shape[1];
  const G = 4 * H;
  const gates = Tensor.zeros([N, G]);
  const nextC = Tensor.zeros([N, H]);
  const nextH = Tensor.zeros([N, H]);
  for (let n = 0; n < N; n++) {
    for (let q = 0; q < G; q++) {
      let s = b.data[q];
      for (let d = 0; d < D; d++) s += x.data[n * D + d] * Wx.data[d * G + q];
      for (let k = 0; k < H; k++) s += prevH.data[n * H + k] * Wh.data[k * G + q];
      gates.data[n * G + q] = q >= 2 * H && q < 3 * H ? Math.tanh(s) : sigmoid(s);
    }
    for (let j = 0; j < H; j++) {
      const r = n * G;
      const k = n * H + j;
      nextC.data[k] = gates.data[r + H + j] * prevC.data[k] + gates.data[r + j] * gates.data[r + 2 * H + j];
      nextH.data[k] = gates.data[r + 3 * H + j] * Math.tanh(nextC.data[k]);
    }
  }
  return { nextH, nextC, gates };
}

/**
 * An LSTM over a sequence (exercise 11): `x [N, T, D]` from `h0`, `c0` `[N, H]` to every hidden
 * state `h [N, T, H]` and the final cell state `cT [N, H]`.
 */
export function lstmForward(x: Tensor, h0: Tensor, c0: Tensor, layer: LstmLayer): { h: Tensor; cT: Tensor; cache: LstmCache } {
  const [N, T] = x.shape;
  const H = h0.shape[1];
  const h = Tensor.zeros([N, T, H]);
  const steps: LstmCache['steps'][number][] = [];
  let prevH = h0;
  let prevC = c0;
  for (let t = 0; t < T; t++) {
    const xt = timeStep(x, t);
    const s = lstmStepForward(xt, prevH, prevC, layer);
    steps.push({ x: xt, prevH, prevC, gates: s.gates, nextC: s.nextC });
    setTimeStep(h, t, s.nextH);
    prevH = s.nextH;
    prevC = s.nextC;
  }
  return { h, cT: prevC, cache: { x, layer, steps } };
}

/**
 * Backprop through time of {@link lstmForward} (exercise 11): gradients of
 * `sum(h * dh) + sum(cT * dcT)`. `dcT` defaults to zeros.
 *
 * @returns `dx [N, T, D]`, `dh0`, `dc0` `[N, H]`, `dWx`, `dWh`, `db`
 */
export function lstmBackward(dh: Tensor, cache: LstmCache, dcT?: Tensor): { dx: Tensor; dh0: Tensor; dc0: Tensor; dWx: Tensor; dWh: Tensor; db: Tensor } {
  const { Wx, Wh } = cache.layer;
  const [N, T, D] = cache.x.shape;
  const H = dh.shape[2];
  const G = 4 * H;
  const dx = Tensor.zeros([N, T, D]);
  const dWx = Tensor.zeros([D, G]);
  const dWh = Tensor.zeros([H, G]);
  const db = Tensor.zeros([G]);
  let dprevH = Tensor.zeros([N, H]);
  let dprevC = dcT ? dcT.clone() : Tensor.zeros([N, H]);
  for (let t = T - 1; t >= 0; t--) {
    const s = cache.steps[t];
    const da = new Float64Array(N * G);
    const dC = Tensor.zeros([N, H]);
    for (let n = 0; n < N; n++) {
      const r = n * G;
      for (let j = 0; j < H; j++) {
        const k = n * H + j;
        const [i, f, g, o] = [s.gates.data[r + j], s.gates.data[r + H + j], s.gates.data[r + 2 * H + j], s.gates.data[r + 3 * H + j]];
        const tc = Math.tanh(s.nextC.data[k]);
        const dnh = dh.data[(n * T + t) * H + j] + dprevH.data[k];
        const dc = dprevC.data[k] + dnh * o * (1 - tc * tc);
        dC.data[k] = dc * f;
        da[r + j] = dc * g * i * (1 - i);
        da[r + H + j] = dc * s.prevC.data[k] * f * (1 - f);
        da[r + 2 * H + j] = dc * i * (1 - g * g);
        da[r + 3 * H + j] = dnh * tc * o * (1 - o);
      }
    }
    const dH = Tensor.zeros([N, H]);
    for (let n = 0; n < N; n++) {
      for (let q = 0; q < G; q++) {
        const v = da[n * G + q];
        db.data[q] += v;
        for (let d = 0; d < D; d++) {
          dx.data[(n * T + t) * D + d] += v * Wx.data[d * G + q];
          dWx.data[d * G + q] += s.x.data[n * D + d] * v;
        }
        for (let k = 0; k < H; k++) {
          dH.data[n * H + k] += v * Wh.data[k * G + q];
          dWh.data[k * G + q] += s.prevH.data[n * H + k] * v;
        }
      }
    }
    dprevH = dH;
    dprevC = dC;
  }
  return { dx, dh0: dprevH, dc0: dprevC, dWx, dWh, db };
}

/** Word embedding: `out[n, t, :] = W[ids[n][t], :]`, `[N, T, E]`, for a table `W [V, E]`. */
export function embeddingForward(ids: Ids, W: Tensor): Tensor {
  const N = ids.length;
  const T = ids[0].length;
  const E = W.shape[1];
  const out = Tensor.zeros([N, T, E]);
  for (let n = 0; n < N; n++) for (let t = 0; t < T; t++) for (let e = 0; e < E; e++) out.data[(n * T + t) * E + e] = W.data[ids[n][t] * E + e];
  return out;
}

/** The gradient of the table: `dW[v] = sum of dout[n, t] over the positions with ids[n][t] = v`, `[V, E]`. */
export function embeddingBackward(dout: Tensor, ids: Ids, V: number): Tensor {
  const [N, T, E] = dout.shape;
  const dW = Tensor.zeros([V, E]);
  for (let n = 0; n < N; n++) for (let t = 0; t < T; t++) for (let e = 0; e < E; e++) dW.data[ids[n][t] * E + e] += dout.data[(n * T + t) * E + e];
  return dW;
}

/** `out[n, t, :] = x[n, t, :] w + b`: `x [N, T, D]`, `w [D, M]`, `b [M]` to `[N, T, M]`. */
export function affineForward(x: Tensor, w: Tensor, b: Tensor): Tensor {
  const [N, T, D] = x.shape;
  const M = w.shape[1];
  const out = Tensor.zeros([N, T, M]);
  for (let r = 0; r < N * T; r++) {
    for (let m = 0; m < M; m++) {
      let s = b.data[m];
      for (let d = 0; d < D; d++) s += x.data[r * D + d] * w.data[d * M + m];
      out.data[r * M + m] = s;
    }
  }
  return out;
}

/** Gradients of {@link affineForward} for the upstream `dout [N, T, M]`: `dx [N, T, D]`, `dw [D, M]`, `db [M]`. */
export function affineBackward(dout: Tensor, x: Tensor, w: Tensor): { dx: Tensor; dw: Tensor; db: Tensor } {
  const [N, T, D] = x.shape;
  const M = w.shape[1];
  const dx = Tensor.zeros([N, T, D]);
  const dw = Tensor.zeros([D, M]);
  const db = Tensor.zeros([M]);
  for (let r = 0; r < N * T; r++) {
    for (let m = 0; m < M; m++) {
      const g = dout.data[r * M + m];
      db.data[m] += g;
      for (let d = 0; d < D; d++) {
        dx.data[r * D + d] += g * w.data[d * M + m];
        dw.data[d * M + m] += x.data[r * D + d] * g;
      }
    }
  }
  return { dx, dw, db };
}

/**
 * Softmax cross-entropy over a sequence with a mask: `scores [N, T, V]`, targets `y` (N rows of
 * T ids), `mask` (N rows of T booleans: which positions count).
 * `loss = -(1/N) sum over counted (n, t) of log softmax(scores[n, t])[y[n][t]]`, and its gradient
 * `dscores [N, T, V]`. Divided by N, not by the number of counted positions (CS231n's convention).
 */
export function softmaxLoss(scores: Tensor, y: Ids, mask: readonly (readonly boolean[])[]): { loss: number; dscores: Tensor } {
  const [N, T, V] = scores.shape;
  const dscores = Tensor.zeros([N, T, V]);
  let loss = 0;
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < T; t++) {
      if (!mask[n][t]) continue;
      const r = (n * T + t) * V;
      let m = -Infinity;
      for (let v = 0; v < V; v++) m = Math.max(m, scores.data[r + v]);
      let z = 0;
      for (let v = 0; v < V; v++) z += Math.exp(scores.data[r + v] - m);
      loss -= scores.data[r + y[n][t]] - m - Math.log(z);
      for (let v = 0; v < V; v++) dscores.data[r + v] = Math.exp(scores.data[r + v] - m) / z / N;
      dscores.data[r + y[n][t]] -= 1 / N;
    }
  }
  return { loss: loss / N, dscores };
}
