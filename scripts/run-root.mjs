#!/usr/bin/env node
// `node ../../scripts/run-root.mjs <script> [args...]`: runs a script of the repository's root
// package.json from anywhere below it, as `pnpm <script>` at the root would, keeping INIT_CWD
// (the folder the user typed the command in) so that the script knows "this exercise".
//
// Each exercise folder's package.json (written by `pnpm exercises:generate`) uses it, so that
// `pnpm test`, `pnpm test:watch`, `pnpm grade`, `pnpm hint`, `pnpm progress` and `pnpm play`
// typed inside exercises/05-residual mean exercise 05. Starting node directly instead of a
// second pnpm saves half a second per command.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [name, ...args] = process.argv.slice(2);
const scripts = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts ?? {};
if (!name || !(name in scripts)) {
  console.error(`run-root: no script "${name ?? ''}" in the root package.json; scripts: ${Object.keys(scripts).join(', ')}`);
  process.exit(2);
}
/** POSIX shell quoting of one argument. */
const quote = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
const command = [scripts[name], ...args.filter((a) => a !== '--').map(quote)].join(' ');
const r = spawnSync(command, {
  cwd: ROOT,
  shell: true,
  stdio: 'inherit',
  env: {
    ...process.env,
    INIT_CWD: process.env.INIT_CWD ?? process.cwd(),
    PATH: `${path.join(ROOT, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
  },
});
if (r.error) {
  console.error(`run-root: could not run "${command}": ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? (r.signal ? 1 : 0));
