/**
 * Diagrams of the CNN exercises (01-08). Numbers in the pictures are computed with the
 * library the grader trusts (`@dlkata/tensor`, `@dlkata/layers`), so a picture cannot drift
 * from the code: if the library changed its convention, the picture would change with it.
 */
import { computeConv2DInfo, convOutputSize, im2col, Tensor } from '../../packages/tensor/src/index.js';
import {
  analyze,
  conv2dBackward,
  conv2dForward,
  convMultiplies,
  convTranspose2dForward,
  inceptionChannels,
  lenet5,
  layerInfo,
  maxPool2dBackward,
  maxPool2dForward,
  vggBlock,
  type InceptionSpec,
} from '../../packages/layers/src/index.js';
import { C, Svg, thousands } from './svg.js';
import type { Diagram } from './types.js';

/** The lecture's 5x5 image of the 1x1 convolution example (item 7). */
export const LECTURE_IMAGE = [
  [-5, 3, 2, -5, 3],
  [4, 3, 2, 1, -3],
  [1, 0, 3, 3, 5],
  [-2, 0, 1, 4, 4],
  [5, 6, 7, 9, -1],
];

const rows2 = (t: Tensor, n = 0, c = 0): number[][] => {
  const [, , H, W] = t.shape;
  return Array.from({ length: H }, (_, i) => Array.from({ length: W }, (_, j) => t.get(n, c, i, j)));
};
const image = (m: number[][]): Tensor => Tensor.from([[m]]);
const fmtProduct = (a: number, b: number): string => `${a < 0 ? `(${a})` : a}·${b < 0 ? `(${b})` : b}`;

function gradientCheck(): Svg {
  const s = new Svg(760, 330, 'Centered difference: the slope of the secant through x - h and x + h approximates the derivative at x');
  const f = (x: number): number => 0.25 * x ** 3 - x + 1.2;
  const df = (x: number): number => 0.75 * x ** 2 - 1;
  const X = (x: number): number => 60 + (x + 0.6) * 170;
  const Y = (y: number): number => 290 - y * 80;
  s.line(40, 290, 560, 290, { stroke: C.muted, width: 1, arrow: true });
  s.line(60, 310, 60, 20, { stroke: C.muted, width: 1, arrow: true });
  let d = '';
  for (let x = -0.5; x <= 2.35; x += 0.05) d += `${d ? 'L' : 'M'}${X(x).toFixed(1)},${Y(f(x)).toFixed(1)} `;
  s.path(d, { stroke: C.ink, width: 2.5 });
  const x0 = 1.2;
  const h = 0.6;
  const slope = (f(x0 + h) - f(x0 - h)) / (2 * h);
  s.line(X(x0 - 0.9), Y(f(x0) - 0.9 * df(x0)), X(x0 + 0.9), Y(f(x0) + 0.9 * df(x0)), { stroke: C.accent, width: 2, dash: '6 4' });
  s.line(X(x0 - h - 0.25), Y(f(x0 - h) - 0.25 * slope), X(x0 + h + 0.25), Y(f(x0 + h) + 0.25 * slope), { stroke: C.grad, width: 2 });
  for (const [x, label] of [
    [x0 - h, 'x − h'],
    [x0, 'x'],
    [x0 + h, 'x + h'],
  ] as const) {
    s.line(X(x), 290, X(x), Y(f(x)), { stroke: C.grid, width: 1, dash: '3 3' });
    s.circle(X(x), Y(f(x)), 4.5, { fill: x === x0 ? C.accent : C.grad, stroke: '#fff', width: 1 });
    s.text(X(x), 310, label, { anchor: 'middle', size: 14 });
  }
  s.text(X(2.3), Y(f(2.3)) - 8, 'f', { size: 16, italic: true, bold: true });
  s.text(590, 60, 'tangent: slope f′(x)', { fill: C.accent, size: 15 });
  s.text(590, 90, 'secant through x ± h:', { fill: C.grad, size: 15 });
  s.text(590, 112, '(f(x+h) − f(x−h)) / 2h', { fill: C.grad, size: 14, mono: true });
  s.text(590, 160, `here h = ${h} (large, to see it)`, { size: 13, fill: C.muted });
  s.text(590, 182, `slope ${slope.toFixed(3)} vs f′(x) = ${df(x0).toFixed(3)}`, { size: 13, fill: C.muted });
  s.text(590, 204, 'error shrinks like h²', { size: 13, fill: C.muted });
  s.text(590, 250, 'the checks use h = 1e-5', { size: 13, fill: C.muted });
  return s;
}

/** Conv geometry: the lecture's 5x5 image, pad 1, 3x3 kernel, stride 2; one output's receptive field. */
export const CONV_EXAMPLE = { kernel: [[1, 0, -1], [2, 0, -2], [1, 0, -1]], stride: 2, pad: 1, target: [0, 1] as const };

