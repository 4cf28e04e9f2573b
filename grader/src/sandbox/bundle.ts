/**
 * Bundles an exercise's module(s), `@dlkata/tensor` and the {@link startRunner | runner}
 * into one CommonJS file with esbuild, so the sandboxed child needs to read exactly one file.
 *
 * Imports a submission may use: relative imports of files inside its own exercise folder,
 * `@dlkata/tensor` (always the grader's copy, wherever the submission lives), and Node's
 * built-in modules (the permission model still denies file system writes, reads other than
 * the bundle, child processes and workers). Anything else fails the bundle with a message.
 *
 * Two imports bundle but are disarmed, so that using them costs exactly the tests that reach
 * them, with a message that says why:
 *
 * - `@dlkata/layers`, the grader's reference implementation: every export is replaced by a
 *   function that throws a `ForbiddenImportError`;
 * - the exports of `@dlkata/tensor` that the exercise asks the student to write (its
 *   `forbidden` list, e.g. `relativeError` in exercise 01): the same.
 *
 * @module
 */
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, stop, type BuildOptions, type BuildResult, type Message, type Plugin } from 'esbuild';
import * as layers from '@dlkata/layers';
import * as tensorLibrary from '@dlkata/tensor';

/** Where the bundle was written, or why it could not be built. */
export type BundleResult =
  | { readonly ok: true; readonly file: string }
  | { readonly ok: false; readonly message: string };

const require = createRequire(import.meta.url);

/** Absolute path of the runner's source, bundled into every child. */
export const RUNNER_SOURCE = fileURLToPath(new URL('./runner.ts', import.meta.url));

/** The name of the error a disarmed import throws when it is called. */
export const FORBIDDEN_IMPORT_ERROR = 'ForbiddenImportError';

/** Options of {@link bundleExercise}. */
export interface BundleOptions {
  /** The exercise's id, for messages (e.g. `"01-gradient-check"`). */
  readonly exercise?: string;
  /** Exports of `@dlkata/tensor` the exercise asks students to write themselves (disarmed). */
  readonly forbidden?: readonly string[];
}

/** The names `@dlkata/tensor` exports at run time. */
export const TENSOR_EXPORTS: readonly string[] = Object.keys(tensorLibrary).sort();

/** The names `@dlkata/layers` (the reference implementation) exports at run time. */
export const LAYERS_EXPORTS: readonly string[] = Object.keys(layers).sort();

const IDENT = /^[A-Za-z_$][\w$]*$/;

/**
 * esbuild compiles in one long-lived service process shared by every bundle of a run. A
 * submission can crash that process (say, brackets nested 300,000 deep overflow its parser's
 * stack), and every build in flight or started later would then fail with "The service is no
 * longer running": one submission would zero the ones graded after it. So a build that meets a
 * dead service restarts it and tries again, alone: while a retry runs no other build starts, and
 * it starts only when the builds in flight have ended (a readers-writer lock, retries first). A
 * submission that crashes the service even alone gets {@link BUNDLER_CRASHED} and the service is
 * restarted for the next one.
 */
const SERVICE_DEATH = /The service (?:was stopped|is no longer running)/;
/** The message of a submission on which the compiler's process died even when it ran alone. */
export const BUNDLER_CRASHED =
  'the compiler (esbuild) crashed while reading this exercise, twice, the second time with nothing else running: look for something extreme in the code, e.g. brackets or expressions nested thousands deep';

let inFlight = 0;
let retrying = 0;
let generation = 0;
/** Retries run one at a time, in order. */
let retries: Promise<void> = Promise.resolve();
const waiters: Array<() => void> = [];
const wake = () => waiters.splice(0).forEach((w) => w());
const until = async (ready: () => boolean): Promise<void> => {
  while (!ready()) await new Promise<void>((r) => waiters.push(r));
};

async function restartService(seen: number, restart: () => Promise<void> | void): Promise<void> {
  if (seen !== generation) return; // someone else restarted it already
  generation++;
  await restart();
}

/**
 * esbuild's `build`, surviving a crash of its service caused by another submission (see above).
 *
 * @param options - esbuild's build options
 * @param run - the build function (esbuild's; a test passes one that fails on purpose)
 * @param restart - stops the dead service so the next build starts a new one (esbuild's `stop`)
 * @throws Error with {@link BUNDLER_CRASHED} when the service dies on this build run alone
 */
export async function buildSurvivingCrashes(
  options: BuildOptions,
  run: (o: BuildOptions) => Promise<BuildResult> = build,
  restart: () => Promise<void> | void = stop,
): Promise<BuildResult> {
  await until(() => retrying === 0);
  inFlight++;
  const seen = generation;
  try {
    return await run(options);
  } catch (e) {
    if (!SERVICE_DEATH.test(e instanceof Error ? e.message : String(e))) throw e;
    await restartService(seen, restart);
  } finally {
    inFlight--;
    wake();
  }
  retrying++;
  const turn = retries.then(async () => {
    await until(() => inFlight === 0);
    const alone = generation;
    try {
      return await run(options);
    } catch (e) {
      if (!SERVICE_DEATH.test(e instanceof Error ? e.message : String(e))) throw e;
      await restartService(alone, restart);
      throw new Error(BUNDLER_CRASHED);
    }
  });
  retries = turn.then(
    () => undefined,
    () => undefined,
  );
  try {
    return await turn;
  } finally {
    retrying--;
    wake();
  }
}

