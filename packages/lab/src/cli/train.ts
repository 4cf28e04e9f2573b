#!/usr/bin/env node
/**
 * `pnpm train <run> [options]`: the real training runs, one sub-command each.
 *
 * | run | what | module |
 * | --- | --- | --- |
 * | `lenet` | LeNet-5 on MNIST digits | `lenet.ts` |
 * | `fcn` | semantic segmentation of MNIST digits with a small FCN | `fcn.ts` |
 * | `transfer` | LeNet-5 from digits 0-4 to 5-9: frozen, fine-tuned, from scratch | `transfer.ts` |
 * | `charlm` | character-level LSTM language model | `charlm.ts` |
 *
 * `pnpm train <run> --help` lists a run's options.
 *
 * @module
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { registerCharlm } from './charlm.js';
import { registerFcn } from './fcn.js';
import { registerLenet } from './lenet.js';
import { registerTransfer } from './transfer.js';

/**
 * The runs of `pnpm train`, by name: each adds its sub-command (options and action) to the
 * program. A new run is one module with a `register` function and one line here.
 */
export const RUNS: Readonly<Record<string, (program: Command) => Command>> = {
  lenet: registerLenet,
  fcn: registerFcn,
  transfer: registerTransfer,
  charlm: registerCharlm,
};

/** The `train` program with every run of {@link RUNS} registered. */
export function trainProgram(): Command {
  const program = new Command('train').description('Train a network from dlkata on real data.').showHelpAfterError();
  for (const register of Object.values(RUNS)) register(program);
  return program;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain) await trainProgram().parseAsync(process.argv);
