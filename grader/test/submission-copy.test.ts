/**
 * A submission's exercise folder reduced to its own regular files: what is copied, what is
 * refused (and how the refusal names the path), and that nothing outside gets through.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { refusalMessage, snapshotExercise, type SnapshotResult } from '../src/sandbox/snapshot.js';

const root = mkdtempSync(path.join(tmpdir(), 'dlkata-snapshot-test-'));
let n = 0;
let ex: string;
let dest: string;

beforeEach(() => {
  n++;
  ex = path.join(root, `case-${n}`, '03-pooling');
  dest = path.join(root, `copy-${n}`, '03-pooling');
  mkdirSync(ex, { recursive: true });
  writeFileSync(path.join(ex, 'pool.ts'), 'export const x = 1;\n');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

function refused(r: SnapshotResult): string[] {
  return r.ok ? [] : r.refusals.map((x) => `${x.path} ${x.reason}`);
}

describe('snapshotExercise', () => {
  it('copies any tree of regular files exactly, readable by others, and nothing else', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}(\.ts)?$/);
    fc.assert(
      fc.property(fc.dictionary(fc.array(name, { minLength: 1, maxLength: 3 }).map((p) => p.join('/')), fc.uint8Array({ maxLength: 200 }), { maxKeys: 12 }), (tree) => {
        n++;
        const src = path.join(root, `tree-${n}`, 'ex');
        const out = path.join(root, `tree-copy-${n}`, 'ex');
        mkdirSync(src, { recursive: true });
        const written = new Map<string, Uint8Array>();
        for (const [rel, bytes] of Object.entries(tree)) {
          const file = path.join(src, rel);
          // a name may already be a folder of another path (or the other way round): skip those
          if (existsSync(file) || [...written.keys()].some((w) => rel.startsWith(`${w}/`))) continue;
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, bytes);
          written.set(rel, bytes);
        }
        const r = snapshotExercise(src, out, 'ex');
        expect(refused(r)).toEqual([]);
        const copied = new Map<string, Buffer>();
        const walk = (d: string, rel: string): void => {
          for (const e of readdirSync(d, { withFileTypes: true })) {
            const r2 = rel ? `${rel}/${e.name}` : e.name;
            if (e.isDirectory()) walk(path.join(d, e.name), r2);
            else {
              expect(e.isFile()).toBe(true);
              expect(statSync(path.join(d, e.name)).mode & 0o777).toBe(0o644);
              copied.set(r2, readFileSync(path.join(d, e.name)));
            }
          }
        };
        walk(out, '');
        expect([...copied.keys()].sort()).toEqual([...written.keys()].sort());
        for (const [rel, bytes] of written) expect(Buffer.compare(copied.get(rel)!, Buffer.from(bytes))).toBe(0);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a module that is a symbolic link, wherever it points, naming it', () => {
    rmSync(path.join(ex, 'pool.ts'));
    symlinkSync('/etc/passwd', path.join(ex, 'pool.ts'));
    const r = snapshotExercise(ex, dest, '03-pooling');
    expect(refused(r)).toEqual(['03-pooling/pool.ts is a symbolic link']);
    expect(existsSync(dest)).toBe(false);
    expect(refusalMessage(r.ok ? [] : r.refusals)).toMatch(/^the submission was refused: 03-pooling\/pool.ts is a symbolic link\. /);
    expect(refusalMessage(r.ok ? [] : r.refusals)).not.toMatch(/root:/);
  });

  it('refuses links inside the folder too, and linked folders', () => {
    symlinkSync('pool.ts', path.join(ex, 'alias.ts'));
    mkdirSync(path.join(root, `elsewhere-${n}`));
    symlinkSync(path.join(root, `elsewhere-${n}`), path.join(ex, 'lib'));
    expect(refused(snapshotExercise(ex, dest, '03-pooling'))).toEqual(['03-pooling/alias.ts is a symbolic link', '03-pooling/lib is a symbolic link']);
  });

  it('refuses the exercise folder itself when it is a link', () => {
    const link = path.join(root, `case-${n}`, '04-linked');
    symlinkSync(ex, link);
    expect(refused(snapshotExercise(link, dest, '04-linked'))).toEqual(['04-linked is a symbolic link, not a folder']);
  });

  it('accepts hard links whose every name is inside, refuses one to a file outside', () => {
    linkSync(path.join(ex, 'pool.ts'), path.join(ex, 'same.ts'));
    expect(refused(snapshotExercise(ex, dest, '03-pooling'))).toEqual([]);
    const outside = path.join(root, `outside-${n}.ts`);
    writeFileSync(outside, 'secret');
    linkSync(outside, path.join(ex, 'borrowed.ts'));
    expect(refused(snapshotExercise(ex, `${dest}-2`, '03-pooling'))).toEqual(['03-pooling/borrowed.ts is a hard link to a file outside the folder (2 links)']);
  });

  it.runIf(process.platform !== 'win32')('refuses a FIFO without blocking on it', () => {
    execFileSync('mkfifo', [path.join(ex, 'pipe.ts')]);
    expect(refused(snapshotExercise(ex, dest, '03-pooling'))).toEqual(['03-pooling/pipe.ts is a FIFO (named pipe)']);
  });

  it('leaves out dot entries and node_modules, links among them included', () => {
    mkdirSync(path.join(ex, 'node_modules'));
    symlinkSync('/etc', path.join(ex, 'node_modules', 'etc'));
    symlinkSync('/etc/passwd', path.join(ex, '.hidden'));
    const r = snapshotExercise(ex, dest, '03-pooling');
    expect(refused(r)).toEqual([]);
    expect(readdirSync(dest)).toEqual(['pool.ts']);
  });

  it('refuses folders beyond the limits', () => {
    for (let i = 0; i < 5; i++) writeFileSync(path.join(ex, `f${i}.ts`), 'x'.repeat(100));
    expect(refused(snapshotExercise(ex, dest, '03-pooling', { maxFiles: 3, maxBytes: 1e6, maxDepth: 8 }))).toEqual(['03-pooling holds 6 files, more than the limit of 3']);
    expect(refused(snapshotExercise(ex, `${dest}-2`, '03-pooling', { maxFiles: 100, maxBytes: 300, maxDepth: 8 }))).toEqual(['03-pooling holds 520 bytes, more than the limit of 300']);
    mkdirSync(path.join(ex, 'a', 'b'), { recursive: true });
    expect(refused(snapshotExercise(ex, `${dest}-3`, '03-pooling', { maxFiles: 100, maxBytes: 1e6, maxDepth: 1 }))).toEqual(['03-pooling/a/b is more than 1 folders deep']);
  });
});
