/**
 * The figure manifest `docs/figures/figures.json`, written by `pnpm figures` and read by
 * the docs build: which SVG shows what, how it was made, and which exercise guide it
 * belongs to.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../root.js';

/** Where the committed figures live. */
export const FIGURES_DIR = path.join(ROOT, 'docs', 'figures');
/** The manifest. */
export const MANIFEST = path.join(FIGURES_DIR, 'figures.json');

/** One figure. */
export interface FigureEntry {
  /** File name inside docs/figures, e.g. `lenet-curves.svg`. */
  readonly file: string;
  /** The producer that made it, e.g. `lenet` (`pnpm figures lenet` remakes it). */
  readonly producer: string;
  /** Short title, shown as the heading above the figure. */
  readonly title: string;
  /** One or two sentences: what is shown and the settings of the run. */
  readonly caption: string;
  /** The command that makes it. */
  readonly command: string;
  /**
   * Exercise topics, most specific first: the figure goes into the guide of the first
   * exercise whose folder name contains the earliest of these words (`residual` matches
   * `05-residual`). A figure with no matching exercise is only in the gallery.
   */
  readonly topics: readonly string[];
  /** True when made with `--quick` (fewer epochs, less data): fine to check the pipeline, not for committing. */
  readonly quick: boolean;
}

/** A producer that could not run yet (its command does not exist). */
export interface PendingProducer {
  readonly producer: string;
  readonly command: string;
  readonly what: string;
  readonly reason: string;
}

interface Manifest {
  readonly figures?: FigureEntry[];
  readonly pending?: PendingProducer[];
}

function readManifest(): Manifest {
  return existsSync(MANIFEST) ? (JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest) : {};
}

/** The manifest's entries, in order ([] if there is none yet). */
export function readFigureManifest(): FigureEntry[] {
  return readManifest().figures ?? [];
}

/** The producers that were skipped because their command does not exist yet. */
export function readPendingProducers(): PendingProducer[] {
  return readManifest().pending ?? [];
}

/** Writes the manifest. */
export function writeFigureManifest(figures: readonly FigureEntry[], pending: readonly PendingProducer[] = readPendingProducers()): void {
  writeFileSync(MANIFEST, JSON.stringify({ note: 'Written by `pnpm figures`; read by `pnpm run docs`.', figures, pending }, null, 2) + '\n');
}

/** The exercise a figure belongs to: the first exercise id matching its earliest topic. */
export function exerciseOf(f: FigureEntry, exerciseIds: readonly string[]): string | undefined {
  for (const topic of f.topics) {
    const hit = exerciseIds.find((id) => id.slice(3).includes(topic));
    if (hit) return hit;
  }
  return undefined;
}

/** The figures that belong to one exercise, in manifest order. */
export function figuresFor(exerciseId: string, exerciseIds: readonly string[], figures: readonly FigureEntry[]): FigureEntry[] {
  return figures.filter((f) => exerciseOf(f, exerciseIds) === exerciseId);
}
