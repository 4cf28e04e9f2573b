/**
 * Diagrams of the recurrent exercises (09-12). The clipping picture computes its vectors with
 * the library's `clipGradNorm` and `clipGradValue`; the recurrence plot evaluates
 * `A_t = theta^t A_0` exactly as exercise 10 defines it.
 */
import { Tensor } from '../../packages/tensor/src/index.js';
import { clipGradNorm, clipGradValue } from '../../packages/rnn/src/index.js';
import { C, Svg } from './svg.js';
import type { Diagram } from './types.js';

function unrolledRnn(): Svg {
  const T = 4;
  const s = new Svg(900, 400, 'An RNN unrolled over four time steps: the same Wx, Wh and b at every step; backprop through time adds the gradient of every step into the shared weights');
  const x0 = 150;
  const dx = 180;
  s.box(14, 170, 80, 44, 'h_0', { fill: C.input });
  for (let t = 1; t <= T; t++) {
    const cx = x0 + (t - 1) * dx;
    s.box(cx, 160, 110, 64, `h_${t} = tanh(\nx_${t} Wx + h_${t - 1} Wh + b)`, { fill: C.output, text: { size: 12 } });
    s.box(cx + 20, 300, 70, 40, `x_${t}`, { fill: C.input });
    s.arrow(cx + 55, 298, cx + 55, 228, { stroke: C.ink });
    s.text(cx + 62, 270, 'Wx', { size: 12, fill: C.accent, bold: true });
    const px = t === 1 ? 96 : cx - dx + 112;
    s.arrow(px, 192, cx - 2, 192, { stroke: C.ink });
    s.text((px + cx) / 2, 184, 'Wh', { size: 12, anchor: 'middle', fill: C.accent, bold: true });
    s.box(cx + 20, 60, 70, 40, `y_${t}`, { fill: C.seriesFill[1] });
    s.arrow(cx + 55, 158, cx + 55, 104, { stroke: C.ink });
    // Backward: red arrows along the same edges, reversed.
    s.path(`M${cx + 95},104 L${cx + 95},156`, { stroke: C.grad, width: 1.8, dash: '5 3', arrow: true });
    if (t > 1) s.path(`M${cx - 4},206 L${px + 2},206`, { stroke: C.grad, width: 1.8, dash: '5 3', arrow: true });
  }
  s.text(14, 30, 'Forward (black): left to right. Backward (red, dashed): from every loss, right to left, all the way to t = 0.', { size: 13 });
  s.text(14, 370, 'dWh = Σ_t h_{t-1}ᵀ · da_t  with  da_t = dh_t ⊙ (1 − h_t²)     (likewise dWx = Σ_t x_tᵀ · da_t,  db = Σ_t da_t)', { size: 13, mono: true, fill: C.grad });
  s.text(14, 392, 'One set of weights is used T times, so its gradient is the sum of T contributions (the lecture: "add the derivatives at different times").', { size: 13 });
  return s;
}