/** Deepest nesting of `(`, `[`, `{` a submission file may have (honest code stays under 30). */
export const MAX_BRACKET_DEPTH = 500;

/**
 * The deepest nesting of brackets in a source text and the line where it is reached, counting
 * every `(`, `[`, `{` against its closer, strings and comments included (an over-estimate,
 * which is all the check needs). Run before esbuild parses a file: its parser recurses per
 * level and a file nested hundreds of thousands deep takes its process down.
 */
export function bracketDepth(text: string): { depth: number; line: number } {
  let depth = 0;
  let max = 0;
  let line = 1;
  let maxLine = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    else if (c === 40 || c === 91 || c === 123) {
      if (++depth > max) {
        max = depth;
        maxLine = line;
      }
    } else if ((c === 41 || c === 93 || c === 125) && depth > 0) depth--;
  }
  return { depth: max, line: maxLine };
}

/** Source of a module whose listed exports throw a ForbiddenImportError with `message(name)`. */
function disarmed(names: readonly string[], message: (name: string) => string, reexport?: string): string {
  const lines = [
    `class ${FORBIDDEN_IMPORT_ERROR} extends Error { constructor(m) { super(m); this.name = ${JSON.stringify(FORBIDDEN_IMPORT_ERROR)}; } }`,
    `function forbidden(m) { return function () { throw new ${FORBIDDEN_IMPORT_ERROR}(m); }; }`,
  ];
  if (reexport) lines.push(`export * from ${JSON.stringify(reexport)};`);
  for (const name of names) if (IDENT.test(name)) lines.push(`export const ${name} = forbidden(${JSON.stringify(message(name))});`);
  return `${lines.join('\n')}\n`;
}

/** Absolute path of the `@dlkata/tensor` entry the grader itself uses. */
export function tensorEntry(): string {
  return require.resolve('@dlkata/tensor');
}

function formatMessage(m: Message, root: string, workDir: string): string {
  const loc = m.location;
  if (!loc) return m.text;
  // esbuild reports paths relative to its working directory; show them relative to the submission
  const file = path.relative(root, path.resolve(workDir, loc.file));
  return `${file.split(path.sep).join('/')}:${loc.line}:${loc.column + 1}: ${m.text}${loc.lineText ? `\n    ${loc.lineText.trim()}` : ''}`;
}

/** Loaders for the source files a submission may hold, by extension. */
const SOURCE_LOADERS: Readonly<Record<string, 'ts' | 'tsx' | 'js' | 'jsx' | 'json'>> = {
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.tsx': 'tsx',
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.jsx': 'jsx',
  '.json': 'json',
};

/**
 * A submission file's text as the bundler may see it: source-map links are disarmed, since
 * esbuild would read the file a `sourceMappingURL` comment names (say `/etc/passwd`) and quote
 * it in its error.
 */
export function disarmSourceMapLinks(text: string): string {
  return text.replace(/sourceMappingURL/gi, 'sourceMapping_URL');
}