function convGeometry(): Svg {
  const { kernel, stride, pad, target } = CONV_EXAMPLE;
  const x = image(LECTURE_IMAGE);
  const w = image(kernel);
  const { out } = conv2dForward(x, w, Tensor.from([0]), { stride, pad });
  const OH = convOutputSize(5, 3, stride, pad);
  const P = 5 + 2 * pad;
  const padded = Array.from({ length: P }, (_, i) => Array.from({ length: P }, (_, j) => (i < pad || j < pad || i >= 5 + pad || j >= 5 + pad ? 0 : LECTURE_IMAGE[i - pad][j - pad])));
  const [ti, tj] = target;
  const r0 = ti * stride;
  const c0 = tj * stride;
  const inWin = (r: number, c: number): boolean => r >= r0 && r < r0 + 3 && c >= c0 && c < c0 + 3;
  const s = new Svg(860, 420, `Convolution of a 5x5 input, padding ${pad}, 3x3 kernel, stride ${stride}: output ${OH}x${OH}; the receptive field of out[${ti},${tj}]`);
  s.text(20, 28, `x with pad = ${pad} (zeros in grey): ${P} × ${P}`, { size: 15, bold: true });
  const g = s.grid(20, 60, padded, {
    cell: 36,
    fill: (r, c) => (inWin(r, c) ? C.hot : r < pad || c < pad || r >= 5 + pad || c >= 5 + pad ? C.pad : C.input),
    textFill: (r, c) => (r < pad || c < pad || r >= 5 + pad || c >= 5 + pad ? C.muted : undefined),
  });
  s.outline(g, 0, 0, 2, 2, { stroke: C.accent, dash: '6 4', width: 2 });
  s.outline(g, r0, c0, r0 + 2, c0 + 2, { stroke: C.hotStroke, width: 3 });
  s.arrow(g.at(0, 1)[0], 52, g.at(0, 1 + stride)[0], 52, { stroke: C.accent, width: 2 });
  s.text(g.at(0, 1)[0] + (stride * 36) / 2, 46, `stride ${stride}`, { size: 12, anchor: 'middle', fill: C.accent });
  s.text(335, 28, 'w: 3 × 3', { size: 15, bold: true });
  s.grid(335, 96, kernel, { cell: 36, fill: () => C.kernel });
  s.text(335, 228, 'b = 0', { size: 14 });
  s.text(480, 28, `out: ${OH} × ${OH}`, { size: 15, bold: true });
  const og = s.grid(480, 96, rows2(out), { cell: 44, fill: (r, c) => (r === ti && c === tj ? C.hot : C.output), bold: (r, c) => r === ti && c === tj });
  s.outline(og, ti, tj, ti, tj, { stroke: C.hotStroke, width: 3 });
  s.text(630, 110, 'Output size (PyTorch):', { size: 14, bold: true });
  s.text(630, 134, `H′ = ⌊(H + 2·pad − HH) / stride⌋ + 1`, { size: 13 });
  s.text(630, 156, `   = ⌊(5 + 2·${pad} − 3) / ${stride}⌋ + 1 = ${OH}`, { size: 13 });
  s.text(630, 196, 'The orange window is the', { size: 13, fill: C.muted });
  s.text(630, 214, `receptive field of out[${ti},${tj}];`, { size: 13, fill: C.muted });
  s.text(630, 232, 'the dashed one, of out[0,0].', { size: 13, fill: C.muted });
  const terms: string[] = [];
  let sum = 0;
  for (let kh = 0; kh < 3; kh++) {
    for (let kw = 0; kw < 3; kw++) {
      const v = padded[r0 + kh][c0 + kw];
      terms.push(fmtProduct(v, kernel[kh][kw]));
      sum += v * kernel[kh][kw];
    }
  }
  if (sum !== out.get(0, 0, ti, tj)) throw new Error(`conv diagram: hand sum ${sum} differs from conv2dForward ${out.get(0, 0, ti, tj)}`);
  s.text(20, 345, `out[${ti},${tj}] = sum over kh, kw of w[kh,kw] · xPad[${ti}·${stride} + kh, ${tj}·${stride} + kw]`, { size: 14, mono: true });
  s.text(20, 372, `          = ${terms.slice(0, 5).join(' + ')}`, { size: 14, mono: true });
  s.text(20, 396, `          + ${terms.slice(5).join(' + ')} = ${sum}`, { size: 14, mono: true, bold: true });
  return s;
}

function conv1x1(): Svg {
  const x = image(LECTURE_IMAGE);
  const { out } = conv2dForward(x, image([[2]]), Tensor.from([0]));
  const s = new Svg(760, 260, 'The lecture 1x1 convolution: a 5x5 image times a single 1x1 kernel of value 2 gives the image doubled');
  s.text(20, 28, 'x: 5 × 5 (the lecture’s image)', { size: 15, bold: true });
  s.grid(20, 44, LECTURE_IMAGE, { cell: 36, fill: (r, c) => (r === 0 && c === 0 ? C.hot : C.input) });
  s.text(230, 140, '∗', { size: 34, anchor: 'middle' });
  s.text(300, 100, 'w: 1 × 1', { size: 15, bold: true, anchor: 'middle' });
  s.grid(282, 122, [[2]], { cell: 36, fill: () => C.kernel, bold: () => true });
  s.text(370, 140, '=', { size: 30, anchor: 'middle' });
  s.text(400, 28, 'out: 5 × 5', { size: 15, bold: true });
  s.grid(400, 44, rows2(out), { cell: 36, fill: (r, c) => (r === 0 && c === 0 ? C.hot : C.output) });
  s.text(600, 80, 'Each output is one', { size: 13, fill: C.muted });
  s.text(600, 98, 'input pixel times 2:', { size: 13, fill: C.muted });
  s.text(600, 120, `out[0,0] = ${fmtProduct(LECTURE_IMAGE[0][0], 2)} = ${out.get(0, 0, 0, 0)}`, { size: 13, mono: true });
  s.text(600, 160, 'With C input channels', { size: 13, fill: C.muted });
  s.text(600, 178, 'and F filters, the same', { size: 13, fill: C.muted });
  s.text(600, 196, 'F × C matrix mixes the', { size: 13, fill: C.muted });
  s.text(600, 214, 'C values of every pixel.', { size: 13, fill: C.muted });
  return s;
}