function recurrence(): Svg {
  const s = new Svg(820, 330, 'A_t = theta^t A_0 for theta = 0.8, 1.0 and 1.2: below one it vanishes, above one it explodes');
  const X = (t: number): number => 70 + t * 22;
  const Y = (v: number): number => 170 - Math.log10(v) * 60;
  s.line(70, 300, 520, 300, { stroke: C.muted, width: 1, arrow: true });
  s.line(70, 310, 70, 20, { stroke: C.muted, width: 1, arrow: true });
  for (const e of [-2, -1, 0, 1, 2]) {
    s.line(66, Y(10 ** e), 520, Y(10 ** e), { stroke: '#e5e7eb', width: 1 });
    s.text(60, Y(10 ** e) + 4, `1e${e}`, { size: 11, anchor: 'end', fill: C.muted });
  }
  for (let t = 0; t <= 20; t += 5) s.text(X(t), 318, String(t), { size: 11, anchor: 'middle', fill: C.muted });
  s.text(530, 304, 't', { size: 14, italic: true });
  s.text(76, 16, '|A_t| / |A_0| (log scale)', { size: 12, fill: C.muted });
  const thetas: [number, string, string][] = [
    [1.2, C.grad, 'θ = 1.2: explodes'],
    [1.0, C.muted, 'θ = 1.0: kept'],
    [0.8, C.accent, 'θ = 0.8: vanishes'],
  ];
  for (const [theta, color, label] of thetas) {
    let d = '';
    for (let t = 0; t <= 20; t++) d += `${t ? 'L' : 'M'}${X(t)},${Y(theta ** t).toFixed(1)} `;
    s.path(d, { stroke: color, width: 2.5 });
    s.text(X(20) + 8, Y(theta ** 20) + 4, `${label} (${(theta ** 20).toPrecision(3)})`, { size: 12, fill: color, bold: true });
  }
  s.text(560, 120, 'A_t = θ^t A_0', { size: 15, mono: true });
  s.text(560, 150, 'θ = Q Λ Qᵀ ⇒', { size: 14, mono: true });
  s.text(560, 172, 'A_t = Q Λ^t Qᵀ A_0', { size: 14, mono: true });
  s.text(560, 206, 'each eigenvalue λ acts', { size: 13, fill: C.muted });
  s.text(560, 224, 'alone: |λ| < 1 vanishes,', { size: 13, fill: C.muted });
  s.text(560, 242, '|λ| > 1 explodes.', { size: 13, fill: C.muted });
  return s;
}

function clipping(): Svg {
  const g = Tensor.from([3, 4]);
  const maxNorm = 2.5;
  const byNorm = clipGradNorm([g], maxNorm);
  const byValue = clipGradValue([g], 2);
  const [n0, n1] = [byNorm.grads[0].get(0), byNorm.grads[0].get(1)];
  const [v0, v1] = [byValue.grads[0].get(0), byValue.grads[0].get(1)];
  const s = new Svg(820, 340, 'Gradient clipping: by global norm the gradient is scaled down and keeps its direction; by value each component is cut and the direction changes');
  const panel = (ox: number, title: string, cx: number, cy: number, color: string, note: string, box: 'circle' | 'square', r: number): void => {
    const U = 45;
    const P = (a: number, b: number): [number, number] => [ox + 30 + a * U, 290 - b * U];
    s.text(ox, 24, title, { size: 15, bold: true });
    s.line(...P(0, 0), ...P(5, 0), { stroke: C.muted, width: 1, arrow: true });
    s.line(...P(0, 0), ...P(0, 5), { stroke: C.muted, width: 1, arrow: true });
    if (box === 'circle') s.path(`M${P(r, 0).join(',')} A${r * U},${r * U} 0 0 0 ${P(0, r).join(',')}`, { stroke: color, width: 1.5, dash: '5 4' });
    else s.rect(P(0, r)[0], P(0, r)[1], r * U, r * U, { fill: 'none', stroke: color, width: 1.5, dash: '5 4' });
    s.arrow(...P(0, 0), ...P(3, 4), { stroke: C.ink, width: 2 });
    s.text(...P(3.1, 4.05), 'g = (3, 4), ‖g‖ = 5', { size: 12 });
    s.arrow(...P(0, 0), ...P(cx, cy), { stroke: color, width: 3 });
    s.text(P(cx, cy)[0] + 8, P(cx, cy)[1] + 14, `(${cx.toFixed(2)}, ${cy.toFixed(2)})`, { size: 12, fill: color, bold: true });
    s.text(ox, 326, note, { size: 12, fill: C.muted });
  };
  panel(20, `clipGradNorm(g, ${maxNorm})`, n0, n1, C.accent, `scale ${byNorm.scale.toFixed(2)} = ${maxNorm} / ${byNorm.totalNorm}: same direction`, 'circle', maxNorm);
  panel(430, 'clipGradValue(g, 2)', v0, v1, C.grad, 'each component cut to [−2, 2]: direction changes', 'square', 2);
  return s;
}

