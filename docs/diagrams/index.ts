/**
 * Every diagram of the guides, and the code that writes them. `scripts/docs-guides.ts` (the
 * first step of `pnpm run docs`) calls {@link writeDiagrams} and places each diagram at the
 * start of the guide section it explains; the SVG files are build output, never committed.
 *
 * `npx tsx docs/diagrams/index.ts OUT_DIR` writes them alone, to look at.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CNN_DIAGRAMS } from './cnn.js';
import { RNN_DIAGRAMS } from './rnn.js';
import type { Diagram } from './types.js';

export type { Diagram } from './types.js';

/** All diagrams, in exercise order. */
export const DIAGRAMS: readonly Diagram[] = [...CNN_DIAGRAMS, ...RNN_DIAGRAMS];

/** Draws every diagram into `dir`; returns the diagrams with their byte sizes. */
export function writeDiagrams(dir: string, diagrams: readonly Diagram[] = DIAGRAMS): { diagram: Diagram; bytes: number }[] {
  mkdirSync(dir, { recursive: true });
  const seen = new Set<string>();
  return diagrams.map((d) => {
    if (seen.has(d.file)) throw new Error(`diagrams: two diagrams are named ${d.file}`);
    seen.add(d.file);
    const svg = d.draw().toString();
    writeFileSync(path.join(dir, d.file), svg);
    return { diagram: d, bytes: Buffer.byteLength(svg) };
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = path.resolve(process.argv[2] ?? 'diagrams-out');
  const written = writeDiagrams(out);
  console.log(`${written.length} diagrams written to ${out}`);
}
