/**
 * The shared diagnosis module: each diagnosis names the mistake it was built for (the mistake
 * computed independently here, by hand-written loops or by a different route through the
 * library), and says nothing about a right answer or an unrelated wrong one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv2dBackward, conv2dForward, initResidualBlockParams, maxPool2dBackward, maxPool2dForward, reluForward, residualBlockForward } from '@dlkata/layers';
import { lstmForward, lstmStepForward, rnnBackward, rnnForward, rnnStepBackward, rnnStepForward } from '@dlkata/rnn';
import { add, Rng, Tensor } from '@dlkata/tensor';
import {
  checkAgainstOwnForward,
  diagnoseConvBackward,
  diagnoseConvForward,
  diagnoseInceptionForward,
  diagnoseLstmGateOrder,
  diagnoseLstmStepGateOrder,
  diagnosePoolBackward,
  diagnoseResidualForward,
  diagnoseRnnStep,
  diagnoseStepCombination,
  stepOf,
} from '../src/diagnose/index.js';

const int = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max });
const RUNS = { numRuns: 15 };

describe('convolution and pooling', () => {
  const cases = fc.record({ N: int(2, 3), C: int(1, 2), F: int(1, 2), K: int(2, 3), extra: int(0, 3), stride: int(1, 2), pad: int(0, 2), seed: fc.nat() });

  it('a flipped kernel, a missing bias and one-sided padding are named; the right output is not', () => {
    fc.assert(
      fc.property(cases, ({ N, C, F, K, extra, stride, pad, seed }) => {
        const rng = new Rng(seed);
        const H = K + extra;
        const x = rng.randn([N, C, H, H + 1]);
        const w = rng.randn([F, C, K, K]);
        const b = rng.randn([F]);
        const p = { stride, pad };
        expect(diagnoseConvForward(x, w, b, p, conv2dForward(x, w, b, p).out)).toBeUndefined();
        expect(diagnoseConvForward(x, w, b, p, conv2dForward(x, w, Tensor.zeros([F]), p).out)).toContain('without the bias');
        // a true convolution, by hand: the kernel read backwards
        const flipped = w.map((_, i) => {
          const [f, c, a, d] = w.unravel(i);
          return w.get(f, c, K - 1 - a, K - 1 - d);
        });
        const asym = Array.from(w.data).some((v, i) => Math.abs(v - flipped.data[i]) > 1e-9);
        if (asym) expect(diagnoseConvForward(x, w, b, p, conv2dForward(x, flipped, b, p).out)).toContain('kernel flipped');
        if (pad > 0) {
          // bottom-right padding: x placed at the top-left of a zero array 2*pad larger
          const big = Tensor.zeros([N, C, H + 2 * pad, H + 1 + 2 * pad]);
          for (let i = 0; i < x.size; i++) {
            const [n, c, h, v] = x.unravel(i);
            big.set(x.data[i], n, c, h, v);
          }
          expect(diagnoseConvForward(x, w, b, p, conv2dForward(big, w, b, { stride, pad: 0 }).out)).toContain('bottom and right');
        }
      }),
      RUNS,
    );
  });

  it('dw and db of the first image alone, or averaged over the batch, are named', () => {
    fc.assert(
      fc.property(cases, ({ N, C, F, K, extra, stride, pad, seed }) => {
        const rng = new Rng(seed);
        const x = rng.randn([N, C, K + extra, K + extra]);
        const w = rng.randn([F, C, K, K]);
        const b = rng.randn([F]);
        const p = { stride, pad };
        const f = conv2dForward(x, w, b, p);
        const dout = rng.randn(f.out.shape);
        const g = conv2dBackward(dout, f.cache);
        expect(diagnoseConvBackward('dw', x, w, b, p, dout, g.dw)).toBeUndefined();
        // first image: zero the other images' upstream gradient
        const dout0 = dout.map((v, i) => (i < dout.size / N ? v : 0));
        const g0 = conv2dBackward(dout0, f.cache);
        expect(diagnoseConvBackward('dw', x, w, b, p, dout, g0.dw)).toContain('first image alone');
        expect(diagnoseConvBackward('db', x, w, b, p, dout, g0.db)).toContain('first image alone');
        expect(diagnoseConvBackward('dw', x, w, b, p, dout, g.dw.map((v) => v / N))).toContain('batch MEAN');
      }),
      RUNS,
    );
  });

  it('max pooling: "=" instead of "+=" where windows overlap is named', () => {
    const rng = new Rng(3);
    const x = rng.randn([2, 2, 5, 5]);
    const params = { kernel: 3, stride: 1 };
    const f = maxPool2dForward(x, params);
    const dout = rng.randn(f.out.shape);
    const right = maxPool2dBackward(dout, f.cache).dx;
    expect(diagnosePoolBackward(x, params, dout, right)).toBeUndefined();
    // overwrite instead of accumulate, by hand
    const dx = Tensor.zeros(x.shape);
    for (let n = 0; n < 2; n++)
      for (let c = 0; c < 2; c++)
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 3; j++) {
            let best = [i, j];
            for (let a = i; a < i + 3; a++) for (let d = j; d < j + 3; d++) if (x.get(n, c, a, d) > x.get(n, c, best[0], best[1])) best = [a, d];
            dx.set(dout.get(n, c, i, j), n, c, best[0], best[1]);
          }
    expect(diagnosePoolBackward(x, params, dout, dx)).toMatch(/Missing \+= where windows overlap/);
    expect(diagnosePoolBackward(x, { kernel: 2, stride: 2 }, dout, dx)).toBeUndefined();
  });
});

describe('residual block and inception module', () => {
  it('skip after the ReLU, no skip, no last ReLU are named; the right block is not', () => {
    fc.assert(
      fc.property(fc.record({ C: int(1, 3), stride: int(1, 2), seed: fc.nat() }), ({ C, stride, seed }) => {
        const rng = new Rng(seed);
        const F = stride === 1 ? C : C + 1;
        const params = initResidualBlockParams(C, F, rng, { stride, projection: stride > 1 });
        const x = rng.randn([2, C, 5, 4]);
        const opts = { stride };
        expect(diagnoseResidualForward(x, params, opts, residualBlockForward(x, params, opts).out)).toBeUndefined();
        // the parts, via the zero-skip trick: with ws = 0 and bs = 0 (or x = 0 contribution) the block is relu(main)
        const c1 = reluForward(conv2dForward(x, params.w1, params.b1, { stride, pad: 1 }).out).out;
        const main = conv2dForward(c1, params.w2, params.b2, { pad: 1 }).out;
        const skip = params.ws && params.bs ? conv2dForward(x, params.ws, params.bs, { stride }).out : x;
        expect(diagnoseResidualForward(x, params, opts, add(reluForward(main).out, skip))).toContain('BEFORE the last ReLU');
        expect(diagnoseResidualForward(x, params, opts, reluForward(main).out)).toContain('without the shortcut');
        expect(diagnoseResidualForward(x, params, opts, add(main, skip))).toContain('without the last ReLU');
      }),
      RUNS,
    );
  });

  it('inception: two branches swapped are named by their channels', () => {
    const spec = { c1: 2, c3reduce: 1, c3: 3, c5reduce: 1, c5: 1, poolProj: 2 };
    const rng = new Rng(5);
    const expected = rng.randn([1, 8, 3, 3]);
    // swap branch 1 (channels 0..1) and the pool branch (channels 6..7)
    const got = expected.map((_, i) => {
      const [n, c, h, w] = expected.unravel(i);
      const from = c < 2 ? c + 6 : c >= 6 ? c - 6 : c;
      return expected.get(n, from, h, w);
    });
    expect(diagnoseInceptionForward(expected, expected, spec)).toBeUndefined();
    expect(diagnoseInceptionForward(got, expected, spec)).toMatch(/Channels 0..1 should be branch 1 .* They hold branch 4/);
  });
});

describe('recurrent networks', () => {
  it('an RNN step without tanh, without bias, or ignoring prevH is named', () => {
    const rng = new Rng(9);
    const x = rng.randn([2, 3]);
    const h = rng.randn([2, 4]);
    const Wx = rng.randn([3, 4], 0.5);
    const Wh = rng.randn([4, 4], 0.5);
    const b = rng.randn([4]);
    const right = rnnStepForward(x, h, Wx, Wh, b).nextH;
    expect(diagnoseRnnStep(x, h, Wx, Wh, b, right)).toBeUndefined();
    expect(diagnoseRnnStep(x, h, Wx, Wh, b, right.map((v) => Math.atanh(v)))).toContain('apply tanh');
    expect(diagnoseRnnStep(x, h, Wx, Wh, b, rnnStepForward(x, h, Wx, Wh, Tensor.zeros([4])).nextH)).toContain('bias');
    expect(diagnoseRnnStep(x, h, Wx, Wh, b, rnnStepForward(x, Tensor.zeros([2, 4]), Wx, Wh, b).nextH)).toContain('ignores prevH');
  });

  it("CS231n's gate order (i, f, o, g) is named, for a step and for a sequence", () => {
    const H = 2;
    const rng = new Rng(11);
    const x = rng.randn([2, 3, 3]);
    const h0 = rng.randn([2, H], 0.5);
    const c0 = rng.randn([2, H], 0.5);
    const Wx = rng.randn([3, 4 * H], 0.6);
    const Wh = rng.randn([H, 4 * H], 0.6);
    const b = rng.randn([4 * H], 0.5);
    // CS231n reads columns [2H, 3H) as o and [3H, 4H) as g: swap those blocks, by hand
    const swap = (w: Tensor): Tensor =>
      w.map((_, i) => {
        const col = i % (4 * H);
        const blk = Math.floor(col / H);
        const j = blk === 2 ? i + H : blk === 3 ? i - H : i;
        return w.data[j];
      });
    const stepGot = lstmStepForward(stepOf(x, 0), h0, c0, swap(Wx), swap(Wh), swap(b));
    expect(diagnoseLstmStepGateOrder(stepOf(x, 0), h0, c0, Wx, Wh, b, stepGot)).toContain("order i, f, o, g (CS231n's order)");
    const right = lstmStepForward(stepOf(x, 0), h0, c0, Wx, Wh, b);
    expect(diagnoseLstmStepGateOrder(stepOf(x, 0), h0, c0, Wx, Wh, b, right)).toBeUndefined();
    const seqGot = lstmForward(x, h0, swap(Wx), swap(Wh), swap(b), c0);
    expect(diagnoseLstmGateOrder(x, h0, Wx, Wh, b, c0, seqGot)).toContain('i, f, o, g');
    expect(diagnoseLstmGateOrder(x, h0, Wx, Wh, b, c0, { h: 'nonsense', cT: 3 })).toBeUndefined();
  });

  it('a sequence weight gradient without += over t, and one without the carry through time, are named', () => {
    const rng = new Rng(13);
    const [N, T, D, H] = [2, 4, 3, 3];
    const x = rng.randn([N, T, D]);
    const h0 = rng.randn([N, H]);
    const Wx = rng.randn([D, H], 0.5);
    const Wh = rng.randn([H, H], 0.5);
    const b = rng.randn([H]);
    const dh = rng.randn([N, T, H]);
    const fwd = rnnForward(x, h0, Wx, Wh, b);
    const steps: Record<string, Tensor>[] = [];
    let carry = Tensor.zeros([N, H]);
    for (let t = T - 1; t >= 0; t--) {
      const g = rnnStepBackward(add(stepOf(dh, t), carry), fwd.cache.steps[t]);
      steps[t] = { ...g };
      carry = g.dprevH;
    }
    const noCarryDWh = Tensor.zeros([H, H]);
    for (let t = 0; t < T; t++) {
      const g = rnnStepBackward(stepOf(dh, t), fwd.cache.steps[t]);
      for (let i = 0; i < noCarryDWh.size; i++) noCarryDWh.data[i] += g.dWh.data[i];
    }
    const ref = { steps, noCarry: { dWh: noCarryDWh } };
    expect(diagnoseStepCombination('rnnBackward', 'rnnStepBackward', 'dWh', rnnBackward(dh, fwd.cache).dWh, ref, true)).toBeUndefined();
    expect(diagnoseStepCombination('rnnBackward', 'rnnStepBackward', 'dWh', steps[0].dWh, ref, true)).toContain('Accumulation over t is missing');
    expect(diagnoseStepCombination('rnnBackward', 'rnnStepBackward', 'dWh', noCarryDWh, ref, true)).toContain('dprevH');
    // a check that a forward step is itself consistent: rnnStepForward's own gradient passes the directional check
    const s0 = rnnStepForward(stepOf(x, 0), h0, Wx, Wh, b);
    expect(s0.nextH.shape).toEqual([N, H]);
  });
});

describe('checkAgainstOwnForward', () => {
  it("accepts a forward's true gradient and rejects a wrong one (sync and async forwards)", async () => {
    const rng = new Rng(17);
    const x = rng.randn([2, 2, 4, 4]);
    const w = rng.randn([3, 2, 3, 3]);
    const b = rng.randn([3]);
    const p = { stride: 2, pad: 1 };
    const f = conv2dForward(x, w, b, p);
    const dout = rng.randn(f.out.shape);
    const g = conv2dBackward(dout, f.cache);
    const ok = await checkAgainstOwnForward({ point: w, grad: g.dw, dout, forward: (q) => conv2dForward(x, q, b, p).out, rng });
    expect(ok.agrees).toBe(true);
    const bad = await checkAgainstOwnForward({ point: w, grad: g.dw.map((v) => 2 * v), dout, forward: async (q) => conv2dForward(x, q, b, p).out, rng });
    expect(bad.agrees).toBe(false);
    expect(bad.relError).toBeGreaterThan(0.1);
  });
});