function lstmCell(): Svg {
  const s = new Svg(900, 430, 'The LSTM cell: four gates i, f, g, o computed from x_t and h_{t-1} (PyTorch order); the cell state c carries information through time with only a multiplication by f and an addition');
  // Gate pre-activations.
  s.box(20, 330, 200, 50, 'a = x_t Wx + h_{t-1} Wh + b\n[N, 4H]', { fill: C.input, text: { size: 13 } });
  s.box(20, 240, 90, 40, 'x_t', { fill: C.input });
  s.box(130, 240, 90, 40, 'h_{t-1}', { fill: C.input });
  s.arrow(65, 282, 65, 326, { stroke: C.ink });
  s.arrow(175, 282, 175, 326, { stroke: C.ink });
  const gates: [string, string, string, number][] = [
    ['i', 'σ', 'input gate', 0],
    ['f', 'σ', 'forget gate', 1],
    ['g', 'tanh', 'candidate', 2],
    ['o', 'σ', 'output gate', 3],
  ];
  // Slices of a.
  s.text(250, 404, 'a split in four, in this order:', { size: 12, fill: C.muted });
  gates.forEach(([name, , , k]) => {
    const x = 250 + k * 60;
    s.rect(x, 344, 60, 26, { fill: C.seriesFill[k], stroke: C.series[k], width: 1.5 });
    s.text(x + 30, 362, `a_${name}`, { size: 13, anchor: 'middle', bold: true });
    s.text(x + 30, 386, ['0:H', 'H:2H', '2H:3H', '3H:4H'][k], { size: 11, anchor: 'middle', mono: true, fill: C.muted });
  });
  s.arrow(222, 356, 248, 356, { stroke: C.ink });
  // Gate nodes.
  const gx = [400, 480, 560, 720];
  const gy = 260;
  gates.forEach(([name, fn, label, k]) => {
    s.circle(gx[k], gy, 22, { fill: C.seriesFill[k], stroke: C.series[k], width: 2 });
    s.text(gx[k], gy + 5, `${name}=${fn}`, { size: fn === 'tanh' ? 10 : 12, anchor: 'middle', bold: true });
    s.text(gx[k], gy + 40, label, { size: 11, anchor: 'middle', fill: C.series[k] });
    s.path(`M${280 + k * 60},342 C${280 + k * 60},300 ${gx[k]},320 ${gx[k]},284`, { stroke: C.series[k], width: 1.5, arrow: true });
  });
  // Cell state line.
  const cy = 80;
  s.box(250, cy - 20, 80, 40, 'c_{t-1}', { fill: C.seriesFill[4] });
  s.line(332, cy, 460, cy, { stroke: C.ink, width: 3 });
  s.circle(480, cy, 18, { fill: '#fff', stroke: C.ink, width: 2 }).text(480, cy + 6, '⊙', { size: 18, anchor: 'middle' });
  s.line(498, cy, 622, cy, { stroke: C.ink, width: 3 });
  s.circle(640, cy, 18, { fill: '#fff', stroke: C.ink, width: 2 }).text(640, cy + 7, '+', { size: 20, anchor: 'middle', bold: true });
  s.arrow(658, cy, 790, cy, { stroke: C.ink, width: 3 });
  s.box(792, cy - 20, 80, 40, 'c_t', { fill: C.seriesFill[4] });
  s.arrow(gx[1], gy - 24, 480, cy + 20, { stroke: C.series[1], width: 2 });
  s.circle(560, 170, 18, { fill: '#fff', stroke: C.ink, width: 2 }).text(560, 176, '⊙', { size: 18, anchor: 'middle' });
  s.arrow(gx[0], gy - 24, 546, 182, { stroke: C.series[0], width: 2 });
  s.arrow(gx[2], gy - 24, 560, 190, { stroke: C.series[2], width: 2 });
  s.path(`M578,170 C620,170 640,140 640,100`, { stroke: C.ink, width: 2, arrow: true });
  // Output.
  s.line(700, cy, 700, 150, { stroke: C.ink, width: 2 });
  s.box(670, 150, 60, 30, 'tanh', { fill: '#fff', text: { size: 12 } });
  s.circle(790, 200, 18, { fill: '#fff', stroke: C.ink, width: 2 }).text(790, 206, '⊙', { size: 18, anchor: 'middle' });
  s.path('M730,165 C770,165 790,170 790,180', { stroke: C.ink, width: 2, arrow: true });
  s.arrow(gx[3], gy - 24, 778, 214, { stroke: C.series[3], width: 2 });
  s.arrow(808, 200, 850, 200, { stroke: C.ink, width: 2 });
  s.text(854, 205, 'h_t', { size: 15, bold: true });
  s.text(20, 26, 'c_t = f ⊙ c_{t-1} + i ⊙ g        h_t = o ⊙ tanh(c_t)', { size: 15, mono: true });
  s.text(20, 48, 'The cell state (top line) is only scaled by f and added to: with f ≈ 1 the gradient flows back unchanged.', { size: 13, fill: C.muted });
  return s;
}

