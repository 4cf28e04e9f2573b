// Entry of a training worker thread (see data-parallel.ts): loads the TypeScript worker with tsx.
import { tsImport } from 'tsx/esm/api';

await tsImport('./data-parallel-worker.ts', import.meta.url);
