#!/usr/bin/env tsx
/**
 * `pnpm play [exercise | file.ts] [--once]`: runs a TypeScript scratch file and runs it again
 * every time it, or a file it imports, is saved (`tsx watch`).
 *
 * ```
 * pnpm play             # playground/scratch.ts (inside an exercise folder: that exercise's scratch file)
 * pnpm play 05          # playground/05-residual.ts, made from a template the first time; it imports your exercise 05
 * pnpm play my-idea.ts  # any file (relative to where you typed the command, else to playground/)
 * pnpm play residual.ts # a file of an exercise, found by its name: that exercise's scratch file
 * pnpm play 05 --once   # run once, no watching
 * ```
 *
 * Scratch files live in `playground/` (a workspace package), so they can import
 * `@dlkata/tensor`, the reference library (`@dlkata/layers`, `@dlkata/rnn`) and the exercise
 * modules. An existing scratch file is never overwritten.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exerciseHere, resolveExercise, ROOT, userCwd } from './exercise-names.mjs';

const PLAYGROUND = path.join(ROOT, 'playground');
const USAGE = `Usage: pnpm play [exercise | file.ts] [--once]

  pnpm play             run playground/scratch.ts, again on every save
  pnpm play 05          make (the first time) and run playground/05-residual.ts, which imports your exercise 05
  pnpm play my-idea.ts  run any TypeScript file
  pnpm play residual.ts a file of an exercise (from anywhere): that exercise's scratch file, as pnpm play 05
  --once                run once instead of watching
Inside an exercise folder, \`pnpm play\` means that exercise.`;

/** Exported names of a TypeScript module (functions, constants, classes), from its source. */
function exportedValues(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(/^export\s+(?:async\s+)?(?:function\*?|const|let|class)\s+([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]);
}

/** The first scratch file of an exercise: imports its modules and the tensor helpers, prints a sample tensor. */
export function scratchTemplate(id: string, exerciseDir: string): string {
  const modules = readdirSync(exerciseDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .sort();
  const imports = modules.map((m) => {
    const names = exportedValues(path.join(exerciseDir, m));
    return `import { ${names.join(', ')} } from '../exercises/${id}/${m.replace(/\.ts$/, '.js')}';`;
  });
  const all = modules.flatMap((m) => exportedValues(path.join(exerciseDir, m)));
  return [
    `// Scratch file for exercise ${id}: \`pnpm play ${id.slice(0, 2)}\` runs it, and again every time you save it or`,
    `// your exercise. Nothing here is graded; change anything. (Made once from a template; yours now.)`,
    `//`,
    `// Helpers from @dlkata/tensor: Tensor (zeros, from, get, set, reshape, map), Rng (randn), add, sub,`,
    `// mul, scale, sum, matmul, transpose2d, pad2d, im2col, col2im, numericalGradient, relativeError.`,
    `// The reference answers are in @dlkata/layers and @dlkata/rnn, to compare with yours.`,
    `import { matmul, Rng, Tensor, transpose2d } from '@dlkata/tensor';`,
    ...imports,
    ``,
    `const rng = new Rng(0);`,
    `const x = rng.randn([1, 2, 3, 3]);`,
    `console.log('x =', x.toString());`,
    `console.log('a 2-D product:', matmul(Tensor.from([[1, 2], [3, 4]]), transpose2d(Tensor.from([[1, 0], [0, 1]]))).toString());`,
    ``,
    ...readmeExample(exerciseDir),
    `// Call your functions here, e.g. ${all[0] ?? 'yourFunction'}(...), and print what comes back:`,
    `try {`,
    `  console.log('exercise ${id} exports:', [${all.map((n) => n).join(', ')}].map((f) => (typeof f === 'function' ? f.name : typeof f)).join(', '));`,
    `} catch (e) {`,
    `  console.log(String(e));`,
    `}`,
    ``,
  ].join('\n');
}

/** The example of the README's "Playground" section (its first ts block), if any, as lines. */
function readmeExample(exerciseDir: string): string[] {
  const readme = path.join(exerciseDir, 'README.md');
  if (!existsSync(readme)) return [];
  const section = readFileSync(readme, 'utf8').split(/\n(?=## )/).find((s) => s.startsWith('## Playground'));
  const block = section ? /```ts\n([\s\S]*?)```/.exec(section)?.[1] : undefined;
  if (!block) return [];
  return [
    `// The README's example. Until you write a function, calling it shows its TODO here.`,
    'try {',
    ...block
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}`),
    '} catch (e) {',
    "  console.log(e instanceof Error ? `${e.name}: ${e.message}` : String(e));",
    '}',
    '',
  ];
}

function main(argv: string[]): number {
  const args = argv.filter((a) => a !== '--');
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const once = args.includes('--once');
  const bad = args.find((a) => a.startsWith('-') && a !== '--once');
  if (bad) {
    console.error(`Unknown option ${bad}\n\n${USAGE}`);
    return 2;
  }
  const pos = args.filter((a) => !a.startsWith('-'));
  if (pos.length > 1) {
    console.error(`Too many arguments: ${pos.join(' ')}\n\n${USAGE}`);
    return 2;
  }
  const cwd = userCwd();
  let file: string;
  const arg = pos[0];
  if (arg !== undefined && /\.[cm]?[tj]s$/.test(arg)) {
    const candidates = [path.resolve(cwd, arg), path.resolve(PLAYGROUND, arg)];
    let found = candidates.find((c) => existsSync(c));
    if (!found) {
      // A file name of an exercise, typed from anywhere (`residual.ts`, `05-residual/residual.ts`),
      // as pnpm test, grade and hint take it.
      const r = resolveExercise(arg, { cwd });
      if (!('error' in r) && r.file) found = r.file;
    }
    if (!found) {
      console.error(`No file ${arg} (looked in ${candidates.map((c) => path.relative(ROOT, c) || '.').join(' and ')}, and in the exercise folders).`);
      return 2;
    }
    const r = resolveExercise(found, { cwd });
    // A file of an exercise: play that exercise's scratch file, not the module itself.
    file = 'error' in r || found.startsWith(PLAYGROUND) ? found : scratchFor(r.id, r.dir);
  } else if (arg !== undefined) {
    const r = resolveExercise(arg, { cwd });
    if ('error' in r) {
      console.error(r.error);
      return 2;
    }
    file = scratchFor(r.id, r.dir);
  } else {
    const here = exerciseHere(path.join(ROOT, 'exercises'), cwd);
    file = here ? scratchFor(here, path.join(ROOT, 'exercises', here)) : path.join(PLAYGROUND, 'scratch.ts');
  }
  const shown = path.relative(ROOT, file);
  console.error(once ? `Running ${shown}` : `Running ${shown}; it runs again when you save it or a file it imports (Ctrl-C stops).`);
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  const r = spawnSync(tsx, [...(once ? [] : ['watch', '--clear-screen=false']), file], { cwd: PLAYGROUND, stdio: 'inherit' });
  if (r.error) {
    console.error(`could not start tsx: ${r.error.message}`);
    return 1;
  }
  return r.status ?? 1;
}

/** playground/<id>.ts, made from the template if it does not exist yet (never overwritten). */
function scratchFor(id: string, dir: string): string {
  const file = path.join(PLAYGROUND, `${id}.ts`);
  if (!existsSync(file)) {
    writeFileSync(file, scratchTemplate(id, dir));
    console.error(`Made ${path.relative(ROOT, file)} (a scratch file that imports exercises/${id}); edit it freely.`);
  }
  return file;
}

process.exit(main(process.argv.slice(2)));
