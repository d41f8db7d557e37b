/**
 * Up to two letters for an avatar: the first letter of the first two words
 * that have one ("Ada Lovelace" → "AL", "Bob 🚲" → "BO"), or the first two
 * of a single word ("alice" → "AL"; for a person, a Chinese name's last
 * two, its given name: "陈小明" → "小明"). Split by grapheme (or at least by code
 * point), never by UTF-16 unit, so an emoji is never cut in half; emoji and
 * punctuation are skipped. A name with no letter at all gets its first
 * grapheme (an emoji), else "?".
 */
export function initials(name: string, { locale, person = false }: { locale?: string; person?: boolean } = {}): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const lettered = words.map((w) => graphemes(w).filter(isLetterLike)).filter((g) => g.length > 0);
  let picked: string[];
  if (lettered.length >= 2) picked = [lettered[0]![0]!, lettered[1]![0]!];
  // A person's Chinese name of three or four characters shows the given name, as Chinese apps do: 陈小明 → 小明
  // (not 陈小). Not a group's title (家人群 is not 人群), nor a longer run of characters, which is no name.
  else if (lettered.length === 1) picked = person && isChineseName(lettered[0]!) ? lettered[0]!.slice(-2) : lettered[0]!.slice(0, 2);
  else return graphemes(name.trim())[0] ?? "?";
  return picked.join("").toLocaleUpperCase(locale).normalize("NFC");
}

const LETTER_LIKE = /^[\p{L}\p{N}]/u;

function isLetterLike(grapheme: string): boolean {
  return LETTER_LIKE.test(grapheme);
}

const HAN = /^\p{Script=Han}$/u;

function isChineseName(letters: readonly string[]): boolean {
  return letters.length >= 3 && letters.length <= 4 && letters.every((g) => HAN.test(g));
}

type SegmenterCtor = new (locale?: string, options?: { granularity: "grapheme" }) => {
  segment(input: string): Iterable<{ segment: string }>;
};

type Segmenter = InstanceType<SegmenterCtor>;
/** One segmenter for every call: making one costs far more than using it (a cold start renders an avatar per conversation). */
let segmenter: Segmenter | null | undefined;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** User-perceived characters ("é" with a combining accent, "👍🏽", flags stay whole). */
export function graphemes(text: string): string[] {
  // Printable ASCII is one grapheme per character: no segmenter (its first use loads break data, ~20 ms at a cold start).
  if (PRINTABLE_ASCII.test(text)) return text.split("");
  if (segmenter === undefined) {
    const Ctor = (Intl as unknown as { Segmenter?: SegmenterCtor }).Segmenter;
    segmenter = Ctor ? new Ctor(undefined, { granularity: "grapheme" }) : null;
  }
  if (segmenter) return Array.from(segmenter.segment(text), (s) => s.segment);
  return Array.from(text);
}
