/**
 * Diagnoses of exercises 09 (RNN) and 11 (LSTM) forward passes: a missing tanh or bias in the
 * RNN step, the LSTM's four gate blocks read in another order (CS231n's i, f, o, g is the
 * common one), the sequence not carrying its state.
 *
 * @module
 */
import { LSTM_GATE_ORDER, lstmForward, lstmStepForward, rnnStepForward } from '@dlkata/rnn';
import { matmul, Tensor } from '@dlkata/tensor';
import { close } from './common.js';

/**
 * Explains a wrong `rnnStepForward` `nextH`.
 *
 * Recognised: no tanh, no bias, `prevH` ignored.
 *
 * @param x - `[N, D]`; `prevH` `[N, H]`; `Wx` `[D, H]`; `Wh` `[H, H]`; `b` `[H]`
 * @param got - the student's `nextH`
 */
export function diagnoseRnnStep(x: Tensor, prevH: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor, got: Tensor): string | undefined {
  const [N, H] = prevH.shape;
  const a = matmul(x, Wx);
  const ah = matmul(prevH, Wh);
  const pre = a.map((v, i) => v + ah.data[i] + b.data[i % H]);
  if (close(got, pre)) return 'Your nextH is the pre-activation x Wx + prevH Wh + b: apply tanh to it.';
  if (close(got, rnnStepForward(x, prevH, Wx, Wh, Tensor.zeros([H])).nextH)) return 'Your nextH leaves out the bias b (added to every example).';
  if (close(got, rnnStepForward(x, Tensor.zeros([N, H]), Wx, Wh, b).nextH)) return 'Your nextH ignores prevH: nextH = tanh(x Wx + prevH Wh + b).';
  return undefined;
}

/** One of the four LSTM gates. */
export type Gate = (typeof LSTM_GATE_ORDER)[number];

function permutations(items: readonly Gate[]): Gate[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((g, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [g, ...rest]));
}

/** Every order of the four gates but the exercise's (PyTorch's i, f, g, o), CS231n's i, f, o, g first. */
export const WRONG_GATE_ORDERS: readonly (readonly Gate[])[] = permutations([...LSTM_GATE_ORDER])
  .filter((p) => p.join() !== LSTM_GATE_ORDER.join())
  .sort((a, b) => Number(b.join() === 'i,f,o,g') - Number(a.join() === 'i,f,o,g'));

/**
 * Weights that make the reference behave like code reading column block `k` as gate
 * `order[k]`: the reference's block for gate `g` is taken from block `order.indexOf(g)`.
 *
 * @param w - `[R, 4H]` or `[4H]`
 */
export function permuteGates(w: Tensor, H: number, order: readonly Gate[]): Tensor {
  const rows = w.ndim === 1 ? 1 : w.shape[0];
  const G = 4 * H;
  const out = Tensor.zeros(w.shape);
  LSTM_GATE_ORDER.forEach((gate, m) => {
    const from = order.indexOf(gate);
    for (let r = 0; r < rows; r++) for (let j = 0; j < H; j++) out.data[r * G + m * H + j] = w.data[r * G + from * H + j];
  });
  return out;
}

function gateOrderSentence(fn: string, order: readonly Gate[]): string {
  return `Your ${fn} reads the four gate blocks in the order ${order.join(', ')}${order.join() === 'i,f,o,g' ? " (CS231n's order)" : ''}; this exercise uses PyTorch's i, f, g, o: columns [0, H) input gate i, [H, 2H) forget gate f, [2H, 3H) cell candidate g, [3H, 4H) output gate o.`;
}

/**
 * Explains a wrong `lstmStepForward` (`nextH`, `nextC`) by the gate order it corresponds to.
 *
 * @param x - `[N, D]`; `prevH`, `prevC` `[N, H]`; `Wx` `[D, 4H]`; `Wh` `[H, 4H]`; `b` `[4H]`
 * @param got - the student's `nextH` and `nextC` (missing ones never match)
 */
export function diagnoseLstmStepGateOrder(x: Tensor, prevH: Tensor, prevC: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor, got: { nextH?: unknown; nextC?: unknown }): string | undefined {
  const H = prevH.shape[1];
  for (const order of WRONG_GATE_ORDERS) {
    const r = lstmStepForward(x, prevH, prevC, permuteGates(Wx, H, order), permuteGates(Wh, H, order), permuteGates(b, H, order));
    if (close(got.nextH, r.nextH) && close(got.nextC, r.nextC)) return gateOrderSentence('lstmStepForward', order);
  }
  return undefined;
}

/**
 * Explains a wrong `lstmForward` (`h`, `cT`) by the gate order it corresponds to.
 *
 * @param x - `[N, T, D]`; `h0`, `c0` `[N, H]`; weights as in {@link diagnoseLstmStepGateOrder}
 * @param got - the student's `h` `[N, T, H]` and `cT` `[N, H]`
 */
export function diagnoseLstmGateOrder(x: Tensor, h0: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor, c0: Tensor, got: { h?: unknown; cT?: unknown }): string | undefined {
  const H = h0.shape[1];
  for (const order of WRONG_GATE_ORDERS) {
    const r = lstmForward(x, h0, permuteGates(Wx, H, order), permuteGates(Wh, H, order), permuteGates(b, H, order), c0);
    if (close(got.h, r.h) && close(got.cT, r.cT)) return gateOrderSentence('lstmForward', order);
  }
  return undefined;
}
