/**
 * The lecture's classic architectures as {@link ModelSpec}s, with their published parameter
 * counts as the test oracle.
 *
 * @module
 */
import { ValueError } from '@dlkata/tensor';
import type { LayerSpec, ModelSpec } from './spec.js';

/**
 * LeNet-5 (LeCun et al. 1998) in its common modern form: 32x32 grey input, conv 6@5x5 ->
 * pool -> conv 16@5x5 -> pool -> fully connected 120 -> 84 -> 10, with full C3 connectivity,
 * ReLU and max pooling (the paper used sigmoid-like units, average-pool "subsampling" with
 * trainable coefficients and a partial C3 table).
 *
 * 61,706 parameters (the lecture: "about 60k"). Going deeper, width and height shrink
 * (32 -> 28 -> 14 -> 10 -> 5) while the number of filters grows (1 -> 6 -> 16).
 *
 * @param classes - output classes, default 10 (digits)
 * @param inputSize - side of the square grey input, default 32 (MNIST padded by 2)
 */
export function lenet5(classes = 10, inputSize = 32): ModelSpec {
  return {
    name: 'LeNet-5',
    inputShape: [1, inputSize, inputSize],
    layers: [
      { type: 'conv', filters: 6, kernel: 5, name: 'conv1' },
      { type: 'relu', name: 'relu1' },
      { type: 'maxpool', kernel: 2, stride: 2, name: 'pool1' },
      { type: 'conv', filters: 16, kernel: 5, name: 'conv2' },
      { type: 'relu', name: 'relu2' },
      { type: 'maxpool', kernel: 2, stride: 2, name: 'pool2' },
      { type: 'flatten', name: 'flatten' },
      { type: 'affine', units: 120, name: 'fc1' },
      { type: 'relu', name: 'relu3' },
      { type: 'affine', units: 84, name: 'fc2' },
      { type: 'relu', name: 'relu4' },
      { type: 'affine', units: classes, name: 'fc3' },
    ],
  };
}

/**
 * AlexNet (Krizhevsky et al. 2012) as in torchvision's `alexnet()` (the single-GPU variant of
 * "One weird trick", 64-192-384-256-256 filters), 3x224x224 input, softmax over 1000 classes.
 * torchvision's adaptive average pool is the identity at this input size (the features are
 * already 6x6), so it is left out.
 *
 * 61,100,840 parameters (torchvision).
 */
export function alexnet(classes = 1000): ModelSpec {
  return {
    name: 'AlexNet',
    inputShape: [3, 224, 224],
    layers: [
      { type: 'conv', filters: 64, kernel: 11, stride: 4, pad: 2 },
      { type: 'relu' },
      { type: 'maxpool', kernel: 3, stride: 2 },
      { type: 'conv', filters: 192, kernel: 5, pad: 2 },
      { type: 'relu' },
      { type: 'maxpool', kernel: 3, stride: 2 },
      { type: 'conv', filters: 384, kernel: 3, pad: 1 },
      { type: 'relu' },
      { type: 'conv', filters: 256, kernel: 3, pad: 1 },
      { type: 'relu' },
      { type: 'conv', filters: 256, kernel: 3, pad: 1 },
      { type: 'relu' },
      { type: 'maxpool', kernel: 3, stride: 2 },
      { type: 'flatten' },
      { type: 'dropout', p: 0.5 },
      { type: 'affine', units: 4096 },
      { type: 'relu' },
      { type: 'dropout', p: 0.5 },
      { type: 'affine', units: 4096 },
      { type: 'relu' },
      { type: 'affine', units: classes },
    ],
  };
}

/**
 * One VGG block, the lecture's rule "striving for simplicity": `convs` convolutions 3x3,
 * stride 1, "same" padding, each followed by ReLU, then a 2x2 max pool with stride 2. Width
 * and height halve; the number of filters is the block's.
 *
 * @throws ValueError for fewer than one conv or filter
 */
export function vggBlock(convs: number, filters: number): LayerSpec[] {
  if (!Number.isInteger(convs) || convs < 1) throw new ValueError('vggBlock', `convs must be an integer >= 1, got ${convs}`);
  if (!Number.isInteger(filters) || filters < 1) throw new ValueError('vggBlock', `filters must be an integer >= 1, got ${filters}`);
  const layers: LayerSpec[] = [];
  for (let i = 0; i < convs; i++) {
    layers.push({ type: 'conv', filters, kernel: 3, stride: 1, pad: 'same' }, { type: 'relu' });
  }
  layers.push({ type: 'maxpool', kernel: 2, stride: 2 });
  return layers;
}

/**
 * VGG-16 or VGG-19 (Simonyan & Zisserman 2014, configurations D and E): five VGG blocks with
 * 64-128-256-512-512 filters, then fully connected 4096 -> 4096 -> 1000 on 3x224x224 input.
 *
 * 138,357,544 parameters for VGG-16 (the lecture: "138M"), 143,667,240 for VGG-19 (torchvision).
 *
 * @param depth - 16 or 19 layers with weights
 * @throws ValueError for another depth
 */
export function vgg(depth: 16 | 19 = 16, classes = 1000): ModelSpec {
  const convs: Record<number, number[]> = { 16: [2, 2, 3, 3, 3], 19: [2, 2, 4, 4, 4] };
  const plan = convs[depth];
  if (!plan) throw new ValueError('vgg', `depth must be 16 or 19, got ${depth}`);
  const filters = [64, 128, 256, 512, 512];
  return {
    name: `VGG-${depth}`,
    inputShape: [3, 224, 224],
    layers: [
      ...plan.flatMap((n, i) => vggBlock(n, filters[i])),
      { type: 'flatten' },
      { type: 'affine', units: 4096 },
      { type: 'relu' },
      { type: 'dropout', p: 0.5 },
      { type: 'affine', units: 4096 },
      { type: 'relu' },
      { type: 'dropout', p: 0.5 },
      { type: 'affine', units: classes },
    ],
  };
}