function im2colDiagram(): Svg {
  const xv = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const x = Tensor.fromArray(xv, [1, 1, 3, 3]);
  const info = computeConv2DInfo('conv2d', [1, 1, 3, 3], [1, 1, 2, 2]);
  const cols = im2col(x, info);
  const [, K, L] = cols.shape;
  const colsRows = Array.from({ length: K }, (_, k) => Array.from({ length: L }, (_, l) => cols.get(0, k, l)));
  const wv = [1, -1, 2, 0];
  const { out } = conv2dForward(x, Tensor.fromArray(wv, [1, 1, 2, 2]), Tensor.from([0]));
  const s = new Svg(880, 300, 'im2col: every 2x2 window of a 3x3 input becomes one column; the convolution becomes one matrix product');
  s.text(20, 28, 'x: 3 × 3, four 2 × 2 windows', { size: 15, bold: true });
  const g = s.grid(30, 60, [[1, 2, 3], [4, 5, 6], [7, 8, 9]], { cell: 40, fill: () => C.input });
  [[0, 0], [0, 1], [1, 0], [1, 1]].forEach(([r, c], i) => s.outline(g, r, c, r + 1, c + 1, { stroke: C.series[i], width: 3, dash: i % 2 ? '6 3' : undefined }));
  s.arrow(170, 120, 225, 120, { stroke: C.muted, width: 2 });
  s.text(197, 110, 'im2col', { size: 12, anchor: 'middle', fill: C.muted });
  s.text(240, 28, `cols: ${K} × ${L} (C·HH·WW × H′·W′)`, { size: 15, bold: true });
  const cg = s.grid(240, 60, colsRows, { cell: 40, fill: (_r, c) => C.seriesFill[c] });
  for (let c = 0; c < L; c++) s.outline(cg, 0, c, K - 1, c, { stroke: C.series[c], width: 2.5 });
  s.text(470, 28, 'w as a row: 1 × 4', { size: 15, bold: true });
  s.grid(470, 60, [wv], { cell: 40, fill: () => C.kernel });
  s.text(470, 140, 'w_{row} · cols =', { size: 16 });
  s.grid(470, 160, [Array.from({ length: L }, (_, l) => out.get(0, 0, Math.floor(l / 2), l % 2))], { cell: 40, fill: (_r, c) => C.seriesFill[c] });
  s.arrow(640, 180, 700, 180, { stroke: C.muted, width: 2 });
  s.text(670, 170, 'reshape', { size: 12, anchor: 'middle', fill: C.muted });
  s.text(715, 28, 'out: 2 × 2', { size: 15, bold: true });
  s.grid(715, 140, rows2(out), { cell: 40, fill: (r, c) => C.seriesFill[r * 2 + c] });
  s.text(20, 262, 'Column l holds the window of output l, read row by row: cols[(c·HH + kh)·WW + kw, i·W′ + j] = xPad[c, i·stride + kh, j·stride + kw].', { size: 13 });
  s.text(20, 284, 'With F filters, w becomes an F × C·HH·WW matrix and one GEMM computes every output of every filter.', { size: 13 });
  return s;
}

function convInputGradient(): Svg {
  const { kernel, stride, pad } = CONV_EXAMPLE;
  const x = image(LECTURE_IMAGE);
  const w = image(kernel);
  const { out, cache } = conv2dForward(x, w, Tensor.from([0]), { stride, pad });
  const OH = out.shape[2];
  const pi = 1;
  const pj = 1;
  // Which outputs reach x[pi, pj], found by the library's own backward pass: a one-hot dout per output.
  const users: { i: number; j: number; kh: number; kw: number; g: number }[] = [];
  for (let i = 0; i < OH; i++) {
    for (let j = 0; j < OH; j++) {
      const dout = Tensor.zeros(out.shape);
      dout.data[i * OH + j] = 1;
      const g = conv2dBackward(dout, cache).dx.get(0, 0, pi, pj);
      if (g !== 0) users.push({ i, j, kh: pi + pad - i * stride, kw: pj + pad - j * stride, g });
    }
  }
  const P = 5 + 2 * pad;
  const s = new Svg(880, 400, `Where the gradient of one input pixel comes from: x[${pi},${pj}] lies in the receptive fields of ${users.length} outputs`);
  s.text(20, 28, `xPad: x[${pi},${pj}] is in ${users.length} windows`, { size: 15, bold: true });
  const padded = Array.from({ length: P }, (_, i) => Array.from({ length: P }, (_, j) => (i < pad || j < pad || i >= 5 + pad || j >= 5 + pad ? '' : `${LECTURE_IMAGE[i - pad][j - pad]}`)));
  const g = s.grid(20, 50, padded, {
    cell: 36,
    fill: (r, c) => (r === pi + pad && c === pj + pad ? '#fca5a5' : r < pad || c < pad || r >= 5 + pad || c >= 5 + pad ? C.pad : '#fff'),
    bold: (r, c) => r === pi + pad && c === pj + pad,
  });
  users.forEach((u, k) => {
    const inset = 2 + k * 2;
    s.rect(g.x + u.j * stride * 36 + inset, g.y + u.i * stride * 36 + inset, 3 * 36 - 2 * inset, 3 * 36 - 2 * inset, { fill: 'none', stroke: C.series[k], width: 2.5 });
  });
  s.text(330, 28, `dout: ${OH} × ${OH}`, { size: 15, bold: true });
  const dg = s.grid(330, 50, Array.from({ length: OH }, (_, i) => Array.from({ length: OH }, (_, j) => `d${i}${j}`)), {
    cell: 44,
    fill: (r, c) => {
      const k = users.findIndex((u) => u.i === r && u.j === c);
      return k >= 0 ? C.seriesFill[k] : '#fff';
    },
  });
  users.forEach((u, k) => s.outline(dg, u.i, u.j, u.i, u.j, { stroke: C.series[k], width: 2.5 }));
  s.text(500, 28, 'w: 3 × 3', { size: 15, bold: true });
  const wg = s.grid(500, 50, kernel, { cell: 36, fill: () => C.kernel });
  users.forEach((u, k) => s.circle(...wg.at(u.kh, u.kw), 14, { fill: 'none', stroke: C.series[k], width: 2.5 }));
  s.text(640, 60, 'Each window that covers', { size: 13, fill: C.muted });
  s.text(640, 78, `x[${pi},${pj}] sends back its dout`, { size: 13, fill: C.muted });
  s.text(640, 96, 'times the weight that sat', { size: 13, fill: C.muted });
  s.text(640, 114, 'on the pixel: hence +=.', { size: 13, fill: C.muted });
  const terms = users.map((u) => `dout[${u.i},${u.j}]·w[${u.kh},${u.kw}]`);
  s.text(20, 330, `dx[${pi},${pj}] = ${terms.slice(0, 2).join(' + ')}`, { size: 14, mono: true, fill: C.grad });
  s.text(20, 354, `        + ${terms.slice(2).join(' + ')}`, { size: 14, mono: true, fill: C.grad });
  s.text(20, 384, `With kh = ${pi} + pad − i·stride and kw = ${pj} + pad − j·stride for every output (i, j) whose window contains the pixel.`, { size: 13 });
  return s;
}

