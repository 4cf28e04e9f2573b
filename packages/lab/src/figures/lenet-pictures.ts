/**
 * Pictures of a trained LeNet-5: its first-layer filters and the feature maps of one test
 * digit, as SVG heatmaps. Used by `pnpm figures lenet` (the library's run) and by
 * `pnpm train lenet --mine` (the student's own layers).
 *
 * @module
 */
import { Tensor } from '@dlkata/tensor';
import { networkForward, type MnistSplit, type Network } from '@dlkata/layers';
import { heatmapSvg, type HeatPanel } from './heatmap.js';

/** The two SVG documents, and the prediction on the digit shown. */
export interface LenetPictures {
  /** conv1's six 5x5 filters. */
  readonly filtersSvg: string;
  /** A test digit (the first 7), the maps after conv1 + ReLU, pool1, conv2 + ReLU. */
  readonly featureMapsSvg: string;
  readonly predicted: number;
  readonly probability: number;
}

/**
 * Draws the filters and the feature maps of a trained LeNet-5 (a network from `lenet5()`,
 * whose layers are named `conv1`, `relu1`, `pool1`, `relu2`). The forward pass uses the
 * network's own primitives (`net.ops`, the student's under `--mine`).
 *
 * @param who - words for the titles, e.g. `'LeNet-5'` or `'your LeNet-5'`
 */
export function lenetPictures(net: Network, split: MnistSplit, who = 'LeNet-5'): LenetPictures {
  // First-layer filters: conv1.w is [6, 1, 5, 5].
  const w = net.params['conv1.w'];
  const [F, , K] = w.shape;
  const filters: HeatPanel[] = Array.from({ length: F }, (_, f) => ({
    values: w.data.subarray(f * K * K, (f + 1) * K * K),
    rows: K,
    cols: K,
    label: `filter ${f + 1}`,
  }));
  const filtersSvg = heatmapSvg(
    `${who} first-layer filters after training`,
    [{ caption: `conv1: ${F} filters of ${K}x${K} on the grey input (red > 0, blue < 0, white 0)`, panels: filters, cell: 22, scale: 'diverging' }],
    'Each filter is scaled to its own largest weight.',
  );

  // Feature maps of one real test digit.
  const nTest = split.test.labels.length;
  const S = split.test.images.shape[2];
  const pick = Array.from({ length: nTest }, (_, i) => i).find((i) => split.test.labels[i] === 7) ?? 0;
  const x = new Tensor(split.test.images.data.slice(pick * S * S, (pick + 1) * S * S), [1, 1, S, S]);
  const { out, activations } = networkForward(net, x, { keepActivations: true });
  const scores = Array.from(out.data);
  const mx = Math.max(...scores);
  const ex = scores.map((s) => Math.exp(s - mx));
  const sum = ex.reduce((a, b) => a + b, 0);
  const pred = scores.indexOf(mx);
  const layerIndex = (name: string): number => net.info.layers.findIndex((l) => l.name === name);
  const maps = (name: string, label: string): HeatPanel[] => {
    const a = activations![layerIndex(name)];
    const [, C, H, W] = a.shape;
    return Array.from({ length: C }, (_, c) => ({ values: a.data.subarray(c * H * W, (c + 1) * H * W), rows: H, cols: W, label: `${label} ${c + 1}` }));
  };
  const digit: HeatPanel = { values: split.test.images.data.slice(pick * S * S, (pick + 1) * S * S).map((v) => v * split.std + split.mean), rows: S, cols: S, label: `label ${split.test.labels[pick]}` };
  const featureMapsSvg = heatmapSvg(
    `Feature maps of ${who} on a test digit (predicted ${pred}, p = ${(ex[pred] / sum).toFixed(3)})`,
    [
      { caption: 'input: a held-out MNIST digit, 28x28 padded to 32x32', panels: [digit], cell: 3, scale: 'sequential' },
      { caption: 'conv1 + ReLU: 6 maps of 28x28 (dark = strong response, white = 0)', panels: maps('relu1', 'map'), cell: 3, scale: 'sequential' },
      { caption: 'after pool1 (2x2, stride 2): 6 maps of 14x14', panels: maps('pool1', 'map'), cell: 5, scale: 'sequential' },
      { caption: 'conv2 + ReLU: 16 maps of 10x10', panels: maps('relu2', 'map'), cell: 6, scale: 'sequential' },
    ],
    'Each map is scaled to its own maximum.',
  );
  return { filtersSvg, featureMapsSvg, predicted: pred, probability: ex[pred] / sum };
}
