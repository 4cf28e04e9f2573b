/**
 * Gradient checking for blocks composed of convolutions, ReLUs and max pooling (residual and
 * inception blocks). Not exported from the package.
 *
 * Such a block is piecewise linear in each of its inputs: linear as long as no ReLU input
 * changes sign and no pooling window changes its winner. On one linear piece a centered
 * difference has no truncation error, so, as for the primitives (see `LINEAR_H` in
 * `test-support.ts`), only round-off is left. Instead of hoping that a perturbation stays on the
 * piece, {@link pieceGradient} records every activation pattern it visits; a case whose
 * differences straddled a kink is discarded with `fc.pre` (a skip, not a pass), so every check
 * that runs is exact up to round-off.
 *
 * @module
 * @internal
 */
import { numericalGradient, Tensor } from '@dlkata/tensor';
import type { MaxPool2dCache } from './maxpool2d.js';
import type { ReluCache } from './relu.js';

/**
 * Finite-difference step for blocks. Smaller than `LINEAR_H` (1e-3) because a block has hundreds
 * of ReLU inputs, and the chance that one of them lies within reach of the step grows with the
 * step. Measured over 200 residual and 150 inception cases of the sizes these tests draw:
 * at 1e-3, 5% and 16% of the cases straddle a kink (worst relative error of the rest 3e-9);
 * at 1e-4, under 1% (worst 1.4e-8); at 1e-5, under 1% (worst 1.3e-7, round-off growing as 1/h).
 */
export const BLOCK_H = 1e-4;

/** The activation pattern of ReLUs (sign of each input) and max pools (each window's winner), as one string. */
export function pattern(relus: readonly ReluCache[], pools: readonly MaxPool2dCache[] = []): string {
  const parts: string[] = [];
  for (const r of relus) {
    let s = '';
    for (const v of r.x.data) s += v > 0 ? '1' : '0';
    parts.push(s);
  }
  for (const p of pools) parts.push(p.argmax.join(','));
  return parts.join('|');
}

/**
 * `numericalGradient(f, x, dout, h)` of `f = forward(.).out`, and whether any evaluation left the
 * activation pattern of the unperturbed point (then the result is not to be trusted).
 *
 * @param forward - the block's forward pass as a function of the input being differentiated
 * @param patternOf - the activation pattern of a forward cache (built with {@link pattern})
 */
export function pieceGradient<C>(
  forward: (t: Tensor) => { out: Tensor; cache: C },
  patternOf: (cache: C) => string,
  x: Tensor,
  dout: Tensor,
  h = BLOCK_H,
): { grad: Tensor; crossed: boolean } {
  const base = patternOf(forward(x).cache);
  let crossed = false;
  const grad = numericalGradient(
    (t) => {
      const r = forward(t);
      if (!crossed && patternOf(r.cache) !== base) crossed = true;
      return r.out;
    },
    x,
    dout,
    h,
  );
  return { grad, crossed };
}

/**
 * The oracle for block outputs: a direct convolution in nested loops (zero padding by skipping
 * taps that fall outside the input), output size from PyTorch's formula written out here; no
 * im2col, no GEMM.
 */
export function directConv(x: Tensor, w: Tensor, b: Tensor, stride: number, pad: number): Tensor {
  const [N, C, H, W] = x.shape;
  const [F, , KH, KW] = w.shape;
  const OH = Math.floor((H + 2 * pad - KH) / stride) + 1;
  const OW = Math.floor((W + 2 * pad - KW) / stride) + 1;
  const out = Tensor.zeros([N, F, OH, OW]);
  for (let n = 0; n < N; n++)
    for (let f = 0; f < F; f++)
      for (let i = 0; i < OH; i++)
        for (let j = 0; j < OW; j++) {
          let acc = b.get(f);
          for (let c = 0; c < C; c++)
            for (let a = 0; a < KH; a++)
              for (let e = 0; e < KW; e++) {
                const h = i * stride - pad + a;
                const v = j * stride - pad + e;
                if (h >= 0 && h < H && v >= 0 && v < W) acc += x.get(n, c, h, v) * w.get(f, c, a, e);
              }
          out.set(acc, n, f, i, j);
        }
  return out;
}

/** `max(0, v)` elementwise, written out. */
export const directRelu = (t: Tensor): Tensor => t.map((v) => Math.max(0, v));