function poolValues(): { x: Tensor; X: number[][] } {
  const X = [
    [1, 3, 2, 1],
    [4, 2, 0, 5],
    [3, 1, 6, 2],
    [0, 2, 1, 4],
  ];
  return { x: image(X), X };
}

function poolForward(): Svg {
  const { x, X } = poolValues();
  const { out } = maxPool2dForward(x, { kernel: 2, stride: 2 });
  const win = (r: number, c: number): number => Math.floor(r / 2) * 2 + Math.floor(c / 2);
  const isMax = (r: number, c: number): boolean => X[r][c] === out.get(0, 0, Math.floor(r / 2), Math.floor(c / 2)) && X.slice(Math.floor(r / 2) * 2, Math.floor(r / 2) * 2 + 2).flatMap((row) => row.slice(Math.floor(c / 2) * 2, Math.floor(c / 2) * 2 + 2)).indexOf(X[r][c]) === (r % 2) * 2 + (c % 2);
  const s = new Svg(620, 250, 'Max pooling 2x2, stride 2: each window keeps its largest value');
  s.text(20, 28, 'x: 4 × 4, windows 2 × 2, stride 2', { size: 15, bold: true });
  const g = s.grid(20, 50, X, { cell: 44, fill: (r, c) => C.seriesFill[win(r, c)], bold: isMax });
  for (let k = 0; k < 4; k++) s.outline(g, Math.floor(k / 2) * 2, (k % 2) * 2, Math.floor(k / 2) * 2 + 1, (k % 2) * 2 + 1, { stroke: C.series[k], width: 3 });
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) if (isMax(r, c)) s.circle(...g.at(r, c), 15, { fill: 'none', stroke: C.series[win(r, c)], width: 2 });
  s.arrow(220, 138, 290, 138, { stroke: C.muted, width: 2 });
  s.text(255, 128, 'max', { size: 13, anchor: 'middle', fill: C.muted });
  s.text(310, 28, 'out: 2 × 2', { size: 15, bold: true });
  s.grid(310, 94, rows2(out), { cell: 44, fill: (r, c) => C.seriesFill[r * 2 + c], bold: () => true });
  s.text(430, 110, 'H′ = ⌊(H − HH)/stride⌋ + 1', { size: 13 });
  s.text(430, 130, '   = ⌊(4 − 2)/2⌋ + 1 = 2', { size: 13 });
  s.text(430, 170, 'No weights: pooling', { size: 13, fill: C.muted });
  s.text(430, 188, 'only shrinks H and W.', { size: 13, fill: C.muted });
  return s;
}

function poolBackward(): Svg {
  const { x, X } = poolValues();
  const { out, cache } = maxPool2dForward(x, { kernel: 2, stride: 2 });
  const D = [
    [0.1, 0.2],
    [0.3, 0.4],
  ];
  const { dx } = maxPool2dBackward(image(D), cache);
  const DX = rows2(dx);
  const s = new Svg(640, 260, 'Max pooling backward: each upstream gradient goes to the position of its window maximum, zero elsewhere');
  s.text(20, 28, 'dout: 2 × 2', { size: 15, bold: true });
  const dg = s.grid(20, 94, D, { cell: 48, fill: (r, c) => C.seriesFill[r * 2 + c], bold: () => true });
  s.text(220, 28, 'dx: 4 × 4 (x shown small)', { size: 15, bold: true });
  const g = s.grid(220, 50, DX, {
    cell: 48,
    fill: (r, c) => (DX[r][c] !== 0 ? C.seriesFill[Math.floor(r / 2) * 2 + Math.floor(c / 2)] : '#fff'),
    bold: (r, c) => DX[r][c] !== 0,
    textFill: (r, c) => (DX[r][c] === 0 ? C.grid : undefined),
  });
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) s.text(g.x + c * 48 + 44, g.y + r * 48 + 12, String(X[r][c]), { size: 10, anchor: 'end', fill: C.muted });
  for (let k = 0; k < 4; k++) s.outline(g, Math.floor(k / 2) * 2, (k % 2) * 2, Math.floor(k / 2) * 2 + 1, (k % 2) * 2 + 1, { stroke: C.series[k], width: 2.5 });
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      let best: [number, number] = [0, 0];
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) if (Math.floor(r / 2) === i && Math.floor(c / 2) === j && DX[r][c] !== 0) best = [r, c];
      const [fx, fy] = dg.at(i, j);
      const [tx, ty] = g.at(...best);
      s.path(`M${fx + 18},${fy} C${fx + 90},${fy} ${tx - 90},${ty} ${tx - 18},${ty}`, { stroke: C.series[i * 2 + j], width: 1.8, arrow: true, opacity: 0.9 });
    }
  }
  s.text(440, 80, 'Only the maximum of each', { size: 13, fill: C.muted });
  s.text(440, 98, 'window changed the output,', { size: 13, fill: C.muted });
  s.text(440, 116, 'so only it gets a gradient:', { size: 13, fill: C.muted });
  s.text(440, 140, 'dx = dout at the argmax,', { size: 13 });
  s.text(440, 158, '     0 everywhere else.', { size: 13 });
  s.text(440, 196, 'Overlapping windows: a pixel', { size: 13, fill: C.muted });
  s.text(440, 214, 'that wins twice gets both (+=).', { size: 13, fill: C.muted });
  void out;
  return s;
}