function rnnShapes(): Svg {
  const s = new Svg(900, 300, 'The four shapes of recurrent networks from the lecture: one-to-one, one-to-many, many-to-one and many-to-many');
  const panels: [string, string, boolean[], boolean[]][] = [
    ['one-to-one', 'image classification', [true], [true]],
    ['one-to-many', 'image captioning', [true, false, false], [true, true, true]],
    ['many-to-one', 'sentiment, language id', [true, true, true], [false, false, true]],
    ['many-to-many', 'translation (encoder-decoder)', [true, true, true, false, false], [false, false, false, true, true]],
  ];
  let ox = 14;
  for (const [name, use, ins, outs] of panels) {
    const n = ins.length;
    s.text(ox, 26, name, { size: 14, bold: true });
    s.text(ox, 44, use, { size: 12, fill: C.muted });
    for (let t = 0; t < n; t++) {
      const x = ox + t * 42;
      s.rect(x, 130, 30, 30, { fill: C.output, stroke: C.ink, width: 1.2, rx: 4 });
      if (ins[t]) {
        s.rect(x, 220, 30, 30, { fill: C.input, stroke: C.ink, width: 1.2, rx: 4 });
        s.arrow(x + 15, 218, x + 15, 164, { stroke: C.ink, width: 1.2 });
      }
      if (outs[t]) {
        s.rect(x, 50 + 10, 30, 30, { fill: C.seriesFill[1], stroke: C.ink, width: 1.2, rx: 4 });
        s.arrow(x + 15, 128, x + 15, 94, { stroke: C.ink, width: 1.2 });
      }
      if (t > 0) s.arrow(x - 11, 145, x - 2, 145, { stroke: C.ink, width: 1.2 });
    }
    ox += Math.max(n * 42, 120) + 40;
  }
  s.text(14, 280, 'Blue: inputs; purple: hidden states (one set of weights, reused at every step); green: outputs.', { size: 13 });
  return s;
}

