/**
 * Finds TeX that was not typeset in the visible text of a page: `$...$` or `$$...$$` holding
 * TeX, TeX commands (`\frac`, `\sum`, ...) and TeX-style sub- and superscripts (`x_{L+1}`,
 * `W^{T}`). Code (`pre`, `code`) and typeset math (`.katex`) must be removed from the text
 * before it is searched: there, such text is meant to be seen as it is.
 */

const PATTERNS: readonly RegExp[] = [
  /\$\$[\s\S]+?\$\$/g,
  /\$[^$\n]{0,200}?(\\[a-zA-Z]+|[_^])[^$\n]{0,200}?\$/g,
  /\\(frac|dfrac|sum|prod|left|right|mathrm|mathbf|text|textstyle|cdot|cdots|ldots|theta|lambda|Lambda|sigma|odot|tanh|sqrt|max|min|log|exp|begin|end|lfloor|rfloor|partial|approx|top|qquad|quad|leftarrow|rightarrow|le|ge|infty|alpha|beta|nabla)(?![a-zA-Z])/g,
  /[A-Za-z0-9)\]][_^]\{[^}\n]{1,40}\}/g,
];

/** The raw TeX found in `text`, each match with a little context; empty if there is none. */
export function findRawTex(text: string): string[] {
  const hits: string[] = [];
  for (const re of PATTERNS) {
    for (const m of text.matchAll(re)) {
      const at = m.index ?? 0;
      hits.push(text.slice(Math.max(0, at - 20), at + m[0].length + 20).replace(/\s+/g, ' ').trim());
    }
  }
  return hits;
}
