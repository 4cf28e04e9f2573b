/**
 * TensorFlow.js' pure-JavaScript CPU backend as a baseline: loading it, and converting between
 * dlkata's NCHW float64 layout and TensorFlow's NHWC float32 one.
 *
 * @module
 */
import type * as TF from '@tensorflow/tfjs';

export type Tf = typeof TF;

let loaded: Promise<Tf> | undefined;

/**
 * `@tensorflow/tfjs` on its `cpu` backend, in production mode (no per-op NaN checks, and no
 * "install the node backend" banner).
 */
export function loadTfCpu(): Promise<Tf> {
  loaded ??= (async () => {
    const tf = await import('@tensorflow/tfjs');
    tf.enableProdMode();
    if (!(await tf.setBackend('cpu'))) throw new Error('tfjs: the cpu backend did not initialise');
    await tf.ready();
    return tf;
  })();
  return loaded;
}

/** `[N, C, H, W]` float64 -> `[N, H, W, C]` float32. */
export function nchwToNhwc(x: Float64Array, N: number, C: number, H: number, W: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let h = 0; h < H; h++) {
        for (let w = 0; w < W; w++) out[((n * H + h) * W + w) * C + c] = x[((n * C + c) * H + h) * W + w];
      }
    }
  }
  return out;
}

/** `[N, H, W, C]` -> `[N, C, H, W]` (as float64). */
export function nhwcToNchw(x: ArrayLike<number>, N: number, C: number, H: number, W: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let h = 0; h < H; h++) {
        for (let w = 0; w < W; w++) out[((n * C + c) * H + h) * W + w] = x[((n * H + h) * W + w) * C + c];
      }
    }
  }
  return out;
}

/** Filters `[F, C, KH, KW]` (PyTorch) float64 -> `[KH, KW, C, F]` (TensorFlow) float32. */
export function filtersToTf(w: Float64Array, F: number, C: number, KH: number, KW: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let f = 0; f < F; f++) {
    for (let c = 0; c < C; c++) {
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) out[((kh * KW + kw) * C + c) * F + f] = w[((f * C + c) * KH + kh) * KW + kw];
      }
    }
  }
  return out;
}

/** Filters `[KH, KW, C, F]` -> `[F, C, KH, KW]` (as float64). */
export function filtersFromTf(w: ArrayLike<number>, F: number, C: number, KH: number, KW: number): Float64Array {
  const out = new Float64Array(w.length);
  for (let f = 0; f < F; f++) {
    for (let c = 0; c < C; c++) {
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) out[((f * C + c) * KH + kh) * KW + kw] = w[((kh * KW + kw) * C + c) * F + f];
      }
    }
  }
  return out;
}