function lenetShapes(): Svg {
  const info = analyze(lenet5());
  const shown = info.layers.filter((l) => ['conv', 'maxpool', 'affine'].includes(l.spec.type));
  const s = new Svg(900, 300, `LeNet-5: conv, pool, conv, pool, three fully connected layers; ${thousands(info.params)} parameters`);
  const boxes: { label: string; shape: readonly number[]; params?: number; type: string }[] = [{ label: 'input', shape: info.inputShape, type: 'input' }, ...shown.map((l) => ({ label: l.name, shape: l.outputShape, params: l.params, type: l.spec.type }))];
  let x = 14;
  const mid = 130;
  boxes.forEach((b, k) => {
    const spatial = b.shape.length === 3 ? b.shape[1] : 0;
    const h = spatial ? 24 + spatial * 4.5 : 40 + Math.sqrt(b.shape[0]) * 6;
    const w = spatial ? 26 + Math.sqrt(b.shape[0]) * 10 : 26;
    const fill = b.type === 'conv' ? C.kernel : b.type === 'maxpool' ? C.seriesFill[3] : b.type === 'affine' ? C.output : C.input;
    s.rect(x, mid - h / 2, w, h, { fill, stroke: C.ink, width: 1.2, rx: 3 });
    s.text(x + w / 2, mid + h / 2 + 18, b.label, { size: 12, anchor: 'middle', bold: true });
    s.text(x + w / 2, mid + h / 2 + 34, b.shape.join('×'), { size: 11, anchor: 'middle', mono: true });
    if (b.params) s.text(x + w / 2, mid + h / 2 + 49, thousands(b.params), { size: 11, anchor: 'middle', fill: C.muted });
    if (k < boxes.length - 1) s.arrow(x + w + 3, mid, x + w + 26, mid, { stroke: C.muted, width: 1.5 });
    x += w + 30;
  });
  s.text(14, 24, 'Shapes of one example [C, H, W] and parameters per layer, computed by analyze(lenet5()).', { size: 13 });
  s.text(14, 282, `Total ${thousands(info.params)} parameters (the lecture: about 60k). Going deeper, H and W shrink (32, 28, 14, 10, 5) while the channels grow (1, 6, 16).`, { size: 13, fill: C.muted });
  return s;
}

function vggBlockDiagram(): Svg {
  const layers = vggBlock(2, 64);
  let shape: readonly number[] = [3, 224, 224];
  const s = new Svg(880, 200, 'A VGG block: two 3x3 "same" convolutions with ReLU keep 224x224, then a 2x2 max pool with stride 2 halves it');
  let x = 14;
  s.box(x, 70, 100, 56, `input\n${shape.join('×')}`, { fill: C.input, text: { size: 12 } });
  x += 100;
  for (const l of layers) {
    const info = layerInfo(l, shape);
    shape = info.outputShape;
    s.arrow(x + 4, 98, x + 28, 98, { stroke: C.muted });
    x += 32;
    const label = l.type === 'conv' ? `conv 3×3, ${l.filters}\nstride 1, same` : l.type === 'maxpool' ? 'max pool 2×2\nstride 2' : l.type;
    const w = l.type === 'relu' ? 56 : 118;
    s.box(x, 70, w, 56, label, { fill: l.type === 'conv' ? C.kernel : l.type === 'maxpool' ? C.seriesFill[3] : '#fff', text: { size: 12 } });
    s.text(x + w / 2, 146, shape.join('×'), { size: 11, anchor: 'middle', mono: true });
    x += w;
  }
  s.text(14, 30, 'vggBlock(2, 64): "striving for simplicity" (the lecture); shapes by layerInfo.', { size: 13 });
  s.text(14, 186, 'Every convolution of VGG-16 is 3×3, stride 1, padding 1; every pooling 2×2, stride 2.', { size: 13, fill: C.muted });
  return s;
}

function residualBlock(): Svg {
  const s = new Svg(880, 360, 'A plain two-layer stack and a residual block: the skip connection adds x_{L-1} before the last ReLU');
  const row = (y: number, residual: boolean): void => {
    s.text(14, y - (residual ? 100 : 42), residual ? 'Residual block' : 'Plain stack', { size: 15, bold: true });
    const items = residual
      ? ['x_{L-1}', 'conv W_L, b_L', 'ReLU', 'conv W_{L+1}, b_{L+1}', '+', 'ReLU', 'x_{L+1}']
      : ['x_{L-1}', 'conv W_L, b_L', 'ReLU', 'conv W_{L+1}, b_{L+1}', 'ReLU', 'x_{L+1}'];
    let x = 14;
    const pos: number[] = [];
    items.forEach((it, k) => {
      const w = it === '+' ? 34 : it.startsWith('conv') ? 150 : it === 'ReLU' ? 64 : 70;
      if (it === '+') s.circle(x + 17, y, 17, { fill: C.hot, stroke: C.hotStroke, width: 2 }).text(x + 17, y + 7, '+', { size: 22, anchor: 'middle', bold: true });
      else s.box(x, y - 22, w, 44, it, { fill: it.startsWith('conv') ? C.kernel : it.startsWith('x') ? C.input : '#fff', text: { size: 13 } });
      pos.push(x + w / 2);
      if (k < items.length - 1) s.arrow(x + w + 2, y, x + w + 26, y, { stroke: C.muted });
      if (it === 'ReLU' && k === 2) s.text(x + w / 2, y + 40, 'x_L', { size: 13, anchor: 'middle' });
      x += w + 28;
    });
    if (residual) {
      const plus = items.indexOf('+');
      s.path(`M${pos[0]},${y - 22} C${pos[0]},${y - 80} ${pos[plus]},${y - 80} ${pos[plus]},${y - 19}`, { stroke: C.hotStroke, width: 2.5, arrow: true });
      s.text((pos[0] + pos[plus]) / 2, y - 70, 'skip connection: identity (or a 1×1 projection when the shapes differ)', { size: 13, anchor: 'middle', fill: C.hotStroke });
    }
  };
  row(80, false);
  row(260, true);
  s.text(14, 130, 'x_{L+1} = f(W_{L+1} x_L + b_{L+1})', { size: 14, mono: true });
  s.text(14, 320, 'x_{L+1} = f(W_{L+1} x_L + b_{L+1} + x_{L-1})   (f = ReLU, applied after the sum)', { size: 14, mono: true });
  s.text(14, 346, 'Backward: the gradient reaching the + goes both ways, through the convolutions and straight down the skip.', { size: 13, fill: C.muted });
  return s;
}

