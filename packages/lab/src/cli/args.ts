/**
 * Option parsers shared by the runs' command lines (commander).
 *
 * @module
 */
import { InvalidArgumentError } from 'commander';

/** Parses an integer option `>= min`; the error names the option and the text given. */
export function int(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got "${v}"`);
    return n;
  };
}

/** Parses a positive finite number option; the error names the option and the text given. */
export function positive(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a positive number, got "${v}"`);
    return n;
  };
}

/** The folder the user typed the command in (pnpm runs scripts from the repository root). */
export const userCwd = process.env.INIT_CWD ?? process.cwd();
