/**
 * Where the repository is, for the runs that read or write its folders (`exercises/`,
 * `docs/figures/`, `runs/`).
 *
 * @module
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (two folders above this package). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