function stackedRnn(): Svg {
  const T = 4;
  const L = 2;
  const s = new Svg(820, 330, 'A stacked (two-layer) recurrent network: the hidden states of layer 1 are the inputs of layer 2');
  for (let l = 0; l < L; l++) {
    const y = 200 - l * 90;
    s.text(14, y + 26, `layer ${l + 1}`, { size: 13, bold: true, fill: C.series[l] });
    s.box(90, y, 60, 40, `h^{${l + 1}}_0`, { fill: C.seriesFill[l], text: { size: 12 } });
    for (let t = 1; t <= T; t++) {
      const x = 90 + t * 150;
      s.box(x, y, 80, 40, `h^{${l + 1}}_${t}`, { fill: C.seriesFill[l], stroke: C.series[l], text: { size: 13 } });
      s.arrow(x - 150 + (t === 1 ? 62 : 82), y + 20, x - 2, y + 20, { stroke: C.series[l] });
      s.text(x - 40, y + 12, `Wh^{${l + 1}}`, { size: 11, anchor: 'middle', fill: C.series[l] });
      s.arrow(x + 40, y + 88, x + 40, y + 44, { stroke: C.ink });
    }
  }
  for (let t = 1; t <= T; t++) {
    const x = 90 + t * 150;
    s.box(x + 10, 288, 60, 32, `x_${t}`, { fill: C.input, text: { size: 13 } });
    s.box(x + 10, 32, 60, 32, `y_${t}`, { fill: C.seriesFill[2], text: { size: 13 } });
    s.arrow(x + 40, 108, x + 40, 68, { stroke: C.ink });
  }
  s.text(14, 20, 'Each layer has its own Wx, Wh, b; the top layer feeds the outputs.', { size: 13 });
  return s;
}

/** The diagrams of exercises 09-12. */
export const RNN_DIAGRAMS: readonly Diagram[] = [
  { file: 'rnn-unrolled.svg', title: 'The unrolled RNN and backprop through time', exercise: 'rnn', before: 'rnnForward', draw: unrolledRnn, caption: 'Unrolled, the RNN is a feed-forward network whose layers share $W_x$, $W_h$ and $b$; the backward pass adds each step\'s contribution: $\\frac{\\partial L}{\\partial W_h} = \\sum_{t} \\frac{\\partial L}{\\partial W_h}\\Big|_{\\text{step } t}$.' },
  { file: 'recurrence-theta.svg', title: 'Vanishing and exploding through time', exercise: 'long-term-dependencies', before: 'simpleRecurrence', draw: recurrence, caption: 'The same weight multiplied over and over: $|\\theta| < 1$ vanishes, $|\\theta| > 1$ explodes. With $\\theta = Q \\Lambda Q^\\top$, $A_t = Q \\Lambda^t Q^\\top A_0$ and each eigenvalue behaves the same way.' },
  { file: 'clipping.svg', title: 'Clipping by norm and by value', exercise: 'long-term-dependencies', before: 'clipGradNorm', draw: clipping, caption: 'Computed by the library\'s `clipGradNorm` and `clipGradValue`: clipping by the global norm rescales all gradients together, $g \\leftarrow g \\cdot \\frac{\\text{maxNorm}}{\\lVert g \\rVert}$ when $\\lVert g \\rVert > \\text{maxNorm}$ (Pascanu et al. 2013).' },
  { file: 'lstm-cell.svg', title: 'The LSTM cell', exercise: 'lstm', before: 'lstmStepForward', draw: lstmCell, caption: 'Gates in PyTorch\'s order $i, f, g, o$: $i = \\sigma(a_i)$, $f = \\sigma(a_f)$, $g = \\tanh(a_g)$, $o = \\sigma(a_o)$; $c_t = f \\odot c_{t-1} + i \\odot g$, $h_t = o \\odot \\tanh(c_t)$ (Hochreiter & Schmidhuber 1997).' },
  { file: 'rnn-shapes.svg', title: 'One-to-one, one-to-many, many-to-one, many-to-many', exercise: 'rnn-architectures', before: 'The math', draw: rnnShapes, caption: 'The lecture\'s four shapes of recurrent networks and what each is used for.' },
  { file: 'rnn-stacked.svg', title: 'A stacked RNN', exercise: 'rnn-architectures', before: 'stackedLstmForward', draw: stackedRnn, caption: 'Two recurrent layers: the hidden states of the first are the inputs of the second, at every time step.' },
];
