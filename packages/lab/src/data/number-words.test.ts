import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { englishWords, ENGLISH_TOKENS, germanTokens, GERMAN_TOKENS, germanWord } from './number-words.js';

/** Hand-checked spellings (Duden, "Zahlwörter"; the long form "einhundert" throughout). */
const GERMAN: ReadonlyArray<readonly [number, string]> = [
  [1, 'eins'],
  [2, 'zwei'],
  [6, 'sechs'],
  [7, 'sieben'],
  [10, 'zehn'],
  [11, 'elf'],
  [12, 'zwölf'],
  [16, 'sechzehn'],
  [17, 'siebzehn'],
  [20, 'zwanzig'],
  [21, 'einundzwanzig'],
  [30, 'dreißig'],
  [31, 'einunddreißig'],
  [60, 'sechzig'],
  [66, 'sechsundsechzig'],
  [70, 'siebzig'],
  [77, 'siebenundsiebzig'],
  [99, 'neunundneunzig'],
  [100, 'einhundert'],
  [101, 'einhunderteins'],
  [111, 'einhundertelf'],
  [112, 'einhundertzwölf'],
  [121, 'einhunderteinundzwanzig'],
  [200, 'zweihundert'],
  [201, 'zweihunderteins'],
  [312, 'dreihundertzwölf'],
  [716, 'siebenhundertsechzehn'],
  [999, 'neunhundertneunundneunzig'],
  [1000, 'eintausend'],
  [1001, 'eintausendeins'],
  [1100, 'eintausendeinhundert'],
  [2021, 'zweitausendeinundzwanzig'],
  [7777, 'siebentausendsiebenhundertsiebenundsiebzig'],
  [9999, 'neuntausendneunhundertneunundneunzig'],
];

/** An independent reader of German number words (a regular expression over the written word). */
function readGerman(word: string): number | null {
  const units = ['ein', 'zwei', 'drei', 'vier', 'fünf', 'sechs', 'sieben', 'acht', 'neun'];
  const teens: Record<string, number> = { zehn: 10, elf: 11, zwölf: 12, dreizehn: 13, vierzehn: 14, fünfzehn: 15, sechzehn: 16, siebzehn: 17, achtzehn: 18, neunzehn: 19 };
  const tens: Record<string, number> = { zwanzig: 20, dreißig: 30, vierzig: 40, fünfzig: 50, sechzig: 60, siebzig: 70, achtzig: 80, neunzig: 90 };
  const u = units.join('|');
  const m = new RegExp(`^(?:(${u})tausend)?(?:(${u})hundert)?(?:(eins|zwei|drei|vier|fünf|sechs|sieben|acht|neun|${Object.keys(teens).join('|')})|(?:(${u})und)?(${Object.keys(tens).join('|')}))?$`).exec(word);
  if (!m || word === '') return null;
  let n = m[1] ? (units.indexOf(m[1]) + 1) * 1000 : 0;
  if (m[2]) n += (units.indexOf(m[2]) + 1) * 100;
  if (m[3]) n += m[3] === 'eins' ? 1 : (teens[m[3]] ?? units.indexOf(m[3]) + 1);
  if (m[5]) n += tens[m[5]] + (m[4] ? units.indexOf(m[4]) + 1 : 0);
  return n;
}

describe('number words', () => {
  it.each(GERMAN)('%i is %s in German', (n, word) => {
    expect(germanWord(n)).toBe(word);
  });

  it('English: 312 three hundred twelve, 21 twenty one, 100 one hundred, 40 forty, 15 fifteen', () => {
    expect(englishWords(312)).toEqual(['three', 'hundred', 'twelve']);
    expect(englishWords(21)).toEqual(['twenty', 'one']);
    expect(englishWords(100)).toEqual(['one', 'hundred']);
    expect(englishWords(40)).toEqual(['forty']);
    expect(englishWords(15)).toEqual(['fifteen']);
    expect(englishWords(2021)).toEqual(['two', 'thousand', 'twenty', 'one']);
  });

  it('every number 1-9999: the German word reads back as the number (independent reader); no two numbers share a word in either language', () => {
    const de = new Set<string>();
    const en = new Set<string>();
    for (let n = 1; n <= 9999; n++) {
      expect(readGerman(germanWord(n)), `${n}: ${germanWord(n)}`).toBe(n);
      de.add(germanWord(n));
      en.add(englishWords(n).join(' '));
    }
    expect(de.size).toBe(9999);
    // The reader is strict: misspellings and the other spelling of 100-199 are not read.
    for (const bad of ['sechszehn', 'siebenzehn', 'einszwanzig', 'hundertzwölf', 'tausendeins', 'zwanzigeins', 'dreissig']) expect(readGerman(bad), bad).toBeNull();
    expect(en.size).toBe(9999);
  });

  it('"eins" only stands alone or at the end; "ein" only before "und", "hundert" or "tausend"', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9999 }), (n) => {
        const t = germanTokens(n);
        t.forEach((w, i) => {
          if (w === 'eins') expect(i).toBe(t.length - 1);
          if (w === 'ein') expect(['und', 'hundert', 'tausend']).toContain(t[i + 1]);
        });
      }),
      { seed: 1, numRuns: 300 },
    );
  });

  it('tokens come from the fixed vocabularies; out-of-range numbers are refused', () => {
    for (let n = 1; n <= 9999; n++) {
      for (const w of germanTokens(n)) expect(GERMAN_TOKENS).toContain(w);
      for (const w of englishWords(n)) expect(ENGLISH_TOKENS).toContain(w);
    }
    expect(() => germanTokens(0)).toThrow('germanTokens: n must be an integer from 1 to 9999, got 0');
    expect(() => englishWords(1.5)).toThrow('englishWords: n must be an integer from 1 to 9999, got 1.5');
  });
});