/** GoogLeNet's inception (3a) (Szegedy et al. 2015, Table 1): 28x28x192 in, 256 channels out. */
export const INCEPTION_3A: InceptionSpec = { c1: 64, c3reduce: 96, c3: 128, c5reduce: 16, c5: 32, poolProj: 32 };

function inceptionModule(): Svg {
  const spec = INCEPTION_3A;
  const input = [192, 28, 28];
  const [, H, W] = input;
  const sh = (c: number): string => `${c}×${H}×${W}`;
  const s = new Svg(880, 400, `Inception module (3a): four parallel "same" branches concatenated along channels, ${sh(192)} in, ${sh(inceptionChannels(spec))} out`);
  s.box(340, 16, 200, 44, `input ${sh(192)}`, { fill: C.input });
  const branches: [string, string, number][][] = [
    [['conv 1×1', sh(spec.c1), spec.c1]],
    [['conv 1×1', sh(spec.c3reduce), spec.c3reduce], ['conv 3×3, same', sh(spec.c3), spec.c3]],
    [['conv 1×1', sh(spec.c5reduce), spec.c5reduce], ['conv 5×5, same', sh(spec.c5), spec.c5]],
    [['max pool 3×3\nstride 1, same', sh(192), 192], ['conv 1×1', sh(spec.poolProj), spec.poolProj]],
  ];
  const colW = 205;
  branches.forEach((br, b) => {
    const x = 20 + b * colW;
    s.path(`M440,60 C440,80 ${x + 85},80 ${x + 85},96`, { stroke: C.series[b], width: 2, arrow: true });
    br.forEach(([label, shape], k) => {
      const y = 100 + k * 100;
      s.box(x, y, 170, 50, label, { fill: label.startsWith('max') ? C.seriesFill[3] : C.seriesFill[b], stroke: C.series[b], text: { size: 13 } });
      s.text(x + 85, y + 68, shape, { size: 12, anchor: 'middle', mono: true });
      if (k < br.length - 1) s.arrow(x + 85, y + 74, x + 85, y + 98, { stroke: C.series[b] });
    });
    const yEnd = 100 + (br.length - 1) * 100 + 74;
    s.path(`M${x + 85},${yEnd} L${x + 85},290 C${x + 85},305 440,300 440,318`, { stroke: C.series[b], width: 2, arrow: true });
  });
  s.box(300, 322, 280, 44, `concatenate channels: ${spec.c1}+${spec.c3}+${spec.c5}+${spec.poolProj} = ${inceptionChannels(spec)}`, { fill: C.output, text: { size: 13 } });
  s.text(440, 390, `output ${sh(inceptionChannels(spec))}: every branch keeps ${H}×${W}, so they can be stacked`, { size: 13, anchor: 'middle', fill: C.muted });
  return s;
}

function inceptionCost(): Svg {
  const input = [200, 32, 32];
  const direct = convMultiplies(input, 92, 5, 1, 'same');
  const reduce = convMultiplies(input, 16, 1);
  const five = convMultiplies([16, 32, 32], 92, 5, 1, 'same');
  const s = new Svg(880, 330, `The lecture's inception cost: a 1x1 bottleneck to 16 channels cuts 5x5 convolution multiplications from ${thousands(direct)} to ${thousands(reduce + five)}`);
  s.text(14, 26, 'Direct: 32×32×200 → conv 5×5 (92 filters), same → 32×32×92', { size: 15, bold: true });
  const scale = 560 / direct;
  s.rect(14, 40, direct * scale, 30, { fill: C.gradFill, stroke: C.grad, width: 1.5 });
  s.text(14 + direct * scale + 10, 61, thousands(direct), { size: 15, bold: true, fill: C.grad });
  s.text(14, 92, `5·5·200 · 32·32 · 92 = ${thousands(direct)} multiplications`, { size: 14, mono: true });
  s.text(14, 146, 'Bottleneck: 32×32×200 → conv 1×1 (16) + ReLU → 32×32×16 → conv 5×5 (92) + ReLU → 32×32×92', { size: 15, bold: true });
  s.rect(14, 160, reduce * scale, 30, { fill: C.seriesFill[0], stroke: C.series[0], width: 1.5 });
  s.rect(14 + reduce * scale, 160, five * scale, 30, { fill: C.seriesFill[1], stroke: C.series[1], width: 1.5 });
  s.text(14 + (reduce + five) * scale + 10, 181, thousands(reduce + five), { size: 15, bold: true, fill: C.series[1] });
  s.text(14, 212, `1·1·200 · 32·32 · 16 = ${thousands(reduce).padStart(10)}   (1×1, blue)`, { size: 14, mono: true });
  s.text(14, 234, `5·5·16  · 32·32 · 92 = ${thousands(five).padStart(10)}   (5×5, green)`, { size: 14, mono: true });
  s.text(14, 256, `                  sum = ${thousands(reduce + five).padStart(10)}`, { size: 14, mono: true, bold: true });
  s.text(14, 300, `${thousands(reduce + five)} / ${thousands(direct)} = ${((reduce + five) / direct).toFixed(3)}: about a tenth of the work, the same output shape (numbers from convMultiplies).`, { size: 14 });
  return s;
}

