/**
 * Diagnoses of exercise 06 (inception module): branches concatenated in the wrong order.
 *
 * @module
 */
import { splitChannels, type InceptionSpec } from '@dlkata/layers';
import { compareTensors, type Tensor } from '@dlkata/tensor';

const BRANCHES = ['1x1', '1x1 -> 3x3', '1x1 -> 5x5', '3x3 max pool (stride 1, pad 1) -> 1x1'] as const;

/** `Channels 3..5` (or `Channels 3..3` for one), inclusive, for feedback. */
const channels = (from: number, n: number): string => `Channels ${from}..${from + n - 1}`;

/**
 * Explains a wrong `inceptionForward` output: which branch's channels differ first, and
 * whether they hold another branch's output (the concatenation order is wrong) or the branch
 * sits at other channels.
 *
 * @param got - the student's `out`, `[N, c1 + c3 + c5 + poolProj, H, W]`
 * @param expected - the reference `out`, same shape
 * @returns a sentence, or undefined when every branch's channels match
 */
export function diagnoseInceptionForward(got: Tensor, expected: Tensor, spec: InceptionSpec): string | undefined {
  if (got.shape.join() !== expected.shape.join()) return undefined;
  const sizes = [spec.c1, spec.c3, spec.c5, spec.poolProj];
  const mine = splitChannels(got, sizes);
  const want = splitChannels(expected, sizes);
  const C = got.shape[1];
  const offset = (i: number): number => sizes.slice(0, i).reduce((a, s) => a + s, 0);
  /** Whether the student's channels `at .. at + size - 1` hold branch j's output. */
  const holds = (at: number, j: number): boolean => at + sizes[j] <= C && compareTensors('', splitChannels(got, [at, sizes[j], C - at - sizes[j]])[1], want[j]).ok;
  for (let i = 0; i < 4; i++) {
    if (compareTensors('', mine[i], want[i]).ok) continue;
    const from = offset(i);
    const wrong = `${channels(from, sizes[i])} should be branch ${i + 1} (${BRANCHES[i]}) and are not.`;
    const order = 'concatenate the branches in the order 1x1 | 3x3 | 5x5 | pool';
    for (let j = 0; j < 4; j++) {
      if (j !== i && holds(from, j)) return `${wrong} They hold branch ${j + 1} (${BRANCHES[j]}): ${order}.`;
    }
    for (let at = 0; at + sizes[i] <= C; at++) {
      if (at !== from && holds(at, i)) return `${wrong} Branch ${i + 1} is in your ${channels(at, sizes[i]).toLowerCase()}: ${order}.`;
    }
    return wrong;
  }
  return undefined;
}
