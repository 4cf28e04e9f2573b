/**
 * Hostile submissions made of something other than their own regular files: module files that
 * are symbolic links (to the reference library, to /etc/passwd), linked folders, hard links to
 * files outside the submission, FIFOs, imports of absolute paths, and files that make a bundler
 * read elsewhere (a tsconfig.json that extends /etc/passwd, a sourceMappingURL comment naming
 * it). Nothing outside the submission may be graded or quoted in feedback.
 */
import { AT, type HostileFixture } from './fixture.js';

const G = AT.gradientCheck;
const P = AT.pooling;

/** Text of /etc/passwd that must never appear in feedback. */
const PASSWD = [/root:x?:0:0/, /:\/bin\/(ba)?sh\b/, /nologin/];

export const submissionFileFixtures: readonly HostileFixture[] = [
  {
    name: 'module-symlink-to-library',
    attack: "pool.ts is a symbolic link to the reference library's max pooling source",
    exercise: '03-pooling',
    plants: [],
    files: { 'pool.ts': 'symlink:__REPO__/packages/layers/src/maxpool2d.ts' },
    expect: { lose: 'all', status: ['error'], feedback: ['03-pooling/pool.ts is a symbolic link'] },
  },
  {
    name: 'module-symlink-to-passwd',
    attack: 'gradient-check.ts is a symbolic link to /etc/passwd (the bundler would quote its lines)',
    exercise: '01-gradient-check',
    plants: [],
    files: { 'gradient-check.ts': 'symlink:/etc/passwd' },
    expect: { lose: 'all', status: ['error'], feedback: ['01-gradient-check/gradient-check.ts is a symbolic link'], notInFeedback: PASSWD },
  },
  {
    name: 'linked-folder',
    attack: 'a folder of the exercise is a symbolic link to the reference solutions, and the module re-exports from it',
    exercise: '01-gradient-check',
    plants: [{ file: G.file, find: G.imports, replace: `${G.imports}\nexport { relativeError as borrowed } from './lib/gradient-check';` }],
    files: { lib: 'symlink:__REPO__/solutions/01-gradient-check' },
    expect: { lose: 'all', status: ['error'], feedback: ['01-gradient-check/lib is a symbolic link'] },
  },
  {
    name: 'hard-link-outside',
    attack: 'a file of the exercise is a hard link to a file outside the submission',
    exercise: '03-pooling',
    plants: [],
    files: { 'notes.txt': 'hardlink:__CANARY__/existing.txt' },
    expect: { lose: 'all', status: ['error'], feedback: ['03-pooling/notes.txt is a hard link to a file outside the folder'] },
  },
  {
    name: 'fifo-in-folder',
    attack: 'the exercise folder holds a FIFO, on which a naive reader would block forever',
    exercise: '03-pooling',
    plants: [],
    files: { 'data.ts': 'fifo:' },
    expect: { lose: 'all', status: ['error'], feedback: ['03-pooling/data.ts is a FIFO'] },
  },
  {
    name: 'import-absolute-path',
    attack: 'the module imports /etc/passwd and the reference solution by absolute path',
    exercise: '01-gradient-check',
    plants: [{ file: G.file, find: G.imports, replace: `${G.imports}\nimport '/etc/passwd';\nexport * from '__REPO__/solutions/01-gradient-check/gradient-check';` }],
    expect: { lose: 'all', status: ['error'], feedback: ['reaches outside the exercise folder'], notInFeedback: PASSWD },
  },
  {
    name: 'tsconfig-extends-passwd',
    attack: 'a tsconfig.json in the exercise folder extends /etc/passwd (the answers are right)',
    exercise: '03-pooling',
    plants: [],
    files: { 'tsconfig.json': '{ "extends": "/etc/passwd" }\n' },
    expect: { lose: [], notInFeedback: PASSWD },
  },
  {
    name: 'source-map-link-to-passwd',
    attack: 'the module ends with a sourceMappingURL comment naming /etc/passwd (the answers are right)',
    exercise: '03-pooling',
    plants: [{ file: P.file, find: P.imports, replace: `${P.imports}\n//# sourceMappingURL=/etc/passwd\n//@ sourceMappingURL=file:///etc/passwd` }],
    expect: { lose: [], notInFeedback: PASSWD },
  },
];
