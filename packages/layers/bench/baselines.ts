/**
 * Plain-loop baselines (and oracles) for the benchmarks: the code one writes first, with no
 * blocking, packing or im2col. They work on raw `Float64Array`s in NCHW layout.
 *
 * @module
 */

/** Geometry of a 2-D convolution with square stride and padding. */
export interface ConvShape {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly F: number;
  readonly KH: number;
  readonly KW: number;
  readonly stride: number;
  readonly pad: number;
  readonly OH: number;
  readonly OW: number;
}

/** Fills in `OH` and `OW` (PyTorch's formula with dilation 1). */
export function convShape(s: Omit<ConvShape, 'OH' | 'OW'>): ConvShape {
  const OH = Math.floor((s.H + 2 * s.pad - s.KH) / s.stride) + 1;
  const OW = Math.floor((s.W + 2 * s.pad - s.KW) / s.stride) + 1;
  return { ...s, OH, OW };
}

/** Multiply-adds of a convolution forward pass, times 2: `2 N F C KH KW OH OW`. */
export function convFlops(s: ConvShape): number {
  return 2 * s.N * s.F * s.C * s.KH * s.KW * s.OH * s.OW;
}

/**
 * Direct convolution, forward: for every output element, the sum over `(c, kh, kw)` of
 * `w * x` (taps on padding skipped), then `+ b[f]`.
 *
 * @param x - `[N, C, H, W]`
 * @param w - `[F, C, KH, KW]`
 * @param b - `[F]`
 * @returns out `[N, F, OH, OW]`
 */
export function convForwardLoops(x: Float64Array, w: Float64Array, b: Float64Array, s: ConvShape): Float64Array {
  const { N, C, H, W, F, KH, KW, stride, pad, OH, OW } = s;
  const out = new Float64Array(N * F * OH * OW);
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let sum = 0;
          for (let c = 0; c < C; c++) {
            const xBase = (n * C + c) * H;
            const wBase = (f * C + c) * KH;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * stride - pad + kh;
              if (ih < 0 || ih >= H) continue;
              const xRow = (xBase + ih) * W;
              const wRow = (wBase + kh) * KW;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * stride - pad + kw;
                if (iw < 0 || iw >= W) continue;
                sum += w[wRow + kw] * x[xRow + iw];
              }
            }
          }
          out[o++] = sum + b[f];
        }
      }
    }
  }
  return out;
}

/**
 * Direct convolution, backward (CS231n's `conv_backward_naive`): one pass over the output
 * gradient, scattering `dout * w` into `dx` and gathering `dout * x` into `dw`.
 *
 * @returns `dx` `[N, C, H, W]`, `dw` `[F, C, KH, KW]`, `db` `[F]`
 */
export function convBackwardLoops(
  dout: Float64Array,
  x: Float64Array,
  w: Float64Array,
  s: ConvShape,
): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const { N, C, H, W, F, KH, KW, stride, pad, OH, OW } = s;
  const dx = new Float64Array(N * C * H * W);
  const dw = new Float64Array(F * C * KH * KW);
  const db = new Float64Array(F);
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const d = dout[o++];
          db[f] += d;
          for (let c = 0; c < C; c++) {
            const xBase = (n * C + c) * H;
            const wBase = (f * C + c) * KH;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * stride - pad + kh;
              if (ih < 0 || ih >= H) continue;
              const xRow = (xBase + ih) * W;
              const wRow = (wBase + kh) * KW;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * stride - pad + kw;
                if (iw < 0 || iw >= W) continue;
                dw[wRow + kw] += d * x[xRow + iw];
                dx[xRow + iw] += d * w[wRow + kw];
              }
            }
          }
        }
      }
    }
  }
  return { dx, dw, db };
}

/** `C[M, N] = A[M, K] B[K, N]`, row-major, the i-k-j loop (unit stride innermost, no blocking). */
export function gemmLoops(M: number, N: number, K: number, a: Float64Array, b: Float64Array, c: Float64Array): void {
  c.fill(0, 0, M * N);
  for (let i = 0; i < M; i++) {
    const cRow = i * N;
    const aRow = i * K;
    for (let k = 0; k < K; k++) {
      const aik = a[aRow + k];
      const bRow = k * N;
      for (let j = 0; j < N; j++) c[cRow + j] += aik * b[bRow + j];
    }
  }
}

/**
 * Max pooling, forward and backward in plain loops (window = stride = `k`, no padding): the
 * gradient of each window goes to its first maximum.
 *
 * @returns out `[N, C, H/k, W/k]` and dx `[N, C, H, W]`
 */
export function maxPoolLoops(
  x: Float64Array,
  dout: Float64Array,
  N: number,
  C: number,
  H: number,
  W: number,
  k: number,
): { out: Float64Array; dx: Float64Array } {
  const OH = Math.floor((H - k) / k) + 1;
  const OW = Math.floor((W - k) / k) + 1;
  const out = new Float64Array(N * C * OH * OW);
  const dx = new Float64Array(N * C * H * W);
  let o = 0;
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, o++) {
        let best = -Infinity;
        let at = -1;
        for (let kh = 0; kh < k; kh++) {
          for (let kw = 0; kw < k; kw++) {
            const i = base + (oh * k + kh) * W + ow * k + kw;
            if (x[i] > best) {
              best = x[i];
              at = i;
            }
          }
        }
        out[o] = best;
        dx[at] += dout[o];
      }
    }
  }
  return { out, dx };
}
