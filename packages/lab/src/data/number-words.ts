/**
 * Cardinal numbers 1-9999 as English and German words, the data set of `pnpm train translate`.
 *
 * English (American style, no "and"): `312` -> `three hundred twelve`, `2021` -> `two thousand twenty
 * one`, one token per word.
 *
 * German, as written (Duden): one word, built from morphemes, with the units before the tens
 * joined by "und": `21` -> `einundzwanzig`, `312` -> `dreihundertzwölf`, `2021` ->
 * `zweitausendeinundzwanzig`. The details a learner
 * (and a model) must get right:
 * - "eins" alone and at the end (`1` eins, `101` einhunderteins), "ein" before "und" and
 *   "hundert" (`21` einundzwanzig, `100` einhundert, `1000` eintausend);
 * - hundreds and thousands are always written with their count: `einhundertzwölf`,
 *   `eintausendeins` (the shorter "hundertzwölf", "tausendeins" are also correct German; this
 *   data set uses one spelling, so exact match is well defined);
 * - irregular forms: `elf`, `zwölf`, `sechzehn` and `siebzehn` (not "sechszehn",
 *   "siebenzehn"), `sechzig`, `siebzig`, `dreißig` (with ß), `zwanzig`.
 *
 * German targets are sequences of these morphemes (a subword vocabulary, {@link GERMAN_TOKENS});
 * joined without spaces they give the word.
 *
 * @module
 */
import { ValueError } from '@dlkata/tensor';

const EN_ONES = ['', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const EN_TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const DE_ONES = ['', 'eins', 'zwei', 'drei', 'vier', 'fünf', 'sechs', 'sieben', 'acht', 'neun', 'zehn', 'elf', 'zwölf', 'dreizehn', 'vierzehn', 'fünfzehn', 'sechzehn', 'siebzehn', 'achtzehn', 'neunzehn'];
const DE_TENS = ['', '', 'zwanzig', 'dreißig', 'vierzig', 'fünfzig', 'sechzig', 'siebzig', 'achtzig', 'neunzig'];

/** The English words, in a fixed order (the source vocabulary without its special tokens). */
export const ENGLISH_TOKENS: readonly string[] = Object.freeze([...EN_ONES.slice(1), ...EN_TENS.slice(2), 'hundred', 'thousand']);

/** The German morphemes, in a fixed order (the target vocabulary without its special tokens). */
export const GERMAN_TOKENS: readonly string[] = Object.freeze([...DE_ONES.slice(1), 'ein', ...DE_TENS.slice(2), 'und', 'hundert', 'tausend']);

/** The largest number of the data set. */
export const MAX_NUMBER = 9999;

function check(n: number, op: string): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_NUMBER) throw new ValueError(op, `n must be an integer from 1 to ${MAX_NUMBER}, got ${n}`);
}

/**
 * English words of `n`: `englishWords(312)` = `['three', 'hundred', 'twelve']`.
 *
 * @throws ValueError unless `n` is an integer from 1 to 9999
 */
export function englishWords(n: number): string[] {
  check(n, 'englishWords');
  const out: string[] = [];
  const k = Math.floor(n / 1000);
  if (k > 0) out.push(EN_ONES[k], 'thousand');
  const h = Math.floor((n % 1000) / 100);
  const r = n % 100;
  if (h > 0) out.push(EN_ONES[h], 'hundred');
  if (r >= 20) {
    out.push(EN_TENS[Math.floor(r / 10)]);
    if (r % 10) out.push(EN_ONES[r % 10]);
  } else if (r > 0) {
    out.push(EN_ONES[r]);
  }
  return out;
}

/**
 * German morphemes of `n`: `germanTokens(312)` = `['drei', 'hundert', 'zwölf']`,
 * `germanTokens(21)` = `['ein', 'und', 'zwanzig']`. Joined they give {@link germanWord}.
 *
 * @throws ValueError unless `n` is an integer from 1 to 9999
 */
export function germanTokens(n: number): string[] {
  check(n, 'germanTokens');
  const out: string[] = [];
  const k = Math.floor(n / 1000);
  if (k > 0) out.push(k === 1 ? 'ein' : DE_ONES[k], 'tausend');
  const h = Math.floor((n % 1000) / 100);
  const r = n % 100;
  if (h > 0) out.push(h === 1 ? 'ein' : DE_ONES[h], 'hundert');
  if (r >= 20) {
    const u = r % 10;
    if (u) out.push(u === 1 ? 'ein' : DE_ONES[u], 'und');
    out.push(DE_TENS[Math.floor(r / 10)]);
  } else if (r > 0) {
    out.push(DE_ONES[r]);
  }
  return out;
}

/** The German number word: `germanWord(312)` = `'dreihundertzwölf'`. */
export function germanWord(n: number): string {
  return germanTokens(n).join('');
}
