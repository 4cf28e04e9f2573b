/**
 * Plain-loop oracles for the spec tests: pooling output sizes counted by placing windows one
 * by one, not by formula. Not exported from the package.
 *
 * @module
 * @internal
 */
export { maxPool2dForward } from '../maxpool2d.js';

/**
 * Number of windows of size `k`, step `s`, on `size` cells padded by `p` on each side, in
 * PyTorch's ceil mode: a window is placed while it starts inside the input or its left
 * padding and still covers at least one cell of the input or the left padding.
 */
export function avgPool2dLike(size: number, k: number, s: number, p: number): number {
  let n = 0;
  for (let start = -p; start < size + p; start += s) {
    // ceil mode allows the window to hang over the right padding, but it must start before the right padding
    if (start >= size) break;
    n++;
    if (start + k >= size + p) break; // this window already reaches the end of the padded input
  }
  return n;
}
