/**
 * `pnpm exercises:generate`: writes `exercises/NN-topic/` from `solutions/NN-topic/`.
 *
 * Marked regions of the solutions' `.ts` files become `throw new NotImplementedError('<TODO>')`;
 * every other file is copied. Files and exercise folders that are no longer generated are
 * removed; `exercises/package.json` and `exercises/tsconfig.json` are left alone. The marker
 * syntax is described in `lib-exercises.ts`.
 *
 * @module
 */
import { generateAll, lintExercises, MarkerError, writeExercises } from './lib-exercises.js';

try {
  const generated = generateAll();
  const problems = lintExercises(generated);
  const { written, removed } = writeExercises(generated);
  const exercises = new Set([...generated.keys()].map((p) => p.split('/')[0]));
  let regions = 0;
  for (const g of generated.values()) regions += g.regions.length;
  for (const p of written) console.log(`  wrote   exercises/${p}`);
  for (const p of removed) console.log(`  removed exercises/${p}`);
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
  } else {
    throw e;
  }
}