function transposedConv(): Svg {
  const X = [
    [1, 2],
    [3, 4],
  ];
  const K = [
    [1, 1, 1],
    [1, 1, 1],
    [1, 1, 1],
  ];
  const stride = 2;
  const { out } = convTranspose2dForward(image(X), image(K), Tensor.from([0]), { stride });
  const O = out.shape[2];
  const s = new Svg(900, 300, `Transposed convolution as scatter: each input pixel paints its value times the 3x3 kernel into the output at stride ${stride}; overlaps add`);
  s.text(14, 26, 'x: 2 × 2', { size: 15, bold: true });
  s.grid(14, 60, X, { cell: 36, fill: (r, c) => C.seriesFill[r * 2 + c], bold: () => true });
  s.text(14, 150, 'w: 3 × 3 of ones', { size: 13 });
  s.grid(14, 160, K, { cell: 20, fill: () => C.kernel, size: 10 });
  const cell = 22;
  for (let k = 0; k < 4; k++) {
    const i = Math.floor(k / 2);
    const j = k % 2;
    const x0 = 120 + k * (O * cell + 24);
    const vals = Array.from({ length: O }, (_, r) => Array.from({ length: O }, (_, c) => (r >= i * stride && r < i * stride + 3 && c >= j * stride && c < j * stride + 3 ? X[i][j] * K[r - i * stride][c - j * stride] : '')));
    s.text(x0, 26, `x[${i},${j}] · w at (${i * stride}, ${j * stride})`, { size: 12 });
    s.grid(x0, 60, vals, { cell, size: 11, fill: (r, c) => (vals[r][c] !== '' ? C.seriesFill[k] : '#fff') });
    if (k < 3) s.text(x0 + O * cell + 12, 60 + (O * cell) / 2 + 6, '+', { size: 18, anchor: 'middle' });
  }
  const xo = 120 + 4 * (O * cell + 24);
  s.text(xo - 14, 60 + (O * cell) / 2 + 6, '=', { size: 20, anchor: 'middle' });
  s.text(xo, 26, `out: ${O} × ${O}`, { size: 15, bold: true });
  s.grid(xo, 60, rows2(out), { cell, size: 11, fill: (r, c) => (r === 2 || c === 2 ? C.hot : C.output), bold: (r, c) => r === 2 || c === 2 });
  s.text(14, 250, `H′ = (H − 1)·stride − 2·pad + HH = (2 − 1)·${stride} − 0 + 3 = ${O}. Orange: row and column 2, where neighbouring patches overlap and add (+=).`, { size: 13 });
  s.text(14, 274, 'It is the backward pass of a stride-2 convolution with the same w: a learnable upsampling (numbers from convTranspose2dForward).', { size: 13, fill: C.muted });
  return s;
}

function fcn(): Svg {
  const s = new Svg(900, 260, 'A fully convolutional network: convolutions and pooling shrink the image, a 1x1 convolution scores every class at every position, a transposed convolution upsamples to a per-pixel prediction');
  const stages: [string, string, string][] = [
    ['image', '1×48×48', C.input],
    ['conv + pool', '16×24×24', C.kernel],
    ['conv + pool', '32×12×12', C.kernel],
    ['conv 1×1:\nclass scores', 'K×12×12', C.output],
    ['transposed conv\nstride 4', 'K×48×48', C.seriesFill[3]],
    ['argmax over K\n(per pixel)', '48×48 labels', C.seriesFill[2]],
  ];
  let x = 14;
  stages.forEach(([label, shape, fill], k) => {
    const h = shape.includes('48') ? 120 : shape.includes('24') ? 84 : 56;
    s.box(x, 110 - h / 2, 118, h, label, { fill, text: { size: 12 } });
    s.text(x + 59, 110 + h / 2 + 18, shape, { size: 12, anchor: 'middle', mono: true });
    if (k < stages.length - 1) s.arrow(x + 120, 110, x + 142, 110, { stroke: C.muted });
    x += 146;
  });
  s.text(14, 26, 'No fully connected layer: every layer is a convolution, so the output is an image of class scores (Long et al. 2015).', { size: 13 });
  s.text(14, 230, 'Loss: softmax cross-entropy at every pixel, averaged; scores: pixel accuracy and mean IoU. K classes; shapes are an example.', { size: 13, fill: C.muted });
  return s;
}

function transferFreeze(): Svg {
  const s = new Svg(900, 270, 'Transfer learning: the early layers trained on the first data set are frozen; only the later layers and a new classifier head are trained');
  const layers: [string, 'frozen' | 'train' | 'new'][] = [
    ['conv1', 'frozen'],
    ['pool1', 'frozen'],
    ['conv2', 'frozen'],
    ['pool2', 'frozen'],
    ['fc1', 'train'],
    ['fc2', 'train'],
    ['new head\nfc3 → C classes', 'new'],
  ];
  let x = 14;
  const xs: number[] = [];
  layers.forEach(([name, kind], k) => {
    const w = kind === 'new' ? 130 : 92;
    s.box(x, 90, w, 56, kind === 'frozen' ? `${name}\n(frozen)` : name, { fill: kind === 'frozen' ? C.frozen : kind === 'new' ? C.hot : C.train, stroke: kind === 'frozen' ? C.muted : C.ink, dash: kind === 'frozen' ? '5 3' : undefined, text: { size: 13 } });
    xs.push(x);
    if (k < layers.length - 1) s.arrow(x + w + 2, 118, x + w + 18, 118, { stroke: C.muted });
    x += w + 20;
  });
  s.text(14, 40, 'forward: all layers', { size: 13, fill: C.muted });
  s.arrow(14, 56, x - 20, 56, { stroke: C.muted });
  s.text(x - 20, 190, 'backward: gradients and updates stop here', { size: 13, anchor: 'end', fill: C.grad });
  s.arrow(x - 20, 200, xs[4] - 6, 200, { stroke: C.grad, width: 2 });
  s.line(xs[4] - 10, 80, xs[4] - 10, 215, { stroke: C.grad, width: 2, dash: '4 3' });
  s.text(14, 236, 'Frozen: weights learned on the large data set (e.g. ImageNet; here digits 0-4) are kept, the optimiser skips them.', { size: 13 });
  s.text(14, 256, 'Trained: the rest, with a new head sized for the C classes of the new data set (Donahue et al. 2014; Razavian et al. 2014).', { size: 13 });
  return s;
}

