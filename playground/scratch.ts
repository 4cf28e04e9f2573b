// A scratch file: `pnpm play` runs it and runs it again every time you save it (or a file it
// imports, such as your exercise). Change anything; nothing here is graded.
//
// `pnpm play 05` (or `pnpm play` inside exercises/05-residual) makes and runs
// playground/05-residual.ts, a scratch file that imports that exercise.
import { matmul, Rng, Tensor, transpose2d } from '@dlkata/tensor';

const rng = new Rng(0);
const a = Tensor.from([
  [1, 2, 3],
  [4, 5, 6],
]);
const b = rng.randn([3, 2]);
console.log('a =', a.toString());
console.log('a^T =', transpose2d(a).toString());
console.log('a @ b =', matmul(a, b).toString());
