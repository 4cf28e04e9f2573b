/** The raw-TeX detector the browser test relies on: it must flag every kind of untypeset TeX and leave plain prose alone. */
import { describe, expect, it } from 'vitest';
import { findRawTex } from './raw-tex.js';

describe('findRawTex', () => {
  it.each([
    ['inline math left as dollars', 'the skip is $x_{L+1} = f(x_L)$ here'],
    ['inline math with a command', 'a cost of $5 \\cdot 5$ multiplications'],
    ['display math left as dollars', 'before\n$$\nA_t = Q\n$$\nafter'],
    ['a command outside dollars', 'the slope \\frac{f(x+h) - f(x-h)}{2h} of the secant'],
    ['a braced subscript', 'x_{L+1} = f(W_{L+1} x_L)'],
    ['a braced superscript', 'theta^{t} A_0'],
    ['a Greek letter command', 'with \\theta below one'],
    ['an eigendecomposition', 'Q \\Lambda Q^\\top'],
  ])('flags %s', (_name, text) => {
    expect(findRawTex(text).length).toBeGreaterThan(0);
  });

  it.each([
    ['prices', 'it costs $5 and $6 in total'],
    ['snake case', 'see max_pool_backward and relu_forward'],
    ['a shell variable', 'run it with $HOME set'],
    ['plain subscripts in prose', 'x_t and h_t are the input and the hidden state'],
    ['a Windows path', 'C:\\Users\\student\\dlkata'],
    ['an empty page', ''],
  ])('leaves %s alone', (_name, text) => {
    expect(findRawTex(text)).toEqual([]);
  });

  it('quotes the raw TeX with its context', () => {
    const [hit] = findRawTex('A residual block computes x_{L+1} from x_L.');
    expect(hit).toContain('x_{L+1}');
  });
});
