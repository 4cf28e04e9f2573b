/**
 * Child process of the `conv-memory` case: one conv2d forward+backward pass at the issue's
 * large shape, then the process's peak resident set size (`VmHWM` of `/proc/self/status`, Linux)
 * printed as one JSON line. A fresh process, so nothing else the benchmark did counts.
 *
 * Usage: `tsx conv-memory-child.ts N C H W F` (3x3 filters, stride 1, 'same' padding).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { Rng, Tensor } from '@dlkata/tensor';
import { conv2dBackward, conv2dForward } from '../../src/index.js';

/** `VmHWM` / `VmRSS` in bytes, or undefined where `/proc` does not exist. */
function statusBytes(field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

const [N, C, H, W, F] = process.argv.slice(2).map(Number);
const rng = new Rng(7);
const x = rng.randn([N, C, H, W]);
const w = rng.randn([F, C, 3, 3], Math.sqrt(2 / (C * 9)));
const b = Tensor.zeros([F]);
const dout = rng.randn([N, F, H, W]);
const before = statusBytes('VmHWM');
const t0 = performance.now();
const { out, cache } = conv2dForward(x, w, b, { pad: 'same' });
const { dx, dw, db } = conv2dBackward(dout, cache);
const ms = performance.now() - t0;
// Touch the results so that nothing is optimised away.
const checksum = out.data[0] + dx.data[dx.size - 1] + dw.data[0] + db.data[0];
console.log(JSON.stringify({ peakBytes: statusBytes('VmHWM') ?? null, inputsBytes: before ?? null, ms, checksum }));