function importGuard(exerciseDir: string, tensor: string, opts: BundleOptions, entry: string): Plugin {
  const inside = (p: string, dir: string): boolean => {
    const rel = path.relative(dir, p);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  };
  const exercise = opts.exercise ? `exercise ${opts.exercise}` : 'this exercise';
  const forbidden = (opts.forbidden ?? []).filter((n) => TENSOR_EXPORTS.includes(n));
  let realExerciseDir = exerciseDir;
  try {
    realExerciseDir = realpathSync(exerciseDir);
  } catch {
    // reported when a file is loaded
  }
  const modules: Record<string, string> = {
    tensor: disarmed(forbidden, (n) => `${n} is @dlkata/tensor's own ${n}; ${exercise} asks you to write ${n} yourself, so using the library's is not allowed`, tensor),
    layers: disarmed(LAYERS_EXPORTS, (n) => `${n} comes from @dlkata/layers, the reference implementation the grader checks against; a submission may not use it`),
  };
  return {
    name: 'dlkata-import-guard',
    setup(b) {
      b.onResolve({ filter: /^@dlkata\/tensor$/ }, (args) =>
        inside(args.importer, exerciseDir) && forbidden.length > 0 ? { path: 'tensor', namespace: 'dlkata-disarmed' } : { path: tensor },
      );
      b.onResolve({ filter: /^@dlkata\/layers$/ }, (args) => (inside(args.importer, exerciseDir) ? { path: 'layers', namespace: 'dlkata-disarmed' } : undefined));
      b.onLoad({ filter: /.*/, namespace: 'dlkata-disarmed' }, (args) => ({ contents: modules[args.path], loader: 'js', resolveDir: path.dirname(tensor) }));
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind === 'entry-point' || args.pluginData === 'resolved') return undefined;
        // The module files themselves, imported by the generated entry: inside the folder, regular files.
        if (args.importer === entry && !inside(args.path, path.dirname(RUNNER_SOURCE))) {
          if (!path.isAbsolute(args.path) || !inside(args.path, exerciseDir)) return { errors: [{ text: `the module ${path.basename(args.path)} lies outside the exercise folder` }] };
          return { path: args.path };
        }
        // The grader's own files (entry, runner, protocol), the tensor package and the disarmed
        // modules resolve freely.
        if (args.namespace !== 'file' || !inside(args.importer, exerciseDir)) return undefined;
        if (args.path.startsWith('node:')) return { path: args.path, external: true };
        if (args.path.startsWith('.') || path.isAbsolute(args.path)) {
          const r = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: 'resolved' });
          if (r.errors.length > 0) return { errors: r.errors };
          if (!inside(r.path, exerciseDir)) {
            return { errors: [{ text: `import of "${args.path}" reaches outside the exercise folder; only files of the exercise and @dlkata/tensor can be imported` }] };
          }
          return { path: r.path };
        }
        if (builtinModules.includes(args.path)) return { path: args.path, external: true };
        return { errors: [{ text: `import of "${args.path}" is not allowed; a submission can import @dlkata/tensor, Node's built-in modules and its own files` }] };
      });
      // Every file of the submission is read here, not by esbuild: it must be a regular file
      // inside the folder (no link, whatever resolved to it), and its source-map links are disarmed.
      b.onLoad({ filter: /.*/, namespace: 'file' }, (args) => {
        if (!inside(args.path, exerciseDir)) return undefined;
        const name = path.relative(exerciseDir, args.path).split(path.sep).join('/');
        let real: string;
        try {
          if (!lstatSync(args.path).isFile()) return { errors: [{ text: `${name} is not a regular file` }] };
          real = realpathSync(args.path);
        } catch {
          return { errors: [{ text: `${name} cannot be read` }] };
        }
        if (!inside(real, realExerciseDir)) return { errors: [{ text: `${name} lies outside the exercise folder` }] };
        const loader = SOURCE_LOADERS[path.extname(args.path).toLowerCase()];
        if (!loader) return { errors: [{ text: `${name} is not a source file the grader can bundle (.ts, .js, .json)` }] };
        const text = readFileSync(real, 'utf8');
        const deep = bracketDepth(text);
        if (deep.depth > MAX_BRACKET_DEPTH) {
          return { errors: [{ text: `${name}: brackets nested ${deep.depth} deep (line ${deep.line}); the grader compiles at most ${MAX_BRACKET_DEPTH} levels` }] };
        }
        return { contents: disarmSourceMapLinks(text), loader, resolveDir: path.dirname(args.path) };
      });
    },
  };
}

/**
 * Writes a generated entry and bundles it into `<outDir>/bundle.cjs`.
 *
 * @param exerciseDir - absolute path of the exercise folder in the submission, e.g. `.../02-convolution`
 * @param modules - the files to import, relative to `exerciseDir`, e.g. `["conv.ts"]`
 * @param outDir - a fresh, empty temporary directory
 * @param opts - the exercise's id and the `@dlkata/tensor` exports it forbids
 * @returns the bundle's path, or esbuild's first errors (file:line:column: text) when the
 *   submission does not compile or imports something it may not
 */
export async function bundleExercise(exerciseDir: string, modules: readonly string[], outDir: string, opts: BundleOptions = {}): Promise<BundleResult> {
  const entry = path.join(outDir, 'entry.ts');
  const loaders = modules.map((m) => `  ${JSON.stringify(m)}: () => import(${JSON.stringify(path.join(exerciseDir, m))}),`).join('\n');
  await writeFile(entry, `import { startRunner } from ${JSON.stringify(RUNNER_SOURCE)};\nstartRunner({\n${loaders}\n});\n`);
  const file = path.join(outDir, 'bundle.cjs');
  try {
    const result = await buildSurvivingCrashes({
      entryPoints: [entry],
      absWorkingDir: outDir,
      outfile: file,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      sourcesContent: false,
      logLevel: 'silent',
      write: true,
      // No tsconfig.json is read (a submission's could `extends` any file, which esbuild would quote in its error).
      tsconfigRaw: {},
      plugins: [importGuard(exerciseDir, tensorEntry(), opts, entry)],
    });
    if (result.errors.length > 0) return { ok: false, message: result.errors.slice(0, 3).map((m) => formatMessage(m, path.dirname(exerciseDir), outDir)).join('\n') };
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      return { ok: false, message: errors.slice(0, 3).map((m) => formatMessage(m, path.dirname(exerciseDir), outDir)).join('\n') };
    }
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  return { ok: true, file };
}
