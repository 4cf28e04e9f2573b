/**
 * The sandbox's preflight: before the first submission is graded, a known-good module is
 * bundled, started in the sandbox exactly as a submission would be, and called. If that fails,
 * the fault is the machine's (a Node without the permission flag the grader chose, OS measures
 * that stop Node from starting, a missing esbuild binary), so grading stops with one error that
 * names the cause, instead of every student getting 0 for it.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../discover.js';
import { bundleExercise } from './bundle.js';
import { detectIsolation } from './isolation.js';
import { permissionFlag, Sandbox } from './sandbox.js';
import { makeTempDir, removeTempDir } from './tempdirs.js';

/**
 * The sandbox cannot run even a known-good module on this machine: an environment fault, never
 * a submission's. A {@link UsageError}, so the command line prints its message and stops.
 */
export class SandboxUnavailableError extends UsageError {
  /** @param cause - what failed, e.g. `"the sandboxed process exited with code 9 ...; stderr: node: bad option: --permission"` */
  constructor(cause: string) {
    const iso = detectIsolation();
    const wrappers = iso.prefix.filter((a) => a.startsWith('/')).map((a) => path.basename(a));
    super(
      `the sandbox cannot start on this machine, so nothing was graded: ${cause}. ` +
        `Node ${process.version} (${process.execPath}), permission flag ${permissionFlag()}, OS isolation: ${wrappers.length > 0 ? wrappers.join(' + ') : 'none'}. ` +
        'The grader runs on Node 20.10+, 22 and 24; if the OS measures are at fault, DLKATA_GRADER_NO_OS_ISOLATION=1 turns them off.',
    );
    this.name = 'SandboxUnavailableError';
  }
}

/** The probe module: what every submission's bundle needs (imports of @dlkata/tensor, numbers and tensors across the channel). */
const PROBE = `import { Tensor } from '@dlkata/tensor';
export function probe(x: number): number { return x + 1; }
export function probeTensor(n: number): Tensor { return Tensor.ones([n]); }
`;

let cached: Promise<void> | undefined;

/** Limits of the preflight, generous for a busy machine: ms to start, and per call. */
export const PREFLIGHT_TIMEOUT_MS = 30_000;

async function run(): Promise<void> {
  const dir = makeTempDir('dlkata-preflight-');
  let sandbox: Sandbox | undefined;
  try {
    const ex = path.join(dir, 'src', '00-probe');
    mkdirSync(ex, { recursive: true });
    writeFileSync(path.join(ex, 'probe.ts'), PROBE);
    const out = path.join(dir, 'out');
    mkdirSync(out);
    const bundle = await bundleExercise(ex, ['probe.ts'], out, { exercise: '00-probe' });
    if (!bundle.ok) throw new SandboxUnavailableError(`a known-good module does not bundle: ${bundle.message}`);
    sandbox = new Sandbox(bundle.file, { timeoutMs: PREFLIGHT_TIMEOUT_MS, startTimeoutMs: PREFLIGHT_TIMEOUT_MS });
    const started = await sandbox.start();
    if (started.kind === 'timeout') throw new SandboxUnavailableError(`a known-good module did not start within ${started.ms} ms`);
    if (started.kind === 'crashed') throw new SandboxUnavailableError(`a known-good module could not be started: ${started.message}`);
    if (started.kind === 'import-error') throw new SandboxUnavailableError(`a known-good module failed to import: ${started.error.name}: ${started.error.message}`);
    const a = await sandbox.call('probe', [41]);
    if (a.kind !== 'ok' || a.value !== 42) throw new SandboxUnavailableError(`a known-good call did not answer 42: ${JSON.stringify(a).slice(0, 300)}`);
    const t = await sandbox.call('probeTensor', [3]);
    const data = t.kind === 'ok' ? (t.value as { data?: unknown }).data : undefined;
    if (!(data instanceof Float64Array) || data.length !== 3 || data[2] !== 1) {
      throw new SandboxUnavailableError(`a known-good call did not return its tensor: ${JSON.stringify(t).slice(0, 300)}`);
    }
  } finally {
    await sandbox?.close();
    removeTempDir(dir);
  }
}

/**
 * Checks once per process that the sandbox works here (later calls share the first outcome).
 *
 * @throws SandboxUnavailableError naming the cause, the Node version and flag, and the OS measures in use
 */
export function preflightSandbox(): Promise<void> {
  cached ??= run();
  return cached;
}

/** Forgets the preflight's outcome (for tests that change the environment). */
export function resetPreflight(): void {
  cached = undefined;
}
