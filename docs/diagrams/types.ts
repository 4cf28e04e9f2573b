import type { Svg } from './svg.js';

/**
 * One diagram of a guide: drawn by code (most of them compute their numbers with the
 * library the grader trusts), written as SVG by `pnpm run docs`, and placed at the start of
 * the guide section it explains.
 */
export interface Diagram {
  /** File name under the built site's media, e.g. `conv-geometry.svg`. */
  readonly file: string;
  /** Short title, also the image's alt text. */
  readonly title: string;
  /** Markdown under the image (may hold `$...$` math). */
  readonly caption: string;
  /** The exercise's topic: its folder name without the number (`02-convolution` -> `convolution`). */
  readonly exercise: string;
  /**
   * The `##` section of the exercise README it opens: a heading that contains this text
   * (`conv2dForward` finds `## Task 2: conv2dForward`; `The math`). The build fails if the
   * exercise exists and no heading matches.
   */
  readonly before: string;
  readonly draw: () => Svg;
}
