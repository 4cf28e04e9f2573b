import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../root.js';

const train = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'packages/lab/src/cli/train.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, INIT_CWD: ROOT, NO_COLOR: '1' }, timeout: 300_000 });

describe('pnpm train caption (the command line)', () => {
  it('--pretrain-epochs -1 or 1.5: exit 1, the error names the flag and the text given, no stack trace', () => {
    for (const v of ['-1', '1.5', 'three']) {
      const r = train(['caption', '--pretrain-epochs', v]);
      expect(r.status, v).toBe(1);
      expect(r.stderr).toContain(`pretrain-epochs must be an integer >= 0, got "${v}"`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('--help lists --pretrain-epochs (default 3) and --no-cosine', () => {
    const r = train(['caption', '--help']);
    expect(r.status).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toContain('--pretrain-epochs <n> epochs of pre-training the CNN as a single-digit classifier before captioning, 0 for none (default 3; --quick, --mine: 1)');
    expect(help).toContain('--no-cosine keep the learning rate constant instead of a cosine decay to 0');
  });
});
