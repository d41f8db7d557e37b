import { searchNormalize } from "../../shared/protocol/index.js";

/**
 * The words of the local search index (docs/messages.md, "Search").
 *
 * Text is normalised as the server does (`searchNormalize`: NFKC, lower
 * case), then cut into runs of CJK characters and everything else:
 *
 *   "iPhone 充电器还在吗 👍🏽"  →  "iphone " | "充电器还在吗" | " 👍🏽"
 *
 * - CJK runs (Han, Kana, Hangul): every two-character bigram ("充电",
 *   "电器", …) and the run's last character alone ("吗"; a run of one is that
 *   character), the one that starts no bigram. A longer query looks up its
 *   bigrams; a one-character query looks up every key starting with the
 *   character (its bigrams and itself alone), so each character of a message
 *   still finds it, at about half the entries of indexing each one alone. No
 *   dictionary decides where a Chinese word ends.
 * - Everything else: `Intl.Segmenter` words ("iphone"), found by prefix, and
 *   emoji: each emoji grapheme ("👍🏽") and each pictographic code point in it
 *   ("👍"), so 👩 finds 👨‍👩‍👧.
 *
 * The index only narrows the candidates; a message is a result when its
 * normalised body contains the normalised query (the server's semantics).
 */

const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;
const PICTOGRAPHIC = /\p{Extended_Pictographic}/gu;
const HAS_PICTOGRAPHIC = /\p{Extended_Pictographic}/u;

let segmenter: Intl.Segmenter | null = null;
function words(): Intl.Segmenter {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: "word" });
  return segmenter;
}

/** A term a query looks up: CJK characters and bigrams exactly, words and emoji by prefix. */
export interface QueryTerm {
  term: string;
  prefix: boolean;
}

/** Every term of a message body, deduplicated (the multi-entry index stores each once per message). */
export function terms(text: string): string[] {
  const found = new Set<string>();
  scan(searchNormalize(text), {
    cjk: (run) => {
      const chars = [...run];
      for (let i = 0; i + 1 < chars.length; i++) found.add(chars[i]! + chars[i + 1]!);
      found.add(chars[chars.length - 1]!);
    },
    word: (word) => found.add(word),
    emoji: (grapheme) => {
      found.add(grapheme);
      for (const [point] of grapheme.matchAll(PICTOGRAPHIC)) found.add(point);
    },
  });
  return [...found];
}

/**
 * The terms a query needs, each of which a matching message must hold: the
 * bigrams of its CJK runs (a one-character run by prefix: its bigrams and
 * itself alone), its words
 * and emoji by prefix ("hel" finds "hello"). Empty when the query has
 * nothing indexable (punctuation only): the index cannot narrow it.
 */
export function queryTerms(query: string): QueryTerm[] {
  const found = new Map<string, QueryTerm>();
  const add = (term: string, prefix: boolean) => void found.set(`${prefix ? "p" : "e"}:${term}`, { term, prefix });
  scan(searchNormalize(query), {
    cjk: (run) => {
      const chars = [...run];
      if (chars.length === 1) add(run, true);
      for (let i = 0; i + 1 < chars.length; i++) add(chars[i]! + chars[i + 1]!, false);
    },
    word: (word) => add(word, true),
    // The grapheme as typed: a prefix of itself with a skin tone, and a term of every sequence holding it.
    emoji: (grapheme) => add(grapheme, true),
  });
  return [...found.values()];
}

interface Visitor {
  cjk(run: string): void;
  word(word: string): void;
  emoji(grapheme: string): void;
}

/** Walks normalised text once: CJK runs whole, the rest through the word segmenter. */
function scan(text: string, visit: Visitor): void {
  let at = 0;
  for (const match of text.matchAll(CJK_RUN)) {
    other(text.slice(at, match.index), visit);
    visit.cjk(match[0]);
    at = match.index + match[0].length;
  }
  other(text.slice(at), visit);
}

function other(text: string, visit: Visitor): void {
  if (text === "") return;
  for (const { segment, isWordLike } of words().segment(text)) {
    if (isWordLike) visit.word(segment);
    else if (HAS_PICTOGRAPHIC.test(segment)) visit.emoji(segment);
  }
}
