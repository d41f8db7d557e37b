import { searchNormalize } from "../../shared/protocol/index.js";

/** A run of a message's text, marked when it is part of a match. Rendered as text and `<mark>` elements, never as HTML. */
export interface Piece {
  text: string;
  match: boolean;
}

/** How many characters (graphemes) a result shows at most; a longer text is cut around its first match. */
export const SNIPPET_LENGTH = 120;
/** How much of the text before the first match a cut snippet keeps. */
const LEAD = 30;

let graphemes: Intl.Segmenter | null = null;

/**
 * The text of a result, cut to `length` around its first match, with every
 * match of the query marked. Matching is the search's own (normalised text
 * contains the normalised query), worked out per grapheme so the marks fall
 * on what the person sees: "ＨＥＬＬＯ" is marked whole for the query "hello".
 */
export function highlight(text: string, query: string, length = SNIPPET_LENGTH): Piece[] {
  graphemes ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
  const chars = [...graphemes.segment(text)].map((s) => s.segment);
  // Where each grapheme starts in the normalised text.
  const starts: number[] = [];
  let normalised = "";
  for (const char of chars) {
    starts.push(normalised.length);
    normalised += searchNormalize(char);
  }
  starts.push(normalised.length);
  const marked = new Array<boolean>(chars.length).fill(false);
  const needle = searchNormalize(query.trim());
  if (needle !== "") {
    // Matches come in order, so one pass over the graphemes marks them all.
    let i = 0;
    for (let at = normalised.indexOf(needle); at !== -1; at = normalised.indexOf(needle, at + needle.length)) {
      const end = at + needle.length;
      while (starts[i + 1]! <= at) i++;
      for (let j = i; starts[j]! < end; j++) marked[j] = true;
    }
  }
  let from = 0;
  let to = chars.length;
  if (chars.length > length) {
    const first = Math.max(0, marked.indexOf(true));
    from = Math.max(0, Math.min(first - LEAD, chars.length - length));
    to = from + length;
  }
  const pieces: Piece[] = [];
  if (from > 0) pieces.push({ text: "…", match: false });
  for (let i = from; i < to; i++) {
    const last = pieces.at(-1);
    if (last && last.match === marked[i]) last.text += chars[i];
    else pieces.push({ text: chars[i]!, match: marked[i]! });
  }
  if (to < chars.length) pieces.push({ text: "…", match: false });
  return pieces;
}
