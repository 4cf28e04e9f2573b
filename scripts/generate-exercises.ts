/**
 * `pnpm exercises:generate [--force]` (maintainers): writes `exercises/NN-topic/` from
 * `solutions/NN-topic/`.
 *
 * Marked regions of the solutions' `.ts` files become `throw new NotImplementedError('<TODO>')`;
 * every other file is copied, and each exercise folder gets its own `package.json`. The marker
 * syntax is described in `lib-exercises.ts`.
 *
 * It never loses anyone's work: a file under `exercises/` that differs from what was last
 * generated (recorded in `exercises/.generated.json`) was edited, e.g. by a student, and the
 * command refuses to overwrite it, listing such files, and writes nothing. With `--force` it
 * overwrites them after copying each to `exercises/.backup/<time>/`. Files it did not generate
 * (a student's own notes, the hint state) are never removed; `exercises/package.json` and
 * `exercises/tsconfig.json` are left alone.
 *
 * @module
 */
import path from 'node:path';
import { EditedFilesError, generateAll, lintExercises, MarkerError, ROOT, writeExercises } from './lib-exercises.js';

const args = process.argv.slice(2).filter((a) => a !== '--');
const unknown = args.filter((a) => a !== '--force');
if (unknown.length > 0) {
  console.error(`exercises:generate: unknown argument ${unknown.join(' ')}\nUsage: pnpm exercises:generate [--force]`);
  process.exit(2);
}
const force = args.includes('--force');

try {
  const generated = generateAll();
  const problems = lintExercises(generated);
  const { written, removed, backedUp, backupDir, kept } = writeExercises(generated, undefined, { force });
  const exercises = new Set([...generated.keys()].map((p) => p.split('/')[0]));
  let regions = 0;
  for (const g of generated.values()) regions += g.regions.length;
  for (const p of written) console.log(`  wrote   exercises/${p}`);
  for (const p of removed) console.log(`  removed exercises/${p}`);
  if (backupDir) console.log(`  ${backedUp.length} edited file(s) copied to ${path.relative(ROOT, backupDir)}/ before being replaced`);
  for (const p of kept) console.log(`  kept    exercises/${p} (not generated, or edited since; left alone)`);
  console.log(
    `${exercises.size} exercises, ${generated.size} files, ${regions} TODO regions; ` +
      (written.length + removed.length === 0 ? 'exercises/ was already up to date' : `${written.length} written, ${removed.length} removed`),
  );
  if (problems.length > 0) {
    console.error(`\n${problems.length} problem(s) in solutions/:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exitCode = 1;
  }
} catch (e) {
  if (e instanceof MarkerError) {
    console.error(`exercises:generate: ${e.message}\nNothing was written.`);
    process.exitCode = 1;
  } else if (e instanceof EditedFilesError) {
    console.error(`exercises:generate: ${e.message}`);
    process.exitCode = 1;
  } else {
    throw e;
  }
}