/** The diagrams of exercises 01-08. */
export const CNN_DIAGRAMS: readonly Diagram[] = [
  { file: 'gradcheck-centered-difference.svg', title: 'The centered difference', exercise: 'gradient-check', before: 'numericalGradient', draw: gradientCheck, caption: 'The slope of the secant through $x-h$ and $x+h$ approximates $f\'(x)$ with an error that shrinks like $h^2$: $\\frac{\\partial f}{\\partial x} \\approx \\frac{f(x+h) - f(x-h)}{2h}$.' },
  { file: 'conv-geometry.svg', title: 'Stride, padding and one receptive field', exercise: 'convolution', before: 'convOutputSize', draw: convGeometry, caption: 'The lecture\'s 5x5 image with padding 1, a 3x3 kernel and stride 2 gives a 3x3 output. The orange window is the receptive field of one output and the sum below it is that output, computed by `conv2dForward`.' },
  { file: 'conv-im2col.svg', title: 'im2col: windows become columns', exercise: 'convolution', before: 'conv2dForward', draw: im2colDiagram, caption: 'The library computes the forward pass as one matrix product (`im2col` + GEMM); your loop computes the same sum window by window. Numbers from `im2col` and `conv2dForward`.' },
  { file: 'conv-input-gradient.svg', title: 'Where the gradient of one input pixel comes from', exercise: 'convolution', before: 'conv2dBackward', draw: convInputGradient, caption: 'Same setting as the first picture. A pixel gets a contribution from every output whose window covers it, each through the weight that sat on it; the outputs were found with the library\'s `conv2dBackward`.' },
  { file: 'conv-1x1-lecture.svg', title: 'The lecture\'s 1x1 convolution', exercise: 'convolution', before: 'conv1x1', draw: conv1x1, caption: 'The lecture\'s worked example: one 1x1 kernel of value 2 doubles every pixel (first row $-10, 6, 4, -10, 6$; last row $10, 12, 14, 18, -2$), computed by `conv2dForward`.' },
  { file: 'pool-forward.svg', title: 'Max pooling windows', exercise: 'pooling', before: 'maxPool2dForward', draw: poolForward, caption: 'Each 2x2 window (stride 2) keeps its maximum (circled); computed by `maxPool2dForward`.' },
  { file: 'pool-backward.svg', title: 'The routed gradient', exercise: 'pooling', before: 'maxPool2dBackward', draw: poolBackward, caption: 'Each upstream gradient goes to its window\'s maximum and nowhere else (the small grey numbers are $x$); computed by `maxPool2dBackward`.' },
  { file: 'lenet-shapes.svg', title: 'LeNet-5, layer by layer', exercise: 'cnn-architectures', before: 'analyzeModel', draw: lenetShapes, caption: 'Output shape and parameters of every layer with weights or pooling, from `analyze(lenet5())`: what your `analyzeModel` must report.' },
  { file: 'vgg-block.svg', title: 'A VGG block', exercise: 'cnn-architectures', before: 'vggBlock', draw: vggBlockDiagram, caption: 'Two 3x3 "same" convolutions keep the size, the 2x2 pooling with stride 2 halves it; shapes by `layerInfo`.' },
  { file: 'residual-block.svg', title: 'Plain stack and residual block', exercise: 'residual', before: 'residualBlockForward', draw: residualBlock, caption: 'The skip is added before the last non-linearity: $x_{L+1} = f(W_{L+1} x_L + b_{L+1} + x_{L-1})$.' },
  { file: 'inception-module.svg', title: 'The inception module', exercise: 'inception', before: 'inceptionForward', draw: inceptionModule, caption: 'GoogLeNet\'s inception (3a) (Szegedy et al. 2015, Table 1): four "same" branches, concatenated along the channels.' },
  { file: 'inception-bottleneck-cost.svg', title: 'Why the 1x1 bottleneck pays', exercise: 'inception', before: 'inceptionMultiplies', draw: inceptionCost, caption: 'The lecture\'s arithmetic, computed by `convMultiplies`: $1 \\cdot 1 \\cdot 200 \\cdot 32 \\cdot 32 \\cdot 16 + 5 \\cdot 5 \\cdot 16 \\cdot 32 \\cdot 32 \\cdot 92 = 40{,}960{,}000$ against $5 \\cdot 5 \\cdot 200 \\cdot 32 \\cdot 32 \\cdot 92 = 471{,}040{,}000$.' },
  { file: 'fcn.svg', title: 'A fully convolutional network', exercise: 'fcn', before: 'The math', draw: fcn, caption: 'Downsample with convolutions and pooling, score classes with a 1x1 convolution, upsample with a transposed convolution, predict a class per pixel.' },
  { file: 'conv-transpose-scatter.svg', title: 'Transposed convolution as scatter', exercise: 'fcn', before: 'convTranspose2dForward', draw: transposedConv, caption: 'Each input pixel adds its value times the kernel into the output, at stride 2; where patches overlap the contributions add. Computed by `convTranspose2dForward`.' },
  { file: 'transfer-freeze.svg', title: 'Freeze the early layers', exercise: 'transfer-learning', before: 'freeze', draw: transferFreeze, caption: 'The lecture\'s recipe: keep the early layers frozen, train the rest with a new head for the new classes.' },
];
